/**
 * Alignment as an M1 with FEAT_LSE2 and Linux's SCTLR_EL1.SA0 behave, end
 * to end (guests/src/align.c): unaligned load-acquire and LSE atomics inside
 * a 16-byte block work, crossing one (and any unaligned exclusive) is
 * SIGBUS/BUS_ADRALN at the address; a load based on a misaligned SP is
 * SIGBUS/BUS_ADRALN at the SP. qemu-aarch64 7.2 implements neither FEAT_LSE2
 * nor SP alignment checking, so the expected lines come from the ARM ARM
 * (CheckAlignment, CheckSPAlignment) and Linux (do_alignment_fault,
 * do_sp_pc_abort: si_code BUS_ADRALN = 1), not from running qemu.
 */
import { describe, expect, test } from 'vitest';
import { GUESTS_REF, guest, requireReferences, runElfuse } from './helpers.js';

const ALIGN_REF = { path: guest('align'), fix: 'bash scripts/build-guests.sh' };

describe('alignment', () => {
  test('FEAT_LSE2 and SP alignment faults reach the guest as SIGBUS/BUS_ADRALN', async (ctx) => {
    requireReferences(ctx, [GUESTS_REF, ALIGN_REF]);
    const r = await runElfuse([guest('align')]);
    expect(r.stderr.toString()).toBe('');
    expect(r.stdout.toString()).toBe(
      [
        'ldar x, +1 inside 16: ok',
        '  value 1817161514131211',
        'ldar x, crossing 16: signal 7 code 1 addr as expected',
        'stlr w, crossing 16: signal 7 code 1 addr as expected',
        'ldadd x, +4 inside 16: ok',
        '  old 2b2a292827262524',
        'ldxr x, +4: signal 7 code 1 addr as expected',
        'ldr from sp - 8: signal 7 code 1 addr as expected',
        'add sp, sp, #8 and back (no access): ok',
        '',
      ].join('\n'),
    );
    expect(r.status).toBe(0);
  });
});
