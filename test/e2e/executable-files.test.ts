/**
 * What elfuse is given as the executable, beyond ordinary programs: huge
 * (sparse) files, which must cost only the pages the guest touches and run
 * as qemu-aarch64 runs them; files that are not regular (a FIFO, a directory,
 * devices), empty or unreadable, which must end in one line and status 126
 * without blocking; and an ELF whose PT_INTERP string holds a newline and
 * terminal escapes, which must not reach stderr raw (nor is there such an
 * interpreter: status 127).
 */
import { closeSync, chmodSync, copyFileSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { GUESTS_REF, QEMU_REF, guest, requireReferences, runElfuse, runElfuseMeasured, runQemu, type RunResult } from './helpers.js';
import { TINY_BASE, exitCode, tinyElf, writeThenExit } from '../support/tiny-elf.js';

let dir = '';
const GiB = 1024 ** 3;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'elfuse-exec-files-'));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * A sparse file of `size` bytes: an ELF whose one R+X segment is the whole
 * file, with the code that runs in its last page (so it must be read from
 * the far end of the file) writing "far end\n" and exiting 42.
 */
function sparseElf(name: string, size: number): string {
  const path = join(dir, name);
  const codeOffset = size - 0x1000;
  const { code, data } = writeThenExit('far end\n', 42);
  const head = tinyElf({ code: exitCode(1), segmentSize: size });
  // The entry point is the last page's code.
  new DataView(head.buffer).setBigUint64(24, BigInt(TINY_BASE + codeOffset), true);
  const tail = tinyElf({ code, data, codeOffset: 0 }).subarray(0, code.length * 4 + data.length);
  const fd = openSync(path, 'w', 0o755);
  try {
    writeSync(fd, head, 0, head.length, 0);
    writeSync(fd, tail, 0, tail.length, codeOffset);
    ftruncateSync(fd, size);
  } finally {
    closeSync(fd);
  }
  return path;
}

/** One line on stderr (not a stack trace) naming the file, status 126 (or `status`), nothing on stdout. */
function expectRefusal(r: RunResult, file: string, reason: RegExp, status = 126): void {
  const text = r.stderr.toString('latin1');
  expect(r.timedOut, 'elfuse hung').toBe(false);
  expect(r.status, text).toBe(status);
  expect(text).not.toContain('    at ');
  expect(text).not.toMatch(/internal error/);
  const lines = text.replace(/\n$/, '').split('\n');
  expect(lines, text).toHaveLength(1);
  expect(lines[0]).toContain(file);
  expect(lines[0]).toMatch(reason);
  expect(r.stdout.length).toBe(0);
}

describe('huge executables are mapped, not read', () => {
  // Node's own footprint is about 70 MiB; reading the file whole took 1.6 GB for 1.5 GiB.
  const RSS_BOUND_MIB = 300;

  test.for([
    ['1.5 GiB', 1.5 * GiB],
    ['3 GiB', 3 * GiB],
    ['5 GiB', 5 * GiB],
  ] as const)('a %s sparse executable runs as under qemu-aarch64, in little memory', async ([, size], ctx) => {
    requireReferences(ctx, [QEMU_REF]);
    const path = sparseElf(`big-${size}`, size);
    const r = await runElfuseMeasured([path]);
    const q = await runQemu([path]);
    expect(q.status, q.stderr.toString()).toBe(42);
    expect(r.stderr.toString()).not.toMatch(/internal error|elfuse:/);
    expect(r.status, r.stderr.toString()).toBe(q.status);
    expect(r.stdout.toString()).toBe(q.stdout.toString());
    expect(r.rssMiB).toBeLessThan(RSS_BOUND_MIB);
  });
});

describe('files that are not runnable end in one line and status 126', () => {
  test('a FIFO is refused without waiting for a writer', async () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    expectRefusal(await runElfuse([fifo], { timeoutMs: 15_000 }), fifo, /FIFO/);
  });

  test('a directory', async () => {
    const sub = join(dir, 'subdir');
    mkdirSync(sub);
    expectRefusal(await runElfuse([sub]), sub, /Is a directory/);
  });

  test.for(['/dev/null', '/dev/zero'])('the character device %s', async (dev) => {
    expectRefusal(await runElfuse([dev], { timeoutMs: 15_000 }), dev, /character device/);
  });

  test('an empty file', async () => {
    const empty = join(dir, 'empty');
    writeFileSync(empty, '', { mode: 0o755 });
    expectRefusal(await runElfuse([empty]), empty, /not an ELF/);
  });

  test('a file without read permission: refused unless the user may read it anyway (root)', async (ctx) => {
    requireReferences(ctx, [GUESTS_REF]);
    const secret = join(dir, 'no-read');
    copyFileSync(guest('hello-asm'), secret);
    chmodSync(secret, 0o111);
    const r = await runElfuse([secret]);
    if (process.getuid?.() === 0) {
      // root reads any file (CAP_DAC_OVERRIDE), so the program runs.
      expect(r.stdout.toString()).toBe('Hello from aarch64 assembly\n');
      expect(r.status).toBe(0);
    } else {
      expectRefusal(r, secret, /Permission denied/);
    }
  });
});

describe('text from the ELF file is escaped in the one-line error', () => {
  test('a PT_INTERP with a newline and terminal escapes cannot forge a line or reach the terminal', async () => {
    const path = join(dir, 'forged-interp');
    const interp = new TextEncoder().encode('/lib/ld.so\nelfuse: \x1b[31mforged line\x1b]0;title\x07\u009b2J');
    writeFileSync(path, tinyElf({ code: exitCode(0), interp }), { mode: 0o755 });
    const r = await runElfuse([path]);
    // No such interpreter on the host: 127, as a shell says for a missing program.
    expectRefusal(r, path, /its interpreter .* is not on this host; .*--sysroot DIR/, 127);
    const text = r.stderr.toString('latin1');
    // No control byte at all, C1 included (0x9b is CSI on some terminals).
    expect(text.replace(/\n$/, '')).not.toMatch(/[\x00-\x1f\x7f]/);
    expect(r.stderr.includes(Buffer.from([0xc2, 0x9b]))).toBe(false);
    expect(text).toContain('"/lib/ld.so\\nelfuse: \\x1b[31mforged line\\x1b]0;title\\x07\\x9b2J"');
  });
});
