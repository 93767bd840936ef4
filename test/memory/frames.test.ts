import { describe, expect, it } from 'vitest';
import { FrameAllocator, OutOfMemoryError } from '../../src/domain/memory/frames.js';
import { PhysMem } from '../../src/domain/memory/phys.js';
import { ArrayRam } from './ram.js';

function setup(frames: number) {
  const ram = new ArrayRam(0x10000 + frames * 4096);
  const phys = new PhysMem(ram, ram.bytes.length);
  return { ram, fa: new FrameAllocator(0x10000, 0x10000 + frames * 4096, phys) };
}

describe('FrameAllocator', () => {
  it('hands out consecutive page-aligned frames from its base', () => {
    const { fa } = setup(4);
    expect([fa.alloc(), fa.alloc(), fa.alloc()]).toEqual([0x10000, 0x11000, 0x12000]);
    expect(fa.inUse).toBe(3);
    expect(fa.available).toBe(1);
    expect(fa.total).toBe(4);
  });

  it('throws a typed OutOfMemoryError when exhausted', () => {
    const { fa } = setup(2);
    fa.alloc();
    fa.alloc();
    expect(() => fa.alloc()).toThrow(OutOfMemoryError);
  });

  it('recycles freed frames zeroed', () => {
    const { ram, fa } = setup(2);
    const a = fa.alloc();
    fa.alloc();
    ram.bytes.fill(0xab, a, a + 4096);
    fa.free(a);
    expect(fa.inUse).toBe(1);
    const again = fa.alloc();
    expect(again).toBe(a);
    expect(ram.bytes.subarray(a, a + 4096).every((b) => b === 0)).toBe(true);
    expect(fa.peak).toBe(2);
  });

  it('rejects double frees and foreign frames', () => {
    const { fa } = setup(2);
    const a = fa.alloc();
    fa.free(a);
    expect(() => fa.free(a)).toThrow(/double free/);
    expect(() => fa.free(0x11000)).toThrow(RangeError); // never handed out
    expect(() => fa.free(0x10800)).toThrow(RangeError); // unaligned
  });
});
