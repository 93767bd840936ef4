/**
 * Signals and timers end to end: guests/src/signals.c and timers.c run
 * under elfuse and qemu-aarch64 (which hands signals and timers to this
 * machine's Linux kernel); stdout and exit status must be identical.
 * The programs print only facts that do not depend on timing or addresses.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test, type TestContext } from 'vitest';
import { GUESTS_REF, QEMU_REF, ROOT, expectSameRun, guest, requireReferences, runBoth, runElfuse } from './helpers.js';

async function same(ctx: TestContext, args: string[]): Promise<void> {
  requireReferences(ctx, [QEMU_REF, GUESTS_REF]);
  const { elfuse, qemu } = await runBoth(args);
  expectSameRun(elfuse, qemu);
}

describe('signals: elfuse vs qemu-aarch64', () => {
  test('handlers with siginfo for faults, self-sent signals, masks, flags, sigaltstack, FP restore, waits', (ctx) =>
    same(ctx, [guest('signals')]));

  // Default actions: the exit status is 128+N, as a shell reports it.
  test.for(['usr1', 'segv-blocked', 'segv-ignored', 'ignored', 'resethand', 'altstack-overflow'])('signals %s: default action', (mode, ctx) =>
    same(ctx, [guest('signals'), mode]));

  test('an undefined instruction is ILL_ILLOPC, as on Linux (qemu-user reports ILL_ILLOPN)', async (ctx) => {
    requireReferences(ctx, [GUESTS_REF]);
    const r = await runElfuse([guest('signals')], { env: { SIGNALS_RAW_CODES: '1' } });
    expect(r.stdout.toString()).toContain('sigill raw code 1\n');
  });
});

describe('signals: Linux behaviour qemu-user does not model', () => {
  // Linux disarms an SS_AUTODISARM stack while a handler runs on it (sigaltstack then reports
  // SS_DISABLE and may change it) and rearms it on sigreturn; qemu-user rejects the flag.
  test('SS_AUTODISARM', async (ctx) => {
    requireReferences(ctx, [GUESTS_REF]);
    const r = await runElfuse([guest('signals')], { env: { SIGNALS_AUTODISARM: '1' } });
    expect(r.stdout.toString()).toContain('autodisarm set: 0\nautodisarm: on alt 1 flags in handler 2 eperm 0 after 1\n');
  });
});

describe('timers: elfuse vs qemu-aarch64', () => {
  test('clocks, sleeps, itimers and POSIX timers', (ctx) => same(ctx, [guest('timers')]));

  test('SIGALRM by default ends the process while it waits in pause()', (ctx) => same(ctx, [guest('timers'), 'alarm']));

  test('SIGALRM interrupts a guest spinning without syscalls', (ctx) => same(ctx, [guest('timers'), 'spin-alarm']));
});

describe('job control', () => {
  /** Runs `signals stop`, waits until /proc shows the process stopped, continues it, and returns its run. */
  async function stopAndContinue(command: string, args: string[]) {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    const closed = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
    let stopped = false;
    for (let i = 0; i < 200 && !stopped; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const stat = readFileSync(`/proc/${child.pid}/stat`, 'latin1');
      stopped = stat.slice(stat.lastIndexOf(')') + 2).startsWith('T');
    }
    child.kill('SIGCONT');
    return { stopped, status: await closed, stdout: Buffer.concat(out).toString() };
  }

  test('SIGSTOP stops the process until SIGCONT, as under qemu (the host kernel)', async (ctx) => {
    requireReferences(ctx, [QEMU_REF, GUESTS_REF]);
    // The test reads the stopped state of the host process from its /proc/<pid>/stat.
    if (!existsSync('/proc/self/stat')) ctx.skip('needs a host /proc to see a process stopped');
    const qemu = await stopAndContinue('qemu-aarch64', [guest('signals'), 'stop']);
    const elfuse = await stopAndContinue(process.execPath, [join(ROOT, 'bin/elfuse.js'), '--backend', 'interp', guest('signals'), 'stop']);
    expect(elfuse).toEqual(qemu);
    expect(elfuse).toEqual({ stopped: true, status: 0, stdout: 'stopping\ncontinued\n' });
  });
});
