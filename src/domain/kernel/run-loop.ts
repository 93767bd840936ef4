/**
 * The run loop: drives one vCPU and answers its exits, as the C original's
 * main loop does. Every exit it expects is an HVC from the EL1 shim (see
 * ARCHITECTURE.md, "The HVC protocol"); the EL0 exception behind it is read
 * from ESR_EL1 and handled here: system calls go to the syscall table,
 * faults and undefined instructions become signals, EL0 reads of ID
 * registers are emulated as Linux emulates them. Before resuming, the loop
 * delivers pending signals (signal-deliver.ts) and posts TLB and I-cache
 * maintenance to the shim's mailbox. A signal posted while the guest runs
 * (a timer, a host signal) stops the slice through VcpuPort.requestExit.
 *
 * The loop never blocks the JavaScript thread: a syscall that must wait
 * returns a promise, and a vCPU time slice ends with CANCELED so the event
 * loop turns between slices. A guest that makes system calls in a loop
 * never reaches the end of a slice, so the loop also turns the event loop
 * at a syscall when TURN_NS has passed since it last did: host timers,
 * readiness and signals are seen within about TURN_NS, or one slice, of
 * guest time, however the guest mixes instructions and syscalls. While a
 * syscall waits, the host process is kept alive (a wait for a signal has
 * nothing the host can see), and the wait is abandoned if a signal ends
 * the process meanwhile.
 *
 * The registers are read once per exit and written back once before the
 * next run (exit-registers.ts), never one at a time: on HVF each access is
 * a call on the vCPU's thread. WFI/WFE and the virtual timer exit to the
 * host as on HVF: WFE is a yield, WFI an idle wait until a signal or the
 * next turn, and a vtimer exit is a preemption like the end of a slice.
 */
import { CNTV_CTL, EC, ExitReason, FSC, Snap, SysReg, WFX_ISS_WFE, type VcpuExit, type VcpuPort } from '../../ports/vcpu.js';
import { disassemble, hex32 } from '../a64/disasm.js';
import { emulatedIdRegister, type CpuIdView } from '../boot/hwcap.js';
import { HVC, MAILBOX, SHIM_DATA } from '../boot/shim.js';
import type { PhysMem } from '../memory/phys.js';
import { dispatchSyscall } from './dispatch.js';
import { BUS_ADRALN, BUS_ADRERR, ILL_ILLOPC, RLIMIT_STACK, SIGBUS, SIGILL, SIGKILL, SIGSEGV, SIGTRAP, TRAP_BRKPT, signalName } from './linux-abi.js';
import { publishSelf } from './procfs.js';
import { ExitRegisters } from './exit-registers.js';
import { OutOfLine } from './xol.js';
import type { RunQueue } from './run-queue.js';
import { threadEnded } from './thread.js';
import { walkRobustList } from './futex.js';
import { releaseVcpu } from '../boot/machine.js';
import { deliverSignals, forceSignal, segvCode, signalPending, userContextOf, type SyscallReturn } from './signal-deliver.js';
import type { SigInfo, Task, UserContext } from './task.js';

export type GuestStatus = ({ kind: 'exited'; code: number } | { kind: 'signaled'; signal: number; core: boolean; byHost?: boolean }) & {
  /** Guest instructions retired, when the backend counts them. */
  instructions?: number;
};

/** What the loop needs of the address space: the maintenance flags, and page-fault resolution. */
export interface MaintenanceState {
  tlbDirty: boolean;
  icacheDirty: boolean;
  /** A translation fault: bring the page in (demand paging, stack growth) or say which signal Linux sends. */
  fault(va: number, access: { write: boolean; exec: boolean }, stackLimit: number): 'mapped' | 'segv' | 'bus' | 'oom';
  /** A permission fault: flip a page of a read-write-execute mapping between write and execute. */
  flipWx(va: number, access: { write: boolean; exec: boolean }): 'flipped' | 'segv';
}

export interface RunOptions {
  ids: CpuIdView;
  phys: PhysMem;
  /** The address space's maintenance flags and fault resolution; the task's own when absent (execve replaces it). */
  maintenance?: MaintenanceState;
  verbose: boolean;
  log: (line: string) => void;
  /** A debugger or tracer watching the guest (src/domain/debug). */
  hooks?: RunHooks;
}

/**
 * What the run loop tells an attached debugger (the GDB stub, the
 * instruction trace): the start, every exit before the loop answers it,
 * each signal delivery, and the end. A hook may await (a debugger waiting
 * for its user); without hooks the loop does nothing more than before.
 */
export interface RunHooks {
  /** Before the first instruction (the vCPU is at the shim's boot code). */
  start(): Promise<void> | void;
  /** An exit; true when the hook has handled it (its own debug event) and the loop must only resume. */
  exit(exit: VcpuExit): Promise<boolean> | boolean;
  /** Pending signals are about to be delivered to the guest whose registers `ctx` holds. */
  signals(ctx: UserContext): Promise<void> | void;
  /** The guest has ended. */
  end(status: GuestStatus): Promise<void> | void;
}

/** An unexpected exit: a bug in the shim, the host or the backend, never a guest error. */
export class InternalError extends Error {}

const hex = (v: number | bigint): string => '0x' + v.toString(16);

/** PSTATE.M[3:0] of EL0t: where a slice may be interrupted to deliver a signal. */
const PSTATE_MODE_MASK = 0xfn;

/**
 * Longest stretch of syscalls between two turns of the host event loop: 10 ms.
 * Shorter than a 4M-instruction slice of translated code (about 20 ms), so
 * a 100 ms interval timer is late by at most a tenth of its period; a turn
 * costs a few microseconds (plus GC tasks V8 deferred to it, work it does
 * anyway), 100 times a second. The clock is read every TURN_CHECK exits
 * only: reading it (about 70 ns) at each would cost 1% of a syscall's 8 µs.
 */
const TURN_NS = 10_000_000n;
const TURN_CHECK = 16;

/** A thread's time slice in instructions (the vCPU's own run() slice counts from each run). */
const THREAD_SLICE = 4_000_000;

/** Longest idle wait of a WFI: a scheduler tick (Linux wakes a WFI at the next interrupt). */
const WFI_NS = 4_000_000n;

export async function runGuest(task: Task, vcpu: VcpuPort, opts: RunOptions): Promise<GuestStatus> {
  const hooks = opts.hooks;
  if (hooks) await hooks.start();
  publishSelf(task, true);
  const tg = task.tg;
  tg.threads.add(task);
  // The other threads' run loops: the process ends when the last of them does.
  const loops = new Set<Promise<void>>();
  tg.startThread = (t, v, slot) => {
    const loop: Promise<void> = runThread(t, v, slot, opts).finally(() => loops.delete(loop));
    loops.add(loop);
  };
  let status = await runLoop(task, vcpu, opts, hooks);
  if (!tg.groupExit) threadEnded(task, vcpu, 0);
  else walkRobustList(task); // exit_group or a fatal signal: locks in memory shared with other processes are freed
  while (loops.size > 0) await Promise.all([...loops]);
  tg.startThread = null;
  if (task.exit) status = statusOf(task, vcpu);
  if (opts.verbose) opts.log(status.kind === 'exited' ? `+++ exited with ${status.code} +++` : `+++ killed by ${signalName(status.signal)}${status.core ? ' (core dumped)' : ''} +++`);
  if (hooks) await hooks.end(status);
  return status;
}

/** A thread other than the first, on its own vCPU, until it or its process ends. */
async function runThread(task: Task, vcpu: VcpuPort, slot: number, opts: RunOptions): Promise<void> {
  try {
    await runLoop(task, vcpu, { ...opts, hooks: undefined }, undefined);
    if (!task.tg.groupExit) threadEnded(task, vcpu, slot);
    else walkRobustList(task);
  } catch (e) {
    // An internal error in one thread ends the process as it would with one thread.
    task.log(`elfuse: internal error in thread ${task.tid}: ${e instanceof Error ? e.message : String(e)}`);
    task.exit = { signal: SIGKILL, core: false };
  } finally {
    task.tg.threads.delete(task);
    if (task.machine && slot !== 0 && task.machine.vcpuSlots.has(slot)) releaseVcpu(task.machine, vcpu, slot);
  }
}

/** A vfork child's run on its parent's vCPU, inside the parent's clone (vfork.ts): no debugger, no records. */
export function runNested(task: Task, vcpu: VcpuPort, opts: RunOptions): Promise<GuestStatus> {
  return runLoop(task, vcpu, opts, undefined);
}

async function runLoop(task: Task, vcpu: VcpuPort, opts: RunOptions, hooks: RunHooks | undefined): Promise<GuestStatus> {
  const rq = task.tg.runQueue;
  try {
    return await runTurns(task, vcpu, opts, hooks, rq);
  } finally {
    rq.release(task);
  }
}

async function runTurns(task: Task, vcpu: VcpuPort, opts: RunOptions, hooks: RunHooks | undefined, rq: RunQueue): Promise<GuestStatus> {
  task.vcpu = vcpu;
  task.kick = () => vcpu.requestExit();
  const regs = new ExitRegisters(vcpu);
  const xol = new OutOfLine(task);
  task.userContext = regs.context('shim');
  const clock = task.host.clock;
  let turnBy = clock.monotonicNs() + TURN_NS;
  let untilCheck = TURN_CHECK;
  let turnStart = vcpu.instructionsRetired() ?? 0;
  for (;;) {
    // This thread's turn on the CPU (at once while it is the only one).
    if (!rq.holds(task)) {
      const turn = rq.take(task);
      if (turn) await turn;
      if (task.exit) return statusOf(task, vcpu);
      turnStart = vcpu.instructionsRetired() ?? 0;
    }
    regs.commit();
    const pending = vcpu.run();
    const exit: VcpuExit = pending instanceof Promise ? await pending : pending;
    const handled = hooks ? hooks.exit(exit) : false;
    if (handled === true || (handled instanceof Promise && (await handled))) {
      if (task.exit) return statusOf(task, vcpu);
      postMaintenance(task, opts);
      continue;
    }
    regs.load();
    if (exit.reason === ExitReason.CANCELED || exit.reason === ExitReason.VTIMER_ACTIVATED || isWfx(exit)) {
      // The guest was stopped where it runs (a slice's end, a timer, a WFI/WFE), not in the shim.
      if (exit.reason === ExitReason.VTIMER_ACTIVATED) vtimerActivated(vcpu);
      if (isWfx(exit)) {
        rq.release(task); // an idle or yielding thread lets the others run
        await waitForEvent(task, regs, exit);
      } else {
        await clock.sleep(0n); // let host I/O and timers run between slices
        // The slice is over: the next thread in line runs (round robin); this one queues again.
        if (rq.contended) rq.release(task);
      }
      turnBy = clock.monotonicNs() + TURN_NS;
      publishSelf(task);
      if (task.exit) return statusOf(task, vcpu);
      // An asynchronous signal interrupts the guest where it stopped, if that was in guest code;
      // inside the shim it waits for the next exit.
      if (signalPending(task) && (regs.get(Snap.CPSR) & PSTATE_MODE_MASK) === 0n) {
        if (hooks) await debuggerSees(hooks, regs, vcpu, 'el0');
        deliverSignals(task, regs.context('el0'), null);
        if (task.exit) return statusOf(task, vcpu);
      }
      continue;
    }
    if (exit.reason !== ExitReason.EXCEPTION) throw new InternalError(`unexpected vCPU exit reason ${exit.reason}`);
    handleShimExit(exit, regs);
    const ec = exit.syndrome >>> 26;
    const imm = exit.syndrome & 0xffff;
    const sys = ec === EC.HVC64 && imm === HVC.EL0_SYNC ? await handleEl0Sync(task, regs, opts, xol) : null;
    if (hooks && !task.exit && signalPending(task)) await debuggerSees(hooks, regs, vcpu, 'shim');
    if (!task.exit) deliverSignals(task, task.userContext, sys);
    if (task.exit) return statusOf(task, vcpu);
    postMaintenance(task, opts);
    // Last, once the syscall's result and restart are settled: what the turn makes pending
    // (a timer's signal) is delivered on this same return to the guest.
    if (--untilCheck === 0) {
      untilCheck = TURN_CHECK;
      if (clock.monotonicNs() >= turnBy) {
        await turnHostLoop(task, opts);
        turnBy = clock.monotonicNs() + TURN_NS;
        if (task.exit) return statusOf(task, vcpu);
        // A backend that counts no instructions shares the CPU by time instead.
        if (rq.contended && vcpu.instructionsRetired() === undefined) rq.release(task);
      }
    }
    // A thread that yields, or that has had its slice of instructions (counted across its
    // syscalls, so one looping on syscalls is preempted too), lets the next one run.
    if (rq.contended && (task.yieldCpu || (vcpu.instructionsRetired() ?? 0) - turnStart >= THREAD_SLICE)) rq.release(task);
    task.yieldCpu = false;
  }
}

/**
 * A debugger's look at pending signals: it works on the live vCPU (it may
 * change registers and arm a step), so the snapshot is written back first
 * and read again after.
 */
async function debuggerSees(hooks: RunHooks, regs: ExitRegisters, vcpu: VcpuPort, where: 'shim' | 'el0'): Promise<void> {
  regs.commit();
  await hooks.signals(userContextOf(vcpu, where));
  regs.load();
}

function isWfx(exit: VcpuExit): boolean {
  return exit.reason === ExitReason.EXCEPTION && exit.syndrome >>> 26 === EC.WFX;
}

/**
 * A trapped WFI or WFE (EC 0x01, as hv_vcpu_run reports it): the host
 * completes the instruction (the PC moves past it). WFE is a yield: one turn
 * of the host event loop. WFI waits, as an idle core does, until a signal
 * is pending or a scheduler tick has passed.
 */
async function waitForEvent(task: Task, regs: ExitRegisters, exit: VcpuExit): Promise<void> {
  regs.set(Snap.PC, regs.get(Snap.PC) + 4n);
  const clock = task.host.clock;
  if (exit.syndrome & WFX_ISS_WFE || signalPending(task)) return clock.sleep(0n);
  let wake = (): void => undefined;
  const signalled = new Promise<void>((resolve) => {
    wake = resolve;
    task.signalWaiters.add(wake);
  });
  try {
    await Promise.race([clock.sleep(WFI_NS), signalled]);
  } finally {
    task.signalWaiters.delete(wake);
  }
}

/**
 * HV_EXIT_REASON_VTIMER_ACTIVATED: the guest's virtual timer fired and the
 * framework masked it. Nothing in the guest (the shim) takes timer
 * interrupts, so the exit is a preemption: the timer is masked at the guest
 * level (CNTV_CTL_EL0.IMASK) so it does not fire again, and HVF's mask lifted.
 */
function vtimerActivated(vcpu: VcpuPort): void {
  vcpu.setSysReg(SysReg.CNTV_CTL_EL0, (vcpu.getSysReg(SysReg.CNTV_CTL_EL0) & CNTV_CTL.ENABLE) | CNTV_CTL.IMASK);
  vcpu.setVtimerMask(false);
}

/**
 * Lets host timers, I/O and signals run while the vCPU is in the shim on its
 * way back to the guest, then delivers what they made pending, as Linux
 * does on the return to user space (the syscall's result is already final).
 */
async function turnHostLoop(task: Task, opts: RunOptions): Promise<void> {
  await task.host.clock.sleep(0n);
  publishSelf(task);
  if (task.exit || !signalPending(task)) return;
  deliverSignals(task, task.userContext!, null);
  postMaintenance(task, opts);
}

function statusOf(task: Task, vcpu: VcpuPort): GuestStatus {
  const e = task.exit!;
  const instructions = vcpu.instructionsRetired();
  const extra = instructions === undefined ? {} : { instructions };
  if ('status' in e) return { kind: 'exited', code: e.status & 0xff, ...extra };
  return { kind: 'signaled', signal: e.signal, core: e.core, ...(e.byHost ? { byHost: true } : {}), ...extra };
}

/** Exits other than the shim's EL0 HVCs mean something is broken below the guest. */
function handleShimExit(exit: VcpuExit, regs: ExitRegisters): void {
  const ec = exit.syndrome >>> 26;
  const pc = regs.get(Snap.PC);
  if (ec !== EC.HVC64) {
    throw new InternalError(
      `vCPU exit with syndrome ${hex(exit.syndrome)} at pc ${hex(pc)}: guest-physical access outside RAM ` +
        `(va ${hex(exit.virtualAddress)}, pa ${hex(exit.physicalAddress)})`,
    );
  }
  const imm = exit.syndrome & 0xffff;
  if (imm === HVC.EL1_FAULT) {
    throw new InternalError(
      `exception at EL1: ESR_EL1 ${hex(regs.get(Snap.ESR_EL1))}, ELR_EL1 ${hex(regs.get(Snap.ELR_EL1))}, FAR_EL1 ${hex(regs.get(Snap.FAR_EL1))}`,
    );
  }
  if (imm !== HVC.EL0_SYNC && imm !== HVC.EL0_ASYNC) throw new InternalError(`unknown HVC #${imm} from the shim`);
}

/** Answers one EL0 exception; for a syscall, returns what signal delivery needs to restart it. */
async function handleEl0Sync(task: Task, regs: ExitRegisters, opts: RunOptions, xol: OutOfLine): Promise<SyscallReturn | null> {
  const esr = Number(regs.get(Snap.ESR_EL1));
  const ec = esr >>> 26;
  const iss = esr & 0x1ffffff;
  switch (ec) {
    case EC.SVC64:
      return syscall(task, regs);
    case EC.DATA_ABORT_LOWER:
    case EC.INSN_ABORT_LOWER: {
      const far = regs.get(Snap.FAR_EL1);
      const fsc = iss & 0x3f;
      const access = { write: ec === EC.DATA_ABORT_LOWER && (iss & (1 << 6)) !== 0, exec: ec === EC.INSN_ABORT_LOWER };
      // A permission fault on a page of a read-write-execute mapping (kept W^X): the page turns
      // read-execute for a fetch, read-write for a write. A store into the page it runs from
      // runs out of line (xol.ts), else its retry could not be fetched.
      if ((fsc & 0x3c) === FSC.PERMISSION && far < 1n << 48n && (opts.maintenance ?? task.as).flipWx(Number(far), access) === 'flipped') {
        const pc = Number(regs.get(Snap.ELR_EL1));
        if (access.write && Math.floor(pc / 4096) === Math.floor(Number(far) / 4096)) {
          const at = xol.begin(pc);
          if (at !== null) regs.set(Snap.ELR_EL1, BigInt(at));
        }
        return null;
      }
      // A translation fault on a mapped page that is not present yet (demand paging), or just
      // below the stack, brings the page in as Linux's page-fault path does; the shim then
      // returns to the faulting instruction, which runs again. Past a mapped file's end: SIGBUS.
      if ((fsc & 0x3c) === FSC.TRANSLATION && far < 1n << 48n) {
        const limit = task.tg.rlimits[RLIMIT_STACK]?.cur ?? 0n;
        const r = (opts.maintenance ?? task.as).fault(Number(far), access, limit > 1n << 48n ? 2 ** 48 : Number(limit));
        if (r === 'mapped') return null;
        if (r === 'bus') {
          // Past the end of a mapped file (filemap_fault): SIGBUS with BUS_ADRERR.
          const info: SigInfo = { signo: SIGBUS, code: BUS_ADRERR, addr: far, faultAddress: far, esr };
          fatalSignal(task, regs, xol, info, `access beyond the end of a mapped file at ${hex(far)}`);
          return null;
        }
        if (r === 'oom') {
          // Guest RAM is exhausted: Linux's OOM killer sends SIGKILL.
          if (task.verbose) task.log(`elfuse: out of guest memory at ${hex(far)}: SIGKILL`);
          task.exit = { signal: SIGKILL, core: false };
          return null;
        }
      }
      const what = ec === EC.INSN_ABORT_LOWER ? 'instruction fetch' : iss & (1 << 6) ? 'write' : 'read';
      const fault = { addr: far, faultAddress: far, esr };
      const info: SigInfo =
        fsc === FSC.ALIGNMENT
          ? { signo: SIGBUS, code: BUS_ADRALN, ...fault }
          : { signo: SIGSEGV, code: segvCode(task, far), ...fault };
      fatalSignal(task, regs, xol, info, `${what} fault at ${hex(far)} (FSC ${hex(fsc)})`);
      return null;
    }
    case EC.PC_ALIGN:
    case EC.SP_ALIGN: {
      // do_sp_pc_abort: si_addr is the PC (FAR) or, for SP, the stack pointer (FAR is UNKNOWN then).
      const far = regs.get(ec === EC.SP_ALIGN ? Snap.SP_EL0 : Snap.FAR_EL1);
      const info = { signo: SIGBUS, code: BUS_ADRALN, addr: far, faultAddress: far, esr };
      fatalSignal(task, regs, xol, info, ec === EC.PC_ALIGN ? 'misaligned PC' : 'misaligned SP');
      return null;
    }
    case EC.BRK64: {
      const resume = xol.end(Number(regs.get(Snap.ELR_EL1)), iss & 0xffff);
      if (resume !== null) {
        regs.set(Snap.ELR_EL1, BigInt(resume));
        return null;
      }
      fatalSignal(task, regs, xol, pcFault(regs, SIGTRAP, TRAP_BRKPT, esr), `BRK #${hex(iss & 0xffff)}`);
      return null;
    }
    case EC.SYS64:
      trappedSystemAccess(task, regs, xol, opts, iss, esr);
      return null;
    case EC.UNKNOWN:
      fatalSignal(task, regs, xol, pcFault(regs, SIGILL, ILL_ILLOPC, esr), undefinedDescription(task, regs));
      return null;
    default:
      fatalSignal(task, regs, xol, pcFault(regs, SIGILL, ILL_ILLOPC, esr), `unhandled exception class ${hex(ec)} (ESR ${hex(esr)})`);
      return null;
  }
}

/** siginfo of a fault reported at the faulting instruction (BRK, undefined instructions): si_addr is the PC. */
function pcFault(regs: ExitRegisters, signo: number, code: number, esr: number): SigInfo {
  const pc = regs.get(Snap.ELR_EL1);
  return { signo, code, addr: pc, esr };
}

/** rt_sigreturn's X0 is the restored register, never a restart request (Linux forgets the syscall). */
const NR_RT_SIGRETURN = 139;

async function syscall(task: Task, regs: ExitRegisters): Promise<SyscallReturn | null> {
  const nr = Number(regs.get(8));
  const args = [regs.get(0), regs.get(1), regs.get(2), regs.get(3), regs.get(4), regs.get(5)];
  const pending = dispatchSyscall(task, nr, args);
  const result = pending instanceof Promise ? await waitForSyscall(task, pending) : pending;
  if (task.exit || result === null) return null;
  regs.set(0, BigInt(result));
  return nr === NR_RT_SIGRETURN ? null : { result: BigInt(result), origX0: args[0]! };
}

/**
 * Waits for a syscall that returned a promise. The host process stays alive
 * meanwhile (pause() has nothing pending that the host knows of), and a
 * signal that ends the process ends the wait too (null): a host operation
 * that cannot be interrupted (a read of a pipe) is left to finish unseen.
 */
async function waitForSyscall(task: Task, pending: Promise<number | bigint>): Promise<number | bigint | null> {
  if (task.exit) return null;
  // Others may look at this process while it waits: what it did since the last turn is shown.
  publishSelf(task);
  // The other threads run meanwhile; this one takes its turn again when the syscall is done.
  task.tg.runQueue.release(task);
  const release = task.host.process.keepAlive();
  let stop = (): void => undefined;
  const ended = new Promise<null>((resolve) => {
    const check = (): void => {
      if (task.exit) resolve(null);
    };
    task.signalWaiters.add(check);
    stop = () => task.signalWaiters.delete(check);
  });
  try {
    return await Promise.race([pending, ended]);
  } finally {
    stop();
    release();
  }
}

/** EL0 MRS of an ID register: Linux emulates it; anything else is SIGILL. */
function trappedSystemAccess(task: Task, regs: ExitRegisters, xol: OutOfLine, opts: RunOptions, iss: number, esr: number): void {
  const isRead = (iss & 1) === 1;
  const rt = (iss >>> 5) & 31;
  const op0 = (iss >>> 20) & 3;
  const op2 = (iss >>> 17) & 7;
  const op1 = (iss >>> 14) & 7;
  const crn = (iss >>> 10) & 15;
  const crm = (iss >>> 1) & 15;
  const value = isRead ? emulatedIdRegister(opts.ids, op0, op1, crn, crm, op2) : null;
  if (value === null) {
    const detail = `trapped system register access S${op0}_${op1}_C${crn}_C${crm}_${op2}`;
    return fatalSignal(task, regs, xol, pcFault(regs, SIGILL, ILL_ILLOPC, esr), detail);
  }
  if (rt !== 31) regs.set(rt, value);
  regs.set(Snap.ELR_EL1, regs.get(Snap.ELR_EL1) + 4n);
}

function undefinedDescription(task: Task, regs: ExitRegisters): string {
  const pc = regs.get(Snap.ELR_EL1);
  try {
    const bytes = task.mem.read(Number(pc), 4);
    const word = (bytes[0]! | (bytes[1]! << 8) | (bytes[2]! << 16) | (bytes[3]! << 24)) >>> 0;
    return `undefined instruction ${hex32(word)} (${disassemble(word, pc)}) at ${hex(pc)}`;
  } catch {
    return `undefined instruction at ${hex(pc)}`;
  }
}

/**
 * A synchronous signal for the instruction that just faulted: forced on the
 * task (a blocked or ignored one kills it, as on Linux), then delivered to
 * the guest's handler or, by default, ending the process with a core flag.
 */
function fatalSignal(task: Task, regs: ExitRegisters, xol: OutOfLine, info: SigInfo, detail: string): void {
  // An instruction that faults while it runs out of line is reported at its own address.
  const at = regs.get(Snap.ELR_EL1);
  const pc = BigInt(xol.guestPc(Number(at)));
  if (pc !== at) {
    regs.set(Snap.ELR_EL1, pc);
    if (info.addr === at) info = { ...info, addr: pc };
  }
  if (task.verbose) task.log(`elfuse: ${signalName(info.signo)} at pc ${hex(pc)}: ${detail}`);
  forceSignal(task, info.signo, info);
}

function postMaintenance(task: Task, opts: RunOptions): void {
  const m = opts.maintenance ?? task.as;
  if (m.tlbDirty) opts.phys.write64(SHIM_DATA + MAILBOX.TLB_FLUSH, 1, 0);
  if (m.icacheDirty) opts.phys.write64(SHIM_DATA + MAILBOX.IC_FLUSH, 1, 0);
  m.tlbDirty = false;
  m.icacheDirty = false;
}
