/**
 * LLDB (Debian's lldb) against the GDB stub: `gdb-remote PORT` attaches to
 * a guest elfuse serves, a breakpoint stops at its function, a step-over
 * moves to the next line, and registers read back. The values are the
 * program's (guests/src/gdb-target.c: add_to_counter is first called with
 * n = 1).
 */
import { spawn } from 'node:child_process';
import { expect, test } from 'vitest';
import { LLDB_REF, serve } from './gdb-harness.js';
import { GUESTS_REF, freePort, guest, requireReferences } from './helpers.js';

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: '/usr/bin:/bin', LC_ALL: 'C', HOME: '/tmp' } });
    const out: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => out.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(out).toString('latin1'));
    });
  });
}

test('lldb: gdb-remote, breakpoint, step over, register and variable reads, kill', async (ctx) => {
  requireReferences(ctx, [LLDB_REF, GUESTS_REF]);
  const port = await freePort();
  const target = guest('gdb-target');
  const server = serve('elfuse', port, [target]);
  const ended = new Promise<number>((resolve) => server.on('close', (code) => resolve(code ?? -1)));
  // The listener is up before elfuse says it waits; give it that moment.
  await new Promise<void>((resolve) => server.stderr!.on('data', (b: Buffer) => b.toString().includes('waiting for gdb') && resolve()));
  const out = await run('/usr/bin/lldb', [
    '--batch',
    '-o', `gdb-remote ${port}`,
    '-o', 'breakpoint set --name add_to_counter',
    '-o', 'continue',
    '-o', 'register read x0 pc',
    '-o', 'thread step-over',
    '-o', 'frame variable n',
    '-o', 'register read v0 fpcr',
    '-o', 'kill',
    target,
  ]);
  expect(out).toContain('stop reason = signal SIGTRAP');
  expect(out).toMatch(/stop reason = breakpoint 1\.1\n\s+frame #0: 0x[0-9a-f]+ gdb-target`add_to_counter\(n=1\) at gdb-target\.c:21/);
  expect(out).toMatch(/x0 = 0x0000000000000001\n\s+pc = 0x[0-9a-f]+ +gdb-target`add_to_counter \+ \d+ at gdb-target\.c:21/);
  expect(out).toMatch(/stop reason = step over\n\s+frame #0: .* at gdb-target\.c:22/);
  expect(out).toContain('(long) n = 1');
  expect(out).toMatch(/v0 = \{(0x[0-9a-f]{2} ?){16}\}/);
  expect(await ended).toBe(137);
});
