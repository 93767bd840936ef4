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

/**
 * A host shared-memory object that a range of guest-physical memory can show
 * (hv_vm_map of the host's mapping of it): the bytes of a host fd from
 * `offset` (a memfd, a /dev/shm or regular file; `shared` false for a
 * descriptor not open for writing, which still sees the file's changes), or
 * a host SysV segment. Other host processes that map the same object see the
 * same bytes.
 */
export type HostSharedRef =
  | { readonly kind: 'fd'; readonly fd: number; readonly offset: number; readonly shared: boolean }
  | { readonly kind: 'sysv'; readonly shmid: number; readonly readonly: boolean };

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
  /** Whether mapShared works (the backend can map host shared memory into the guest). */
  readonly sharing: boolean;
  /**
   * Make [ipa, ipa+size), inside a mapped region, show the host object
   * instead (throws HostError on a host failure, RangeError on a bad range).
   */
  mapShared(ipa: number, size: number, obj: HostSharedRef): void;
  /** Put fresh zeroed private memory back at a range mapShared mapped (a SysV segment is detached). */
  unmapShared(ipa: number, size: number): void;
  /** Largest guest-physical address width the backend supports, in bits. */
  readonly maxIpaBits: number;
}
