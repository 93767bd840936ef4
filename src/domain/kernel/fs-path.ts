/**
 * Path-based family (fs/open.c, fs/namei.c, fs/stat.c readlinkat, fs/d_path.c
 * getcwd): openat, faccessat/faccessat2, readlinkat, getcwd, chdir, fchdir,
 * mkdirat, unlinkat, renameat/renameat2. Paths resolve on the host; the
 * guest's cwd is the host process's cwd.
 */

import { HostError } from '../../ports/host.js';
import { Errno } from './errno.js';
import { OpenFile, type FileKind } from './fd-table.js';
import { changeablePath, encodeUtf8, fileOf, guestPathOf, hostOpenFlags, lookupAt, readPath, resolveAt } from './fs-util.js';
import { openSynth, synthStat } from './synthfs.js';
import {
  AT_EACCESS,
  AT_EMPTY_PATH,
  AT_FDCWD,
  O_ACCMODE,
  O_CREAT,
  O_EXCL,
  O_RDONLY,
  O_TRUNC,
  AT_REMOVEDIR,
  AT_SYMLINK_NOFOLLOW,
  O_CLOEXEC,
  O_LARGEFILE,
  O_NOFOLLOW,
  O_PATH,
  O_DIRECTORY,
  __O_TMPFILE,
  S_IFCHR,
  S_IFDIR,
  S_IFIFO,
  S_IFMT,
  S_IFREG,
  S_IFSOCK,
  S_IFLNK,
} from './linux-abi.js';
import { SyscallError, type SyscallArgs, type SyscallImpl } from './syscall-args.js';
import type { Task } from './task.js';

function kindOfMode(task: Task, hostFd: number, mode: number): FileKind {
  switch (mode & S_IFMT) {
    case S_IFREG:
      return 'file';
    case S_IFDIR:
      return 'dir';
    case S_IFCHR:
      return task.host.terminal.isatty(hostFd) ? 'tty' : 'chr';
    case S_IFIFO:
      return 'fifo';
    case S_IFSOCK:
      return 'socket';
    default:
      return 'file';
  }
}

/**
 * O_PATH opens nothing on the host: the description is just the path
 * (fstat, fchdir and *at lookups work; read/write see EBADF).
 */
function openPathOnly(task: Task, path: string, flags: number): OpenFile {
  const st = flags & O_NOFOLLOW ? task.host.fs.lstat(path) : task.host.fs.stat(path);
  if (flags & O_DIRECTORY && (st.mode & S_IFMT) !== S_IFDIR) throw new SyscallError(Errno.ENOTDIR);
  return new OpenFile(-1, path, O_PATH | (flags & (O_DIRECTORY | O_NOFOLLOW)), 'path');
}

function openHost(task: Task, path: string, flags: number, mode: number): OpenFile {
  const hostFd = task.host.fs.open(path, hostOpenFlags(flags), mode);
  try {
    const kind = kindOfMode(task, hostFd, task.host.fs.fstat(hostFd).mode);
    // 64-bit Linux always adds O_LARGEFILE (force_o_largefile in fs/open.c), and F_GETFL shows it.
    return new OpenFile(hostFd, path, flags | O_LARGEFILE, kind);
  } catch (err) {
    task.host.fs.close(hostFd);
    throw err;
  }
}

/** openat(2). /proc and /dev are synthetic (synthfs.ts); other paths open on the host. */
function sysOpenat(task: Task, a: SyscallArgs): number {
  const flags = a.int(2);
  const dirfd = a.fd(0);
  const guestPath = readPath(task, a.ptr(1));
  if (flags & __O_TMPFILE) return -Errno.EOPNOTSUPP;
  // O_CREAT|O_EXCL never follows a final symlink (it fails with EEXIST instead).
  const follow = !(flags & O_NOFOLLOW) && (flags & (O_CREAT | O_EXCL)) !== (O_CREAT | O_EXCL);
  const target = lookupAt(task, dirfd, guestPath, follow);
  if (target.synth) {
    if (flags & O_CREAT && flags & O_EXCL) return -Errno.EEXIST;
    const fd = task.fds.lowestFree(0, task.fdLimit);
    if (fd < 0) return -Errno.EMFILE;
    // Truncating is a write too, which proc files refuse.
    const wantsWrite = !(flags & O_PATH) && ((flags & O_ACCMODE) !== O_RDONLY || (flags & O_TRUNC) !== 0);
    const file = openSynth(task, target.synth, target.path, flags | O_LARGEFILE, wantsWrite, (flags & O_DIRECTORY) !== 0);
    task.fds.installAt(fd, file, (flags & O_CLOEXEC) !== 0);
    return fd;
  }
  const path = target.hostPath;
  // Reserve the number first so a full table does not leave a host fd open.
  const fd = task.fds.lowestFree(0, task.fdLimit);
  if (fd < 0) return -Errno.EMFILE;
  const file = flags & O_PATH ? openPathOnly(task, path, flags) : openHost(task, path, flags, a.uint(3) & 0o7777);
  task.fds.installAt(fd, file, (flags & O_CLOEXEC) !== 0);
  return fd;
}

/** faccessat2(2); faccessat(2) is the same with flags 0. AT_EACCESS is moot: real and effective ids match. */
function access(task: Task, dirfd: number, pathPtr: number, mode: number, flags: number): number {
  if (mode & ~7) return -Errno.EINVAL;
  if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -Errno.EINVAL;
  const guestPath = readPath(task, pathPtr, (flags & AT_EMPTY_PATH) !== 0);
  const follow = (flags & AT_SYMLINK_NOFOLLOW) === 0;
  if (guestPath === '' && dirfd === AT_FDCWD) return -Errno.ENOENT;
  const target = lookupAt(task, dirfd, guestPath, follow);
  if (target.synth) {
    // Permission bits of the node against the caller; root passes everything but execute of a non-executable.
    const st = synthStat(task, target.synth, target.path);
    if (task.euid === 0) return mode & 1 && !(st.mode & 0o111) ? -Errno.EACCES : 0;
    const granted = st.uid === task.euid ? (st.mode >> 6) & 7 : st.gid === task.egid ? (st.mode >> 3) & 7 : st.mode & 7;
    return (mode & ~granted) === 0 ? 0 : -Errno.EACCES;
  }
  const path = target.hostPath;
  if (path === '') return -Errno.ENOENT;
  // AT_SYMLINK_NOFOLLOW: a symlink itself is always accessible if it exists.
  if (flags & AT_SYMLINK_NOFOLLOW && (task.host.fs.lstat(path).mode & S_IFMT) === S_IFLNK) return 0;
  task.host.fs.access(path, mode);
  return 0;
}

function sysFaccessat(task: Task, a: SyscallArgs): number {
  return access(task, a.fd(0), a.ptr(1), a.int(2), 0);
}

function sysFaccessat2(task: Task, a: SyscallArgs): number {
  return access(task, a.fd(0), a.ptr(1), a.int(2), a.int(3));
}

/** readlinkat(2): no NUL, truncated to bufsiz. Links in /proc and /dev are synthetic (/proc/self/exe names the guest executable). */
function sysReadlinkat(task: Task, a: SyscallArgs): number {
  const bufsiz = a.int(3);
  if (bufsiz <= 0) return -Errno.EINVAL;
  const dirfd = a.fd(0);
  const guestPath = readPath(task, a.ptr(1));
  const found = lookupAt(task, dirfd, guestPath, false);
  let target: string;
  if (found.synth) {
    if (found.synth.type !== 'link') return -Errno.EINVAL;
    target = found.synth.target();
  } else {
    target = task.host.fs.readlink(found.hostPath);
  }
  const bytes = encodeUtf8(target).subarray(0, bufsiz);
  task.mem.write(a.ptr(2), bytes);
  return bytes.length;
}

/** getcwd(2): returns the length including the NUL; ERANGE when it does not fit. Inside the sysroot, the guest's name. */
function sysGetcwd(task: Task, a: SyscallArgs): number {
  const cwd = encodeUtf8(guestPathOf(task, task.host.process.cwd()));
  const size = a.size(1);
  if (cwd.length + 1 > size) return -Errno.ERANGE;
  const out = new Uint8Array(cwd.length + 1);
  out.set(cwd);
  task.mem.write(a.ptr(0), out);
  return out.length;
}

/** chdir(2) */
function sysChdir(task: Task, a: SyscallArgs): number {
  task.host.process.chdir(resolveAt(task, AT_FDCWD, readPath(task, a.ptr(0)), true));
  return 0;
}

/** fchdir(2) */
function sysFchdir(task: Task, a: SyscallArgs): number {
  const file = fileOf(task, a.fd(0));
  if (file.kind !== 'dir' && file.kind !== 'path') return -Errno.ENOTDIR;
  task.host.process.chdir(file.path);
  return 0;
}

/** mkdirat(2); the host applies the umask. */
function sysMkdirat(task: Task, a: SyscallArgs): number {
  task.host.fs.mkdir(changeablePath(task, a.fd(0), readPath(task, a.ptr(1)), Errno.EEXIST), a.uint(2) & 0o7777);
  return 0;
}

/** unlinkat(2). Linux says EISDIR for unlink on a directory where macOS says EPERM. */
function sysUnlinkat(task: Task, a: SyscallArgs): number {
  const flags = a.int(2);
  if (flags & ~AT_REMOVEDIR) return -Errno.EINVAL;
  const path = changeablePath(task, a.fd(0), readPath(task, a.ptr(1)), Errno.EPERM);
  if (flags & AT_REMOVEDIR) {
    task.host.fs.rmdir(path);
    return 0;
  }
  try {
    task.host.fs.unlink(path);
    return 0;
  } catch (err) {
    if (err instanceof HostError && err.code === 'EPERM' && (task.host.fs.lstat(path).mode & S_IFMT) === S_IFDIR) {
      return -Errno.EISDIR;
    }
    throw err;
  }
}

/** renameat2(2) with flags 0 (RENAME_NOREPLACE/EXCHANGE/WHITEOUT are not supported). */
function rename(task: Task, a: SyscallArgs, flags: number): number {
  if (flags !== 0) return -Errno.EINVAL;
  const from = changeablePath(task, a.fd(0), readPath(task, a.ptr(1)), Errno.EPERM);
  const to = changeablePath(task, a.fd(2), readPath(task, a.ptr(3)), Errno.EPERM);
  task.host.fs.rename(from, to);
  return 0;
}

export const fsPathSyscalls: Readonly<Record<string, SyscallImpl>> = {
  openat: {
    handler: sysOpenat,
    support: 'partial',
    args: ['dirfd', 'str', 'oflags', 'mode'],
    note: 'O_TMPFILE unsupported (EOPNOTSUPP); O_PATH keeps only the path',
  },
  faccessat: { handler: sysFaccessat, support: 'full', args: ['dirfd', 'str', 'int'] },
  faccessat2: { handler: sysFaccessat2, support: 'full', args: ['dirfd', 'str', 'int', 'hex'] },
  readlinkat: { handler: sysReadlinkat, support: 'full', args: ['dirfd', 'str', 'ptr', 'int'] },
  getcwd: { handler: sysGetcwd, support: 'full', args: ['ptr', 'size'] },
  chdir: { handler: sysChdir, support: 'full', args: ['str'] },
  fchdir: { handler: sysFchdir, support: 'full', args: ['fd'] },
  mkdirat: { handler: sysMkdirat, support: 'full', args: ['dirfd', 'str', 'mode'] },
  unlinkat: { handler: sysUnlinkat, support: 'full', args: ['dirfd', 'str', 'hex'] },
  renameat: { handler: (task, a) => rename(task, a, 0), support: 'full', args: ['dirfd', 'str', 'dirfd', 'str'] },
  renameat2: {
    handler: (task, a) => rename(task, a, a.uint(4)),
    support: 'partial',
    args: ['dirfd', 'str', 'dirfd', 'str', 'hex'],
    note: 'flags must be 0',
  },
};
