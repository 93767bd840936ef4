/**
 * write(2) from memory the guest never touched: guests/src/big-write.c
 * writes a fresh anonymous buffer (three bytes set), an untouched private
 * file mapping and shared anonymous memory. The bytes that arrive must be
 * qemu-aarch64's; writing 1.5 GiB of untouched memory to /dev/null must not
 * cost elfuse the memory (it read the pages into existence: 1.7 GB RSS).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { GUESTS_REF, QEMU_REF, expectSameRun, guest, requireReferences, runElfuseMeasured, runQemu } from './helpers.js';

let dir = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'elfuse-big-write-'));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('write(2) of untouched memory', () => {
  test('to a file: the same bytes arrive as under qemu-aarch64 (zeros, the touched bytes, the file mapping)', async (ctx) => {
    requireReferences(ctx, [QEMU_REF, GUESTS_REF]);
    const elfuse = await runElfuseMeasured([guest('big-write'), '64', join(dir, 'out-e'), join(dir, 'src-e')]);
    const qemu = await runQemu([guest('big-write'), '64', join(dir, 'out-q'), join(dir, 'src-q')]);
    expect(qemu.stdout.toString()).toContain('size 67108864: 00 61 00 62 00 00 63');
    expectSameRun(elfuse, qemu);
  });

  test('1.5 GiB to /dev/null: as under qemu-aarch64, without allocating the pages', async (ctx) => {
    requireReferences(ctx, [QEMU_REF, GUESTS_REF]);
    const elfuse = await runElfuseMeasured([guest('big-write'), '1536', '/dev/null', join(dir, 'src-e')]);
    const qemu = await runQemu([guest('big-write'), '1536', '/dev/null', join(dir, 'src-q')]);
    expect(qemu.stdout.toString()).toContain('anonymous: write 1610612736\n');
    expectSameRun(elfuse, qemu);
    // Node itself takes about 70 MiB; the pages read into existence were 1.5 GiB more.
    expect(elfuse.rssMiB).toBeLessThan(300);
  });
});
