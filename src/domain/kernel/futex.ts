/**
 * futex(2) (kernel/futex) for a process of one thread, which is every
 * process elfuse runs today (threads come with issue 10). With no other
 * thread, nothing can be waiting on a futex word and nothing can wake a
 * waiter, so: the wakes (FUTEX_WAKE, FUTEX_WAKE_BITSET, FUTEX_REQUEUE,
 * FUTEX_CMP_REQUEUE, FUTEX_WAKE_OP) check their arguments as Linux does,
 * do FUTEX_WAKE_OP's write, and wake no one; the waits (FUTEX_WAIT,
 * FUTEX_WAIT_BITSET) return EAGAIN when the word has changed, else sleep
 * until their timeout (ETIMEDOUT) or a signal. glibc's pthread_once,
 * locks and condition variables of a single-threaded program only ever
 * wake. A shared futex in MAP_SHARED memory woken by another process is
 * not supported (the waiter sleeps to its timeout). The PI and
 * robust-list commands are ENOSYS, said under --verbose.
 */
import { Errno } from './errno.js';
import { decodeTimespec, SIZEOF_TIMESPEC } from './linux-abi.js';
import { ERESTARTSYS, ERESTARTNOHAND, waitInterruptible } from './signal-deliver.js';
import { SyscallError, type SyscallArgs, type SyscallImpl } from './syscall-args.js';
import type { Task } from './task.js';

const FUTEX_WAIT = 0;
const FUTEX_WAKE = 1;
const FUTEX_REQUEUE = 3;
const FUTEX_CMP_REQUEUE = 4;
const FUTEX_WAKE_OP = 5;
const FUTEX_WAIT_BITSET = 9;
const FUTEX_WAKE_BITSET = 10;
const FUTEX_PRIVATE_FLAG = 128;
const FUTEX_CLOCK_REALTIME = 256;
const FUTEX_CMD_MASK = ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);

/** FUTEX_OP_SET..FUTEX_OP_XOR and FUTEX_OP_OPARG_SHIFT (include/uapi/linux/futex.h). */
const FUTEX_OP_OPARG_SHIFT = 8;

/** The futex word at `addr`: 4-byte aligned or EINVAL, readable or EFAULT. */
function word(task: Task, addr: number): number {
  if (addr % 4 !== 0) throw new SyscallError(Errno.EINVAL);
  return task.mem.readU32(addr);
}

/** FUTEX_WAKE_OP's operation on the old value (futex_atomic_op_inuser), and its comparison. */
function wakeOp(task: Task, addr2: number, encoded: number): void {
  const op = (encoded >>> 28) & 7;
  const cmp = (encoded >>> 24) & 15;
  // oparg and cmparg are sign-extended 12-bit fields.
  let oparg = (encoded << 8) >> 20;
  if (op & FUTEX_OP_OPARG_SHIFT) {
    if (oparg < 0 || oparg > 31) oparg &= 31; // Linux warns once and masks
    oparg = 1 << oparg;
  }
  if (cmp > 5 || (op & 7) > 4) throw new SyscallError(Errno.ENOSYS);
  const old = word(task, addr2);
  const value = [oparg, old + oparg, old | oparg, old & ~oparg, old ^ oparg][op & 7]!;
  task.mem.writeU32(addr2, value >>> 0);
  // No one waits on the first word, so the comparison decides nothing.
}

/** Sleeps until `deadlineNs` on the clock `realtime` or monotonic, or forever with null; ends early on a signal. */
async function sleepWait(task: Task, deadlineNs: bigint | null, realtime: boolean): Promise<number> {
  const clock = task.host.clock;
  const now = (): bigint => (realtime ? clock.realtimeNs() : clock.monotonicNs());
  for (;;) {
    if (deadlineNs !== null && deadlineNs - now() <= 0n) return -Errno.ETIMEDOUT;
    const sleeping = deadlineNs === null ? new Promise<boolean>(() => {}) : clock.sleep(deadlineNs - now()).then(() => true);
    const woke = await waitInterruptible(task, sleeping);
    if (woke === null) return deadlineNs === null ? -ERESTARTSYS : -ERESTARTNOHAND;
  }
}

function readTimeout(task: Task, ptr: number): bigint | null {
  if (ptr === 0) return null;
  const ns = decodeTimespec(task.mem.read(ptr, SIZEOF_TIMESPEC));
  if (ns === null || ns < 0n) throw new SyscallError(Errno.EINVAL);
  return ns;
}

/** futex(2) */
function sysFutex(task: Task, a: SyscallArgs): number | Promise<number> {
  const uaddr = a.ptr(0);
  const opWord = a.int(1);
  const cmd = opWord & FUTEX_CMD_MASK;
  const val = a.int(2) >>> 0;
  const realtime = (opWord & FUTEX_CLOCK_REALTIME) !== 0;
  // FUTEX_CLOCK_REALTIME is only for the commands that take an absolute time.
  if (realtime && cmd !== FUTEX_WAIT_BITSET && cmd !== FUTEX_WAIT) return -Errno.ENOSYS;
  switch (cmd) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET: {
      if (cmd === FUTEX_WAIT_BITSET && a.int(5) === 0) return -Errno.EINVAL;
      const timeout = readTimeout(task, a.ptr(3));
      if (word(task, uaddr) !== val) return -Errno.EAGAIN;
      // FUTEX_WAIT's timeout is relative (CLOCK_MONOTONIC, or realtime when asked); FUTEX_WAIT_BITSET's is absolute.
      const clockNow = realtime ? task.host.clock.realtimeNs() : task.host.clock.monotonicNs();
      const deadline = timeout === null ? null : cmd === FUTEX_WAIT ? clockNow + timeout : timeout;
      return sleepWait(task, deadline, realtime);
    }
    case FUTEX_WAKE:
    case FUTEX_WAKE_BITSET:
      if (cmd === FUTEX_WAKE_BITSET && a.int(5) === 0) return -Errno.EINVAL;
      word(task, uaddr);
      return 0;
    case FUTEX_REQUEUE:
    case FUTEX_CMP_REQUEUE: {
      // val2 (the requeue count) travels in the timeout register.
      if (a.int(3) < 0 || a.int(2) < 0) return -Errno.EINVAL;
      const cur = word(task, uaddr);
      if (cmd === FUTEX_CMP_REQUEUE && cur !== a.int(5) >>> 0) return -Errno.EAGAIN;
      return 0;
    }
    case FUTEX_WAKE_OP:
      word(task, uaddr);
      wakeOp(task, a.ptr(4), a.int(5));
      return 0;
    default:
      task.trace(`elfuse: futex: command ${cmd} (PI and robust-list futexes) is not supported`);
      return -Errno.ENOSYS;
  }
}

export const futexSyscalls: Readonly<Record<string, SyscallImpl>> = {
  futex: { handler: sysFutex, support: 'partial', note: 'one thread per process: wakes wake no one, waits sleep to their timeout', args: ['ptr', 'hex', 'int', 'ptr', 'ptr', 'hex'] },
};
