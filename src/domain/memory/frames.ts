/**
 * FrameAllocator: 4 KiB physical frames out of [basePa, limitPa) of guest RAM.
 * Fresh frames come from a bump pointer (the slab starts zeroed); freed
 * frames go on a free list and are zeroed again when handed out, so every
 * frame a caller receives reads as zero, as Linux's anonymous pages do.
 */
import { PAGE_SIZE, type PhysMem } from './phys.js';

export class OutOfMemoryError extends Error {
  override readonly name = 'OutOfMemoryError';
  constructor(readonly requested: number) {
    super(`out of guest physical memory (${requested} frame(s) requested)`);
  }
}

export class FrameAllocator {
  private next: number;
  private readonly freeList: number[] = [];
  /** Frames on the free list, for double-free detection. */
  private readonly freeSet = new Set<number>();
  /** Freed runs of contiguous frames, by length. */
  private readonly freeRuns = new Map<number, number[]>();
  /** Frames currently handed out. */
  inUse = 0;
  /** High-water mark of inUse. */
  peak = 0;

  constructor(
    readonly basePa: number,
    readonly limitPa: number,
    private readonly phys: PhysMem,
  ) {
    if (basePa % PAGE_SIZE || limitPa % PAGE_SIZE || limitPa < basePa) throw new RangeError('FrameAllocator: unaligned range');
    if (limitPa > phys.size) throw new RangeError('FrameAllocator: range beyond RAM');
    this.next = basePa;
  }

  get total(): number {
    return (this.limitPa - this.basePa) / PAGE_SIZE;
  }

  get available(): number {
    return this.freeList.length + (this.limitPa - this.next) / PAGE_SIZE;
  }

  /** A zeroed frame's physical address. */
  alloc(): number {
    const pa = this.take();
    this.inUse++;
    if (this.inUse > this.peak) this.peak = this.inUse;
    return pa;
  }

  free(pa: number): void {
    if (pa % PAGE_SIZE || pa < this.basePa || pa >= this.next) throw new RangeError(`free of a frame not allocated here: 0x${pa.toString(16)}`);
    if (this.freeSet.has(pa)) throw new RangeError(`double free of frame 0x${pa.toString(16)}`);
    this.freeSet.add(pa);
    this.freeList.push(pa);
    this.inUse--;
  }

  /**
   * `n` contiguous frames (a window for a host shared object, which the
   * MemoryPort maps over them). Runs freed by freeRun are reused for runs of
   * the same length; the caller leaves them zeroed (unmapShared does).
   */
  allocRun(n: number): number {
    const reuse = this.freeRuns.get(n)?.pop();
    let pa: number;
    if (reuse !== undefined) pa = reuse;
    else {
      if (this.next + n * PAGE_SIZE > this.limitPa) throw new OutOfMemoryError(n);
      pa = this.next;
      this.next += n * PAGE_SIZE;
    }
    this.inUse += n;
    if (this.inUse > this.peak) this.peak = this.inUse;
    return pa;
  }

  freeRun(pa: number, n: number): void {
    let list = this.freeRuns.get(n);
    if (!list) this.freeRuns.set(n, (list = []));
    list.push(pa);
    this.inUse -= n;
  }

  private take(): number {
    const recycled = this.freeList.pop();
    if (recycled !== undefined) {
      this.freeSet.delete(recycled);
      this.phys.zero(recycled, PAGE_SIZE);
      return recycled;
    }
    if (this.next >= this.limitPa) throw new OutOfMemoryError(1);
    const pa = this.next;
    this.next += PAGE_SIZE;
    return pa;
  }
}
