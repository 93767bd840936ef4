/**
 * Waits, timers and the queued-signal limit end to end (guests/src/waits.c
 * and busybox sleep):
 *
 * - a guest blocked with nothing to wait for but a signal (pause,
 *   sigsuspend, sigtimedwait without a timeout, ppoll and pselect6 with no
 *   descriptors) stays blocked until a signal from outside comes, and then
 *   behaves as under qemu-aarch64 (handler, EINTR, default action, ignored);
 * - interval and POSIX timers fire while the guest makes system calls in a
 *   loop, as often as under qemu;
 * - waits of 2^31 ms and more are silent, cost no CPU, and end by a signal
 *   as under qemu;
 * - RLIMIT_SIGPENDING is enforced as this machine's kernel enforces it (the
 *   same source built natively: qemu-user hands sigqueue to the host kernel,
 *   but keeps one pending siginfo per signal itself).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BUSYBOX, BUSYBOX_REF, QEMU, QEMU_REF, ROOT, guest, requireReferences, runElfuse, runQemu, type Reference } from './helpers.js';

const WAITS_REF: Reference = { path: guest('waits'), fix: 'bash scripts/build-guests.sh' };
const ELFUSE = [process.execPath, join(ROOT, 'bin/elfuse.js'), '--backend', 'interp'];
const ENV = { PATH: '/usr/bin:/bin', LC_ALL: 'C', HOME: '/' };

/** The status a shell reports: the exit code, or 128+N for death by signal N. */
const statusOf = (code: number | null, signal: NodeJS.Signals | null): number => code ?? 128 + (signal ? constants.signals[signal] : 0);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface SignalledRun {
  stdout: string;
  stderr: string;
  /** Exit status as a shell reports it (128+N for death by signal N). */
  status: number;
  /** Still running 300 ms after it said "ready" (it must be: only a signal can end its wait). */
  waited: boolean;
}

/**
 * Runs `command`, waits until it prints "ready" (or, with `ready` false, a
 * second) and 300 ms more, then sends each of `signals` 300 ms apart
 * (skipping those after it has ended), and returns what it printed and how
 * it ended.
 */
async function signalled(command: readonly string[], signals: readonly NodeJS.Signals[], ready = true): Promise<SignalledRun> {
  const child = spawn(command[0]!, command.slice(1), { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString('latin1')));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString('latin1')));
  let ended = false;
  const closed = new Promise<number>((resolve) =>
    child.on('close', (code, signal) => {
      ended = true;
      resolve(statusOf(code, signal));
    }),
  );
  if (ready) for (let i = 0; i < 600 && !stdout.includes('ready\n') && !ended; i++) await sleep(50);
  else await sleep(1000);
  await sleep(300);
  const waited = !ended;
  for (const sig of signals) {
    if (ended) break;
    child.kill(sig);
    await sleep(300);
  }
  const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const status = await closed;
  clearTimeout(killer);
  return { stdout, stderr, status, waited };
}

describe('a wait that only a signal can end: elfuse vs qemu-aarch64', () => {
  const cases: [string, NodeJS.Signals[]][] = [
    ['pause', ['SIGUSR1']],
    ['sigsuspend', ['SIGUSR1']],
    ['sigtimedwait', ['SIGUSR2']],
    ['ppoll', ['SIGUSR1']],
    ['pselect', ['SIGUSR1']],
    // the default action of SIGTERM ends it; an ignored SIGHUP does nothing
    ['pause', ['SIGTERM']],
    ['pause-ignore', ['SIGHUP', 'SIGUSR1']],
  ];
  test.for(cases)('%s, then %s from outside', async ([mode, signals], ctx) => {
    requireReferences(ctx, [QEMU_REF, WAITS_REF]);
    const [elfuse, qemu] = await Promise.all([signalled([...ELFUSE, guest('waits'), mode], signals), signalled([QEMU, guest('waits'), mode], signals)]);
    expect(qemu.waited, 'qemu-aarch64 waited').toBe(true);
    expect(elfuse.waited, `elfuse waited for a signal; stderr: ${elfuse.stderr}`).toBe(true);
    expect(elfuse.stdout).toBe(qemu.stdout);
    expect(elfuse.status).toBe(qemu.status);
    expect(elfuse.stderr).toBe('');
  });
});

describe('timers while the guest makes system calls in a loop', () => {
  // A 100 ms periodic timer over 2 s of getpid calls fires 20 times; the lower bound leaves
  // room for a loaded machine (qemu-aarch64 must meet the same bounds on it).
  const LOW = 14;
  const HIGH = 21;
  test.for(['itimer-getpid', 'itimer-mix', 'posix-timer-getpid'])(`%s: ${LOW}..${HIGH} deliveries in 2 s, as under qemu`, async (mode, ctx) => {
    requireReferences(ctx, [QEMU_REF, WAITS_REF]);
    const [elfuse, qemu] = await Promise.all([
      runElfuse([guest('waits'), mode, '2000']),
      runQemu([guest('waits'), mode, '2000']),
    ]);
    const count = (out: string): number => Number(/^deliveries (\d+) calls>1000 1$/m.exec(out)?.[1] ?? -1);
    expect(count(qemu.stdout.toString()), `qemu-aarch64: ${qemu.stdout.toString()}`).toBeGreaterThanOrEqual(LOW);
    expect(count(qemu.stdout.toString())).toBeLessThanOrEqual(HIGH);
    const out = elfuse.stdout.toString();
    expect(count(out), `elfuse: ${out}${elfuse.stderr.toString()}`).toBeGreaterThanOrEqual(LOW);
    expect(count(out)).toBeLessThanOrEqual(HIGH);
    expect(elfuse.status).toBe(0);
  });
});

/** User + system CPU time of a process so far, in clock ticks (/proc/PID/stat fields 14 and 15). */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

describe('waits of 2^31 ms and more', () => {
  test('ITIMER_REAL and a POSIX timer 3,000,000 s away: the time left is right, nothing fires, nothing is printed', async (ctx) => {
    requireReferences(ctx, [QEMU_REF, WAITS_REF]);
    const [elfuse, qemu] = await Promise.all([runElfuse([guest('waits'), 'huge-timers']), runQemu([guest('waits'), 'huge-timers'])]);
    expect(elfuse.stdout.toString()).toBe(qemu.stdout.toString());
    expect(elfuse.stdout.toString()).toContain('itimer left 2999990..3000000 s: 1\nposix timer left 2999990..3000000 s: 1\ndeliveries 0\n');
    expect(elfuse.stderr.toString()).toBe('');
  });

  test.for(['3000000', 'infinity'])('busybox sleep %s waits silently without using the CPU, and SIGTERM ends it as under qemu', async (arg, ctx) => {
    requireReferences(ctx, [QEMU_REF, BUSYBOX_REF]);
    if (!existsSync('/proc/self/stat')) ctx.skip('needs a host /proc to read the CPU time of the process');
    const child = spawn(ELFUSE[0]!, [...ELFUSE.slice(1), BUSYBOX, 'sleep', arg], { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const closed = new Promise<number>((resolve) => child.on('close', (code, signal) => resolve(statusOf(code, signal))));
    // Past start-up, which a loaded machine stretches: until a quarter second goes by idle
    // (or 15 s pass, when it never settles: the measurement below then says how busy it is).
    let last = cpuTicks(child.pid!);
    for (let i = 0; i < 60; i++) {
      await sleep(250);
      const now = cpuTicks(child.pid!);
      if (now - last <= 1) break;
      last = now;
    }
    const before = cpuTicks(child.pid!);
    await sleep(1000);
    const used = cpuTicks(child.pid!) - before;
    child.kill('SIGTERM');
    const status = await closed;
    const qemu = await signalled([QEMU, BUSYBOX, 'sleep', arg], ['SIGTERM'], false);
    expect(stderr).toBe('');
    // Idle: 30 ms of that second at most (clock ticks are 1/100 s on Linux); waking 1,000
    // times a second for nothing costs some 10 ticks.
    expect(used, 'CPU ticks used by elfuse during one second of sleep').toBeLessThanOrEqual(3);
    expect(status).toBe(qemu.status);
    expect(status).toBe(143);
  });
});

function hostCompiler(): string | null {
  if (process.platform !== 'linux') return null;
  for (const cc of ['cc', 'gcc']) {
    try {
      execFileSync(cc, ['--version'], { stdio: 'ignore' });
      return cc;
    } catch {
      // try the next
    }
  }
  return null;
}

describe('RLIMIT_SIGPENDING: elfuse vs the same program on this machine’s kernel', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'elfuse-waits-'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('sigqueue, kill, tgkill and timer_create at the limit', async (ctx) => {
    requireReferences(ctx, [WAITS_REF]);
    const cc = hostCompiler();
    if (cc === null) throw new Error('needs a Linux host with a C compiler for the native reference: apt-get install gcc');
    const native = join(dir, 'waits-native');
    execFileSync(cc, ['-O1', '-o', native, join(ROOT, 'guests/src/waits.c')]);
    // The kernel counts queued signals per user (and user namespace): run the reference in a
    // user namespace of its own where the host allows it, so other processes of this user
    // cannot hold part of its limit.
    let expected: string;
    try {
      expected = execFileSync('unshare', ['--user', '--map-root-user', native, 'sigqueue-limit'], { encoding: 'latin1', stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      expected = execFileSync(native, ['sigqueue-limit'], { encoding: 'latin1' });
    }
    expect(expected, 'the native run filled exactly its own limit').toContain('sigqueue SIGRTMIN: 40 queued, then EAGAIN\n');
    const elfuse = await runElfuse([guest('waits'), 'sigqueue-limit']);
    expect(elfuse.stdout.toString('latin1')).toBe(expected);
    expect(elfuse.status).toBe(0);
  });
});
