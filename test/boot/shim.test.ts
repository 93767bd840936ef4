/**
 * The EL1 shim on the interpreter vCPU, end to end: boot with the MMU off,
 * turn it on from inside, ERET to EL0, and report an EL0 SVC through HVC #1
 * with every guest register intact; then the maintenance mailbox and ERET
 * back to EL0; faults, BRK and undefined instructions go the same way.
 */
import { describe, expect, it } from 'vitest';
import { InterpBackend } from '../../src/adapters/interp/backend.js';
import { HVC, MAILBOX, SHIM_DATA } from '../../src/domain/boot/shim.js';
import { EC, SysReg, type VcpuPort } from '../../src/ports/vcpu.js';
import { boot, runToHvc, USER_CODE, USER_STACK_TOP } from '../support/el0-machine.js';

const esrEc = (v: VcpuPort) => Number(v.getSysReg(SysReg.ESR_EL1)) >>> 26;

describe('EL1 shim on the interpreter', () => {
  it('boots to EL0 and forwards SVC with the guest registers untouched', () => {
    const { backend, vcpu, phys } = boot((a) => {
      for (let r = 0; r <= 30; r++) if (r !== 8) a.emit('MOVZ', { sf: 1, hw: 0, imm16: 0x100 + r, rd: r });
      a.emit('MOVZ', { sf: 1, hw: 0, imm16: 93, rd: 8 });
      a.emit('SVC', { imm16: 0 });
      a.emit('MOVZ', { sf: 1, hw: 0, imm16: 0x55, rd: 2 });
      a.emit('BRK', { imm16: 7 });
    });
    try {
      const e = runToHvc(vcpu);
      expect(e.syndrome >>> 26).toBe(EC.HVC64);
      expect(e.syndrome & 0xffff).toBe(HVC.EL0_SYNC);
      expect(esrEc(vcpu)).toBe(EC.SVC64);
      expect(vcpu.getReg(8)).toBe(93n);
      for (let r = 0; r <= 30; r++) if (r !== 8) expect(vcpu.getReg(r)).toBe(BigInt(0x100 + r));
      expect(vcpu.getSysReg(SysReg.SP_EL0)).toBe(BigInt(USER_STACK_TOP));
      const svcAt = BigInt(USER_CODE + 30 * 4 + 4);
      expect(vcpu.getSysReg(SysReg.ELR_EL1)).toBe(svcAt + 4n); // preferred return: after the SVC
      expect(Number(vcpu.getSysReg(SysReg.SPSR_EL1)) & 0xf).toBe(0); // came from EL0t

      // The host returns a result in X0 and asks for both maintenance operations.
      vcpu.setReg(0, 0xabcn);
      phys.write64(SHIM_DATA + MAILBOX.TLB_FLUSH, 1, 0);
      phys.write64(SHIM_DATA + MAILBOX.IC_FLUSH, 1, 0);
      const e2 = runToHvc(vcpu);
      expect(e2.syndrome & 0xffff).toBe(HVC.EL0_SYNC);
      expect(esrEc(vcpu)).toBe(EC.BRK64);
      expect(Number(vcpu.getSysReg(SysReg.ESR_EL1)) & 0xffff).toBe(7);
      expect(vcpu.getReg(0)).toBe(0xabcn);
      expect(vcpu.getReg(1)).toBe(0x101n); // the shim restored the X0/X1 it used
      expect(vcpu.getReg(2)).toBe(0x55n);
      // The shim consumed the mailbox.
      expect(phys.readLo(SHIM_DATA + MAILBOX.TLB_FLUSH)).toBe(0);
      expect(phys.readLo(SHIM_DATA + MAILBOX.IC_FLUSH)).toBe(0);
    } finally {
      backend.destroy();
    }
  });

  it('reports an EL0 store to read-only memory as a permission fault with FAR', () => {
    const { backend, vcpu } = boot((a) => {
      a.emit('MOVZ', { sf: 1, hw: 1, imm16: USER_CODE >>> 16, rd: 1 }); // x1 = USER_CODE
      a.emit('STR_uimm', { size: 3, imm12: 2, rn: 1, rt: 0 });
    });
    try {
      runToHvc(vcpu);
      const esr = Number(vcpu.getSysReg(SysReg.ESR_EL1));
      expect(esr >>> 26).toBe(EC.DATA_ABORT_LOWER);
      expect(esr & 0x3f).toBe(0x0f); // permission fault, level 3
      expect(esr & (1 << 6)).not.toBe(0); // WnR
      expect(vcpu.getSysReg(SysReg.FAR_EL1)).toBe(BigInt(USER_CODE + 16));
      expect(vcpu.getSysReg(SysReg.ELR_EL1)).toBe(BigInt(USER_CODE + 4)); // the faulting STR itself
    } finally {
      backend.destroy();
    }
  });

  it('reports EL0 access to the shim pages and to unmapped memory as faults', () => {
    const { backend, vcpu } = boot((a) => {
      a.emit('MOVZ', { sf: 1, hw: 0, imm16: SHIM_DATA, rd: 1 });
      a.emit('LDR_uimm', { size: 3, imm12: 0, rn: 1, rt: 0 });
    });
    try {
      runToHvc(vcpu);
      const esr = Number(vcpu.getSysReg(SysReg.ESR_EL1));
      expect(esr >>> 26).toBe(EC.DATA_ABORT_LOWER);
      expect(esr & 0x3c).toBe(0x0c); // permission fault: the page is EL1-only
      expect(vcpu.getSysReg(SysReg.FAR_EL1)).toBe(BigInt(SHIM_DATA));
    } finally {
      backend.destroy();
    }
    const m2 = boot((a) => {
      a.emit('MOVZ', { sf: 1, hw: 2, imm16: 0x1234, rd: 1 });
      a.emit('BR', { rn: 1 });
    });
    try {
      runToHvc(m2.vcpu);
      const esr = Number(m2.vcpu.getSysReg(SysReg.ESR_EL1));
      expect(esr >>> 26).toBe(EC.INSN_ABORT_LOWER);
      expect(esr & 0x3c).toBe(0x04); // translation fault
      expect(m2.vcpu.getSysReg(SysReg.FAR_EL1)).toBe(0x1234n << 32n);
      expect(m2.vcpu.getSysReg(SysReg.ELR_EL1)).toBe(0x1234n << 32n);
    } finally {
      m2.backend.destroy();
    }
  });

  it('traps EL0 reads of ID registers (EC 0x18) and makes EL1 registers undefined at EL0', () => {
    const { backend, vcpu } = boot((a) => {
      a.emit('MRS', { o0: 1, op1: 0, crn: 0, crm: 6, op2: 0, rt: 3 }); // mrs x3, id_aa64isar0_el1
    });
    try {
      runToHvc(vcpu);
      const esr = Number(vcpu.getSysReg(SysReg.ESR_EL1));
      expect(esr >>> 26).toBe(EC.SYS64);
      expect((esr >>> 5) & 31).toBe(3); // Rt
      expect(esr & 1).toBe(1); // read
    } finally {
      backend.destroy();
    }
    const m2 = boot((a) => {
      a.emit('MRS', { o0: 1, op1: 0, crn: 1, crm: 0, op2: 0, rt: 3 }); // mrs x3, sctlr_el1
    });
    try {
      runToHvc(m2.vcpu);
      expect(esrEc(m2.vcpu)).toBe(EC.UNKNOWN);
    } finally {
      m2.backend.destroy();
    }
  });

  it('allows one VM per process, like Hypervisor.framework', () => {
    const b = new InterpBackend();
    try {
      expect(() => new InterpBackend()).toThrow(/one VM per process/);
    } finally {
      b.destroy();
    }
    new InterpBackend().destroy();
  });
});
