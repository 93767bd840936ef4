/**
 * Helpers shared by the filesystem syscall families: reading a guest path,
 * resolving it against a dirfd (the *at(2) rules), looking up an fd, mapping
 * Linux open flags to the host port's neutral flags, and converting a host
 * stat into the kernel's KStat.
 */

import type { HostFileType, HostOpenFlags, HostStat } from '../../ports/host.js';
import { Errno } from './errno.js';
import type { OpenFile } from './fd-table.js';
import {
  AT_FDCWD,
  DT_BLK,
  DT_CHR,
  DT_DIR,
  DT_FIFO,
  DT_LNK,
  DT_REG,
  DT_SOCK,
  DT_UNKNOWN,
  O_ACCMODE,
  O_CREAT,
  O_DIRECTORY,
  O_DSYNC,
  O_EXCL,
  O_NOCTTY,
  O_NOFOLLOW,
  O_NONBLOCK,
  O_RDONLY,
  O_RDWR,
  O_TRUNC,
  O_WRONLY,
  __O_SYNC,
  type KStat,
} from './linux-abi.js';
import { SyscallError } from './syscall-args.js';
import { synthAt, synthStat, type SynthNode } from './synthfs.js';
import type { Task } from './task.js';

/** PATH_MAX from linux/limits.h, including the NUL. */
export const PATH_MAX = 4096;

const utf8 = new TextDecoder();
const utf8Encoder = new TextEncoder();

export function encodeUtf8(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

/**
 * The guest C string at `ptr` as a host path (getname() in fs/namei.c):
 * EFAULT on a bad pointer (thrown by the memory accessor), ENAMETOOLONG past
 * PATH_MAX, ENOENT for "" unless the caller allows an empty path.
 */
export function readPath(task: Task, ptr: number, allowEmpty = false): string {
  const bytes = readCStringChecked(task, ptr, PATH_MAX);
  if (bytes.length === 0 && !allowEmpty) throw new SyscallError(Errno.ENOENT);
  return utf8.decode(bytes);
}

/** A guest C string of at most maxLen - 1 bytes, else ENAMETOOLONG. */
export function readCStringChecked(task: Task, ptr: number, maxLen: number): Uint8Array {
  const bytes = task.mem.readCString(ptr, maxLen);
  if (bytes.length >= maxLen) throw new SyscallError(Errno.ENAMETOOLONG);
  return bytes;
}

/** The open file description behind `fd`, or EBADF. */
export function fileOf(task: Task, fd: number): OpenFile {
  const file = task.fds.get(fd);
  if (!file) throw new SyscallError(Errno.EBADF);
  return file;
}

/**
 * The host path `path` names relative to `dirfd` (the *at(2) rules):
 * absolute paths and AT_FDCWD pass through (the guest's cwd is the host
 * process's cwd); otherwise dirfd must be an open directory (EBADF,
 * ENOTDIR). With a sysroot, absolute paths, and relative ones from a
 * directory inside the sysroot, resolve under it (see sysroot.ts); a final
 * symlink is resolved there too when `followFinal` says the call follows it.
 */
export function resolveAt(task: Task, dirfd: number, path: string, followFinal = false): string {
  const root = task.root;
  if (path.startsWith('/')) return root ? root.resolve(path, followFinal) : path;
  let base: string;
  if (dirfd === AT_FDCWD) {
    if (!root) return path;
    base = task.host.process.cwd();
  } else {
    const dir = fileOf(task, dirfd);
    if (dir.kind !== 'dir' && !isPathDir(task, dir)) throw new SyscallError(Errno.ENOTDIR);
    if (path === '') return dir.path;
    base = dir.path;
    if (!root) return base.endsWith('/') ? base + path : `${base}/${path}`;
  }
  // Relative to a directory inside the sysroot: `..` and symlinks stay inside it.
  if (root.contains(base)) return root.resolve(`${root.toGuest(base)}/${path}`, followFinal, false);
  if (path === '') return base;
  if (dirfd === AT_FDCWD) return path;
  return base.endsWith('/') ? base + path : `${base}/${path}`;
}

/** What a guest path names: a synthetic /proc or /dev node, or a host path. */
export type PathTarget = { readonly synth: SynthNode; readonly path: string } | { readonly synth?: undefined; readonly hostPath: string };

/**
 * The one lookup for path-taking syscalls: /proc and /dev first (synthfs.ts,
 * which may lead back out, as /proc/self/exe does), else resolveAt.
 */
export function lookupAt(task: Task, dirfd: number, path: string, followFinal: boolean): PathTarget {
  const found = synthAt(task, dirfd, path, followFinal);
  if (!found) return { hostPath: resolveAt(task, dirfd, path, followFinal) };
  if ('redirect' in found) return { hostPath: resolveAt(task, AT_FDCWD, found.redirect, followFinal) };
  if (found.node.type === 'host') return { hostPath: found.node.hostPath };
  return { synth: found.node, path: found.path };
}

/**
 * The host path a name-changing call (mkdir, unlink, rename) works on. /proc
 * and /dev are made up, so nothing there can be created or removed: an
 * existing node answers `existing` (EEXIST for mkdir, EPERM for removal, as
 * proc does), a missing one ENOENT, and the host's own /dev is never touched.
 */
export function changeablePath(task: Task, dirfd: number, path: string, existing: number, followFinal = false): string {
  const target = lookupAt(task, dirfd, path, followFinal);
  if (target.synth) throw new SyscallError(existing);
  return target.hostPath;
}

/** The guest's name for a host path: inside the sysroot, the path under it. */
export function guestPathOf(task: Task, hostPath: string): string {
  return task.root ? task.root.toGuest(hostPath) : hostPath;
}

/** An O_PATH description may name a directory too. */
function isPathDir(task: Task, file: OpenFile): boolean {
  if (file.kind !== 'path') return false;
  return (task.host.fs.stat(file.path).mode & 0o170000) === 0o040000;
}

/** Linux O_* bits to the host port's flags; EINVAL for access mode 3 (not supported here). */
export function hostOpenFlags(flags: number): HostOpenFlags {
  const accmode = flags & O_ACCMODE;
  if (accmode !== O_RDONLY && accmode !== O_WRONLY && accmode !== O_RDWR) throw new SyscallError(Errno.EINVAL);
  const access = accmode === O_RDONLY ? 'r' : accmode === O_WRONLY ? 'w' : 'rw';
  return {
    access,
    create: (flags & O_CREAT) !== 0,
    exclusive: (flags & O_EXCL) !== 0,
    truncate: (flags & O_TRUNC) !== 0,
    // Never O_APPEND on the host: elfuse appends itself, so F_SETFL can switch it (fs-io.ts).
    append: false,
    directory: (flags & O_DIRECTORY) !== 0,
    noFollow: (flags & O_NOFOLLOW) !== 0,
    nonBlock: (flags & O_NONBLOCK) !== 0,
    noCtty: (flags & O_NOCTTY) !== 0,
    sync: (flags & __O_SYNC) !== 0,
    dsync: (flags & O_DSYNC) !== 0,
  };
}

export function kstatFromHost(st: HostStat): KStat {
  return {
    dev: st.dev,
    ino: st.ino,
    mode: st.mode,
    nlink: st.nlink,
    uid: st.uid,
    gid: st.gid,
    rdev: st.rdev,
    size: st.size,
    blksize: st.blksize,
    blocks: st.blocks,
    atimeNs: st.atimeNs,
    mtimeNs: st.mtimeNs,
    ctimeNs: st.ctimeNs,
    btimeNs: st.birthtimeNs,
  };
}

/** stat of whatever the description refers to; O_PATH descriptions have only a path. */
export function statOpenFile(task: Task, file: OpenFile): HostStat {
  if (file.synth) return synthStat(task, file.synth.node, file.path);
  // An O_PATH|O_NOFOLLOW description of a symlink refers to the link itself.
  if (file.hostFd < 0) return file.flags & O_NOFOLLOW ? task.host.fs.lstat(file.path) : task.host.fs.stat(file.path);
  return task.host.fs.fstat(file.hostFd);
}

const D_TYPE: Readonly<Record<HostFileType, number>> = {
  file: DT_REG,
  dir: DT_DIR,
  symlink: DT_LNK,
  chr: DT_CHR,
  blk: DT_BLK,
  fifo: DT_FIFO,
  socket: DT_SOCK,
  unknown: DT_UNKNOWN,
};

export function direntType(type: HostFileType): number {
  return D_TYPE[type];
}
