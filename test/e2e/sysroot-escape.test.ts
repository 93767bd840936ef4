/**
 * The --sysroot escapes found by an attack on elfuse, each tried by a small
 * static guest (guests/src/sysroot-escape.c) against a host directory D
 * whose secret.txt the sysroot shadows with its own, next to a host-only
 * directory and a host file under the name of one of the sysroot's dangling
 * symlinks.
 *
 * The reference is Linux itself: the same source built for this machine and
 * run in a chroot of the view the guest should have (the sysroot, plus the
 * host-only directory the fallback rule lets it see). The guest's output
 * must be the reference's line for line, and afterwards the host's files
 * must be exactly as they were.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { hasTools } from '../support/toolchain.js';
import { GUESTS_REF, ROOT, guest, requireReferences, run, runElfuse } from './helpers.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function hostState(d: string): string {
  return readdirSync(d)
    .sort()
    .map((n) => {
      const st = lstatSync(join(d, n), { bigint: true });
      const body = st.isFile() ? readFileSync(join(d, n), 'utf8') : st.isDirectory() ? 'dir' : 'link';
      return `${n} ${body} uid=${st.uid} mode=${st.mode} nlink=${st.nlink} mtime=${st.mtimeNs} ctime=${st.ctimeNs}`;
    })
    .join('\n');
}

describe('--sysroot escapes', () => {
  test('every technique stays inside the guest view, as a chroot of that view does on Linux', async (ctx) => {
    requireReferences(ctx, [GUESTS_REF]);
    if (!hasTools('gcc') || process.getuid?.() !== 0) {
      const why = 'needs gcc (apt-get install gcc) and root for the chroot reference (CI runs as root)';
      if (process.env.ELFUSE_ALLOW_MISSING_REFS === '1') ctx.skip(why);
      throw new Error(why);
    }
    const top = mkdtempSync(join(tmpdir(), 'elfuse-escape-'));
    dirs.push(top);
    // The host: D with the decoy, a file under the sysroot's dangling link's name, and a host-only directory.
    const D = join(top, 'D');
    mkdirSync(join(D, 'hostonly'), { recursive: true });
    writeFileSync(join(D, 'secret.txt'), 'HOST SECRET\n');
    writeFileSync(join(D, 'dangling'), 'HOST DANGLING\n');
    // The sysroot: its own D/secret.txt, a link to it by absolute path, a dangling link.
    const sr = join(top, 'sr');
    mkdirSync(join(sr, D), { recursive: true });
    writeFileSync(join(sr, D, 'secret.txt'), 'SYSROOT SECRET\n');
    symlinkSync(join(D, 'secret.txt'), join(sr, D, 'link'));
    symlinkSync('/nonexistent/x', join(sr, D, 'dangling'));
    // The reference: a chroot of the view the guest should have.
    const view = join(top, 'view');
    cpSync(sr, view, { recursive: true, verbatimSymlinks: true });
    mkdirSync(join(view, D, 'hostonly'));
    execFileSync('gcc', ['-static', '-O2', '-o', join(view, 'escape'), join(ROOT, 'guests/src/sysroot-escape.c')]);
    const before = hostState(D);

    const ref = await run(execFileSync('sh', ['-c', 'command -v chroot'], { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } }).toString().trim(), [view, '/escape', D]);
    expect(ref.status, ref.stderr.toString()).toBe(0);
    const got = await runElfuse(['--sysroot', sr, guest('sysroot-escape'), D]);
    expect(got.stderr.toString()).toBe('');
    expect(got.status).toBe(0);
    expect(got.stdout.toString()).toBe(ref.stdout.toString());
    // What the guest did landed in the sysroot; the host's D is untouched.
    expect(hostState(D)).toBe(before);
    expect(readFileSync(join(sr, D, 'secret.txt'), 'utf8')).toBe('SYSROOT SECRET\nappended\n');
    // And the lines say what they should (the reference agreeing is the proof; these keep it readable).
    const out = got.stdout.toString();
    expect(out).toContain('openat2 NO_SYMLINKS: SYSROOT SECRET|\n');
    expect(out).toContain('fchdir O_PATH link: ENOTDIR\n');
    expect(out).toContain('hostonly/../secret.txt: SYSROOT SECRET|\n');
    expect(out).toContain('open dangling: ENOENT\n');
    expect(out).not.toContain('HOST');
  });
});
