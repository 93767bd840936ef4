/**
 * clone(2) and clone3(2) without CLONE_VM, and with CLONE_VM|CLONE_VFORK
 * (kernel/fork.c): a new process. One guest process is one host process,
 * so the child is a new elfuse process (HostProcesses.spawnForkChild): this
 * process captures what the child inherits into the fork state (fork/
 * state.ts), passes the open descriptions' host fds along, and the child
 * restores it and resumes at the instruction after the `svc` with X0 = 0.
 * The child's pid is its host pid.
 *
 * vfork and posix_spawn (CLONE_VM|CLONE_VFORK) run the child on this
 * machine, on the parent's memory, until it execs or ends (vfork.ts).
 * A thread (CLONE_THREAD) is made by thread.ts, at once; CLONE_VM without
 * CLONE_THREAD or CLONE_VFORK (a process sharing memory) is ENOSYS.
 */

import { encodeMessage, decodeMessage } from '../fork/messages.js';
import { encodeForkState, type ForkDescription, type ForkMm, type ForkProcess, type ForkSharedObject, type ForkState, type ForkVma, type ThreadRegs } from '../fork/state.js';
import type { SpawnedProcess } from '../../ports/processes.js';
import { moveVforkChild, vforkInMachine } from './vfork.js';
import type { MemObject } from '../memory/address-space.js';
import { Errno } from './errno.js';
import type { OpenFile } from './fd-table.js';
import {
  CLONE_ARGS_SIZE_VER0,
  CLONE_CHILD_CLEARTID,
  CLONE_CHILD_SETTID,
  CLONE_DETACHED,
  CLONE_FILES,
  CLONE_FS,
  CLONE_IO,
  CLONE_PARENT,
  CLONE_PARENT_SETTID,
  CLONE_PIDFD,
  CLONE_PTRACE,
  CLONE_SETTLS,
  CLONE_SIGHAND,
  CLONE_SYSVSEM,
  CLONE_THREAD,
  CLONE_UNTRACED,
  CLONE_VFORK,
  CLONE_VM,
  CSIGNAL,
  StructReader,
  StructWriter,
  _NSIG,
} from './linux-abi.js';
import type { SyscallArgs, SyscallImpl } from './syscall-args.js';
import type { Task, UserContext } from './task.js';
import { installPidfd } from './pidfd.js';
import { forkImageOfEvent } from './event-fork.js';
import { ChildProcess, childHostExit, childMessage } from './wait.js';
import { cloneThread } from './thread.js';

/** What one clone asks for, from clone's registers or clone3's struct clone_args. */
export interface CloneRequest {
  readonly flags: number;
  readonly exitSignal: number;
  /** The child's stack pointer (0: the parent's). */
  readonly stack: bigint;
  readonly parentTid: number;
  readonly childTid: bigint;
  readonly tls: bigint;
  /** CLONE_PIDFD: where the child's pidfd goes (clone: parent_tid; clone3: the pidfd field). */
  readonly pidfdPtr: number;
}

/** Flags a new process may be made with here (namespaces and cgroups are not elfuse's to give). */
/** What a thread also shares (its process's signal handlers, open files and filesystem view). */
const THREAD_FLAGS = CLONE_THREAD | CLONE_SIGHAND | CLONE_FILES | CLONE_FS;
const PROCESS_FLAGS = CLONE_PIDFD | CLONE_VFORK | CLONE_PARENT_SETTID | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | CLONE_SETTLS | CLONE_PTRACE | CLONE_UNTRACED | CLONE_IO | CLONE_SYSVSEM | CLONE_DETACHED | CLONE_PARENT | CLONE_VM;

/** The open descriptions of the fd table, each once, and the host fds that carry them to the child. */
function captureFiles(task: Task, fds: number[]): ForkState['files'] {
  const descriptions: ForkDescription[] = [];
  const index = new Map<OpenFile, number>();
  const entries: { fd: number; description: number; cloexec: boolean }[] = [];
  // Indices first: an epoll's registrations name the descriptions they watch.
  for (const fd of task.fds.openFds()) {
    const file = task.fds.get(fd)!;
    if (!index.has(file)) index.set(file, index.size);
  }
  const indexOf = (file: OpenFile): number => index.get(file) ?? -1;
  for (const fd of task.fds.openFds()) {
    const file = task.fds.get(fd)!;
    const i = index.get(file)!;
    if (i === descriptions.length) {
      // The host's own stdin/stdout/stderr the child inherits at the same numbers; made-up
      // nodes are made again there; everything else travels as a host fd.
      let slot = -1;
      if (!file.synth && file.ownsHostFd && file.hostFd >= 0) {
        slot = fds.length;
        fds.push(file.hostFd);
      }
      descriptions.push({
        slot: file.ownsHostFd ? slot : file.hostFd,
        flags: file.flags,
        kind: file.kind,
        path: file.path,
        layer: file.layer,
        unlinked: file.unlinked,
        ownsHostFd: file.ownsHostFd,
        synth: file.synth !== null,
        offset: file.offset,
        event: file.event ? forkImageOfEvent(file.event, indexOf) : new Uint8Array(0),
        owner: file.owner,
      });
    }
    entries.push({ fd, description: i, cloexec: task.fds.isCloexec(fd) });
  }
  return { descriptions, fds: entries };
}

/**
 * The mappings, the private pages the parent touched, and the objects the
 * child maps by reference (files and memfds as host fds passed along, SysV
 * segments by id), so shared memory stays shared.
 */
function captureMm(task: Task, fds: number[]): ForkState['mm'] {
  const img = task.as.forkImage();
  const fdSlots = new Map<number, number>();
  const slotOf = (hostFd: number): number => {
    let slot = fdSlots.get(hostFd);
    if (slot === undefined) {
      slot = fds.length;
      fdSlots.set(hostFd, slot);
      fds.push(hostFd);
    }
    return slot;
  };
  const objects: ForkSharedObject[] = [];
  const indexOf = new Map<MemObject, number>();
  const objectOf = (obj: MemObject | undefined): number => {
    if (!obj) return -1;
    const have = indexOf.get(obj);
    if (have !== undefined) return have;
    const ref = obj.host?.ref;
    let entry: ForkSharedObject | undefined;
    if (obj.source?.hostFd !== undefined) {
      entry = { kind: 'file', slot: slotOf(obj.source.hostFd), shmid: -1, size: 0, writable: obj.source.writable ?? false, key: 0 };
    } else if (ref?.kind === 'fd') {
      entry = { kind: 'memfd', slot: slotOf(ref.fd), shmid: -1, size: obj.host?.size ?? 0, writable: true, key: 0 };
    } else if (ref?.kind === 'sysv') {
      entry = { kind: 'sysv', slot: -1, shmid: ref.shmid, size: obj.host?.size ?? 0, writable: !ref.readonly, key: obj.host?.sysvKey ?? 0 };
    }
    // Shared anonymous memory in this process's own frames (no host sharing) is copied: -1.
    const index = entry ? objects.push(entry) - 1 : -1;
    indexOf.set(obj, index);
    return index;
  };
  const vmas: ForkVma[] = img.vmas.map((v) => ({
    start: v.start,
    end: v.end,
    prot: v.prot,
    flags: v.flags,
    name: v.name,
    wantExec: v.wantExec,
    offset: v.offset,
    noWrite: v.noWrite ?? false,
    named: v.anonName !== undefined,
    anonName: v.anonName ?? '',
    object: objectOf(v.obj),
  }));
  const image = task.mm.image;
  return {
    vmas,
    objects,
    pages: img.pages,
    brkStart: img.brkStart,
    brkCur: img.brkCur,
    layout: {},
    sigtramp: task.mm.sigtramp,
    membarrierState: task.mm.membarrierState,
    image: image
      ? {
          argStart: image.argStart,
          argEnd: image.argEnd,
          envStart: image.envStart,
          envEnd: image.envEnd,
          startCode: image.startCode ?? 0,
          endCode: image.endCode ?? 0,
          startStack: image.startStack ?? 0,
        }
      : {},
    auxv: image?.auxv ?? new Uint8Array(0),
    segments: image?.segments ?? [],
  };
}

/** The calling thread's registers as it made the syscall: PC at its `svc`, so the call is made again from them. */
function regsAtSyscall(task: Task, ctx: UserContext): ThreadRegs {
  const x: bigint[] = [];
  for (let i = 0; i < 31; i++) x.push(ctx.getX(i));
  const v = new Uint8Array(512);
  for (let i = 0; i < 32; i++) v.set(ctx.getV(i), i * 16);
  const vcpu = task.vcpu ?? task.machine!.vcpu;
  return {
    x,
    sp: ctx.sp,
    pc: ctx.pc - 4n,
    pstate: ctx.pstate,
    fpcr: ctx.fpcr,
    fpsr: ctx.fpsr,
    tpidr: vcpu.getSysReg(0xde82 /* TPIDR_EL0 */),
    tpidrro: vcpu.getSysReg(0xde83 /* TPIDRRO_EL0 */),
    v,
  };
}

/** The forking thread's registers as the syscall returns to the child (X0 = 0, its own stack and TLS if clone gave them). */
function regsAtClone(task: Task, ctx: UserContext, req: CloneRequest): ThreadRegs {
  const r = regsAtSyscall(task, ctx);
  return {
    ...r,
    x: [0n, ...r.x.slice(1)],
    sp: req.stack !== 0n ? req.stack : ctx.sp,
    pc: ctx.pc,
    tpidr: req.flags & CLONE_SETTLS ? req.tls : r.tpidr,
  };
}

/** The process-wide part of what the child inherits (signal_struct, cred, the exec names). */
export function captureProcess(task: Task, exitSignal: number, endStatus = -1): ForkProcess {
  const tg = task.tg;
  const c = tg.cred;
  return {
    sigactions: tg.sigactions.map((a) => ({ ...a })),
    rlimits: tg.rlimits.map((l) => ({ ...l })),
    uid: c.uid,
    euid: c.euid,
    suid: c.suid,
    gid: c.gid,
    egid: c.egid,
    sgid: c.sgid,
    fsuid: c.fsuid,
    fsgid: c.fsgid,
    groups: [...c.groups],
    caps: [c.caps.inheritable, c.caps.permitted, c.caps.effective, c.caps.bounding, c.caps.ambient],
    comm: task.comm,
    nice: tg.nice,
    oomScoreAdj: tg.oomScoreAdj,
    oomScoreAdjMin: tg.oomScoreAdjMin,
    dumpable: tg.dumpable,
    noNewPrivs: tg.noNewPrivs,
    keepCaps: tg.keepCaps,
    timerSlackNs: tg.timerSlackNs,
    personality: tg.personality,
    exitSignal,
    execfn: task.mm.execfn,
    exePath: task.mm.image?.exePath ?? '',
    endStatus,
  };
}

/**
 * Everything the child inherits: `task`'s memory, files, filesystem view
 * and process state, and `regs` as its thread's registers.
 */
export function captureFork(task: Task, regs: ThreadRegs, req: CloneRequest, mm: 'copy' | 'none' = 'copy', endStatus = -1): { state: ForkState; fds: number[] } {
  const fds: number[] = [];
  const state: ForkState = {
    thread: {
      regs,
      sigmask: task.sigmask,
      altStack: task.altStack,
      clearChildTid: req.flags & CLONE_CHILD_CLEARTID ? req.childTid : 0n,
      setChildTid: req.flags & CLONE_CHILD_SETTID ? req.childTid : 0n,
    },
    process: captureProcess(task, req.exitSignal, endStatus),
    mm: mm === 'copy' ? captureMm(task, fds) : NO_MM,
    files: captureFiles(task, fds),
    fs: {
      sysroot: task.fsContext.sysroot,
      foldsCase: task.fsContext.foldsCase,
      cwd: task.fsContext.cwdGuestPath,
      umask: currentUmask(task),
    },
  };
  return { state, fds };
}

/** No memory at all: a vfork child that ended before its exec is handed over only to end. */
const NO_MM: ForkMm = { vmas: [], objects: [], pages: [], brkStart: 0, brkCur: 0, layout: {}, sigtramp: 0, membarrierState: 0, image: {}, auxv: new Uint8Array(0), segments: [] };

export function currentUmask(task: Task): number {
  const mask = task.host.process.umask(0);
  task.host.process.umask(mask);
  return mask;
}

/**
 * copy_process's checks on the flag combinations, then a thread (made at
 * once: the caller goes on without waiting) or a new process.
 */
function doClone(task: Task, req: CloneRequest): number | Promise<number> {
  const { flags } = req;
  if (!task.machine || !task.userContext) return -Errno.ENOSYS;
  if (flags & CLONE_THREAD && !(flags & CLONE_SIGHAND)) return -Errno.EINVAL;
  if (flags & CLONE_SIGHAND && !(flags & CLONE_VM)) return -Errno.EINVAL;
  if (req.exitSignal > _NSIG) return -Errno.EINVAL;
  if (flags & CLONE_PIDFD && flags & (CLONE_DETACHED | CLONE_THREAD)) return -Errno.EINVAL;
  if (flags & (CLONE_THREAD | CLONE_SIGHAND) || (flags & CLONE_VM && !(flags & CLONE_VFORK))) {
    if (flags & ~(PROCESS_FLAGS | THREAD_FLAGS)) {
      task.trace(`elfuse: clone: flags 0x${(flags >>> 0).toString(16)} include namespaces elfuse does not make`);
      return -Errno.EPERM;
    }
    return cloneThread(task, req, (ctx) => regsAtClone(task, ctx, req));
  }
  return cloneProcess(task, req);
}

async function cloneProcess(task: Task, req: CloneRequest): Promise<number> {
  const { flags } = req;
  const ctx = task.userContext!;
  if (flags & (CLONE_FILES | CLONE_FS)) {
    task.trace('elfuse: clone: CLONE_FILES/CLONE_FS between processes are not supported');
    return -Errno.EINVAL;
  }
  if (flags & CLONE_PIDFD && task.fds.lowestFree(0, task.fdLimit) < 0) return -Errno.EMFILE;
  if (flags & ~(PROCESS_FLAGS | CSIGNAL)) {
    task.trace(`elfuse: clone: flags 0x${(flags >>> 0).toString(16)} include namespaces elfuse does not make`);
    return -Errno.EPERM;
  }
  // A vfork child still in its parent's machine goes on in its own process, where this clone is made again.
  if (task.vfork) return moveVforkChild(task, regsAtSyscall(task, ctx));
  // vfork and posix_spawn: the child runs on this machine until it execs or ends (vfork.ts).
  if (flags & CLONE_VM) return vforkInMachine(task, req);
  const { state, fds } = captureFork(task, regsAtClone(task, ctx, req), req);
  let spawned;
  try {
    spawned = task.host.processes.spawnForkChild(fds);
  } catch (e) {
    task.trace(`elfuse: clone: ${e instanceof Error ? e.message : String(e)}`);
    return -Errno.EAGAIN;
  }
  return adoptChild(task, req, spawned, state, true);
}

/**
 * The parent's side of a child process it handed its fork state to: the
 * child's record for wait, its reports applied in order, the state sent,
 * the ids written where clone was asked to write them. `waitForIt`: a
 * vfork parent waits until the child exec'd or ended, and a fork with SysV
 * segments until the child attached them again.
 */
export async function adoptChild(task: Task, req: CloneRequest, spawned: SpawnedProcess, state: ForkState, waitForIt: boolean): Promise<number> {
  const { flags } = req;
  const pid = spawned.pid;
  let pgid = 0;
  try {
    pgid = task.host.processes.getpgid(0);
  } catch {
    // keep 0
  }
  const child = new ChildProcess(pid, req.exitSignal, pgid, spawned.channel);
  child.comm = task.comm;
  child.uid = task.cred.uid;
  child.reuse = () => spawned.reuse();
  const [, permitted = 0n, effective = 0n] = state.process.caps;
  child.caps = [effective, permitted, state.process.caps[0] ?? 0n];
  task.tg.children.byPid.set(pid, child);
  task.tg.children.reapedPids.delete(pid);
  let released: (() => void) | null = null;
  const release = new Promise<void>((r) => (released = r));
  let attached: (() => void) | null = null;
  const attach = new Promise<void>((r) => (attached = r));
  // The child's reports are applied in order; a stop waits until the host shows it (see stopSeen).
  const inbox: Uint8Array[] = [];
  let draining = false;
  // The host process ended (its orphans have gone to their new parent by then).
  let hostGone: (() => void) | null = null;
  const gone = new Promise<void>((r) => (hostGone = r));
  let endPending = false;
  const drain = async (): Promise<void> => {
    draining = true;
    for (let bytes = inbox.shift(); bytes; bytes = inbox.shift()) {
      const kind = decodeMessage(bytes).kind;
      if (kind === 'stopped') await stopSeen(task, pid, () => inbox.length > 0);
      // On Linux a child is a zombie only once it has gone, its children passed to their new
      // parent: a process that keeps running after its report (one with children; a reusable
      // one has none) becomes a zombie when its host process ends.
      if ((kind === 'exited' || kind === 'killed') && !child.reusable) {
        endPending = true;
        await gone;
      }
      childMessage(task, child, bytes);
    }
    draining = false;
  };
  spawned.channel.onMessage((bytes) => {
    const kind = decodeMessage(bytes).kind;
    if (kind === 'released' || kind === 'exited' || kind === 'killed') released?.();
    if (kind !== 'stopped' && kind !== 'continued' && kind !== 'signal' && kind !== 'setpgid-done' && kind !== 'reparented') attached?.();
    if (kind === 'attached') return;
    inbox.push(bytes);
    if (!draining) void drain();
  });
  task.tg.children.hostAlive.add(pid);
  spawned.onExit((how) => {
    released?.();
    attached?.();
    task.tg.children.hostAlive.delete(pid);
    hostGone?.();
    // Its own report, waiting for this, says more (the status it chose, its rusage).
    if (!endPending) childHostExit(task, child, how);
    task.tg.children.changed();
  });
  void spawned.channel.send(encodeMessage({ kind: 'state', bytes: encodeForkState(state) }));
  if (flags & CLONE_PARENT_SETTID && req.parentTid !== 0) task.mem.write(req.parentTid, new StructWriter(4).i32(0, pid).bytes);
  // The pidfd is the parent's alone: installed after the child took its copy of the fd table.
  if (flags & CLONE_PIDFD) task.mem.write(req.pidfdPtr, new StructWriter(4).i32(0, installPidfd(task, pid, 0)).bytes);
  task.trace(`elfuse: clone: child ${pid}`);
  if (!waitForIt) return pid;
  // vfork: the parent waits until the child has exec'd or exited (TASK_KILLABLE: no signal ends it early).
  if (flags & CLONE_VFORK) await release;
  // SysV segments count their attaches: fork returns once the child holds its own (dup_mmap's shm_open).
  else if (state.mm.objects.some((o) => o.kind === 'sysv')) await attach;
  return pid;
}

/**
 * A child says it stops just before it stops itself (it cannot speak once
 * stopped). On Linux the parent hears of a stop only after it happened, and a
 * SIGCONT sent on hearing of it always finds the child stopped; here that
 * SIGCONT could arrive first and be lost. So the report waits until the host
 * shows the child stopped, gone, or already past the stop (a later message
 * came), polling every millisecond: the gap is a few system calls long.
 */
async function stopSeen(task: Task, pid: number, laterArrived: () => boolean): Promise<void> {
  for (;;) {
    const view = task.host.processes.hostView(pid);
    if (!view || view.state === 'T' || view.state === 'Z' || view.state === 'X' || view.state === '?' || laterArrived()) return;
    await task.host.clock.sleep(1_000_000n);
  }
}

/** clone(2) on arm64: (flags, newsp, parent_tidptr, tls, child_tidptr). */
function sysClone(task: Task, a: SyscallArgs): number | Promise<number> {
  const flags = Number(a.u64(0) & 0xffffffffn);
  // Legacy clone returns the pidfd through parent_tid, so the two cannot both be asked for.
  if (flags & CLONE_PIDFD && flags & CLONE_PARENT_SETTID) return -Errno.EINVAL;
  return doClone(task, {
    flags: flags & ~CSIGNAL,
    exitSignal: flags & CSIGNAL,
    stack: a.u64(1),
    parentTid: a.ptr(2),
    tls: a.u64(3),
    childTid: a.u64(4),
    pidfdPtr: a.ptr(2),
  });
}

/** clone3(2): struct clone_args, read as copy_struct_from_user does. */
function sysClone3(task: Task, a: SyscallArgs): Promise<number> | number {
  const ptr = a.ptr(0);
  const size = a.size(1);
  if (size < CLONE_ARGS_SIZE_VER0) return -Errno.EINVAL;
  if (size > 4096) return -Errno.E2BIG;
  const raw = task.mem.read(ptr, size);
  if (raw.subarray(88).some((b) => b !== 0)) return -Errno.E2BIG;
  const r = new StructReader(raw.length >= 88 ? raw : new Uint8Array([...raw, ...new Uint8Array(88 - raw.length)]));
  const flags = r.u64(0);
  const exitSignal = r.u64(32);
  const stack = r.u64(40);
  const stackSize = r.u64(48);
  const setTidSize = r.u64(72);
  const cgroup = r.u64(80);
  if (flags > 0xffffffffn || exitSignal & ~BigInt(CSIGNAL) || exitSignal > BigInt(_NSIG)) return -Errno.EINVAL;
  if (flags & BigInt(CSIGNAL)) return -Errno.EINVAL;
  // clone3_args_valid: a thread, or a sibling, sends no exit signal.
  if (flags & BigInt(CLONE_THREAD | CLONE_PARENT) && exitSignal !== 0n) return -Errno.EINVAL;
  if ((stack === 0n) !== (stackSize === 0n)) return -Errno.EINVAL;
  if (setTidSize !== 0n || cgroup !== 0n) return -Errno.EINVAL;
  return doClone(task, {
    flags: Number(flags),
    exitSignal: Number(exitSignal),
    // clone3's stack is the lowest address of the area; the stack pointer starts at its top.
    stack: stack === 0n ? 0n : stack + stackSize,
    parentTid: Number(r.u64(24)),
    childTid: r.u64(16),
    tls: r.u64(56),
    pidfdPtr: Number(r.u64(8)),
  });
}

export const forkSyscalls: Readonly<Record<string, SyscallImpl>> = {
  clone: {
    handler: sysClone,
    support: 'partial',
    args: ['hex', 'ptr', 'ptr', 'ptr', 'ptr'],
    note: 'new processes (fork, vfork) and threads (CLONE_THREAD with CLONE_VM|CLONE_SIGHAND|CLONE_FILES|CLONE_FS); CLONE_VM alone is ENOSYS',
  },
  clone3: {
    handler: sysClone3,
    support: 'partial',
    args: ['ptr', 'size'],
    note: 'new processes and threads as clone; set_tid and cgroup are EINVAL',
  },
};
