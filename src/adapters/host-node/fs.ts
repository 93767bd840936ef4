/**
 * HostFs on Node.js: path calls through the native POSIX addon's *at
 * functions (posix.ts), byte-exact names, nothing followed unless asked;
 * reads and writes on node:fs. Regular files use the synchronous API (a
 * local disk read is short); pipes, ttys and sockets are read with the
 * callback API so a guest waiting for input never blocks the JavaScript
 * thread.
 */

import * as fs from 'node:fs';
import {
  HostError,
  type HostDirEntry,
  type HostFileType,
  type HostFs,
  type HostOpenFlags,
  type HostPath,
  type HostRecordLock,
  type HostRenameMode,
  type HostStat,
  type HostStatfs,
  type HostStatusFlags,
  type HostWhence,
  type HostTime,
} from '../../ports/host.js';
import { hostCall, toHostError } from './errors.js';
import { native, posix, type NativePosix, type PosixConstants } from './posix.js';

function hostOpenFlags(c: PosixConstants, f: HostOpenFlags): number {
  if (f.pathOnly) {
    // O_PATH names the object without opening it (Linux). macOS has none: a directory is
    // opened for reading, a symlink itself through O_SYMLINK.
    if (c.O_PATH !== 0) return c.O_PATH | (f.noFollow ? c.O_NOFOLLOW : 0) | (f.directory ? c.O_DIRECTORY : 0);
    return c.O_RDONLY | (f.noFollow ? c.O_SYMLINK : 0) | (f.directory ? c.O_DIRECTORY : 0);
  }
  let flags = f.access === 'r' ? c.O_RDONLY : f.access === 'w' ? c.O_WRONLY : c.O_RDWR;
  const optional: [boolean | undefined, number][] = [
    [f.create, c.O_CREAT],
    [f.exclusive, c.O_EXCL],
    [f.truncate, c.O_TRUNC],
    [f.append, c.O_APPEND],
    [f.directory, c.O_DIRECTORY],
    [f.noFollow, c.O_NOFOLLOW],
    [f.nonBlock, c.O_NONBLOCK],
    [f.noCtty, c.O_NOCTTY],
    [f.sync, c.O_SYNC],
    [f.dsync, c.O_DSYNC],
    [f.direct, c.O_DIRECT],
  ];
  for (const [wanted, bit] of optional) if (wanted) flags |= bit;
  return flags;
}

const statSlots = new BigInt64Array(14);

function statFromSlots(s: BigInt64Array): HostStat {
  return {
    dev: BigInt.asUintN(64, s[0]!),
    ino: BigInt.asUintN(64, s[1]!),
    mode: Number(s[2]!),
    nlink: Number(s[3]!),
    uid: Number(s[4]!),
    gid: Number(s[5]!),
    rdev: BigInt.asUintN(64, s[6]!),
    size: s[7]!,
    blksize: Number(s[8]!),
    blocks: s[9]!,
    atimeNs: s[10]!,
    mtimeNs: s[11]!,
    ctimeNs: s[12]!,
    birthtimeNs: s[13]!,
  };
}

/** DT_* values, the same on Linux and macOS. */
const DT_TYPES: Readonly<Record<number, HostFileType>> = { 1: 'fifo', 2: 'chr', 4: 'dir', 6: 'blk', 8: 'file', 10: 'symlink', 12: 'socket' };

/** Node's writeSync takes a number position; offsets past 2^53 do not occur on real files. */
function numberPosition(position: bigint | null): number | null {
  return position === null ? null : Number(position);
}

const RENAME_HOW: Readonly<Record<HostRenameMode, number>> = { replace: 0, noreplace: 1, exchange: 2 };

export class NodeHostFs implements HostFs {
  private readonly n: NativePosix;
  private readonly c: PosixConstants;

  constructor() {
    this.n = posix();
    this.c = this.n.constants;
  }

  /** AT_SYMLINK_NOFOLLOW when asked, AT_EMPTY_PATH for an empty name. */
  private atFlags(name: HostPath, noFollow: boolean): number {
    return (noFollow ? this.c.AT_SYMLINK_NOFOLLOW : 0) | (name === '' ? this.c.AT_EMPTY_PATH : 0);
  }

  openRoot(path: HostPath): number {
    const c = this.c;
    const flags = c.O_PATH !== 0 ? c.O_PATH | c.O_DIRECTORY : c.O_RDONLY | c.O_DIRECTORY;
    return native('open', () => this.n.openat(c.AT_FDCWD, path, flags, 0));
  }

  openat(dirfd: number, name: HostPath, flags: HostOpenFlags, mode: number): number {
    return native('openat', () => this.n.openat(dirfd, name === '' ? '.' : name, hostOpenFlags(this.c, flags), mode));
  }

  async openatWait(dirfd: number, name: HostPath, flags: HostOpenFlags, mode: number): Promise<number> {
    const flagsNow = hostOpenFlags(this.c, flags);
    try {
      return await this.n.openatWait(dirfd, name === '' ? '.' : name, flagsNow, mode);
    } catch (err) {
      return native('openat', () => {
        throw err;
      });
    }
  }

  close(fd: number): void {
    native('close', () => this.n.close(fd));
  }

  read(fd: number, buf: Uint8Array, position: bigint | null): number {
    return hostCall('read', () => fs.readSync(fd, buf, 0, buf.length, position));
  }

  readAsync(fd: number, buf: Uint8Array, position: bigint | null): Promise<number> {
    return new Promise((resolve, reject) => {
      fs.read(fd, buf, 0, buf.length, position, (err, n) => (err ? reject(toHostError('read', err)) : resolve(n)));
    });
  }

  write(fd: number, data: Uint8Array, position: bigint | null): number {
    return hostCall('write', () => fs.writeSync(fd, data, 0, data.length, numberPosition(position)));
  }

  readNoWait(fd: number, buf: Uint8Array): number {
    return native('read', () => this.n.readNoWait(fd, buf));
  }

  writeNoWait(fd: number, data: Uint8Array): number {
    return native('write', () => this.n.writeNoWait(fd, data));
  }

  seek(fd: number, offset: bigint, whence: HostWhence): bigint {
    const c = this.c;
    const how = { set: c.SEEK_SET, cur: c.SEEK_CUR, end: c.SEEK_END, data: c.SEEK_DATA, hole: c.SEEK_HOLE }[whence];
    if (how < 0) throw new HostError('ENOSYS', 'lseek');
    return native('lseek', () => this.n.lseek(fd, offset, how));
  }

  statusFlags(fd: number): HostStatusFlags {
    const fl = native('fcntl', () => this.n.getfl(fd));
    const c = this.c;
    return { append: (fl & c.O_APPEND) !== 0, nonBlock: (fl & c.O_NONBLOCK) !== 0, direct: c.O_DIRECT !== 0 && (fl & c.O_DIRECT) !== 0 };
  }

  setStatusFlags(fd: number, flags: HostStatusFlags): void {
    const c = this.c;
    const old = native('fcntl', () => this.n.getfl(fd));
    const mask = c.O_APPEND | c.O_NONBLOCK | c.O_DIRECT;
    const want = (old & ~mask) | (flags.append ? c.O_APPEND : 0) | (flags.nonBlock ? c.O_NONBLOCK : 0) | (flags.direct ? c.O_DIRECT : 0);
    if (want !== old) native('fcntl', () => this.n.setfl(fd, want));
  }

  pipeSize(fd: number, size: number): number {
    return native('fcntl', () => this.n.pipeSize(fd, size));
  }

  flock(fd: number, op: 'shared' | 'exclusive' | 'unlock'): void {
    native('flock', () => this.n.flock(fd, op === 'shared' ? 1 : op === 'exclusive' ? 2 : 8));
  }

  recordLock(fd: number, cmd: 'get' | 'set', ofd: boolean, type: 'read' | 'write' | 'unlock', start: bigint, len: bigint): HostRecordLock | null {
    const kind = (ofd ? 2 : 0) + (cmd === 'set' ? 1 : 0);
    const found = native('fcntl', () => this.n.recordLock(fd, kind, type === 'read' ? 0 : type === 'write' ? 1 : 2, start, len));
    if (!found) return null;
    const [t, s, l, pid] = found;
    return { type: t === 0 ? 'read' : 'write', start: s, len: l, pid };
  }

  fstat(fd: number): HostStat {
    native('fstat', () => this.n.fstat(fd, statSlots));
    return statFromSlots(statSlots);
  }

  statat(dirfd: number, name: HostPath, noFollow: boolean): HostStat {
    native('fstatat', () => this.n.fstatat(dirfd, name, this.atFlags(name, noFollow), statSlots));
    return statFromSlots(statSlots);
  }

  readlinkat(dirfd: number, name: HostPath): HostPath {
    return native('readlinkat', () => this.n.readlinkat(dirfd, name));
  }

  readdir(fd: number): HostDirEntry[] {
    const [names, types, inos] = native('readdir', () => this.n.readdir(fd));
    return names.map((name, i) => ({ name, type: DT_TYPES[types[i]!] ?? 'unknown', ino: inos[i]! }));
  }

  accessat(dirfd: number, name: HostPath, mode: number, noFollow: boolean): void {
    native('faccessat', () => this.n.faccessat(dirfd, name, mode, this.atFlags(name, noFollow)));
  }

  mkdirat(dirfd: number, name: HostPath, mode: number): void {
    native('mkdirat', () => this.n.mkdirat(dirfd, name, mode));
  }

  mkfifoat(dirfd: number, name: HostPath, mode: number): void {
    native('mkfifoat', () => this.n.mknodat(dirfd, name, 0o010000 | (mode & 0o7777)));
  }

  unlinkat(dirfd: number, name: HostPath, removeDir: boolean): void {
    native('unlinkat', () => this.n.unlinkat(dirfd, name, removeDir ? this.c.AT_REMOVEDIR : 0));
  }

  renameat(oldDirfd: number, oldName: HostPath, newDirfd: number, newName: HostPath, mode: HostRenameMode): void {
    native('renameat', () => this.n.renameat(oldDirfd, oldName, newDirfd, newName, RENAME_HOW[mode]));
  }

  linkat(oldDirfd: number, oldName: HostPath, newDirfd: number, newName: HostPath): void {
    native('linkat', () => this.n.linkat(oldDirfd, oldName, newDirfd, newName, oldName === '' ? this.c.AT_EMPTY_PATH : 0));
  }

  symlinkat(target: HostPath, dirfd: number, name: HostPath): void {
    native('symlinkat', () => this.n.symlinkat(target, dirfd, name));
  }

  chmodat(dirfd: number, name: HostPath, mode: number, noFollow: boolean): void {
    native('fchmodat', () => this.n.fchmodat(dirfd, name, mode, this.atFlags(name, noFollow)));
  }

  chownat(dirfd: number, name: HostPath, uid: number, gid: number, noFollow: boolean): void {
    native('fchownat', () => this.n.fchownat(dirfd, name, uid, gid, this.atFlags(name, noFollow)));
  }

  utimensat(dirfd: number, name: HostPath, atime: HostTime, mtime: HostTime, noFollow: boolean): void {
    native('utimensat', () => this.n.utimensat(dirfd, name, atime, mtime, this.atFlags(name, noFollow)));
  }

  ftruncate(fd: number, length: bigint): void {
    hostCall('ftruncate', () => fs.ftruncateSync(fd, Number(length)));
  }

  fsync(fd: number): void {
    hostCall('fsync', () => fs.fsyncSync(fd));
  }

  fdatasync(fd: number): void {
    hostCall('fdatasync', () => fs.fdatasyncSync(fd));
  }

  fchmod(fd: number, mode: number): void {
    hostCall('fchmod', () => fs.fchmodSync(fd, mode));
  }

  fchown(fd: number, uid: number, gid: number): void {
    hostCall('fchown', () => fs.fchownSync(fd, uid, gid));
  }

  pipe(nonBlock: boolean, direct = false): [number, number] {
    return native('pipe2', () => this.n.pipe2(nonBlock, direct));
  }

  fstatfs(fd: number): HostStatfs {
    const [type, bsize, blocks, bfree, bavail, files, ffree] = native('fstatfs', () => this.n.fstatfs(fd));
    return { type, bsize, blocks, bfree, bavail, files, ffree };
  }

  getxattr(dirfd: number, name: HostPath, attr: HostPath, size: number): Uint8Array | number {
    const r = native('getxattr', () => this.n.getxattr(dirfd, name, attr, size));
    return typeof r === 'number' ? r : new Uint8Array(r);
  }

  listxattr(dirfd: number, name: HostPath, size: number): Uint8Array | number {
    const r = native('listxattr', () => this.n.listxattr(dirfd, name, size));
    return typeof r === 'number' ? r : new Uint8Array(r);
  }

  setxattr(dirfd: number, name: HostPath, attr: HostPath, value: Uint8Array, mode: 'any' | 'create' | 'replace'): void {
    native('setxattr', () => this.n.setxattr(dirfd, name, attr, Buffer.from(value), mode === 'create' ? 1 : mode === 'replace' ? 2 : 0));
  }

  removexattr(dirfd: number, name: HostPath, attr: HostPath): void {
    native('removexattr', () => this.n.removexattr(dirfd, name, attr));
  }
}
