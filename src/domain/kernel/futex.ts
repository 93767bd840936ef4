/**
 * futex(2) and the robust futex lists (kernel/futex): the wait queues of a
 * process's futex words, shared by its threads. A word is named by its
 * virtual address in the process's memory (every thread shares it), for
 * private and shared futexes alike; a shared futex woken by another process
 * (MAP_SHARED memory between processes) is not seen: the waiter sleeps to
 * its timeout or a signal.
 *
 * The waits (FUTEX_WAIT, FUTEX_WAIT_BITSET) check the word and queue the
 * thread in one step (nothing else runs meanwhile), then wait for a wake,
 * the timeout (ETIMEDOUT) or a signal (ERESTARTSYS, or ERESTARTNOHAND with
 * a timeout). The wakes (FUTEX_WAKE, FUTEX_WAKE_BITSET, FUTEX_WAKE_OP,
 * FUTEX_REQUEUE, FUTEX_CMP_REQUEUE) take waiters in the order they came,
 * those whose bitset meets theirs. A thread that ends walks its robust list
 * (walkRobustList), as do_exit's exit_robust_list does. The PI commands are
 * ENOSYS, said under --verbose.
 */
import { Errno } from './errno.js';
import { decodeTimespec, SIZEOF_TIMESPEC } from './linux-abi.js';
import { ERESTARTSYS, ERESTARTNOHAND, waitInterruptible } from './signal-deliver.js';
import { SyscallError, type SyscallArgs, type SyscallImpl } from './syscall-args.js';
import type { MmStruct } from './mm-struct.js';
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
const FUTEX_BITSET_MATCH_ANY = -1;

/** The futex word's bits a robust mutex keeps (include/uapi/linux/futex.h). */
const FUTEX_WAITERS = 0x80000000;
const FUTEX_OWNER_DIED = 0x40000000;
const FUTEX_TID_MASK = 0x3fffffff;
/** How many entries of a robust list are walked at most (ROBUST_LIST_LIMIT). */
const ROBUST_LIST_LIMIT = 2048;

/** FUTEX_OP_SET..FUTEX_OP_XOR and FUTEX_OP_OPARG_SHIFT (include/uapi/linux/futex.h). */
const FUTEX_OP_OPARG_SHIFT = 8;

/** A thread waiting on a futex word. */
interface Waiter {
  readonly task: Task;
  readonly bitset: number;
  /** The word it waits on (a requeue moves it). */
  addr: number;
  woken: boolean;
  readonly wake: () => void;
}

/** The wait queues of one memory (mm), by word address. */
const queues = new WeakMap<MmStruct, Map<number, Waiter[]>>();

function queueOf(task: Task, addr: number, create: boolean): Waiter[] | undefined {
  let byAddr = queues.get(task.mm);
  if (!byAddr) {
    if (!create) return undefined;
    byAddr = new Map();
    queues.set(task.mm, byAddr);
  }
  let q = byAddr.get(addr);
  if (!q && create) byAddr.set(addr, (q = []));
  return q;
}

function unqueue(task: Task, w: Waiter): void {
  const byAddr = queues.get(task.mm);
  const q = byAddr?.get(w.addr);
  if (!q) return;
  const i = q.indexOf(w);
  if (i >= 0) q.splice(i, 1);
  if (q.length === 0) byAddr!.delete(w.addr);
}

/** The futex word at `addr`: 4-byte aligned or EINVAL, readable or EFAULT. */
function word(task: Task, addr: number): number {
  if (addr % 4 !== 0) throw new SyscallError(Errno.EINVAL);
  return task.mem.readU32(addr);
}

/**
 * Wakes up to `n` waiters on `addr` whose bitset meets `bitset`, oldest
 * first; how many it woke. A count below 1 still wakes one, as futex_wake's
 * loop (test after the wake) does; FUTEX_REQUEUE's wake count is exact (`exact`).
 */
export function futexWake(task: Task, addr: number, n: number, bitset: number, exact = false): number {
  const q = queueOf(task, addr, false);
  if (!q) return 0;
  if (!exact) n = Math.max(n, 1);
  let woken = 0;
  for (let i = 0; i < q.length && woken < n; ) {
    const w = q[i]!;
    if ((w.bitset & bitset) === 0) {
      i++;
      continue;
    }
    q.splice(i, 1);
    w.woken = true;
    w.wake();
    woken++;
  }
  if (q.length === 0) queues.get(task.mm)?.delete(addr);
  return woken;
}

/** FUTEX_WAKE_OP's operation on the word at addr2 (futex_atomic_op_inuser); whether its comparison holds. */
function wakeOp(task: Task, addr2: number, encoded: number): boolean {
  const op = (encoded >>> 28) & 15;
  const cmp = (encoded >>> 24) & 15;
  // oparg and cmparg are sign-extended 12-bit fields.
  let oparg = (encoded << 8) >> 20;
  const cmparg = (encoded << 20) >> 20;
  if (op & FUTEX_OP_OPARG_SHIFT) {
    if (oparg < 0 || oparg > 31) oparg &= 31; // Linux warns once and masks
    oparg = 1 << oparg;
  }
  if (cmp > 5 || (op & 7) > 4) throw new SyscallError(Errno.ENOSYS);
  const old = word(task, addr2) | 0;
  const value = [oparg, old + oparg, old | oparg, old & ~oparg, old ^ oparg][op & 7]!;
  task.mem.writeU32(addr2, value >>> 0);
  switch (cmp) {
    case 0:
      return old === cmparg;
    case 1:
      return old !== cmparg;
    case 2:
      return old < cmparg;
    case 3:
      return old <= cmparg;
    case 4:
      return old > cmparg;
    default:
      return old >= cmparg;
  }
}

/** Queues the thread on `addr` and waits for a wake, `deadlineNs` (on the realtime or monotonic clock) or a signal. */
async function futexWait(task: Task, addr: number, bitset: number, deadlineNs: bigint | null, realtime: boolean): Promise<number> {
  const clock = task.host.clock;
  const now = (): bigint => (realtime ? clock.realtimeNs() : clock.monotonicNs());
  let wake = (): void => undefined;
  const woken = new Promise<boolean>((resolve) => (wake = () => resolve(true)));
  const w: Waiter = { task, bitset, addr, woken: false, wake };
  queueOf(task, addr, true)!.push(w);
  try {
    for (;;) {
      if (w.woken) return 0;
      if (deadlineNs !== null && deadlineNs - now() <= 0n) return -Errno.ETIMEDOUT;
      const until = deadlineNs === null ? woken : Promise.race([woken, clock.sleep(deadlineNs - now()).then(() => false)]);
      const r = await waitInterruptible(task, until);
      if (w.woken) return 0;
      if (r === null) return deadlineNs === null ? -ERESTARTSYS : -ERESTARTNOHAND;
    }
  } finally {
    if (!w.woken) unqueue(task, w);
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
  // FUTEX_CLOCK_REALTIME is only for the commands that take a timeout.
  if (realtime && cmd !== FUTEX_WAIT_BITSET && cmd !== FUTEX_WAIT) return -Errno.ENOSYS;
  switch (cmd) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET: {
      const bitset = cmd === FUTEX_WAIT_BITSET ? a.int(5) : FUTEX_BITSET_MATCH_ANY;
      if (bitset === 0) return -Errno.EINVAL;
      const timeout = readTimeout(task, a.ptr(3));
      if (word(task, uaddr) !== val) return -Errno.EAGAIN;
      // FUTEX_WAIT's timeout is relative (CLOCK_MONOTONIC, or realtime when asked); FUTEX_WAIT_BITSET's is absolute.
      const clockNow = realtime ? task.host.clock.realtimeNs() : task.host.clock.monotonicNs();
      const deadline = timeout === null ? null : cmd === FUTEX_WAIT ? clockNow + timeout : timeout;
      return futexWait(task, uaddr, bitset, deadline, realtime);
    }
    case FUTEX_WAKE:
    case FUTEX_WAKE_BITSET: {
      const bitset = cmd === FUTEX_WAKE_BITSET ? a.int(5) : FUTEX_BITSET_MATCH_ANY;
      if (bitset === 0) return -Errno.EINVAL;
      if (uaddr % 4 !== 0) return -Errno.EINVAL;
      return futexWake(task, uaddr, a.int(2), bitset);
    }
    case FUTEX_REQUEUE:
    case FUTEX_CMP_REQUEUE: {
      // val2 (the requeue count) travels in the timeout register.
      const nrWake = a.int(2);
      const nrRequeue = a.int(3);
      const uaddr2 = a.ptr(4);
      if (nrWake < 0 || nrRequeue < 0) return -Errno.EINVAL;
      if (uaddr2 % 4 !== 0) return -Errno.EINVAL;
      const cur = word(task, uaddr);
      if (cmd === FUTEX_CMP_REQUEUE && cur !== a.int(5) >>> 0) return -Errno.EAGAIN;
      const woken = futexWake(task, uaddr, nrWake, FUTEX_BITSET_MATCH_ANY, true);
      let moved = 0;
      const q = queueOf(task, uaddr, false);
      if (q && uaddr2 !== uaddr) {
        const movers = q.splice(0, Math.min(nrRequeue, q.length));
        if (q.length === 0) queues.get(task.mm)?.delete(uaddr);
        if (movers.length > 0) {
          const q2 = queueOf(task, uaddr2, true)!;
          for (const w of movers) {
            w.addr = uaddr2;
            q2.push(w);
          }
        }
        moved = movers.length;
      }
      return woken + moved;
    }
    case FUTEX_WAKE_OP: {
      const uaddr2 = a.ptr(4);
      if (uaddr % 4 !== 0) return -Errno.EINVAL;
      const hit = wakeOp(task, uaddr2, a.int(5));
      let woken = futexWake(task, uaddr, a.int(2), FUTEX_BITSET_MATCH_ANY);
      if (hit) woken += futexWake(task, uaddr2, a.int(3), FUTEX_BITSET_MATCH_ANY);
      return woken;
    }
    default:
      task.trace(`elfuse: futex: command ${cmd} (the PI futexes) is not supported`);
      return -Errno.ENOSYS;
  }
}

/**
 * A dying thread's robust futexes (exit_robust_list): each lock on its list
 * (and the one it was taking or releasing, list_op_pending) whose word
 * names it as owner gets FUTEX_OWNER_DIED, keeping FUTEX_WAITERS, and one
 * waiter is woken to take it over. A list that cannot be read ends the walk.
 */
export function walkRobustList(task: Task): void {
  const head = Number(task.robustList.head);
  if (head === 0) return;
  try {
    const entry0 = task.mem.readU64(head);
    const offset = BigInt.asIntN(64, task.mem.readU64(head + 8));
    const pending = task.mem.readU64(head + 16);
    let entry = entry0;
    for (let n = 0; entry !== BigInt(head) && n < ROBUST_LIST_LIMIT; n++) {
      const next = task.mem.readU64(Number(entry & ~1n));
      const pi = (entry & 1n) !== 0n;
      // The pending one is handled last, once (it may be on the list too).
      if (entry !== pending) futexDied(task, Number(BigInt.asUintN(64, (entry & ~1n) + offset)), pi, false);
      entry = next;
    }
    if (pending !== 0n) futexDied(task, Number(BigInt.asUintN(64, (pending & ~1n) + offset)), (pending & 1n) !== 0n, true);
  } catch {
    // an unreadable list: the walk stops, as Linux's does
  }
}

/** handle_futex_death for the word at `addr`. */
function futexDied(task: Task, addr: number, pi: boolean, pendingOp: boolean): void {
  if (addr % 4 !== 0) return;
  const uval = task.mem.readU32(addr);
  // A lock being released when the thread died, already free: its waiter may have been missed.
  if (pendingOp && !pi && uval === 0) {
    futexWake(task, addr, 1, FUTEX_BITSET_MATCH_ANY);
    return;
  }
  if ((uval & FUTEX_TID_MASK) !== task.tid) return;
  const mval = ((uval & FUTEX_WAITERS) | FUTEX_OWNER_DIED) >>> 0;
  task.mem.writeU32(addr, mval);
  if (!pi && mval & FUTEX_WAITERS) futexWake(task, addr, 1, FUTEX_BITSET_MATCH_ANY);
}

export const futexSyscalls: Readonly<Record<string, SyscallImpl>> = {
  futex: { handler: sysFutex, support: 'partial', note: 'waits and wakes among the threads of a process; PI futexes are ENOSYS; a shared futex is not woken by another process', args: ['ptr', 'hex', 'int', 'ptr', 'ptr', 'hex'] },
};
