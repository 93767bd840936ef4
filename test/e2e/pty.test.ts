/**
 * Pseudo-terminals end to end (guests/src/pty.c): /dev/ptmx, grantpt,
 * unlockpt, ptsname, TIOCGPTN/TIOCSPTLCK/TIOCGPTLCK/TIOCGPTPEER, openpty,
 * the line discipline between master and slave, and `script`'s pattern (a
 * child in a new session with the slave as its controlling terminal, the
 * parent reading the master until EIO), under elfuse and, as the
 * reference, the same source built natively with gcc and run on this
 * machine's kernel (qemu-user would only pass the ioctls to the same host
 * kernel). The program prints nothing that depends on the pty's number,
 * pids or timing, so the outputs must be equal byte for byte.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test, type TestContext } from 'vitest';
import { hasTools } from '../support/toolchain.js';
import { GUESTS_REF, ROOT, guest, requireReferences, run, runElfuse } from './helpers.js';

const PTY_REF = { path: guest('pty'), fix: 'bash scripts/build-guests.sh' };
let dir = '';
let native = '';

beforeAll(() => {
  if (process.platform !== 'linux' || !hasTools('gcc')) return;
  dir = mkdtempSync(join(tmpdir(), 'elfuse-pty-'));
  native = join(dir, 'pty');
  execFileSync('gcc', ['-O1', '-Wall', '-o', native, join(ROOT, 'guests/src/pty.c')], { stdio: 'ignore' });
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function requireNative(ctx: TestContext): void {
  requireReferences(ctx, [GUESTS_REF, PTY_REF]);
  if (native) return;
  const why = 'needs a Linux host with gcc and /dev/ptmx for the native reference (apt-get install gcc)';
  if (process.env.ELFUSE_ALLOW_MISSING_REFS === '1') ctx.skip(why);
  throw new Error(why);
}

const AREAS: readonly [string, string][] = [
  ['master', 'posix_openpt, the slave locked until unlockpt (EIO), ptsname = TIOCGPTN, stat of /dev/pts/N and /dev/ptmx, ttyname, /proc/self/fd, ENOTTY on a slave or a pipe, TIOCSCTTY refused to a non-leader'],
  ['io', 'openpty with a window size, termios and window size through either side, echo, ONLCR, erase, raw mode, FIONREAD, EAGAIN, POLLHUP and EIO once the slave is closed'],
  ['peer', 'TIOCGPTPEER: flags, close-on-exec, its name, I/O through it'],
  ['script', 'a child with setsid and TIOCSCTTY on the slave, /dev/tty, tcgetpgrp, the parent reading the master until EIO'],
];

describe('pseudo-terminals: elfuse vs the same program on the host kernel', () => {
  for (const [area, what] of AREAS) {
    test(`${area}: ${what}`, async (ctx) => {
      requireNative(ctx);
      const elfuse = await runElfuse([guest('pty'), area], { timeoutMs: 30_000 });
      const linux = await run(native, [area]);
      expect(linux.status, linux.stderr.toString()).toBe(0);
      expect(elfuse.stderr.toString()).toBe(linux.stderr.toString());
      expect(elfuse.stdout.toString()).toBe(linux.stdout.toString());
      expect(elfuse.status).toBe(linux.status);
    }, 60_000);
  }
});
