/**
 * Property: Advanced SIMD saturating add/subtract (SQADD, UQADD, SQSUB,
 * UQSUB) on every lane size agree with a BigInt model of the ARM ARM's
 * SatQ/SignedSatQ/UnsignedSatQ: the exact sum or difference clamped to the
 * lane's range, and FPSR.QC set (sticky) exactly when some lane clamped.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runAsm } from '../interp/harness.js';

const QC = 1 << 27;

type Op = 'SQADD_vec' | 'UQADD_vec' | 'SQSUB_vec' | 'UQSUB_vec';

function lane(bytes: Uint8Array, i: number, esize: number, signed: boolean): bigint {
  let v = 0n;
  for (let b = esize / 8 - 1; b >= 0; b--) v = (v << 8n) | BigInt(bytes[i * (esize / 8) + b]!);
  return signed ? BigInt.asIntN(esize, v) : v;
}

/** The model: exact result, clamped; `sat` reports whether it clamped. */
function model(op: Op, a: bigint, b: bigint, esize: number): { v: bigint; sat: boolean } {
  const signed = op.startsWith('S');
  const exact = op.includes('ADD') ? a + b : a - b;
  const min = signed ? -(1n << BigInt(esize - 1)) : 0n;
  const max = signed ? (1n << BigInt(esize - 1)) - 1n : (1n << BigInt(esize)) - 1n;
  if (exact < min) return { v: min, sat: true };
  if (exact > max) return { v: max, sat: true };
  return { v: exact, sat: false };
}

/** Lanes biased to the edges, where saturation happens. */
const laneBytes = fc.uint8Array({ minLength: 16, maxLength: 16 }).chain((bytes) =>
  fc.constantFrom(0, 1, 2).map((bias) => {
    const out = Uint8Array.from(bytes);
    if (bias === 1) for (let i = 0; i < 16; i += 2) out[i + 1] = 0x7f | (out[i]! & 0x80);
    if (bias === 2) for (let i = 0; i < 16; i++) out[i] = out[i]! & 0x81;
    return out;
  }),
);

describe('saturating add and subtract', () => {
  it('match the clamped BigInt model and set FPSR.QC exactly when a lane saturates', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<Op>('SQADD_vec', 'UQADD_vec', 'SQSUB_vec', 'UQSUB_vec'),
        fc.integer({ min: 0, max: 3 }),
        laneBytes,
        laneBytes,
        (op, size, a, b) => {
          const esize = 8 << size;
          const m = runAsm([[op, { q: 1, size, rm: 2, rn: 1, rd: 3 }]], (mm) => {
            mm.cpu.vb.set(a, 16);
            mm.cpu.vb.set(b, 32);
            mm.cpu.fpsr = 0;
          });
          const signed = op.startsWith('S');
          const out = m.cpu.vb.slice(48, 64);
          let anySat = false;
          for (let i = 0; i < 128 / esize; i++) {
            const r = model(op, lane(a, i, esize, signed), lane(b, i, esize, signed), esize);
            anySat ||= r.sat;
            expect(lane(out, i, esize, signed), `${op} size ${size} lane ${i}`).toBe(r.v);
          }
          expect((m.cpu.fpsr & QC) !== 0, `${op} QC`).toBe(anySat);
        },
      ),
      { numRuns: 1500, seed: 0x5a7 },
    );
  });
});
