/**
 * The other half of fork: a new elfuse process becoming the child. It reads
 * the fork state from its parent's channel, boots a machine, rebuilds the
 * address space (the mappings and the copied pages; file mappings over the
 * host fds passed along), the fd table (the same open descriptions, through
 * the passed host fds), the credentials, dispositions, mask and working
 * directory, and enters EL0 at the instruction after the parent's `svc`
 * with X0 = 0. When the guest ends, the parent hears how, with the rusage
 * its wait4 reports.
 */

import { Epoll } from '../kernel/epoll.js';
import { eventFromForkImage, restoreEpollItems } from '../kernel/event-fork.js';
import type { EventObject } from '../kernel/waitq.js';
import type { Backend } from '../../ports/backend.js';
import { HostError, type HostFs, type HostPorts } from '../../ports/host.js';
import { Errno, linuxErrnoFromHostCode } from '../kernel/errno.js';
import type { ProcessChannel } from '../../ports/processes.js';
import { decodeMessage, encodeMessage, type Rusage } from '../fork/messages.js';
import { decodeForkState, type ForkState } from '../fork/state.js';
import { FsContext } from '../kernel/fs-context.js';
import { OpenFile, type FileKind } from '../kernel/fd-table.js';
import { withTarget } from '../kernel/fs-util.js';
import { AT_FDCWD } from '../kernel/linux-abi.js';
import type { Layer } from '../kernel/namei.js';
import type { ProcImage } from '../kernel/procfs.js';
import { postProcessSignal } from '../kernel/signal-deliver.js';
import { openSynth } from '../kernel/synthfs.js';
import { Task } from '../kernel/task.js';
import { Cred, ThreadGroup } from '../kernel/thread-group.js';
import type { GuestStatus } from '../kernel/run-loop.js';
import type { MemObject, PageSource } from '../memory/address-space.js';
import { bootMachine, enterEl0, newAddressSpace, type Machine } from './machine.js';

/** A mapped file's pages, read through a host fd the parent passed. */
function fdPageSource(fs: HostFs, fd: number, writable: boolean): PageSource {
  return {
    hostFd: fd,
    writable,
    read(buf, offset) {
      let done = 0;
      while (done < buf.length) {
        const n = fs.read(fd, buf.subarray(done), BigInt(offset + done));
        if (n <= 0) break;
        done += n;
      }
      return done;
    },
    write(data, offset) {
      if (!writable) return;
      let done = 0;
      while (done < data.length) {
        const n = fs.write(fd, data.subarray(done), BigInt(offset + done));
        if (n <= 0) break;
        done += n;
      }
    },
    size: () => Number(fs.fstat(fd).size),
    release: () => undefined, // the fd is the fork's: it stays open for the life of the process
  };
}

/**
 * The parent's messages, kept until the child is ready for them: the fork
 * state comes first, and a signal may follow at once (kill right after
 * fork), before the child can take it.
 */
class Inbox {
  private readonly kept: Uint8Array[] = [];
  private handler: ((m: Uint8Array) => void) | null = null;
  private waiting: ((m: Uint8Array) => void) | null = null;
  private closed = false;
  private fail: ((e: Error) => void) | null = null;

  constructor(channel: ProcessChannel) {
    channel.onMessage((m) => {
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = null;
        w(m);
      } else if (this.handler) this.handler(m);
      else this.kept.push(m);
    });
    channel.onClose(() => {
      this.closed = true;
      this.fail?.(new Error('fork: the parent went away before sending the fork state'));
    });
  }

  next(): Promise<Uint8Array> {
    const m = this.kept.shift();
    if (m) return Promise.resolve(m);
    if (this.closed) return Promise.reject(new Error('fork: the parent went away before sending the fork state'));
    return new Promise((resolve, reject) => {
      this.waiting = resolve;
      this.fail = reject;
    });
  }

  /** From now on every message goes to `handler`, those kept so far first. */
  deliverTo(handler: (m: Uint8Array) => void): void {
    this.handler = handler;
    for (const m of this.kept.splice(0)) handler(m);
  }
}

export interface ForkedGuest {
  readonly task: Task;
  readonly machine: Machine;
  readonly channel: ProcessChannel;
}

function restoreFiles(task: Task, state: ForkState): void {
  const opened: (OpenFile | null)[] = state.files.descriptions.map((d) => {
    if (d.synth) {
      // A made-up node is made again from its path ( /dev/null, /proc/...).
      try {
        return withTarget(task, AT_FDCWD, d.path, { follow: true }, (t) => (t.kind === 'synth' ? openSynth(task, t.node, t.path, d.flags, false, false) : null));
      } catch {
        return null;
      }
    }
    if (d.event.length > 0) {
      let event: EventObject | null = null;
      try {
        event = eventFromForkImage(task, d.event);
      } catch {
        event = null; // a malformed image: the fd is not restored, as for a made-up node that is gone
      }
      if (!event) return null;
      const file = new OpenFile(-1, d.path, d.flags, 'anon', false);
      file.event = event;
      return file;
    }
    const hostFd = d.ownsHostFd ? task.host.processes.inheritedFd(d.slot) : d.slot;
    const file = new OpenFile(hostFd, d.path, d.flags, d.kind as FileKind, d.ownsHostFd);
    file.layer = d.layer as Layer;
    file.unlinked = d.unlinked;
    file.offset = d.offset;
    file.owner = { ...d.owner };
    return file;
  });
  state.files.descriptions.forEach((d, i) => {
    const ev = opened[i]?.event;
    if (ev instanceof Epoll) restoreEpollItems(task, ev, d.event, opened);
  });
  for (const e of state.files.fds) {
    const file = opened[e.description];
    if (file) task.fds.installAt(e.fd, file, e.cloexec);
  }
}

function procImage(state: ForkState, m: Machine): ProcImage | null {
  const img = state.mm.image;
  if (img['argStart'] === undefined) return null;
  return {
    exePath: state.process.exePath,
    argStart: img['argStart'] ?? 0,
    argEnd: img['argEnd'] ?? 0,
    envStart: img['envStart'] ?? 0,
    envEnd: img['envEnd'] ?? 0,
    auxv: state.mm.auxv,
    hwcap: m.hwcap,
    hwcap2: m.hwcap2,
    midr: m.ids.midr,
    startCode: img['startCode'] ?? 0,
    endCode: img['endCode'] ?? 0,
    startStack: img['startStack'] ?? 0,
    segments: state.mm.segments,
  };
}

/** Reads the fork state and builds the child, ready to run. */
export async function startForkedGuest(backend: Backend, host: HostPorts, opts: { verbose: boolean; log: (line: string) => void }): Promise<ForkedGuest> {
  const channel = host.processes.parentChannel();
  if (!channel) throw new Error('fork: this process was not started as a fork child');
  const inbox = new Inbox(channel);
  // In a reused process, what the parent said to the guest before this one (a signal
  // sent as it ended) may still come first: the fork state begins this guest.
  let msg = decodeMessage(await inbox.next());
  while (msg.kind !== 'state') msg = decodeMessage(await inbox.next());
  const state = decodeForkState(msg.bytes);

  const m = bootMachine(backend, { commitLimit: Number(host.process.memory().totalBytes), ...(host.shm ? { shm: host.shm, fs: host.fs } : {}) });
  const { as, mem } = newAddressSpace(m);
  // One object per entry of the parent's table, so the VMAs of one object share it again.
  const objects = new Map<number, MemObject | undefined>();
  let sysvAttached = false;
  as.restoreFork(
    {
      vmas: state.mm.vmas.map((v) => ({
        start: v.start,
        end: v.end,
        prot: v.prot,
        flags: v.flags,
        name: v.name,
        wantExec: v.wantExec,
        offset: v.offset,
        noWrite: v.noWrite,
        ...(v.named ? { anonName: v.anonName } : {}),
      })),
      pages: state.mm.pages,
      brkStart: state.mm.brkStart,
      brkCur: state.mm.brkCur,
    },
    (_v, i) => {
      const index = state.mm.vmas[i]?.object ?? -1;
      const o = state.mm.objects[index];
      if (!o) return undefined;
      if (objects.has(index)) return objects.get(index);
      let obj: MemObject | undefined;
      if (o.kind === 'file') {
        const fd = host.processes.inheritedFd(o.slot);
        const st = host.fs.fstat(fd);
        obj = as.fileObject(`file:${st.dev}:${st.ino}`, () => fdPageSource(host.fs, fd, o.writable));
      } else if (o.kind === 'memfd') {
        obj = as.newShmem(o.size, host.processes.inheritedFd(o.slot));
      } else {
        try {
          obj = as.newSysv(o.shmid, o.size, o.key, !o.writable);
          sysvAttached = true;
        } catch (e) {
          opts.log(`elfuse: fork child: SysV segment ${o.shmid} could not be attached again (${e instanceof Error ? e.message : String(e)})`);
        }
      }
      objects.set(index, obj);
      return obj;
    },
  );
  // The parent's fork returns once this process holds its SysV attaches, so the counts are Linux's.
  if (sysvAttached) void channel.send(encodeMessage({ kind: 'attached' }));

  const p = state.process;
  const cred = new Cred();
  Object.assign(cred, { uid: p.uid, euid: p.euid, suid: p.suid, gid: p.gid, egid: p.egid, sgid: p.sgid, fsuid: p.fsuid, fsgid: p.fsgid, groups: [...p.groups] });
  const [inheritable = 0n, permitted = 0n, effective = 0n, bounding = 0n, ambient = 0n] = p.caps;
  cred.caps = { inheritable, permitted, effective, bounding, ambient };
  const tg = new ThreadGroup(host.process.pid, cred);
  p.sigactions.forEach((a, i) => Object.assign(tg.sigactions[i]!, a));
  p.rlimits.forEach((l, i) => Object.assign(tg.rlimits[i]!, l));
  tg.nice = p.nice;
  tg.oomScoreAdj = p.oomScoreAdj;
  tg.oomScoreAdjMin = p.oomScoreAdjMin;
  tg.dumpable = p.dumpable;
  tg.noNewPrivs = p.noNewPrivs;
  tg.keepCaps = p.keepCaps;
  tg.timerSlackNs = p.timerSlackNs;
  tg.personality = p.personality;
  tg.exitSignal = p.exitSignal;

  const ctx = new FsContext(host.fs, { ...(state.fs.sysroot !== null ? { sysroot: state.fs.sysroot } : {}), hostCwd: '/', foldsCase: state.fs.foldsCase });
  try {
    ctx.chdir(state.fs.cwd);
  } catch {
    // the directory went away meanwhile: the child starts at "/", as getcwd would then have to say
  }
  // The umask is the host process's own: this process may have been started before the parent changed it.
  host.process.umask(state.fs.umask);
  const image = procImage(state, m);
  const task = new Task({
    host,
    as,
    mem,
    machine: m,
    tg,
    fsContext: ctx,
    installStdio: false,
    execfn: p.execfn,
    verbose: opts.verbose,
    log: opts.log,
    ...(image ? { image } : {}),
  });
  task.setComm(Uint8Array.from(p.comm, (c) => c.charCodeAt(0)));
  // A vfork child that ended before its exec (kernel/vfork.ts): this process only ends the same way.
  const end = p.endStatus;
  if (end >= 0) task.exit = (end & 0x7f) === 0 ? { status: (end >> 8) & 0xff } : { signal: end & 0x7f, core: (end & 0x80) !== 0 };
  task.mm.sigtramp = state.mm.sigtramp;
  task.mm.membarrierState = state.mm.membarrierState;
  const t = state.thread;
  task.sigmask = t.sigmask;
  task.altStack = { ...t.altStack };
  task.clearChildTid = t.clearChildTid;
  restoreFiles(task, state);

  const r = t.regs;
  enterEl0(m, as, { x: r.x, sp: r.sp, pc: r.pc, pstate: r.pstate, fpcr: r.fpcr, fpsr: r.fpsr, tpidr: r.tpidr, tpidrro: r.tpidrro, v: r.v }, true);
  // CLONE_CHILD_SETTID: the child's tid in its own memory before it runs.
  if (t.setChildTid !== 0n) {
    const tid = new Uint8Array(4);
    new DataView(tid.buffer).setInt32(0, task.tid, true);
    try {
      mem.write(Number(t.setChildTid), tid);
    } catch {
      // a bad address: Linux ignores the failed write as well
    }
  }
  // From now on the parent's messages are signals (kill from the parent, with its siginfo).
  inbox.deliverTo((bytes) => {
    let m;
    try {
      m = decodeMessage(bytes);
    } catch {
      return;
    }
    if (m.kind === 'signal') postProcessSignal(task, m.info.signo, { signo: m.info.signo, code: m.info.code, pid: m.info.pid, uid: m.info.uid, value: m.info.value });
    else if (m.kind === 'setpgid') {
      // The parent's setpgid(child, pgid), which the host would refuse it (EACCES): done here.
      let errno = 0;
      try {
        host.processes.setpgid(0, m.pgid);
      } catch (e) {
        errno = e instanceof HostError ? linuxErrnoFromHostCode(e.code) : Errno.EPERM;
      }
      void channel.send(encodeMessage({ kind: 'setpgid-done', errno }));
    }
  });
  task.parentLink = { pid: host.process.ppid, channel };
  // PR_SET_PDEATHSIG: the parent's elfuse process ended (its end of the channel closed).
  channel.onClose(() => {
    const sig = task.tg.pdeathSig;
    if (sig !== 0 && !task.exit) postProcessSignal(task, sig, { signo: sig, code: 0 /* SI_USER */, pid: task.parentLink?.pid ?? 0, uid: task.cred.uid });
  });
  task.reportToParent = (what, sig) => {
    const msg = what === 'stopped' ? encodeMessage({ kind: 'stopped', signal: sig }) : encodeMessage({ kind: what });
    void channel.send(msg);
  };
  if (opts.verbose) opts.log(`elfuse: fork child ${task.pid}: ${state.mm.vmas.length} mappings, ${state.mm.pages.length} pages, ${state.files.fds.length} fds`);
  return { task, machine: m, channel };
}

/** The last word to the parent: how the guest ended, what it used, and its real uid then. */
export async function reportExit(channel: ProcessChannel, status: GuestStatus, rusage: Rusage, uid: number): Promise<void> {
  const msg =
    status.kind === 'exited'
      ? encodeMessage({ kind: 'exited', status: status.code, rusage, uid })
      : encodeMessage({ kind: 'killed', signal: status.signal, core: status.core, rusage, uid });
  await channel.send(msg);
}
