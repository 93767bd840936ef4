/**
 * What the interpreter CPU implements, stated as ID register values, the way
 * hardware states it. The kernel derives AT_HWCAP from these registers, as
 * Linux does, so HWCAP advertises exactly the implemented features.
 *
 * A feature counts as implemented when the A64 table has entries tagged
 * with it and every one of them has semantics in the interpreter.
 */
import { A64_TABLE } from '../../domain/a64/table/index.js';
import type { IdRegs } from './cpu.js';
import { EXEC_TABLE } from './exec/index.js';

export function implementedFeatures(): Set<string> {
  const seen = new Map<string, boolean>();
  for (const def of A64_TABLE) {
    if (!def.feature) continue;
    const bound = def.name in EXEC_TABLE;
    seen.set(def.feature, (seen.get(def.feature) ?? true) && bound);
  }
  return new Set([...seen].filter(([, ok]) => ok).map(([f]) => f));
}

function field(value: number, shift: number): bigint {
  return BigInt(value) << BigInt(shift);
}

export function interpIdRegs(features: Set<string> = implementedFeatures()): IdRegs {
  const has = (f: string): boolean => features.has(f);
  // ID_AA64PFR0_EL1: EL0/EL1 AArch64 only; FP [19:16] and AdvSIMD [23:20]: 0 = present, 1 = with FEAT_FP16, 0xf = absent.
  const fp = has('fp') ? (has('fphp') ? 1 : 0) : 0xf;
  const simd = has('asimd') ? (has('asimdhp') ? 1 : 0) : 0xf;
  const pfr0 = field(1, 0) | field(1, 4) | field(fp, 16) | field(simd, 20);
  // ID_AA64ISAR0_EL1: AES [7:4] (2 = with PMULL), SHA1 [11:8], SHA2 [15:12], CRC32 [19:16], Atomic [23:20] (2 = LSE).
  const isar0 =
    field(has('aes') ? (has('pmull') ? 2 : 1) : 0, 4) |
    field(has('sha1') ? 1 : 0, 8) |
    field(has('sha2') ? (has('sha512') ? 2 : 1) : 0, 12) |
    field(has('crc32') ? 1 : 0, 16) |
    field(has('atomics') ? 2 : 0, 20) |
    // RDM [31:28], SHA3 [35:32], DP [47:44], TS [55:52] (1 = FlagM, 2 = with FlagM2).
    field(has('asimdrdm') ? 1 : 0, 28) |
    field(has('sha3') ? 1 : 0, 32) |
    field(has('asimddp') ? 1 : 0, 44) |
    field(has('flagm') ? (has('flagm2') ? 2 : 1) : 0, 52) |
    // FHM [51:48]: FMLAL/FMLSL, tagged 'asimd' and counted by name.
    field(has('asimd') && ['FMLAL', 'FMLSL', 'FMLAL2', 'FMLSL2'].every((n) => `${n}_vec` in EXEC_TABLE && `${n}_elem` in EXEC_TABLE) ? 1 : 0, 48);
  // ID_AA64ISAR1_EL1: LRCPC [23:20] (1 = LDAPR, 2 = with LDAPUR/STLUR), JSCVT [15:12], FCMA [19:16], FRINTTS [35:32], SB [39:36].
  // JSCVT, FCMA and FRINTTS instructions are tagged 'fp'/'asimd' (they trap like FP), so they count by name.
  const bound = (...names: string[]): boolean => names.every((n) => n in EXEC_TABLE);
  const isar1 = field(has('lrcpc') ? (has('ilrcpc') ? 2 : 1) : 0, 20) |
    field(has('fp') && bound('FJCVTZS') ? 1 : 0, 12) |
    field(has('asimd') && bound('FCMLA_vec', 'FCMLA_elem', 'FCADD_vec') ? 1 : 0, 16) |
    field(has('fp') && bound('FRINT32Z_scalar', 'FRINT32X_scalar', 'FRINT64Z_scalar', 'FRINT64X_scalar',
      'FRINT32Z_vec', 'FRINT32X_vec', 'FRINT64Z_vec', 'FRINT64X_vec') ? 1 : 0, 32) |
    field(has('sb') ? 1 : 0, 36);
  // ID_AA64MMFR0_EL1: PARange [3:0] = 1 (36 bits), TGran4 [31:28] = 0 (4 KiB supported), TGran16/64 absent.
  const mmfr0 = field(1, 0) | field(0xf, 24) | field(0, 28);
  // ID_AA64MMFR2_EL1: AT [35:32] = 1, FEAT_LSE2 (unaligned atomics and ordered accesses inside 16 bytes, exec/ldst.ts).
  const mmfr2 = field(1, 32);
  // MIDR_EL1: implementer 0x00 ("software"), architecture 0xf, part 0xe1f ("elfuse"), revision 0.
  const midr = field(0xf, 16) | field(0xe1f, 4);
  return { midr, isar0, isar1, pfr0, mmfr0, mmfr2 };
}
