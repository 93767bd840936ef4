/**
 * HostProcesses on Node.js: a fork child is a new node running elfuse's
 * CLI (the same build as this one) with ELFUSE_FORK_CHILD set; the
 * descriptions it inherits are dup'd into it by child_process.spawn's stdio
 * list, the control channel is one end of a socketpair, wrapped in a
 * net.Socket for asynchronous reads. Messages are framed with a 32-bit
 * little-endian length. Process groups and sessions go to the native addon.
 */

import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as net from 'node:net';
import { constants as osConstants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { FORK_FIRST_FD, type HostExit, type HostProcesses, type ProcessChannel, type SpawnedProcess } from '../../ports/processes.js';
import { native, posix } from './posix.js';

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

/** The CLI script a child runs: the built one, whether this module runs from dist or from src (tests). */
function cliScript(): string {
  for (const rel of ['../../app/cli.js', '../../../dist/app/cli.js']) {
    const path = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error('elfuse is not built (no dist/app/cli.js): run npm run build');
}

export class NodeHostProcesses implements HostProcesses {
  private parent: ProcessChannel | null | undefined;

  spawnForkChild(fds: readonly number[]): SpawnedProcess {
    const n = posix();
    const [mine, theirs] = native('socketpair', () => n.socketpair());
    const stdio: ('ignore' | number)[] = [0, 1, 2].map((fd) => (n.isOpen(fd) ? fd : 'ignore'));
    stdio.push(theirs as number);
    if (stdio.length !== FORK_FIRST_FD) throw new Error('fork: fd layout');
    stdio.push(...fds);
    const env: NodeJS.ProcessEnv = { ...process.env, [FORK_CHILD_VAR]: '3' };
    delete env['ELFUSE_CLOSED_STDIO'];
    const child = spawn(process.execPath, [...process.execArgv, cliScript()], { stdio, env });
    n.close(theirs as number);
    const channel = new SocketChannel(mine as number);
    const exitListeners: ((how: HostExit) => void)[] = [];
    let exited: HostExit | null = null;
    child.on('exit', (code, signal) => {
      exited = signal !== null ? { signal } : { code: code ?? 0 };
      for (const l of exitListeners) l(exited);
    });
    child.on('error', () => {
      exited = { code: 127 };
      for (const l of exitListeners) l(exited);
    });
    if (child.pid === undefined) throw new Error('fork: the host could not start a process');
    return {
      pid: child.pid,
      channel,
      onExit(listener) {
        if (exited) listener(exited);
        else exitListeners.push(listener);
      },
    };
  }

  parentChannel(): ProcessChannel | null {
    if (this.parent !== undefined) return this.parent;
    const fd = Number(process.env[FORK_CHILD_VAR] ?? '');
    this.parent = Number.isInteger(fd) && fd >= 0 && process.env[FORK_CHILD_VAR] !== undefined ? new SocketChannel(fd) : null;
    delete process.env[FORK_CHILD_VAR];
    return this.parent;
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
