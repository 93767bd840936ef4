/**
 * Host ports: the narrow view of the host OS that the Linux personality in
 * src/domain/kernel/ uses (filesystem, clock, randomness, process identity,
 * terminal). No Node types: paths are strings, data is Uint8Array, times are
 * bigint nanoseconds. Every failure is thrown as a `HostError` carrying the
 * host's error code string; the kernel translates it to a Linux errno in one
 * place (src/domain/kernel/errno.ts).
 */

/** A failed host operation. `code` is the host's name for the error ('ENOENT', 'ENOTSUP', ...). */
export class HostError extends Error {
  constructor(
    readonly code: string,
    readonly operation: string,
  ) {
    super(`${operation}: ${code}`);
    this.name = 'HostError';
  }
}

export type HostFileType = 'file' | 'dir' | 'symlink' | 'chr' | 'blk' | 'fifo' | 'socket' | 'unknown';

/** stat(2) as the host reports it. `mode` keeps the POSIX S_IFMT bits, which Linux and macOS share. */
export interface HostStat {
  readonly dev: bigint;
  readonly ino: bigint;
  readonly mode: number;
  readonly nlink: number;
  readonly uid: number;
  readonly gid: number;
  readonly rdev: bigint;
  readonly size: bigint;
  readonly blksize: number;
  readonly blocks: bigint;
  readonly atimeNs: bigint;
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
  readonly birthtimeNs: bigint;
}

export interface HostDirEntry {
  readonly name: string;
  readonly type: HostFileType;
  readonly ino: bigint;
}

/** open(2) flags, host-neutral; the adapter maps them to the host's O_* values. */
export interface HostOpenFlags {
  readonly access: 'r' | 'w' | 'rw';
  readonly create?: boolean;
  readonly exclusive?: boolean;
  readonly truncate?: boolean;
  readonly append?: boolean;
  readonly directory?: boolean;
  readonly noFollow?: boolean;
  readonly nonBlock?: boolean;
  readonly noCtty?: boolean;
  readonly sync?: boolean;
  readonly dsync?: boolean;
}

/** access(2) mode bits (F_OK 0, X_OK 1, W_OK 2, R_OK 4 on every POSIX host). */
export type HostAccessMode = number;

export interface HostFs {
  open(path: string, flags: HostOpenFlags, mode: number): number;
  close(fd: number): void;
  /** Synchronous read; `position` null reads at the host fd's own offset (pipes, ttys). */
  read(fd: number, buf: Uint8Array, position: bigint | null): number;
  /** Same as read, without blocking the JavaScript thread (pipes, ttys, sockets). */
  readAsync(fd: number, buf: Uint8Array, position: bigint | null): Promise<number>;
  /** `nonBlocking`: report EAGAIN instead of waiting until the host fd takes the data. */
  write(fd: number, data: Uint8Array, position: bigint | null, nonBlocking?: boolean): number;
  fstat(fd: number): HostStat;
  stat(path: string): HostStat;
  lstat(path: string): HostStat;
  readlink(path: string): string;
  /** Directory entries without '.' and '..'. */
  readdir(path: string): HostDirEntry[];
  access(path: string, mode: HostAccessMode): void;
  mkdir(path: string, mode: number): void;
  unlink(path: string): void;
  rmdir(path: string): void;
  rename(from: string, to: string): void;
  ftruncate(fd: number, length: bigint): void;
  fsync(fd: number): void;
  fdatasync(fd: number): void;
  truncate(path: string, length: bigint): void;
  chmod(path: string, mode: number): void;
  fchmod(fd: number, mode: number): void;
  /** uid/gid -1 leave that id unchanged; `noFollow` changes a symlink itself (lchown). */
  chown(path: string, uid: number, gid: number, noFollow: boolean): void;
  fchown(fd: number, uid: number, gid: number): void;
  /** Sets access and modification times (nanoseconds; the host may keep less precision). */
  utimes(path: string, atimeNs: bigint, mtimeNs: bigint, noFollow: boolean): void;
  futimes(fd: number, atimeNs: bigint, mtimeNs: bigint): void;
  symlink(target: string, path: string): void;
  /** link(2): a hard link to `existing` itself (a symlink is not followed). */
  link(existing: string, newPath: string): void;
  /** The canonical path with every symlink resolved. */
  realpath(path: string): string;
  /** Creates a FIFO with exactly `mode` (the caller applies the umask). */
  mkfifo(path: string, mode: number): void;
  statfs(path: string): HostStatfs;
}

/** statfs(2) fields the host reports (f_type is the host's own filesystem magic). */
export interface HostStatfs {
  readonly type: bigint;
  readonly bsize: bigint;
  readonly blocks: bigint;
  readonly bfree: bigint;
  readonly bavail: bigint;
  readonly files: bigint;
  readonly ffree: bigint;
}

export interface HostClock {
  realtimeNs(): bigint;
  monotonicNs(): bigint;
  /** CPU time consumed by the host process (user + system). */
  processCpuNs(): bigint;
  /** Resolves after `ns` nanoseconds without blocking the JavaScript thread. */
  sleep(ns: bigint): Promise<void>;
}

export interface HostRandom {
  fill(buf: Uint8Array): void;
}

export interface HostProcess {
  readonly pid: number;
  readonly ppid: number;
  readonly uid: number;
  readonly gid: number;
  readonly euid: number;
  readonly egid: number;
  /** Supplementary group ids (getgroups(2)); absent means none. */
  groups?(): readonly number[];
  hostname(): string;
  cwd(): string;
  chdir(path: string): void;
  /** Sets the umask and returns the previous one. */
  umask(mask: number): number;
  /** Host memory totals, for sysinfo(2). */
  memory(): { readonly totalBytes: bigint; readonly freeBytes: bigint };
  uptimeSeconds(): number;
  /** 1, 5 and 15 minute load averages. */
  loadavg(): readonly [number, number, number];
  /**
   * Stops this process with a job-control signal (a guest's SIGSTOP/SIGTSTP/SIGTTIN/SIGTTOU
   * default action); returns once something continues it. The host applies its own rules
   * (an orphaned process group ignores the terminal stop signals).
   */
  stop(signal: 'SIGSTOP' | 'SIGTSTP' | 'SIGTTIN' | 'SIGTTOU'): void;
}

export interface HostTerminal {
  isatty(fd: number): boolean;
  /** Rows and columns of the terminal on `fd`, or null when it is not a terminal. */
  windowSize(fd: number): { readonly rows: number; readonly cols: number } | null;
}

export interface HostPorts {
  readonly fs: HostFs;
  readonly clock: HostClock;
  readonly random: HostRandom;
  readonly process: HostProcess;
  readonly terminal: HostTerminal;
}
