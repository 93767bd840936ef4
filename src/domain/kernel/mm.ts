/**
 * Memory family (mm/mmap.c, mm/mremap.c, mm/msync.c, mm/mincore.c,
 * mm/mprotect.c, mm/madvise.c): brk, mmap, munmap, mprotect, mremap, msync,
 * mincore, madvise. The AddressSpace does the VMA and page work; this file
 * adds what needs files: the checks mmap makes of the descriptor, and the
 * PageSource through which a mapped file's pages are read from and written
 * back to the host file.
 *
 * MAP_SHARED file mappings map the host file itself when the backend can
 * map host memory (AddressSpace's HostBacking; see ARCHITECTURE.md, "Shared
 * memory"): every mapping of the file, in this process, its fork children
 * and any other host process, shows the same pages, coherent with read(2)
 * and write(2) at once, with nothing to write back. Without host sharing
 * (a MemoryPort that cannot map host memory), within this process: every
 * mapping of one file (identified by device and inode) shows the same
 * pages; write/pwrite64/writev/pwritev of the file through any descriptor
 * update the mapped pages at once; read/pread64/readv/preadv of the file
 * first write back the mapped pages of the range that were written through
 * a syscall or are mapped writable (both go through fs-io's hostRead and
 * hostWrite); those pages reach the file on msync (any flags), munmap,
 * mremap shrink, exit and execve, never past the file's size at that
 * moment, and changes made by other processes are not seen. MAP_PRIVATE
 * file pages are copies taken at first touch (Linux keeps showing file
 * changes until the page is written).
 */

import { Errno } from './errno.js';
import type { OpenFile } from './fd-table.js';
import {
  MADV_COLD,
  MADV_DODUMP,
  MADV_DOFORK,
  MADV_DONTDUMP,
  MADV_DONTFORK,
  MADV_DONTNEED,
  MADV_FREE,
  MADV_HUGEPAGE,
  MADV_KEEPONFORK,
  MADV_MERGEABLE,
  MADV_NOHUGEPAGE,
  MADV_NORMAL,
  MADV_PAGEOUT,
  MADV_POPULATE_READ,
  MADV_POPULATE_WRITE,
  MADV_RANDOM,
  MADV_REMOVE,
  MADV_SEQUENTIAL,
  MADV_UNMERGEABLE,
  MADV_WILLNEED,
  MADV_WIPEONFORK,
  MAP_ANONYMOUS,
  MAP_PRIVATE,
  MAP_SHARED,
  MAP_SHARED_VALIDATE,
  MAP_TYPE,
  O_APPEND,
  PAGE_SIZE,
  PROT_WRITE,
  MAP_FIXED,
  RLIMIT_AS,
  RLIMIT_DATA,
  RLIMIT_MEMLOCK,
  RLIM_INFINITY,
} from './linux-abi.js';
import type { PageSource, Vma } from '../memory/address-space.js';
import { TASK_SIZE } from '../memory/layout.js';
import type { SyscallArgs, SyscallImpl } from './syscall-args.js';
import type { Task } from './task.js';

const pageUp = (n: number): number => Math.ceil(n / PAGE_SIZE) * PAGE_SIZE;

/**
 * LEGACY_MAP_MASK (include/linux/mman.h) plus MAP_FIXED_NOREPLACE: the flags
 * MAP_SHARED_VALIDATE accepts; any other bit is EOPNOTSUPP.
 */
const VALIDATED_FLAGS = 0x01 | 0x02 | 0x10 | 0x20 | 0x800 | 0x1000 | 0x4000000 | 0x100 | 0x2000 | 0x4000 | 0x8000 | 0x10000 | 0x20000 | 0x40000 | 0x100000;

/** A file's identity: one page cache per (device, inode), whatever path or descriptor maps it. */
function fileKey(task: Task, file: OpenFile): string | null {
  try {
    const st = task.host.fs.fstat(file.hostFd);
    return `file:${st.dev}:${st.ino}`;
  } catch {
    return null;
  }
}

/**
 * The host file behind a mapping. It holds a reference to the open file
 * description, as a VMA holds its struct file, so the guest may close the
 * descriptor and keep using the mapping. A later writable descriptor
 * replaces a read-only one, so write-back always has a writable host fd.
 */
class HostFileSource implements PageSource {
  constructor(
    private readonly task: Task,
    public file: OpenFile,
  ) {
    file.refs++;
  }

  upgrade(file: OpenFile): void {
    if (this.file.writable || !file.writable) return;
    file.refs++;
    this.drop(this.file);
    this.file = file;
  }

  get hostFd(): number {
    return this.file.hostFd;
  }

  get writable(): boolean {
    return this.file.writable;
  }

  read(buf: Uint8Array, offset: number): number {
    let done = 0;
    while (done < buf.length) {
      const n = this.task.host.fs.read(this.file.hostFd, buf.subarray(done), BigInt(offset + done));
      if (n <= 0) break;
      done += n;
    }
    return done;
  }

  write(data: Uint8Array, offset: number): void {
    if (!this.file.writable) return;
    let done = 0;
    while (done < data.length) {
      const n = this.task.host.fs.write(this.file.hostFd, data.subarray(done), BigInt(offset + done));
      if (n <= 0) break;
      done += n;
    }
  }

  size(): number {
    return Number(this.task.host.fs.fstat(this.file.hostFd).size);
  }

  release(): void {
    this.drop(this.file);
  }

  private drop(file: OpenFile): void {
    file.refs--;
    if (file.refs === 0 && file.ownsHostFd && file.hostFd >= 0) this.task.host.fs.close(file.hostFd);
  }
}

/** The file a mapping reads from, or an errno (do_mmap's checks, in its order). */
function mappableFile(file: OpenFile, prot: number, flags: number): number {
  if (file.kind === 'dir' || file.kind === 'fifo' || file.kind === 'socket' || file.kind === 'tty' || file.kind === 'inotify') return -Errno.ENODEV;
  const type = flags & MAP_TYPE;
  if (type === MAP_SHARED_VALIDATE && flags & ~VALIDATED_FLAGS) return -Errno.EOPNOTSUPP;
  if (type !== MAP_PRIVATE && prot & PROT_WRITE && !file.writable) return -Errno.EACCES;
  if (!file.readable) return -Errno.EACCES;
  return 0;
}

/** mmap(2): anonymous memory, files (shared or private), /dev/zero and other devices as anonymous memory. */
function sysMmap(task: Task, a: SyscallArgs): number {
  const addr = a.ptr(0);
  const length = a.size(1);
  const prot = a.int(2);
  const flags = a.int(3);
  const offset = a.u64(5);
  // arm64 sys_mmap: the offset must be page-aligned.
  if (offset % BigInt(PAGE_SIZE) !== 0n) return -Errno.EINVAL;
  if (!mayExpand(task, length, flags & MAP_FIXED ? addr : null)) return -Errno.ENOMEM;
  if (flags & MAP_ANONYMOUS) return task.as.mmap(addr, length, prot, flags);

  const file = task.fds.get(a.fd(4));
  if (!file || file.kind === 'path') return -Errno.EBADF;
  if (!(length > 0)) return -Errno.EINVAL;
  const type = flags & MAP_TYPE;
  if (type !== MAP_SHARED && type !== MAP_PRIVATE && type !== MAP_SHARED_VALIDATE) return -Errno.EINVAL;
  const bad = mappableFile(file, prot, flags);
  if (bad < 0) return bad;
  // proc files have no mmap (ENODEV, as do_mmap says when f_op->mmap is missing).
  if (file.synth && file.kind !== 'chr') return -Errno.ENODEV;
  // /dev/zero and other character devices map as fresh (shared or private) zeroed memory.
  if (file.kind === 'chr') return task.as.mmap(addr, length, prot, (flags & ~MAP_TYPE) | (type === MAP_PRIVATE ? MAP_PRIVATE : MAP_SHARED) | MAP_ANONYMOUS);
  if (offset + BigInt(pageUp(length)) > BigInt(Number.MAX_SAFE_INTEGER)) return -Errno.EOVERFLOW;
  const key = fileKey(task, file);
  if (key === null) return -Errno.EBADF;
  const obj = task.as.fileObject(key, () => new HostFileSource(task, file));
  if (obj.source instanceof HostFileSource) {
    obj.source.upgrade(file);
    if (obj.source.writable) task.as.hostWritable(obj, obj.source.hostFd);
  }
  const va = task.as.mmap(addr, length, prot, flags & ~MAP_ANONYMOUS, {
    name: file.path,
    obj,
    offset: Number(offset),
    noWrite: type !== MAP_PRIVATE && !file.writable,
  });
  // A mapping that failed leaves no reference behind.
  if (va < 0 && obj.mappedPages === 0) task.as.dropObject(obj);
  return va;
}

/** mremap(2) */
function sysMremap(task: Task, a: SyscallArgs): number {
  return task.as.mremap(a.ptr(0), a.size(1), a.size(2), a.int(3), a.ptr(4));
}

/** Bytes of the address space mapped now. */
function mappedBytes(task: Task, start = 0, end = Number.MAX_SAFE_INTEGER): number {
  let total = 0;
  for (const v of task.as.vmas) total += Math.max(0, Math.min(v.end, end) - Math.max(v.start, start));
  return total;
}

/**
 * may_expand_vm (mm/mmap.c): a new mapping of `length` bytes (replacing what
 * lies under it when it is MAP_FIXED at `fixedAt`) must keep the address
 * space within RLIMIT_AS.
 */
function mayExpand(task: Task, length: number, fixedAt: number | null): boolean {
  const limit = task.tg.rlimits[RLIMIT_AS]?.cur ?? RLIM_INFINITY;
  if (limit === RLIM_INFINITY) return true;
  const len = pageUp(length);
  const replaced = fixedAt === null ? 0 : mappedBytes(task, fixedAt, fixedAt + len);
  return BigInt(mappedBytes(task) - replaced + len) <= limit;
}

/**
 * brk(2): growth must fit RLIMIT_DATA (the heap, as check_data_rlimit
 * counts it) and RLIMIT_AS; a refused brk returns the unchanged break.
 */
function sysBrk(task: Task, a: SyscallArgs): number {
  const want = a.ptr(0);
  const cur = task.as.brk(0);
  if (want > cur) {
    const dataLimit = task.tg.rlimits[RLIMIT_DATA]?.cur ?? RLIM_INFINITY;
    if (dataLimit !== RLIM_INFINITY && BigInt(want - task.as.brkBase) > dataLimit) return cur;
    if (!mayExpand(task, pageUp(want) - pageUp(cur), null)) return cur;
  }
  return task.as.brk(want);
}

/** mincore(2): one byte per page, bit 0 set when the page is resident. */
function sysMincore(task: Task, a: SyscallArgs): number {
  const r = task.as.mincore(a.ptr(0), a.size(1));
  if (typeof r === 'number') return r;
  task.mem.write(a.ptr(2), r);
  return 0;
}

/** Advice Linux accepts without changing what the guest sees. */
const HARMLESS_ADVICE = new Set([
  MADV_NORMAL,
  MADV_RANDOM,
  MADV_SEQUENTIAL,
  MADV_DONTFORK,
  MADV_DOFORK,
  MADV_MERGEABLE,
  MADV_UNMERGEABLE,
  MADV_HUGEPAGE,
  MADV_NOHUGEPAGE,
  MADV_DONTDUMP,
  MADV_DODUMP,
  MADV_KEEPONFORK,
  MADV_COLD,
  MADV_PAGEOUT,
]);

const isPrivateAnon = (v: Vma): boolean => (v.flags & MAP_TYPE) === MAP_PRIVATE && v.obj === undefined;

/**
 * madvise(2). Per-VMA checks come first (madvise_vma_behavior), then the
 * work; a hole in the range is ENOMEM after the mapped parts were advised.
 */
function sysMadvise(task: Task, a: SyscallArgs): number {
  const advice = a.int(2);
  const known =
    HARMLESS_ADVICE.has(advice) ||
    [MADV_WILLNEED, MADV_DONTNEED, MADV_FREE, MADV_REMOVE, MADV_WIPEONFORK, MADV_POPULATE_READ, MADV_POPULATE_WRITE].includes(advice);
  if (!known) return -Errno.EINVAL;
  // do_madvise's checks on the 64-bit range: a range that wraps is EINVAL; one above the
  // address space is only unmapped, so ENOMEM (below).
  const start64 = a.u64(0);
  const page = BigInt(PAGE_SIZE);
  const len64 = (a.u64(1) + page - 1n) & ~(page - 1n) & 0xffff_ffff_ffff_ffffn;
  if (start64 % page) return -Errno.EINVAL;
  if (a.u64(1) !== 0n && len64 === 0n) return -Errno.EINVAL;
  if (len64 === 0n) return 0;
  if (start64 + len64 >= 1n << 64n) return -Errno.EINVAL;
  if (start64 >= BigInt(TASK_SIZE)) return -Errno.ENOMEM;
  const start = Number(start64);
  const end = Number(start64 + len64 > BigInt(TASK_SIZE) ? BigInt(TASK_SIZE) : start64 + len64);
  const hole = start64 + len64 > BigInt(TASK_SIZE) || !task.as.isCovered(start, end);
  const vmas = task.as.inRange(start, end);
  if (vmas.length === 0) return -Errno.ENOMEM;
  for (const v of vmas) {
    // MADV_FREE and MADV_WIPEONFORK only apply to private anonymous memory.
    if ((advice === MADV_FREE || advice === MADV_WIPEONFORK) && !isPrivateAnon(v)) return -Errno.EINVAL;
    // MADV_REMOVE punches a hole in shared memory; private mappings refuse it.
    if (advice === MADV_REMOVE && (v.flags & MAP_TYPE) !== MAP_SHARED) return -Errno.EINVAL;
    // Populating what the access could not fault in (a write to read-only memory, PROT_NONE) is EINVAL.
    if (advice === MADV_POPULATE_WRITE && !(v.prot & PROT_WRITE)) return -Errno.EINVAL;
    if ((advice === MADV_POPULATE_READ || advice === MADV_POPULATE_WRITE) && v.prot === 0) return -Errno.EINVAL;
  }
  if (advice === MADV_DONTNEED) task.as.discard(start, end);
  // MADV_FREE lets the kernel drop the pages lazily; keeping them is one of Linux's valid outcomes.
  if (advice === MADV_POPULATE_READ || advice === MADV_POPULATE_WRITE) task.as.populate(start, end, advice === MADV_POPULATE_WRITE);
  if (advice === MADV_REMOVE) {
    for (const v of vmas) if (v.obj?.source) return -Errno.EOPNOTSUPP; // no hole punching through the host port
    task.as.removeShared(start, end);
  }
  return hole ? -Errno.ENOMEM : 0;
}

/** read()/pread() of a file: mapped dirty pages of the range reach the file first. */
export function beforeFileRead(task: Task, file: OpenFile, pos: bigint | null, count: number): void {
  if (file.kind !== 'file' || pos === null || !task.as.hasFileObjects) return;
  const key = fileKey(task, file);
  if (key !== null) task.as.syncFile(key, Number(pos), count);
}

/** write()/pwrite() of a file: mapped pages of the range show the new bytes. */
export function afterFileWrite(task: Task, file: OpenFile, pos: bigint | null, data: Uint8Array): void {
  if (file.kind !== 'file' || !task.as.hasFileObjects || data.length === 0) return;
  let at = pos;
  if (at === null) {
    if (!(file.flags & O_APPEND)) return;
    at = task.host.fs.fstat(file.hostFd).size - BigInt(data.length); // the append landed at the end
  }
  const key = fileKey(task, file);
  if (key !== null) task.as.fileWritten(key, Number(at), data);
}

const MLOCK_ONFAULT = 1;
const MCL_CURRENT = 1;
const MCL_FUTURE = 2;
const MCL_ONFAULT = 4;

/**
 * Memory locking (mm/mlock.c). Guest memory is host memory that elfuse
 * never pages out itself, so a lock changes nothing here: the calls make
 * Linux's checks (flags, can_do_mlock's EPERM without RLIMIT_MEMLOCK or
 * root, RLIMIT_MEMLOCK's ENOMEM, ENOMEM for a range with unmapped pages)
 * and then succeed. /proc/self/status's VmLck stays 0.
 */
function mayLock(task: Task): boolean {
  return task.cred.euid === 0 || (task.tg.rlimits[RLIMIT_MEMLOCK]?.cur ?? 0n) !== 0n;
}

function overLockLimit(task: Task, bytes: number): boolean {
  const limit = task.tg.rlimits[RLIMIT_MEMLOCK]?.cur ?? 0n;
  return task.cred.euid !== 0 && limit !== RLIM_INFINITY && BigInt(bytes) > limit;
}

function lockRange(task: Task, startVa: number, length: number, lock: boolean): number {
  const start = startVa - (startVa % PAGE_SIZE);
  const len = pageUp(length + (startVa % PAGE_SIZE));
  if (lock && !mayLock(task)) return -Errno.EPERM;
  if (lock && overLockLimit(task, len)) return -Errno.ENOMEM;
  if (start + len > TASK_SIZE) return len === 0 ? 0 : -Errno.ENOMEM;
  if (len === 0) return 0;
  return task.as.isCovered(start, start + len) ? 0 : -Errno.ENOMEM;
}

function sysMlockall(task: Task, a: SyscallArgs): number {
  const flags = a.int(0);
  if (flags === 0 || flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) || flags === MCL_ONFAULT) return -Errno.EINVAL;
  if (!mayLock(task)) return -Errno.EPERM;
  if (flags & MCL_CURRENT) {
    const mapped = task.as.inRange(0, TASK_SIZE).reduce((n, v) => n + (v.end - v.start), 0);
    if (overLockLimit(task, mapped)) return -Errno.ENOMEM;
  }
  return 0;
}

const lockNote = 'guest memory is never paged out by elfuse: Linux\'s checks, then success (VmLck stays 0)';

export const mmSyscalls: Readonly<Record<string, SyscallImpl>> = {
  mlock: { handler: (t, a) => lockRange(t, a.ptr(0), a.size(1), true), support: 'partial', args: ['ptr', 'size'], note: lockNote },
  mlock2: {
    handler: (t, a) => (a.int(2) & ~MLOCK_ONFAULT ? -Errno.EINVAL : lockRange(t, a.ptr(0), a.size(1), true)),
    support: 'partial',
    args: ['ptr', 'size', 'hex'],
    note: lockNote,
  },
  munlock: { handler: (t, a) => lockRange(t, a.ptr(0), a.size(1), false), support: 'full', args: ['ptr', 'size'] },
  mlockall: { handler: sysMlockall, support: 'partial', args: ['hex'], note: lockNote },
  munlockall: { handler: () => 0, support: 'full', args: [] },
  brk: { handler: sysBrk, support: 'full', args: ['ptr'], ret: 'ptr' },
  mmap: {
    handler: sysMmap,
    support: 'full',
    args: ['ptr', 'size', 'prot', 'mmapflags', 'fd', 'int'],
    ret: 'ptr',
    note: 'pages are allocated on first touch; MAP_SHARED memory is host shared memory (the file itself, a memfd), shared with fork children and other processes',
  },
  munmap: { handler: (task, a) => task.as.munmap(a.ptr(0), a.size(1)), support: 'full', args: ['ptr', 'size'] },
  mprotect: { handler: (task, a) => task.as.mprotect(a.ptr(0), a.size(1), a.int(2)), support: 'full', args: ['ptr', 'size', 'prot'] },
  mremap: { handler: sysMremap, support: 'full', args: ['ptr', 'size', 'size', 'hex', 'ptr'], ret: 'ptr' },
  msync: { handler: (task, a) => task.as.msync(a.ptr(0), a.size(1), a.int(2)), support: 'full', args: ['ptr', 'size', 'hex'] },
  mincore: { handler: sysMincore, support: 'full', args: ['ptr', 'size', 'ptr'] },
  madvise: {
    handler: sysMadvise,
    support: 'partial',
    args: ['ptr', 'size', 'int'],
    note: 'DONTNEED drops pages; POPULATE_* brings them in; REMOVE only on shared anonymous memory; other advice has no effect',
  },
};
