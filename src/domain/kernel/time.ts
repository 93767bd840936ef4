/**
 * Time family (kernel/time/posix-timers.c, posix-stubs, hrtimer.c,
 * time.c): clock_gettime, clock_getres, gettimeofday, nanosleep and
 * clock_nanosleep. Sleeps return a promise that resolves after the delay,
 * so the JavaScript thread never blocks.
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
  SIZEOF_TIMESPEC,
  StructWriter,
  TIMER_ABSTIME,
  decodeTimespec,
  encodeTimespec,
  encodeTimeval,
} from './linux-abi.js';
import { SyscallError, type SyscallArgs, type SyscallImpl } from './syscall-args.js';
import type { Task } from './task.js';

/** Resolution of the *_COARSE clocks: one tick at CONFIG_HZ=250, the arm64 distribution default. */
const COARSE_RES_NS = 4_000_000n;

type ClockSource = 'realtime' | 'monotonic' | 'cpu';

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

function clockOf(id: number) {
  const clock = CLOCKS.get(id);
  if (!clock) throw new SyscallError(Errno.EINVAL);
  return clock;
}

function now(task: Task, source: ClockSource): bigint {
  const c = task.host.clock;
  if (source === 'realtime') return c.realtimeNs();
  if (source === 'monotonic') return c.monotonicNs();
  return c.processCpuNs();
}

/** clock_gettime(2) */
function sysClockGettime(task: Task, a: SyscallArgs): number {
  const clock = clockOf(a.int(0));
  task.mem.write(a.ptr(1), encodeTimespec(now(task, clock.source)));
  return 0;
}

/** clock_getres(2): a NULL res only validates the clock id. */
function sysClockGetres(task: Task, a: SyscallArgs): number {
  const clock = clockOf(a.int(0));
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
function readRequest(task: Task, ptr: number): bigint {
  const ns = decodeTimespec(task.mem.read(ptr, SIZEOF_TIMESPEC));
  if (ns === null || ns < 0n) throw new SyscallError(Errno.EINVAL);
  return ns;
}

async function sleepFor(task: Task, ns: bigint): Promise<number> {
  if (ns > 0n) await task.host.clock.sleep(ns);
  return 0;
}

/** nanosleep(2): never interrupted yet (no signal delivery), so rem is not written. */
function sysNanosleep(task: Task, a: SyscallArgs): Promise<number> {
  return sleepFor(task, readRequest(task, a.ptr(0)));
}

/** clock_nanosleep(2): TIMER_ABSTIME sleeps until the clock reaches the request. */
function sysClockNanosleep(task: Task, a: SyscallArgs): Promise<number> | number {
  const id = a.int(0);
  if (id === CLOCK_THREAD_CPUTIME_ID) return -Errno.EINVAL;
  const clock = clockOf(id);
  if (!clock.sleepable) return -Errno.EOPNOTSUPP;
  const request = readRequest(task, a.ptr(2));
  const delay = a.int(1) & TIMER_ABSTIME ? request - now(task, clock.source) : request;
  return sleepFor(task, delay);
}

export const timeSyscalls: Readonly<Record<string, SyscallImpl>> = {
  clock_gettime: { handler: sysClockGettime, support: 'full', args: ['int', 'ptr'] },
  clock_getres: { handler: sysClockGetres, support: 'full', args: ['int', 'ptr'] },
  gettimeofday: { handler: sysGettimeofday, support: 'full', args: ['ptr', 'ptr'] },
  nanosleep: { handler: sysNanosleep, support: 'full', args: ['ptr', 'ptr'] },
  clock_nanosleep: {
    handler: sysClockNanosleep,
    support: 'partial',
    args: ['int', 'hex', 'ptr', 'ptr'],
    note: 'CPU-time clocks cannot be slept on',
  },
};
