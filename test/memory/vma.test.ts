/**
 * The AddressSpace's VMA surgery and demand paging, case by case: every way
 * mprotect, munmap, MAP_FIXED and mremap cut a mapping (head, tail, middle,
 * whole, across several VMAs), file offsets following the cuts, pages
 * brought in lazily from a file (partial last page zeroed, SIGBUS past the
 * end), one page cache shared by every MAP_SHARED mapping of a file and
 * written back on msync, munmap and exit (never past the file's size), and
 * MADV_DONTNEED's three behaviours. Expected values follow mmap(2),
 * mprotect(2), mremap(2), msync(2), mincore(2) and madvise(2).
 */
import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/domain/kernel/errno.js';
import { MAP_ANONYMOUS, MAP_FIXED, MAP_PRIVATE, MAP_SHARED, PROT_NONE, PROT_READ, PROT_WRITE } from '../../src/domain/kernel/linux-abi.js';
import { MREMAP_DONTUNMAP, MREMAP_FIXED, MREMAP_MAYMOVE, MS_ASYNC, MS_SYNC, type PageSource } from '../../src/domain/memory/address-space.js';
import { memStack } from './ram.js';

const PAGE = 4096;
const RW = PROT_READ | PROT_WRITE;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;
const A = 0x400000;
const R = { write: false, exec: false };
const W = { write: true, exec: false };

/** A file in memory: what the kernel layer's host file would be. */
class FakeFile implements PageSource {
  released = 0;
  writes: [number, number][] = [];
  constructor(public data: Uint8Array) {}
  read(buf: Uint8Array, offset: number): number {
    const n = Math.max(0, Math.min(buf.length, this.data.length - offset));
    buf.set(this.data.subarray(offset, offset + n));
    return n;
  }
  write(d: Uint8Array, offset: number): void {
    this.writes.push([offset, d.length]);
    if (offset + d.length > this.data.length) {
      const grown = new Uint8Array(offset + d.length);
      grown.set(this.data);
      this.data = grown;
    }
    this.data.set(d, offset);
  }
  size(): number {
    return this.data.length;
  }
  release(): void {
    this.released++;
  }
}

const pattern = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) & 0xff);
const layout = (as: ReturnType<typeof memStack>['as']) => as.vmas.map((v) => [v.start - A, v.end - A, v.prot, v.offset]);

describe('VMA splits', () => {
  const cases: [string, number, number, (number[])[]][] = [
    ['head', 0, 1, [[0, PAGE, PROT_READ, 0], [PAGE, 4 * PAGE, RW, 0]]],
    ['tail', 3, 1, [[0, 3 * PAGE, RW, 0], [3 * PAGE, 4 * PAGE, PROT_READ, 0]]],
    ['middle', 1, 2, [[0, PAGE, RW, 0], [PAGE, 3 * PAGE, PROT_READ, 0], [3 * PAGE, 4 * PAGE, RW, 0]]],
    ['whole', 0, 4, [[0, 4 * PAGE, PROT_READ, 0]]],
  ];
  it.each(cases)('mprotect of the %s', (_, first, n, want) => {
    const { as, mem } = memStack();
    as.mmapAnonymous(A, 4 * PAGE, RW, ANON | MAP_FIXED);
    mem.write(A, new Uint8Array(4 * PAGE).fill(5));
    expect(as.mprotect(A + first * PAGE, n * PAGE, PROT_READ)).toBe(0);
    expect(layout(as)).toEqual(want);
    for (let p = 0; p < 4; p++) {
      const ro = p >= first && p < first + n;
      expect(as.pageTable.translate(A + p * PAGE)?.perms.write).toBe(!ro);
      expect(mem.read(A + p * PAGE, 1)[0]).toBe(5);
    }
  });

  it.each(cases)('munmap of the %s', (_, first, n) => {
    const { as, frames } = memStack();
    as.mmapAnonymous(A, 4 * PAGE, RW, ANON | MAP_FIXED);
    as.populate(A, A + 4 * PAGE, true);
    const used = frames.inUse;
    expect(as.munmap(A + first * PAGE, n * PAGE)).toBe(0);
    for (let p = 0; p < 4; p++) {
      const gone = p >= first && p < first + n;
      expect(as.vmaAt(A + p * PAGE) === undefined).toBe(gone);
      expect(as.pageTable.translate(A + p * PAGE) === null).toBe(gone);
    }
    expect(frames.inUse).toBeLessThanOrEqual(used - n); // table pages may go too
    expect(as.residentPages).toBe(4 - n);
  });

  it.each(cases)('MAP_FIXED over the %s gives fresh zero pages there only', (_, first, n) => {
    const { as, mem } = memStack();
    as.mmapAnonymous(A, 4 * PAGE, RW, ANON | MAP_FIXED);
    mem.write(A, new Uint8Array(4 * PAGE).fill(7));
    expect(as.mmapAnonymous(A + first * PAGE, n * PAGE, PROT_READ, ANON | MAP_FIXED)).toBe(A + first * PAGE);
    for (let p = 0; p < 4; p++) {
      const fresh = p >= first && p < first + n;
      expect(mem.read(A + p * PAGE + 9, 1)[0]).toBe(fresh ? 0 : 7);
      expect(as.vmaAt(A + p * PAGE)?.prot).toBe(fresh ? PROT_READ : RW);
    }
  });

  it('mprotect and munmap across several VMAs cut both ends and keep the inside', () => {
    const { as } = memStack();
    as.mmapAnonymous(A, 2 * PAGE, RW, ANON | MAP_FIXED);
    as.mmapAnonymous(A + 2 * PAGE, 2 * PAGE, PROT_READ, ANON | MAP_FIXED);
    as.mmapAnonymous(A + 4 * PAGE, 2 * PAGE, RW, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED);
    expect(as.mprotect(A + PAGE, 4 * PAGE, PROT_NONE)).toBe(0);
    expect(layout(as)).toEqual([
      [0, PAGE, RW, 0],
      [PAGE, 4 * PAGE, PROT_NONE, 0], // two private anonymous pieces, now alike: merged
      [4 * PAGE, 5 * PAGE, PROT_NONE, 0],
      [5 * PAGE, 6 * PAGE, RW, PAGE],
    ]);
    expect(as.munmap(A + PAGE, 4 * PAGE)).toBe(0);
    expect(layout(as)).toEqual([
      [0, PAGE, RW, 0],
      [5 * PAGE, 6 * PAGE, RW, PAGE],
    ]);
  });

  it('file offsets follow every cut', () => {
    const { as } = memStack();
    const obj = as.fileObject('f', () => new FakeFile(pattern(8 * PAGE)));
    expect(as.mmap(A, 6 * PAGE, PROT_READ, MAP_PRIVATE | MAP_FIXED, { obj, offset: 2 * PAGE })).toBe(A);
    as.mprotect(A + PAGE, PAGE, RW);
    as.munmap(A + 3 * PAGE, PAGE);
    expect(layout(as)).toEqual([
      [0, PAGE, PROT_READ, 2 * PAGE],
      [PAGE, 2 * PAGE, RW, 3 * PAGE],
      [2 * PAGE, 3 * PAGE, PROT_READ, 4 * PAGE],
      [4 * PAGE, 6 * PAGE, PROT_READ, 6 * PAGE],
    ]);
    // The page at A + 4 pages shows file offset 6 pages.
    expect(as.peek(A + 4 * PAGE, 2)).toEqual(pattern(8 * PAGE).subarray(6 * PAGE, 6 * PAGE + 2));
  });

  it('neighbouring anonymous mappings that are alike merge back into one', () => {
    const { as } = memStack();
    as.mmapAnonymous(A, 4 * PAGE, RW, ANON | MAP_FIXED);
    as.mprotect(A + PAGE, 2 * PAGE, PROT_READ);
    expect(as.vmas).toHaveLength(3);
    as.mprotect(A + PAGE, 2 * PAGE, RW);
    expect(layout(as)).toEqual([[0, 4 * PAGE, RW, 0]]);
  });
});

describe('file mappings, paged in lazily', () => {
  it('private: file bytes, the rest of the last page zero, SIGBUS past the end, stores stay private', () => {
    const { as, mem } = memStack();
    const file = new FakeFile(pattern(5000));
    const obj = as.fileObject('f', () => file);
    expect(as.mmap(A, 3 * PAGE, RW, MAP_PRIVATE | MAP_FIXED, { obj, offset: 0 })).toBe(A);
    expect(as.residentPages).toBe(0);
    expect(mem.read(A + 4990, 20)).toEqual(Uint8Array.from([...pattern(5000).subarray(4990), ...new Array(10).fill(0)]));
    expect(as.fault(A + 2 * PAGE, R, 0)).toBe('bus');
    expect(() => mem.read(A + 2 * PAGE, 1)).toThrow();
    mem.write(A, new Uint8Array([0xee]));
    expect(file.data[0]).toBe(3);
    expect(file.writes).toEqual([]);
    // MADV_DONTNEED brings the file's bytes back.
    as.discard(A, A + PAGE);
    expect(mem.read(A, 1)[0]).toBe(3);
  });

  it('shared: one page cache for every mapping; write-back on msync and munmap, never past the end of the file', () => {
    const { as, mem } = memStack();
    const file = new FakeFile(pattern(5000));
    const obj = as.fileObject('f', () => file);
    const a = as.mmap(A, 2 * PAGE, RW, MAP_SHARED | MAP_FIXED, { obj, offset: 0 });
    const b = as.mmap(A + 0x100000, PAGE, PROT_READ, MAP_SHARED | MAP_FIXED, { obj, offset: PAGE });
    mem.write(a + PAGE + 1, new Uint8Array([0xaa]));
    expect(mem.read(b + 1, 1)[0]).toBe(0xaa);
    expect(as.frameAt(a + PAGE)).toBe(as.frameAt(b));
    expect(file.data[PAGE + 1]).not.toBe(0xaa);
    expect(as.msync(a, 2 * PAGE, MS_SYNC)).toBe(0);
    expect(file.data[PAGE + 1]).toBe(0xaa);
    expect(file.writes).toEqual([[PAGE, 5000 - PAGE]]); // the dirty page, cut at EOF
    expect(file.size()).toBe(5000);
    mem.write(a + 10, new Uint8Array([0xbb]));
    expect(as.munmap(a, 2 * PAGE)).toBe(0);
    expect(file.data[10]).toBe(0xbb);
    expect(file.released).toBe(0); // b still maps it
    expect(as.munmap(b, PAGE)).toBe(0);
    expect(file.released).toBe(1);
    expect(as.hasFileObjects).toBe(false);
  });

  it('a page first read, then stored to by the guest without a fault, is still written back', () => {
    const { as, mem, phys } = memStack();
    const file = new FakeFile(pattern(PAGE));
    const obj = as.fileObject('f', () => file);
    const a = as.mmap(A, PAGE, RW, MAP_SHARED | MAP_FIXED, { obj, offset: 0 });
    expect(as.fault(a, R, 0)).toBe('mapped');
    expect(as.pageTable.translate(a)?.perms.write).toBe(true);
    phys.view(as.frameAt(a)! + 5, 1)[0] = 0x99; // what a guest STRB does: no exit
    expect(as.msync(a, PAGE, MS_ASYNC)).toBe(0);
    expect(file.data[5]).toBe(0x99);
    expect(mem.read(a + 5, 1)[0]).toBe(0x99);
  });

  it('write() of the file shows in the mapping; read() first writes dirty pages back; syncAll at exit', () => {
    const { as, mem } = memStack();
    const file = new FakeFile(pattern(3 * PAGE));
    const obj = as.fileObject('f', () => file);
    const a = as.mmap(A, 3 * PAGE, RW, MAP_SHARED | MAP_FIXED, { obj, offset: 0 });
    mem.read(a, 1);
    as.fileWritten('f', 2, new Uint8Array([1, 2, 3]));
    expect(mem.read(a + 2, 3)).toEqual(new Uint8Array([1, 2, 3]));
    mem.write(a + 2 * PAGE, new Uint8Array([9]));
    as.syncFile('f', 0, PAGE); // another page: nothing to do
    expect(file.data[2 * PAGE]).not.toBe(9);
    as.syncFile('f', 2 * PAGE, 1);
    expect(file.data[2 * PAGE]).toBe(9);
    mem.write(a + PAGE, new Uint8Array([8]));
    as.syncAll();
    expect(file.data[PAGE]).toBe(8);
  });

  it('MAP_FIXED of a file over a mapping of the same file keeps the file referenced once', () => {
    const { as } = memStack();
    const file = new FakeFile(pattern(4 * PAGE));
    const obj = as.fileObject('f', () => file);
    as.mmap(A, 4 * PAGE, PROT_READ, MAP_PRIVATE | MAP_FIXED, { obj, offset: 0 });
    expect(as.mmap(A, 4 * PAGE, PROT_READ, MAP_PRIVATE | MAP_FIXED, { obj, offset: 0 })).toBe(A);
    expect(as.mmap(A + PAGE, PAGE, RW, MAP_PRIVATE | MAP_FIXED, { obj, offset: 3 * PAGE })).toBe(A + PAGE);
    expect(file.released).toBe(0);
    expect(as.peek(A + PAGE, 1)[0]).toBe(pattern(4 * PAGE)[3 * PAGE]);
    as.munmap(A, 4 * PAGE);
    expect(file.released).toBe(1);
  });

  it('a private page copies the shared page cache when a shared mapping holds the page', () => {
    const { as, mem } = memStack();
    const obj = as.fileObject('f', () => new FakeFile(pattern(PAGE)));
    const s = as.mmap(A, PAGE, RW, MAP_SHARED | MAP_FIXED, { obj, offset: 0 });
    mem.write(s, new Uint8Array([0x42]));
    const p = as.mmap(A + PAGE * 16, PAGE, PROT_READ, MAP_PRIVATE | MAP_FIXED, { obj, offset: 0 });
    expect(mem.read(p, 1)[0]).toBe(0x42);
  });

  it('MADV_DONTNEED: private anonymous pages read zero again, shared ones keep their contents', () => {
    const { as, mem } = memStack();
    const p = as.mmapAnonymous(A, PAGE, RW, ANON | MAP_FIXED);
    const s = as.mmapAnonymous(A + PAGE, PAGE, RW, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED);
    mem.write(p, new Uint8Array([1]));
    mem.write(s, new Uint8Array([2]));
    as.discard(A, A + 2 * PAGE);
    expect(as.mincore(A, 2 * PAGE)).toEqual(new Uint8Array([0, 1]));
    expect(mem.read(p, 1)[0]).toBe(0);
    expect(mem.read(s, 1)[0]).toBe(2);
  });

  it('mprotect cannot make a shared mapping of a read-only descriptor writable', () => {
    const { as } = memStack();
    const obj = as.fileObject('f', () => new FakeFile(pattern(PAGE)));
    as.mmap(A, PAGE, PROT_READ, MAP_SHARED | MAP_FIXED, { obj, offset: 0, noWrite: true });
    expect(as.mprotect(A, PAGE, RW)).toBe(-Errno.EACCES);
    expect(as.mprotect(A, PAGE, PROT_NONE)).toBe(0);
  });
});

describe('mremap', () => {
  it('grows in place, shrinks, and moves pages with their contents when blocked', () => {
    const { as, mem } = memStack();
    as.mmapAnonymous(A, 2 * PAGE, RW, ANON | MAP_FIXED);
    mem.write(A, new Uint8Array([1]));
    mem.write(A + PAGE, new Uint8Array([2]));
    expect(as.mremap(A, 2 * PAGE, 4 * PAGE, 0, 0)).toBe(A);
    expect(layout(as)).toEqual([[0, 4 * PAGE, RW, 0]]);
    expect(as.mremap(A, 4 * PAGE, 2 * PAGE, 0, 0)).toBe(A);
    as.mmapAnonymous(A + 2 * PAGE, PAGE, PROT_READ, ANON | MAP_FIXED);
    expect(as.mremap(A, 2 * PAGE, 3 * PAGE, 0, 0)).toBe(-Errno.ENOMEM);
    const frame = as.frameAt(A + PAGE);
    const to = as.mremap(A, 2 * PAGE, 3 * PAGE, MREMAP_MAYMOVE, 0);
    expect(to).not.toBe(A);
    expect(as.vmaAt(A)).toBeUndefined();
    expect(as.frameAt(to + PAGE)).toBe(frame);
    expect(mem.read(to, 1)[0]).toBe(1);
    expect(mem.read(to + PAGE, 1)[0]).toBe(2);
    expect(mem.read(to + 2 * PAGE, 1)[0]).toBe(0);
  });

  it('MREMAP_FIXED replaces what is at the target; overlapping ranges are EINVAL', () => {
    const { as, mem } = memStack();
    as.mmapAnonymous(A, 2 * PAGE, RW, ANON | MAP_FIXED);
    mem.write(A, new Uint8Array([7]));
    as.mmapAnonymous(A + 0x10000, 4 * PAGE, PROT_READ, ANON | MAP_FIXED);
    expect(as.mremap(A, 2 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, A + PAGE)).toBe(-Errno.EINVAL);
    expect(as.mremap(A, 2 * PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, A + 0x10000)).toBe(A + 0x10000);
    expect(layout(as)).toEqual([
      [0x10000, 0x10000 + PAGE, RW, 0],
      [0x10000 + PAGE, 0x10000 + 4 * PAGE, PROT_READ, 0],
    ]);
    expect(mem.read(A + 0x10000, 1)[0]).toBe(7);
  });

  it('MREMAP_DONTUNMAP leaves the old range mapped and empty', () => {
    const { as, mem } = memStack();
    as.mmapAnonymous(A, PAGE, RW, ANON | MAP_FIXED);
    mem.write(A, new Uint8Array([4]));
    const to = as.mremap(A, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0);
    expect(to).toBeGreaterThan(0);
    expect(mem.read(to, 1)[0]).toBe(4);
    expect(as.vmaAt(A)).toBeDefined();
    expect(mem.read(A, 1)[0]).toBe(0);
    expect(as.mremap(A, PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0)).toBe(-Errno.EINVAL);
  });

  it('old_size 0 duplicates a shared mapping; errors follow mremap(2)', () => {
    const { as, mem } = memStack();
    const s = as.mmapAnonymous(A, PAGE, RW, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED);
    const d = as.mremap(s, 0, PAGE, MREMAP_MAYMOVE, 0);
    mem.write(d, new Uint8Array([3]));
    expect(mem.read(s, 1)[0]).toBe(3);
    const p = as.mmapAnonymous(A + 0x10000, PAGE, RW, ANON | MAP_FIXED);
    expect(as.mremap(p, 0, PAGE, MREMAP_MAYMOVE, 0)).toBe(-Errno.EINVAL);
    expect(as.mremap(p, PAGE, PAGE, 0x40, 0)).toBe(-Errno.EINVAL);
    expect(as.mremap(p, PAGE, PAGE, MREMAP_FIXED, 0x900000)).toBe(-Errno.EINVAL);
    expect(as.mremap(p + 1, PAGE, PAGE, 0, 0)).toBe(-Errno.EINVAL);
    expect(as.mremap(p, PAGE, 0, MREMAP_MAYMOVE, 0)).toBe(-Errno.EINVAL);
    expect(as.mremap(0x900000, PAGE, PAGE, 0, 0)).toBe(-Errno.EFAULT);
    expect(as.mremap(p, 2 * PAGE, 3 * PAGE, MREMAP_MAYMOVE, 0)).toBe(-Errno.EFAULT);
  });
});

describe('msync and mincore', () => {
  it('check flags, alignment and holes', () => {
    const { as } = memStack();
    as.mmapAnonymous(A, 3 * PAGE, RW, ANON | MAP_FIXED);
    as.munmap(A + PAGE, PAGE);
    expect(as.msync(A, PAGE, MS_SYNC)).toBe(0);
    expect(as.msync(A, PAGE, MS_SYNC | MS_ASYNC)).toBe(-Errno.EINVAL);
    expect(as.msync(A, PAGE, 8)).toBe(-Errno.EINVAL);
    expect(as.msync(A + 1, PAGE, MS_SYNC)).toBe(-Errno.EINVAL);
    expect(as.msync(A, 3 * PAGE, MS_ASYNC)).toBe(-Errno.ENOMEM);
    expect(as.msync(A, 0, MS_SYNC)).toBe(0);
    expect(as.mincore(A, 3 * PAGE)).toBe(-Errno.ENOMEM);
    expect(as.mincore(A + 1, PAGE)).toBe(-Errno.EINVAL);
    as.fault(A + 2 * PAGE, W, 0);
    expect(as.mincore(A + 2 * PAGE, 1)).toEqual(new Uint8Array([1]));
    expect(as.mincore(A, 1)).toEqual(new Uint8Array([0]));
  });
});
