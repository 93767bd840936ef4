/**
 * futex(2) and the robust futex lists (kernel/futex): the wait queues of a
 * process's futex words, shared by its threads. A word is named by its
 * virtual address in the process's memory (every thread shares it), for
 * private and shared futexes alike. Another process (each is a host process
 * of its own) cannot reach these queues, so a shared wait on MAP_SHARED
 * host memory also looks at its word, first after 1 ms then less and less
 * often (up to every 16 ms), and ends with 0 once the word has changed: a
 * wake that looks spurious, which futex users allow for. A wake from
 * another process that leaves the word as it was is not seen, and a wake
 * does not count the waiters of other processes.
 *
 * The waits (FUTEX_WAIT, FUTEX_WAIT_BITSET) check the word and queue the
 * thread in one step (nothing else runs meanwhile), then wait for a wake,
 * the timeout (ETIMEDOUT) or a signal (ERESTARTSYS, or ERESTARTNOHAND with
 * a timeout). The wakes (FUTEX_WAKE, FUTEX_WAKE_BITSET, FUTEX_WAKE_OP,
 * FUTEX_REQUEUE, FUTEX_CMP_REQUEUE) take waiters in the order they came,
 * those whose bitset meets theirs. A thread that ends walks its robust list
 * (walkRobustList), as do_exit's exit_robust_list does.
 *
 * futex_waitv (kernel/futex/syscalls.c, waitwake.c) queues one waiter per
 * word on the same queues, so any FUTEX_WAKE of one of them wakes it; each
 * entry stays queued (and a wake may still count it) until the waiter runs
 * again and takes the others off, and the result is the highest index woken,
 * as futex_unqueue_multiple gives.
 *
 * PI futexes (kernel/futex/pi.c, requeue.c): the word holds the owner's tid,
 * FUTEX_WAITERS once a waiter is queued in the kernel, FUTEX_OWNER_DIED once
 * its owner died. FUTEX_LOCK_PI, FUTEX_LOCK_PI2 and FUTEX_TRYLOCK_PI take a
 * free word (keeping FUTEX_OWNER_DIED) or set FUTEX_WAITERS and queue behind
 * the owner, found by its tid among the process's threads (ESRCH when none
 * has it); FUTEX_UNLOCK_PI hands the lock to the first waiter (the word
 * becomes its tid | FUTEX_WAITERS) or frees it. A PI lock's owner is kept
 * per word while it has waiters (the kernel's pi_state), so a thread that
 * dies holding it hands it on as exit_pi_state_list does, and a lock that
 * would close a chain of owners waiting on each other is EDEADLK (the
 * rt_mutex chain walk). The priority inheritance itself does nothing here:
 * the interpreter's threads take the CPU in round-robin order, with no
 * priorities to lend. FUTEX_WAIT_REQUEUE_PI and FUTEX_CMP_REQUEUE_PI move
 * condition-variable waiters onto a PI lock, the first one taking it when
 * it is free.
 */
import { Errno } from './errno.js';
import { CLOCK_MONOTONIC, CLOCK_REALTIME, decodeTimespec, MAP_SHARED, MAP_TYPE, SIZEOF_TIMESPEC, StructReader } from './linux-abi.js';
import { ERESTARTSYS, ERESTARTNOHAND, ERESTARTNOINTR, waitInterruptible } from './signal-deliver.js';
import { SyscallError, type SyscallArgs, type SyscallImpl } from './syscall-args.js';
import type { MmStruct } from './mm-struct.js';
import type { Task } from './task.js';

const FUTEX_WAIT = 0;
const FUTEX_WAKE = 1;
const FUTEX_REQUEUE = 3;
const FUTEX_CMP_REQUEUE = 4;
const FUTEX_WAKE_OP = 5;
const FUTEX_LOCK_PI = 6;
const FUTEX_UNLOCK_PI = 7;
const FUTEX_TRYLOCK_PI = 8;
const FUTEX_WAIT_BITSET = 9;
const FUTEX_WAKE_BITSET = 10;
const FUTEX_WAIT_REQUEUE_PI = 11;
const FUTEX_CMP_REQUEUE_PI = 12;
const FUTEX_LOCK_PI2 = 13;
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
  /** Woken by a wake; for a PI waiter: the lock is now its own. */
  woken: boolean;
  readonly wake: () => void;
  /** Queued on a PI lock (FUTEX_LOCK_PI*, or a FUTEX_WAIT_REQUEUE_PI waiter once requeued). */
  pi: boolean;
  /** FUTEX_WAIT_REQUEUE_PI: the PI word it may be requeued to; null for the other waits. */
  readonly requeuePi: number | null;
}

/** The wait queues of one memory (mm), by word address. */
const queues = new WeakMap<MmStruct, Map<number, Waiter[]>>();
/** The owner of each PI lock that has waiters (the kernel's pi_state), by word address. */
const piOwners = new WeakMap<MmStruct, Map<number, Task>>();
/** The PI lock each thread waits for, by word address (the rt_mutex a task blocks on). */
const piBlockedOn = new WeakMap<Task, number>();

function piOwnersOf(task: Task): Map<number, Task> {
  let m = piOwners.get(task.mm);
  if (!m) piOwners.set(task.mm, (m = new Map()));
  return m;
}

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
  if (w.pi && !q.some((o) => o.pi)) piOwners.get(task.mm)?.delete(w.addr);
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
    // A PI waiter is not woken this way (futex_wake's EINVAL).
    if (w.pi || w.requeuePi !== null) {
      if (q.length === 0) queues.get(task.mm)?.delete(addr);
      return -Errno.EINVAL;
    }
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

/**
 * Sleeps until `w` is woken, `deadlineNs` passes (on the realtime or
 * monotonic clock) or a signal comes; `w` is queued already and leaves its
 * queue unless woken. Returns 0, -ETIMEDOUT or what `onSignal` says.
 */
async function sleepQueued(task: Task, w: Waiter, woken: Promise<boolean>, deadlineNs: bigint | null, realtime: boolean, onSignal: () => number, changed: (() => boolean) | null = null): Promise<number> {
  const clock = task.host.clock;
  const now = (): bigint => (realtime ? clock.realtimeNs() : clock.monotonicNs());
  let pollNs = POLL_FIRST_NS;
  try {
    for (;;) {
      if (w.woken) return 0;
      if (changed?.()) return 0;
      let left = deadlineNs === null ? null : deadlineNs - now();
      if (left !== null && left <= 0n) return -Errno.ETIMEDOUT;
      if (changed && (left === null || left > pollNs)) {
        left = pollNs;
        if (pollNs < POLL_LAST_NS) pollNs *= 2n;
      }
      const until = left === null ? woken : Promise.race([woken, clock.sleep(left).then(() => false)]);
      const r = await waitInterruptible(task, until);
      if (w.woken) return 0;
      if (r === null) return onSignal();
    }
  } finally {
    if (w.pi) piBlockedOn.delete(task);
    if (!w.woken) unqueue(task, w);
  }
}

/** A new waiter for `addr`, with the promise its wake resolves. */
function newWaiter(task: Task, addr: number, bitset: number, requeuePi: number | null): [Waiter, Promise<boolean>] {
  let wake = (): void => undefined;
  const woken = new Promise<boolean>((resolve) => (wake = () => resolve(true)));
  return [{ task, bitset, addr, woken: false, wake, pi: false, requeuePi }, woken];
}

/** How often a shared wait on memory other processes may share looks at its word: from 1 ms to 16 ms. */
const POLL_FIRST_NS = 1_000_000n;
const POLL_LAST_NS = 16_000_000n;

/** Whether the word at `addr` is in host shared memory that another process may map (MAP_SHARED with a host object). */
function sharedAcrossProcesses(task: Task, addr: number): boolean {
  const v = task.as.vmaAt(addr);
  return v !== undefined && (v.flags & MAP_TYPE) === MAP_SHARED && v.obj?.host !== undefined;
}

/**
 * Queues the thread on `addr` and waits for a wake, `deadlineNs` (on the
 * realtime or monotonic clock) or a signal; a shared (not FUTEX_PRIVATE_FLAG)
 * wait on memory other processes may share also ends when the word no longer holds `val`.
 */
function futexWait(task: Task, addr: number, val: number, bitset: number, deadlineNs: bigint | null, realtime: boolean, shared: boolean): Promise<number> {
  const [w, woken] = newWaiter(task, addr, bitset, null);
  queueOf(task, addr, true)!.push(w);
  const changed = shared && sharedAcrossProcesses(task, addr) ? (): boolean => task.mem.readU32(addr) !== val : null;
  return sleepQueued(task, w, woken, deadlineNs, realtime, () => (deadlineNs === null ? -ERESTARTSYS : -ERESTARTNOHAND), changed);
}

/** The live thread of the caller's process whose tid is `tid`. */
function threadByTid(task: Task, tid: number): Task | null {
  for (const t of task.tg.threads) if (t.tid === tid && !t.exit && !t.threadExit) return t;
  return null;
}

/**
 * futex_lock_pi_atomic for `task` (the caller, or the waiter a requeue
 * takes the lock for): the free word becomes its tid (FUTEX_OWNER_DIED
 * kept; FUTEX_WAITERS too when `setWaiters`), 'acquired'; a held word gets
 * FUTEX_WAITERS and its owner is returned. EDEADLK when `task` owns it,
 * EINVAL when its first waiter is not a PI one, ESRCH when no thread has
 * the owner's tid.
 */
function lockPiAtomic(task: Task, addr: number, setWaiters: boolean): 'acquired' | Task {
  const uval = word(task, addr);
  if ((uval & FUTEX_TID_MASK) === task.tid) throw new SyscallError(Errno.EDEADLK);
  const top = queueOf(task, addr, false)?.[0];
  if (top && !top.pi) throw new SyscallError(Errno.EINVAL);
  const owners = piOwnersOf(task);
  if ((uval & FUTEX_TID_MASK) === 0) {
    const waiters = setWaiters || top !== undefined;
    task.mem.writeU32(addr, ((uval & FUTEX_OWNER_DIED) | task.tid | (waiters ? FUTEX_WAITERS : 0)) >>> 0);
    if (waiters) owners.set(addr, task);
    else owners.delete(addr);
    return 'acquired';
  }
  // The waiters bit goes in first, so the owner's unlock comes to the kernel; it stays when the owner is not found.
  task.mem.writeU32(addr, (uval | FUTEX_WAITERS) >>> 0);
  const owner = (top ? owners.get(addr) : undefined) ?? threadByTid(task, uval & FUTEX_TID_MASK);
  if (!owner) throw new SyscallError(Errno.ESRCH);
  owners.set(addr, owner);
  return owner;
}

/** Whether `task` waiting behind `owner` closes a chain of PI owners waiting on each other (the rt_mutex chain walk). */
function piDeadlock(task: Task, owner: Task): boolean {
  let o: Task | undefined = owner;
  for (let n = 0; o && n < 1024; n++) {
    if (o === task) return true;
    const addr = piBlockedOn.get(o);
    if (addr === undefined) return false;
    o = piOwners.get(o.mm)?.get(addr);
  }
  return false;
}

/** Queues `w` as a PI waiter of `addr` (behind `owner`). */
function queuePi(task: Task, w: Waiter, addr: number): void {
  w.addr = addr;
  w.pi = true;
  piBlockedOn.set(w.task, addr);
  queueOf(task, addr, true)!.push(w);
}

/** FUTEX_LOCK_PI, FUTEX_LOCK_PI2 and FUTEX_TRYLOCK_PI. */
function futexLockPi(task: Task, addr: number, deadlineNs: bigint | null, realtime: boolean, trylock: boolean): number | Promise<number> {
  const got = lockPiAtomic(task, addr, false);
  if (got === 'acquired') return 0;
  if (trylock) return -Errno.EAGAIN;
  if (piDeadlock(task, got)) return -Errno.EDEADLK;
  const [w, woken] = newWaiter(task, addr, FUTEX_BITSET_MATCH_ANY, null);
  queuePi(task, w, addr);
  // A signal runs its handler and the lock is tried again, whatever SA_RESTART says.
  return sleepQueued(task, w, woken, deadlineNs, realtime, () => -ERESTARTNOINTR);
}

/** Gives the PI lock at `addr` to its first waiter, the word keeping `keep` bits; whether there was one. */
function handOffPi(task: Task, addr: number, keep: number): boolean {
  const q = queueOf(task, addr, false);
  const owners = piOwnersOf(task);
  const next = q?.[0];
  if (!q || !next?.pi) {
    owners.delete(addr);
    return false;
  }
  q.shift();
  if (q.length === 0) queues.get(task.mm)?.delete(addr);
  task.mem.writeU32(addr, (next.task.tid | FUTEX_WAITERS | keep) >>> 0);
  if (q.some((o) => o.pi)) owners.set(addr, next.task);
  else owners.delete(addr);
  piBlockedOn.delete(next.task);
  next.woken = true;
  next.wake();
  return true;
}

/** FUTEX_UNLOCK_PI: EPERM unless the caller owns the word. */
function futexUnlockPi(task: Task, addr: number): number {
  // The owner is checked before the alignment (futex_unlock_pi reads the word first).
  if ((task.mem.readU32(addr) & FUTEX_TID_MASK) !== task.tid) return -Errno.EPERM;
  word(task, addr);
  const top = queueOf(task, addr, false)?.[0];
  if (top && !top.pi) return -Errno.EINVAL;
  // No waiter: the word is freed, its FUTEX_WAITERS and FUTEX_OWNER_DIED bits dropped.
  if (!handOffPi(task, addr, 0)) task.mem.writeU32(addr, 0);
  return 0;
}

/** FUTEX_WAIT_REQUEUE_PI: waits on `addr` to be requeued to (or given) the PI lock at `addr2`. */
function futexWaitRequeuePi(task: Task, addr: number, val: number, deadlineNs: bigint | null, realtime: boolean, addr2: number): number | Promise<number> {
  if (addr === addr2) return -Errno.EINVAL;
  if (addr2 % 4 !== 0) return -Errno.EINVAL;
  if (word(task, addr) !== val) return -Errno.EAGAIN;
  const [w, woken] = newWaiter(task, addr, FUTEX_BITSET_MATCH_ANY, addr2);
  queueOf(task, addr, true)!.push(w);
  // Interrupted before the requeue it restarts; once on the lock, it returns EAGAIN (the condition's word has moved on).
  return sleepQueued(task, w, woken, deadlineNs, realtime, () => (w.pi ? -Errno.EAGAIN : -ERESTARTNOINTR));
}

/** FUTEX_CMP_REQUEUE_PI: the first waiter on `addr` takes the lock at `addr2` if it is free, the others queue on it. */
function futexCmpRequeuePi(task: Task, addr: number, nrWake: number, nrRequeue: number, addr2: number, cmpval: number): number {
  if (nrWake !== 1 || nrRequeue < 0) return -Errno.EINVAL;
  if (addr === addr2 || addr2 % 4 !== 0) return -Errno.EINVAL;
  if (word(task, addr) !== cmpval) return -Errno.EAGAIN;
  const q = queueOf(task, addr, false);
  let count = 0;
  const top = q?.[0];
  if (q && top) {
    if (top.requeuePi !== addr2) return -Errno.EINVAL;
    const got = lockPiAtomic(top.task, addr2, true);
    if (got === 'acquired') {
      q.shift();
      top.addr = addr2;
      top.woken = true;
      top.wake();
      count = 1;
    } else if (piDeadlock(top.task, got)) {
      return -Errno.EDEADLK;
    }
  }
  // Up to nrRequeue waiters move to the lock, one more when the first could not take it.
  while (q && q.length > 0 && count - 1 < nrRequeue) {
    const w = q[0]!;
    if (w.requeuePi !== addr2) return -Errno.EINVAL;
    q.shift();
    queuePi(task, w, addr2);
    count++;
  }
  if (q?.length === 0) queues.get(task.mm)?.delete(addr);
  return count;
}

/**
 * The PI locks a thread that ends still owns with waiters go to their first
 * waiter (exit_pi_state_list), marked FUTEX_OWNER_DIED whether or not the
 * lock was on a robust list.
 */
export function releasePiLocks(task: Task): void {
  const owners = piOwners.get(task.mm);
  if (!owners) return;
  for (const [addr, owner] of [...owners]) {
    if (owner !== task) continue;
    try {
      handOffPi(task, addr, FUTEX_OWNER_DIED);
    } catch {
      owners.delete(addr); // the word is gone with its mapping
    }
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
  // FUTEX_CLOCK_REALTIME is only for the commands whose timeout may be on either clock.
  if (realtime && cmd !== FUTEX_WAIT_BITSET && cmd !== FUTEX_WAIT && cmd !== FUTEX_WAIT_REQUEUE_PI && cmd !== FUTEX_LOCK_PI2) return -Errno.ENOSYS;
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
      return futexWait(task, uaddr, val, bitset, deadline, realtime, (opWord & FUTEX_PRIVATE_FLAG) === 0);
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
      if (woken < 0) return woken;
      let moved = 0;
      const q = queueOf(task, uaddr, false);
      if (q && uaddr2 !== uaddr) {
        const n = Math.min(nrRequeue, q.length);
        // A PI or FUTEX_WAIT_REQUEUE_PI waiter is not moved by a plain requeue.
        if (q.slice(0, n).some((w) => w.pi || w.requeuePi !== null)) return -Errno.EINVAL;
        const movers = q.splice(0, n);
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
      if (woken < 0) return woken;
      if (hit) {
        const more = futexWake(task, uaddr2, a.int(3), FUTEX_BITSET_MATCH_ANY);
        if (more < 0) return more;
        woken += more;
      }
      return woken;
    }
    case FUTEX_LOCK_PI:
    case FUTEX_LOCK_PI2:
    case FUTEX_TRYLOCK_PI: {
      if (uaddr % 4 !== 0) return -Errno.EINVAL;
      // FUTEX_LOCK_PI's timeout is absolute on CLOCK_REALTIME; FUTEX_LOCK_PI2's on CLOCK_MONOTONIC unless asked.
      const deadline = cmd === FUTEX_TRYLOCK_PI ? null : readTimeout(task, a.ptr(3));
      return futexLockPi(task, uaddr, deadline, realtime || cmd === FUTEX_LOCK_PI, cmd === FUTEX_TRYLOCK_PI);
    }
    case FUTEX_UNLOCK_PI:
      return futexUnlockPi(task, uaddr);
    case FUTEX_WAIT_REQUEUE_PI: {
      if (uaddr % 4 !== 0) return -Errno.EINVAL;
      const deadline = readTimeout(task, a.ptr(3));
      return futexWaitRequeuePi(task, uaddr, val, deadline, realtime, a.ptr(4));
    }
    case FUTEX_CMP_REQUEUE_PI:
      if (uaddr % 4 !== 0) return -Errno.EINVAL;
      return futexCmpRequeuePi(task, uaddr, a.int(2), a.int(3), a.ptr(4), a.int(5) >>> 0);
    default:
      task.trace(`elfuse: futex: command ${cmd} is not supported`);
      return -Errno.ENOSYS;
  }
}

/** struct futex_waitv { u64 val; u64 uaddr; u32 flags; u32 __reserved; } */
const SIZEOF_FUTEX_WAITV = 24;
/** FUTEX_WAITV_MAX */
const FUTEX_WAITV_MAX = 128;
/** FUTEX2_SIZE_U32 and FUTEX2_PRIVATE, the futex2 flags this waitv takes (include/uapi/linux/futex.h). */
const FUTEX2_SIZE_MASK = 0x03;
const FUTEX2_SIZE_U32 = 0x02;
const FUTEX2_PRIVATE = FUTEX_PRIVATE_FLAG;
/**
 * FUTEX2_NUMA (0x04) and FUTEX2_MPOL (0x08) are not taken: elfuse has one
 * memory node, and their words carry a node id beside the value. They are
 * EINVAL as in Linux before 6.16.
 */
const FUTEX2_VALID_MASK = FUTEX2_SIZE_MASK | FUTEX2_PRIVATE;
/** The top of the user address space (arm64 TASK_SIZE with 48-bit VAs): access_ok. */
const TASK_SIZE = 2 ** 48;

interface WaitvEntry {
  readonly addr: number;
  readonly val: number;
  readonly shared: boolean;
}

/** futex_parse_waitv: each entry read (EFAULT), its flags, reserved word and value checked (EINVAL). */
function parseWaitv(task: Task, ptr: number, n: number): WaitvEntry[] {
  const out: WaitvEntry[] = [];
  for (let i = 0; i < n; i++) {
    const r = new StructReader(task.mem.read(ptr + i * SIZEOF_FUTEX_WAITV, SIZEOF_FUTEX_WAITV));
    const val = r.u64(0);
    const uaddr = r.u64(8);
    const flags = r.u32(16);
    if (flags & ~FUTEX2_VALID_MASK || r.u32(20) !== 0) throw new SyscallError(Errno.EINVAL);
    // futex_flags_valid: only 32-bit words; futex_validate_input: the value fits the word.
    if ((flags & FUTEX2_SIZE_MASK) !== FUTEX2_SIZE_U32 || val >> 32n !== 0n) throw new SyscallError(Errno.EINVAL);
    // An address beyond the address space keeps its low bits: misaligned is still EINVAL first.
    const addr = uaddr >= BigInt(TASK_SIZE) ? TASK_SIZE + Number(uaddr & 3n) : Number(uaddr);
    out.push({ addr, val: Number(val), shared: (flags & FUTEX2_PRIVATE) === 0 });
  }
  return out;
}

/**
 * futex_wait_multiple: every word's key first (EINVAL when misaligned,
 * EFAULT outside the address space or, for a shared one, unmapped), then
 * each word checked and the waiter queued on it in one step; a word that
 * differs ends it with EAGAIN (or the index of a word already woken).
 */
async function futexWaitMultiple(task: Task, entries: readonly WaitvEntry[], deadlineNs: bigint | null, realtime: boolean): Promise<number> {
  for (const e of entries) {
    if (e.addr % 4 !== 0) return -Errno.EINVAL;
    if (e.addr >= TASK_SIZE || (e.shared && task.as.vmaAt(e.addr) === undefined)) return -Errno.EFAULT;
  }
  let wake = (): void => undefined;
  const woken = new Promise<boolean>((resolve) => (wake = () => resolve(true)));
  const waiters: Waiter[] = [];
  // Only waiters not yet woken leave their queues; the highest index woken is the answer (-1: none).
  const unqueueAll = (): number => {
    let last = -1;
    waiters.forEach((w, i) => {
      if (w.woken) last = i;
      else unqueue(task, w);
    });
    return last;
  };
  for (const e of entries) {
    let uval: number;
    try {
      uval = task.mem.readU32(e.addr);
    } catch (err) {
      unqueueAll();
      throw err;
    }
    if (uval !== e.val) {
      unqueueAll();
      return -Errno.EAGAIN;
    }
    const w: Waiter = { task, bitset: FUTEX_BITSET_MATCH_ANY, addr: e.addr, woken: false, wake, pi: false, requeuePi: null };
    queueOf(task, e.addr, true)!.push(w);
    waiters.push(w);
  }
  // A shared word that another process may change is looked at now and then, as futexWait does.
  const watched = entries.map((e, i) => [e, i] as const).filter(([e]) => e.shared && sharedAcrossProcesses(task, e.addr));
  const changedAt = (): number => {
    for (const [e, i] of watched) if (task.mem.readU32(e.addr) !== e.val) return i;
    return -1;
  };
  const clock = task.host.clock;
  const now = (): bigint => (realtime ? clock.realtimeNs() : clock.monotonicNs());
  let pollNs = POLL_FIRST_NS;
  try {
    for (;;) {
      if (waiters.some((w) => w.woken)) return unqueueAll();
      const changed = changedAt();
      if (changed >= 0) return Math.max(changed, unqueueAll());
      let left = deadlineNs === null ? null : deadlineNs - now();
      if (left !== null && left <= 0n) return -Errno.ETIMEDOUT;
      if (watched.length > 0 && (left === null || left > pollNs)) {
        left = pollNs;
        if (pollNs < POLL_LAST_NS) pollNs *= 2n;
      }
      const until = left === null ? woken : Promise.race([woken, clock.sleep(left).then(() => false)]);
      const r = await waitInterruptible(task, until);
      if (waiters.some((w) => w.woken)) return unqueueAll();
      if (r === null) return -ERESTARTSYS;
    }
  } finally {
    unqueueAll();
  }
}

/** futex_waitv(2), in the kernel's order of checks; the timeout is absolute on CLOCK_MONOTONIC or CLOCK_REALTIME. */
function sysFutexWaitv(task: Task, a: SyscallArgs): number | Promise<number> {
  const waitersPtr = a.ptr(0);
  const n = a.uint(1);
  const flags = a.uint(2);
  const timeoutPtr = a.ptr(3);
  const clockid = a.int(4);
  if (flags !== 0) return -Errno.EINVAL;
  if (n === 0 || n > FUTEX_WAITV_MAX || waitersPtr === 0) return -Errno.EINVAL;
  let deadline: bigint | null = null;
  if (timeoutPtr !== 0) {
    if (clockid !== CLOCK_REALTIME && clockid !== CLOCK_MONOTONIC) return -Errno.EINVAL;
    deadline = readTimeout(task, timeoutPtr);
  }
  const entries = parseWaitv(task, waitersPtr, n);
  return futexWaitMultiple(task, entries, deadline, clockid === CLOCK_REALTIME);
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
  futex: { handler: sysFutex, support: 'partial', note: 'waits, wakes and PI locks among the threads of a process; a shared wait on MAP_SHARED memory sees another process change the word (1 to 16 ms late), not a wake that leaves it as it was; a PI lock owned by another process is ESRCH', args: ['ptr', 'hex', 'int', 'ptr', 'ptr', 'hex'] },
  futex_waitv: { handler: sysFutexWaitv, support: 'partial', note: 'FUTEX2_SIZE_U32 words, private or shared, on the futex queues; FUTEX2_NUMA and FUTEX2_MPOL are EINVAL (one memory node); a shared word another process changes is seen 1 to 16 ms late', args: ['ptr', 'int', 'hex', 'ptr', 'int'] },
};
