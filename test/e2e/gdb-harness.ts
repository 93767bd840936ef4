/**
 * Runs one gdb-multiarch batch session against a guest served by elfuse
 * (--gdb PORT --gdb-stop-on-entry) or by qemu-aarch64 -g PORT, and returns
 * what GDB printed, what the guest printed and how it ended, so the GDB
 * stub tests can hold elfuse's session to qemu's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QEMU, ROOT, freePort, type Reference } from './helpers.js';

export const GDB = '/usr/bin/gdb-multiarch';
export const GDB_REF: Reference = { path: GDB, fix: 'apt-get install gdb-multiarch' };
export const LLDB_REF: Reference = { path: '/usr/bin/lldb', fix: 'apt-get install lldb' };
const ELFUSE_CLI = join(ROOT, 'bin/elfuse.js');


export interface Finished {
  stdout: string;
  stderr: string;
  status: number;
}

function collect(child: ChildProcess, timeoutMs: number): Promise<Finished> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on('data', (b: Buffer) => out.push(b));
  child.stderr?.on('data', (b: Buffer) => err.push(b));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        stdout: Buffer.concat(out).toString('latin1'),
        stderr: Buffer.concat(err).toString('latin1'),
        status: code ?? (signal === 'SIGKILL' ? 137 : signal === 'SIGTERM' ? 143 : 128),
      });
    });
  });
}

export type Runner = 'elfuse' | 'qemu';

/** Starts the guest under a debug server on `port`, stopped before its first instruction. */
export function serve(runner: Runner, port: number, guestArgs: readonly string[], opts: { stopOnEntry?: boolean } = {}): ChildProcess {
  const env = { PATH: '/usr/bin:/bin', LC_ALL: 'C', HOME: '/' };
  if (runner === 'elfuse') {
    const stop = opts.stopOnEntry === false ? [] : ['--gdb-stop-on-entry'];
    return spawn(process.execPath, [ELFUSE_CLI, '--backend', 'interp', '--gdb', String(port), ...stop, ...guestArgs], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  }
  return spawn(QEMU, ['-g', String(port), ...guestArgs], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface GdbRun {
  gdb: Finished;
  guest: Finished;
}

export interface SessionOptions {
  /** elfuse only: start the guest at once; GDB attaches to it where it runs (after attachAfterMs). */
  attachAfterMs?: number;
  /** The program file GDB loads (none: GDB finds it through the stub). */
  file?: string;
  /** Send SIGINT to gdb this long after it starts (Ctrl-C). */
  interruptAfterMs?: number;
  timeoutMs?: number;
}

/** One batch session: `commands` run after `target remote`; GDB's output and the guest's end. */
export async function gdbSession(runner: Runner, guestArgs: readonly string[], commands: readonly string[], opts: SessionOptions = {}): Promise<GdbRun> {
  const port = await freePort();
  const guest = serve(runner, port, guestArgs, { stopOnEntry: opts.attachAfterMs === undefined });
  const guestDone = collect(guest, opts.timeoutMs ?? 60_000);
  if (opts.attachAfterMs !== undefined) await new Promise((r) => setTimeout(r, opts.attachAfterMs));
  const script = join(tmpdir(), `elfuse-gdb-${process.pid}-${port}.gdb`);
  writeFileSync(script, ['set pagination off', 'set confirm off', 'set width 0', 'set tcp connect-timeout 30', `target remote 127.0.0.1:${port}`, ...commands, ''].join('\n'));
  const args = ['-batch', '-nx', '-x', script];
  if (opts.file) args.push(opts.file);
  const gdb = spawn(GDB, args, { cwd: ROOT, env: { PATH: '/usr/bin:/bin', LC_ALL: 'C', HOME: '/' }, stdio: ['ignore', 'pipe', 'pipe'] });
  if (opts.interruptAfterMs !== undefined) setTimeout(() => gdb.kill('SIGINT'), opts.interruptAfterMs);
  const gdbDone = collect(gdb, opts.timeoutMs ?? 60_000);
  const g = await gdbDone;
  // A guest still stopped when GDB has gone (a test that never resumed it) must not hang the test.
  const t = setTimeout(() => guest.kill('SIGKILL'), 20_000);
  const r = await guestDone;
  clearTimeout(t);
  return { gdb: { ...g, stdout: normalise(g.stdout, port) }, guest: r };
}

/**
 * What may differ between the two servers and is not the debugger's doing:
 * the port, and addresses the loaders choose differently (stack, PIE base,
 * which qemu puts near 0x55_0000_0000 and elfuse near 0xaaaa_aaaa_0000 /
 * 0xffff_ffff_0000).
 */
export function normalise(text: string, port: number): string {
  return text
    .replaceAll(`:${port}`, ':PORT')
    .replace(/\(process \d+\)/g, '(process N)')
    .replace(/0x0*(?:ffff[0-9a-f]{8}|55[0-9a-f]{8}|aaaa[0-9a-f]{8})\b/g, 'ADDR')
    .split('\n')
    .filter((l) => !/^warning: remote target does not support file transfer/.test(l))
    .join('\n');
}
