/**
 * Signal family (kernel/signal.c): rt_sigaction, rt_sigprocmask,
 * rt_sigpending and sigaltstack. Dispositions and the mask are kept in the
 * Task exactly as Linux keeps them; delivery to guest handlers comes later.
 */

import { Errno } from './errno.js';
import {
  SIGKILL,
  SIGSTOP,
  SIG_BLOCK,
  SIG_IGN,
  SIG_SETMASK,
  SIG_UNBLOCK,
  SIZEOF_SIGACTION,
  SIZEOF_SIGSET,
  SigactionOffset,
  StructReader,
  StructWriter,
  _NSIG,
  signalDefaultAction,
} from './linux-abi.js';
import { raiseSignal } from './process.js';
import type { SyscallArgs, SyscallImpl } from './syscall-args.js';
import type { SigAction, Task } from './task.js';

/** SIGKILL and SIGSTOP can never be blocked (sigdelsetmask in kernel/signal.c). */
const UNBLOCKABLE = (1n << BigInt(SIGKILL - 1)) | (1n << BigInt(SIGSTOP - 1));

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
  const old = task.sigactions[index];
  if (!old) return -Errno.EINVAL;
  if (next) {
    task.sigactions[index] = next;
    if (ignores(sig, next)) task.sigpending &= ~(1n << BigInt(index));
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
  }
  if (oldPtr !== 0) writeSigset(task, oldPtr, old);
  return 0;
}

/** rt_sigpending(2): pending signals that are blocked (the others would have been delivered). */
function sysRtSigpending(task: Task, a: SyscallArgs): number {
  if (a.u64(1) > BigInt(SIZEOF_SIGSET)) return -Errno.EINVAL;
  const bytes = new StructWriter(SIZEOF_SIGSET).u64(0, task.sigpending & task.sigmask).bytes;
  task.mem.write(a.ptr(0), bytes.subarray(0, Number(a.u64(1))));
  return 0;
}

/** stack_t { void *ss_sp; int ss_flags; size_t ss_size; } (24 bytes) */
const SIZEOF_STACK_T = 24;
const SS_ONSTACK = 1;
const SS_DISABLE = 2;
const SS_AUTODISARM = 1 << 31;
/** arm64 MINSIGSTKSZ (arch/arm64/include/uapi/asm/signal.h). */
const MINSIGSTKSZ = 5120;

/** sigaltstack(2): recorded for later delivery; the guest never runs on it yet, so ss_flags is never SS_ONSTACK. */
function sysSigaltstack(task: Task, a: SyscallArgs): number {
  const ssPtr = a.ptr(0);
  const oldPtr = a.ptr(1);
  const cur = task.altStack;
  let next = cur;
  if (ssPtr !== 0) {
    const r = new StructReader(task.mem.read(ssPtr, SIZEOF_STACK_T));
    const flags = r.i32(8);
    const mode = flags & ~SS_AUTODISARM;
    if (mode !== 0 && mode !== SS_DISABLE && mode !== SS_ONSTACK) return -Errno.EINVAL;
    if (mode === SS_DISABLE) next = { sp: 0n, flags: SS_DISABLE, size: 0n };
    else {
      const size = r.u64(16);
      if (size < BigInt(MINSIGSTKSZ)) return -Errno.ENOMEM;
      next = { sp: r.u64(0), flags: flags & SS_AUTODISARM, size };
    }
  }
  if (oldPtr !== 0) {
    const w = new StructWriter(SIZEOF_STACK_T).u64(0, cur.sp).i32(8, cur.flags).u64(16, cur.size);
    task.mem.write(oldPtr, w.bytes);
  }
  task.altStack = next;
  return 0;
}

/**
 * A signal from outside the guest (the host terminal's SIGWINCH) marked
 * pending for the task as kernel/signal.c's send_signal does: discarded when
 * ignored, the default action applied when it terminates. Returns true when
 * the signal is pending and not blocked, so a syscall waiting for input
 * should end early (EINTR) and let it be delivered.
 */
export function postSignal(task: Task, sig: number): boolean {
  raiseSignal(task, sig);
  const bit = 1n << BigInt(sig - 1);
  return task.exit !== null || (task.sigpending & ~task.sigmask & bit) !== 0n;
}

export const signalSyscalls: Readonly<Record<string, SyscallImpl>> = {
  rt_sigaction: {
    handler: sysRtSigaction,
    support: 'partial',
    args: ['int', 'ptr', 'ptr', 'size'],
    note: 'recorded; handlers are not invoked yet',
  },
  rt_sigprocmask: { handler: sysRtSigprocmask, support: 'full', args: ['int', 'ptr', 'ptr', 'size'] },
  rt_sigpending: { handler: sysRtSigpending, support: 'full', args: ['ptr', 'size'] },
  sigaltstack: { handler: sysSigaltstack, support: 'partial', args: ['ptr', 'ptr'], note: 'recorded only' },
};
