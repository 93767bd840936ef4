/**
 * Task: the guest process as the syscall layer sees it (Linux's
 * task_struct + mm + files + signal_struct, flattened): guest memory and
 * address space, the fd table, the host ports, identity, signal
 * dispositions and mask, rlimits, thread bookkeeping pointers and the exit
 * state the run loop checks after each syscall.
 */

import type { HostPorts } from '../../ports/host.js';
import type { AddressSpace } from '../memory/address-space.js';
import type { GuestMemory } from '../memory/guest-memory.js';
import { FdTable, OpenFile } from './fd-table.js';
import { FileLocks, inodeKey } from './file-locks.js';
import { FsContext } from './fs-context.js';
import type { ProcImage } from './procfs.js';
import { O_RDONLY, O_WRONLY, RLIMIT_NOFILE, RLIMIT_STACK, RLIM_INFINITY, RLIM_NLIMITS, _NSIG, O_RDWR } from './linux-abi.js';

/** The user registers of the interrupted guest, wherever the vCPU keeps them (see signal-frame.ts). */
export interface UserContext {
  getX(n: number): bigint;
  setX(n: number, v: bigint): void;
  sp: bigint;
  pc: bigint;
  pstate: bigint;
  fpsr: bigint;
  fpcr: bigint;
  getV(n: number): Uint8Array;
  setV(n: number, v: Uint8Array): void;
}

/** struct k_sigaction, kept as the guest gave it. */
export interface SigAction {
  handler: bigint;
  flags: bigint;
  restorer: bigint;
  mask: bigint;
}

/**
 * A queued signal and the siginfo its handler will see (kernel_siginfo).
 * Fault signals also carry what the frame's sigcontext and esr_context
 * report (Linux keeps them in thread.fault_address / fault_code).
 */
export interface SigInfo {
  signo: number;
  code: number;
  errno?: number;
  /** si_addr of a fault. */
  addr?: bigint;
  pid?: number;
  uid?: number;
  /** si_tid (timer id) and si_overrun of a POSIX timer signal. */
  timerId?: number;
  overrun?: number;
  value?: bigint;
  faultAddress?: bigint;
  esr?: number;
  /** Called when the signal is taken off the queue (POSIX timers count overruns until then). */
  onDequeue?: (info: SigInfo) => void;
  /** A POSIX timer's own siginfo, whose RLIMIT_SIGPENDING slot was taken at timer_create. */
  preallocated?: boolean;
  /** Sent to the elfuse process from outside (postHostSignal). */
  fromHost?: boolean;
}

export interface Rlimit {
  cur: bigint;
  max: bigint;
}

/** How the process ended; `byHost` marks a signal that came from outside elfuse (postHostSignal). */
export type ExitState = { readonly status: number } | { readonly signal: number; readonly core: boolean; readonly byHost?: boolean } | null;

export interface TaskOptions {
  mem: GuestMemory;
  as: AddressSpace;
  host: HostPorts;
  verbose?: boolean;
  log?: (line: string) => void;
  execfn?: string;
  /** --sysroot (host path, absolute and canonical), when fsContext is not given. */
  sysroot?: string;
  /** The filesystem view (root, cwd, sysroot); made from `sysroot` and the host's cwd when absent. */
  fsContext?: FsContext;
  /** Standard streams that were closed when elfuse started: not in the guest's fd table. */
  closedStdio?: readonly number[];
  /** Where exec put argv, envp and auxv, and the CPU it advertised (for /proc/self). */
  image?: ProcImage;
}

const MiB = 1024n * 1024n;

/** Linux's defaults for a process started from a login shell (RLIMIT_STACK 8 MiB, NOFILE 1024/4096). */
function defaultRlimits(): Rlimit[] {
  const limits: Rlimit[] = Array.from({ length: RLIM_NLIMITS }, () => ({ cur: RLIM_INFINITY, max: RLIM_INFINITY }));
  limits[RLIMIT_STACK] = { cur: 8n * MiB, max: RLIM_INFINITY };
  limits[RLIMIT_NOFILE] = { cur: 1024n, max: 4096n };
  limits[4 /* RLIMIT_CORE */] = { cur: 0n, max: RLIM_INFINITY };
  limits[8 /* RLIMIT_MEMLOCK */] = { cur: 8n * MiB, max: 8n * MiB };
  limits[6 /* RLIMIT_NPROC */] = { cur: 63_000n, max: 63_000n };
  limits[11 /* RLIMIT_SIGPENDING */] = { cur: 63_000n, max: 63_000n };
  limits[12 /* RLIMIT_MSGQUEUE */] = { cur: 819_200n, max: 819_200n };
  limits[13 /* RLIMIT_NICE */] = { cur: 0n, max: 0n };
  limits[14 /* RLIMIT_RTPRIO */] = { cur: 0n, max: 0n };
  return limits;
}

export class Task {
  readonly mem: GuestMemory;
  readonly as: AddressSpace;
  readonly host: HostPorts;
  readonly fds: FdTable;
  /** flock, POSIX and OFD locks this process holds (file-locks.ts). */
  readonly locks = new FileLocks();

  readonly pid: number;
  readonly tid: number;
  readonly ppid: number;
  uid: number;
  euid: number;
  suid: number;
  gid: number;
  egid: number;
  sgid: number;
  /** Filesystem ids (setfsuid/setfsgid); they follow the effective ids. */
  fsuid: number;
  fsgid: number;
  /** PR_SET_TIMERSLACK, in nanoseconds. */
  timerSlackNs = 50_000;

  /** Signal dispositions, indexed by signal number - 1; recorded, not yet delivered. */
  readonly sigactions: SigAction[];
  /** Blocked signals: bit (sig - 1). */
  sigmask = 0n;
  /** Signals raised but not delivered: bit (sig - 1). */
  sigpending = 0n;
  /** sigaltstack(2) state; SS_DISABLE (2) until the guest sets one. */
  altStack: { sp: bigint; flags: number; size: bigint } = { sp: 0n, flags: 2, size: 0n };
  /** siginfo of each pending signal, oldest first: standard signals coalesce to one, real-time ones queue. */
  readonly sigqueue = new Map<number, SigInfo[]>();
  /** Siginfo slots held against RLIMIT_SIGPENDING: queued signals and one per POSIX timer. */
  sigqueueUsed = 0;
  /** Interruptible waits to wake when a signal becomes deliverable (signal_wake_up). */
  readonly signalWaiters = new Set<() => void>();
  /** Stops the running vCPU slice so a newly pending signal is delivered soon; the run loop sets it. */
  kick: () => void = () => undefined;
  /** The guest's user registers as the current syscall sees them (rt_sigreturn, sigaltstack); set by the run loop. */
  userContext: UserContext | null = null;
  /** The mask rt_sigsuspend replaced, restored when its signal has been handled (TIF_RESTORE_SIGMASK). */
  savedSigmask: bigint | null = null;
  /** Signals rt_sigtimedwait is waiting for: they end the wait even while blocked. */
  sigwaitSet = 0n;
  /** VA of the page handlers return through when the guest gives no SA_RESTORER (0: not mapped yet). */
  sigtramp = 0;
  /** restart_syscall(2): resumes an interrupted sleep with what is left of it (Linux's restart_block). */
  restartBlock: (() => number | Promise<number>) | null = null;

  /** set_tid_address / CLONE_CHILD_CLEARTID: the futex word cleared when the thread exits. */
  clearChildTid = 0n;
  robustList = { head: 0n, len: 0n };
  readonly rlimits: Rlimit[];

  /** A debugger is attached (ptrace's PT_PTRACED): a fatal signal is reported to it before it takes effect. */
  ptraced = false;

  /** Set by exit/exit_group/fatal signals; the run loop stops the guest when non-null. */
  exit: ExitState = null;

  readonly verbose: boolean;
  readonly log: (line: string) => void;
  readonly execfn: string;
  /** The filesystem view: guest root (sysroot over the host), working directory (fs-context.ts). */
  readonly fsContext: FsContext;
  readonly image: ProcImage | null;
  /** The task name (comm): the executable's basename, PR_SET_NAME, /proc/self/comm; at most 15 bytes. */
  comm: string;
  /** Supplementary groups (getgroups/setgroups). */
  groups: number[] = [];
  /** Nice value (getpriority/setpriority). */
  nice = 0;
  /** prctl state: PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS, PR_SET_CHILD_SUBREAPER, PR_SET_KEEPCAPS. */
  pdeathSig = 0;
  dumpable = 1;
  noNewPrivs = false;
  childSubreaper = false;
  keepCaps = false;

  constructor(opts: TaskOptions) {
    this.mem = opts.mem;
    this.as = opts.as;
    this.host = opts.host;
    const proc = opts.host.process;
    // One guest process is one host process, so it shows the host's ids.
    this.pid = proc.pid;
    this.tid = proc.pid;
    this.ppid = proc.ppid;
    this.uid = this.euid = this.suid = proc.uid;
    this.gid = this.egid = this.sgid = proc.gid;
    this.euid = proc.euid;
    this.egid = proc.egid;
    this.fsuid = this.euid;
    this.fsgid = this.egid;
    this.groups = [...(proc.groups?.() ?? [])];
    this.sigactions = Array.from({ length: _NSIG }, () => ({ handler: 0n, flags: 0n, restorer: 0n, mask: 0n }));
    this.rlimits = defaultRlimits();
    this.verbose = opts.verbose ?? false;
    this.log = opts.log ?? (() => undefined);
    this.execfn = opts.execfn ?? '';
    this.fsContext =
      opts.fsContext ??
      new FsContext(opts.host.fs, { ...(opts.sysroot !== undefined ? { sysroot: opts.sysroot } : {}), hostCwd: opts.host.process.cwd() });
    this.image = opts.image ?? null;
    this.comm = '';
    this.setComm(new TextEncoder().encode(this.execfn.slice(this.execfn.lastIndexOf('/') + 1)));

    const fs = opts.host.fs;
    this.fds = new FdTable(
      (file) => {
        if (file.lockKey !== null) this.locks.releaseDescription(file.lockKey, file);
        if (file.ownsHostFd && file.hostFd >= 0) fs.close(file.hostFd);
      },
      // Closing any fd of a file drops the process's POSIX locks on it (fs/locks.c locks_remove_posix).
      (file) => {
        if (!this.locks.hasRecords(this)) return;
        const key = file.lockKey ?? this.inodeKeyOf(file);
        if (key !== null) this.locks.dropRecords(key, this);
      },
    );
    this.installStdio(opts.closedStdio ?? []);
  }

  /** fds 0, 1, 2 are the host's own stdin, stdout and stderr, unless they were closed. */
  private installStdio(closed: readonly number[]): void {
    const modes = [O_RDONLY, O_WRONLY, O_WRONLY];
    modes.forEach((accmode, fd) => {
      if (closed.includes(fd)) return;
      const kind = this.host.terminal.isatty(fd) ? 'tty' : this.stdioKind(fd);
      // A tty is opened O_RDWR by login; report that like Linux does.
      const flags = kind === 'tty' ? O_RDWR : accmode;
      this.fds.installAt(fd, new OpenFile(fd, `/dev/fd/${fd}`, flags, kind, false), false);
    });
  }

  private stdioKind(fd: number): 'file' | 'fifo' | 'chr' | 'socket' {
    try {
      const type = this.host.fs.fstat(fd).mode & 0o170000;
      if (type === 0o100000) return 'file';
      if (type === 0o20000) return 'chr';
      if (type === 0o140000) return 'socket';
      return 'fifo';
    } catch {
      return 'fifo';
    }
  }

  /** The lock-table key of the inode behind `file` (null for a made-up node or one that cannot be stat'ed). */
  private inodeKeyOf(file: OpenFile): string | null {
    if (file.hostFd < 0) return null;
    try {
      const st = this.host.fs.fstat(file.hostFd);
      return inodeKey(st.dev, st.ino);
    } catch {
      return null;
    }
  }

  /** Sets comm from raw bytes: up to the first NUL or newline-free 15 bytes, as __set_task_comm keeps them. */
  setComm(bytes: Uint8Array): void {
    let end = bytes.indexOf(0);
    if (end < 0) end = bytes.length;
    let name = bytes.subarray(0, Math.min(end, 15));
    // A write to /proc/self/comm usually ends in a newline, which the kernel keeps; echo(1) adds one.
    if (name.length > 0 && name[name.length - 1] === 0x0a && name.length === end) name = name.subarray(0, name.length - 1);
    this.comm = new TextDecoder().decode(name);
  }

  /** RLIMIT_NOFILE soft limit: one past the highest fd the table may hand out. */
  get fdLimit(): number {
    const cur = this.rlimits[RLIMIT_NOFILE]?.cur ?? 1024n;
    return cur > 1_048_576n ? 1_048_576 : Number(cur);
  }

  trace(line: string): void {
    if (this.verbose) this.log(line);
  }
}
