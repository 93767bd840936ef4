/**
 * guests/src/mmap.c under elfuse against references: the sections qemu-user
 * runs the way Linux does are compared with qemu-aarch64; the error paths
 * qemu-user emulates differently (its own mmap bookkeeping ignores
 * MAP_FIXED_NOREPLACE, most madvise checks, mremap duplication...) are
 * compared with the same C source built for the host and run on the host's
 * Linux kernel, the ground truth for the mm syscalls' semantics.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test, type TestContext } from 'vitest';
import { hasTools, referenceTools } from '../support/toolchain.js';
import { GUESTS_REF, QEMU_REF, ROOT, expectSameRun, guest, requireReferences, run, runElfuse, runQemu, type RunResult } from './helpers.js';

const MMAP_REF = { path: guest('mmap'), fix: 'bash scripts/build-guests.sh' };
const dirs: string[] = [];
let native = '';

function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), 'elfuse-mmap-'));
  dirs.push(d);
  return d;
}

beforeAll(() => {
  // The host build of the same program: only meaningful on a Linux host.
  if (process.platform !== 'linux' || !hasTools('gcc')) return;
  const out = join(scratch(), 'mmap-native');
  try {
    execFileSync('gcc', ['-O1', '-o', out, join(ROOT, 'guests/src/mmap.c')], { stdio: 'ignore' });
    native = out;
  } catch {
    native = '';
  }
});

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** elfuse and qemu-aarch64, each in its own scratch directory (the program writes files there). */
async function againstQemu(ctx: TestContext, section: string): Promise<{ elfuse: RunResult; qemu: RunResult }> {
  requireReferences(ctx, [QEMU_REF, GUESTS_REF, MMAP_REF]);
  const [elfuse, qemu] = await Promise.all([runElfuse([guest('mmap'), scratch(), section]), runQemu([guest('mmap'), scratch(), section])]);
  expectSameRun(elfuse, qemu);
  return { elfuse, qemu };
}

describe('mmap family: elfuse vs qemu-aarch64', () => {
  test('anonymous, file, shared, mremap, madvise, brk and MAP_GROWSDOWN', async (ctx) => {
    const { elfuse } = await againstQemu(ctx, 'core');
    expect(elfuse.status).toBe(0);
    expect(elfuse.stdout.toString()).toContain('file after munmap: UNMAP');
  });

  test('a file mapping touched past the end of the file dies by SIGBUS', async (ctx) => {
    const { elfuse } = await againstQemu(ctx, 'bus');
    expect(elfuse.status).toBe(128 + 7);
  });

  test('a PROT_NONE guard page dies by SIGSEGV', async (ctx) => {
    const { elfuse } = await againstQemu(ctx, 'guard');
    expect(elfuse.status).toBe(128 + 11);
  });

  test('malloc of 3000 MiB works when only a little is touched (demand paging)', async (ctx) => {
    const { elfuse } = await againstQemu(ctx, 'big');
    // Linux's heuristic overcommit refuses one allocation larger than RAM + swap (so does elfuse).
    if (totalmem() > 4 * 1024 ** 3) expect(elfuse.stdout.toString()).toContain('malloc 3000 MiB: ok');
  });

  test('peak RSS of that run stays well under 200 MB', async (ctx) => {
    requireReferences(ctx, [GUESTS_REF, MMAP_REF]);
    if (!existsSync('/usr/bin/time') || process.env.ELFUSE_E2E_UNDER_TEST) ctx.skip('needs GNU time (/usr/bin/time)');
    const r = await run('/usr/bin/time', ['-f', 'maxrss=%M', process.execPath, join(ROOT, 'bin/elfuse.js'), '--backend', 'interp', guest('mmap'), scratch(), 'big']);
    expect(r.status).toBe(0);
    const kb = Number(/maxrss=(\d+)/.exec(r.stderr.toString())?.[1]);
    expect(kb).toBeGreaterThan(0);
    expect(kb).toBeLessThan(200 * 1024);
  });
});

describe('mmap family: elfuse vs the host Linux kernel', () => {
  test('error paths qemu-user does not emulate like Linux', async (ctx) => {
    requireReferences(ctx, [GUESTS_REF, MMAP_REF]);
    if (process.platform !== 'linux') ctx.skip('the reference is a native build on a Linux host');
    const refs = referenceTools('gcc');
    if (refs.skip) ctx.skip(refs.missing);
    refs.check();
    expect(native, 'gcc could not build guests/src/mmap.c').not.toBe('');
    const [elfuse, linux] = await Promise.all([runElfuse([guest('mmap'), scratch(), 'linux']), run(native, [scratch(), 'linux'])]);
    expectSameRun(elfuse, linux);
    expect(elfuse.stdout.toString()).toContain('noreplace taken: EEXIST');
  });
});
