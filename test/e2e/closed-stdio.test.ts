/**
 * A standard stream closed when elfuse starts (`prog >&-`) is closed for the
 * guest too: EBADF, and the lowest free fd for its next open, as under
 * qemu-aarch64. Node replaces closed standard streams with /dev/null before
 * any JavaScript runs, so this goes through the dist/elfuse command, which
 * notes them first.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { GUESTS_REF, QEMU, QEMU_REF, ROOT, guest, requireReferences, run } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'elfuse-stdio-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function report(runner: string, redirect: string): Promise<string> {
  const out = join(dir, 'report');
  rmSync(out, { force: true });
  const r = await run('sh', ['-c', `${runner} ${guest('closed-stdio')} ${out} ${redirect}`]);
  expect(r.status, r.stderr.toString()).toBe(0);
  return readFileSync(out, 'utf8');
}

describe('closed standard streams', () => {
  for (const redirect of ['<&-', '>&-', '2>&-', '<&- >&- 2>&-', '']) {
    test(`"${redirect}" looks as it does under qemu-aarch64`, async (ctx) => {
      requireReferences(ctx, [QEMU_REF, GUESTS_REF]);
      const elfuse = await report(join(ROOT, 'dist/elfuse'), redirect);
      expect(elfuse).toBe(await report(QEMU, redirect));
      if (/(^| )>&-/.test(redirect)) expect(elfuse).toContain('1 EBADF');
    });
  }
});
