/**
 * HostProcesses on Node.js: a fork child is a node running elfuse's CLI
 * (the same build as this one) with ELFUSE_FORK_CHILD naming its end of a
 * socketpair, the control channel. Starting node costs far more than a
 * fork's state, so after its first fork a process keeps one such process
 * started and waiting (a spare): the next fork hands it the descriptions
 * the child inherits (SCM_RIGHTS) and the process group, then the fork
 * state as the first framed message. Messages are framed with a 32-bit
 * little-endian length; the channel is wrapped in a net.Socket for
 * asynchronous reads. Process groups and sessions go to the native addon.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import * as net from 'node:net';
import { constants as osConstants } from 'node:os';
import { type HostExit, type HostProcesses, type ProcessChannel, type SpawnedProcess } from '../../ports/processes.js';
import { native, posix } from './posix.js';
import { selfCommand } from './install-root.js';

const osSignals = osConstants.signals as Readonly<Record<string, number>>;

/** The environment variable a fork child finds its channel's fd in. */
export const FORK_CHILD_VAR = 'ELFUSE_FORK_CHILD';

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
 * (magic, fds in this chunk, 1 on the last chunk, the parent's process
 * group) each with up to TAKEOVER_CHUNK fds attached (SCM_RIGHTS; Linux
 * passes at most 253 per message). The child reads exactly one header per
 * recvmsg, so it never reads into the framed messages that follow.
 */
const TAKEOVER_MAGIC = 0x4b464c45; // "ELFK"
const TAKEOVER_HEADER = 16;
const TAKEOVER_CHUNK = 250;

function sendTakeover(sock: number, fds: readonly number[], pgid: number): void {
  const n = posix();
  for (let i = 0; i === 0 || i < fds.length; i += TAKEOVER_CHUNK) {
    const chunk = fds.slice(i, i + TAKEOVER_CHUNK);
    const header = Buffer.alloc(TAKEOVER_HEADER);
    header.writeUInt32LE(TAKEOVER_MAGIC, 0);
    header.writeUInt32LE(chunk.length, 4);
    header.writeUInt32LE(i + TAKEOVER_CHUNK >= fds.length ? 1 : 0, 8);
    header.writeInt32LE(pgid, 12);
    native('sendmsg', () => n.sendFds(sock, header, [...chunk]));
  }
}

/** Waits (blocking: this process has nothing else to do yet) for the takeover; null if the parent went first. */
function receiveTakeover(sock: number): { fds: number[]; pgid: number } | null {
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
    if (header.readUInt32LE(8) === 1) return { fds, pgid: header.readInt32LE(12) };
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

  /** Starts an elfuse process that waits for a takeover; it neither keeps this one alive nor outlives it. */
  private startSpare(): Spare {
    const n = posix();
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
    const n = posix();
    const pgid = native('getpgid', () => n.getpgid(0));
    let s = this.spare;
    this.spare = null;
    // A spare is no use once it died, or if this process left its session since (it could not join our group).
    if (s && (s.exited !== null || !this.sameSession(s.pid))) {
      s.channel.close();
      if (s.exited === null) this.tryKill(s.pid);
      s = null;
    }
    s ??= this.startSpare();
    sendTakeover(s.sock, fds, pgid);
    s.child.ref();
    s.channel.setKeepAlive(true);
    if (keepSpare()) {
      try {
        this.spare = this.startSpare();
      } catch {
        // No spare this time: the next fork starts its own process.
      }
    }
    const taken = s;
    return {
      pid: taken.pid,
      channel: taken.channel,
      onExit(listener) {
        if (taken.exited) listener(taken.exited);
        else taken.exitListeners.push(listener);
      },
    };
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
    // The child is in its parent's process group, as fork leaves it.
    if (posix().getpgid(0) !== takeover.pgid) native('setpgid', () => posix().setpgid(0, takeover.pgid));
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
}
