/**
 * Data processing (register) on the interpreter. Expected values are worked
 * out by hand from the ARM ARM pseudocode, or are published check values
 * (CRC-32 and CRC-32C of "123456789").
 */
import { describe, expect, it } from 'vitest';
import { DATA, runAsm, regs, flags } from './harness.js';

const SP0 = BigInt(DATA + 0x8000);
const M64 = (1n << 64n) - 1n;
const INT64_MIN = 0x8000000000000000n;


const sh = (name: string, sf: number, rd: number, rn: number, rm: number, shift = 0, imm6 = 0): [string, Record<string, number>] => [name, { sf, shift, rm, imm6, rn, rd }];
const r3 = (name: string, sf: number, rd: number, rn: number, rm: number): [string, Record<string, number>] => [name, { sf, rm, rn, rd }];

describe('logical (shifted register)', () => {
  it('ORR with XZR is mov; shifts apply to rm', () => {
    const m = runAsm([sh('ORR_shift', 1, 0, 31, 2), sh('ORR_shift', 1, 3, 1, 2, 0, 8)], regs({ 1: 0xf0n, 2: 0x1234n }));
    expect(m.cpu.getX(0)).toBe(0x1234n);
    expect(m.cpu.getX(3)).toBe(0x1234f0n);
  });

  it('BIC, ORN (mvn), EON invert the shifted operand', () => {
    const m = runAsm([sh('BIC_shift', 1, 0, 1, 2), sh('ORN_shift', 0, 3, 31, 2, 1, 4), sh('EON_shift', 1, 4, 1, 2, 3, 4)], regs({ 1: 0xffn, 2: 0xf0000000000000f0n }));
    expect(m.cpu.getX(0)).toBe(0x0fn);
    expect(m.cpu.getX(3)).toBe(0xfffffff0n); // ~(0xf0 >> 4) as W
    expect(m.cpu.getX(4)).toBe(0xffn ^ (~0x0f0000000000000fn & M64));
  });

  it('ANDS/BICS set N and Z and clear C, V', () => {
    const m = runAsm([sh('ANDS_shift', 1, 31, 1, 2, 2, 0)], regs({ 1: INT64_MIN, 2: INT64_MIN }, 0b0011));
    expect(flags(m)).toBe('N---');
    const z = runAsm([sh('BICS_shift', 0, 0, 1, 1)], regs({ 1: 0x1234n }));
    expect(z.cpu.getX(0)).toBe(0n);
    expect(flags(z)).toBe('-Z--');
  });
});

describe('ADD/SUB (shifted and extended register)', () => {
  it('ADD with ASR and SUB with LSL', () => {
    const m = runAsm([sh('ADD_shift', 1, 0, 1, 2, 2, 4), sh('SUB_shift', 1, 3, 1, 2, 0, 1)], regs({ 1: 100n, 2: M64 - 31n }));
    expect(m.cpu.getX(0)).toBe(98n); // -32 >> 4 = -2
    expect(m.cpu.getX(3)).toBe(164n); // 100 - (-64)
  });

  it('ADDS signed overflow and unsigned carry', () => {
    const m = runAsm([sh('ADDS_shift', 1, 0, 1, 2)], regs({ 1: INT64_MIN, 2: INT64_MIN }));
    expect(m.cpu.getX(0)).toBe(0n);
    expect(flags(m)).toBe('-ZCV');
  });

  it('SUBS (CMP) of W registers ignores the upper halves', () => {
    const m = runAsm([sh('SUBS_shift', 0, 31, 1, 2)], regs({ 1: 0xffffffff00000005n, 2: 0x5n }));
    expect(flags(m)).toBe('-ZC-');
  });

  it('ADD (extended) reads SP as rn and writes SP as rd', () => {
    const m = runAsm([['ADD_ext', { sf: 1, rm: 1, option: 2, imm3: 2, rn: 31, rd: 31 }]], regs({ 1: 0xffffffff00000004n }));
    expect(m.cpu.getX(31)).toBe(SP0 + 16n); // uxtw #2 of w1 = 4
  });

  it('SUB (extended) with SXTB and SXTH', () => {
    const m = runAsm([['SUB_ext', { sf: 1, rm: 1, option: 4, imm3: 0, rn: 2, rd: 0 }], ['ADD_ext', { sf: 1, rm: 1, option: 5, imm3: 1, rn: 2, rd: 3 }]], regs({ 1: 0x80ffn, 2: 10n }));
    expect(m.cpu.getX(0)).toBe(11n); // 10 - (-1)
    expect(m.cpu.getX(3)).toBe((10n - 0x7f01n * 2n) & M64); // 10 + sxth(0x80ff) * 2
  });

  it('SUBS (extended) with rd 31 is CMP and writes nothing', () => {
    const m = runAsm([['SUBS_ext', { sf: 1, rm: 1, option: 3, imm3: 0, rn: 31, rd: 31 }]], regs({ 1: SP0 }));
    expect(flags(m)).toBe('-ZC-');
    expect(m.cpu.getX(31)).toBe(SP0);
  });
});

describe('with carry', () => {
  it('ADC adds C; ADCS carries out of bit 63', () => {
    const m = runAsm([r3('ADC', 1, 0, 1, 2), r3('ADCS', 1, 3, 4, 4)], regs({ 1: 5n, 2: 6n, 4: M64 }, 0b0010));
    expect(m.cpu.getX(0)).toBe(12n);
    expect(m.cpu.getX(3)).toBe(M64); // -1 + -1 + 1
    expect(flags(m)).toBe('N-C-');
  });

  it('SBC subtracts NOT(C); NGC with C clear is -x - 1', () => {
    const m = runAsm([r3('SBC', 1, 0, 1, 2), r3('SBCS', 0, 3, 31, 2)], regs({ 1: 10n, 2: 3n }, 0));
    expect(m.cpu.getX(0)).toBe(6n);
    expect(m.cpu.getX(3)).toBe(0xfffffffcn); // 0 + ~3 + C(0)
    expect(flags(m)).toBe('N---');
  });
});

describe('conditional compare and select', () => {
  it('CCMP compares when the condition holds, else loads nzcv', () => {
    const eq = runAsm([['CCMP_imm', { sf: 1, imm5: 5, cond: 0, rn: 1, nzcv: 0b1000 }]], regs({ 1: 5n }, 0b0100));
    expect(flags(eq)).toBe('-ZC-');
    const ne = runAsm([['CCMP_imm', { sf: 1, imm5: 5, cond: 0, rn: 1, nzcv: 0b1001 }]], regs({ 1: 5n }, 0));
    expect(flags(ne)).toBe('N--V');
  });

  it('CCMN (register) adds', () => {
    const m = runAsm([['CCMN_reg', { sf: 0, rm: 2, cond: 14, rn: 1, nzcv: 0 }]], regs({ 1: 1n, 2: 0xffffffffn }));
    expect(flags(m)).toBe('-ZC-');
  });

  it('CSEL, CSINC, CSINV, CSNEG pick rn or transform rm', () => {
    const insns: [string, Record<string, number>][] = [
      ['CSEL', { sf: 1, rm: 2, cond: 1, rn: 1, rd: 3 }], // ne false (Z set): rm
      ['CSINC', { sf: 1, rm: 31, cond: 1, rn: 31, rd: 4 }], // cset x4, eq
      ['CSINV', { sf: 0, rm: 2, cond: 1, rn: 1, rd: 5 }],
      ['CSNEG', { sf: 1, rm: 2, cond: 1, rn: 1, rd: 6 }],
      ['CSNEG', { sf: 1, rm: 2, cond: 0, rn: 1, rd: 7 }],
    ];
    const m = runAsm(insns, regs({ 1: 11n, 2: 7n }, 0b0100));
    expect(m.cpu.getX(3)).toBe(7n);
    expect(m.cpu.getX(4)).toBe(1n);
    expect(m.cpu.getX(5)).toBe(0xfffffff8n);
    expect(m.cpu.getX(6)).toBe(M64 - 6n);
    expect(m.cpu.getX(7)).toBe(11n);
  });

  it('CSINC of all-ones wraps to zero', () => {
    const m = runAsm([['CSINC', { sf: 1, rm: 2, cond: 15, rn: 1, rd: 0 }], ['CSINC', { sf: 1, rm: 2, cond: 1, rn: 1, rd: 3 }]], regs({ 1: 9n, 2: M64 }, 0b0100));
    expect(m.cpu.getX(0)).toBe(9n); // NV always holds
    expect(m.cpu.getX(3)).toBe(0n);
  });
});

describe('1 source', () => {
  const X = 0x0123456789abcdefn;
  it('RBIT, REV, REV16, REV32', () => {
    const m = runAsm(
      [r3('RBIT', 1, 0, 1, 0), ['REV', { sf: 1, o: 1, rn: 1, rd: 2 }], ['REV16', { sf: 1, rn: 1, rd: 3 }], ['REV32', { rn: 1, rd: 4 }], ['REV', { sf: 0, o: 0, rn: 1, rd: 5 }], ['RBIT', { sf: 0, rn: 6, rd: 6 }]],
      regs({ 1: X, 6: 1n }),
    );
    expect(m.cpu.getX(0)).toBe(0xf7b3d591e6a2c480n);
    expect(m.cpu.getX(2)).toBe(0xefcdab8967452301n);
    expect(m.cpu.getX(3)).toBe(0x23016745ab89efcdn);
    expect(m.cpu.getX(4)).toBe(0x67452301efcdab89n);
    expect(m.cpu.getX(5)).toBe(0xefcdab89n);
    expect(m.cpu.getX(6)).toBe(0x80000000n);
  });

  it('CLZ and CLS', () => {
    const m = runAsm(
      [['CLZ', { sf: 1, rn: 1, rd: 0 }], ['CLZ', { sf: 1, rn: 31, rd: 2 }], ['CLS', { sf: 1, rn: 3, rd: 4 }], ['CLS', { sf: 0, rn: 5, rd: 6 }], ['CLZ', { sf: 0, rn: 1, rd: 7 }]],
      regs({ 1: 0x80000000n, 3: 0xfff0000000000000n, 5: 0x00010000n }),
    );
    expect(m.cpu.getX(0)).toBe(32n);
    expect(m.cpu.getX(2)).toBe(64n);
    expect(m.cpu.getX(4)).toBe(11n);
    expect(m.cpu.getX(6)).toBe(14n);
    expect(m.cpu.getX(7)).toBe(0n);
  });
});

describe('2 source', () => {
  it('UDIV and SDIV by zero give zero', () => {
    const m = runAsm([r3('UDIV', 1, 0, 1, 2), r3('SDIV', 1, 3, 1, 2), r3('SDIV', 0, 4, 1, 2)], regs({ 1: 1234n, 2: 0n }));
    expect([m.cpu.getX(0), m.cpu.getX(3), m.cpu.getX(4)]).toEqual([0n, 0n, 0n]);
  });

  it('SDIV INT_MIN / -1 is INT_MIN (64 and 32 bit)', () => {
    const m = runAsm([r3('SDIV', 1, 0, 1, 2), r3('SDIV', 0, 3, 4, 2)], regs({ 1: INT64_MIN, 2: M64, 4: 0x80000000n }));
    expect(m.cpu.getX(0)).toBe(INT64_MIN);
    expect(m.cpu.getX(3)).toBe(0x80000000n);
  });

  it('SDIV rounds towards zero; UDIV of large values is exact', () => {
    const m = runAsm([r3('SDIV', 1, 0, 1, 2), r3('UDIV', 1, 3, 4, 5), r3('SDIV', 0, 6, 7, 2)], regs({ 1: M64 - 6n, 2: 2n, 4: M64, 5: 3n, 7: 0xfffffff9n }));
    expect(m.cpu.getX(0)).toBe(M64 - 2n); // -7 / 2 = -3
    expect(m.cpu.getX(3)).toBe(0x5555555555555555n);
    expect(m.cpu.getX(6)).toBe(0xfffffffdn);
  });

  it('variable shifts take the amount modulo the register size', () => {
    const m = runAsm([r3('LSLV', 1, 0, 1, 2), r3('LSRV', 0, 3, 1, 2), r3('ASRV', 1, 4, 5, 2), r3('RORV', 1, 6, 1, 7)], regs({ 1: 0x81n, 2: 65n, 5: INT64_MIN, 7: 4n }));
    expect(m.cpu.getX(0)).toBe(0x102n);
    expect(m.cpu.getX(3)).toBe(0x40n);
    expect(m.cpu.getX(4)).toBe(0xc000000000000000n);
    expect(m.cpu.getX(6)).toBe(0x1000000000000008n);
  });

  it('CRC32 and CRC32C of "123456789" give the published check values', () => {
    const bytes = [...'123456789'].map((c) => BigInt(c.charCodeAt(0)));
    const le = (bs: bigint[]) => bs.reduce((acc, b, i) => acc | (b << BigInt(8 * i)), 0n);
    const inputs = regs({ 0: 0xffffffffn, 1: le(bytes.slice(0, 8)), 2: bytes[8]!, 3: 0xffffffffn, 4: le(bytes.slice(0, 4)), 5: le(bytes.slice(4, 6)), 6: le(bytes.slice(6, 8)) });
    const crc = runAsm([r3('CRC32X', 1, 0, 0, 1), r3('CRC32B', 0, 0, 0, 2), r3('CRC32W', 0, 3, 3, 4), r3('CRC32H', 0, 3, 3, 5), r3('CRC32H', 0, 3, 3, 6), r3('CRC32B', 0, 3, 3, 2)], inputs);
    expect(crc.cpu.getX(0) ^ 0xffffffffn).toBe(0xcbf43926n);
    expect(crc.cpu.getX(3) ^ 0xffffffffn).toBe(0xcbf43926n);
    const c = runAsm([r3('CRC32CX', 1, 0, 0, 1), r3('CRC32CB', 0, 0, 0, 2), r3('CRC32CW', 0, 3, 3, 4), r3('CRC32CH', 0, 3, 3, 5), r3('CRC32CH', 0, 3, 3, 6), r3('CRC32CB', 0, 3, 3, 2)], inputs);
    expect(c.cpu.getX(0) ^ 0xffffffffn).toBe(0xe3069283n);
    expect(c.cpu.getX(3) ^ 0xffffffffn).toBe(0xe3069283n);
  });
});

describe('3 source', () => {
  const m4 = (name: string, sf: number, rd: number, rn: number, rm: number, ra: number): [string, Record<string, number>] => [name, { sf, rm, ra, rn, rd }];
  const l4 = (name: string, rd: number, rn: number, rm: number, ra: number): [string, Record<string, number>] => [name, { rm, ra, rn, rd }];

  it('MADD/MSUB keep the low 64 (or 32) bits', () => {
    const m = runAsm([m4('MADD', 1, 0, 1, 2, 3), m4('MSUB', 1, 4, 1, 2, 31), m4('MADD', 0, 5, 1, 2, 3)], regs({ 1: 0x100000001n, 2: 0x100000001n, 3: 5n }));
    expect(m.cpu.getX(0)).toBe(0x200000006n);
    expect(m.cpu.getX(4)).toBe((-(0x200000001n)) & M64);
    expect(m.cpu.getX(5)).toBe(6n);
  });

  it('SMULL, UMULL, SMSUBL, UMSUBL use W sources', () => {
    const m = runAsm([l4('SMADDL', 0, 1, 2, 31), l4('UMADDL', 3, 1, 1, 31), l4('SMSUBL', 4, 1, 2, 5), l4('UMSUBL', 6, 1, 2, 5)], regs({ 1: 0xffffffffn, 2: 2n, 5: 10n }));
    expect(m.cpu.getX(0)).toBe(M64 - 1n); // -1 * 2
    expect(m.cpu.getX(3)).toBe(0xfffffffe00000001n);
    expect(m.cpu.getX(4)).toBe(12n); // 10 - (-2)
    expect(m.cpu.getX(6)).toBe((10n - 0x1fffffffen) & M64);
  });

  it('SMULH and UMULH give the high half of the 128-bit product', () => {
    const m = runAsm([l4('SMULH', 0, 1, 1, 31), l4('UMULH', 2, 1, 1, 31), l4('SMULH', 3, 4, 4, 31), l4('SMULH', 5, 1, 6, 31)], regs({ 1: M64, 4: INT64_MIN, 6: 2n }));
    expect(m.cpu.getX(0)).toBe(0n); // -1 * -1 = 1
    expect(m.cpu.getX(2)).toBe(M64 - 1n);
    expect(m.cpu.getX(3)).toBe(1n << 62n);
    expect(m.cpu.getX(5)).toBe(M64); // -2 has high half -1
  });
});
