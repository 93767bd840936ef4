/**
 * Event I/O end to end (guests/src/evio.c): eventfd2, epoll, timerfd,
 * signalfd and poll/select on them, under elfuse and, as the reference,
 * the same source built natively with gcc and run on this machine's
 * kernel. qemu-user is a weak reference here: it hands these calls to the
 * host kernel (epoll_pwait2 not at all in older releases), so the kernel
 * itself is the better one. The program prints only what does not depend
 * on timing, so the outputs must be equal byte for byte.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test, type TestContext } from 'vitest';
import { hasTools } from '../support/toolchain.js';
import { GUESTS_REF, ROOT, guest, requireReferences, run, runElfuse } from './helpers.js';

const EVIO_REF = { path: guest('evio'), fix: 'bash scripts/build-guests.sh' };
let dir = '';
let native = '';

beforeAll(() => {
  if (process.platform !== 'linux' || !hasTools('gcc')) return;
  dir = mkdtempSync(join(tmpdir(), 'elfuse-evio-'));
  native = join(dir, 'evio');
  execFileSync('gcc', ['-O1', '-Wall', '-o', native, join(ROOT, 'guests/src/evio.c')], { stdio: 'ignore' });
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function requireNative(ctx: TestContext): void {
  requireReferences(ctx, [GUESTS_REF, EVIO_REF]);
  if (native) return;
  const why = 'needs a Linux host with gcc for the native reference (apt-get install gcc)';
  if (process.env.ELFUSE_ALLOW_MISSING_REFS === '1') ctx.skip(why);
  throw new Error(why);
}

const AREAS: readonly [string, string][] = [
  ['eventfd', 'counter, EFD_SEMAPHORE, EFD_NONBLOCK, EFD_CLOEXEC, overflow, short buffers, fstat, /proc/self/fd'],
  ['epoll', 'ctl errors, level and edge triggered, EPOLLONESHOT, EPOLLEXCLUSIVE, ready-list order, dup/close, epoll on epoll, ELOOP, epoll_pwait2'],
  ['timerfd', 'clocks, settime/gettime, periodic expirations, TFD_TIMER_ABSTIME, blocking read, epoll'],
  ['signalfd', 'siginfo fields, queued real-time signals, mask update, a blocking read woken by another process, a signal interrupting an eventfd read'],
  ['poll', 'poll and select on eventfd, timerfd and pipes together'],
  ['fork', "a fork child's copies of an eventfd, an epoll and a timerfd"],
  ['pidfd', 'poll and epoll on a pidfd: readable at the exit, hung up once reaped'],
  ['eintr', 'a signal ends epoll_wait (EINTR even under SA_RESTART), poll and epoll_pwait2; epoll_pwait with a mask'],
];

describe('event I/O: elfuse vs the same program on the host kernel', () => {
  for (const [area, what] of AREAS) {
    test(`${area}: ${what}`, async (ctx) => {
      requireNative(ctx);
      const elfuse = await runElfuse([guest('evio'), area], { timeoutMs: 30_000 });
      const linux = await run(native, [area]);
      expect(linux.status, linux.stderr.toString()).toBe(0);
      expect(elfuse.stderr.toString()).toBe(linux.stderr.toString());
      expect(elfuse.stdout.toString()).toBe(linux.stdout.toString());
      expect(elfuse.status).toBe(linux.status);
    }, 60_000);
  }
});
