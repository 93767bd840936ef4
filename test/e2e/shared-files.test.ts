/**
 * What processes share through the host kernel (issue 8, "Processes"), end
 * to end with our own guests run under elfuse and a reference, each in a
 * fresh scratch directory; stdout and exit status must match byte for byte:
 *
 * - guests/src/shared-files.c: a fork child and its parent share the file
 *   offset, O_APPEND and O_NONBLOCK of one open file description. Reference:
 *   qemu-aarch64 (which forks with the host's descriptions) and the same
 *   source built natively.
 * - guests/src/pipes.c: PIPE_BUF atomicity with four writers, blocking and
 *   non-blocking writes, EPIPE/SIGPIPE, F_GETPIPE_SZ/F_SETPIPE_SZ, FIONREAD,
 *   O_DIRECT packets, the dup family, FIFOs opened by two processes, and
 *   EINTR against SA_RESTART for a blocked read and write. Reference: the
 *   same source built natively and run on this machine's kernel (qemu-user
 *   7.2 does not pass pipe2's O_DIRECT through the same way, and its
 *   timing of a blocked call differs).
 * - guests/src/locks.c: POSIX, OFD and flock locks between a parent and its
 *   child, F_GETLK's pid, F_SETLKW and blocking flock, a signal ending such
 *   a wait. Reference: the native build (qemu-user translates struct flock,
 *   but the native kernel is the authority on lock semantics).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { hasTools } from '../support/toolchain.js';
import { QEMU_REF, ROOT, expectSameRun, guest, requireReferences, run, runElfuse, runQemu, type Reference } from './helpers.js';

const made: string[] = [];

function scratch(tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), `elfuse-shared-${tag}-`));
  made.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

const ref = (name: string): Reference => ({ path: guest(name), fix: 'bash scripts/build-guests.sh' });

/** The guest's source built for this machine: the kernel is the reference where qemu-user is weak. */
function nativeBuild(name: string): string {
  if (process.platform !== 'linux' || !hasTools('cc')) {
    throw new Error('needs a Linux host with a C compiler for the native reference: apt-get install gcc');
  }
  const out = join(scratch('bin'), `${name}-native`);
  execFileSync('cc', ['-O1', '-o', out, join(ROOT, `guests/src/${name}.c`)]);
  return out;
}

describe('open file descriptions shared by fork', () => {
  test('offsets, O_APPEND and O_NONBLOCK: as under qemu-aarch64', async (ctx) => {
    requireReferences(ctx, [QEMU_REF, ref('shared-files')]);
    const [elfuse, qemu] = await Promise.all([
      runElfuse([guest('shared-files')], { cwd: scratch('elfuse') }),
      runQemu([guest('shared-files')], { cwd: scratch('qemu') }),
    ]);
    expect(qemu.stdout.toString()).toContain('parent offset after the child\'s lseek = 4\n');
    expectSameRun(elfuse, qemu);
  }, 60_000);

  test('the same as the native build on this kernel', async (ctx) => {
    requireReferences(ctx, [ref('shared-files')]);
    const native = nativeBuild('shared-files');
    const [elfuse, host] = await Promise.all([
      runElfuse([guest('shared-files')], { cwd: scratch('elfuse') }),
      run(native, [], { cwd: scratch('native') }),
    ]);
    expectSameRun(elfuse, host);
  }, 60_000);
});

describe('pipes and FIFOs between processes: elfuse vs the native build', () => {
  const parts = ['atomicity', 'big', 'epipe', 'sizes', 'dups', 'fifos', 'interrupted', 'efault'];
  let native = '';
  test.for(parts)('%s', { timeout: 60_000 }, async (part, ctx) => {
    requireReferences(ctx, [ref('pipes')]);
    native ||= nativeBuild('pipes');
    const host = await run(native, [part], { cwd: scratch('native') });
    const elfuse = await runElfuse([guest('pipes'), part], { cwd: scratch('elfuse') });
    expect(host.stdout.length, 'the native run printed something').toBeGreaterThan(0);
    expectSameRun(elfuse, host);
  });
});

describe('advisory locks between processes: elfuse vs the native build', () => {
  test('POSIX, OFD and flock locks, F_GETLK pids, blocking waits and signals', async (ctx) => {
    requireReferences(ctx, [ref('locks')]);
    const native = nativeBuild('locks');
    const host = await run(native, [], { cwd: scratch('native') });
    expect(host.stdout.toString()).toContain('child F_SETLKW, alarm = -1 EINTR\n');
    const elfuse = await runElfuse([guest('locks')], { cwd: scratch('elfuse') });
    expectSameRun(elfuse, host);
  }, 60_000);
});
