/**
 * The FP extensions the interpreter implements are advertised, and only
 * those: ID_AA64ISAR1_EL1 JSCVT/FCMA/FRINTTS, ID_AA64ISAR0_EL1 FHM, and the
 * AT_HWCAP/AT_HWCAP2 bits Linux derives from them. FEAT_FP16 is
 * implemented (scalar and vector), so ID_AA64PFR0_EL1.FP/AdvSIMD are 1 and
 * Linux's cpufeature code gives FPHP/ASIMDHP.
 */
import { describe, expect, it } from 'vitest';
import { interpIdRegs } from '../../src/adapters/interp/features.js';
import { HWCAP, HWCAP2, hwcapFromIds } from '../../src/domain/boot/hwcap.js';
import { encode } from '../../src/domain/a64/assembler.js';
import { EC, SysReg } from '../../src/ports/vcpu.js';
import { CODE, runWords } from './harness.js';

const field = (reg: bigint, shift: number): number => Number((reg >> BigInt(shift)) & 0xfn);

describe('FP feature advertisement', () => {
  const ids = interpIdRegs();
  it('ID registers', () => {
    expect(field(ids.isar1, 12)).toBe(1); // JSCVT
    expect(field(ids.isar1, 16)).toBe(1); // FCMA
    expect(field(ids.isar1, 32)).toBe(1); // FRINTTS
    expect(field(ids.isar0, 48)).toBe(1); // FHM
    expect(field(ids.pfr0, 16)).toBe(1); // FP with FP16
    expect(field(ids.pfr0, 20)).toBe(1); // AdvSIMD with FP16
  });
  it('HWCAPs', () => {
    const { hwcap, hwcap2 } = hwcapFromIds(ids);
    for (const bit of [HWCAP.JSCVT, HWCAP.FCMA, HWCAP.ASIMDFHM, HWCAP.FP, HWCAP.ASIMD, HWCAP.FPHP, HWCAP.ASIMDHP]) expect(hwcap & bit).toBe(bit);
    expect(hwcap2 & HWCAP2.FRINT).toBe(HWCAP2.FRINT);
  });
});

describe('CPACR_EL1.FPEN = 0 traps FP/SIMD instructions of every FP/SIMD feature (EC 0x07)', () => {
  // Per the ARM ARM (CheckFPAdvSIMDEnabled), every instruction that touches the FP/SIMD registers traps.
  const VBAR = 0x8000;
  const cases: [string, number][] = [
    ['fadd h0, h1, h2 (FEAT_FP16 scalar)', 0x1ee22820],
    ['fadd v0.8h, v1.8h, v2.8h (FEAT_FP16 vector)', 0x4e421420],
    ['sdot v0.4s, v1.16b, v2.16b (FEAT_DotProd)', 0x4e829420],
    ['fadd s0, s1, s2 (base FP)', 0x1e222820],
  ];
  for (const [what, word] of cases) {
    it(what, () => {
      const all = [word];
      while (all.length <= (VBAR - CODE + 0x200) / 4) all.push(encode('HVC', { imm16: 0x55 }));
      const m = runWords(all, (mm) => {
        mm.cpu.setSysReg(SysReg.VBAR_EL1, BigInt(VBAR));
        mm.cpu.setSysReg(SysReg.CPACR_EL1, 0n);
      });
      expect(Number(m.cpu.getSysReg(SysReg.ESR_EL1)) >>> 26).toBe(EC.FP_ACCESS);
      expect(Number(m.cpu.getSysReg(SysReg.ELR_EL1))).toBe(CODE);
    });
  }
});
