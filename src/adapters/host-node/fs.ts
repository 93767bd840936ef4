/**
 * HostFs on node:fs. Regular files use the synchronous API (a local disk
 * read is short); pipes, ttys and sockets are read with the callback API so
 * a guest waiting for input never blocks the JavaScript thread.
 */

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { HostError } from '../../ports/host.js';
import type { HostDirEntry, HostFileType, HostFs, HostOpenFlags, HostStat, HostStatfs } from '../../ports/host.js';
import { hostCall, toHostError } from './errors.js';

const C = fs.constants;

function nodeOpenFlags(f: HostOpenFlags): number {
  let flags = f.access === 'r' ? C.O_RDONLY : f.access === 'w' ? C.O_WRONLY : C.O_RDWR;
  const optional: [boolean | undefined, number | undefined][] = [
    [f.create, C.O_CREAT],
    [f.exclusive, C.O_EXCL],
    [f.truncate, C.O_TRUNC],
    [f.append, C.O_APPEND],
    [f.directory, C.O_DIRECTORY],
    [f.noFollow, C.O_NOFOLLOW],
    [f.nonBlock, C.O_NONBLOCK],
    [f.noCtty, C.O_NOCTTY],
    [f.sync, C.O_SYNC],
    [f.dsync, C.O_DSYNC],
  ];
  for (const [wanted, bit] of optional) if (wanted && bit !== undefined) flags |= bit;
  return flags;
}

function toHostStat(st: fs.BigIntStats): HostStat {
  return {
    dev: st.dev,
    ino: st.ino,
    mode: Number(st.mode),
    nlink: Number(st.nlink),
    uid: Number(st.uid),
    gid: Number(st.gid),
    rdev: st.rdev,
    size: st.size,
    blksize: Number(st.blksize),
    blocks: st.blocks,
    atimeNs: st.atimeNs,
    mtimeNs: st.mtimeNs,
    ctimeNs: st.ctimeNs,
    birthtimeNs: st.birthtimeNs,
  };
}

function direntType(d: fs.Dirent): HostFileType {
  if (d.isFile()) return 'file';
  if (d.isDirectory()) return 'dir';
  if (d.isSymbolicLink()) return 'symlink';
  if (d.isCharacterDevice()) return 'chr';
  if (d.isBlockDevice()) return 'blk';
  if (d.isFIFO()) return 'fifo';
  if (d.isSocket()) return 'socket';
  return 'unknown';
}

/** Node's writeSync takes a number position; offsets past 2^53 do not occur on real files. */
function numberPosition(position: bigint | null): number | null {
  return position === null ? null : Number(position);
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** mkfifo(1) where both Linux and macOS keep it, so an empty PATH does not matter. */
const MKFIFO = fs.existsSync('/usr/bin/mkfifo') ? '/usr/bin/mkfifo' : 'mkfifo';

export class NodeHostFs implements HostFs {
  open(path: string, flags: HostOpenFlags, mode: number): number {
    return hostCall('open', () => fs.openSync(path, nodeOpenFlags(flags), mode));
  }

  close(fd: number): void {
    hostCall('close', () => fs.closeSync(fd));
  }

  read(fd: number, buf: Uint8Array, position: bigint | null): number {
    return hostCall('read', () => fs.readSync(fd, buf, 0, buf.length, position));
  }

  readAsync(fd: number, buf: Uint8Array, position: bigint | null): Promise<number> {
    return new Promise((resolve, reject) => {
      fs.read(fd, buf, 0, buf.length, position, (err, n) => (err ? reject(toHostError('read', err)) : resolve(n)));
    });
  }

  /**
   * Retries EAGAIN unless the guest asked for a non-blocking write: an
   * inherited stdout may be a non-blocking pipe (another process set
   * O_NONBLOCK on the shared description), while the guest expects the
   * blocking write it asked for.
   */
  write(fd: number, data: Uint8Array, position: bigint | null, nonBlocking = false): number {
    for (;;) {
      try {
        return fs.writeSync(fd, data, 0, data.length, numberPosition(position));
      } catch (err) {
        if ((err as { code?: unknown }).code !== 'EAGAIN' || nonBlocking) throw toHostError('write', err);
        Atomics.wait(sleeper, 0, 0, 1);
      }
    }
  }

  fstat(fd: number): HostStat {
    return hostCall('fstat', () => toHostStat(fs.fstatSync(fd, { bigint: true })));
  }

  stat(path: string): HostStat {
    return hostCall('stat', () => toHostStat(fs.statSync(path, { bigint: true })));
  }

  lstat(path: string): HostStat {
    return hostCall('lstat', () => toHostStat(fs.lstatSync(path, { bigint: true })));
  }

  readlink(path: string): string {
    return hostCall('readlink', () => fs.readlinkSync(path));
  }

  readdir(path: string): HostDirEntry[] {
    // opendir/readdir keep the host filesystem's own order (readdirSync sorts by name).
    const entries = hostCall('readdir', () => {
      const dir = fs.opendirSync(path);
      const out: fs.Dirent[] = [];
      try {
        for (let d = dir.readSync(); d !== null; d = dir.readSync()) out.push(d);
      } finally {
        dir.closeSync();
      }
      return out;
    });
    const base = path.endsWith('/') ? path : `${path}/`;
    return entries.map((d) => ({ name: d.name, type: direntType(d), ino: inodeOf(base + d.name) }));
  }

  access(path: string, mode: number): void {
    hostCall('access', () => fs.accessSync(path, mode));
  }

  mkdir(path: string, mode: number): void {
    hostCall('mkdir', () => fs.mkdirSync(path, mode));
  }

  unlink(path: string): void {
    hostCall('unlink', () => fs.unlinkSync(path));
  }

  rmdir(path: string): void {
    hostCall('rmdir', () => fs.rmdirSync(path));
  }

  rename(from: string, to: string): void {
    hostCall('rename', () => fs.renameSync(from, to));
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

  truncate(path: string, length: bigint): void {
    hostCall('truncate', () => fs.truncateSync(path, Number(length)));
  }

  chmod(path: string, mode: number): void {
    hostCall('chmod', () => fs.chmodSync(path, mode));
  }

  fchmod(fd: number, mode: number): void {
    hostCall('fchmod', () => fs.fchmodSync(fd, mode));
  }

  chown(path: string, uid: number, gid: number, noFollow: boolean): void {
    hostCall('chown', () => (noFollow ? fs.lchownSync(path, uid, gid) : fs.chownSync(path, uid, gid)));
  }

  fchown(fd: number, uid: number, gid: number): void {
    hostCall('fchown', () => fs.fchownSync(fd, uid, gid));
  }

  utimes(path: string, atimeNs: bigint, mtimeNs: bigint, noFollow: boolean): void {
    const a = seconds(atimeNs);
    const m = seconds(mtimeNs);
    hostCall('utimes', () => (noFollow ? fs.lutimesSync(path, a, m) : fs.utimesSync(path, a, m)));
  }

  futimes(fd: number, atimeNs: bigint, mtimeNs: bigint): void {
    const a = seconds(atimeNs);
    const m = seconds(mtimeNs);
    hostCall('futimes', () => fs.futimesSync(fd, a, m));
  }

  symlink(target: string, path: string): void {
    hostCall('symlink', () => fs.symlinkSync(target, path));
  }

  link(existing: string, newPath: string): void {
    hostCall('link', () => fs.linkSync(existing, newPath));
  }

  realpath(path: string): string {
    return hostCall('realpath', () => fs.realpathSync.native(path));
  }

  /**
   * Node has no mkfifo, so the host's mkfifo(1) makes it. The caller has
   * already checked the parent and the name, so a failure here is rare;
   * its message is mapped back to an errno code.
   */
  mkfifo(path: string, mode: number): void {
    const r = spawnSync(MKFIFO, ['-m', (mode & 0o7777).toString(8), '--', path], { encoding: 'utf8' });
    if (r.error) throw new HostError('EPERM', 'mkfifo');
    if (r.status === 0) return;
    const msg = r.stderr;
    const code = /File exists/.test(msg)
      ? 'EEXIST'
      : /No such file/.test(msg)
        ? 'ENOENT'
        : /Not a directory/.test(msg)
          ? 'ENOTDIR'
          : /Permission denied/.test(msg)
            ? 'EACCES'
            : /Read-only/.test(msg)
              ? 'EROFS'
              : 'EIO';
    throw new HostError(code, 'mkfifo');
  }

  statfs(path: string): HostStatfs {
    return hostCall('statfs', () => {
      const st = fs.statfsSync(path, { bigint: true });
      return {
        type: st.type,
        bsize: st.bsize,
        blocks: st.blocks,
        bfree: st.bfree,
        bavail: st.bavail,
        files: st.files,
        ffree: st.ffree,
      };
    });
  }
}

/**
 * Node takes times as float seconds and libuv truncates them to whole
 * microseconds; adding half a microsecond makes that a rounding, so any
 * microsecond-exact time survives the float. Node reads a negative time as
 * "now", so times before 1970 are refused rather than silently changed.
 */
function seconds(ns: bigint): number {
  if (ns < 0n) throw new HostError('EINVAL', 'utimes');
  const sec = ns / 1_000_000_000n;
  const nsec = ns % 1_000_000_000n;
  return Number(sec) + (Number(nsec) + 500) / 1e9;
}

/** Node's Dirent has no d_ino, so lstat each entry; one removed meanwhile reads as inode 0. */
function inodeOf(path: string): bigint {
  try {
    return fs.lstatSync(path, { bigint: true }).ino;
  } catch {
    return 0n;
  }
}
