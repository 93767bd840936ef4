/**
 * Memory family (mm/mmap.c, mm/mprotect.c, mm/madvise.c): brk, mmap,
 * munmap, mprotect, madvise. The AddressSpace does the VMA work; this file
 * adds what needs files: private file mappings are anonymous memory filled
 * from the file through the host port (as MAP_PRIVATE pages look until
 * written), and MADV_DONTNEED brings back zeroes or the file's contents.
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
  MADV_SEQUENTIAL,
  MADV_UNMERGEABLE,
  MADV_WILLNEED,
  MADV_WIPEONFORK,
  MAP_ANONYMOUS,
  MAP_PRIVATE,
  MAP_SHARED,
  MAP_SHARED_VALIDATE,
  MAP_TYPE,
  PAGE_SIZE,
  PROT_WRITE,
  MAP_FIXED,
  RLIMIT_AS,
  RLIMIT_DATA,
  RLIM_INFINITY,
} from './linux-abi.js';
import type { SyscallArgs, SyscallImpl } from './syscall-args.js';
import type { FileMapping, Task } from './task.js';

const pageUp = (n: number): number => Math.ceil(n / PAGE_SIZE) * PAGE_SIZE;

/** Copies file bytes [offset, offset+len) into guest [va, va+len), stopping at EOF (the rest stays zero). */
function fillFromFile(task: Task, hostFd: number, va: number, len: number, offset: bigint): void {
  const chunk = new Uint8Array(Math.min(len, 1 << 20));
  for (let done = 0; done < len; ) {
    const want = Math.min(len - done, chunk.length);
    const n = task.host.fs.read(hostFd, chunk.subarray(0, want), offset + BigInt(done));
    if (n <= 0) return;
    task.as.poke(va + done, chunk.subarray(0, n));
    done += n;
  }
}

/** The file a mapping reads from, or an errno (mm/mmap.c do_mmap's checks). */
function mappableFile(task: Task, a: SyscallArgs, prot: number, type: number): OpenFile | number {
  const file = task.fds.get(a.fd(4));
  if (!file || file.kind === 'path') return -Errno.EBADF;
  if (file.kind === 'dir' || file.kind === 'fifo' || file.kind === 'socket' || file.kind === 'tty') return -Errno.ENODEV;
  if (!file.readable) return -Errno.EACCES;
  if (type !== MAP_PRIVATE && prot & PROT_WRITE && !file.writable) return -Errno.EACCES;
  return file;
}

/**
 * mmap(2). File mappings are private copies: MAP_SHARED of a file works for
 * reading, but stores are not written back to the file.
 */
function sysMmap(task: Task, a: SyscallArgs): number {
  const addr = a.ptr(0);
  const length = a.size(1);
  const prot = a.int(2);
  const flags = a.int(3);
  const offset = a.u64(5);
  if (offset % BigInt(PAGE_SIZE) !== 0n) return -Errno.EINVAL;
  const type = flags & MAP_TYPE;
  if (type !== MAP_SHARED && type !== MAP_PRIVATE && type !== MAP_SHARED_VALIDATE) return -Errno.EINVAL;
  if (!mayExpand(task, length, flags & MAP_FIXED ? addr : null)) return -Errno.ENOMEM;
  if (flags & MAP_ANONYMOUS) return mapAnonymous(task, addr, length, prot, flags);

  const file = mappableFile(task, a, prot, type);
  if (typeof file === 'number') return file;
  // /dev/zero and other character devices map as zeroed memory.
  if (file.kind === 'chr') return mapAnonymous(task, addr, length, prot, flags | MAP_ANONYMOUS);
  // proc files have no mmap (ENODEV, as do_mmap says when f_op->mmap is missing).
  if (file.synth) return -Errno.ENODEV;
  const va = mapAnonymous(task, addr, length, prot, (flags & ~MAP_TYPE) | MAP_PRIVATE, file.path);
  if (va < 0) return va;
  fillFromFile(task, file.hostFd, va, length, offset);
  task.fileMappings.push({ start: va, end: va + pageUp(length), hostPath: file.path, offset });
  return va;
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
  const limit = task.rlimits[RLIMIT_AS]?.cur ?? RLIM_INFINITY;
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
    const dataLimit = task.rlimits[RLIMIT_DATA]?.cur ?? RLIM_INFINITY;
    if (dataLimit !== RLIM_INFINITY && BigInt(want - task.as.brkBase) > dataLimit) return cur;
    if (!mayExpand(task, pageUp(want) - pageUp(cur), null)) return cur;
  }
  return task.as.brk(want);
}

/** A new mapping replaces whatever file mapping was remembered there (MAP_FIXED). */
function mapAnonymous(task: Task, addr: number, length: number, prot: number, flags: number, name?: string): number {
  const va = task.as.mmapAnonymous(addr, length, prot, flags, name);
  if (va >= 0) forgetMappings(task, va, va + pageUp(length));
  return va;
}

/** Drops (or trims) the remembered file mappings over [start, end). */
function forgetMappings(task: Task, start: number, end: number): void {
  const kept: FileMapping[] = [];
  for (const m of task.fileMappings) {
    if (m.end <= start || m.start >= end) {
      kept.push(m);
      continue;
    }
    if (m.start < start) kept.push({ ...m, end: start });
    if (m.end > end) kept.push({ ...m, start: end, offset: m.offset + BigInt(end - m.start) });
  }
  task.fileMappings.splice(0, task.fileMappings.length, ...kept);
}

/** munmap(2) */
function sysMunmap(task: Task, a: SyscallArgs): number {
  const addr = a.ptr(0);
  const r = task.as.munmap(addr, a.size(1));
  if (r === 0) forgetMappings(task, addr, addr + pageUp(a.size(1)));
  return r;
}

/**
 * MADV_DONTNEED on private mappings: the next access sees zeroes
 * (anonymous) or the file's contents again (file-backed). A range with a
 * hole is ENOMEM, as in madvise(2).
 */
function dontNeed(task: Task, start: number, end: number): number {
  for (let va = start; va < end; va += PAGE_SIZE) {
    if (!task.as.vmaAt(va)) return -Errno.ENOMEM;
  }
  // Shared anonymous memory keeps its contents: the pages live on in the shared object.
  for (const v of task.as.vmas) {
    const lo = Math.max(v.start, start);
    const hi = Math.min(v.end, end);
    if (lo >= hi || (v.flags & MAP_TYPE) !== MAP_PRIVATE) continue;
    task.as.poke(lo, new Uint8Array(hi - lo));
  }
  for (const m of task.fileMappings) {
    const lo = Math.max(m.start, start);
    const hi = Math.min(m.end, end);
    if (lo >= hi) continue;
    const fd = task.host.fs.open(m.hostPath, { access: 'r' }, 0);
    try {
      fillFromFile(task, fd, lo, hi - lo, m.offset + BigInt(lo - m.start));
    } finally {
      task.host.fs.close(fd);
    }
  }
  return 0;
}

/** Advice Linux accepts on ordinary private memory without changing what the guest sees. */
const HARMLESS_ADVICE = new Set([
  MADV_NORMAL,
  MADV_RANDOM,
  MADV_SEQUENTIAL,
  MADV_WILLNEED,
  MADV_FREE, // may drop pages lazily; keeping them is a valid outcome
  MADV_DONTFORK,
  MADV_DOFORK,
  MADV_MERGEABLE,
  MADV_UNMERGEABLE,
  MADV_HUGEPAGE,
  MADV_NOHUGEPAGE,
  MADV_DONTDUMP,
  MADV_DODUMP,
  MADV_WIPEONFORK,
  MADV_KEEPONFORK,
  MADV_COLD,
  MADV_PAGEOUT,
  MADV_POPULATE_READ,
  MADV_POPULATE_WRITE,
]);

/** madvise(2) */
function sysMadvise(task: Task, a: SyscallArgs): number {
  const start = a.ptr(0);
  const advice = a.int(2);
  if (start % PAGE_SIZE) return -Errno.EINVAL;
  const end = start + pageUp(a.size(1));
  if (end < start) return -Errno.EINVAL;
  if (advice === MADV_DONTNEED) return end === start ? 0 : dontNeed(task, start, end);
  if (!HARMLESS_ADVICE.has(advice)) return -Errno.EINVAL;
  return 0;
}

export const mmSyscalls: Readonly<Record<string, SyscallImpl>> = {
  brk: { handler: sysBrk, support: 'full', args: ['ptr'], ret: 'ptr' },
  mmap: {
    handler: sysMmap,
    support: 'partial',
    args: ['ptr', 'size', 'hex', 'hex', 'fd', 'hex'],
    ret: 'ptr',
    note: 'file mappings are private copies; MAP_SHARED stores do not reach the file',
  },
  munmap: { handler: sysMunmap, support: 'full', args: ['ptr', 'size'] },
  mprotect: { handler: (task, a) => task.as.mprotect(a.ptr(0), a.size(1), a.int(2)), support: 'full', args: ['ptr', 'size', 'hex'] },
  madvise: {
    handler: sysMadvise,
    support: 'partial',
    args: ['ptr', 'size', 'int'],
    note: 'MADV_DONTNEED restores zeroes/file contents; other advice is accepted without effect',
  },
};
