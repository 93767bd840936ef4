/**
 * The interpreter's MemoryPort.mapShared over host memory (NodeHostRam):
 * a range of guest-physical RAM shows a host object, so bytes written
 * through the guest's view are the object's (read back with pread of the
 * memfd, as another process would) and the object's bytes show in the view;
 * unmapShared puts zeroed private memory back. The frame allocator's runs
 * give those ranges.
 */
import { closeSync, readSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NodeHostRam, NodeHostShm } from '../../src/adapters/host-node/index.js';
import { InterpMemory } from '../../src/adapters/interp/memory.js';
import { FrameAllocator, OutOfMemoryError } from '../../src/domain/memory/frames.js';
import { PhysMem } from '../../src/domain/memory/phys.js';

const MiB = 1024 * 1024;

describe('MemoryPort.mapShared on the interpreter', () => {
  it('shows a memfd in guest-physical memory, both ways, and gives zeroed memory back', () => {
    const mem = new InterpMemory(new NodeHostRam());
    expect(mem.sharing).toBe(true);
    mem.map(0, 4 * MiB, 7);
    const fd = new NodeHostShm().memfd(2 * 4096);
    mem.view(0x10000, 4).set([9, 9, 9, 9]);
    mem.mapShared(0x10000, 8192, { kind: 'fd', fd, offset: 0, shared: true });
    // The object's (zero) bytes replace what was there.
    expect([...mem.view(0x10000, 4)]).toEqual([0, 0, 0, 0]);
    mem.view(0x11000, 5).set(new TextEncoder().encode('hello'));
    const back = Buffer.alloc(5);
    readSync(fd, back, 0, 5, 4096);
    expect(back.toString()).toBe('hello');
    // A second range mapping the same object from an offset sees the same bytes.
    mem.mapShared(0x20000, 4096, { kind: 'fd', fd, offset: 4096, shared: true });
    expect(new TextDecoder().decode(mem.view(0x20000, 5))).toBe('hello');
    expect(() => mem.mapShared(0x20000, 4096, { kind: 'fd', fd, offset: 0, shared: true })).toThrow(RangeError);
    mem.unmapShared(0x10000, 8192);
    expect([...mem.view(0x11000, 5)]).toEqual([0, 0, 0, 0, 0]);
    expect(() => mem.unmapShared(0x10000, 8192)).toThrow(RangeError);
    mem.unmapShared(0x20000, 4096);
    closeSync(fd);
  });

  it('refuses without host RAM, and outside RAM', () => {
    const plain = new InterpMemory();
    plain.map(0, MiB, 7);
    expect(plain.sharing).toBe(false);
    expect(() => plain.mapShared(0, 4096, { kind: 'fd', fd: 0, offset: 0, shared: true })).toThrow(RangeError);
    const mem = new InterpMemory(new NodeHostRam());
    mem.map(0, MiB, 7);
    expect(() => mem.mapShared(MiB - 4096, 8192, { kind: 'fd', fd: 0, offset: 0, shared: true })).toThrow(RangeError);
  });
});

describe('FrameAllocator runs', () => {
  it('hands out contiguous runs, reuses freed ones of the same length, and counts them', () => {
    const ram = new InterpMemory();
    ram.map(0, MiB, 7);
    const frames = new FrameAllocator(0x10000, 0x10000 + 64 * 4096, new PhysMem(ram, MiB));
    const a = frames.alloc();
    const run = frames.allocRun(16);
    expect(run).toBe(a + 4096);
    expect(frames.inUse).toBe(17);
    const b = frames.alloc();
    expect(b).toBe(run + 16 * 4096);
    frames.freeRun(run, 16);
    expect(frames.inUse).toBe(2);
    expect(frames.allocRun(16)).toBe(run);
    expect(() => frames.allocRun(64)).toThrow(OutOfMemoryError);
  });
});

describe('guest RAM reserved on the host (NodeHostRam.reserve)', () => {
  it('is not counted as V8 external memory, which would start every process with a full collection', () => {
    const before = process.memoryUsage().external;
    const ram = new NodeHostRam().reserve(1024 * MiB);
    const view = new Uint8Array(ram);
    view[1024 * MiB - 1] = 7; // usable to its last byte
    expect(view[1024 * MiB - 1]).toBe(7);
    // Counted, the reservation alone would add 1024 MiB here.
    expect(process.memoryUsage().external - before).toBeLessThan(64 * MiB);
  });
});
