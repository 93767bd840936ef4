/**
 * The walk against a host process that swaps a sysroot directory with a
 * symlink (renameat2 RENAME_EXCHANGE, in a loop) while the guest opens a
 * file under it. The symlink names the host's decoy directory by its host
 * path, which the host kernel would follow if it were ever asked to: a
 * walk that checks a path and then lets the host open it by name reads the
 * decoy about one time in ten. Each open must give the sysroot's file or
 * fail; the decoy's bytes must never come back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { makeHarness, SCRATCH } from './harness.js';

const ADDON = fileURLToPath(new URL('../../src/adapters/host-node/native/build/Release/elfuse_posix.node', import.meta.url));
const AT_FDCWD = -100;
const BUF = SCRATCH + 0x8000;

let top = '';
let swapper: ChildProcess | null = null;

afterAll(() => {
  swapper?.kill('SIGKILL');
  if (top) rmSync(top, { recursive: true, force: true });
});

/** A host process exchanging `a` and `b` as fast as it can, until killed. */
function startSwapper(a: string, b: string): ChildProcess {
  const script = `
    const n = require(${JSON.stringify(ADDON)});
    const AT_FDCWD = n.constants.AT_FDCWD;
    process.stdout.write('ready\\n');
    for (;;) n.renameat(AT_FDCWD, ${JSON.stringify(a)}, AT_FDCWD, ${JSON.stringify(b)}, 2);
  `;
  return spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
}

describe('--sysroot against a racing host process', () => {
  it('an open under a directory swapped with a symlink never reads the host file', async () => {
    top = mkdtempSync(join(tmpdir(), 'elfuse-race-'));
    const hostDir = join(top, 'host');
    const sysroot = join(top, 'sr');
    mkdirSync(join(hostDir, 'd'), { recursive: true });
    writeFileSync(join(hostDir, 'd/secret.txt'), 'DECOY\n');
    const mirror = join(sysroot, hostDir);
    mkdirSync(join(mirror, 'd'), { recursive: true });
    writeFileSync(join(mirror, 'd/secret.txt'), 'sysroot\n');
    // The swap partner: a symlink whose target, followed by the host, is the decoy directory.
    symlinkSync(join(hostDir, 'd'), join(mirror, 'swap'));

    swapper = startSwapper(join(mirror, 'd'), join(mirror, 'swap'));
    await new Promise<void>((resolve, reject) => {
      swapper!.stdout!.once('data', () => resolve());
      swapper!.once('exit', (code) => reject(new Error(`swapper exited with ${code}`)));
    });

    const h = makeHarness({ sysroot });
    const path = h.cstr(join(hostDir, 'd/secret.txt'));
    const outcomes = new Map<string, number>();
    const deadline = Date.now() + 4000;
    let opens = 0;
    try {
      while (Date.now() < deadline || opens < 2000) {
        opens++;
        const fd = BigInt.asIntN(64, await h.sys('openat', AT_FDCWD, path, 0, 0));
        let outcome: string;
        if (fd < 0n) {
          outcome = `errno ${-fd}`;
        } else {
          const n = Number(await h.sys('read', fd, BUF, 64));
          outcome = Buffer.from(h.read(BUF, n)).toString();
          await h.sys('close', fd);
        }
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        if (opens > 200_000) break;
      }
    } finally {
      swapper.kill('SIGKILL');
      h.task.fsContext.dispose();
    }
    const summary = JSON.stringify(Object.fromEntries(outcomes));
    expect(outcomes.get('DECOY\n') ?? 0, summary).toBe(0);
    // The race was real: the guest saw the directory, and saw it swapped away.
    expect(outcomes.get('sysroot\n') ?? 0, summary).toBeGreaterThan(0);
    expect([...outcomes.keys()].some((k) => k.startsWith('errno')), summary).toBe(true);
    console.log(`race: ${opens} opens, ${summary}`);
  }, 60_000);
});
