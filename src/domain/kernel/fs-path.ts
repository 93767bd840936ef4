/**
 * Path-based family (fs/open.c, fs/namei.c, fs/stat.c readlinkat, fs/d_path.c
 * getcwd): openat, openat2 (with its RESOLVE_* walk), faccessat/faccessat2,
 * readlinkat, getcwd, chdir, fchdir, mkdirat, unlinkat, renameat/renameat2.
 * Paths resolve on the host; the guest's cwd is the host process's cwd.
 */

import { HostError } from '../../ports/host.js';
import { Errno } from './errno.js';
import { OpenFile, type FileKind } from './fd-table.js';
import { changeablePath, encodeUtf8, fileOf, guestPathOf, hostOpenFlags, lookupAt, readPath, resolveAt } from './fs-util.js';
import { openSynth, synthStat } from './synthfs.js';
import {
  AT_FDCWD,
  MAXSYMLINKS,
  OPEN_HOW_SIZE_VER0,
  O_ACCMODE,
  O_CREAT,
  O_EXCL,
  O_RDWR,
  O_TMPFILE,
  O_TRUNC,
  O_WRONLY,
  RENAME_EXCHANGE,
  RENAME_NOREPLACE,
  RENAME_WHITEOUT,
  RESOLVE_BENEATH,
  RESOLVE_CACHED,
  RESOLVE_IN_ROOT,
  RESOLVE_NO_MAGICLINKS,
  RESOLVE_NO_SYMLINKS,
  RESOLVE_NO_XDEV,
  S_IALLUGO,
  StructReader,
  VALID_OPEN_FLAGS,
  AT_EACCESS,
  AT_EMPTY_PATH,
  O_RDONLY,
  AT_REMOVEDIR,
  AT_SYMLINK_NOFOLLOW,
  O_CLOEXEC,
  O_LARGEFILE,
  O_NOFOLLOW,
  O_NONBLOCK,
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
    const file = new OpenFile(hostFd, path, flags | O_LARGEFILE, kind);
    file.hostNonBlock = (flags & O_NONBLOCK) !== 0;
    return file;
  } catch (err) {
    task.host.fs.close(hostFd);
    throw err;
  }
}

let tmpfileCounter = 0;

/**
 * O_TMPFILE: an unnamed regular file in directory `dir`. Node has no
 * O_TMPFILE, so elfuse creates a uniquely named file and unlinks it at once;
 * the open description is then what Linux gives. Deliberate difference: such
 * a file cannot be given a name later with linkat(AT_EMPTY_PATH).
 */
function openTmpfile(task: Task, dir: string, flags: number, mode: number): OpenFile {
  const st = task.host.fs.stat(dir);
  if ((st.mode & S_IFMT) !== S_IFDIR) throw new SyscallError(Errno.ENOTDIR);
  const base = dir.endsWith('/') ? dir : `${dir}/`;
  for (;;) {
    const name = `${base}.elfuse-tmpfile-${task.pid}-${++tmpfileCounter}`;
    let hostFd: number;
    try {
      const hostFlags = hostOpenFlags((flags & O_ACCMODE) | O_CREAT | O_EXCL);
      hostFd = task.host.fs.open(name, hostFlags, mode);
    } catch (err) {
      if (err instanceof HostError && err.code === 'EEXIST') continue;
      throw err;
    }
    task.host.fs.unlink(name);
    const file = new OpenFile(hostFd, name, (flags & ~O_CREAT) | O_LARGEFILE, 'file');
    file.unlinked = true;
    return file;
  }
}

/** build_open_flags' checks on O_TMPFILE: it needs O_DIRECTORY, no O_CREAT, and write access. */
function checkTmpfileFlags(flags: number): void {
  if ((flags & (__O_TMPFILE | O_DIRECTORY | O_CREAT)) !== O_TMPFILE) throw new SyscallError(Errno.EINVAL);
  const acc = flags & O_ACCMODE;
  if (acc !== O_WRONLY && acc !== O_RDWR) throw new SyscallError(Errno.EINVAL);
}

/** The open shared by openat and openat2, once `path` is the host path to open. */
function openResolved(task: Task, path: string, flags: number, mode: number): number {
  if (flags & __O_TMPFILE && !(flags & O_PATH)) checkTmpfileFlags(flags);
  // Since Linux 6.4, O_CREAT|O_DIRECTORY is refused instead of creating a regular file.
  else if ((flags & (O_CREAT | O_DIRECTORY)) === (O_CREAT | O_DIRECTORY) && !(flags & O_PATH)) {
    throw new SyscallError(Errno.EINVAL);
  }
  // Reserve the number first so a full table does not leave a host fd open.
  const fd = task.fds.lowestFree(0, task.fdLimit);
  if (fd < 0) return -Errno.EMFILE;
  let file: OpenFile;
  if (flags & O_PATH) file = openPathOnly(task, path, flags);
  else if (flags & __O_TMPFILE) file = openTmpfile(task, path, flags, mode);
  else file = openHost(task, path, flags, mode);
  task.fds.installAt(fd, file, (flags & O_CLOEXEC) !== 0);
  return fd;
}

/**
 * openat(2): unknown flag bits are ignored, as Linux's openat does (openat2
 * refuses them). /proc and /dev are synthetic (synthfs.ts); other paths open
 * on the host, inside the sysroot when there is one.
 */
function sysOpenat(task: Task, a: SyscallArgs): number {
  const flags = a.int(2);
  // O_CREAT|O_EXCL never follows a final symlink (it fails with EEXIST instead).
  const follow = !(flags & O_NOFOLLOW) && (flags & (O_CREAT | O_EXCL)) !== (O_CREAT | O_EXCL);
  const target = lookupAt(task, a.fd(0), readPath(task, a.ptr(1)), follow);
  if (target.synth) {
    if (flags & __O_TMPFILE) return -Errno.EOPNOTSUPP;
    if (flags & O_CREAT && flags & O_EXCL) return -Errno.EEXIST;
    const fd = task.fds.lowestFree(0, task.fdLimit);
    if (fd < 0) return -Errno.EMFILE;
    // Truncating is a write too, which proc files refuse.
    const wantsWrite = !(flags & O_PATH) && ((flags & O_ACCMODE) !== O_RDONLY || (flags & O_TRUNC) !== 0);
    const file = openSynth(task, target.synth, target.path, flags | O_LARGEFILE, wantsWrite, (flags & O_DIRECTORY) !== 0);
    task.fds.installAt(fd, file, (flags & O_CLOEXEC) !== 0);
    return fd;
  }
  return openResolved(task, target.hostPath, flags, a.uint(3) & S_IALLUGO);
}

const VALID_RESOLVE =
  RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH | RESOLVE_IN_ROOT | RESOLVE_CACHED;
/** Flags O_PATH may be combined with in openat2 (O_PATH_FLAGS in fs/open.c). */
const O_PATH_FLAGS = O_DIRECTORY | O_NOFOLLOW | O_PATH | O_CLOEXEC;
const PAGE_SIZE = 4096;

/**
 * openat2(2): struct open_how, checked as build_open_flags does (unknown
 * bits are errors here), then the resolve restrictions applied by a
 * component-by-component walk (resolveScoped).
 */
function sysOpenat2(task: Task, a: SyscallArgs): number {
  const dirfd = a.fd(0);
  const name = readPath(task, a.ptr(1));
  const howPtr = a.ptr(2);
  const size = a.size(3);
  if (size < OPEN_HOW_SIZE_VER0) return -Errno.EINVAL;
  if (size > PAGE_SIZE) return -Errno.E2BIG;
  const raw = task.mem.read(howPtr, size);
  // copy_struct_from_user: a newer, larger struct is fine if the unknown tail is zero.
  if (raw.subarray(OPEN_HOW_SIZE_VER0).some((b) => b !== 0)) return -Errno.E2BIG;
  const r = new StructReader(raw);
  const flags64 = r.u64(0);
  const mode64 = r.u64(8);
  const resolve64 = r.u64(16);
  if (flags64 > 0xffff_ffffn || Number(flags64) & ~VALID_OPEN_FLAGS) return -Errno.EINVAL;
  const flags = Number(flags64);
  if (resolve64 & ~BigInt(VALID_RESOLVE)) return -Errno.EINVAL;
  const resolve = Number(resolve64);
  if (flags & (O_CREAT | __O_TMPFILE)) {
    if (mode64 & ~BigInt(S_IALLUGO)) return -Errno.EINVAL;
  } else if (mode64 !== 0n) {
    return -Errno.EINVAL;
  }
  if (flags & O_PATH && flags & ~O_PATH_FLAGS) return -Errno.EINVAL;
  if (resolve & RESOLVE_BENEATH && resolve & RESOLVE_IN_ROOT) return -Errno.EINVAL;
  if (resolve & RESOLVE_CACHED && flags & (O_TRUNC | O_CREAT | __O_TMPFILE)) return -Errno.EAGAIN;
  const scoped = resolve & (RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH | RESOLVE_IN_ROOT);
  const path = scoped
    ? resolveScoped(task, dirfd, name, resolve, !(flags & O_NOFOLLOW) && !(flags & O_CREAT && flags & O_EXCL))
    : resolveAt(task, dirfd, name);
  return openResolved(task, path, flags, Number(mode64));
}

/**
 * Path walk with openat2's restrictions (fs/namei.c with LOOKUP_BENEATH,
 * LOOKUP_IN_ROOT, LOOKUP_NO_SYMLINKS, LOOKUP_NO_XDEV): every component is
 * looked at on the host, symlinks are expanded here, and the result has
 * no symlink left except possibly an unfollowed last component.
 * RESOLVE_NO_MAGICLINKS needs nothing: elfuse has no magic links.
 */
function resolveScoped(task: Task, dirfd: number, name: string, resolve: number, followLast: boolean): string {
  const fs = task.host.fs;
  const beneath = (resolve & RESOLVE_BENEATH) !== 0;
  const inRoot = (resolve & RESOLVE_IN_ROOT) !== 0;
  const root = dirfd === AT_FDCWD ? '.' : resolveAt(task, dirfd, '');
  const rootDev = fs.stat(root).dev;
  let base = root;
  if (name.startsWith('/')) {
    if (beneath) throw new SyscallError(Errno.EXDEV);
    if (!inRoot) base = '/';
  }
  const parts: string[] = [];
  const queue = name.split('/').filter((c) => c !== '');
  const trailingSlash = name.endsWith('/');
  let links = 0;
  const join = (extra?: string): string => {
    const all = extra === undefined ? parts : [...parts, extra];
    if (all.length === 0) return base;
    return (base.endsWith('/') ? base : `${base}/`) + all.join('/');
  };
  while (queue.length > 0) {
    const c = queue.shift() ?? '';
    if (c === '.') continue;
    if (c === '..') {
      if (parts.length === 0) {
        if (beneath) throw new SyscallError(Errno.EXDEV);
        if (inRoot || base === '/') continue;
        // Above the start of a relative walk: keep the '..' literally.
        base = join('..');
        continue;
      }
      parts.pop();
      continue;
    }
    const here = join(c);
    const last = queue.length === 0;
    let st;
    try {
      st = fs.lstat(here);
    } catch (err) {
      if (last && err instanceof HostError && err.code === 'ENOENT') {
        parts.push(c);
        break;
      }
      throw err;
    }
    if ((st.mode & S_IFMT) === S_IFLNK && (!last || followLast || trailingSlash)) {
      if (resolve & RESOLVE_NO_SYMLINKS) throw new SyscallError(Errno.ELOOP);
      if (++links > MAXSYMLINKS) throw new SyscallError(Errno.ELOOP);
      const target = fs.readlink(here);
      if (target.startsWith('/')) {
        if (beneath) throw new SyscallError(Errno.EXDEV);
        parts.length = 0;
        if (!inRoot) base = '/';
      }
      queue.unshift(...target.split('/').filter((t) => t !== ''));
      continue;
    }
    if (resolve & RESOLVE_NO_XDEV && st.dev !== rootDev) throw new SyscallError(Errno.EXDEV);
    if (!last && (st.mode & S_IFMT) !== S_IFDIR) throw new SyscallError(Errno.ENOTDIR);
    parts.push(c);
  }
  const out = join();
  return trailingSlash && !out.endsWith('/') ? `${out}/` : out;
}

/** faccessat2(2); faccessat(2) is the same with flags 0. AT_EACCESS is moot: real and effective ids match. */
function access(task: Task, dirfd: number, pathPtr: number, mode: number, flags: number): number {
  if (mode & ~7) return -Errno.EINVAL;
  if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -Errno.EINVAL;
  const name = readPath(task, pathPtr, (flags & AT_EMPTY_PATH) !== 0);
  let path: string;
  if (name === '') {
    // AT_EMPTY_PATH with "": the file dirfd refers to (the cwd for AT_FDCWD).
    path = dirfd === AT_FDCWD ? '.' : fileOf(task, dirfd).path;
  } else {
    const target = lookupAt(task, dirfd, name, (flags & AT_SYMLINK_NOFOLLOW) === 0);
    if (target.synth) {
      // Permission bits of the node against the caller; root passes everything but execute of a non-executable.
      const st = synthStat(task, target.synth, target.path);
      if (task.euid === 0) return mode & 1 && !(st.mode & 0o111) ? -Errno.EACCES : 0;
      const granted = st.uid === task.euid ? (st.mode >> 6) & 7 : st.gid === task.egid ? (st.mode >> 3) & 7 : st.mode & 7;
      return (mode & ~granted) === 0 ? 0 : -Errno.EACCES;
    }
    path = target.hostPath;
    if (path === '') return -Errno.ENOENT;
  }
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
  const name = readPath(task, a.ptr(1), true);
  let target: string;
  if (name === '') {
    // Since 2.6.39 "" means the symlink dirfd refers to (opened O_PATH|O_NOFOLLOW).
    if (a.fd(0) === AT_FDCWD) return -Errno.ENOENT;
    const file = fileOf(task, a.fd(0));
    if ((task.host.fs.lstat(file.path).mode & S_IFMT) !== S_IFLNK) return -Errno.ENOENT;
    target = task.host.fs.readlink(file.path);
  } else {
    const found = lookupAt(task, a.fd(0), name, false);
    if (found.synth) {
      if (found.synth.type !== 'link') return -Errno.EINVAL;
      target = found.synth.target();
    } else {
      target = task.host.fs.readlink(found.hostPath);
    }
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

let exchangeCounter = 0;

/**
 * renameat2(2). The checks are do_renameat2's, in its order. Node has only
 * rename(2), so RENAME_NOREPLACE looks before it renames and
 * RENAME_EXCHANGE is three renames through a temporary name: the results
 * are Linux's, but neither is atomic against other host processes.
 * RENAME_WHITEOUT needs CAP_MKNOD (EPERM) and then a filesystem that has
 * whiteouts; elfuse answers as one that has not (EINVAL).
 */
function rename(task: Task, a: SyscallArgs, flags: number): number {
  if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT)) return -Errno.EINVAL;
  if (flags & (RENAME_NOREPLACE | RENAME_WHITEOUT) && flags & RENAME_EXCHANGE) return -Errno.EINVAL;
  if (flags & RENAME_WHITEOUT && task.euid !== 0) return -Errno.EPERM;
  // Nothing in /proc or /dev can be renamed (EPERM); elsewhere the host paths, inside any sysroot.
  const from = changeablePath(task, a.fd(0), readPath(task, a.ptr(1)), Errno.EPERM);
  const to = changeablePath(task, a.fd(2), readPath(task, a.ptr(3)), Errno.EPERM);
  const fs = task.host.fs;
  if (flags === 0) {
    fs.rename(from, to);
    return 0;
  }
  fs.lstat(from); // ENOENT for a missing source comes first
  if (flags & RENAME_WHITEOUT) return -Errno.EINVAL;
  if (flags & RENAME_NOREPLACE) {
    if (lexists(task, to)) return -Errno.EEXIST;
    fs.rename(from, to);
    return 0;
  }
  fs.lstat(to); // RENAME_EXCHANGE: both must exist
  const fromSt = fs.lstat(from);
  const toSt = fs.lstat(to);
  if (fromSt.dev === toSt.dev && fromSt.ino === toSt.ino) return 0;
  if (fromSt.dev !== toSt.dev) return -Errno.EXDEV;
  const slash = from.lastIndexOf('/');
  const tmp = `${slash < 0 ? '' : from.slice(0, slash + 1)}.elfuse-exchange-${task.pid}-${++exchangeCounter}`;
  fs.rename(from, tmp);
  try {
    fs.rename(to, from);
  } catch (err) {
    fs.rename(tmp, from);
    throw err;
  }
  fs.rename(tmp, to);
  return 0;
}

function lexists(task: Task, path: string): boolean {
  try {
    task.host.fs.lstat(path);
    return true;
  } catch (err) {
    if (err instanceof HostError && err.code === 'ENOENT') return false;
    throw err;
  }
}

export const fsPathSyscalls: Readonly<Record<string, SyscallImpl>> = {
  openat: {
    handler: sysOpenat,
    support: 'partial',
    args: ['dirfd', 'str', 'oflags', 'mode'],
    note: 'O_TMPFILE files are created and unlinked (no linkat later); O_PATH keeps only the path',
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
    note: 'NOREPLACE and EXCHANGE are not atomic against other host processes; WHITEOUT is EINVAL',
  },
  openat2: {
    handler: sysOpenat2,
    support: 'full',
    args: ['dirfd', 'str', 'ptr', 'size'],
  },
};
