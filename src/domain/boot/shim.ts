/**
 * The EL1 shim: the only code that runs at EL1, on both backends.
 *
 * Hypervisor.framework delivers EL0 system calls and stage-1 faults to the
 * guest's own EL1 vectors, never to the host, so something must sit at EL1
 * and pass them on. The shim does that and nothing else: every vector issues
 * HVC to the host, which reads ESR_EL1/FAR_EL1/ELR_EL1 and the untouched EL0
 * registers, does the work, and resumes the vCPU. The shim then performs any
 * TLB or instruction-cache maintenance the host asked for (the host cannot
 * invalidate the guest's stage-1 TLB itself) and returns to EL0 with ERET.
 *
 * It also boots the vCPU: a fresh vCPU starts at EL1 with SCTLR_EL1 = 0, so
 * the shim loads the translation registers from the boot block, turns the
 * MMU on from inside (it runs identity-mapped, so the next fetch still
 * works), and ERETs to the guest entry point at EL0.
 *
 * Layout (guest-physical = virtual, below mmap_min_addr so the guest can
 * never map over it; EL1-only in the page tables):
 *   SHIM_CODE          boot code; vectors at SHIM_CODE + 0x800 (VBAR_EL1)
 *   SHIM_DATA          boot block, then the maintenance mailbox
 *   SHIM_STACK_TOP     top of the EL1 stack (SP_EL1)
 */
import { Asm } from '../a64/assembler.js';

export const SHIM_CODE = 0x8000;
export const SHIM_VECTORS = SHIM_CODE + 0x800;
export const SHIM_DATA = 0x9000;
export const SHIM_STACK_BASE = 0xa000;
export const SHIM_STACK_TOP = 0xc000;
/**
 * Each vCPU has its own EL1 stack (SP_EL1): the shim's return path keeps
 * X0/X1 there, and vCPUs of one process (its threads) pass through the
 * shim independently. 32 bytes each, the first vCPU's at the top.
 */
export const SHIM_STACK_PER_VCPU = 32;
export const MAX_VCPUS = (SHIM_STACK_TOP - SHIM_STACK_BASE) / SHIM_STACK_PER_VCPU;
/** SP_EL1 of the vCPU in `slot` (0 for a process's first). */
export function shimStackTop(slot: number): number {
  return SHIM_STACK_TOP - slot * SHIM_STACK_PER_VCPU;
}
/**
 * The shim's return path (right after the EL0_SYNC vector's HVC): mailbox
 * maintenance, then ERET to ELR_EL1 in SPSR_EL1's state. The host enters
 * here to start a program it set up itself (execve, a fork child).
 */
export const SHIM_RESUME = SHIM_VECTORS + 0x404;
/** First guest-physical byte after the shim's pages. */
export const SHIM_END = 0xc000;

/** HVC immediates: the shim → host protocol. */
export const HVC = {
  /** Synchronous exception from EL0 (SVC, abort, undefined, BRK, trapped MRS...). */
  EL0_SYNC: 1,
  /** Any exception taken from EL1 itself, or from AArch32: a shim or host bug. */
  EL1_FAULT: 2,
  /** IRQ/FIQ/SError from EL0 (the virtual timer, later). */
  EL0_ASYNC: 3,
} as const;

/** Boot block: 64-bit values the shim loads before entering EL0 (byte offsets in SHIM_DATA). */
export const BOOT = {
  VBAR: 0x00,
  MAIR: 0x08,
  TCR: 0x10,
  TTBR0: 0x18,
  SCTLR: 0x20,
  CPACR: 0x28,
  ELR: 0x30,
  SPSR: 0x38,
  SP_EL0: 0x40,
  SP_EL1: 0x48,
  CNTKCTL: 0x50,
} as const;

/**
 * Maintenance mailbox (in SHIM_DATA): the host sets a word to non-zero before
 * resuming; the shim clears it and performs the operation before ERET.
 */
export const MAILBOX = {
  /** TLBI VMALLE1: page tables changed. */
  TLB_FLUSH: 0x100,
  /** IC IALLU: memory that may hold instructions changed. */
  IC_FLUSH: 0x108,
} as const;

// System-register operands for MSR (op0 = 2 + o0).
const SYSREG = {
  VBAR_EL1: { o0: 1, op1: 0, crn: 12, crm: 0, op2: 0 },
  MAIR_EL1: { o0: 1, op1: 0, crn: 10, crm: 2, op2: 0 },
  TCR_EL1: { o0: 1, op1: 0, crn: 2, crm: 0, op2: 2 },
  TTBR0_EL1: { o0: 1, op1: 0, crn: 2, crm: 0, op2: 0 },
  SCTLR_EL1: { o0: 1, op1: 0, crn: 1, crm: 0, op2: 0 },
  CPACR_EL1: { o0: 1, op1: 0, crn: 1, crm: 0, op2: 2 },
  ELR_EL1: { o0: 1, op1: 0, crn: 4, crm: 0, op2: 1 },
  SPSR_EL1: { o0: 1, op1: 0, crn: 4, crm: 0, op2: 0 },
  SP_EL0: { o0: 1, op1: 0, crn: 4, crm: 1, op2: 0 },
  CNTKCTL_EL1: { o0: 1, op1: 0, crn: 14, crm: 1, op2: 0 },
} as const;

const XZR = 31;
const DSB_ISH = 0b1011;

function msr(a: Asm, reg: keyof typeof SYSREG, rt: number): void {
  a.emit('MSR_reg', { ...SYSREG[reg], rt });
}

/** ldr x<rt>, [x<rn>, #byteOffset] */
function ldrX(a: Asm, rt: number, rn: number, byteOffset: number): void {
  a.emit('LDR_uimm', { size: 3, imm12: byteOffset / 8, rn, rt });
}

function movz(a: Asm, rd: number, imm16: number): void {
  a.emit('MOVZ', { sf: 1, hw: 0, imm16, rd });
}

/** A vector entry that reports itself to the host and never returns. */
function fatalVector(a: Asm, at: number): void {
  a.org(at, 0);
  a.emit('HVC', { imm16: HVC.EL1_FAULT });
  a.emitTo(`hang${at}`, (off) => ['B', { imm26: off / 4 }]);
  a.label(`hang${at}`);
  a.emitTo(`hang${at}`, (off) => ['B', { imm26: off / 4 }]);
}

/** Assemble the shim's code page (4 KiB: boot code, then the vector table at +0x800). */
export function buildShim(): Uint8Array {
  const a = new Asm();
  const BB = 9; // x9 = boot block base

  // ---- boot: runs at EL1 with the MMU off ----
  movz(a, BB, SHIM_DATA);
  for (const [reg, off] of [
    ['VBAR_EL1', BOOT.VBAR],
    ['MAIR_EL1', BOOT.MAIR],
    ['TCR_EL1', BOOT.TCR],
    ['TTBR0_EL1', BOOT.TTBR0],
    ['CPACR_EL1', BOOT.CPACR],
    ['CNTKCTL_EL1', BOOT.CNTKCTL],
  ] as const) {
    ldrX(a, 0, BB, off);
    msr(a, reg, 0);
  }
  a.emit('ISB');
  ldrX(a, 0, BB, BOOT.SCTLR);
  msr(a, 'SCTLR_EL1', 0); // MMU on: the shim is identity-mapped
  a.emit('ISB');
  ldrX(a, 0, BB, BOOT.SP_EL1);
  a.emit('ADD_imm', { sf: 1, sh: 0, imm12: 0, rn: 0, rd: 31 }); // mov sp, x0
  ldrX(a, 0, BB, BOOT.SP_EL0);
  msr(a, 'SP_EL0', 0);
  ldrX(a, 0, BB, BOOT.ELR);
  msr(a, 'ELR_EL1', 0);
  ldrX(a, 0, BB, BOOT.SPSR);
  msr(a, 'SPSR_EL1', 0);
  // The guest starts with every general register zero, as Linux starts a process.
  movz(a, 0, 0);
  movz(a, BB, 0);
  a.emit('ERET');

  // ---- vectors (VBAR_EL1 = SHIM_VECTORS) ----
  const V = 0x800;
  for (const off of [0x000, 0x080, 0x100, 0x180, 0x200, 0x280, 0x300, 0x380]) fatalVector(a, V + off);

  // Lower EL, AArch64, synchronous: the path of every syscall and fault.
  a.org(V + 0x400, 0);
  a.emit('HVC', { imm16: HVC.EL0_SYNC });
  a.label('maintain');
  if (a.here !== SHIM_RESUME - SHIM_CODE) throw new Error('shim: the return path is not at SHIM_RESUME');
  a.emit('STP_pre', { opc: 2, imm7: -2, rt2: 1, rn: 31, rt: 0 }); // stp x0, x1, [sp, #-16]!
  movz(a, 0, SHIM_DATA + MAILBOX.TLB_FLUSH);
  ldrX(a, 1, 0, 0);
  a.emitTo('no_tlbi', (off) => ['CBZ', { sf: 1, imm19: off / 4, rt: 1 }]);
  a.emit('STR_uimm', { size: 3, imm12: 0, rn: 0, rt: XZR });
  // Inner-shareable forms: every vCPU of the VM (every thread of the process) drops its copies.
  a.emit('SYS', { op1: 0, crn: 8, crm: 3, op2: 0, rt: XZR }); // tlbi vmalle1is
  a.emit('DSB', { crm: DSB_ISH });
  a.label('no_tlbi');
  ldrX(a, 1, 0, 8);
  a.emitTo('no_ic', (off) => ['CBZ', { sf: 1, imm19: off / 4, rt: 1 }]);
  a.emit('STR_uimm', { size: 3, imm12: 1, rn: 0, rt: XZR });
  a.emit('SYS', { op1: 0, crn: 7, crm: 1, op2: 0, rt: XZR }); // ic ialluis
  a.emit('DSB', { crm: DSB_ISH });
  a.label('no_ic');
  a.emit('ISB');
  a.emit('LDP_post', { opc: 2, imm7: 2, rt2: 1, rn: 31, rt: 0 }); // ldp x0, x1, [sp], #16
  a.emit('ERET');

  // Lower EL, AArch64, IRQ/FIQ/SError.
  for (const off of [0x480, 0x500, 0x580]) {
    a.org(V + off, 0);
    a.emit('HVC', { imm16: HVC.EL0_ASYNC });
    a.emitTo('maintain', (o) => ['B', { imm26: o / 4 }]);
  }
  // Lower EL, AArch32: elfuse runs no AArch32 code.
  for (const off of [0x600, 0x680, 0x700, 0x780]) fatalVector(a, V + off);
  a.org(0x1000, 0);
  const code = a.assemble();
  if (code.length !== 0x1000) throw new Error('shim does not fit one page');
  return code;
}

/** What the boot block tells the shim: where the guest starts and its translation regime. */
export interface BootParams {
  /** Guest-physical address of the level-0 translation table (TTBR0_EL1). */
  ttbr0: number;
  /** Guest entry point and initial stack pointer. */
  entry: number;
  sp: number;
}

/** The boot block's bytes, to be placed at SHIM_DATA. */
export function bootBlock(p: BootParams): Uint8Array {
  const out = new Uint8Array(BOOT.CNTKCTL + 8);
  const dv = new DataView(out.buffer);
  const put = (off: number, v: bigint): void => dv.setBigUint64(off, v, true);
  put(BOOT.VBAR, BigInt(SHIM_VECTORS));
  put(BOOT.MAIR, MAIR_VALUE);
  put(BOOT.TCR, TCR_VALUE);
  put(BOOT.TTBR0, BigInt(p.ttbr0));
  put(BOOT.SCTLR, BigInt(SCTLR_VALUE >>> 0));
  put(BOOT.CPACR, CPACR_VALUE);
  put(BOOT.ELR, BigInt(p.entry));
  put(BOOT.SPSR, SPSR_EL0T);
  put(BOOT.SP_EL0, BigInt(p.sp));
  put(BOOT.SP_EL1, BigInt(SHIM_STACK_TOP));
  put(BOOT.CNTKCTL, CNTKCTL_VALUE);
  return out;
}

/** SCTLR_EL1 value: MMU, caches, alignment checks of SP, and EL0 cache maintenance allowed. */
export const SCTLR_VALUE =
  (1 << 0) | // M: stage-1 MMU on
  (1 << 2) | // C
  (1 << 3) | // SA: EL1 SP alignment check
  (1 << 4) | // SA0: EL0 SP alignment check (Linux sets it)
  (1 << 12) | // I
  (1 << 14) | // DZE: EL0 may use DC ZVA
  (1 << 15) | // UCT: EL0 may read CTR_EL0
  (1 << 16) | // nTWI: WFI does not trap
  (1 << 18) | // nTWE: WFE does not trap
  (1 << 26) | // UCI: EL0 cache maintenance by VA allowed
  // RES1 bits of ARMv8.0: 11, 20, 22, 23, 28, 29
  (1 << 11) | (1 << 20) | (1 << 22) | (1 << 23) | (1 << 28) | (1 << 29);

/** TCR_EL1: 48-bit VA via TTBR0, 4 KiB granule, write-back inner-shareable walks, TTBR1 walks off, 36-bit IPA. */
export const TCR_VALUE =
  16n | // T0SZ = 16 → 48-bit VA
  (1n << 8n) | // IRGN0 write-back
  (1n << 10n) | // ORGN0 write-back
  (3n << 12n) | // SH0 inner shareable
  (0n << 14n) | // TG0 = 4 KiB
  (1n << 23n) | // EPD1: no TTBR1 walks
  (1n << 32n); // IPS = 36 bits

/** MAIR_EL1: attribute 0 = normal memory, write-back. */
export const MAIR_VALUE = 0xffn;
/** CPACR_EL1.FPEN = 0b11: FP/SIMD usable at EL0 and EL1. */
export const CPACR_VALUE = 3n << 20n;
/** CNTKCTL_EL1: EL0 may read the physical and virtual counters. */
export const CNTKCTL_VALUE = 3n;
/** PSTATE for entering the guest: EL0t, interrupts unmasked. */
export const SPSR_EL0T = 0n;
/** PSTATE of a fresh vCPU at the shim: EL1h, DAIF masked. */
export const CPSR_EL1H_MASKED = 0x3c5n;
