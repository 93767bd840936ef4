/**
 * --verbose prints system calls in strace's own format. The reference is
 * strace(1) itself: guests/src/strace-me.c, built for this host with gcc and
 * run under strace, makes the same calls (openat, read, write, close, mmap,
 * munmap, exit_group exist alike on x86_64 and arm64); from its BEGIN
 * marker on, elfuse's lines must equal strace's, except the address mmap
 * returns (each kernel picks its own).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { GUESTS_REF, ROOT, guest, requireReferences, runElfuse, type Reference } from './helpers.js';

const STRACE_REF: Reference = { path: '/usr/bin/strace', fix: 'apt-get install strace' };
const GCC_REF: Reference = { path: '/usr/bin/gcc', fix: 'apt-get install gcc' };

const fromBegin = (text: string): string[] => {
  const lines = text.split('\n');
  return lines.slice(lines.findIndex((l) => l.startsWith('write(1, "BEGIN\\n", 6)'))).filter((l) => l !== '');
};
const maskMmap = (lines: string[]): string[] => lines.map((l) => l.replace(/^(mmap\(.*\) += )0x[0-9a-f]+$/, '$1ADDR').replace(/^munmap\(0x[0-9a-f]+,/, 'munmap(ADDR,'));

test('--verbose system-call lines match strace(1) for the same program', async (ctx) => {
  requireReferences(ctx, [STRACE_REF, GCC_REF, GUESTS_REF]);
  const dir = mkdtempSync(join(tmpdir(), 'elfuse-strace-'));
  // More than strace's 32-byte string limit, with a tab and newlines to escape.
  writeFileSync(join(dir, 'data.txt'), 'line one\twith tab\nline two is longer than thirty-two bytes\n');
  const native = join(dir, 'native');
  const cc = spawnSync('gcc', ['-static', '-O2', '-o', native, join(ROOT, 'guests/src/strace-me.c')], { encoding: 'utf8' });
  expect(cc.status, cc.stderr).toBe(0);
  const log = join(dir, 'strace.txt');
  const st = spawnSync('strace', ['-o', log, native], { cwd: dir, encoding: 'utf8' });
  expect(st.status).toBe(3);
  expect(existsSync(log)).toBe(true);
  const reference = maskMmap(fromBegin(readFileSync(log, 'latin1')));
  const r = await runElfuse(['-v', guest('strace-me')], { cwd: dir });
  expect(r.status).toBe(3);
  const ours = maskMmap(fromBegin(r.stderr.toString('latin1')));
  expect(reference.length).toBeGreaterThan(10);
  expect(ours).toEqual(reference);
});
