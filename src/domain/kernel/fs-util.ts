/**
 * Helpers shared by the filesystem syscall families: reading a guest path,
 * resolving it against a dirfd (the *at(2) rules), looking up an fd, mapping
 * Linux open flags to the host port's neutral flags, and converting a host
 * stat into the kernel's KStat.
 */

import { HostError, type HostFileType, type HostOpenFlags, type HostPath, type HostStat } from '../../ports/host.js';
import { Errno } from './errno.js';
import type { OpenFile } from './fd-table.js';
import {
  AT_FDCWD,
  MAXSYMLINKS,
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
  O_APPEND,
  O_DIRECT,
  O_NONBLOCK,
  O_PATH,
  O_RDONLY,
  O_RDWR,
  O_TRUNC,
  O_WRONLY,
  __O_SYNC,
  type KStat,
} from './linux-abi.js';
import { SyscallError } from './syscall-args.js';
import { DirRef, components, walkPath, type HostTarget, type WalkOptions } from './namei.js';
import { synthAt, synthLookup, synthStat, type SynthNode } from './synthfs.js';
import type { Task } from './task.js';

/** PATH_MAX from linux/limits.h, including the NUL. */
export const PATH_MAX = 4096;

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

/** Retries of an operation whose target another process turned into a symlink after the walk. */
const MAX_RACE_RETRIES = 8;

const utf8Encoder = new TextEncoder();

export function encodeUtf8(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

/** Bytes as a HostPath (one character per byte, never decoded). */
export function hostPathOf(bytes: Uint8Array): HostPath {
  let out = '';
  for (let i = 0; i < bytes.length; i += 8192) out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return out;
}

/** A HostPath's bytes. */
export function pathBytes(path: HostPath): Uint8Array {
  const out = new Uint8Array(path.length);
  for (let i = 0; i < path.length; i++) out[i] = path.charCodeAt(i);
  return out;
}

/** A HostPath for a message: UTF-8 where it is, the rest as \xNN. */
export function displayPath(path: HostPath): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(pathBytes(path));
  } catch {
    return path.replace(/[\x80-\xff]/g, (c) => `\\x${c.charCodeAt(0).toString(16)}`);
  }
}

/**
 * The guest C string at `ptr` as a path (getname() in fs/namei.c), as bytes:
 * EFAULT on a bad pointer (thrown by the memory accessor), ENAMETOOLONG past
 * PATH_MAX, ENOENT for "" unless the caller allows an empty path.
 */
export function readPath(task: Task, ptr: number, allowEmpty = false): HostPath {
  const bytes = readCStringChecked(task, ptr, PATH_MAX);
  if (bytes.length === 0 && !allowEmpty) throw new SyscallError(Errno.ENOENT);
  return hostPathOf(bytes);
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

/** What a guest path names: a synthetic /proc or /dev node, or a host object (namei.ts). */
export type PathTarget = { readonly kind: 'synth'; readonly node: SynthNode; readonly path: HostPath } | HostTarget;

/** The directory an open description refers to, as a walk's starting point (ENOTDIR otherwise). */
export function dirRefOf(task: Task, file: OpenFile): DirRef {
  if (file.hostFd < 0 || !isDirectory(task, file)) throw new SyscallError(Errno.ENOTDIR);
  const guest = components(file.path);
  return file.layer === 'sysroot' ? new DirRef(guest, file.hostFd, undefined, false, false) : new DirRef(guest, null, file.hostFd, false, false);
}

function isDirectory(task: Task, file: OpenFile): boolean {
  if (file.kind === 'dir') return true;
  return file.kind === 'path' && (task.host.fs.fstat(file.hostFd).mode & S_IFMT) === S_IFDIR;
}

/**
 * The one lookup for path-taking syscalls (the *at(2) rules): absolute
 * paths from the guest root, relative ones from the cwd (AT_FDCWD) or the
 * directory `dirfd` refers to (EBADF, ENOTDIR). /proc and /dev are made up
 * (synthfs.ts); a symlink there may lead back out (/proc/self/exe).
 */
export function lookupAt(task: Task, dirfd: number, path: HostPath, opts: WalkOptions, hops = 0): PathTarget {
  // Each trip through /proc that leads back out (/proc/self/cwd/...) counts as a symlink.
  if (hops > MAXSYMLINKS) throw new SyscallError(Errno.ELOOP);
  const ctx = task.fsContext;
  let start: DirRef;
  let adhoc: DirRef | null = null;
  if (path.startsWith('/')) {
    start = ctx.root;
    // A scoped walk (openat2's RESOLVE_IN_ROOT/BENEATH) is rooted at dirfd, the cwd for AT_FDCWD (path_init).
    if (opts.beneath || opts.inRoot) {
      if (dirfd === AT_FDCWD) start = ctx.cwd;
      else {
        adhoc = dirRefOf(task, fileOf(task, dirfd));
        start = adhoc;
      }
    }
  } else if (dirfd === AT_FDCWD) {
    start = ctx.cwd;
  } else {
    const dir = fileOf(task, dirfd);
    if (dir.synth) {
      const found = synthAt(task, dir, path, opts.follow);
      if ('node' in found) return { kind: 'synth', node: found.node, path: found.path };
      return lookupAt(task, AT_FDCWD, found.redirect, opts, hops + 1);
    }
    adhoc = dirRefOf(task, dir);
    start = adhoc;
  }
  let t: HostTarget | { kind: 'synth'; path: HostPath };
  try {
    t = walkPath(ctx, start, path, opts);
  } catch (err) {
    adhoc?.dispose(task.host.fs);
    throw err;
  }
  if (t.kind === 'synth') {
    adhoc?.dispose(task.host.fs);
    const found = synthLookup(task, t.path, opts.follow);
    if (!('node' in found)) return lookupAt(task, AT_FDCWD, found.redirect, opts, hops + 1);
    if (found.node.type === 'host') return hostNodeTarget(task, found.node.hostPath, found.path);
    return { kind: 'synth', node: found.node, path: found.path };
  }
  if (!adhoc) return t;
  const release = t.release;
  const owned = adhoc;
  return {
    ...t,
    release: () => {
      release();
      owned.dispose(task.host.fs);
    },
  };
}

/** lstat of a host path outside the guest's view (the host's /dev/null, /dev/tty), by its parent directory. */
export function statHostPath(task: Task, hostPath: HostPath): HostStat {
  const fs = task.host.fs;
  const slash = hostPath.lastIndexOf('/');
  const dirFd = fs.openRoot(hostPath.slice(0, slash) || '/');
  try {
    return fs.statat(dirFd, hostPath.slice(slash + 1), false);
  } finally {
    fs.close(dirFd);
  }
}

/** lstat of a name that may not exist yet (a file created in /dev/shm): null when it does not. */
function statOrNull(fs: Task['host']['fs'], dirFd: number, name: string): HostStat | null {
  try {
    return fs.statat(dirFd, name, true);
  } catch (err) {
    if (err instanceof HostError && err.code === 'ENOENT') return null;
    throw err;
  }
}

/**
 * A node of /dev that is a host file (/dev/tty, the controlling terminal) or
 * lies in a host directory (/dev/shm, where shm_open makes its objects):
 * the host's own path, opened by its parent directory as any target.
 */
function hostNodeTarget(task: Task, hostPath: HostPath, guestPath: HostPath): HostTarget {
  const fs = task.host.fs;
  const slash = hostPath.lastIndexOf('/');
  const dirFd = fs.openRoot(hostPath.slice(0, slash) || '/');
  const name = hostPath.slice(slash + 1);
  try {
    const parent = new DirRef(components(hostPath.slice(0, slash)), null, dirFd, false, true);
    return {
      kind: 'host',
      dirFd,
      name,
      st: statOrNull(fs, dirFd, name),
      layer: 'host',
      guestPath,
      parent,
      lastType: 'normal',
      trailingSlash: false,
      release: () => parent.dispose(fs),
    };
  } catch (err) {
    fs.close(dirFd);
    throw err;
  }
}

/**
 * Looks `path` up and runs `op` on what it names, closing what the walk
 * opened afterwards. An operation that follows a final symlink asks the
 * host with O_NOFOLLOW/AT_SYMLINK_NOFOLLOW on a name the walk saw as no
 * symlink; if another process swapped one in meanwhile the host says ELOOP,
 * and the lookup is done again.
 */
export function withTarget<T>(task: Task, dirfd: number, path: HostPath, opts: WalkOptions, op: (t: PathTarget) => T): T {
  for (let tries = 0; ; tries++) {
    const t = lookupAt(task, dirfd, path, opts);
    try {
      return op(t);
    } catch (err) {
      const raced =
        t.kind === 'host' && opts.follow && (t.st === null || (t.st.mode & S_IFMT) !== S_IFLNK) && err instanceof HostError && err.code === 'ELOOP';
      if (!raced || tries >= MAX_RACE_RETRIES) throw err;
    } finally {
      if (t.kind === 'host') t.release();
    }
  }
}

/** Like withTarget, for calls that change names: nothing in /proc or /dev can be created or removed. */
export function withHostTarget<T>(task: Task, dirfd: number, path: HostPath, opts: WalkOptions, existing: number, op: (t: HostTarget) => T): T {
  return withTarget(task, dirfd, path, opts, (t) => {
    // An existing node answers `existing` (EEXIST for mkdir, EPERM for removal, as proc does).
    if (t.kind === 'synth') throw new SyscallError(existing);
    return op(t);
  });
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
    // O_APPEND is the host description's, so a fork child appends as its parent does.
    append: (flags & O_APPEND) !== 0,
    directory: (flags & O_DIRECTORY) !== 0,
    noFollow: (flags & O_NOFOLLOW) !== 0,
    nonBlock: (flags & O_NONBLOCK) !== 0,
    pathOnly: (flags & O_PATH) !== 0,
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

/** An anon inode (fs/anon_inodes.c): mode 0600 without a file type, owned by the caller. */
function anonStat(task: Task, mode = 0o600): HostStat {
  return {
    dev: 0n, ino: 0n, mode, nlink: 1, uid: task.host.process.euid, gid: task.host.process.egid, rdev: 0n,
    size: 0n, blksize: 4096, blocks: 0n, atimeNs: 0n, mtimeNs: 0n, ctimeNs: 0n, birthtimeNs: 0n,
  };
}

/** stat of whatever the description refers to (an O_PATH|O_NOFOLLOW description of a symlink: the link). */
export function statOpenFile(task: Task, file: OpenFile): HostStat {
  if (file.synth) return synthStat(task, file.synth.node, file.path);
  if (file.event) return anonStat(task, file.event.mode);
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

/** The file offset now: the host description's, or elfuse's own for made-up nodes and directories. */
export function filePosition(task: Task, file: OpenFile): bigint {
  return file.hostOffset ? task.host.fs.seek(file.hostFd, 0n, 'cur') : file.offset;
}

/**
 * The status flags F_GETFL reports. Where the host description carries
 * them, O_APPEND, O_NONBLOCK and (pipes) O_DIRECT are the host's: another
 * process sharing the description may have changed them.
 */
export function statusFlags(task: Task, file: OpenFile): number {
  if (!file.sharesFlags) return file.flags;
  const host = task.host.fs.statusFlags(file.hostFd);
  const direct = file.kind === 'fifo' ? O_DIRECT : 0;
  let flags = file.flags & ~(O_APPEND | O_NONBLOCK | direct);
  if (host.append) flags |= O_APPEND;
  if (host.nonBlock) flags |= O_NONBLOCK;
  if (host.direct) flags |= direct;
  file.flags = flags;
  return flags;
}
