/**
 * PhysMem: the domain's window on guest-physical RAM (the slab the boot code
 * maps at IPA 0). Page tables and frames are reached through it; descriptors
 * are read and written as two little-endian 32-bit halves, exactly as the
 * CPU's table walk reads them.
 */
import type { MemoryPort } from '../../ports/memory.js';

export { PAGE_SIZE } from '../kernel/linux-abi.js';
export const PAGE_SHIFT = 12;

export class PhysMem {
  private readonly bytes: Uint8Array;
  private readonly dv: DataView;

  /** The RAM slab of `ramSize` bytes at IPA 0, through a view that aliases guest memory. */
  constructor(
    private readonly port: MemoryPort,
    ramSize: number,
  ) {
    this.bytes = port.view(0, ramSize);
    this.dv = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
  }

  get size(): number {
    return this.bytes.length;
  }

  readLo(pa: number): number {
    return this.dv.getUint32(pa, true);
  }

  readHi(pa: number): number {
    return this.dv.getUint32(pa + 4, true);
  }

  write64(pa: number, lo: number, hi: number): void {
    this.dv.setUint32(pa, lo >>> 0, true);
    this.dv.setUint32(pa + 4, hi >>> 0, true);
  }

  zero(pa: number, len: number): void {
    this.bytes.fill(0, pa, pa + len);
  }

  /**
   * Make instruction fetches from [pa, pa+len) see what the host wrote there
   * (MemoryPort.invalidateICache), without a whole-cache invalidation.
   */
  invalidateCode(pa: number, len: number): void {
    this.port.invalidateICache(pa, len);
  }

  /** An aliasing view of [pa, pa+len). */
  view(pa: number, len: number): Uint8Array {
    if (pa < 0 || pa + len > this.bytes.length) throw new RangeError(`physical range 0x${pa.toString(16)}+${len} is outside RAM`);
    return this.bytes.subarray(pa, pa + len);
  }
}
