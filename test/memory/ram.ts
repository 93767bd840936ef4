/**
 * Test support: a MemoryPort over one ArrayBuffer-backed slab at IPA 0, and
 * the domain memory stack (PhysMem, FrameAllocator, AddressSpace,
 * GuestMemory) built on it. Independent of src/adapters on purpose.
 */
import type { MemoryPort } from '../../src/ports/memory.js';
import { PhysMem } from '../../src/domain/memory/phys.js';
import { FrameAllocator } from '../../src/domain/memory/frames.js';
import { AddressSpace } from '../../src/domain/memory/address-space.js';
import { GuestMemory } from '../../src/domain/memory/guest-memory.js';

export class ArrayRam implements MemoryPort {
  readonly maxIpaBits = 36;
  readonly bytes: Uint8Array;
  constructor(size: number) {
    this.bytes = new Uint8Array(new ArrayBuffer(size));
  }
  map(): void {}
  unmap(): void {}
  protect(): void {}
  /** Every invalidateICache(ipa, size) the domain asked for, in order. */
  readonly invalidated: [number, number][] = [];
  invalidateICache(ipa: number, size: number): void {
    this.invalidated.push([ipa, size]);
  }
  readonly sharing = false;
  mapShared(): void {
    throw new RangeError('no host shared memory in this test RAM');
  }
  unmapShared(): void {
    throw new RangeError('no host shared memory in this test RAM');
  }

  view(ipa: number, length: number): Uint8Array {
    if (ipa < 0 || ipa + length > this.bytes.length) throw new RangeError('not mapped');
    return this.bytes.subarray(ipa, ipa + length);
  }
}

export interface MemStack {
  ram: ArrayRam;
  phys: PhysMem;
  frames: FrameAllocator;
  as: AddressSpace;
  mem: GuestMemory;
}

/** RAM of `ramSize` bytes; frames from 0x10000 (the shim's region below stays out of the allocator). */
export function memStack(ramSize = 64 * 1024 * 1024, framesBase = 0x10000): MemStack {
  const ram = new ArrayRam(ramSize);
  const phys = new PhysMem(ram, ramSize);
  const frames = new FrameAllocator(framesBase, ramSize, phys);
  const as = new AddressSpace(phys, frames);
  return { ram, phys, frames, as, mem: new GuestMemory(as) };
}

/** An independent 64-bit little-endian read of raw RAM. */
export function rawU64(ram: ArrayRam, pa: number): bigint {
  return new DataView(ram.bytes.buffer).getBigUint64(pa, true);
}
