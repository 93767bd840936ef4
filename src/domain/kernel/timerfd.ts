/**
 * timerfd (fs/timerfd.c): timerfd_create, timerfd_settime, timerfd_gettime.
 * A timer is a deadline on its clock (CLOCK_BOOTTIME is the monotonic
 * clock here: the host's suspend is not the guest's to see) and an
 * interval; expirations are counted when the timer is looked at, so a read
 * returns every period that passed, and a host sleep to the next deadline
 * wakes the queue (waitq.ts) that readers, poll and epoll wait on. A
 * generation number makes a re-armed timer's old sleep do nothing.
 * TFD_TIMER_CANCEL_ON_SET is accepted: the guest cannot set the clock, so
 * it never cancels.
 */

import { Errno } from './errno.js';
import type { OpenFile } from './fd-table.js';
import { fileOf } from './fs-util.js';
import {
  CLOCK_BOOTTIME,
  CLOCK_BOOTTIME_ALARM,
  CLOCK_MONOTONIC,
  CLOCK_REALTIME,
  CLOCK_REALTIME_ALARM,
  O_CLOEXEC,
  O_NONBLOCK,
  POLLIN,
  POLLRDNORM,
  SIZEOF_ITIMERSPEC,
  SIZEOF_TIMESPEC,
  StructWriter,
  TFD_TIMER_ABSTIME,
  TFD_TIMER_CANCEL_ON_SET,
  decodeTimespec,
  encodeTimespec,
} from './linux-abi.js';
import { SyscallError, type SyscallArgs, type SyscallImpl } from './syscall-args.js';
import type { Task } from './task.js';
import { now, type ClockSource } from './time.js';
import { WaitQueue, blockingCall, installEvent, type EventObject } from './waitq.js';

const CLOCKS: ReadonlyMap<number, ClockSource> = new Map([
  [CLOCK_REALTIME, 'realtime'],
  [CLOCK_MONOTONIC, 'monotonic'],
  [CLOCK_BOOTTIME, 'monotonic'],
]);

export class TimerFd implements EventObject {
  readonly name = 'timerfd';
  readonly queue = new WaitQueue();
  /** The next expiry on the timer's clock (ns), or null when disarmed. */
  next: bigint | null = null;
  interval = 0n;
  /** Expirations not read yet. */
  ticks = 0n;
  private generation = 0;

  constructor(
    private readonly task: Task,
    readonly clockid: number,
    readonly source: ClockSource,
  ) {}

  /** A fork child's copy (event-fork.ts): the same deadline on the same clock, the same unread expirations. */
  static restore(task: Task, clockid: number, next: bigint | null, interval: bigint, ticks: bigint): TimerFd | null {
    const source = CLOCKS.get(clockid);
    if (source === undefined) return null;
    const t = new TimerFd(task, clockid, source);
    t.interval = interval;
    t.ticks = ticks;
    t.next = next;
    t.schedule();
    return t;
  }

  /** Counts the expirations that passed (timerfd_tmrproc, and hrtimer_forward for periodic ones). */
  update(): void {
    if (this.next === null) return;
    const t = now(this.task, this.source);
    if (t < this.next) return;
    if (this.interval > 0n) {
      const n = (t - this.next) / this.interval + 1n;
      this.ticks += n;
      this.next += n * this.interval;
    } else {
      this.ticks += 1n;
      this.next = null;
    }
  }

  /** Starts the host sleep that wakes waiters at the next expiry. */
  private schedule(): void {
    const gen = ++this.generation;
    if (this.next === null) return;
    const left = this.next - now(this.task, this.source);
    void this.task.host.clock.sleep(left > 0n ? left : 0n).then(() => {
      if (gen !== this.generation) return;
      const before = this.ticks;
      this.update();
      if (this.ticks !== before) this.queue.wake(POLLIN);
      this.schedule();
    });
  }

  /** Arms (value > 0) or disarms the timer; `value` is absolute with `abs`. Unread expirations are dropped. */
  set(value: bigint, interval: bigint, abs: boolean): void {
    this.ticks = 0n;
    this.interval = interval;
    this.next = value === 0n ? null : abs ? value : now(this.task, this.source) + value;
    this.schedule();
    // An absolute time already past expires at once.
    this.update();
    if (this.ticks > 0n) this.queue.wake(POLLIN);
  }

  /** { it_interval, it_value } with the value relative to now (0 when disarmed). */
  current(): Uint8Array {
    this.update();
    const left = this.next === null ? 0n : this.next - now(this.task, this.source);
    const w = new StructWriter(SIZEOF_ITIMERSPEC);
    w.bytes.set(encodeTimespec(this.interval), 0);
    w.bytes.set(encodeTimespec(left > 0n ? left : this.next === null ? 0n : 1n), SIZEOF_TIMESPEC);
    return w.bytes;
  }

  poll(): number {
    this.update();
    return this.ticks > 0n ? POLLIN | POLLRDNORM : 0;
  }

  read(task: Task, file: OpenFile, count: number): Uint8Array | Promise<Uint8Array> {
    if (count < 8) throw new SyscallError(Errno.EINVAL);
    return blockingCall(task, file, () => {
      this.update();
      if (this.ticks === 0n) return null;
      const bytes = new StructWriter(8).u64(0, this.ticks).bytes;
      this.ticks = 0n;
      return bytes;
    });
  }

  release(): void {
    this.generation++;
    this.next = null;
  }
}

/** timerfd_create(2) */
function sysTimerfdCreate(task: Task, a: SyscallArgs): number {
  const clockid = a.int(0);
  const flags = a.int(1);
  if (flags & ~(O_CLOEXEC | O_NONBLOCK)) return -Errno.EINVAL;
  // The alarm clocks need an RTC that wakes the machine (and CAP_WAKE_ALARM): elfuse has none.
  if (clockid === CLOCK_REALTIME_ALARM || clockid === CLOCK_BOOTTIME_ALARM) return -Errno.EPERM;
  const source = CLOCKS.get(clockid);
  if (source === undefined) return -Errno.EINVAL;
  return installEvent(task, new TimerFd(task, clockid, source), flags);
}

function timerOf(task: Task, fd: number): TimerFd {
  const ev = fileOf(task, fd).event;
  if (!(ev instanceof TimerFd)) throw new SyscallError(Errno.EINVAL);
  return ev;
}

/** timerfd_settime(2) */
function sysTimerfdSettime(task: Task, a: SyscallArgs): number {
  const flags = a.int(1);
  const raw = task.mem.read(a.ptr(2), SIZEOF_ITIMERSPEC);
  const interval = decodeTimespec(raw.subarray(0, SIZEOF_TIMESPEC));
  const value = decodeTimespec(raw.subarray(SIZEOF_TIMESPEC));
  if (flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET)) return -Errno.EINVAL;
  if (interval === null || value === null || interval < 0n || value < 0n) return -Errno.EINVAL;
  const timer = timerOf(task, a.int(0));
  const old = timer.current();
  timer.set(value, interval, (flags & TFD_TIMER_ABSTIME) !== 0);
  if (a.ptr(3) !== 0) task.mem.write(a.ptr(3), old);
  return 0;
}

/** timerfd_gettime(2) */
function sysTimerfdGettime(task: Task, a: SyscallArgs): number {
  const timer = timerOf(task, a.int(0));
  task.mem.write(a.ptr(1), timer.current());
  return 0;
}

export const timerfdSyscalls: Readonly<Record<string, SyscallImpl>> = {
  timerfd_create: {
    handler: sysTimerfdCreate,
    support: 'partial',
    args: ['int', 'hex'],
    note: 'CLOCK_BOOTTIME is CLOCK_MONOTONIC; the alarm clocks are EPERM; TFD_TIMER_CANCEL_ON_SET never cancels',
  },
  timerfd_settime: { handler: sysTimerfdSettime, support: 'full', args: ['fd', 'hex', 'ptr', 'ptr'] },
  timerfd_gettime: { handler: sysTimerfdGettime, support: 'full', args: ['fd', 'ptr'] },
};
