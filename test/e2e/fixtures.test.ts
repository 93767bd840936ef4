/**
 * Differential runs of our own guest programs (guests/src/, built by
 * scripts/build-guests.sh): each runs under elfuse and under qemu-aarch64
 * with the same argv, environment and input; stdout must be byte-identical
 * and the exit status equal.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test, type TestContext } from 'vitest';
import { FULL, GUESTS_REF, QEMU_REF, expectSameRun, guest, requireReferences, runBoth, runElfuse, runQemu, type RunOptions, type RunResult } from './helpers.js';

let dir = '';

/** Deterministic bytes: every byte value, and a length that is not a multiple of read sizes. */
function patternBytes(length: number): Buffer {
  const buf = Buffer.alloc(length);
  let x = 12345;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    buf[i] = x >>> 24;
  }
  return buf;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'elfuse-fixtures-'));
  writeFileSync(join(dir, 'small.txt'), 'one line\n');
  writeFileSync(join(dir, 'empty'), '');
  writeFileSync(join(dir, 'binary.bin'), patternBytes(FULL ? 3_000_001 : 100_003));
  mkdirSync(join(dir, 'subdir'));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function same(ctx: TestContext, args: string[], opts: RunOptions = {}, stderr = false): Promise<void> {
  await sameResult(ctx, args, opts, stderr);
}

/** As same(), returning the reference run for further checks. */
async function sameResult(ctx: TestContext, args: string[], opts: RunOptions = {}, stderr = false): Promise<RunResult> {
  requireReferences(ctx, [QEMU_REF, GUESTS_REF]);
  const { elfuse, qemu } = await runBoth(args, opts);
  expectSameRun(elfuse, qemu, { stderr });
  return qemu;
}

describe('guest fixtures: elfuse vs qemu-aarch64', () => {
  test('hello-asm: raw write + exit, no libc', (ctx) => same(ctx, [guest('hello-asm')]));

  test('hello: static glibc printf', (ctx) => same(ctx, [guest('hello')]));

  test('exit42: exit status reaches the host', (ctx) => same(ctx, [guest('exit42')]));

  test('echo-args: argv with spaces, empty and non-ASCII strings, filtered env', async (ctx) => {
    requireReferences(ctx, [QEMU_REF, GUESTS_REF]);
    const env = { ELFUSE_TEST_ONE: '1', ELFUSE_TEST_EMPTY: '', ELFUSE_TEST_SPACES: 'x y  z', OTHER_VAR: 'not printed' };
    const { elfuse, qemu } = await runBoth([guest('echo-args'), 'a', 'b c', '', 'ünïcödé', '*', '$HOME'], { env });
    // argv must match byte for byte. The environment is compared as a set:
    // qemu-user hands the guest its environment in reverse order, while
    // Linux's execve (and elfuse) keep the caller's order (checked below).
    const lines = (r: typeof elfuse) => r.stdout.toString('latin1').split('\n');
    const argvLines = (r: typeof elfuse) => lines(r).filter((l) => !l.startsWith('env='));
    const envLines = (r: typeof elfuse) => lines(r).filter((l) => l.startsWith('env='));
    expect(argvLines(elfuse)).toEqual(argvLines(qemu));
    expect([...envLines(elfuse)].sort()).toEqual([...envLines(qemu)].sort());
    expect(elfuse.status).toBe(qemu.status);
    expect(envLines(elfuse)).toEqual(['env=[ELFUSE_TEST_ONE=1]', 'env=[ELFUSE_TEST_EMPTY=]', 'env=[ELFUSE_TEST_SPACES=x y  z]']);
  });

  test('echo-args: guest arguments that look like options, after --', async (ctx) => {
    requireReferences(ctx, [QEMU_REF, GUESTS_REF]);
    const guestArgs = [guest('echo-args'), '--help', '-v', '--backend', 'hvf', '--'];
    // elfuse stops parsing its own options at "--"; qemu stops at the first non-option.
    const [elfuse, qemu] = await Promise.all([runElfuse(['--', ...guestArgs]), runQemu(guestArgs)]);
    expectSameRun(elfuse, qemu);
  });

  test('malloc-strings: heap and string routines', (ctx) => same(ctx, [guest('malloc-strings')]));

  // A guest killed by signal N ends elfuse with 128+N, as a shell reports it (qemu's status is the reference).
  test.for(['segv', 'ill', 'trap', 'abort'])('die-by-signal %s: the exit status is 128+N', (mode, ctx) =>
    same(ctx, [guest('die-by-signal'), mode]));

  test('--verbose names an undefined instruction by encoding and address', async (ctx) => {
    requireReferences(ctx, [GUESTS_REF]);
    const r = await runElfuse(['--verbose', guest('die-by-signal'), 'ill']);
    expect(r.status).toBe(128 + 4);
    expect(r.stderr.toString()).toMatch(/SIGILL at pc 0x[0-9a-f]+: undefined instruction 0x00000000 \(.*\) at 0x[0-9a-f]+/);
  });

  // The stack grows on demand up to RLIMIT_STACK, and overflowing it is SIGSEGV.
  test('big-stack: 7 MiB of stack use', (ctx) => same(ctx, [guest('big-stack')]));
  test('big-stack overflow: SIGSEGV past RLIMIT_STACK', (ctx) => same(ctx, [guest('big-stack'), 'overflow']));

  // The same program as a static PIE (ET_DYN): loaded at the PIE base, it relocates itself.
  test('malloc-strings-pie: static-PIE executable', async (ctx) => {
    const pie = await sameResult(ctx, [guest('malloc-strings-pie')]);
    // The reference itself must succeed: the same program as ET_EXEC prints the same lines.
    expect(pie.status).toBe(0);
    expect(pie.stdout.toString()).toBe((await runQemu([guest('malloc-strings')])).stdout.toString());
  });

  test('printf-double: FP formatting and strtod', (ctx) => same(ctx, [guest('printf-double')]));
  test('fp-modes: IEEE results and FPSR flags under every RMode/FZ/DN', (ctx) => same(ctx, [guest('fp-modes')], { timeoutMs: 120_000 }), 150_000);
  // qemu-aarch64 implements the ARM ARM's estimate tables exactly: every table entry and exponent rule must match.
  test('fp-estimate: FRECPE/FRSQRTE/FRECPX over their tables, every FPCR mode', async (ctx) => {
    const ref = await sameResult(ctx, [guest('fp-estimate')], { timeoutMs: 120_000 });
    expect(ref.status).toBe(0);
    expect(ref.stdout.toString().split('\n').filter((l) => / hash=[0-9a-f]{16} /.test(l))).toHaveLength(162);
  }, 150_000);

  test('tight-loop: integer loop checksum', (ctx) => same(ctx, [guest('tight-loop'), FULL ? '5000000' : '200000']));

  test('cat-file: copies a binary file in chunks', (ctx) => same(ctx, [guest('cat-file'), join(dir, 'binary.bin')]));

  test('cat-file: small and empty files', async (ctx) => {
    await same(ctx, [guest('cat-file'), join(dir, 'small.txt')]);
    await same(ctx, [guest('cat-file'), join(dir, 'empty')]);
  });

  test('cat-file: relative path resolved against the cwd', (ctx) =>
    same(ctx, [guest('cat-file'), 'small.txt'], { cwd: dir }));

  test('cat-file: ENOENT reported with strerror, exit 1', (ctx) =>
    same(ctx, [guest('cat-file'), join(dir, 'does-not-exist')], {}, true));

  test('cat-file: read of a directory fails with EISDIR', (ctx) =>
    same(ctx, [guest('cat-file'), join(dir, 'subdir')], {}, true));

  test('cat-file: usage error on stderr, exit 2', (ctx) => same(ctx, [guest('cat-file')], {}, true));
});
