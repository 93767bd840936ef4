/**
 * Guest-physical memory for the interpreter: the MemoryPort over ArrayBuffers.
 *
 * Like hv_vm_map, each mapped region is host memory at a guest-physical
 * address. Large ArrayBuffers are committed lazily by the host OS, so a big
 * RAM slab costs only the pages the guest touches. The region at IPA 0 is the
 * CPU's fast path; any other region is reached through find().
 *
 * Shared memory: with an InterpHostRam, each region's buffer is host memory
 * the host adapter owns, and mapShared replaces a page range of it by the
 * host's mapping of a shared object (MAP_FIXED over the same addresses), so
 * the CPU reaches shared pages through the very array it uses for the rest
 * of RAM: the load/store fast path does not change. On HVF the same call is
 * one more hv_vm_map of the host mapping at that IPA.
 */
import type { HostSharedRef, MemoryPort } from '../../ports/memory.js';

/** Host memory for guest RAM that shared objects can be mapped over (the host adapter implements it). */
export interface InterpHostRam {
  /** `size` bytes of zeroed host memory, committed as touched. */
  reserve(size: number): ArrayBuffer;
  /** Replace [offset, offset+size) of `ram` by the host object. */
  map(ram: ArrayBuffer, offset: number, size: number, obj: HostSharedRef): void;
  /** Put fresh zeroed private memory back at [offset, offset+size) (detaching a SysV segment first). */
  unmap(ram: ArrayBuffer, offset: number, size: number, sysv: boolean): void;
  /** The VM is gone: release the memory touched in `ram` now (it reads as zeros afterwards). */
  discard(ram: ArrayBuffer): void;
}

export interface PhysRegion {
  readonly ipa: number;
  readonly size: number;
  flags: number;
  readonly bytes: Uint8Array;
}

const PAGE = 4096;

export class InterpMemory implements MemoryPort {
  readonly maxIpaBits = 36;
  private readonly regions: PhysRegion[] = [];
  /** Called by invalidateICache: the CPUs drop decoded code for the range. */
  readonly icacheListeners = new Set<(ipa: number, size: number) => void>();
  /**
   * The VM's vCPUs, for what one vCPU does to all (the broadcast of
   * TLBI ...IS and IC IALLUIS, inner-shareable as every core of a VM is).
   */
  readonly cpus = new Set<{ tlbFlush(): void; icacheFlush(): void }>();
  /** The vCPU that ran last: another one's run clears its exclusive monitor (a context switch's CLREX). */
  lastRunner: object | null = null;
  /** The region mapped at IPA 0 (the RAM slab), if any. */
  ram: PhysRegion | undefined;
  /** Ranges mapShared mapped, by IPA: their size and whether a SysV segment is attached there. */
  private readonly shared = new Map<number, { size: number; sysv: boolean }>();

  constructor(private readonly hostRam?: InterpHostRam) {}

  get sharing(): boolean {
    return this.hostRam !== undefined;
  }

  map(ipa: number, size: number, flags: number): void {
    if (ipa % PAGE || size % PAGE || size <= 0) throw new RangeError('map: unaligned guest-physical range');
    if (ipa + size > 2 ** this.maxIpaBits) throw new RangeError('map: beyond the IPA space');
    if (this.regions.some((r) => ipa < r.ipa + r.size && r.ipa < ipa + size)) throw new RangeError('map: range already mapped');
    const region: PhysRegion = { ipa, size, flags, bytes: new Uint8Array(this.hostRam ? this.hostRam.reserve(size) : new ArrayBuffer(size)) };
    this.regions.push(region);
    if (ipa === 0) this.ram = region;
  }

  /** hv_vm_destroy: every region goes, and host RAM gives its touched pages back at once. */
  destroy(): void {
    for (const r of [...this.regions]) {
      this.unmap(r.ipa, r.size);
      this.hostRam?.discard(r.bytes.buffer as ArrayBuffer);
    }
  }

  unmap(ipa: number, size: number): void {
    const i = this.regions.findIndex((r) => r.ipa === ipa && r.size === size);
    if (i < 0) throw new RangeError('unmap: no region with that exact range');
    const [r] = this.regions.splice(i, 1);
    if (r === this.ram) this.ram = undefined;
    for (const [at, m] of this.shared) if (at >= ipa && at < ipa + size) this.unmapShared(at, m.size, r);
  }

  mapShared(ipa: number, size: number, obj: HostSharedRef): void {
    const r = this.find(ipa);
    if (!this.hostRam || !r || ipa % PAGE || size % PAGE || size <= 0 || ipa + size > r.ipa + r.size) throw new RangeError('mapShared: no host RAM or a bad range');
    if ([...this.shared].some(([at, m]) => ipa < at + m.size && at < ipa + size)) throw new RangeError('mapShared: range already shared');
    this.hostRam.map(r.bytes.buffer as ArrayBuffer, ipa - r.ipa, size, obj);
    this.shared.set(ipa, { size, sysv: obj.kind === 'sysv' });
  }

  unmapShared(ipa: number, size: number, region?: PhysRegion): void {
    const m = this.shared.get(ipa);
    const r = region ?? this.find(ipa);
    if (!this.hostRam || !m || m.size !== size || !r) throw new RangeError('unmapShared: no shared range with that exact extent');
    this.shared.delete(ipa);
    this.hostRam.unmap(r.bytes.buffer as ArrayBuffer, ipa - r.ipa, size, m.sysv);
  }

  protect(ipa: number, size: number, flags: number): void {
    const r = this.regions.find((x) => x.ipa === ipa && x.size === size);
    if (!r) throw new RangeError('protect: no region with that exact range');
    r.flags = flags;
  }

  find(ipa: number): PhysRegion | undefined {
    for (const r of this.regions) if (ipa >= r.ipa && ipa < r.ipa + r.size) return r;
    return undefined;
  }

  view(ipa: number, length: number): Uint8Array {
    const r = this.find(ipa);
    if (!r || ipa + length > r.ipa + r.size) throw new RangeError(`guest-physical range 0x${ipa.toString(16)}+${length} is not mapped`);
    const off = ipa - r.ipa;
    return r.bytes.subarray(off, off + length);
  }

  invalidateICache(ipa: number, size: number): void {
    for (const listener of this.icacheListeners) listener(ipa, size);
  }

}
