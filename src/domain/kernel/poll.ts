/**
 * Readiness (fs/select.c): ppoll and pselect6. Regular files and
 * directories are always ready, as Linux's DEFAULT_POLLMASK says; pipes,
 * terminals and sockets are asked of the host (HostTerminal.pollNow/poll),
 * whose wait runs off the JavaScript thread. A signal that becomes
 * deliverable while it waits ends the wait (waitInterruptible): the call
 * returns ERESTARTNOHAND and delivery turns that into EINTR once the
 * handler has run, as Linux does for poll and select.
 *
 * Both calls write the time left back to the guest's timespec, as
 * poll_select_finish does. Their sigmask replaces the task's for the wait;
 * the old one comes back after delivery (set_user_sigmask and
 * restore_saved_sigmask), so a signal the temporary mask let through is
 * delivered before the mask closes again.
 */

import type { HostPollRequest } from '../../ports/host.js';
import { Errno } from './errno.js';
import {
  POLLERR,
  POLLHUP,
  POLLIN,
  POLLNVAL,
  POLLOUT,
  POLLPRI,
  POLLRDBAND,
  POLLRDNORM,
  POLLWRBAND,
  POLLWRNORM,
  SIZEOF_POLLFD,
  SIZEOF_SIGSET,
  SIZEOF_TIMESPEC,
  StructReader,
  StructWriter,
  decodeTimespec,
  encodeTimespec,
} from './linux-abi.js';
import { ERESTARTNOHAND, UNBLOCKABLE } from './signal-deliver.js';
import { SyscallError, type SyscallArgs, type SyscallImpl } from './syscall-args.js';
import type { Task } from './task.js';
import { hostPollEvents, linuxPollBits, mergeSources, readinessOf, sourcesOf, waitFor, type WaitSources } from './waitq.js';

/** select(2)'s sets in poll terms (fs/select.c POLLIN_SET, POLLOUT_SET, POLLEX_SET). */
const POLLIN_SET = POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR;
const POLLOUT_SET = POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR;
const POLLEX_SET = POLLPRI;

interface Watch {
  fd: number;
  /** Linux poll events asked for. */
  events: number;
}

/**
 * Revents of every watch now (do_pollfd): made-up objects answer
 * themselves, host fds are asked in one host poll. POLLERR, POLLHUP and
 * POLLNVAL are reported whether asked for or not.
 */
function pollNow(task: Task, watches: readonly Watch[]): number[] {
  const requests: HostPollRequest[] = [];
  const hostIndex: number[] = [];
  const out = watches.map((w, i): number => {
    if (w.fd < 0) return 0;
    const file = task.fds.get(w.fd);
    if (!file) return POLLNVAL;
    const r = readinessOf(task, file);
    if ('mask' in r) return r.mask & (w.events | POLLERR | POLLHUP | POLLNVAL);
    requests.push({ fd: r.hostFd, events: hostPollEvents(w.events) });
    hostIndex.push(i);
    return 0;
  });
  if (requests.length > 0) {
    const bits = task.host.terminal.pollNow(requests);
    hostIndex.forEach((i, k) => {
      const w = watches[i]!;
      const socket = task.fds.get(w.fd)?.kind === 'socket';
      out[i] = linuxPollBits(bits[k] ?? 0, socket) & (w.events | POLLERR | POLLHUP | POLLNVAL);
    });
  }
  return out;
}

/**
 * Readiness of `watches` (Linux revents, one per watch) now, or after waiting
 * up to `timeoutNs` (null: no limit) for one to become ready; 'eintr' when a
 * signal was posted meanwhile. The wait is waitq.ts's, shared with epoll and
 * blocking reads.
 */
async function wait(task: Task, watches: readonly Watch[], timeoutNs: bigint | null): Promise<number[] | 'eintr'> {
  const first = pollNow(task, watches);
  if (first.some((r) => r !== 0) || timeoutNs === 0n) return first;
  const deadline = timeoutNs === null ? null : task.host.clock.monotonicNs() + timeoutNs;
  const sources = (): WaitSources =>
    mergeSources(
      watches.map((w) => {
        const file = w.fd >= 0 ? task.fds.get(w.fd) : undefined;
        return file ? sourcesOf(task, file, w.events) : { queues: [], host: [] };
      }),
    );
  const result = await waitFor(
    task,
    () => {
      const r = pollNow(task, watches);
      return r.some((x) => x !== 0) ? r : null;
    },
    sources,
    deadline,
  );
  if (result === 'signal') return 'eintr';
  if (result === 'timeout') return watches.map(() => 0);
  return result;
}

/** A timeout timespec: null for NULL (wait forever); EINVAL for a negative or malformed one. */
function readTimeout(task: Task, ptr: number): bigint | null {
  if (ptr === 0) return null;
  const ns = decodeTimespec(task.mem.read(ptr, SIZEOF_TIMESPEC));
  if (ns === null || ns < 0n) throw new SyscallError(Errno.EINVAL);
  return ns;
}

/** The sigmask argument: null when absent; EINVAL for a sigsetsize other than 8. */
function readSigmask(task: Task, ptr: number, size: bigint): bigint | null {
  if (ptr === 0) return null;
  if (size !== BigInt(SIZEOF_SIGSET)) throw new SyscallError(Errno.EINVAL);
  return new StructReader(task.mem.read(ptr, SIZEOF_SIGSET)).u64(0);
}

/**
 * Runs the wait with the guest's temporary sigmask and writes the time left
 * back (poll_select_finish: not when the timeout was zero; a failed write is
 * ignored, the result stands).
 */
async function timedWait(
  task: Task,
  watches: readonly Watch[],
  tmoPtr: number,
  timeoutNs: bigint | null,
  sigmask: bigint | null,
): Promise<number[] | 'eintr'> {
  const clock = task.host.clock;
  const start = clock.monotonicNs();
  if (sigmask !== null) {
    task.savedSigmask = task.sigmask;
    task.sigmask = sigmask & ~UNBLOCKABLE;
  }
  const result = await wait(task, watches, timeoutNs);
  if (timeoutNs !== null && timeoutNs > 0n) {
    const elapsed = clock.monotonicNs() - start;
    const left = result !== 'eintr' && result.every((r) => r === 0) ? 0n : timeoutNs - elapsed;
    try {
      task.mem.write(tmoPtr, encodeTimespec(left > 0n ? left : 0n));
    } catch {
      // as in Linux: the caller gets its result even when the time cannot be written back
    }
  }
  return result;
}

/** ppoll(2) */
async function sysPpoll(task: Task, a: SyscallArgs): Promise<number> {
  const ptr = a.ptr(0);
  const n = a.uint(1);
  if (n > task.fdLimit) return -Errno.EINVAL;
  const timeoutNs = readTimeout(task, a.ptr(2));
  const sigmask = readSigmask(task, a.ptr(3), a.u64(4));
  const r = new StructReader(n > 0 ? task.mem.read(ptr, n * SIZEOF_POLLFD) : new Uint8Array(0));
  const watches: Watch[] = [];
  for (let i = 0; i < n; i++) {
    // events is a short; the kernel reports only what was asked plus POLLERR/POLLHUP/POLLNVAL.
    watches.push({ fd: r.i32(i * SIZEOF_POLLFD), events: r.u16(i * SIZEOF_POLLFD + 4) });
  }
  const result = await timedWait(task, watches, a.ptr(2), timeoutNs, sigmask);
  if (result === 'eintr') return -ERESTARTNOHAND;
  if (n > 0) {
    const w = new StructWriter(n * SIZEOF_POLLFD);
    for (let i = 0; i < n; i++) {
      w.i32(i * SIZEOF_POLLFD, watches[i]?.fd ?? 0);
      w.u16(i * SIZEOF_POLLFD + 4, watches[i]?.events ?? 0);
      w.u16(i * SIZEOF_POLLFD + 6, result[i] ?? 0);
    }
    task.mem.write(ptr, w.bytes);
  }
  return result.filter((rev) => rev !== 0).length;
}

/** fd_set as bytes: nfds bits rounded up to whole longs (FDS_BYTES in fs/select.c). */
function fdSetBytes(nfds: number): number {
  return Math.ceil(nfds / 64) * 8;
}

function readFdSet(task: Task, ptr: number, nfds: number): Uint8Array | null {
  return ptr === 0 ? null : task.mem.read(ptr, fdSetBytes(nfds)).slice();
}

const isSet = (set: Uint8Array | null, fd: number): boolean => set !== null && ((set[fd >> 3] ?? 0) & (1 << (fd & 7))) !== 0;

/** pselect6(2): the sixth argument points at { const sigset_t *ss; size_t ss_len; }. */
async function sysPselect6(task: Task, a: SyscallArgs): Promise<number> {
  let nfds = a.int(0);
  if (nfds < 0) return -Errno.EINVAL;
  nfds = Math.min(nfds, task.fdLimit); // bits past the fd table are ignored
  const sets = [readFdSet(task, a.ptr(1), nfds), readFdSet(task, a.ptr(2), nfds), readFdSet(task, a.ptr(3), nfds)] as const;
  const timeoutNs = readTimeout(task, a.ptr(4));
  let sigmask: bigint | null = null;
  if (a.ptr(5) !== 0) {
    const r = new StructReader(task.mem.read(a.ptr(5), 16));
    sigmask = readSigmask(task, Number(r.u64(0)), r.u64(8));
  }
  const watches: Watch[] = [];
  for (let fd = 0; fd < nfds; fd++) {
    const [rd, wr, ex] = sets.map((s) => isSet(s, fd));
    if (!rd && !wr && !ex) continue;
    if (!task.fds.get(fd)) return -Errno.EBADF;
    watches.push({ fd, events: (rd ? POLLIN_SET : 0) | (wr ? POLLOUT_SET : 0) | (ex ? POLLEX_SET : 0) });
  }
  const result = await timedWait(task, watches, a.ptr(4), timeoutNs, sigmask);
  if (result === 'eintr') return -ERESTARTNOHAND;
  const out = sets.map((s) => (s ? new Uint8Array(s.length) : null));
  let count = 0;
  watches.forEach((w, i) => {
    const rev = result[i] ?? 0;
    const hits = [POLLIN_SET, POLLOUT_SET, POLLEX_SET].map((mask, k) => isSet(sets[k] ?? null, w.fd) && (rev & mask) !== 0);
    hits.forEach((hit, k) => {
      const set = out[k];
      if (!hit || !set) return;
      set[w.fd >> 3] = (set[w.fd >> 3] ?? 0) | (1 << (w.fd & 7));
      count++;
    });
  });
  out.forEach((set, k) => {
    const ptr = a.ptr(1 + k);
    if (set && ptr !== 0) task.mem.write(ptr, set);
  });
  return count;
}

export const pollSyscalls: Readonly<Record<string, SyscallImpl>> = {
  ppoll: {
    handler: sysPpoll,
    support: 'partial',
    args: ['ptr', 'int', 'ptr', 'ptr', 'size'],
    note: 'ENOSYS on pipes and terminals when the terminal addon is not built',
  },
  pselect6: {
    handler: sysPselect6,
    support: 'partial',
    args: ['int', 'ptr', 'ptr', 'ptr', 'ptr', 'ptr'],
    note: 'ENOSYS on pipes and terminals when the terminal addon is not built',
  },
};
