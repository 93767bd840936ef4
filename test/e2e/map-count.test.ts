/**
 * vm.max_map_count: guests/src/map-count.c fills the address space with
 * VMAs until it is refused, then tries at the limit what splits a VMA and
 * what does not. The reference is the same C program built natively and
 * run on this machine's kernel (qemu-aarch64 cannot be: its own allocations
 * count against the host's limit, and it aborts in GLib and hangs there).
 * The output holds only errno names and VMA counts, so it must be equal.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { GUESTS_REF, ROOT, guest, requireReferences, run, runElfuse } from './helpers.js';

let dir = '';
let native = '';
let nativeError = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'elfuse-map-count-'));
  native = join(dir, 'map-count');
  try {
    execFileSync('gcc', ['-O2', '-std=gnu11', '-o', native, join(ROOT, 'guests/src/map-count.c')], { stdio: 'pipe' });
  } catch (e) {
    nativeError = `the native reference needs gcc (apt-get install gcc): ${String(e)}`;
  }
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('vm.max_map_count as this Linux kernel applies it', () => {
  test('the host has the default limit, 65530, which elfuse models', () => {
    expect(readFileSync('/proc/sys/vm/max_map_count', 'utf8').trim()).toBe('65530');
  });

  test.for(['mmap', 'mprotect', 'edges'])('map-count %s: the same refusals and VMA counts as native', { timeout: 150_000 }, async (section, ctx) => {
    requireReferences(ctx, [GUESTS_REF]);
    if (nativeError) throw new Error(nativeError);
    const ref = await run(native, [section]);
    expect(ref.status).toBe(0);
    expect(ref.stdout.toString()).toContain('ENOMEM');
    const r = await runElfuse([guest('map-count'), section], { timeoutMs: 120_000 });
    expect(r.stderr.toString()).toBe('');
    expect(r.stdout.toString()).toBe(ref.stdout.toString());
    expect(r.status).toBe(0);
  });
});

