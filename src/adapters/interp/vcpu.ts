/**
 * The interpreter backend's VcpuPort: the TypeScript CPU presented with
 * Hypervisor.framework's register API. get/set translate between hv_reg_t /
 * hv_sys_reg_t ids and the CPU's internal representation.
 */
import { Reg, type RegId, type VcpuExit, type VcpuPort } from '../../ports/vcpu.js';
import { Cpu, type IdRegs } from './cpu.js';
import type { InterpMemory } from './memory.js';
import { FPCR_MASK, FPSR_MASK } from './regs.js';

export class InterpVcpu implements VcpuPort {
  readonly cpu: Cpu;

  constructor(mem: InterpMemory, ids: IdRegs) {
    this.cpu = new Cpu(mem, ids);
    this.cpu.cpsr = 0x3c5; // EL1h, DAIF masked: the reset state of a fresh vCPU
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

  instructionsRetired(): number {
    return this.cpu.retired;
  }

  destroy(): void {}
}
