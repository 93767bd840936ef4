/**
 * Signals and timers end to end: guests/src/signals.c and timers.c run
 * under elfuse and qemu-aarch64 (which hands signals and timers to this
 * machine's Linux kernel); stdout and exit status must be identical.
 * The programs print only facts that do not depend on timing or addresses.
 */
import { describe, expect, test, type TestContext } from 'vitest';
import { GUESTS_REF, QEMU_REF, expectSameRun, guest, requireReferences, runBoth, runElfuse } from './helpers.js';

async function same(ctx: TestContext, args: string[]): Promise<void> {
  requireReferences(ctx, [QEMU_REF, GUESTS_REF]);
  const { elfuse, qemu } = await runBoth(args);
  expectSameRun(elfuse, qemu);
}

describe('signals: elfuse vs qemu-aarch64', () => {
  test('handlers with siginfo for faults, self-sent signals, masks, flags, sigaltstack, FP restore, waits', (ctx) =>
    same(ctx, [guest('signals')]));

  // Default actions: the exit status is 128+N, as a shell reports it.
  test.for(['usr1', 'segv-blocked', 'segv-ignored', 'ignored', 'resethand'])('signals %s: default action', (mode, ctx) =>
    same(ctx, [guest('signals'), mode]));

  test('an undefined instruction is ILL_ILLOPC, as on Linux (qemu-user reports ILL_ILLOPN)', async (ctx) => {
    requireReferences(ctx, [GUESTS_REF]);
    const r = await runElfuse([guest('signals')], { env: { SIGNALS_RAW_CODES: '1' } });
    expect(r.stdout.toString()).toContain('sigill raw code 1\n');
  });
});

describe('timers: elfuse vs qemu-aarch64', () => {
  test('clocks, sleeps, itimers and POSIX timers', (ctx) => same(ctx, [guest('timers')]));

  test('SIGALRM by default ends the process while it waits in pause()', (ctx) => same(ctx, [guest('timers'), 'alarm']));

  test('SIGALRM interrupts a guest spinning without syscalls', (ctx) => same(ctx, [guest('timers'), 'spin-alarm']));
});
