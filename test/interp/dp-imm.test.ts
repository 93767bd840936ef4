/**
 * Data processing (immediate) on the interpreter, one behaviour per test.
 * Expected values are worked out by hand from the ARM ARM pseudocode
 * (AddWithCarry, DecodeBitMasks, the bitfield and move-wide operations).
 */
import { describe, expect, it } from 'vitest';
import { CODE, DATA, runAsm, regs, flags } from './harness.js';

const SP0 = BigInt(DATA + 0x8000); // the harness's initial SP
const M64 = (1n << 64n) - 1n;


describe('ADR and ADRP', () => {
  it('ADR adds the byte offset to the instruction address', () => {
    const m = runAsm([['ADR', { immlo: 1, immhi: 4, rd: 0 }], ['ADR', { immlo: 0, immhi: -1, rd: 1 }]]);
    expect(m.cpu.getX(0)).toBe(BigInt(CODE + 17));
    expect(m.cpu.getX(1)).toBe(BigInt(CODE + 4 - 4));
  });

  it('ADRP adds pages to the 4 KiB page of the instruction', () => {
    const m = runAsm([['ADD_imm', { sf: 1, sh: 0, imm12: 0, rn: 0, rd: 0 }], ['ADRP', { immlo: 1, immhi: 0, rd: 2 }], ['ADRP', { immlo: 3, immhi: -1, rd: 3 }]]);
    expect(m.cpu.getX(2)).toBe(BigInt(CODE + 0x1000));
    expect(m.cpu.getX(3)).toBe(BigInt(CODE - 0x1000));
  });
});

describe('ADD/SUB (immediate)', () => {
  it('adds a 12-bit immediate, optionally shifted by 12', () => {
    const m = runAsm([['ADD_imm', { sf: 1, sh: 0, imm12: 5, rn: 1, rd: 0 }], ['ADD_imm', { sf: 1, sh: 1, imm12: 1, rn: 1, rd: 2 }]], regs({ 1: 7n }));
    expect(m.cpu.getX(0)).toBe(12n);
    expect(m.cpu.getX(2)).toBe(7n + 4096n);
  });

  it('carries from the low word into the high word', () => {
    const m = runAsm([['ADD_imm', { sf: 1, sh: 0, imm12: 1, rn: 1, rd: 0 }]], regs({ 1: 0xffffffffn }));
    expect(m.cpu.getX(0)).toBe(0x100000000n);
  });

  it('register 31 is SP for ADD/SUB, both as source and destination', () => {
    const m = runAsm([['ADD_imm', { sf: 1, sh: 0, imm12: 0x10, rn: 31, rd: 0 }], ['SUB_imm', { sf: 1, sh: 0, imm12: 0x20, rn: 31, rd: 31 }]]);
    expect(m.cpu.getX(0)).toBe(SP0 + 0x10n);
    expect(m.cpu.getX(31)).toBe(SP0 - 0x20n);
  });

  it('W forms wrap at 32 bits and zero the upper half', () => {
    const m = runAsm([['ADD_imm', { sf: 0, sh: 0, imm12: 1, rn: 1, rd: 0 }], ['SUB_imm', { sf: 0, sh: 0, imm12: 1, rn: 3, rd: 2 }]], regs({ 1: 0x1ffffffffn, 3: 0xabcd00000000n }));
    expect(m.cpu.getX(0)).toBe(0n);
    expect(m.cpu.getX(2)).toBe(0xffffffffn);
  });

  it('SUBS sets Z and C for equal operands (no borrow)', () => {
    const m = runAsm([['SUBS_imm', { sf: 1, sh: 0, imm12: 5, rn: 1, rd: 0 }]], regs({ 1: 5n }));
    expect(m.cpu.getX(0)).toBe(0n);
    expect(flags(m)).toBe('-ZC-');
  });

  it('SUBS 0 - 1 borrows: N set, C clear', () => {
    const m = runAsm([['SUBS_imm', { sf: 1, sh: 0, imm12: 1, rn: 1, rd: 0 }]], regs({ 1: 0n }));
    expect(m.cpu.getX(0)).toBe(M64);
    expect(flags(m)).toBe('N---');
  });

  it('SUBS W 0x80000000 - 1 overflows: V and C set', () => {
    const m = runAsm([['SUBS_imm', { sf: 0, sh: 0, imm12: 1, rn: 1, rd: 0 }]], regs({ 1: 0x80000000n }));
    expect(m.cpu.getX(0)).toBe(0x7fffffffn);
    expect(flags(m)).toBe('--CV');
  });

  it('ADDS with rd 31 (CMN) writes XZR, not SP, and reads SP as rn', () => {
    const m = runAsm([['ADDS_imm', { sf: 1, sh: 0, imm12: 1, rn: 1, rd: 31 }], ['SUBS_imm', { sf: 1, sh: 0, imm12: 0, rn: 31, rd: 2 }]], regs({ 1: M64 }));
    expect(m.cpu.getX(31)).toBe(SP0);
    expect(m.cpu.getX(2)).toBe(SP0);
  });

  it('ADDS 0x7fffffffffffffff + 1 sets N and V', () => {
    const m = runAsm([['ADDS_imm', { sf: 1, sh: 0, imm12: 1, rn: 1, rd: 0 }]], regs({ 1: 0x7fffffffffffffffn }));
    expect(m.cpu.getX(0)).toBe(0x8000000000000000n);
    expect(flags(m)).toBe('N--V');
  });
});

describe('logical (immediate)', () => {
  it('AND with 0xff (N=1, immr=0, imms=7)', () => {
    const m = runAsm([['AND_imm', { sf: 1, N: 1, immr: 0, imms: 7, rn: 1, rd: 0 }]], regs({ 1: 0x123456789abcdefn }));
    expect(m.cpu.getX(0)).toBe(0xefn);
  });

  it('ORR with a replicated 16-bit element (0x00ff00ff00ff00ff)', () => {
    // imms 0b100111: 16-bit elements of 8 ones, no rotation.
    const m = runAsm([['ORR_imm', { sf: 1, N: 0, immr: 0, imms: 0b100111, rn: 1, rd: 0 }]], regs({ 1: 0x1000000000000000n }));
    expect(m.cpu.getX(0)).toBe(0x10ff00ff00ff00ffn);
  });

  it('ORR with rd 31 writes SP (mov sp, #imm)', () => {
    // 8 ones rotated right by 56: 0xff00.
    const m = runAsm([['ORR_imm', { sf: 1, N: 1, immr: 56, imms: 7, rn: 31, rd: 31 }]]);
    expect(m.cpu.getX(31)).toBe(0xff00n);
  });

  it('EOR on W registers zeroes the upper half', () => {
    const m = runAsm([['EOR_imm', { sf: 0, N: 0, immr: 0, imms: 0, rn: 1, rd: 0 }]], regs({ 1: 0xffffffff00000003n }));
    expect(m.cpu.getX(0)).toBe(2n);
  });

  it('ANDS sets N and Z, clears C and V; rd 31 is XZR', () => {
    const m = runAsm([['ANDS_imm', { sf: 1, N: 1, immr: 1, imms: 0, rn: 1, rd: 31 }]], regs({ 1: M64 }, 0b0011));
    expect(flags(m)).toBe('N---');
    expect(m.cpu.getX(31)).toBe(SP0);
    const z = runAsm([['ANDS_imm', { sf: 0, N: 0, immr: 0, imms: 0, rn: 1, rd: 0 }]], regs({ 1: 2n }));
    expect(flags(z)).toBe('-Z--');
  });
});

describe('move wide', () => {
  it('MOVZ places a halfword and clears the rest', () => {
    const m = runAsm([['MOVZ', { sf: 1, hw: 1, imm16: 0x1234, rd: 0 }]], regs({ 0: M64 }));
    expect(m.cpu.getX(0)).toBe(0x12340000n);
  });

  it('MOVN writes the inverse; the W form only 32 bits', () => {
    const m = runAsm([['MOVN', { sf: 1, hw: 0, imm16: 0, rd: 0 }], ['MOVN', { sf: 0, hw: 1, imm16: 0x8000, rd: 1 }]]);
    expect(m.cpu.getX(0)).toBe(M64);
    expect(m.cpu.getX(1)).toBe(0x7fffffffn);
  });

  it('MOVK keeps the other halfwords; the W form zeroes bits 63:32', () => {
    const m = runAsm([['MOVK', { sf: 1, hw: 3, imm16: 0xbeef, rd: 0 }], ['MOVK', { sf: 0, hw: 0, imm16: 0xbeef, rd: 1 }]], regs({ 0: 0x1111222233334444n, 1: 0x1111222233334444n }));
    expect(m.cpu.getX(0)).toBe(0xbeef222233334444n);
    expect(m.cpu.getX(1)).toBe(0x3333beefn);
  });
});

describe('bitfield moves and EXTR', () => {
  const X = 0xfedcba9876543210n;

  it('UBFM as LSR #4 and LSL #4', () => {
    const m = runAsm([['UBFM', { sf: 1, N: 1, immr: 4, imms: 63, rn: 1, rd: 0 }], ['UBFM', { sf: 1, N: 1, immr: 60, imms: 59, rn: 1, rd: 2 }]], regs({ 1: X }));
    expect(m.cpu.getX(0)).toBe(X >> 4n);
    expect(m.cpu.getX(2)).toBe((X << 4n) & M64);
  });

  it('UBFX #8, #12 and UBFIZ #8, #12', () => {
    const m = runAsm([['UBFM', { sf: 1, N: 1, immr: 8, imms: 19, rn: 1, rd: 0 }], ['UBFM', { sf: 1, N: 1, immr: 56, imms: 11, rn: 1, rd: 2 }]], regs({ 1: X }));
    expect(m.cpu.getX(0)).toBe(0x432n);
    expect(m.cpu.getX(2)).toBe(0x210n << 8n);
  });

  it('SBFM as SXTB, ASR #60 and SBFIZ', () => {
    const m = runAsm(
      [['SBFM', { sf: 1, N: 1, immr: 0, imms: 7, rn: 1, rd: 0 }], ['SBFM', { sf: 1, N: 1, immr: 60, imms: 63, rn: 1, rd: 2 }], ['SBFM', { sf: 0, N: 0, immr: 28, imms: 3, rn: 3, rd: 4 }]],
      regs({ 1: 0x80n, 3: 0xfn }),
    );
    expect(m.cpu.getX(0)).toBe(0xffffffffffffff80n);
    expect(m.cpu.getX(2)).toBe(0n);
    // sbfiz w4, w3, #4, #4: field 0b1111 = -1, shifted left 4, W result.
    expect(m.cpu.getX(4)).toBe(0xfffffff0n);
  });

  it('SBFX on a W register sign-extends within 32 bits', () => {
    const m = runAsm([['SBFM', { sf: 0, N: 0, immr: 4, imms: 7, rn: 1, rd: 0 }]], regs({ 1: 0xffffffff000000f0n }));
    expect(m.cpu.getX(0)).toBe(0xffffffffn);
  });

  it('BFI and BFXIL keep the other destination bits', () => {
    const m = runAsm(
      [['BFM', { sf: 1, N: 1, immr: 56, imms: 7, rn: 1, rd: 0 }], ['BFM', { sf: 1, N: 1, immr: 8, imms: 15, rn: 1, rd: 2 }]],
      regs({ 0: M64, 1: 0xabcdn, 2: 0x1111111111111111n }),
    );
    expect(m.cpu.getX(0)).toBe(0xffffffffffffcdffn);
    expect(m.cpu.getX(2)).toBe(0x11111111111111abn);
  });

  it('EXTR takes bits lsb+63..lsb of Xn:Xm; W form uses 32-bit halves', () => {
    const m = runAsm([['EXTR', { sf: 1, N: 1, rm: 2, imms: 8, rn: 1, rd: 0 }], ['EXTR', { sf: 0, N: 0, rm: 2, imms: 4, rn: 1, rd: 3 }]], regs({ 1: 0x1122334455667788n, 2: 0x99aabbccddeeff00n }));
    expect(m.cpu.getX(0)).toBe(0x8899aabbccddeeffn);
    expect(m.cpu.getX(3)).toBe(0x8ddeeff0n);
  });
});
