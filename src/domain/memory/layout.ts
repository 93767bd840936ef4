/**
 * The guest's virtual address layout, as Linux arm64 lays out a 48-bit
 * (VA_BITS = 48) user address space without randomization.
 */
import { PAGE_SIZE } from './phys.js';

/** TASK_SIZE_64: the user half of a 48-bit VA space. */
export const TASK_SIZE = 2 ** 48;
/** Top of the initial stack (one page below TASK_SIZE). */
export const STACK_TOP = 0xfffffffff000;
/** RLIMIT_STACK's default soft limit (8 MiB): the stack's reserved size. */
export const STACK_RLIMIT = 8 * 1024 * 1024;
/** stack_guard_gap: 256 pages (mm/mmap.c). */
export const STACK_GUARD_GAP = 256 * PAGE_SIZE;
/**
 * mm/util.c mmap_base(): the gap below the stack is the stack rlimit plus
 * the guard gap, but never less than MIN_GAP = 128 MiB; so with the default
 * 8 MiB rlimit the top-down mmap area starts 128 MiB below the stack top.
 */
const MIN_GAP = 128 * 1024 * 1024;
export const MMAP_BASE = STACK_TOP - Math.max(STACK_RLIMIT + STACK_GUARD_GAP, MIN_GAP);
/** ELF_ET_DYN_BASE on arm64: 2/3 of TASK_SIZE, page-aligned (where static-PIE/ET_DYN executables load). */
export const ELF_ET_DYN_BASE = 0xaaaaaaaaa000;
/** vm.mmap_min_addr: user mappings never go below; the kernel-only EL1 shim lives there. */
export const MMAP_MIN_ADDR = 0x10000;

export function pageDown(x: number): number {
  return x - (x % PAGE_SIZE);
}

export function pageUp(x: number): number {
  const r = x % PAGE_SIZE;
  return r === 0 ? x : x + PAGE_SIZE - r;
}
