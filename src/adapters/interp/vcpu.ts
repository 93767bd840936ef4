/**
 * The interpreter backend's VcpuPort: the TypeScript CPU presented with
 * Hypervisor.framework's register API. get/set translate between hv_reg_t /
 * hv_sys_reg_t ids and the CPU's internal representation.
 */
import { Reg, Snap, SnapGroup, SysReg, type RegId, type VcpuExit, type VcpuPort, type VcpuSnapshot } from '../../ports/vcpu.js';
import { Cpu, type IdRegs } from './cpu.js';
import type { InterpMemory } from './memory.js';
import { FPCR_MASK, FPSR_MASK } from './regs.js';

export class InterpVcpu implements VcpuPort {
  readonly cpu: Cpu;

  constructor(mem: InterpMemory, ids: IdRegs) {
    this.cpu = new Cpu(mem, ids);
    this.cpu.cpsr = 0x3c5; // EL1h, DAIF masked: the reset state of a fresh vCPU
  }

  /** Registers out in one go: X0-X30 straight from the register file's uint32 pairs. */
  readSnapshot(into: VcpuSnapshot): void {
    const cpu = this.cpu;
    const r = into.regs;
    new Uint32Array(r.buffer, r.byteOffset, 62).set(cpu.x.subarray(0, 62));
    r[Snap.PC] = BigInt(cpu.pc);
    r[Snap.CPSR] = BigInt(cpu.cpsr >>> 0);
    r[Snap.SP_EL0] = cpu.getSysReg(SysReg.SP_EL0);
    r[Snap.ELR_EL1] = cpu.getSysReg(SysReg.ELR_EL1);
    r[Snap.SPSR_EL1] = cpu.getSysReg(SysReg.SPSR_EL1);
    r[Snap.ESR_EL1] = cpu.getSysReg(SysReg.ESR_EL1);
    r[Snap.FAR_EL1] = cpu.getSysReg(SysReg.FAR_EL1);
    r[Snap.FPCR] = BigInt(cpu.fpcr >>> 0);
    r[Snap.FPSR] = BigInt(cpu.fpsr >>> 0);
    into.v.set(cpu.vb);
  }

  writeSnapshot(from: VcpuSnapshot, groups: number): void {
    const cpu = this.cpu;
    const r = from.regs;
    if (groups & SnapGroup.GPRS) cpu.x.set(new Uint32Array(r.buffer, r.byteOffset, 62));
    if (groups & SnapGroup.PC_CPSR) {
      this.setReg(Reg.PC, r[Snap.PC]!);
      this.setReg(Reg.CPSR, r[Snap.CPSR]!);
    }
    if (groups & SnapGroup.SP_EL0) cpu.setSysReg(SysReg.SP_EL0, r[Snap.SP_EL0]!);
    if (groups & SnapGroup.ELR_SPSR) {
      cpu.setSysReg(SysReg.ELR_EL1, r[Snap.ELR_EL1]!);
      cpu.setSysReg(SysReg.SPSR_EL1, r[Snap.SPSR_EL1]!);
    }
    if (groups & SnapGroup.FP) {
      cpu.vb.set(from.v);
      this.setReg(Reg.FPCR, r[Snap.FPCR]!);
      this.setReg(Reg.FPSR, r[Snap.FPSR]!);
    }
  }

  getReg(reg: RegId): bigint {
    if (reg >= 0 && reg <= 30) return this.cpu.getX(reg);
    switch (reg) {
      case Reg.PC:
        return BigInt(this.cpu.pc);
      case Reg.FPCR:
        return BigInt(this.cpu.fpcr >>> 0);
      case Reg.FPSR:
        return BigInt(this.cpu.fpsr >>> 0);
      case Reg.CPSR:
        return BigInt(this.cpu.cpsr >>> 0);
      default:
        throw new RangeError(`no register ${reg}`);
    }
  }

  setReg(reg: RegId, value: bigint): void {
    const v = BigInt.asUintN(64, value);
    if (reg >= 0 && reg <= 30) return this.cpu.setX(reg, v);
    switch (reg) {
      case Reg.PC:
        this.cpu.pc = Number(v);
        return;
      case Reg.FPCR:
        this.cpu.fpcr = Number(v & FPCR_MASK);
        return;
      case Reg.FPSR:
        this.cpu.fpsr = Number(v & FPSR_MASK);
        return;
      case Reg.CPSR:
        this.cpu.cpsr = Number(v & 0xffffffffn);
        return;
      default:
        throw new RangeError(`no register ${reg}`);
    }
  }

  getSysReg(reg: number): bigint {
    return this.cpu.getSysReg(reg);
  }

  setSysReg(reg: number, value: bigint): void {
    this.cpu.setSysReg(reg, value);
  }

  getSimdFpReg(index: number): Uint8Array {
    return this.cpu.vb.slice(index * 16, index * 16 + 16);
  }

  setSimdFpReg(index: number, value: Uint8Array): void {
    this.cpu.vb.set(value.subarray(0, 16), index * 16);
  }

  run(): VcpuExit {
    return this.cpu.run();
  }

  setTrapDebugExceptions(enabled: boolean): void {
    this.cpu.setTrapDebugExceptions(enabled);
  }

  requestExit(): void {
    this.cpu.requestExit();
  }

  setVtimerMask(masked: boolean): void {
    this.cpu.setVtimerMask(masked);
  }

  instructionsRetired(): number {
    return this.cpu.retired;
  }

  destroy(): void {
    this.cpu.detach();
  }
}
