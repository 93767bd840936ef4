/**
 * Threads (kernel/fork.c copy_process with CLONE_THREAD, kernel/exit.c
 * do_exit, mm_release): a new thread of the calling process is a new vCPU
 * of its VM (boot/machine.ts addVcpu) with a Task that shares the thread
 * group, memory, fd table and filesystem view, and its own registers,
 * signal mask, alternate stack (disabled), tid, clear_child_tid and TLS
 * (CLONE_SETTLS: TPIDR_EL0). Its run loop is started by the process's run
 * loop (ThreadGroup.startThread) and takes its turns on the run queue.
 *
 * exit(2) ends one thread: its clear_child_tid word is zeroed and woken
 * (pthread_join waits on it), its robust futex list is walked, the PI
 * locks it still owns go to their waiters, its vCPU
 * goes. The last thread's exit ends the process with the status Linux
 * reports: the leader's own exit code. exit_group(2) ends every thread.
 *
 * Thread ids are numbers above Linux's largest pid_max (2^22), so they never
 * name a host process (guest pids are host pids): 2^22 + (pid mod 512) *
 * 4096 + n. Two processes whose pids agree mod 512 may hand out the same
 * thread ids; a thread is only reachable from its own process.
 */
import { addVcpu, enterEl0, releaseVcpu } from '../boot/machine.js';
import type { VcpuPort } from '../../ports/vcpu.js';
import { Errno } from './errno.js';
import type { CloneRequest } from './fork.js';
import { futexWake, releasePiLocks, walkRobustList } from './futex.js';
import { postProcessSignal } from './signal-deliver.js';
import { SIGKILL, CLONE_CHILD_CLEARTID, CLONE_CHILD_SETTID, CLONE_FILES, CLONE_FS, CLONE_PARENT_SETTID, CLONE_SETTLS, CLONE_THREAD, CLONE_VFORK } from './linux-abi.js';
import { Task, type UserContext } from './task.js';

const TID_BASE = 1 << 22;
const TIDS_PER_PROCESS = 4096;

function nextTid(task: Task): number | null {
  const tg = task.tg;
  const base = TID_BASE + (tg.pid % 512) * TIDS_PER_PROCESS;
  const used = new Set([...tg.threads].map((t) => t.tid));
  for (let i = 0; i < TIDS_PER_PROCESS - 1; i++) {
    tg.tidSeq = (tg.tidSeq % (TIDS_PER_PROCESS - 1)) + 1;
    const tid = base + tg.tidSeq;
    if (!used.has(tid)) return tid;
  }
  return null;
}

function putTid(task: Task, addr: bigint | number, tid: number): void {
  if (addr === 0 || addr === 0n) return;
  try {
    task.mem.writeU32(Number(addr), tid >>> 0);
  } catch {
    // Linux ignores a failed put_user of the tid as well
  }
}

/**
 * clone with CLONE_VM|CLONE_THREAD: a new thread, started from the caller's
 * registers at the syscall's return with X0 = 0 (`childRegs`). Returns its tid.
 */
export function cloneThread(task: Task, req: CloneRequest, childRegs: (ctx: UserContext) => Parameters<typeof enterEl0>[2]): number {
  const { flags } = req;
  const machine = task.machine;
  if (!machine || !task.userContext) return -Errno.ENOSYS;
  if (!(flags & CLONE_THREAD)) {
    task.trace('elfuse: clone: CLONE_VM without CLONE_THREAD or CLONE_VFORK (a process sharing memory) is not supported');
    return -Errno.ENOSYS;
  }
  if ((flags & (CLONE_FILES | CLONE_FS)) !== (CLONE_FILES | CLONE_FS) || flags & CLONE_VFORK) {
    task.trace('elfuse: clone: a thread without CLONE_FILES and CLONE_FS, or with CLONE_VFORK, is not supported');
    return -Errno.ENOSYS;
  }
  const start = task.tg.startThread;
  if (!start || task.vfork) {
    task.trace('elfuse: clone: threads of a vfork child before its exec are not supported');
    return -Errno.ENOSYS;
  }
  const tid = nextTid(task);
  const cpu = tid === null ? null : addVcpu(machine);
  if (tid === null || cpu === null) {
    task.trace('elfuse: clone: no vCPU left for another thread');
    return -Errno.EAGAIN;
  }
  const child = new Task({ host: task.host, as: task.as, mem: task.mem, machine, verbose: task.verbose, log: task.log, thread: { of: task, tid } });
  // The mask is inherited; an alternate stack is not when the memory is shared (copy_process).
  child.sigmask = task.sigmask;
  child.clearChildTid = flags & CLONE_CHILD_CLEARTID ? req.childTid : 0n;
  child.parentLink = task.parentLink;
  child.reportToParent = task.reportToParent;
  const regs = childRegs(task.userContext);
  enterEl0(machine, task.as, { ...regs, tpidr: flags & CLONE_SETTLS ? req.tls : regs.tpidr }, true, cpu);
  child.vcpuSlot = cpu.slot;
  if (flags & CLONE_PARENT_SETTID) putTid(task, req.parentTid, tid);
  if (flags & CLONE_CHILD_SETTID) putTid(task, req.childTid, tid);
  task.tg.threads.add(child);
  task.trace(`elfuse: clone: thread ${tid}`);
  start(child, cpu.vcpu, cpu.slot);
  return tid;
}

/**
 * exit(2): this thread ends. The last one's exit ends the process with the
 * leader's exit code (the leader, if it left first, is what wait reports).
 */
export function exitThread(task: Task, status: number): void {
  const tg = task.tg;
  tg.threads.delete(task);
  if (task.tid === tg.pid) tg.leaderStatus = status;
  if (tg.threads.size === 0) {
    task.exit = { status: tg.leaderStatus ?? status };
    return;
  }
  task.threadExit = { status };
}

/**
 * mm_release and the rest of do_exit for a thread that ended alone: the
 * robust list is walked, clear_child_tid zeroed and its waiters woken, the
 * vCPU given back (not the first one, which the process keeps until it ends).
 */
export function threadEnded(task: Task, vcpu: VcpuPort, slot: number): void {
  walkRobustList(task);
  releasePiLocks(task);
  // Signals sent to the process that this thread held go to another; its own are dropped.
  const pending = [...task.sigqueue];
  task.sigqueue.clear();
  task.sigpending = 0n;
  for (const [sig, queue] of pending) {
    for (const info of queue) {
      if (!info.preallocated) task.tg.sigqueueUsed--;
      if (info.shared && task.tg.threads.size > 0) postProcessSignal(task, sig, info);
    }
  }
  if (task.clearChildTid !== 0n) {
    try {
      task.mem.writeU32(Number(task.clearChildTid), 0);
      futexWake(task, Number(task.clearChildTid), 1, -1);
    } catch {
      // an unmapped word: nothing to clear
    }
  }
  if (slot !== 0 && task.machine) releaseVcpu(task.machine, vcpu, slot);
}

/** A live thread of the caller's process by its tid (the leader's is the pid). */
export function threadOf(task: Task, tid: number): Task | null {
  if (tid === task.tid) return task.exit ? null : task;
  for (const t of task.tg.threads) if (t.tid === tid && !t.exit) return t;
  return null;
}

/** The thread group's leader while it lives, else the caller (what /proc/<pid> shows). */
export function leaderOf(task: Task): Task {
  for (const t of task.tg.threads) if (t.tid === task.pid) return t;
  return task;
}

/**
 * de_thread, for execve: every other thread ends at once (their
 * clear_child_tid and robust lists belong to the old image and are left
 * alone), and the caller takes the process's id as its thread id.
 */
export function endOtherThreads(task: Task): void {
  const tg = task.tg;
  for (const t of [...tg.threads]) {
    if (t === task) continue;
    tg.threads.delete(t);
    t.clearChildTid = 0n;
    t.robustList = { head: 0n, len: 0n };
    t.threadExit = { signal: SIGKILL, core: false };
    t.kick();
    for (const waiter of [...t.signalWaiters]) waiter();
  }
  tg.leaderStatus = null;
  if (task.tid !== tg.pid) task.trace(`elfuse: execve: thread ${task.tid} takes the process id ${tg.pid}`);
  task.tid = tg.pid;
}
