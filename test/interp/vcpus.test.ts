/**
 * Several vCPUs in one VM (a process's threads): a switch between them
 * clears the exclusive monitor, as an OS's context switch (CLREX) does, so
 * a load-exclusive/store-exclusive pair cut by another vCPU's run fails;
 * an uncut pair still succeeds. The pair is cut at a slice's end (run()
 * returns CANCELED between the two, in EL0), where no exception return
 * would clear the monitor by itself. And an inner-shareable TLBI on one
 * vCPU drops the translations every vCPU of the VM cached.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { encode } from '../../src/domain/a64/assembler.js';
import { InterpVcpu } from '../../src/adapters/interp/vcpu.js';
import { SHIM_VECTORS } from '../../src/domain/boot/shim.js';
import { EC, ExitReason, Reg, SysReg, type VcpuExit } from '../../src/ports/vcpu.js';
import { RAM, USER_CODE, USER_DATA, boot } from '../support/el0-machine.js';

/** One VM per process: whatever a test booted goes, even when it failed. */
const live: { destroy(): void }[] = [];
afterEach(() => {
  for (const b of live.splice(0)) b.destroy();
});

function machine() {
  const m = boot((a) => {
    a.emit('MOVZ', { sf: 1, hw: 1, imm16: USER_DATA >>> 16, rd: 1 });
    a.emit('LDXR', { size: 3, o0: 0, rn: 1, rt: 2 });
    // A branch ends the block, so a one-block slice stops between the pair.
    a.emitTo('next', (off) => ['B', { imm26: off / 4 }]);
    a.label('next');
    a.emit('ADD_imm', { sf: 1, sh: 0, imm12: 1, rn: 2, rd: 2 });
    a.emit('STXR', { size: 3, rs: 3, o0: 0, rn: 1, rt: 2 });
    a.emit('SVC', { imm16: 0 });
  });
  live.push(m.backend);
  const vcpu = m.vcpu as InterpVcpu;
  vcpu.cpu.slice = 1;
  // Run block by block until the load-exclusive has run and the store-exclusive not yet.
  for (let i = 0; i < 100 && vcpu.getReg(Reg.PC) !== BigInt(USER_CODE + 12); i++) expect(vcpu.run().reason).toBe(ExitReason.CANCELED);
  expect(vcpu.getReg(Reg.PC)).toBe(BigInt(USER_CODE + 12));
  return { ...m, vcpu };
}

function finish(vcpu: InterpVcpu): bigint {
  vcpu.cpu.slice = 1000;
  expect(vcpu.run().reason).toBe(ExitReason.EXCEPTION); // the SVC's HVC
  return vcpu.getReg(3);
}

describe('vCPUs of one VM', () => {
  test('a pair that no other vCPU cut succeeds', () => {
    const { vcpu } = machine();
    expect(finish(vcpu)).toBe(0n);
  });

  test("another vCPU's run between the load- and store-exclusive makes the store fail", () => {
    const { vcpu, backend } = machine();
    const other = backend.createVcpu();
    // The other vCPU, fresh at EL1 with the MMU off, runs the shim's EL0_SYNC vector: one HVC.
    other.setReg(Reg.PC, BigInt(SHIM_VECTORS + 0x400));
    expect((other.run() as VcpuExit).reason).toBe(ExitReason.EXCEPTION);
    expect(finish(vcpu)).toBe(1n);
  });
});

describe('TLB maintenance across vCPUs', () => {
  function loader() {
    const m = boot((a) => {
      a.emit('MOVZ', { sf: 1, hw: 1, imm16: USER_DATA >>> 16, rd: 1 });
      a.emit('LDR_uimm', { size: 3, imm12: 0, rn: 1, rt: 2 });
      a.emitTo('next', (off) => ['B', { imm26: off / 4 }]);
      a.label('next');
      a.emit('LDR_uimm', { size: 3, imm12: 0, rn: 1, rt: 4 });
      a.emit('SVC', { imm16: 0 });
    });
    live.push(m.backend);
    const vcpu = m.vcpu as InterpVcpu;
    vcpu.cpu.slice = 1;
    for (let i = 0; i < 100 && vcpu.getReg(Reg.PC) !== BigInt(USER_CODE + 12); i++) vcpu.run();
    expect(vcpu.getReg(Reg.PC)).toBe(BigInt(USER_CODE + 12));
    // The data page becomes inaccessible; the vCPU's TLB still holds its translation.
    expect(m.as.mprotect(USER_DATA, 0x1000, 0)).toBe(0);
    return { ...m, vcpu };
  }

  function secondLoad(vcpu: InterpVcpu): number {
    vcpu.cpu.slice = 1000;
    expect(vcpu.run().reason).toBe(ExitReason.EXCEPTION);
    return Number(vcpu.getSysReg(SysReg.ESR_EL1) >> 26n);
  }

  /** A second vCPU runs `op` at EL1 with the MMU off, from a page of RAM nothing else uses. */
  function otherRuns(m: ReturnType<typeof loader>, op: number): void {
    const at = RAM - 0x1000;
    const words = new Uint32Array([op, encode('HVC', { imm16: 1 })]);
    m.phys.view(at, 8).set(new Uint8Array(words.buffer));
    const other = m.backend.createVcpu();
    other.setReg(Reg.PC, BigInt(at));
    expect((other.run() as VcpuExit).reason).toBe(ExitReason.EXCEPTION);
  }

  test('without maintenance the stale translation still reads the page', () => {
    const m = loader();
    expect(secondLoad(m.vcpu)).toBe(EC.SVC64);
  });

  test("another vCPU's TLBI VMALLE1IS drops it: the load faults", () => {
    const m = loader();
    otherRuns(m, encode('SYS', { op1: 0, crn: 8, crm: 3, op2: 0, rt: 31 }));
    expect(secondLoad(m.vcpu)).toBe(EC.DATA_ABORT_LOWER);
  });

  test("another vCPU's local TLBI VMALLE1 does not", () => {
    const m = loader();
    otherRuns(m, encode('SYS', { op1: 0, crn: 8, crm: 7, op2: 0, rt: 31 }));
    expect(secondLoad(m.vcpu)).toBe(EC.SVC64);
  });
});
