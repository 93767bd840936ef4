/**
 * Sysroot path resolution against an in-memory host (test/support/mem-fs.ts):
 * the sysroot is /sr on the double's root, and the "host" has its own files
 * beside it, so every escape would land on a file the test can recognise.
 */
import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/domain/kernel/errno.js';
import { SyscallError } from '../../src/domain/kernel/syscall-args.js';
import { Sysroot, caseToken, caseTokenName, detectCaseFolding } from '../../src/domain/kernel/sysroot.js';
import { MemFs } from '../support/mem-fs.js';

function world(foldsCase = false): MemFs {
  return new MemFs(foldsCase)
    .mkdirp('/etc')
    .file('/etc/secret') // the host's file: must never be reached from inside the sysroot
    .mkdirp('/sr/etc')
    .mkdirp('/sr/lib')
    .mkdirp('/sr/usr/lib')
    .file('/sr/etc/passwd')
    .file('/sr/lib/libc.so.6');
}

const errnoOf = (f: () => unknown): number | undefined => {
  try {
    f();
  } catch (e) {
    if (e instanceof SyscallError) return e.errno;
    throw e;
  }
  return undefined;
};

describe('sysroot resolution', () => {
  it('looks guest absolute paths up under the sysroot first, then on the host', () => {
    const fs = world();
    const root = new Sysroot(fs, '/sr/');
    expect(root.resolve('/etc/passwd', true)).toBe('/sr/etc/passwd');
    expect(root.resolve('/etc/secret', true)).toBe('/etc/secret'); // absent from the sysroot: the host's
    expect(root.resolve('/', true)).toBe('/sr');
    expect(root.resolve('/etc/new', true)).toBe('/sr/etc/new'); // to be created: the parent is in the sysroot
    expect(root.resolve('/nowhere/new', true)).toBe('/nowhere/new');
  });

  it('keeps `..` at the top of the sysroot', () => {
    const fs = world();
    const root = new Sysroot(fs, '/sr');
    expect(root.resolve('/../../../etc/passwd', true)).toBe('/sr/etc/passwd');
    expect(root.resolve('/lib/../../../etc/passwd', true)).toBe('/sr/etc/passwd');
    // Relative lookups from inside the sysroot have no host fallback at all.
    expect(root.resolve('/lib/../../../etc/secret', true, false)).toBe('/sr/etc/secret');
  });

  it('walks absolute symlinks inside the sysroot, final and intermediate', () => {
    const fs = world()
      .symlink('/sr/lib/ld-linux-aarch64.so.1', '/usr/lib/ld-2.36.so')
      .file('/sr/usr/lib/ld-2.36.so')
      .symlink('/sr/lib64', '/usr/lib')
      .symlink('/sr/etc/evil', '/etc/secret')
      .symlink('/sr/hostetc', '/etc');
    const root = new Sysroot(fs, '/sr');
    expect(root.resolve('/lib/ld-linux-aarch64.so.1', true)).toBe('/sr/usr/lib/ld-2.36.so');
    expect(root.resolve('/lib64/ld-2.36.so', true)).toBe('/sr/usr/lib/ld-2.36.so');
    // Not followed: the link itself, in the sysroot.
    expect(root.resolve('/lib/ld-linux-aarch64.so.1', false)).toBe('/sr/lib/ld-linux-aarch64.so.1');
    // /etc/secret exists only on the host: the link is dangling inside the sysroot (O_CREAT would
    // create its target there), and the host's /etc/secret is never the answer.
    expect(root.resolve('/etc/evil', true)).toBe('/sr/etc/secret');
    expect(() => fs.lstat(root.resolve('/etc/evil', true))).toThrow();
    expect(root.resolve('/hostetc/passwd', true)).toBe('/sr/etc/passwd');
    expect(root.resolve('/hostetc/secret', true, false)).toBe('/sr/etc/secret');
  });

  it('walks relative symlinks inside the sysroot and cannot climb out with them', () => {
    const fs = world()
      .symlink('/sr/usr/lib/libc.so.6', '../../lib/libc.so.6')
      .symlink('/sr/lib/up', '../../../../../etc')
      .symlink('/sr/usr/l', 'lib');
    const root = new Sysroot(fs, '/sr');
    expect(root.resolve('/usr/lib/libc.so.6', true)).toBe('/sr/lib/libc.so.6');
    expect(root.resolve('/usr/l/libc.so.6', true)).toBe('/sr/lib/libc.so.6');
    expect(root.resolve('/lib/up/passwd', true)).toBe('/sr/etc/passwd');
    expect(root.resolve('/lib/up/secret', true, false)).toBe('/sr/etc/secret');
  });

  it('gives ELOOP for symlink loops and long chains', () => {
    const fs = world().symlink('/sr/a', 'b').symlink('/sr/b', '/a').symlink('/sr/self', '.').mkdirp('/sr/chain');
    for (let i = 0; i < 41; i++) fs.symlink(`/sr/chain/l${i}`, `l${i + 1}`);
    fs.file('/sr/chain/l41');
    const root = new Sysroot(fs, '/sr');
    expect(errnoOf(() => root.resolve('/a', true))).toBe(Errno.ELOOP);
    expect(errnoOf(() => root.resolve('/a/x', false))).toBe(Errno.ELOOP);
    expect(root.resolve('/a', false)).toBe('/sr/a'); // the final link itself is fine
    expect(root.resolve('/self/self/etc/passwd', true)).toBe('/sr/etc/passwd');
    expect(errnoOf(() => root.resolve('/chain/l0', true))).toBe(Errno.ELOOP);
    expect(root.resolve('/chain/l2', true)).toBe('/sr/chain/l41');
  });

  it('follows a final symlink when the path ends in a slash, and stops at a file used as a directory', () => {
    const fs = world().symlink('/sr/libdir', 'lib');
    const root = new Sysroot(fs, '/sr');
    expect(root.resolve('/libdir/', false)).toBe('/sr/lib/');
    expect(root.resolve('/etc/passwd/x', true, false)).toBe('/sr/etc/passwd/');
  });

  it('names host paths inside the sysroot by their guest path', () => {
    const root = new Sysroot(world(), '/sr');
    expect(root.contains('/sr/etc')).toBe(true);
    expect(root.contains('/srx/etc')).toBe(false);
    expect(root.toGuest('/sr/etc/passwd')).toBe('/etc/passwd');
    expect(root.toGuest('/sr')).toBe('/');
    expect(root.toGuest('/tmp/x')).toBe('/tmp/x');
  });
});

describe('case-insensitive host volumes', () => {
  it('detects a volume that folds case', () => {
    expect(detectCaseFolding(world(true), '/sr')).toBe(true);
    expect(detectCaseFolding(world(false), '/sr')).toBe(false);
  });

  it('keeps names that differ only in case distinct', () => {
    const fs = world(true).mkdirp('/sr/src').file('/sr/src/Makefile');
    const root = new Sysroot(fs, '/sr');
    expect(root.foldsCase).toBe(true);
    expect(root.resolve('/src/Makefile', true)).toBe('/sr/src/Makefile');
    // 'makefile' is a different Linux name: the folding host would hand back Makefile, so it gets a token name.
    const token = root.resolve('/src/makefile', true);
    expect(token).toBe(`/sr/src/${caseToken('makefile')}`);
    expect(() => fs.lstat(token)).toThrow(); // not there yet
    fs.file(token);
    expect(root.resolve('/src/makefile', true)).toBe(token);
    expect(root.resolve('/src/Makefile', true)).toBe('/sr/src/Makefile');
    // A name with no case variant is itself; a missing case variant of a directory is not found.
    expect(root.resolve('/SRC/Makefile', true, false)).toBe(`/sr/${caseToken('SRC')}`);
    // Listings show the Linux names.
    expect(root.guestEntries(fs.readdir('/sr/src')).map((e) => e.name).sort()).toEqual(['Makefile', 'makefile']);
    expect(root.toGuest(token)).toBe('/src/makefile');
  });

  it('round-trips token names, including non-ASCII, and rejects what is not one', () => {
    for (const name of ['a', 'README', 'Ünïcode', '.hidden']) expect(caseTokenName(caseToken(name))).toBe(name);
    expect(caseTokenName('plain')).toBeNull();
    expect(caseTokenName('.elfuse-case.zz')).toBeNull();
    expect(caseTokenName('.elfuse-case.')).toBeNull();
  });

  it('a case-sensitive sysroot is used as it is', () => {
    const fs = world(false).mkdirp('/sr/src').file('/sr/src/Makefile').file('/sr/src/makefile');
    const root = new Sysroot(fs, '/sr');
    expect(root.resolve('/src/makefile', true)).toBe('/sr/src/makefile');
  });
});
