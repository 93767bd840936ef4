/**
 * guests/src/fsops.c, the file-syscall workout, run under elfuse and under
 * a reference in separate fresh scratch directories; stdout and exit
 * status must match byte for byte.
 *
 * The main part's reference is qemu-aarch64 (which forwards to this
 * machine's kernel). qemu 7.2 does not forward openat2 (ENOSYS) nor
 * pwritev2's RWF_* flags (EOPNOTSUPP), so that part ("kernel-only") is
 * compared with the same C source built natively with the host's cc and
 * run directly on the host's Linux kernel; the main part is compared with
 * that native build too.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { referenceTools } from '../support/toolchain.js';
import { GUESTS_REF, QEMU_REF, ROOT, expectSameRun, guest, requireReferences, run, runElfuse, runQemu } from './helpers.js';

const made: string[] = [];

function scratch(tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), `elfuse-fsops-${tag}-`));
  made.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

const FSOPS_REF = { path: guest('fsops'), fix: 'bash scripts/build-guests.sh' };

describe('fsops: file syscalls, elfuse vs the real kernel', () => {
  test('every call, success and error paths, matches qemu-aarch64', async (ctx) => {
    requireReferences(ctx, [QEMU_REF, GUESTS_REF, FSOPS_REF]);
    const [elfuse, qemu] = await Promise.all([
      runElfuse([guest('fsops'), scratch('elfuse')]),
      runQemu([guest('fsops'), scratch('qemu')]),
    ]);
    expect(qemu.stdout.toString()).toContain('\ndone\n');
    expectSameRun(elfuse, qemu);
  }, 60_000);

  const refs = referenceTools('cc');
  test.skipIf(process.platform !== 'linux' || refs.skip)(
    'both parts, openat2 and RWF_* flags included, match a native build on the host kernel',
    async (ctx) => {
      requireReferences(ctx, [GUESTS_REF, FSOPS_REF]);
      refs.check();
      const native = join(scratch('bin'), 'fsops-native');
      execFileSync('cc', ['-O1', '-o', native, join(ROOT, 'guests/src/fsops.c')]);
      expect(existsSync(native)).toBe(true);
      for (const part of [[], ['kernel-only']]) {
        const [elfuse, host] = await Promise.all([
          runElfuse([guest('fsops'), scratch('elfuse2'), ...part]),
          run(native, [scratch('native'), ...part]),
        ]);
        expect(host.stdout.toString()).toContain('\ndone\n');
        expectSameRun(elfuse, host);
      }
    },
    60_000,
  );
});
