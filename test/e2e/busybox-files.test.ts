/**
 * busybox applets that change the filesystem (cp, mv, ln, mkfifo, touch,
 * chmod, truncate, rm...), one command after another, under elfuse in one
 * fresh scratch directory and under qemu-aarch64 in another. After each
 * step, stdout and exit status must match, and so must the resulting tree
 * as `busybox stat` prints it (names, types, modes, sizes, link counts,
 * chosen mtimes). Each command is its own process: none of them forks.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, test } from 'vitest';
import { BUSYBOX, BUSYBOX_REF, QEMU_REF, expectSameRun, requireReferences, runElfuse, runQemu } from './helpers.js';

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function scratch(tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), `elfuse-bbfiles-${tag}-`));
  made.push(dir);
  writeFileSync(join(dir, 'src.txt'), 'some text\n'.repeat(300));
  return dir;
}

/** Steps run in order; each is a busybox command line run with the scratch directory as cwd. */
const STEPS: string[][] = [
  ['cp', 'src.txt', 'copy.txt'],
  ['cp', '-p', 'src.txt', 'copy-p.txt'],
  ['mkdir', '-p', 'a/b/c'],
  ['mv', 'copy.txt', 'a/b/moved.txt'],
  ['ln', '-s', 'a/b/moved.txt', 'sym'],
  ['ln', 'src.txt', 'hard'],
  ['readlink', 'sym'],
  ['mkfifo', '-m', '0640', 'fifo'],
  ['touch', '-d', '2001-02-03 04:05:06', 'src.txt'],
  ['touch', '-c', 'nothing-here'],
  ['chmod', '0604', 'hard'],
  ['truncate', '-s', '100', 'copy-p.txt'],
  ['cp', '-r', 'a', 'a2'],
  ['rm', '-r', 'a2/b/c'],
  ['rmdir', 'a2/b/c'],
  ['ln', '-sf', 'src.txt', 'sym'],
  ['mv', 'nope', 'x'],
  ['rm', 'fifo'],
];

const STAT = ['stat', '-c', '%n %F %a %s %h'];
const TREE = ['src.txt', 'copy-p.txt', 'a', 'a/b', 'a/b/moved.txt', 'sym', 'hard', 'fifo', 'a2', 'a2/b'];

describe('busybox file applets: elfuse vs qemu-aarch64', () => {
  test('each step gives the same output, status and tree', async (ctx) => {
    requireReferences(ctx, [QEMU_REF, BUSYBOX_REF]);
    const dirs = { elfuse: scratch('elfuse'), qemu: scratch('qemu') };
    for (const step of [...STEPS, [...STAT, ...TREE], ['stat', '-c', '%n %Y', 'src.txt'], ['ls', '-a', 'a2/b']]) {
      const [elfuse, qemu] = await Promise.all([
        runElfuse([BUSYBOX, ...step], { cwd: dirs.elfuse }),
        runQemu([BUSYBOX, ...step], { cwd: dirs.qemu }),
      ]);
      expectSameRun(elfuse, qemu);
    }
  }, 300_000);
});
