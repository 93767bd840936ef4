/**
 * DebugSession: the debugger's side of the vCPU contract, and the run-loop
 * hooks that make a guest debuggable. It arms what a hardware debugger arms
 * (MDSCR_EL1.SS with PSTATE.SS for single step, DBGBVR/DBGBCR breakpoints,
 * DBGWVR/DBGWCR watchpoints, with hv_vcpu_set_trap_debug_exceptions on) and
 * turns the resulting exits into stops for its client, the GDB stub; the
 * instruction trace rides on the same single step. Software breakpoints are
 * BRK #0 written into the guest's code, found again as the guest's BRK
 * trap, with the instruction cache invalidated for the page.
 *
 * The client sees only the guest's EL0 view. Steps through the EL1 shim
 * (a syscall or page fault inside a step) are taken silently, one shim
 * instruction per exit, until the vCPU is back at EL0; registers come from
 * the live vCPU at EL0 or from ELR/SPSR_EL1 while the vCPU is in the shim.
 *
 * Signals go to the client before the guest gets them (as ptrace's
 * signal-delivery-stop): the client's resume decides which signal, if any,
 * is delivered.
 */
import type { MemoryPort } from '../../ports/memory.js';
import {
  DBGBCR,
  DBGBVR,
  DBGCR,
  DBGWCR,
  DBGWVR,
  EC,
  MDSCR_MDE,
  MDSCR_SS,
  PSTATE_SS,
  Reg,
  SysReg,
  type VcpuExit,
  type VcpuPort,
} from '../../ports/vcpu.js';
import { HVC } from '../boot/shim.js';
import type { GuestStatus, RunHooks } from '../kernel/run-loop.js';
import { SIGKILL, SIGTRAP, SIGINT } from '../kernel/linux-abi.js';
import { dequeueSignal, nextSignal, sigbit, userContextOf } from '../kernel/signal-deliver.js';
import type { SigInfo, Task, UserContext } from '../kernel/task.js';
import type { AddressSpace } from '../memory/address-space.js';
import { GuestFault } from '../memory/fault.js';

/** What the launcher hands a debugger: the guest and the ports it runs on. */
export interface DebugTarget {
  readonly task: Task;
  readonly vcpu: VcpuPort;
  readonly memory: MemoryPort;
  readonly as: AddressSpace;
  /** The executable's host path (qXfer:exec-file). */
  readonly exePath: string;
  /** The executable's bytes (symbols for the trace filter). */
  readonly elf: Uint8Array;
  /** Load bias of a PIE (0 for a fixed-address executable). */
  readonly loadBias: number;
}

export type StopKind = 'entry' | 'attach' | 'step' | 'swbreak' | 'hwbreak' | 'watch' | 'interrupt' | 'signal';

export interface StopEvent {
  readonly kind: StopKind;
  /** Linux signal number the stop reports. */
  readonly signal: number;
  /** A watchpoint stop: which kind of GDB watchpoint and the data address. */
  readonly watch?: { readonly type: WatchType; readonly addr: bigint };
  /** siginfo of a signal stop (qXfer:siginfo:read). */
  readonly siginfo?: SigInfo;
}

export type Resume = { action: 'continue' | 'step'; signal: number } | { action: 'detach' } | { action: 'kill' };

/** The debugger front end (the GDB stub). */
export interface DebugClient {
  /** The guest stopped; resolves with what to do next. Registers and memory may be used meanwhile. */
  stopped(stop: StopEvent): Promise<Resume>;
  /** The guest has ended (W/X packets). */
  exited(status: GuestStatus): void;
}

/** Gets each instruction just before it runs (the instruction trace). */
export interface StepObserver {
  /** The guest is about to run the instruction at `pc`. */
  beforeInstruction(pc: bigint, ctx: UserContext): void;
  end(): void;
}

export type WatchType = 'watch' | 'rwatch' | 'awatch';

interface WatchEntry {
  readonly addr: number;
  readonly len: number;
  readonly type: WatchType;
  readonly slots: number[];
}

/** BRK #0: GDB's AArch64 software breakpoint. */
const BRK0 = Uint8Array.of(0x00, 0x00, 0x20, 0xd4);
const PAGE = 4096;
/** Step exits the trace takes before it lets the host event loop turn. */
const YIELD_EVERY = 20_000;

export class DebugSession implements RunHooks {
  private client: DebugClient | null = null;
  private readonly observer: StepObserver | null;
  /** The client asked for a single step. */
  private stepRequested = false;
  /** Stop at the first EL0 instruction. */
  private entryPending: boolean;
  /** Stop as soon as the guest is at EL0 (Ctrl-C, or a debugger attaching to a running guest). */
  private interruptPending: 'interrupt' | 'attach' | null = null;
  /** While stepping through the shim: the return address the exception entry left in ELR_EL1, or null at EL0. */
  private returnPc: bigint | null = null;
  private steps = 0;
  private mdscr = 0n;
  private readonly swBreaks = new Map<number, Uint8Array>();
  private readonly hwBreaks = new Map<number, number>();
  private readonly watches: WatchEntry[] = [];
  private freeBp: number[] = [];
  private freeWp: number[] = [];
  /** The last stop, for '?' and qXfer:siginfo. */
  lastStop: StopEvent | null = null;
  /** Where the guest's registers are while stopped. */
  private ctx: UserContext;
  /** The guest's registers live at EL0, and while the vCPU is in the shim (made once: the trace steps every instruction). */
  private readonly el0Ctx: UserContext;
  private readonly shimCtx: UserContext;
  private started = false;

  constructor(
    readonly target: DebugTarget,
    opts: { stopOnEntry: boolean; observer?: StepObserver | null },
  ) {
    this.observer = opts.observer ?? null;
    this.entryPending = opts.stopOnEntry;
    this.el0Ctx = userContextOf(target.vcpu, 'el0');
    this.shimCtx = userContextOf(target.vcpu, 'shim');
    this.ctx = this.shimCtx;
  }

  get pid(): number {
    return this.target.task.pid;
  }

  /** Thread ids of the guest (one thread today; clone will add more). */
  threads(): number[] {
    return [this.target.task.tid];
  }

  /** The debugger attached to a guest that was already running (not started stopped for it). */
  attachedToRunning = false;

  /** Attach the front end; a guest already running stops at its next EL0 instruction. */
  attach(client: DebugClient): void {
    this.client = client;
    // Traced: a fatal signal waits for the debugger instead of ending the guest when sent.
    this.target.task.ptraced = true;
    if (!this.started) return;
    this.target.vcpu.setTrapDebugExceptions(true); // a detach turned it off
    this.attachedToRunning = true;
    this.interrupt('attach');
  }

  /** Ctrl-C: stop the running guest as soon as it is at EL0 (SIGINT). */
  interrupt(why: 'interrupt' | 'attach' = 'interrupt'): void {
    if (this.interruptPending === null) this.interruptPending = why;
    this.target.vcpu.requestExit();
  }

  // ---- run-loop hooks --------------------------------------------------------

  start(): void {
    const v = this.target.vcpu;
    v.setTrapDebugExceptions(true);
    const dfr0 = v.getSysReg(SysReg.ID_AA64DFR0_EL1);
    const brps = Number((dfr0 >> 12n) & 0xfn) + 1;
    const wrps = Number((dfr0 >> 20n) & 0xfn) + 1;
    this.freeBp = Array.from({ length: brps }, (_, i) => i);
    this.freeWp = Array.from({ length: wrps }, (_, i) => i);
    this.started = true;
    // The vCPU is at the shim's boot code: stepping it ends before the first guest instruction.
    if (this.entryPending || this.observer) this.armStep();
  }

  /** Synchronous unless the guest stops for the client (the trace's steps must not cost a promise each). */
  exit(exit: VcpuExit): Promise<boolean> | boolean {
    const v = this.target.vcpu;
    if (exit.reason === 0 /* CANCELED */) {
      if (this.interruptPending === null) return false;
      if (this.atEl0()) {
        return this.stopped({ kind: this.interruptPending === 'attach' ? 'attach' : 'interrupt', signal: this.interruptPending === 'attach' ? SIGTRAP : SIGINT });
      }
      // Inside the shim: step to the guest's next instruction and stop there.
      this.armStep();
      return false;
    }
    const ec = exit.syndrome >>> 26;
    switch (ec) {
      case EC.SOFTWARE_STEP_LOWER:
        return this.stepExit();
      case EC.BREAKPOINT_LOWER:
        return this.stopped({ kind: 'hwbreak', signal: SIGTRAP });
      case EC.WATCHPOINT_LOWER:
        return this.stopped({ kind: 'watch', signal: SIGTRAP, watch: this.watchHit(exit.virtualAddress) });
      case EC.HVC64: {
        if ((exit.syndrome & 0xffff) !== HVC.EL0_SYNC || this.swBreaks.size === 0) return false;
        const esr = Number(v.getSysReg(SysReg.ESR_EL1));
        if (esr >>> 26 !== EC.BRK64 || (esr & 0xffff) !== 0) return false;
        if (!this.swBreaks.has(Number(v.getSysReg(SysReg.ELR_EL1)))) return false;
        return this.stopped({ kind: 'swbreak', signal: SIGTRAP });
      }
      default:
        return false;
    }
  }

  /** Stop for the client; the exit is handled either way. */
  private async stopped(event: StopEvent): Promise<boolean> {
    await this.stop(event);
    return true;
  }

  /** A single-step exit: at EL1 keep stepping through the shim; at EL0 an instruction is next. */
  private stepExit(): Promise<boolean> | boolean {
    const v = this.target.vcpu;
    if (!this.atEl0()) {
      const elr = v.getSysReg(SysReg.ELR_EL1);
      if (this.returnPc === null) {
        this.returnPc = elr;
      } else if (elr !== this.returnPc) {
        // The kernel redirected the return (a signal handler): stop before its first instruction.
        v.setSysReg(SysReg.SPSR_EL1, v.getSysReg(SysReg.SPSR_EL1) & ~PSTATE_SS);
        this.returnPc = elr;
      }
      v.setReg(Reg.CPSR, v.getReg(Reg.CPSR) | PSTATE_SS);
      return true;
    }
    this.returnPc = null;
    const ctx = this.el0Ctx;
    this.observer?.beforeInstruction(ctx.pc, ctx);
    if (this.client && this.entryPending) return this.stopped({ kind: 'entry', signal: SIGTRAP });
    if (this.client && this.interruptPending) {
      return this.stopped({ kind: this.interruptPending === 'attach' ? 'attach' : 'interrupt', signal: this.interruptPending === 'attach' ? SIGTRAP : SIGINT });
    }
    if (this.client && this.stepRequested) return this.stopped({ kind: 'step', signal: SIGTRAP });
    this.entryPending = false;
    this.interruptPending = null;
    if (!this.observer) {
      this.setStepping(false);
      return true;
    }
    v.setReg(Reg.CPSR, v.getReg(Reg.CPSR) | PSTATE_SS);
    // Tracing steps every instruction: let host I/O, timers and the debugger's Ctrl-C in now and then.
    if (++this.steps % YIELD_EVERY === 0) return this.target.task.host.clock.sleep(0n).then(() => true);
    return true;
  }

  async signals(ctx: UserContext): Promise<void> {
    if (!this.client) return;
    const task = this.target.task;
    const approved: SigInfo[] = [];
    for (;;) {
      const sig = nextSignal(task.sigpending & ~task.sigmask);
      if (sig === 0 || task.exit) break;
      const info = dequeueSignal(task, sig);
      if (sig === SIGKILL || !this.client) {
        approved.push(info);
        continue;
      }
      this.ctx = ctx;
      const resume = await this.stop({ kind: 'signal', signal: sig, siginfo: info }, ctx);
      if (resume === null || resume.action === 'detach') {
        approved.push(info);
        continue;
      }
      if (resume.action === 'kill') break;
      if (resume.signal === sig) approved.push(info);
      else if (resume.signal !== 0) approved.push({ signo: resume.signal, code: 0 /* SI_USER */, pid: 0, uid: 0 });
    }
    for (const info of approved.reverse()) requeueSignal(task, info);
  }

  end(status: GuestStatus): void {
    this.observer?.end();
    this.client?.exited(status);
    this.client = null;
    this.target.task.ptraced = false;
  }

  // ---- stopping and resuming -------------------------------------------------

  private atEl0(): boolean {
    return (this.target.vcpu.getReg(Reg.CPSR) & 0xfn) === 0n;
  }

  /** Report a stop to the client and apply its answer (null without a client). */
  private async stop(event: StopEvent, ctx?: UserContext): Promise<Resume | null> {
    const client = this.client;
    if (!client) return null;
    this.ctx = ctx ?? (this.atEl0() ? this.el0Ctx : this.shimCtx);
    this.stepRequested = false;
    this.entryPending = false;
    this.interruptPending = null;
    this.lastStop = event;
    const resume = await client.stopped(event);
    this.resume(resume);
    return resume;
  }

  private resume(r: Resume): void {
    switch (r.action) {
      case 'kill':
        this.target.task.exit = { signal: SIGKILL, core: false };
        return;
      case 'detach':
        this.detach();
        return;
      case 'step':
        this.stepRequested = true;
        this.armStep();
        break;
      case 'continue':
        if (this.observer) this.armStep();
        else this.setStepping(false);
        break;
    }
    // A signal given with a resume from a stop that was not a signal stop is sent now.
    if (r.signal !== 0 && this.lastStop?.kind !== 'signal') {
      requeueSignal(this.target.task, { signo: r.signal, code: 0, pid: 0, uid: 0 });
    }
  }

  /** Run exactly one guest instruction next (then a step exit), wherever the vCPU is. */
  private armStep(): void {
    const v = this.target.vcpu;
    this.setStepping(true);
    if (this.atEl0()) {
      this.returnPc = null;
    } else {
      // In the shim: the ERET returns with SPSR.SS = 1, so one EL0 instruction runs first.
      v.setSysReg(SysReg.SPSR_EL1, v.getSysReg(SysReg.SPSR_EL1) | PSTATE_SS);
      this.returnPc = v.getSysReg(SysReg.ELR_EL1);
    }
    v.setReg(Reg.CPSR, v.getReg(Reg.CPSR) | PSTATE_SS);
  }

  private setStepping(on: boolean): void {
    const mdscr = on ? this.mdscr | MDSCR_SS : this.mdscr & ~MDSCR_SS;
    if (mdscr === this.mdscr) return;
    this.mdscr = mdscr;
    this.target.vcpu.setSysReg(SysReg.MDSCR_EL1, mdscr);
  }

  /** Detach: every breakpoint and watchpoint out, the guest runs on unobserved. */
  private detach(): void {
    for (const addr of [...this.swBreaks.keys()]) this.removeSwBreak(addr);
    for (const addr of [...this.hwBreaks.keys()]) this.removeHwBreak(addr);
    for (const w of [...this.watches]) this.removeWatch(w.addr, w.len, w.type);
    this.client = null;
    this.target.task.ptraced = false;
    this.stepRequested = false;
    if (this.observer) return this.armStep();
    this.setStepping(false);
    this.mdscr = 0n;
    this.target.vcpu.setSysReg(SysReg.MDSCR_EL1, 0n);
    this.target.vcpu.setTrapDebugExceptions(false);
  }

  // ---- registers (the guest's EL0 view) -----------------------------------------

  /** The registers of the stopped guest. */
  get regs(): UserContext {
    return this.ctx;
  }

  // ---- memory -------------------------------------------------------------------

  /**
   * Read guest memory as ptrace does: through the guest's mappings, ignoring
   * their protection, with breakpoint instructions shown as the bytes they
   * replaced. Stops at the first unmapped page: the result may be short.
   */
  readMemory(addr: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    let done = 0;
    while (done < len) {
      const va = addr + done;
      const n = Math.min(len - done, PAGE - (va % PAGE));
      try {
        out.set(this.target.as.peek(va, n), done);
      } catch (e) {
        if (e instanceof GuestFault || e instanceof RangeError) break;
        throw e;
      }
      done += n;
    }
    const got = out.subarray(0, done);
    for (const [bp, orig] of this.swBreaks) {
      for (let i = 0; i < 4; i++) if (bp + i >= addr && bp + i < addr + done) got[bp + i - addr] = orig[i]!;
    }
    return got;
  }

  /** Write guest memory as ptrace does (read-only code included); false when some byte is not mapped. */
  writeMemory(addr: number, bytes: Uint8Array): boolean {
    if (bytes.length === 0) return true;
    // Bytes under a software breakpoint update its saved copy; the BRK stays in memory.
    const data = bytes.slice();
    for (const [bp, orig] of this.swBreaks) {
      for (let i = 0; i < 4; i++) {
        const at = bp + i - addr;
        if (at < 0 || at >= data.length) continue;
        orig[i] = data[at]!;
        data[at] = BRK0[i]!;
      }
    }
    return this.poke(addr, data);
  }

  private poke(addr: number, data: Uint8Array): boolean {
    if (!(addr >= 0 && addr + data.length <= 2 ** 48)) return false;
    const as = this.target.as;
    try {
      as.peek(addr, data.length); // every page mapped, before anything is written
      as.poke(addr, data);
    } catch (e) {
      if (e instanceof GuestFault || e instanceof RangeError) return false;
      throw e;
    }
    // The vCPU may resume at EL0 without passing the shim's maintenance: invalidate here.
    for (let va = addr - (addr % PAGE); va < addr + data.length; va += PAGE) {
      const pa = as.frameAt(va);
      if (pa !== undefined) this.target.memory.invalidateICache(pa, PAGE);
    }
    return true;
  }

  // ---- breakpoints and watchpoints ---------------------------------------------

  insertSwBreak(addr: number): boolean {
    if (this.swBreaks.has(addr)) return true;
    if (addr % 4 !== 0) return false;
    const orig = this.readMemory(addr, 4);
    // Nothing mapped there: nothing can run there either, so the breakpoint is accepted and
    // never hit (as qemu does; LLDB probes address 0 for a dynamic loader breakpoint).
    if (orig.length !== 4) return true;
    if (!this.poke(addr, BRK0)) return false;
    this.swBreaks.set(addr, orig);
    return true;
  }

  removeSwBreak(addr: number): boolean {
    const orig = this.swBreaks.get(addr);
    if (!orig) return true;
    this.swBreaks.delete(addr);
    return this.poke(addr, orig);
  }

  insertHwBreak(addr: number): boolean {
    if (this.hwBreaks.has(addr)) return true;
    const slot = this.freeBp.shift();
    if (slot === undefined || addr % 4 !== 0) return false;
    this.hwBreaks.set(addr, slot);
    const v = this.target.vcpu;
    v.setSysReg(DBGBVR(slot), BigInt(addr));
    v.setSysReg(DBGBCR(slot), BigInt(DBGCR.E | DBGCR.EL0_ONLY | DBGCR.BAS_A64));
    this.updateMonitor();
    return true;
  }

  removeHwBreak(addr: number): boolean {
    const slot = this.hwBreaks.get(addr);
    if (slot === undefined) return true;
    this.hwBreaks.delete(addr);
    this.target.vcpu.setSysReg(DBGBCR(slot), 0n);
    this.freeBp.push(slot);
    this.updateMonitor();
    return true;
  }

  /**
   * A watchpoint on [addr, addr+len): one DBGWCR per aligned doubleword it
   * touches (BAS selects the bytes), or one MASK watchpoint for an aligned
   * power-of-two block of 8 bytes or more.
   */
  insertWatch(addr: number, len: number, type: WatchType): boolean {
    if (len <= 0 || len > 0x80000000 || addr < 0 || addr + len > 2 ** 48) return false;
    const lsc = type === 'watch' ? DBGCR.LSC_STORE : type === 'rwatch' ? DBGCR.LSC_LOAD : DBGCR.LSC_LOAD | DBGCR.LSC_STORE;
    const base = DBGCR.E | DBGCR.EL0_ONLY | lsc;
    const regs: [bigint, number][] = [];
    const pow2 = (len & (len - 1)) === 0;
    if (len >= 8 && pow2 && addr % len === 0) {
      regs.push([BigInt(addr), base | (0xff << DBGCR.BAS_SHIFT) | (Math.log2(len) << DBGCR.MASK_SHIFT)]);
    } else {
      for (let dw = addr - (addr % 8); dw < addr + len; dw += 8) {
        let bas = 0;
        for (let i = 0; i < 8; i++) if (dw + i >= addr && dw + i < addr + len) bas |= 1 << i;
        regs.push([BigInt(dw), base | (bas << DBGCR.BAS_SHIFT)]);
      }
    }
    if (regs.length > this.freeWp.length) return false;
    const slots = regs.map(() => this.freeWp.shift()!);
    const v = this.target.vcpu;
    regs.forEach(([value, ctrl], i) => {
      v.setSysReg(DBGWVR(slots[i]!), value);
      v.setSysReg(DBGWCR(slots[i]!), BigInt(ctrl));
    });
    this.watches.push({ addr, len, type, slots });
    this.updateMonitor();
    return true;
  }

  removeWatch(addr: number, len: number, type: WatchType): boolean {
    const i = this.watches.findIndex((w) => w.addr === addr && w.len === len && w.type === type);
    if (i < 0) return true;
    const [w] = this.watches.splice(i, 1);
    for (const slot of w!.slots) {
      this.target.vcpu.setSysReg(DBGWCR(slot), 0n);
      this.freeWp.push(slot);
    }
    this.updateMonitor();
    return true;
  }

  /**
   * For fork(2), once elfuse has it: the child's memory is a copy with this
   * session's BRK instructions in it. The debugger follows the parent (as
   * gdbserver without fork events does), so before the child runs, these
   * original bytes go back into its copy; its fresh vCPU has no debug
   * registers armed and no trap, so nothing else of the session follows it.
   */
  childMemoryFixups(): { addr: number; bytes: Uint8Array }[] {
    return [...this.swBreaks].map(([addr, bytes]) => ({ addr, bytes: bytes.slice() }));
  }

  /** MDSCR_EL1.MDE on while any hardware breakpoint or watchpoint is armed. */
  private updateMonitor(): void {
    const on = this.hwBreaks.size > 0 || this.watches.length > 0;
    const mdscr = on ? this.mdscr | MDSCR_MDE : this.mdscr & ~MDSCR_MDE;
    if (mdscr === this.mdscr) return;
    this.mdscr = mdscr;
    this.target.vcpu.setSysReg(SysReg.MDSCR_EL1, mdscr);
  }

  /**
   * The watchpoint a data address hit, and the address to report: GDB
   * matches it against its watch ranges, so an access that starts below a
   * watched range reports the range's first byte.
   */
  private watchHit(va: bigint): { type: WatchType; addr: bigint } {
    const a = Number(va);
    const inside = this.watches.find((w) => a >= w.addr && a < w.addr + w.len);
    if (inside) return { type: inside.type, addr: va };
    // The access started below: the nearest watch within the widest access (16 bytes).
    const near = this.watches.find((w) => w.addr > a && w.addr < a + 16);
    if (near) return { type: near.type, addr: BigInt(near.addr) };
    return { type: this.watches[0]?.type ?? 'watch', addr: va };
  }
}

/** Put a signal back at the head of the pending queue (a debugger passed it on). */
function requeueSignal(task: Task, info: SigInfo): void {
  const sig = info.signo;
  task.sigpending |= sigbit(sig);
  const queue = task.sigqueue.get(sig);
  if (queue) queue.unshift(info);
  else task.sigqueue.set(sig, [info]);
}
