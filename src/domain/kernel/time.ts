/**
 * Time family (kernel/time/posix-timers.c, posix-cpu-timers.c, hrtimer.c,
 * itimer.c, time.c): clocks (clock_gettime, clock_getres, gettimeofday,
 * times), sleeps (nanosleep, clock_nanosleep) and timers (setitimer,
 * getitimer, timer_create and friends).
 *
 * Nothing here blocks the JavaScript thread: a sleep is a promise that a
 * signal can cut short (EINTR with the time left, or a transparent restart
 * through restart_syscall), and a timer is a host sleep whose expiry posts
 * a signal to the task (signal-deliver.ts), which stops the running vCPU
 * slice so the handler runs promptly. CPU-time clocks measure the elfuse
 * process, which runs the guest's only thread; their timers poll.
 */

import { Errno } from './errno.js';
import {
  CLOCK_BOOTTIME,
  CLOCK_MONOTONIC,
  CLOCK_MONOTONIC_COARSE,
  CLOCK_MONOTONIC_RAW,
  CLOCK_PROCESS_CPUTIME_ID,
  CLOCK_REALTIME,
  CLOCK_REALTIME_COARSE,
  CLOCK_TAI,
  CLOCK_THREAD_CPUTIME_ID,
  CLOCK_REALTIME_ALARM,
  CLOCK_BOOTTIME_ALARM,
  ITIMER_REAL,
  SIGALRM,
  SIGEV_NONE,
  SIGEV_SIGNAL,
  SIGEV_THREAD,
  SIGEV_THREAD_ID,
  SIGPROF,
  SIGVTALRM,
  SI_KERNEL,
  SI_TIMER,
  SIZEOF_ITIMERSPEC,
  SIZEOF_ITIMERVAL,
  SIZEOF_SIGEVENT,
  SIZEOF_TIMESPEC,
  SIZEOF_TMS,
  SigeventOffset,
  StructReader,
  StructWriter,
  USER_HZ,
  _NSIG,
  TIMER_ABSTIME,
  decodeTimespec,
  encodeTimespec,
  encodeTimeval,
} from './linux-abi.js';
import { ERESTARTNOHAND, ERESTART_RESTARTBLOCK, postProcessSignal, postSignal, releaseSigqueue, reserveSigqueue, waitInterruptible } from './signal-deliver.js';
import { SyscallError, type SyscallArgs, type SyscallImpl } from './syscall-args.js';
import type { SigInfo, Task } from './task.js';

/** Resolution of the *_COARSE clocks: one tick at CONFIG_HZ=250, the arm64 distribution default. */
const COARSE_RES_NS = 4_000_000n;

export type ClockSource = 'realtime' | 'monotonic' | 'cpu';

const CLOCKS: ReadonlyMap<number, { source: ClockSource; coarse: boolean; sleepable: boolean }> = new Map([
  [CLOCK_REALTIME, { source: 'realtime', coarse: false, sleepable: true }],
  [CLOCK_REALTIME_COARSE, { source: 'realtime', coarse: true, sleepable: false }],
  // TAI = REALTIME + the kernel's TAI offset, which is 0 until an NTP daemon sets it.
  [CLOCK_TAI, { source: 'realtime', coarse: false, sleepable: true }],
  [CLOCK_MONOTONIC, { source: 'monotonic', coarse: false, sleepable: true }],
  [CLOCK_MONOTONIC_RAW, { source: 'monotonic', coarse: false, sleepable: false }],
  [CLOCK_MONOTONIC_COARSE, { source: 'monotonic', coarse: true, sleepable: false }],
  // The host never suspends under a running guest as far as it can tell, so BOOTTIME = MONOTONIC.
  [CLOCK_BOOTTIME, { source: 'monotonic', coarse: false, sleepable: true }],
  [CLOCK_PROCESS_CPUTIME_ID, { source: 'cpu', coarse: false, sleepable: false }],
  [CLOCK_THREAD_CPUTIME_ID, { source: 'cpu', coarse: false, sleepable: false }],
]);
// CLOCK_REALTIME_ALARM and CLOCK_BOOTTIME_ALARM need an RTC that can wake the machine; elfuse
// has none, so they answer as Linux does without one: EINVAL to read, EOPNOTSUPP to sleep or arm.

/**
 * A clock id: one of the fixed ones, or a CPU clock of this process or
 * thread as clock_getcpuclockid encodes it (~pid << 3 | perthread << 2 |
 * type; type 2 is CPUCLOCK_SCHED, the others are PROF and VIRT).
 */
function clockOf(task: Task, id: number) {
  const clock = CLOCKS.get(id);
  if (clock) return clock;
  if (id < 0 && (id & 7) !== 7 && (id & 3) !== 3) {
    const pid = ~(id >> 3);
    const self = (id & 4) !== 0 ? task.tid : task.pid;
    if (pid === 0 || pid === self) return { source: 'cpu' as const, coarse: false, sleepable: (id & 4) === 0 };
    throw new SyscallError(Errno.EINVAL);
  }
  throw new SyscallError(Errno.EINVAL);
}

export function now(task: Task, source: ClockSource): bigint {
  const c = task.host.clock;
  if (source === 'realtime') return c.realtimeNs();
  if (source === 'monotonic') return c.monotonicNs();
  return c.processCpuNs();
}

/** clock_gettime(2) */
function sysClockGettime(task: Task, a: SyscallArgs): number {
  const clock = clockOf(task, a.int(0));
  task.mem.write(a.ptr(1), encodeTimespec(now(task, clock.source)));
  return 0;
}

/** clock_getres(2): a NULL res only validates the clock id. */
function sysClockGetres(task: Task, a: SyscallArgs): number {
  const clock = clockOf(task, a.int(0));
  if (a.ptr(1) !== 0) task.mem.write(a.ptr(1), encodeTimespec(clock.coarse ? COARSE_RES_NS : 1n));
  return 0;
}

/** gettimeofday(2): struct timezone is always zero on Linux nowadays. */
function sysGettimeofday(task: Task, a: SyscallArgs): number {
  if (a.ptr(0) !== 0) task.mem.write(a.ptr(0), encodeTimeval(task.host.clock.realtimeNs()));
  if (a.ptr(1) !== 0) task.mem.write(a.ptr(1), new StructWriter(8).bytes);
  return 0;
}

/** A struct timespec request: EINVAL for tv_nsec out of range or a negative tv_sec. */
function readTimespec(task: Task, ptr: number): bigint {
  const ns = decodeTimespec(task.mem.read(ptr, SIZEOF_TIMESPEC));
  if (ns === null || ns < 0n) throw new SyscallError(Errno.EINVAL);
  return ns;
}

/**
 * Sleeps until `source` reaches `deadline`. A signal ends it early: a
 * relative sleep writes the time left to `remPtr` and can be resumed by
 * restart_syscall (ERESTART_RESTARTBLOCK: EINTR if a handler runs); an
 * absolute one simply runs again (ERESTARTNOHAND).
 */
async function sleepUntil(task: Task, source: ClockSource, deadline: bigint, relative: { remPtr: number } | null): Promise<number> {
  for (;;) {
    const left = deadline - now(task, source);
    if (left <= 0n) return 0;
    // CPU time advances no faster than wall time, so a CPU-clock sleep wakes to check again.
    const woke = await waitInterruptible(task, task.host.clock.sleep(left).then(() => true));
    if (woke !== null) continue;
    if (!relative) return -ERESTARTNOHAND;
    const rem = deadline - now(task, source);
    if (relative.remPtr !== 0) task.mem.write(relative.remPtr, encodeTimespec(rem > 0n ? rem : 0n));
    task.restartBlock = () => sleepUntil(task, source, deadline, relative);
    return -ERESTART_RESTARTBLOCK;
  }
}

/** nanosleep(2): CLOCK_MONOTONIC, relative. */
function sysNanosleep(task: Task, a: SyscallArgs): Promise<number> {
  const request = readTimespec(task, a.ptr(0));
  return sleepUntil(task, 'monotonic', now(task, 'monotonic') + request, { remPtr: a.ptr(1) });
}

/**
 * clock_nanosleep(2): TIMER_ABSTIME sleeps until the clock reaches the
 * request. The calling thread's own CPU clock cannot be slept on (it would
 * never advance); the coarse and raw clocks have no timers.
 */
function sysClockNanosleep(task: Task, a: SyscallArgs): Promise<number> | number {
  const id = a.int(0);
  if (id === CLOCK_THREAD_CPUTIME_ID) return -Errno.EINVAL;
  if (id === CLOCK_REALTIME_ALARM || id === CLOCK_BOOTTIME_ALARM) return -Errno.EOPNOTSUPP;
  const clock = clockOf(task, id);
  if (clock.source === 'cpu' && !clock.sleepable) return -Errno.EINVAL;
  if (!clock.sleepable && clock.source !== 'cpu') return -Errno.EOPNOTSUPP;
  const request = readTimespec(task, a.ptr(2));
  if (a.int(1) & TIMER_ABSTIME) return sleepUntil(task, clock.source, request, null);
  return sleepUntil(task, clock.source, now(task, clock.source) + request, { remPtr: a.ptr(3) });
}

/**
 * times(2): the process's CPU time in clock ticks (USER_HZ); the host
 * reports user and system time together, so all of it is user time.
 * Returns ticks since boot, like Linux's jiffies-based answer.
 */
function sysTimes(task: Task, a: SyscallArgs): bigint {
  const tick = 1_000_000_000n / BigInt(USER_HZ);
  if (a.ptr(0) !== 0) {
    const w = new StructWriter(SIZEOF_TMS).i64(0, task.host.clock.processCpuNs() / tick);
    task.mem.write(a.ptr(0), w.bytes);
  }
  return task.host.clock.monotonicNs() / tick;
}

// ---- timers ----

/**
 * One kernel timer on a clock: armed with an absolute deadline and an
 * optional period, it calls `expire(missed)` when the clock passes the
 * deadline, with the number of whole periods that went by unnoticed.
 * A host sleep drives it; a generation number makes a re-armed or
 * disarmed timer ignore the sleeps it had started.
 */
class KTimer {
  deadline: bigint | null = null;
  interval = 0n;
  private generation = 0;

  constructor(
    private readonly task: Task,
    readonly source: ClockSource,
    private readonly expire: (missed: number) => void,
  ) {}

  arm(deadline: bigint | null, interval: bigint): void {
    this.generation++;
    this.deadline = deadline;
    this.interval = deadline === null ? 0n : interval;
    this.schedule();
  }

  /** Time left until the next expiry (0 when disarmed). */
  remaining(): bigint {
    if (this.deadline === null) return 0n;
    const left = this.deadline - now(this.task, this.source);
    return left > 0n ? left : 0n;
  }

  private schedule(): void {
    if (this.deadline === null || this.task.exit) return;
    const gen = this.generation;
    const left = this.deadline - now(this.task, this.source);
    void this.task.host.clock.sleep(left > 0n ? left : 0n).then(() => {
      if (gen === this.generation) this.check();
    });
  }

  private check(): void {
    if (this.deadline === null) return;
    const t = now(this.task, this.source);
    if (t < this.deadline) return this.schedule();
    let missed = 0;
    if (this.interval > 0n) {
      const late = (t - this.deadline) / this.interval;
      missed = Number(late > 0x7fffffffn ? 0x7fffffffn : late);
      this.deadline += (late + 1n) * this.interval;
    } else this.deadline = null;
    this.expire(missed);
    this.schedule();
  }
}

/** A POSIX timer (timer_create): its signal is preallocated, so expiries while it is queued count as overruns. */
interface PosixTimer {
  timer: KTimer;
  notify: number;
  signo: number;
  value: bigint;
  queued: SigInfo | null;
  overrun: number;
  overrunLast: number;
}

/** The interval and POSIX timers of a process (signal_struct's), made on first use. */
export interface TimerState {
  /** ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF */
  itimers: KTimer[];
  posix: Map<number, PosixTimer>;
  nextId: number;
}

const ITIMER_SIGNALS = [SIGALRM, SIGVTALRM, SIGPROF];

function timersOf(task: Task): TimerState {
  let state = task.tg.timers;
  if (!state) {
    const itimers = ITIMER_SIGNALS.map(
      (sig, which) =>
        // itimers send SEND_SIG_PRIV: si_code SI_KERNEL, no sender.
        new KTimer(task, which === ITIMER_REAL ? 'monotonic' : 'cpu', () => postProcessSignal(task, sig, { signo: sig, code: SI_KERNEL })),
    );
    state = { itimers, posix: new Map(), nextId: 0 };
    task.tg.timers = state;
  }
  return state;
}

/** struct itimerval { struct timeval it_interval, it_value; } as nanoseconds; EINVAL for a bad tv_usec. */
function readItimerval(task: Task, ptr: number): { interval: bigint; value: bigint } {
  const r = new StructReader(task.mem.read(ptr, SIZEOF_ITIMERVAL));
  const tv = (off: number): bigint => {
    const sec = r.i64(off);
    const usec = r.i64(off + 8);
    if (sec < 0n || usec < 0n || usec >= 1_000_000n) throw new SyscallError(Errno.EINVAL);
    return sec * 1_000_000_000n + usec * 1000n;
  };
  return { interval: tv(0), value: tv(16) };
}

function encodeItimerval(t: KTimer): Uint8Array {
  let value = t.remaining();
  // An armed timer whose expiry is being handled still reports a little time left (get_itimer).
  if (t.deadline !== null && value === 0n) value = 1000n;
  const out = new Uint8Array(SIZEOF_ITIMERVAL);
  out.set(encodeTimeval(t.interval), 0);
  out.set(encodeTimeval(value), 16);
  return out;
}

function itimerOf(task: Task, which: number): KTimer {
  const t = timersOf(task).itimers[which];
  if (!t) throw new SyscallError(Errno.EINVAL);
  return t;
}

/** getitimer(2) */
function sysGetitimer(task: Task, a: SyscallArgs): number {
  const t = itimerOf(task, a.int(0));
  task.mem.write(a.ptr(1), encodeItimerval(t));
  return 0;
}

/** setitimer(2): a zero value disarms; the old setting is returned first. alarm(3) is this on arm64. */
function sysSetitimer(task: Task, a: SyscallArgs): number {
  const t = itimerOf(task, a.int(0));
  const next = a.ptr(1) === 0 ? { interval: 0n, value: 0n } : readItimerval(task, a.ptr(1));
  if (a.ptr(2) !== 0) task.mem.write(a.ptr(2), encodeItimerval(t));
  t.arm(next.value === 0n ? null : now(task, t.source) + next.value, next.interval);
  return 0;
}

/** Clocks a POSIX timer can run on (the others have no timer_create in their k_clock). */
function timerClock(task: Task, id: number): ClockSource {
  if (id === CLOCK_REALTIME_ALARM || id === CLOCK_BOOTTIME_ALARM) throw new SyscallError(Errno.EOPNOTSUPP);
  const clock = clockOf(task, id);
  if (clock.coarse || id === CLOCK_MONOTONIC_RAW) throw new SyscallError(Errno.EOPNOTSUPP);
  return clock.source;
}

/** timer_create(2) */
function sysTimerCreate(task: Task, a: SyscallArgs): number {
  const source = timerClock(task, a.int(0));
  const state = timersOf(task);
  const id = state.nextId;
  let notify = SIGEV_SIGNAL;
  let signo = SIGALRM;
  let value = BigInt(id);
  if (a.ptr(1) !== 0) {
    const r = new StructReader(task.mem.read(a.ptr(1), SIZEOF_SIGEVENT));
    const O = SigeventOffset;
    notify = r.i32(O.sigev_notify);
    signo = r.i32(O.sigev_signo);
    value = r.u64(O.sigev_value);
    // good_sigevent(): a thread id must name a thread of this process; a signal must be valid.
    if (notify === SIGEV_THREAD_ID || notify === (SIGEV_THREAD_ID | SIGEV_SIGNAL)) {
      if (r.i32(O.sigev_notify_thread_id) !== task.tid) return -Errno.EINVAL;
    } else if (notify !== SIGEV_SIGNAL && notify !== SIGEV_THREAD && notify !== SIGEV_NONE) return -Errno.EINVAL;
    if (notify !== SIGEV_NONE && (signo <= 0 || signo > _NSIG)) return -Errno.EINVAL;
  }
  // The timer's siginfo is allocated now, against RLIMIT_SIGPENDING: at the limit there is no timer.
  if (!reserveSigqueue(task)) return -Errno.EAGAIN;
  const pt: PosixTimer = { timer: new KTimer(task, source, (missed) => fire(task, id, pt, missed)), notify, signo, value, queued: null, overrun: 0, overrunLast: 0 };
  try {
    task.mem.write(a.ptr(2), new StructWriter(4).i32(0, id).bytes);
  } catch (err) {
    releaseSigqueue(task);
    throw err;
  }
  state.posix.set(id, pt);
  state.nextId = (id + 1) & 0x7fffffff;
  return 0;
}

function fire(task: Task, id: number, pt: PosixTimer, missed: number): void {
  if (pt.notify === SIGEV_NONE) return;
  pt.overrun = Math.min(0x7fffffff, pt.overrun + missed + (pt.queued ? 1 : 0));
  if (pt.queued) return;
  const info: SigInfo = {
    signo: pt.signo,
    code: SI_TIMER,
    timerId: id,
    value: pt.value,
    overrun: 0,
    preallocated: true,
    onDequeue: (taken) => {
      // The overrun count goes out with the signal and starts again (posixtimer_deliver_signal).
      taken.overrun = pt.overrun;
      pt.overrunLast = pt.overrun;
      pt.overrun = 0;
      pt.queued = null;
    },
  };
  pt.queued = info;
  postSignal(task, pt.signo, info);
  if (!(task.sigqueue.get(pt.signo) ?? []).includes(info)) pt.queued = null; // ignored, or coalesced
}

function posixTimer(task: Task, id: number): PosixTimer {
  const pt = timersOf(task).posix.get(id);
  if (!pt) throw new SyscallError(Errno.EINVAL);
  return pt;
}

function encodeItimerspec(t: KTimer): Uint8Array {
  const out = new Uint8Array(SIZEOF_ITIMERSPEC);
  out.set(encodeTimespec(t.interval), 0);
  out.set(encodeTimespec(t.remaining()), 16);
  return out;
}

/** timer_settime(2): TIMER_ABSTIME takes it_value as a time on the timer's clock. */
function sysTimerSettime(task: Task, a: SyscallArgs): number {
  const pt = posixTimer(task, a.int(0));
  if (a.ptr(2) === 0) return -Errno.EINVAL;
  const interval = readTimespec(task, a.ptr(2));
  const value = readTimespec(task, a.ptr(2) + 16);
  if (a.ptr(3) !== 0) task.mem.write(a.ptr(3), encodeItimerspec(pt.timer));
  const abs = (a.int(1) & TIMER_ABSTIME) !== 0;
  pt.timer.arm(value === 0n ? null : abs ? value : now(task, pt.timer.source) + value, interval);
  return 0;
}

/** timer_gettime(2) */
function sysTimerGettime(task: Task, a: SyscallArgs): number {
  task.mem.write(a.ptr(1), encodeItimerspec(posixTimer(task, a.int(0)).timer));
  return 0;
}

/** timer_delete(2): a signal of the timer still queued goes with it. */
function sysTimerDelete(task: Task, a: SyscallArgs): number {
  const id = a.int(0);
  const pt = posixTimer(task, id);
  pt.timer.arm(null, 0n);
  if (pt.queued) {
    const queue = task.sigqueue.get(pt.signo) ?? [];
    const at = queue.indexOf(pt.queued);
    if (at >= 0) queue.splice(at, 1);
    if (queue.length === 0 && at >= 0) {
      task.sigqueue.delete(pt.signo);
      task.sigpending &= ~(1n << BigInt(pt.signo - 1));
    }
  }
  timersOf(task).posix.delete(id);
  releaseSigqueue(task);
  return 0;
}

/**
 * execve keeps the interval timers and drops the POSIX ones (timer_create(2):
 * "not preserved across execve"), with any of their signals still queued.
 */
export function dropPosixTimers(task: Task): void {
  const state = task.tg.timers;
  if (!state) return;
  for (const [id, pt] of [...state.posix]) {
    pt.timer.arm(null, 0n);
    if (pt.queued) {
      const queue = task.sigqueue.get(pt.signo) ?? [];
      const at = queue.indexOf(pt.queued);
      if (at >= 0) queue.splice(at, 1);
      if (queue.length === 0 && at >= 0) {
        task.sigqueue.delete(pt.signo);
        task.sigpending &= ~(1n << BigInt(pt.signo - 1));
      }
    }
    state.posix.delete(id);
    releaseSigqueue(task);
  }
}

export const timeSyscalls: Readonly<Record<string, SyscallImpl>> = {
  clock_gettime: { handler: sysClockGettime, support: 'full', args: ['int', 'ptr'] },
  clock_getres: { handler: sysClockGetres, support: 'full', args: ['int', 'ptr'] },
  gettimeofday: { handler: sysGettimeofday, support: 'full', args: ['ptr', 'ptr'] },
  times: { handler: sysTimes, support: 'partial', args: ['ptr'], note: 'system time is counted as user time' },
  nanosleep: { handler: sysNanosleep, support: 'full', args: ['ptr', 'ptr'] },
  clock_nanosleep: { handler: sysClockNanosleep, support: 'full', args: ['int', 'hex', 'ptr', 'ptr'] },
  getitimer: { handler: sysGetitimer, support: 'full', args: ['int', 'ptr'] },
  setitimer: {
    handler: sysSetitimer,
    support: 'partial',
    args: ['int', 'ptr', 'ptr'],
    note: 'ITIMER_VIRTUAL counts user and system time, like ITIMER_PROF',
  },
  timer_create: { handler: sysTimerCreate, support: 'full', args: ['int', 'ptr', 'ptr'] },
  timer_settime: { handler: sysTimerSettime, support: 'full', args: ['int', 'hex', 'ptr', 'ptr'] },
  timer_gettime: { handler: sysTimerGettime, support: 'full', args: ['int', 'ptr'] },
  timer_getoverrun: {
    handler: (t, a) => posixTimer(t, a.int(0)).overrunLast,
    support: 'full',
    args: ['int'],
  },
  timer_delete: { handler: sysTimerDelete, support: 'full', args: ['int'] },
};
