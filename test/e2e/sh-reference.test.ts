/**
 * The reference for multi-process guests, checked on its own so that the
 * elfuse comparisons (busybox-sh.test.ts, busybox-sh-jobs.test.ts) stand on
 * a working one:
 * - scripts/qemu-binfmt.sh: qemu-aarch64 runs a guest's execs of aarch64
 *   files; its tripwire (`guard`, around every elfuse run) fails and logs a
 *   host exec of an aarch64 file; the system-wide mode of older kernels,
 *   tried inside a user namespace so the machine is left alone.
 * - every busybox sh case gives, under that reference, the output written in
 *   the case by hand. With ELFUSE_SH_NATIVE_BUSYBOX=/path/to/busybox (an
 *   amd64 busybox of the same version, e.g. from Debian's busybox-static
 *   for amd64) the cases run natively instead, to check the expectations on
 *   the real kernel where qemu-user is weak (signals, job status).
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { BUSYBOX, BUSYBOX_REF, QEMU_BINFMT, requireQemuExec, requireReferences, run, runQemuExec } from './helpers.js';
import { SH_CASES } from './sh-cases.js';
import { expand, makeShRoot, removeShRoot, runShCase, shEnv, type ShRoot } from './sh-harness.js';

const NATIVE = process.env.ELFUSE_SH_NATIVE_BUSYBOX;

let qemuRoot: ShRoot | undefined;
let caseRoot: ShRoot | undefined;
/** Applet links to the arm64 busybox. */
function root(): ShRoot {
  qemuRoot ??= makeShRoot();
  return qemuRoot;
}
/** Where the cases run: root(), or links to the native busybox. */
function casesRoot(): ShRoot {
  if (!NATIVE) return root();
  caseRoot ??= makeShRoot(NATIVE, true);
  return caseRoot;
}
afterAll(() => {
  removeShRoot(qemuRoot);
  removeShRoot(caseRoot);
});

describe('scripts/qemu-binfmt.sh', () => {
  test('qemu runs a shell whose commands are aarch64 applet links (pipes, $(...), exec by path)', async (ctx) => {
    requireReferences(ctx, [BUSYBOX_REF]);
    requireQemuExec(ctx);
    const rt = root();
    const res = await runQemuExec([BUSYBOX, 'sh', '-c', `echo abc | tr a-c A-C; x=$(${rt.bin}/basename /a/b); echo $x; sh -c 'exit 9'; echo $?`], {
      cwd: rt.root,
      env: shEnv(rt),
    });
    expect(res.stderr.toString()).toBe('');
    expect(res.stdout.toString()).toBe('ABC\nb\n9\n');
    expect(res.status).toBe(0);
  });

  test('without binfmt_misc, plain qemu-aarch64 cannot run a guest exec (why the script exists)', async (ctx) => {
    requireReferences(ctx, [BUSYBOX_REF]);
    if (requireQemuExec(ctx) === 'system') ctx.skip('a system-wide aarch64 entry is installed, so plain qemu execs work too');
    // In a fresh user namespace with an empty binfmt_misc of its own, whatever the host has.
    const rt = root();
    const res = await run('unshare', ['--user', '--map-root-user', '--mount', '--fork', '--', 'sh', '-c',
      'mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc && exec "$@"', 'sh', 'qemu-aarch64', BUSYBOX, 'sh', '-c', `${rt.bin}/true; echo $?`,
    ], { cwd: rt.root, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });
    expect(res.stdout.toString()).toBe('126\n');
    expect(res.stderr.toString()).toMatch(/Exec format error/);
  });

  test('guard: a host exec of an aarch64 file fails with 126 and is logged; host programs run', async (ctx) => {
    requireReferences(ctx, [BUSYBOX_REF]);
    if (requireQemuExec(ctx) === 'system') ctx.skip('the tripwire needs a private binfmt_misc (Linux 6.7+ with user namespaces)');
    const rt = root();
    const log = join(rt.root, 'tripwire-test.log');
    rmSync(log, { force: true });
    const tripped = await run('/bin/bash', [QEMU_BINFMT, 'guard', log, BUSYBOX, 'echo', 'hi'], { cwd: rt.root });
    expect(tripped.status).toBe(126);
    expect(tripped.stdout.toString()).toBe('');
    expect(tripped.stderr.toString()).toContain(`exec the aarch64 file ${BUSYBOX}`);
    expect(readFileSync(log, 'utf8')).toBe(`host execve of an aarch64 file: ${BUSYBOX} ${BUSYBOX} echo hi\n`);

    rmSync(log, { force: true });
    const host = await run('/bin/bash', [QEMU_BINFMT, 'guard', log, '/bin/sh', '-c', 'echo host; exit 5'], { cwd: rt.root });
    expect(host.stdout.toString()).toBe('host\n');
    expect(host.status).toBe(5);
    expect(existsSync(log)).toBe(false);
  });

  test('system mode (older kernels), tried in a namespace: setup registers once, qemu then runs execs', async (ctx) => {
    requireReferences(ctx, [BUSYBOX_REF]);
    if (requireQemuExec(ctx) === 'system') ctx.skip('this machine is in system mode already: the other tests cover it');
    const rt = root();
    const script = [
      `bash '${QEMU_BINFMT}' check || echo check-failed`,
      `bash '${QEMU_BINFMT}' setup`,
      `bash '${QEMU_BINFMT}' setup`,
      `cat /proc/sys/fs/binfmt_misc/qemu-aarch64`,
      `bash '${QEMU_BINFMT}' check`,
      `PATH='${rt.bin}' /bin/bash '${QEMU_BINFMT}' qemu '${BUSYBOX}' sh -c 'echo x | tr x y'`,
    ].join('\n');
    const res = await run('unshare', ['--user', '--map-root-user', '--mount', '--fork', '--', '/bin/bash', '-c', script], {
      cwd: rt.root,
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ELFUSE_BINFMT_MODE: 'system' },
    });
    expect(res.stderr.toString()).toMatch(/no private binfmt_misc .* and no system-wide aarch64 entry/);
    const out = res.stdout.toString();
    expect(out).toMatch(/^check-failed\nqemu-binfmt: system mode, registered \/proc\/sys\/fs\/binfmt_misc\/qemu-aarch64\n/);
    expect(out).toContain('qemu-binfmt: system mode, using /proc/sys/fs/binfmt_misc/qemu-aarch64\n');
    expect(out).toContain('\nenabled\ninterpreter /usr/bin/qemu-aarch64\nflags: PF\noffset 0\nmagic 7f454c460201010000000000000000000200b700\n');
    expect(out, res.stderr.toString()).toMatch(/\nsystem\ny\n$/);
    expect(res.status).toBe(0);
  });
});

describe(`busybox sh cases under the reference (${NATIVE ? `native ${NATIVE}` : 'qemu-aarch64 + binfmt'}) give the expected output`, () => {
  test('there are at least 40 cases, with distinct names', () => {
    expect(SH_CASES.length).toBeGreaterThanOrEqual(40);
    expect(new Set(SH_CASES.map((c) => c.name)).size).toBe(SH_CASES.length);
  });

  for (const c of SH_CASES) {
    test(c.name, async (ctx) => {
      if (!NATIVE) {
        requireReferences(ctx, [BUSYBOX_REF]);
        requireQemuExec(ctx);
      }
      const rt = casesRoot();
      const res = await runShCase(NATIVE ? 'native' : 'qemu', c, rt);
      expect(res.timedOut).toBe(false);
      const stderr = res.stderr.toString('latin1');
      expect(res.stdout.toString('latin1'), `stderr:\n${stderr}`).toBe(expand(c.stdout, rt));
      if (c.stderr !== undefined) expect(stderr).toBe(expand(c.stderr, rt));
      expect(res.status, `stderr:\n${stderr}`).toBe(c.status);
    });
  }
});
