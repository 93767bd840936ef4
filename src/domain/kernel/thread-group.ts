/**
 * What the threads of one process share, as Linux keeps it apart from the
 * thread itself (task_struct): the credentials (struct cred), and the
 * thread group (signal_struct with sighand_struct): the process id, the
 * signal dispositions, the resource limits, the nice value and the prctl
 * state that is per process. fork copies these into the child; a thread
 * (thread.ts) shares them.
 */

import type { ExitState, Rlimit, SigAction, Task } from './task.js';
import type { VcpuPort } from '../../ports/vcpu.js';
import { RunQueue } from './run-queue.js';
import { defaultCaps, type CapSets } from './capability.js';
import type { TimerState } from './time.js';
import { Children } from './wait.js';
import { RLIMIT_NOFILE, RLIMIT_STACK, RLIM_INFINITY, RLIM_NLIMITS, SIGCHLD, _NSIG } from './linux-abi.js';

/** struct cred: real, effective, saved and filesystem ids, the supplementary groups and the capability sets. */
export class Cred {
  uid = 0;
  euid = 0;
  suid = 0;
  gid = 0;
  egid = 0;
  sgid = 0;
  /** Filesystem ids (setfsuid/setfsgid); they follow the effective ids. */
  fsuid = 0;
  fsgid = 0;
  /** Supplementary groups (getgroups/setgroups). */
  groups: number[] = [];
  /** Capabilities (capability.ts). */
  caps: CapSets = defaultCaps(0);

  clone(): Cred {
    const c = new Cred();
    Object.assign(c, this);
    c.groups = [...this.groups];
    c.caps = { ...this.caps };
    return c;
  }
}

const MiB = 1024n * 1024n;

/** Linux's defaults for a process started from a login shell (RLIMIT_STACK 8 MiB, NOFILE 1024/4096). */
export function defaultRlimits(): Rlimit[] {
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

export class ThreadGroup {
  /** The process id (the thread group leader's tid): the host pid of this elfuse process. */
  pid: number;
  readonly cred: Cred;
  /** Signal dispositions, indexed by signal number - 1 (sighand). */
  readonly sigactions: SigAction[];
  readonly rlimits: Rlimit[];
  /** Siginfo slots held against RLIMIT_SIGPENDING: queued signals and one per POSIX timer. */
  sigqueueUsed = 0;
  /** Nice value (getpriority/setpriority). */
  nice = 0;
  /** /proc/self/oom_score_adj, and the lowest value a write without CAP_SYS_RESOURCE may set (oom_score_adj_min). */
  oomScoreAdj = 0;
  oomScoreAdjMin = 0;
  /** PR_SET_TIMERSLACK, in nanoseconds. */
  timerSlackNs = 50_000;
  /** prctl state: PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS, PR_SET_CHILD_SUBREAPER, PR_SET_KEEPCAPS. */
  pdeathSig = 0;
  dumpable = 1;
  noNewPrivs = false;
  childSubreaper = false;
  keepCaps = false;
  /** The signal this process's death sends its parent (clone's exit signal; SIGCHLD after fork). */
  exitSignal = SIGCHLD;
  /** personality(2). */
  personality = 0;
  /** sched_setscheduler(2): one of the normal policies (sched.ts). */
  schedPolicy = 0;
  /** This process's children (fork.ts, wait.ts). */
  readonly children = new Children();
  /** Interval and POSIX timers (time.ts); not inherited by a fork child. */
  timers: TimerState | null = null;

  /** The live threads, the leader first (it stays a member until the group ends, as a zombie leader does). */
  readonly threads = new Set<Task>();
  /** Whose turn it is on the CPU (run-queue.ts). */
  readonly runQueue = new RunQueue();
  /** Thread ids handed out so far (thread.ts). */
  tidSeq = 0;
  /**
   * How the whole process ended (exit_group, a fatal signal, the last
   * thread's exit): every thread stops. Set through Task.exit.
   */
  groupExit: ExitState = null;
  /** The leader's exit code once it ended alone (exit(2)): what wait reports when the last thread goes. */
  leaderStatus: number | null = null;
  /** Starts a new thread's run loop on its vCPU; installed by the run loop (run-loop.ts runGuest). */
  startThread: ((task: Task, vcpu: VcpuPort, slot: number) => void) | null = null;

  constructor(pid: number, cred: Cred, from?: ThreadGroup) {
    this.pid = pid;
    this.cred = cred;
    this.sigactions = from
      ? from.sigactions.map((a) => ({ ...a }))
      : Array.from({ length: _NSIG }, () => ({ handler: 0n, flags: 0n, restorer: 0n, mask: 0n }));
    this.rlimits = from ? from.rlimits.map((l) => ({ ...l })) : defaultRlimits();
    if (from) {
      this.nice = from.nice;
      this.oomScoreAdj = from.oomScoreAdj;
      this.oomScoreAdjMin = from.oomScoreAdjMin;
      this.timerSlackNs = from.timerSlackNs;
      this.dumpable = from.dumpable;
      this.noNewPrivs = from.noNewPrivs;
      this.keepCaps = from.keepCaps;
      this.personality = from.personality;
      this.schedPolicy = from.schedPolicy;
      // Not inherited by a fork child: PR_SET_PDEATHSIG and PR_SET_CHILD_SUBREAPER (prctl(2)).
    }
  }
}
