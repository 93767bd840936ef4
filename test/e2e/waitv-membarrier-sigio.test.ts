/**
 * futex_waitv (guests/src/futex-waitv.c), membarrier (guests/src/membarrier.c)
 * and signal-driven I/O: F_SETOWN, F_SETOWN_EX, F_SETSIG and O_ASYNC
 * (guests/src/sigio.c), each under elfuse against the same source built
 * natively with gcc and run on this machine's kernel. qemu-user is no
 * reference here: 7.2 answers futex_waitv with ENOSYS, hands membarrier to
 * the host kernel while it has no rseq of its own (so it advertises the
 * RSEQ commands without restartable sequences), and refuses F_SETSIG 64
 * (it maps the real-time signals). The programs print nothing that depends
 * on timing, so the outputs must be equal byte for byte.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { hasTools } from '../support/toolchain.js';
import { GUESTS_REF, ROOT, guest, requireReferences, run, runElfuse } from './helpers.js';

const CASES: readonly { name: string; what: string; marks: readonly string[] }[] = [
  {
    name: 'futex-waitv',
    what: 'argument checks in the kernel\'s order, EAGAIN, ETIMEDOUT on both clocks, the woken index among 1 to 128 words, EINTR and SA_RESTART, a wake from another process',
    marks: ['entry 2 misaligned, entry 0 differs: -1 EINVAL', 'entry 3 beyond the address space, misaligned: -1 EINVAL', '128 private words, wake 127: woke 1, waitv returned 127', 'signal, SA_RESTART 0: -1 EINTR', 'shared word woken from a child process: 1'],
  },
  {
    name: 'membarrier',
    what: 'QUERY, EINVAL and EPERM, registrations shared by threads, kept by fork, cleared by execve',
    marks: ['private expedited: -1 EPERM', 'registrations: 80', 'fork child: registrations: 84', 'after execve: registrations: 0'],
  },
  {
    name: 'sigio',
    what: 'owners and their errors, SIGIO and F_SETSIG signals from pipes, a socket pair and a pty, to a process, a thread or a group, from this process and a child',
    marks: [
      'pipe: after a write: 1 signal(s), POLL code 0x80',
      'pipe F_SETSIG SIGRTMIN: after a write: 1 signal(s), RT code 0x1 band 0x41 fd the registered one',
      'pipe write end: after the reader took a page: 1 signal(s), RT code 0x2 band 0x304',
      'pipe: after a child process wrote: 1 signal(s)',
      'handled by the owner thread: yes',
      'process group owner: SIGIO to the group\'s process: yes',
      'owner reaped: F_GETOWN: 0',
      'pty master: signalled after the slave wrote: yes',
    ],
  },
];

let dir = '';
const native = new Map<string, string>();

beforeAll(() => {
  if (process.platform !== 'linux' || !hasTools('gcc')) return;
  dir = mkdtempSync(join(tmpdir(), 'elfuse-waitv-'));
  for (const { name } of CASES) {
    const out = join(dir, name);
    execFileSync('gcc', ['-O2', '-Wall', '-pthread', '-o', out, join(ROOT, `guests/src/${name}.c`)], { stdio: 'ignore' });
    native.set(name, out);
  }
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('futex_waitv, membarrier and O_ASYNC against the host kernel', () => {
  for (const { name, what, marks } of CASES) {
    test(`${name}.c: ${what}`, async (ctx) => {
      requireReferences(ctx, [GUESTS_REF, { path: guest(name), fix: 'bash scripts/build-guests.sh' }]);
      const reference = native.get(name);
      if (!reference) {
        const why = 'needs a Linux host with gcc for the native reference (apt-get install gcc)';
        if (process.env.ELFUSE_ALLOW_MISSING_REFS === '1') ctx.skip(why);
        throw new Error(why);
      }
      const elfuse = await runElfuse([guest(name)], { timeoutMs: 60_000 });
      const linux = await run(reference, []);
      expect(linux.status, linux.stderr.toString()).toBe(0);
      expect(elfuse.stderr.toString()).toBe('');
      expect(elfuse.stdout.toString()).toBe(linux.stdout.toString());
      for (const mark of marks) expect(elfuse.stdout.toString()).toContain(mark);
      expect(elfuse.status).toBe(0);
    });
  }
});
