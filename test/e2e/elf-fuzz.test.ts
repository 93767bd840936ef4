/**
 * The ELF fuzz, whole process: mutated executables (header edits,
 * truncations, a few bytes changed anywhere in small programs) run under
 * the elfuse command, each in a scratch directory
 * with a time limit. Every run must end in the documented exit contract:
 * the guest's own status, 128+N for a signal, or 126/127 with exactly one
 * "elfuse: " line on stderr; never 125 (internal error) or a stack trace.
 * A mutant that runs past the limit is stopped by this harness: that is
 * not a failure of the contract, but the test reports each one.
 * A fixed seed; 200 runs in CI (ELFUSE_FULL=1), 30 otherwise.
 */
import { closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FULL, GUESTS_REF, guest, requireReferences, runElfuse, type RunResult } from './helpers.js';
import { anywhereMutant, headerMutant, readMutant, truncatedMutant, type Mutant, type Seed } from '../support/elf-fuzz.js';
import { tinyElf, writeThenExit } from '../support/tiny-elf.js';

const RUNS = FULL ? 200 : 30;
const LIMIT_MS = 5_000;

let dir = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'elfuse-elf-fuzz-'));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The mutant as a file; a size past the seed's bytes is a sparse hole (a 5 GiB mutant costs nothing). */
function writeMutant(path: string, m: Mutant): void {
  const editEnd = Math.max(0, ...m.edits.map((e) => e.at + e.bytes.length));
  const head = readMutant(m, 0, Math.min(m.size, Math.max(m.seed.bytes.length, editEnd)));
  const fd = openSync(path, 'w', 0o755);
  try {
    writeSync(fd, head, 0, head.length, 0);
    ftruncateSync(fd, m.size);
  } finally {
    closeSync(fd);
  }
}

type Verdict = { kind: 'guest' | 'signal' | 'refused' | 'timeout' } | { kind: 'broken'; why: string };

/** Which part of the exit contract a run ended in, or why it broke it. */
function verdict(r: RunResult): Verdict {
  const err = r.stderr.toString('latin1');
  if (r.timedOut) return { kind: 'timeout' };
  if (r.status === 125 || /internal error/.test(err)) return { kind: 'broken', why: `internal error (status ${r.status}): ${err.slice(0, 300)}` };
  if (/\n\s+at .*\(.*:\d+:\d+\)/.test(err) || /^\s+at /m.test(err)) return { kind: 'broken', why: `stack trace: ${err.slice(0, 300)}` };
  const ours = err.split('\n').filter((l) => l.startsWith('elfuse: '));
  if (r.status === 126 || r.status === 127) {
    // elfuse's refusal is one line and nothing else; a guest may also exit 126 itself, saying nothing as elfuse.
    if (ours.length === 0) return { kind: 'guest' };
    if (err !== `${ours[0]}\n`) return { kind: 'broken', why: `status ${r.status} without exactly one line: ${JSON.stringify(err.slice(0, 300))}` };
    return { kind: 'refused' };
  }
  if (ours.length > 0) return { kind: 'broken', why: `status ${r.status} with an elfuse message: ${err.slice(0, 300)}` };
  if (r.status > 128 && r.status <= 128 + 64) return { kind: 'signal' };
  if (r.status >= 0 && r.status <= 255) return { kind: 'guest' };
  return { kind: 'broken', why: `status ${r.status}` };
}

describe('ELF fuzz, whole process', () => {
  test(`${RUNS} mutated executables each end in the exit contract`, { timeout: (RUNS * (LIMIT_MS + 2_000)) / 2 + 60_000 }, async (ctx) => {
    requireReferences(ctx, [GUESTS_REF]);
    const w = writeThenExit('fuzz\n', 3);
    const seeds: Seed[] = [
      { name: 'hello-asm', bytes: new Uint8Array(readFileSync(guest('hello-asm'))) },
      { name: 'hello', bytes: new Uint8Array(readFileSync(guest('hello'))) },
      { name: 'tiny', bytes: tinyElf({ code: w.code, data: w.data }) },
    ];
    // Header edits and truncations are mostly refused; a few bytes changed anywhere mostly run.
    const small = seeds.filter((s) => s.bytes.length < 4096);
    const mutants = fc.sample(fc.oneof(headerMutant(seeds), truncatedMutant(seeds), anywhereMutant(small)), { numRuns: RUNS, seed: 0xe1f0 });
    const counts = { guest: 0, signal: 0, refused: 0, timeout: 0 };
    const stopped: string[] = [];
    const broken: string[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < mutants.length) {
        const i = next++;
        const m = mutants[i]!;
        const cwd = join(dir, `run-${i}`);
        mkdirSync(cwd);
        const exe = join(cwd, 'exe');
        writeMutant(exe, m);
        const r = await runElfuse([exe], { cwd, timeoutMs: LIMIT_MS });
        const v = verdict(r);
        const label = `case ${i} (${m.seed.name}, size ${m.size}, edits ${m.edits.map((e) => `${e.at}:${Buffer.from(e.bytes).toString('hex')}`).join(',')})`;
        if (v.kind === 'broken') broken.push(`${label}: ${v.why}`);
        else counts[v.kind]++;
        if (v.kind === 'timeout') stopped.push(label);
        rmSync(cwd, { recursive: true, force: true });
      }
    };
    await Promise.all([worker(), worker()]);
    // The record: how the runs ended, and which ones the harness had to stop.
    console.log(`elf-fuzz: ${RUNS} runs: ${JSON.stringify(counts)}; stopped after ${LIMIT_MS / 1000} s: ${stopped.length ? stopped.join('; ') : 'none'}`);
    expect(broken, broken.join('\n')).toEqual([]);
    // The mutants must reach both sides: some refused, some running guest code.
    expect(counts.refused).toBeGreaterThan(0);
    expect(counts.guest + counts.signal).toBeGreaterThan(0);
  });
});
