/**
 * Signal-driven I/O (fs/fcntl.c: F_SETOWN, F_SETOWN_EX, F_SETSIG, their
 * F_GET* twins, send_sigio; and the O_ASYNC registrations that the
 * f_op->fasync of pipes, sockets, terminals and inotify keep). When a
 * registered description becomes readable (POLL_IN) or writable (POLL_OUT),
 * its owner (a thread, a process or a process group) gets SIGIO, or the
 * F_SETSIG signal with si_code, si_band and si_fd.
 *
 * Linux signals from inside the I/O (pipe_write's kill_fasync). Here the
 * I/O is the host's, so readiness is learned as epoll learns it for host
 * fds (waitq.ts: a host poll, the bytes waiting, FIONREAD): after every
 * syscall of a process with registrations (so this process's own write
 * signals before it returns, as on Linux), and by a watcher that waits in
 * waitFor for the host readiness it has not seen yet, so another process's
 * write signals too. A description signals POLL_IN when it becomes readable
 * or more bytes wait in it than at the last look, POLL_OUT when it becomes
 * writable (for a pipe also when fewer bytes wait: the reader made room).
 * Other descriptions (files, eventfd, timerfd, signalfd, epoll) have no
 * fasync in Linux, whose setfl then leaves O_ASYNC off: so does F_SETFL here.
 *
 * A fork child shares the description but not the registration: only the
 * process that set O_ASYNC (or sets it again) watches it, so the owner is
 * signalled once. A signal to another process carries no si_band or si_fd
 * (the channel between elfuse processes carries kill's siginfo).
 */
import { Errno } from './errno.js';
import type { OpenFile } from './fd-table.js';
import {
  F_OWNER_PGRP,
  F_OWNER_PID,
  F_OWNER_TID,
  O_ACCMODE,
  O_RDONLY,
  O_WRONLY,
  POLLERR,
  POLLHUP,
  POLLIN,
  POLLOUT,
  POLLRDNORM,
  POLLWRBAND,
  POLLWRNORM,
  POLL_IN,
  POLL_OUT,
  SIGIO,
  SI_KERNEL,
} from './linux-abi.js';
import { signalProcess } from './process.js';
import { postProcessSignal, postSignal } from './signal-deliver.js';
import type { SigInfo, Task } from './task.js';
import type { ThreadGroup } from './thread-group.js';
import { WaitQueue, hostPollEvents, linuxPollBits, waitFor, type WaitSources } from './waitq.js';
import { HostPoll, type HostPollRequest } from '../../ports/host.js';

/** si_band of each reason (band_table in fs/fcntl.c). */
const BAND: Readonly<Record<number, number>> = {
  [POLL_IN]: POLLIN | POLLRDNORM,
  [POLL_OUT]: POLLOUT | POLLWRNORM | POLLWRBAND,
};

/** How often bytes waiting in an already readable description are counted again (more may have come). */
const RECOUNT_NS = 25_000_000n;

/** One O_ASYNC registration (fasync_struct): the description and the fd it was made through (si_fd). */
class Registration {
  readable = false;
  readPending = 0;
  writable = false;
  writePending = 0;

  constructor(
    readonly watcher: Watcher,
    readonly file: OpenFile,
    readonly fd: number,
  ) {}

  get wantsIn(): boolean {
    return (this.file.flags & O_ACCMODE) !== O_WRONLY;
  }

  get wantsOut(): boolean {
    return (this.file.flags & O_ACCMODE) !== O_RDONLY;
  }

  remove(): void {
    this.watcher.remove(this);
  }
}

/** The registrations of one process and the wait that watches them. */
class Watcher {
  readonly regs = new Set<Registration>();
  /** Woken when the set changes, so the wait watches the new set. */
  readonly queue = new WaitQueue();
  private running = false;

  constructor(private task: Task) {}

  add(task: Task, reg: Registration): void {
    this.task = task;
    this.regs.add(reg);
    this.look(task, [reg], false);
    this.queue.wake();
    if (!this.running) void this.run();
  }

  remove(reg: Registration): void {
    if (reg.file.fasync === reg) reg.file.fasync = null;
    this.regs.delete(reg);
    this.queue.wake();
  }

  /**
   * Looks at the registrations' readiness now and signals each owner
   * whose description became readable or writable (when `signal`).
   */
  look(task: Task, regs: readonly Registration[], signal: boolean): void {
    if (regs.length === 0) return;
    let bits: number[];
    try {
      bits = task.host.terminal.pollNow(regs.map((r) => ({ fd: r.file.hostFd, events: hostPollEvents(POLLIN | POLLOUT) })));
    } catch {
      return; // no host poll (the addon is not built): nothing can be seen
    }
    regs.forEach((r, i) => {
      const mask = linuxPollBits(bits[i] ?? 0, r.file.kind === 'socket');
      if (r.wantsIn) {
        const readable = (mask & (POLLIN | POLLHUP | POLLERR)) !== 0;
        const pending = readable ? bytesWaiting(task, r.file) : 0;
        if (signal && readable && (!r.readable || pending > r.readPending)) sendSigio(task, r.file, r.fd, POLL_IN);
        r.readable = readable;
        r.readPending = pending;
      }
      if (r.wantsOut) {
        const writable = (mask & POLLOUT) !== 0;
        const pending = writable && r.file.kind === 'fifo' ? bytesWaiting(task, r.file) : 0;
        if (signal && writable && (!r.writable || pending < r.writePending)) sendSigio(task, r.file, r.fd, POLL_OUT);
        r.writable = writable;
        r.writePending = pending;
      }
    });
  }

  /** What the wait watches: the changes of the set, and the host readiness not seen yet. */
  private sources(): WaitSources {
    const host: HostPollRequest[] = [];
    for (const r of this.regs) {
      let events = 0;
      if (r.wantsIn && !r.readable) events |= HostPoll.READ;
      if (r.wantsOut && !r.writable) events |= HostPoll.WRITE;
      if (events) host.push({ fd: r.file.hostFd, events });
    }
    return { queues: [this.queue], host };
  }

  /** The watcher: waits (not for signals: no thread is in this wait) until nothing is registered. */
  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.regs.size > 0) {
        const task = this.task;
        // A description already readable or writable is counted again now and then.
        const recount = [...this.regs].some((r) => r.readable || r.writable);
        const deadline = recount ? task.host.clock.monotonicNs() + RECOUNT_NS : null;
        // Any wake, host readiness or the deadline: look again (a wake is a hint).
        let looks = 0;
        await waitFor(task, () => (looks++ === 0 ? null : true), () => this.sources(), deadline, false);
        this.look(task, [...this.regs], true);
      }
    } catch {
      // a host poll failed: this process's own syscalls still look (fasyncAfterSyscall)
    } finally {
      this.running = false;
    }
  }
}

const watchers = new WeakMap<ThreadGroup, Watcher>();

function bytesWaiting(task: Task, file: OpenFile): number {
  try {
    return task.host.terminal.inputPending(file.hostFd);
  } catch {
    return 0;
  }
}

/** Whether a description has an f_op->fasync in Linux: pipes, FIFOs, sockets, terminals, inotify. */
export function hasFasync(file: OpenFile): boolean {
  return file.hostFd >= 0 && file.synth === null && (file.kind === 'fifo' || file.kind === 'socket' || file.kind === 'tty' || file.kind === 'inotify');
}

/** F_SETFL's O_ASYNC going on or off (setfl's call of f_op->fasync), made through `fd`. */
export function setFasync(task: Task, file: OpenFile, fd: number, on: boolean): void {
  if (!hasFasync(file)) return;
  if (!on) {
    file.fasync?.remove();
    return;
  }
  if (file.fasync) return;
  let w = watchers.get(task.tg);
  if (!w) watchers.set(task.tg, (w = new Watcher(task)));
  const reg = new Registration(w, file, fd);
  file.fasync = reg;
  w.add(task, reg);
}

/** After each syscall of a process with registrations: its own I/O signals before it returns to the guest. */
export function fasyncAfterSyscall(task: Task): void {
  const w = watchers.get(task.tg);
  if (w && w.regs.size > 0) w.look(task, [...w.regs], true);
}

/** send_sigio_to_task: the F_SETSIG signal with its siginfo, or plain SIGIO (SI_KERNEL) when none was set or it could not be queued. */
function sendTo(post: (sig: number, info: SigInfo) => number, signum: number, fd: number, reason: number): void {
  if (signum !== 0) {
    const info: SigInfo = { signo: signum, code: reason, band: BigInt(BAND[reason] ?? 0), fd };
    if (post(signum, info) === 0) return;
  }
  post(SIGIO, { signo: SIGIO, code: SI_KERNEL });
}

/** send_sigio: the owner of `file` (a thread, a process, or each process of a group) gets the signal. */
function sendSigio(task: Task, file: OpenFile, fd: number, reason: number): void {
  const { type, pid, signum } = file.owner;
  if (pid === 0) return;
  const toProcess = (target: number): void => {
    // A tid of one of our threads names this process too (send_sigio finds the task, then signals its group).
    if (target === task.pid || [...task.tg.threads].some((t) => t.tid === target)) sendTo((sig, info) => postProcessSignal(task, sig, info), signum, fd, reason);
    // Another process: kill's siginfo travels (si_code, but no si_band or si_fd).
    else signalProcess(task, target, signum || SIGIO, signum ? reason : SI_KERNEL);
  };
  if (type === F_OWNER_TID) {
    const thread = [...task.tg.threads].find((t) => t.tid === pid && !t.exit && !t.threadExit);
    if (thread) sendTo((sig, info) => postSignal(thread, sig, info), signum, fd, reason);
    else toProcess(pid);
  } else if (type === F_OWNER_PID) {
    toProcess(pid);
  } else {
    for (const member of task.host.processes.groupMembers(pid)) toProcess(member);
  }
}

/** Whether `pid` names a process or thread now (find_vpid). */
function pidExists(task: Task, pid: number): boolean {
  if (pid === task.pid || [...task.tg.threads].some((t) => t.tid === pid && !t.exit)) return true;
  return signalProcess(task, pid, 0, 0) !== -Errno.ESRCH;
}

/** Whether the owner still has a task of its type (pid_task in f_getown): else F_GETOWN reports 0. */
function ownerAlive(task: Task, type: number, pid: number): boolean {
  if (pid === 0) return false;
  if (type === F_OWNER_PGRP) return task.host.processes.groupMembers(pid).length > 0;
  // A thread's tid that is not its process's pid names no process (PIDTYPE_TGID).
  if (type === F_OWNER_PID && [...task.tg.threads].some((t) => t.tid === pid && t.tid !== task.pid)) return false;
  return pidExists(task, pid);
}

/** F_SETOWN (f_setown): a process (pid > 0), a process group (pid < 0) or nobody (0). */
export function fSetown(task: Task, file: OpenFile, who: number): number {
  if (who === -2147483648) return -Errno.EINVAL;
  const type = who < 0 ? F_OWNER_PGRP : F_OWNER_PID;
  const pid = Math.abs(who);
  if (pid !== 0 && !pidExists(task, pid) && !(type === F_OWNER_PGRP && task.host.processes.groupMembers(pid).length > 0)) return -Errno.ESRCH;
  file.owner = { ...file.owner, type, pid };
  return 0;
}

/** F_GETOWN (f_getown): the owner's pid, negative for a group, 0 when it is gone. */
export function fGetown(task: Task, file: OpenFile): number {
  const { type, pid } = file.owner;
  if (!ownerAlive(task, type, pid)) return 0;
  return type === F_OWNER_PGRP ? -pid : pid;
}

/** F_SETOWN_EX: EINVAL for an unknown type, ESRCH for a pid that names nothing. */
export function fSetownEx(task: Task, file: OpenFile, type: number, pid: number): number {
  if (type !== F_OWNER_TID && type !== F_OWNER_PID && type !== F_OWNER_PGRP) return -Errno.EINVAL;
  if (pid !== 0 && (pid < 0 || !(pidExists(task, pid) || (type === F_OWNER_PGRP && task.host.processes.groupMembers(pid).length > 0)))) return -Errno.ESRCH;
  file.owner = { ...file.owner, type, pid };
  return 0;
}

/** F_GETOWN_EX: the type and, while it names a task, the pid. */
export function fGetownEx(task: Task, file: OpenFile): { type: number; pid: number } {
  const { type, pid } = file.owner;
  return { type, pid: ownerAlive(task, type, pid) ? pid : 0 };
}

/** F_SETSIG: 0 (SIGIO without siginfo) or a signal number up to _NSIG. */
export function fSetsig(file: OpenFile, sig: number): number {
  if (sig < 0 || sig > 64) return -Errno.EINVAL;
  file.owner = { ...file.owner, signum: sig };
  return 0;
}
