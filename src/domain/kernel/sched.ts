/**
 * The scheduling-policy calls (kernel/sched/syscalls.c): sched_getscheduler,
 * sched_setscheduler, sched_getparam, sched_setparam and the priority
 * ranges. A guest process is scheduled by the host as an ordinary process,
 * so the normal policies (SCHED_OTHER, SCHED_BATCH, SCHED_IDLE, priority 0)
 * are kept and reported back; the real-time ones (SCHED_FIFO, SCHED_RR) are
 * EPERM, as for a process without CAP_SYS_NICE: elfuse cannot give them.
 */
import { Errno } from './errno.js';
import { processExists } from './pidfd.js';
import { StructWriter } from './linux-abi.js';
import type { SyscallArgs, SyscallImpl } from './syscall-args.js';
import type { Task } from './task.js';

const SCHED_OTHER = 0;
const SCHED_FIFO = 1;
const SCHED_RR = 2;
const SCHED_BATCH = 3;
const SCHED_IDLE = 5;
const SCHED_RESET_ON_FORK = 0x40000000;

const realTime = (policy: number): boolean => policy === SCHED_FIFO || policy === SCHED_RR;
const normal = (policy: number): boolean => policy === SCHED_OTHER || policy === SCHED_BATCH || policy === SCHED_IDLE;

/** The process `pid` names (0: the caller): null for a bad pid, ESRCH for none. */
function target(task: Task, pid: number): number {
  if (pid < 0) return -Errno.EINVAL;
  if (pid !== 0 && pid !== task.pid && !processExists(task, pid)) return -Errno.ESRCH;
  return 0;
}

function sysSchedGetscheduler(task: Task, a: SyscallArgs): number {
  const pid = a.int(0);
  const bad = target(task, pid);
  if (bad) return bad;
  // Another process's policy is not known here: the host schedules every elfuse process as SCHED_OTHER.
  return pid === 0 || pid === task.pid ? task.tg.schedPolicy : SCHED_OTHER;
}

/** sched_setscheduler and sched_setparam: `policy` null keeps the current one. */
function setScheduler(task: Task, pid: number, policyArg: number | null, paramPtr: number): number {
  if (pid < 0 || paramPtr === 0) return -Errno.EINVAL;
  const priority = task.mem.readU32(paramPtr) | 0;
  const bad = target(task, pid);
  if (bad) return bad;
  const policy = policyArg === null ? task.tg.schedPolicy : policyArg & ~SCHED_RESET_ON_FORK;
  if (!normal(policy) && !realTime(policy)) return -Errno.EINVAL;
  if (normal(policy) ? priority !== 0 : priority < 1 || priority > 99) return -Errno.EINVAL;
  if (realTime(policy)) {
    task.trace('elfuse: sched_setscheduler: real-time policies are not given to guests (EPERM)');
    return -Errno.EPERM;
  }
  if (pid !== 0 && pid !== task.pid) {
    task.trace('elfuse: sched_setscheduler: only the calling process changes its own policy here (EPERM)');
    return -Errno.EPERM;
  }
  task.tg.schedPolicy = policy;
  return 0;
}

function sysSchedGetparam(task: Task, a: SyscallArgs): number {
  const pid = a.int(0);
  const ptr = a.ptr(1);
  if (pid < 0 || ptr === 0) return -Errno.EINVAL;
  const bad = target(task, pid);
  if (bad) return bad;
  // struct sched_param: sched_priority, 0 under every normal policy.
  task.mem.write(ptr, new StructWriter(4).i32(0, 0).bytes);
  return 0;
}

function priorityBound(max: boolean) {
  return (_task: Task, a: SyscallArgs): number => {
    const policy = a.int(0);
    if (realTime(policy)) return max ? 99 : 1;
    if (normal(policy)) return 0;
    return -Errno.EINVAL;
  };
}

export const schedSyscalls: Readonly<Record<string, SyscallImpl>> = {
  sched_getscheduler: { handler: sysSchedGetscheduler, support: 'full', args: ['int'] },
  sched_setscheduler: {
    handler: (t, a) => setScheduler(t, a.int(0), a.int(1), a.ptr(2)),
    support: 'partial',
    args: ['int', 'int', 'ptr'],
    note: 'SCHED_OTHER, SCHED_BATCH and SCHED_IDLE; real-time policies are EPERM',
  },
  sched_getparam: { handler: sysSchedGetparam, support: 'full', args: ['int', 'ptr'] },
  sched_setparam: { handler: (t, a) => setScheduler(t, a.int(0), null, a.ptr(1)), support: 'full', args: ['int', 'ptr'] },
  sched_get_priority_max: { handler: priorityBound(true), support: 'full', args: ['int'] },
  sched_get_priority_min: { handler: priorityBound(false), support: 'full', args: ['int'] },
};
