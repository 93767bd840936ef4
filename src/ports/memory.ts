/**
 * MemoryPort: guest-physical memory (the IPA space), as Hypervisor.framework
 * offers it with hv_vm_map. Regions of host memory are mapped at
 * guest-physical addresses with R/W/X flags; the domain reads and writes
 * them through views that alias the guest's memory (no copies).
 *
 * Addresses and sizes are plain numbers: guest-physical space is at most
 * 2^36..2^40 bytes, well inside a double's exact range.
 */

export const MemFlag = {
  READ: 1 << 0,
  WRITE: 1 << 1,
  EXEC: 1 << 2,
} as const;
export const MEM_RWX = MemFlag.READ | MemFlag.WRITE | MemFlag.EXEC;

export interface MemoryPort {
  /** Map `size` bytes of fresh zeroed host memory at guest-physical `ipa`. */
  map(ipa: number, size: number, flags: number): void;
  unmap(ipa: number, size: number): void;
  protect(ipa: number, size: number, flags: number): void;
  /**
   * A view of [ipa, ipa+length) that aliases guest memory. The range must lie
   * inside one mapped region; otherwise throws RangeError.
   */
  view(ipa: number, length: number): Uint8Array;
  /**
   * Make instruction fetches see host writes to [ipa, ipa+size) (a debugger's
   * breakpoint instruction) without the guest's own cache maintenance. On HVF
   * this is sys_icache_invalidate on the host alias, which invalidates by
   * physical line for every core; the interpreter drops its decoded blocks.
   */
  invalidateICache(ipa: number, size: number): void;
  /** Largest guest-physical address width the backend supports, in bits. */
  readonly maxIpaBits: number;
}
