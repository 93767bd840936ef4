/**
 * The machine a guest process runs on: one VM's guest-physical RAM, its
 * frame allocator, the EL1 shim, and the vCPU (Linux would call this the
 * hardware; it outlives every image execve loads into it). Booting it is
 * separate from loading a program, so execve reuses it and a forked child
 * builds one and fills it from the fork state.
 *
 * Two ways into EL0: a fresh vCPU starts in the shim's boot code, which
 * loads the translation registers from the boot block and turns the MMU on
 * from inside (the first launch); a vCPU that already runs, or one the host
 * set up completely, enters through the shim's return path (SHIM_RESUME),
 * as if a syscall had just been answered: the host writes TTBR0_EL1, the
 * EL0 registers and ELR/SPSR/SP_EL0, and the shim flushes the TLB and
 * I-cache before its ERET (execve, a fork child).
 */

import type { Backend } from '../../ports/backend.js';
import type { HostFs, HostShm } from '../../ports/host.js';
import { MEM_RWX } from '../../ports/memory.js';
import { Reg, SysReg, type VcpuPort } from '../../ports/vcpu.js';
import { AddressSpace } from '../memory/address-space.js';
import { FrameAllocator } from '../memory/frames.js';
import { GuestMemory } from '../memory/guest-memory.js';
import { PageTable } from '../memory/page-table.js';
import { PhysMem } from '../memory/phys.js';
import { hwcapFromIds, readCpuIds, type CpuIdView } from './hwcap.js';
import {
  BOOT,
  bootBlock,
  buildShim,
  CPSR_EL1H_MASKED,
  MAILBOX,
  SHIM_CODE,
  SHIM_DATA,
  SHIM_END,
  SHIM_RESUME,
  SHIM_STACK_TOP,
  MAX_VCPUS,
  shimStackTop,
} from './shim.js';

/** Default guest RAM: 2 GiB of guest-physical memory, committed only as touched. */
export const RAM_BYTES = 2 * 1024 * 1024 * 1024 - 4096 * 16;

export interface Machine {
  readonly backend: Backend;
  readonly phys: PhysMem;
  readonly frames: FrameAllocator;
  /** The process's first vCPU (its first thread's; EL1 stack slot 0). */
  readonly vcpu: VcpuPort;
  /** EL1 stack slots in use, one per live vCPU (shim.ts shimStackTop). */
  readonly vcpuSlots: Set<number>;
  readonly ids: CpuIdView;
  readonly hwcap: bigint;
  readonly hwcap2: bigint;
  /** Heuristic overcommit: one private writable mapping may not exceed the host's RAM. */
  readonly commitLimit: number;
  /** Host shared memory, when both the backend and the host have it. */
  readonly sharing?: { readonly shm: HostShm; readonly fs: HostFs };
}

/** The shim's code page: the same bytes for every guest, assembled once. */
let shimCode: Uint8Array | undefined;

/** Builds what every boot needs and no host state decides (for a startup snapshot). */
export function warmBootCaches(): void {
  shimCode ??= buildShim();
}

/** Maps the RAM, writes the shim and creates the vCPU. */
export function bootMachine(backend: Backend, opts: { ramBytes?: number; commitLimit: number; shm?: HostShm; fs?: HostFs }): Machine {
  // Guest-physical memory: one slab at IPA 0, as the C original maps it.
  const ramBytes = opts.ramBytes ?? RAM_BYTES;
  backend.memory.map(0, ramBytes, MEM_RWX);
  const phys = new PhysMem(backend.memory, ramBytes);
  const frames = new FrameAllocator(SHIM_END, ramBytes, phys);
  phys.view(SHIM_CODE, 0x1000).set((shimCode ??= buildShim()));
  const vcpu = backend.createVcpu();
  const ids = readCpuIds(vcpu);
  const { hwcap, hwcap2 } = hwcapFromIds(ids);
  const sharing = backend.memory.sharing && opts.shm && opts.fs ? { shm: opts.shm, fs: opts.fs } : undefined;
  return { backend, phys, frames, vcpu, vcpuSlots: new Set([0]), ids, hwcap, hwcap2, commitLimit: opts.commitLimit, ...(sharing ? { sharing } : {}) };
}

/** A new, empty address space on the machine, with the shim mapped (EL1-only) as every one has it. */
export function newAddressSpace(m: Machine): { as: AddressSpace; mem: GuestMemory } {
  const pt = new PageTable(m.phys, m.frames);
  const as = new AddressSpace(m.phys, m.frames, pt);
  as.commitLimit = m.commitLimit;
  if (m.sharing) {
    const fs = m.sharing.fs;
    as.sharing = { port: m.backend.memory, shm: m.sharing.shm, close: (fd) => fs.close(fd) };
  }
  // The shim: code page (with vectors), data page + EL1 stack, identity-mapped, EL1-only.
  as.mapKernel(SHIM_CODE, SHIM_CODE, 0x1000, { exec: true });
  as.mapKernel(SHIM_DATA, SHIM_DATA, SHIM_STACK_TOP - SHIM_DATA, { exec: false });
  return { as, mem: new GuestMemory(as) };
}

/**
 * One more vCPU in the VM, for a new thread, with its own EL1 stack slot;
 * null when every slot is taken. `releaseVcpu` gives both back.
 */
export function addVcpu(m: Machine): { vcpu: VcpuPort; slot: number } | null {
  let slot = 1;
  while (m.vcpuSlots.has(slot)) slot++;
  if (slot >= MAX_VCPUS) return null;
  m.vcpuSlots.add(slot);
  return { vcpu: m.backend.createVcpu(), slot };
}

export function releaseVcpu(m: Machine, vcpu: VcpuPort, slot: number): void {
  vcpu.destroy();
  m.vcpuSlots.delete(slot);
}

/** A fresh vCPU's first start: the boot block, and the shim's boot code at EL1 with the MMU off. */
export function startAtBoot(m: Machine, as: AddressSpace, entry: number, sp: number): void {
  m.phys.view(SHIM_DATA, 0x100).set(bootBlock({ ttbr0: as.pageTable.root, entry, sp }));
  as.tlbDirty = false;
  as.icacheDirty = false;
  m.vcpu.setReg(Reg.PC, BigInt(SHIM_CODE));
  m.vcpu.setReg(Reg.CPSR, CPSR_EL1H_MASKED);
}

/** The EL0 state to enter (a new program's, or a forked child's). */
export interface El0State {
  /** X0..X30 (missing ones are zero). */
  readonly x?: readonly bigint[];
  readonly sp: bigint;
  readonly pc: bigint;
  /** PSTATE at EL0 (EL0t, NZCV and the rest); 0 for a new program. */
  readonly pstate: bigint;
  readonly fpcr?: bigint;
  readonly fpsr?: bigint;
  readonly tpidr?: bigint;
  readonly tpidrro?: bigint;
  /** V0..V31, 512 bytes; zero when absent. */
  readonly v?: Uint8Array;
}

const SPSR_EL0T = 0n;

/**
 * Enter EL0 through the shim's return path with `regs`, on the translation
 * tables of `as`. A vCPU that has never run gets the EL1 registers the boot
 * code would have loaded (`fresh`); one that runs already keeps them. The
 * mailbox asks the shim to drop the TLB and I-cache before it returns.
 */
export function enterEl0(m: Machine, as: AddressSpace, regs: El0State, fresh: boolean, on?: { vcpu: VcpuPort; slot: number }): void {
  const v = on?.vcpu ?? m.vcpu;
  if (fresh) {
    // What the boot code loads from the boot block, set by the host (hv_vcpu_set_sys_reg).
    const block = bootBlock({ ttbr0: as.pageTable.root, entry: 0, sp: 0 });
    const dv = new DataView(block.buffer, block.byteOffset, block.byteLength);
    const at = (off: number): bigint => dv.getBigUint64(off, true);
    v.setSysReg(SysReg.VBAR_EL1, at(BOOT.VBAR));
    v.setSysReg(SysReg.MAIR_EL1, at(BOOT.MAIR));
    v.setSysReg(SysReg.TCR_EL1, at(BOOT.TCR));
    v.setSysReg(SysReg.CPACR_EL1, at(BOOT.CPACR));
    v.setSysReg(SysReg.CNTKCTL_EL1, at(BOOT.CNTKCTL));
    v.setSysReg(SysReg.SCTLR_EL1, at(BOOT.SCTLR));
    v.setSysReg(SysReg.SP_EL1, on ? BigInt(shimStackTop(on.slot)) : at(BOOT.SP_EL1));
  }
  v.setSysReg(SysReg.TTBR0_EL1, BigInt(as.pageTable.root));
  for (let i = 0; i < 31; i++) v.setReg(i, regs.x?.[i] ?? 0n);
  v.setSysReg(SysReg.SP_EL0, regs.sp);
  v.setSysReg(SysReg.ELR_EL1, regs.pc);
  v.setSysReg(SysReg.SPSR_EL1, regs.pstate === 0n ? SPSR_EL0T : regs.pstate);
  v.setReg(Reg.FPCR, regs.fpcr ?? 0n);
  v.setReg(Reg.FPSR, regs.fpsr ?? 0n);
  v.setSysReg(SysReg.TPIDR_EL0, regs.tpidr ?? 0n);
  v.setSysReg(SysReg.TPIDRRO_EL0, regs.tpidrro ?? 0n);
  const vb = regs.v ?? new Uint8Array(512);
  for (let i = 0; i < 32; i++) v.setSimdFpReg(i, vb.subarray(i * 16, i * 16 + 16));
  // The shim's return path, at EL1 with interrupts masked: the mailbox, then ERET.
  m.phys.write64(SHIM_DATA + MAILBOX.TLB_FLUSH, 1, 0);
  m.phys.write64(SHIM_DATA + MAILBOX.IC_FLUSH, 1, 0);
  as.tlbDirty = false;
  as.icacheDirty = false;
  v.setReg(Reg.PC, BigInt(SHIM_RESUME));
  v.setReg(Reg.CPSR, CPSR_EL1H_MASKED);
}
