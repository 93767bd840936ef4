/**
 * Inode and namespace operations beyond open and stat (fs/namei.c,
 * fs/open.c, fs/utimes.c, fs/statfs.c, fs/sync.c): mknodat, symlinkat,
 * linkat, fchmodat/fchmodat2/fchmod, fchownat/fchown, utimensat, truncate/ftruncate,
 * fallocate, fsync/fdatasync/sync/syncfs and statfs/fstatfs. Each checks its
 * arguments as Linux does, then asks the host.
 */

import { Errno } from './errno.js';
import type { OpenFile } from './fd-table.js';
import type { HostPath, HostStat, HostStatfs, HostTime } from '../../ports/host.js';
import { emptyPathTarget } from './fs-path.js';
import { fileOf, readPath, statOpenFile, withHostTarget, withTarget } from './fs-util.js';
import {
  AT_EMPTY_PATH,
  AT_FDCWD,
  AT_SYMLINK_FOLLOW,
  AT_SYMLINK_NOFOLLOW,
  FALLOC_FL_COLLAPSE_RANGE,
  FALLOC_FL_INSERT_RANGE,
  FALLOC_FL_KEEP_SIZE,
  FALLOC_FL_NO_HIDE_STALE,
  FALLOC_FL_PUNCH_HOLE,
  FALLOC_FL_UNSHARE_RANGE,
  FALLOC_FL_ZERO_RANGE,
  SIZEOF_STATFS,
  SIZEOF_TIMESPEC,
  ST_VALID,
  S_IFBLK,
  S_IFCHR,
  S_IFDIR,
  S_IFIFO,
  S_IFLNK,
  S_IFMT,
  S_IFREG,
  S_IFSOCK,
  StatfsOffset,
  StructReader,
  StructWriter,
  UTIME_NOW,
  UTIME_OMIT,
} from './linux-abi.js';
import { OFFSET_MAX } from './file-locks.js';
import { SyscallError, type SyscallArgs, type SyscallImpl } from './syscall-args.js';
import type { Task } from './task.js';
import { afterFileWrite } from './mm.js';

/** The process umask, read without changing it. */
export function currentUmask(task: Task): number {
  const mask = task.host.process.umask(0);
  task.host.process.umask(mask);
  return mask;
}

const isDir = (st: HostStat | null): boolean => st !== null && (st.mode & S_IFMT) === S_IFDIR;

/**
 * mknodat(2): regular files and FIFOs. Device nodes need CAP_MKNOD, which a
 * non-root guest lacks (EPERM); for root they are refused the same way,
 * since elfuse does not make host device nodes. Sockets are made by bind(2),
 * not here (EOPNOTSUPP). The host applies the umask (the guest's).
 */
function sysMknodat(task: Task, a: SyscallArgs): number {
  const mode = a.uint(2);
  const type = mode & S_IFMT;
  // may_mknod: the type decides first.
  if (type === S_IFDIR) return -Errno.EPERM;
  if (type !== 0 && type !== S_IFREG && type !== S_IFCHR && type !== S_IFBLK && type !== S_IFIFO && type !== S_IFSOCK) {
    return -Errno.EINVAL;
  }
  const perm = mode & 0o7777;
  return withHostTarget(task, a.fd(0), readPath(task, a.ptr(1)), { follow: false }, Errno.EEXIST, (t) => {
    // filename_create: the name must be free.
    if (t.st !== null || t.lastType !== 'normal') return -Errno.EEXIST;
    switch (type) {
      case 0:
      case S_IFREG:
        task.host.fs.close(task.host.fs.openat(t.dirFd, t.name, { access: 'w', create: true, exclusive: true, noFollow: true }, perm));
        return 0;
      case S_IFIFO:
        task.host.fs.mkfifoat(t.dirFd, t.name, perm);
        return 0;
      case S_IFCHR:
      case S_IFBLK:
        return -Errno.EPERM;
      default:
        return -Errno.EOPNOTSUPP;
    }
  });
}

/** symlinkat(2): the target is stored as given; elfuse resolves it inside the guest's view when it is followed. */
function sysSymlinkat(task: Task, a: SyscallArgs): number {
  const target = readPath(task, a.ptr(0));
  return withHostTarget(task, a.fd(1), readPath(task, a.ptr(2)), { follow: false }, Errno.EEXIST, (t) => {
    if (t.st !== null || t.lastType !== 'normal') return -Errno.EEXIST;
    task.host.fs.symlinkat(target, t.dirFd, t.name);
    return 0;
  });
}

/**
 * linkat(2). AT_EMPTY_PATH links the file dirfd refers to (allowed for a
 * file this process opened, as since Linux 6.10); AT_SYMLINK_FOLLOW links
 * a symlink's target (found by elfuse's walk) instead of the symlink. The
 * host is only ever asked to link the object itself.
 */
function sysLinkat(task: Task, a: SyscallArgs): number {
  const flags = a.int(4);
  if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) return -Errno.EINVAL;
  const oldName = readPath(task, a.ptr(1), (flags & AT_EMPTY_PATH) !== 0);
  const newName = readPath(task, a.ptr(3));
  const linkTo = (fromFd: number, fromName: HostPath): number =>
    withHostTarget(task, a.fd(2), newName, { follow: false }, Errno.EEXIST, (to) => {
      if (to.st !== null || to.lastType !== 'normal') return -Errno.EEXIST;
      task.host.fs.linkat(fromFd, fromName, to.dirFd, to.name);
      return 0;
    });
  if (oldName === '') {
    if (a.fd(0) === AT_FDCWD) return -Errno.ENOENT;
    const file = fileOf(task, a.fd(0));
    if (file.unlinked || file.synth) return -Errno.ENOENT;
    if (isDir(statOpenFile(task, file))) return -Errno.EPERM;
    return linkTo(file.hostFd, '');
  }
  return withHostTarget(task, a.fd(0), oldName, { follow: (flags & AT_SYMLINK_FOLLOW) !== 0 }, Errno.EPERM, (from) => {
    if (from.st === null) return -Errno.ENOENT;
    if (isDir(from.st)) return -Errno.EPERM;
    return linkTo(from.dirFd, from.name);
  });
}

/** A descriptor that must refer to an opened file, not an O_PATH handle (fdget, not fdget_raw). */
function realFile(task: Task, fd: number): OpenFile {
  const file = fileOf(task, fd);
  if (file.kind === 'path' || file.hostFd < 0) throw new SyscallError(Errno.EBADF);
  return file;
}

/**
 * fchmodat(2) and fchmodat2(2) (do_fchmodat): fchmodat has no flags
 * argument, so a final symlink is followed (by elfuse's walk). A symlink's
 * own mode cannot change (notify_change: EOPNOTSUPP, before the owner check).
 */
function chmodAt(task: Task, dirfd: number, pathPtr: number, mode: number, flags: number): number {
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -Errno.EINVAL;
  mode &= 0o7777;
  const name = readPath(task, pathPtr, (flags & AT_EMPTY_PATH) !== 0);
  if (name === '') {
    const e = emptyPathTarget(task, dirfd);
    if (e.file?.synth) return -Errno.EPERM;
    // An O_PATH descriptor of a symlink names the link itself.
    if (e.file && (task.host.fs.fstat(e.dirFd).mode & S_IFMT) === S_IFLNK) return -Errno.EOPNOTSUPP;
    task.host.fs.chmodat(e.dirFd, e.name, mode, true);
    return 0;
  }
  return withHostTarget(task, dirfd, name, { follow: (flags & AT_SYMLINK_NOFOLLOW) === 0 }, Errno.EPERM, (t) => {
    if (t.st === null) return -Errno.ENOENT;
    if ((t.st.mode & S_IFMT) === S_IFLNK) return -Errno.EOPNOTSUPP;
    task.host.fs.chmodat(t.dirFd, t.name, mode, true);
    return 0;
  });
}

/** fchmod(2) */
function sysFchmod(task: Task, a: SyscallArgs): number {
  task.host.fs.fchmod(realFile(task, a.fd(0)).hostFd, a.uint(1) & 0o7777);
  return 0;
}

/** uid_t/gid_t as the kernel reads them: -1 (0xffffffff) leaves the id unchanged. */
function ownerId(a: SyscallArgs, i: number): number {
  const id = a.uint(i);
  return id === 0xffff_ffff ? -1 : id;
}

/** fchownat(2): AT_EMPTY_PATH with "" changes dirfd's object itself (an O_PATH handle of a symlink: the link). */
function sysFchownat(task: Task, a: SyscallArgs): number {
  const flags = a.int(4);
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -Errno.EINVAL;
  const name = readPath(task, a.ptr(1), (flags & AT_EMPTY_PATH) !== 0);
  const uid = ownerId(a, 2);
  const gid = ownerId(a, 3);
  if (name === '') {
    const e = emptyPathTarget(task, a.fd(0));
    if (e.file?.synth) return -Errno.EPERM;
    task.host.fs.chownat(e.dirFd, e.name, uid, gid, true);
    return 0;
  }
  const follow = (flags & AT_SYMLINK_NOFOLLOW) === 0;
  return withHostTarget(task, a.fd(0), name, { follow }, Errno.EPERM, (t) => {
    if (t.st === null) return -Errno.ENOENT;
    task.host.fs.chownat(t.dirFd, t.name, uid, gid, true);
    return 0;
  });
}

/** fchown(2) */
function sysFchown(task: Task, a: SyscallArgs): number {
  task.host.fs.fchown(realFile(task, a.fd(0)).hostFd, ownerId(a, 1), ownerId(a, 2));
  return 0;
}

/** A struct timespec of utimensat: a time, UTIME_NOW or UTIME_OMIT. */
function readTimespec(r: StructReader, off: number): HostTime {
  const sec = r.i64(off);
  const nsec = r.i64(off + 8);
  if (nsec === BigInt(UTIME_NOW)) return 'now';
  if (nsec === BigInt(UTIME_OMIT)) return 'omit';
  if (nsec < 0n || nsec >= 1_000_000_000n) throw new SyscallError(Errno.EINVAL);
  return sec * 1_000_000_000n + nsec;
}

/**
 * utimensat(2) (fs/utimes.c do_utimes): a NULL path means dirfd itself (flags
 * must then be 0, and it must be opened for I/O); "" with AT_EMPTY_PATH its
 * object; both UTIME_OMIT succeed before any lookup. Nanoseconds, UTIME_NOW
 * and UTIME_OMIT go to the host as they are.
 */
function sysUtimensat(task: Task, a: SyscallArgs): number {
  const dirfd = a.fd(0);
  const pathPtr = a.ptr(1);
  const timesPtr = a.ptr(2);
  const flags = a.int(3);
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -Errno.EINVAL;
  let atime: HostTime = 'now';
  let mtime: HostTime = 'now';
  if (timesPtr !== 0) {
    const r = new StructReader(task.mem.read(timesPtr, 2 * SIZEOF_TIMESPEC));
    atime = readTimespec(r, 0);
    mtime = readTimespec(r, SIZEOF_TIMESPEC);
    if (atime === 'omit' && mtime === 'omit') return 0;
  }
  const fs = task.host.fs;
  if (pathPtr === 0 && dirfd !== AT_FDCWD) {
    if (flags) return -Errno.EINVAL;
    fs.utimensat(realFile(task, dirfd).hostFd, '', atime, mtime, true);
    return 0;
  }
  const name = readPath(task, pathPtr, (flags & AT_EMPTY_PATH) !== 0);
  if (name === '') {
    const e = emptyPathTarget(task, dirfd);
    if (e.file?.synth) return -Errno.EPERM;
    fs.utimensat(e.dirFd, e.name, atime, mtime, true);
    return 0;
  }
  const follow = (flags & AT_SYMLINK_NOFOLLOW) === 0;
  return withHostTarget(task, dirfd, name, { follow }, Errno.EPERM, (t) => {
    if (t.st === null) return -Errno.ENOENT;
    fs.utimensat(t.dirFd, t.name, atime, mtime, true);
    return 0;
  });
}

/** truncate(2): do_sys_truncate's checks (EISDIR, EINVAL for anything but a regular file), then the host's. */
function sysTruncate(task: Task, a: SyscallArgs): number {
  const length = a.i64(1);
  return withHostTarget(task, AT_FDCWD, readPath(task, a.ptr(0)), { follow: true }, Errno.EPERM, (t) => {
    if (t.st === null) return -Errno.ENOENT;
    if (isDir(t.st)) return -Errno.EISDIR;
    if ((t.st.mode & S_IFMT) !== S_IFREG) return -Errno.EINVAL;
    if (length < 0n) return -Errno.EINVAL;
    const fs = task.host.fs;
    const fd = fs.openat(t.dirFd, t.name, { access: 'w', noFollow: true }, 0);
    try {
      fs.ftruncate(fd, length);
    } finally {
      fs.close(fd);
    }
    return 0;
  });
}

/** ftruncate(2): EINVAL unless a regular file open for writing (do_sys_ftruncate). */
function sysFtruncate(task: Task, a: SyscallArgs): number {
  const file = realFile(task, a.fd(0));
  const length = a.i64(1);
  if (length < 0n) return -Errno.EINVAL;
  if (file.kind !== 'file' || !file.writable) return -Errno.EINVAL;
  task.host.fs.ftruncate(file.hostFd, length);
  return 0;
}

const FALLOC_SUPPORTED =
  FALLOC_FL_KEEP_SIZE |
  FALLOC_FL_PUNCH_HOLE |
  FALLOC_FL_NO_HIDE_STALE |
  FALLOC_FL_COLLAPSE_RANGE |
  FALLOC_FL_ZERO_RANGE |
  FALLOC_FL_INSERT_RANGE |
  FALLOC_FL_UNSHARE_RANGE;

/**
 * fallocate(2), with vfs_fallocate's checks in its order. Mode 0 and
 * KEEP_SIZE reserve nothing on the host but give the sizes Linux gives;
 * PUNCH_HOLE and ZERO_RANGE write zeros (reads then see what Linux shows,
 * without the space being freed). COLLAPSE, INSERT and UNSHARE are
 * EOPNOTSUPP, as on a filesystem without them.
 */
/** POSIX_FADV_NORMAL..POSIX_FADV_NOREUSE: the advice values Linux accepts. */
const POSIX_FADV_NOREUSE = 5;

/**
 * fadvise64(2) (mm/fadvise.c): advice only, so after Linux's checks (EBADF,
 * ESPIPE for a pipe or FIFO, EINVAL for a negative length or unknown advice)
 * there is nothing to do; the host's page cache reads ahead by itself.
 */
function sysFadvise64(task: Task, a: SyscallArgs): number {
  const file = fileOf(task, a.fd(0));
  if (file.kind === 'path') return -Errno.EBADF;
  if (file.kind === 'fifo') return -Errno.ESPIPE;
  const advice = a.int(3);
  if (a.i64(2) < 0n || advice < 0 || advice > POSIX_FADV_NOREUSE) return -Errno.EINVAL;
  return 0;
}

function sysFallocate(task: Task, a: SyscallArgs): number {
  const file = realFile(task, a.fd(0));
  const mode = a.int(1);
  const offset = a.i64(2);
  const len = a.i64(3);
  if (offset < 0n || len <= 0n) return -Errno.EINVAL;
  if (mode & ~FALLOC_SUPPORTED) return -Errno.EOPNOTSUPP;
  if (mode & FALLOC_FL_PUNCH_HOLE && !(mode & FALLOC_FL_KEEP_SIZE)) return -Errno.EOPNOTSUPP;
  if (mode & FALLOC_FL_PUNCH_HOLE && mode & FALLOC_FL_ZERO_RANGE) return -Errno.EOPNOTSUPP;
  const exclusive = FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_INSERT_RANGE;
  if (mode & exclusive && mode & ~exclusive) return -Errno.EINVAL;
  if (!file.writable) return -Errno.EBADF;
  if (file.kind === 'fifo' || file.kind === 'socket') return -Errno.ESPIPE;
  if (file.kind === 'dir') return -Errno.EISDIR;
  if (file.kind !== 'file') return -Errno.ENODEV;
  if (offset + len > OFFSET_MAX) return -Errno.EFBIG;
  if (mode & (exclusive | FALLOC_FL_UNSHARE_RANGE)) return -Errno.EOPNOTSUPP;

  const fs = task.host.fs;
  const size = fs.fstat(file.hostFd).size;
  const end = offset + len;
  if (mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)) {
    const zeroEnd = mode & FALLOC_FL_KEEP_SIZE && end > size ? size : end;
    for (let at = offset; at < zeroEnd; ) {
      const n = zeroEnd - at > 1n << 20n ? 1 << 20 : Number(zeroEnd - at);
      const zeros = new Uint8Array(n);
      const done = fs.write(file.hostFd, zeros, at);
      // Pages of the file mapped MAP_SHARED see the zeros too, as with write(2).
      afterFileWrite(task, file, at, zeros.subarray(0, done));
      at += BigInt(done);
    }
  }
  if (!(mode & FALLOC_FL_KEEP_SIZE) && end > size) fs.ftruncate(file.hostFd, end);
  return 0;
}

/** fsync(2), fdatasync(2): O_PATH is EBADF; pipes and sockets are EINVAL (the host says so too). */
function sysFsync(task: Task, a: SyscallArgs, dataOnly: boolean): number {
  const file = realFile(task, a.fd(0));
  if (file.kind === 'fifo' || file.kind === 'socket') return -Errno.EINVAL;
  if (dataOnly) task.host.fs.fdatasync(file.hostFd);
  else task.host.fs.fsync(file.hostFd);
  return 0;
}

const SYNC_FILE_RANGE_WAIT_BEFORE = 1;
const SYNC_FILE_RANGE_WRITE = 2;
const SYNC_FILE_RANGE_WAIT_AFTER = 4;

/**
 * sync_file_range(2) (fs/sync.c): Linux's checks (flags, a negative or
 * overflowing range, EBADF, ESPIPE for what is not a file, directory or
 * link), then, when asked to write, the host's fdatasync: more than the
 * call promises (it starts writeback of the range), never less.
 */
function sysSyncFileRange(task: Task, a: SyscallArgs): number {
  const offset = a.i64(1);
  const nbytes = a.i64(2);
  const flags = a.uint(3);
  if (flags & ~(SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER)) return -Errno.EINVAL;
  if (offset < 0n || nbytes < 0n || offset + nbytes > 0x7fffffffffffffffn) return -Errno.EINVAL;
  const file = realFile(task, a.fd(0));
  const type = statOpenFile(task, file).mode & 0o170000;
  if (type !== 0o100000 && type !== 0o060000 && type !== 0o040000 && type !== 0o120000) return -Errno.ESPIPE;
  if (flags & SYNC_FILE_RANGE_WRITE) task.host.fs.fdatasync(file.hostFd);
  return 0;
}

/**
 * sync(2) and syncfs(2): flush what this process has open (Node has no
 * sync(2); other processes' data is theirs to flush). sync cannot fail.
 */
function syncAll(task: Task): void {
  for (const fd of task.fds.openFds()) {
    const file = task.fds.get(fd);
    if (!file || file.kind !== 'file' || !file.ownsHostFd || !file.writable) continue;
    try {
      task.host.fs.fsync(file.hostFd);
    } catch {
      // sync(2) reports nothing.
    }
  }
}

function sysSyncfs(task: Task, a: SyscallArgs): number {
  realFile(task, a.fd(0));
  syncAll(task);
  return 0;
}

/** f_type of elfuse's made-up filesystems: procfs for /proc, tmpfs (devtmpfs) for /dev. */
const PROC_SUPER_MAGIC = 0x9fa0n;
const TMPFS_MAGIC = 0x01021994n;

function synthStatfs(path: HostPath): HostStatfs {
  const type = path === '/proc' || path.startsWith('/proc/') ? PROC_SUPER_MAGIC : TMPFS_MAGIC;
  return { type, bsize: 4096n, blocks: 0n, bfree: 0n, bavail: 0n, files: 0n, ffree: 0n };
}

/** struct statfs from the host's answer; f_namelen 255 and f_frsize = f_bsize, as Linux's disk filesystems report. */
function encodeStatfs(st: HostStatfs): Uint8Array {
  const O = StatfsOffset;
  return new StructWriter(SIZEOF_STATFS)
    .i64(O.f_type, st.type)
    .i64(O.f_bsize, st.bsize)
    .u64(O.f_blocks, st.blocks)
    .u64(O.f_bfree, st.bfree)
    .u64(O.f_bavail, st.bavail)
    .u64(O.f_files, st.files)
    .u64(O.f_ffree, st.ffree)
    .i64(O.f_namelen, 255n)
    .i64(O.f_frsize, st.bsize)
    .i64(O.f_flags, BigInt(ST_VALID)).bytes;
}

/** statfs(2): of the filesystem the object lives on, asked through a handle on it. */
function sysStatfs(task: Task, a: SyscallArgs): number {
  const fs = task.host.fs;
  const st = withTarget(task, AT_FDCWD, readPath(task, a.ptr(0)), { follow: true }, (t) => {
    if (t.kind === 'synth') return synthStatfs(t.path);
    if (t.st === null) throw new SyscallError(Errno.ENOENT);
    const fd = fs.openat(t.dirFd, t.name, { access: 'r', pathOnly: true, noFollow: true }, 0);
    try {
      return fs.fstatfs(fd);
    } finally {
      fs.close(fd);
    }
  });
  task.mem.write(a.ptr(1), encodeStatfs(st));
  return 0;
}

/** fstatfs(2): works on O_PATH descriptors too. */
function sysFstatfs(task: Task, a: SyscallArgs): number {
  const file = fileOf(task, a.fd(0));
  const st = file.synth ? synthStatfs(file.path) : task.host.fs.fstatfs(file.hostFd);
  task.mem.write(a.ptr(1), encodeStatfs(st));
  return 0;
}

export const fsMetaSyscalls: Readonly<Record<string, SyscallImpl>> = {
  sync_file_range: { handler: sysSyncFileRange, support: 'full', args: ['fd', 'int', 'int', 'hex'] },
  mknodat: {
    handler: sysMknodat,
    support: 'partial',
    args: ['dirfd', 'str', 'mode', 'hex'],
    note: 'regular files and FIFOs; device nodes EPERM, sockets EOPNOTSUPP',
  },
  symlinkat: { handler: sysSymlinkat, support: 'full', args: ['str', 'dirfd', 'str'] },
  linkat: {
    handler: sysLinkat,
    support: 'partial',
    args: ['dirfd', 'str', 'dirfd', 'str', 'hex'],
    note: 'AT_EMPTY_PATH cannot give an O_TMPFILE file a name (ENOENT)',
  },
  fchmodat: { handler: (t, a) => chmodAt(t, a.fd(0), a.ptr(1), a.uint(2), 0), support: 'full', args: ['dirfd', 'str', 'mode'] },
  fchmodat2: { handler: (t, a) => chmodAt(t, a.fd(0), a.ptr(1), a.uint(2), a.int(3)), support: 'full', args: ['dirfd', 'str', 'mode', 'hex'] },
  fchmod: { handler: sysFchmod, support: 'full', args: ['fd', 'mode'] },
  fchownat: { handler: sysFchownat, support: 'full', args: ['dirfd', 'str', 'int', 'int', 'hex'] },
  fchown: { handler: sysFchown, support: 'full', args: ['fd', 'int', 'int'] },
  utimensat: {
    handler: sysUtimensat,
    support: 'full',
    args: ['dirfd', 'str', 'ptr', 'hex'],
    note: 'nanoseconds where the host filesystem keeps them',
  },
  truncate: { handler: sysTruncate, support: 'full', args: ['str', 'int'] },
  ftruncate: { handler: sysFtruncate, support: 'full', args: ['fd', 'int'] },
  fallocate: {
    handler: sysFallocate,
    support: 'partial',
    args: ['fd', 'hex', 'int', 'int'],
    note: 'no space is reserved; COLLAPSE/INSERT/UNSHARE_RANGE are EOPNOTSUPP',
  },
  fadvise64: { handler: sysFadvise64, support: 'full', args: ['fd', 'int', 'int', 'int'] },
  fsync: { handler: (t, a) => sysFsync(t, a, false), support: 'full', args: ['fd'] },
  fdatasync: { handler: (t, a) => sysFsync(t, a, true), support: 'full', args: ['fd'] },
  sync: {
    handler: (t) => {
      syncAll(t);
      return 0;
    },
    support: 'partial',
    args: [],
    note: "flushes this process's open files",
  },
  syncfs: { handler: sysSyncfs, support: 'partial', args: ['fd'], note: "flushes this process's open files" },
  statfs: { handler: sysStatfs, support: 'full', args: ['str', 'ptr'] },
  fstatfs: { handler: sysFstatfs, support: 'full', args: ['fd', 'ptr'] },
};
