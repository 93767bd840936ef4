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

import { HostPoll, type HostPollRequest } from '../../ports/host.js';
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
import { ERESTARTNOHAND, UNBLOCKABLE, waitInterruptible } from './signal-deliver.js';
import { SyscallError, type SyscallArgs, type SyscallImpl } from './syscall-args.js';
import type { Task } from './task.js';

/** What a regular file always reports (DEFAULT_POLLMASK in include/linux/poll.h). */
const DEFAULT_POLLMASK = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
/** select(2)'s sets in poll terms (fs/select.c POLLIN_SET, POLLOUT_SET, POLLEX_SET). */
const POLLIN_SET = POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR;
const POLLOUT_SET = POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR;
const POLLEX_SET = POLLPRI;

interface Watch {
  fd: number;
  /** Linux poll events asked for. */
  events: number;
}

/** Linux revents from the host's readiness bits. */
function linuxRevents(bits: number): number {
  let rev = 0;
  if (bits & HostPoll.READ) rev |= POLLIN | POLLRDNORM;
  if (bits & HostPoll.WRITE) rev |= POLLOUT | POLLWRNORM;
  if (bits & HostPoll.ERROR) rev |= POLLERR;
  if (bits & HostPoll.HANGUP) rev |= POLLHUP;
  if (bits & HostPoll.INVALID) rev |= POLLNVAL;
  return rev;
}

function hostEvents(events: number): number {
  let bits = 0;
  if (events & (POLLIN | POLLRDNORM | POLLRDBAND)) bits |= HostPoll.READ;
  if (events & (POLLOUT | POLLWRNORM | POLLWRBAND)) bits |= HostPoll.WRITE;
  return bits;
}

/** Per watch: a fixed answer (files, bad fds), or the index of its host request. */
type Plan = { fixed: number } | { host: number };

function plan(task: Task, watches: readonly Watch[]): { plans: Plan[]; requests: HostPollRequest[] } {
  const requests: HostPollRequest[] = [];
  const plans = watches.map((w): Plan => {
    if (w.fd < 0) return { fixed: 0 };
    const file = task.fds.get(w.fd);
    if (!file || file.kind === 'path') return { fixed: POLLNVAL };
    // POLLERR and POLLHUP are reported whether asked for or not.
    if (file.kind === 'file' || file.kind === 'dir') return { fixed: DEFAULT_POLLMASK & (w.events | POLLERR | POLLHUP) };
    requests.push({ fd: file.hostFd, events: hostEvents(w.events) });
    return { host: requests.length - 1 };
  });
  return { plans, requests };
}

function revents(watches: readonly Watch[], plans: readonly Plan[], bits: readonly number[]): number[] {
  return plans.map((p, i) => {
    if ('fixed' in p) return p.fixed;
    const events = watches[i]?.events ?? 0;
    return linuxRevents(bits[p.host] ?? 0) & (events | POLLERR | POLLHUP | POLLNVAL);
  });
}

/**
 * Readiness of `watches` (Linux revents, one per watch) now, or after waiting
 * up to `timeoutNs` (null: no limit) for one to become ready; 'eintr' when a
 * signal was posted meanwhile.
 */
async function wait(task: Task, watches: readonly Watch[], timeoutNs: bigint | null): Promise<number[] | 'eintr'> {
  const { plans, requests } = plan(task, watches);
  const term = task.host.terminal;
  const nowBits = requests.length > 0 ? term.pollNow(requests) : [];
  const now = revents(watches, plans, nowBits);
  if (now.some((r) => r !== 0) || timeoutNs === 0n) return now;
  if (requests.length === 0) {
    // Nothing that can become ready: only time passes (poll with no fds is a sleep, or pause(3)).
    const slept = await waitInterruptible(task, timeoutNs === null ? new Promise<void>(() => undefined) : task.host.clock.sleep(timeoutNs));
    return slept === null ? 'eintr' : now;
  }
  const bits = await waitInterruptible(task, term.poll(requests, timeoutNs));
  if (bits === null) {
    // A signal ended the wait: wake the host poll so its worker thread is not left waiting.
    term.interrupt();
    return 'eintr';
  }
  return bits === null ? 'eintr' : revents(watches, plans, bits);
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
