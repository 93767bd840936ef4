/**
 * WFE and WFI in a user program (guests/src/wfx.c) against qemu-aarch64:
 * they return, and a WFI loop waiting for an interval timer sees its ticks.
 */
import { describe, test } from 'vitest';
import { GUESTS_REF, QEMU_REF, expectSameRun, guest, requireReferences, runBoth } from './helpers.js';

describe('WFE and WFI', () => {
  test('wfx.c runs as under qemu-aarch64', async (ctx) => {
    requireReferences(ctx, [QEMU_REF, GUESTS_REF, { path: guest('wfx'), fix: 'bash scripts/build-guests.sh' }]);
    const { elfuse, qemu } = await runBoth([guest('wfx')]);
    expectSameRun(elfuse, qemu);
  });
});
