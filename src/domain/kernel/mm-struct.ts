/**
 * The process's memory (Linux's mm_struct): the address space and its
 * checked accessor, where exec put argv, envp and auxv (for /proc), the
 * executable's name, and the page signal handlers return through. fork
 * copies it into the child; execve replaces it; threads share it.
 */

import type { AddressSpace } from '../memory/address-space.js';
import type { GuestMemory } from '../memory/guest-memory.js';
import type { ProcImage } from './procfs.js';

export class MmStruct {
  /** VA of the page handlers return through when the guest gives no SA_RESTORER (0: not mapped yet). */
  sigtramp = 0;
  /** membarrier(2) registrations (mm->membarrier_state, membarrier.ts): kept by fork, gone at execve. */
  membarrierState = 0;

  constructor(
    readonly as: AddressSpace,
    readonly mem: GuestMemory,
    /** Where exec put argv, envp and auxv, and the CPU it advertised (for /proc/self). */
    readonly image: ProcImage | null,
    /** execve's filename argument (AT_EXECFN, the initial comm). */
    readonly execfn: string,
  ) {}
}
