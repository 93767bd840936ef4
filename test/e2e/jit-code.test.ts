/**
 * Guests that generate code, against qemu-aarch64, on every interpreter tier
 * (closures only, blocks translated when hot, every block translated before
 * its first run): guests/src/jit-code.c writes code to a read-write page and
 * mprotects it executable, rewrites a read-write-execute page between calls,
 * and runs code that stores into its own RWX page (out of line, xol.ts);
 * guests/src/rwx-segment.S is linked with `ld -n`, so its text, data and
 * .bss share one RWX PT_LOAD segment.
 */
import { describe, expect, test } from 'vitest';
import { GUESTS_REF, QEMU_REF, expectSameRun, guest, requireReferences, runElfuse, runQemu } from './helpers.js';

const TIERS: readonly [string, string][] = [['closures', 'off'], ['translated when hot', '16'], ['translated before the first run', '0']];

describe('self-modifying and JIT-generating guests', () => {
  for (const name of ['jit-code', 'rwx-segment']) {
    for (const [tier, jit] of TIERS) {
      test(`${name} on ${tier} runs as under qemu-aarch64`, async (ctx) => {
        requireReferences(ctx, [QEMU_REF, GUESTS_REF, { path: guest(name), fix: 'bash scripts/build-guests.sh' }]);
        const [elfuse, qemu] = await Promise.all([runElfuse([guest(name)], { env: { ELFUSE_INTERP_JIT: jit } }), runQemu([guest(name)])]);
        expect(qemu.status).toBe(0);
        expectSameRun(elfuse, qemu);
      });
    }
  }
});
