/**
 * HostProcesses on Node.js: a fork child is a node running elfuse's CLI
 * (the same build as this one) with ELFUSE_FORK_CHILD naming its end of a
 * socketpair, the control channel. Starting node costs far more than a
 * fork's state, so after its first fork the process elfuse was started as
 * keeps one such process started and waiting (a spare): the next fork hands it the descriptions
 * the child inherits (SCM_RIGHTS) and the process group, then the fork
 * state as the first framed message. Messages are framed with a 32-bit
 * little-endian length; the channel is wrapped in a net.Socket for
 * asynchronous reads. Process groups and sessions go to the native addon.
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
import { lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, unlinkSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { constants as osConstants, tmpdir } from 'node:os';
import { join } from 'node:path';
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
import { selfCommand } from './install-root.js';

const osSignals = osConstants.signals as Readonly<Record<string, number>>;

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
      if (!this.written) {
        this.written = true;
        process.on('exit', () => {
          try {
            unlinkSync(file);
          } catch {
            // gone already
          }
          try {
            rmdirSync(dir); // the last process of the tree takes the directory with it
          } catch {
            // others still there
          }
        });
      }
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

function sendTakeover(sock: number, fds: readonly number[], pgid: number, newSession: boolean): void {
  const n = posix();
  for (let i = 0; i === 0 || i < fds.length; i += TAKEOVER_CHUNK) {
    const chunk = fds.slice(i, i + TAKEOVER_CHUNK);
    const header = Buffer.alloc(TAKEOVER_HEADER);
    header.writeUInt32LE(TAKEOVER_MAGIC, 0);
    header.writeUInt32LE(chunk.length, 4);
    header.writeUInt32LE((i + TAKEOVER_CHUNK >= fds.length ? TAKEOVER_LAST : 0) | (newSession ? TAKEOVER_SETSID : 0), 8);
    header.writeInt32LE(pgid, 12);
    native('sendmsg', () => n.sendFds(sock, header, [...chunk]));
  }
}

/** Waits (blocking: this process has nothing else to do yet) for the takeover; null if the parent went first. */
function receiveTakeover(sock: number): { fds: number[]; pgid: number; newSession: boolean } | null {
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
    if (flags & TAKEOVER_LAST) return { fds, pgid: header.readInt32LE(12), newSession: (flags & TAKEOVER_SETSID) !== 0 };
  }
}

/** An elfuse process started ahead of a fork, waiting in receiveTakeover. */
interface Spare {
  readonly pid: number;
  readonly sock: number;
  readonly channel: SocketChannel;
  readonly child: ChildProcess;
  exited: HostExit | null;
  readonly exitListeners: ((how: HostExit) => void)[];
}

/**
 * Whether to keep a started process waiting for the next fork, so a fork
 * costs the state transfer rather than a node start (ELFUSE_FORK_SPARE=0: no).
 */
function keepSpare(): boolean {
  return process.env.ELFUSE_FORK_SPARE !== '0';
}

export class NodeHostProcesses implements HostProcesses {
  private parent: ProcessChannel | null | undefined;
  private inherited: number[] = [];
  private spare: Spare | null = null;
  private spareSoon = false;
  private readonly records = new RecordDir();

  /** Starts an elfuse process that waits for a takeover; it neither keeps this one alive nor outlives it. */
  private startSpare(): Spare {
    const n = posix();
    this.records.dir(); // names the tree, so the child joins it
    const [mine, theirs] = native('socketpair', () => n.socketpair()) as [number, number];
    const stdio: ('ignore' | number)[] = [0, 1, 2].map((fd) => (n.isOpen(fd) ? fd : 'ignore'));
    stdio.push(theirs);
    const env: NodeJS.ProcessEnv = { ...process.env, [FORK_CHILD_VAR]: '3' };
    delete env['ELFUSE_CLOSED_STDIO'];
    const self = selfCommand();
    let child: ChildProcess;
    try {
      child = spawn(self.file, self.args, { stdio, env });
    } finally {
      n.close(theirs);
    }
    if (child.pid === undefined) {
      n.close(mine);
      throw new Error('fork: the host could not start a process');
    }
    const spare: Spare = { pid: child.pid, sock: mine, channel: new SocketChannel(mine), child, exited: null, exitListeners: [] };
    const ended = (how: HostExit): void => {
      if (spare.exited) return;
      spare.exited = how;
      for (const l of spare.exitListeners) l(how);
    };
    child.on('exit', (code, signal) => ended(signal !== null ? { signal } : { code: code ?? 0 }));
    child.on('error', () => ended({ code: 127 }));
    child.unref();
    spare.channel.setKeepAlive(false);
    return spare;
  }

  spawnForkChild(fds: readonly number[]): SpawnedProcess {
    return this.reserveForkChild().start(fds, { kind: 'inherit' });
  }

  reserveForkChild(): ReservedProcess {
    let s = this.spare;
    this.spare = null;
    // A spare is no use once it died, or if this process left its session since (it could not join our group).
    if (s && (s.exited !== null || !this.sameSession(s.pid))) {
      s.channel.close();
      if (s.exited === null) this.tryKill(s.pid);
      s = null;
    }
    const taken = s ?? this.startSpare();
    return {
      pid: taken.pid,
      start: (fds, group) => {
        const pgid = group.kind === 'pgid' ? group.pgid : native('getpgid', () => posix().getpgid(0));
        sendTakeover(taken.sock, fds, pgid, group.kind === 'setsid');
        this.prepareSpare();
        taken.child.ref();
        taken.channel.setKeepAlive(true);
        return {
          pid: taken.pid,
          channel: taken.channel,
          onExit(listener) {
            if (taken.exited) listener(taken.exited);
            else taken.exitListeners.push(listener);
          },
        };
      },
    };
  }

  /**
   * Starts the next spare once this turn of the event loop is over: the
   * child just taken over goes on meanwhile, and the parent usually waits
   * for it next, so the spare's start (a fork of this whole node) is no
   * longer between the guest's fork and the child's first instruction.
   * Only a process elfuse was started as keeps a spare: a fork child's
   * spare would outlive it as an orphan, which a guest subreaper of the
   * tree would then meet.
   */
  private prepareSpare(): void {
    if (!keepSpare() || this.parent || this.spareSoon) return;
    this.spareSoon = true;
    setImmediate(() => {
      this.spareSoon = false;
      if (this.spare) return;
      try {
        this.spare = this.startSpare();
      } catch {
        // No spare this time: the next fork starts its own process.
      }
    });
  }

  private sameSession(pid: number): boolean {
    try {
      return posix().getsid(pid) === posix().getsid(0);
    } catch {
      return false;
    }
  }

  private tryKill(pid: number): void {
    try {
      posix().kill(pid, osSignals['SIGKILL']!);
    } catch {
      // gone already
    }
  }

  parentChannel(): ProcessChannel | null {
    if (this.parent !== undefined) return this.parent;
    const value = process.env[FORK_CHILD_VAR];
    delete process.env[FORK_CHILD_VAR];
    const fd = Number(value ?? '');
    if (value === undefined || !Number.isInteger(fd) || fd < 0) return (this.parent = null);
    const takeover = receiveTakeover(fd);
    // The parent ended without a fork for this process: nothing to do.
    if (takeover === null) process.exit(0);
    this.inherited = takeover.fds;
    // The child is in its parent's process group, as fork leaves it, or where its vfork child
    // part put itself before its exec (setpgid, setsid).
    if (takeover.newSession) native('setsid', () => posix().setsid());
    else if (posix().getpgid(0) !== takeover.pgid) native('setpgid', () => posix().setpgid(0, takeover.pgid));
    this.parent = new SocketChannel(fd);
    return this.parent;
  }

  inheritedFd(slot: number): number {
    const fd = this.inherited[slot];
    if (fd === undefined) throw new Error(`fork: no inherited fd for slot ${slot}`);
    return fd;
  }

  kill(pid: number, signal: string | 0): void {
    const n = posix();
    const sig = signal === 0 ? 0 : (osSignals[signal] ?? -1);
    if (sig < 0) throw new Error(`kill: no host signal ${signal}`);
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

  reapAdopted(pid: number): ReapedChild | null {
    const r = native('wait4', () => posix().reapChild(pid));
    if (r === null) return null;
    return { status: r[0], utimeUs: BigInt(Math.round(r[1])), stimeUs: BigInt(Math.round(r[2])), maxrssKb: BigInt(Math.round(r[3])) };
  }
}
