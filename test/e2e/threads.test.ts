/**
 * Guest threads (glibc pthreads on clone with CLONE_THREAD, futex,
 * set_tid_address, exit versus exit_group, tgkill, robust lists), each
 * program against a reference: qemu-aarch64 (which passes futex and clone
 * to the host kernel) for guests/src/threads.c, built twice (atomics as
 * LDXR/STXR loops and as LSE instructions), guests/src/futex.c and
 * guests/src/thread-signals.c; the
 * native build of guests/src/robust.c on this machine's kernel, since
 * qemu-user is weak on robust futexes, of guests/src/pi.c (PI futexes),
 * guests/src/shared-futex.c (futexes between processes), guests/src/shared-pending.c
 * (the process's pending signals) and guests/src/thread-proc.c,
 * since qemu-user's /proc shows its own helper threads. threads-order.c shows the schedule
 * itself: two runs interleave the threads' appends identically.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { hasTools } from '../support/toolchain.js';
import { GUESTS_REF, QEMU_REF, ROOT, expectSameRun, guest, requireReferences, run, runBoth, runElfuse } from './helpers.js';

const ref = (name: string) => ({ path: guest(name), fix: 'bash scripts/build-guests.sh' });
let dir = '';
let native = '';
let nativeProc = '';
let nativeExec = '';
let nativePi = '';
let nativeShared = '';
let nativePending = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'elfuse-threads-'));
  if (process.platform !== 'linux' || !hasTools('gcc')) return;
  native = join(dir, 'robust');
  execFileSync('gcc', ['-O2', '-Wall', '-pthread', '-o', native, join(ROOT, 'guests/src/robust.c')], { stdio: 'ignore' });
  nativeProc = join(dir, 'thread-proc');
  execFileSync('gcc', ['-O2', '-Wall', '-pthread', '-o', nativeProc, join(ROOT, 'guests/src/thread-proc.c')], { stdio: 'ignore' });
  nativeExec = join(dir, 'thread-exec');
  execFileSync('gcc', ['-O2', '-Wall', '-pthread', '-o', nativeExec, join(ROOT, 'guests/src/thread-exec.c')], { stdio: 'ignore' });
  nativePi = join(dir, 'pi');
  execFileSync('gcc', ['-O2', '-Wall', '-pthread', '-o', nativePi, join(ROOT, 'guests/src/pi.c')], { stdio: 'ignore' });
  nativeShared = join(dir, 'shared-futex');
  execFileSync('gcc', ['-O2', '-Wall', '-pthread', '-o', nativeShared, join(ROOT, 'guests/src/shared-futex.c')], { stdio: 'ignore' });
  nativePending = join(dir, 'shared-pending');
  execFileSync('gcc', ['-O2', '-Wall', '-pthread', '-o', nativePending, join(ROOT, 'guests/src/shared-pending.c')], { stdio: 'ignore' });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('pthreads against qemu-aarch64', () => {
  for (const name of ['threads', 'threads-lse']) {
    test(`${name}: mutexes, atomics, condition variables, barriers, rwlocks, TLS, join values, tgkill, exit from a thread`, async (ctx) => {
      requireReferences(ctx, [QEMU_REF, GUESTS_REF, ref(name)]);
      const { elfuse, qemu } = await runBoth([guest(name)], { timeoutMs: 120_000 });
      expectSameRun(elfuse, qemu);
      // The last section is exit(3) from a thread while main waits in pthread_join.
      expect(elfuse.status).toBe(3);
      expect(elfuse.stdout.toString()).toContain('1 mutex counter 128000 (expect 128000)');
    });
  }

  test('thread-signals.c: per-thread masks and alternate stacks, process signals to a thread that takes them, faults to the faulting thread', async (ctx) => {
    requireReferences(ctx, [QEMU_REF, GUESTS_REF, ref('thread-signals')]);
    const { elfuse, qemu } = await runBoth([guest('thread-signals')], { timeoutMs: 60_000 });
    expectSameRun(elfuse, qemu);
    expect(elfuse.stdout.toString()).toContain('1 process signal handled by the thread that does not block it: yes');
  });

  test('futex.c: waits, wakes, requeues, wake_op, bitsets and their errors', async (ctx) => {
    requireReferences(ctx, [QEMU_REF, GUESTS_REF, ref('futex')]);
    const { elfuse, qemu } = await runBoth([guest('futex')], { timeoutMs: 60_000 });
    expectSameRun(elfuse, qemu);
    expect(elfuse.stdout.toString()).toContain('cmp_requeue 1+1: 2');
  });
});

describe('robust futexes against the host kernel', () => {
  test('robust.c: EOWNERDEAD when the owner dies, its waiter woken, get_robust_list', async (ctx) => {
    requireReferences(ctx, [GUESTS_REF, ref('robust')]);
    if (!native) {
      const why = 'needs a Linux host with gcc for the native reference (apt-get install gcc)';
      if (process.env.ELFUSE_ALLOW_MISSING_REFS === '1') ctx.skip(why);
      throw new Error(why);
    }
    const elfuse = await runElfuse([guest('robust')], { timeoutMs: 60_000 });
    const linux = await run(native, []);
    expect(linux.status, linux.stderr.toString()).toBe(0);
    expect(elfuse.stderr.toString()).toBe('');
    expect(elfuse.stdout.toString()).toBe(linux.stdout.toString());
    expect(elfuse.stdout.toString()).toContain('waiter\'s lock when the owner died: EOWNERDEAD');
    expect(elfuse.status).toBe(0);
  });
});

describe('PI futexes against the host kernel', () => {
  // qemu-user hands the PI commands to the host kernel with host tids, and agreed on this program when it was
  // written; the native build is the reference all the same, as for the robust lists.
  test('pi.c: PRIO_INHERIT mutexes, FUTEX_LOCK_PI/LOCK_PI2/TRYLOCK_PI/UNLOCK_PI and their edges, requeue-PI', async (ctx) => {
    requireReferences(ctx, [GUESTS_REF, ref('pi')]);
    if (!nativePi) {
      const why = 'needs a Linux host with gcc for the native reference (apt-get install gcc)';
      if (process.env.ELFUSE_ALLOW_MISSING_REFS === '1') ctx.skip(why);
      throw new Error(why);
    }
    const elfuse = await runElfuse([guest('pi')], { timeoutMs: 120_000 });
    const linux = await run(nativePi, []);
    expect(linux.status, linux.stderr.toString()).toBe(0);
    expect(elfuse.stderr.toString()).toBe('');
    expect(elfuse.stdout.toString()).toBe(linux.stdout.toString());
    expect(elfuse.stdout.toString()).toContain('lock_pi, owner ended holding it: 0 word main|WAITERS|OWNER_DIED');
    expect(elfuse.stdout.toString()).toContain('cmp_requeue_pi of two, lock free: 2');
    expect(elfuse.status).toBe(0);
  });
});

describe('futexes shared between processes against the host kernel', () => {
  test('shared-futex.c: a wait woken from the other process, pshared mutex and condvar, a robust lock freed by exit_group', async (ctx) => {
    requireReferences(ctx, [GUESTS_REF, ref('shared-futex')]);
    if (!nativeShared) {
      const why = 'needs a Linux host with gcc for the native reference (apt-get install gcc)';
      if (process.env.ELFUSE_ALLOW_MISSING_REFS === '1') ctx.skip(why);
      throw new Error(why);
    }
    const elfuse = await runElfuse([guest('shared-futex')], { timeoutMs: 60_000 });
    const linux = await run(nativeShared, []);
    expect(linux.status, linux.stderr.toString()).toBe(0);
    expect(elfuse.stderr.toString()).toBe('');
    expect(elfuse.stdout.toString()).toBe(linux.stdout.toString());
    expect(elfuse.stdout.toString()).toContain("parent's wait, child wakes: 0, before the timeout: yes");
    expect(elfuse.stdout.toString()).toContain('robust pshared lock after the owner process ended: EOWNERDEAD');
    expect(elfuse.status).toBe(0);
  });
});

describe('the process-wide pending set against the host kernel', () => {
  // qemu-user maps the real-time signals onto other host numbers (ShdPnd shows them moved): the native build is the reference.
  test('shared-pending.c: a signal every thread blocks is pending for all, coalesces, and goes to the first that takes it', async (ctx) => {
    requireReferences(ctx, [GUESTS_REF, ref('shared-pending')]);
    if (!nativePending) {
      const why = 'needs a Linux host with gcc for the native reference (apt-get install gcc)';
      if (process.env.ELFUSE_ALLOW_MISSING_REFS === '1') ctx.skip(why);
      throw new Error(why);
    }
    const elfuse = await runElfuse([guest('shared-pending')], { timeoutMs: 60_000 });
    const linux = await run(nativePending, []);
    expect(linux.status, linux.stderr.toString()).toBe(0);
    expect(elfuse.stderr.toString()).toBe('');
    expect(elfuse.stdout.toString()).toBe(linux.stdout.toString());
    expect(elfuse.stdout.toString()).toContain('B sees pending: USR1 1 USR2 1 RTMIN 1');
    expect(elfuse.stdout.toString()).toContain('C signalfd read: one signo SIGUSR2');
    expect(elfuse.status).toBe(0);
  });
});

describe('threads in /proc against the host kernel', () => {
  test('thread-proc.c: /proc/self/task/<tid>, thread-self, Threads:, names and affinity per thread', async (ctx) => {
    requireReferences(ctx, [GUESTS_REF, ref('thread-proc')]);
    if (!nativeProc) {
      const why = 'needs a Linux host with gcc for the native reference (apt-get install gcc)';
      if (process.env.ELFUSE_ALLOW_MISSING_REFS === '1') ctx.skip(why);
      throw new Error(why);
    }
    const elfuse = await runElfuse([guest('thread-proc')], { timeoutMs: 60_000 });
    const linux = await run(nativeProc, []);
    expect(linux.status, linux.stderr.toString()).toBe(0);
    expect(elfuse.stderr.toString()).toBe('');
    expect(elfuse.stdout.toString()).toBe(linux.stdout.toString());
    expect(elfuse.stdout.toString()).toContain('process Name main-thread Threads 4');
  });
});

describe('fork and execve from a thread against the host kernel', () => {
  test('thread-exec.c: the child has only the forking thread; execve ends the others and the caller takes the pid', async (ctx) => {
    requireReferences(ctx, [GUESTS_REF, ref('thread-exec')]);
    if (!nativeExec) {
      const why = 'needs a Linux host with gcc for the native reference (apt-get install gcc)';
      if (process.env.ELFUSE_ALLOW_MISSING_REFS === '1') ctx.skip(why);
      throw new Error(why);
    }
    const elfuse = await runElfuse([guest('thread-exec')], { timeoutMs: 60_000 });
    const linux = await run(nativeExec, []);
    expect(linux.status, linux.stderr.toString()).toBe(0);
    expect(elfuse.stderr.toString()).toBe('');
    expect(elfuse.stdout.toString()).toBe(linux.stdout.toString());
    expect(elfuse.stdout.toString()).toContain('after exec: same pid yes, tid is pid yes, tasks 1');
    expect(elfuse.status).toBe(0);
  });
});

describe('the schedule is deterministic', () => {
  test('threads-order.c: two runs interleave the threads identically, in more runs than threads', async (ctx) => {
    requireReferences(ctx, [GUESTS_REF, ref('threads-order')]);
    const first = await runElfuse([guest('threads-order')], { timeoutMs: 60_000 });
    const second = await runElfuse([guest('threads-order')], { timeoutMs: 60_000 });
    expect(first.status, first.stderr.toString()).toBe(0);
    expect(second.stdout.toString()).toBe(first.stdout.toString());
    const m = /appends (\d+) runs (\d+)/.exec(first.stdout.toString());
    expect(m?.[1]).toBe('400');
    // Every thread was preempted at least once: round robin, not one thread after another.
    expect(Number(m?.[2])).toBeGreaterThan(4);
  });
});
