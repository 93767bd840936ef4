/**
 * Real-world guest: Debian's busybox-static (arm64), fetched by
 * scripts/fetch-arm64-debs.sh. Each applet runs under elfuse and under
 * qemu-aarch64; stdout must be byte-identical and the exit status equal.
 * sha256sum is also checked against the host's sha256sum.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test, type TestContext } from 'vitest';
import { BUSYBOX, BUSYBOX_REF, FULL, QEMU_REF, expectSameRun, requireReferences, run, runBoth, type RunOptions, type RunResult } from './helpers.js';

let dir = '';
let file = '';
let bigFile = '';

/** 500 numbered lines of varying length: deterministic, and not a multiple of any buffer size. */
function textContent(): string {
  const lines: string[] = [];
  for (let i = 1; i <= 500; i++) lines.push(`line ${i}: ${'abcdefghij'.repeat(i % 13)}|`);
  return `${lines.join('\n')}\n`;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'elfuse-busybox-'));
  file = join(dir, 'FILE.txt');
  writeFileSync(file, textContent());
  bigFile = join(dir, 'big.bin');
  const big = Buffer.alloc(FULL ? 4 << 20 : 256 << 10);
  for (let i = 0; i < big.length; i++) big[i] = (i * 131 + (i >>> 9)) & 0xff;
  writeFileSync(bigFile, big);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function applet(ctx: TestContext, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  requireReferences(ctx, [QEMU_REF, BUSYBOX_REF]);
  const { elfuse, qemu } = await runBoth([BUSYBOX, ...args], opts);
  expectSameRun(elfuse, qemu);
  return qemu;
}

describe('busybox-static: elfuse vs qemu-aarch64', () => {
  test('echo hello', async (ctx) => {
    const r = await applet(ctx, ['echo', 'hello']);
    expect(r.stdout.toString()).toBe('hello\n');
  });

  test('true', async (ctx) => {
    expect((await applet(ctx, ['true'])).status).toBe(0);
  });

  test('false exits 1', async (ctx) => {
    expect((await applet(ctx, ['false'])).status).toBe(1);
  });

  test('basename /a/b/c', async (ctx) => {
    expect((await applet(ctx, ['basename', '/a/b/c'])).stdout.toString()).toBe('c\n');
  });

  test('expr 6 * 7', async (ctx) => {
    expect((await applet(ctx, ['expr', '6', '*', '7'])).stdout.toString()).toBe('42\n');
  });

  test('seq 1 5', async (ctx) => {
    expect((await applet(ctx, ['seq', '1', '5'])).stdout.toString()).toBe('1\n2\n3\n4\n5\n');
  });

  test('cat FILE', (ctx) => applet(ctx, ['cat', file]));

  test('cat from stdin', (ctx) => applet(ctx, ['cat'], { input: textContent() }));

  test('wc -l FILE', async (ctx) => {
    expect((await applet(ctx, ['wc', '-l', file])).stdout.toString()).toBe(`500 ${file}\n`);
  });

  test('head -n 3 FILE', (ctx) => applet(ctx, ['head', '-n', '3', file]));

  test('uname -m', async (ctx) => {
    expect((await applet(ctx, ['uname', '-m'])).stdout.toString()).toBe('aarch64\n');
  });

  // find prints entries in the directory's own order (getdents64), not sorted:
  // elfuse must pass the host filesystem's order through, as Linux does.
  test('find DIR lists entries in directory order', (ctx) => {
    const tree = join(dir, 'tree');
    mkdirSync(join(tree, 'sub'), { recursive: true });
    for (const name of ['zeta', 'alpha', 'mid', 'B', 'sub/inner', '.hidden']) writeFileSync(join(tree, name), name);
    return applet(ctx, ['find', tree]);
  });

  test('cat of a missing file exits 1', async (ctx) => {
    expect((await applet(ctx, ['cat', join(dir, 'nope')])).status).toBe(1);
  });

  test.for([
    ['FILE', () => file],
    ['a binary file', () => bigFile],
  ] as const)('sha256sum %s matches qemu and the host', async ([, path], ctx) => {
    const qemu = await applet(ctx, ['sha256sum', path()]);
    const host = await run('sha256sum', [path()]);
    expect(host.status).toBe(0);
    expect(qemu.stdout.toString()).toBe(host.stdout.toString());
  });
});
