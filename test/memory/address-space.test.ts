/**
 * AddressSpace: mmap/munmap/mprotect/brk with the semantics of mmap(2),
 * mprotect(2) and brk(2) on Linux arm64 (48-bit VA), checked against
 * hand-computed layouts and errno values.
 */
import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/domain/kernel/errno.js';
import {
  MAP_ANONYMOUS,
  MAP_FIXED,
  MAP_FIXED_NOREPLACE,
  MAP_GROWSDOWN,
  MAP_NORESERVE,
  MAP_POPULATE,
  MAP_PRIVATE,
  MAP_SHARED,
  PROT_EXEC,
  PROT_NONE,
  PROT_READ,
  PROT_WRITE,
} from '../../src/domain/kernel/linux-abi.js';
import { GuestFault } from '../../src/domain/memory/fault.js';
import { ELF_ET_DYN_BASE, MMAP_BASE } from '../../src/domain/memory/layout.js';
import { memStack } from './ram.js';

const ANON = MAP_PRIVATE | MAP_ANONYMOUS;
const RW = PROT_READ | PROT_WRITE;
const PAGE = 4096;

describe('layout constants', () => {
  it('match Linux arm64 with 48-bit VA and the default 8 MiB stack rlimit', () => {
    // mmap_base = STACK_TOP - max(8 MiB + 1 MiB guard, 128 MiB) = 0xfffffffff000 - 0x8000000.
    expect(MMAP_BASE).toBe(0xfffff7fff000);
    expect(ELF_ET_DYN_BASE).toBe(0xaaaaaaaaa000);
  });
});

describe('mmapAnonymous', () => {
  it('places mappings top-down from mmap_base', () => {
    const { as } = memStack();
    expect(as.mmapAnonymous(0, 3 * PAGE, RW, ANON)).toBe(0xfffff7fff000 - 0x3000);
    expect(as.mmapAnonymous(0, 1, PROT_READ, ANON)).toBe(0xfffff7fff000 - 0x4000);
    expect(as.vmas.map((v) => [v.start, v.end, v.prot])).toEqual([
      [0xfffff7ffb000, 0xfffff7ffc000, PROT_READ],
      [0xfffff7ffc000, 0xfffff7fff000, RW],
    ]);
  });

  it('validates arguments like mmap(2)', () => {
    const { as } = memStack();
    expect(as.mmapAnonymous(0, 0, RW, ANON)).toBe(-Errno.EINVAL);
    expect(as.mmapAnonymous(0, PAGE, RW, MAP_ANONYMOUS)).toBe(-Errno.EINVAL); // neither shared nor private
    expect(as.mmapAnonymous(0, PAGE, 0x40, ANON)).toBe(-Errno.EINVAL); // unknown PROT bit
    expect(as.mmapAnonymous(0x100001, PAGE, RW, ANON | MAP_FIXED)).toBe(-Errno.EINVAL);
    expect(as.mmapAnonymous(0x8000, PAGE, RW, ANON | MAP_FIXED)).toBe(-Errno.EPERM); // below mmap_min_addr
    expect(as.mmapAnonymous(0xfffffffff000, 0x2000, RW, ANON | MAP_FIXED)).toBe(-Errno.ENOMEM);
    expect(as.mmapAnonymous(0, 2 ** 49, RW, ANON)).toBe(-Errno.ENOMEM);
  });

  it('honours a free hint (rounded down to its page, raised to mmap_min_addr) and ignores a taken one', () => {
    // round_hint_to_min (mm/mmap.c), as the host kernel answers the same calls.
    const { as } = memStack();
    expect(as.mmapAnonymous(0x200000000, PAGE, RW, ANON)).toBe(0x200000000);
    expect(as.mmapAnonymous(0x300000001, PAGE, RW, ANON)).toBe(0x300000000);
    expect(as.mmapAnonymous(0x200000000, PAGE, RW, ANON)).toBe(MMAP_BASE - PAGE);
    expect(as.mmapAnonymous(0x1000, PAGE, RW, ANON)).toBe(0x10000);
    expect(as.mmapAnonymous(0x1000, PAGE, RW, ANON)).toBe(MMAP_BASE - 2 * PAGE);
  });

  it('MAP_FIXED replaces, MAP_FIXED_NOREPLACE refuses with EEXIST', () => {
    const { as, mem } = memStack();
    const a = as.mmapAnonymous(0x400000, 4 * PAGE, RW, ANON | MAP_FIXED);
    expect(a).toBe(0x400000);
    mem.write(0x401000, new Uint8Array([1, 2, 3]));
    expect(as.mmapAnonymous(0x401000, PAGE, RW, ANON | MAP_FIXED_NOREPLACE)).toBe(-Errno.EEXIST);
    expect(as.mmapAnonymous(0x401000, PAGE, PROT_READ, ANON | MAP_FIXED)).toBe(0x401000);
    expect(mem.read(0x401000, 3)).toEqual(new Uint8Array(3)); // fresh zero page
    expect(as.vmas.map((v) => [v.start, v.end, v.prot])).toEqual([
      [0x400000, 0x401000, RW],
      [0x401000, 0x402000, PROT_READ],
      [0x402000, 0x404000, RW],
    ]);
    expect(as.mmapAnonymous(0x500000, PAGE, RW, ANON | MAP_FIXED_NOREPLACE)).toBe(0x500000);
  });

  it('maps PROT_WRITE|PROT_EXEC as read-write and records wantExec (W^X)', () => {
    const { as } = memStack();
    const a = as.mmapAnonymous(0, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC, ANON);
    expect(as.vmaAt(a)?.wantExec).toBe(true);
    expect(as.vmaAt(a)?.prot).toBe(7);
    expect(as.fault(a, { write: true, exec: false }, 0)).toBe('mapped');
    expect(as.pageTable.translate(a)?.perms).toEqual({ read: true, write: true, exec: false, user: true });
  });

  it('allocates nothing at mmap time: a page gets a zeroed frame on its first touch', () => {
    const { as, frames } = memStack();
    const before = frames.inUse;
    const a = as.mmapAnonymous(0, 4 * PAGE, RW, ANON);
    expect(frames.inUse).toBe(before);
    expect(as.pageTable.translate(a)).toBeNull();
    expect(as.fault(a + 2 * PAGE + 5, { write: false, exec: false }, 0)).toBe('mapped');
    expect(as.residentPages).toBe(1);
    const t = as.pageTable.translate(a + 2 * PAGE);
    expect(t?.perms).toEqual({ read: true, write: true, exec: false, user: true });
    expect(as.frameAt(a + 2 * PAGE)).toBe(t?.pa);
    expect(as.pageTable.translate(a)).toBeNull();
    // Filling an invalid descriptor needs no TLB maintenance.
    expect(as.tlbDirty).toBe(false);
  });

  it('refuses faults the protection does not allow, and addresses outside any mapping', () => {
    const { as } = memStack();
    const a = as.mmapAnonymous(0, 2 * PAGE, PROT_READ, ANON);
    const n = as.mmapAnonymous(0, PAGE, PROT_NONE, ANON);
    expect(as.fault(a, { write: true, exec: false }, 0)).toBe('segv');
    expect(as.fault(a, { write: false, exec: true }, 0)).toBe('segv');
    expect(as.fault(n, { write: false, exec: false }, 0)).toBe('segv');
    expect(as.fault(0x123000, { write: false, exec: false }, 0)).toBe('segv');
    expect(as.fault(a, { write: false, exec: false }, 0)).toBe('mapped');
    expect(as.residentPages).toBe(1);
  });

  it('overcommits: a mapping larger than RAM succeeds; running out of frames at fault time is oom', () => {
    const { as } = memStack(1024 * 1024);
    const a = as.mmapAnonymous(0, 3000 * 1024 * 1024, RW, ANON);
    expect(a).toBeGreaterThan(0);
    expect(as.fault(a + 2999 * 1024 * 1024, { write: true, exec: false }, 0)).toBe('mapped');
    let r = 'mapped';
    let i = 0;
    for (; r === 'mapped' && i < 1000; i++) r = as.fault(a + i * PAGE, { write: true, exec: false }, 0);
    expect(r).toBe('oom');
    expect(i).toBeLessThan(256);
  });

  it('refuses a private writable mapping above the commit limit unless MAP_NORESERVE', () => {
    const { as } = memStack();
    as.commitLimit = 64 * PAGE;
    expect(as.mmapAnonymous(0, 65 * PAGE, RW, ANON)).toBe(-Errno.ENOMEM);
    expect(as.mmapAnonymous(0, 65 * PAGE, RW, ANON | MAP_NORESERVE)).toBeGreaterThan(0);
    expect(as.mmapAnonymous(0, 65 * PAGE, PROT_READ, ANON)).toBeGreaterThan(0);
    expect(as.mmapAnonymous(0, 65 * PAGE, RW, MAP_SHARED | MAP_ANONYMOUS)).toBeGreaterThan(0);
  });

  it('MAP_POPULATE brings every page in at once', () => {
    const { as } = memStack();
    const a = as.mmapAnonymous(0, 5 * PAGE, RW, ANON | MAP_POPULATE);
    expect(as.residentPages).toBe(5);
    expect(as.mincore(a, 5 * PAGE)).toEqual(new Uint8Array([1, 1, 1, 1, 1]));
  });
});

describe('munmap', () => {
  it('cuts VMAs, frees frames, and flags TLB maintenance', () => {
    const { as, frames } = memStack();
    const a = as.mmapAnonymous(0, 4 * PAGE, RW, ANON | MAP_POPULATE);
    const used = frames.inUse;
    as.tlbDirty = false;
    expect(as.munmap(a + PAGE, 2 * PAGE)).toBe(0);
    expect(as.tlbDirty).toBe(true);
    expect(as.vmas.map((v) => [v.start - a, v.end - a])).toEqual([
      [0, PAGE],
      [3 * PAGE, 4 * PAGE],
    ]);
    expect(frames.inUse).toBe(used - 2);
    expect(as.pageTable.translate(a + PAGE)).toBeNull();
    expect(as.munmap(a + PAGE, PAGE)).toBe(0); // nothing there: still fine
    expect(as.munmap(a + 1, PAGE)).toBe(-Errno.EINVAL);
    expect(as.munmap(a, 0)).toBe(-Errno.EINVAL);
  });
});

describe('mprotect', () => {
  it('splits a VMA into three and changes the page tables of the middle only', () => {
    const { as } = memStack();
    const a = as.mmapAnonymous(0, 3 * PAGE, RW, ANON | MAP_POPULATE);
    expect(as.mprotect(a + PAGE, PAGE, PROT_READ | PROT_EXEC)).toBe(0);
    expect(as.vmas.map((v) => [v.start - a, v.end - a, v.prot])).toEqual([
      [0, PAGE, RW],
      [PAGE, 2 * PAGE, PROT_READ | PROT_EXEC],
      [2 * PAGE, 3 * PAGE, RW],
    ]);
    expect(as.pageTable.translate(a + PAGE)?.perms).toEqual({ read: true, write: false, exec: true, user: true });
    expect(as.icacheDirty).toBe(true);
    // Putting it back merges the three again.
    expect(as.mprotect(a + PAGE, PAGE, RW)).toBe(0);
    expect(as.vmas).toHaveLength(1);
  });

  it('keeps contents across PROT_NONE and back', () => {
    const { as, mem } = memStack();
    const a = as.mmapAnonymous(0, PAGE, RW, ANON);
    mem.write(a, new Uint8Array([9, 8, 7]));
    expect(as.mprotect(a, PAGE, PROT_NONE)).toBe(0);
    expect(() => mem.read(a, 1)).toThrow(GuestFault);
    expect(as.pageTable.translate(a)).toBeNull();
    expect(as.mprotect(a, PAGE, PROT_READ)).toBe(0);
    expect(mem.read(a, 3)).toEqual(new Uint8Array([9, 8, 7]));
  });

  it('fails with ENOMEM over a hole and EINVAL when unaligned', () => {
    const { as } = memStack();
    const a = as.mmapAnonymous(0x400000, 3 * PAGE, RW, ANON | MAP_FIXED);
    as.munmap(a + PAGE, PAGE);
    expect(as.mprotect(a, 3 * PAGE, PROT_READ)).toBe(-Errno.ENOMEM);
    // Like Linux, the part before the hole was changed; the part after it was not.
    expect(as.vmaAt(a)?.prot).toBe(PROT_READ);
    expect(as.vmaAt(a + 2 * PAGE)?.prot).toBe(RW);
    expect(as.mprotect(a + PAGE, 2 * PAGE, PROT_READ)).toBe(-Errno.ENOMEM);
    expect(as.vmaAt(a + 2 * PAGE)?.prot).toBe(RW); // a hole first: nothing changes
    expect(as.mprotect(a + 1, PAGE, PROT_READ)).toBe(-Errno.EINVAL);
    expect(as.mprotect(a, 0, PROT_READ)).toBe(0);
  });
});

describe('brk', () => {
  it('follows brk(2): query, grow, shrink, and refuse below the start', () => {
    const { as, mem } = memStack();
    as.setBrk(0x4a1234);
    expect(as.brk(0)).toBe(0x4a2000);
    expect(as.brk(0x4a2000 + 10)).toBe(0x4a200a);
    expect(as.vmaAt(0x4a2000)?.name).toBe('[heap]');
    mem.write(0x4a2000, new Uint8Array([1]));
    expect(as.brk(0x4a5000)).toBe(0x4a5000);
    expect(as.vmas.filter((v) => v.name === '[heap]').map((v) => [v.start, v.end])).toEqual([[0x4a2000, 0x4a5000]]);
    expect(as.brk(0x4a1000)).toBe(0x4a5000); // below the start: unchanged
    expect(as.brk(0x4a3000)).toBe(0x4a3000);
    expect(as.vmaAt(0x4a3000)).toBeUndefined();
    expect(mem.read(0x4a2000, 1)).toEqual(new Uint8Array([1]));
  });

  it('refuses to grow into another mapping (returns the old break)', () => {
    const { as } = memStack();
    as.setBrk(0x500000);
    as.mmapAnonymous(0x504000, PAGE, RW, ANON | MAP_FIXED);
    expect(as.brk(0x503000)).toBe(0x503000);
    expect(as.brk(0x504000)).toBe(0x503000); // would leave no guard page
    expect(as.brk(0x506000)).toBe(0x503000);
  });
});

describe('kernel mappings, poke and findFree', () => {
  it('maps the shim EL1-only below mmap_min_addr and refuses it above', () => {
    const { as } = memStack();
    as.mapKernel(0x8000, 0x8000, PAGE, { exec: true });
    expect(as.pageTable.translate(0x8000)?.perms).toEqual({ read: true, write: false, exec: true, user: false });
    expect(() => as.mapKernel(0x10000, 0x10000, PAGE, { exec: false })).toThrow(RangeError);
    expect(as.mmapAnonymous(0x8000, PAGE, RW, ANON | MAP_FIXED)).toBe(-Errno.EPERM);
    expect(as.munmap(0x8000, PAGE)).toBe(0);
    expect(as.pageTable.translate(0x8000)).not.toBeNull();
  });

  it('a page-in of executable memory invalidates the code of that frame only, not the whole cache', () => {
    const { as, ram } = memStack();
    const a = as.mmapAnonymous(0x600000, 2 * PAGE, PROT_READ | PROT_EXEC, ANON | MAP_FIXED);
    as.icacheDirty = false;
    ram.invalidated.length = 0;
    expect(as.fault(a + PAGE, { write: false, exec: true }, 0)).toBe('mapped'); // an instruction fetch populates the second page
    const pa = as.pageTable.translate(a + PAGE)!.pa;
    expect(ram.invalidated).toEqual([[pa, PAGE]]);
    expect(as.icacheDirty).toBe(false);
  });

  it('poke writes through protections, allocates PROT_NONE frames, and throws when unmapped', () => {
    const { as, mem, ram } = memStack();
    const a = as.mmapAnonymous(0x600000, 2 * PAGE, PROT_READ | PROT_EXEC, ANON | MAP_FIXED);
    as.icacheDirty = false;
    ram.invalidated.length = 0;
    as.poke(a + PAGE - 2, new Uint8Array([1, 2, 3, 4]));
    // Instruction fetches must see the bytes: the code of exactly the frames written is
    // invalidated (the two bytes before the page boundary, the two after), not the whole cache.
    const frame = (va: number): number => as.pageTable.translate(va)!.pa;
    expect(ram.invalidated).toEqual(
      expect.arrayContaining([
        [frame(a + PAGE - 2), expect.any(Number)],
        [frame(a + PAGE), expect.any(Number)],
      ]),
    );
    expect(as.icacheDirty).toBe(false);
    expect(mem.read(a + PAGE - 2, 4)).toEqual(new Uint8Array([1, 2, 3, 4]));
    const n = as.mmapAnonymous(0x700000, PAGE, PROT_NONE, ANON | MAP_FIXED);
    as.poke(n, new Uint8Array([5]));
    as.mprotect(n, PAGE, PROT_READ);
    expect(mem.read(n, 1)).toEqual(new Uint8Array([5]));
    expect(() => as.poke(0x800000, new Uint8Array([1]))).toThrow(GuestFault);
  });

  it('findFree returns the highest gap below mmap_base that fits', () => {
    const { as } = memStack();
    as.mmapAnonymous(MMAP_BASE - 4 * PAGE, PAGE, RW, ANON | MAP_FIXED);
    as.mmapAnonymous(MMAP_BASE - 2 * PAGE, PAGE, RW, ANON | MAP_FIXED);
    expect(as.findFree(PAGE)).toBe(MMAP_BASE - PAGE);
    expect(as.findFree(2 * PAGE)).toBe(MMAP_BASE - 6 * PAGE);
  });

  it('clear drops every user mapping and frees their frames', () => {
    const { as, frames } = memStack();
    const base = frames.inUse;
    as.mmapAnonymous(0, 5 * PAGE, RW, ANON | MAP_POPULATE);
    as.setBrk(0x400000);
    as.brk(0x402000);
    as.clear();
    expect(as.vmas).toHaveLength(0);
    expect(frames.inUse).toBe(base);
    expect(as.pageTable.tablePages).toBe(1);
  });
});

describe('growStack (expand_stack)', () => {
  const TOP = 0x7f0000000000;
  const LIMIT = 8 << 20;
  const stackAt = () => {
    const m = memStack();
    expect(m.as.mmapAnonymous(TOP - 32 * PAGE, 32 * PAGE, RW, ANON | MAP_FIXED | MAP_GROWSDOWN, '[stack]')).toBe(TOP - 32 * PAGE);
    return m;
  };

  it('grows a MAP_GROWSDOWN mapping down to the faulting page, keeping one VMA', () => {
    const { as, mem } = stackAt();
    const va = TOP - 100 * PAGE + 123;
    expect(() => mem.write(va, new Uint8Array([1]))).toThrow(GuestFault);
    expect(as.growStack(va, LIMIT)).toBe(true);
    mem.write(va, new Uint8Array([9]));
    expect(mem.read(va, 1)[0]).toBe(9);
    expect(as.vmas.map((v) => [v.start, v.end, v.name])).toEqual([[TOP - 100 * PAGE, TOP, '[stack]']]);
  });

  it('refuses past RLIMIT_STACK measured from the top of the stack', () => {
    const { as } = stackAt();
    expect(as.growStack(TOP - LIMIT, LIMIT)).toBe(true); // exactly the limit
    expect(as.growStack(TOP - LIMIT - 1, LIMIT)).toBe(false);
  });

  it('refuses within stack_guard_gap (256 pages) of an accessible mapping below, and below non-stack mappings', () => {
    const { as } = stackAt();
    const below = TOP - 32 * PAGE - 300 * PAGE;
    expect(as.mmapAnonymous(below - PAGE, PAGE, RW, ANON | MAP_FIXED)).toBe(below - PAGE);
    expect(as.growStack(below + 256 * PAGE, LIMIT)).toBe(true); // exactly the gap
    expect(as.growStack(below + 255 * PAGE, LIMIT)).toBe(false);
    // An address just under a mapping that does not grow down is a plain fault.
    expect(as.growStack(below - 2 * PAGE, LIMIT)).toBe(false);
  });

  it('does nothing for an address that is already mapped', () => {
    const { as } = stackAt();
    expect(as.growStack(TOP - PAGE, LIMIT)).toBe(false);
  });
});
