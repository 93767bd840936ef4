/**
 * The mm syscalls through the syscall table, on real host files: MAP_SHARED
 * file mappings written back by msync and munmap (never past the file's
 * size), kept coherent with write()/pwrite() and read()/pread() of the same
 * file, surviving close() of their descriptor; mremap, msync and mincore
 * argument checking as mremap(2), msync(2) and mincore(2) describe.
 */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/domain/kernel/errno.js';
import { SCRATCH, makeHarness } from './harness.js';

const err = (e: number) => BigInt(-e);
const PAGE = 4096;
const O_RDWR = 2;
const MAP_SHARED = 1;
const RW = 3;

async function sharedFile(size: number) {
  const h = makeHarness();
  const dir = mkdtempSync(join(tmpdir(), 'elfuse-mm-'));
  const file = join(dir, 'f');
  writeFileSync(file, new Uint8Array(size).map((_, i) => (i * 7 + 3) & 0xff));
  const fd = Number(await h.sys('openat', -100, h.cstr(file), O_RDWR, 0));
  return { h, file, fd };
}

describe('MAP_SHARED file mappings', () => {
  it('stores reach the file on msync and munmap, never past its size', async () => {
    const { h, file, fd } = await sharedFile(5000);
    const va = Number(await h.sys('mmap', 0, 2 * PAGE, RW, MAP_SHARED, fd, 0));
    h.write(va + 10, new TextEncoder().encode('hello'));
    h.write(va + 4999, new Uint8Array([0x41, 0x42])); // the second byte is past EOF
    expect(readFileSync(file).subarray(10, 15).toString()).not.toBe('hello');
    expect(await h.sys('msync', va, 2 * PAGE, 4 /* MS_SYNC */)).toBe(0n);
    expect(readFileSync(file).subarray(10, 15).toString()).toBe('hello');
    expect(readFileSync(file)[4999]).toBe(0x41);
    expect(statSync(file).size).toBe(5000);
    h.write(va + 20, new TextEncoder().encode('bye'));
    expect(await h.sys('close', fd)).toBe(0n); // the mapping keeps the file
    h.write(va + 30, new TextEncoder().encode('!'));
    expect(await h.sys('munmap', va, 2 * PAGE)).toBe(0n);
    const after = readFileSync(file);
    expect(after.subarray(20, 23).toString()).toBe('bye');
    expect(after.subarray(30, 31).toString()).toBe('!');
    expect(after.length).toBe(5000);
  });

  it('write() and pwrite() show in the mapping; read() sees the mapping', async () => {
    const { h, fd } = await sharedFile(2 * PAGE);
    const va = Number(await h.sys('mmap', 0, 2 * PAGE, RW, MAP_SHARED, fd, 0));
    expect(h.read(va, 1)[0]).toBe(3);
    h.write(SCRATCH, new TextEncoder().encode('WRITTEN'));
    expect(await h.sys('pwrite64', fd, SCRATCH, 7, PAGE + 5)).toBe(7n);
    expect(new TextDecoder().decode(h.read(va + PAGE + 5, 7))).toBe('WRITTEN');
    h.write(va + 100, new TextEncoder().encode('MAPPED'));
    expect(await h.sys('pread64', fd, SCRATCH + 0x100, 6, 100)).toBe(6n);
    expect(new TextDecoder().decode(h.read(SCRATCH + 0x100, 6))).toBe('MAPPED');
    // A second mapping of the same file shares the pages.
    const va2 = Number(await h.sys('mmap', 0, PAGE, 1, MAP_SHARED, fd, 0));
    expect(new TextDecoder().decode(h.read(va2 + 100, 6))).toBe('MAPPED');
  });

  it('fallocate PUNCH_HOLE zeroes show in the mapping, as written zeros do', async () => {
    const { h, fd } = await sharedFile(2 * PAGE);
    const va = Number(await h.sys('mmap', 0, 2 * PAGE, RW, MAP_SHARED, fd, 0));
    expect(h.read(va + PAGE + 1, 1)[0]).toBe(((PAGE + 1) * 7 + 3) & 0xff);
    // FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE over [PAGE, PAGE + 100)
    expect(await h.sys('fallocate', fd, 3, PAGE, 100)).toBe(0n);
    expect(Array.from(h.read(va + PAGE, 100)).every((b) => b === 0)).toBe(true);
    expect(h.read(va + PAGE + 100, 1)[0]).toBe(((PAGE + 100) * 7 + 3) & 0xff);
  });
});

describe('mremap, msync, mincore arguments', () => {
  it('return the errno values of the man pages', async () => {
    const h = makeHarness();
    const va = Number(await h.sys('mmap', 0, 4 * PAGE, RW, 0x22, -1, 0));
    expect(await h.sys('mremap', va, PAGE, PAGE, 0x40, 0)).toBe(err(Errno.EINVAL));
    expect(await h.sys('mremap', va, PAGE, PAGE, 2 /* MREMAP_FIXED */, va + 8 * PAGE)).toBe(err(Errno.EINVAL));
    expect(await h.sys('mremap', va, 8 * PAGE, 9 * PAGE, 1, 0)).toBe(err(Errno.EFAULT));
    expect(await h.sys('mremap', va, 4 * PAGE, 2 * PAGE, 0, 0)).toBe(BigInt(va));
    expect(await h.sys('msync', va, PAGE, 5)).toBe(err(Errno.EINVAL));
    expect(await h.sys('msync', va, 4 * PAGE, 4)).toBe(err(Errno.ENOMEM));
    h.write(va, new Uint8Array([1]));
    expect(await h.sys('mincore', va, 2 * PAGE, SCRATCH)).toBe(0n);
    expect([...h.read(SCRATCH, 2)]).toEqual([1, 0]);
    expect(await h.sys('mincore', va, 2 * PAGE, 0x10)).toBe(err(Errno.EFAULT));
    expect(await h.sys('mincore', va, 4 * PAGE, SCRATCH)).toBe(err(Errno.ENOMEM));
  });
});
