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
