/**
 * The one wait mechanism (include/linux/wait.h, fs/select.c): every object
 * elfuse makes up that a guest can wait on (eventfd, timerfd, signalfd,
 * epoll) has a WaitQueue its changes wake; host fds (pipes, sockets,
 * terminals) become ready in the host kernel, which a host poll on a libuv
 * thread watches. `waitFor` waits for both kinds at once, for a deadline
 * and for a signal, and is what poll/ppoll/pselect6, epoll_pwait and every
 * blocking read and write of these objects and of host streams use: it
 * re-runs the caller's check after each wake, so a wake is only a hint, as
 * in the kernel. Nothing here blocks the JavaScript thread.
 */

import { HostError, HostPoll, type HostPollRequest } from '../../ports/host.js';
import { Errno, ERESTARTSYS } from './errno.js';
import { OpenFile } from './fd-table.js';
import { O_CLOEXEC, O_NONBLOCK, O_RDWR, POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT, POLLRDBAND, POLLRDHUP, POLLRDNORM, POLLWRBAND, POLLWRNORM } from './linux-abi.js';
import { waitInterruptible } from './signal-deliver.js';
import { SyscallError } from './syscall-args.js';
import type { Task } from './task.js';

/** Waiters of one object (wait_queue_head_t): woken whenever its readiness may have changed. */
export class WaitQueue {
  private readonly waiters = new Set<(key: number) => void>();

  /** Calls `fn` on every wake until the returned function is called. */
  subscribe(fn: (key: number) => void): () => void {
    this.waiters.add(fn);
    return () => {
      this.waiters.delete(fn);
    };
  }

  /** Wakes every waiter; `key` says which poll bits changed (all, when not known), as wake_up_poll's key. */
  wake(key = -1): void {
    for (const w of [...this.waiters]) w(key);
  }
}

/** What a wait watches: queues of made-up objects and host fds. */
export interface WaitSources {
  readonly queues: readonly WaitQueue[];
  readonly host: readonly HostPollRequest[];
}

/** An object with no host fd that a guest can read, write and poll (an anon inode). */
export interface EventObject {
  /** The name in anon_inode:[name] (/proc/self/fd). */
  readonly name: string;
  readonly queue: WaitQueue;
  /** st_mode for fstat (an anon inode's 0600 when absent; a made-up socket's S_IFSOCK). */
  readonly mode?: number;
  /** Linux poll bits now (f_op->poll). */
  poll(task: Task): number;
  /** What a wait for this object must watch besides its queue (an epoll's host fds). */
  sources?(task: Task): WaitSources;
  read?(task: Task, file: OpenFile, count: number): Uint8Array | Promise<Uint8Array>;
  write?(task: Task, file: OpenFile, data: Uint8Array): number | Promise<number>;
  /** The last reference to the description went away. */
  release?(): void;
}

/** Linux poll bits from the host's readiness bits. */
export function linuxPollBits(bits: number, socket: boolean): number {
  let rev = 0;
  if (bits & HostPoll.READ) rev |= POLLIN | POLLRDNORM;
  if (bits & HostPoll.WRITE) rev |= POLLOUT | POLLWRNORM;
  if (bits & HostPoll.ERROR) rev |= POLLERR;
  // A stream socket whose peer is gone is also shut down for reading (tcp_poll, unix_poll).
  if (bits & HostPoll.HANGUP) rev |= POLLHUP | (socket ? POLLRDHUP : 0);
  if (bits & HostPoll.INVALID) rev |= POLLNVAL;
  if (bits & HostPoll.RDHUP) rev |= POLLRDHUP;
  return rev;
}

/** Host readiness bits for Linux poll events. */
export function hostPollEvents(events: number): number {
  let bits = 0;
  if (events & (POLLIN | POLLRDNORM | POLLRDBAND | POLLRDHUP)) bits |= HostPoll.READ;
  if (events & (POLLOUT | POLLWRNORM | POLLWRBAND)) bits |= HostPoll.WRITE;
  if (events & POLLRDHUP) bits |= HostPoll.RDHUP;
  return bits;
}

/** What a regular file always reports (DEFAULT_POLLMASK in include/linux/poll.h). */
export const DEFAULT_POLLMASK = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;

/** How the readiness of a description is learned: known now, or asked of the host. */
export type Readiness = { readonly mask: number; readonly queue: WaitQueue | null; readonly object: EventObject | null } | { readonly hostFd: number };

/** Whether `file` can be polled at all (epoll_ctl refuses files and directories with EPERM). */
export function pollable(file: OpenFile): boolean {
  return file.event !== null || (file.hostFd >= 0 && file.synth === null && file.kind !== 'file' && file.kind !== 'dir' && file.kind !== 'path');
}

export function readinessOf(task: Task, file: OpenFile): Readiness {
  if (file.event) return { mask: file.event.poll(task), queue: file.event.queue, object: file.event };
  if (file.kind === 'path' || (file.hostFd < 0 && file.synth === null)) return { mask: POLLNVAL, queue: null, object: null };
  if (!pollable(file)) return { mask: DEFAULT_POLLMASK, queue: null, object: null };
  return { hostFd: file.hostFd };
}

/** The sources a wait for `file` watches. */
export function sourcesOf(task: Task, file: OpenFile, events: number): WaitSources {
  if (file.event) {
    const extra = file.event.sources?.(task);
    return { queues: [file.event.queue, ...(extra?.queues ?? [])], host: extra?.host ?? [] };
  }
  if (!pollable(file)) return { queues: [], host: [] };
  return { queues: [], host: [{ fd: file.hostFd, events: hostPollEvents(events) }] };
}

export function mergeSources(list: readonly WaitSources[]): WaitSources {
  return { queues: list.flatMap((s) => s.queues), host: list.flatMap((s) => s.host) };
}

/** Readiness of one description now, in Linux poll bits (host fds asked one at a time). */
export function pollFileNow(task: Task, file: OpenFile, events: number): number {
  const r = readinessOf(task, file);
  if ('mask' in r) return r.mask;
  const [bits = 0] = task.host.terminal.pollNow([{ fd: r.hostFd, events: hostPollEvents(events) }]);
  return linuxPollBits(bits, file.kind === 'socket');
}

const isNoSys = (err: unknown): boolean => err instanceof HostError && err.code === 'ENOSYS';

/**
 * Runs `check` until it gives a value, waiting in between for a wake of
 * one of the sources, the monotonic `deadline` (null: none) or a signal
 * that becomes deliverable. Returns the value, 'timeout' or 'signal' (the
 * caller then returns an ERESTART* code). A wait that no thread is in (the
 * O_ASYNC watcher, fasync.ts) is not `interruptible`: signals do not end it.
 */
export async function waitFor<T>(
  task: Task,
  check: () => T | null,
  sources: () => WaitSources,
  deadline: bigint | null,
  interruptible = true,
): Promise<T | 'timeout' | 'signal'> {
  const clock = task.host.clock;
  const term = task.host.terminal;
  for (;;) {
    const value = check();
    if (value !== null) return value;
    let left: bigint | null = null;
    if (deadline !== null) {
      left = deadline - clock.monotonicNs();
      if (left <= 0n) return 'timeout';
    }
    const src = sources();
    let woke: () => void = () => undefined;
    const wakeUp = new Promise<'wake'>((resolve) => {
      woke = () => resolve('wake');
    });
    const unsubscribe = src.queues.map((q) => q.subscribe(woke));
    const racers: Promise<'wake' | 'host' | 'time'>[] = [wakeUp];
    let hostPoll: Promise<unknown> | null = null;
    if (src.host.length > 0) {
      hostPoll = term.poll(src.host, left).catch((err: unknown) => {
        // No readiness from the host (the addon is not built): look again shortly.
        if (isNoSys(err)) return clock.sleep(10_000_000n);
        throw err;
      });
      racers.push(hostPoll.then(() => 'host' as const));
    } else if (left !== null) {
      racers.push(clock.sleep(left).then(() => 'time' as const));
    }
    let outcome: 'wake' | 'host' | 'time' | null;
    try {
      outcome = interruptible ? await waitInterruptible(task, Promise.race(racers)) : await Promise.race(racers);
    } finally {
      for (const u of unsubscribe) u();
    }
    if (hostPoll !== null && outcome !== 'host') {
      // End the host poll and let it finish, so its wake-up is not taken by the next one.
      term.interrupt();
      await hostPoll.catch(() => undefined);
    }
    if (outcome === null) return 'signal';
  }
}

/**
 * A read or write of a made-up object: `attempt` now, or, when it gives
 * null, EAGAIN under O_NONBLOCK or a wait on the object's queue until it
 * succeeds (ERESTARTSYS when a signal comes first, as for pipe reads).
 */
export function blockingCall<T>(task: Task, file: OpenFile, attempt: () => T | null): T | Promise<T> {
  const now = attempt();
  if (now !== null) return now;
  if (file.flags & O_NONBLOCK) throw new SyscallError(Errno.EAGAIN);
  return waitFor(task, attempt, () => sourcesOf(task, file, POLLIN | POLLOUT), null).then((r) => {
    if (r === 'signal' || r === 'timeout') throw new SyscallError(ERESTARTSYS);
    return r;
  });
}

/** Installs a made-up object as a new description at the lowest free fd (anon_inode_getfd). */
export function installEvent(task: Task, object: EventObject, flags: number): number {
  const fd = task.fds.lowestFree(0, task.fdLimit);
  if (fd < 0) return -Errno.EMFILE;
  const file = new OpenFile(-1, `anon_inode:[${object.name}]`, O_RDWR | (flags & O_NONBLOCK), 'anon', false);
  file.event = object;
  task.fds.installAt(fd, file, (flags & O_CLOEXEC) !== 0);
  return fd;
}
