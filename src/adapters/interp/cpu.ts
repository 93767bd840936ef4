/**
 * The interpreter's AArch64 CPU: architectural state, the stage-1 MMU with a
 * software TLB, exception entry and ERET, system registers, and the
 * fetch-execute loop. It behaves like one Hypervisor.framework vCPU: it
 * starts at EL1 with SCTLR_EL1 = 0 (MMU off), routes EL0 exceptions to
 * VBAR_EL1 like hardware, and leaves run() only on HVC, on a guest-physical
 * access outside mapped memory (a stage-2 fault), or at the end of a time
 * slice.
 *
 * Representation, chosen for V8 (see ARCHITECTURE.md, "Interpreter speed"):
 * - X registers are pairs of uint32 halves in one Uint32Array: x[2n] low,
 *   x[2n+1] high. Slot 31 is the current stack pointer, slot 32 reads as
 *   zero (XZR) and slot 33 swallows writes to XZR. Decoders resolve register
 *   31 to SP or ZR once, so instruction code never tests for it.
 * - The PC is a number (virtual addresses are < 2^48). While an instruction
 *   executes, `pc` already holds the address of the next one.
 * - Instructions are decoded once into closures (Exec), cached by
 *   instruction word. Execution goes by basic blocks, cached by physical
 *   page and start offset: a block first runs its closures in turn, and once
 *   hot it is translated to one JavaScript function (jit/). IC IALLU/IVAU
 *   drop the block cache.
 * - Memory goes through a direct-mapped TLB per exception level and access
 *   type, refilled by the page-table walk and flushed by TLBI.
 * - Faults and exception entries unwind the current instruction by throwing
 *   one preallocated sentinel; the run loop catches it and carries on from
 *   the new PC.
 */
import { a64 } from '../../domain/a64/decoder.js';
import { checksSpAlignment, trapsOnFpAccess } from '../../domain/a64/traits.js';
import { CNTV_CTL, DEBUG_FSC, EC, ESR_IL, ExitReason, FSC, ISS_WNR, STEP_ISV, SysReg, WFX_ISS_WFE, sysRegId, type VcpuExit } from '../../ports/vcpu.js';
import type { InterpMemory } from './memory.js';
import { EXEC_TABLE } from './exec/index.js';
import { Block, MAX_BLOCK, endsBlock, translate, type Decoded } from './jit/block.js';
import { FPCR_MASK, FPSR_MASK, PAGE_MASK, PAGE_SIZE, SP_SLOT, TLB_ENTRIES, TLB_MASK, TWO32, UNWIND, XZR_READ, XZR_WRITE } from './regs.js';
import { DebugUnit } from './debug.js';

export type Exec = (cpu: Cpu) => void;

export { SP_SLOT, UNWIND, XZR_READ, XZR_WRITE } from './regs.js';

const PAGE_SHIFT = 12;
const VA_LIMIT = 2 ** 48;

/** Access kinds for translation. */
const ACC_READ = 0;
const ACC_WRITE = 1;
const ACC_EXEC = 2;

/** Instructions per run() slice before returning CANCELED to the host. */
const DEFAULT_SLICE = 4_000_000;

/** Instructions between two looks at the virtual timer while it is armed. */
const VTIMER_CHUNK = 500_000;

/**
 * Executions of a block before it is translated to JavaScript. V8 compiles
 * every translated block on its own and runs it unoptimised (Ignition) until
 * it has run many times, where it is slower than the closures, whose code is
 * shared by every block and optimised early. A block run a few hundred times
 * never pays its translation back: at 16, `python3 -c pass` (19,500
 * translations) took about 6x the CPU time of no translation at all; at
 * 4000 it is within 1.5x of it, and hot loops lose nothing measurable
 * (docs/performance.md, "When to translate").
 */
const DEFAULT_JIT_THRESHOLD = 4000;

/** SCTLR_EL1 bits the interpreter honours. */
const SCTLR_M = 1;
const SCTLR_WXN = 1 << 19;
const SCTLR_UCT = 1 << 15;
const SCTLR_DZE = 1 << 14;
const SCTLR_UCI = 1 << 26;
const SCTLR_SA = 1 << 3;
const SCTLR_SA0 = 1 << 4;
const SCTLR_NAA = 1 << 6;

/** PSTATE.SS in SPSR layout. */
const PSTATE_SS_BIT = 21;

/** Counter frequency, as on Apple silicon. */
export const CNTFRQ = 24_000_000;

/** ID register values advertised to the guest; the kernel reads them for HWCAP. */
export interface IdRegs {
  midr: bigint;
  isar0: bigint;
  isar1: bigint;
  pfr0: bigint;
  mmfr0: bigint;
  mmfr2: bigint;
}

/** The closure of an SP-based access, with the alignment check in front. */
/**
 * Decoded closures by instruction word, for every CPU of this process: a
 * closure depends on the word alone (the CPU and the PC are its arguments
 * and state), so a word decoded once, by any vCPU, a machine booted earlier
 * or an earlier guest of a reused process, is never decoded again. While
 * CPACR_EL1 traps FP/SIMD, FP/SIMD words decode to the trap: the second map.
 */
const EXEC_BY_WORD = new Map<number, Decoded>();
const EXEC_BY_WORD_FP_TRAPPED = new Map<number, Decoded>();

function spChecked(fn: Exec): Exec {
  return (cpu) => {
    if (cpu.spCheck !== 0 && (cpu.x[2 * SP_SLOT]! & 15) !== 0) cpu.spAlignmentFault();
    fn(cpu);
  };
}

export class Cpu {
  // ---- architectural state -------------------------------------------------
  readonly x = new Uint32Array(68);
  pc = 0;
  nf = 0;
  zf = 0;
  cf = 0;
  vf = 0;
  /** Current exception level (0 or 1) and stack-pointer select. */
  el = 1;
  spsel = 1;
  daif = 0xf;
  /** The inactive stack pointers, as [lo, hi]. */
  private readonly spEl0 = new Uint32Array(2);
  private readonly spEl1 = new Uint32Array(2);

  /** V0..V31, 16 bytes each, with typed views for lanes of every width. */
  readonly vbuf = new ArrayBuffer(32 * 16);
  readonly vb = new Uint8Array(this.vbuf);
  readonly vh = new Uint16Array(this.vbuf);
  readonly vs = new Uint32Array(this.vbuf);
  readonly vf32 = new Float32Array(this.vbuf);
  readonly vf64 = new Float64Array(this.vbuf);
  readonly vd = new BigUint64Array(this.vbuf);
  fpcr = 0;
  fpsr = 0;
  /** PSTATE.SS: software-step state (1 = active-not-pending: one instruction may run). */
  ss = 0;

  tpidrEl0Lo = 0;
  tpidrEl0Hi = 0;
  /** Other system registers, keyed by hv_sys_reg_t id. */
  private readonly sys = new Map<number, bigint>();
  private sctlr = 0;

  /** The event register WFE consumes (set by SEV, SEVL and exception return). */
  event = 0;

  /** The virtual timer: CNTV_CTL_EL0 (ENABLE, IMASK), CNTV_CVAL_EL0, and HVF's vtimer mask. */
  private cntvCtl = 0n;
  private cntvCval = 0n;
  private vtimerMasked = false;
  /** True while the timer could fire (enabled, not masked): only then is the counter read. */
  private vtimerArmed = false;

  /** Exclusive monitor: address and size of the last load-exclusive, or -1. */
  exclAddr = -1;
  exclSize = 0;

  /** Scratch high word returned by read64(). */
  hi = 0;

  /** 1 when a load/store based on SP checks its 16-byte alignment (SCTLR_EL1.SA0 at EL0, SA at EL1). */
  spCheck = 0;
  /**
   * 1 when load-acquire/store-release accesses that cross a 16-byte boundary
   * fault (FEAT_LSE2 with SCTLR_EL1.nAA = 0).
   */
  orderedCheck = 1;

  // ---- memory ---------------------------------------------------------------
  private readonly mem: InterpMemory;
  // Guest RAM and the data TLB below are read directly by translated code
  // (jit/emit.ts inlines the TLB hit of loads and stores); only the CPU writes them.
  ram: Uint8Array;
  ram32: Uint32Array;
  dv: DataView;
  private ramSize = 0;

  // Direct-mapped TLBs: two halves (EL0, EL1), one per access type. An EL
  // change happens only at an exception or ERET, which end a block.
  tlbOff = TLB_ENTRIES; // starts at EL1
  readonly rTag = new Float64Array(2 * TLB_ENTRIES).fill(-1);
  readonly wTag = new Float64Array(2 * TLB_ENTRIES).fill(-1);
  private readonly xTag = new Float64Array(2 * TLB_ENTRIES).fill(-1);
  readonly rBase = new Int32Array(2 * TLB_ENTRIES);
  readonly wBase = new Int32Array(2 * TLB_ENTRIES);
  private readonly xBase = new Int32Array(2 * TLB_ENTRIES);

  // ---- decode caches --------------------------------------------------------
  /** The decoded closures by instruction word, shared by every CPU of the process (see EXEC_BY_WORD). */
  private execByWord = EXEC_BY_WORD;
  /** Decoded blocks by physical page, then by instruction offset (only pages that ran code). */
  private readonly codePages = new Map<number, (Block | undefined)[]>();
  /**
   * Executions before a block is translated; Infinity keeps every block on
   * closures (the reference the translator is tested against).
   */
  jitThreshold = DEFAULT_JIT_THRESHOLD;
  /** cpu.pc when the last UNWIND was thrown: where the unwinding instruction ends. */
  private unwindNext = 0;
  /** Instructions retired by completed iterations of a translated self-loop (see jit/block.ts). */
  loopDone = 0;
  private fpTrapped = false;

  // ---- debug ------------------------------------------------------------------
  /** Breakpoints, watchpoints and software step as MDSCR_EL1 and the DBG* registers arm them. */
  readonly debug = new DebugUnit();

  // ---- run control ----------------------------------------------------------
  private exit: VcpuExit | null = null;
  private exitRequested = false;
  retired = 0;
  slice = DEFAULT_SLICE;
  /** Called with the word and address of an instruction the CPU does not implement. */
  onUndefined: ((word: number, pc: number) => void) | undefined;

  readonly ids: IdRegs;

  constructor(mem: InterpMemory, ids: IdRegs) {
    this.mem = mem;
    this.ids = ids;
    this.ram = new Uint8Array(0);
    this.ram32 = new Uint32Array(0);
    this.dv = new DataView(this.ram.buffer);
    this.attachRam();
    mem.icacheListeners.add(this.onHostWrite);
    mem.cpus.add(this);
    // A fresh vCPU: EL1h, interrupts masked, MMU off.
    this.sys.set(SysReg.SCTLR_EL1, 0n);
  }

  private readonly onHostWrite = (ipa: number, size: number): void => this.icacheFlushRange(ipa, size);

  /** The vCPU is destroyed: it no longer hears the VM's broadcasts. */
  detach(): void {
    this.mem.icacheListeners.delete(this.onHostWrite);
    this.mem.cpus.delete(this);
    if (this.mem.lastRunner === this) this.mem.lastRunner = null;
  }

  /** Pick up the RAM slab at IPA 0 (call after mapping it). */
  attachRam(): void {
    const r = this.mem.ram;
    if (!r) return;
    this.ram = r.bytes;
    this.ramSize = r.size;
    this.ram32 = new Uint32Array(r.bytes.buffer, r.bytes.byteOffset, r.size >>> 2);
    this.ram16 = new Uint16Array(r.bytes.buffer, r.bytes.byteOffset, r.size >>> 1);
    this.ram64 = new BigUint64Array(r.bytes.buffer, r.bytes.byteOffset, r.size >>> 3);
    this.dv = new DataView(r.bytes.buffer, r.bytes.byteOffset, r.size);
    // A map, not an array by page: an array of 2 GiB / 4 KiB holes costs 20 ms at every start.
    this.codePages.clear();
    this.tlbFlush();
  }

  // ---- register helpers -------------------------------------------------------

  getX(n: number): bigint {
    return (BigInt(this.x[2 * n + 1]!) << 32n) | BigInt(this.x[2 * n]!);
  }

  setX(n: number, v: bigint): void {
    this.x[2 * n] = Number(v & 0xffffffffn);
    this.x[2 * n + 1] = Number((v >> 32n) & 0xffffffffn);
  }

  /** Register n as a number, for addresses (exact below 2^53). */
  xAddr(n: number): number {
    return this.x[2 * n + 1]! * TWO32 + this.x[2 * n]!;
  }

  /** Write a non-negative number below 2^53 into register slot n. */
  setXNum(n: number, v: number): void {
    this.x[2 * n] = v >>> 0;
    this.x[2 * n + 1] = Math.floor(v / TWO32) >>> 0;
  }

  get nzcv(): number {
    return (this.nf << 31) | (this.zf << 30) | (this.cf << 29) | (this.vf << 28);
  }

  set nzcv(v: number) {
    this.nf = (v >>> 31) & 1;
    this.zf = (v >>> 30) & 1;
    this.cf = (v >>> 29) & 1;
    this.vf = (v >>> 28) & 1;
  }

  /** PSTATE in SPSR layout. */
  get cpsr(): number {
    return ((this.nzcv | (this.ss << PSTATE_SS_BIT) | (this.daif << 6) | (this.el << 2) | this.spsel) >>> 0);
  }

  set cpsr(v: number) {
    this.nzcv = v;
    this.ss = (v >>> PSTATE_SS_BIT) & 1;
    this.daif = (v >>> 6) & 0xf;
    const el = (v >>> 2) & 3;
    this.switchMode(el === 0 ? 0 : 1, el === 0 ? 0 : v & 1);
  }

  /** Change EL/SPSel, swapping the live stack pointer and the TLB half. */
  private switchMode(el: number, spsel: number): void {
    const oldBank = this.spsel === 0 ? this.spEl0 : this.spEl1;
    oldBank[0] = this.x[62]!;
    oldBank[1] = this.x[63]!;
    this.el = el;
    this.spsel = spsel;
    const bank = spsel === 0 ? this.spEl0 : this.spEl1;
    this.x[62] = bank[0]!;
    this.x[63] = bank[1]!;
    this.tlbOff = el === 0 ? 0 : TLB_ENTRIES;
    this.updateFpTrap();
    this.updateAlignChecks();
  }

  private updateAlignChecks(): void {
    this.spCheck = this.sctlr & (this.el === 0 ? SCTLR_SA0 : SCTLR_SA) ? 1 : 0;
    this.orderedCheck = this.sctlr & SCTLR_NAA ? 0 : 1;
  }

  private spBank(which: 0 | 1): bigint {
    if (this.spsel === which) return this.getX(SP_SLOT);
    const b = which === 0 ? this.spEl0 : this.spEl1;
    return (BigInt(b[1]!) << 32n) | BigInt(b[0]!);
  }

  private setSpBank(which: 0 | 1, v: bigint): void {
    if (this.spsel === which) return this.setX(SP_SLOT, v);
    const b = which === 0 ? this.spEl0 : this.spEl1;
    b[0] = Number(v & 0xffffffffn);
    b[1] = Number((v >> 32n) & 0xffffffffn);
  }

  // ---- system registers (host view, hv_vcpu_get_sys_reg) -----------------------

  getSysReg(id: number): bigint {
    switch (id) {
      case SysReg.SP_EL0:
        return this.spBank(0);
      case SysReg.SP_EL1:
        return this.spBank(1);
      case SysReg.TPIDR_EL0:
        return (BigInt(this.tpidrEl0Hi) << 32n) | BigInt(this.tpidrEl0Lo);
      case SysReg.MIDR_EL1:
        return this.ids.midr;
      case SysReg.ID_AA64ISAR0_EL1:
        return this.ids.isar0;
      case SysReg.ID_AA64ISAR1_EL1:
        return this.ids.isar1;
      case SysReg.ID_AA64PFR0_EL1:
        return this.ids.pfr0;
      case SysReg.ID_AA64MMFR0_EL1:
        return this.ids.mmfr0;
      case SysReg.ID_AA64MMFR2_EL1:
        return this.ids.mmfr2;
      case SysReg.ID_AA64DFR0_EL1:
        return DebugUnit.DFR0;
      case SysReg.CNTV_CTL_EL0:
        return this.cntvCtl | (this.vtimerCondition() ? CNTV_CTL.ISTATUS : 0n);
      case SysReg.CNTV_CVAL_EL0:
        return this.cntvCval;
      default:
        return this.sys.get(id) ?? 0n;
    }
  }

  setSysReg(id: number, v: bigint): void {
    v = BigInt.asUintN(64, v);
    switch (id) {
      case SysReg.SP_EL0:
        return this.setSpBank(0, v);
      case SysReg.SP_EL1:
        return this.setSpBank(1, v);
      case SysReg.TPIDR_EL0:
        this.tpidrEl0Lo = Number(v & 0xffffffffn);
        this.tpidrEl0Hi = Number(v >> 32n);
        return;
      case SysReg.SCTLR_EL1:
        this.sctlr = Number(v & 0xffffffffn);
        this.sys.set(id, v);
        this.updateAlignChecks();
        this.tlbFlush();
        return;
      case SysReg.TTBR0_EL1:
      case SysReg.TCR_EL1:
        this.sys.set(id, v);
        this.tlbFlush();
        return;
      case SysReg.CPACR_EL1:
        this.sys.set(id, v);
        this.updateFpTrap();
        return;
      case SysReg.CNTV_CTL_EL0:
        this.cntvCtl = v & (CNTV_CTL.ENABLE | CNTV_CTL.IMASK);
        this.updateVtimer();
        return;
      case SysReg.CNTV_CVAL_EL0:
        this.cntvCval = v;
        return;
      default:
        this.sys.set(id, v);
        if (DebugUnit.isDebugReg(id)) this.debugChanged();
    }
  }

  /** hv_vcpu_set_vtimer_mask. */
  setVtimerMask(masked: boolean): void {
    this.vtimerMasked = masked;
    this.updateVtimer();
  }

  private updateVtimer(): void {
    this.vtimerArmed = !this.vtimerMasked && (this.cntvCtl & (CNTV_CTL.ENABLE | CNTV_CTL.IMASK)) === CNTV_CTL.ENABLE;
  }

  /** The timer condition: enabled and CNTVCT_EL0 >= CNTV_CVAL_EL0 (ISTATUS). */
  private vtimerCondition(): boolean {
    return (this.cntvCtl & CNTV_CTL.ENABLE) !== 0n && this.counter() >= this.cntvCval;
  }

  /** hv_vcpu_set_trap_debug_exceptions. */
  setTrapDebugExceptions(on: boolean): void {
    this.debug.trap = on;
    this.debugChanged();
  }

  /**
   * Re-read the debug registers. Blocks are split at breakpoint addresses
   * and watched pages are kept out of the TLB, so both caches start again.
   */
  private debugChanged(): void {
    this.debug.configure((id) => this.sys.get(id) ?? 0n);
    this.tlbFlush();
    this.icacheFlush();
  }

  /** FP/SIMD instructions trap (EC 0x07) unless CPACR_EL1.FPEN allows this EL. */
  private updateFpTrap(): void {
    const fpen = Number((this.sys.get(SysReg.CPACR_EL1) ?? 0n) >> 20n) & 3;
    const trapped = !(fpen === 3 || (fpen === 1 && this.el === 1));
    if (trapped !== this.fpTrapped) {
      this.fpTrapped = trapped;
      this.execByWord = trapped ? EXEC_BY_WORD_FP_TRAPPED : EXEC_BY_WORD;
      this.icacheFlush();
    }
  }

  // ---- exceptions -----------------------------------------------------------

  /**
   * Take a synchronous exception to EL1 and unwind the current instruction.
   * `ret` is the preferred return address (ELR_EL1).
   */
  takeException(ec: number, iss: number, ret: number, far?: number): never {
    this.unwindNext = this.pc;
    this.sys.set(SysReg.ESR_EL1, BigInt(((ec << 26) | ESR_IL | (iss & 0x1ffffff)) >>> 0));
    if (far !== undefined) this.sys.set(SysReg.FAR_EL1, BigInt(far));
    // Software step: an SVC completes the stepped instruction (SPSR.SS = 0); an
    // instruction that faults has not run, so it stays to be stepped (SS kept).
    if (ec === EC.SVC64) this.ss = 0;
    this.sys.set(SysReg.SPSR_EL1, BigInt(this.cpsr));
    this.ss = 0;
    this.sys.set(SysReg.ELR_EL1, BigInt(ret));
    const offset = this.el === 0 ? 0x400 : this.spsel ? 0x200 : 0x000;
    this.switchMode(1, 1);
    this.daif = 0xf;
    this.pc = Number(this.sys.get(SysReg.VBAR_EL1) ?? 0n) + offset;
    throw UNWIND;
  }

  /** Current instruction's address (pc was advanced before executing it). */
  get insnAddr(): number {
    return this.pc - 4;
  }

  undefinedInsn(): never {
    return this.takeException(EC.UNKNOWN, 0, this.insnAddr);
  }

  svc(imm16: number): never {
    return this.takeException(EC.SVC64, imm16, this.pc);
  }

  brk(imm16: number): never {
    return this.takeException(EC.BRK64, imm16, this.insnAddr);
  }

  /** HVC: from EL1 it is the exit to the host; EL0 cannot call it. */
  hvc(imm16: number): never {
    if (this.el === 0) return this.undefinedInsn();
    this.unwindNext = this.pc;
    this.exit = {
      reason: ExitReason.EXCEPTION,
      syndrome: ((EC.HVC64 << 26) | ESR_IL | (imm16 & 0xffff)) >>> 0,
      virtualAddress: 0n,
      physicalAddress: 0n,
    };
    throw UNWIND;
  }

  eret(): never {
    if (this.el === 0) return this.undefinedInsn();
    const spsr = Number(this.sys.get(SysReg.SPSR_EL1) ?? 0n);
    this.unwindNext = this.pc;
    this.cpsr = spsr;
    this.pc = Number(this.sys.get(SysReg.ELR_EL1) ?? 0n);
    this.exclAddr = -1;
    this.event = 1; // an exception return is an event for WFE
    throw UNWIND;
  }

  /** SEV/SEVL: there is one PE, so both set this PE's event register. */
  sendEvent(): void {
    this.event = 1;
  }

  /**
   * WFI, or WFE without a pending event: like HVF (HCR_EL2.TWI/TWE), leave
   * run() with EC 0x01 and the PC at the instruction, which the host
   * completes (it advances the PC). A WFE with the event register set
   * clears it and goes on.
   */
  wfx(wfe: boolean): void {
    if (wfe && this.event !== 0) {
      this.event = 0;
      return;
    }
    this.unwindNext = this.pc - 4; // the WFx itself has not retired: the host completes it
    this.exit = {
      reason: ExitReason.EXCEPTION,
      syndrome: ((EC.WFX << 26) | ESR_IL | (wfe ? WFX_ISS_WFE : 0)) >>> 0,
      virtualAddress: 0n,
      physicalAddress: 0n,
    };
    this.pc -= 4;
    throw UNWIND;
  }

  /**
   * End the current block after an instruction that completed but changed
   * what the following ones mean (translation regime, PSTATE, caches).
   */
  private completeAndUnwind(): never {
    this.unwindNext = this.pc;
    this.ss = 0;
    throw UNWIND;
  }

  /** An SP alignment fault (EC 0x26): a load or store based on an SP that is not 16-byte aligned. */
  spAlignmentFault(): never {
    return this.takeException(EC.SP_ALIGN, 0, this.insnAddr);
  }

  /** FP/SIMD access trap used by decode when CPACR_EL1 disables FP. */
  fpAccessTrap(): never {
    return this.takeException(EC.FP_ACCESS, 0x1e00000, this.insnAddr);
  }

  // ---- system instructions ----------------------------------------------------

  /** Trap an EL0 system-register or system-instruction access (EC 0x18). */
  private sysTrap(isRead: boolean, op0: number, op1: number, crn: number, crm: number, op2: number, rt: number): never {
    const iss = (op0 << 20) | (op2 << 17) | (op1 << 14) | (crn << 10) | (rt << 5) | (crm << 1) | (isRead ? 1 : 0);
    return this.takeException(EC.SYS64, iss, this.insnAddr);
  }

  /** MRS Xt, <sysreg>. `rt` is the raw register number (31 = XZR). */
  mrs(op0: number, op1: number, crn: number, crm: number, op2: number, rt: number): void {
    const id = sysRegId(op0, op1, crn, crm, op2);
    const dst = rt === 31 ? XZR_WRITE : rt;
    if (id === SysReg.TPIDR_EL0) {
      this.x[2 * dst] = this.tpidrEl0Lo;
      this.x[2 * dst + 1] = this.tpidrEl0Hi;
      return;
    }
    const v = this.readSysForInsn(id, op0, op1, crn, crm, op2, rt);
    this.setX(dst, v);
  }

  private readSysForInsn(id: number, op0: number, op1: number, crn: number, crm: number, op2: number, rt: number): bigint {
    switch (id) {
      case 0xda10: // NZCV
        return BigInt(this.nzcv >>> 0);
      case 0xda20: // FPCR
        return BigInt(this.fpcr >>> 0);
      case 0xda21: // FPSR
        return BigInt(this.fpsr >>> 0);
      case 0xd807: // DCZID_EL0: 64-byte DC ZVA blocks, allowed when SCTLR.DZE
        return this.el === 0 && !(this.sctlr & SCTLR_DZE) ? 0x14n : 0x4n;
      case 0xd801: // CTR_EL0
        if (this.el === 0 && !(this.sctlr & SCTLR_UCT)) return this.sysTrap(true, op0, op1, crn, crm, op2, rt);
        return 0x8444c004n;
      case 0xdf00: // CNTFRQ_EL0
        return BigInt(CNTFRQ);
      case 0xdf02: // CNTVCT_EL0
      case 0xdf01: // CNTPCT_EL0
        return this.counter();
      case SysReg.TPIDRRO_EL0:
        return this.sys.get(id) ?? 0n;
      case 0xc212: // CurrentEL
        if (this.el === 0) return this.undefinedInsn();
        return BigInt(this.el << 2);
      case 0xda11: // DAIF
        if (this.el === 0) return this.sysTrap(true, op0, op1, crn, crm, op2, rt);
        return BigInt(this.daif << 6);
      case 0xc210: // SPSel
        if (this.el === 0) return this.undefinedInsn();
        return BigInt(this.spsel);
      default:
        break;
    }
    if (this.el === 0) {
      // ID registers trap to EL1 (the kernel emulates them); the rest are UNDEFINED.
      if (op0 === 3 && op1 === 0 && crn === 0) return this.sysTrap(true, op0, op1, crn, crm, op2, rt);
      return this.undefinedInsn();
    }
    return this.getSysReg(id);
  }

  /** Host monotonic time as a CNTFRQ-rate counter. */
  counter(): bigint {
    return (process.hrtime.bigint() * BigInt(CNTFRQ)) / 1_000_000_000n;
  }

  /** MSR <sysreg>, Xt. */
  msr(op0: number, op1: number, crn: number, crm: number, op2: number, rt: number): void {
    const id = sysRegId(op0, op1, crn, crm, op2);
    const src = rt === 31 ? XZR_READ : rt;
    if (id === SysReg.TPIDR_EL0) {
      this.tpidrEl0Lo = this.x[2 * src]!;
      this.tpidrEl0Hi = this.x[2 * src + 1]!;
      return;
    }
    const v = this.getX(src);
    switch (id) {
      case 0xda10:
        this.nzcv = Number(v & 0xf0000000n);
        return;
      case 0xda20:
        this.fpcr = Number(v & FPCR_MASK);
        return;
      case 0xda21:
        this.fpsr = Number(v & FPSR_MASK);
        return;
      case 0xda11: // DAIF
        if (this.el === 0) return this.sysTrap(false, op0, op1, crn, crm, op2, rt);
        this.daif = Number(v >> 6n) & 0xf;
        return;
      default:
        break;
    }
    if (this.el === 0) {
      if (op0 === 3 && op1 === 0 && crn === 0) return this.sysTrap(false, op0, op1, crn, crm, op2, rt);
      return this.undefinedInsn();
    }
    this.setSysReg(id, v);
    // Translation-regime changes take effect from the next instruction.
    if (id === SysReg.SCTLR_EL1 || id === SysReg.TTBR0_EL1 || id === SysReg.TCR_EL1) this.completeAndUnwind();
  }

  /** MSR <pstatefield>, #imm: DAIFSet/DAIFClr/SPSel. */
  msrImm(op1: number, op2: number, imm: number): void {
    if (op1 === 3 && (op2 === 6 || op2 === 7)) {
      // DAIFSet / DAIFClr: EL0 access needs SCTLR.UMA, which we never set.
      if (this.el === 0) return this.sysTrap(false, 0, op1, 4, imm, op2, 31);
      this.daif = op2 === 6 ? this.daif | imm : this.daif & ~imm;
      return;
    }
    if (op1 === 0 && op2 === 5) {
      if (this.el === 0) return this.undefinedInsn();
      this.switchMode(this.el, imm & 1);
      this.completeAndUnwind();
    }
    // Other PSTATE fields (PAN, UAO, SSBS, DIT...) are not implemented.
    return this.undefinedInsn();
  }

  /** SYS #op1, Cn, Cm, #op2, Xt: cache, TLB and address-translation maintenance. */
  sysInsn(op1: number, crn: number, crm: number, op2: number, rt: number): void {
    const src = rt === 31 ? XZR_READ : rt;
    if (crn === 7) {
      // DC ZVA
      if (op1 === 3 && crm === 4 && op2 === 1) {
        if (this.el === 0 && !(this.sctlr & SCTLR_DZE)) return this.sysTrap(false, 1, op1, crn, crm, op2, rt);
        const va = Math.floor(this.xAddr(src) / 64) * 64;
        for (let i = 0; i < 64; i += 8) this.write64(va + i, 0, 0);
        return;
      }
      // IC IALLU / IALLUIS (EL1 only; the inner-shareable form reaches every vCPU of the VM) and IC IVAU
      if (op1 === 0 && (crm === 5 || crm === 1) && op2 === 0) {
        if (this.el === 0) return this.undefinedInsn();
        if (crm === 1) for (const cpu of this.mem.cpus) cpu.icacheFlush();
        else this.icacheFlush();
        this.completeAndUnwind();
      }
      if (op1 === 3 && crm === 5 && op2 === 1) {
        if (this.el === 0 && !(this.sctlr & SCTLR_UCI)) return this.sysTrap(false, 1, op1, crn, crm, op2, rt);
        // IC IVAU: the page of the line only (or everything, if the address does not translate).
        const pa = this.translateQuiet(this.xAddr(src));
        if (pa < 0) this.icacheFlush();
        else this.icacheFlushRange(pa, 1);
        this.completeAndUnwind();
      }
      // DC CVAU, CVAC, CIVAC, CVAP, CVADP (EL0 with SCTLR.UCI): no data cache to model.
      if (op1 === 3) {
        if (this.el === 0 && !(this.sctlr & SCTLR_UCI)) return this.sysTrap(false, 1, op1, crn, crm, op2, rt);
        return;
      }
      if (this.el === 0) return this.undefinedInsn();
      return; // EL1 set/way and other data-cache ops
    }
    if (crn === 8 && op1 === 0) {
      // TLBI: any form flushes everything (correct, if more than needed); an
      // inner- or outer-shareable one (CRm 3, 1) every vCPU's, as the broadcast reaches every core.
      if (this.el === 0) return this.undefinedInsn();
      if (crm === 3 || crm === 1) for (const cpu of this.mem.cpus) cpu.tlbFlush();
      else this.tlbFlush();
      this.completeAndUnwind();
    }
    return this.undefinedInsn();
  }

  // ---- MMU ------------------------------------------------------------------

  tlbFlush(): void {
    this.rTag.fill(-1);
    this.wTag.fill(-1);
    this.xTag.fill(-1);
  }

  /** Drop decoded pages. Closures per instruction word stay valid: they do not depend on the address. */
  icacheFlush(): void {
    this.codePages.clear();
  }

  /** Drop the decoded blocks of the physical pages of [pa, pa+size) (host writes, IC IVAU). */
  icacheFlushRange(pa: number, size: number): void {
    const last = Math.floor((pa + Math.max(size, 1) - 1) / PAGE_SIZE);
    for (let ppn = Math.floor(pa / PAGE_SIZE); ppn <= last; ppn++) this.codePages.delete(ppn);
  }

  /**
   * The physical address of `va` at the current EL for a data read, from the
   * TLB or a walk, without faulting or filling the TLB; -1 when there is none.
   */
  private translateQuiet(va: number): number {
    const vpn = Math.floor(va / PAGE_SIZE);
    const i = (vpn & TLB_MASK) + this.tlbOff;
    if (this.rTag[i] === vpn) return this.rBase[i]! + (va & PAGE_MASK);
    if (this.xTag[i] === vpn) return this.xBase[i]! + (va & PAGE_MASK);
    if (!(this.sctlr & SCTLR_M)) return va < this.ramSize ? va : -1;
    if (!(va >= 0 && va < VA_LIMIT)) return -1;
    let table = Number((this.sys.get(SysReg.TTBR0_EL1) ?? 0n) & 0x0000fffffffff000n);
    for (let level = 0; level <= 3; level++) {
      const shift = 39 - 9 * level;
      const dpa = table + (Math.floor(va / 2 ** shift) % 512) * 8;
      if (dpa + 8 > this.ramSize) return -1;
      const lo = this.dv.getUint32(dpa, true);
      const hi = this.dv.getUint32(dpa + 4, true);
      if ((lo & 1) === 0) return -1;
      const out = (hi & 0xffff) * TWO32 + ((lo & 0xfffff000) >>> 0);
      if (level < 3 && (lo & 2) !== 0) {
        table = out;
        continue;
      }
      if (level === 0 || (level === 3 && (lo & 2) === 0)) return -1;
      const blockBytes = 2 ** shift;
      const pa = out - (out % blockBytes) + (va % blockBytes);
      return pa < this.ramSize ? pa : -1;
    }
    return -1;
  }

  /**
   * Translate the page of `va` for `acc` at the current EL and fill the TLB, or
   * take the fault. Returns the physical page base.
   */
  private refill(va: number, acc: number, size = 1): number {
    const vpn = Math.floor(va / PAGE_SIZE);
    if (!(this.sctlr & SCTLR_M)) {
      // MMU off: flat, every access allowed (the EL1 boot shim runs like this).
      const pa = vpn * PAGE_SIZE;
      if (pa + PAGE_SIZE > this.ramSize) return this.stage2Fault(va, pa, acc);
      const i = (vpn & TLB_MASK) + this.tlbOff;
      this.rTag[i] = vpn;
      this.wTag[i] = vpn;
      this.xTag[i] = vpn;
      this.rBase[i] = pa;
      this.wBase[i] = pa;
      this.xBase[i] = pa;
      return pa;
    }
    if (!(va < VA_LIMIT)) return this.translationFault(va, acc, FSC.TRANSLATION + 0);
    const ttbr = Number((this.sys.get(SysReg.TTBR0_EL1) ?? 0n) & 0x0000fffffffff000n);
    let table = ttbr;
    for (let level = 0; level <= 3; level++) {
      const shift = 39 - 9 * level;
      const index = Math.floor(va / 2 ** shift) % 512;
      const dpa = table + index * 8;
      if (dpa + 8 > this.ramSize) return this.stage2Fault(va, dpa, acc);
      const lo = this.dv.getUint32(dpa, true);
      const hi = this.dv.getUint32(dpa + 4, true);
      if ((lo & 1) === 0) return this.translationFault(va, acc, FSC.TRANSLATION + level);
      const isTable = (lo & 2) !== 0;
      if (level < 3 && isTable) {
        table = (hi & 0xffff) * TWO32 + ((lo & 0xfffff000) >>> 0);
        continue;
      }
      if (level === 0 || (level === 3 && !isTable)) return this.translationFault(va, acc, FSC.TRANSLATION + level);
      if ((lo & (1 << 10)) === 0) return this.translationFault(va, acc, FSC.ACCESS_FLAG + level);
      const blockBytes = 2 ** shift;
      const outBase = (hi & 0xffff) * TWO32 + ((lo & 0xfffff000) >>> 0);
      const blockBase = outBase - (outBase % blockBytes);
      const pa = blockBase + ((vpn * PAGE_SIZE) % blockBytes);
      // Permissions (AP[2:1], UXN, PXN, SCTLR.WXN).
      const ap = (lo >>> 6) & 3;
      const el0Access = (ap & 1) !== 0;
      const readOnly = (ap & 2) !== 0;
      const uxn = (hi >>> 22) & 1;
      const pxn = (hi >>> 21) & 1;
      let canRead: boolean;
      let canWrite: boolean;
      let canExec: boolean;
      if (this.el === 0) {
        canRead = el0Access;
        canWrite = el0Access && !readOnly;
        canExec = !uxn && !(canWrite && this.sctlr & SCTLR_WXN);
      } else {
        canRead = true;
        canWrite = !readOnly;
        // EL0-writable memory is never executable at EL1.
        canExec = !pxn && !(el0Access && !readOnly) && !(canWrite && this.sctlr & SCTLR_WXN);
      }
      const allowed = acc === ACC_READ ? canRead : acc === ACC_WRITE ? canWrite : canExec;
      if (!allowed) return this.translationFault(va, acc, FSC.PERMISSION + level);
      if (pa + PAGE_SIZE > this.ramSize) return this.stage2Fault(va, pa, acc);
      const i = (vpn & TLB_MASK) + this.tlbOff;
      // A page with watched bytes stays out of the TLB for the watched access kind, so each such access comes here.
      const watched = this.debug.watchPages.size === 0 ? 0 : (this.debug.watchPages.get(vpn) ?? 0);
      if (watched !== 0 && acc !== ACC_EXEC && this.debug.watchHit(va, size, acc === ACC_WRITE, this.el)) {
        return this.watchpointHit(va, pa + (va & PAGE_MASK), acc);
      }
      if (canRead && (watched & 1) === 0) {
        this.rTag[i] = vpn;
        this.rBase[i] = pa;
      }
      if (canWrite && (watched & 2) === 0) {
        this.wTag[i] = vpn;
        this.wBase[i] = pa;
      }
      if (canExec) {
        this.xTag[i] = vpn;
        this.xBase[i] = pa;
      }
      return pa;
    }
    return this.translationFault(va, acc, FSC.TRANSLATION + 3);
  }

  /** A stage-1 fault: abort to EL1 with the fault address in FAR_EL1. */
  private translationFault(va: number, acc: number, fsc: number): never {
    if (acc === ACC_EXEC) {
      const ec = this.el === 0 ? EC.INSN_ABORT_LOWER : EC.INSN_ABORT_SAME;
      return this.takeException(ec, fsc, this.pc, va);
    }
    const ec = this.el === 0 ? EC.DATA_ABORT_LOWER : EC.DATA_ABORT_SAME;
    return this.takeException(ec, fsc | (acc === ACC_WRITE ? ISS_WNR : 0), this.insnAddr, va);
  }

  /** Guest-physical address outside RAM: like HVF, exit to the host. */
  private stage2Fault(va: number, pa: number, acc: number): never {
    this.unwindNext = this.pc;
    const ec = acc === ACC_EXEC ? EC.INSN_ABORT_LOWER : EC.DATA_ABORT_LOWER;
    this.exit = {
      reason: ExitReason.EXCEPTION,
      syndrome: ((ec << 26) | ESR_IL | FSC.TRANSLATION | (acc === ACC_WRITE ? ISS_WNR : 0)) >>> 0,
      virtualAddress: BigInt(va),
      physicalAddress: BigInt(pa),
    };
    if (acc !== ACC_EXEC) this.pc -= 4;
    throw UNWIND;
  }

  /**
   * A watchpoint matched: like a trapped debug exception on HVF, leave run()
   * with EC 0x34, the data address, and the PC at the accessing instruction,
   * which has had no effect.
   */
  private watchpointHit(va: number, pa: number, acc: number): never {
    this.unwindNext = this.pc - 4;
    this.exit = {
      reason: ExitReason.EXCEPTION,
      syndrome: ((EC.WATCHPOINT_LOWER << 26) | ESR_IL | (acc === ACC_WRITE ? ISS_WNR : 0) | DEBUG_FSC) >>> 0,
      virtualAddress: BigInt(va),
      physicalAddress: BigInt(pa),
    };
    this.pc -= 4;
    throw UNWIND;
  }

  /** Physical address of `va` for reading `size` bytes (translating on a TLB miss). */
  private paRead(va: number, size: number): number {
    const vpn = Math.floor(va / PAGE_SIZE);
    const i = (vpn & TLB_MASK) + this.tlbOff;
    if (this.rTag[i] === vpn) return this.rBase[i]! + (va & PAGE_MASK);
    return this.refill(va, ACC_READ, size) + (va & PAGE_MASK);
  }

  private paWrite(va: number, size: number): number {
    const vpn = Math.floor(va / PAGE_SIZE);
    const i = (vpn & TLB_MASK) + this.tlbOff;
    if (this.wTag[i] === vpn) return this.wBase[i]! + (va & PAGE_MASK);
    return this.refill(va, ACC_WRITE, size) + (va & PAGE_MASK);
  }

  // ---- data access ----------------------------------------------------------
  // Addresses are numbers; an address at or above 2^48 faults in refill().

  read8(va: number): number {
    return this.ram[this.paRead(va, 1)]!;
  }

  read16(va: number): number {
    if ((va & PAGE_MASK) > PAGE_SIZE - 2) return this.read8(va) | (this.read8(va + 1) << 8);
    return this.dv.getUint16(this.paRead(va, 2), true);
  }

  read32(va: number): number {
    if ((va & PAGE_MASK) > PAGE_SIZE - 4) return (this.read16(va) | (this.read16(va + 2) << 16)) >>> 0;
    const pa = this.paRead(va, 4);
    return (pa & 3) === 0 ? this.ram32[pa >>> 2]! : this.dv.getUint32(pa, true);
  }

  /** 64-bit load: returns the low word, leaves the high word in `hi`. */
  read64(va: number): number {
    if ((va & PAGE_MASK) > PAGE_SIZE - 8) {
      const lo = this.read32(va);
      this.hi = this.read32(va + 4);
      return lo;
    }
    const pa = this.paRead(va, 8);
    if ((pa & 3) === 0) {
      this.hi = this.ram32[(pa >>> 2) + 1]!;
      return this.ram32[pa >>> 2]!;
    }
    this.hi = this.dv.getUint32(pa + 4, true);
    return this.dv.getUint32(pa, true);
  }

  write8(va: number, v: number): void {
    this.ram[this.paWrite(va, 1)] = v;
  }

  write16(va: number, v: number): void {
    if ((va & PAGE_MASK) > PAGE_SIZE - 2) {
      this.paWrite(va + 1, 1); // fault before any byte is written
      this.write8(va, v);
      this.write8(va + 1, v >>> 8);
      return;
    }
    this.dv.setUint16(this.paWrite(va, 2), v, true);
  }

  write32(va: number, v: number): void {
    if ((va & PAGE_MASK) > PAGE_SIZE - 4) {
      this.paWrite(va + 3, 1);
      for (let k = 0; k < 4; k++) this.write8(va + k, v >>> (8 * k));
      return;
    }
    const pa = this.paWrite(va, 4);
    if ((pa & 3) === 0) this.ram32[pa >>> 2] = v;
    else this.dv.setUint32(pa, v, true);
  }

  write64(va: number, lo: number, hi: number): void {
    if ((va & PAGE_MASK) > PAGE_SIZE - 8) {
      this.paWrite(va, PAGE_SIZE - (va & PAGE_MASK));
      this.paWrite(va + 7, 1);
      this.write32(va, lo);
      this.write32(va + 4, hi);
      return;
    }
    const pa = this.paWrite(va, 8);
    if ((pa & 3) === 0) {
      this.ram32[pa >>> 2] = lo;
      this.ram32[(pa >>> 2) + 1] = hi;
      return;
    }
    this.dv.setUint32(pa, lo, true);
    this.dv.setUint32(pa + 4, hi, true);
  }

  /** Check that [va, va+size) is writable without writing (for multi-part stores). */
  probeWrite(va: number, size: number): void {
    this.paWrite(va, size);
    this.paWrite(va + size - 1, 1);
  }

  probeRead(va: number, size: number): void {
    this.paRead(va, size);
    this.paRead(va + size - 1, 1);
  }

  // ---- atomic accesses ------------------------------------------------------------
  // Shared memory is mapped over RAM (InterpMemory.mapShared), so another process may
  // write the same bytes at any moment: read-modify-writes and store-exclusives are
  // host atomics on views of RAM, never a read followed by a separate write.

  private ram16: Uint16Array<ArrayBufferLike> = new Uint16Array(0);
  private ram64: BigUint64Array<ArrayBufferLike> = new BigUint64Array(0);

  /** Physical address of an aligned atomic access of `size` bytes, checked for writing. */
  atomicPa(va: number, size: number): number {
    return this.paWrite(va, size);
  }

  /** Atomic load of 2^log2 (aligned) bytes at `pa`: the low word; the high word in `hi`. */
  atomicLoad(pa: number, log2: number): number {
    if (log2 === 3) {
      const v = Atomics.load(this.ram64, pa >>> 3);
      this.hi = Number(v >> 32n);
      return Number(v & 0xffffffffn);
    }
    this.hi = 0;
    if (log2 === 2) return Atomics.load(this.ram32, pa >>> 2);
    if (log2 === 1) return Atomics.load(this.ram16, pa >>> 1);
    return Atomics.load(this.ram, pa);
  }

  /**
   * Compare-and-swap of 2^log2 (aligned) bytes at `pa`: stores (newLo, newHi)
   * if memory holds (expLo, expHi). Returns the old low word, the old high
   * word in `hi`; it stored exactly when those equal the expected value.
   */
  atomicCas(pa: number, log2: number, expLo: number, expHi: number, newLo: number, newHi: number): number {
    if (log2 === 3) {
      const exp = (BigInt(expHi >>> 0) << 32n) | BigInt(expLo >>> 0);
      const v = Atomics.compareExchange(this.ram64, pa >>> 3, exp, (BigInt(newHi >>> 0) << 32n) | BigInt(newLo >>> 0));
      this.hi = Number(v >> 32n);
      return Number(v & 0xffffffffn);
    }
    this.hi = 0;
    if (log2 === 2) return Atomics.compareExchange(this.ram32, pa >>> 2, expLo >>> 0, newLo >>> 0);
    if (log2 === 1) return Atomics.compareExchange(this.ram16, pa >>> 1, expLo & 0xffff, newLo & 0xffff);
    return Atomics.compareExchange(this.ram, pa, expLo & 0xff, newLo & 0xff);
  }

  // ---- exclusive monitor ------------------------------------------------------

  /** The value the last load-exclusive read, which a store-exclusive expects still to be there. */
  exclLo = 0;
  exclHi = 0;

  setExclusive(va: number, size: number, lo = 0, hi = 0): void {
    this.exclAddr = va;
    this.exclSize = size;
    this.exclLo = lo >>> 0;
    this.exclHi = hi >>> 0;
  }

  /** True if a store-exclusive to [va, va+size) may succeed; clears the monitor. */
  checkExclusive(va: number, size: number): boolean {
    const ok = this.exclAddr === va && this.exclSize === size;
    this.exclAddr = -1;
    return ok;
  }

  // ---- fetch / decode / run ------------------------------------------------------

  private decodeWord(word: number): Decoded {
    let d = this.execByWord.get(word);
    if (d) return d;
    const hit = a64().decode(word);
    const builder = hit ? EXEC_TABLE[hit.entry.def.name] : undefined;
    if (!hit || !builder) {
      d = { fn: (cpu: Cpu) => cpu.undefinedWord(word), name: null, def: null, fields: null };
    } else if (this.fpTrapped && trapsOnFpAccess(hit.entry.def)) {
      d = { fn: (cpu: Cpu) => cpu.fpAccessTrap(), name: null, def: null, fields: null };
    } else {
      let fn = builder(hit.fields);
      if (checksSpAlignment(hit.entry.def, hit.fields)) fn = spChecked(fn);
      d = { fn, name: hit.entry.def.name, def: hit.entry.def, fields: hit.fields };
    }
    this.execByWord.set(word, d);
    return d;
  }

  /** An instruction the CPU does not implement: report it, then UNDEFINED. */
  undefinedWord(word: number): never {
    this.onUndefined?.(word, this.insnAddr);
    return this.undefinedInsn();
  }

  /** The code page found by codePageFor: its blocks, virtual base and physical base. */
  private cpBlocks: (Block | undefined)[] = [];
  private cpBase = -PAGE_SIZE;
  private cpPa = 0;

  /**
   * Look up the block-cache page holding `pc`, translating for execution,
   * into cpBlocks/cpBase/cpPa (fields rather than a result object: this runs
   * on every page change and must not allocate).
   */
  private codePageFor(pc: number): void {
    if (pc % 4 !== 0) return this.takeException(EC.PC_ALIGN, 0, pc, pc);
    const vpn = Math.floor(pc / PAGE_SIZE);
    const i = (vpn & TLB_MASK) + this.tlbOff;
    const pa = this.xTag[i] === vpn ? this.xBase[i]! : this.refill(pc, ACC_EXEC);
    const ppn = pa >>> PAGE_SHIFT;
    let page = this.codePages.get(ppn);
    if (!page) {
      page = new Array<Block | undefined>(PAGE_SIZE / 4).fill(undefined);
      this.codePages.set(ppn, page);
    }
    this.cpBlocks = page;
    this.cpBase = vpn * PAGE_SIZE;
    this.cpPa = pa;
  }

  /** Decode the block starting at `pc` (physical page `pa`, offset `off`). */
  private buildBlock(pc: number, pa: number, off: number): Block {
    const insns: Decoded[] = [];
    const bps = this.debug.anyBreakpoint;
    if (bps && this.debug.breakpointAddress(pc)) return this.breakpointBlock(pc, this.decodeWord(this.ram32[(pa + off) >>> 2]!));
    for (let o = off; o < PAGE_SIZE && insns.length < MAX_BLOCK; o += 4) {
      // A breakpoint address always starts a block, where the check below runs.
      if (bps && o > off && this.debug.breakpointAddress(pc + o - off)) break;
      const d = this.decodeWord(this.ram32[(pa + o) >>> 2]!);
      insns.push(d);
      if (endsBlock(d)) break;
    }
    return new Block(pc, insns, insns.map((d) => d.fn));
  }

  /**
   * A one-instruction block at a breakpoint address: at an EL the breakpoint
   * matches it leaves run() before the instruction (EC 0x30), as a trapped
   * breakpoint exception does; otherwise it runs the instruction.
   */
  private breakpointBlock(va: number, d: Decoded): Block {
    const insn = d.fn;
    const fn: Exec = (cpu) => {
      if (!cpu.debug.breakpointAt(va, cpu.el)) return insn(cpu);
      cpu.debugExit(EC.BREAKPOINT_LOWER, DEBUG_FSC, va);
    };
    return new Block(va, [{ fn, name: null, def: null, fields: null }], [fn]);
  }

  /** Leave run() with a trapped debug exception; the PC is `pc`, the instruction there has not run. */
  private debugExit(ec: number, iss: number, pc: number): never {
    this.unwindNext = pc; // the instruction at pc has not run
    this.pc = pc;
    this.exit = { reason: ExitReason.EXCEPTION, syndrome: ((ec << 26) | ESR_IL | iss) >>> 0, virtualAddress: 0n, physicalAddress: 0n };
    throw UNWIND;
  }

  /** hv_vcpu_run: execute until an exit or the end of the slice. */
  run(): VcpuExit {
    this.exit = null;
    // Another vCPU ran since this one did: the OS's context switch between them clears the
    // exclusive monitor (CLREX), so a load-exclusive/store-exclusive pair it cut fails and retries.
    if (this.mem.lastRunner !== this) {
      this.exclAddr = -1;
      this.mem.lastRunner = this;
    }
    if (this.exitRequested) {
      this.exitRequested = false;
      return { reason: ExitReason.CANCELED, syndrome: 0, virtualAddress: 0n, physicalAddress: 0n };
    }
    if (this.debug.stepping) return this.runStep();
    let budget = this.slice;
    while (budget > 0) {
      // The virtual timer is looked at between chunks of VTIMER_CHUNK instructions (a few ms).
      if (this.vtimerArmed && this.vtimerFires()) return this.vtimerExit();
      const start = budget;
      const chunk = this.vtimerArmed ? Math.min(budget, VTIMER_CHUNK) : budget;
      try {
        budget = start - chunk + this.runBlocks(chunk);
      } catch (e) {
        if (e !== UNWIND) throw e;
        budget = start - chunk + this.unwound;
      }
      this.retired += start - budget;
      if (this.exit) return this.exit;
      if (this.exitRequested) break;
    }
    this.exitRequested = false;
    return { reason: ExitReason.CANCELED, syndrome: 0, virtualAddress: 0n, physicalAddress: 0n };
  }

  /** Budget left when an instruction unwound (the unwinding one counts as retired). */
  private unwound = 0;

  /**
   * Run blocks until the budget is spent. Blocks never cross a page, so the
   * translation of the current code page is reused until the PC leaves it.
   */
  private runBlocks(budget: number): number {
    let page: (Block | undefined)[] = [];
    let base = -PAGE_SIZE;
    let pa = 0;
    let block: Block | undefined;
    try {
      while (budget > 0) {
        const pc = this.pc;
        block = undefined;
        let off = pc - base;
        if (off < 0 || off >= PAGE_SIZE) {
          this.codePageFor(pc);
          page = this.cpBlocks;
          base = this.cpBase;
          pa = this.cpPa;
          off = pc - base;
        }
        const idx = off >>> 2;
        block = page[idx];
        // A page mapped at two addresses: the block's code embeds the other one.
        if (block === undefined || block.va !== pc) {
          block = this.buildBlock(pc, pa, off);
          page[idx] = block;
        }
        let run = block.run;
        if (run === null && ++block.heat >= this.jitThreshold) run = block.run = translate(block);
        if (run !== null) {
          budget -= run(this, budget);
          continue;
        }
        const fns = block.fns;
        let next = pc;
        for (let i = 0; i < fns.length; i++) {
          next += 4;
          this.pc = next;
          fns[i]!(this);
        }
        budget -= fns.length;
      }
    } catch (e) {
      // Instructions of the block up to and including the one that unwound retired.
      // A fault fetching a new block retires nothing.
      // unwindNext is where the unwinding instruction ends, or its own address when it did not run.
      const partial = block ? Math.min(Math.max((this.unwindNext - block.va) / 4, 0), block.length) : 0;
      const done = partial + this.loopDone;
      this.loopDone = 0;
      this.unwound = budget - done;
      throw e;
    }
    return budget;
  }

  /**
   * run() while software step is active: one instruction at a time, with
   * the ARM ARM's state machine. PSTATE.SS = 0 (active-pending) takes the
   * step exception before the next instruction; PSTATE.SS = 1
   * (active-not-pending) lets one instruction run, which leaves SS = 0. An
   * exception entry clears SS (SPSR.SS says whether the instruction still has
   * to be stepped) and ERET restores it from SPSR, so an ERET with SPSR.SS = 1
   * runs one instruction of the context it returns to before the step exit.
   */
  private runStep(): VcpuExit {
    for (;;) {
      const pc = this.pc;
      if (this.ss === 0) return this.stepExit(pc);
      try {
        if (this.debug.anyBreakpoint && this.debug.breakpointAt(pc, this.el)) this.debugExit(EC.BREAKPOINT_LOWER, DEBUG_FSC, pc);
        this.codePageFor(pc);
        const d = this.decodeWord(this.ram32[(this.cpPa + (pc - this.cpBase)) >>> 2]!);
        this.pc = pc + 4;
        d.fn(this);
        this.ss = 0;
        this.retired++;
      } catch (e) {
        if (e !== UNWIND) throw e;
        this.loopDone = 0;
        const exit = this.exit as VcpuExit | null;
        if (exit === null) {
          this.retired++; // an exception entry, ERET or context change: SS is set as the architecture says
          continue;
        }
        const ec = exit.syndrome >>> 26;
        if (ec === EC.HVC64) {
          // The HVC completed: back from the host, the next instruction is stepped.
          this.ss = 0;
          this.retired++;
        }
        return exit;
      }
    }
  }

  private stepExit(pc: number): VcpuExit {
    this.pc = pc;
    return {
      reason: ExitReason.EXCEPTION,
      syndrome: ((EC.SOFTWARE_STEP_LOWER << 26) | ESR_IL | STEP_ISV | DEBUG_FSC) >>> 0,
      virtualAddress: 0n,
      physicalAddress: 0n,
    };
  }

  requestExit(): void {
    this.exitRequested = true;
  }

  private vtimerFires(): boolean {
    return this.counter() >= this.cntvCval;
  }

  /** HV_EXIT_REASON_VTIMER_ACTIVATED: the framework masks the vtimer until the host unmasks it. */
  private vtimerExit(): VcpuExit {
    this.setVtimerMask(true);
    return { reason: ExitReason.VTIMER_ACTIVATED, syndrome: 0, virtualAddress: 0n, physicalAddress: 0n };
  }
}
