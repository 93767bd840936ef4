/**
 * AddressSpace: the guest's virtual memory, what Linux calls the mm. It owns
 * the VMAs (in a VmaTree: each call costs O(log n) in their number; at most
 * vm.max_map_count of them), the data frames behind each user page, the brk
 * area, the kernel-only mappings of the EL1 shim, and the PageTable that
 * makes all of it visible to the vCPU. The mm syscalls (mmap, munmap, mprotect, mremap,
 * brk, and the page work of msync, mincore and madvise) are implemented here
 * with Linux's semantics and return a result or -errno.
 *
 * Demand paging. A mapping only creates a VMA; a page gets a frame the first
 * time it is touched, as Linux's overcommit does: the guest's access takes a
 * translation fault, the run loop calls fault(), which allocates a frame,
 * fills it (zeroes, or the file's bytes) and maps it, and the instruction
 * runs again. Kernel accesses (syscall buffers) populate pages the same way
 * through pageAccess(). Filling an invalid descriptor needs no TLB
 * maintenance, so a fault costs one page-table write.
 *
 * Pages are either private to one VMA page (anonymous memory, copies of file
 * pages) or belong to a MemObject, the page cache of a MAP_SHARED file or
 * of shared anonymous memory (shmem): every mapping of the object shows the
 * same frame, and a file object's dirty pages are written back to the file
 * by msync, munmap and when the last mapping goes away (and at exit, through
 * syncAll). A private file page is a copy taken when first touched (from the
 * object's cached page if a shared mapping holds one, else from the file).
 * There is no copy-on-write: a private page never changes after its copy.
 *
 * Present pages keep their frame under PROT_NONE, so mprotect hides a page's
 * contents without losing them. A request for PROT_WRITE|PROT_EXEC is mapped
 * read-write (Hypervisor.framework refuses W+X pages) and the VMA records
 * `wantExec`: a page of it is flipped between read-write and read-execute
 * by the permission fault of the access that needs the other (flipWx).
 */
import { Errno } from '../kernel/errno.js';
import {
  MAP_ANONYMOUS,
  MAP_FIXED,
  MAP_FIXED_NOREPLACE,
  MAP_GROWSDOWN,
  MAP_NORESERVE,
  MAP_POPULATE,
  MAP_PRIVATE,
  MAP_SHARED,
  MAP_SHARED_VALIDATE,
  MAP_TYPE,
  PROT_EXEC,
  PROT_NONE,
  PROT_READ,
  PROT_WRITE,
} from '../kernel/linux-abi.js';
import type { HostShm } from '../../ports/host.js';
import type { HostSharedRef, MemoryPort } from '../../ports/memory.js';
import { GuestFault } from './fault.js';
import { OutOfMemoryError, type FrameAllocator } from './frames.js';
import { ELF_ET_DYN_BASE, MMAP_BASE, MMAP_MIN_ADDR, STACK_GUARD_GAP, STACK_TOP, TASK_SIZE, pageDown, pageUp } from './layout.js';
import { PageTable, type PagePerms } from './page-table.js';
import { PAGE_SIZE, type PhysMem } from './phys.js';
import { VmaTree } from './vma-tree.js';

/** The bytes behind a file mapping, as the kernel layer reaches the host file. */
export interface PageSource {
  /** Read into `buf` from byte `offset`; returns the count (short at end of file). */
  read(buf: Uint8Array, offset: number): number;
  /** Write `data` at byte `offset` (never past what size() allowed when the page was cached). */
  write(data: Uint8Array, offset: number): void;
  /** The file's current size in bytes. */
  size(): number;
  /** The last mapping of the file went away. */
  release(): void;
  /** The host descriptor it reads, when it has one (a fork child gets the file through it). */
  readonly hostFd?: number;
  /** Whether write() reaches the file (the descriptor is open for writing). */
  readonly writable?: boolean;
}

interface CachedPage {
  readonly pa: number;
  /** Written through the kernel (or while mapped writable): differs from the file until written back. */
  dirty: boolean;
}

/**
 * Host shared memory behind an object: its pages live in windows of
 * guest-physical memory (runs of frames) over which the MemoryPort maps the
 * host object, so other host processes mapping the object see the same bytes.
 */
export interface HostBacking {
  /** The host object; for an fd, the window's offset is added to `offset`. */
  ref: HostSharedRef;
  /** Bytes per window (a page multiple): each window maps that much of the object, made at first touch. */
  readonly window: number;
  /** Window index → guest-physical base. */
  readonly windows: Map<number, number>;
  /** The object's fixed size (shared anonymous memory, SysV); a file's is asked of the file. Pages past it are SIGBUS. */
  readonly size?: number;
  /** SysV segment: its key, for the VMA's name and shmdt. */
  readonly sysvKey?: number;
  /** The last mapping went away (a memfd is closed). */
  readonly release?: () => void;
}

/** Window size of fd-backed objects: large enough for few host mappings, small enough to waste few frames. */
export const SHARED_WINDOW = 256 * 1024;

/**
 * A shared memory object: the page cache of one file, or shmem (shared
 * anonymous memory, source null), or a SysV segment. Pages are indexed by
 * page number in the object and live until no VMA refers to the object any
 * more. With `host`, the pages are the host object's own (nothing to write
 * back, shared with other host processes); without it (a backend that cannot
 * map host memory), they are frames of this process.
 */
export class MemObject {
  readonly pages = new Map<number, CachedPage>();
  /** VMA pages (over every VMA) that refer to this object. */
  mappedPages = 0;
  constructor(
    readonly key: string,
    readonly source: PageSource | null,
    public host?: HostBacking,
  ) {}
}

/** Host shared memory for an address space: the port that maps it and the host that makes it. */
export interface SharingHost {
  readonly port: MemoryPort;
  readonly shm: HostShm;
  /** Close a host fd (a memfd whose last mapping went). */
  readonly close: (fd: number) => void;
}

export interface Vma {
  readonly start: number;
  readonly end: number;
  /** PROT_* as the guest asked (so /proc/self/maps shows what it asked for). */
  readonly prot: number;
  /** The MAP_* flags that stay with a mapping: MAP_SHARED or MAP_PRIVATE, MAP_ANONYMOUS, MAP_GROWSDOWN, MAP_NORESERVE. */
  readonly flags: number;
  /** '[heap]', '[stack]', a file path, or '' for anonymous memory. */
  readonly name: string;
  /** PROT_WRITE|PROT_EXEC was asked: mapped writable, not executable (W^X). */
  readonly wantExec: boolean;
  /** The file or shmem object the pages come from; none for private anonymous memory. */
  readonly obj?: MemObject;
  /** Byte offset in `obj` of `start`. */
  readonly offset: number;
  /** A shared file mapped through a descriptor not open for writing: mprotect cannot add PROT_WRITE. */
  readonly noWrite?: boolean;
  /** prctl(PR_SET_VMA_ANON_NAME)'s name of anonymous memory; absent: none. */
  readonly anonName?: string;
}

/** What a user access to one page may do, and where the page lives. */
export interface PageAccess {
  /** The page's frame (the page base, not va's byte). */
  readonly pa: number;
  readonly read: boolean;
  readonly write: boolean;
}

/** The outcome of a user page fault: retry the instruction, or the signal Linux would send. */
export type FaultResult = 'mapped' | 'segv' | 'bus' | 'oom';

export interface MmapOptions {
  readonly name?: string;
  /** A file mapping: the file's object (for MAP_PRIVATE too: private pages are copied from it). */
  readonly obj?: MemObject;
  /** Byte offset in the file (page-aligned). */
  readonly offset?: number;
  /** See Vma.noWrite. */
  readonly noWrite?: boolean;
}

export const MREMAP_MAYMOVE = 1;
export const MREMAP_FIXED = 2;
export const MREMAP_DONTUNMAP = 4;
export const MS_ASYNC = 1;
export const MS_INVALIDATE = 2;
export const MS_SYNC = 4;

const PROT_MASK = PROT_READ | PROT_WRITE | PROT_EXEC;
const KEPT_FLAGS = MAP_TYPE | MAP_ANONYMOUS | MAP_GROWSDOWN | MAP_NORESERVE;

function userPerms(prot: number): PagePerms {
  const write = (prot & PROT_WRITE) !== 0;
  return { read: true, write, exec: !write && (prot & PROT_EXEC) !== 0, user: true };
}

function isExec(v: Vma): boolean {
  return (v.prot & PROT_EXEC) !== 0;
}

function isShared(v: Vma): boolean {
  return (v.flags & MAP_TYPE) === MAP_SHARED;
}

const vpnOf = (va: number): number => Math.floor(va / PAGE_SIZE);

/** vm.max_map_count's default (DEFAULT_MAX_MAP_COUNT): the most VMAs a process may have. */
export const MAX_MAP_COUNT = 65530;

/** Whether `a` (below) and `b` (above) could be one VMA, as vma_merge allows. */
function alike(a: Vma, b: Vma): boolean {
  return (
    a.end === b.start &&
    a.prot === b.prot &&
    a.flags === b.flags &&
    a.name === b.name &&
    a.wantExec === b.wantExec &&
    a.obj === b.obj &&
    a.noWrite === b.noWrite &&
    a.anonName === b.anonName &&
    (b.obj === undefined || a.offset + (a.end - a.start) === b.offset)
  );
}

export class AddressSpace {
  readonly pageTable: PageTable;
  /** Code may have changed under an executable VA: the instruction cache must be invalidated. */
  icacheDirty = false;
  /**
   * The heuristic overcommit limit (vm.overcommit_memory = 0): one private
   * writable mapping larger than this fails with ENOMEM, as
   * __vm_enough_memory refuses an allocation bigger than RAM + swap.
   */
  commitLimit = Number.POSITIVE_INFINITY;
  /**
   * vm.max_map_count: mmap fails with ENOMEM above it, and so does any
   * munmap, mprotect or MAP_FIXED that would split a VMA at it (mm/vma.c).
   */
  maxMapCount = MAX_MAP_COUNT;
  /** Non-overlapping, in address order. */
  private readonly tree = new VmaTree<Vma>();
  /** Virtual page number → frame PA, for present user pages (private, or an object's cached page). */
  private readonly frameOf = new Map<number, number>();
  /** Objects by key (a file's identity), so every mapping of a file shares its page cache. */
  private readonly objects = new Map<string, MemObject>();
  private shmemCount = 0;
  /** Host shared memory; without it shared objects live in this process's frames. */
  sharing: SharingHost | undefined;
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

  /** Every VMA, in address order (a fresh array: O(n)). */
  get vmas(): readonly Vma[] {
    return this.tree.toArray();
  }

  /** The number of VMAs (mm->map_count). */
  get mapCount(): number {
    return this.tree.size;
  }

  get brkBase(): number {
    return this.brkStart;
  }

  /** Frames behind present user pages (private pages and cached object pages, each once). */
  get residentPages(): number {
    let n = 0;
    for (const o of this.objects.values()) n += o.pages.size;
    for (const [vpn] of this.frameOf) {
      const v = this.vmaAt(vpn * PAGE_SIZE);
      if (v && !isShared(v)) n++;
    }
    return n;
  }

  vmaAt(va: number): Vma | undefined {
    return this.tree.find(va);
  }

  /** The frame behind the user page holding `va`, if it is present. */
  frameAt(va: number): number | undefined {
    return this.frameOf.get(vpnOf(va));
  }

  /** The object of a file, shared by all its mappings; `open` makes the source the first time. */
  fileObject(key: string, open: () => PageSource): MemObject {
    const have = this.objects.get(key);
    if (have) return have;
    const source = open();
    const obj = new MemObject(key, source);
    if (this.sharing && source.hostFd !== undefined) {
      obj.host = { ref: { kind: 'fd', fd: source.hostFd, offset: 0, shared: source.writable ?? false }, window: SHARED_WINDOW, windows: new Map() };
    }
    this.objects.set(key, obj);
    return obj;
  }

  /**
   * The file object's source now writes through a writable descriptor
   * (HostFileSource.upgrade): windows mapped through a read-only one are
   * mapped again, shared, at the same guest-physical addresses.
   */
  hostWritable(obj: MemObject, fd: number): void {
    const h = obj.host;
    if (!h || h.ref.kind !== 'fd' || h.ref.shared || !this.sharing) return;
    h.ref = { kind: 'fd', fd, offset: 0, shared: true };
    for (const [w, base] of h.windows) {
      this.sharing.port.unmapShared(base, h.window);
      this.sharing.port.mapShared(base, h.window, { ...h.ref, offset: w * h.window });
    }
  }

  /**
   * A new shmem object of `size` bytes (shared anonymous memory): a host memfd
   * when the host can share memory, else frames of this process. `fd` is an
   * existing memfd (a fork child's, passed by its parent).
   */
  newShmem(size: number, fd?: number): MemObject {
    const key = `shmem:${++this.shmemCount}`;
    let obj: MemObject | undefined;
    const sh = this.sharing;
    if (sh) {
      try {
        const hostFd = fd ?? sh.shm.memfd(pageUp(size));
        obj = new MemObject(key, null, {
          ref: { kind: 'fd', fd: hostFd, offset: 0, shared: true },
          window: SHARED_WINDOW,
          windows: new Map(),
          size: pageUp(size),
          release: () => sh.close(hostFd),
        });
      } catch {
        // No memfd (a host limit): the memory stays this process's, as without sharing.
      }
    }
    obj ??= new MemObject(key, null);
    this.objects.set(key, obj);
    return obj;
  }

  /**
   * An object for one attach of SysV segment `shmid` (`size` bytes): the
   * segment is attached on the host at once, so its attach count is right.
   * Throws the HostError of a failed attach.
   */
  newSysv(shmid: number, size: number, key: number, readonly: boolean): MemObject {
    const sh = this.sharing;
    if (!sh) throw new RangeError('SysV shared memory needs host shared memory');
    const len = pageUp(size);
    const obj = new MemObject(`sysv:${shmid}:${++this.shmemCount}`, null, {
      ref: { kind: 'sysv', shmid, readonly },
      window: len,
      windows: new Map(),
      size: len,
      sysvKey: key,
    });
    const base = this.frames.allocRun(len / PAGE_SIZE);
    try {
      sh.port.mapShared(base, len, obj.host!.ref);
    } catch (e) {
      this.frames.freeRun(base, len / PAGE_SIZE);
      throw e;
    }
    obj.host!.windows.set(0, base);
    this.objects.set(obj.key, obj);
    return obj;
  }

  /**
   * Whether any file has cached pages (read/write then keep them coherent).
   * Only shared mappings cache pages in the object: a file mapped only
   * privately (the executable's segments) needs no coherence work.
   */
  get hasFileObjects(): boolean {
    for (const o of this.objects.values()) if (o.source && !o.host && o.pages.size > 0) return true;
    return false;
  }

  /** Let go of an object no mapping took (an mmap that failed after fileObject). */
  dropObject(obj: MemObject): void {
    if (obj.mappedPages === 0 && this.objects.get(obj.key) === obj) this.releaseObject(obj);
  }

  /** MADV_REMOVE on shared anonymous memory: the object's pages of the range read as zeroes again. */
  removeShared(start: number, end: number): void {
    for (const v of this.inRange(start, end)) {
      if (!v.obj || !isShared(v)) continue;
      for (let va = Math.max(v.start, start); va < Math.min(v.end, end); va += PAGE_SIZE) {
        const page = v.obj.pages.get(vpnOf(v.offset + (va - v.start)));
        if (page) this.phys.zero(page.pa, PAGE_SIZE);
      }
    }
  }

  /**
   * How a user access to the page holding `va` is allowed, as the page tables
   * allow it at EL0, bringing the page in if it is not present yet (as the
   * kernel's copy_to_user/copy_from_user fault pages in). Null when the access
   * would fault for the guest too, and past the end of a mapped file (SIGBUS
   * for the guest, EFAULT for a syscall).
   */
  pageAccess(va: number, write = false): PageAccess | null {
    const v = this.vmaAt(va);
    if (!v || (v.prot & PROT_MASK) === PROT_NONE) return null;
    const canWrite = (v.prot & PROT_WRITE) !== 0;
    if (write && !canWrite) return null;
    const pa = this.present(va, v, write);
    if (typeof pa !== 'number') return null;
    // arm64 maps PROT_WRITE and PROT_EXEC pages readable too; what the guest can load, the kernel can copy in.
    return { pa: pa - (va % PAGE_SIZE), read: true, write: canWrite };
  }

  /**
   * pageAccess for a read that may not allocate: a page of anonymous memory
   * (private, or shmem of this process's frames with no page yet) that was never touched reads as
   * zeros, as Linux maps its shared zero page, so 'zero' is returned and no
   * frame is spent. Every other page is brought in as pageAccess does (a
   * file's bytes must be read). Null when the guest could not read it.
   */
  readAccess(va: number): PageAccess | 'zero' | null {
    const v = this.vmaAt(va);
    if (!v || (v.prot & PROT_MASK) === PROT_NONE) return null;
    const have = this.frameOf.get(vpnOf(va));
    if (have === undefined) {
      if (!v.obj) return 'zero';
      // Host shared memory may hold what another process wrote: it is mapped and read.
      if (!v.obj.source && !v.obj.host && isShared(v) && !v.obj.pages.has(vpnOf(v.offset + (pageDown(va) - v.start)))) return 'zero';
    }
    return this.pageAccess(va, false);
  }

  /**
   * A user translation fault at `va` (do_page_fault): a mapped page that is not
   * present yet is brought in and mapped, and an access just below a
   * MAP_GROWSDOWN mapping grows it first (within `stackLimit`, RLIMIT_STACK).
   */
  fault(va: number, access: { write: boolean; exec: boolean }, stackLimit: number): FaultResult {
    if (!(va >= 0 && va < TASK_SIZE)) return 'segv';
    let v = this.vmaAt(va);
    if (!v) {
      if (!this.growStack(va, stackLimit)) return 'segv';
      v = this.vmaAt(va);
      if (!v) return 'segv';
    }
    if ((v.prot & PROT_MASK) === PROT_NONE) return 'segv';
    if (access.write && !(v.prot & PROT_WRITE)) return 'segv';
    if (access.exec && !(v.prot & PROT_EXEC)) return 'segv';
    const r = this.present(va, v, access.write);
    return typeof r === 'number' ? 'mapped' : r;
  }

  /**
   * A permission fault on a present page of a mapping the guest asked to be
   * writable and executable: the page becomes read-execute for an
   * instruction fetch, read-write for a write (never both, W^X), and the
   * access is retried. Fetches then see what was written while the page was
   * writable, as if the guest had cleaned the cache. 'segv' when the mapping
   * does not allow the access.
   */
  flipWx(va: number, access: { write: boolean; exec: boolean }): 'flipped' | 'segv' {
    const v = this.vmaAt(va);
    if (!v || !v.wantExec || (!access.write && !access.exec)) return 'segv';
    const vpn = vpnOf(va);
    const pa = this.frameOf.get(vpn);
    if (pa === undefined) return 'segv';
    this.pageTable.map(vpn * PAGE_SIZE, pa, PAGE_SIZE, { read: true, write: !access.exec, exec: access.exec, user: true });
    if (access.exec) this.phys.invalidateCode(pa, PAGE_SIZE);
    return 'flipped';
  }

  /** mmap(2) of anonymous memory; see mmap. */
  mmapAnonymous(addr: number, length: number, prot: number, flags: number, name = ''): number {
    return this.mmap(addr, length, prot, flags | MAP_ANONYMOUS, { name });
  }

  /**
   * mmap(2) after the file checks (do_mmap): places the mapping (a hint, MAP_FIXED
   * replacing what is there, MAP_FIXED_NOREPLACE, or top-down below mmap_base),
   * creates the VMA and, for MAP_POPULATE, brings the pages in. Returns the VA or -errno.
   */
  mmap(addr: number, length: number, prot: number, flags: number, opts: MmapOptions = {}): number {
    if (!(length > 0)) return -Errno.EINVAL;
    if (prot & ~PROT_MASK) return -Errno.EINVAL;
    const anon = (flags & MAP_ANONYMOUS) !== 0 || opts.obj === undefined;
    let type = flags & MAP_TYPE;
    if (type === MAP_SHARED_VALIDATE && !anon) type = MAP_SHARED;
    if (type !== MAP_SHARED && type !== MAP_PRIVATE) return -Errno.EINVAL;
    const len = pageUp(length);
    if (len > TASK_SIZE) return -Errno.ENOMEM;
    if (anon && type === MAP_SHARED && flags & MAP_GROWSDOWN) return -Errno.EINVAL;
    // do_mmap: too many mappings already (only above the limit: the last one may still be made).
    if (this.tree.size > this.maxMapCount) return -Errno.ENOMEM;

    let start: number;
    const noReplace = (flags & MAP_FIXED_NOREPLACE) !== 0;
    if (noReplace || flags & MAP_FIXED) {
      if (addr > TASK_SIZE - len) return -Errno.ENOMEM;
      if (addr % PAGE_SIZE) return -Errno.EINVAL;
      if (noReplace && this.overlaps(addr, addr + len)) return -Errno.EEXIST;
      if (addr < MMAP_MIN_ADDR) return -Errno.EPERM;
      start = addr;
    } else {
      // round_hint_to_min: the hint is rounded down to its page, and raised to mmap_min_addr.
      let hint = pageDown(Math.max(addr, 0));
      if (hint !== 0 && hint < MMAP_MIN_ADDR) hint = MMAP_MIN_ADDR;
      start = hint >= MMAP_MIN_ADDR && hint <= TASK_SIZE - len && this.isFree(hint, hint + len) ? hint : this.findFree(len);
      if (start < 0) return start;
    }
    const privateWritable = type === MAP_PRIVATE && (prot & PROT_WRITE) !== 0;
    if (privateWritable && !(flags & MAP_NORESERVE) && len > this.commitLimit) return -Errno.ENOMEM;
    // Replacing the middle of a VMA splits it in three.
    if (this.splitsInMiddle(start, start + len)) return -Errno.ENOMEM;
    this.establish(start, len, prot, flags, type, opts);
    return start;
  }

  /** Create the mapping at [start, start+len), replacing what is there (the checks are done). */
  private establish(start: number, len: number, prot: number, flags: number, type: number, opts: MmapOptions): void {
    const anon = (flags & MAP_ANONYMOUS) !== 0 || opts.obj === undefined;
    const offset = opts.offset ?? 0;
    let obj = anon ? undefined : opts.obj;
    if (anon && type === MAP_SHARED) obj = this.newShmem(len);
    // Pin the object while MAP_FIXED removes what is there: it may be a mapping of the same file.
    if (obj) obj.mappedPages++;
    this.removeRange(start, start + len);
    this.insert({
      start,
      end: start + len,
      prot,
      flags: (flags & KEPT_FLAGS & ~MAP_TYPE) | type | (anon ? MAP_ANONYMOUS : 0),
      name: opts.name ?? '',
      wantExec: (prot & PROT_WRITE) !== 0 && (prot & PROT_EXEC) !== 0,
      ...(obj ? { obj } : {}),
      offset: obj ? offset : 0,
      ...(opts.noWrite ? { noWrite: true } : {}),
    });
    if (obj) obj.mappedPages--;
    if (flags & MAP_POPULATE) this.populate(start, start + len, (prot & PROT_WRITE) !== 0);
  }

  /** An unmap of [start, end) would split one VMA in three while the count is at the limit. */
  private splitsInMiddle(start: number, end: number): boolean {
    if (this.tree.size < this.maxMapCount) return false;
    const v = this.tree.find(start);
    return v !== undefined && v.start < start && end < v.end;
  }

  /** munmap(2): unmapping nothing is not an error. */
  munmap(addr: number, length: number): number {
    if (addr % PAGE_SIZE || !(length > 0)) return -Errno.EINVAL;
    const len = pageUp(length);
    if (addr > TASK_SIZE || len > TASK_SIZE - addr) return -Errno.EINVAL;
    if (this.splitsInMiddle(addr, addr + len)) return -Errno.ENOMEM;
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
    if (end > TASK_SIZE || end < addr) return -Errno.ENOMEM;
    // do_mprotect_pkey walks the VMAs from addr and stops at the first hole or refusal
    // with an error, leaving what it already changed changed.
    for (let at = addr; at < end; ) {
      const v = this.tree.firstEndingAfter(at);
      if (!v || v.start > at) return -Errno.ENOMEM;
      // A shared file opened read-only cannot become writable (mprotect_fixup's VM_MAYWRITE).
      if (prot & PROT_WRITE && v.noWrite) return -Errno.EACCES;
      const hi = Math.min(v.end, end);
      const r = this.protectPart(v, at, hi, prot);
      if (r < 0) return r;
      at = hi;
    }
    return 0;
  }

  /**
   * mprotect_fixup on [lo, hi) of `v`: nothing if the protection is the same;
   * else the part merges into a neighbour that then matches, or is split
   * off, each split refused at the VMA limit (the first split stays done
   * when the second is refused, as Linux leaves it).
   */
  private protectPart(v: Vma, lo: number, hi: number, prot: number): number {
    if (v.prot === prot) return 0;
    if (isExec(v) || prot & PROT_EXEC) this.icacheDirty = true;
    return this.changePart(v, lo, hi, { prot, wantExec: (prot & PROT_WRITE) !== 0 && (prot & PROT_EXEC) !== 0 });
  }

  /**
   * vma_modify on [lo, hi) of `v`: the part with `change` applied merges
   * into a neighbour that then matches, or is split off, each split refused
   * at the VMA limit (ENOMEM; the first split stays done when the second is
   * refused, as Linux leaves it).
   */
  private changePart(v: Vma, lo: number, hi: number, change: Partial<Pick<Vma, 'prot' | 'wantExec' | 'anonName'>>): number {
    const part: Vma = { ...v, start: lo, end: hi, offset: v.obj ? v.offset + (lo - v.start) : 0, ...change };
    if ('anonName' in change && change.anonName === undefined) delete (part as { anonName?: string }).anonName;
    const prev = lo === v.start ? this.tree.prev(v) : undefined;
    const next = hi === v.end ? this.tree.next(v) : undefined;
    const merges = (prev !== undefined && alike(prev, part)) || (next !== undefined && alike(part, next));
    if (!merges) {
      if (lo > v.start) {
        if (this.tree.size >= this.maxMapCount) return -Errno.ENOMEM;
        this.splitAt(lo);
      }
      if (hi < v.end) {
        if (this.tree.size >= this.maxMapCount) return -Errno.ENOMEM;
        this.splitAt(hi);
      }
    } else {
      this.splitAt(lo);
      this.splitAt(hi);
    }
    const old = this.tree.find(lo)!;
    this.tree.replace(old, part);
    this.applyPtes(part, lo, hi);
    this.mergeAround(part);
    return 0;
  }

  /**
   * prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME) (madvise_set_anon_name): names
   * (or, with undefined, unnames) the anonymous memory in [addr, addr +
   * length), splitting and merging VMAs. Holes are skipped and reported as
   * ENOMEM at the end; a file mapping stops the walk with EBADF; a split at
   * the VMA limit is EAGAIN.
   */
  setAnonName(addr: bigint, length: bigint, name: string | undefined): number {
    if (addr % BigInt(PAGE_SIZE)) return -Errno.EINVAL;
    const len = BigInt.asUintN(64, length + BigInt(PAGE_SIZE - 1)) & ~BigInt(PAGE_SIZE - 1);
    // A length within a page of 2^64 rounds up to 0.
    if (length !== 0n && len === 0n) return -Errno.EINVAL;
    if (addr + len >= 1n << 64n) return -Errno.EINVAL;
    if (len === 0n) return 0;
    if (addr >= BigInt(TASK_SIZE)) return -Errno.ENOMEM;
    const end = Number(addr + len > BigInt(TASK_SIZE) ? BigInt(TASK_SIZE) + BigInt(PAGE_SIZE) : addr + len);
    let unmapped = 0;
    for (let at = Number(addr); at < end; ) {
      const v = this.tree.firstEndingAfter(at);
      if (!v) return -Errno.ENOMEM;
      if (v.start > at) {
        unmapped = -Errno.ENOMEM;
        at = v.start;
        if (at >= end) break;
      }
      const hi = Math.min(v.end, end);
      if (v.obj && !(v.flags & MAP_ANONYMOUS)) return -Errno.EBADF;
      if (v.anonName !== name) {
        const r = this.changePart(v, at, hi, { anonName: name });
        if (r < 0) return r === -Errno.ENOMEM ? -Errno.EAGAIN : r;
      }
      at = hi;
    }
    return unmapped;
  }

  /** Set where the brk area starts (the page after the highest PT_LOAD end). */
  setBrk(start: number): void {
    this.brkStart = pageUp(start);
    this.brkCur = this.brkStart;
  }

  /** brk(2): Linux returns the current break, unchanged, on any failure. */
  brk(newBrk: number): number {
    if (newBrk < this.brkStart || newBrk > TASK_SIZE) return this.brkCur;
    const oldEnd = pageUp(this.brkCur);
    const newEnd = pageUp(newBrk);
    if (newEnd < oldEnd) this.removeRange(newEnd, oldEnd);
    if (newEnd > oldEnd) {
      // mm/mmap.c brk: the new area plus one guard page must not touch another mapping.
      if (newEnd > TASK_SIZE || !this.isFree(oldEnd, Math.min(newEnd + PAGE_SIZE, TASK_SIZE))) return this.brkCur;
      const r = this.mmap(oldEnd, newEnd - oldEnd, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, { name: '[heap]' });
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
    // va lies in no VMA, so the first one ending above it starts above it.
    const stack = this.tree.firstEndingAfter(va);
    if (!stack || !(stack.flags & MAP_GROWSDOWN)) return false;
    const start = pageDown(va);
    if (stack.end - start > limit) return false;
    const below = this.tree.prev(stack);
    if (below && below.prot !== PROT_NONE && below.end > start - STACK_GUARD_GAP) return false;
    // The stack VMA grows (it merges with the new pages): no new VMA, so no limit applies.
    this.establish(start, stack.start - start, stack.prot, stack.flags | MAP_FIXED, stack.flags & MAP_TYPE, { name: stack.name });
    return true;
  }

  /**
   * mremap(2) (mm/mremap.c): shrink in place, grow in place when the pages
   * after the mapping are free, else move (MREMAP_MAYMOVE) to a free range or
   * to new_address (MREMAP_FIXED); MREMAP_DONTUNMAP leaves the old range
   * mapped but empty. Present pages move with their contents. Returns the new
   * address or -errno.
   */
  mremap(oldAddr: number, oldSize: number, newSize: number, flags: number, newAddr: number): number {
    if (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP)) return -Errno.EINVAL;
    if (flags & (MREMAP_FIXED | MREMAP_DONTUNMAP) && !(flags & MREMAP_MAYMOVE)) return -Errno.EINVAL;
    if (oldAddr % PAGE_SIZE) return -Errno.EINVAL;
    const oldLen = pageUp(oldSize);
    const newLen = pageUp(newSize);
    if (newLen === 0) return -Errno.EINVAL;
    if (flags & MREMAP_DONTUNMAP && oldLen !== newLen) return -Errno.EINVAL;
    if (flags & MREMAP_FIXED) {
      if (newAddr % PAGE_SIZE) return -Errno.EINVAL;
      if (newLen > TASK_SIZE || newAddr > TASK_SIZE - newLen) return -Errno.EINVAL;
      // The two ranges must not overlap.
      if (newAddr < oldAddr + oldLen && oldAddr < newAddr + newLen) return -Errno.EINVAL;
    }
    const v = this.vmaAt(oldAddr);
    if (!v) return -Errno.EFAULT;
    // check_mremap_params: a move may split two VMAs in three before it unmaps.
    if (flags & (MREMAP_FIXED | MREMAP_DONTUNMAP) && this.tree.size + 2 >= this.maxMapCount - 3) return -Errno.ENOMEM;
    if (oldLen === 0) {
      // A second mapping of the same shared pages; private memory cannot be duplicated.
      if (!isShared(v) || !(flags & MREMAP_MAYMOVE)) return -Errno.EINVAL;
      const at = flags & MREMAP_FIXED ? newAddr : this.findFree(newLen);
      if (at < 0) return at;
      if (at < MMAP_MIN_ADDR) return -Errno.EPERM;
      this.removeRange(at, at + newLen);
      this.insert({ ...v, start: at, end: at + newLen, offset: v.offset + (oldAddr - v.start) });
      return at;
    }
    // Shrinking or keeping the size in place returns before the range is checked against the VMA
    // (mremap: only a resize looks at vma_to_resize), so it may span several VMAs.
    if (!(flags & (MREMAP_FIXED | MREMAP_DONTUNMAP)) && newLen <= oldLen) {
      if (newLen < oldLen) this.removeRange(oldAddr + newLen, oldAddr + oldLen);
      return oldAddr;
    }
    if (oldAddr + oldLen > v.end) return -Errno.EFAULT;
    if (flags & MREMAP_DONTUNMAP && (isShared(v) || v.flags & MAP_GROWSDOWN)) return -Errno.EINVAL;

    if (flags & MREMAP_FIXED) {
      if (newAddr < MMAP_MIN_ADDR) return -Errno.EPERM;
      this.removeRange(newAddr, newAddr + newLen);
      let len = oldLen;
      if (newLen < oldLen) {
        this.removeRange(oldAddr + newLen, oldAddr + oldLen);
        len = newLen;
      }
      return this.move(oldAddr, len, newAddr, newLen, (flags & MREMAP_DONTUNMAP) !== 0);
    }
    if (newLen <= oldLen) {
      if (newLen < oldLen) this.removeRange(oldAddr + newLen, oldAddr + oldLen);
      if (flags & MREMAP_DONTUNMAP) return this.move(oldAddr, newLen, this.findFree(newLen), newLen, true);
      return oldAddr;
    }
    // Grow: in place when the VMA ends where the range does and the pages after it are free.
    if (oldAddr + oldLen === v.end && !(flags & MREMAP_DONTUNMAP) && oldAddr + newLen <= TASK_SIZE && this.isFree(v.end, oldAddr + newLen)) {
      if (v.obj) v.obj.mappedPages += (oldAddr + newLen - v.end) / PAGE_SIZE;
      const grown = { ...v, end: oldAddr + newLen };
      this.tree.replace(v, grown);
      this.mergeAround(grown);
      return oldAddr;
    }
    if (!(flags & MREMAP_MAYMOVE)) return -Errno.ENOMEM;
    const at = this.findFree(newLen);
    if (at < 0) return at;
    return this.move(oldAddr, oldLen, at, newLen, (flags & MREMAP_DONTUNMAP) !== 0);
  }

  /**
   * msync(2)'s page work: write back the dirty pages of the shared file mappings
   * in the range. The range must be mapped (ENOMEM otherwise). MS_INVALIDATE
   * has nothing to drop: the object's pages are the only copy this process sees.
   */
  msync(addr: number, length: number, flags: number): number {
    if (addr % PAGE_SIZE) return -Errno.EINVAL;
    if (flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC)) return -Errno.EINVAL;
    if (flags & MS_ASYNC && flags & MS_SYNC) return -Errno.EINVAL;
    const len = pageUp(length);
    const end = addr + len;
    if (end < addr || end > TASK_SIZE) return -Errno.ENOMEM;
    if (len === 0) return 0;
    for (const v of this.inRange(addr, end)) {
      if (!v.obj?.source || !isShared(v)) continue;
      const lo = Math.max(v.start, addr);
      const hi = Math.min(v.end, end);
      this.writeBack(v.obj, v.offset + (lo - v.start), hi - lo);
    }
    // Like Linux, the mapped parts are synced even when the range has a hole.
    return this.isCovered(addr, end) ? 0 : -Errno.ENOMEM;
  }

  /** mincore(2): one byte per page, 1 when the page is resident. -ENOMEM when the range has a hole. */
  mincore(addr: number, length: number): Uint8Array | number {
    if (addr % PAGE_SIZE) return -Errno.EINVAL;
    const len = pageUp(length);
    if (addr + len > TASK_SIZE || addr + len < addr) return -Errno.ENOMEM;
    if (len === 0) return new Uint8Array(0);
    if (!this.isCovered(addr, addr + len)) return -Errno.ENOMEM;
    const out = new Uint8Array(len / PAGE_SIZE);
    for (let i = 0; i < out.length; i++) {
      const va = addr + i * PAGE_SIZE;
      const v = this.vmaAt(va)!;
      let resident = this.frameOf.has(vpnOf(va));
      if (!resident && v.obj && isShared(v)) resident = v.obj.pages.has(vpnOf(v.offset + (va - v.start)));
      out[i] = resident ? 1 : 0;
    }
    return out;
  }

  /**
   * MADV_DONTNEED (zap_page_range): private pages are dropped, so the next
   * access reads zeroes (anonymous) or the file again; shared pages only
   * leave this mapping, their contents stay in the object.
   */
  discard(start: number, end: number): void {
    for (const v of this.inRange(start, end)) {
      const lo = Math.max(v.start, start);
      const hi = Math.min(v.end, end);
      this.dropPresent(v, lo, hi);
    }
  }

  /** Bring every page of [start, end) in (MAP_POPULATE, MADV_POPULATE_*, MADV_WILLNEED). Stops quietly at a file's end. */
  populate(start: number, end: number, write: boolean): void {
    for (let va = start; va < end; va += PAGE_SIZE) {
      const v = this.vmaAt(va);
      if (!v) continue;
      if (typeof this.present(va, v, write && (v.prot & PROT_WRITE) !== 0) !== 'number') return;
    }
  }

  /** The mapped VMAs that meet [start, end), in order. */
  inRange(start: number, end: number): Vma[] {
    return this.tree.range(start, end);
  }

  isCovered(start: number, end: number): boolean {
    for (let at = start; at < end; ) {
      const v = this.tree.firstEndingAfter(at);
      if (!v || v.start > at) return false;
      at = v.end;
    }
    return true;
  }

  /** write(2) of the file `key` at `offset`: the cached pages show the new bytes (one page cache). */
  fileWritten(key: string, offset: number, data: Uint8Array): void {
    const obj = this.objects.get(key);
    if (!obj || obj.host) return; // host shared pages are the file's own: the write is there already
    for (let off = 0; off < data.length; ) {
      const at = offset + off;
      const n = Math.min(data.length - off, PAGE_SIZE - (at % PAGE_SIZE));
      const page = obj.pages.get(vpnOf(at));
      if (page) this.phys.view(page.pa + (at % PAGE_SIZE), n).set(data.subarray(off, off + n));
      off += n;
    }
  }

  /** Before read(2) of the file `key`: write back dirty cached pages of [offset, offset+len). */
  syncFile(key: string, offset: number, len: number): void {
    const obj = this.objects.get(key);
    if (obj) this.writeBack(obj, offset, len);
  }

  /** Write back every dirty page of every file object (exit). */
  syncAll(): void {
    for (const obj of this.objects.values()) this.writeBack(obj, 0, Number.MAX_SAFE_INTEGER);
  }

  /** The highest free range of `len` bytes below mmapBase (top-down, like Linux), or -ENOMEM. */
  findFree(length: number): number {
    const len = pageUp(length);
    // The highest VMA below mmap_base: the room above it, then the gaps below, then below the lowest.
    const top = this.tree.lastStartingBefore(MMAP_BASE);
    if (!top) return MMAP_BASE - len >= MMAP_MIN_ADDR ? MMAP_BASE - len : -Errno.ENOMEM;
    if (MMAP_BASE - top.end >= len) return MMAP_BASE - len;
    const gap = this.tree.highestGapBelow(len, top.start);
    if (gap >= 0) return gap;
    const first = this.tree.first()!;
    return first.start - len >= MMAP_MIN_ADDR ? first.start - len : -Errno.ENOMEM;
  }

  /** Map EL1-only pages (the shim) identity-style below mmap_min_addr, where no user mapping can go. */
  mapKernel(va: number, pa: number, len: number, opts: { exec: boolean }): void {
    if (va + len > MMAP_MIN_ADDR) throw new RangeError(`kernel mapping 0x${va.toString(16)}+0x${len.toString(16)} is above mmap_min_addr`);
    this.pageTable.map(va, pa, len, { read: true, write: !opts.exec, exec: opts.exec, user: false });
    this.kernelRanges.push({ start: va, end: va + len });
  }

  /** Privileged write that ignores protections (ELF segments). */
  poke(va: number, bytes: Uint8Array): void {
    this.forEachPage(va, bytes.length, true, (pa, off, n, v) => {
      this.phys.view(pa, n).set(bytes.subarray(off, off + n));
      if (isExec(v)) this.phys.invalidateCode(pa, n);
    });
  }

  /**
   * Privileged write of instructions: the decoded code of the pages written
   * is invalidated page by page (no whole-cache invalidation).
   */
  pokeCode(va: number, bytes: Uint8Array): void {
    this.forEachPage(va, bytes.length, true, (pa, off, n) => {
      this.phys.view(pa, n).set(bytes.subarray(off, off + n));
      this.phys.invalidateCode(pa, n);
    });
  }

  /** Privileged read that ignores protections (fork, core dumps, debugging). */
  peek(va: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    this.forEachPage(va, len, false, (pa, off, n) => out.set(this.phys.view(pa, n), off));
    return out;
  }

  /**
   * What fork copies (dup_mmap): every VMA, and the bytes of every present
   * private page (anonymous memory, and file pages this process has touched
   * and so owns a copy of). Shared file mappings are written back first, so
   * the child, which maps the same file, reads what the parent wrote.
   */
  forkImage(): { vmas: readonly Vma[]; pages: { va: number; data: Uint8Array }[]; brkStart: number; brkCur: number } {
    this.syncAll();
    const vmas = this.tree.toArray();
    const pages: { va: number; data: Uint8Array }[] = [];
    for (const v of vmas) {
      // A shared file mapping's pages are the file's (written back above), host shared memory's are the
      // host object's (the child maps it too); everything else is copied (shared anonymous memory
      // too when the host cannot share memory: the child gets its own copy).
      if ((v.obj?.source || v.obj?.host) && isShared(v)) continue;
      for (const [vpn, pa] of this.presentIn(v.start, v.end)) pages.push({ va: vpn * PAGE_SIZE, data: this.phys.view(pa, PAGE_SIZE).slice() });
    }
    return { vmas, pages, brkStart: this.brkStart, brkCur: this.brkCur };
  }

  /**
   * A forked child's memory, in this empty address space: the VMAs as the
   * parent had them (each file mapping's object made by `objectFor`), then
   * the copied pages, present at once.
   */
  restoreFork(
    image: { vmas: readonly Omit<Vma, 'obj'>[]; pages: readonly { va: number; data: Uint8Array }[]; brkStart: number; brkCur: number },
    objectFor: (vma: Omit<Vma, 'obj'>, index: number) => MemObject | undefined,
  ): void {
    image.vmas.forEach((v, i) => {
      // Shared anonymous memory the parent did not pass by reference gets an object of its own.
      const anonShared = isShared(v as Vma) && (v.flags & MAP_ANONYMOUS) !== 0;
      const obj = objectFor(v, i) ?? (anonShared ? this.newShmem(v.end - v.start) : undefined);
      const vma: Vma = obj ? { ...v, obj } : { ...v };
      this.tree.insert(vma);
      if (obj) obj.mappedPages += (vma.end - vma.start) / PAGE_SIZE;
      if (isExec(vma)) this.icacheDirty = true;
    });
    for (const { va, data } of image.pages) {
      const v = this.vmaAt(va);
      if (!v || (v.obj?.host && isShared(v))) continue;
      const pa = this.frames.alloc();
      this.phys.view(pa, PAGE_SIZE).set(data);
      this.frameOf.set(vpnOf(va), pa);
      if (v.obj && isShared(v)) v.obj.pages.set(vpnOf(v.offset + (va - v.start)), { pa, dirty: false });
      this.applyPtes(v, va, va + PAGE_SIZE);
    }
    this.brkStart = image.brkStart;
    this.brkCur = image.brkCur;
  }

  /**
   * shmdt(2): the attach whose first page is at `addr` (a SysV object mapped
   * from its offset 0) goes, every VMA of it within the segment's size
   * (mprotect may have split it). EINVAL when no attach starts there.
   */
  shmdt(addr: number): number {
    const v = this.vmaAt(addr);
    const obj = v?.obj;
    if (!v || !obj || v.start !== addr || v.offset !== 0 || obj.host?.ref.kind !== 'sysv') return -Errno.EINVAL;
    const end = addr + (obj.host.size ?? v.end - v.start);
    for (const w of this.inRange(addr, end)) if (w.obj === obj) this.removeRange(w.start, w.end);
    return 0;
  }

  /** Drop every user mapping and the brk area (execve, exit); dirty shared file pages are written back. */
  clear(): void {
    for (const v of this.tree.toArray()) this.removeRange(v.start, v.end);
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
      const pa = this.present(cur, v, write);
      if (typeof pa !== 'number') throw new GuestFault(cur, write);
      fn(pa, off, n, v);
      off += n;
    }
  }

  /**
   * The frame of the page holding `va` in `v`, bringing it in if needed: a
   * private page gets a fresh frame, zeroed or filled from the file; a shared
   * page is the object's (read from the file the first time). The page is
   * mapped as the VMA's protection says. Returns the PA of `va` itself, or
   * 'bus' past the end of a file, or 'oom' when guest RAM is exhausted.
   */
  private present(va: number, v: Vma, write: boolean): number | 'bus' | 'oom' {
    const vpn = vpnOf(va);
    const have = this.frameOf.get(vpn);
    if (have !== undefined) {
      if (write) this.markDirty(va, v);
      return have + (va % PAGE_SIZE);
    }
    const page = vpn * PAGE_SIZE;
    const objOff = v.offset + (page - v.start);
    let pa: number;
    try {
      if (v.obj && isShared(v)) {
        const cached = this.cachedPage(v.obj, objOff);
        if (typeof cached !== 'number') return cached;
        pa = cached;
      } else {
        if (v.obj?.source && objOff >= pageUp(v.obj.source.size())) return 'bus';
        pa = this.frames.alloc();
        if (v.obj) {
          const cached = v.obj.pages.get(vpnOf(objOff));
          if (cached) this.phys.view(pa, PAGE_SIZE).set(this.phys.view(cached.pa, PAGE_SIZE));
          else if (v.obj.source) v.obj.source.read(this.phys.view(pa, PAGE_SIZE), objOff);
        }
      }
    } catch (e) {
      if (e instanceof OutOfMemoryError) return 'oom';
      throw e;
    }
    this.frameOf.set(vpn, pa);
    if (write) this.markDirty(va, v);
    if ((v.prot & PROT_MASK) !== PROT_NONE) this.pageTable.map(page, pa, PAGE_SIZE, userPerms(v.prot));
    // Only this frame can hold stale code (from an earlier use): invalidating
    // everything here would throw away every decoded block at each page-in.
    if (isExec(v)) this.phys.invalidateCode(pa, PAGE_SIZE);
    return pa + (va % PAGE_SIZE);
  }

  /** The object's page at byte offset `objOff`, read from the file (or zeroed, for shmem) the first time. */
  private cachedPage(obj: MemObject, objOff: number): number | 'bus' {
    const idx = vpnOf(objOff);
    const have = obj.pages.get(idx);
    if (have) return have.pa;
    if (obj.host) {
      const pa = this.hostPage(obj, obj.host, objOff);
      if (typeof pa === 'number') obj.pages.set(idx, { pa, dirty: false });
      return pa;
    }
    if (obj.source && objOff >= pageUp(obj.source.size())) return 'bus';
    const pa = this.frames.alloc();
    // Past the end of the file the last page reads as zeroes (the frame is zeroed).
    if (obj.source) obj.source.read(this.phys.view(pa, PAGE_SIZE), objOff);
    obj.pages.set(idx, { pa, dirty: false });
    return pa;
  }

  /** The page at `objOff` of a host-backed object: in its window, mapped the first time (OutOfMemoryError when no run of frames is left). */
  private hostPage(obj: MemObject, h: HostBacking, objOff: number): number | 'bus' {
    const limit = h.size ?? (obj.source ? pageUp(obj.source.size()) : Number.POSITIVE_INFINITY);
    if (objOff >= limit) return 'bus';
    const w = Math.floor(objOff / h.window);
    let base = h.windows.get(w);
    if (base === undefined) {
      const sh = this.sharing;
      if (!sh) return 'bus';
      base = this.frames.allocRun(h.window / PAGE_SIZE);
      try {
        sh.port.mapShared(base, h.window, h.ref.kind === 'fd' ? { ...h.ref, offset: h.ref.offset + w * h.window } : h.ref);
      } catch {
        // The host refused (its memory or map limits): the access fails as shmem's does, with SIGBUS.
        this.frames.freeRun(base, h.window / PAGE_SIZE);
        return 'bus';
      }
      h.windows.set(w, base);
    }
    return base + (objOff - w * h.window);
  }

  private markDirty(va: number, v: Vma): void {
    if (!v.obj || !isShared(v)) return;
    const page = v.obj.pages.get(vpnOf(v.offset + (pageDown(va) - v.start)));
    if (page) page.dirty = true;
  }

  /** Write back the dirty pages of `obj` in [offset, offset+len), never past the file's end. */
  private writeBack(obj: MemObject, offset: number, len: number): void {
    const src = obj.source;
    if (!src || obj.host) return; // host shared pages are the file's own
    // The page tables keep no dirty bit the host can see, so a page mapped writable counts as dirty.
    const inRange = [...obj.pages].filter(([idx]) => idx * PAGE_SIZE < offset + len && offset < (idx + 1) * PAGE_SIZE);
    if (inRange.length === 0) return;
    const writers = this.tree.toArray().filter((v) => v.obj === obj && isShared(v) && (v.prot & PROT_WRITE) !== 0);
    const entries = inRange.filter(([idx, p]) => p.dirty || this.writableMapped(writers, idx));
    if (entries.length === 0) return;
    const size = src.size();
    for (const [idx, p] of entries.sort((a, b) => a[0] - b[0])) {
      const at = idx * PAGE_SIZE;
      const n = Math.min(PAGE_SIZE, size - at);
      if (n > 0) src.write(this.phys.view(p.pa, n), at);
      p.dirty = false;
    }
  }

  /** Whether object page `idx` is present in one of `writers` (the object's writable shared VMAs). */
  private writableMapped(writers: readonly Vma[], idx: number): boolean {
    return writers.some((v) => {
      const va = v.start + idx * PAGE_SIZE - v.offset;
      return va >= v.start && va < v.end && this.frameOf.has(vpnOf(va));
    });
  }

  /**
   * smaps' view of one VMA: its present pages, and how many count as dirty.
   * The page tables keep no dirty bit elfuse can see, so a present page of
   * anonymous memory or of a writable mapping counts as dirty, as writeBack
   * assumes, and so does a shared page the object marked dirty.
   */
  residency(v: Vma): { resident: number; dirty: number } {
    const present = this.presentIn(v.start, v.end);
    if (!v.obj || v.prot & PROT_WRITE) return { resident: present.length, dirty: present.length };
    let dirty = 0;
    if (isShared(v)) for (const [vpn] of present) if (v.obj.pages.get(vpnOf(v.offset + (vpn * PAGE_SIZE - v.start)))?.dirty) dirty++;
    return { resident: present.length, dirty };
  }

  /** Present pages of [start, end): by page walk for small ranges, by scanning the map for huge ones. */
  private presentIn(start: number, end: number): [number, number][] {
    const lo = vpnOf(start);
    const hi = vpnOf(end);
    const out: [number, number][] = [];
    if (hi - lo <= this.frameOf.size) {
      for (let vpn = lo; vpn < hi; vpn++) {
        const pa = this.frameOf.get(vpn);
        if (pa !== undefined) out.push([vpn, pa]);
      }
    } else {
      for (const [vpn, pa] of this.frameOf) if (vpn >= lo && vpn < hi) out.push([vpn, pa]);
      out.sort((a, b) => a[0] - b[0]);
    }
    return out;
  }

  /** Make the page tables of [start, end) (inside `v`) say `v.prot` for its present pages. */
  private applyPtes(v: Vma, start: number, end: number): void {
    if ((v.prot & PROT_MASK) === PROT_NONE) {
      this.pageTable.unmap(start, end - start);
      return;
    }
    const perms = userPerms(v.prot);
    for (const [vpn, pa] of this.presentIn(start, end)) this.pageTable.map(vpn * PAGE_SIZE, pa, PAGE_SIZE, perms);
  }

  /** Forget the present pages of [start, end) of `v`: private frames are freed, shared ones stay the object's. */
  private dropPresent(v: Vma, start: number, end: number): void {
    const present = this.presentIn(start, end);
    if (present.length === 0) return;
    if (isExec(v) || v.wantExec) this.icacheDirty = true;
    this.pageTable.unmap(start, end - start);
    const shared = v.obj !== undefined && isShared(v);
    for (const [vpn, pa] of present) {
      if (!shared) this.frames.free(pa);
      this.frameOf.delete(vpn);
    }
  }

  /** Add a VMA over a free range, merged with alike neighbours (vma_merge_new_range). */
  private insert(vma: Vma): void {
    this.tree.insert(vma);
    if (vma.obj) vma.obj.mappedPages += (vma.end - vma.start) / PAGE_SIZE;
    if (isExec(vma)) this.icacheDirty = true;
    this.mergeAround(vma);
  }

  /**
   * Move [from, from+len) to [to, to+len) and make the result `newLen` long
   * (the old range is one VMA's). Present pages keep their frames; with
   * `keepOld` (MREMAP_DONTUNMAP) the old range stays mapped, empty.
   */
  private move(from: number, len: number, to: number, newLen: number, keepOld: boolean): number {
    if (to < 0) return to;
    // move_vma: room for splitting the old range in three and the new VMA.
    if (this.tree.size >= this.maxMapCount - 3) return -Errno.ENOMEM;
    this.splitAt(from);
    this.splitAt(from + len);
    const v = this.vmaAt(from)!;
    const present = this.presentIn(from, from + len);
    this.pageTable.unmap(from, len);
    for (const [vpn] of present) this.frameOf.delete(vpn);
    const shift = to - from;
    if (!keepOld) {
      this.tree.remove(v);
      if (v.obj) v.obj.mappedPages -= len / PAGE_SIZE;
    }
    if (isExec(v) || v.wantExec) this.icacheDirty = true;
    this.insert({ ...v, start: to, end: to + newLen });
    const moved = this.vmaAt(to)!;
    for (const [vpn, pa] of present) {
      this.frameOf.set(vpn + shift / PAGE_SIZE, pa);
      if ((moved.prot & PROT_MASK) !== PROT_NONE) this.pageTable.map(vpn * PAGE_SIZE + shift, pa, PAGE_SIZE, userPerms(moved.prot));
    }
    return to;
  }

  private overlaps(start: number, end: number): boolean {
    return this.tree.overlaps(start, end);
  }

  private isFree(start: number, end: number): boolean {
    if (start < MMAP_MIN_ADDR || end > TASK_SIZE) return false;
    return !this.overlaps(start, end);
  }

  /** Split the VMA strictly containing `addr` in two at `addr`. */
  private splitAt(addr: number): void {
    const v = this.tree.find(addr);
    if (!v || v.start === addr) return;
    this.tree.replace(v, { ...v, end: addr });
    this.tree.insert({ ...v, start: addr, offset: v.obj ? v.offset + (addr - v.start) : 0 });
  }

  /** Unmap [start, end): VMAs are cut at its edges, pages unmapped, frames freed, objects released. */
  private removeRange(start: number, end: number): void {
    if (!this.overlaps(start, end)) return;
    this.splitAt(start);
    this.splitAt(end);
    for (const v of this.tree.range(start, end)) {
      if (isExec(v) || v.wantExec) this.icacheDirty = true;
      if (v.obj && isShared(v)) this.writeBack(v.obj, v.offset, v.end - v.start);
      this.dropPresent(v, v.start, v.end);
      this.pageTable.unmap(v.start, v.end - v.start);
      this.tree.remove(v);
      if (v.obj) {
        v.obj.mappedPages -= (v.end - v.start) / PAGE_SIZE;
        if (v.obj.mappedPages === 0) this.releaseObject(v.obj);
      }
    }
  }

  /** No mapping refers to `obj` any more: write back, free its pages, let the file go. */
  private releaseObject(obj: MemObject): void {
    this.writeBack(obj, 0, Number.MAX_SAFE_INTEGER);
    const h = obj.host;
    if (h) {
      for (const base of h.windows.values()) {
        this.sharing?.port.unmapShared(base, h.window);
        this.frames.freeRun(base, h.window / PAGE_SIZE);
      }
      h.windows.clear();
      h.release?.();
    } else for (const p of obj.pages.values()) this.frames.free(p.pa);
    obj.pages.clear();
    this.objects.delete(obj.key);
    obj.source?.release();
  }

  /** Merge `v` with its neighbours where they are alike, as vma_merge does around a changed range. */
  private mergeAround(v: Vma): void {
    let cur = v;
    const prev = this.tree.prev(cur);
    if (prev && alike(prev, cur)) {
      this.tree.remove(cur);
      cur = { ...prev, end: cur.end };
      this.tree.replace(prev, cur);
    }
    const next = this.tree.next(cur);
    if (next && alike(cur, next)) {
      this.tree.remove(next);
      this.tree.replace(cur, { ...cur, end: next.end });
    }
  }
}
