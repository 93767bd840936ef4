/**
 * Signal generation and delivery (kernel/signal.c send_signal, force_sig_info,
 * get_signal; arch/arm64/kernel/signal.c do_signal, setup_rt_frame,
 * sys_rt_sigreturn), per thread; postProcessSignal picks the thread of a
 * signal sent to the whole process.
 *
 * A signal is *posted* (postSignal: a kill to self, a timer, a host signal
 * forwarded by the front end) or *forced* (forceSignal: a fault of the
 * instruction just executed). Either way it becomes pending; the run loop
 * calls deliverSignals before every return to the guest, which takes the
 * pending, unblocked signals in Linux's order (synchronous ones first, then
 * the lowest number) and either applies the default action or builds a
 * frame (signal-frame.ts) and points the vCPU at the handler.
 *
 * A syscall that waits does so through waitInterruptible, which gives up as
 * soon as a signal is deliverable; the syscall then returns one of the
 * kernel's internal ERESTART* codes, and delivery decides, as Linux does,
 * whether the guest sees EINTR or the syscall runs again (SA_RESTART).
 */

import { Reg, SysReg, type VcpuPort } from '../../ports/vcpu.js';
import { GuestFault } from '../memory/fault.js';
import { Errno, ERESTARTSYS } from './errno.js';
import {
  MINSIGSTKSZ,
  RLIMIT_SIGPENDING,
  SA_NODEFER,
  SA_ONSTACK,
  SA_RESETHAND,
  SA_RESTART,
  SA_RESTORER,
  SA_SIGINFO,
  SEGV_ACCERR,
  SEGV_MAPERR,
  SI_USER,
  SIGALRM,
  SIGBUS,
  SIGCONT,
  SIGFPE,
  SIGHUP,
  SIGINT,
  SIGIO,
  SIGILL,
  SIGKILL,
  SIGPWR,
  SIGQUIT,
  SIGRTMIN,
  SIGSEGV,
  SIGSTOP,
  SIGSYS,
  SIGTERM,
  SIGURG,
  SIGTRAP,
  SIGTSTP,
  SIGTTIN,
  SIGTTOU,
  SIGUSR1,
  SIGUSR2,
  SIGVTALRM,
  SIGXCPU,
  SIG_DFL,
  SIG_IGN,
  SIZEOF_SIGINFO,
  SS_AUTODISARM,
  SS_DISABLE,
  SS_ONSTACK,
  _NSIG,
  signalDefaultAction,
  signalName,
} from './linux-abi.js';
import { SIZEOF_FRAME_RECORD, SIZEOF_RT_SIGFRAME, buildSigframe, parseUcontext, sigreturnTrampoline } from './signal-frame.js';
import { decodeMessage, type ChannelMessage } from '../fork/messages.js';
import type { SigAction, SigInfo, Task, UserContext } from './task.js';

/** Kernel-internal results of an interrupted syscall (include/linux/errno.h); the guest never sees them. */
export { ERESTARTSYS };
export const ERESTARTNOINTR = 513;
export const ERESTARTNOHAND = 514;
export const ERESTART_RESTARTBLOCK = 516;
const NR_RESTART_SYSCALL = 128n;

export function sigbit(sig: number): bigint {
  return 1n << BigInt(sig - 1);
}

/** SIGKILL and SIGSTOP can never be blocked. */
export const UNBLOCKABLE = sigbit(SIGKILL) | sigbit(SIGSTOP);
/** Signals a fault raises, taken before any other (SYNCHRONOUS_MASK in kernel/signal.c). */
const SYNCHRONOUS = [SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGSYS].reduce((m, s) => m | sigbit(s), 0n);
const STOP_SIGNALS = [SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU].reduce((m, s) => m | sigbit(s), 0n);

/** Whether the signal's disposition is to ignore it (handler SIG_IGN, or SIG_DFL whose default is to ignore). */
export function isIgnored(task: Task, sig: number): boolean {
  const handler = task.tg.sigactions[sig - 1]?.handler ?? SIG_DFL;
  if (handler === SIG_IGN) return true;
  return handler === SIG_DFL && signalDefaultAction(sig) === 'ign';
}

/** Some pending signal is not blocked: a wait must end (signal_pending). */
export function signalPending(task: Task): boolean {
  return (task.sigpending & ~task.sigmask) !== 0n;
}

function wake(task: Task): void {
  for (const waiter of [...task.signalWaiters]) waiter();
  task.kick();
}

/**
 * Posts `sig` to the task (send_signal): the one entry point for kill to
 * self, timers and host signals forwarded by the front end. An ignored,
 * unblocked signal is dropped at once; a standard signal already pending
 * is not queued twice; real-time signals queue with their siginfo.
 *
 * Each queued siginfo takes a slot of RLIMIT_SIGPENDING (__sigqueue_alloc).
 * At the limit a standard signal from the kernel or kill(2) (si_code >= 0)
 * is queued anyway; another standard signal, or a real-time one from
 * kill(2), is still made pending but loses its siginfo (the handler sees
 * SI_USER from pid 0); any other real-time signal is refused with EAGAIN,
 * which is what this returns (0 otherwise). A POSIX timer's siginfo has
 * its slot from timer_create on (reserveSigqueue).
 */
export function postSignal(task: Task, sig: number, info: SigInfo): number {
  if (sig < 1 || sig > _NSIG || task.exit) return 0;
  const bit = sigbit(sig);
  // prepare_signal: SIGCONT discards pending stop signals, and a stop signal a pending SIGCONT.
  if (sig === SIGCONT) dropPending(task, STOP_SIGNALS);
  else if (bit & STOP_SIGNALS) dropPending(task, sigbit(SIGCONT));
  const blocked = (task.sigmask & bit) !== 0n;
  // sig_ignored: a blocked signal is kept, since the handler may change before it is unblocked.
  if (!blocked && !(bit & UNBLOCKABLE) && isIgnored(task, sig)) return 0;
  if (sig < SIGRTMIN && task.sigpending & bit) return 0; // legacy_queue: standard signals coalesce
  // SIGKILL needs no siginfo: it is never seen by a handler.
  if (sig !== SIGKILL) {
    const overLimit = !info.preallocated && BigInt(task.tg.sigqueueUsed) >= sigpendingLimit(task);
    if (!overLimit || (sig < SIGRTMIN && info.code >= 0)) {
      if (!info.preallocated) task.tg.sigqueueUsed++;
      const queue = task.sigqueue.get(sig);
      if (queue) queue.push(info);
      else task.sigqueue.set(sig, [info]);
    } else if (sig >= SIGRTMIN && info.code !== SI_USER) return -Errno.EAGAIN;
  }
  task.sigpending |= bit;
  task.signalQueue.wake();
  // complete_signal: an unblocked signal whose action is to end the process ends it now, so
  // no wait, however long, stands between it and its effect; a traced process (a debugger
  // attached) reports it to the debugger first, at delivery, unless it is SIGKILL.
  if (!blocked && isFatal(task, sig) && (sig === SIGKILL || !task.ptraced)) terminate(task, sig, dequeueSignal(task, sig));
  if (!blocked || bit & task.sigwaitSet || task.exit) wake(task);
  return 0;
}

/**
 * A signal to the whole process (kill(2) of its pid, a host signal, a
 * child's SIGCHLD, a process timer): complete_signal's choice of thread,
 * the leader first, else the first thread that does not block it (or waits
 * for it in sigtimedwait); when every thread blocks it, the first live one
 * keeps it, marked `shared`, and a thread that unblocks it or waits for it
 * later takes it over (claimSharedSignals). A process with one thread is
 * that thread.
 */
export function postProcessSignal(task: Task, sig: number, info: SigInfo): number {
  // legacy_queue on the process's pending set: a standard signal already pending for the process coalesces.
  if (sig < SIGRTMIN && sig !== SIGKILL && sharedPendingSet(task) & sigbit(sig)) return 0;
  const r = postSignal(threadFor(task, sig), sig, { ...info, shared: true });
  // A signalfd read in any thread may take it (the process's signalfd_wqh).
  for (const t of task.tg.threads) t.signalQueue.wake();
  return r;
}

/**
 * The process's pending set (signal->shared_pending): the process-directed
 * signals its threads hold (each is kept by one thread, marked `shared`,
 * until a thread takes it). Every thread sees it in rt_sigpending and
 * /proc ShdPnd.
 */
export function sharedPendingSet(task: Task): bigint {
  let set = 0n;
  for (const t of task.tg.threads) {
    if (t.exit) continue;
    for (const [sig, queue] of t.sigqueue) if (queue.some((i) => i.shared)) set |= sigbit(sig);
  }
  return set;
}

/** The thread's own pending set (task->pending): what it holds, less what it holds for the process only. */
export function ownPendingSet(task: Task): bigint {
  let set = task.sigpending;
  for (const [sig, queue] of task.sigqueue) if (queue.length > 0 && queue.every((i) => i.shared)) set &= ~sigbit(sig);
  return set;
}

function threadFor(task: Task, sig: number): Task {
  const bit = sigbit(sig);
  let first: Task | null = null;
  for (const t of task.tg.threads) {
    if (t.exit) continue;
    first ??= t;
    if (!(t.sigmask & bit) || t.sigwaitSet & bit) return t;
  }
  return first ?? task;
}

/**
 * Process-directed signals pending on other threads that block them, taken
 * by `task` when it does not (it just unblocked them, or waits for them),
 * or reads them from a signalfd (`want`): Linux keeps them in the
 * process's shared queue, from which any thread that wants them dequeues.
 */
export function claimSharedSignals(task: Task, want = 0n): void {
  for (const t of task.tg.threads) {
    if (t === task || t.exit) continue;
    for (const [sig, queue] of [...t.sigqueue]) {
      const bit = sigbit(sig);
      if (!(t.sigmask & bit) || (task.sigmask & bit && !(task.sigwaitSet & bit) && !(want & bit))) continue;
      const moving = queue.filter((i) => i.shared);
      if (moving.length === 0) continue;
      const staying = queue.filter((i) => !i.shared);
      if (staying.length > 0) t.sigqueue.set(sig, staying);
      else {
        t.sigqueue.delete(sig);
        t.sigpending &= ~bit;
      }
      for (const info of moving) {
        // A standard signal already pending here coalesces (its siginfo slot is given back).
        if (sig < SIGRTMIN && task.sigpending & bit) {
          if (!info.preallocated) task.tg.sigqueueUsed--;
          continue;
        }
        const mine = task.sigqueue.get(sig);
        if (mine) mine.push(info);
        else task.sigqueue.set(sig, [info]);
        task.sigpending |= bit;
      }
    }
  }
  if (signalPending(task)) wake(task);
}

/** sig_fatal(): SIGKILL, or a signal left to a default action that ends the process. */
function isFatal(task: Task, sig: number): boolean {
  if (sig === SIGKILL) return true;
  if ((task.tg.sigactions[sig - 1]?.handler ?? SIG_DFL) !== SIG_DFL) return false;
  const def = signalDefaultAction(sig);
  return def === 'term' || def === 'core';
}

/** The process ends by `sig`'s default action (do_group_exit with the signal as exit code). */
function terminate(task: Task, sig: number, info: SigInfo): void {
  if (task.exit) return;
  task.trace(`elfuse: killed by ${signalName(sig)}`);
  task.exit = { signal: sig, core: signalDefaultAction(sig) === 'core', ...(info.fromHost ? { byHost: true } : {}) };
}

function sigpendingLimit(task: Task): bigint {
  return task.tg.rlimits[RLIMIT_SIGPENDING]?.cur ?? 0n;
}

/**
 * Takes a slot of RLIMIT_SIGPENDING for a POSIX timer's own siginfo
 * (timer_create preallocates it); false at the limit, where timer_create
 * fails with EAGAIN. releaseSigqueue gives it back at timer_delete.
 */
export function reserveSigqueue(task: Task): boolean {
  if (BigInt(task.tg.sigqueueUsed) >= sigpendingLimit(task)) return false;
  task.tg.sigqueueUsed++;
  return true;
}

export function releaseSigqueue(task: Task): void {
  task.tg.sigqueueUsed--;
}

/**
 * A fault of the current instruction (force_sig_info_to_task): if the
 * signal is blocked or ignored, the guest cannot survive it, so it is
 * unblocked and its handler reset to SIG_DFL, which kills the process.
 */
export function forceSignal(task: Task, sig: number, info: SigInfo): void {
  const action = task.tg.sigactions[sig - 1];
  if (!action) return;
  const blocked = (task.sigmask & sigbit(sig)) !== 0n;
  if (blocked || action.handler === SIG_IGN) {
    action.handler = SIG_DFL;
    if (blocked) task.sigmask &= ~sigbit(sig);
  }
  postSignal(task, sig, info);
}

/** SIGSEGV for a bad address: SEGV_ACCERR where something is mapped, SEGV_MAPERR where nothing is. */
export function segvCode(task: Task, addr: bigint): number {
  return addr < 1n << 48n && task.as.vmaAt(Number(addr)) ? SEGV_ACCERR : SEGV_MAPERR;
}

/**
 * A signal from outside the guest: the terminal's SIGWINCH, or SIGINT,
 * SIGTERM, SIGHUP... that the elfuse process received and forwards. It is
 * posted like a kill(2) from a process elfuse cannot name (SI_USER, si_pid
 * 0) and delivered at the next vCPU exit. Returns true when its default
 * action ends the guest.
 */
export function postHostSignal(task: Task, sig: number): boolean {
  if (sig < 1 || sig > _NSIG) return false;
  postProcessSignal(task, sig, { signo: sig, code: SI_USER, pid: 0, uid: 0, fromHost: true });
  const def = signalDefaultAction(sig);
  const unblocked = (task.sigmask & sigbit(sig)) === 0n;
  return unblocked && task.tg.sigactions[sig - 1]?.handler === SIG_DFL && (def === 'term' || def === 'core');
}

/**
 * Signals the elfuse process itself may receive from outside whose Linux
 * default is to end the process. SIGWINCH comes through the terminal
 * (tty.ts); faults, SIGABRT, SIGTRAP and SIGSYS stay the host's own; so do
 * SIGPIPE and SIGXFSZ, which elfuse's own writes raise on the host: the
 * write's EPIPE or EFBIG already becomes the guest's signal (fs-io.ts), and
 * a second, host copy would run its handler twice.
 */
const HOST_SIGNALS = [SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGTERM, SIGXCPU, SIGVTALRM, SIGIO, SIGPWR, SIGTSTP, SIGCONT, SIGURG];

/**
 * The terminal's background-access signals are the host kernel's to send
 * (a background read or tcsetpgrp of the real terminal): the host process
 * ignores them exactly when the guest ignores or blocks them, as the host's
 * tty_check_change then lets the call through; otherwise their default
 * stops the elfuse process, and so the guest. Catching them instead would
 * turn a restarted ioctl into an endless SIGTTOU.
 */
export function syncJobControlSignals(task: Task): void {
  for (const sig of [SIGTTIN, SIGTTOU]) {
    const ignored = task.tg.sigactions[sig - 1]?.handler === SIG_IGN || (task.sigmask & sigbit(sig)) !== 0n;
    task.host.signals.setIgnored(signalName(sig), ignored);
  }
}

/**
 * Hands the host's signals to the guest as Linux would deliver them to a
 * native program: its handler runs, an ignored one is dropped, and a
 * default action ends the guest by that signal (GuestStatus.byHost, so the
 * front end can end the same way). Returns the unsubscribe.
 */
export function watchHostSignals(task: Task): () => void {
  const byName = new Map(HOST_SIGNALS.map((sig) => [signalName(sig), sig]));
  return task.host.signals.subscribe([...byName.keys()], (name) => {
    const sig = byName.get(name);
    if (sig !== undefined) postHostSignal(task, sig);
  });
}

/**
 * Signals from guest processes of the tree that are neither this one's
 * parent nor its children (those use the channel), with the siginfo their
 * sender made (HostProcesses.onProcessMessage); their other messages go to
 * `other`. Returns the unsubscribe.
 */
export function watchPeerSignals(task: Task, other: (m: ChannelMessage) => void = () => undefined): () => void {
  return task.host.processes.onProcessMessage((bytes) => {
    let m;
    try {
      m = decodeMessage(bytes);
    } catch {
      return; // not a message of this build: nothing to deliver
    }
    if (m.kind !== 'signal') return other(m);
    if (task.exit) return;
    postSignal(task, m.info.signo, { signo: m.info.signo, code: m.info.code, pid: m.info.pid, uid: m.info.uid, value: m.info.value });
  });
}

/** Forgets a pending signal and its queued siginfo (a disposition changed to ignore). */
export function discardSignal(task: Task, sig: number): void {
  dropPending(task, sigbit(sig));
}

function dropPending(task: Task, set: bigint): void {
  for (let sig = 1; sig <= _NSIG; sig++) {
    if (!(set & task.sigpending & sigbit(sig))) continue;
    task.sigpending &= ~sigbit(sig);
    for (const info of task.sigqueue.get(sig) ?? []) if (!info.preallocated) task.tg.sigqueueUsed--;
    task.sigqueue.delete(sig);
  }
}

/** The lowest-numbered signal in `set`, synchronous ones first (next_signal); 0 if none. */
export function nextSignal(set: bigint): number {
  const sync = set & SYNCHRONOUS;
  const from = sync !== 0n ? sync : set;
  if (from === 0n) return 0;
  let sig = 1;
  while (!(from & sigbit(sig))) sig++;
  return sig;
}

/** Takes the oldest siginfo of `sig` off the queue (dequeue_signal). */
export function dequeueSignal(task: Task, sig: number): SigInfo {
  const queue = task.sigqueue.get(sig);
  const queued = queue?.shift();
  if (queued && !queued.preallocated) task.tg.sigqueueUsed--;
  // Pending without a siginfo (SIGKILL, or sent at RLIMIT_SIGPENDING): collect_signal's zeroed SI_USER.
  const info = queued ?? { signo: sig, code: SI_USER, pid: 0, uid: 0 };
  if (!queue || queue.length === 0) {
    task.sigqueue.delete(sig);
    task.sigpending &= ~sigbit(sig);
  }
  info.onDequeue?.(info);
  return info;
}

/**
 * Waits for `work` unless a signal becomes deliverable first; null means a
 * signal interrupted the wait (the caller returns an ERESTART* code).
 */
export function waitInterruptible<T>(task: Task, work: Promise<T>): Promise<T | null> {
  if (signalPending(task)) return Promise.resolve(null);
  return new Promise<T | null>((resolve, reject) => {
    const interrupted = (): void => {
      task.signalWaiters.delete(interrupted);
      resolve(null);
    };
    task.signalWaiters.add(interrupted);
    work.then(
      (value) => {
        task.signalWaiters.delete(interrupted);
        resolve(value);
      },
      (err: unknown) => {
        task.signalWaiters.delete(interrupted);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

/**
 * The user registers of the guest as the vCPU holds them. After an HVC
 * exit the vCPU is in the shim at EL1: the guest's PC and PSTATE are in
 * ELR_EL1 and SPSR_EL1. After a slice ended at EL0 they are the live PC and
 * CPSR. Either way the guest's SP is SP_EL0 and X0–X30, FP/SIMD are its own.
 */
export function userContextOf(vcpu: VcpuPort, where: 'shim' | 'el0'): UserContext {
  const pcReg = where === 'shim' ? (v: bigint | null) => sys(SysReg.ELR_EL1, v) : (v: bigint | null) => reg(Reg.PC, v);
  const psReg = where === 'shim' ? (v: bigint | null) => sys(SysReg.SPSR_EL1, v) : (v: bigint | null) => reg(Reg.CPSR, v);
  function sys(id: number, v: bigint | null): bigint {
    if (v !== null) vcpu.setSysReg(id, v);
    return v ?? vcpu.getSysReg(id);
  }
  function reg(id: number, v: bigint | null): bigint {
    if (v !== null) vcpu.setReg(id, v);
    return v ?? vcpu.getReg(id);
  }
  return {
    getX: (n) => vcpu.getReg(n),
    setX: (n, v) => vcpu.setReg(n, BigInt.asUintN(64, v)),
    get sp() {
      return vcpu.getSysReg(SysReg.SP_EL0);
    },
    set sp(v) {
      vcpu.setSysReg(SysReg.SP_EL0, v);
    },
    get pc() {
      return pcReg(null);
    },
    set pc(v) {
      pcReg(v);
    },
    get pstate() {
      return psReg(null);
    },
    set pstate(v) {
      psReg(v);
    },
    get fpsr() {
      return vcpu.getReg(Reg.FPSR);
    },
    set fpsr(v) {
      vcpu.setReg(Reg.FPSR, v);
    },
    get fpcr() {
      return vcpu.getReg(Reg.FPCR);
    },
    set fpcr(v) {
      vcpu.setReg(Reg.FPCR, v);
    },
    getV: (n) => vcpu.getSimdFpReg(n),
    setV: (n, v) => vcpu.setSimdFpReg(n, v),
  };
}

/** on_sig_stack(): the stack grows down, so its top (ss_sp + ss_size) belongs to it and its base does not. */
export function onSigStack(task: Task, sp: bigint): boolean {
  const st = task.altStack;
  return st.size !== 0n && sp > st.sp && sp - st.sp <= st.size;
}

/** sas_ss_flags(): what sigaltstack and uc_stack report as ss_flags. */
export function sasSsFlags(task: Task, sp: bigint): number {
  if (task.altStack.size === 0n) return SS_DISABLE;
  return onSigStack(task, sp) ? SS_ONSTACK : 0;
}

/** The syscall the guest just made, for restart handling: its result and X0 as it came in. */
export interface SyscallReturn {
  result: bigint;
  origX0: bigint;
}

function isRestart(result: bigint): boolean {
  const r = -Number(result);
  return r === ERESTARTSYS || r === ERESTARTNOINTR || r === ERESTARTNOHAND || r === ERESTART_RESTARTBLOCK;
}

/**
 * Delivers every pending, unblocked signal before the guest runs again
 * (do_signal). A handler's frame goes on top of the previous one, so the
 * last signal set up runs first, as on Linux.
 */
export function deliverSignals(task: Task, ctx: UserContext, syscall: SyscallReturn | null): void {
  let restart: SyscallReturn | null = null;
  if (syscall && isRestart(syscall.result)) {
    // Assume the syscall restarts: back to the SVC with X0 as it was.
    restart = syscall;
    ctx.setX(0, syscall.origX0);
    ctx.pc = ctx.pc - 4n;
    if (-Number(syscall.result) === ERESTART_RESTARTBLOCK) ctx.setX(8, NR_RESTART_SYSCALL);
  }
  for (;;) {
    const sig = nextSignal(task.sigpending & ~task.sigmask);
    if (sig === 0 || task.exit) break;
    const info = dequeueSignal(task, sig);
    const action = task.tg.sigactions[sig - 1]!;
    if (action.handler === SIG_IGN) continue;
    if (action.handler === SIG_DFL) {
      const def = signalDefaultAction(sig);
      if (def === 'ign' || def === 'cont') continue;
      if (def === 'stop') {
        // The guest is this host process: stopping it stops the guest, and a SIGCONT resumes both.
        task.trace(`elfuse: stopped by ${signalName(sig)}`);
        // do_signal_stop: the parent's wait(WUNTRACED) and SIGCHLD hear of it, and of the continue.
        task.reportToParent?.('stopped', sig);
        task.host.process.stop(signalName(sig) as 'SIGSTOP' | 'SIGTSTP' | 'SIGTTIN' | 'SIGTTOU');
        task.reportToParent?.('continued', SIGCONT);
        continue;
      }
      terminate(task, sig, info);
      break;
    }
    if (restart) {
      const r = -Number(restart.result);
      if (r === ERESTARTNOHAND || r === ERESTART_RESTARTBLOCK || (r === ERESTARTSYS && !(action.flags & BigInt(SA_RESTART)))) {
        ctx.setX(0, BigInt(-Errno.EINTR));
        ctx.pc = ctx.pc + 4n;
      }
      restart = null;
    }
    if (action.flags & BigInt(SA_RESETHAND)) task.tg.sigactions[sig - 1] = { ...action, handler: SIG_DFL };
    if (!setupFrame(task, ctx, sig, info, action)) {
      // The frame could not be written (stack overflow): Linux forces SIGSEGV (force_sigsegv).
      task.trace(`elfuse: ${signalName(sig)}: cannot write the signal frame below sp 0x${ctx.sp.toString(16)}`);
      const segv = task.tg.sigactions[SIGSEGV - 1]!;
      segv.handler = SIG_DFL;
      task.sigmask &= ~sigbit(SIGSEGV);
      postSignal(task, SIGSEGV, { signo: SIGSEGV, code: 0x80 });
      continue;
    }
    task.savedSigmask = null; // the frame carries it now
    let blocked = task.sigmask | action.mask;
    if (!(action.flags & BigInt(SA_NODEFER))) blocked |= sigbit(sig);
    task.sigmask = blocked & ~UNBLOCKABLE;
  }
  // restore_saved_sigmask(): rt_sigsuspend's mask ends with the syscall when no handler took it over.
  if (task.savedSigmask !== null) {
    task.sigmask = task.savedSigmask;
    task.savedSigmask = null;
  }
}

function setupFrame(task: Task, ctx: UserContext, sig: number, info: SigInfo, action: SigAction): boolean {
  const oldSp = ctx.sp;
  const st = task.altStack;
  let sp = oldSp;
  // sigsp(): switch to the alternate stack unless already on it.
  const onAlt = onSigStack(task, oldSp);
  if (action.flags & BigInt(SA_ONSTACK) && st.size !== 0n && !onAlt) sp = st.sp + st.size;
  const savedStack = { sp: st.sp, flags: sasSsFlags(task, oldSp) | (st.flags & SS_AUTODISARM), size: st.size };
  if (st.size !== 0n && st.flags & SS_AUTODISARM && !onAlt) task.altStack = { sp: 0n, flags: SS_DISABLE, size: 0n };
  const record = (sp - BigInt(SIZEOF_FRAME_RECORD)) & ~15n;
  const frame = record - BigInt(SIZEOF_RT_SIGFRAME);
  const restorer = action.flags & BigInt(SA_RESTORER) ? action.restorer : BigInt(sigreturnTrampoline(task));
  const bytes = buildSigframe(ctx, { ...info, signo: sig }, { sigmask: task.savedSigmask ?? task.sigmask, altStack: savedStack });
  try {
    if (frame < 0n || restorer === 0n) return false;
    task.mem.write(Number(frame), bytes);
  } catch (err) {
    if (err instanceof GuestFault) return false;
    throw err;
  }
  ctx.setX(0, BigInt(sig));
  if (action.flags & BigInt(SA_SIGINFO)) {
    ctx.setX(1, frame);
    ctx.setX(2, frame + BigInt(SIZEOF_SIGINFO));
  }
  ctx.sp = frame;
  ctx.setX(29, record);
  ctx.setX(30, restorer);
  ctx.pc = action.handler;
  // setup_return(): BTYPE cleared so a handler without BTI landing pad is entered cleanly.
  ctx.pstate = ctx.pstate & ~0xc00n;
  return true;
}

/**
 * rt_sigreturn(2): restores the context the frame at SP saved (registers,
 * FP/SIMD, signal mask, alternate stack). Returns the restored X0, so the
 * run loop's write of the result into X0 changes nothing. A bad frame is
 * a SIGSEGV, as on Linux.
 */
export function sysRtSigreturn(task: Task): bigint {
  const ctx = task.userContext;
  if (!ctx) return BigInt(-Errno.ENOSYS);
  const frame = ctx.sp;
  let saved = null;
  if ((frame & 15n) === 0n) {
    try {
      saved = parseUcontext(task.mem.read(Number(frame + BigInt(SIZEOF_SIGINFO)), SIZEOF_RT_SIGFRAME - SIZEOF_SIGINFO));
    } catch (err) {
      if (!(err instanceof GuestFault)) throw err;
    }
  }
  if (!saved) {
    task.trace(`elfuse: rt_sigreturn: bad signal frame at 0x${frame.toString(16)}`);
    forceSignal(task, SIGSEGV, { signo: SIGSEGV, code: segvCode(task, frame), addr: frame, faultAddress: frame });
    return ctx.getX(0);
  }
  task.sigmask = saved.sigmask & ~UNBLOCKABLE;
  saved.x.forEach((v, i) => ctx.setX(i, v));
  ctx.sp = saved.sp;
  ctx.pc = saved.pc;
  ctx.pstate = saved.pstate;
  ctx.fpsr = saved.fpsr;
  ctx.fpcr = saved.fpcr;
  saved.v.forEach((v, i) => ctx.setV(i, v));
  // restore_altstack(): as sigaltstack(2) at the restored SP; refused (and ignored) while on the stack.
  if (!onSigStack(task, saved.sp)) {
    const st = saved.altStack;
    const mode = st.flags & ~SS_AUTODISARM;
    if (mode === SS_DISABLE) task.altStack = { sp: 0n, flags: SS_DISABLE, size: 0n };
    else if ((mode === 0 || mode === SS_ONSTACK) && st.size >= BigInt(MINSIGSTKSZ)) {
      task.altStack = { sp: st.sp, flags: st.flags & SS_AUTODISARM, size: st.size };
    }
  }
  return saved.x[0]!;
}
