/**
 * Debian busybox-static applets on prepared inputs, elfuse against
 * qemu-aarch64. Each case gets two identical fresh work trees (same names,
 * contents, modes and timestamps); elfuse runs in one and qemu in the other,
 * with the work tree as cwd and relative paths on the command line. Stdout
 * and exit status must be byte-identical, and for applets that change files
 * the resulting trees must be identical too (names, types, modes, sizes,
 * contents, symlink targets and file mtimes).
 */
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test, type TestContext } from 'vitest';
import { BUSYBOX, BUSYBOX_REF, QEMU_REF, expectSameRun, requireReferences, runElfuse, runQemu, type RunResult } from './helpers.js';

const roots: string[] = [];

afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

/** A fixed instant (2021-03-04 05:06:07 UTC) for every prepared file and directory. */
const STAMP = new Date(Date.UTC(2021, 2, 4, 5, 6, 7));

function lines(n: number, f: (i: number) => string): string {
  return Array.from({ length: n }, (_, i) => f(i + 1)).join('\n') + '\n';
}

/** The prepared inputs, written identically into each work tree. */
function populate(dir: string): void {
  writeFileSync(join(dir, 'words.txt'), lines(300, (i) => ['pear', 'apple', 'fig', 'kiwi', 'plum', 'date'][(i * 7) % 6]! + ` ${(i * 37) % 101}`));
  writeFileSync(join(dir, 'table.csv'), lines(40, (i) => `${i},name${i % 9},${(i * 13) % 17},${i % 2 ? 'odd' : 'even'}`));
  writeFileSync(join(dir, 'a.txt'), lines(50, (i) => `line ${i}`));
  writeFileSync(join(dir, 'b.txt'), lines(50, (i) => (i % 11 === 0 ? `LINE ${i} changed` : `line ${i}`)));
  const bin = Buffer.alloc(70_000);
  for (let i = 0; i < bin.length; i++) bin[i] = (i * 131 + (i >>> 7)) & 0xff;
  writeFileSync(join(dir, 'data.bin'), bin);
  mkdirSync(join(dir, 'tree/sub/deeper'), { recursive: true });
  writeFileSync(join(dir, 'tree/one.txt'), 'one\nneedle here\n');
  writeFileSync(join(dir, 'tree/sub/two.txt'), 'two\nno match\n');
  writeFileSync(join(dir, 'tree/sub/deeper/three.txt'), 'three\nneedle again\n');
  symlinkSync('one.txt', join(dir, 'tree/link-to-one'));
  stampTree(dir);
}

/** Give every entry the fixed timestamp, deepest first so directory mtimes stick. */
function stampTree(dir: string): void {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = lstatSync(p);
    if (st.isDirectory()) stampTree(p);
    if (!st.isSymbolicLink()) utimesSync(p, STAMP, STAMP);
  }
  utimesSync(dir, STAMP, STAMP);
}

/** Everything observable about a tree except inode numbers and directory timestamps. */
function snapshot(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(dir, rel)).sort()) {
    const r = rel ? `${rel}/${name}` : name;
    const p = join(dir, r);
    const st = lstatSync(p);
    const mode = (st.mode & 0o7777).toString(8);
    if (st.isSymbolicLink()) out.push(`${r} -> ${readlinkSync(p)}`);
    else if (st.isDirectory()) out.push(`${r}/ ${mode}`, ...snapshot(dir, r));
    else {
      const hash = createHash('sha256').update(readFileSync(p)).digest('hex').slice(0, 16);
      // Prepared or deliberately set times are compared; "now" differs between the runs by nature.
      const mtime = st.mtimeMs < Date.UTC(2020, 0, 1) || st.mtimeMs === STAMP.getTime() ? String(Math.floor(st.mtimeMs / 1000)) : 'recent';
      out.push(`${r} ${mode} ${st.size} ${hash} ${mtime}`);
    }
  }
  return out;
}

/** Two identical work trees under one fresh root. */
function workTrees(): { a: string; b: string } {
  const root = mkdtempSync(join(tmpdir(), 'elfuse-applets-'));
  roots.push(root);
  const a = join(root, 'elfuse');
  const b = join(root, 'qemu');
  for (const d of [a, b]) {
    mkdirSync(d);
    populate(d);
  }
  return { a, b };
}

interface Case {
  /** Applet command line (after `busybox`), relative to the work tree. */
  args: string[];
  input?: string;
  /** A shell-free sequence: further command lines run after the first, in the same tree. */
  then?: string[][];
  /** Compare the trees afterwards (for applets that write). */
  tree?: boolean;
}

function withWorkPath(r: RunResult, dir: string): RunResult {
  return { ...r, stdout: Buffer.from(r.stdout.toString('latin1').replaceAll(dir, '<work>'), 'latin1') };
}

async function check(ctx: TestContext, c: Case): Promise<void> {
  requireReferences(ctx, [QEMU_REF, BUSYBOX_REF]);
  const { a, b } = workTrees();
  for (const args of [c.args, ...(c.then ?? [])]) {
    const [elfuse, qemu] = await Promise.all([
      runElfuse([BUSYBOX, ...args], { cwd: a, input: c.input }),
      runQemu([BUSYBOX, ...args], { cwd: b, input: c.input }),
    ]);
    // The two work trees differ only in their own path, which absolute output may show.
    expectSameRun(withWorkPath(elfuse, a), withWorkPath(qemu, b));
  }
  if (c.tree) expect(snapshot(a)).toEqual(snapshot(b));
}

const CASES: Record<string, Case> = {
  'ls -la tree': { args: ['ls', '-la', '--full-time', 'tree'] },
  'ls -lR tree': { args: ['ls', '-lR', '--full-time', 'tree'] },
  'find tree -type f': { args: ['find', 'tree', '-type', 'f'] },
  'find tree -name *.txt -newer': { args: ['find', 'tree', '-name', '*.txt'] },
  'stat -c': { args: ['stat', '-c', '%n %s %a %F %Y', 'a.txt', 'tree', 'tree/link-to-one'] },
  'du -a tree': { args: ['du', '-a', 'tree'] },
  'sort': { args: ['sort', 'words.txt'] },
  'sort -n -k2 -u': { args: ['sort', '-n', '-k2', '-u', 'words.txt'] },
  'sort | uniq -c (stdin)': { args: ['uniq', '-c'], input: ['a', 'a', 'b', 'c', 'c', 'c', 'a'].join('\n') + '\n' },
  'tr a-z A-Z': { args: ['tr', 'a-z', 'A-Z'], input: 'hello, world\nsecond line\n' },
  'tr -d': { args: ['tr', '-d', 'aeiou'], input: 'the quick brown fox\n' },
  'sed s///g': { args: ['sed', '-e', 's/line/LINE/g', '-e', '5,9d', 'a.txt'] },
  'sed -n p': { args: ['sed', '-n', '/changed/p', 'b.txt'] },
  'awk sum': { args: ['awk', '-F,', '{ s += $3; n[$4]++ } END { print s, n["odd"], n["even"] }', 'table.csv'] },
  'awk printf': { args: ['awk', '-F,', '$1 % 7 == 0 { printf "%-6s|%5.2f\\n", $2, $3 / 3 }', 'table.csv'] },
  'grep -r': { args: ['grep', '-r', 'needle', 'tree'] },
  'grep -c -v': { args: ['grep', '-c', '-v', 'e', 'words.txt'] },
  'cut -d, -f2,4': { args: ['cut', '-d,', '-f2,4', 'table.csv'] },
  'od -A x -t x1z': { args: ['od', '-A', 'x', '-t', 'x1z', '-N', '96', 'data.bin'] },
  'md5sum': { args: ['md5sum', 'a.txt', 'data.bin'] },
  'sha1sum': { args: ['sha1sum', 'a.txt', 'data.bin'] },
  'sha512sum': { args: ['sha512sum', 'a.txt', 'data.bin'] },
  'base64': { args: ['base64', 'data.bin'] },
  'base64 -d': { args: ['base64', '-d'], input: Buffer.from(lines(30, (i) => `decoded line ${i}`)).toString('base64') },
  'gzip/gunzip round trip': { args: ['gzip', '-k', '-9', 'data.bin'], then: [['gunzip', '-c', 'data.bin.gz']], tree: true },
  'bzip2 round trip': { args: ['bzip2', '-k', 'words.txt'], then: [['bzip2', '-d', '-c', 'words.txt.bz2']], tree: true },
  'tar c/x round trip': { args: ['tar', '-cf', 'tree.tar', 'tree'], then: [['tar', '-tvf', 'tree.tar'], ['mkdir', 'out'], ['tar', '-xf', 'tree.tar', '-C', 'out']], tree: true },
  'cp -r': { args: ['cp', '-r', 'tree', 'copy'], then: [['ls', '-lR', 'copy']], tree: true },
  'cp -a keeps times': { args: ['cp', '-a', 'tree', 'copy'], tree: true },
  'mv': { args: ['mv', 'a.txt', 'tree/sub/moved.txt'], tree: true },
  'rm -r': { args: ['rm', '-r', 'tree/sub'], tree: true },
  'rm of a missing file fails': { args: ['rm', 'nonexistent'] },
  'mkdir -p': { args: ['mkdir', '-p', 'x/y/z'], then: [['mkdir', 'x']], tree: true },
  'ln -s': { args: ['ln', '-s', '../a.txt', 'tree/alink'], then: [['cat', 'tree/alink']], tree: true },
  'readlink -f': { args: ['readlink', '-f', 'tree/link-to-one'] },
  'touch -d': { args: ['touch', '-d', '2001-02-03 04:05:06', 'a.txt', 'new.txt'], then: [['stat', '-c', '%n %Y %s', 'a.txt', 'new.txt']], tree: true },
  'date -u -d @0': { args: ['date', '-u', '-d', '@0'] },
  'date -u -d @1234567890 +format': { args: ['date', '-u', '-d', '@1234567890', '+%Y-%m-%d %H:%M:%S %j %a'] },
  'dd': { args: ['dd', 'if=data.bin', 'of=part.bin', 'bs=1000', 'skip=3', 'count=7'], tree: true },
  'dd conv=ucase': { args: ['dd', 'conv=ucase', 'status=none'], input: 'shout this\n' },
  'diff -u': { args: ['diff', '-u', 'a.txt', 'b.txt'] },
  'diff of equal files': { args: ['diff', 'a.txt', 'a.txt'] },
  'cmp': { args: ['cmp', 'a.txt', 'b.txt'] },
  'cmp -l': { args: ['cmp', '-l', 'a.txt', 'b.txt'] },
  'split': { args: ['split', '-l', '60', 'words.txt', 'part-'], tree: true },
  'xxd': { args: ['xxd', '-l', '200', 'data.bin'] },
  'xxd -r -p': { args: ['xxd', '-r', '-p'], input: '68656c6c6f2c2078786420726576657273650a' },
  'wc': { args: ['wc', 'words.txt', 'table.csv'] },
  'head -c / tail -n': { args: ['tail', '-n', '7', 'words.txt'] },
  'nl and paste': { args: ['paste', '-d:', 'a.txt', 'b.txt'] },
};

describe('busybox-static applets: elfuse vs qemu-aarch64', () => {
  test('has at least 40 applet cases', () => {
    expect(Object.keys(CASES).length).toBeGreaterThanOrEqual(40);
  });

  test.for(Object.entries(CASES))('%s', ([, c], ctx) => check(ctx, c));
});
