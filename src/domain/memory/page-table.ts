/**
 * PageTable: the stage-1 translation tables the vCPU's MMU walks (TTBR0_EL1,
 * 4 KiB granule, T0SZ = 16 so VAs are 48 bits, four levels indexed by VA
 * bits [47:39], [38:30], [29:21], [20:12]). The tables live in guest RAM;
 * their pages come from the FrameAllocator and go back to it when they
 * empty. Leaves are 2 MiB level-2 blocks where VA, PA and length allow,
 * otherwise level-3 pages; a change covering part of a block splits it.
 *
 * Descriptor attributes (ARM ARM D8.3): AttrIndx 0 (MAIR attr0 = normal
 * write-back memory), SH inner-shareable, AF set, nG clear. User pages set
 * AP[1] and PXN; kernel pages clear AP[1] and set UXN. No descriptor is ever
 * both writable and executable: Hypervisor.framework refuses W+X, so a
 * request for it throws PageTableError('wx') instead of being silently mapped.
 *
 * `dirty` turns true whenever a descriptor that was valid changes or goes
 * away, i.e. whenever a TLB could hold a stale entry; the caller performs
 * TLB maintenance and clears it. Filling an invalid descriptor needs none
 * (TLBs never cache invalid entries).
 */
import type { FrameAllocator } from './frames.js';
import { PAGE_SIZE, type PhysMem } from './phys.js';

export interface PagePerms {
  readonly read: boolean;
  readonly write: boolean;
  readonly exec: boolean;
  /** EL0-accessible (AP[1]); false for the kernel-only EL1 shim. */
  readonly user: boolean;
}

export interface Translation {
  readonly pa: number;
  readonly perms: PagePerms;
}

export type PageTableErrorReason = 'wx' | 'no-read' | 'unaligned' | 'range';

export class PageTableError extends Error {
  override readonly name = 'PageTableError';
  constructor(
    readonly reason: PageTableErrorReason,
    message: string,
  ) {
    super(message);
  }
}

export const VA_BITS = 48;
export const VA_LIMIT = 2 ** VA_BITS;
export const BLOCK_SIZE = 2 * 1024 * 1024;

const TWO32 = 2 ** 32;
const ENTRIES = 512;

// Descriptor bits[1:0].
const DESC_VALID = 0b01;
const DESC_TABLE_OR_PAGE = 0b11;
const DESC_BLOCK = 0b01;
// Lower attributes (bits 11:2) and upper attributes (bits 63:52, as bits of the high word).
const LO_AP_EL0 = 1 << 6; // AP[1]
const LO_AP_RO = 1 << 7; // AP[2]
const LO_SH_INNER = 0b11 << 8;
const LO_AF = 1 << 10;
const LO_ATTR_MASK = 0xffc; // bits 11:2
const HI_PXN = 1 << (53 - 32);
const HI_UXN = 1 << (54 - 32);
const HI_ATTR_MASK = 0xfff00000; // bits 63:52
const LO_OA_MASK = 0xfffff000;
const HI_OA_MASK = 0xffff; // OA bits 47:32

type Op =
  | { readonly kind: 'map'; readonly va0: number; readonly pa0: number; readonly lo: number; readonly hi: number }
  | { readonly kind: 'protect'; readonly lo: number; readonly hi: number }
  | { readonly kind: 'unmap' };

function shiftOf(level: number): number {
  return 39 - 9 * level;
}

function outputAddress(lo: number, hi: number): number {
  return (hi & HI_OA_MASK) * TWO32 + ((lo & LO_OA_MASK) >>> 0);
}

/** The attribute bits of a leaf for `perms` (ARM ARM D8.4 stage-1 permissions). */
function encodePerms(perms: PagePerms): { lo: number; hi: number } {
  if (perms.write && perms.exec) throw new PageTableError('wx', 'a mapping cannot be both writable and executable (W^X)');
  // Every mapped page is readable at its EL; AArch64 has no write-only encoding.
  if (!perms.read) throw new PageTableError('no-read', 'a mapping must be readable (use unmap for no access)');
  const lo = LO_AF | LO_SH_INNER | (perms.user ? LO_AP_EL0 : 0) | (perms.write ? 0 : LO_AP_RO);
  const hi = perms.user ? HI_PXN | (perms.exec ? 0 : HI_UXN) : HI_UXN | (perms.exec ? 0 : HI_PXN);
  return { lo, hi };
}

function decodePerms(lo: number, hi: number): PagePerms {
  const user = (lo & LO_AP_EL0) !== 0;
  return {
    read: true,
    write: (lo & LO_AP_RO) === 0,
    exec: (hi & (user ? HI_UXN : HI_PXN)) === 0,
    user,
  };
}

export class PageTable {
  readonly root: number;
  /** A valid descriptor changed: TLB maintenance is needed before the guest runs again. */
  dirty = false;
  /** Valid entries per table page (keyed by its PA), so empty tables can be freed. */
  private readonly counts = new Map<number, number>();

  constructor(
    private readonly phys: PhysMem,
    private readonly frames: FrameAllocator,
  ) {
    this.root = this.newTable();
  }

  /** Table pages in use, the root included. */
  get tablePages(): number {
    return this.counts.size;
  }

  map(va: number, pa: number, len: number, perms: PagePerms): void {
    this.checkRange(va, len);
    if (pa % PAGE_SIZE || pa < 0 || pa + len > this.phys.size) {
      throw new PageTableError('range', `physical range 0x${pa.toString(16)}+0x${len.toString(16)} is not page-aligned RAM`);
    }
    const { lo, hi } = encodePerms(perms);
    this.visit(this.root, 0, va, va + len, { kind: 'map', va0: va, pa0: pa, lo, hi });
  }

  /** Change the permissions of whatever is mapped in [va, va+len); holes stay holes. */
  protect(va: number, len: number, perms: PagePerms): void {
    this.checkRange(va, len);
    const { lo, hi } = encodePerms(perms);
    this.visit(this.root, 0, va, va + len, { kind: 'protect', lo, hi });
  }

  /** Remove the mappings in [va, va+len). The data frames stay the caller's. */
  unmap(va: number, len: number): void {
    this.checkRange(va, len);
    this.visit(this.root, 0, va, va + len, { kind: 'unmap' });
  }

  translate(va: number): Translation | null {
    if (!(va >= 0 && va < VA_LIMIT)) return null;
    let table = this.root;
    for (let level = 0; level <= 3; level++) {
      const shift = shiftOf(level);
      const dpa = table + (Math.floor(va / 2 ** shift) % ENTRIES) * 8;
      const lo = this.phys.readLo(dpa);
      const hi = this.phys.readHi(dpa);
      if ((lo & DESC_VALID) === 0) return null;
      const isTable = (lo & 0b10) !== 0;
      if (level < 3 && isTable) {
        table = outputAddress(lo, hi);
        continue;
      }
      const size = 2 ** shift;
      return { pa: outputAddress(lo, hi) + (va % size), perms: decodePerms(lo, hi) };
    }
    return null;
  }

  private checkRange(va: number, len: number): void {
    if (va % PAGE_SIZE || len % PAGE_SIZE || len <= 0) {
      throw new PageTableError('unaligned', `range 0x${va.toString(16)}+0x${len.toString(16)} is not page-aligned`);
    }
    if (va < 0 || va + len > VA_LIMIT) throw new PageTableError('range', `range 0x${va.toString(16)}+0x${len.toString(16)} is outside the 48-bit VA space`);
  }

  private newTable(): number {
    const pa = this.frames.alloc();
    this.counts.set(pa, 0);
    return pa;
  }

  private bump(table: number, delta: number): void {
    this.counts.set(table, (this.counts.get(table) ?? 0) + delta);
  }

  /** Apply `op` to [va, end), which lies inside the region `table` (at `level`) translates. */
  private visit(table: number, level: number, va: number, end: number, op: Op): void {
    const size = 2 ** shiftOf(level);
    for (let cur = va; cur < end; ) {
      const entryBase = cur - (cur % size);
      const stop = Math.min(end, entryBase + size);
      const dpa = table + (Math.floor(cur / size) % ENTRIES) * 8;
      this.visitEntry(table, dpa, level, cur, stop, cur === entryBase && stop === entryBase + size, op);
      cur = stop;
    }
  }

  private visitEntry(table: number, dpa: number, level: number, cur: number, stop: number, full: boolean, op: Op): void {
    if (level === 3) return this.leaf(table, dpa, cur, op, DESC_TABLE_OR_PAGE);
    const lo = this.phys.readLo(dpa);
    const valid = (lo & DESC_VALID) !== 0;
    const isTable = valid && (lo & 0b10) !== 0;
    const child = isTable ? outputAddress(lo, this.phys.readHi(dpa)) : -1;

    if (full && isTable && op.kind === 'unmap') return this.dropTable(table, dpa, child, level + 1);
    if (level === 2 && full && this.blockFits(op, cur, valid, isTable)) {
      if (isTable) this.dropTable(table, dpa, child, level + 1);
      return this.leaf(table, dpa, cur, op, DESC_BLOCK);
    }
    if (!valid && op.kind !== 'map') return;

    const next = isTable ? child : valid ? this.split(dpa, level) : this.link(table, dpa);
    this.visit(next, level + 1, cur, stop, op);
    if (this.counts.get(next) === 0) this.dropTable(table, dpa, next, level + 1);
  }

  /** Can a fully covered level-2 entry be handled as one 2 MiB block? */
  private blockFits(op: Op, cur: number, valid: boolean, isTable: boolean): boolean {
    if (op.kind === 'map') return (op.pa0 + (cur - op.va0)) % BLOCK_SIZE === 0;
    return valid && !isTable; // protect/unmap of an existing block
  }

  /** Write (or rewrite, or clear) one leaf descriptor: a level-3 page or a level-2 block. */
  private leaf(table: number, dpa: number, cur: number, op: Op, typeBits: number): void {
    const lo = this.phys.readLo(dpa);
    const wasValid = (lo & DESC_VALID) !== 0;
    if (wasValid) this.dirty = true;
    if (op.kind === 'map') {
      this.writeDesc(dpa, op.pa0 + (cur - op.va0), op.lo | typeBits, op.hi);
      if (!wasValid) this.bump(table, 1);
      return;
    }
    if (!wasValid) return;
    if (op.kind === 'protect') {
      this.writeDesc(dpa, outputAddress(lo, this.phys.readHi(dpa)), op.lo | typeBits, op.hi);
      return;
    }
    this.phys.write64(dpa, 0, 0);
    this.bump(table, -1);
  }

  private writeDesc(dpa: number, oa: number, attrLo: number, attrHi: number): void {
    const lo = ((oa % TWO32) & LO_OA_MASK) | attrLo;
    const hi = (Math.floor(oa / TWO32) & HI_OA_MASK) | attrHi;
    this.phys.write64(dpa, lo, hi);
  }

  /** A fresh next-level table linked from the invalid entry at dpa. */
  private link(table: number, dpa: number): number {
    const child = this.newTable();
    this.writeDesc(dpa, child, DESC_TABLE_OR_PAGE, 0);
    this.bump(table, 1);
    return child;
  }

  /** Replace the block at dpa by a table of pages that translate the same way. */
  private split(dpa: number, level: number): number {
    const lo = this.phys.readLo(dpa);
    const hi = this.phys.readHi(dpa);
    const base = outputAddress(lo, hi);
    const step = 2 ** shiftOf(level + 1);
    const typeBits = level + 1 === 3 ? DESC_TABLE_OR_PAGE : DESC_BLOCK;
    const child = this.newTable();
    for (let i = 0; i < ENTRIES; i++) {
      this.writeDesc(child + i * 8, base + i * step, (lo & LO_ATTR_MASK) | typeBits, hi & HI_ATTR_MASK);
    }
    this.counts.set(child, ENTRIES);
    this.writeDesc(dpa, child, DESC_TABLE_OR_PAGE, 0);
    this.dirty = true;
    return child;
  }

  /** Unlink the table `child` (at `level`) from dpa and free it with every table below it. */
  private dropTable(table: number, dpa: number, child: number, level: number): void {
    this.freeTables(child, level);
    this.phys.write64(dpa, 0, 0);
    this.bump(table, -1);
    this.dirty = true;
  }

  private freeTables(table: number, level: number): void {
    if (level < 3) {
      for (let i = 0; i < ENTRIES; i++) {
        const lo = this.phys.readLo(table + i * 8);
        if ((lo & 0b11) === DESC_TABLE_OR_PAGE) this.freeTables(outputAddress(lo, this.phys.readHi(table + i * 8)), level + 1);
      }
    }
    this.counts.delete(table);
    this.frames.free(table);
  }
}
