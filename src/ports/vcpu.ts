/**
 * VcpuPort: the contract of one hardware virtual CPU, as Hypervisor.framework
 * offers it. Both backends implement it: `hvf` with a real vCPU, `interp`
 * with a TypeScript AArch64 CPU. The domain never knows which one runs it.
 *
 * Register and system-register identifiers use Hypervisor.framework's
 * numbering (hv_reg_t, hv_sys_reg_t), so the hvf adapter passes them through
 * unchanged. A system-register id is the MRS/MSR operand packed as
 * op0:op1:CRn:CRm:op2 (2+3+4+4+3 bits), which is also how the interpreter
 * keys its system-register file.
 */

/** hv_reg_t: X0..X30 are 0..30. */
export const Reg = {
  PC: 31,
  FPCR: 32,
  FPSR: 33,
  /** PSTATE as SPSR lays it out (NZCV, DAIF, M[3:0]). */
  CPSR: 34,
} as const;
export type RegId = number;

/** Pack an MRS/MSR system-register operand into its hv_sys_reg_t id. */
export function sysRegId(op0: number, op1: number, crn: number, crm: number, op2: number): number {
  return ((op0 & 3) << 14) | ((op1 & 7) << 11) | ((crn & 15) << 7) | ((crm & 15) << 3) | (op2 & 7);
}

/** hv_sys_reg_t values for the registers the domain programs. */
export const SysReg = {
  SCTLR_EL1: 0xc080,
  CPACR_EL1: 0xc082,
  TTBR0_EL1: 0xc100,
  TTBR1_EL1: 0xc101,
  TCR_EL1: 0xc102,
  SPSR_EL1: 0xc200,
  ELR_EL1: 0xc201,
  SP_EL0: 0xc208,
  ESR_EL1: 0xc290,
  FAR_EL1: 0xc300,
  MAIR_EL1: 0xc510,
  VBAR_EL1: 0xc600,
  TPIDR_EL1: 0xc684,
  CNTKCTL_EL1: 0xc708,
  TPIDR_EL0: 0xde82,
  TPIDRRO_EL0: 0xde83,
  CNTV_CTL_EL0: 0xdf19,
  CNTV_CVAL_EL0: 0xdf1a,
  SP_EL1: 0xe208,
  MIDR_EL1: 0xc000,
  MPIDR_EL1: 0xc005,
  ID_AA64PFR0_EL1: 0xc020,
  ID_AA64PFR1_EL1: 0xc021,
  ID_AA64DFR0_EL1: 0xc028,
  ID_AA64ISAR0_EL1: 0xc030,
  ID_AA64ISAR1_EL1: 0xc031,
  ID_AA64MMFR0_EL1: 0xc038,
  ID_AA64MMFR1_EL1: 0xc039,
  ID_AA64MMFR2_EL1: 0xc03a,
  /** Monitor debug system control: SS (bit 0) software step, MDE (bit 15) breakpoints and watchpoints. */
  MDSCR_EL1: 0x8012,
} as const;

/** hv_sys_reg_t of breakpoint value/control and watchpoint value/control register n (0..15). */
export const DBGBVR = (n: number): number => sysRegId(2, 0, 0, n, 4);
export const DBGBCR = (n: number): number => sysRegId(2, 0, 0, n, 5);
export const DBGWVR = (n: number): number => sysRegId(2, 0, 0, n, 6);
export const DBGWCR = (n: number): number => sysRegId(2, 0, 0, n, 7);

/** MDSCR_EL1 bits. */
export const MDSCR_SS = 1n;
export const MDSCR_MDE = 1n << 15n;
/** PSTATE.SS in SPSR/CPSR layout: the software-step state machine (1 = active-not-pending). */
export const PSTATE_SS = 1n << 21n;

/**
 * DBGBCR/DBGWCR fields the backends honour: E (enable), PMC/PAC (bits 2:1,
 * which ELs match: 0b10 EL0 only), BAS (byte-address select), LSC (watchpoint
 * on load 0b01, store 0b10, either 0b11) and MASK (watch 2^MASK aligned bytes).
 */
export const DBGCR = {
  E: 1,
  EL0_ONLY: 0b10 << 1,
  /** Breakpoint BAS for an A64 instruction (all four bytes). */
  BAS_A64: 0b1111 << 5,
  LSC_LOAD: 0b01 << 3,
  LSC_STORE: 0b10 << 3,
  BAS_SHIFT: 5,
  MASK_SHIFT: 24,
} as const;

/** hv_exit_reason_t */
export const ExitReason = {
  CANCELED: 0,
  EXCEPTION: 1,
  VTIMER_ACTIVATED: 2,
  UNKNOWN: 3,
} as const;
export type ExitReasonValue = (typeof ExitReason)[keyof typeof ExitReason];

/** hv_vcpu_exit_t: why run() returned. */
export interface VcpuExit {
  reason: ExitReasonValue;
  /** ESR_EL2-style syndrome of an EXCEPTION exit (EC in bits 31:26). */
  syndrome: number;
  virtualAddress: bigint;
  physicalAddress: bigint;
}

/**
 * Indices of VcpuSnapshot.regs: X0..X30 at 0..30, then the registers an
 * exit handler needs. The EL0 view of a guest stopped in the shim is X0-X30,
 * SP_EL0, ELR_EL1 (its PC) and SPSR_EL1 (its PSTATE); a guest interrupted at
 * EL0 has its PC and PSTATE live (PC, CPSR).
 */
export const Snap = {
  PC: 31,
  CPSR: 32,
  SP_EL0: 33,
  ELR_EL1: 34,
  SPSR_EL1: 35,
  ESR_EL1: 36,
  FAR_EL1: 37,
  FPCR: 38,
  FPSR: 39,
} as const;
export const SNAP_REGS = 40;

/** Groups of a snapshot that writeSnapshot writes back (a bit mask). */
export const SnapGroup = {
  /** X0..X30. */
  GPRS: 1,
  /** PC and CPSR (the live PSTATE). */
  PC_CPSR: 2,
  SP_EL0: 4,
  /** ELR_EL1 and SPSR_EL1. */
  ELR_SPSR: 8,
  /** V0..V31, FPCR and FPSR. */
  FP: 16,
} as const;
export const SNAP_ALL = 31;

/**
 * The registers a run loop reads and writes at an exit, moved in one batch
 * each way: on Hypervisor.framework every register access must be made on
 * the vCPU's own thread, so the adapter reads them all at the exit and
 * writes back only the groups that changed, once, before the next run.
 */
export interface VcpuSnapshot {
  /** The 64-bit registers, indexed by Snap (X0..X30 at 0..30). */
  readonly regs: BigUint64Array;
  /** V0..V31, 16 little-endian bytes each. */
  readonly v: Uint8Array;
}

export function newSnapshot(): VcpuSnapshot {
  return { regs: new BigUint64Array(SNAP_REGS), v: new Uint8Array(32 * 16) };
}

export interface VcpuPort {
  /** Fill `into` with the vCPU's registers (all of VcpuSnapshot, in one batch). */
  readSnapshot(into: VcpuSnapshot): void;
  /** Write the `groups` (SnapGroup bits) of `from` back to the vCPU, in one batch. */
  writeSnapshot(from: VcpuSnapshot, groups: number): void;
  getReg(reg: RegId): bigint;
  setReg(reg: RegId, value: bigint): void;
  getSysReg(reg: number): bigint;
  setSysReg(reg: number, value: bigint): void;
  /** Q0..Q31 as 16 little-endian bytes (a copy). */
  getSimdFpReg(index: number): Uint8Array;
  setSimdFpReg(index: number, value: Uint8Array): void;
  /**
   * Run until an exit. The interpreter returns synchronously (CANCELED after
   * its time slice so the host event loop can turn); hvf returns a promise
   * resolved by its vCPU thread.
   */
  run(): VcpuExit | Promise<VcpuExit>;
  /** Make a running (or the next) run() return CANCELED (hv_vcpus_exit). */
  requestExit(): void;
  /**
   * hv_vcpu_set_vtimer_mask. When the guest's virtual timer (CNTV_CTL_EL0
   * enabled and not masked, CNTVCT_EL0 >= CNTV_CVAL_EL0) fires, run()
   * returns VTIMER_ACTIVATED and the vtimer stays masked, so it cannot fire
   * again, until the host unmasks it with this.
   */
  setVtimerMask(masked: boolean): void;
  /**
   * hv_vcpu_set_trap_debug_exceptions: when on, breakpoint, watchpoint and
   * software-step exceptions (armed through MDSCR_EL1, PSTATE.SS and the
   * DBGBCR/DBGWCR registers) leave run() as EXCEPTION exits with EC 0x30, 0x34
   * or 0x32 instead of going to the guest's VBAR_EL1. A watchpoint exit
   * carries the data address in virtualAddress and leaves the PC at the
   * accessing instruction, which has not run; a breakpoint or step exit
   * leaves the PC at the instruction about to run.
   */
  setTrapDebugExceptions(enabled: boolean): void;
  /** Guest instructions retired so far, when the backend can count them. */
  instructionsRetired(): number | undefined;
  destroy(): void;
}

/** CNTV_CTL_EL0 bits: the timer is enabled, its interrupt masked, its condition met (read only). */
export const CNTV_CTL = { ENABLE: 1n, IMASK: 2n, ISTATUS: 4n } as const;

/** ISS of a WFI/WFE exit (EC 0x01): TI bit 0 is 1 for WFE. */
export const WFX_ISS_WFE = 1;

/** Exception classes (ESR_ELx.EC) the domain and the backends share. */
export const EC = {
  UNKNOWN: 0x00,
  WFX: 0x01,
  FP_ACCESS: 0x07,
  ILLEGAL_STATE: 0x0e,
  SVC64: 0x15,
  HVC64: 0x16,
  SMC64: 0x17,
  SYS64: 0x18,
  INSN_ABORT_LOWER: 0x20,
  INSN_ABORT_SAME: 0x21,
  PC_ALIGN: 0x22,
  DATA_ABORT_LOWER: 0x24,
  DATA_ABORT_SAME: 0x25,
  SP_ALIGN: 0x26,
  FP_EXC64: 0x2c,
  SERROR: 0x2f,
  /** Debug exceptions taken to the host (trapped, so always "from a lower EL"). */
  BREAKPOINT_LOWER: 0x30,
  SOFTWARE_STEP_LOWER: 0x32,
  WATCHPOINT_LOWER: 0x34,
  BRK64: 0x3c,
} as const;

/** ISS of debug exceptions: the fault status code "debug exception", and the step syndrome's ISV. */
export const DEBUG_FSC = 0x22;
export const STEP_ISV = 1 << 24;

/** ESR.IL: the trapped instruction was 32 bits wide. */
export const ESR_IL = 1 << 25;

/** Data/instruction fault status codes (DFSC/IFSC, ISS bits 5:0). */
export const FSC = {
  ADDRESS_SIZE: 0x00, // + level
  TRANSLATION: 0x04, // + level
  ACCESS_FLAG: 0x08, // + level
  PERMISSION: 0x0c, // + level
  ALIGNMENT: 0x21,
} as const;

/** ESR ISS bit 6 for data aborts: the access was a write. */
export const ISS_WNR = 1 << 6;
