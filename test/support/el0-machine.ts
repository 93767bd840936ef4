/**
 * A whole EL0 machine for tests: the interpreter backend with guest RAM, the
 * domain's page tables, the EL1 shim and its boot block, and a user program
 * at USER_CODE (read-execute) with a read-write data area and stack. Runs
 * exactly the boot path a real guest takes, minus the ELF loader.
 */
import { expect } from 'vitest';
import { InterpBackend } from '../../src/adapters/interp/backend.js';
import { Asm } from '../../src/domain/a64/assembler.js';
import { bootBlock, buildShim, CPSR_EL1H_MASKED, SHIM_CODE, SHIM_DATA, SHIM_END, SHIM_STACK_TOP } from '../../src/domain/boot/shim.js';
import { AddressSpace } from '../../src/domain/memory/address-space.js';
import { FrameAllocator } from '../../src/domain/memory/frames.js';
import { PageTable } from '../../src/domain/memory/page-table.js';
import { PhysMem } from '../../src/domain/memory/phys.js';
import { MEM_RWX } from '../../src/ports/memory.js';
import { ExitReason, Reg, type VcpuExit, type VcpuPort } from '../../src/ports/vcpu.js';

export const RAM = 16 << 20;
export const USER_CODE = 0x400000;
export const USER_DATA = 0x500000;
export const USER_STACK_TOP = 0x600000;

/** Boot a machine whose user code page holds what `program` assembles (or raw bytes). */
export function boot(program: ((a: Asm) => void) | Uint8Array) {
  const backend = new InterpBackend();
  backend.memory.map(0, RAM, MEM_RWX);
  const phys = new PhysMem(backend.memory, RAM);
  const frames = new FrameAllocator(SHIM_END, RAM, phys);
  const pt = new PageTable(phys, frames);
  const as = new AddressSpace(phys, frames, pt);
  phys.view(SHIM_CODE, 0x1000).set(buildShim());
  as.mapKernel(SHIM_CODE, SHIM_CODE, 0x1000, { exec: true });
  as.mapKernel(SHIM_DATA, SHIM_DATA, SHIM_STACK_TOP - SHIM_DATA, { exec: false });
  expect(as.mmapAnonymous(USER_CODE, 0x1000, 3, 0x32)).toBe(USER_CODE); // RW while we write the code
  let code: Uint8Array;
  if (program instanceof Uint8Array) {
    code = program;
  } else {
    const a = new Asm();
    program(a);
    code = a.assemble();
  }
  as.poke(USER_CODE, code);
  expect(as.mprotect(USER_CODE, 0x1000, 5)).toBe(0); // R-X
  expect(as.mmapAnonymous(USER_DATA, 0x100000, 3, 0x32 | 0x8000 /* MAP_POPULATE: no run loop here to page in */)).toBe(USER_DATA);
  phys.view(SHIM_DATA, 0x100).set(bootBlock({ ttbr0: pt.root, entry: USER_CODE, sp: USER_STACK_TOP }));
  const vcpu = backend.createVcpu();
  vcpu.setReg(Reg.PC, BigInt(SHIM_CODE));
  vcpu.setReg(Reg.CPSR, CPSR_EL1H_MASKED);
  return { backend, vcpu, phys, as };
}

/** Run until the vCPU exits with an exception (the shim's HVC). */
export function runToHvc(vcpu: VcpuPort): VcpuExit {
  for (let i = 0; i < 10; i++) {
    const e = vcpu.run() as VcpuExit;
    if (e.reason === ExitReason.EXCEPTION) return e;
  }
  throw new Error('no exit');
}

