/**
 * Path-based family (fs/open.c, fs/namei.c, fs/stat.c readlinkat, fs/d_path.c
 * getcwd): openat, openat2 (with its RESOLVE_* walk), faccessat/faccessat2,
 * readlinkat, getcwd, chdir, fchdir, mkdirat, unlinkat, renameat/renameat2.
 * Every path is walked by namei.ts inside the guest's view (fs-context.ts);
 * the host call then names one component relative to a directory fd and
 * follows nothing.
 */

import { HostError, type HostPath, type HostStat } from '../../ports/host.js';
import { Errno } from './errno.js';
import { OpenFile, type FileKind } from './fd-table.js';
import { fileOf, hostOpenFlags, pathBytes, readPath, withHostTarget, withTarget } from './fs-util.js';
import { DirRef, components, type HostTarget, type WalkOptions } from './namei.js';
import { openSynth, synthStat, type SynthNode } from './synthfs.js';
import {
  AT_FDCWD,
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

export function kindOfMode(task: Task, hostFd: number, mode: number): FileKind {
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

const isLink = (st: HostStat | null): boolean => st !== null && (st.mode & S_IFMT) === S_IFLNK;
const isDir = (st: HostStat | null): boolean => st !== null && (st.mode & S_IFMT) === S_IFDIR;

/**
 * O_PATH: a handle on the object without opening it for I/O (fstat, fchdir,
 * *at lookups and AT_EMPTY_PATH work; read and write see EBADF). With
 * O_NOFOLLOW a final symlink is the handle's object.
 */
function openPathOnly(task: Task, t: HostTarget, flags: number): OpenFile {
  if (t.st === null) throw new SyscallError(Errno.ENOENT);
  if (flags & O_DIRECTORY && !isDir(t.st)) throw new SyscallError(Errno.ENOTDIR);
  const hostFd = task.host.fs.openat(t.dirFd, t.name, { access: 'r', pathOnly: true, noFollow: true }, 0);
  const file = new OpenFile(hostFd, t.guestPath, O_PATH | (flags & (O_DIRECTORY | O_NOFOLLOW)), 'path');
  file.layer = t.layer;
  return file;
}

/** The open itself, once the walk has found (or placed) the final name; the host follows nothing. */
function openHost(task: Task, t: HostTarget, flags: number, mode: number): OpenFile {
  if (t.st === null) {
    if (!(flags & O_CREAT)) throw new SyscallError(Errno.ENOENT);
    if (t.trailingSlash) throw new SyscallError(Errno.EISDIR);
  } else if (isDir(t.st) && (flags & O_ACCMODE) !== O_RDONLY) {
    throw new SyscallError(Errno.EISDIR);
  }
  const hostFlags = { ...hostOpenFlags(flags), noFollow: true };
  const hostFd = task.host.fs.openat(t.dirFd, t.name, hostFlags, mode);
  try {
    const kind = kindOfMode(task, hostFd, task.host.fs.fstat(hostFd).mode);
    // 64-bit Linux always adds O_LARGEFILE (force_o_largefile in fs/open.c), and F_GETFL shows it.
    const file = new OpenFile(hostFd, t.guestPath, flags | O_LARGEFILE, kind);
    file.hostNonBlock = (flags & O_NONBLOCK) !== 0;
    file.layer = t.layer;
    return file;
  } catch (err) {
    task.host.fs.close(hostFd);
    throw err;
  }
}

let tmpfileCounter = 0;

/**
 * O_TMPFILE: an unnamed regular file in the directory `t` names. elfuse
 * creates a uniquely named file there and unlinks it at once (macOS has no
 * O_TMPFILE); the open description is then what Linux gives. Deliberate
 * difference: such a file cannot be given a name later with linkat(AT_EMPTY_PATH).
 */
function openTmpfile(task: Task, t: HostTarget, flags: number, mode: number): OpenFile {
  if (t.st === null) throw new SyscallError(Errno.ENOENT);
  if (!isDir(t.st)) throw new SyscallError(Errno.ENOTDIR);
  const fs = task.host.fs;
  const dirFd = fs.openat(t.dirFd, t.name, { access: 'r', directory: true, noFollow: true, pathOnly: true }, 0);
  try {
    for (;;) {
      const name = `.elfuse-tmpfile-${task.pid}-${++tmpfileCounter}`;
      let hostFd: number;
      try {
        const hostFlags = { ...hostOpenFlags((flags & O_ACCMODE) | O_CREAT | O_EXCL), noFollow: true };
        hostFd = fs.openat(dirFd, name, hostFlags, mode);
      } catch (err) {
        if (err instanceof HostError && err.code === 'EEXIST') continue;
        throw err;
      }
      fs.unlinkat(dirFd, name, false);
      const file = new OpenFile(hostFd, `${t.guestPath === '/' ? '' : t.guestPath}/${name}`, (flags & ~O_CREAT) | O_LARGEFILE, 'file');
      file.unlinked = true;
      file.layer = t.layer;
      return file;
    }
  } finally {
    fs.close(dirFd);
  }
}

/** build_open_flags' checks on O_TMPFILE: it needs O_DIRECTORY, no O_CREAT, and write access. */
function checkTmpfileFlags(flags: number): void {
  if ((flags & (__O_TMPFILE | O_DIRECTORY | O_CREAT)) !== O_TMPFILE) throw new SyscallError(Errno.EINVAL);
  const acc = flags & O_ACCMODE;
  if (acc !== O_WRONLY && acc !== O_RDWR) throw new SyscallError(Errno.EINVAL);
}

/** A /proc or /dev node: made-up contents, never created or truncated. */
function openSynthTarget(task: Task, node: SynthNode, path: HostPath, flags: number): OpenFile {
  if (flags & __O_TMPFILE) throw new SyscallError(Errno.EOPNOTSUPP);
  if (flags & O_CREAT && flags & O_EXCL) throw new SyscallError(Errno.EEXIST);
  // Truncating is a write too, which proc files refuse.
  const wantsWrite = !(flags & O_PATH) && ((flags & O_ACCMODE) !== O_RDONLY || (flags & O_TRUNC) !== 0);
  return openSynth(task, node, path, flags | O_LARGEFILE, wantsWrite, (flags & O_DIRECTORY) !== 0);
}

/**
 * The open shared by openat and openat2: checks the flags, walks the path
 * (with openat2's restrictions in `resolve`) and installs the description
 * at the lowest free fd, reserved first so a full table never leaves a
 * host fd open.
 */
function openPath(task: Task, dirfd: number, path: HostPath, flags: number, mode: number, resolve: Omit<WalkOptions, 'follow'> = {}): number {
  if (flags & __O_TMPFILE && !(flags & O_PATH)) checkTmpfileFlags(flags);
  // Since Linux 6.4, O_CREAT|O_DIRECTORY is refused instead of creating a regular file.
  else if ((flags & (O_CREAT | O_DIRECTORY)) === (O_CREAT | O_DIRECTORY) && !(flags & O_PATH)) {
    throw new SyscallError(Errno.EINVAL);
  }
  const fd = task.fds.lowestFree(0, task.fdLimit);
  if (fd < 0) return -Errno.EMFILE;
  // O_CREAT|O_EXCL never follows a final symlink (it fails with EEXIST instead).
  const follow = !(flags & O_NOFOLLOW) && (flags & (O_CREAT | O_EXCL)) !== (O_CREAT | O_EXCL);
  const file = withTarget(task, dirfd, path, { ...resolve, follow }, (t) => {
    if (t.kind === 'synth') return openSynthTarget(task, t.node, t.path, flags);
    if (flags & O_PATH) return openPathOnly(task, t, flags);
    if (flags & __O_TMPFILE) return openTmpfile(task, t, flags, mode);
    return openHost(task, t, flags, mode);
  });
  task.fds.installAt(fd, file, (flags & O_CLOEXEC) !== 0);
  return fd;
}

/**
 * openat(2): unknown flag bits are ignored, as Linux's openat does (openat2
 * refuses them). /proc and /dev are synthetic (synthfs.ts); other paths open
 * on the host, in the sysroot or the host's layer (fs-context.ts).
 */
function sysOpenat(task: Task, a: SyscallArgs): number {
  return openPath(task, a.fd(0), readPath(task, a.ptr(1)), a.int(2), a.uint(3) & S_IALLUGO);
}

const VALID_RESOLVE =
  RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH | RESOLVE_IN_ROOT | RESOLVE_CACHED;
/** Flags O_PATH may be combined with in openat2 (O_PATH_FLAGS in fs/open.c). */
const O_PATH_FLAGS = O_DIRECTORY | O_NOFOLLOW | O_PATH | O_CLOEXEC;
const PAGE_SIZE = 4096;

/**
 * openat2(2): struct open_how, checked as build_open_flags does (unknown
 * bits are errors here), then the resolve restrictions applied by the same
 * walk as every path (namei.ts): RESOLVE_BENEATH and RESOLVE_IN_ROOT make
 * dirfd the walk's root, RESOLVE_NO_SYMLINKS refuses every symlink,
 * RESOLVE_NO_XDEV every change of device. RESOLVE_NO_MAGICLINKS needs
 * nothing: elfuse's /proc links are not magic.
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
  return openPath(task, dirfd, name, flags, Number(mode64), {
    beneath: (resolve & RESOLVE_BENEATH) !== 0,
    inRoot: (resolve & RESOLVE_IN_ROOT) !== 0,
    noSymlinks: (resolve & RESOLVE_NO_SYMLINKS) !== 0,
    noXdev: (resolve & RESOLVE_NO_XDEV) !== 0,
  });
}

/**
 * The object an AT_EMPTY_PATH call with "" names: the one `dirfd` refers
 * to, or the working directory for AT_FDCWD. Made-up nodes have no host fd.
 */
export function emptyPathTarget(task: Task, dirfd: number): { readonly dirFd: number; readonly name: HostPath; readonly file: OpenFile | null } {
  if (dirfd === AT_FDCWD) return { dirFd: task.fsContext.cwd.createFd(task.fsContext), name: '.', file: null };
  const file = fileOf(task, dirfd);
  return { dirFd: file.hostFd, name: '', file };
}

/** faccessat2(2); faccessat(2) is the same with flags 0. AT_EACCESS is moot: real and effective ids match. */
function access(task: Task, dirfd: number, pathPtr: number, mode: number, flags: number): number {
  if (mode & ~7) return -Errno.EINVAL;
  if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -Errno.EINVAL;
  const name = readPath(task, pathPtr, (flags & AT_EMPTY_PATH) !== 0);
  if (name === '') {
    // AT_EMPTY_PATH with "": the file dirfd refers to (the cwd for AT_FDCWD).
    const e = emptyPathTarget(task, dirfd);
    if (e.file?.synth) return synthAccess(task, e.file.synth.node, e.file.path, mode);
    task.host.fs.accessat(e.dirFd, e.name, mode, true);
    return 0;
  }
  const noFollow = (flags & AT_SYMLINK_NOFOLLOW) !== 0;
  return withTarget(task, dirfd, name, { follow: !noFollow }, (t) => {
    if (t.kind === 'synth') return synthAccess(task, t.node, t.path, mode);
    if (t.st === null) return -Errno.ENOENT;
    // AT_SYMLINK_NOFOLLOW: a symlink itself is always accessible if it exists.
    if (isLink(t.st)) return 0;
    task.host.fs.accessat(t.dirFd, t.name, mode, true);
    return 0;
  });
}

/** Permission bits of a made-up node against the caller; root passes everything but execute of a non-executable. */
function synthAccess(task: Task, node: SynthNode, path: HostPath, mode: number): number {
  const st = synthStat(task, node, path);
  if (task.cred.euid === 0) return mode & 1 && !(st.mode & 0o111) ? -Errno.EACCES : 0;
  const granted = st.uid === task.cred.euid ? (st.mode >> 6) & 7 : st.gid === task.cred.egid ? (st.mode >> 3) & 7 : st.mode & 7;
  return (mode & ~granted) === 0 ? 0 : -Errno.EACCES;
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
  let target: HostPath;
  if (name === '') {
    // Since 2.6.39 "" means the symlink dirfd refers to (opened O_PATH|O_NOFOLLOW).
    if (a.fd(0) === AT_FDCWD) return -Errno.ENOENT;
    const file = fileOf(task, a.fd(0));
    if (file.synth) {
      if (file.synth.node.type !== 'link') return -Errno.ENOENT;
      target = file.synth.node.target();
    } else {
      if (!isLink(task.host.fs.fstat(file.hostFd))) return -Errno.ENOENT;
      target = task.host.fs.readlinkat(file.hostFd, '');
    }
  } else {
    target = withTarget(task, a.fd(0), name, { follow: false }, (t) => {
      if (t.kind === 'synth') {
        if (t.node.type !== 'link') throw new SyscallError(Errno.EINVAL);
        return t.node.target();
      }
      if (t.st === null) throw new SyscallError(Errno.ENOENT);
      if (!isLink(t.st)) throw new SyscallError(Errno.EINVAL);
      return task.host.fs.readlinkat(t.dirFd, t.name);
    });
  }
  const bytes = pathBytes(target).subarray(0, bufsiz);
  task.mem.write(a.ptr(2), bytes);
  return bytes.length;
}

/** getcwd(2): the length including the NUL; ERANGE when it does not fit. The guest's path of its working directory. */
function sysGetcwd(task: Task, a: SyscallArgs): number {
  const cwd = pathBytes(task.fsContext.cwdGuestPath);
  const size = a.size(1);
  if (cwd.length + 1 > size) return -Errno.ERANGE;
  const out = new Uint8Array(cwd.length + 1);
  out.set(cwd);
  task.mem.write(a.ptr(0), out);
  return out.length;
}

const X_OK = 1;

/** chdir(2): the directory must allow search (EACCES), as set_fs_pwd's caller checks. */
function sysChdir(task: Task, a: SyscallArgs): number {
  const ctx = task.fsContext;
  const ref = withTarget(task, AT_FDCWD, readPath(task, a.ptr(0)), { follow: true }, (t) => {
    // /proc and /dev are not somewhere the guest's cwd can be (a known gap).
    if (t.kind === 'synth') throw new SyscallError(t.node.type === 'dir' ? Errno.ENOSYS : Errno.ENOTDIR);
    if (t.st === null) throw new SyscallError(Errno.ENOENT);
    if (!isDir(t.st)) throw new SyscallError(Errno.ENOTDIR);
    task.host.fs.accessat(t.dirFd, t.name, X_OK, true);
    return ctx.openDirRef(t);
  });
  ctx.setCwd(ref);
  return 0;
}

/** fchdir(2): to the directory the fd refers to; an O_PATH handle of a symlink is not one (ENOTDIR). */
function sysFchdir(task: Task, a: SyscallArgs): number {
  const file = fileOf(task, a.fd(0));
  if (file.synth) return -Errno.ENOTDIR;
  if (file.kind !== 'dir' && file.kind !== 'path') return -Errno.ENOTDIR;
  const fs = task.host.fs;
  if (!isDir(fs.fstat(file.hostFd))) return -Errno.ENOTDIR;
  fs.accessat(file.hostFd, '', X_OK, true);
  const ctx = task.fsContext;
  const fd = fs.openat(file.hostFd, '.', { access: 'r', directory: true, pathOnly: true }, 0);
  const guest = components(file.path);
  ctx.setCwd(file.layer === 'sysroot' ? new DirRef(guest, fd, undefined, true, false) : new DirRef(guest, null, fd, false, true));
  return 0;
}

/** mkdirat(2); the host applies the umask. */
function sysMkdirat(task: Task, a: SyscallArgs): number {
  const mode = a.uint(2) & 0o7777;
  return withHostTarget(task, a.fd(0), readPath(task, a.ptr(1)), { follow: false }, Errno.EEXIST, (t) => {
    if (t.st !== null) return -Errno.EEXIST;
    task.host.fs.mkdirat(t.dirFd, t.name, mode);
    return 0;
  });
}

/** unlinkat(2). Linux says EISDIR for unlink on a directory where macOS says EPERM. */
function sysUnlinkat(task: Task, a: SyscallArgs): number {
  const flags = a.int(2);
  if (flags & ~AT_REMOVEDIR) return -Errno.EINVAL;
  const rmdir = (flags & AT_REMOVEDIR) !== 0;
  return withHostTarget(task, a.fd(0), readPath(task, a.ptr(1)), { follow: false }, Errno.EPERM, (t) => {
    if (rmdir) {
      // do_rmdir: '.' is EINVAL, '..' ENOTEMPTY, the root EBUSY.
      if (t.lastType === 'dot') return -Errno.EINVAL;
      if (t.lastType === 'dotdot') return -Errno.ENOTEMPTY;
      if (t.lastType === 'root') return -Errno.EBUSY;
      if (t.st === null) return -Errno.ENOENT;
      task.host.fs.unlinkat(t.dirFd, t.name, true);
    } else {
      if (t.lastType !== 'normal') return -Errno.EISDIR;
      if (t.st === null) return -Errno.ENOENT;
      if (isDir(t.st)) return -Errno.EISDIR;
      task.host.fs.unlinkat(t.dirFd, t.name, false);
    }
    // A sysroot name gone must not uncover the host's name under it.
    if (t.layer === 'sysroot') task.fsContext.whiteout(t.parent, t.name);
    return 0;
  });
}

/**
 * renameat2(2). The checks are do_renameat2's, in its order.
 * RENAME_NOREPLACE and RENAME_EXCHANGE are the host's own, atomic.
 * RENAME_WHITEOUT needs CAP_MKNOD (EPERM) and then a filesystem that has
 * whiteouts; elfuse answers as one that has not (EINVAL).
 */
function rename(task: Task, a: SyscallArgs, flags: number): number {
  if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT)) return -Errno.EINVAL;
  if (flags & (RENAME_NOREPLACE | RENAME_WHITEOUT) && flags & RENAME_EXCHANGE) return -Errno.EINVAL;
  if (flags & RENAME_WHITEOUT && task.cred.euid !== 0) return -Errno.EPERM;
  const oldName = readPath(task, a.ptr(1));
  const newName = readPath(task, a.ptr(3));
  // Nothing in /proc or /dev can be renamed (EPERM); elsewhere both names, in whichever layer holds them.
  return withHostTarget(task, a.fd(0), oldName, { follow: false }, Errno.EPERM, (from) =>
    withHostTarget(task, a.fd(2), newName, { follow: false }, Errno.EPERM, (to) => {
      if (from.lastType !== 'normal' || to.lastType !== 'normal') return -Errno.EBUSY;
      if (from.st === null) return -Errno.ENOENT;
      if (flags & RENAME_WHITEOUT) return -Errno.EINVAL;
      if (flags & RENAME_EXCHANGE && to.st === null) return -Errno.ENOENT;
      const mode = flags & RENAME_EXCHANGE ? 'exchange' : flags & RENAME_NOREPLACE ? 'noreplace' : 'replace';
      task.host.fs.renameat(from.dirFd, from.name, to.dirFd, to.name, mode);
      if (from.layer === 'sysroot' && mode !== 'exchange') task.fsContext.whiteout(from.parent, from.name);
      return 0;
    }),
  );
}

export const fsPathSyscalls: Readonly<Record<string, SyscallImpl>> = {
  openat: {
    handler: sysOpenat,
    support: 'partial',
    args: ['dirfd', 'str', 'oflags', 'mode'],
    note: 'O_TMPFILE files are created and unlinked (no linkat later)',
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
    note: 'WHITEOUT is EINVAL (no whiteouts)',
  },
  openat2: {
    handler: sysOpenat2,
    support: 'full',
    args: ['dirfd', 'str', 'ptr', 'size'],
  },
};
