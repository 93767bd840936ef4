/**
 * PageTable against hand-computed descriptors (ARM ARM D8.3: VMSAv8-64
 * translation table format, 4 KiB granule) and the tables' life cycle.
 */
import { describe, expect, it } from 'vitest';
import { FrameAllocator } from '../../src/domain/memory/frames.js';
import { PageTable, PageTableError } from '../../src/domain/memory/page-table.js';
import { PhysMem } from '../../src/domain/memory/phys.js';
import { ArrayRam, rawU64 } from './ram.js';

const RAM = 32 * 1024 * 1024;

function setup() {
  const ram = new ArrayRam(RAM);
  const phys = new PhysMem(ram, RAM);
  const frames = new FrameAllocator(0x10000, 0x400000, phys);
  return { ram, frames, pt: new PageTable(phys, frames) };
}

/** The descriptor at `index` of the table at `tablePa`. */
function desc(ram: ArrayRam, tablePa: number, index: number): bigint {
  return rawU64(ram, tablePa + index * 8);
}

const OA = (d: bigint): number => Number(d & 0x0000fffffffff000n);
const USER_RX = { read: true, write: false, exec: true, user: true };
const USER_RW = { read: true, write: true, exec: false, user: true };
const USER_RO = { read: true, write: false, exec: false, user: true };

describe('PageTable descriptors', () => {
  it('maps a user read-execute page as valid page descriptors at levels 0..3', () => {
    const { ram, pt } = setup();
    pt.map(0x400000, 0x1234000, 0x1000, USER_RX);
    // VA 0x400000: L0 index 0, L1 index 0, L2 index 2 (bits 29:21), L3 index 0.
    const l0 = desc(ram, pt.root, 0);
    expect(l0 & 3n).toBe(3n); // table
    const l1 = desc(ram, OA(l0), 0);
    expect(l1 & 3n).toBe(3n);
    const l2 = desc(ram, OA(l1), 2);
    expect(l2 & 3n).toBe(3n);
    // page: OA 0x1234000 | AP[2]=1 (bit 7, read-only) | AP[1]=1 (bit 6, EL0) | SH=0b11 (9:8) | AF (10) | 0b11; PXN (53); UXN clear.
    expect(desc(ram, OA(l2), 0)).toBe(0x1234000n | 0x7c3n | (1n << 53n));
  });

  it('maps user read-write data with PXN and UXN and AP[2] clear', () => {
    const { ram, pt } = setup();
    pt.map(0x7000, 0x20000, 0x1000, USER_RW);
    const l3 = OA(desc(ram, OA(desc(ram, OA(desc(ram, pt.root, 0)), 0)), 0));
    expect(desc(ram, l3, 7)).toBe(0x20000n | 0x743n | (1n << 53n) | (1n << 54n));
  });

  it('maps kernel code EL1-only: AP[1]=0, UXN=1, PXN=0; kernel data gets PXN', () => {
    const { ram, pt } = setup();
    pt.map(0x8000, 0x8000, 0x1000, { read: true, write: false, exec: true, user: false });
    pt.map(0x9000, 0x9000, 0x1000, { read: true, write: true, exec: false, user: false });
    const l3 = OA(desc(ram, OA(desc(ram, OA(desc(ram, pt.root, 0)), 0)), 0));
    expect(desc(ram, l3, 8)).toBe(0x8000n | 0x783n | (1n << 54n));
    expect(desc(ram, l3, 9)).toBe(0x9000n | 0x703n | (1n << 53n) | (1n << 54n));
  });

  it('uses a 2 MiB level-2 block when VA, PA and length are 2 MiB aligned', () => {
    const { ram, pt } = setup();
    pt.map(0x40200000, 0x600000, 0x200000, USER_RO);
    // VA 0x40200000: L0 0, L1 1, L2 1.
    const l1 = desc(ram, OA(desc(ram, pt.root, 0)), 1);
    expect(desc(ram, OA(l1), 1)).toBe(0x600000n | 0x7c1n | (1n << 53n) | (1n << 54n));
    expect(pt.translate(0x40212345)).toEqual({ pa: 0x612345, perms: USER_RO });
    expect(pt.tablePages).toBe(3); // root, L1, L2: no level-3 table
  });

  it('uses pages when the PA is not block-aligned', () => {
    const { pt } = setup();
    pt.map(0x200000, 0x601000, 0x200000, USER_RO);
    expect(pt.tablePages).toBe(4);
    expect(pt.translate(0x3ff000)?.pa).toBe(0x800000);
  });
});

describe('PageTable changes', () => {
  it('refuses W+X with a typed error and leaves the tables untouched', () => {
    const { pt } = setup();
    expect(() => pt.map(0x10000, 0x10000, 0x1000, { read: true, write: true, exec: true, user: true })).toThrow(PageTableError);
    try {
      pt.map(0x10000, 0x10000, 0x1000, { read: true, write: true, exec: true, user: false });
    } catch (e) {
      expect((e as PageTableError).reason).toBe('wx');
    }
    expect(pt.translate(0x10000)).toBeNull();
    pt.map(0x10000, 0x10000, 0x1000, USER_RX);
    expect(() => pt.protect(0x10000, 0x1000, { read: true, write: true, exec: true, user: true })).toThrow(PageTableError);
    expect(pt.translate(0x10000)?.perms).toEqual(USER_RX);
  });

  it('rejects unaligned and out-of-range requests', () => {
    const { pt } = setup();
    expect(() => pt.map(0x10001, 0x10000, 0x1000, USER_RO)).toThrow(PageTableError);
    expect(() => pt.map(0x10000, 0x10000, 0x800, USER_RO)).toThrow(PageTableError);
    expect(() => pt.map(2 ** 48 - 0x1000, 0x10000, 0x2000, USER_RO)).toThrow(PageTableError);
    expect(() => pt.map(0x10000, RAM - 0x1000, 0x2000, USER_RO)).toThrow(PageTableError);
  });

  it('splits a block when protect covers part of it, keeping the rest', () => {
    const { ram, pt } = setup();
    pt.map(0x200000, 0x400000, 0x200000, USER_RW);
    pt.dirty = false;
    pt.protect(0x201000, 0x1000, USER_RO);
    expect(pt.dirty).toBe(true);
    const l2 = OA(desc(ram, OA(desc(ram, pt.root, 0)), 0));
    expect(desc(ram, l2, 1) & 3n).toBe(3n); // now a table
    expect(pt.translate(0x200000)).toEqual({ pa: 0x400000, perms: USER_RW });
    expect(pt.translate(0x201000)).toEqual({ pa: 0x401000, perms: USER_RO });
    expect(pt.translate(0x3ff000)).toEqual({ pa: 0x5ff000, perms: USER_RW });
  });

  it('frees tables that become empty and returns their frames', () => {
    const { pt, frames } = setup();
    const before = frames.inUse;
    pt.map(0x5000000000, 0x100000, 0x3000, USER_RW);
    expect(frames.inUse).toBe(before + 3); // L1, L2, L3
    pt.unmap(0x5000000000, 0x1000);
    expect(frames.inUse).toBe(before + 3);
    pt.unmap(0x5000001000, 0x2000);
    expect(frames.inUse).toBe(before);
    expect(pt.tablePages).toBe(1);
    expect(pt.translate(0x5000001000)).toBeNull();
  });

  it('reports dirty only when a valid descriptor changes', () => {
    const { pt } = setup();
    pt.map(0x10000, 0x10000, 0x2000, USER_RW);
    expect(pt.dirty).toBe(false);
    pt.unmap(0x30000, 0x1000); // nothing there
    expect(pt.dirty).toBe(false);
    pt.map(0x10000, 0x20000, 0x1000, USER_RW); // replaces a valid page
    expect(pt.dirty).toBe(true);
    pt.dirty = false;
    pt.unmap(0x11000, 0x1000);
    expect(pt.dirty).toBe(true);
  });
});
