/**
 * inotify(7) (fs/notify/inotify/inotify_user.c): inotify_init1,
 * inotify_add_watch, inotify_rm_watch. An instance is the host's own
 * (`HostNotify`): a host fd of kind 'inotify', read, polled, waited on and
 * counted (FIONREAD) as any host stream is (fs-io.ts, waitq.ts), so blocking
 * reads wait for readiness without blocking the JavaScript thread and end
 * with ERESTARTSYS on a signal, and a fork child shares the instance as
 * Linux's children do. The host kernel pads the names, refuses a buffer too
 * small for the next event (EINVAL) and reports changes made by anyone.
 * What the guest sees of the host is only relative: watch descriptors are
 * the instance's own numbers and event names are relative to the watched
 * directory, so nothing needs translating; the watched object is found by
 * the guest's path walk (the sysroot first) and handed to the host as a
 * directory fd and one name.
 */

import { Errno } from './errno.js';
import { OpenFile } from './fd-table.js';
import { fileOf, readPath, withTarget } from './fs-util.js';
import { AT_FDCWD, O_CLOEXEC, O_NONBLOCK, O_RDONLY } from './linux-abi.js';
import { SyscallError, type SyscallArgs, type SyscallImpl } from './syscall-args.js';
import type { Task } from './task.js';

/** include/uapi/linux/inotify.h */
export const IN_ALL_EVENTS = 0x00000fff;
export const IN_UNMOUNT = 0x00002000;
export const IN_Q_OVERFLOW = 0x00004000;
export const IN_IGNORED = 0x00008000;
export const IN_ONLYDIR = 0x01000000;
export const IN_DONT_FOLLOW = 0x02000000;
export const IN_EXCL_UNLINK = 0x04000000;
export const IN_MASK_CREATE = 0x10000000;
export const IN_MASK_ADD = 0x20000000;
export const IN_ISDIR = 0x40000000;
export const IN_ONESHOT = 0x80000000;
const ALL_INOTIFY_BITS =
  (IN_ALL_EVENTS | IN_UNMOUNT | IN_Q_OVERFLOW | IN_IGNORED | IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK | IN_MASK_CREATE | IN_MASK_ADD | IN_ISDIR | IN_ONESHOT) >>> 0;

/** inotify_init1(2): IN_NONBLOCK and IN_CLOEXEC (O_NONBLOCK and O_CLOEXEC). */
function sysInotifyInit1(task: Task, a: SyscallArgs): number {
  const flags = a.int(0);
  if (flags & ~(O_CLOEXEC | O_NONBLOCK)) return -Errno.EINVAL;
  const notify = task.host.notify;
  if (!notify) {
    task.trace('elfuse: inotify_init1: the host has no file-change notification; returning ENOSYS');
    return -Errno.ENOSYS;
  }
  const fd = task.fds.lowestFree(0, task.fdLimit);
  if (fd < 0) return -Errno.EMFILE;
  const nonBlock = (flags & O_NONBLOCK) !== 0;
  const hostFd = notify.init(nonBlock);
  const file = new OpenFile(hostFd, 'anon_inode:inotify', O_RDONLY | (flags & O_NONBLOCK), 'inotify');
  task.fds.installAt(fd, file, (flags & O_CLOEXEC) !== 0);
  return fd;
}

/** The description behind an inotify fd: EBADF for no description, EINVAL for another kind (as fdget, then the f_op check). */
function instanceOf(task: Task, fd: number): OpenFile {
  const file = fileOf(task, fd);
  if (file.kind !== 'inotify') throw new SyscallError(Errno.EINVAL);
  return file;
}

/** inotify_add_watch(2): the mask is checked first, then the fd, then the path (IN_DONT_FOLLOW: the last component is not followed). */
function sysInotifyAddWatch(task: Task, a: SyscallArgs): number {
  const mask = a.uint(2);
  if (!(mask & ALL_INOTIFY_BITS)) return -Errno.EINVAL;
  if (mask & IN_MASK_ADD && mask & IN_MASK_CREATE) return -Errno.EINVAL;
  const file = instanceOf(task, a.fd(0));
  const notify = task.host.notify;
  if (!notify) return -Errno.EINVAL;
  const path = readPath(task, a.ptr(1));
  return withTarget(task, AT_FDCWD, path, { follow: (mask & IN_DONT_FOLLOW) === 0 }, (t) => {
    if (t.kind === 'synth') {
      task.trace(`elfuse: inotify_add_watch: ${t.path} is made up by elfuse and never changes on the host; returning ENOSYS`);
      return -Errno.ENOSYS;
    }
    if (t.st === null) return -Errno.ENOENT;
    return notify.addWatch(file.hostFd, t.dirFd, t.name, mask);
  });
}

/** inotify_rm_watch(2): EINVAL for a watch the instance does not have; an IN_IGNORED event follows. */
function sysInotifyRmWatch(task: Task, a: SyscallArgs): number {
  const file = instanceOf(task, a.fd(0));
  const notify = task.host.notify;
  if (!notify) return -Errno.EINVAL;
  notify.rmWatch(file.hostFd, a.int(1));
  return 0;
}

export const inotifySyscalls: Readonly<Record<string, SyscallImpl>> = {
  inotify_init1: { handler: sysInotifyInit1, support: 'full', args: ['hex'] },
  inotify_add_watch: {
    handler: sysInotifyAddWatch,
    support: 'partial',
    args: ['fd', 'str', 'hex'],
    note: "the host's inotify (ENOSYS where there is none); /proc and /dev nodes elfuse makes up cannot be watched (ENOSYS)",
  },
  inotify_rm_watch: { handler: sysInotifyRmWatch, support: 'full', args: ['fd', 'int'] },
};
