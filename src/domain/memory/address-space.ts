/**
 * AddressSpace: the guest's virtual memory, what Linux calls the mm. It owns
 * the VMA list, the data frames behind each user page, the brk area, the
 * kernel-only mappings of the EL1 shim, and the PageTable that makes all of
 * it visible to the vCPU. The mm syscalls (mmap, munmap, mprotect, brk) are
 * implemented here with mmap(2)'s semantics and return a result or -errno.
 *
 * Frames are allocated eagerly for accessible pages and kept while their
 * VMA exists, so PROT_NONE hides a page's contents without losing them. A
 * request for PROT_WRITE|PROT_EXEC is mapped read-write (Hypervisor.framework
 * refuses W+X pages) and the VMA records `wantExec` so the kernel can decide
 * what to do when the guest jumps there.
 */
import { Errno } from '../kernel/errno.js';
import {
  MAP_ANONYMOUS,
  MAP_FIXED,
  MAP_FIXED_NOREPLACE,
  MAP_GROWSDOWN,
  MAP_PRIVATE,
  MAP_SHARED,
  MAP_SHARED_VALIDATE,
  MAP_TYPE,
  PROT_EXEC,
  PROT_NONE,
  PROT_READ,
  PROT_WRITE,
} from '../kernel/linux-abi.js';
import { GuestFault } from './fault.js';
import { OutOfMemoryError, type FrameAllocator } from './frames.js';
import { ELF_ET_DYN_BASE, MMAP_BASE, MMAP_MIN_ADDR, STACK_GUARD_GAP, STACK_TOP, TASK_SIZE, pageDown, pageUp } from './layout.js';
import { PageTable, type PagePerms } from './page-table.js';
import { PAGE_SIZE, type PhysMem } from './phys.js';

export interface Vma {
  readonly start: number;
  readonly end: number;
  /** PROT_* as the guest asked (so /proc/self/maps shows what it asked for). */
  readonly prot: number;
  /** MAP_* flags of the mapping. */
  readonly flags: number;
  /** '[heap]', '[stack]', a file path, or '' for anonymous memory. */
  readonly name: string;
  /** PROT_WRITE|PROT_EXEC was asked: mapped writable, not executable (W^X). */
  readonly wantExec: boolean;
}

/** What a user access to one page may do, and where the page lives. */
export interface PageAccess {
  readonly pa: number;
  readonly read: boolean;
  readonly write: boolean;
}

const PROT_MASK = PROT_READ | PROT_WRITE | PROT_EXEC;

function userPerms(prot: number): PagePerms {
  const write = (prot & PROT_WRITE) !== 0;
  return { read: true, write, exec: !write && (prot & PROT_EXEC) !== 0, user: true };
}

function isExec(v: Vma): boolean {
  return (v.prot & PROT_EXEC) !== 0;
}

export class AddressSpace {
  readonly pageTable: PageTable;
  /** Code may have changed under an executable VA: the instruction cache must be invalidated. */
  icacheDirty = false;
  /** Sorted by start, non-overlapping. */
  private vmaList: Vma[] = [];
  /** Virtual page number → data frame PA, for user pages. */
  private readonly frameOf = new Map<number, number>();
  private readonly kernelRanges: { start: number; end: number }[] = [];
  private brkStart = 0;
  private brkCur = 0;

  constructor(
    readonly phys: PhysMem,
    private readonly frames: FrameAllocator,
    pageTable?: PageTable,
  ) {
    this.pageTable = pageTable ?? new PageTable(phys, frames);
  }

  /** Where things go in this address space (Linux arm64, 48-bit VA, no randomization). */
  readonly layout = {
    pieBase: ELF_ET_DYN_BASE,
    mmapBase: MMAP_BASE,
    mmapMinAddr: MMAP_MIN_ADDR,
    stackTop: STACK_TOP,
  } as const;

  /** A translation changed: TLB maintenance is needed before the guest runs again. */
  get tlbDirty(): boolean {
    return this.pageTable.dirty;
  }

  set tlbDirty(v: boolean) {
    this.pageTable.dirty = v;
  }

  get vmas(): readonly Vma[] {
    return this.vmaList;
  }

  get brkBase(): number {
    return this.brkStart;
  }

  vmaAt(va: number): Vma | undefined {
    let lo = 0;
    let hi = this.vmaList.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = this.vmaList[mid]!;
      if (va < v.start) hi = mid - 1;
      else if (va >= v.end) lo = mid + 1;
      else return v;
    }
    return undefined;
  }

  /** The data frame behind the user page holding `va`, if it has one. */
  frameAt(va: number): number | undefined {
    return this.frameOf.get(Math.floor(va / PAGE_SIZE));
  }

  /** How a user access to the page holding `va` is allowed, as the page tables allow it at EL0. */
  pageAccess(va: number): PageAccess | null {
    const v = this.vmaAt(va);
    if (!v || (v.prot & PROT_MASK) === PROT_NONE) return null;
    const pa = this.frameAt(va);
    if (pa === undefined) return null;
    // arm64 maps PROT_WRITE and PROT_EXEC pages readable too; what the guest can load, the kernel can copy in.
    return { pa, read: true, write: (v.prot & PROT_WRITE) !== 0 };
  }

  /** mmap(2) of anonymous memory (file-backed private mappings are this plus poke). Returns the VA or -errno. */
  mmapAnonymous(addr: number, length: number, prot: number, flags: number, name = ''): number {
    if (!(length > 0)) return -Errno.EINVAL;
    if (prot & ~PROT_MASK) return -Errno.EINVAL;
    const type = flags & MAP_TYPE;
    if (type !== MAP_SHARED && type !== MAP_PRIVATE && type !== MAP_SHARED_VALIDATE) return -Errno.EINVAL;
    const len = pageUp(length);
    if (len > TASK_SIZE) return -Errno.ENOMEM;

    const noReplace = (flags & MAP_FIXED_NOREPLACE) !== 0;
    if (noReplace || flags & MAP_FIXED) {
      if (addr % PAGE_SIZE) return -Errno.EINVAL;
      if (addr < MMAP_MIN_ADDR) return -Errno.EPERM;
      if (addr + len > TASK_SIZE) return -Errno.ENOMEM;
      if (noReplace && !this.isFree(addr, addr + len)) return -Errno.EEXIST;
      this.removeRange(addr, addr + len);
      return this.mapRange(addr, len, prot, flags, name);
    }
    const hint = pageUp(addr);
    const start = hint >= MMAP_MIN_ADDR && this.isFree(hint, hint + len) ? hint : this.findFree(len);
    if (start < 0) return start;
    return this.mapRange(start, len, prot, flags, name);
  }

  /** munmap(2): unmapping nothing is not an error. */
  munmap(addr: number, length: number): number {
    if (addr % PAGE_SIZE || !(length > 0)) return -Errno.EINVAL;
    const len = pageUp(length);
    if (addr > TASK_SIZE || len > TASK_SIZE - addr) return -Errno.EINVAL;
    this.removeRange(addr, addr + len);
    return 0;
  }

  /** mprotect(2): the range must be fully mapped; VMAs split at its edges. */
  mprotect(addr: number, length: number, prot: number): number {
    if (addr % PAGE_SIZE) return -Errno.EINVAL;
    if (prot & ~PROT_MASK) return -Errno.EINVAL;
    const len = pageUp(length);
    if (len === 0) return 0;
    const end = addr + len;
    if (end > TASK_SIZE || !this.isCovered(addr, end)) return -Errno.ENOMEM;
    if (prot !== PROT_NONE && !this.allocFrames(addr, end)) return -Errno.ENOMEM;
    this.splitAt(addr);
    this.splitAt(end);
    this.vmaList = this.vmaList.map((v) => {
      if (v.end <= addr || v.start >= end) return v;
      if (isExec(v) || prot & PROT_EXEC) this.icacheDirty = true;
      return { ...v, prot, wantExec: (prot & PROT_WRITE) !== 0 && (prot & PROT_EXEC) !== 0 };
    });
    this.applyPtes(addr, end, prot);
    this.merge();
    return 0;
  }

  /** Set where the brk area starts (the page after the highest PT_LOAD end). */
  setBrk(start: number): void {
    this.brkStart = pageUp(start);
    this.brkCur = this.brkStart;
  }

  /** brk(2): Linux returns the current break, unchanged, on any failure. */
  brk(newBrk: number): number {
    if (newBrk < this.brkStart) return this.brkCur;
    const oldEnd = pageUp(this.brkCur);
    const newEnd = pageUp(newBrk);
    if (newEnd < oldEnd) this.removeRange(newEnd, oldEnd);
    if (newEnd > oldEnd) {
      // mm/mmap.c brk: the new area plus one guard page must not touch another mapping.
      if (newEnd > TASK_SIZE || !this.isFree(oldEnd, newEnd + PAGE_SIZE)) return this.brkCur;
      const r = this.mapRange(oldEnd, newEnd - oldEnd, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, '[heap]');
      if (r < 0) return this.brkCur;
    }
    this.brkCur = newBrk;
    return this.brkCur;
  }

  /**
   * expand_stack() (mm/mmap.c): a user access at `va` hit no mapping. If it lies
   * below a MAP_GROWSDOWN mapping (the stack), the grown stack stays within
   * `limit` bytes (RLIMIT_STACK) of that mapping's top, and it keeps
   * stack_guard_gap from an accessible mapping below, the stack grows down to
   * the faulting page and the access can be retried. Returns whether it grew.
   */
  growStack(va: number, limit: number): boolean {
    if (!(va >= MMAP_MIN_ADDR && va < TASK_SIZE) || this.vmaAt(va)) return false;
    const i = this.vmaList.findIndex((v) => v.start > va);
    const stack = i < 0 ? undefined : this.vmaList[i];
    if (!stack || !(stack.flags & MAP_GROWSDOWN)) return false;
    const start = pageDown(va);
    if (stack.end - start > limit) return false;
    const below = i > 0 ? this.vmaList[i - 1] : undefined;
    if (below && below.prot !== PROT_NONE && below.end > start - STACK_GUARD_GAP) return false;
    return this.mapRange(start, stack.start - start, stack.prot, stack.flags, stack.name) === start;
  }

  /** The highest free range of `len` bytes below mmapBase (top-down, like Linux), or -ENOMEM. */
  findFree(length: number): number {
    const len = pageUp(length);
    let hi = MMAP_BASE;
    for (let i = this.vmaList.length - 1; i >= 0; i--) {
      const v = this.vmaList[i]!;
      if (v.start >= hi) continue;
      if (hi - v.end >= len) return hi - len;
      hi = v.start;
    }
    return hi - len >= MMAP_MIN_ADDR ? hi - len : -Errno.ENOMEM;
  }

  /** Map EL1-only pages (the shim) identity-style below mmap_min_addr, where no user mapping can go. */
  mapKernel(va: number, pa: number, len: number, opts: { exec: boolean }): void {
    if (va + len > MMAP_MIN_ADDR) throw new RangeError(`kernel mapping 0x${va.toString(16)}+0x${len.toString(16)} is above mmap_min_addr`);
    this.pageTable.map(va, pa, len, { read: true, write: !opts.exec, exec: opts.exec, user: false });
    this.kernelRanges.push({ start: va, end: va + len });
  }

  /** Privileged write that ignores protections (ELF segments, file-backed private mappings). */
  poke(va: number, bytes: Uint8Array): void {
    this.forEachPage(va, bytes.length, true, (pa, off, n, v) => {
      this.phys.view(pa, n).set(bytes.subarray(off, off + n));
      if (isExec(v)) this.icacheDirty = true;
    });
  }

  /** Privileged read that ignores protections (fork, core dumps, debugging). */
  peek(va: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    this.forEachPage(va, len, false, (pa, off, n) => out.set(this.phys.view(pa, n), off));
    return out;
  }

  /** Drop every user mapping and the brk area (execve); the kernel mappings stay. */
  clear(): void {
    for (const v of [...this.vmaList]) this.removeRange(v.start, v.end);
    this.brkStart = 0;
    this.brkCur = 0;
  }

  // ---- internals ----

  private forEachPage(va: number, len: number, write: boolean, fn: (pa: number, off: number, n: number, v: Vma) => void): void {
    for (let off = 0; off < len; ) {
      const cur = va + off;
      const v = this.vmaAt(cur);
      if (!v) throw new GuestFault(cur, write);
      const n = Math.min(len - off, PAGE_SIZE - (cur % PAGE_SIZE));
      fn(this.frameFor(cur), off, n, v);
      off += n;
    }
  }

  /** The frame of a mapped user page, allocated now if the page never had one (PROT_NONE). */
  private frameFor(va: number): number {
    const vpn = Math.floor(va / PAGE_SIZE);
    const have = this.frameOf.get(vpn);
    if (have !== undefined) return have + (va % PAGE_SIZE);
    const pa = this.frames.alloc();
    this.frameOf.set(vpn, pa);
    return pa + (va % PAGE_SIZE);
  }

  private isFree(start: number, end: number): boolean {
    if (start < MMAP_MIN_ADDR || end > TASK_SIZE) return false;
    return !this.vmaList.some((v) => v.start < end && start < v.end);
  }

  private isCovered(start: number, end: number): boolean {
    let at = start;
    for (const v of this.vmaList) {
      if (v.end <= at) continue;
      if (v.start > at) return false;
      at = v.end;
      if (at >= end) return true;
    }
    return false;
  }

  /** Create a VMA over a free range, give its pages frames and map them. */
  private mapRange(start: number, len: number, prot: number, flags: number, name: string): number {
    const end = start + len;
    if (prot !== PROT_NONE && !this.allocFrames(start, end)) return -Errno.ENOMEM;
    const vma: Vma = { start, end, prot, flags, name, wantExec: (prot & PROT_WRITE) !== 0 && (prot & PROT_EXEC) !== 0 };
    const at = this.vmaList.findIndex((v) => v.start > start);
    this.vmaList.splice(at < 0 ? this.vmaList.length : at, 0, vma);
    if (isExec(vma)) this.icacheDirty = true;
    this.applyPtes(start, end, prot);
    this.merge();
    return start;
  }

  /** Give every page of [start, end) a frame; on exhaustion undo this call's allocations. */
  private allocFrames(start: number, end: number): boolean {
    const fresh: number[] = [];
    try {
      for (let vpn = start / PAGE_SIZE; vpn < end / PAGE_SIZE; vpn++) {
        if (this.frameOf.has(vpn)) continue;
        this.frameOf.set(vpn, this.frames.alloc());
        fresh.push(vpn);
      }
      return true;
    } catch (e) {
      if (!(e instanceof OutOfMemoryError)) throw e;
      for (const vpn of fresh) {
        this.frames.free(this.frameOf.get(vpn)!);
        this.frameOf.delete(vpn);
      }
      return false;
    }
  }

  /** Make the page tables of [start, end) say `prot`, mapping runs of contiguous frames at once. */
  private applyPtes(start: number, end: number, prot: number): void {
    if (prot === PROT_NONE) {
      this.pageTable.unmap(start, end - start);
      return;
    }
    const perms = userPerms(prot);
    let runVa = start;
    let runPa = this.frameOf.get(start / PAGE_SIZE)!;
    for (let va = start + PAGE_SIZE; va <= end; va += PAGE_SIZE) {
      const pa = va < end ? this.frameOf.get(va / PAGE_SIZE)! : -1;
      if (pa === runPa + (va - runVa)) continue;
      this.pageTable.map(runVa, runPa, va - runVa, perms);
      runVa = va;
      runPa = pa;
    }
  }

  /** Split the VMA strictly containing `addr` in two at `addr`. */
  private splitAt(addr: number): void {
    const i = this.vmaList.findIndex((v) => v.start < addr && addr < v.end);
    if (i < 0) return;
    const v = this.vmaList[i]!;
    this.vmaList.splice(i, 1, { ...v, end: addr }, { ...v, start: addr });
  }

  /** Unmap [start, end): VMAs are cut at its edges, pages unmapped, frames freed. */
  private removeRange(start: number, end: number): void {
    if (!this.vmaList.some((v) => v.start < end && start < v.end)) return;
    this.splitAt(start);
    this.splitAt(end);
    const keep: Vma[] = [];
    for (const v of this.vmaList) {
      if (v.end <= start || v.start >= end) {
        keep.push(v);
        continue;
      }
      if (isExec(v) || v.wantExec) this.icacheDirty = true;
      this.pageTable.unmap(v.start, v.end - v.start);
      for (let vpn = v.start / PAGE_SIZE; vpn < v.end / PAGE_SIZE; vpn++) {
        const pa = this.frameOf.get(vpn);
        if (pa === undefined) continue;
        this.frames.free(pa);
        this.frameOf.delete(vpn);
      }
    }
    this.vmaList = keep;
  }

  /** Merge neighbouring anonymous VMAs that are alike, as Linux's vma_merge does. */
  private merge(): void {
    const out: Vma[] = [];
    for (const v of this.vmaList) {
      const prev = out[out.length - 1];
      const alike =
        prev !== undefined &&
        prev.end === v.start &&
        prev.prot === v.prot &&
        prev.flags === v.flags &&
        prev.name === v.name &&
        prev.wantExec === v.wantExec &&
        (v.flags & MAP_ANONYMOUS) !== 0;
      if (alike) out[out.length - 1] = { ...prev, end: v.end };
      else out.push(v);
    }
    this.vmaList = out;
  }
}
