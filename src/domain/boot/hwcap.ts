/**
 * CPU features as the guest sees them: AT_HWCAP/AT_HWCAP2 derived from the
 * vCPU's ID registers (as Linux's arch/arm64/kernel/cpufeature.c does), and
 * the values Linux returns when EL0 reads an ID register with MRS (the read
 * traps to EL1 and the kernel emulates it).
 */
import { SysReg, sysRegId, type VcpuPort } from '../../ports/vcpu.js';

/** AT_HWCAP bits (arch/arm64/include/uapi/asm/hwcap.h). */
export const HWCAP = {
  FP: 1n << 0n,
  ASIMD: 1n << 1n,
  EVTSTRM: 1n << 2n,
  AES: 1n << 3n,
  PMULL: 1n << 4n,
  SHA1: 1n << 5n,
  SHA2: 1n << 6n,
  CRC32: 1n << 7n,
  ATOMICS: 1n << 8n,
  FPHP: 1n << 9n,
  ASIMDHP: 1n << 10n,
  CPUID: 1n << 11n,
  JSCVT: 1n << 13n,
  FCMA: 1n << 14n,
  LRCPC: 1n << 15n,
  SHA512: 1n << 21n,
  ASIMDFHM: 1n << 23n,
  ILRCPC: 1n << 26n,
  ASIMDRDM: 1n << 12n,
  SHA3: 1n << 17n,
  ASIMDDP: 1n << 20n,
  FLAGM: 1n << 27n,
  SB: 1n << 29n,
  USCAT: 1n << 25n,
} as const;

/** AT_HWCAP2 bits (arch/arm64/include/uapi/asm/hwcap.h). */
export const HWCAP2 = {
  FLAGM2: 1n << 7n,
  FRINT: 1n << 8n,
} as const;

/**
 * The names /proc/cpuinfo's Features line gives the AT_HWCAP bits (index =
 * bit), as arch/arm64/kernel/cpuinfo.c's hwcap_str spells them.
 */
const HWCAP_NAMES: readonly string[] = [
  'fp', 'asimd', 'evtstrm', 'aes', 'pmull', 'sha1', 'sha2', 'crc32', 'atomics', 'fphp', 'asimdhp', 'cpuid', 'asimdrdm',
  'jscvt', 'fcma', 'lrcpc', 'dcpop', 'sha3', 'sm3', 'sm4', 'asimddp', 'sha512', 'sve', 'asimdfhm', 'dit', 'uscat', 'ilrcpc',
  'flagm', 'ssbs', 'sb', 'paca', 'pacg',
];

/** The names of the AT_HWCAP2 bits (index = bit), as hwcap_str spells them. */
const HWCAP2_NAMES: readonly string[] = [
  'dcpodp', 'sve2', 'sveaes', 'svepmull', 'svebitperm', 'svesha3', 'svesm4', 'flagm2', 'frint', 'svei8mm', 'svef32mm',
  'svef64mm', 'svebf16', 'i8mm', 'bf16', 'dgh', 'rng', 'bti', 'mte', 'ecv', 'afp', 'rpres', 'mte3', 'sme', 'smei16i64',
  'smef64f64', 'smei8i32', 'smef16f32', 'smeb16f32', 'smef32f32', 'smefa64', 'wfxt', 'ebf16', 'sveebf16',
];

/**
 * The Features of /proc/cpuinfo for these hwcaps: the AT_HWCAP names in bit
 * order, then the AT_HWCAP2 ones (the kernel walks its KERNEL_HWCAP_*
 * numbering, AT_HWCAP2 bits starting at 64).
 */
export function cpuinfoFeatures(hwcap: bigint, hwcap2: bigint): string[] {
  const out: string[] = [];
  HWCAP_NAMES.forEach((name, bit) => {
    if ((hwcap >> BigInt(bit)) & 1n) out.push(name);
  });
  HWCAP2_NAMES.forEach((name, bit) => {
    if ((hwcap2 >> BigInt(bit)) & 1n) out.push(name);
  });
  return out;
}

export interface CpuIdView {
  midr: bigint;
  pfr0: bigint;
  isar0: bigint;
  isar1: bigint;
  mmfr0: bigint;
  mmfr2: bigint;
}

export function readCpuIds(vcpu: VcpuPort): CpuIdView {
  return {
    midr: vcpu.getSysReg(SysReg.MIDR_EL1),
    pfr0: vcpu.getSysReg(SysReg.ID_AA64PFR0_EL1),
    isar0: vcpu.getSysReg(SysReg.ID_AA64ISAR0_EL1),
    isar1: vcpu.getSysReg(SysReg.ID_AA64ISAR1_EL1),
    mmfr0: vcpu.getSysReg(SysReg.ID_AA64MMFR0_EL1),
    mmfr2: vcpu.getSysReg(SysReg.ID_AA64MMFR2_EL1),
  };
}

function fieldOf(reg: bigint, shift: number): number {
  return Number((reg >> BigInt(shift)) & 0xfn);
}

export function hwcapFromIds(ids: CpuIdView): { hwcap: bigint; hwcap2: bigint } {
  let h = HWCAP.CPUID; // EL0 MRS of ID registers is emulated (hostMrs below)
  const fp = fieldOf(ids.pfr0, 16);
  const simd = fieldOf(ids.pfr0, 20);
  if (fp !== 0xf) h |= HWCAP.FP | (fp === 1 ? HWCAP.FPHP : 0n);
  if (simd !== 0xf) h |= HWCAP.ASIMD | (simd === 1 ? HWCAP.ASIMDHP : 0n);
  const aes = fieldOf(ids.isar0, 4);
  if (aes >= 1) h |= HWCAP.AES;
  if (aes >= 2) h |= HWCAP.PMULL;
  if (fieldOf(ids.isar0, 8) >= 1) h |= HWCAP.SHA1;
  const sha2 = fieldOf(ids.isar0, 12);
  if (sha2 >= 1) h |= HWCAP.SHA2;
  if (sha2 >= 2) h |= HWCAP.SHA512;
  if (fieldOf(ids.isar0, 16) >= 1) h |= HWCAP.CRC32;
  if (fieldOf(ids.isar0, 20) >= 2) h |= HWCAP.ATOMICS;
  if (fieldOf(ids.isar0, 48) >= 1) h |= HWCAP.ASIMDFHM;
  const lrcpc = fieldOf(ids.isar1, 20);
  if (lrcpc >= 1) h |= HWCAP.LRCPC;
  if (lrcpc >= 2) h |= HWCAP.ILRCPC;
  let h2 = 0n;
  if (fieldOf(ids.isar0, 28) >= 1) h |= HWCAP.ASIMDRDM;
  if (fieldOf(ids.isar0, 32) >= 1) h |= HWCAP.SHA3;
  if (fieldOf(ids.isar0, 44) >= 1) h |= HWCAP.ASIMDDP;
  const ts = fieldOf(ids.isar0, 52);
  if (ts >= 1) h |= HWCAP.FLAGM;
  if (ts >= 2) h2 |= HWCAP2.FLAGM2;
  if (fieldOf(ids.isar1, 36) >= 1) h |= HWCAP.SB;
  if (fieldOf(ids.mmfr2, 32) >= 1) h |= HWCAP.USCAT; // AT: FEAT_LSE2
  if (fieldOf(ids.isar1, 12) >= 1) h |= HWCAP.JSCVT;
  if (fieldOf(ids.isar1, 16) >= 1) h |= HWCAP.FCMA;
  if (fieldOf(ids.isar1, 32) >= 1) h2 |= HWCAP2.FRINT;
  return { hwcap: h, hwcap2: h2 };
}

/**
 * The value of an EL0 MRS of an ID-space register (op0=3, op1=0, CRn=0), as
 * Linux's MRS emulation gives it, or null if the register is not one Linux
 * emulates (the guest then gets SIGILL).
 */
export function emulatedIdRegister(ids: CpuIdView, op0: number, op1: number, crn: number, crm: number, op2: number): bigint | null {
  if (op0 !== 3 || op1 !== 0 || crn !== 0) return null;
  const id = sysRegId(op0, op1, crn, crm, op2);
  switch (id) {
    case SysReg.MIDR_EL1:
      return ids.midr;
    case SysReg.MPIDR_EL1:
      return 0x80000000n; // uniprocessor view, as Linux reports to EL0
    case SysReg.ID_AA64PFR0_EL1:
      // Linux exposes FP and AdvSIMD, and EL0/EL1 as "AArch64 only".
      return (ids.pfr0 & (0xffn << 16n)) | 0x11n;
    case SysReg.ID_AA64ISAR0_EL1:
      return ids.isar0;
    case SysReg.ID_AA64ISAR1_EL1:
      return ids.isar1;
    case SysReg.ID_AA64MMFR2_EL1:
      // Linux shows EL0 only the AT field (FEAT_LSE2) of this register.
      return ids.mmfr2 & (0xfn << 32n);
    case sysRegId(3, 0, 0, 0, 6): // REVIDR_EL1: IMPLEMENTATION DEFINED, emulated as zero
      return 0n;
    default:
      // Linux emulates CRm 0 (MIDR, MPIDR and REVIDR only) and CRm 4..7, where the
      // rest reads as zero; the AArch32 ID registers (CRm 1..3) and the other CRm 0
      // encodings are not emulated (SIGILL).
      return crm >= 4 && crm <= 7 ? 0n : null;
  }
}
