/**
 * Process family (kernel/exit.c, kernel/sys.c, kernel/signal.c kill paths,
 * kernel/fork.c set_tid_address, kernel/futex robust lists,
 * drivers/char/random.c getrandom): exit, identity, uname, rlimits,
 * sysinfo, getrandom, and kill/tkill/tgkill aimed at the process itself.
 */

import { GuestFault } from '../memory/fault.js';
import { Errno } from './errno.js';
import {
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
import { postSignal } from './signal-deliver.js';
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

/** exit(2) and exit_group(2): one thread per process for now, so both end the process. */
function sysExit(task: Task, a: SyscallArgs): number {
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

/** getresuid(2) / getresgid(2): three uid_t (u32) stores. */
function writeIds(task: Task, a: SyscallArgs, ids: readonly number[]): number {
  ids.forEach((id, i) => task.mem.write(a.ptr(i), new StructWriter(4).u32(0, id).bytes));
  return 0;
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
 * hard limit needs CAP_SYS_RESOURCE, which only root has here.
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
    if (next.max > current.max && task.cred.euid !== 0) return -Errno.EPERM;
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

/** Sending to self: signal 0 only checks that the target exists. */
function sendToSelf(task: Task, sig: number, code = SI_USER): number {
  checkSignal(sig);
  // tkill/tgkill of a real-time signal can fail with EAGAIN at RLIMIT_SIGPENDING.
  return sig === 0 ? 0 : raiseSignal(task, sig, code);
}

/**
 * kill(2): the process itself (its pid, 0 = its group, -1 = everyone it may
 * signal, which includes itself). Other processes are not reachable yet.
 */
function sysKill(task: Task, a: SyscallArgs): number {
  const pid = a.int(0);
  checkSignal(a.int(1));
  if (pid !== task.pid && pid !== 0 && pid !== -1 && pid !== -task.pid) return -Errno.ESRCH;
  return sendToSelf(task, a.int(1));
}

/** tkill(2) */
function sysTkill(task: Task, a: SyscallArgs): number {
  const tid = a.int(0);
  if (tid <= 0) return -Errno.EINVAL;
  checkSignal(a.int(1));
  if (tid !== task.tid) return -Errno.ESRCH;
  return sendToSelf(task, a.int(1), SI_TKILL);
}

/** tgkill(2) */
function sysTgkill(task: Task, a: SyscallArgs): number {
  const tgid = a.int(0);
  const tid = a.int(1);
  if (tgid <= 0 || tid <= 0) return -Errno.EINVAL;
  checkSignal(a.int(2));
  if (tgid !== task.pid || tid !== task.tid) return -Errno.ESRCH;
  return sendToSelf(task, a.int(2), SI_TKILL);
}

const id = (get: (task: Task) => number): SyscallImpl => ({ handler: (task) => get(task), support: 'full', args: [] });

export const processSyscalls: Readonly<Record<string, SyscallImpl>> = {
  exit: { handler: sysExit, support: 'full', args: ['int'] },
  exit_group: { handler: sysExit, support: 'full', args: ['int'] },
  getpid: id((t) => t.pid),
  getppid: id((t) => t.ppid),
  gettid: id((t) => t.tid),
  getuid: id((t) => t.cred.uid),
  geteuid: id((t) => t.cred.euid),
  getgid: id((t) => t.cred.gid),
  getegid: id((t) => t.cred.egid),
  getresuid: { handler: (t, a) => writeIds(t, a, [t.cred.uid, t.cred.euid, t.cred.suid]), support: 'full', args: ['ptr', 'ptr', 'ptr'] },
  getresgid: { handler: (t, a) => writeIds(t, a, [t.cred.gid, t.cred.egid, t.cred.sgid]), support: 'full', args: ['ptr', 'ptr', 'ptr'] },
  set_tid_address: { handler: sysSetTidAddress, support: 'full', args: ['ptr'] },
  set_robust_list: { handler: sysSetRobustList, support: 'full', args: ['ptr', 'size'] },
  uname: { handler: sysUname, support: 'full', args: ['ptr'] },
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
    note: 'only the process itself',
  },
  tkill: { handler: sysTkill, support: 'partial', args: ['int', 'int'], note: 'self only' },
  tgkill: { handler: sysTgkill, support: 'partial', args: ['int', 'int', 'int'], note: 'self only' },
  sched_yield: { handler: () => 0, support: 'full', args: [] },
};
