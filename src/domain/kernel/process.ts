/**
 * Process family (kernel/exit.c, kernel/sys.c, kernel/signal.c kill paths,
 * kernel/fork.c set_tid_address, kernel/futex robust lists,
 * drivers/char/random.c getrandom): exit, identity, uname, rlimits,
 * sysinfo, getrandom, and kill/tkill/tgkill aimed at the process itself.
 */

import { CAP_SYS_RESOURCE, capable } from './capability.js';
import { HostError } from '../../ports/host.js';
import { exitThread, threadOf } from './thread.js';

export { threadOf };
import { encodeMessage } from '../fork/messages.js';
import { GuestFault } from '../memory/fault.js';
import { Errno, linuxErrnoFromHostCode } from './errno.js';
import {
  SIGCONT,
  SIGKILL,
  signalName,
  GRND_INSECURE,
  GRND_NONBLOCK,
  GRND_RANDOM,
  MAX_RW_COUNT,
  RLIM_NLIMITS,
  SIZEOF_RLIMIT,
  SIZEOF_SYSINFO,
  SIZEOF_UTSNAME,
  SI_LOAD_SHIFT,
  SI_TKILL,
  SI_USER,
  StructReader,
  StructWriter,
  SysinfoOffset,
  UTSNAME_FIELD_LEN,
  _NSIG,
} from './linux-abi.js';
import { encodeUtf8 } from './fs-util.js';
import { guestRecord, mayKill } from './proc-records.js';
import { postProcessSignal, postSignal } from './signal-deliver.js';
import { SyscallError, type SyscallArgs, type SyscallImpl } from './syscall-args.js';
import type { Rlimit, Task } from './task.js';

/** The kernel release uname reports: a current LTS line. */
export const UTS_RELEASE = '6.12.0-elfuse';
export const UTS_VERSION = '#1 SMP PREEMPT_DYNAMIC';

/**
 * Sends `sig` to the task itself from kill(2) (SI_USER) or tkill/tgkill
 * (SI_TKILL), with the sender's pid and uid, as send_signal does.
 */
export function raiseSignal(task: Task, sig: number, code = SI_USER): number {
  return postSignal(task, sig, { signo: sig, code, pid: task.pid, uid: task.cred.uid });
}

/** exit(2): the calling thread ends (the process with its last thread; thread.ts). */
function sysExit(task: Task, a: SyscallArgs): number {
  exitThread(task, a.int(0) & 0xff);
  return 0;
}

/** exit_group(2): every thread of the process ends. */
function sysExitGroup(task: Task, a: SyscallArgs): number {
  task.exit = { status: a.int(0) & 0xff };
  return 0;
}

/** set_tid_address(2) */
function sysSetTidAddress(task: Task, a: SyscallArgs): number {
  task.clearChildTid = a.u64(0);
  return task.tid;
}

/** set_robust_list(2): the only valid length is sizeof(struct robust_list_head) = 24. */
function sysSetRobustList(task: Task, a: SyscallArgs): number {
  if (a.u64(1) !== 24n) return -Errno.EINVAL;
  task.robustList = { head: a.u64(0), len: a.u64(1) };
  return 0;
}

/** get_robust_list(2): the list head of a thread of this process (0: the caller), and its length. */
function sysGetRobustList(task: Task, a: SyscallArgs): number {
  const tid = a.int(0);
  const target = tid === 0 ? task : threadOf(task, tid);
  if (!target) {
    task.trace(`elfuse: get_robust_list: ${tid} is no thread of this process (another process's list is not known here)`);
    return -Errno.ESRCH;
  }
  const len = new Uint8Array(8);
  new DataView(len.buffer).setBigUint64(0, 24n, true);
  task.mem.write(a.ptr(2), len);
  const head = new Uint8Array(8);
  new DataView(head.buffer).setBigUint64(0, target.robustList.head, true);
  task.mem.write(a.ptr(1), head);
  return 0;
}

/** getresuid(2) / getresgid(2): three uid_t (u32) stores. */
function writeIds(task: Task, a: SyscallArgs, ids: readonly number[]): number {
  ids.forEach((id, i) => task.mem.write(a.ptr(i), new StructWriter(4).u32(0, id).bytes));
  return 0;
}

/** personality(2): 0xffffffff asks; anything else sets it. Either way the old persona is returned. */
function sysPersonality(task: Task, a: SyscallArgs): number {
  const persona = Number(a.u64(0) & 0xffffffffn);
  const old = task.tg.personality;
  if (persona !== 0xffffffff) task.tg.personality = persona;
  return old;
}

/**
 * sethostname(2), setdomainname(2): the guest shares the host's UTS names
 * (uname shows the host's), which are not the guest's to change: EPERM, as
 * for a process without CAP_SYS_ADMIN, which Linux checks before the length.
 */
function refuseUtsChange(task: Task, name: string, _len: number): number {
  task.trace(`elfuse: ${name}: the host's names are not changed by a guest (EPERM)`);
  return -Errno.EPERM;
}

/** uname(2): struct new_utsname, six NUL-padded char[65]. */
function sysUname(task: Task, a: SyscallArgs): number {
  const fields = ['Linux', task.host.process.hostname(), UTS_RELEASE, UTS_VERSION, 'aarch64', '(none)'];
  const w = new StructWriter(SIZEOF_UTSNAME);
  fields.forEach((text, i) => w.chars(i * UTSNAME_FIELD_LEN, UTSNAME_FIELD_LEN, encodeUtf8(text)));
  task.mem.write(a.ptr(0), w.bytes);
  return 0;
}

function encodeRlimit(r: Rlimit): Uint8Array {
  return new StructWriter(SIZEOF_RLIMIT).u64(0, r.cur).u64(8, r.max).bytes;
}

/**
 * prlimit64(2) on the calling process (pid 0 or its own pid). Raising the
 * hard limit needs CAP_SYS_RESOURCE.
 */
function prlimit(task: Task, pid: number, resource: number, newPtr: number, oldPtr: number): number {
  if (pid !== 0 && pid !== task.pid) return -Errno.ESRCH;
  if (resource < 0 || resource >= RLIM_NLIMITS) return -Errno.EINVAL;
  const current = task.tg.rlimits[resource];
  if (!current) return -Errno.EINVAL;
  let next: Rlimit | null = null;
  if (newPtr !== 0) {
    const r = new StructReader(task.mem.read(newPtr, SIZEOF_RLIMIT));
    next = { cur: r.u64(0), max: r.u64(8) };
    if (next.cur > next.max) return -Errno.EINVAL;
    if (next.max > current.max && !capable(task, CAP_SYS_RESOURCE)) return -Errno.EPERM;
  }
  if (oldPtr !== 0) task.mem.write(oldPtr, encodeRlimit(current));
  if (next) task.tg.rlimits[resource] = next;
  return 0;
}

/** sysinfo(2), with mem_unit 1. */
function sysSysinfo(task: Task, a: SyscallArgs): number {
  const proc = task.host.process;
  const O = SysinfoOffset;
  const mem = proc.memory();
  const w = new StructWriter(SIZEOF_SYSINFO).i64(O.uptime, BigInt(Math.floor(proc.uptimeSeconds())));
  proc.loadavg().forEach((load, i) => w.u64(O.loads + i * 8, BigInt(Math.round(load * (1 << SI_LOAD_SHIFT)))));
  w.u64(O.totalram, mem.totalBytes).u64(O.freeram, mem.freeBytes).u16(O.procs, 1).u32(O.mem_unit, 1);
  task.mem.write(a.ptr(0), w.bytes);
  return 0;
}

/**
 * getrandom(2). The kernel copies chunk by chunk and, if a later chunk
 * faults, returns what it already copied (drivers/char/random.c).
 */
function sysGetrandom(task: Task, a: SyscallArgs): number {
  const flags = a.uint(2);
  if (flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE)) return -Errno.EINVAL;
  if ((flags & (GRND_RANDOM | GRND_INSECURE)) === (GRND_RANDOM | GRND_INSECURE)) return -Errno.EINVAL;
  const len = Math.min(a.size(1), MAX_RW_COUNT);
  const buf = a.ptr(0);
  let done = 0;
  while (done < len) {
    const chunk = new Uint8Array(Math.min(len - done, 1 << 16));
    task.host.random.fill(chunk);
    try {
      task.mem.write(buf + done, chunk);
    } catch (err) {
      if (done > 0 && err instanceof GuestFault) return done;
      throw err;
    }
    done += chunk.length;
  }
  return len;
}

function checkSignal(sig: number): void {
  if (sig < 0 || sig > _NSIG) throw new SyscallError(Errno.EINVAL);
}

/** Linux's signal numbers by the host's POSIX names, for host kill(2). */
function hostName(sig: number): string | 0 {
  return sig === 0 ? 0 : signalName(sig);
}

/** What a signal to another process carries besides its number (the sender's siginfo). */
export interface SignalSend {
  readonly code: number;
  readonly value?: bigint;
  /** rt_sigqueueinfo passes the caller's own si_pid and si_uid along; kill and tkill put the sender's. */
  readonly pid?: number;
  readonly uid?: number;
}

/** Whether `pid` is in the caller's session (SIGCONT may always go there). */
function sameSession(task: Task, pid: number): boolean {
  try {
    return task.host.processes.getsid(pid) === task.host.processes.getsid(0);
  } catch {
    return false;
  }
}

/**
 * One signal to one process: itself; a child, or the parent that forked
 * it, over the channel between their elfuse processes, with the siginfo
 * the caller made (SIGKILL and SIGCONT by the host: the one cannot be
 * caught, the other must wake a stopped process); another guest process of
 * the tree through its mailbox (HostProcesses.sendToProcess), with the
 * siginfo too; any other process by the host's kill(2), which cannot carry
 * a siginfo (the target sees SI_USER from pid 0). A guest process of the
 * tree is checked against its published credentials first (EPERM, as
 * check_kill_permission does); a host process outside it by the host.
 * Returns 0 or a negative errno.
 */
export function signalProcess(task: Task, pid: number, sig: number, send: SignalSend | number): number {
  const s: SignalSend = typeof send === 'number' ? { code: send } : send;
  const info = { signo: sig, code: s.code, pid: s.pid ?? task.pid, uid: s.uid ?? task.cred.uid, value: s.value ?? 0n };
  if (pid === task.pid) return sig === 0 ? 0 : postProcessSignal(task, sig, info);
  if (task.tg.children.wasReaped(pid)) return -Errno.ESRCH;
  const child = task.tg.children.byPid.get(pid);
  // A zombie takes any signal and does nothing with it.
  if (child?.state === 'zombie') return 0;
  const rec = guestRecord(task, pid);
  if (rec) {
    const denied = mayKill(task, rec, sig, () => sameSession(task, pid));
    if (denied) return denied;
  }
  let channel = child?.channel ?? null;
  const parent = task.parentLink;
  if (!channel && parent && parent.pid === pid && hostParent(task) === pid) channel = parent.channel;
  if (channel && sig !== 0 && sig !== SIGKILL && sig !== SIGCONT) {
    void channel.send(encodeMessage({ kind: 'signal', info }));
    return 0;
  }
  // Another guest process of the tree: its mailbox takes the siginfo too (the host's kill cannot).
  if (rec && sig !== 0 && sig !== SIGKILL && sig !== SIGCONT) {
    const byHost = (): void => {
      try {
        task.host.processes.kill(pid, hostName(sig));
      } catch {
        // gone meanwhile
      }
    };
    if (task.host.processes.sendToProcess(pid, encodeMessage({ kind: 'signal', info }), byHost)) return 0;
  }
  try {
    task.host.processes.kill(pid, hostName(sig));
    return 0;
  } catch (e) {
    if (e instanceof HostError) return -linuxErrnoFromHostCode(e.code);
    throw e;
  }
}

function hostParent(task: Task): number {
  try {
    return task.host.processes.getppid();
  } catch {
    return 0;
  }
}

/**
 * kill(2): a process (pid > 0), the caller's process group (0), another
 * group (-pgid), or every process the caller may signal but itself and
 * init (-1). For -1, "every process" is this elfuse process tree's (the
 * guest processes elfuse runs, as a container's pid namespace holds them,
 * found by their records, and the caller's children): never a host process
 * elfuse does not run. A group's members are found on the host; each gets
 * the signal its own way (signalProcess). ESRCH when nothing was there,
 * EPERM when nothing could be signalled.
 */
function sysKill(task: Task, a: SyscallArgs): number {
  const pid = a.int(0);
  const sig = a.int(1);
  checkSignal(sig);
  if (pid > 0) return signalProcess(task, pid, sig, SI_USER);
  let targets: number[];
  if (pid === -1) {
    const tree = new Set(task.host.processes.publishedPids());
    for (const c of task.tg.children.byPid.values()) if (c.state !== 'zombie') tree.add(c.pid);
    tree.delete(task.pid);
    tree.delete(1);
    targets = [...tree];
  } else {
    let pgid = -pid;
    if (pid === 0) {
      try {
        pgid = task.host.processes.getpgid(0);
      } catch {
        pgid = task.pid;
      }
    }
    if (pid === -2147483648) return -Errno.ESRCH;
    targets = task.host.processes.groupMembers(pgid);
  }
  if (targets.length === 0) return -Errno.ESRCH;
  let sent = 0;
  let err = 0;
  // The caller last, so a fatal signal to its own group reaches the others first.
  for (const target of targets.sort((x, y) => (x === task.pid ? 1 : y === task.pid ? -1 : 0))) {
    const r = signalProcess(task, target, sig, SI_USER);
    if (r === 0) sent++;
    else if (err === 0 || r === -Errno.EPERM) err = r;
  }
  return sent > 0 ? 0 : err || -Errno.ESRCH;
}

/** A signal aimed at one thread of this process (do_send_specific): pending on that thread alone. */
function signalThread(task: Task, target: Task, sig: number): number {
  if (sig === 0) return 0;
  return postSignal(target, sig, { signo: sig, code: SI_TKILL, pid: task.pid, uid: task.cred.uid });
}

/** tkill(2): a thread of this process, or another process (whose only thread has its pid). */
function sysTkill(task: Task, a: SyscallArgs): number {
  const tid = a.int(0);
  if (tid <= 0) return -Errno.EINVAL;
  const sig = a.int(1);
  checkSignal(sig);
  const t = threadOf(task, tid);
  if (t) return signalThread(task, t, sig);
  return signalProcess(task, tid, sig, SI_TKILL);
}

/** tgkill(2): the thread must belong to the group. */
function sysTgkill(task: Task, a: SyscallArgs): number {
  const tgid = a.int(0);
  const tid = a.int(1);
  if (tgid <= 0 || tid <= 0) return -Errno.EINVAL;
  const sig = a.int(2);
  checkSignal(sig);
  if (tgid === task.pid) {
    const t = threadOf(task, tid);
    return t ? signalThread(task, t, sig) : -Errno.ESRCH;
  }
  if (tgid !== tid) return -Errno.ESRCH;
  return signalProcess(task, tid, sig, SI_TKILL);
}

/** The host's answer to a process-group call, as an errno; a reaped child is gone (ESRCH). */
function hostCall(fn: () => number, task?: Task, pid = 0): number {
  if (task && pid > 0 && task.tg.children.wasReaped(pid)) return -Errno.ESRCH;
  try {
    return fn();
  } catch (e) {
    if (e instanceof HostError) return -linuxErrnoFromHostCode(e.code);
    throw e;
  }
}

/**
 * setpgid(2), getpgid(2), getsid(2), setsid(2): the host's own process
 * groups and sessions, since a guest process is a host process: the real
 * terminal's job control sees them.
 */
function sysSetpgid(task: Task, a: SyscallArgs): number | Promise<number> {
  const pid = a.int(0);
  const pgid = a.int(1);
  if (pgid < 0) return -Errno.EINVAL;
  // A child that has not exec'd changes its own group when asked: to the host, every
  // elfuse process has exec'd, so the host refuses its parent with EACCES.
  const child = pid > 0 && pid !== task.pid ? task.tg.children.byPid.get(pid) : undefined;
  // (A stopped child cannot answer: the host's answer, EACCES, stands for it.)
  if (child?.channel && child.state === 'running' && !child.execed && !child.adopted) {
    const channel = child.channel;
    return new Promise<number>((resolve) => {
      child.setpgidReplies.push((errno) => resolve(-errno));
      void channel.send(encodeMessage({ kind: 'setpgid', pgid: pgid === 0 ? pid : pgid }));
    });
  }
  return hostCall(
    () => {
      task.host.processes.setpgid(pid, pgid);
      return 0;
    },
    task,
    pid,
  );
}

const id = (get: (task: Task) => number): SyscallImpl => ({ handler: (task) => get(task), support: 'full', args: [] });

export const processSyscalls: Readonly<Record<string, SyscallImpl>> = {
  exit: { handler: sysExit, support: 'full', args: ['int'] },
  exit_group: { handler: sysExitGroup, support: 'full', args: ['int'] },
  getpid: id((t) => t.pid),
  getppid: { handler: (t) => hostParent(t), support: 'full', args: [] },
  setpgid: { handler: sysSetpgid, support: 'full', args: ['int', 'int'] },
  getpgid: { handler: (t, a) => hostCall(() => t.host.processes.getpgid(a.int(0)), t, a.int(0)), support: 'full', args: ['int'] },
  getsid: { handler: (t, a) => hostCall(() => t.host.processes.getsid(a.int(0)), t, a.int(0)), support: 'full', args: ['int'] },
  setsid: { handler: (t) => hostCall(() => t.host.processes.setsid()), support: 'full', args: [] },
  gettid: id((t) => t.tid),
  getuid: id((t) => t.cred.uid),
  geteuid: id((t) => t.cred.euid),
  getgid: id((t) => t.cred.gid),
  getegid: id((t) => t.cred.egid),
  getresuid: { handler: (t, a) => writeIds(t, a, [t.cred.uid, t.cred.euid, t.cred.suid]), support: 'full', args: ['ptr', 'ptr', 'ptr'] },
  getresgid: { handler: (t, a) => writeIds(t, a, [t.cred.gid, t.cred.egid, t.cred.sgid]), support: 'full', args: ['ptr', 'ptr', 'ptr'] },
  set_tid_address: { handler: sysSetTidAddress, support: 'full', args: ['ptr'] },
  set_robust_list: { handler: sysSetRobustList, support: 'full', args: ['ptr', 'size'] },
  get_robust_list: { handler: sysGetRobustList, support: 'partial', note: "a thread of the caller's process; another process's list is ESRCH", args: ['int', 'ptr', 'ptr'] },
  uname: { handler: sysUname, support: 'full', args: ['ptr'] },
  personality: { handler: sysPersonality, support: 'full', args: ['hex'] },
  sethostname: { handler: (t, a) => refuseUtsChange(t, 'sethostname', a.int(1)), support: 'partial', args: ['ptr', 'int'], note: 'EPERM: the host\'s name is not the guest\'s to change' },
  setdomainname: { handler: (t, a) => refuseUtsChange(t, 'setdomainname', a.int(1)), support: 'partial', args: ['ptr', 'int'], note: 'EPERM: the host\'s name is not the guest\'s to change' },
  prlimit64: {
    handler: (t, a) => prlimit(t, a.int(0), a.uint(1), a.ptr(2), a.ptr(3)),
    support: 'partial',
    args: ['int', 'int', 'ptr', 'ptr'],
    note: 'enforced: NOFILE (fd numbers), STACK (stack growth), FSIZE (writes), AS (mmap, brk), DATA (brk); others recorded',
  },
  getrlimit: { handler: (t, a) => prlimit(t, 0, a.uint(0), 0, a.ptr(1)), support: 'full', args: ['int', 'ptr'] },
  setrlimit: { handler: (t, a) => prlimit(t, 0, a.uint(0), a.ptr(1), 0), support: 'partial', args: ['int', 'ptr'] },
  sysinfo: { handler: sysSysinfo, support: 'full', args: ['ptr'] },
  getrandom: { handler: sysGetrandom, support: 'full', args: ['ptr', 'size', 'hex'] },
  umask: {
    handler: (t, a) => t.host.process.umask(a.uint(0) & 0o777),
    support: 'full',
    args: ['mode'],
  },
  kill: {
    handler: sysKill,
    support: 'partial',
    args: ['int', 'int'],
    note: 'kill(-1) reaches the guest processes of this elfuse tree only; siginfo is exact between a process, its parent and its children',
  },
  tkill: { handler: sysTkill, support: 'full', args: ['int', 'int'] },
  tgkill: { handler: sysTgkill, support: 'full', args: ['int', 'int', 'int'] },
  // The caller goes to the back of the run queue (run-loop.ts) once the call returns.
  sched_yield: {
    handler: (t) => {
      t.yieldCpu = true;
      return 0;
    },
    support: 'full',
    args: [],
  },
};
