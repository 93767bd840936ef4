/**
 * eventfd2(2) (fs/eventfd.c): a 64-bit counter as a file. A write adds to
 * it (waiting while the sum would pass 0xfffffffffffffffe), a read takes
 * it all, or 1 with EFD_SEMAPHORE (waiting while it is 0). Readable while
 * the counter is not 0, writable while it is below the maximum. Every
 * change wakes the object's queue (waitq.ts), which blocked readers and
 * writers, poll and epoll wait on.
 */

import { Errno } from './errno.js';
import type { OpenFile } from './fd-table.js';
import { EFD_SEMAPHORE, O_CLOEXEC, O_NONBLOCK, POLLERR, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM, StructReader, StructWriter } from './linux-abi.js';
import { SyscallError, type SyscallArgs, type SyscallImpl } from './syscall-args.js';
import type { Task } from './task.js';
import { WaitQueue, blockingCall, installEvent, type EventObject } from './waitq.js';

const ULLONG_MAX = 0xffffffffffffffffn;

export class EventFd implements EventObject {
  readonly name = 'eventfd';
  readonly queue = new WaitQueue();

  constructor(
    public count: bigint,
    readonly semaphore: boolean,
  ) {}

  poll(): number {
    let mask = 0;
    if (this.count > 0n) mask |= POLLIN | POLLRDNORM;
    if (this.count === ULLONG_MAX) mask |= POLLERR;
    if (ULLONG_MAX - 1n > this.count) mask |= POLLOUT | POLLWRNORM;
    return mask;
  }

  read(task: Task, file: OpenFile, count: number): Uint8Array | Promise<Uint8Array> {
    if (count < 8) throw new SyscallError(Errno.EINVAL);
    return blockingCall(task, file, () => {
      if (this.count === 0n) return null;
      const taken = this.semaphore ? 1n : this.count;
      this.count -= taken;
      this.queue.wake(POLLOUT);
      return new StructWriter(8).u64(0, taken).bytes;
    });
  }

  write(task: Task, file: OpenFile, data: Uint8Array): number | Promise<number> {
    if (data.length < 8) throw new SyscallError(Errno.EINVAL);
    const add = new StructReader(data).u64(0);
    if (add === ULLONG_MAX) throw new SyscallError(Errno.EINVAL);
    return blockingCall(task, file, () => {
      if (ULLONG_MAX - this.count <= add) return null;
      this.count += add;
      if (add > 0n) this.queue.wake(POLLIN);
      return 8;
    });
  }
}

/** eventfd2(2): the initial value is an unsigned int. */
function sysEventfd2(task: Task, a: SyscallArgs): number {
  const flags = a.int(1);
  if (flags & ~(EFD_SEMAPHORE | O_CLOEXEC | O_NONBLOCK)) return -Errno.EINVAL;
  return installEvent(task, new EventFd(BigInt(a.uint(0)), (flags & EFD_SEMAPHORE) !== 0), flags);
}

export const eventfdSyscalls: Readonly<Record<string, SyscallImpl>> = {
  eventfd2: { handler: sysEventfd2, support: 'full', args: ['int', 'hex'] },
};
