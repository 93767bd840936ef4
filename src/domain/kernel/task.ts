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
import { Sysroot } from './sysroot.js';
import type { ProcImage } from './procfs.js';
import { O_RDONLY, O_WRONLY, RLIMIT_NOFILE, RLIMIT_STACK, RLIM_INFINITY, RLIM_NLIMITS, _NSIG, O_RDWR } from './linux-abi.js';

/** struct k_sigaction, kept as the guest gave it. */
export interface SigAction {
  handler: bigint;
  flags: bigint;
  restorer: bigint;
  mask: bigint;
}

export interface Rlimit {
  cur: bigint;
  max: bigint;
}

export type ExitState = { readonly status: number } | { readonly signal: number; readonly core: boolean } | null;

/** A private file mapping, remembered so MADV_DONTNEED can bring the file contents back. */
export interface FileMapping {
  start: number;
  end: number;
  hostPath: string;
  offset: bigint;
}

export interface TaskOptions {
  mem: GuestMemory;
  as: AddressSpace;
  host: HostPorts;
  verbose?: boolean;
  log?: (line: string) => void;
  execfn?: string;
  sysroot?: string;
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

  /** set_tid_address / CLONE_CHILD_CLEARTID: the futex word cleared when the thread exits. */
  clearChildTid = 0n;
  robustList = { head: 0n, len: 0n };
  readonly rlimits: Rlimit[];
  /** Private file mappings created by mmap. */
  readonly fileMappings: FileMapping[] = [];

  /** Set by exit/exit_group/fatal signals; the run loop stops the guest when non-null. */
  exit: ExitState = null;

  readonly verbose: boolean;
  readonly log: (line: string) => void;
  readonly execfn: string;
  readonly sysroot: string | undefined;
  /** The sysroot paths resolve under (--sysroot), or null. */
  readonly root: Sysroot | null;
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
    this.sysroot = opts.sysroot;
    this.root = opts.sysroot === undefined ? null : new Sysroot(opts.host.fs, opts.sysroot);
    this.image = opts.image ?? null;
    this.comm = '';
    this.setComm(new TextEncoder().encode(this.execfn.slice(this.execfn.lastIndexOf('/') + 1)));

    const fs = opts.host.fs;
    this.fds = new FdTable((file) => {
      if (file.ownsHostFd && file.hostFd >= 0) fs.close(file.hostFd);
    });
    this.installStdio();
  }

  /** fds 0, 1, 2 are the host's own stdin, stdout and stderr. */
  private installStdio(): void {
    const modes = [O_RDONLY, O_WRONLY, O_WRONLY];
    modes.forEach((accmode, fd) => {
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
