/**
 * Task: the guest process as the syscall layer sees it (Linux's
 * task_struct + mm + files + signal_struct, flattened): guest memory and
 * address space, the fd table, the host ports, identity, signal
 * dispositions and mask, rlimits, thread bookkeeping pointers and the exit
 * state the run loop checks after each syscall.
 */

import { WaitQueue } from './waitq.js';
import type { ProcessChannel } from '../../ports/processes.js';
import type { HostPorts } from '../../ports/host.js';
import type { AddressSpace } from '../memory/address-space.js';
import type { GuestMemory } from '../memory/guest-memory.js';
import { FdTable, OpenFile } from './fd-table.js';
import { FileLocks, inodeKey } from './file-locks.js';
import { FsContext } from './fs-context.js';
import type { Machine } from '../boot/machine.js';
import { MmStruct } from './mm-struct.js';
import { Cred, ThreadGroup } from './thread-group.js';
import { defaultCaps } from './capability.js';
import type { ProcImage } from './procfs.js';
import type { VforkChild } from './vfork.js';
import type { VcpuPort } from '../../ports/vcpu.js';
import { O_RDONLY, O_WRONLY, RLIMIT_NOFILE, O_RDWR } from './linux-abi.js';

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
  /** Sent to the process, not one thread (postProcessSignal): another thread may take it over. */
  shared?: boolean;
  /** SIGPOLL's si_band and si_fd (an O_ASYNC description's F_SETSIG signal, fasync.ts). */
  band?: bigint;
  fd?: number;
  /** Sent to the elfuse process from outside (postHostSignal). */
  fromHost?: boolean;
  /** SIGCHLD: the child's exit status or signal (si_status) and its CPU times in clock ticks. */
  status?: number;
  utime?: bigint;
  stime?: bigint;
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
  /** The machine the process runs on (execve loads into it again); absent in kernel unit tests. */
  machine?: Machine;
  /** The thread group to join or restore (a fork child's); a new one from the host's ids when absent. */
  tg?: ThreadGroup;
  /** Whether fds 0-2 are the host's own (false: a fork child fills its table from the fork state). */
  installStdio?: boolean;
  /** Where exec put argv, envp and auxv, and the CPU it advertised (for /proc/self). */
  image?: ProcImage;
  /**
   * A new thread of `of`'s process (clone with CLONE_THREAD|CLONE_VM|CLONE_FILES|CLONE_FS):
   * it shares the thread group, memory, fd table and filesystem view, with its own `tid`.
   */
  thread?: { readonly of: Task; readonly tid: number };
}

/**
 * A guest thread (Linux's task_struct), with the objects it shares with
 * other threads and, across fork, copies: its thread group (`tg`: pid,
 * dispositions, limits, credentials), its memory (`mm`), its open files
 * (`files`) and its filesystem view (`fsContext`). The threads of one
 * process share all four (thread.ts); fork copies them.
 */
export class Task {
  readonly host: HostPorts;
  /** The VM this process runs on: RAM, frames, vCPU (boot/machine.ts); null in kernel unit tests. */
  readonly machine: Machine | null;
  readonly tg: ThreadGroup;
  /** Replaced by execve. */
  mm: MmStruct;
  /**
   * The fd table and the locks this process holds (files_struct): elfuse's
   * table for made-up nodes; `posixLocked` once it took a POSIX lock on a
   * host file (the host keeps those).
   */
  readonly files: { readonly table: FdTable; readonly locks: FileLocks; posixLocked: boolean };

  /** The thread id; a thread that execs takes its process's id (de_thread). */
  tid: number;
  readonly ppid: number;

  /** Blocked signals: bit (sig - 1). */
  sigmask = 0n;
  /** Signals raised but not delivered: bit (sig - 1). */
  sigpending = 0n;
  /** sigaltstack(2) state; SS_DISABLE (2) until the guest sets one. */
  altStack: { sp: bigint; flags: number; size: bigint } = { sp: 0n, flags: 2, size: 0n };
  /** siginfo of each pending signal, oldest first: standard signals coalesce to one, real-time ones queue. */
  readonly sigqueue = new Map<number, SigInfo[]>();
  /** Interruptible waits to wake when a signal becomes deliverable (signal_wake_up). */
  readonly signalWaiters = new Set<() => void>();
  /** Woken whenever a signal becomes pending, blocked or not: signalfd readers and pollers (signalfd.ts). */
  readonly signalQueue = new WaitQueue();
  /** Stops the running vCPU slice so a newly pending signal is delivered soon; the run loop sets it. */
  kick: () => void = () => undefined;
  /** The guest's user registers as the current syscall sees them (rt_sigreturn, sigaltstack); set by the run loop. */
  userContext: UserContext | null = null;
  /** The mask rt_sigsuspend replaced, restored when its signal has been handled (TIF_RESTORE_SIGMASK). */
  savedSigmask: bigint | null = null;
  /** Signals rt_sigtimedwait is waiting for: they end the wait even while blocked. */
  sigwaitSet = 0n;
  /** restart_syscall(2): resumes an interrupted sleep with what is left of it (Linux's restart_block). */
  restartBlock: (() => number | Promise<number>) | null = null;

  /** set_tid_address / CLONE_CHILD_CLEARTID: the futex word cleared when the thread exits. */
  clearChildTid = 0n;
  robustList = { head: 0n, len: 0n };

  /** A fork child tells its parent of stops and continues through this (boot/fork-child.ts); null in a first process. */
  reportToParent: ((what: 'stopped' | 'continued' | 'released', sig: number) => void) | null = null;
  /** A fork child's channel to the parent that forked it (signals to it carry their siginfo); null in a first process. */
  parentLink: { readonly pid: number; readonly channel: ProcessChannel } | null = null;

  /** A vfork child running in its parent's machine until it execs or ends (vfork.ts); null otherwise. */
  vfork: VforkChild | null = null;

  /** A debugger is attached (ptrace's PT_PTRACED): a fatal signal is reported to it before it takes effect. */
  ptraced = false;

  /** This thread's own end (exit(2) while other threads live on, thread.ts); the process's is tg.groupExit. */
  threadExit: ExitState = null;
  /** The vCPU this thread runs on (set by its run loop) and its EL1 stack slot. */
  vcpu: VcpuPort | null = null;
  vcpuSlot = 0;
  /** sched_yield: the thread gives up the CPU when its syscall returns, if another one waits. */
  yieldCpu = false;

  /**
   * How this thread ended: the whole process's end (exit_group, a fatal
   * signal), or its own. Setting it ends the process: every thread stops,
   * and those waiting are woken to see it.
   */
  get exit(): ExitState {
    return this.tg.groupExit ?? this.threadExit;
  }
  set exit(e: ExitState) {
    this.tg.groupExit = e;
    if (e === null) return;
    for (const t of this.tg.threads) {
      if (t === this) continue;
      t.kick();
      for (const waiter of [...t.signalWaiters]) waiter();
    }
  }

  readonly verbose: boolean;
  readonly log: (line: string) => void;
  /** The filesystem view: guest root (sysroot over the host), working directory (fs-context.ts). */
  readonly fsContext: FsContext;
  /** The task name (comm): the executable's basename, PR_SET_NAME, /proc/self/comm; at most 15 bytes. */
  comm: string;

  constructor(opts: TaskOptions) {
    this.host = opts.host;
    this.machine = opts.machine ?? null;
    const proc = opts.host.process;
    // One guest process is one host process, so it shows the host's pid and ids.
    const of = opts.thread?.of;
    this.tid = opts.thread?.tid ?? proc.pid;
    this.ppid = of?.ppid ?? proc.ppid;
    if (of) {
      this.tg = of.tg;
    } else if (opts.tg) {
      this.tg = opts.tg;
    } else {
      const cred = new Cred();
      cred.uid = cred.suid = proc.uid;
      cred.gid = cred.sgid = proc.gid;
      cred.euid = cred.fsuid = proc.euid;
      cred.egid = cred.fsgid = proc.egid;
      cred.groups = [...(proc.groups?.() ?? [])];
      cred.caps = { ...(proc.capabilities?.() ?? defaultCaps(proc.euid)) };
      this.tg = new ThreadGroup(proc.pid, cred);
    }
    this.mm = of ? of.mm : new MmStruct(opts.as, opts.mem, opts.image ?? null, opts.execfn ?? '');
    this.verbose = opts.verbose ?? false;
    this.log = opts.log ?? (() => undefined);
    this.fsContext =
      of?.fsContext ??
      opts.fsContext ??
      new FsContext(opts.host.fs, { ...(opts.sysroot !== undefined ? { sysroot: opts.sysroot } : {}), hostCwd: opts.host.process.cwd() });
    this.comm = '';
    this.setComm(new TextEncoder().encode(this.mm.execfn.slice(this.mm.execfn.lastIndexOf('/') + 1)));
    if (of) {
      // A thread: the process's open files, not a table of its own.
      this.comm = of.comm;
      this.files = of.files;
      return;
    }

    const fs = opts.host.fs;
    const locks = new FileLocks();
    const table = new FdTable(
      (file) => {
        if (file.lockKey !== null) locks.releaseDescription(file.lockKey, file);
        // An epoll registration lives as long as the description it watches (eventpoll_release).
        for (const item of [...file.epollItems]) item.remove();
        file.event?.release?.();
        file.fasync?.remove();
        if (file.ownsHostFd && file.hostFd >= 0) fs.close(file.hostFd);
      },
      // Closing any fd of a file drops the process's POSIX locks on it (fs/locks.c locks_remove_posix).
      (file) => {
        if (this.files.posixLocked && file.refs > 1 && file.hostFd >= 0 && file.synth === null) {
          // The host drops them when its fd closes; a dup'd fd's close leaves the host fd open.
          try {
            fs.recordLock(file.hostFd, 'set', false, 'unlock', 0n, 0n);
          } catch {
            // not a lockable file (a pipe, O_PATH): nothing was locked through it
          }
        }
        if (!locks.hasRecords(this)) return;
        const key = file.lockKey ?? this.inodeKeyOf(file);
        if (key !== null) locks.dropRecords(key, this);
      },
    );
    this.files = { table, locks, posixLocked: false };
    if (opts.installStdio ?? true) this.installStdio(opts.closedStdio ?? []);
  }

  /**
   * exit_files: closes every fd, so the host drops this process's POSIX
   * locks and its pipe ends before the parent hears of the exit (a fork
   * child's host process outlives its guest for a moment).
   */
  closeAllFiles(): void {
    for (const fd of this.fds.openFds()) this.fds.close(fd);
  }

  /** The process id (the thread group's). */
  get pid(): number {
    return this.tg.pid;
  }
  get cred(): Cred {
    return this.tg.cred;
  }
  get as(): AddressSpace {
    return this.mm.as;
  }
  get mem(): GuestMemory {
    return this.mm.mem;
  }
  get fds(): FdTable {
    return this.files.table;
  }
  get locks(): FileLocks {
    return this.files.locks;
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
    const cur = this.tg.rlimits[RLIMIT_NOFILE]?.cur ?? 1024n;
    return cur > 1_048_576n ? 1_048_576 : Number(cur);
  }

  trace(line: string): void {
    if (this.verbose) this.log(line);
  }
}
