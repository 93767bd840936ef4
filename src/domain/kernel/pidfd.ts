/**
 * Process file descriptors (kernel/pid.c, kernel/signal.c): pidfd_open,
 * pidfd_send_signal, pidfd_getfd, and the pidfd clone(CLONE_PIDFD) and
 * clone3 hand back (fork.ts); waitid(P_PIDFD) is wait.ts's. A pidfd is an
 * open description without a host fd (`OpenFile.pidfd` holds the pid,
 * /proc/self/fd shows anon_inode:[pidfd]). Guest pids are host pids, so
 * a pidfd names its process by pid: a pid the host reuses after the
 * process was reaped would be named again (Linux's pidfd would not).
 * poll and epoll see it through PidfdPoll.
 */

import { HostError } from '../../ports/host.js';
import { Errno } from './errno.js';
import { OpenFile } from './fd-table.js';
import { fileOf } from './fs-util.js';
import { O_NONBLOCK, O_RDWR, POLLHUP, POLLIN, POLLRDNORM, SI_TKILL, SI_USER, SIZEOF_SIGINFO, SiginfoOffset, StructReader, _NSIG } from './linux-abi.js';
import { guestRecord } from './proc-records.js';
import { signalProcess, type SignalSend } from './process.js';
import type { SyscallArgs, SyscallImpl } from './syscall-args.js';
import type { Task } from './task.js';
import type { EventObject, WaitQueue } from './waitq.js';

/** PIDFD_NONBLOCK is O_NONBLOCK (include/uapi/linux/pidfd.h). */
const PIDFD_NONBLOCK = O_NONBLOCK;
const PIDFD_SIGNAL_PROCESS_GROUP = 4;

/** Whether `pid` names a process that still exists (a zombie child does; a reaped one does not). */
export function processExists(task: Task, pid: number): boolean {
  if (pid === task.pid || task.tg.children.byPid.has(pid)) return true;
  if (task.tg.children.wasReaped(pid)) return false;
  if (guestRecord(task, pid)) return true;
  try {
    task.host.processes.kill(pid, 0);
    return true;
  } catch (e) {
    return e instanceof HostError && e.code === 'EPERM';
  }
}

/**
 * What poll and epoll see of a pidfd (pidfd_poll): readable once the
 * process has exited, and hung up too once it is reaped. A child's exit
 * wakes the waits (Children.queue); another process's is seen when the
 * pidfd is looked at again, not woken.
 */
class PidfdPoll implements EventObject {
  readonly name = 'pidfd';
  constructor(
    private readonly task: Task,
    private readonly pid: number,
  ) {}
  get queue(): WaitQueue {
    return this.task.tg.children.queue;
  }
  poll(task: Task): number {
    if (!processExists(task, this.pid)) return POLLIN | POLLRDNORM | POLLHUP;
    return task.tg.children.byPid.get(this.pid)?.state === 'zombie' ? POLLIN | POLLRDNORM : 0;
  }
}

/** Installs a new pidfd for `pid` at the lowest free fd (close-on-exec, as every pidfd is). */
export function installPidfd(task: Task, pid: number, flags: number): number {
  const fd = task.fds.lowestFree(0, task.fdLimit);
  if (fd < 0) return -Errno.EMFILE;
  const file = new OpenFile(-1, 'anon_inode:[pidfd]', O_RDWR | (flags & PIDFD_NONBLOCK), 'path', false);
  file.pidfd = pid;
  file.event = new PidfdPoll(task, pid);
  task.fds.installAt(fd, file, true);
  return fd;
}

/** The pid a pidfd refers to; EBADF for any other fd. */
export function pidOfPidfd(task: Task, fd: number): number {
  const pid = fileOf(task, fd).pidfd;
  if (pid === null) return -Errno.EBADF;
  return pid;
}

/** pidfd_open(2) */
function sysPidfdOpen(task: Task, a: SyscallArgs): number {
  const pid = a.int(0);
  const flags = a.uint(1);
  if (flags & ~PIDFD_NONBLOCK || pid <= 0) return -Errno.EINVAL;
  if (!processExists(task, pid)) return -Errno.ESRCH;
  return installPidfd(task, pid, flags);
}

/**
 * pidfd_send_signal(2): kill(2) through a pidfd, or, with a siginfo, as
 * rt_sigqueueinfo does (whose checks it shares: the caller's si_code must
 * be negative unless it signals itself, si_signo must be the signal).
 */
function sysPidfdSendSignal(task: Task, a: SyscallArgs): number {
  const flags = a.uint(3);
  // PIDFD_SIGNAL_THREAD, _THREAD_GROUP (the same here: one thread per process), _PROCESS_GROUP; at most one.
  if (flags & ~7 || (flags & (flags - 1)) !== 0) return -Errno.EINVAL;
  const pid = pidOfPidfd(task, a.int(0));
  if (pid < 0) return pid;
  const sig = a.int(1);
  if (sig < 0 || sig > _NSIG) return -Errno.EINVAL;
  const child = task.tg.children.byPid.get(pid);
  if (child?.state === 'zombie' || !processExists(task, pid)) return -Errno.ESRCH;
  const infoPtr = a.ptr(2);
  let send: SignalSend = { code: SI_USER };
  if (infoPtr !== 0) {
    const r = new StructReader(task.mem.read(infoPtr, SIZEOF_SIGINFO));
    const O = SiginfoOffset;
    if (r.i32(O.si_signo) !== sig) return -Errno.EINVAL;
    const code = r.i32(O.si_code);
    if (pid !== task.pid && (code >= 0 || code === SI_TKILL)) return -Errno.EPERM;
    send = { code, value: r.u64(O.si_value), pid: r.i32(O.si_pid), uid: r.u32(O.si_uid) };
  }
  if (!(flags & PIDFD_SIGNAL_PROCESS_GROUP)) return signalProcess(task, pid, sig, send);
  let members: number[];
  try {
    members = task.host.processes.groupMembers(task.host.processes.getpgid(pid));
  } catch {
    return -Errno.ESRCH;
  }
  let result = -Errno.ESRCH;
  for (const member of members) {
    const r = signalProcess(task, member, sig, send);
    if (r === 0 || result === -Errno.ESRCH) result = r;
  }
  return result;
}

/**
 * pidfd_getfd(2): a duplicate of another process's fd, close-on-exec. Only
 * the caller's own fds: another process's descriptions live in its own
 * elfuse process, which cannot hand them over yet (ENOSYS, said under --verbose).
 */
function sysPidfdGetfd(task: Task, a: SyscallArgs): number {
  if (a.uint(2) !== 0) return -Errno.EINVAL;
  const pid = pidOfPidfd(task, a.int(0));
  if (pid < 0) return pid;
  if (!processExists(task, pid) || task.tg.children.byPid.get(pid)?.state === 'zombie') return -Errno.ESRCH;
  if (pid !== task.pid) {
    task.trace('elfuse: pidfd_getfd: fds of another process are not supported');
    return -Errno.ENOSYS;
  }
  const file = task.fds.get(a.int(1));
  if (!file) return -Errno.EBADF;
  const fd = task.fds.lowestFree(0, task.fdLimit);
  if (fd < 0) return -Errno.EMFILE;
  task.fds.installAt(fd, file, true);
  return fd;
}

export const pidfdSyscalls: Readonly<Record<string, SyscallImpl>> = {
  pidfd_open: { handler: sysPidfdOpen, support: 'full', args: ['int', 'hex'] },
  pidfd_send_signal: { handler: sysPidfdSendSignal, support: 'full', args: ['fd', 'int', 'ptr', 'hex'] },
  pidfd_getfd: {
    handler: sysPidfdGetfd,
    support: 'partial',
    args: ['fd', 'int', 'hex'],
    note: "the caller's own fds only; another process's are ENOSYS",
  },
};
