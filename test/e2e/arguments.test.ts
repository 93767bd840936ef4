/**
 * Big command lines: as many guest arguments as Linux's execve takes reach
 * the guest unchanged (the reference is qemu-aarch64 given the same ones),
 * and an argument list or environment too big for the guest's stack ends
 * the way a shell reports E2BIG: "Argument list too long" and status 126
 * (bash, run here natively, is the reference for both).
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { ELFUSE_CLI, GUESTS_REF, QEMU_REF, expectSameRun, guest, requireReferences, run, runBoth } from './helpers.js';

describe('big command lines', () => {
  test('130,000 guest arguments reach the guest as under qemu-aarch64', async (ctx) => {
    requireReferences(ctx, [QEMU_REF, GUESTS_REF]);
    const args = Array.from({ length: 130_000 }, (_, i) => `x${i}`);
    const { elfuse, qemu } = await runBoth([guest('echo-args'), ...args], { timeoutMs: 120_000 });
    expect(qemu.stdout.toString()).toMatch(/^argc=130001\n/);
    expectSameRun(elfuse, qemu);
    expect(elfuse.stderr.toString()).toBe('');
  }, 180_000);

  test('an environment larger than the guest stack allows ends like E2BIG in bash: one line, status 126', async (ctx) => {
    requireReferences(ctx, [GUESTS_REF]);
    // 3 MB of environment in 30 variables (one string may not exceed 128 KiB).
    const bigEnv = 'v=$(head -c 100000 /dev/zero | tr "\\0" x); for i in $(seq 30); do export BIG$i=$v; done';
    // The reference: bash exec'ing a program with that environment under the usual 8 MiB stack.
    const bash = spawnSync('bash', ['-c', `ulimit -s 8192 && ${bigEnv} && /bin/true`], { encoding: 'utf8' });
    expect(bash.status).toBe(126);
    expect(bash.stderr).toMatch(/\/bin\/true: Argument list too long\n$/);
    // elfuse itself runs with a raised stack limit (so its host execve takes 3 MB, up to 6 MiB);
    // the guest keeps Linux's 8 MiB default, where 3 MB does not fit.
    const script = `ulimit -s unlimited || exit 99; ${bigEnv}; exec "$0" "$@"`;
    const r = await run('bash', ['-c', script, process.execPath, ELFUSE_CLI, '--backend', 'interp', guest('echo-args')]);
    expect(r.status, 'could not raise the stack limit (ulimit -s unlimited)').not.toBe(99);
    const text = r.stderr.toString();
    expect(text).toBe(`elfuse: ${guest('echo-args')}: Argument list too long\n`);
    expect(r.status).toBe(bash.status);
    expect(r.stdout.length).toBe(0);
  });
});
