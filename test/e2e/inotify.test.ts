/**
 * inotify end to end (guests/src/inotify.c): inotify_init1, add/rm watch,
 * the event records, poll/epoll, blocking reads and signals, fork, and
 * changes made by another program, under elfuse and, as the reference, the
 * same source built natively with gcc and run on this machine's kernel
 * (qemu-user only passes these calls to the host kernel, so the kernel is
 * the reference). Each run gets a fresh empty directory; the program
 * prints nothing that depends on its name or on timing, so the outputs
 * must be equal byte for byte.
 */
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test, type TestContext } from 'vitest';
import { hasTools } from '../support/toolchain.js';
import { ELFUSE_COMMAND, GUESTS_REF, ROOT, guest, requireReferences, run, runElfuse } from './helpers.js';

const INOTIFY_REF = { path: guest('inotify'), fix: 'bash scripts/build-guests.sh' };
let dir = '';
let native = '';
let count = 0;

beforeAll(() => {
  if (process.platform !== 'linux' || !hasTools('gcc')) return;
  dir = mkdtempSync(join(tmpdir(), 'elfuse-inotify-'));
  native = join(dir, 'inotify');
  execFileSync('gcc', ['-O1', '-Wall', '-o', native, join(ROOT, 'guests/src/inotify.c')], { stdio: 'ignore' });
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function requireNative(ctx: TestContext): void {
  requireReferences(ctx, [GUESTS_REF, INOTIFY_REF]);
  if (native) return;
  const why = 'needs a Linux host with gcc for the native reference (apt-get install gcc)';
  if (process.env.ELFUSE_ALLOW_MISSING_REFS === '1') ctx.skip(why);
  throw new Error(why);
}

function freshDir(): string {
  const d = join(dir, `w${count++}`);
  mkdirSync(d);
  return d;
}

const AREAS: readonly [string, string][] = [
  ['basic', 'create, write, rename (cookies), mkdir, chmod, open/read/close, a file watch, unlink, rmdir, name padding, FIONREAD'],
  ['errors', 'EINVAL for flags and masks before EBADF, a non-inotify fd, ENOENT, EFAULT, IN_ONLYDIR, one wd per inode, IN_MASK_CREATE, rm_watch, lseek, write'],
  ['read', 'EAGAIN, EINVAL for 0 bytes and too-small buffers, one record per small buffer, F_GETFL, IN_CLOEXEC, /proc/self/fd, fstat'],
  ['flags', 'IN_DONT_FOLLOW, IN_MASK_ADD against replacing, IN_ONESHOT, IN_EXCL_UNLINK, IN_IGNORED after rm_watch'],
  ['poll', 'poll, epoll (edge-triggered), a blocking read woken by another process'],
  ['signal', 'a blocking read ended by a signal (EINTR), and restarted under SA_RESTART'],
  ['fork', 'parent and fork child share one instance'],
];

describe('inotify: elfuse vs the same program on the host kernel', () => {
  for (const [area, what] of AREAS) {
    test(`${area}: ${what}`, async (ctx) => {
      requireNative(ctx);
      const elfuse = await runElfuse([guest('inotify'), freshDir(), area], { timeoutMs: 30_000 });
      const linux = await run(native, [freshDir(), area]);
      expect(linux.status, linux.stderr.toString()).toBe(0);
      expect(elfuse.stderr.toString()).toBe(linux.stderr.toString());
      expect(elfuse.stdout.toString()).toBe(linux.stdout.toString());
      expect(elfuse.status).toBe(linux.status);
    }, 60_000);
  }

  test('through --sysroot: a directory only the sysroot has, watched by its guest path', async (ctx) => {
    requireNative(ctx);
    const sr = freshDir();
    mkdirSync(join(sr, 'watched'));
    const elfuse = await runElfuse(['--sysroot', sr, guest('inotify'), '/watched', 'basic'], { timeoutMs: 30_000 });
    const linux = await run(native, [freshDir(), 'basic']);
    expect(elfuse.stderr.toString()).toBe('');
    expect(elfuse.stdout.toString()).toBe(linux.stdout.toString());
    // The guest's files went to the sysroot's directory, and the events named them.
    expect(existsSync(join(sr, 'watched'))).toBe(true);
    expect(elfuse.stdout.toString()).toContain('CREATE cookie - len 16 name "a"');
  }, 60_000);

  test('changes another program makes on the host reach a blocked reader', async (ctx) => {
    requireNative(ctx);
    const outputs: string[] = [];
    for (const command of [[...ELFUSE_COMMAND, '--backend', 'interp', guest('inotify')], [native]]) {
      const d = freshDir();
      mkdirSync(join(d, 'ext'));
      const [cmd = '', ...args] = command;
      const child = spawn(cmd, [...args, d, 'external'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (out += c.toString()));
      const done = new Promise<number | null>((resolve) => child.on('close', resolve));
      // The program creates `ready` once its watch is in place.
      for (let i = 0; i < 1500 && !existsSync(join(d, 'ready')); i++) await new Promise((r) => setTimeout(r, 20));
      const f = join(d, 'ext', 'new.txt');
      writeFileSync(f, 'one');
      appendFileSync(f, 'two');
      renameSync(f, join(d, 'ext', 'moved.txt'));
      unlinkSync(join(d, 'ext', 'moved.txt'));
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      expect(await done).toBe(0);
      clearTimeout(timer);
      outputs.push(out);
    }
    expect(outputs[0]).toBe(outputs[1]);
    expect(outputs[1]).toContain('MOVED_TO cookie A len 16 name "moved.txt"');
  }, 90_000);
});
