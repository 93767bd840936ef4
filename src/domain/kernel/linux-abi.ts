/**
 * The Linux aarch64 user ABI the syscall layer speaks: flag constants and
 * struct layouts, named as the kernel's uapi headers name them, with the
 * arm64 values (asm-generic plus arch/arm64/include/uapi overrides). Struct
 * encoders produce the exact little-endian bytes the guest expects.
 */

// ---- open(2), fcntl(2): asm-generic/fcntl.h with arm64's asm/fcntl.h overrides ----

export const O_ACCMODE = 0o3;
export const O_RDONLY = 0o0;
export const O_WRONLY = 0o1;
export const O_RDWR = 0o2;
export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
export const O_NOCTTY = 0o400;
export const O_TRUNC = 0o1000;
export const O_APPEND = 0o2000;
export const O_NONBLOCK = 0o4000;
export const O_DSYNC = 0o10000;
export const FASYNC = 0o20000;
// arm64 moves these four (x86 has O_DIRECT 0o40000, O_DIRECTORY 0o200000, ...)
export const O_DIRECTORY = 0o40000;
export const O_NOFOLLOW = 0o100000;
export const O_DIRECT = 0o200000;
export const O_LARGEFILE = 0o400000;
export const O_NOATIME = 0o1000000;
export const O_CLOEXEC = 0o2000000;
export const __O_SYNC = 0o4000000;
export const O_SYNC = __O_SYNC | O_DSYNC;
export const O_PATH = 0o10000000;
export const __O_TMPFILE = 0o20000000;
export const O_TMPFILE = __O_TMPFILE | O_DIRECTORY;

/** Flags F_SETFL may change (fs/fcntl.c SETFL_MASK); the rest are ignored. */
export const SETFL_MASK = O_APPEND | O_NONBLOCK | FASYNC | O_DIRECT | O_NOATIME;

export const F_DUPFD = 0;
export const F_GETFD = 1;
export const F_SETFD = 2;
export const F_GETFL = 3;
export const F_SETFL = 4;
export const F_GETLK = 5;
export const F_SETLK = 6;
export const F_SETLKW = 7;
export const F_SETOWN = 8;
export const F_GETOWN = 9;
export const F_SETSIG = 10;
export const F_GETSIG = 11;
export const F_SETOWN_EX = 15;
export const F_GETOWN_EX = 16;
/** struct f_owner_ex { int type; pid_t pid; } and its types. */
export const SIZEOF_F_OWNER_EX = 8;
export const F_OWNER_TID = 0;
export const F_OWNER_PID = 1;
export const F_OWNER_PGRP = 2;
/** SIGPOLL's si_code (include/uapi/asm-generic/siginfo.h): why an fd is signalled. */
export const POLL_IN = 1;
export const POLL_OUT = 2;
export const F_DUPFD_CLOEXEC = 1030; // F_LINUX_SPECIFIC_BASE + 6
export const FD_CLOEXEC = 1;

/** MAX_RW_COUNT (include/linux/fs.h): INT_MAX rounded down to a page; the most one read/write moves. */
export const MAX_RW_COUNT = 0x7fff_f000;

export const SEEK_SET = 0;
export const SEEK_CUR = 1;
export const SEEK_END = 2;
export const SEEK_DATA = 3;
export const SEEK_HOLE = 4;

// ---- *at(2): linux/fcntl.h ----

export const AT_FDCWD = -100;
export const AT_SYMLINK_NOFOLLOW = 0x100;
export const AT_EACCESS = 0x200;
export const AT_REMOVEDIR = 0x200;
export const AT_SYMLINK_FOLLOW = 0x400;
export const AT_NO_AUTOMOUNT = 0x800;
export const AT_EMPTY_PATH = 0x1000;
export const AT_STATX_SYNC_TYPE = 0x6000;

export const F_OK = 0;
export const X_OK = 1;
export const W_OK = 2;
export const R_OK = 4;

// ---- file types: linux/stat.h, and d_type in linux_dirent64 ----

export const S_IFMT = 0o170000;
export const S_IFSOCK = 0o140000;
export const S_IFLNK = 0o120000;
export const S_IFREG = 0o100000;
export const S_IFBLK = 0o60000;
export const S_IFDIR = 0o40000;
export const S_IFCHR = 0o20000;
export const S_IFIFO = 0o10000;

export const DT_UNKNOWN = 0;
export const DT_FIFO = 1;
export const DT_CHR = 2;
export const DT_DIR = 4;
export const DT_BLK = 6;
export const DT_REG = 8;
export const DT_LNK = 10;
export const DT_SOCK = 12;

// ---- ioctl(2): asm-generic/ioctls.h ----

export const TCGETS = 0x5401;
export const TCSETS = 0x5402;
export const TCSETSW = 0x5403;
export const TCSETSF = 0x5404;
export const TIOCGPGRP = 0x540f;
export const TIOCSPGRP = 0x5410;
export const TIOCGWINSZ = 0x5413;
export const TIOCSWINSZ = 0x5414;
export const FIONREAD = 0x541b;
export const FIONBIO = 0x5421;
export const FIONCLEX = 0x5450;
export const FIOCLEX = 0x5451;

// ---- mmap(2): asm-generic/mman-common.h, asm-generic/mman.h, linux/mman.h ----

export const PROT_NONE = 0;
export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const PROT_EXEC = 4;
export const MAP_SHARED = 0x01;
export const MAP_PRIVATE = 0x02;
export const MAP_SHARED_VALIDATE = 0x03;
export const MAP_TYPE = 0x0f;
export const MAP_FIXED = 0x10;
export const MAP_ANONYMOUS = 0x20;
export const MAP_GROWSDOWN = 0x0100;
export const MAP_DENYWRITE = 0x0800;
export const MAP_NORESERVE = 0x4000;
export const MAP_POPULATE = 0x8000;
export const MAP_STACK = 0x20000;
export const MAP_FIXED_NOREPLACE = 0x100000;

export const MADV_NORMAL = 0;
export const MADV_RANDOM = 1;
export const MADV_SEQUENTIAL = 2;
export const MADV_WILLNEED = 3;
export const MADV_DONTNEED = 4;
export const MADV_FREE = 8;
export const MADV_REMOVE = 9;
export const MADV_DONTFORK = 10;
export const MADV_DOFORK = 11;
export const MADV_MERGEABLE = 12;
export const MADV_UNMERGEABLE = 13;
export const MADV_HUGEPAGE = 14;
export const MADV_NOHUGEPAGE = 15;
export const MADV_DONTDUMP = 16;
export const MADV_DODUMP = 17;
export const MADV_WIPEONFORK = 18;
export const MADV_KEEPONFORK = 19;
export const MADV_COLD = 20;
export const MADV_PAGEOUT = 21;
export const MADV_POPULATE_READ = 22;
export const MADV_POPULATE_WRITE = 23;
export const MADV_COLLAPSE = 25;

export const PAGE_SIZE = 4096;

// ---- signals: asm-generic/signal.h, arm64 asm/signal.h ----

export const _NSIG = 64;
export const SIGHUP = 1;
export const SIGINT = 2;
export const SIGQUIT = 3;
export const SIGILL = 4;
export const SIGTRAP = 5;
export const SIGABRT = 6;
export const SIGBUS = 7;
export const SIGFPE = 8;
export const SIGKILL = 9;
export const SIGUSR1 = 10;
export const SIGSEGV = 11;
export const SIGUSR2 = 12;
export const SIGPIPE = 13;
export const SIGALRM = 14;
export const SIGTERM = 15;
export const SIGSTKFLT = 16;
export const SIGCHLD = 17;
export const SIGCONT = 18;
export const SIGSTOP = 19;
export const SIGTSTP = 20;
export const SIGTTIN = 21;
export const SIGTTOU = 22;
export const SIGURG = 23;
export const SIGXCPU = 24;
export const SIGXFSZ = 25;
export const SIGVTALRM = 26;
export const SIGPROF = 27;
export const SIGWINCH = 28;
export const SIGIO = 29;
export const SIGPWR = 30;
export const SIGSYS = 31;

const SIGNAL_NAMES = [
  'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGKILL', 'SIGUSR1', 'SIGSEGV',
  'SIGUSR2', 'SIGPIPE', 'SIGALRM', 'SIGTERM', 'SIGSTKFLT', 'SIGCHLD', 'SIGCONT', 'SIGSTOP', 'SIGTSTP', 'SIGTTIN',
  'SIGTTOU', 'SIGURG', 'SIGXCPU', 'SIGXFSZ', 'SIGVTALRM', 'SIGPROF', 'SIGWINCH', 'SIGIO', 'SIGPWR', 'SIGSYS',
] as const;

/** 'SIGSEGV' for 11; real-time signals as SIGRTMIN+n (glibc's SIGRTMIN is 34, the kernel's 32). */
export function signalName(sig: number): string {
  const name = SIGNAL_NAMES[sig - 1];
  if (name) return name;
  if (sig >= 32 && sig <= _NSIG) return `SIG${sig}`;
  return `signal ${sig}`;
}

export const SIG_BLOCK = 0;
export const SIG_UNBLOCK = 1;
export const SIG_SETMASK = 2;
export const SIG_DFL = 0n;
export const SIG_IGN = 1n;
export const SA_RESTORER = 0x04000000;

/** Default disposition of each standard signal (signal(7)); real-time signals terminate. */
export type SignalDefault = 'term' | 'core' | 'ign' | 'stop' | 'cont';
export function signalDefaultAction(sig: number): SignalDefault {
  switch (sig) {
    case SIGCHLD:
    case SIGURG:
    case SIGWINCH:
      return 'ign';
    case SIGCONT:
      return 'cont';
    case SIGSTOP:
    case SIGTSTP:
    case SIGTTIN:
    case SIGTTOU:
      return 'stop';
    case SIGQUIT:
    case SIGILL:
    case SIGTRAP:
    case SIGABRT:
    case SIGBUS:
    case SIGFPE:
    case SIGSEGV:
    case SIGXCPU:
    case SIGXFSZ:
    case SIGSYS:
      return 'core';
    default:
      return 'term';
  }
}

// ---- clocks: linux/time.h ----

export const CLOCK_REALTIME = 0;
export const CLOCK_MONOTONIC = 1;
export const CLOCK_PROCESS_CPUTIME_ID = 2;
export const CLOCK_THREAD_CPUTIME_ID = 3;
export const CLOCK_MONOTONIC_RAW = 4;
export const CLOCK_REALTIME_COARSE = 5;
export const CLOCK_MONOTONIC_COARSE = 6;
export const CLOCK_BOOTTIME = 7;
export const CLOCK_REALTIME_ALARM = 8;
export const CLOCK_BOOTTIME_ALARM = 9;
export const CLOCK_TAI = 11;
export const TIMER_ABSTIME = 1;

// ---- resources: asm-generic/resource.h ----

export const RLIMIT_CPU = 0;
export const RLIMIT_FSIZE = 1;
export const RLIMIT_DATA = 2;
export const RLIMIT_STACK = 3;
export const RLIMIT_CORE = 4;
export const RLIMIT_RSS = 5;
export const RLIMIT_NPROC = 6;
export const RLIMIT_NOFILE = 7;
export const RLIMIT_MEMLOCK = 8;
export const RLIMIT_AS = 9;
export const RLIMIT_LOCKS = 10;
export const RLIMIT_SIGPENDING = 11;
export const RLIMIT_MSGQUEUE = 12;
export const RLIMIT_NICE = 13;
export const RLIMIT_RTPRIO = 14;
export const RLIMIT_RTTIME = 15;
export const RLIM_NLIMITS = 16;
export const RLIM_INFINITY = 0xffff_ffff_ffff_ffffn;

export const GRND_NONBLOCK = 0x1;
export const GRND_RANDOM = 0x2;
export const GRND_INSECURE = 0x4;

// ---- struct layouts (LP64: long and pointers are 8 bytes) ----

/** Little-endian field writer over a fresh zeroed struct buffer. */
export class StructWriter {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }
  u8(off: number, v: number): this {
    this.view.setUint8(off, v);
    return this;
  }
  u16(off: number, v: number): this {
    this.view.setUint16(off, v, true);
    return this;
  }
  u32(off: number, v: number): this {
    this.view.setUint32(off, v >>> 0, true);
    return this;
  }
  i32(off: number, v: number): this {
    this.view.setInt32(off, v, true);
    return this;
  }
  u64(off: number, v: bigint): this {
    this.view.setBigUint64(off, BigInt.asUintN(64, v), true);
    return this;
  }
  i64(off: number, v: bigint): this {
    this.view.setBigInt64(off, BigInt.asIntN(64, v), true);
    return this;
  }
  /** NUL-padded fixed-size char array. */
  chars(off: number, len: number, text: Uint8Array): this {
    this.bytes.set(text.subarray(0, len - 1), off);
    return this;
  }
}

/** Little-endian field reader over guest bytes copied in. */
export class StructReader {
  private readonly view: DataView;
  constructor(bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  u8(off: number): number {
    return this.view.getUint8(off);
  }
  u16(off: number): number {
    return this.view.getUint16(off, true);
  }
  u32(off: number): number {
    return this.view.getUint32(off, true);
  }
  i32(off: number): number {
    return this.view.getInt32(off, true);
  }
  u64(off: number): bigint {
    return this.view.getBigUint64(off, true);
  }
  i64(off: number): bigint {
    return this.view.getBigInt64(off, true);
  }
}

const NS_PER_SEC = 1_000_000_000n;

/** Split nanoseconds into (seconds, nanoseconds), flooring toward -infinity like the kernel. */
export function splitNs(ns: bigint): { sec: bigint; nsec: bigint } {
  let sec = ns / NS_PER_SEC;
  let nsec = ns % NS_PER_SEC;
  if (nsec < 0n) {
    sec -= 1n;
    nsec += NS_PER_SEC;
  }
  return { sec, nsec };
}

/** struct timespec { long tv_sec; long tv_nsec; } (16 bytes) */
export const SIZEOF_TIMESPEC = 16;
export function encodeTimespec(ns: bigint): Uint8Array {
  const { sec, nsec } = splitNs(ns);
  return new StructWriter(SIZEOF_TIMESPEC).i64(0, sec).i64(8, nsec).bytes;
}
/** The timespec as nanoseconds, or null when tv_nsec is outside [0, 1e9) (EINVAL). */
export function decodeTimespec(bytes: Uint8Array): bigint | null {
  const r = new StructReader(bytes);
  const sec = r.i64(0);
  const nsec = r.i64(8);
  if (nsec < 0n || nsec >= NS_PER_SEC) return null;
  return sec * NS_PER_SEC + nsec;
}

/** struct timeval { long tv_sec; long tv_usec; } (16 bytes) */
export const SIZEOF_TIMEVAL = 16;
export function encodeTimeval(ns: bigint): Uint8Array {
  const { sec, nsec } = splitNs(ns);
  return new StructWriter(SIZEOF_TIMEVAL).i64(0, sec).i64(8, nsec / 1000n).bytes;
}

/** struct stat as asm-generic/stat.h lays it out for arm64 (128 bytes). */
export const SIZEOF_STAT = 128;
export const StatOffset = {
  st_dev: 0,
  st_ino: 8,
  st_mode: 16,
  st_nlink: 20,
  st_uid: 24,
  st_gid: 28,
  st_rdev: 32,
  st_size: 48,
  st_blksize: 56,
  st_blocks: 64,
  st_atime: 72,
  st_atime_nsec: 80,
  st_mtime: 88,
  st_mtime_nsec: 96,
  st_ctime: 104,
  st_ctime_nsec: 112,
} as const;

/** What the kernel knows about a file, in Linux terms (device numbers already in Linux encoding). */
export interface KStat {
  dev: bigint;
  ino: bigint;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: bigint;
  size: bigint;
  blksize: number;
  blocks: bigint;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  btimeNs: bigint;
}

export function encodeStat(st: KStat): Uint8Array {
  const w = new StructWriter(SIZEOF_STAT);
  const O = StatOffset;
  w.u64(O.st_dev, st.dev).u64(O.st_ino, st.ino).u32(O.st_mode, st.mode).u32(O.st_nlink, st.nlink);
  w.u32(O.st_uid, st.uid).u32(O.st_gid, st.gid).u64(O.st_rdev, st.rdev);
  w.i64(O.st_size, st.size).i32(O.st_blksize, st.blksize).i64(O.st_blocks, st.blocks);
  const times: [number, number, bigint][] = [
    [O.st_atime, O.st_atime_nsec, st.atimeNs],
    [O.st_mtime, O.st_mtime_nsec, st.mtimeNs],
    [O.st_ctime, O.st_ctime_nsec, st.ctimeNs],
  ];
  for (const [secOff, nsecOff, ns] of times) {
    const { sec, nsec } = splitNs(ns);
    w.i64(secOff, sec).u64(nsecOff, nsec);
  }
  return w.bytes;
}

/** Linux dev_t encoding (new_encode_dev in include/linux/kdev_t.h), as stat.st_dev carries it. */
export function linuxMajor(dev: bigint): number {
  return Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn & 0xffff_ffffn));
}
export function linuxMinor(dev: bigint): number {
  return Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn & 0xffff_ffffn));
}

/** struct statx (linux/stat.h, 256 bytes). */
export const SIZEOF_STATX = 256;
export const StatxOffset = {
  stx_mask: 0,
  stx_blksize: 4,
  stx_attributes: 8,
  stx_nlink: 16,
  stx_uid: 20,
  stx_gid: 24,
  stx_mode: 28,
  stx_ino: 32,
  stx_size: 40,
  stx_blocks: 48,
  stx_attributes_mask: 56,
  stx_atime: 64,
  stx_btime: 80,
  stx_ctime: 96,
  stx_mtime: 112,
  stx_rdev_major: 128,
  stx_rdev_minor: 132,
  stx_dev_major: 136,
  stx_dev_minor: 140,
  stx_mnt_id: 144,
} as const;
export const STATX_TYPE = 0x1;
export const STATX_MODE = 0x2;
export const STATX_NLINK = 0x4;
export const STATX_UID = 0x8;
export const STATX_GID = 0x10;
export const STATX_ATIME = 0x20;
export const STATX_MTIME = 0x40;
export const STATX_CTIME = 0x80;
export const STATX_INO = 0x100;
export const STATX_SIZE = 0x200;
export const STATX_BLOCKS = 0x400;
export const STATX_BASIC_STATS = 0x7ff;
export const STATX_BTIME = 0x800;
export const STATX__RESERVED = 0x80000000;

export function encodeStatx(st: KStat): Uint8Array {
  const w = new StructWriter(SIZEOF_STATX);
  const O = StatxOffset;
  w.u32(O.stx_mask, STATX_BASIC_STATS | STATX_BTIME).u32(O.stx_blksize, st.blksize);
  w.u32(O.stx_nlink, st.nlink).u32(O.stx_uid, st.uid).u32(O.stx_gid, st.gid).u16(O.stx_mode, st.mode & 0xffff);
  w.u64(O.stx_ino, st.ino).u64(O.stx_size, st.size).u64(O.stx_blocks, st.blocks);
  const times: [number, bigint][] = [
    [O.stx_atime, st.atimeNs],
    [O.stx_btime, st.btimeNs],
    [O.stx_ctime, st.ctimeNs],
    [O.stx_mtime, st.mtimeNs],
  ];
  for (const [off, ns] of times) {
    const { sec, nsec } = splitNs(ns);
    w.i64(off, sec).u32(off + 8, Number(nsec));
  }
  w.u32(O.stx_rdev_major, linuxMajor(st.rdev)).u32(O.stx_rdev_minor, linuxMinor(st.rdev));
  w.u32(O.stx_dev_major, linuxMajor(st.dev)).u32(O.stx_dev_minor, linuxMinor(st.dev));
  return w.bytes;
}

/** struct new_utsname: six char[65] fields (390 bytes). */
export const SIZEOF_UTSNAME = 390;
export const UTSNAME_FIELD_LEN = 65;

/** struct sysinfo (linux/sysinfo.h) on LP64: 112 bytes. */
export const SIZEOF_SYSINFO = 112;
export const SysinfoOffset = {
  uptime: 0,
  loads: 8,
  totalram: 32,
  freeram: 40,
  sharedram: 48,
  bufferram: 56,
  totalswap: 64,
  freeswap: 72,
  procs: 80,
  totalhigh: 88,
  freehigh: 96,
  mem_unit: 104,
} as const;
/** Load averages are fixed point with SI_LOAD_SHIFT fractional bits. */
export const SI_LOAD_SHIFT = 16;

/** struct rlimit / rlimit64 { rlim_cur; rlim_max; } (16 bytes) */
export const SIZEOF_RLIMIT = 16;

/** struct iovec { void *iov_base; size_t iov_len; } (16 bytes) */
export const SIZEOF_IOVEC = 16;
export const UIO_MAXIOV = 1024;

/** struct winsize { unsigned short ws_row, ws_col, ws_xpixel, ws_ypixel; } (8 bytes) */
export const SIZEOF_WINSIZE = 8;

/** struct termios (asm-generic/termbits.h): four tcflag_t, c_line, c_cc[NCCS=19] (36 bytes). */
export const SIZEOF_TERMIOS = 36;
export const NCCS = 19;
export const TermiosOffset = { c_iflag: 0, c_oflag: 4, c_cflag: 8, c_lflag: 12, c_line: 16, c_cc: 17 } as const;

/** struct sigaction as the arm64 kernel reads it: handler, flags, restorer, mask (32 bytes). */
export const SIZEOF_SIGACTION = 32;
export const SigactionOffset = { sa_handler: 0, sa_flags: 8, sa_restorer: 16, sa_mask: 24 } as const;
/** The kernel's sigset_t is 64 bits; rt_sig* reject any other sigsetsize. */
export const SIZEOF_SIGSET = 8;

/** struct linux_dirent64 { u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type; char d_name[]; } */
export const LinuxDirent64Offset = { d_ino: 0, d_off: 8, d_reclen: 16, d_type: 18, d_name: 19 } as const;
/** d_reclen: header + name + NUL, rounded up to 8 (fs/readdir.c). */
export function linuxDirent64Reclen(nameLen: number): number {
  return (LinuxDirent64Offset.d_name + nameLen + 1 + 7) & ~7;
}

// ---- file syscalls beyond open/read/write (linux/fcntl.h, linux/fs.h, linux/openat2.h) ----

/** F_LINUX_SPECIFIC_BASE + n, and the open file description locks (F_OFD_*). */
export const F_OFD_GETLK = 36;
export const F_OFD_SETLK = 37;
export const F_OFD_SETLKW = 38;
/** Pipe capacity (F_LINUX_SPECIFIC_BASE + 7, + 8). */
export const F_SETPIPE_SZ = 1031;
export const F_GETPIPE_SZ = 1032;
export const F_RDLCK = 0;
export const F_WRLCK = 1;
export const F_UNLCK = 2;
/** struct flock (arm64): short l_type, short l_whence, off_t l_start @8, off_t l_len @16, pid_t l_pid @24 (32 bytes). */
export const SIZEOF_FLOCK = 32;
export const FlockOffset = { l_type: 0, l_whence: 2, l_start: 8, l_len: 16, l_pid: 24 } as const;

/** flock(2) operations. */
export const LOCK_SH = 1;
export const LOCK_EX = 2;
export const LOCK_NB = 4;
export const LOCK_UN = 8;

/** renameat2(2) flags. */
export const RENAME_NOREPLACE = 1;
export const RENAME_EXCHANGE = 2;
export const RENAME_WHITEOUT = 4;

/** utimensat(2): special tv_nsec values. */
export const UTIME_NOW = 0x3fffffff;
export const UTIME_OMIT = 0x3ffffffe;

/** fallocate(2) modes. */
export const FALLOC_FL_KEEP_SIZE = 0x01;
export const FALLOC_FL_PUNCH_HOLE = 0x02;
export const FALLOC_FL_NO_HIDE_STALE = 0x04;
export const FALLOC_FL_COLLAPSE_RANGE = 0x08;
export const FALLOC_FL_ZERO_RANGE = 0x10;
export const FALLOC_FL_INSERT_RANGE = 0x20;
export const FALLOC_FL_UNSHARE_RANGE = 0x40;

/** close_range(2) flags. */
export const CLOSE_RANGE_UNSHARE = 1 << 1;
export const CLOSE_RANGE_CLOEXEC = 1 << 2;

/** preadv2/pwritev2 RWF_* flags (linux/fs.h). */
export const RWF_HIPRI = 0x01;
export const RWF_DSYNC = 0x02;
export const RWF_SYNC = 0x04;
export const RWF_NOWAIT = 0x08;
export const RWF_APPEND = 0x10;
export const RWF_NOAPPEND = 0x20;

/** openat2(2): struct open_how { u64 flags; u64 mode; u64 resolve; } and its RESOLVE_* bits. */
export const OPEN_HOW_SIZE_VER0 = 24;
export const RESOLVE_NO_XDEV = 0x01;
export const RESOLVE_NO_MAGICLINKS = 0x02;
export const RESOLVE_NO_SYMLINKS = 0x04;
export const RESOLVE_BENEATH = 0x08;
export const RESOLVE_IN_ROOT = 0x10;
export const RESOLVE_CACHED = 0x20;
/** Every O_* bit open(2) knows (VALID_OPEN_FLAGS in include/linux/fcntl.h); openat2 rejects the rest. */
export const VALID_OPEN_FLAGS =
  O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK | __O_SYNC | O_DSYNC | FASYNC |
  O_DIRECT | O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC | O_PATH | __O_TMPFILE;
/** Mode bits open/mkdir/mknod accept (S_IALLUGO). */
export const S_IALLUGO = 0o7777;
/** Symlinks followed in one lookup before ELOOP (MAXSYMLINKS). */
export const MAXSYMLINKS = 40;

/**
 * struct statfs (asm-generic/statfs.h with 64-bit __statfs_word): f_type,
 * f_bsize, f_blocks, f_bfree, f_bavail, f_files, f_ffree, f_fsid (2 x int),
 * f_namelen, f_frsize, f_flags, f_spare[4] (120 bytes).
 */
export const SIZEOF_STATFS = 120;
export const StatfsOffset = {
  f_type: 0,
  f_bsize: 8,
  f_blocks: 16,
  f_bfree: 24,
  f_bavail: 32,
  f_files: 40,
  f_ffree: 48,
  f_fsid: 56,
  f_namelen: 64,
  f_frsize: 72,
  f_flags: 80,
} as const;
/** statfs f_flags: ST_VALID says f_flags is filled in. */
export const ST_VALID = 0x20;
// ---- signal delivery: asm/signal.h, asm-generic/siginfo.h, asm/sigcontext.h (arm64) ----

export const SIGRTMIN = 32;
export const SA_NOCLDSTOP = 0x00000001;
export const SA_NOCLDWAIT = 0x00000002;
export const SA_SIGINFO = 0x00000004;
export const SA_ONSTACK = 0x08000000;
export const SA_RESTART = 0x10000000;
export const SA_NODEFER = 0x40000000;
export const SA_RESETHAND = 0x80000000;

export const SS_ONSTACK = 1;
export const SS_DISABLE = 2;
export const SS_AUTODISARM = 0x80000000;
export const MINSIGSTKSZ = 5120;
export const SIGSTKSZ = 16384;

/** si_code values: negative codes come from user space, positive ones from the kernel. */
export const SI_USER = 0;
export const SI_KERNEL = 0x80;
export const SI_QUEUE = -1;
export const SI_TIMER = -2;
export const SI_TKILL = -6;
export const ILL_ILLOPC = 1;
export const SEGV_MAPERR = 1;
export const SEGV_ACCERR = 2;
export const BUS_ADRALN = 1;
export const BUS_ADRERR = 2;
export const TRAP_BRKPT = 1;

/** siginfo_t is always 128 bytes; the union starts at 16. */
export const SIZEOF_SIGINFO = 128;
export const SiginfoOffset = {
  si_signo: 0,
  si_errno: 4,
  si_code: 8,
  si_addr: 16, // faults
  si_pid: 16, // kill, sigqueue
  si_uid: 20,
  si_tid: 16, // POSIX timers: the timer id
  si_overrun: 20,
  si_value: 24, // sigqueue, POSIX timers
  si_status: 24, // SIGCHLD: exit status or signal
  si_utime: 32, // SIGCHLD: clock ticks
  si_stime: 40,
  si_band: 16, // SIGPOLL (F_SETSIG): the poll bits
  si_fd: 24,
} as const;

/** clone(2) flags (include/uapi/linux/sched.h); the low byte (CSIGNAL) is the exit signal. */
export const CSIGNAL = 0xff;
export const CLONE_VM = 0x00000100;
export const CLONE_FS = 0x00000200;
export const CLONE_FILES = 0x00000400;
export const CLONE_SIGHAND = 0x00000800;
export const CLONE_PIDFD = 0x00001000;
export const CLONE_PTRACE = 0x00002000;
export const CLONE_VFORK = 0x00004000;
export const CLONE_PARENT = 0x00008000;
export const CLONE_THREAD = 0x00010000;
export const CLONE_NEWNS = 0x00020000;
export const CLONE_SYSVSEM = 0x00040000;
export const CLONE_SETTLS = 0x00080000;
export const CLONE_PARENT_SETTID = 0x00100000;
export const CLONE_CHILD_CLEARTID = 0x00200000;
export const CLONE_DETACHED = 0x00400000;
export const CLONE_UNTRACED = 0x00800000;
export const CLONE_CHILD_SETTID = 0x01000000;
export const CLONE_NEWCGROUP = 0x02000000;
export const CLONE_NEWUTS = 0x04000000;
export const CLONE_NEWIPC = 0x08000000;
export const CLONE_NEWUSER = 0x10000000;
export const CLONE_NEWPID = 0x20000000;
export const CLONE_NEWNET = 0x40000000;
export const CLONE_IO = 0x80000000;
/** struct clone_args (clone3) sizes: VER0 (64 bytes) through VER2 (88). */
export const CLONE_ARGS_SIZE_VER0 = 64;

/** wait4/waitid options (include/uapi/linux/wait.h). */
export const WNOHANG = 0x00000001;
export const WUNTRACED = 0x00000002;
export const WSTOPPED = WUNTRACED;
export const WEXITED = 0x00000004;
export const WCONTINUED = 0x00000008;
export const WNOWAIT = 0x01000000;
export const __WNOTHREAD = 0x20000000;
export const __WALL = 0x40000000;
export const __WCLONE = 0x80000000;
/** waitid's idtype. */
export const P_ALL = 0;
export const P_PID = 1;
export const P_PGID = 2;
export const P_PIDFD = 3;
/** SIGCHLD's si_code. */
export const CLD_EXITED = 1;
export const CLD_KILLED = 2;
export const CLD_DUMPED = 3;
export const CLD_TRAPPED = 4;
export const CLD_STOPPED = 5;
export const CLD_CONTINUED = 6;

/** stack_t { void *ss_sp; int ss_flags; size_t ss_size; } */
export const SIZEOF_STACK_T = 24;
export const StackTOffset = { ss_sp: 0, ss_flags: 8, ss_size: 16 } as const;

/** struct ucontext (arm64): uc_sigmask is padded to 1024 bits, uc_mcontext is 16-byte aligned. */
export const SIZEOF_UCONTEXT = 4560;
export const UcontextOffset = { uc_flags: 0, uc_link: 8, uc_stack: 16, uc_sigmask: 40, uc_mcontext: 176 } as const;
/** struct sigcontext: __reserved holds the records (fpsimd, esr, ..., a null terminator). */
export const SigcontextOffset = { fault_address: 0, regs: 8, sp: 256, pc: 264, pstate: 272, __reserved: 288 } as const;
export const SIGCONTEXT_RESERVED_SIZE = 4096;
/** struct fpsimd_context { struct _aarch64_ctx head; __u32 fpsr, fpcr; __uint128_t vregs[32]; } */
export const FPSIMD_MAGIC = 0x46508001;
export const SIZEOF_FPSIMD_CONTEXT = 528;
export const FpsimdContextOffset = { fpsr: 8, fpcr: 12, vregs: 16 } as const;
/** struct esr_context { struct _aarch64_ctx head; __u64 esr; }: the syndrome of the fault behind the signal. */
export const ESR_MAGIC = 0x45535201;
export const SIZEOF_ESR_CONTEXT = 16;

// ---- interval and POSIX timers: linux/time.h, asm-generic/siginfo.h ----

export const ITIMER_REAL = 0;
export const ITIMER_VIRTUAL = 1;
export const ITIMER_PROF = 2;
export const SIGEV_SIGNAL = 0;
export const SIGEV_NONE = 1;
export const SIGEV_THREAD = 2;
export const SIGEV_THREAD_ID = 4;
/** struct sigevent { sigval_t sigev_value; int sigev_signo; int sigev_notify; union { int _tid; ... } } */
export const SIZEOF_SIGEVENT = 64;
export const SigeventOffset = { sigev_value: 0, sigev_signo: 8, sigev_notify: 12, sigev_notify_thread_id: 16 } as const;
/** struct itimerval / struct itimerspec: interval first, then value. */
export const SIZEOF_ITIMERVAL = 32;
export const SIZEOF_ITIMERSPEC = 32;
/** struct tms: four clock_t in USER_HZ ticks. */
export const SIZEOF_TMS = 32;
export const USER_HZ = 100;
// ---- terminals: asm-generic/termbits.h (arm64 uses it unchanged) ----

/**
 * The termios flags of each field by name. The host adapter knows the same
 * names with the host's values; a flag missing on one side is dropped.
 */
export const TERMIOS_FLAGS = {
  c_iflag: {
    IGNBRK: 0o1, BRKINT: 0o2, IGNPAR: 0o4, PARMRK: 0o10, INPCK: 0o20, ISTRIP: 0o40, INLCR: 0o100,
    IGNCR: 0o200, ICRNL: 0o400, IUCLC: 0o1000, IXON: 0o2000, IXANY: 0o4000, IXOFF: 0o10000,
    IMAXBEL: 0o20000, IUTF8: 0o40000,
  },
  c_oflag: {
    OPOST: 0o1, OLCUC: 0o2, ONLCR: 0o4, OCRNL: 0o10, ONOCR: 0o20, ONLRET: 0o40, OFILL: 0o100, OFDEL: 0o200,
  },
  c_cflag: {
    CSTOPB: 0o100, CREAD: 0o200, PARENB: 0o400, PARODD: 0o1000, HUPCL: 0o2000, CLOCAL: 0o4000,
    CRTSCTS: 0o20000000000,
  },
  c_lflag: {
    ISIG: 0o1, ICANON: 0o2, XCASE: 0o4, ECHO: 0o10, ECHOE: 0o20, ECHOK: 0o40, ECHONL: 0o100,
    NOFLSH: 0o200, TOSTOP: 0o400, ECHOCTL: 0o1000, ECHOPRT: 0o2000, ECHOKE: 0o4000, FLUSHO: 0o10000,
    PENDIN: 0o40000, IEXTEN: 0o100000,
  },
} as const satisfies Record<string, Record<string, number>>;

/** c_cflag character size: CSIZE mask, CS5 = 0 ... CS8 = 0o60. */
export const CSIZE = 0o60;
/** c_cflag line speed: CBAUD (output speed code, CBAUDEX marks codes above 38400) and CIBAUD (input, << IBSHIFT; 0: same). */
export const CBAUD = 0o10017;
export const CBAUDEX = 0o10000;
export const CIBAUD = 0o2003600000;
export const IBSHIFT = 16;
/** Bits per second of the B* speed codes 0..15 (B0..B38400) and CBAUDEX|1..15 (B57600..B4000000). */
export const BAUD_RATES = [0, 50, 75, 110, 134, 150, 200, 300, 600, 1200, 1800, 2400, 4800, 9600, 19200, 38400] as const;
export const BAUD_RATES_EX = [
  57600, 115200, 230400, 460800, 500000, 576000, 921600, 1000000, 1152000, 1500000, 2000000, 2500000, 3000000,
  3500000, 4000000,
] as const;

/** c_cc indices; a control character of 0 is disabled (_POSIX_VDISABLE). */
export const TERMIOS_CC = {
  VINTR: 0, VQUIT: 1, VERASE: 2, VKILL: 3, VEOF: 4, VTIME: 5, VMIN: 6, VSWTC: 7, VSTART: 8, VSTOP: 9,
  VSUSP: 10, VEOL: 11, VREPRINT: 12, VDISCARD: 13, VWERASE: 14, VLNEXT: 15, VEOL2: 16,
} as const;

export const TIOCGSID = 0x5429;
export const TIOCSCTTY = 0x540e;
export const TIOCNOTTY = 0x5422;
/** Pseudo-terminal masters (asm-generic/ioctls.h): _IOR('T', 0x30, unsigned int) and friends. */
export const TIOCGPTN = 0x80045430;
export const TIOCSPTLCK = 0x40045431;
export const TIOCGPTLCK = 0x80045439;
export const TIOCGPTPEER = 0x5441;

// ---- poll(2), select(2): asm-generic/poll.h ----

export const POLLIN = 0x1;
export const POLLPRI = 0x2;
export const POLLOUT = 0x4;
export const POLLERR = 0x8;
export const POLLHUP = 0x10;
export const POLLNVAL = 0x20;
export const POLLRDNORM = 0x40;
export const POLLRDBAND = 0x80;
export const POLLWRNORM = 0x100;
export const POLLWRBAND = 0x200;
/** struct pollfd { int fd; short events; short revents; } (8 bytes) */
export const SIZEOF_POLLFD = 8;

/** POLLRDHUP (include/uapi/asm-generic/poll.h): the peer shut down its writing half. */
export const POLLRDHUP = 0x2000;

/** epoll (include/uapi/linux/eventpoll.h): the event bits are the poll bits plus these flags. */
export const EPOLL_CTL_ADD = 1;
export const EPOLL_CTL_DEL = 2;
export const EPOLL_CTL_MOD = 3;
export const EPOLLEXCLUSIVE = 1 << 28;
export const EPOLLWAKEUP = 1 << 29;
export const EPOLLONESHOT = 1 << 30;
export const EPOLLET = 0x80000000;
/** struct epoll_event { __u32 events; __u64 data; }: 16 bytes on arm64 (packed only on x86-64). */
export const SIZEOF_EPOLL_EVENT = 16;

/** eventfd2 flags (include/linux/eventfd.h): EFD_CLOEXEC and EFD_NONBLOCK are O_CLOEXEC and O_NONBLOCK. */
export const EFD_SEMAPHORE = 1;
/** timerfd_settime flags (include/uapi/linux/timerfd.h). */
export const TFD_TIMER_ABSTIME = 1;
export const TFD_TIMER_CANCEL_ON_SET = 2;
/** struct signalfd_siginfo (include/uapi/linux/signalfd.h): 128 bytes. */
export const SIZEOF_SIGNALFD_SIGINFO = 128;

// ---- sockets: include/linux/socket.h, include/uapi/linux/in.h, in6.h, tcp.h ----

export const AF_UNSPEC = 0;
export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_INET6 = 10;
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const SOCK_RAW = 3;
export const SOCK_SEQPACKET = 5;
export const SOCK_TYPE_MASK = 0xf;
export const IPPROTO_IP = 0;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_IPV6 = 41;
export const SOL_SOCKET = 1;
export const MSG_OOB = 0x1;
export const MSG_PEEK = 0x2;
export const MSG_DONTROUTE = 0x4;
export const MSG_CTRUNC = 0x8;
export const MSG_TRUNC = 0x20;
export const MSG_DONTWAIT = 0x40;
export const MSG_EOR = 0x80;
export const MSG_WAITALL = 0x100;
export const MSG_NOSIGNAL = 0x4000;
export const MSG_MORE = 0x8000;
export const MSG_CMSG_CLOEXEC = 0x40000000;
export const SCM_RIGHTS = 1;
/** struct sockaddr_in 16, sockaddr_in6 28, sockaddr_un 110, sockaddr_storage 128 bytes. */
export const SIZEOF_SOCKADDR_IN = 16;
export const SIZEOF_SOCKADDR_IN6 = 28;
export const SIZEOF_SOCKADDR_UN = 110;
export const SIZEOF_SOCKADDR_STORAGE = 128;
/** struct msghdr on arm64: name, namelen, iov, iovlen, control, controllen, flags (56 bytes). */
export const MsghdrOffset = { msg_name: 0, msg_namelen: 8, msg_iov: 16, msg_iovlen: 24, msg_control: 32, msg_controllen: 40, msg_flags: 48 } as const;
export const SIZEOF_MSGHDR = 56;
/** struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; } then the data, 8-aligned. */
export const SIZEOF_CMSGHDR = 16;
