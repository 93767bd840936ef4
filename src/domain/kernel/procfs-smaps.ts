/**
 * /proc/self/smaps and smaps_rollup (fs/proc/task_mmu.c show_smap,
 * show_smaps_rollup): per VMA its maps line and the kernel's fields in
 * the kernel's order, from what elfuse knows of the pages. Every page is
 * mapped by this process only (Pss = Rss, nothing Shared_*); a present page
 * of anonymous memory or of a writable mapping counts as dirty; a page of a
 * private file mapping that counts as dirty is anonymous (copied on write).
 * No huge pages, swap, KSM or lazy-free pages exist here. Differences from
 * Linux: a read of untouched anonymous memory brings a page in (Linux maps
 * its zero page, not counted), mlock leaves Locked at 0 and no "lo" flag,
 * and madvise's flags (dd, hg, nh...) are not kept.
 */

import type { Vma } from '../memory/address-space.js';
import { MAP_ANONYMOUS, MAP_GROWSDOWN, MAP_NORESERVE, MAP_SHARED, PROT_EXEC, PROT_READ, PROT_WRITE } from './linux-abi.js';
import { mapsLine } from './procfs.js';
import type { Task } from './task.js';

const PAGE_KB = 4;

interface Usage {
  rss: number;
  dirty: number;
  anon: number;
  file: number;
  shmem: number;
}

/** What kind of page a shared object holds: shmem (anonymous, memfd, SysV) or a file's. */
function isShmem(v: Vma): boolean {
  return (v.flags & MAP_ANONYMOUS) !== 0 || v.name.startsWith('/memfd:') || v.name.startsWith('/SYSV');
}

function usage(task: Task, v: Vma): Usage {
  const { resident, dirty } = task.as.residency(v);
  const shared = (v.flags & MAP_SHARED) !== 0;
  // Private memory: anonymous pages, and the copied-on-write pages of a file.
  const anon = shared ? 0 : v.obj ? dirty : resident;
  const rest = resident - anon;
  return { rss: resident, dirty, anon, file: shared && isShmem(v) ? 0 : rest, shmem: shared && isShmem(v) ? rest : 0 };
}

const field = (name: string, kb: number): string => `${`${name}:`.padEnd(16)}${String(kb).padStart(8)} kB\n`;

/** The fields both files share, from Pss_Dirty's successors to Locked. */
function commonFields(u: Usage): string {
  return (
    field('Shared_Clean', 0) +
    field('Shared_Dirty', 0) +
    field('Private_Clean', (u.rss - u.dirty) * PAGE_KB) +
    field('Private_Dirty', u.dirty * PAGE_KB) +
    field('Referenced', u.rss * PAGE_KB) +
    field('Anonymous', u.anon * PAGE_KB) +
    ['KSM', 'LazyFree', 'AnonHugePages', 'ShmemPmdMapped', 'FilePmdMapped', 'Shared_Hugetlb', 'Private_Hugetlb', 'Swap', 'SwapPss', 'Locked'].map((n) => field(n, 0)).join('')
  );
}

/** show_smap_vma_flags, for the flags elfuse keeps, in the kernel's bit order. */
function vmFlags(v: Vma): string {
  const shared = (v.flags & MAP_SHARED) !== 0;
  const flags: [boolean, string][] = [
    [(v.prot & PROT_READ) !== 0, 'rd'],
    [(v.prot & PROT_WRITE) !== 0, 'wr'],
    [(v.prot & PROT_EXEC) !== 0, 'ex'],
    // A shared file opened read-only is VM_MAYSHARE without VM_SHARED or VM_MAYWRITE.
    [shared && !v.noWrite, 'sh'],
    [true, 'mr'],
    [!(shared && v.noWrite), 'mw'],
    [true, 'me'],
    [shared, 'ms'],
    [(v.flags & MAP_GROWSDOWN) !== 0, 'gd'],
    // VM_ACCOUNT: private writable memory charged at mmap (kept by Linux after an mprotect removes write).
    [!shared && !(v.flags & MAP_NORESERVE) && (v.prot & PROT_WRITE) !== 0, 'ac'],
    [!shared && (v.flags & MAP_NORESERVE) !== 0, 'nr'],
  ];
  return `VmFlags: ${flags.map(([on, name]) => (on ? `${name} ` : '')).join('')}\n`;
}

export function smapsText(task: Task): string {
  let out = '';
  for (const v of task.as.vmas) {
    const u = usage(task, v);
    out +=
      mapsLine(task, v) +
      field('Size', (v.end - v.start) / 1024) +
      field('KernelPageSize', PAGE_KB) +
      field('MMUPageSize', PAGE_KB) +
      field('Rss', u.rss * PAGE_KB) +
      field('Pss', u.rss * PAGE_KB) +
      field('Pss_Dirty', u.dirty * PAGE_KB) +
      commonFields(u) +
      `${'THPeligible:'.padEnd(16)}${'0'.padStart(8)}\n` +
      vmFlags(v);
  }
  return out;
}

export function smapsRollupText(task: Task): string {
  const vmas = [...task.as.vmas];
  const total: Usage = { rss: 0, dirty: 0, anon: 0, file: 0, shmem: 0 };
  for (const v of vmas) {
    const u = usage(task, v);
    total.rss += u.rss;
    total.dirty += u.dirty;
    total.anon += u.anon;
    total.file += u.file;
    total.shmem += u.shmem;
  }
  const start = vmas[0]?.start ?? 0;
  const end = vmas[vmas.length - 1]?.end ?? 0;
  const head = `${start.toString(16).padStart(8, '0')}-${end.toString(16).padStart(8, '0')} ---p 00000000 00:00 0 `;
  return (
    `${head.padEnd(73)}[rollup]\n` +
    field('Rss', total.rss * PAGE_KB) +
    field('Pss', total.rss * PAGE_KB) +
    field('Pss_Dirty', total.dirty * PAGE_KB) +
    field('Pss_Anon', total.anon * PAGE_KB) +
    field('Pss_File', total.file * PAGE_KB) +
    field('Pss_Shmem', total.shmem * PAGE_KB) +
    commonFields(total)
  );
}
