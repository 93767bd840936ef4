/**
 * What the interpreter advertises: the ID register fields derived from the
 * implemented table entries, and the AT_HWCAP/AT_HWCAP2 bits Linux's rules
 * derive from them. PAC and BTI are not advertised: their hint-space forms
 * must run as NOPs and the non-hint forms must be UNDEFINED.
 */
import { describe, expect, it } from 'vitest';
import { implementedFeatures, interpIdRegs } from '../../src/adapters/interp/features.js';
import { a64 } from '../../src/domain/a64/decoder.js';
import { HWCAP, HWCAP2, hwcapFromIds } from '../../src/domain/boot/hwcap.js';
import { runWords } from './harness.js';

const field = (reg: bigint, shift: number): number => Number((reg >> BigInt(shift)) & 0xfn);

describe('interpreter CPU features', () => {
  const ids = interpIdRegs();

  it('ID_AA64ISAR0/ISAR1 state the implemented crypto and integer extensions', () => {
    const f = implementedFeatures();
    for (const name of ['aes', 'pmull', 'sha1', 'sha2', 'sha512', 'sha3', 'asimddp', 'asimdrdm', 'flagm', 'flagm2', 'sb', 'ilrcpc']) {
      expect(f.has(name), name).toBe(true);
    }
    expect(field(ids.isar0, 4)).toBe(2); // AES with PMULL
    expect(field(ids.isar0, 8)).toBe(1); // SHA1
    expect(field(ids.isar0, 12)).toBe(2); // SHA2 with SHA512
    expect(field(ids.isar0, 28)).toBe(1); // RDM
    expect(field(ids.isar0, 32)).toBe(1); // SHA3
    expect(field(ids.isar0, 44)).toBe(1); // DP
    expect(field(ids.isar0, 52)).toBe(2); // TS: FlagM2
    expect(field(ids.isar1, 20)).toBe(2); // LRCPC with LDAPUR/STLUR
    expect(field(ids.isar1, 36)).toBe(1); // SB
    // PAC (APA/API/GPA/GPI) and the SM3/SM4 extensions are not implemented.
    for (const shift of [4, 8, 24, 28]) expect(field(ids.isar1, shift)).toBe(0);
    expect(field(ids.isar0, 36)).toBe(0);
    expect(field(ids.isar0, 40)).toBe(0);
  });

  it('AT_HWCAP and AT_HWCAP2 follow', () => {
    const { hwcap, hwcap2 } = hwcapFromIds({ ...ids });
    for (const bit of ['AES', 'PMULL', 'SHA1', 'SHA2', 'SHA512', 'SHA3', 'ASIMDRDM', 'ASIMDDP', 'FLAGM', 'SB', 'LRCPC', 'ILRCPC'] as const) {
      expect(hwcap & HWCAP[bit], bit).toBe(HWCAP[bit]);
    }
    expect(hwcap2 & HWCAP2.FLAGM2).toBe(HWCAP2.FLAGM2);
    expect(hwcap & ((1n << 30n) | (1n << 31n))).toBe(0n); // PACA, PACG
    expect(hwcap2 & (1n << 17n)).toBe(0n); // BTI
  });

  it('hint-space PAC/BTI instructions run as NOPs', () => {
    // paciasp, autiasp, pacibsp, autibsp, bti, bti c, bti j, bti jc, xpaclri, paciaz
    const hints = [0xd503233f, 0xd50323bf, 0xd503237f, 0xd50323ff, 0xd503241f, 0xd503245f, 0xd503249f, 0xd50324df, 0xd50320ff, 0xd503231f];
    for (const w of hints) expect(a64().decode(w)?.entry.def.name).toBe('HINT');
    const m = runWords([...hints, 0xd2800540], ({ cpu }) => cpu.setX(30, 0x1234n)); // mov x0, #42
    expect(m.cpu.getX(0)).toBe(42n);
    expect(m.cpu.getX(30)).toBe(0x1234n);
  });

  it('non-hint PAC forms are UNDEFINED', () => {
    // pacia x0, x1; autia x0, x1; xpaci x0; retaa; braa x0, x1; ldraa x0, [x1]; pacga x0, x1, x2
    for (const w of [0xdac10020, 0xdac11020, 0xdac143e0, 0xd65f0bff, 0xd71f0801, 0xf8200420, 0x9ac23020]) {
      expect(a64().decode(w), w.toString(16)).toBeNull();
    }
  });
});
