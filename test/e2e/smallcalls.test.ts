/**
 * The remaining small calls of issue 9, each a guest program compared with
 * the same source built natively with gcc and run on this machine's kernel
 * (qemu-user passes these calls to the host or lacks them): capget/capset
 * and the capability sets in /proc/self/status (caps.c), fchmodat2
 * (fchmodat2.c), prctl(PR_SET_VMA_ANON_NAME) (vmaname.c), /proc/self/limits
 * and the OOM files (proclimits.c), smaps and smaps_rollup (smaps.c), the
 * xattr family on the host's attributes (xattr.c). The programs
 * print results only, so the outputs must be equal byte for byte. CI runs
 * as root, where the capability sets are not empty.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test, type TestContext } from 'vitest';
import { hasTools } from '../support/toolchain.js';
import { GUESTS_REF, ROOT, guest, requireReferences, run, runElfuse } from './helpers.js';

let dir = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'elfuse-smallcalls-'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Builds guests/src/NAME.c natively; fails (or skips where allowed) without gcc on Linux. */
function nativeBuild(ctx: TestContext, name: string): string {
  if (process.platform !== 'linux' || !hasTools('gcc')) {
    const why = 'needs a Linux host with gcc for the native reference (apt-get install gcc)';
    if (process.env.ELFUSE_ALLOW_MISSING_REFS === '1') ctx.skip(why);
    throw new Error(why);
  }
  const out = join(dir, name);
  execFileSync('gcc', ['-O1', '-Wall', '-o', out, join(ROOT, `guests/src/${name}.c`)], { stdio: 'ignore' });
  return out;
}

/** Runs the native build of guests/src/NAME.c. */
async function runNative(ctx: TestContext, name: string, args: readonly string[] = []): Promise<string> {
  const linux = await run(nativeBuild(ctx, name), [...args]);
  expect(linux.status, linux.stderr.toString()).toBe(0);
  return linux.stdout.toString();
}

/** Runs the guest under elfuse and natively with the same arguments; returns elfuse's output after comparing. */
async function sameAsNative(ctx: TestContext, name: string, args: readonly string[] = []): Promise<string> {
  requireReferences(ctx, [GUESTS_REF, { path: guest(name), fix: 'bash scripts/build-guests.sh' }]);
  const native = nativeBuild(ctx, name);
  const elfuse = await runElfuse([guest(name), ...args]);
  const linux = await run(native, [...args]);
  expect(linux.status, linux.stderr.toString()).toBe(0);
  expect(elfuse.stderr.toString()).toBe('');
  expect(elfuse.stdout.toString()).toBe(linux.stdout.toString());
  expect(elfuse.status).toBe(0);
  return elfuse.stdout.toString();
}

describe('small calls of issue 9: elfuse vs the host kernel', () => {
  test('capget, capset, the sets across setuid and keepcaps, /proc/self/status', async (ctx) => {
    const out = await sameAsNative(ctx, 'caps');
    expect(out).toContain('capget probe (version 0, data NULL): 0, version now 0x20080522');
  });

  test('fchmodat2: flags, symlinks (EOPNOTSUPP), AT_EMPTY_PATH', async (ctx) => {
    const work = mkdtempSync(join(dir, 'chmod-'));
    const out = await sameAsNative(ctx, 'fchmodat2', [work]);
    expect(out).toContain('fchmodat2 link 0600, AT_SYMLINK_NOFOLLOW: -1 EOPNOTSUPP');
  });

  test('PR_SET_VMA_ANON_NAME: [anon:NAME] in /proc/self/maps, splits and merges, the checks', async (ctx) => {
    requireReferences(ctx, [GUESTS_REF, { path: guest('vmaname'), fix: 'bash scripts/build-guests.sh' }]);
    const work = mkdtempSync(join(dir, 'vma-'));
    const elfuse = await runElfuse([guest('vmaname'), work]);
    expect(elfuse.stderr.toString()).toBe('');
    expect(elfuse.status).toBe(0);
    const native = await runNative(ctx, 'vmaname', [work]);
    // A kernel without CONFIG_ANON_VMA_NAME (this machine's) answers EINVAL to every name; the
    // expected text was then worked out from mm/madvise.c and fs/proc/task_mmu.c, and its
    // lines that do not depend on naming are checked against the native run.
    if (native.includes('name pages 2..4 "buf": 0')) {
      expect(elfuse.stdout.toString()).toBe(native);
    } else {
      const expected = readFileSync(join(ROOT, 'guests/src/vmaname.expected'), 'utf8');
      expect(elfuse.stdout.toString()).toBe(expected);
      const start = (text: string): string => text.slice(0, text.indexOf('name pages'));
      expect(start(expected)).toBe(start(native));
    }
  });

  test('/proc/self/limits after setrlimit; oom_score_adj, oom_adj, oom_score', async (ctx) => {
    const out = await sameAsNative(ctx, 'proclimits');
    expect(out).toContain('Max open files            100                  512                  files     \n');
  });

  test('/proc/self/smaps and smaps_rollup: fields, order, values for known mappings', async (ctx) => {
    const work = mkdtempSync(join(dir, 'smaps-'));
    const out = await sameAsNative(ctx, 'smaps', [work]);
    expect(out).toContain('  VmFlags: rd wr sh mr mw me ms \n');
  });

  test('the xattr family: values, sizes, flags, names, symlinks, descriptors, /proc', async (ctx) => {
    const work = mkdtempSync(join(dir, 'xattr-'));
    const out = await sameAsNative(ctx, 'xattr', [work]);
    expect(out, `${tmpdir()} must be on a filesystem with user.* extended attributes (ext4, xfs, btrfs, tmpfs >= 6.6)`).toContain('getxattr f user.a: 5 [hello]');
  });
});
