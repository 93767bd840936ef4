/**
 * A process's children and waiting for them (kernel/exit.c): wait4(2),
 * waitid(2), zombies until reaped, SIGCHLD with CLD_EXITED/KILLED/DUMPED/
 * STOPPED/CONTINUED, SA_NOCLDWAIT and SIGCHLD ignored reaping at once, and
 * getrusage(RUSAGE_CHILDREN).
 *
 * Each child is another elfuse process (fork.ts); it reports what becomes
 * of it over its control channel (exit status with its resource usage, a
 * stop, a continue). A child whose host process ends without a word (killed
 * from outside) is a zombie with the status the host gives. A zombie
 * another process handed on as it exited (reparent.ts) becomes a child here
 * (adoptZombie), announced with SIGCHLD as reparent_leader does.
 */

import type { HostExit, ProcessChannel } from '../../ports/processes.js';
import { decodeMessage, type ChannelMessage, type ReparentedZombie, type Rusage } from '../fork/messages.js';
import { Errno } from './errno.js';
import {
  CLD_CONTINUED,
  CLD_DUMPED,
  CLD_EXITED,
  CLD_KILLED,
  CLD_STOPPED,
  P_ALL,
  P_PGID,
  P_PID,
  P_PIDFD,
  SA_NOCLDSTOP,
  SA_NOCLDWAIT,
  SIGCHLD,
  SIG_IGN,
  SIZEOF_SIGINFO,
  SiginfoOffset,
  StructWriter,
  WCONTINUED,
  WEXITED,
  WNOHANG,
  WNOWAIT,
  WSTOPPED,
  WUNTRACED,
  __WALL,
  __WCLONE,
  __WNOTHREAD,
} from './linux-abi.js';
import { pidOfPidfd } from './pidfd.js';
import { guestRecord } from './proc-records.js';
import { ERESTARTSYS, postProcessSignal, waitInterruptible } from './signal-deliver.js';
import type { SyscallArgs, SyscallImpl } from './syscall-args.js';
import type { Task } from './task.js';
import { WaitQueue } from './waitq.js';

/** Clock ticks per second (USER_HZ), the unit of si_utime/si_stime. */
const USER_HZ = 100n;
const ZERO_RUSAGE: Rusage = { utimeUs: 0n, stimeUs: 0n, maxrssKb: 0n };

export class ChildProcess {
  state: 'running' | 'stopped' | 'zombie' = 'running';
  /** The wait status word (exit code << 8, or the signal | 0x80 for a core). */
  status = 0;
  /** waitid's si_code and si_status for the last change. */
  code = 0;
  siStatus = 0;
  /** A stop not reported to wait yet (WUNTRACED), a continue not reported yet (WCONTINUED). */
  stopPending = false;
  continuedPending = false;
  rusage: Rusage = ZERO_RUSAGE;
  /** The child's process group as last seen (the host forgets it once the process is gone). */
  pgid: number;
  /** Its effective, permitted and inheritable capabilities at the fork (capget before it publishes its own). */
  caps: readonly [bigint, bigint, bigint] | null = null;
  /** It has exec'd since the fork (setpgid on it is then EACCES). */
  execed = false;
  /** setpgid requests sent to it, answered in order. */
  readonly setpgidReplies: ((errno: number) => void)[] = [];
  /** An orphan this subreaper adopted (not forked by it: no channel, reaped from the host). */
  adopted = false;
  /** A zombie its exiting parent handed on to this process (adoptZombie): its pid is no host process of ours. */
  reparented = false;
  /** Its real uid as last known (si_uid): the parent's at the fork, the child's own in its reports and record. */
  uid = 0;
  /** Its name as last seen (a zombie's /proc/<pid>/stat): the parent's at fork, the child's own record at exit. */
  comm = '';
  /** It said its host process may serve another fork once reaped ('reusable'), and how to offer it. */
  reusable = false;
  reuse: (() => void) | null = null;

  constructor(
    readonly pid: number,
    readonly exitSignal: number,
    pgid: number,
    /** The control channel to the child's elfuse process (signals with their siginfo go through it). */
    readonly channel: ProcessChannel | null = null,
  ) {
    this.pgid = pgid;
  }
}

/** A process's children (task->children) and the waits on them. */
export class Children {
  readonly byPid = new Map<number, ChildProcess>();
  /** Resources of the children reaped so far (RUSAGE_CHILDREN). */
  reaped: Rusage = ZERO_RUSAGE;
  /** Children whose host process still runs (a reaped child's may outlive its report; its orphans go when it ends). */
  readonly hostAlive = new Set<number>();
  private readonly waiters = new Set<() => void>();
  /** Woken with every change, as `waiters`: pidfds polled or in an epoll (pidfd.ts). */
  readonly queue = new WaitQueue();
  /**
   * Set once this process's guest has ended and its zombies went to their
   * new parent (reparent.ts): a child whose end is heard only now goes the
   * same way, rather than to a guest that will never wait for it.
   */
  handOn: ((child: ChildProcess) => void) | null = null;

  changed(): void {
    for (const w of [...this.waiters]) w();
    this.queue.wake();
  }

  whenChanged(): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.waiters.delete(done);
        resolve();
      };
      this.waiters.add(done);
    });
  }

  /**
   * Children reaped lately: their elfuse process may still be finishing on
   * the host, but to the guest they are gone (ESRCH), as Linux frees the
   * pid at the reap. Bounded; forgotten when the pid is a child again.
   */
  readonly reapedPids = new Set<number>();

  /** Whether `pid` was a child of this process that has been reaped. */
  wasReaped(pid: number): boolean {
    return this.reapedPids.has(pid) && !this.byPid.has(pid);
  }

  reap(child: ChildProcess): void {
    this.byPid.delete(child.pid);
    // Its process waits for another fork now: it has no children, so no orphans to wait for.
    if (child.reusable) {
      this.hostAlive.delete(child.pid);
      child.reuse?.();
    }
    this.reapedPids.add(child.pid);
    if (this.reapedPids.size > 1024) this.reapedPids.delete(this.reapedPids.values().next().value as number);
    const r = this.reaped;
    const c = child.rusage;
    this.reaped = { utimeUs: r.utimeUs + c.utimeUs, stimeUs: r.stimeUs + c.stimeUs, maxrssKb: r.maxrssKb > c.maxrssKb ? r.maxrssKb : c.maxrssKb };
  }
}

/** Host signal names a child process can die by, to Linux numbers (the host's own numbering differs). */
const HOST_SIGNALS: Readonly<Record<string, number>> = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8, SIGKILL: 9,
  SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15, SIGXCPU: 24, SIGXFSZ: 25,
  SIGVTALRM: 26, SIGPROF: 27, SIGIO: 29, SIGSYS: 31,
};

/**
 * What the child says (fork.ts hands every channel message here): update
 * its record, signal the parent as do_notify_parent does, wake the waits.
 */
export function childMessage(task: Task, child: ChildProcess, bytes: Uint8Array): void {
  const m: ChannelMessage = decodeMessage(bytes);
  switch (m.kind) {
    case 'exited':
      child.uid = m.uid;
      return childEnded(task, child, (m.status & 0xff) << 8, CLD_EXITED, m.status & 0xff, m.rusage);
    case 'killed':
      child.uid = m.uid;
      return childEnded(task, child, m.signal | (m.core ? 0x80 : 0), m.core ? CLD_DUMPED : CLD_KILLED, m.signal, m.rusage);
    case 'stopped':
      if (child.state === 'zombie') return;
      child.state = 'stopped';
      child.stopPending = true;
      child.continuedPending = false;
      child.code = CLD_STOPPED;
      child.siStatus = m.signal;
      child.status = (m.signal << 8) | 0x7f;
      notifyStopCont(task, child);
      return;
    case 'continued':
      if (child.state === 'zombie') return;
      child.state = 'running';
      child.stopPending = false;
      child.continuedPending = true;
      child.code = CLD_CONTINUED;
      child.siStatus = 18; // SIGCONT
      notifyStopCont(task, child);
      return;
    case 'released':
      if (child.state !== 'zombie') child.execed = true;
      return;
    case 'setpgid-done':
      child.setpgidReplies.shift()?.(m.errno);
      return;
    case 'reusable':
      child.reusable = true;
      return;
    case 'signal':
      // A child signalling its parent (kill(getppid(), ...)) with the siginfo it built.
      postProcessSignal(task, m.info.signo, { signo: m.info.signo, code: m.info.code, pid: m.info.pid, uid: m.info.uid, value: m.info.value });
      return;
    case 'reparented':
      // The child exiting hands on a zombie of its own: before its exit report, as Linux
      // reparents the zombie before the child itself becomes one.
      adoptZombie(task, m.zombie);
      return;
    default:
      return;
  }
}

/** The child's host process ended; without an earlier report, the host's status is all there is. */
export function childHostExit(task: Task, child: ChildProcess, how: HostExit): void {
  if (child.state === 'zombie' || !task.tg.children.byPid.has(child.pid)) return;
  if ('code' in how) childEnded(task, child, (how.code & 0xff) << 8, CLD_EXITED, how.code & 0xff, ZERO_RUSAGE);
  else {
    const sig = HOST_SIGNALS[how.signal] ?? 9;
    childEnded(task, child, sig, CLD_KILLED, sig, ZERO_RUSAGE);
  }
}

function childEnded(task: Task, child: ChildProcess, status: number, code: number, siStatus: number, rusage: Rusage): void {
  if (child.state === 'zombie') return;
  for (const reply of child.setpgidReplies.splice(0)) reply(Errno.ESRCH);
  // A zombie handed on has its name already; its pid's record now may be another process's.
  const rec = child.reparented ? null : guestRecord(task, child.pid);
  if (rec) child.comm = rec.comm;
  child.state = 'zombie';
  child.status = status;
  child.code = code;
  child.siStatus = siStatus;
  child.rusage = rusage;
  const children = task.tg.children;
  if (children.handOn) {
    children.byPid.delete(child.pid);
    children.handOn(child);
    children.changed();
    return;
  }
  // do_notify_parent: with SIGCHLD ignored or SA_NOCLDWAIT, the child is reaped at once.
  const action = task.tg.sigactions[SIGCHLD - 1];
  const autoreap = child.exitSignal === SIGCHLD && action !== undefined && (action.handler === SIG_IGN || (action.flags & BigInt(SA_NOCLDWAIT)) !== 0n);
  if (child.exitSignal !== 0 && !(child.exitSignal === SIGCHLD && action?.handler === SIG_IGN)) {
    postProcessSignal(task, child.exitSignal, sigchldInfo(task, child));
  }
  if (autoreap) children.reap(child);
  children.changed();
}

function notifyStopCont(task: Task, child: ChildProcess): void {
  const rec = guestRecord(task, child.pid);
  if (rec) child.uid = rec.uid[0];
  const action = task.tg.sigactions[SIGCHLD - 1];
  if (!action || action.handler === SIG_IGN || action.flags & BigInt(SA_NOCLDSTOP)) {
    task.tg.children.changed();
    return;
  }
  postProcessSignal(task, SIGCHLD, sigchldInfo(task, child));
  task.tg.children.changed();
}

function sigchldInfo(task: Task, child: ChildProcess) {
  return {
    signo: child.exitSignal || SIGCHLD,
    code: child.code,
    pid: child.pid,
    uid: child.uid,
    status: child.siStatus,
    utime: (child.rusage.utimeUs * USER_HZ) / 1_000_000n,
    stime: (child.rusage.stimeUs * USER_HZ) / 1_000_000n,
  };
}

/**
 * reparent_leader on the new parent's side: a zombie another process handed
 * on as it exited becomes this process's child, with its exit signal
 * SIGCHLD, and is announced as do_notify_parent does (reaped at once when
 * SIGCHLD is ignored or SA_NOCLDWAIT). False when its pid already names a
 * child here (the host gave the pid to another process meanwhile: Linux
 * would have kept it while the zombie held it).
 */
export function adoptZombie(task: Task, z: ReparentedZombie): boolean {
  const children = task.tg.children;
  if (children.byPid.has(z.pid) || z.pid === task.pid) return false;
  const child = new ChildProcess(z.pid, SIGCHLD, z.pgid, null);
  child.adopted = true;
  child.reparented = true;
  child.comm = z.comm;
  child.uid = z.uid;
  children.byPid.set(z.pid, child);
  children.reapedPids.delete(z.pid);
  childEnded(task, child, z.status, z.code, z.siStatus, z.rusage);
  return true;
}

/** Which children a wait is about. */
type Selector = { kind: 'any' } | { kind: 'pid'; pid: number } | { kind: 'pgid'; pgid: number };

function matches(task: Task, child: ChildProcess, sel: Selector): boolean {
  if (sel.kind === 'any') return true;
  if (sel.kind === 'pid') return child.pid === sel.pid;
  if (child.state !== 'zombie') {
    try {
      child.pgid = task.host.processes.getpgid(child.pid);
    } catch {
      // gone already: its last known group
    }
  }
  return child.pgid === sel.pgid;
}

interface Found {
  readonly child: ChildProcess;
  readonly what: 'exited' | 'stopped' | 'continued';
}

function reportable(task: Task, sel: Selector, options: number): { found: Found | null; any: boolean } {
  let any = false;
  for (const child of task.tg.children.byPid.values()) {
    if (!matches(task, child, sel)) continue;
    any = true;
    if (child.state === 'zombie' && options & WEXITED) return { found: { child, what: 'exited' }, any };
    if (child.state === 'stopped' && child.stopPending && options & WSTOPPED) return { found: { child, what: 'stopped' }, any };
    if (child.continuedPending && options & WCONTINUED) return { found: { child, what: 'continued' }, any };
  }
  return { found: null, any };
}

/**
 * PR_SET_CHILD_SUBREAPER: the host makes orphans below this process its
 * host children; here they become its guest children too, found by their
 * records (their host parent is this process) or, once exited (their record
 * withdrawn), by the host's list of this process's children, and, having no channel to
 * this process, are reaped from the host (wait4 of the host process), whose
 * status is the guest's (elfuse exits as its guest did). Checked every 50 ms
 * while the process is a subreaper, and before a wait would say ECHILD.
 */
export function adoptOrphans(task: Task): void {
  const children = task.tg.children;
  // An orphan that already exited has withdrawn its record: the host's list of children still has it.
  const candidates = new Set([...task.host.processes.publishedPids(), ...task.host.processes.adoptedHostChildren()]);
  for (const pid of candidates) {
    // Its own children are not orphans, nor are reaped ones while their host process finishes
    // or waits for another fork (its record may not be withdrawn yet).
    if (pid === task.pid || children.byPid.has(pid) || children.hostAlive.has(pid) || children.reapedPids.has(pid)) continue;
    const v = task.host.processes.hostView(pid);
    if (!v || v.ppid !== task.pid) continue;
    const child = new ChildProcess(pid, SIGCHLD, v.pgrp, null);
    child.adopted = true;
    const rec = guestRecord(task, pid);
    child.comm = rec?.comm ?? '';
    child.uid = rec?.uid[0] ?? task.cred.uid;
    children.byPid.set(pid, child);
    children.changed();
  }
  for (const child of [...children.byPid.values()]) {
    if (!child.adopted || child.state === 'zombie') continue;
    let r;
    try {
      r = task.host.processes.reapAdopted(child.pid);
    } catch {
      r = null;
    }
    if (!r) continue;
    const rusage = { utimeUs: r.utimeUs, stimeUs: r.stimeUs, maxrssKb: r.maxrssKb };
    const sig = r.status & 0x7f;
    if (sig === 0) childEnded(task, child, r.status & 0xff00, CLD_EXITED, (r.status >> 8) & 0xff, rusage);
    else childEnded(task, child, r.status & 0xff, r.status & 0x80 ? CLD_DUMPED : CLD_KILLED, sig, rusage);
  }
}

const watching = new WeakSet<Task>();

export function watchAdoptions(task: Task): void {
  if (watching.has(task)) return;
  watching.add(task);
  void (async () => {
    while (task.tg.childSubreaper && !task.exit) {
      adoptOrphans(task);
      await task.host.clock.sleep(50_000_000n);
    }
    watching.delete(task);
  })();
}

/** The wait loop shared by wait4 and waitid: a report, 0 for WNOHANG, or ECHILD. */
async function doWait(task: Task, sel: Selector, options: number, report: (f: Found) => void): Promise<number> {
  for (;;) {
    if (task.tg.childSubreaper) adoptOrphans(task);
    const { found, any } = reportable(task, sel, options);
    // A subreaper whose reaped child's host process has not ended yet may be about to adopt its orphans.
    if (!found && !any && task.tg.childSubreaper && [...task.tg.children.hostAlive].some((pid) => !task.tg.children.byPid.has(pid))) {
      if (options & WNOHANG) return 0;
      const woke = await waitInterruptible(task, task.tg.children.whenChanged().then(() => true));
      if (woke === null) return -ERESTARTSYS;
      continue;
    }
    if (found) {
      const { child, what } = found;
      report(found);
      if (!(options & WNOWAIT)) {
        if (what === 'exited') task.tg.children.reap(child);
        else if (what === 'stopped') child.stopPending = false;
        else child.continuedPending = false;
      }
      return child.pid;
    }
    if (!any) return -Errno.ECHILD;
    if (options & WNOHANG) return 0;
    const woke = await waitInterruptible(task, task.tg.children.whenChanged().then(() => true));
    if (woke === null) return -ERESTARTSYS;
  }
}

function selectorOfPid(task: Task, pid: number): Selector {
  if (pid === -1) return { kind: 'any' };
  if (pid > 0) return { kind: 'pid', pid };
  return { kind: 'pgid', pgid: pid === 0 ? task.host.processes.getpgid(0) : -pid };
}

/** struct rusage with the user and system times and the peak RSS. */
export function encodeRusage(r: Rusage): Uint8Array {
  return new StructWriter(144)
    .i64(0, r.utimeUs / 1_000_000n)
    .i64(8, r.utimeUs % 1_000_000n)
    .i64(16, r.stimeUs / 1_000_000n)
    .i64(24, r.stimeUs % 1_000_000n)
    .i64(32, r.maxrssKb).bytes;
}

/** wait4(2): the status word as wait(2) documents it, and the child's rusage. */
function sysWait4(task: Task, a: SyscallArgs): Promise<number> | number {
  const pid = a.int(0);
  const statusPtr = a.ptr(1);
  const options = a.int(2);
  const rusagePtr = a.ptr(3);
  if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL)) return -Errno.EINVAL;
  // pid INT_MIN has no group to name (kernel_wait4).
  if (pid === -2147483648) return -Errno.ESRCH;
  return doWait(task, selectorOfPid(task, pid), options | WEXITED, ({ child, what }) => {
    const status = what === 'continued' ? 0xffff : child.status;
    if (statusPtr !== 0) {
      const w = new StructWriter(4).i32(0, status);
      task.mem.write(statusPtr, w.bytes);
    }
    if (rusagePtr !== 0) task.mem.write(rusagePtr, encodeRusage(what === 'exited' ? child.rusage : ZERO_RUSAGE));
  });
}

/** waitid(2): the change as a siginfo (si_pid 0 when WNOHANG found none). */
function sysWaitid(task: Task, a: SyscallArgs): Promise<number> | number {
  const idtype = a.int(0);
  const id = a.int(1);
  const infop = a.ptr(2);
  const options = a.int(3);
  const rusagePtr = a.ptr(4);
  if (options & ~(WNOHANG | WNOWAIT | WEXITED | WSTOPPED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL)) return -Errno.EINVAL;
  if (!(options & (WEXITED | WSTOPPED | WCONTINUED))) return -Errno.EINVAL;
  let sel: Selector;
  if (idtype === P_ALL) sel = { kind: 'any' };
  else if (idtype === P_PID) {
    if (id <= 0) return -Errno.EINVAL;
    sel = { kind: 'pid', pid: id };
  } else if (idtype === P_PGID) {
    if (id < 0) return -Errno.EINVAL;
    sel = { kind: 'pgid', pgid: id === 0 ? task.host.processes.getpgid(0) : id };
  } else if (idtype === P_PIDFD) {
    const pid = id < 0 ? -Errno.EBADF : pidOfPidfd(task, id);
    if (pid < 0) return pid;
    sel = { kind: 'pid', pid };
  } else return -Errno.EINVAL;
  const write = (found: Found | null): void => {
    if (infop === 0) return;
    const O = SiginfoOffset;
    const w = new StructWriter(SIZEOF_SIGINFO);
    if (found) {
      const { child, what } = found;
      const code = what === 'exited' ? child.code : what === 'stopped' ? CLD_STOPPED : CLD_CONTINUED;
      const status = what === 'continued' ? 18 : child.siStatus;
      w.i32(O.si_signo, SIGCHLD).i32(O.si_code, code).i32(O.si_pid, child.pid).u32(O.si_uid, child.uid).i32(O.si_status, status);
    }
    task.mem.write(infop, w.bytes);
  };
  const r = doWait(task, sel, options, (f) => {
    write(f);
    if (rusagePtr !== 0) task.mem.write(rusagePtr, encodeRusage(f.what === 'exited' ? f.child.rusage : ZERO_RUSAGE));
  });
  return r.then((pid) => {
    if (pid === 0) write(null); // WNOHANG and nothing to report: si_pid 0
    return pid > 0 ? 0 : pid;
  });
}

export const waitSyscalls: Readonly<Record<string, SyscallImpl>> = {
  wait4: { handler: sysWait4, support: 'full', args: ['int', 'ptr', 'hex', 'ptr'] },
  waitid: { handler: sysWaitid, support: 'full', args: ['int', 'int', 'ptr', 'hex', 'ptr'] },
};
