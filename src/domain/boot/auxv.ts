/**
 * The ELF auxiliary vector: AT_* types with their Linux values
 * (include/uapi/linux/auxvec.h, arch/arm64/include/uapi/asm/auxvec.h) and
 * the builder that lists the entries fs/binfmt_elf.c create_elf_tables()
 * hands an arm64 process, in the kernel's order. The three entries that
 * point into the initial stack (AT_RANDOM, AT_EXECFN, AT_PLATFORM) are
 * listed with value 0; buildInitialStack fills them in once it has placed
 * the bytes they point to.
 */

export const AT_NULL = 0;
export const AT_IGNORE = 1;
export const AT_EXECFD = 2;
export const AT_PHDR = 3;
export const AT_PHENT = 4;
export const AT_PHNUM = 5;
export const AT_PAGESZ = 6;
export const AT_BASE = 7;
export const AT_FLAGS = 8;
export const AT_ENTRY = 9;
export const AT_NOTELF = 10;
export const AT_UID = 11;
export const AT_EUID = 12;
export const AT_GID = 13;
export const AT_EGID = 14;
export const AT_PLATFORM = 15;
export const AT_HWCAP = 16;
export const AT_CLKTCK = 17;
export const AT_SECURE = 23;
export const AT_BASE_PLATFORM = 24;
export const AT_RANDOM = 25;
export const AT_HWCAP2 = 26;
export const AT_EXECFN = 31;
export const AT_SYSINFO_EHDR = 33;
export const AT_MINSIGSTKSZ = 51;

/** USER_HZ: times(2) and AT_CLKTCK count in 1/100 s. */
export const USER_HZ = 100;

/**
 * AT_MINSIGSTKSZ on arm64 without SVE/SME: arch/arm64/kernel/signal.c
 * minsigstksz_setup() reports sigframe_size() + round_up(sizeof(struct
 * frame_record), 16) + 16. Without SVE every record fits in
 * uc_mcontext.__reserved, so sigframe_size() = sizeof(struct rt_sigframe) =
 * 128 (siginfo) + 4560 (ucontext: 176 bytes of header, 4384 of sigcontext
 * with its 4096-byte __reserved) = 4688; 4688 + 16 + 16 = 4720. (MINSIGSTKSZ
 * in the uapi header, 5120, is the static upper bound, not this value.)
 */
export const ARM64_MINSIGSTKSZ = 4720;

export type AuxEntry = readonly [type: number, value: bigint];

export interface AuxvInfo {
  /** Where the executable's program headers are in guest memory. */
  readonly phdr: number;
  readonly phent: number;
  readonly phnum: number;
  /** The interpreter's load bias (0 for a static executable). */
  readonly base: number;
  /** The executable's entry point (after its load bias). */
  readonly entry: number;
  readonly uid: number;
  readonly euid: number;
  readonly gid: number;
  readonly egid: number;
  readonly secure?: boolean;
  readonly hwcap: bigint;
  readonly hwcap2: bigint;
  readonly pageSize?: number;
  readonly minSigStackSize?: number;
}

export function buildAuxv(info: AuxvInfo): AuxEntry[] {
  const n = (x: number): bigint => BigInt(x);
  return [
    // ARCH_DLINFO (arch/arm64/include/asm/elf.h) comes first; there is no vDSO, so no AT_SYSINFO_EHDR.
    [AT_MINSIGSTKSZ, n(info.minSigStackSize ?? ARM64_MINSIGSTKSZ)],
    [AT_HWCAP, info.hwcap],
    [AT_PAGESZ, n(info.pageSize ?? 4096)],
    [AT_CLKTCK, n(USER_HZ)],
    [AT_PHDR, n(info.phdr)],
    [AT_PHENT, n(info.phent)],
    [AT_PHNUM, n(info.phnum)],
    [AT_BASE, n(info.base)],
    [AT_FLAGS, 0n],
    [AT_ENTRY, n(info.entry)],
    [AT_UID, n(info.uid)],
    [AT_EUID, n(info.euid)],
    [AT_GID, n(info.gid)],
    [AT_EGID, n(info.egid)],
    [AT_SECURE, info.secure ? 1n : 0n],
    [AT_RANDOM, 0n],
    [AT_HWCAP2, info.hwcap2],
    [AT_EXECFN, 0n],
    [AT_PLATFORM, 0n],
  ];
}
