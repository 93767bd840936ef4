/**
 * Small calls real programs make (guests/src/sysmisc.c): memfd_create,
 * personality, the scheduling-policy calls, the mlock family and
 * sync_file_range, under elfuse and, as the reference, the same source
 * built natively with gcc and run on this machine's kernel (qemu-user has
 * no mlock2). The program prints results only, so the outputs must be
 * equal byte for byte. Run as root in CI, where mlockall may lock.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { hasTools } from '../support/toolchain.js';
import { GUESTS_REF, ROOT, guest, requireReferences, run, runElfuse } from './helpers.js';

const SYSMISC_REF = { path: guest('sysmisc'), fix: 'bash scripts/build-guests.sh' };
let dir = '';
let native = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'elfuse-sysmisc-'));
  if (process.platform !== 'linux' || !hasTools('gcc')) return;
  native = join(dir, 'sysmisc');
  execFileSync('gcc', ['-O1', '-Wall', '-o', native, join(ROOT, 'guests/src/sysmisc.c')], { stdio: 'ignore' });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('memfd_create, personality, sched_*, mlock, sync_file_range: elfuse vs the host kernel', () => {
  test('the same results as the native build', async (ctx) => {
    requireReferences(ctx, [GUESTS_REF, SYSMISC_REF]);
    if (!native) {
      const why = 'needs a Linux host with gcc for the native reference (apt-get install gcc)';
      if (process.env.ELFUSE_ALLOW_MISSING_REFS === '1') ctx.skip(why);
      throw new Error(why);
    }
    const elfuse = await runElfuse([guest('sysmisc'), dir]);
    const linux = await run(native, [dir]);
    expect(linux.status, linux.stderr.toString()).toBe(0);
    expect(elfuse.stderr.toString()).toBe('');
    expect(elfuse.stdout.toString()).toBe(linux.stdout.toString());
    expect(elfuse.stdout.toString()).toContain('/proc/self/fd: /memfd:demo (deleted)');
    expect(elfuse.status).toBe(0);
  });
});
