/**
 * Credentials, resources and scheduling as one process sees them
 * (kernel/sys.c, kernel/groups.c, kernel/sched/core.c, kernel/sys.c prctl):
 * the setuid family with Linux's rules for privileged (CAP_SETUID, CAP_SETGID) and
 * unprivileged callers, supplementary groups, getrusage, prctl,
 * CPU affinity and getcpu for the one vCPU, and nice values.
 *
 * The guest's ids start as the host process's. Changing them changes what
 * the guest sees (and what /proc/self/status shows); the host process keeps
 * its own identity, so host permission checks do not follow.
 */

import { threadOf } from './thread.js';
import { CAP_LAST_CAP, CAP_SETGID, CAP_SETPCAP, CAP_SETUID, CAP_SYS_NICE, capable, fixSetfsuid, fixSetuid } from './capability.js';
import { GuestTooLong } from '../memory/fault.js';
import { Errno } from './errno.js';
import { StructWriter, _NSIG, signalName } from './linux-abi.js';
import { watchAdoptions } from './wait.js';
import { publishSelf } from './procfs.js';
import { SyscallError, type SyscallArgs, type SyscallImpl } from './syscall-args.js';
import type { Task } from './task.js';

/** (uid_t)-1: "leave unchanged" for setre*id/setres*id, invalid for setuid. */
const NO_ID = 0xffff_ffff;
/** NGROUPS_MAX (include/uapi/linux/limits.h). */
export const NGROUPS_MAX = 65536;

/** CAP_SETUID or CAP_SETGID in the effective set: what lets the set*id calls choose any id. */
const mayUid = (task: Task): boolean => capable(task, CAP_SETUID);
const mayGid = (task: Task): boolean => capable(task, CAP_SETGID);

function checkId(id: number): void {
  if (id === NO_ID) throw new SyscallError(Errno.EINVAL);
}

/** The uid or gid triple the set*id calls work on. */
interface IdSet {
  r: number;
  e: number;
  s: number;
  fs: number;
}

function uids(task: Task): IdSet {
  return { r: task.cred.uid, e: task.cred.euid, s: task.cred.suid, fs: task.cred.fsuid };
}

function gids(task: Task): IdSet {
  return { r: task.cred.gid, e: task.cred.egid, s: task.cred.sgid, fs: task.cred.fsgid };
}

/**
 * What commit_creds does when the effective or filesystem ids change: the
 * process stops being dumpable (suid_dumpable defaults to 0) and its
 * parent-death signal is cleared.
 */
function credsChanged(task: Task, before: IdSet, after: IdSet): void {
  if (before.e !== after.e || before.fs !== after.fs) {
    task.tg.dumpable = 0;
    task.tg.pdeathSig = 0;
  }
}

function storeUids(task: Task, ids: IdSet, fsOnly = false): void {
  const old = uids(task);
  credsChanged(task, old, ids);
  task.cred.uid = ids.r;
  task.cred.euid = ids.e;
  task.cred.suid = ids.s;
  task.cred.fsuid = ids.fs;
  // cap_task_fix_setuid: setfsuid moves the filesystem capabilities, the others follow cap_emulate_setxuid.
  if (fsOnly) fixSetfsuid(task.cred, old.fs);
  else fixSetuid(task.cred, old, task.tg.keepCaps);
}

function storeGids(task: Task, ids: IdSet): void {
  credsChanged(task, gids(task), ids);
  task.cred.gid = ids.r;
  task.cred.egid = ids.e;
  task.cred.sgid = ids.s;
  task.cred.fsgid = ids.fs;
}

/** setuid(2)/setgid(2): privileged sets all three; otherwise only the effective id, to the real or saved one. */
function setId(id: number, cur: IdSet, privileged_: boolean): IdSet {
  checkId(id);
  if (privileged_) return { r: id, e: id, s: id, fs: id };
  if (id === cur.r || id === cur.s) return { ...cur, e: id, fs: id };
  throw new SyscallError(Errno.EPERM);
}

/** setreuid(2)/setregid(2). */
function setReId(r: number, e: number, cur: IdSet, privileged_: boolean): IdSet {
  const next = { ...cur };
  if (r !== NO_ID) {
    if (!privileged_ && r !== cur.r && r !== cur.e) throw new SyscallError(Errno.EPERM);
    next.r = r;
  }
  if (e !== NO_ID) {
    if (!privileged_ && e !== cur.r && e !== cur.e && e !== cur.s) throw new SyscallError(Errno.EPERM);
    next.e = e;
  }
  // The saved id follows the new effective id when the real id is set or the effective id differs from the old real id.
  if (r !== NO_ID || (e !== NO_ID && e !== cur.r)) next.s = next.e;
  next.fs = next.e;
  return next;
}

/** setresuid(2)/setresgid(2): unprivileged, each new id must be one of the current three. */
function setResId(r: number, e: number, s: number, cur: IdSet, privileged_: boolean): IdSet {
  const allowed = (id: number): boolean => id === NO_ID || privileged_ || id === cur.r || id === cur.e || id === cur.s;
  if (!allowed(r) || !allowed(e) || !allowed(s)) throw new SyscallError(Errno.EPERM);
  const next = { ...cur };
  if (r !== NO_ID) next.r = r;
  if (e !== NO_ID) next.e = e;
  if (s !== NO_ID) next.s = s;
  next.fs = next.e;
  return next;
}

/** setfsuid(2)/setfsgid(2): always returns the old value; changes it only when allowed. */
function setFsId(id: number, cur: IdSet, privileged_: boolean): { old: number; next: IdSet } {
  const ok = id !== NO_ID && (privileged_ || id === cur.r || id === cur.e || id === cur.s || id === cur.fs);
  return { old: cur.fs, next: ok ? { ...cur, fs: id } : cur };
}

/** getgroups(2): size 0 asks for the count; a smaller buffer is EINVAL. */
function sysGetgroups(task: Task, a: SyscallArgs): number {
  const size = a.int(0);
  if (size < 0) return -Errno.EINVAL;
  const n = task.cred.groups.length;
  if (size === 0) return n;
  if (size < n) return -Errno.EINVAL;
  const w = new StructWriter(n * 4);
  task.cred.groups.forEach((g, i) => w.u32(i * 4, g));
  task.mem.write(a.ptr(1), w.bytes);
  return n;
}

/** setgroups(2): needs CAP_SETGID; at most NGROUPS_MAX; the kernel keeps them sorted. */
function sysSetgroups(task: Task, a: SyscallArgs): number {
  const size = a.int(0);
  if (size < 0 || size > NGROUPS_MAX) return -Errno.EINVAL;
  if (!mayGid(task)) return -Errno.EPERM;
  const bytes = size === 0 ? new Uint8Array(0) : task.mem.read(a.ptr(1), size * 4);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const groups: number[] = [];
  for (let i = 0; i < size; i++) groups.push(dv.getUint32(i * 4, true));
  task.cred.groups = groups.sort((x, y) => x - y);
  return 0;
}

export const RUSAGE_SELF = 0;
export const RUSAGE_CHILDREN = -1;
export const RUSAGE_THREAD = 1;
/** struct rusage: two struct timeval then 14 longs. */
export const SIZEOF_RUSAGE = 144;

/**
 * getrusage(2): the process (and its only thread) used the host process's
 * CPU time, and ru_maxrss is the guest's mapped memory in KiB; the children
 * waited for used what they reported at their exit (wait.ts).
 */
function sysGetrusage(task: Task, a: SyscallArgs): number {
  const who = a.int(0);
  if (who !== RUSAGE_SELF && who !== RUSAGE_CHILDREN && who !== RUSAGE_THREAD) return -Errno.EINVAL;
  const w = new StructWriter(SIZEOF_RUSAGE);
  if (who !== RUSAGE_CHILDREN) {
    const cpuNs = task.host.clock.processCpuNs();
    const us = cpuNs / 1000n;
    w.i64(0, us / 1_000_000n).i64(8, us % 1_000_000n);
    const rss = task.as.vmas.reduce((sum, v) => sum + (v.end - v.start), 0);
    w.i64(32, BigInt(Math.floor(rss / 1024)));
  } else {
    const r = task.tg.children.reaped;
    w.i64(0, r.utimeUs / 1_000_000n).i64(8, r.utimeUs % 1_000_000n).i64(16, r.stimeUs / 1_000_000n).i64(24, r.stimeUs % 1_000_000n).i64(32, r.maxrssKb);
  }
  task.mem.write(a.ptr(1), w.bytes);
  return 0;
}

// prctl options (include/uapi/linux/prctl.h).
export const PR_SET_PDEATHSIG = 1;
export const PR_GET_PDEATHSIG = 2;
export const PR_GET_DUMPABLE = 3;
export const PR_SET_DUMPABLE = 4;
export const PR_GET_KEEPCAPS = 7;
export const PR_SET_KEEPCAPS = 8;
export const PR_SET_NAME = 15;
export const PR_GET_NAME = 16;
export const PR_GET_SECCOMP = 21;
export const PR_SET_SECCOMP = 22;
export const PR_CAPBSET_READ = 23;
export const PR_CAPBSET_DROP = 24;
export const PR_CAP_AMBIENT = 47;
const PR_CAP_AMBIENT_IS_SET = 1n;
const PR_CAP_AMBIENT_RAISE = 2n;
const PR_CAP_AMBIENT_LOWER = 3n;
const PR_CAP_AMBIENT_CLEAR_ALL = 4n;
export const PR_GET_TIMERSLACK = 30;
export const PR_SET_TIMERSLACK = 29;
export const PR_SET_CHILD_SUBREAPER = 36;
export const PR_GET_CHILD_SUBREAPER = 37;
export const PR_SET_NO_NEW_PRIVS = 38;
export const PR_GET_NO_NEW_PRIVS = 39;
export const PR_SET_VMA = 0x53564d41;
const PR_SET_VMA_ANON_NAME = 0;
/** ANON_VMA_NAME_MAX_LEN, the NUL included. */
const ANON_VMA_NAME_MAX_LEN = 80;
/** TASK_COMM_LEN: comm with its NUL. */
const TASK_COMM_LEN = 16;
/** The default timer slack, 50 µs (init_task.timer_slack_ns). */
const DEFAULT_TIMER_SLACK_NS = 50_000;

function writeInt(task: Task, ptr: number, value: number): void {
  task.mem.write(ptr, new StructWriter(4).i32(0, value).bytes);
}

/** prctl(2): the process-attribute options a single-process guest can honour; anything else is EINVAL. */
function sysPrctl(task: Task, a: SyscallArgs): number {
  const option = a.int(0);
  const arg2 = a.u64(1);
  const restZero = (from: number): boolean => [2, 3, 4].filter((i) => i >= from).every((i) => a.u64(i) === 0n);
  switch (option) {
    case PR_SET_PDEATHSIG: {
      if (arg2 > BigInt(_NSIG)) return -Errno.EINVAL;
      task.tg.pdeathSig = Number(arg2);
      // A fork child hears of its parent's death by its channel closing (fork-child.ts); a first
      // process's parent is a host process, so the host kernel signals it, by the signal's host name.
      if (!task.parentLink) {
        try {
          task.host.processes.setPdeathSignal(arg2 === 0n ? 0 : signalName(Number(arg2)));
        } catch {
          task.trace(`elfuse: prctl: the host cannot send ${signalName(Number(arg2))} on its parent's death`);
        }
      }
      return 0;
    }
    case PR_GET_PDEATHSIG:
      writeInt(task, a.ptr(1), task.tg.pdeathSig);
      return 0;
    case PR_GET_DUMPABLE:
      return task.tg.dumpable;
    case PR_SET_DUMPABLE:
      if (arg2 !== 0n && arg2 !== 1n) return -Errno.EINVAL;
      task.tg.dumpable = Number(arg2);
      return 0;
    case PR_GET_KEEPCAPS:
      return task.tg.keepCaps ? 1 : 0;
    case PR_SET_KEEPCAPS:
      if (arg2 > 1n) return -Errno.EINVAL;
      task.tg.keepCaps = arg2 === 1n;
      return 0;
    case PR_SET_NAME: {
      // strncpy_from_user of TASK_COMM_LEN - 1 bytes: a name need not be terminated within them.
      let bytes: Uint8Array;
      try {
        bytes = task.mem.readCString(a.ptr(1), TASK_COMM_LEN);
      } catch (err) {
        if (!(err instanceof GuestTooLong)) throw err;
        bytes = task.mem.read(a.ptr(1), TASK_COMM_LEN - 1);
      }
      task.setComm(bytes.subarray(0, TASK_COMM_LEN - 1));
      return 0;
    }
    case PR_GET_NAME: {
      const out = new Uint8Array(TASK_COMM_LEN);
      out.set(new TextEncoder().encode(task.comm).subarray(0, TASK_COMM_LEN - 1));
      task.mem.write(a.ptr(1), out);
      return 0;
    }
    case PR_GET_SECCOMP:
      return 0;
    case PR_SET_SECCOMP:
      // No seccomp filtering here: refuse rather than pretend a sandbox exists (as a kernel without CONFIG_SECCOMP does).
      return -Errno.EINVAL;
    case PR_CAPBSET_READ:
      return arg2 <= BigInt(CAP_LAST_CAP) ? Number((task.cred.caps.bounding >> arg2) & 1n) : -Errno.EINVAL;
    case PR_CAPBSET_DROP:
      // cap_prctl_drop
      if (!capable(task, CAP_SETPCAP)) return -Errno.EPERM;
      if (arg2 > BigInt(CAP_LAST_CAP)) return -Errno.EINVAL;
      task.cred.caps.bounding &= ~(1n << arg2);
      return 0;
    case PR_CAP_AMBIENT:
      return capAmbient(task, a);
    case PR_GET_TIMERSLACK:
      return task.tg.timerSlackNs;
    case PR_SET_TIMERSLACK:
      task.tg.timerSlackNs = arg2 === 0n ? DEFAULT_TIMER_SLACK_NS : Number(arg2 > 0xffff_ffffn ? 0xffff_ffffn : arg2);
      return 0;
    case PR_SET_CHILD_SUBREAPER:
      task.tg.childSubreaper = arg2 !== 0n;
      // Orphans below become this host process's children; wait.ts adopts and reaps them.
      try {
        task.host.processes.setChildSubreaper(task.tg.childSubreaper);
      } catch {
        task.trace('elfuse: prctl: the host has no child subreaper; orphans go to its init');
      }
      if (task.tg.childSubreaper) watchAdoptions(task);
      // Exiting processes below look for it in the records (reparent.ts): shown at once.
      publishSelf(task);
      return 0;
    case PR_GET_CHILD_SUBREAPER:
      writeInt(task, a.ptr(1), task.tg.childSubreaper ? 1 : 0);
      return 0;
    case PR_SET_NO_NEW_PRIVS:
      if (arg2 !== 1n || !restZero(2)) return -Errno.EINVAL;
      task.tg.noNewPrivs = true;
      return 0;
    case PR_GET_NO_NEW_PRIVS:
      if (arg2 !== 0n || !restZero(2)) return -Errno.EINVAL;
      return task.tg.noNewPrivs ? 1 : 0;
    case PR_SET_VMA:
      return setVmaAnonName(task, a);
    default:
      task.trace(`elfuse: prctl: option ${option} is not implemented (EINVAL)`);
      return -Errno.EINVAL;
  }
}

/** PR_CAP_AMBIENT (cap_task_prctl): a capability joins the ambient set only if it is permitted and inheritable. */
function capAmbient(task: Task, a: SyscallArgs): number {
  const op = a.u64(1);
  const cap = a.u64(2);
  const caps = task.cred.caps;
  if (op === PR_CAP_AMBIENT_CLEAR_ALL) {
    if (cap !== 0n || a.u64(3) !== 0n || a.u64(4) !== 0n) return -Errno.EINVAL;
    caps.ambient = 0n;
    return 0;
  }
  if (cap > BigInt(CAP_LAST_CAP) || a.u64(3) !== 0n || a.u64(4) !== 0n) return -Errno.EINVAL;
  const bit = 1n << cap;
  if (op === PR_CAP_AMBIENT_IS_SET) return caps.ambient & bit ? 1 : 0;
  if (op === PR_CAP_AMBIENT_LOWER) {
    caps.ambient &= ~bit;
    return 0;
  }
  if (op !== PR_CAP_AMBIENT_RAISE) return -Errno.EINVAL;
  if (!(caps.permitted & bit) || !(caps.inheritable & bit)) return -Errno.EPERM;
  caps.ambient |= bit;
  return 0;
}

/**
 * PR_SET_VMA with PR_SET_VMA_ANON_NAME (set_anon_vma_name): a name of up
 * to 79 printable ASCII bytes other than \\ ` $ [ ], or NULL to clear it.
 */
function setVmaAnonName(task: Task, a: SyscallArgs): number {
  if (a.u64(1) !== BigInt(PR_SET_VMA_ANON_NAME)) return -Errno.EINVAL;
  let name: string | undefined;
  if (a.ptr(4) !== 0) {
    let bytes: Uint8Array;
    try {
      bytes = task.mem.readCString(a.ptr(4), ANON_VMA_NAME_MAX_LEN);
    } catch (err) {
      // strndup_user: longer than the limit is EINVAL.
      if (err instanceof GuestTooLong) return -Errno.EINVAL;
      throw err;
    }
    if (bytes.some((c) => c < 0x20 || c > 0x7e || c === 0x5c || c === 0x60 || c === 0x24 || c === 0x5b || c === 0x5d)) return -Errno.EINVAL;
    name = String.fromCharCode(...bytes);
  }
  return task.as.setAnonName(a.u64(2), a.u64(3), name);
}

/** The guest is told of one CPU, CPU 0 (every thread's vCPU runs on the one JavaScript thread). */
const NR_CPUS_GUEST = 1;
/** cpumask_size() the guest is told: one unsigned long. */
const CPUMASK_BYTES = 8;

function checkSelf(task: Task, pid: number): void {
  if (pid < 0) throw new SyscallError(Errno.EINVAL);
  if (pid !== 0 && pid !== task.pid && !threadOf(task, pid)) throw new SyscallError(Errno.ESRCH);
}

/** sched_getaffinity(2): the raw syscall returns the bytes it wrote. */
function sysSchedGetaffinity(task: Task, a: SyscallArgs): number {
  checkSelf(task, a.int(0));
  const len = a.size(1);
  if (len * 8 < NR_CPUS_GUEST || len & 7) return -Errno.EINVAL;
  const n = Math.min(len, CPUMASK_BYTES);
  const out = new Uint8Array(n);
  out[0] = (1 << NR_CPUS_GUEST) - 1;
  task.mem.write(a.ptr(2), out);
  return n;
}

/** sched_setaffinity(2): the mask must include a CPU the guest has (CPU 0), else EINVAL. */
function sysSchedSetaffinity(task: Task, a: SyscallArgs): number {
  checkSelf(task, a.int(0));
  const len = Math.min(a.size(1), CPUMASK_BYTES);
  const mask = len === 0 ? new Uint8Array(1) : task.mem.read(a.ptr(2), len);
  if (((mask[0] ?? 0) & ((1 << NR_CPUS_GUEST) - 1)) === 0) return -Errno.EINVAL;
  return 0;
}

/** getcpu(2): always CPU 0 on NUMA node 0. */
function sysGetcpu(task: Task, a: SyscallArgs): number {
  if (a.ptr(0) !== 0) writeInt(task, a.ptr(0), 0);
  if (a.ptr(1) !== 0) writeInt(task, a.ptr(1), 0);
  return 0;
}

export const PRIO_PROCESS = 0;
export const PRIO_PGRP = 1;
export const PRIO_USER = 2;

/** Whether (which, who) names this process: itself, its group (pgid = pid here) or its user. */
function prioTarget(task: Task, which: number, who: number): void {
  if (which !== PRIO_PROCESS && which !== PRIO_PGRP && which !== PRIO_USER) throw new SyscallError(Errno.EINVAL);
  if (who === 0) return;
  const self = which === PRIO_USER ? task.cred.uid : task.pid;
  if (who !== self) throw new SyscallError(Errno.ESRCH);
}

/** getpriority(2): the raw syscall returns 20 - nice (1..40) so no result looks like an error. */
function sysGetpriority(task: Task, a: SyscallArgs): number {
  prioTarget(task, a.int(0), a.int(1));
  return 20 - task.tg.nice;
}

/** setpriority(2): nice is clamped to [-20, 19]; lowering it needs CAP_SYS_NICE (or RLIMIT_NICE). */
function sysSetpriority(task: Task, a: SyscallArgs): number {
  prioTarget(task, a.int(0), a.int(1));
  const nice = Math.max(-20, Math.min(19, a.int(2)));
  const floor = 20 - Number(task.tg.rlimits[13]?.cur ?? 0n); // RLIMIT_NICE: lowest nice allowed is 20 - rlim_cur
  if (nice < task.tg.nice && !capable(task, CAP_SYS_NICE) && nice < floor) return -Errno.EACCES;
  task.tg.nice = nice;
  return 0;
}

const ids = (args: SyscallImpl['args']) => ({ support: 'full' as const, args });

export const identitySyscalls: Readonly<Record<string, SyscallImpl>> = {
  setuid: { handler: (t, a) => (storeUids(t, setId(a.uint(0), uids(t), mayUid(t))), 0), ...ids(['int']) },
  setgid: { handler: (t, a) => (storeGids(t, setId(a.uint(0), gids(t), mayGid(t))), 0), ...ids(['int']) },
  setreuid: { handler: (t, a) => (storeUids(t, setReId(a.uint(0), a.uint(1), uids(t), mayUid(t))), 0), ...ids(['int', 'int']) },
  setregid: { handler: (t, a) => (storeGids(t, setReId(a.uint(0), a.uint(1), gids(t), mayGid(t))), 0), ...ids(['int', 'int']) },
  setresuid: {
    handler: (t, a) => (storeUids(t, setResId(a.uint(0), a.uint(1), a.uint(2), uids(t), mayUid(t))), 0),
    ...ids(['int', 'int', 'int']),
  },
  setresgid: {
    handler: (t, a) => (storeGids(t, setResId(a.uint(0), a.uint(1), a.uint(2), gids(t), mayGid(t))), 0),
    ...ids(['int', 'int', 'int']),
  },
  setfsuid: {
    handler: (t, a) => {
      const { old, next } = setFsId(a.uint(0), uids(t), mayUid(t));
      storeUids(t, next, true);
      return old;
    },
    ...ids(['int']),
  },
  setfsgid: {
    handler: (t, a) => {
      const { old, next } = setFsId(a.uint(0), gids(t), mayGid(t));
      storeGids(t, next);
      return old;
    },
    ...ids(['int']),
  },
  getgroups: { handler: sysGetgroups, ...ids(['int', 'ptr']) },
  setgroups: { handler: sysSetgroups, ...ids(['int', 'ptr']) },
  getrusage: {
    handler: sysGetrusage,
    support: 'partial',
    args: ['int', 'ptr'],
    note: 'CPU time is the host process total (no user/system split); children and fault counters are 0',
  },
  prctl: {
    handler: sysPrctl,
    support: 'partial',
    args: ['int', 'hex', 'hex', 'hex', 'hex'],
    note: 'name, pdeathsig, dumpable, keepcaps, no_new_privs, subreaper, timerslack, capbset, cap_ambient, set_vma; others EINVAL',
  },
  sched_getaffinity: { handler: sysSchedGetaffinity, ...ids(['int', 'size', 'ptr']) },
  sched_setaffinity: { handler: sysSchedSetaffinity, ...ids(['int', 'size', 'ptr']) },
  getcpu: { handler: sysGetcpu, ...ids(['ptr', 'ptr', 'ptr']) },
  getpriority: { handler: sysGetpriority, ...ids(['int', 'int']) },
  setpriority: { handler: sysSetpriority, ...ids(['int', 'int', 'int']) },
};
