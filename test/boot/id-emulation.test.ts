/**
 * EL0 MRS of the ID register space (op0 3, op1 0, CRn 0) as Linux emulates
 * it (arch/arm64/kernel/cpufeature.c, emulate_mrs): only CRm 0 and CRm 4..7
 * are emulated; in CRm 0 only MIDR_EL1 (op2 0), MPIDR_EL1 (op2 5, the safe
 * value with bit 31 set) and REVIDR_EL1 (op2 6, as zero); the untracked
 * registers of CRm 4..7 read as zero. Everything else (the AArch32 ID
 * registers in CRm 1..3, the other CRm 0 encodings, CRm 8..15) is not
 * emulated, and the program gets SIGILL.
 */
import { describe, expect, it } from 'vitest';
import { emulatedIdRegister } from '../../src/domain/boot/hwcap.js';

const IDS = { midr: 0x610f0221n, pfr0: 0x1100011n, isar0: 0x221100110212120n, isar1: 0x1111100n, mmfr0: 0x1n, mmfr2: 0x100001011n };

describe('EL0 MRS emulation of the ID registers', () => {
  it('answers exactly the encodings Linux emulates', () => {
    const answered: string[] = [];
    for (let crm = 0; crm < 16; crm++) {
      for (let op2 = 0; op2 < 8; op2++) if (emulatedIdRegister(IDS, 3, 0, 0, crm, op2) !== null) answered.push(`${crm}.${op2}`);
    }
    const expected = ['0.0', '0.5', '0.6'];
    for (let crm = 4; crm <= 7; crm++) for (let op2 = 0; op2 < 8; op2++) expected.push(`${crm}.${op2}`);
    expect(answered).toEqual(expected);
  });

  it('MIDR_EL1 is the CPU id, MPIDR_EL1 the safe value, REVIDR_EL1 and the AArch32 feature space zero or SIGILL', () => {
    expect(emulatedIdRegister(IDS, 3, 0, 0, 0, 0)).toBe(IDS.midr);
    expect(emulatedIdRegister(IDS, 3, 0, 0, 0, 5)).toBe(0x80000000n);
    expect(emulatedIdRegister(IDS, 3, 0, 0, 0, 6)).toBe(0n);
    expect(emulatedIdRegister(IDS, 3, 0, 0, 1, 0)).toBeNull(); // ID_PFR0_EL1
    expect(emulatedIdRegister(IDS, 3, 0, 0, 0, 1)).toBeNull(); // reserved
    expect(emulatedIdRegister(IDS, 3, 0, 0, 6, 0)).toBe(IDS.isar0); // ID_AA64ISAR0_EL1
    expect(emulatedIdRegister(IDS, 3, 0, 0, 6, 7)).toBe(0n); // untracked in CRm 4..7: RAZ
  });
});
