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
 */
import { EC, ExitReason, FSC, Reg, SysReg, type VcpuExit, type VcpuPort } from '../../ports/vcpu.js';
import { disassemble, hex32 } from '../a64/disasm.js';
import { emulatedIdRegister, type CpuIdView } from '../boot/hwcap.js';
import { HVC, MAILBOX, SHIM_DATA } from '../boot/shim.js';
import type { PhysMem } from '../memory/phys.js';
import { dispatchSyscall } from './dispatch.js';
import { BUS_ADRALN, BUS_ADRERR, ILL_ILLOPC, RLIMIT_STACK, SIGBUS, SIGILL, SIGKILL, SIGSEGV, SIGTRAP, TRAP_BRKPT, signalName } from './linux-abi.js';
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
}

export interface RunOptions {
  ids: CpuIdView;
  phys: PhysMem;
  maintenance: MaintenanceState;
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

export async function runGuest(task: Task, vcpu: VcpuPort, opts: RunOptions): Promise<GuestStatus> {
  const hooks = opts.hooks;
  if (hooks) await hooks.start();
  const status = await runLoop(task, vcpu, opts, hooks);
  if (opts.verbose) opts.log(status.kind === 'exited' ? `+++ exited with ${status.code} +++` : `+++ killed by ${signalName(status.signal)}${status.core ? ' (core dumped)' : ''} +++`);
  if (hooks) await hooks.end(status);
  return status;
}

async function runLoop(task: Task, vcpu: VcpuPort, opts: RunOptions, hooks: RunHooks | undefined): Promise<GuestStatus> {
  task.kick = () => vcpu.requestExit();
  task.userContext = userContextOf(vcpu, 'shim');
  const clock = task.host.clock;
  let turnBy = clock.monotonicNs() + TURN_NS;
  let untilCheck = TURN_CHECK;
  for (;;) {
    const pending = vcpu.run();
    const exit: VcpuExit = pending instanceof Promise ? await pending : pending;
    const handled = hooks ? hooks.exit(exit) : false;
    if (handled === true || (handled instanceof Promise && (await handled))) {
      if (task.exit) return statusOf(task, vcpu);
      postMaintenance(opts);
      continue;
    }
    if (exit.reason === ExitReason.CANCELED) {
      await clock.sleep(0n); // let host I/O and timers run between slices
      turnBy = clock.monotonicNs() + TURN_NS;
      if (task.exit) return statusOf(task, vcpu);
      // An asynchronous signal interrupts the guest where the slice stopped, if that
      // was in guest code; inside the shim it waits for the next exit.
      if (signalPending(task) && (vcpu.getReg(Reg.CPSR) & PSTATE_MODE_MASK) === 0n) {
        const ctx = userContextOf(vcpu, 'el0');
        if (hooks) await hooks.signals(ctx);
        deliverSignals(task, ctx, null);
        if (task.exit) return statusOf(task, vcpu);
      }
      continue;
    }
    if (exit.reason !== ExitReason.EXCEPTION) throw new InternalError(`unexpected vCPU exit reason ${exit.reason}`);
    handleShimExit(exit, vcpu);
    const ec = exit.syndrome >>> 26;
    const imm = exit.syndrome & 0xffff;
    const sys = ec === EC.HVC64 && imm === HVC.EL0_SYNC ? await handleEl0Sync(task, vcpu, opts) : null;
    if (hooks && !task.exit && signalPending(task)) await hooks.signals(task.userContext);
    if (!task.exit) deliverSignals(task, task.userContext, sys);
    if (task.exit) return statusOf(task, vcpu);
    postMaintenance(opts);
    // Last, once the syscall's result and restart are settled: what the turn makes pending
    // (a timer's signal) is delivered on this same return to the guest.
    if (--untilCheck === 0) {
      untilCheck = TURN_CHECK;
      if (clock.monotonicNs() >= turnBy) {
        await turnHostLoop(task, opts);
        turnBy = clock.monotonicNs() + TURN_NS;
        if (task.exit) return statusOf(task, vcpu);
      }
    }
  }
}

/**
 * Lets host timers, I/O and signals run while the vCPU is in the shim on its
 * way back to the guest, then delivers what they made pending, as Linux
 * does on the return to user space (the syscall's result is already final).
 */
async function turnHostLoop(task: Task, opts: RunOptions): Promise<void> {
  await task.host.clock.sleep(0n);
  if (task.exit || !signalPending(task)) return;
  deliverSignals(task, task.userContext!, null);
  postMaintenance(opts);
}

function statusOf(task: Task, vcpu: VcpuPort): GuestStatus {
  const e = task.exit!;
  const instructions = vcpu.instructionsRetired();
  const extra = instructions === undefined ? {} : { instructions };
  if ('status' in e) return { kind: 'exited', code: e.status & 0xff, ...extra };
  return { kind: 'signaled', signal: e.signal, core: e.core, ...(e.byHost ? { byHost: true } : {}), ...extra };
}

/** Exits other than the shim's EL0 HVCs mean something is broken below the guest. */
function handleShimExit(exit: VcpuExit, vcpu: VcpuPort): void {
  const ec = exit.syndrome >>> 26;
  const pc = vcpu.getReg(31);
  if (ec !== EC.HVC64) {
    throw new InternalError(
      `vCPU exit with syndrome ${hex(exit.syndrome)} at pc ${hex(pc)}: guest-physical access outside RAM ` +
        `(va ${hex(exit.virtualAddress)}, pa ${hex(exit.physicalAddress)})`,
    );
  }
  const imm = exit.syndrome & 0xffff;
  if (imm === HVC.EL1_FAULT) {
    const esr = vcpu.getSysReg(SysReg.ESR_EL1);
    throw new InternalError(
      `exception at EL1: ESR_EL1 ${hex(esr)}, ELR_EL1 ${hex(vcpu.getSysReg(SysReg.ELR_EL1))}, FAR_EL1 ${hex(vcpu.getSysReg(SysReg.FAR_EL1))}`,
    );
  }
  if (imm !== HVC.EL0_SYNC && imm !== HVC.EL0_ASYNC) throw new InternalError(`unknown HVC #${imm} from the shim`);
}

/** Answers one EL0 exception; for a syscall, returns what signal delivery needs to restart it. */
async function handleEl0Sync(task: Task, vcpu: VcpuPort, opts: RunOptions): Promise<SyscallReturn | null> {
  const esr = Number(vcpu.getSysReg(SysReg.ESR_EL1));
  const ec = esr >>> 26;
  const iss = esr & 0x1ffffff;
  switch (ec) {
    case EC.SVC64:
      return syscall(task, vcpu);
    case EC.DATA_ABORT_LOWER:
    case EC.INSN_ABORT_LOWER: {
      const far = vcpu.getSysReg(SysReg.FAR_EL1);
      const fsc = iss & 0x3f;
      // A translation fault on a mapped page that is not present yet (demand paging), or just
      // below the stack, brings the page in as Linux's page-fault path does; the shim then
      // returns to the faulting instruction, which runs again. Past a mapped file's end: SIGBUS.
      if ((fsc & 0x3c) === FSC.TRANSLATION && far < 1n << 48n) {
        const limit = task.rlimits[RLIMIT_STACK]?.cur ?? 0n;
        const access = { write: ec === EC.DATA_ABORT_LOWER && (iss & (1 << 6)) !== 0, exec: ec === EC.INSN_ABORT_LOWER };
        const r = opts.maintenance.fault(Number(far), access, limit > 1n << 48n ? 2 ** 48 : Number(limit));
        if (r === 'mapped') return null;
        if (r === 'bus') {
          // Past the end of a mapped file (filemap_fault): SIGBUS with BUS_ADRERR.
          const info: SigInfo = { signo: SIGBUS, code: BUS_ADRERR, addr: far, faultAddress: far, esr };
          fatalSignal(task, vcpu, info, `access beyond the end of a mapped file at ${hex(far)}`);
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
      fatalSignal(task, vcpu, info, `${what} fault at ${hex(far)} (FSC ${hex(fsc)})`);
      return null;
    }
    case EC.PC_ALIGN:
    case EC.SP_ALIGN: {
      // do_sp_pc_abort: si_addr is the PC (FAR) or, for SP, the stack pointer (FAR is UNKNOWN then).
      const far = ec === EC.SP_ALIGN ? vcpu.getSysReg(SysReg.SP_EL0) : vcpu.getSysReg(SysReg.FAR_EL1);
      const info = { signo: SIGBUS, code: BUS_ADRALN, addr: far, faultAddress: far, esr };
      fatalSignal(task, vcpu, info, ec === EC.PC_ALIGN ? 'misaligned PC' : 'misaligned SP');
      return null;
    }
    case EC.BRK64:
      fatalSignal(task, vcpu, pcFault(vcpu, SIGTRAP, TRAP_BRKPT, esr), `BRK #${hex(iss & 0xffff)}`);
      return null;
    case EC.SYS64:
      trappedSystemAccess(task, vcpu, opts, iss, esr);
      return null;
    case EC.UNKNOWN:
      fatalSignal(task, vcpu, pcFault(vcpu, SIGILL, ILL_ILLOPC, esr), undefinedDescription(task, vcpu));
      return null;
    default:
      fatalSignal(task, vcpu, pcFault(vcpu, SIGILL, ILL_ILLOPC, esr), `unhandled exception class ${hex(ec)} (ESR ${hex(esr)})`);
      return null;
  }
}

/** siginfo of a fault reported at the faulting instruction (BRK, undefined instructions): si_addr is the PC. */
function pcFault(vcpu: VcpuPort, signo: number, code: number, esr: number): SigInfo {
  const pc = vcpu.getSysReg(SysReg.ELR_EL1);
  return { signo, code, addr: pc, esr };
}

/** rt_sigreturn's X0 is the restored register, never a restart request (Linux forgets the syscall). */
const NR_RT_SIGRETURN = 139;

async function syscall(task: Task, vcpu: VcpuPort): Promise<SyscallReturn | null> {
  const nr = Number(vcpu.getReg(8));
  const args = [vcpu.getReg(0), vcpu.getReg(1), vcpu.getReg(2), vcpu.getReg(3), vcpu.getReg(4), vcpu.getReg(5)];
  const pending = dispatchSyscall(task, nr, args);
  const result = pending instanceof Promise ? await waitForSyscall(task, pending) : pending;
  if (task.exit || result === null) return null;
  vcpu.setReg(0, BigInt.asUintN(64, BigInt(result)));
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
function trappedSystemAccess(task: Task, vcpu: VcpuPort, opts: RunOptions, iss: number, esr: number): void {
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
    return fatalSignal(task, vcpu, pcFault(vcpu, SIGILL, ILL_ILLOPC, esr), detail);
  }
  if (rt !== 31) vcpu.setReg(rt, value);
  vcpu.setSysReg(SysReg.ELR_EL1, vcpu.getSysReg(SysReg.ELR_EL1) + 4n);
}

function undefinedDescription(task: Task, vcpu: VcpuPort): string {
  const pc = vcpu.getSysReg(SysReg.ELR_EL1);
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
function fatalSignal(task: Task, vcpu: VcpuPort, info: SigInfo, detail: string): void {
  const pc = vcpu.getSysReg(SysReg.ELR_EL1);
  if (task.verbose) task.log(`elfuse: ${signalName(info.signo)} at pc ${hex(pc)}: ${detail}`);
  forceSignal(task, info.signo, info);
}

function postMaintenance(opts: RunOptions): void {
  const m = opts.maintenance;
  if (m.tlbDirty) opts.phys.write64(SHIM_DATA + MAILBOX.TLB_FLUSH, 1, 0);
  if (m.icacheDirty) opts.phys.write64(SHIM_DATA + MAILBOX.IC_FLUSH, 1, 0);
  m.tlbDirty = false;
  m.icacheDirty = false;
}
