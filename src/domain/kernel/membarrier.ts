/**
 * membarrier(2) (kernel/sched/membarrier.c): the commands, their checks
 * and the registration state of the process's memory, as Linux keeps them
 * in mm->membarrier_state (shared by threads, inherited by fork, cleared
 * by execve).
 *
 * The barrier itself: the interpreter runs every thread of a process on
 * the one JavaScript thread, one at a time, and the switch between two
 * threads is a full barrier, so by the time membarrier returns every other
 * thread has passed one. A backend that runs threads on host CPUs at once
 * (HVF) would have to interrupt them (a vCPU exit of each) instead; see
 * ARCHITECTURE.md.
 *
 * What is advertised: everything Linux has on arm64 except the RSEQ
 * commands, which need restartable sequences (rseq is ENOSYS here, as
 * Linux without CONFIG_RSEQ, where these commands are EINVAL too).
 */
import { Errno } from './errno.js';
import type { SyscallArgs, SyscallImpl } from './syscall-args.js';
import type { Task } from './task.js';

/** enum membarrier_cmd (include/uapi/linux/membarrier.h). */
const MEMBARRIER_CMD_QUERY = 0;
const MEMBARRIER_CMD_GLOBAL = 1 << 0;
const MEMBARRIER_CMD_GLOBAL_EXPEDITED = 1 << 1;
const MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED = 1 << 2;
const MEMBARRIER_CMD_PRIVATE_EXPEDITED = 1 << 3;
const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED = 1 << 4;
const MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE = 1 << 5;
const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE = 1 << 6;
/** The RSEQ pair (1 << 7, 1 << 8) is not advertised; its barrier is the one that takes MEMBARRIER_CMD_FLAG_CPU. */
const MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ = 1 << 7;
const MEMBARRIER_CMD_GET_REGISTRATIONS = 1 << 9;
const MEMBARRIER_CMD_FLAG_CPU = 1 << 0;

/** MEMBARRIER_CMD_BITMASK without the RSEQ pair (no CONFIG_RSEQ here). */
const SUPPORTED =
  MEMBARRIER_CMD_GLOBAL |
  MEMBARRIER_CMD_GLOBAL_EXPEDITED |
  MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED |
  MEMBARRIER_CMD_PRIVATE_EXPEDITED |
  MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED |
  MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE |
  MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE |
  MEMBARRIER_CMD_GET_REGISTRATIONS;

/** mm->membarrier_state bits (include/linux/sched/mm.h). */
export const MEMBARRIER_STATE_PRIVATE_EXPEDITED_READY = 1 << 0;
const MEMBARRIER_STATE_PRIVATE_EXPEDITED = 1 << 1;
const MEMBARRIER_STATE_GLOBAL_EXPEDITED_READY = 1 << 2;
const MEMBARRIER_STATE_GLOBAL_EXPEDITED = 1 << 3;
const MEMBARRIER_STATE_PRIVATE_EXPEDITED_SYNC_CORE_READY = 1 << 4;
const MEMBARRIER_STATE_PRIVATE_EXPEDITED_SYNC_CORE = 1 << 5;

/** Which registration command each pair of state bits came from (membarrier_get_registrations). */
const REGISTRATIONS: readonly (readonly [number, number])[] = [
  [MEMBARRIER_STATE_GLOBAL_EXPEDITED | MEMBARRIER_STATE_GLOBAL_EXPEDITED_READY, MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED],
  [MEMBARRIER_STATE_PRIVATE_EXPEDITED | MEMBARRIER_STATE_PRIVATE_EXPEDITED_READY, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED],
  [MEMBARRIER_STATE_PRIVATE_EXPEDITED_SYNC_CORE | MEMBARRIER_STATE_PRIVATE_EXPEDITED_SYNC_CORE_READY, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE],
];

/** membarrier_private_expedited: EPERM unless the process registered for this kind first. */
function privateExpedited(task: Task, ready: number): number {
  // The barrier is the thread switch itself (see the header); a bad cpu_id is not an error (Linux returns 0).
  return (task.mm.membarrierState & ready) === ready ? 0 : -Errno.EPERM;
}

/** membarrier_register_*: the state and ready bits for the memory, once. */
function register(task: Task, state: number, ready: number): number {
  task.mm.membarrierState |= state | ready;
  return 0;
}

/** membarrier(2), in the kernel's order: flags, then the command. */
function sysMembarrier(task: Task, a: SyscallArgs): number {
  const cmd = a.int(0);
  const flags = a.uint(1);
  // Only PRIVATE_EXPEDITED_RSEQ takes MEMBARRIER_CMD_FLAG_CPU.
  if (cmd === MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ ? flags !== 0 && flags !== MEMBARRIER_CMD_FLAG_CPU : flags !== 0) return -Errno.EINVAL;
  switch (cmd) {
    case MEMBARRIER_CMD_QUERY:
      return SUPPORTED;
    case MEMBARRIER_CMD_GLOBAL:
    case MEMBARRIER_CMD_GLOBAL_EXPEDITED:
      // Every other process runs in a host process of its own: a host context switch, itself a barrier, separates them from us.
      return 0;
    case MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED:
      return register(task, MEMBARRIER_STATE_GLOBAL_EXPEDITED, MEMBARRIER_STATE_GLOBAL_EXPEDITED_READY);
    case MEMBARRIER_CMD_PRIVATE_EXPEDITED:
      return privateExpedited(task, MEMBARRIER_STATE_PRIVATE_EXPEDITED_READY);
    case MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED:
      return register(task, MEMBARRIER_STATE_PRIVATE_EXPEDITED, MEMBARRIER_STATE_PRIVATE_EXPEDITED_READY);
    case MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE:
      // The interpreter fetches each instruction anew after a thread switch: the core is in sync.
      return privateExpedited(task, MEMBARRIER_STATE_PRIVATE_EXPEDITED_SYNC_CORE_READY);
    case MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE:
      // As Linux: the SYNC_CORE registration also marks PRIVATE_EXPEDITED registered (not ready).
      return register(task, MEMBARRIER_STATE_PRIVATE_EXPEDITED | MEMBARRIER_STATE_PRIVATE_EXPEDITED_SYNC_CORE, MEMBARRIER_STATE_PRIVATE_EXPEDITED_SYNC_CORE_READY);
    case MEMBARRIER_CMD_GET_REGISTRATIONS: {
      let mask = 0;
      for (const [bits, cmdBit] of REGISTRATIONS) if (task.mm.membarrierState & bits) mask |= cmdBit;
      return mask;
    }
    default:
      // The RSEQ pair included: rseq is not implemented (Linux without CONFIG_RSEQ).
      return -Errno.EINVAL;
  }
}

export const membarrierSyscalls: Readonly<Record<string, SyscallImpl>> = {
  membarrier: {
    handler: sysMembarrier,
    support: 'partial',
    note: 'every command but the RSEQ pair (no rseq); the interpreter runs a process\'s threads one at a time, so the barrier is the thread switch',
    args: ['int', 'hex', 'int'],
  },
};
