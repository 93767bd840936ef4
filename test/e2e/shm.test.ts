/**
 * Shared memory stays shared (guests/src/shm.c): MAP_SHARED anonymous memory
 * and /dev/zero, MAP_SHARED files, POSIX shm_open objects in /dev/shm and
 * SysV segments, across fork, between a guest and another host process, and
 * after exit. Every run is compared byte for byte with a reference:
 * qemu-aarch64 running the same binary, or, for SysV shm (qemu-user keeps
 * its own view of attaches), the same source built with the host's gcc and
 * run on this machine's kernel.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { QEMU, QEMU_REF, ROOT, expectSameRun, guest, requireReferences, run, runBoth, runElfuse, runQemu, type Reference } from './helpers.js';

const SHM: Reference = { path: guest('shm'), fix: 'bash scripts/build-guests.sh' };
const ELFUSE = [process.execPath, join(ROOT, 'bin/elfuse.js'), '--backend', 'interp'];

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'elfuse-shm-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('shared memory across fork', () => {
  test('MAP_SHARED|MAP_ANONYMOUS and /dev/zero are shared with the child, MAP_PRIVATE is not; mprotect and munmap of parts keep the rest shared', async (ctx) => {
    requireReferences(ctx, [QEMU_REF, SHM]);
    const { elfuse, qemu } = await runBoth([SHM.path, 'anon']);
    expectSameRun(elfuse, qemu);
    expect(elfuse.stdout.toString()).toContain('parent sees "written by child"');
  });

  test('a MAP_SHARED file: the child writes, the parent sees it in the mapping and through read(2), and what is left mapped reaches the file at exit', async (ctx) => {
    requireReferences(ctx, [QEMU_REF, SHM]);
    const [ef, qf] = [join(dir, 'elfuse-file'), join(dir, 'qemu-file')];
    const [elfuse, qemu] = await Promise.all([runElfuse([SHM.path, 'file', ef]), runQemu([SHM.path, 'file', qf])]);
    expectSameRun(elfuse, qemu);
    expect(elfuse.stdout.toString()).toContain('read(2) sees "child wrote through the mapping"');
    const [eb, qb] = [readFileSync(ef), readFileSync(qf)];
    expect(eb.toString('latin1')).toBe(qb.toString('latin1'));
    expect(eb.subarray(100, 113).toString()).toBe('left for exit');
  });

  test('atomics between processes on MAP_SHARED memory: LDXR/STXR, LDXP/STXP, LDADD, SWP and a CAS spinlock lose no update while three children race', async (ctx) => {
    requireReferences(ctx, [QEMU_REF, SHM]);
    const { elfuse, qemu } = await runBoth([SHM.path, 'atomics']);
    expectSameRun(elfuse, qemu);
    expect(elfuse.stdout.toString()).not.toContain('LOST UPDATES');
    expect(elfuse.stdout.toString()).toContain('CAS spinlock, plain counter under it: 180000 (exact)');
  });

  test('shm_open, ftruncate and mmap in /dev/shm across fork, and shm_unlink', async (ctx) => {
    requireReferences(ctx, [QEMU_REF, SHM]);
    const { elfuse, qemu } = await runBoth([SHM.path, 'posix']);
    expectSameRun(elfuse, qemu);
    expect(elfuse.stdout.toString()).toContain('parent sees "child" and "child, second mapping"');
  });

  test('SysV shm: shmget/shmat/shmdt/shmctl across fork as this machine kernel does them', async (ctx) => {
    requireReferences(ctx, [SHM]);
    let cc: string | null = null;
    for (const c of ['cc', 'gcc']) {
      try {
        execFileSync(c, ['--version'], { stdio: 'ignore' });
        cc = c;
        break;
      } catch {
        // try the next
      }
    }
    if (cc === null) throw new Error('needs a Linux host with a C compiler for the native reference: apt-get install gcc');
    const native = join(dir, 'shm-native');
    execFileSync(cc, ['-O1', '-o', native, join(ROOT, 'guests/src/shm.c')]);
    const [elfuse, ref] = await Promise.all([runElfuse([SHM.path, 'sysv']), run(native, ['sysv'])]);
    expectSameRun(elfuse, ref);
    expect(elfuse.stdout.toString()).toContain('child with two attaches: segsz 10000 nattch 3');
  });
});

/**
 * The guest maps a file shared and waits; this test (another host process)
 * reads what the guest wrote through the file while the guest still runs,
 * then writes through the file, and the guest must see it in its mapping.
 */
async function watch(command: readonly string[], path: string): Promise<{ stdout: string; sawMapped: string; status: number | null }> {
  const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let sawMapped = '';
  const ready = new Promise<void>((resolve) =>
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString('latin1');
      if (stdout.includes('ready\n')) resolve();
    }),
  );
  const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await Promise.race([ready, closed]);
  if (existsSync(path)) {
    sawMapped = readFileSync(path).subarray(0, 6).toString('latin1');
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.from('B'), 0, 1, 100);
    closeSync(fd);
  }
  const status = await closed;
  clearTimeout(timer);
  return { stdout, sawMapped, status };
}

test('a MAP_SHARED file mapping and another host process see each other\'s writes while both run', async (ctx) => {
  requireReferences(ctx, [QEMU_REF, SHM]);
  const [ef, qf] = [join(dir, 'elfuse-watch'), join(dir, 'qemu-watch')];
  const [elfuse, qemu] = await Promise.all([watch([...ELFUSE, SHM.path, 'watch', ef], ef), watch([QEMU, SHM.path, 'watch', qf], qf)]);
  expect(qemu.stdout).toBe('ready\nsaw B from the other process\n');
  expect(qemu.sawMapped).toBe('mapped');
  expect(elfuse.stdout).toBe(qemu.stdout);
  expect(elfuse.sawMapped, 'the guest\'s write is in the file before any msync or exit').toBe(qemu.sawMapped);
  expect(elfuse.status).toBe(qemu.status);
});
