/**
 * Property tests of the integer data-processing semantics on the
 * interpreter, against BigInt models written from the ARM ARM pseudocode:
 * AddWithCarry (ADDS/SUBS/ADCS flags), the variable shifts, the bitfield
 * aliases (UBFX/UBFIZ/SBFX/SBFIZ/BFXIL/BFI field definitions), multiply
 * (MADD/MSUB, SMULH/UMULH) and divide (UDIV/SDIV, with x/0 = 0), each for
 * random 64-bit and 32-bit operands.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encode } from '../../src/domain/a64/assembler.js';
import { ExitReason } from '../../src/ports/vcpu.js';
import { CODE, machine } from '../interp/harness.js';

const RUNS = { numRuns: 300 };
const mask = (bits: number) => (1n << BigInt(bits)) - 1n;
const sint = (v: bigint, bits: number) => BigInt.asIntN(bits, v);
const uint = (v: bigint, bits: number) => BigInt.asUintN(bits, v);

// One machine; every distinct instruction word gets its own address so the
// decoded-page cache never holds a stale closure.
const m = machine();
const dv = new DataView(m.ram.buffer, m.ram.byteOffset);
const HVC0 = encode('HVC', { imm16: 0 });
const slots = new Map<number, number>();

function exec(name: string, fields: Record<string, number>, x: Record<number, bigint>, nzcv = 0): void {
  const word = encode(name, fields);
  let at = slots.get(word);
  if (at === undefined) {
    at = CODE + 8 * slots.size;
    slots.set(word, at);
    dv.setUint32(at, word, true);
    dv.setUint32(at + 4, HVC0, true);
  }
  for (const [r, v] of Object.entries(x)) m.cpu.setX(Number(r), v);
  m.cpu.nzcv = nzcv << 28;
  m.cpu.pc = at;
  if (m.cpu.run().reason !== ExitReason.EXCEPTION) throw new Error(`${name} did not reach HVC`);
}

const nzcvOf = () => m.cpu.nzcv >>> 28;

/** AddWithCarry(x, y, carry_in) from the ARM ARM: result and NZCV as a 4-bit number. */
function addWithCarry(x: bigint, y: bigint, cin: bigint, bits: number): [bigint, number] {
  const unsignedSum = x + y + cin;
  const signedSum = sint(x, bits) + sint(y, bits) + cin;
  const result = uint(unsignedSum, bits);
  const n = Number(result >> BigInt(bits - 1));
  const z = result === 0n ? 1 : 0;
  const c = result === unsignedSum ? 0 : 1;
  const v = sint(result, bits) === signedSum ? 0 : 1;
  return [result, (n << 3) | (z << 2) | (c << 1) | v];
}

const u64 = fc.bigInt({ min: 0n, max: mask(64) });
const sf = fc.constantFrom(0, 1);

describe('AddWithCarry flags', () => {
  it('ADDS, SUBS and ADCS match the model', () => {
    fc.assert(
      fc.property(sf, u64, u64, fc.integer({ min: 0, max: 15 }), (s, a, b, flags) => {
        const bits = s ? 64 : 32;
        const [ra, rb] = [uint(a, bits), uint(b, bits)];
        const carry = BigInt((flags >> 1) & 1);
        const cases: [string, bigint, bigint][] = [
          ['ADDS_shift', rb, 0n],
          ['SUBS_shift', uint(~rb, bits), 1n],
        ];
        for (const [name, y, cin] of cases) {
          exec(name, { sf: s, shift: 0, rm: 2, imm6: 0, rn: 1, rd: 0 }, { 1: a, 2: b }, flags);
          const [res, nzcv] = addWithCarry(ra, y, cin, bits);
          expect([m.cpu.getX(0), nzcvOf()]).toEqual([res, nzcv]);
        }
        exec('ADCS', { sf: s, rm: 2, rn: 1, rd: 0 }, { 1: a, 2: b }, flags);
        const [res, nzcv] = addWithCarry(ra, rb, carry, bits);
        expect([m.cpu.getX(0), nzcvOf()]).toEqual([res, nzcv]);
      }),
      RUNS,
    );
  });
});

describe('variable shifts', () => {
  it('LSLV, LSRV, ASRV, RORV use the amount modulo the size', () => {
    fc.assert(
      fc.property(sf, u64, u64, (s, a, amount) => {
        const bits = s ? 64 : 32;
        const v = uint(a, bits);
        const n = amount % BigInt(bits);
        const want: Record<string, bigint> = {
          LSLV: uint(v << n, bits),
          LSRV: v >> n,
          ASRV: uint(sint(v, bits) >> n, bits),
          RORV: uint((v >> n) | (v << (BigInt(bits) - n)), bits),
        };
        for (const [name, w] of Object.entries(want)) {
          exec(name, { sf: s, rm: 2, rn: 1, rd: 0 }, { 1: a, 2: amount });
          expect(m.cpu.getX(0)).toBe(w);
        }
      }),
      RUNS,
    );
  });
});

describe('bitfield moves', () => {
  /** The field aliases' definitions: extract when imms >= immr, insert otherwise. */
  function model(kind: string, bits: number, dst: bigint, src: bigint, immr: number, imms: number): bigint {
    const signed = kind === 'SBFM';
    let width: number;
    let field: bigint;
    let pos: number;
    if (imms >= immr) {
      width = imms - immr + 1;
      field = (src >> BigInt(immr)) & mask(width);
      pos = 0;
    } else {
      width = imms + 1;
      field = src & mask(width);
      pos = bits - immr;
    }
    if (kind === 'BFM') {
      const fmask = mask(width) << BigInt(pos);
      return uint((dst & ~fmask) | (field << BigInt(pos)), bits);
    }
    const value = signed ? sint(field, width) : field;
    return uint(value << BigInt(pos), bits);
  }

  it('SBFM, BFM and UBFM match the field model', () => {
    fc.assert(
      fc.property(sf, u64, u64, fc.nat(63), fc.nat(63), fc.constantFrom('SBFM', 'BFM', 'UBFM'), (s, d, n, r, sz, kind) => {
        const bits = s ? 64 : 32;
        const immr = r % bits;
        const imms = sz % bits;
        exec(kind, { sf: s, N: s, immr, imms, rn: 1, rd: 0 }, { 0: d, 1: n });
        expect(m.cpu.getX(0)).toBe(model(kind, bits, uint(d, bits), uint(n, bits), immr, imms));
      }),
      RUNS,
    );
  });
});

describe('multiply', () => {
  it('MADD and MSUB keep the low bits of a +/- n*m', () => {
    fc.assert(
      fc.property(sf, u64, u64, u64, (s, a, n, mm) => {
        const bits = s ? 64 : 32;
        const p = uint(n, bits) * uint(mm, bits);
        exec('MADD', { sf: s, rm: 2, ra: 3, rn: 1, rd: 0 }, { 1: n, 2: mm, 3: a });
        expect(m.cpu.getX(0)).toBe(uint(a + p, bits));
        exec('MSUB', { sf: s, rm: 2, ra: 3, rn: 1, rd: 0 }, { 1: n, 2: mm, 3: a });
        expect(m.cpu.getX(0)).toBe(uint(a - p, bits));
      }),
      RUNS,
    );
  });

  it('SMULH and UMULH are the high half of the 128-bit product', () => {
    fc.assert(
      fc.property(u64, u64, (a, b) => {
        exec('UMULH', { rm: 2, ra: 31, rn: 1, rd: 0 }, { 1: a, 2: b });
        expect(m.cpu.getX(0)).toBe((a * b) >> 64n);
        exec('SMULH', { rm: 2, ra: 31, rn: 1, rd: 0 }, { 1: a, 2: b });
        expect(m.cpu.getX(0)).toBe(uint((sint(a, 64) * sint(b, 64)) >> 64n, 64));
      }),
      RUNS,
    );
  });

  it('SMADDL and UMADDL widen W operands', () => {
    fc.assert(
      fc.property(u64, u64, u64, (a, n, mm) => {
        exec('UMADDL', { rm: 2, ra: 3, rn: 1, rd: 0 }, { 1: n, 2: mm, 3: a });
        expect(m.cpu.getX(0)).toBe(uint(a + uint(n, 32) * uint(mm, 32), 64));
        exec('SMSUBL', { rm: 2, ra: 3, rn: 1, rd: 0 }, { 1: n, 2: mm, 3: a });
        expect(m.cpu.getX(0)).toBe(uint(a - sint(n, 32) * sint(mm, 32), 64));
      }),
      RUNS,
    );
  });
});

describe('divide', () => {
  it('UDIV and SDIV truncate towards zero; x/0 = 0; INT_MIN/-1 = INT_MIN', () => {
    const operand = fc.oneof(u64, fc.constantFrom(0n, 1n, mask(64), 1n << 63n, mask(32), 1n << 31n), fc.bigInt({ min: 0n, max: 1n << 20n }));
    fc.assert(
      fc.property(sf, operand, operand, (s, a, b) => {
        const bits = s ? 64 : 32;
        const [ua, ub] = [uint(a, bits), uint(b, bits)];
        exec('UDIV', { sf: s, rm: 2, rn: 1, rd: 0 }, { 1: a, 2: b });
        expect(m.cpu.getX(0)).toBe(ub === 0n ? 0n : ua / ub);
        exec('SDIV', { sf: s, rm: 2, rn: 1, rd: 0 }, { 1: a, 2: b });
        const [sa, sb] = [sint(a, bits), sint(b, bits)];
        expect(m.cpu.getX(0)).toBe(sb === 0n ? 0n : uint(sa / sb, bits));
      }),
      RUNS,
    );
  });
});
