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
  /** O_DIRECT: asked only for pipes (packet mode), where the host has it. */
  readonly direct?: boolean;
  /**
   * A handle that names the object without opening it for I/O (Linux's
   * O_PATH): no permission on the object itself is needed, and with
   * `noFollow` a symlink is opened as itself. `access` is then ignored.
   */
  readonly pathOnly?: boolean;
}

/**
 * The status flags an open file description carries and F_SETFL changes
 * (shared by every process holding the description). `direct` is O_DIRECT,
 * meaningful here on pipes only (packet mode).
 */
export interface HostStatusFlags {
  readonly append: boolean;
  readonly nonBlock: boolean;
  readonly direct: boolean;
}

/** lseek(2)'s whence. */
export type HostWhence = 'set' | 'cur' | 'end' | 'data' | 'hole';

/** A record lock the host reports as conflicting (F_GETLK): `len` 0 runs to end of file, `pid` -1 for an OFD lock. */
export interface HostRecordLock {
  readonly type: 'read' | 'write';
  readonly start: bigint;
  readonly len: bigint;
  readonly pid: number;
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
  /**
   * An open that may wait (a FIFO without its other end), without blocking
   * the JavaScript thread. Whoever gives up on it opens the FIFO's other end
   * once, which ends the wait, and closes the fd it then resolves to.
   */
  openatWait(dirfd: number, name: HostPath, flags: HostOpenFlags, mode: number): Promise<number>;
  close(fd: number): void;
  /** Synchronous read; `position` null reads at the host fd's own offset (pipes, ttys). */
  read(fd: number, buf: Uint8Array, position: bigint | null): number;
  /** Same as read, without blocking the JavaScript thread (pipes, ttys, sockets). */
  readAsync(fd: number, buf: Uint8Array, position: bigint | null): Promise<number>;
  /** Synchronous write; `position` null writes at the host fd's own offset (or its end, with O_APPEND). */
  write(fd: number, data: Uint8Array, position: bigint | null): number;
  /**
   * One read of a stream at the host's offset that never waits, whatever the
   * description's O_NONBLOCK: EAGAIN when nothing is there (0 at end of file).
   */
  readNoWait(fd: number, buf: Uint8Array): number;
  /**
   * One write to a stream that never waits: EAGAIN when nothing fits now. A
   * write of at most PIPE_BUF bytes to a pipe is all or nothing.
   */
  writeNoWait(fd: number, data: Uint8Array): number;
  /** lseek(2) on the host's open file description: the offset every process sharing it sees. */
  seek(fd: number, offset: bigint, whence: HostWhence): bigint;
  /** F_GETFL's status flags of the host's open file description. */
  statusFlags(fd: number): HostStatusFlags;
  /** F_SETFL on the host's open file description (seen by every process that shares it). */
  setStatusFlags(fd: number, flags: HostStatusFlags): void;
  /** A pipe's capacity (F_GETPIPE_SZ), or with `size` > 0 sets it (F_SETPIPE_SZ) and returns the new one; ENOSYS where the host has none. */
  pipeSize(fd: number, size: number): number;
  /**
   * flock(2) on the host, never waiting: EAGAIN when another description holds
   * a conflicting lock (the caller retries for a blocking request).
   */
  flock(fd: number, op: 'shared' | 'exclusive' | 'unlock'): void;
  /**
   * fcntl(2) record locks on the host, never waiting: 'set' takes or releases
   * (EAGAIN on a conflict), 'get' returns the conflicting lock or null. `ofd`:
   * open file description locks (F_OFD_*; EINVAL where the host has none),
   * else POSIX locks owned by this process. `len` 0 runs to end of file.
   */
  recordLock(fd: number, cmd: 'get' | 'set', ofd: boolean, type: 'read' | 'write' | 'unlock', start: bigint, len: bigint): HostRecordLock | null;
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
  /**
   * Extended attributes of the object (dirfd, name): an empty name is the
   * object dirfd refers to; a symlink named is not followed. Attribute names
   * are byte strings like paths. get and list with size 0 return the size
   * they need, else the bytes (the host's ERANGE when they do not fit).
   * Absent where the host has no extended attributes.
   */
  getxattr?(dirfd: number, name: HostPath, attr: HostPath, size: number): Uint8Array | number;
  listxattr?(dirfd: number, name: HostPath, size: number): Uint8Array | number;
  setxattr?(dirfd: number, name: HostPath, attr: HostPath, value: Uint8Array, mode: 'any' | 'create' | 'replace'): void;
  removexattr?(dirfd: number, name: HostPath, attr: HostPath): void;
  /** pipe2(2): a new host pipe, [read end, write end], close-on-exec; `direct`: a packet pipe (O_DIRECT) where the host has them. */
  pipe(nonBlock: boolean, direct?: boolean): [number, number];
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

/** A process's capability sets, each a 64-bit mask (capabilities(7)). */
export interface HostCapabilities {
  readonly inheritable: bigint;
  readonly permitted: bigint;
  readonly effective: bigint;
  readonly bounding: bigint;
  readonly ambient: bigint;
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
  /** The capability sets of this host process (Linux); absent or null where the host cannot tell. */
  capabilities?(): HostCapabilities | null;
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

/**
 * Readiness bits for HostTerminal.poll: requested (READ, WRITE, RDHUP) and
 * reported (all). RDHUP, the peer shut down its writing half, only where
 * the host's poll has it (Linux's POLLRDHUP).
 */
export const HostPoll = { READ: 1, WRITE: 2, ERROR: 4, HANGUP: 8, INVALID: 16, RDHUP: 32 } as const;

export interface HostPollRequest {
  readonly fd: number;
  /** HostPoll.READ, HostPoll.WRITE and/or HostPoll.RDHUP. */
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
  /** The number N of a pseudo-terminal master's slave, /dev/pts/N (TIOCGPTN); ENOTTY for anything else. */
  ptyNumber(fd: number): number;
  /** Whether the master's slave is locked (TIOCGPTLCK), after locking or unlocking it when `lock` is given (TIOCSPTLCK). */
  ptyLock(fd: number, lock?: boolean): boolean;
  /** Opens the master's slave (TIOCGPTPEER): a new host fd, close-on-exec. */
  openPtyPeer(fd: number, access: 'r' | 'w' | 'rw', noCtty: boolean, nonBlock: boolean): number;
  /** TIOCSCTTY: the terminal becomes the calling session leader's controlling terminal (`steal` from another session). */
  setControllingTerminal(fd: number, steal: boolean): void;
  /** TIOCNOTTY: the process gives up its controlling terminal. */
  dropControllingTerminal(fd: number): void;
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

/** A SysV shared memory segment's IPC_STAT fields, as the host reports them. */
export interface HostShmStat {
  readonly key: number;
  readonly uid: number;
  readonly gid: number;
  readonly cuid: number;
  readonly cgid: number;
  /** The permission bits with SHM_DEST (0o1000) and SHM_LOCKED (0o2000). */
  readonly mode: number;
  readonly seq: number;
  readonly segsz: number;
  readonly atime: number;
  readonly dtime: number;
  readonly ctime: number;
  readonly cpid: number;
  readonly lpid: number;
  readonly nattch: number;
}

/** IPC_INFO: the host's limits, and the highest segment index in use. */
export interface HostShmLimits {
  readonly maxIndex: number;
  readonly shmmax: bigint;
  readonly shmmin: bigint;
  readonly shmmni: bigint;
  readonly shmseg: bigint;
  readonly shmall: bigint;
}

/** SHM_INFO: the host's usage, and the highest segment index in use. */
export interface HostShmUsage {
  readonly maxIndex: number;
  readonly usedIds: number;
  readonly tot: bigint;
  readonly rss: bigint;
  readonly swp: bigint;
  readonly swapAttempts: bigint;
  readonly swapSuccesses: bigint;
}

/**
 * Host shared memory: anonymous shared objects (a memfd) and the host's SysV
 * segments (the guest shares the host's IPC namespace, as a native process
 * would). Errors are HostError.
 */
export interface HostShm {
  /** A new anonymous shared object of `size` bytes; returns its host fd (close-on-exec). */
  memfd(size: number): number;
  /** shmget with Linux's IPC_CREAT/IPC_EXCL/mode bits; returns the segment id. */
  shmget(key: number, size: number, flags: number): number;
  shmStat(id: number): HostShmStat;
  shmSet(id: number, uid: number, gid: number, mode: number): void;
  shmRmid(id: number): void;
  shmLimits(): HostShmLimits;
  shmUsage(): HostShmUsage;
  /** SHM_STAT (SHM_STAT_ANY with `any`): the id of the segment at `index`. */
  shmIdAt(index: number, any: boolean): number;
}

/** Socket families and types the host is asked for (the adapter maps them to its own numbers). */
export type HostSockFamily = 'unix' | 'inet' | 'inet6';
export type HostSockType = 'stream' | 'dgram' | 'seqpacket';

/** A socket address, host-neutral. A unix name with `dirFd` is relative to that host directory. */
export type HostSockAddr =
  | { readonly family: 'unix'; readonly path: Uint8Array; readonly dirFd?: number }
  | { readonly family: 'inet'; readonly port: number; readonly addr: Uint8Array }
  | { readonly family: 'inet6'; readonly port: number; readonly addr: Uint8Array; readonly flowinfo: number; readonly scopeId: number };

export interface HostMsgFlags {
  readonly oob?: boolean;
  readonly peek?: boolean;
  readonly eor?: boolean;
  /** recv: the datagram's real length even when it was cut. */
  readonly trunc?: boolean;
}

export interface HostRecvResult {
  readonly n: number;
  readonly addr: HostSockAddr | null;
  /** Descriptors received with SCM_RIGHTS, host fds now owned by the caller (close-on-exec). */
  readonly fds: readonly number[];
  readonly truncated: boolean;
  readonly ctruncated: boolean;
}

/** Integer socket options the guest may set and read, by their Linux names. */
export type HostSockOpt =
  | 'SO_REUSEADDR'
  | 'SO_REUSEPORT'
  | 'SO_KEEPALIVE'
  | 'SO_BROADCAST'
  | 'SO_RCVBUF'
  | 'SO_SNDBUF'
  | 'SO_OOBINLINE'
  | 'SO_RCVLOWAT'
  | 'SO_ACCEPTCONN'
  | 'TCP_NODELAY'
  | 'TCP_KEEPIDLE'
  | 'TCP_KEEPINTVL'
  | 'TCP_KEEPCNT'
  | 'IPV6_V6ONLY'
  | 'IP_TTL'
  | 'IPV6_UNICAST_HOPS';

/**
 * Host sockets (native/socket.cc). No call waits, whatever the
 * description's O_NONBLOCK (the guest's, set with HostFs.setStatusFlags as
 * for any file): one that would fails with EAGAIN (EINPROGRESS for a
 * connect), and the caller waits for readiness. Sockets are made blocking
 * and close-on-exec. SIGPIPE is never raised by the host; a send to a
 * closed peer fails with EPIPE.
 */
export interface HostSockets {
  open(family: HostSockFamily, type: HostSockType, protocol: number): number;
  pair(family: HostSockFamily, type: HostSockType, protocol: number): [number, number];
  bind(fd: number, addr: HostSockAddr): void;
  connect(fd: number, addr: HostSockAddr): void;
  /** connect to AF_UNSPEC: a datagram socket forgets its peer. */
  disconnect(fd: number): void;
  listen(fd: number, backlog: number): void;
  accept(fd: number): { readonly fd: number; readonly addr: HostSockAddr | null };
  name(fd: number, peer: boolean): HostSockAddr | null;
  shutdown(fd: number, how: 'rd' | 'wr' | 'rdwr'): void;
  send(fd: number, data: Uint8Array, addr: HostSockAddr | null, fds: readonly number[], flags: HostMsgFlags): number;
  recv(fd: number, buf: Uint8Array, flags: HostMsgFlags, maxFds: number): HostRecvResult;
  getOpt(fd: number, name: HostSockOpt): number;
  setOpt(fd: number, name: HostSockOpt, value: number): void;
  getLinger(fd: number): { readonly onoff: number; readonly seconds: number };
  setLinger(fd: number, onoff: number, seconds: number): void;
  /** SO_PEERCRED: the peer's pid, uid and gid (guest pids are host pids). */
  peerCred(fd: number): { readonly pid: number; readonly uid: number; readonly gid: number };
  /** SO_ERROR: the pending error's name (taken off the socket), or null. */
  takeError(fd: number): string | null;
  /** The type of a socket elfuse did not make (one received with SCM_RIGHTS); null when unknown. */
  typeOf(fd: number): HostSockType | null;
}

/**
 * File-change notification as inotify(7) defines it: an instance is a host
 * fd that reads as struct inotify_event records, polls readable while
 * events wait and answers FIONREAD, so the domain reads and waits on it as
 * on any host stream. Masks are inotify's bits. On a Linux host this is
 * the host's inotify; a host without it would make the records up.
 */
export interface HostNotify {
  /** A new instance (close-on-exec in the host); `nonblock` sets the description's O_NONBLOCK. */
  init(nonblock: boolean): number;
  /** Watches `name` in the directory `dirFd` ('.' for the directory itself); returns the watch descriptor. */
  addWatch(fd: number, dirFd: number, name: HostPath, mask: number): number;
  /** Removes a watch; the instance then reads an IN_IGNORED event for it. */
  rmWatch(fd: number, wd: number): void;
}

/** A network interface as the host lists it (getifaddrs' link-level entry). */
export interface HostLink {
  readonly family: 'link';
  readonly name: string;
  readonly index: number;
  /** Interface flags by name: up, broadcast, loopback, pointopoint, running, noarp, promisc, allmulti, multicast, lower_up, dormant... */
  readonly flags: readonly string[];
  readonly type: 'ether' | 'loopback' | 'none';
  readonly hwaddr: Uint8Array;
  readonly hwbroadcast?: Uint8Array;
  readonly mtu: number;
  /** The transmit queue length; 0 where the host does not say. */
  readonly txqlen?: number;
}

/** An address of an interface (getifaddrs' inet and inet6 entries); `name` is its label. */
export interface HostIfAddr {
  readonly family: 'inet' | 'inet6';
  readonly name: string;
  readonly index: number;
  readonly flags: readonly string[];
  readonly addr: Uint8Array;
  readonly netmask?: Uint8Array;
  readonly broadcast?: Uint8Array;
  readonly peer?: Uint8Array;
  readonly scopeId?: number;
}

/** The host's network configuration, read-only (what NETLINK_ROUTE dumps answer from). */
export interface HostNetwork {
  /** The interfaces and their addresses, in the host's order. */
  interfaces(): readonly (HostLink | HostIfAddr)[];
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
  /** Host shared memory; absent where the backend cannot map it (shared memory is then private to the process). */
  readonly shm?: HostShm;
  /** Host sockets; absent where the host has none (socket(2) is then EAFNOSUPPORT). */
  readonly sockets?: HostSockets;
  /** File-change notification; absent where the host has none (inotify_init1 is then ENOSYS). */
  readonly notify?: HostNotify;
  /** The host's interfaces; absent where they cannot be listed (netlink dumps are then empty). */
  readonly network?: HostNetwork;
}
