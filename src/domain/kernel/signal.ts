/**
 * Signal syscalls (kernel/signal.c): dispositions (rt_sigaction), the mask
 * (rt_sigprocmask, rt_sigsuspend), pending signals (rt_sigpending,
 * rt_sigtimedwait, rt_sigqueueinfo), the alternate stack and rt_sigreturn.
 * Generation and delivery live in signal-deliver.ts.
 */

import { Errno } from './errno.js';
import {
  SIGKILL,
  SIGSTOP,
  SIG_BLOCK,
  SIG_IGN,
  SIG_SETMASK,
  SIG_UNBLOCK,
  SA_RESTORER,
  MINSIGSTKSZ,
  SIZEOF_SIGACTION,
  SIZEOF_SIGINFO,
  SIZEOF_SIGSET,
  SIZEOF_STACK_T,
  SIZEOF_TIMESPEC,
  SS_AUTODISARM,
  SS_DISABLE,
  SS_ONSTACK,
  SiginfoOffset,
  SigactionOffset,
  StackTOffset,
  decodeTimespec,
  StructReader,
  StructWriter,
  SIGTTIN,
  SIGTTOU,
  SI_TKILL,
  _NSIG,
  signalDefaultAction,
} from './linux-abi.js';
import { encodeSiginfo, sigreturnTrampoline } from './signal-frame.js';
import {
  ERESTARTNOHAND,
  discardSignal,
  UNBLOCKABLE,
  dequeueSignal,
  nextSignal,
  onSigStack,
  claimSharedSignals,
  sharedPendingSet,
  postProcessSignal,
  postSignal,
  sasSsFlags,
  sysRtSigreturn,
  syncJobControlSignals,
  waitInterruptible,
} from './signal-deliver.js';
import { signalProcess, threadOf } from './process.js';
import type { SyscallArgs, SyscallImpl } from './syscall-args.js';
import type { SigAction, SigInfo, Task } from './task.js';

/** SIGTTIN and SIGTTOU in a mask: the host mirrors whether the guest blocks them (syncJobControlSignals). */
const JOB_CONTROL_BITS = (1n << BigInt(SIGTTIN - 1)) | (1n << BigInt(SIGTTOU - 1));

function readSigset(task: Task, ptr: number): bigint {
  return new StructReader(task.mem.read(ptr, SIZEOF_SIGSET)).u64(0);
}

function writeSigset(task: Task, ptr: number, set: bigint): void {
  task.mem.write(ptr, new StructWriter(SIZEOF_SIGSET).u64(0, set).bytes);
}

function encodeSigaction(act: SigAction): Uint8Array {
  const O = SigactionOffset;
  return new StructWriter(SIZEOF_SIGACTION)
    .u64(O.sa_handler, act.handler)
    .u64(O.sa_flags, act.flags)
    .u64(O.sa_restorer, act.restorer)
    .u64(O.sa_mask, act.mask).bytes;
}

function decodeSigaction(bytes: Uint8Array): SigAction {
  const r = new StructReader(bytes);
  const O = SigactionOffset;
  return {
    handler: r.u64(O.sa_handler),
    flags: r.u64(O.sa_flags),
    restorer: r.u64(O.sa_restorer),
    mask: r.u64(O.sa_mask) & ~UNBLOCKABLE,
  };
}

/**
 * Whether a pending signal is discarded when its disposition becomes
 * "ignore" (do_sigaction: SIG_IGN, or SIG_DFL whose default is to ignore).
 */
function ignores(sig: number, act: SigAction): boolean {
  if (act.handler === SIG_IGN) return true;
  return act.handler === 0n && signalDefaultAction(sig) === 'ign';
}

/** rt_sigaction(2): the new action is read before the old one is written, as the kernel does. */
function sysRtSigaction(task: Task, a: SyscallArgs): number {
  const sig = a.int(0);
  const actPtr = a.ptr(1);
  const oldPtr = a.ptr(2);
  if (a.u64(3) !== BigInt(SIZEOF_SIGSET)) return -Errno.EINVAL;
  if (sig < 1 || sig > _NSIG) return -Errno.EINVAL;
  const next = actPtr === 0 ? null : decodeSigaction(task.mem.read(actPtr, SIZEOF_SIGACTION));
  if (next && (sig === SIGKILL || sig === SIGSTOP)) return -Errno.EINVAL;
  const index = sig - 1;
  const old = task.tg.sigactions[index];
  if (!old) return -Errno.EINVAL;
  if (next) {
    // Map the sigreturn trampoline now, while a syscall return will flush the TLB and I-cache for it.
    if (next.handler > SIG_IGN && !(next.flags & BigInt(SA_RESTORER))) sigreturnTrampoline(task);
    task.tg.sigactions[index] = next;
    if (ignores(sig, next)) discardSignal(task, sig);
    if (sig === SIGTTIN || sig === SIGTTOU) syncJobControlSignals(task);
  }
  if (oldPtr !== 0) task.mem.write(oldPtr, encodeSigaction(old));
  return 0;
}

/** rt_sigprocmask(2): `how` is checked only when a new set is given (kernel/signal.c). */
function sysRtSigprocmask(task: Task, a: SyscallArgs): number {
  const how = a.int(0);
  const setPtr = a.ptr(1);
  const oldPtr = a.ptr(2);
  if (a.u64(3) !== BigInt(SIZEOF_SIGSET)) return -Errno.EINVAL;
  const old = task.sigmask;
  if (setPtr !== 0) {
    const set = readSigset(task, setPtr);
    let mask: bigint;
    switch (how) {
      case SIG_BLOCK:
        mask = old | set;
        break;
      case SIG_UNBLOCK:
        mask = old & ~set;
        break;
      case SIG_SETMASK:
        mask = set;
        break;
      default:
        return -Errno.EINVAL;
    }
    task.sigmask = mask & ~UNBLOCKABLE;
    if ((old ^ task.sigmask) & JOB_CONTROL_BITS) syncJobControlSignals(task);
    // Signals sent to the process and held by a thread that blocks them come to this one.
    if (old & ~task.sigmask) claimSharedSignals(task);
  }
  if (oldPtr !== 0) writeSigset(task, oldPtr, old);
  return 0;
}

/** rt_sigpending(2): the thread's and the process's pending signals that are blocked (the others would have been delivered). */
function sysRtSigpending(task: Task, a: SyscallArgs): number {
  if (a.u64(1) > BigInt(SIZEOF_SIGSET)) return -Errno.EINVAL;
  const bytes = new StructWriter(SIZEOF_SIGSET).u64(0, (task.sigpending | sharedPendingSet(task)) & task.sigmask).bytes;
  task.mem.write(a.ptr(0), bytes.subarray(0, Number(a.u64(1))));
  return 0;
}

/**
 * sigaltstack(2). Changing the stack while running on it is EPERM; the old
 * state reports SS_ONSTACK when the caller's SP is on it (sas_ss_flags).
 */
function sysSigaltstack(task: Task, a: SyscallArgs): number {
  const ssPtr = a.ptr(0);
  const oldPtr = a.ptr(1);
  const sp = task.userContext?.sp ?? 0n;
  const cur = task.altStack;
  let next = cur;
  if (ssPtr !== 0) {
    const r = new StructReader(task.mem.read(ssPtr, SIZEOF_STACK_T));
    const flags = r.i32(StackTOffset.ss_flags);
    if (onSigStack(task, sp)) return -Errno.EPERM;
    const mode = flags & ~SS_AUTODISARM;
    if (mode !== 0 && mode !== SS_DISABLE && mode !== SS_ONSTACK) return -Errno.EINVAL;
    if (mode === SS_DISABLE) next = { sp: 0n, flags: SS_DISABLE, size: 0n };
    else {
      const size = r.u64(StackTOffset.ss_size);
      if (size < BigInt(MINSIGSTKSZ)) return -Errno.ENOMEM;
      next = { sp: r.u64(StackTOffset.ss_sp), flags: flags & SS_AUTODISARM, size };
    }
  }
  if (oldPtr !== 0) {
    const flags = sasSsFlags(task, sp) | (cur.flags & SS_AUTODISARM);
    const w = new StructWriter(SIZEOF_STACK_T)
      .u64(StackTOffset.ss_sp, cur.sp)
      .i32(StackTOffset.ss_flags, flags)
      .u64(StackTOffset.ss_size, cur.size);
    task.mem.write(oldPtr, w.bytes);
  }
  task.altStack = next;
  return 0;
}

/** A wait no event ends but a signal (rt_sigsuspend, pause). */
const forever = (): Promise<void> => new Promise<void>(() => undefined);

/**
 * rt_sigsuspend(2): waits with a temporary mask until a signal is delivered;
 * always "fails" with EINTR once the handler has run. The old mask comes
 * back through the frame's uc_sigmask (or at once if no handler runs).
 */
async function sysRtSigsuspend(task: Task, a: SyscallArgs): Promise<number> {
  if (a.u64(1) !== BigInt(SIZEOF_SIGSET)) return -Errno.EINVAL;
  const mask = readSigset(task, a.ptr(0));
  task.savedSigmask = task.sigmask;
  task.sigmask = mask & ~UNBLOCKABLE;
  claimSharedSignals(task);
  await waitInterruptible(task, forever());
  return -ERESTARTNOHAND;
}

/**
 * rt_sigtimedwait(2): takes a signal of `set` off the pending queue,
 * waiting up to the timeout (NULL: forever) for one to arrive. Other
 * signals interrupt the wait with EINTR; running out of time is EAGAIN.
 */
async function sysRtSigtimedwait(task: Task, a: SyscallArgs): Promise<number> {
  if (a.u64(3) !== BigInt(SIZEOF_SIGSET)) return -Errno.EINVAL;
  const set = readSigset(task, a.ptr(0)) & ~UNBLOCKABLE;
  const infoPtr = a.ptr(1);
  let timeout: bigint | null = null;
  if (a.ptr(2) !== 0) {
    timeout = decodeTimespec(task.mem.read(a.ptr(2), SIZEOF_TIMESPEC));
    if (timeout === null || timeout < 0n) return -Errno.EINVAL;
  }
  const take = (): number => {
    // What another thread holds for the process, blocked there, is this waiter's to take.
    const saved = task.sigwaitSet;
    task.sigwaitSet = set;
    claimSharedSignals(task);
    task.sigwaitSet = saved;
    const sig = nextSignal(task.sigpending & set);
    if (sig === 0) return 0;
    const info = dequeueSignal(task, sig);
    if (infoPtr !== 0) task.mem.write(infoPtr, encodeSiginfo({ ...info, signo: sig }));
    return sig;
  };
  const now = take();
  if (now !== 0 || timeout === 0n) return now !== 0 ? now : -Errno.EAGAIN;
  task.sigwaitSet = set;
  try {
    const arrived = new Promise<void>((resolve) => {
      const check = (): void => {
        if (!(task.sigpending & set)) return;
        task.signalWaiters.delete(check);
        resolve();
      };
      task.signalWaiters.add(check);
    });
    const timer = timeout === null ? forever() : task.host.clock.sleep(timeout);
    const result = await waitInterruptible(task, Promise.race([arrived.then(() => 'signal'), timer.then(() => 'timeout')]));
    const sig = take();
    if (sig !== 0) return sig;
    return result === 'timeout' ? -Errno.EAGAIN : -Errno.EINTR;
  } finally {
    task.sigwaitSet = 0n;
  }
}

/** siginfo_t from user space (rt_sigqueueinfo): what the caller put there, kept as is. */
function readUserSiginfo(task: Task, ptr: number, sig: number): SigInfo {
  const r = new StructReader(task.mem.read(ptr, SIZEOF_SIGINFO));
  const O = SiginfoOffset;
  return { signo: sig, errno: r.i32(O.si_errno), code: r.i32(O.si_code), pid: r.i32(O.si_pid), uid: r.u32(O.si_uid), value: r.u64(O.si_value) };
}

/**
 * rt_sigqueueinfo(2) / rt_tgsigqueueinfo(2). Only a process signalling
 * itself may pass a kernel si_code (>= 0) or SI_TKILL; another process gets
 * the caller's siginfo as given (si_pid, si_uid, si_value: sigqueue's), over
 * the channel to a child or the parent (process.ts signalProcess).
 */
function sigqueueinfo(task: Task, tgid: number, tid: number | null, sig: number, ptr: number): number {
  if (tid !== null && (tgid <= 0 || tid <= 0)) return -Errno.EINVAL;
  if (sig < 0 || sig > _NSIG) return -Errno.EINVAL;
  const info = readUserSiginfo(task, ptr, sig);
  if (tgid !== task.pid && (info.code >= 0 || info.code === SI_TKILL)) return -Errno.EPERM;
  // A thread of another process is not known here: only its leader (tid = pid).
  if (tid !== null && tgid !== task.pid && tid !== tgid) return -Errno.ESRCH;
  if (tgid <= 0) return -Errno.ESRCH;
  if (tgid === task.pid) {
    if (sig === 0) return tid === null || threadOf(task, tid) ? 0 : -Errno.ESRCH;
    if (tid === null) return postProcessSignal(task, sig, info);
    const t = threadOf(task, tid);
    return t ? postSignal(t, sig, info) : -Errno.ESRCH;
  }
  return signalProcess(task, tgid, sig, { code: info.code, value: info.value ?? 0n, pid: info.pid ?? task.pid, uid: info.uid ?? task.cred.uid });
}

export const signalSyscalls: Readonly<Record<string, SyscallImpl>> = {
  rt_sigaction: { handler: sysRtSigaction, support: 'full', args: ['int', 'ptr', 'ptr', 'size'] },
  rt_sigprocmask: { handler: sysRtSigprocmask, support: 'full', args: ['int', 'ptr', 'ptr', 'size'] },
  rt_sigpending: { handler: sysRtSigpending, support: 'full', args: ['ptr', 'size'] },
  sigaltstack: { handler: sysSigaltstack, support: 'full', args: ['ptr', 'ptr'] },
  rt_sigsuspend: { handler: sysRtSigsuspend, support: 'full', args: ['ptr', 'size'] },
  rt_sigtimedwait: { handler: sysRtSigtimedwait, support: 'full', args: ['ptr', 'ptr', 'ptr', 'size'] },
  rt_sigqueueinfo: {
    handler: (t, a) => sigqueueinfo(t, a.int(0), null, a.int(1), a.ptr(2)),
    support: 'partial',
    args: ['int', 'int', 'ptr'],
    note: 'the siginfo reaches the process itself, its parent and its children; others get the bare signal',
  },
  rt_tgsigqueueinfo: {
    handler: (t, a) => sigqueueinfo(t, a.int(0), a.int(1), a.int(2), a.ptr(3)),
    support: 'partial',
    args: ['int', 'int', 'int', 'ptr'],
    note: 'the siginfo reaches the process itself, its parent and its children; others get the bare signal',
  },
  rt_sigreturn: { handler: (t) => sysRtSigreturn(t), support: 'full', args: [] },
  restart_syscall: {
    handler: (t) => {
      const resume = t.restartBlock;
      t.restartBlock = null;
      return resume ? resume() : -Errno.EINTR;
    },
    support: 'full',
    args: [],
  },
};
