/**
 * signalfd4(2) (fs/signalfd.c): a file from which the caller's pending
 * signals in a mask are read as struct signalfd_siginfo, taking them off
 * the queue as delivery would. Readable while such a signal is pending;
 * every posted signal wakes the task's signal queue (Task.signalQueue),
 * which readers, poll and epoll wait on. SIGKILL and SIGSTOP are never in
 * the mask.
 */

import { Errno } from './errno.js';
import type { OpenFile } from './fd-table.js';
import { fileOf } from './fs-util.js';
import { O_CLOEXEC, O_NONBLOCK, POLLIN, POLLRDNORM, SIZEOF_SIGNALFD_SIGINFO, SIZEOF_SIGSET, StructReader, StructWriter } from './linux-abi.js';
import { UNBLOCKABLE, claimSharedSignals, dequeueSignal, nextSignal, sharedPendingSet } from './signal-deliver.js';
import { SyscallError, type SyscallArgs, type SyscallImpl } from './syscall-args.js';
import type { SigInfo, Task } from './task.js';
import { blockingCall, installEvent, type EventObject, type WaitQueue } from './waitq.js';

export class SignalFd implements EventObject {
  readonly name = 'signalfd';

  constructor(
    private readonly task: Task,
    public mask: bigint,
  ) {}

  get queue(): WaitQueue {
    return this.task.signalQueue;
  }

  poll(task: Task): number {
    return (task.sigpending | sharedPendingSet(task)) & this.mask ? POLLIN | POLLRDNORM : 0;
  }

  read(task: Task, file: OpenFile, count: number): Uint8Array | Promise<Uint8Array> {
    const room = Math.floor(count / SIZEOF_SIGNALFD_SIGINFO);
    if (room === 0) throw new SyscallError(Errno.EINVAL);
    const take = (): Uint8Array | null => {
      // The process's pending signals too, whichever thread holds them.
      if (sharedPendingSet(task) & this.mask & ~task.sigpending) claimSharedSignals(task, this.mask);
      const out: Uint8Array[] = [];
      while (out.length < room) {
        const sig = nextSignal(task.sigpending & this.mask);
        if (sig === 0) break;
        out.push(encodeSignalfdSiginfo(dequeueSignal(task, sig)));
      }
      if (out.length === 0) return null;
      const bytes = new Uint8Array(out.length * SIZEOF_SIGNALFD_SIGINFO);
      out.forEach((b, i) => bytes.set(b, i * SIZEOF_SIGNALFD_SIGINFO));
      return bytes;
    };
    return blockingCall(task, file, take);
  }
}

/** struct signalfd_siginfo from the queued siginfo (signalfd_copyinfo). */
function encodeSignalfdSiginfo(info: SigInfo): Uint8Array {
  const w = new StructWriter(SIZEOF_SIGNALFD_SIGINFO);
  w.u32(0, info.signo).i32(4, info.errno ?? 0).i32(8, info.code);
  w.u32(12, info.pid ?? 0).u32(16, info.uid ?? 0).i32(20, info.fd ?? 0);
  w.u32(28, Number(BigInt.asUintN(32, info.band ?? 0n)));
  w.u32(24, info.timerId ?? 0).u32(32, info.overrun ?? 0);
  w.i32(40, info.status ?? 0);
  const value = info.value ?? 0n;
  w.i32(44, Number(BigInt.asIntN(32, value))).u64(48, value);
  w.u64(56, info.utime ?? 0n).u64(64, info.stime ?? 0n);
  w.u64(72, info.addr ?? 0n);
  return w.bytes;
}

/** signalfd4(2): a new signalfd for fd -1, or a new mask for an existing one. */
function sysSignalfd4(task: Task, a: SyscallArgs): number {
  const fd = a.int(0);
  const flags = a.int(3);
  if (flags & ~(O_CLOEXEC | O_NONBLOCK)) return -Errno.EINVAL;
  if (a.u64(2) !== BigInt(SIZEOF_SIGSET)) return -Errno.EINVAL;
  const mask = new StructReader(task.mem.read(a.ptr(1), SIZEOF_SIGSET)).u64(0) & ~UNBLOCKABLE;
  if (fd === -1) return installEvent(task, new SignalFd(task, mask), flags);
  const ev = fileOf(task, fd).event;
  if (!(ev instanceof SignalFd)) return -Errno.EINVAL;
  ev.mask = mask;
  task.signalQueue.wake();
  return fd;
}

export const signalfdSyscalls: Readonly<Record<string, SyscallImpl>> = {
  signalfd4: { handler: sysSignalfd4, support: 'full', args: ['fd', 'ptr', 'size', 'hex'] },
};
