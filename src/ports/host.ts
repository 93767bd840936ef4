/**
 * Host ports: the narrow view of the host OS that the Linux personality in
 * src/domain/kernel/ uses (filesystem, clock, randomness, process identity,
 * terminal). No Node types: paths are byte strings (HostPath), data is
 * Uint8Array, times are bigint nanoseconds. Every failure is thrown as a `HostError` carrying the
 * host's error code string; the kernel translates it to a Linux errno in one
 * place (src/domain/kernel/errno.ts).
 */

import type { HostProcesses } from './processes.js';

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

/**
 * A host path or file name as raw bytes: a string whose every character is
 * one byte (0–255), never decoded as UTF-8, so a name that is not valid UTF-8
 * (Linux allows any byte but '/' and NUL) survives every call unchanged.
 */
export type HostPath = string;

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
  readonly name: HostPath;
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
  /**
   * A handle that names the object without opening it for I/O (Linux's
   * O_PATH): no permission on the object itself is needed, and with
   * `noFollow` a symlink is opened as itself. `access` is then ignored.
   */
  readonly pathOnly?: boolean;
}

/** access(2) mode bits (F_OK 0, X_OK 1, W_OK 2, R_OK 4 on every POSIX host). */
export type HostAccessMode = number;

/** A time for utimensat: nanoseconds since the epoch, or the current time, or unchanged. */
export type HostTime = bigint | 'now' | 'omit';

/** How renameat treats an existing target: replace it, fail (EEXIST), or swap the two atomically. */
export type HostRenameMode = 'replace' | 'noreplace' | 'exchange';

/**
 * The host's files, the *at(2) way: every path call takes a directory fd
 * and a name relative to it, and never follows a final symlink unless it
 * says so. The kernel (src/domain/kernel/namei.ts) walks guest paths one
 * component at a time with these calls, so the host never follows a
 * symlink or `..` on its own. An empty name means the object `dirfd`
 * itself refers to (Linux's AT_EMPTY_PATH). Fds returned are close-on-exec.
 */
export interface HostFs {
  /**
   * Opens a directory named by the user on elfuse's command line (the
   * sysroot, the host root "/", the starting directory), absolute or
   * relative to elfuse's own cwd, following symlinks: the handles the
   * kernel's walks start from. Never used for a guest's path.
   */
  openRoot(path: HostPath): number;
  openat(dirfd: number, name: HostPath, flags: HostOpenFlags, mode: number): number;
  close(fd: number): void;
  /** Synchronous read; `position` null reads at the host fd's own offset (pipes, ttys). */
  read(fd: number, buf: Uint8Array, position: bigint | null): number;
  /** Same as read, without blocking the JavaScript thread (pipes, ttys, sockets). */
  readAsync(fd: number, buf: Uint8Array, position: bigint | null): Promise<number>;
  /** `nonBlocking`: report EAGAIN instead of waiting until the host fd takes the data. */
  write(fd: number, data: Uint8Array, position: bigint | null, nonBlocking?: boolean): number;
  fstat(fd: number): HostStat;
  /** fstatat(2): `noFollow` stats a final symlink itself. */
  statat(dirfd: number, name: HostPath, noFollow: boolean): HostStat;
  readlinkat(dirfd: number, name: HostPath): HostPath;
  /** Entries of the directory `fd` refers to, in the host's order, without '.' and '..'. */
  readdir(fd: number): HostDirEntry[];
  /** faccessat(2) with the real ids; `noFollow` checks a final symlink itself. */
  accessat(dirfd: number, name: HostPath, mode: HostAccessMode, noFollow: boolean): void;
  mkdirat(dirfd: number, name: HostPath, mode: number): void;
  /** Creates a FIFO with exactly `mode` (the caller applies the umask). */
  mkfifoat(dirfd: number, name: HostPath, mode: number): void;
  unlinkat(dirfd: number, name: HostPath, removeDir: boolean): void;
  /** renameat2(2); 'noreplace' and 'exchange' are atomic on the host. */
  renameat(oldDirfd: number, oldName: HostPath, newDirfd: number, newName: HostPath, mode: HostRenameMode): void;
  /** linkat(2) of the object itself (a final symlink is linked, not followed). */
  linkat(oldDirfd: number, oldName: HostPath, newDirfd: number, newName: HostPath): void;
  symlinkat(target: HostPath, dirfd: number, name: HostPath): void;
  /** `noFollow` on a symlink: EOPNOTSUPP where the host cannot change a link's mode (Linux). */
  chmodat(dirfd: number, name: HostPath, mode: number, noFollow: boolean): void;
  /** uid/gid -1 leave that id unchanged. */
  chownat(dirfd: number, name: HostPath, uid: number, gid: number, noFollow: boolean): void;
  /** Sets access and modification times, to the nanosecond where the host keeps it. */
  utimensat(dirfd: number, name: HostPath, atime: HostTime, mtime: HostTime, noFollow: boolean): void;
  ftruncate(fd: number, length: bigint): void;
  fsync(fd: number): void;
  fdatasync(fd: number): void;
  fchmod(fd: number, mode: number): void;
  fchown(fd: number, uid: number, gid: number): void;
  fstatfs(fd: number): HostStatfs;
  /** pipe2(2): a new host pipe, [read end, write end], close-on-exec. */
  pipe(nonBlock: boolean): [number, number];
  /** Sets or clears O_NONBLOCK on the host's open file description (shared with whoever shares it, as on Linux). */
  setNonBlocking(fd: number, on: boolean): void;
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
  /** The directory elfuse was started in (a host path): the guest's first working directory. */
  cwd(): HostPath;
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
  /**
   * Keeps this process running until the returned release is called, even when
   * nothing else the host knows of is pending: the guest waits for a signal
   * (pause, sigsuspend) and only the guest knows it. Holds nest.
   */
  keepAlive(): () => void;
}

/**
 * Signals sent to this process from outside (a terminal hangup, kill(1),
 * Ctrl-C), by their POSIX names ('SIGHUP'): the host maps names to its own
 * numbers, which differ between Linux and macOS.
 */
export interface HostSignals {
  /**
   * Calls `listener` with the name of each signal of `names` this process
   * receives; while subscribed, they no longer end or stop it. Names the host
   * lacks, or cannot safely catch, are left alone. Returns the unsubscribe.
   */
  subscribe(names: readonly string[], listener: (name: string) => void): () => void;
  /**
   * Ends this process by the signal `name`, with the host's default action,
   * so its parent sees death by that signal as for a native program killed
   * by it (exit status 128+N where the host's default does not kill). Never
   * returns.
   */
  dieBy(name: string): never;
  /**
   * Ignores (or puts back the default action of) a signal the process does
   * not subscribe to: the host kernel's terminal job control (SIGTTIN,
   * SIGTTOU) treats an ignored signal differently from a default one.
   */
  setIgnored(name: string, ignored: boolean): void;
}

/**
 * A terminal's settings (struct termios), host-neutral: flags by their POSIX
 * names, so neither side needs the other's bit values. Flags a host does not
 * have are absent from what it reports and ignored when set.
 */
export interface HostTermios {
  /** Names of the set flags of each field ('ICRNL', 'OPOST', 'CREAD', 'ECHO', ...); CSIZE is `charSize`. */
  readonly iflag: ReadonlySet<string>;
  readonly oflag: ReadonlySet<string>;
  readonly cflag: ReadonlySet<string>;
  readonly lflag: ReadonlySet<string>;
  /** Bits per character (CS5..CS8). */
  readonly charSize: 5 | 6 | 7 | 8;
  /** Control characters by name ('VINTR', 'VMIN', ...); null: disabled (_POSIX_VDISABLE). VMIN and VTIME are counts. */
  readonly cc: Readonly<Record<string, number | null>>;
  /** Line speeds in bits per second. */
  readonly ispeed: number;
  readonly ospeed: number;
}

/** When a new termios takes effect (tcsetattr's TCSANOW, TCSADRAIN, TCSAFLUSH). */
export type HostTcsetWhen = 'now' | 'drain' | 'flush';

export interface HostWinsize {
  readonly rows: number;
  readonly cols: number;
  readonly xpixel: number;
  readonly ypixel: number;
}

/** Readiness bits for HostTerminal.poll: requested (READ, WRITE) and reported (all). */
export const HostPoll = { READ: 1, WRITE: 2, ERROR: 4, HANGUP: 8, INVALID: 16 } as const;

export interface HostPollRequest {
  readonly fd: number;
  /** HostPoll.READ and/or HostPoll.WRITE. */
  readonly events: number;
}

/**
 * The host's terminals, and readiness of any host fd. The termios calls throw
 * HostError('ENOTTY') for a non-terminal, and HostError('ENOSYS') when the
 * host cannot reach termios at all.
 */
export interface HostTerminal {
  isatty(fd: number): boolean;
  /** Rows and columns of the terminal on `fd`, or null when it is not a terminal. */
  windowSize(fd: number): { readonly rows: number; readonly cols: number } | null;
  getAttr(fd: number): HostTermios;
  setAttr(fd: number, when: HostTcsetWhen, termios: HostTermios): void;
  getWinsize(fd: number): HostWinsize;
  setWinsize(fd: number, ws: HostWinsize): void;
  /** Foreground process group (tcgetpgrp, tcsetpgrp) and session (tcgetsid) of the terminal. */
  getForegroundPgrp(fd: number): number;
  setForegroundPgrp(fd: number, pgrp: number): void;
  getSessionId(fd: number): number;
  /** Bytes waiting to be read (FIONREAD). */
  inputPending(fd: number): number;
  /** Readiness of each request now (HostPoll bits, one per request), without waiting. */
  pollNow(requests: readonly HostPollRequest[]): number[];
  /**
   * Waits until a request is ready or `timeoutNs` passes (null: no limit),
   * without blocking the JavaScript thread. Resolves to the readiness bits,
   * or to null when `interrupt()` ended the wait early.
   */
  poll(requests: readonly HostPollRequest[], timeoutNs: bigint | null): Promise<number[] | null>;
  /** Ends a pending poll() (a signal arrived for the guest). */
  interrupt(): void;
  /** Puts back the settings each terminal had before the guest first changed them. */
  restoreModes(): void;
  /** Calls `listener` whenever the controlling terminal changes size (SIGWINCH); returns an unsubscribe. */
  onResize(listener: () => void): () => void;
}

export interface HostPorts {
  readonly fs: HostFs;
  readonly clock: HostClock;
  readonly random: HostRandom;
  readonly process: HostProcess;
  readonly terminal: HostTerminal;
  readonly signals: HostSignals;
  /** Other elfuse processes: fork children, process groups, sessions (ports/processes.ts). */
  readonly processes: HostProcesses;
}
