/**
 * HostProcesses on Node.js: a fork child is a node running elfuse's CLI
 * (the same build as this one) with ELFUSE_FORK_CHILD naming its ends of
 * two socketpairs: the takeover socket, read only while the process waits
 * for a fork, and the control channel. Starting node costs far more than a
 * fork's state, so after its first fork the process elfuse was started as
 * keeps processes started and waiting (spares): the next fork hands one the
 * descriptions the child inherits (SCM_RIGHTS) and the process group on the
 * takeover socket, then the fork state as the first framed message on the
 * channel. Messages are framed with a 32-bit little-endian length; the
 * channel is wrapped in a net.Socket for asynchronous reads. Process groups
 * and sessions go to the native addon.
 *
 * A child whose guest ended without leaving children of its own, and which
 * is still in its parent's session, says so ('reusable') and, once the
 * parent's guest reaped it, goes back to waiting for a takeover: it becomes
 * a spare again (SpawnedProcess.reuse, awaitNextFork), as Linux may hand out
 * a freed pid again. A shell's fork+exec loop then starts no node at all
 * after its first forks, and the spares it uses are warm (their decoded
 * instructions and V8's compiled code stay).
 *
 * Guest process records live in one directory per process tree: the first
 * elfuse process names the tree (its pid and start time) and passes the
 * name to every fork child in ELFUSE_PROC_TREE; each process writes
 * `<tree>/<pid>` (its host start time, a newline, the record) by rename,
 * and removes it at exit. The trees are under $XDG_RUNTIME_DIR/elfuse, or
 * <tmpdir>/elfuse-<uid>, a directory of mode 0700 that must belong to this
 * user (otherwise nothing is published). A record whose pid is gone, or
 * names a process started at another time (a reused pid), is ignored.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, unlinkSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { constants as osConstants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostError } from '../../ports/host.js';
import {
  type HostExit,
  type HostProcesses,
  type HostProcessView,
  type ProcessChannel,
  type ReapedChild,
  type ReservedProcess,
  type SpawnedProcess,
} from '../../ports/processes.js';
import { native, posix } from './posix.js';
import { resetHostSignals } from './signals.js';
import { startGuestCpuAccount } from './system.js';
import { selfCommand } from './install-root.js';

const osSignals = osConstants.signals as Readonly<Record<string, number>>;

/** A real-time signal by its Linux name (SIG34...SIG64): the same number on a Linux host; none elsewhere. */
function hostRealtime(name: string): number {
  const m = /^SIG(\d+)$/.exec(name);
  const n = m ? Number(m[1]) : -1;
  return process.platform === 'linux' && n >= 32 && n <= 64 ? n : -1;
}

/** The environment variable a fork child finds its channel's fd in. */
export const FORK_CHILD_VAR = 'ELFUSE_FORK_CHILD';

/** The environment variable that names a fork child's process tree (the record directory). */
export const PROC_TREE_VAR = 'ELFUSE_PROC_TREE';

/** Linux: a process's start time in clock ticks since boot (/proc/PID/stat field 22), which tells a reused pid apart. */
function hostStartTime(pid: number): string | null {
  if (process.platform !== 'linux') return '';
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** A directory only this user may use, created if missing; null if it is someone else's or not a directory. */
function privateDir(path: string): string | null {
  try {
    mkdirSync(path, { mode: 0o700 });
  } catch {
    // there already, or cannot be made: checked below
  }
  try {
    const st = lstatSync(path);
    const uid = process.geteuid?.() ?? st.uid;
    if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o077) !== 0) return null;
    return path;
  } catch {
    return null;
  }
}

/** Records of processes that died without withdrawing them (SIGKILL), and trees left empty. */
function sweep(base: string): void {
  let trees: string[];
  try {
    trees = readdirSync(base);
  } catch {
    return;
  }
  for (const tree of trees) {
    const dir = join(base, tree);
    try {
      for (const name of readdirSync(dir)) {
        const box = /^(\d+)\.sig$/.exec(name);
        if (box) {
          // A mailbox (a socket) of a process that is gone.
          if (hostStartTime(Number(box[1])) === null) unlinkSync(join(dir, name));
          continue;
        }
        const m = /^\.?(\d+)(\.tmp)?$/.exec(name);
        if (!m) continue;
        const file = join(dir, name);
        const text = readFileSync(file, 'latin1');
        const started = text.slice(0, Math.max(0, text.indexOf('\n')));
        if (hostStartTime(Number(m[1])) !== started || m[2] !== undefined) {
          // A temporary file is only ever live for a moment: one older than a minute is left over.
          if (m[2] === undefined || Date.now() - lstatSync(file).mtimeMs > 60_000) unlinkSync(file);
        }
      }
      rmdirSync(dir);
    } catch {
      // in use, or someone else's: left alone
    }
  }
}

/** What this process withdraws from its tree at exit: its record, its mailbox. */
const atExit: { record: { file: string; dir: string } | null; mailbox: string | null; hooked: boolean } = { record: null, mailbox: null, hooked: false };

/** One 'exit' listener for the process's life, whichever guest (of a reused process) wrote last. */
function withdrawAtExit(): void {
  if (atExit.hooked) return;
  atExit.hooked = true;
  process.on('exit', () => {
    for (const file of [atExit.record?.file, atExit.mailbox]) {
      if (!file) continue;
      try {
        unlinkSync(file);
      } catch {
        // gone already
      }
    }
    if (!atExit.record) return;
    try {
      rmdirSync(atExit.record.dir); // the last process of the tree takes the directory with it
    } catch {
      // others still there
    }
  });
}

/** Where the elfuse process `pid` of a tree takes messages from processes other than its parent and children. */
function mailboxPath(dir: string, pid: number): string {
  return join(dir, `${pid}.sig`);
}

class RecordDir {
  private tree: string | null | undefined;
  private written = false;

  /** This tree's directory (made on first use), or null when records cannot be kept. */
  dir(): string | null {
    if (this.tree !== undefined) return this.tree;
    const xdg = process.env['XDG_RUNTIME_DIR'];
    const base = xdg ? privateDir(join(xdg, 'elfuse')) : privateDir(join(tmpdir(), `elfuse-${process.geteuid?.() ?? 0}`));
    let name = process.env[PROC_TREE_VAR] ?? '';
    if (!/^\d+-\d*$/.test(name)) {
      name = `${process.pid}-${hostStartTime(process.pid) ?? ''}`;
      process.env[PROC_TREE_VAR] = name;
      if (base) sweep(base);
    }
    this.tree = base ? privateDir(join(base, name)) : null;
    return this.tree;
  }

  publish(record: Uint8Array | null): void {
    const dir = this.dir();
    if (!dir) return;
    const file = join(dir, String(process.pid));
    try {
      if (record === null) {
        if (this.written) unlinkSync(file);
        this.written = false;
        return;
      }
      const tmp = join(dir, `.${process.pid}.tmp`);
      const bytes = Buffer.concat([Buffer.from(`${hostStartTime(process.pid) ?? ''}\n`, 'latin1'), record]);
      try {
        writeFileSync(tmp, bytes, { mode: 0o600 });
      } catch {
        // Another tree's sweep took this one's directory while it was still empty: make it again.
        if (privateDir(dir) === null) return;
        writeFileSync(tmp, bytes, { mode: 0o600 });
      }
      renameSync(tmp, file);
      this.written = true;
      atExit.record = { file, dir };
      withdrawAtExit();
    } catch {
      // records are best effort: a full or read-only tmpdir leaves other processes without them
    }
  }

  read(pid: number): Uint8Array | null {
    const dir = this.dir();
    if (!dir || !Number.isInteger(pid) || pid <= 0) return null;
    let bytes: Buffer;
    try {
      bytes = readFileSync(join(dir, String(pid)));
    } catch {
      return null;
    }
    const nl = bytes.indexOf(10);
    if (nl < 0) return null;
    const started = bytes.subarray(0, nl).toString('latin1');
    const now = hostStartTime(pid);
    if (now === null || now !== started) return null; // died without a word, or the pid was reused
    if (process.platform !== 'linux') {
      try {
        process.kill(pid, 0);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ESRCH') return null;
      }
    }
    return new Uint8Array(bytes.subarray(nl + 1));
  }

  pids(): number[] {
    const dir = this.dir();
    if (!dir) return [];
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return [];
    }
    return names.filter((n) => /^\d+$/.test(n)).map(Number).filter((pid) => this.read(pid) !== null).sort((a, b) => a - b);
  }
}

/** A connection to another process's mailbox; the fallbacks of messages sent before it was known to work. */
interface Outbox {
  readonly socket: net.Socket;
  connected: boolean;
  readonly fallbacks: (() => void)[];
}
const outboxes = new Map<number, Outbox>();

/**
 * This process's mailbox: who hears what other processes of the tree send
 * it, and what came before anyone listened (a signal sent right after the
 * fork that made this process, before its guest runs: Linux queues it).
 */
interface Mailbox {
  readonly listeners: Set<(message: Uint8Array) => void>;
  readonly queued: Uint8Array[];
}
let mailbox: Mailbox | null = null;

/**
 * Opens the mailbox once per process: a fork child opens it before it takes
 * the fork over, so it exists as soon as the guest's fork returns its pid.
 */
function openMailbox(dir: string | null): Mailbox | null {
  if (mailbox || !dir) return mailbox;
  const path = mailboxPath(dir, process.pid);
  try {
    unlinkSync(path); // a dead process's, whose pid this one has now
  } catch {
    // none
  }
  const box: Mailbox = { listeners: new Set(), queued: [] };
  const server = net.createServer((conn) => {
    conn.unref();
    let pending: Buffer = Buffer.alloc(0);
    conn.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && pending.length >= 4 + pending.readUInt32LE(0)) {
        const len = pending.readUInt32LE(0);
        const msg = new Uint8Array(pending.subarray(4, 4 + len));
        pending = pending.subarray(4 + len);
        if (box.listeners.size === 0) box.queued.push(msg);
        for (const l of [...box.listeners]) l(msg);
      }
    });
    conn.on('error', () => undefined);
  });
  server.on('error', () => undefined);
  try {
    server.listen(path);
  } catch {
    return null;
  }
  server.unref();
  atExit.mailbox = path;
  withdrawAtExit();
  mailbox = box;
  return box;
}

/** Messages on their way out, on every channel: an exiting process waits for them (flush). */
const inFlight = new Set<Promise<void>>();

class SocketChannel implements ProcessChannel {
  private readonly socket: net.Socket;
  private pending: Buffer = Buffer.alloc(0);
  private readonly listeners: ((m: Uint8Array) => void)[] = [];
  private readonly closeListeners: (() => void)[] = [];
  private queued: Uint8Array[] = [];
  private closed = false;
  /** Sends not yet handed to the host: settled when the other side goes. */
  private readonly unsent = new Set<() => void>();

  constructor(fd: number) {
    this.socket = new net.Socket({ fd, readable: true, writable: true });
    this.socket.on('data', (chunk: Buffer) => this.feed(chunk));
    const gone = (): void => {
      for (const settle of [...this.unsent]) settle();
      if (this.closed) return;
      this.closed = true;
      for (const l of this.closeListeners) l();
    };
    this.socket.on('end', gone);
    this.socket.on('close', gone);
    this.socket.on('error', gone);
  }

  private feed(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (this.pending.length >= 4) {
      const len = this.pending.readUInt32LE(0);
      if (this.pending.length < 4 + len) break;
      const msg = new Uint8Array(this.pending.subarray(4, 4 + len));
      this.pending = this.pending.subarray(4 + len);
      if (this.listeners.length === 0) this.queued.push(msg);
      for (const l of this.listeners) l(msg);
    }
  }

  send(message: Uint8Array): Promise<void> {
    const head = Buffer.alloc(4);
    head.writeUInt32LE(message.length, 0);
    const sent = new Promise<void>((resolve) => {
      if (this.closed) return resolve();
      // The other side gone first: the message can never arrive, and nobody waits for it.
      const settle = (): void => {
        this.unsent.delete(settle);
        resolve();
      };
      this.unsent.add(settle);
      this.socket.write(Buffer.concat([head, message]), settle);
    });
    inFlight.add(sent);
    void sent.then(() => inFlight.delete(sent));
    return sent;
  }

  onMessage(listener: (message: Uint8Array) => void): void {
    this.listeners.push(listener);
    const early = this.queued;
    this.queued = [];
    for (const m of early) listener(m);
  }

  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.closeListeners.push(listener);
  }

  setKeepAlive(on: boolean): void {
    if (on) this.socket.ref();
    else this.socket.unref();
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }

  /** The process this channel leads to begins another guest: the last one's listeners hear nothing more. */
  reset(): void {
    this.listeners.length = 0;
    this.closeListeners.length = 0;
    this.queued = [];
  }
}

/**
 * The takeover: how a waiting elfuse process learns it is a fork child. The
 * parent writes, before any framed message, chunks of a 16-byte header
 * (magic, fds in this chunk, flags: last chunk and new session, the process
 * group to join) each with up to TAKEOVER_CHUNK fds attached (SCM_RIGHTS; Linux
 * passes at most 253 per message). The child reads exactly one header per
 * recvmsg, so it never reads into the framed messages that follow.
 */
const TAKEOVER_MAGIC = 0x4b464c45; // "ELFK"
const TAKEOVER_HEADER = 16;
const TAKEOVER_CHUNK = 250;
/** The header's flags word: the last chunk; the child starts a new session (setsid) rather than joining `pgid`. */
const TAKEOVER_LAST = 1;
const TAKEOVER_SETSID = 2;
/** The parent keeps spares: this process may come back to it once its guest ends (reusable). */
const TAKEOVER_REUSE = 4;

function sendTakeover(sock: number, fds: readonly number[], pgid: number, newSession: boolean, reuse: boolean): void {
  const n = posix();
  for (let i = 0; i === 0 || i < fds.length; i += TAKEOVER_CHUNK) {
    const chunk = fds.slice(i, i + TAKEOVER_CHUNK);
    const header = Buffer.alloc(TAKEOVER_HEADER);
    header.writeUInt32LE(TAKEOVER_MAGIC, 0);
    header.writeUInt32LE(chunk.length, 4);
    header.writeUInt32LE((i + TAKEOVER_CHUNK >= fds.length ? TAKEOVER_LAST : 0) | (newSession ? TAKEOVER_SETSID : 0) | (reuse ? TAKEOVER_REUSE : 0), 8);
    header.writeInt32LE(pgid, 12);
    native('sendmsg', () => n.sendFds(sock, header, [...chunk]));
  }
}

/** Waits (blocking: this process has nothing else to do yet) for the takeover; null if the parent went first. */
function receiveTakeover(sock: number): { fds: number[]; pgid: number; newSession: boolean; reuse: boolean } | null {
  const n = posix();
  const fds: number[] = [];
  for (;;) {
    const header = Buffer.alloc(TAKEOVER_HEADER);
    let got = 0;
    while (got < TAKEOVER_HEADER) {
      const [len, passed] = native('recvmsg', () => n.recvFds(sock, header.subarray(got)));
      if (len === 0) return null;
      got += len;
      fds.push(...passed);
    }
    if (header.readUInt32LE(0) !== TAKEOVER_MAGIC) throw new Error('fork: the parent sent no takeover');
    const flags = header.readUInt32LE(8);
    if (flags & TAKEOVER_LAST) return { fds, pgid: header.readInt32LE(12), newSession: (flags & TAKEOVER_SETSID) !== 0, reuse: (flags & TAKEOVER_REUSE) !== 0 };
  }
}

/** An elfuse process started ahead of a fork, waiting in receiveTakeover. */
interface Spare {
  readonly pid: number;
  /** This side of its takeover socket (-1 once closed). */
  ctl: number;
  readonly channel: SocketChannel;
  readonly child: ChildProcess;
  exited: HostExit | null;
  readonly exitListeners: ((how: HostExit) => void)[];
}

function closeCtl(s: Spare): void {
  if (s.ctl < 0) return;
  posix().close(s.ctl);
  s.ctl = -1;
}

/** How many idle processes a parent keeps at most (each is a whole node). */
const MAX_SPARES = 2;

/**
 * A fork child's side (module state: the composition builds new adapters
 * for each guest a reused process runs): its takeover socket and channel,
 * the fds of the fork it runs, and what it must put back between guests.
 */
interface ChildLink {
  readonly ctl: number;
  readonly channel: SocketChannel;
  inherited: number[];
  reuse: boolean;
  readonly umask: number;
}
let link: ChildLink | null | undefined;

/**
 * A waiting process leads a process group of its own, so what is meant for
 * the guests' groups (a terminal's Ctrl-C or Ctrl-Z, kill of a job's group)
 * does not reach it; the takeover then puts it where the fork asks.
 */
function idleGroup(): void {
  try {
    posix().setpgid(0, 0);
  } catch {
    // a session leader already, or the host refuses: it stays where it is
  }
}

/** Joins the group, or starts the session, the takeover asks for. */
function joinGroup(t: { pgid: number; newSession: boolean }): void {
  // A group leader cannot start a session: the idle group is left for the parent's first.
  if (t.newSession && posix().getpgid(0) === process.pid) native('setpgid', () => posix().setpgid(0, t.pgid));
  if (t.newSession) native('setsid', () => posix().setsid());
  else if (posix().getpgid(0) !== t.pgid) native('setpgid', () => posix().setpgid(0, t.pgid));
}

/**
 * Whether to keep a started process waiting for the next fork, so a fork
 * costs the state transfer rather than a node start (ELFUSE_FORK_SPARE=0: no).
 */
function keepSpare(): boolean {
  return process.env.ELFUSE_FORK_SPARE !== '0';
}

/** A parent's idle processes, oldest first (module state, as the processes are this process's). */
const spares: Spare[] = [];

/** Pids of the host processes this one started and node has not yet seen end: never adopted orphans. */
const startedPids = new Set<number>();

export class NodeHostProcesses implements HostProcesses {
  private spareSoon = false;
  private readonly records = new RecordDir();

  /** Starts an elfuse process that waits for a takeover; it neither keeps this one alive nor outlives it. */
  private startSpare(): Spare {
    const n = posix();
    this.records.dir(); // names the tree, so the child joins it
    const [ctl, ctlTheirs] = native('socketpair', () => n.socketpair()) as [number, number];
    let chan: number;
    let chanTheirs: number;
    try {
      [chan, chanTheirs] = native('socketpair', () => n.socketpair()) as [number, number];
    } catch (e) {
      n.close(ctl);
      n.close(ctlTheirs);
      throw e;
    }
    const stdio: ('ignore' | number)[] = [0, 1, 2].map((fd) => (n.isOpen(fd) ? fd : 'ignore'));
    stdio.push(ctlTheirs, chanTheirs);
    const env: NodeJS.ProcessEnv = { ...process.env, [FORK_CHILD_VAR]: '3,4' };
    delete env['ELFUSE_CLOSED_STDIO'];
    const self = selfCommand();
    let child: ChildProcess;
    try {
      child = spawn(self.file, self.args, { stdio, env });
    } finally {
      n.close(ctlTheirs);
      n.close(chanTheirs);
    }
    if (child.pid === undefined) {
      n.close(ctl);
      n.close(chan);
      throw new Error('fork: the host could not start a process');
    }
    const spare: Spare = { pid: child.pid, ctl, channel: new SocketChannel(chan), child, exited: null, exitListeners: [] };
    startedPids.add(child.pid);
    const ended = (how: HostExit): void => {
      startedPids.delete(spare.pid);
      if (spare.exited) return;
      spare.exited = how;
      closeCtl(spare);
      const i = spares.indexOf(spare);
      if (i >= 0) spares.splice(i, 1);
      for (const l of spare.exitListeners) l(how);
    };
    child.on('exit', (code, signal) => ended(signal !== null ? { signal } : { code: code ?? 0 }));
    child.on('error', () => ended({ code: 127 }));
    child.unref();
    spare.channel.setKeepAlive(false);
    return spare;
  }

  /** Only a process elfuse was started as keeps spares: a fork child's would outlive it as orphans, which a guest subreaper of the tree would then meet. */
  private keepsSpares(): boolean {
    return keepSpare() && !this.isForkChild();
  }

  private isForkChild(): boolean {
    return link !== undefined ? link !== null : process.env[FORK_CHILD_VAR] !== undefined;
  }

  spawnForkChild(fds: readonly number[]): SpawnedProcess {
    return this.reserveForkChild().start(fds, { kind: 'inherit' });
  }

  reserveForkChild(): ReservedProcess {
    let taken: Spare | null = null;
    while (!taken && spares.length > 0) {
      const s = spares.shift()!;
      // A spare is no use once it died or was stopped, or if this process left its session since
      // (it could not join our group).
      if (s.exited === null && this.sameSession(s.pid) && !this.stopped(s.pid)) taken = s;
      else this.retire(s);
    }
    taken ??= this.startSpare();
    const reuse = this.keepsSpares();
    return {
      pid: taken.pid,
      start: (fds, group) => {
        const pgid = group.kind === 'pgid' ? group.pgid : native('getpgid', () => posix().getpgid(0));
        sendTakeover(taken.ctl, fds, pgid, group.kind === 'setsid', reuse);
        taken.child.ref();
        taken.channel.setKeepAlive(true);
        this.prepareSpare();
        return {
          pid: taken.pid,
          channel: taken.channel,
          onExit(listener) {
            if (taken.exited) listener(taken.exited);
            else taken.exitListeners.push(listener);
          },
          reuse: () => this.takeBack(taken),
        };
      },
    };
  }

  /** A child whose guest was reaped waits for the next fork (SpawnedProcess.reuse), or is told to go. */
  private takeBack(s: Spare): void {
    s.exitListeners.length = 0;
    s.channel.reset();
    if (s.exited !== null) return;
    s.child.unref();
    s.channel.setKeepAlive(false);
    if (this.keepsSpares() && spares.length < MAX_SPARES && this.sameSession(s.pid)) spares.push(s);
    else this.retire(s);
  }

  /** Lets a spare go: it sees its takeover socket close, and ends without running anything. */
  private retire(s: Spare): void {
    s.channel.close();
    closeCtl(s);
    // A stopped one would not see it until continued.
    if (s.exited === null && this.stopped(s.pid)) {
      try {
        posix().kill(s.pid, osSignals['SIGKILL']!);
      } catch {
        // gone already
      }
    }
  }

  /**
   * Starts the next spare, when there is none, once this turn of the event
   * loop is over: the child just taken over goes on meanwhile, and the
   * parent usually waits for it next, so the spare's start (a fork of this
   * whole node) is no longer between the guest's fork and the child's first
   * instruction.
   */
  private prepareSpare(): void {
    if (!this.keepsSpares() || this.spareSoon || spares.length > 0) return;
    this.spareSoon = true;
    setImmediate(() => {
      this.spareSoon = false;
      if (spares.length > 0) return;
      try {
        spares.push(this.startSpare());
      } catch {
        // No spare this time: the next fork starts its own process.
      }
    });
  }

  private stopped(pid: number): boolean {
    const state = this.hostView(pid)?.state;
    return state === 'T' || state === 't';
  }

  private sameSession(pid: number): boolean {
    try {
      return posix().getsid(pid) === posix().getsid(0);
    } catch {
      return false;
    }
  }

  parentChannel(): ProcessChannel | null {
    if (link !== undefined) return link?.channel ?? null;
    const value = process.env[FORK_CHILD_VAR];
    delete process.env[FORK_CHILD_VAR];
    const [ctl, chan] = (value ?? '').split(',').map(Number);
    if (value === undefined || !Number.isInteger(ctl) || !Number.isInteger(chan) || ctl! < 0 || chan! < 0) {
      link = null;
      return null;
    }
    idleGroup();
    openMailbox(this.records.dir());
    const takeover = receiveTakeover(ctl!);
    // The parent ended without a fork for this process: nothing to do.
    if (takeover === null) process.exit(0);
    const umask = process.umask(0);
    process.umask(umask);
    // The child is in its parent's process group, as fork leaves it, or where its vfork child
    // part put itself before its exec (setpgid, setsid).
    joinGroup(takeover);
    link = { ctl: ctl!, channel: new SocketChannel(chan!), inherited: takeover.fds, reuse: takeover.reuse, umask };
    return link.channel;
  }

  inheritedFd(slot: number): number {
    const fd = link?.inherited[slot];
    if (fd === undefined) throw new Error(`fork: no inherited fd for slot ${slot}`);
    return fd;
  }

  reusable(): boolean {
    if (!link?.reuse) return false;
    try {
      return posix().getsid(0) === posix().getsid(posix().getppid());
    } catch {
      return false;
    }
  }

  awaitNextFork(): boolean {
    if (!link) return false;
    // What a guest may have changed in this host process goes back to how the process began.
    process.umask(link.umask);
    try {
      posix().processCtl(0, 0); // PR_SET_PDEATHSIG
      posix().processCtl(1, 0); // PR_SET_CHILD_SUBREAPER
    } catch {
      // not on this host
    }
    resetHostSignals();
    link.channel.reset();
    if (mailbox) mailbox.queued.length = 0; // for the guest that ended
    idleGroup();
    const takeover = receiveTakeover(link.ctl);
    if (takeover === null) return false;
    joinGroup(takeover);
    link.inherited = takeover.fds;
    link.reuse = takeover.reuse;
    startGuestCpuAccount();
    return true;
  }

  sendToProcess(pid: number, message: Uint8Array, fallback: () => void): boolean {
    const dir = this.records.dir();
    if (!dir || pid === process.pid) return false;
    const path = mailboxPath(dir, pid);
    let box = outboxes.get(pid);
    if (!box) {
      if (!existsSync(path)) return false;
      const socket = net.connect(path);
      const b: Outbox = { socket, connected: false, fallbacks: [] };
      socket.on('connect', () => {
        b.connected = true;
        b.fallbacks.length = 0;
      });
      const gone = (): void => {
        if (outboxes.get(pid) === b) outboxes.delete(pid);
        // Never reached: a dead mailbox (a process killed without withdrawing it).
        for (const f of b.fallbacks.splice(0)) f();
      };
      socket.on('error', gone);
      socket.on('close', gone);
      socket.unref();
      outboxes.set(pid, b);
      box = b;
    }
    if (!box.connected) box.fallbacks.push(fallback);
    const head = Buffer.alloc(4);
    head.writeUInt32LE(message.length, 0);
    const sent = new Promise<void>((resolve) => box.socket.write(Buffer.concat([head, message]), () => resolve()));
    inFlight.add(sent);
    void sent.then(() => inFlight.delete(sent));
    return true;
  }

  onProcessMessage(listener: (message: Uint8Array) => void): () => void {
    const box = openMailbox(this.records.dir());
    if (!box) return () => undefined;
    box.listeners.add(listener);
    for (const m of box.queued.splice(0)) listener(m);
    return () => {
      box.listeners.delete(listener);
    };
  }

  kill(pid: number, signal: string | 0): void {
    const n = posix();
    const sig = signal === 0 ? 0 : (osSignals[signal] ?? hostRealtime(signal));
    if (sig < 0) throw new HostError('EINVAL', `kill ${signal}`);
    native('kill', () => n.kill(pid, sig));
  }

  getppid(): number {
    return posix().getppid();
  }

  async flush(): Promise<void> {
    while (inFlight.size > 0) await Promise.all([...inFlight]);
  }

  /** Linux: the processes whose /proc/PID/stat names the group (field 5). Elsewhere: the group's leader alone. */
  groupMembers(pgid: number): number[] {
    if (process.platform !== 'linux') {
      try {
        posix().kill(pgid, 0);
        return [pgid];
      } catch {
        return [];
      }
    }
    const out: number[] = [];
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
        // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses, so count from its end.
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        if (Number(fields[2]) === pgid) out.push(Number(name));
      } catch {
        // gone meanwhile
      }
    }
    return out;
  }

  getpgid(pid: number): number {
    return native('getpgid', () => posix().getpgid(pid));
  }

  setpgid(pid: number, pgid: number): void {
    native('setpgid', () => posix().setpgid(pid, pgid));
  }

  getsid(pid: number): number {
    return native('getsid', () => posix().getsid(pid));
  }

  setsid(): number {
    return native('setsid', () => posix().setsid());
  }

  publish(record: Uint8Array | null): void {
    this.records.publish(record);
  }

  published(pid: number): Uint8Array | null {
    return this.records.read(pid);
  }

  publishedPids(): number[] {
    return this.records.pids();
  }

  /** Linux: /proc/PID/stat (state, ppid, pgrp, session). Elsewhere: getpgid/getsid, state and parent unknown. */
  hostView(pid: number): HostProcessView | null {
    if (process.platform === 'linux') {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return { state: f[0] ?? 'S', ppid: Number(f[1]), pgrp: Number(f[2]), session: Number(f[3]) };
      } catch {
        return null;
      }
    }
    try {
      return { state: '?', ppid: 0, pgrp: posix().getpgid(pid), session: posix().getsid(pid) };
    } catch {
      return null;
    }
  }

  setPdeathSignal(signal: string | 0): void {
    const sig = signal === 0 ? 0 : (osSignals[signal] ?? -1);
    if (sig < 0) throw new Error(`prctl: no host signal ${signal}`);
    native('prctl', () => posix().processCtl(0, sig));
  }

  setChildSubreaper(on: boolean): void {
    native('prctl', () => posix().processCtl(1, on ? 1 : 0));
  }

  /** Linux: /proc/self/task/<tid>/children (every thread's: the host hands an orphan to one of them), less the processes node started. */
  adoptedHostChildren(): number[] {
    if (process.platform !== 'linux') return [];
    const out: number[] = [];
    try {
      for (const tid of readdirSync('/proc/self/task')) {
        let list: string;
        try {
          list = readFileSync(`/proc/self/task/${tid}/children`, 'latin1');
        } catch {
          continue; // the thread ended, or the kernel lacks CONFIG_PROC_CHILDREN
        }
        for (const word of list.split(' ')) {
          const pid = Number(word);
          if (word !== '' && Number.isInteger(pid) && !startedPids.has(pid)) out.push(pid);
        }
      }
    } catch {
      return [];
    }
    return out;
  }

  reapAdopted(pid: number): ReapedChild | null {
    const r = native('wait4', () => posix().reapChild(pid));
    if (r === null) return null;
    return { status: r[0], utimeUs: BigInt(Math.round(r[1])), stimeUs: BigInt(Math.round(r[2])), maxrssKb: BigInt(Math.round(r[3])) };
  }
}
