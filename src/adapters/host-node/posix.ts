/**
 * Loads the native POSIX addon (native/posix.cc) once and turns its errors,
 * which carry the host errno number, into the port's HostError. elfuse
 * cannot run without it: every path operation goes through its *at calls.
 */

import { createRequire } from 'node:module';
import { constants as osConstants } from 'node:os';
import { HostError } from '../../ports/host.js';
import { addonPath } from './install-root.js';

/** The host's own values of the flags the adapter passes through. */
export interface PosixConstants {
  readonly O_RDONLY: number;
  readonly O_WRONLY: number;
  readonly O_RDWR: number;
  readonly O_CREAT: number;
  readonly O_EXCL: number;
  readonly O_TRUNC: number;
  readonly O_APPEND: number;
  readonly O_NONBLOCK: number;
  readonly O_NOCTTY: number;
  readonly O_DIRECTORY: number;
  readonly O_NOFOLLOW: number;
  readonly O_CLOEXEC: number;
  readonly O_SYNC: number;
  readonly O_DSYNC: number;
  /** 0 where the host has none (macOS). */
  readonly O_DIRECT: number;
  /** 0 where the host has no O_PATH (macOS). */
  readonly O_PATH: number;
  /** macOS's way to open a symlink itself; 0 elsewhere. */
  readonly O_SYMLINK: number;
  readonly AT_FDCWD: number;
  readonly AT_SYMLINK_NOFOLLOW: number;
  readonly AT_REMOVEDIR: number;
  readonly AT_EMPTY_PATH: number;
  readonly SEEK_SET: number;
  readonly SEEK_CUR: number;
  readonly SEEK_END: number;
  /** -1 where the host has none. */
  readonly SEEK_DATA: number;
  readonly SEEK_HOLE: number;
}

export interface NativePosix {
  readonly constants: PosixConstants;
  openat(dirfd: number, name: string, flags: number, mode: number): number;
  /** openat on a worker thread, for an open that may wait (a FIFO). */
  openatWait(dirfd: number, name: string, flags: number, mode: number): Promise<number>;
  fstatat(dirfd: number, name: string, flags: number, out: BigInt64Array): void;
  fstat(fd: number, out: BigInt64Array): void;
  readlinkat(dirfd: number, name: string): string;
  mkdirat(dirfd: number, name: string, mode: number): void;
  mknodat(dirfd: number, name: string, mode: number): void;
  unlinkat(dirfd: number, name: string, flags: number): void;
  /** how: 0 replace, 1 no-replace, 2 exchange. */
  renameat(olddirfd: number, oldName: string, newdirfd: number, newName: string, how: number): void;
  linkat(olddirfd: number, oldName: string, newdirfd: number, newName: string, flags: number): void;
  symlinkat(target: string, dirfd: number, name: string): void;
  fchmodat(dirfd: number, name: string, mode: number, flags: number): void;
  fchownat(dirfd: number, name: string, uid: number, gid: number, flags: number): void;
  utimensat(dirfd: number, name: string, atime: bigint | 'now' | 'omit', mtime: bigint | 'now' | 'omit', flags: number): void;
  faccessat(dirfd: number, name: string, mode: number, flags: number): void;
  readdir(fd: number): [string[], number[], bigint[]];
  fstatfs(fd: number): [bigint, bigint, bigint, bigint, bigint, bigint, bigint];
  getxattr(fd: number, name: string, attr: string, size: number): Buffer | number;
  listxattr(fd: number, name: string, size: number): Buffer | number;
  /** mode: 0 any, 1 create only, 2 replace only. */
  setxattr(fd: number, name: string, attr: string, value: Buffer, mode: number): void;
  removexattr(fd: number, name: string, attr: string): void;
  getcwd(): string;
  setNonBlock(fd: number, on: boolean): void;
  lseek(fd: number, offset: bigint, whence: number): bigint;
  getfl(fd: number): number;
  setfl(fd: number, flags: number): void;
  pipe2(nonblock: boolean, direct: boolean): [number, number];
  /** op: 1 LOCK_SH, 2 LOCK_EX, 8 LOCK_UN (never waits). */
  flock(fd: number, op: number): void;
  /** kind: 0 F_GETLK, 1 F_SETLK, 2 F_OFD_GETLK, 3 F_OFD_SETLK; type: 0 read, 1 write, 2 unlock. */
  recordLock(fd: number, kind: number, type: number, start: bigint, len: bigint): [number, bigint, bigint, number] | null | undefined;
  kill(pid: number, sig: number): void;
  getpgid(pid: number): number;
  setpgid(pid: number, pgid: number): void;
  getsid(pid: number): number;
  setsid(): number;
  getppid(): number;
  /** op 0: PR_SET_PDEATHSIG (host signal number), op 1: PR_SET_CHILD_SUBREAPER (0 or 1). */
  processCtl(op: number, arg: number): void;
  /** wait4(pid, WNOHANG): null while it runs, else [status, utimeUs, stimeUs, maxrssKb]. */
  reapChild(pid: number): [number, number, number, number] | null;
  socketpair(): [number, number];
  sendFds(sock: number, data: Uint8Array, fds: number[]): number;
  recvFds(sock: number, buf: Uint8Array): [number, number[]];
  isOpen(fd: number): boolean;
  setIgnored(signo: number, ignored: boolean): void;
  close(fd: number): void;
  /** One read or write at the host offset that fails with EAGAIN instead of waiting (RWF_NOWAIT, or readiness first). */
  readNoWait(fd: number, buf: Uint8Array): number;
  writeNoWait(fd: number, buf: Uint8Array): number;
  /** size 0: F_GETPIPE_SZ, else F_SETPIPE_SZ; ENOSYS where the host has none. */
  pipeSize(fd: number, size: number): number;
}

/** Raised when the addon is missing: an installation problem, reported in one line. */
export class NativeAddonMissing extends Error {}

let loaded: NativePosix | null = null;

export function posix(): NativePosix {
  if (loaded) return loaded;
  const require = createRequire(addonPath('elfuse_posix'));
  const candidates = [addonPath('elfuse_posix')];
  let why = 'not built';
  for (const path of candidates) {
    try {
      loaded = require(path) as NativePosix;
      return loaded;
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code !== 'MODULE_NOT_FOUND') why = (err as Error).message;
    }
  }
  throw new NativeAddonMissing(
    `the native addon elfuse_posix is ${why === 'not built' ? 'not built' : `unusable (${why})`}: run npm install in the elfuse directory (it needs a C++ compiler, make and python3)`,
  );
}

const errnoNames = new Map<number, string>(Object.entries(osConstants.errno).map(([name, n]) => [n, name]));

/** The host's name of an errno number ('EIO' when unknown). */
export function errnoName(n: number): string {
  return errnoNames.get(n) ?? 'EIO';
}

/** Calls the addon; a host errno becomes HostError with the host's name for it. */
export function native<T>(operation: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    const errno = (err as { errno?: unknown } | null)?.errno;
    if (typeof errno === 'number') throw new HostError(errnoNames.get(errno) ?? 'EIO', operation);
    throw err;
  }
}
