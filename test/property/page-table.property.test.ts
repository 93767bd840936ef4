/**
 * Property: after any sequence of map/protect/unmap over a small VA window
 * (which crosses a 1 GiB level-1 boundary and holds several 2 MiB blocks),
 * PageTable.translate of every page agrees with a flat reference map, and so
 * does an independent walker written here from the ARM ARM descriptor format
 * (reading RAM with BigInt). Unmapping everything gives every table page back.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameAllocator } from '../../src/domain/memory/frames.js';
import { PageTable, PageTableError, type PagePerms } from '../../src/domain/memory/page-table.js';
import { PhysMem } from '../../src/domain/memory/phys.js';
import { ArrayRam } from '../memory/ram.js';

const PAGE = 4096;
const BLOCK_PAGES = 512;
const RAM = 64 * 1024 * 1024;
/** 6 MiB window starting 2 MiB below 1 GiB: three 2 MiB blocks, one level-1 boundary. */
const WIN_START = 0x40000000 - 0x200000;
const WIN_PAGES = 3 * BLOCK_PAGES;
/** Data PAs come from [16 MiB, 64 MiB); table frames from [64 KiB, 16 MiB). */
const DATA_BASE = 16 * 1024 * 1024;
const DATA_PAGES = (RAM - DATA_BASE) / PAGE - WIN_PAGES;

interface Ref {
  pa: number;
  perms: PagePerms;
}

/** An independent stage-1 walk (ARM ARM D8.2/D8.3) returning the same shape as translate(). */
function walk(ram: ArrayRam, root: number, va: number): Ref | null {
  const dv = new DataView(ram.bytes.buffer);
  let table = BigInt(root);
  const v = BigInt(va);
  for (let level = 0n; level <= 3n; level++) {
    const shift = 39n - 9n * level;
    const index = (v >> shift) & 511n;
    const d = dv.getBigUint64(Number(table + index * 8n), true);
    if ((d & 1n) === 0n) return null;
    const oa = d & 0x0000fffffffff000n;
    if (level < 3n && (d & 2n) !== 0n) {
      table = oa;
      continue;
    }
    if (level === 3n && (d & 2n) === 0n) return null; // reserved at level 3
    if (level === 0n) return null; // no level-0 blocks with 4 KiB granule
    // AF set, SH inner-shareable, AttrIndx 0, nG clear.
    if (((d >> 10n) & 1n) !== 1n || ((d >> 8n) & 3n) !== 3n || ((d >> 2n) & 7n) !== 0n || ((d >> 11n) & 1n) !== 0n) {
      throw new Error(`bad lower attributes in 0x${d.toString(16)}`);
    }
    const user = ((d >> 6n) & 1n) === 1n;
    const write = ((d >> 7n) & 1n) === 0n;
    const uxn = ((d >> 54n) & 1n) === 1n;
    const pxn = ((d >> 53n) & 1n) === 1n;
    // W^X, and user pages never executable at EL1 / kernel pages never at EL0.
    if (write && !(user ? uxn : pxn)) throw new Error(`W+X descriptor 0x${d.toString(16)}`);
    if (user ? !pxn : !uxn) throw new Error(`missing PXN/UXN in 0x${d.toString(16)}`);
    const exec = user ? !uxn : !pxn;
    const size = 1n << shift;
    return { pa: Number(oa + (v % size)), perms: { read: true, write, exec, user } };
  }
  return null;
}

type Op =
  | { kind: 'map'; page: number; pages: number; dataPage: number; perms: PagePerms }
  | { kind: 'protect'; page: number; pages: number; perms: PagePerms }
  | { kind: 'unmap'; page: number; pages: number };

/** Starts and lengths biased toward 2 MiB boundaries and block sizes, with misaligned ones too. */
const pageIndex = fc.oneof(fc.constantFrom(0, BLOCK_PAGES, 2 * BLOCK_PAGES), fc.integer({ min: 0, max: WIN_PAGES - 1 }));
const pageCount = fc.oneof(fc.constantFrom(1, BLOCK_PAGES, 2 * BLOCK_PAGES), fc.integer({ min: 1, max: 700 }));
const dataPage = fc.oneof(fc.integer({ min: 0, max: DATA_PAGES / BLOCK_PAGES - 1 }).map((b) => b * BLOCK_PAGES), fc.integer({ min: 0, max: DATA_PAGES - 1 }));
const perms = fc.record({ read: fc.constant(true), write: fc.boolean(), exec: fc.boolean(), user: fc.boolean() });

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('map' as const), page: pageIndex, pages: pageCount, dataPage, perms }),
  fc.record({ kind: fc.constant('protect' as const), page: pageIndex, pages: pageCount, perms }),
  fc.record({ kind: fc.constant('unmap' as const), page: pageIndex, pages: pageCount }),
);

function same(a: Ref | null, b: Ref | null): boolean {
  if (a === null || b === null) return a === b;
  const p = a.perms;
  const q = b.perms;
  return a.pa === b.pa && p.read === q.read && p.write === q.write && p.exec === q.exec && p.user === q.user;
}

function clampPages(o: { page: number; pages: number }): number {
  return Math.min(o.pages, WIN_PAGES - o.page);
}

describe('PageTable vs a flat reference map', () => {
  it('translate and an independent walk agree with the reference after every step', () => {
    const ram = new ArrayRam(RAM);
    const phys = new PhysMem(ram, RAM);
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 12 }), (ops) => {
        ram.bytes.fill(0, 0, DATA_BASE);
        const frames = new FrameAllocator(0x10000, DATA_BASE, phys);
        const pt = new PageTable(phys, frames);
        const ref = new Map<number, Ref>();
        for (const o of ops) {
          const n = clampPages(o);
          const va = WIN_START + o.page * PAGE;
          if (o.kind === 'unmap') {
            pt.unmap(va, n * PAGE);
            for (let i = 0; i < n; i++) ref.delete(o.page + i);
          } else if (o.perms.write && o.perms.exec) {
            const call = () => (o.kind === 'map' ? pt.map(va, DATA_BASE + o.dataPage * PAGE, n * PAGE, o.perms) : pt.protect(va, n * PAGE, o.perms));
            expect(call).toThrow(PageTableError);
          } else if (o.kind === 'map') {
            pt.map(va, DATA_BASE + o.dataPage * PAGE, n * PAGE, o.perms);
            for (let i = 0; i < n; i++) ref.set(o.page + i, { pa: DATA_BASE + (o.dataPage + i) * PAGE, perms: o.perms });
          } else {
            pt.protect(va, n * PAGE, o.perms);
            for (let i = 0; i < n; i++) {
              const r = ref.get(o.page + i);
              if (r) ref.set(o.page + i, { pa: r.pa, perms: o.perms });
            }
          }
          for (let p = 0; p < WIN_PAGES; p++) {
            const want = ref.get(p) ?? null;
            const pva = WIN_START + p * PAGE;
            const got = pt.translate(pva);
            const walked = walk(ram, pt.root, pva);
            // Compare cheaply; hand mismatches to expect() for a readable report.
            if (!same(got, want)) expect({ va: pva, got }).toEqual({ va: pva, got: want });
            if (!same(walked, want)) expect({ va: pva, walked }).toEqual({ va: pva, walked: want });
          }
        }
        pt.unmap(WIN_START, WIN_PAGES * PAGE);
        expect(pt.tablePages).toBe(1);
        expect(frames.inUse).toBe(1);
      }),
      { numRuns: 150 },
    );
  });
});
