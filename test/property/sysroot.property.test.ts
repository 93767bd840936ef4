/**
 * Property: whatever symlinks a sysroot holds (absolute, relative, chains of
 * `..`, loops, links to the host's /etc) and whatever path the guest asks
 * for, a lookup without host fallback either fails with ELOOP or returns a
 * host path inside the sysroot whose every directory component is a real
 * directory, never a symlink, so the host cannot be led out of the sysroot
 * when it opens the path. With the final link followed, the result is not a
 * link either. Checked on the in-memory host double (test/support/mem-fs.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/domain/kernel/errno.js';
import { SyscallError } from '../../src/domain/kernel/syscall-args.js';
import { Sysroot } from '../../src/domain/kernel/sysroot.js';
import { MemFs } from '../support/mem-fs.js';

const DIRS = ['', '/a', '/a/b', '/c'];
const NAMES = ['a', 'b', 'c', 'x', 'y', '..', '.', 'etc', 'secret'];

const component = fc.constantFrom(...NAMES);
const relPath = fc.array(component, { minLength: 1, maxLength: 6 }).map((c) => c.join('/'));
const target = fc.oneof(relPath, relPath.map((p) => `/${p}`), fc.constant('/etc/secret'), fc.constant('../../../../etc'));
const link = fc.record({ dir: fc.constantFrom(...DIRS), name: fc.constantFrom('x', 'y', 'etc', 'secret'), target });

function build(links: readonly { dir: string; name: string; target: string }[]): MemFs {
  const fs = new MemFs().mkdirp('/etc').file('/etc/secret').mkdirp('/sr/a/b').mkdirp('/sr/c');
  for (const l of links) {
    const path = `/sr${l.dir}/${l.name}`;
    try {
      fs.lstat(path); // keep the first thing with this name
    } catch {
      fs.symlink(path, l.target);
    }
  }
  return fs;
}

function isLink(fs: MemFs, path: string): boolean {
  try {
    return (fs.lstat(path).mode & 0o170000) === 0o120000;
  } catch {
    return false;
  }
}

describe('sysroot confinement', () => {
  it('never returns a path outside the sysroot or through a symlink', () => {
    let resolved = 0;
    fc.assert(
      fc.property(fc.array(link, { maxLength: 8 }), relPath, fc.boolean(), fc.boolean(), (links, path, absolute, follow) => {
        const fs = build(links);
        const root = new Sysroot(fs, '/sr', false);
        let out: string;
        try {
          out = root.resolve(absolute ? `/${path}` : `/a/${path}`, follow, false);
        } catch (e) {
          expect(e instanceof SyscallError && e.errno === Errno.ELOOP).toBe(true);
          return;
        }
        resolved++;
        expect(out === '/sr' || out.startsWith('/sr/'), out).toBe(true);
        const parts = out.replace(/\/+$/, '').split('/').filter(Boolean);
        for (let i = 1; i < parts.length; i++) {
          const prefix = `/${parts.slice(0, i).join('/')}`;
          expect(parts.slice(0, i)).not.toContain('..');
          expect(isLink(fs, prefix), `${prefix} in ${out}`).toBe(false);
        }
        expect(parts).not.toContain('..');
        if (follow) expect(isLink(fs, out.replace(/\/+$/, '')), out).toBe(false);
      }),
      { numRuns: 2000 },
    );
    // Most lookups resolve (loops are the exception), so the property is not vacuous.
    expect(resolved).toBeGreaterThan(1000);
  });
});
