/**
 * Processes end to end (guests/src/procs.c): each area of the program runs
 * under elfuse and, as the reference, the same source built natively with
 * gcc and run on this machine's kernel. qemu-user is weak here: each guest
 * process is a qemu process, so another process's /proc/<pid> shows qemu,
 * a guest's execve of an aarch64 file needs a binfmt_misc entry, and
 * PR_SET_CHILD_SUBREAPER is EINVAL; the kernel is the ground truth for wait
 * statuses, siginfo, process groups, orphans, zombies handed to a
 * subreaper, and pidfds. The program prints relations only (the child, the
 * parent, the same pid), never raw pids or times, so the two outputs must
 * be equal byte for byte.
 *
 * kill(-1) is run natively in a new pid namespace (unshare, as root), where
 * "every process" is the program's own tree, as elfuse bounds it to the
 * guest processes it runs: the program's first process is init there, and
 * ignores SIGTERM under elfuse, so the two agree.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test, type TestContext } from 'vitest';
import { hasTools } from '../support/toolchain.js';
import { GUESTS_REF, ROOT, guest, requireReferences, run, runElfuse, type RunResult } from './helpers.js';

const PROCS_REF = { path: guest('procs'), fix: 'bash scripts/build-guests.sh' };
const dirs: string[] = [];
let native = '';

function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), 'elfuse-procs-'));
  dirs.push(d);
  return d;
}

beforeAll(() => {
  if (process.platform !== 'linux' || !hasTools('gcc')) return;
  // Named procs too: the name is the comm a child shows in /proc.
  const dir = join(scratch(), 'native');
  mkdirSync(dir);
  native = join(dir, 'procs');
  execFileSync('gcc', ['-O1', '-Wall', '-o', native, join(ROOT, 'guests/src/procs.c')], { stdio: 'ignore' });
});

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function requireNative(ctx: TestContext): void {
  requireReferences(ctx, [GUESTS_REF, PROCS_REF]);
  if (native) return;
  const why = 'needs a Linux host with gcc for the native reference (apt-get install gcc)';
  if (process.env.ELFUSE_ALLOW_MISSING_REFS === '1') ctx.skip(why);
  throw new Error(why);
}

function expectSame(elfuse: RunResult, linux: RunResult): void {
  expect(elfuse.stderr.toString()).toBe(linux.stderr.toString());
  expect(elfuse.stdout.toString()).toBe(linux.stdout.toString());
  expect(elfuse.status).toBe(linux.status);
}

const AREAS: readonly [string, string][] = [
  ['wait', 'wait statuses, WNOHANG, WNOWAIT, waitid fields, rusage, ECHILD'],
  ['stopcont', 'a SIGCONT sent on hearing of a stop always finds the child stopped (100 rounds)'],
  ['vfork', 'vfork suspends the parent until the child exits or execs'],
  ['spawn', 'a vfork child shares its parent\'s memory; posix_spawn errors, file actions, SETPGROUP, SETSID, posix_spawnp'],
  ['exec', 'execve errors, #! with its optional argument, nested #!, E2BIG'],
  ['signals', 'signals between processes with siginfo, and their EPERM'],
  ['pgrp', 'setpgid, setsid and getsid rules'],
  ['zombie', "a zombie's /proc state, SIGCHLD, SA_NOCLDWAIT and SIG_IGN reaping"],
  ['orphan', 'getppid of an orphan, the child subreaper, the parent-death signal'],
  ['reparent', "an unreaped zombie goes to the nearest child subreaper as its parent exits: SIGCHLD with its siginfo, wait4 with its exact status (exited, killed), past a parent that is no subreaper, out of sight without one"],
  ['proc', '/proc/<pid> of a child after its execve, and the /proc listing'],
  ['pidfd', 'pidfd_open, pidfd_send_signal, pidfd_getfd, waitid(P_PIDFD), CLONE_PIDFD'],
  ['peers', 'a signal to a process that is neither parent nor child carries its siginfo (sigqueue value, sender pid), a real-time one too'],
  ['reuse', 'each child begins as its parent made it (umask, dispositions, parent-death signal, CPU time), whatever the child before it did'],
];

describe('processes: elfuse vs the same program on the host kernel', () => {
  for (const [area, what] of AREAS) {
    test(`${area}: ${what}`, async (ctx) => {
      requireNative(ctx);
      const elfuse = await runElfuse([guest('procs'), area, scratch()], { timeoutMs: 60_000 });
      const linux = await run(native, [area, scratch()]);
      expect(linux.status, linux.stderr.toString()).toBe(0);
      expectSame(elfuse, linux);
    }, 90_000);
  }

  test('kill(-1) reaches every other process of the tree, as in a pid namespace', async (ctx) => {
    requireNative(ctx);
    if (process.getuid?.() !== 0 || !hasTools('unshare')) {
      const why = 'the native kill(-1) runs in a new pid namespace: needs root and unshare (util-linux); CI runs as root';
      if (process.env.ELFUSE_ALLOW_MISSING_REFS === '1') ctx.skip(why);
      throw new Error(why);
    }
    const elfuse = await runElfuse([guest('procs'), 'killall'], { timeoutMs: 60_000 });
    const linux = await run('unshare', ['--pid', '--fork', '--mount-proc', native, 'killall']);
    expect(linux.stdout.toString()).toContain('first sibling: killed by TERM');
    expectSame(elfuse, linux);
  }, 90_000);

  test('execve of a host program is ENOEXEC (execve(2): not in a recognized format)', async (ctx) => {
    requireReferences(ctx, [GUESTS_REF, PROCS_REF]);
    const elfuse = await runElfuse([guest('procs'), 'exec-host', scratch()]);
    expect(elfuse.stdout.toString()).toBe('exec a host program: ENOEXEC\n');
    expect(elfuse.status).toBe(0);
  });
});
