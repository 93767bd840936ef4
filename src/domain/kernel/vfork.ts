/**
 * vfork(2), and posix_spawn's clone(CLONE_VM|CLONE_VFORK): the child runs
 * on its parent's memory while the parent is suspended, so nothing is
 * copied. The parent's machine runs it: the parent's registers are put
 * aside, the child's thread runs on the same vCPU (a nested run loop) with
 * its own task, and the parent's registers come back once the child has
 * exec'd or ended. What the child writes to memory before then, the parent
 * sees, as on Linux (glibc's posix_spawn reports a failed exec through it).
 *
 * The child is a process of its own from the start (one guest process is
 * one host process): its pid is that of a host process reserved for it
 * (HostProcesses.reserveForkChild), which is handed the fork only at the
 * end: after an exec, the new image (its mappings and the pages the loader
 * wrote) travels as a fork's memory does; after an exit or a fatal signal,
 * the process is handed nothing but the status it ends with. A child that
 * forks before its exec is handed over with a copy of the memory and makes
 * its clone again there; from then on the parent waits as for a copied
 * vfork child (its writes no longer reach the parent).
 *
 * The child's calls that would act on the host process it runs in (this
 * one, the parent's) act on the child instead (vforkHost): its process
 * group and session are kept and given to its process at the hand-over,
 * getppid is the parent, and /proc records are its process's to publish.
 * The umask is the host's own while the child runs (files it creates get
 * its mask) and the parent's again afterwards.
 */

import { HostError, type HostPorts, type HostProcess } from '../../ports/host.js';
import type { ChildGroup, HostProcesses } from '../../ports/processes.js';
import { SNAP_ALL, Snap, newSnapshot } from '../../ports/vcpu.js';
import type { ThreadRegs } from '../fork/state.js';
import { Errno } from './errno.js';
import { adoptChild, captureFork, currentUmask, type CloneRequest } from './fork.js';
import { FsContext } from './fs-context.js';
import { CLONE_CHILD_SETTID, CLONE_SETTLS, StructWriter } from './linux-abi.js';
import { runNested, type GuestStatus } from './run-loop.js';
import { syncJobControlSignals } from './signal-deliver.js';
import { Task } from './task.js';
import { ThreadGroup } from './thread-group.js';

const TPIDR_EL0 = 0xde82;
const TPIDRRO_EL0 = 0xde83;

/** What a vfork child running in its parent's machine carries besides its task (Task.vfork). */
export interface VforkChild {
  readonly parent: Task;
  /** Its process group, and whether it made itself a session (setpgid/setsid before its exec). */
  pgid: number;
  newSession: boolean;
  /** Set by its execve: where the new image starts. */
  exec: { readonly sp: bigint; readonly pc: bigint } | null;
  /**
   * Set when it forks before its exec (busybox's timeout does): it goes on in
   * its own process with a copy of the memory, from these registers (at the
   * clone's `svc`), and the parent waits for its exec or exit there.
   */
  moved: ThreadRegs | null;
}

/** Ends the vfork child's run here so that its process takes it over at `regs` (VforkChild.moved). */
export function moveVforkChild(task: Task, regs: ThreadRegs): number {
  task.vfork!.moved = regs;
  task.exit = { status: 0 };
  task.trace(`elfuse: vfork: child ${task.pid} forks before its exec: it goes on in its own process with a copy of the memory`);
  return 0;
}

/** Runs a vfork child to its exec or its end, then hands it to its own process; returns its pid. */
export async function vforkInMachine(parent: Task, req: CloneRequest): Promise<number> {
  const machine = parent.machine!;
  // The calling thread's vCPU: the child borrows it until it execs or ends.
  const vcpu = parent.vcpu ?? machine.vcpu;
  let reserved;
  try {
    reserved = parent.host.processes.reserveForkChild();
  } catch (e) {
    parent.trace(`elfuse: clone: ${e instanceof Error ? e.message : String(e)}`);
    return -Errno.EAGAIN;
  }
  const pid = reserved.pid;
  const child = vforkTask(parent, pid, req);
  parent.trace(`elfuse: vfork: child ${pid} runs in this machine until it execs or exits`);

  // The parent's registers as it made the call; the child starts from them with X0 = 0.
  const saved = newSnapshot();
  vcpu.readSnapshot(saved);
  const tpidr = vcpu.getSysReg(TPIDR_EL0);
  const tpidrro = vcpu.getSysReg(TPIDRRO_EL0);
  const umask = currentUmask(parent);
  const start = newSnapshot();
  start.regs.set(saved.regs);
  start.v.set(saved.v);
  start.regs[0] = 0n;
  if (req.stack !== 0n) start.regs[Snap.SP_EL0] = req.stack;
  vcpu.writeSnapshot(start, SNAP_ALL);
  if (req.flags & CLONE_SETTLS) vcpu.setSysReg(TPIDR_EL0, req.tls);
  // CLONE_CHILD_SETTID: the child's tid in its memory (which is the parent's) before it runs.
  if (req.flags & CLONE_CHILD_SETTID && req.childTid !== 0n) {
    try {
      parent.mem.write(Number(req.childTid), new StructWriter(4).i32(0, pid).bytes);
    } catch {
      // a bad address: Linux ignores the failed write as well
    }
  }

  let status: GuestStatus;
  try {
    status = await runNested(child, vcpu, { ids: machine.ids, phys: machine.phys, verbose: parent.verbose, log: parent.log });
  } finally {
    vcpu.writeSnapshot(saved, SNAP_ALL);
    vcpu.setSysReg(TPIDR_EL0, tpidr);
    vcpu.setSysReg(TPIDRRO_EL0, tpidrro);
  }
  const v = child.vfork!;
  const group: ChildGroup = v.newSession ? { kind: 'setsid' } : v.pgid !== parent.host.processes.getpgid(0) ? { kind: 'pgid', pgid: v.pgid } : { kind: 'inherit' };
  // The exec'd child's new image and files, the moved child's copy of the memory, or only how it
  // ended; its umask is the host's now.
  const handed = v.exec
    ? captureFork(child, entryRegs(v.exec), { ...req, flags: req.flags & ~CLONE_CHILD_SETTID })
    : v.moved
      ? captureFork(child, v.moved, { ...req, flags: req.flags & ~CLONE_CHILD_SETTID })
      : captureFork(child, entryRegs({ sp: 0n, pc: 0n }), { ...req, flags: 0 }, 'none', waitStatusOf(status));
  parent.host.process.umask(umask);
  syncJobControlSignals(parent);
  let spawned;
  try {
    spawned = reserved.start(handed.fds, group);
  } catch (e) {
    parent.trace(`elfuse: vfork: the child's process could not take it over: ${e instanceof Error ? e.message : String(e)}`);
    return -Errno.EAGAIN;
  } finally {
    // Its process holds what it needs now: the loaded image and the child's fd table go here.
    if (v.exec) child.mm.as.clear();
    child.closeAllFiles();
    child.fsContext.dispose();
  }
  const childPid = await adoptChild(parent, req, spawned, handed.state, v.moved !== null);
  // Exec'd: the parent can no longer move it to another group (setpgid's EACCES).
  const record = parent.tg.children.byPid.get(childPid);
  if (record && v.exec) record.execed = true;
  return childPid;
}

/** The registers execve leaves: all zero but the stack pointer and the entry point. */
function entryRegs(at: { sp: bigint; pc: bigint }): ThreadRegs {
  return { x: new Array<bigint>(31).fill(0n), sp: at.sp, pc: at.pc, pstate: 0n, fpcr: 0n, fpsr: 0n, tpidr: 0n, tpidrro: 0n, v: new Uint8Array(512) };
}

/** wait(2)'s status word for how the child ended before its exec. */
function waitStatusOf(status: GuestStatus): number {
  return status.kind === 'exited' ? (status.code & 0xff) << 8 : (status.signal & 0x7f) | (status.core ? 0x80 : 0);
}

/**
 * The child's task: the parent's memory itself (CLONE_VM), copies of its
 * fd table (the same open descriptions), filesystem view, dispositions,
 * mask, limits and credentials, and the pid of the process reserved for it.
 */
function vforkTask(parent: Task, pid: number, req: CloneRequest): Task {
  const tg = new ThreadGroup(pid, parent.tg.cred.clone(), parent.tg);
  tg.exitSignal = req.exitSignal;
  const pctx = parent.fsContext;
  const ctx = new FsContext(parent.host.fs, { ...(pctx.sysroot !== null ? { sysroot: pctx.sysroot } : {}), hostCwd: '/', foldsCase: pctx.foldsCase });
  ctx.chdir(pctx.cwdGuestPath);
  const state: VforkChild = { parent, pgid: parent.host.processes.getpgid(0), newSession: false, exec: null, moved: null };
  const child = new Task({
    host: vforkHost(parent.host, pid, parent.pid, state),
    as: parent.as,
    mem: parent.mem,
    machine: parent.machine!,
    tg,
    fsContext: ctx,
    installStdio: false,
    execfn: parent.mm.execfn,
    verbose: parent.verbose,
    log: parent.log,
  });
  child.mm = parent.mm;
  child.vfork = state;
  child.comm = parent.comm;
  child.sigmask = parent.sigmask;
  child.altStack = { ...parent.altStack };
  for (const fd of parent.fds.openFds()) child.fds.installAt(fd, parent.fds.get(fd)!, parent.fds.isCloexec(fd));
  return child;
}

/**
 * `port` with some members replaced; every other member is the port's own,
 * called on the port itself (so its state stays in one place).
 */
function overlay<T extends object>(port: T, replaced: Partial<Record<keyof T, unknown>>): T {
  return new Proxy(port, {
    get(target, key) {
      if (Object.prototype.hasOwnProperty.call(replaced, key)) return replaced[key as keyof T];
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** The host as the vfork child sees it: its own pid, its parent, its process group and session. */
function vforkHost(host: HostPorts, pid: number, ppid: number, v: VforkChild): HostPorts {
  const real = host.processes;
  const self = (p: number): boolean => p === 0 || p === pid;
  const noFork = (): never => {
    throw new Error('a vfork child cannot fork before its exec here');
  };
  const processes = overlay<HostProcesses>(real, {
    getppid: () => ppid,
    getpgid: (p: number) => (self(p) ? v.pgid : real.getpgid(p)),
    getsid: (p: number) => (self(p) ? (v.newSession ? pid : real.getsid(0)) : real.getsid(p)),
    setpgid: (p: number, pgid: number) => {
      if (!self(p)) return real.setpgid(p, pgid);
      // setpgid(2): a session leader cannot move; the group must be its own or one in its session.
      if (v.newSession) throw new HostError('EPERM', 'setpgid');
      const target = pgid === 0 ? pid : pgid;
      if (target !== pid && real.getsid(target) !== real.getsid(0)) throw new HostError('EPERM', 'setpgid');
      v.pgid = target;
    },
    setsid: () => {
      // setsid(2): a process group leader cannot start a session.
      if (v.pgid === pid) throw new HostError('EPERM', 'setsid');
      v.newSession = true;
      v.pgid = pid;
      return pid;
    },
    // Its records are its own process's to publish, not the parent's.
    publish: () => undefined,
    reserveForkChild: noFork,
    spawnForkChild: noFork,
  });
  return {
    ...host,
    process: overlay<HostProcess>(host.process, { pid, ppid }),
    processes,
    // Job-control dispositions reach the host once its own process runs (runTask syncs them).
    signals: overlay<HostPorts['signals']>(host.signals, { setIgnored: () => undefined }),
  };
}
