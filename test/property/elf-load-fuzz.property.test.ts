/**
 * The ELF fuzz, in process: mutated executables (header and program-header
 * edits, truncations, extensions) go through the whole launch path as the
 * CLI runs it (open, parse, build the machine, load the image, build the
 * stack) without starting elfuse per case, and a loaded image's entry and
 * segment pages are read through the guest's view (which pages them in from
 * the file). Every case either loads or is refused with a LaunchError whose
 * status is 126 or 127 (127 only for a PT_INTERP naming no file) and whose
 * message is one printable line naming the file; nothing else may be thrown, and the file is never left open.
 * A fixed seed; 100,000 cases per property in CI (ELFUSE_FULL=1).
 * Special files given as the executable are checked the same way.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InterpBackend } from '../../src/adapters/interp/backend.js';
import { createNodeHostPorts } from '../../src/adapters/host-node/index.js';
import { LaunchError, prepareGuest, type PreparedGuest } from '../../src/domain/boot/launch.js';
import { printable } from '../../src/domain/printable.js';
import { GuestFault } from '../../src/domain/memory/fault.js';
import type { HostPorts } from '../../src/ports/host.js';
import { FULL, GUESTS_REF, guest, missingReferences } from '../e2e/helpers.js';
import { headerMutant, hostServing, truncatedMutant, type Mutant, type Seed } from '../support/elf-fuzz.js';
import { exitCode, tinyElf, writeThenExit } from '../support/tiny-elf.js';

const RUNS = FULL ? 100_000 : 2_000;
/** The served file's name, in a real directory (the walk opens every directory on the way). */
const PATH = `${tmpdir()}/exe-${process.pid}-elfuse-fuzz`;
// Small, so a case allocates (and zeroes) little: page tables, the stack and the pages touched fit.
const RAM = 1024 * 1024;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

let seeds: Seed[] = [];
let current: Mutant | undefined;
let served: { host: HostPorts; openCount: () => number };
const real = createNodeHostPorts();

beforeAll(() => {
  const missing = missingReferences([GUESTS_REF]);
  if (missing) throw new Error(missing);
  const w = writeThenExit('fuzz\n', 3);
  seeds = [
    { name: 'hello-asm', bytes: new Uint8Array(readFileSync(guest('hello-asm'))) },
    { name: 'hello', bytes: new Uint8Array(readFileSync(guest('hello'))) },
    { name: 'malloc-strings-pie', bytes: new Uint8Array(readFileSync(guest('malloc-strings-pie'))) },
    { name: 'tiny', bytes: tinyElf({ code: w.code, data: w.data }) },
    { name: 'tiny-interp', bytes: tinyElf({ code: exitCode(0), interp: new TextEncoder().encode('/lib/ld-linux-aarch64.so.1') }) },
  ];
  served = hostServing(real, PATH, () => current!);
});

/** Loaded, or refused with this exit status. */
type Outcome = 'loaded' | 126 | 127;

/** Read a byte of every page the guest would start on; a page it may not read is a fault, not a failure. */
function touch(g: PreparedGuest): void {
  const bias = g.image.loadBias;
  const at = [g.image.entry, g.image.phdrVa];
  for (const p of g.elf.loads.slice(0, 4)) at.push(p.vaddr + bias, p.vaddr + bias + Math.max(0, p.memsz - 1));
  for (const va of at) {
    try {
      g.task.mem.read(va, 1);
    } catch (e) {
      if (!(e instanceof GuestFault)) throw e;
    }
  }
}

/** The message of the last refusal. */
let lastRefusal = '';

function launch(path: string, host: HostPorts): Outcome {
  const backend = new InterpBackend();
  try {
    let g: PreparedGuest;
    try {
      g = prepareGuest(backend, host, { path, argv: [path, 'arg'], envp: ['FUZZ=1'], verbose: false, log: () => {}, ramBytes: RAM });
    } catch (e) {
      if (!(e instanceof LaunchError)) throw e;
      expect(e.message).not.toMatch(CONTROL);
      expect(e.message.startsWith(`${printable(path)}: `)).toBe(true);
      if (e.exitCode !== 126 && e.exitCode !== 127) throw new Error(`exit status ${e.exitCode}: ${e.message}`);
      lastRefusal = e.message;
      return e.exitCode;
    }
    try {
      touch(g);
    } finally {
      g.dispose();
    }
    return 'loaded';
  } finally {
    backend.destroy();
  }
}

function fuzz(arb: fc.Arbitrary<Mutant>, seed: number): { loaded: number; refused: number } {
  const seen = { loaded: 0, refused: 0 };
  fc.assert(
    fc.property(arb, (m) => {
      current = m;
      const r = launch(PATH, served.host);
      // The file exists: "not found" (127) only for the interpreter a PT_INTERP names.
      if (r === 127) expect(lastRefusal).toMatch(/: its interpreter .* is not on this host; /);
      seen[r === 'loaded' ? 'loaded' : 'refused']++;
      expect(served.openCount()).toBe(0);
    }),
    { numRuns: RUNS, seed },
  );
  return seen;
}

describe('ELF fuzz in process: load or refuse with one line, never anything else', () => {
  it(`mutated headers and program headers (${RUNS} cases)`, { timeout: FULL ? 900_000 : 120_000 }, () => {
    const seen = fuzz(headerMutant(seeds), 0x13e1f);
    // Both outcomes must be common, or the mutations test only one path.
    expect(seen.loaded).toBeGreaterThan(RUNS / 50);
    expect(seen.refused).toBeGreaterThan(RUNS / 50);
  });

  it(`truncated files (${RUNS} cases)`, { timeout: FULL ? 900_000 : 120_000 }, () => {
    const seen = fuzz(truncatedMutant(seeds), 0x7a11);
    expect(seen.loaded).toBeGreaterThan(RUNS / 100);
    expect(seen.refused).toBeGreaterThan(RUNS / 50);
  });
});

describe('special files as the executable, in process', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'elfuse-special-'));
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    mkdirSync(join(dir, 'dir'));
    writeFileSync(join(dir, 'empty'), '', { mode: 0o755 });
    copyFileSync(guest('hello-asm'), join(dir, 'unreadable'));
    chmodSync(join(dir, 'unreadable'), 0o111);
    symlinkSync('loop', join(dir, 'loop'));
    symlinkSync(join(dir, 'nowhere'), join(dir, 'dangling'));
    writeFileSync(join(dir, 'newline\nname'), tinyElf({ code: exitCode(0) }), { mode: 0o755 });
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const root = process.getuid?.() === 0;
  const expected: [string, Outcome][] = [
    ['fifo', 126],
    ['dir', 126],
    ['/dev/null', 126],
    ['/dev/zero', 126],
    ['empty', 126],
    // root may read any file (CAP_DAC_OVERRIDE), as execve's open would.
    ['unreadable', root ? 'loaded' : 126],
    ['loop', 126],
    ['dangling', 127],
    ['missing', 127],
    ['empty/', 127],
    ['newline\nname', 'loaded'],
  ];
  it.each(expected)('%j', (name, want) => {
    expect(launch(name.startsWith('/') ? name : join(dir, name), real)).toBe(want);
  });
});
