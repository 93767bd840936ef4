/**
 * Branches, exception generation and system instructions on the interpreter.
 * References: ConditionHolds as the ARM ARM states it (shared/functions/
 * system/ConditionHolds), ESR_EL1/ELR_EL1 values from the ARM ARM exception
 * model (D1.10), and BigInt bit tests.
 */
import { describe, expect, test } from 'vitest';
import { encode } from '../../src/domain/a64/assembler.js';
import { SysReg } from '../../src/ports/vcpu.js';
import { CODE, DATA, runWords, type Machine } from './harness.js';

const HVC = (imm16: number): number => encode('HVC', { imm16 });
/** Index of the HVC that stopped the run: the PC is past it. */
const stopIndex = (m: Machine): number => (m.cpu.pc - 4 - CODE) / 4;

/** ConditionHolds, transcribed from the ARM ARM pseudocode (cond<3:1> selects, cond<0> inverts except 1111). */
function conditionHolds(cond: number, n: number, z: number, c: number, v: number): boolean {
  let result: boolean;
  switch (cond >> 1) {
    case 0: result = z === 1; break;
    case 1: result = c === 1; break;
    case 2: result = n === 1; break;
    case 3: result = v === 1; break;
    case 4: result = c === 1 && z === 0; break;
    case 5: result = n === v; break;
    case 6: result = n === v && z === 0; break;
    default: result = true;
  }
  if ((cond & 1) === 1 && cond !== 15) result = !result;
  return result;
}

describe('B.cond', () => {
  test('every condition against every NZCV value', () => {
    for (let cond = 0; cond < 16; cond++) {
      for (let nzcv = 0; nzcv < 16; nzcv++) {
        // word 0: B.cond to word 2; word 1: HVC #1; word 2: HVC #0 (appended).
        const m = runWords([encode('B_cond', { imm19: 2, cond }), HVC(1)], (mm) => {
          mm.cpu.nzcv = nzcv << 28;
        });
        const [n, z, c, v] = [(nzcv >> 3) & 1, (nzcv >> 2) & 1, (nzcv >> 1) & 1, nzcv & 1];
        expect(stopIndex(m), `cond ${cond} nzcv ${nzcv}`).toBe(conditionHolds(cond, n, z, c, v) ? 2 : 1);
      }
    }
  });

  test('backward target', () => {
    // 0: B 2 -> 2: B.AL -1 -> 1: HVC #0
    const m = runWords([encode('B', { imm26: 2 }), HVC(0), encode('B_cond', { imm19: -1, cond: 14 }), HVC(7)]);
    expect(stopIndex(m)).toBe(1);
  });
});

describe('B, BL, BR, BLR, RET', () => {
  test('BL links the next instruction and branches', () => {
    const m = runWords([HVC(9), encode('BL', { imm26: 2 }), HVC(1), HVC(0)], (mm) => {
      mm.cpu.pc = CODE + 4;
    });
    expect(stopIndex(m)).toBe(3);
    expect(m.cpu.getX(30)).toBe(BigInt(CODE + 8));
  });

  test('B with a negative offset', () => {
    const m = runWords([HVC(0), encode('B', { imm26: -1 })], (mm) => {
      mm.cpu.pc = CODE + 4;
    });
    expect(stopIndex(m)).toBe(0);
  });

  test('BR and RET go to the register; RET defaults to X30', () => {
    const target = BigInt(CODE + 12);
    const br = runWords([encode('BR', { rn: 5 }), HVC(1), HVC(2), HVC(0)], (mm) => mm.cpu.setX(5, target));
    expect(stopIndex(br)).toBe(3);
    const ret = runWords([encode('RET', { rn: 30 }), HVC(1), HVC(2), HVC(0)], (mm) => mm.cpu.setX(30, target));
    expect(stopIndex(ret)).toBe(3);
  });

  test('BLR X30 branches to the old X30 and links the next instruction', () => {
    const m = runWords([encode('BLR', { rn: 30 }), HVC(1), HVC(0)], (mm) => mm.cpu.setX(30, BigInt(CODE + 8)));
    expect(stopIndex(m)).toBe(2);
    expect(m.cpu.getX(30)).toBe(BigInt(CODE + 4));
  });
});

describe('CBZ, CBNZ, TBZ, TBNZ', () => {
  const values = [0n, 1n, 0x80000000n, 0x100000000n, 0xffffffff00000000n, 0x8000000000000000n, 0xffffffffffffffffn, 0x123456789abcdef0n];

  test('CBZ/CBNZ in W and X forms', () => {
    for (const v of values) {
      for (const sf of [0, 1]) {
        const zero = (sf ? v : v & 0xffffffffn) === 0n;
        for (const name of ['CBZ', 'CBNZ']) {
          const m = runWords([encode(name, { sf, imm19: 2, rt: 3 }), HVC(1)], (mm) => mm.cpu.setX(3, v));
          const taken = name === 'CBZ' ? zero : !zero;
          expect(stopIndex(m), `${name} sf=${sf} ${v}`).toBe(taken ? 2 : 1);
        }
      }
    }
  });

  test('TBZ/TBNZ on every bit', () => {
    for (const v of values) {
      for (let bit = 0; bit < 64; bit++) {
        const set = ((v >> BigInt(bit)) & 1n) === 1n;
        for (const name of ['TBZ', 'TBNZ']) {
          const m = runWords([encode(name, { b5: bit >> 5, b40: bit & 31, imm14: 2, rt: 4 }), HVC(1)], (mm) => mm.cpu.setX(4, v));
          expect(stopIndex(m), `${name} #${bit} ${v}`).toBe((name === 'TBNZ') === set ? 2 : 1);
        }
      }
    }
  });

  test('CBZ XZR always branches', () => {
    const m = runWords([encode('CBZ', { sf: 1, imm19: 2, rt: 31 }), HVC(1)]);
    expect(stopIndex(m)).toBe(2);
  });
});

describe('exceptions and ERET', () => {
  const VBAR = 0x8000;
  /** A vector table with HVC #0 at the current-EL/SPx synchronous vector (VBAR + 0x200). */
  function withVectors(words: number[]): Machine {
    const all = [...words];
    while (all.length < (VBAR - CODE + 0x200) / 4) all.push(HVC(0x55));
    all.push(HVC(0));
    return runWords(all, (m) => m.cpu.setSysReg(SysReg.VBAR_EL1, BigInt(VBAR)));
  }
  const esr = (m: Machine): bigint => m.cpu.getSysReg(SysReg.ESR_EL1);

  test('SVC: EC 0x15, IL, imm16; ELR is the next instruction', () => {
    const m = withVectors([encode('SVC', { imm16: 0x1234 })]);
    expect(m.cpu.pc).toBe(VBAR + 0x204);
    expect(esr(m)).toBe((0x15n << 26n) | (1n << 25n) | 0x1234n);
    expect(m.cpu.getSysReg(SysReg.ELR_EL1)).toBe(BigInt(CODE + 4));
  });

  test('BRK: EC 0x3c; ELR is the BRK itself', () => {
    const m = withVectors([encode('BRK', { imm16: 0xf000 })]);
    expect(esr(m)).toBe((0x3cn << 26n) | (1n << 25n) | 0xf000n);
    expect(m.cpu.getSysReg(SysReg.ELR_EL1)).toBe(BigInt(CODE));
  });

  test('ERET restores PSTATE from SPSR_EL1 and jumps to ELR_EL1', () => {
    const m = runWords([encode('ERET', {}), HVC(1), HVC(0)], (mm) => {
      mm.cpu.setSysReg(SysReg.ELR_EL1, BigInt(CODE + 8));
      mm.cpu.setSysReg(SysReg.SPSR_EL1, 0x600003c5n); // Z and C set, DAIF masked, EL1h
    });
    expect(stopIndex(m)).toBe(2);
    expect([m.cpu.nf, m.cpu.zf, m.cpu.cf, m.cpu.vf]).toEqual([0, 1, 1, 0]);
  });

  test('SMC and HLT are UNDEFINED (EC 0)', () => {
    for (const word of [0xd4000003, 0xd4400000]) {
      const m = withVectors([word]);
      expect(esr(m) >> 26n).toBe(0n);
      expect(m.cpu.getSysReg(SysReg.ELR_EL1)).toBe(BigInt(CODE));
    }
  });
});

describe('system registers and PSTATE', () => {
  // TPIDR_EL0 = op0 3, op1 3, CRn 13, CRm 0, op2 2; NZCV = 3,3,4,2,0; CurrentEL = 3,0,4,2,2.
  const tpidr = { o0: 1, op1: 3, crn: 13, crm: 0, op2: 2 };
  const nzcv = { o0: 1, op1: 3, crn: 4, crm: 2, op2: 0 };

  test('MSR then MRS TPIDR_EL0 round-trips 64 bits', () => {
    const m = runWords([encode('MSR_reg', { ...tpidr, rt: 1 }), encode('MRS', { ...tpidr, rt: 2 })], (mm) =>
      mm.cpu.setX(1, 0xdeadbeefcafef00dn),
    );
    expect(m.cpu.getX(2)).toBe(0xdeadbeefcafef00dn);
    expect(m.cpu.getSysReg(SysReg.TPIDR_EL0)).toBe(0xdeadbeefcafef00dn);
  });

  test('MSR NZCV sets the flags; MRS reads them back', () => {
    const m = runWords([encode('MSR_reg', { ...nzcv, rt: 1 }), encode('MRS', { ...nzcv, rt: 2 })], (mm) => mm.cpu.setX(1, 0xa0000000n));
    expect([m.cpu.nf, m.cpu.zf, m.cpu.cf, m.cpu.vf]).toEqual([1, 0, 1, 0]);
    expect(m.cpu.getX(2)).toBe(0xa0000000n);
  });

  // Found by the differential test (diff-qemu): RES0 and trap-enable bits of FPCR and
  // FPSR are not stored. Expected values are what qemu-aarch64 -cpu max reads back.
  test('MSR FPCR / FPSR keep only the implemented bits', () => {
    const fpcr = { o0: 1, op1: 3, crn: 4, crm: 4, op2: 0 };
    const fpsr = { o0: 1, op1: 3, crn: 4, crm: 4, op2: 1 };
    const m = runWords([
      encode('MSR_reg', { ...fpcr, rt: 1 }), encode('MRS', { ...fpcr, rt: 2 }),
      encode('MSR_reg', { ...fpsr, rt: 1 }), encode('MRS', { ...fpsr, rt: 3 }),
    ], (mm) => mm.cpu.setX(1, 0xffffffffffffffffn));
    expect(m.cpu.getX(2)).toBe(0x07ff0000n); // AHP DN FZ RMode Stride FZ16 Len; IxE RAZ
    expect(m.cpu.getX(3)).toBe(0xf800009fn); // NZCV QC IDC IXC UFC OFC DZC IOC
  });

  test('MRS CurrentEL reads EL1 (2 << 2)', () => {
    const m = runWords([encode('MRS', { o0: 1, op1: 0, crn: 4, crm: 2, op2: 2, rt: 3 })]);
    expect(m.cpu.getX(3)).toBe(4n);
  });

  test('MSR DAIFClr / DAIFSet', () => {
    const clr = runWords([encode('MSR_imm', { op1: 3, crm: 0b0011, op2: 7 })]);
    expect(clr.cpu.daif).toBe(0b1100);
    const set = runWords([encode('MSR_imm', { op1: 3, crm: 0b0010, op2: 6 })], (mm) => {
      mm.cpu.daif = 0;
    });
    expect(set.cpu.daif).toBe(0b0010);
  });

  test('SYS DC ZVA zeroes the 64-byte block holding the address', () => {
    const m = runWords([encode('SYS', { op1: 3, crn: 7, crm: 4, op2: 1, rt: 1 })], (mm) => {
      mm.ram.fill(0xaa, DATA, DATA + 256);
      mm.cpu.setX(1, BigInt(DATA + 64 + 13));
    });
    expect([...m.ram.subarray(DATA + 60, DATA + 132)]).toEqual([
      ...new Array<number>(4).fill(0xaa),
      ...new Array<number>(64).fill(0),
      ...new Array<number>(4).fill(0xaa),
    ]);
  });
});

describe('hints and barriers', () => {
  test('the HINT encodings but WFE/WFI (which exit to the host, test/interp/wfx-vtimer.test.ts), DMB/DSB with every option, ISB, SB execute as no-ops', () => {
    const words: number[] = [];
    for (let imm7 = 0; imm7 < 128; imm7++) if (imm7 !== 2 && imm7 !== 3) words.push(encode('HINT', { imm7 }));
    for (let crm = 0; crm < 16; crm++) words.push(encode('DSB', { crm }), encode('DMB', { crm }));
    words.push(encode('ISB', {}), encode('SB', {}), encode('ISB_opt', { crm: 3 }));
    const m = runWords(words, (mm) => mm.cpu.setX(0, 42n));
    expect(stopIndex(m)).toBe(words.length);
    expect(m.cpu.getX(0)).toBe(42n);
  });

  test('CLREX clears the exclusive monitor', () => {
    const m = runWords([encode('CLREX', { crm: 15 })], (mm) => mm.cpu.setExclusive(DATA, 8));
    expect(m.cpu.exclAddr).toBe(-1);
  });
});
