/**
 * Guest-physical memory for the interpreter: the MemoryPort over ArrayBuffers.
 *
 * Like hv_vm_map, each mapped region is host memory at a guest-physical
 * address. Large ArrayBuffers are committed lazily by the host OS, so a big
 * RAM slab costs only the pages the guest touches. The region at IPA 0 is the
 * CPU's fast path; any other region is reached through find().
 */
import type { MemoryPort } from '../../ports/memory.js';

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
  /** The region mapped at IPA 0 (the RAM slab), if any. */
  ram: PhysRegion | undefined;

  map(ipa: number, size: number, flags: number): void {
    if (ipa % PAGE || size % PAGE || size <= 0) throw new RangeError('map: unaligned guest-physical range');
    if (ipa + size > 2 ** this.maxIpaBits) throw new RangeError('map: beyond the IPA space');
    if (this.regions.some((r) => ipa < r.ipa + r.size && r.ipa < ipa + size)) throw new RangeError('map: range already mapped');
    const region: PhysRegion = { ipa, size, flags, bytes: new Uint8Array(new ArrayBuffer(size)) };
    this.regions.push(region);
    if (ipa === 0) this.ram = region;
  }

  unmap(ipa: number, size: number): void {
    const i = this.regions.findIndex((r) => r.ipa === ipa && r.size === size);
    if (i < 0) throw new RangeError('unmap: no region with that exact range');
    const [r] = this.regions.splice(i, 1);
    if (r === this.ram) this.ram = undefined;
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
