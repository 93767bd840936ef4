/**
 * Interpreter semantics for branches, exception generation and system
 * instructions. While an instruction runs, cpu.pc already holds the next
 * instruction's address, so a PC-relative target is pc - 4 + offset.
 */
import type { Cpu, Exec } from '../cpu.js';
import { TWO32, XZR_READ } from '../regs.js';
import { CONDITIONS } from './cond.js';
import type { Fields } from '../../../domain/a64/pattern.js';
import type { ExecTable } from './types.js';


const nop: Exec = () => {};


/** Read register n (31 = XZR) as an address. */
const regNum = (n: number): number => (n === 31 ? XZR_READ : n);

/** X30 <- address of the next instruction. */
function link(cpu: Cpu): void {
  const ret = cpu.pc;
  cpu.x[60] = ret >>> 0;
  cpu.x[61] = Math.floor(ret / TWO32);
}

/** A branch-to-register builder; `withLink` writes X30 after reading the target (BLR X30). */
function branchReg(withLink: boolean) {
  return (f: Fields): Exec => {
    const n = regNum(f.rn!);
    if (!withLink) return (cpu) => { cpu.pc = cpu.xAddr(n); };
    return (cpu) => {
      const dest = cpu.xAddr(n);
      link(cpu);
      cpu.pc = dest;
    };
  };
}

/** CBZ/CBNZ: `zero` is the outcome that branches. */
function compareBranch(zero: boolean) {
  return (f: Fields): Exec => {
    const lo = 2 * regNum(f.rt!);
    const off = f.imm19! * 4 - 4;
    if (f.sf) return (cpu) => { if (((cpu.x[lo]! | cpu.x[lo + 1]!) === 0) === zero) cpu.pc += off; };
    return (cpu) => { if ((cpu.x[lo] === 0) === zero) cpu.pc += off; };
  };
}

/** TBZ/TBNZ: `bitValue` is the bit value that branches. */
function testBranch(bitValue: number) {
  return (f: Fields): Exec => {
    const bit = (f.b5! << 5) | f.b40!;
    const slot = 2 * regNum(f.rt!) + (bit >>> 5);
    const sh = bit & 31;
    const off = f.imm14! * 4 - 4;
    return (cpu) => { if (((cpu.x[slot]! >>> sh) & 1) === bitValue) cpu.pc += off; };
  };
}

export const branch_sysExec: ExecTable = {
  SVC: (f) => { const imm = f.imm16!; return (cpu) => cpu.svc(imm); },
  HVC: (f) => { const imm = f.imm16!; return (cpu) => cpu.hvc(imm); },
  BRK: (f) => { const imm = f.imm16!; return (cpu) => cpu.brk(imm); },
  ERET: () => (cpu) => cpu.eret(),

  // Hints, barriers and SB: a single in-order interpreter needs none of them.
  // WFE (2) and WFI (3) trap to the host, as HVF's HCR_EL2.TWE/TWI make them; SEV (4) and
  // SEVL (5) set the event register a WFE consumes. The other hints are NOPs.
  HINT: (f) => {
    const imm = f['imm7'];
    if (imm === 2) return (cpu) => cpu.wfx(true);
    if (imm === 3) return (cpu) => cpu.wfx(false);
    if (imm === 4 || imm === 5) return (cpu) => cpu.sendEvent();
    return nop;
  },
  DSB: () => nop,
  DMB: () => nop,
  ISB: () => nop,
  ISB_opt: () => nop,
  SB: () => nop,
  CLREX: () => (cpu) => { cpu.exclAddr = -1; },

  MSR_imm: (f) => {
    const { op1 = 0, op2 = 0, crm = 0 } = f;
    return (cpu) => cpu.msrImm(op1, op2, crm);
  },
  SYS: (f) => {
    const { op1 = 0, crn = 0, crm = 0, op2 = 0, rt = 0 } = f;
    return (cpu) => cpu.sysInsn(op1, crn, crm, op2, rt);
  },
  // No SYSL operation is defined at EL0/EL1.
  SYSL: () => (cpu) => cpu.undefinedInsn(),
  MSR_reg: (f) => {
    const { o0 = 0, op1 = 0, crn = 0, crm = 0, op2 = 0, rt = 0 } = f;
    const op0 = 2 + o0;
    return (cpu) => cpu.msr(op0, op1, crn, crm, op2, rt);
  },
  MRS: (f) => {
    const { o0 = 0, op1 = 0, crn = 0, crm = 0, op2 = 0, rt = 0 } = f;
    const op0 = 2 + o0;
    return (cpu) => cpu.mrs(op0, op1, crn, crm, op2, rt);
  },

  B: (f) => {
    const off = f.imm26! * 4 - 4;
    return (cpu) => { cpu.pc += off; };
  },
  BL: (f) => {
    const off = f.imm26! * 4 - 4;
    return (cpu) => {
      link(cpu);
      cpu.pc += off;
    };
  },
  B_cond: (f) => {
    const holds = CONDITIONS[f.cond!]!;
    const off = f.imm19! * 4 - 4;
    return (cpu) => { if (holds(cpu)) cpu.pc += off; };
  },
  CBZ: compareBranch(true),
  CBNZ: compareBranch(false),
  TBZ: testBranch(0),
  TBNZ: testBranch(1),
  BR: branchReg(false),
  BLR: branchReg(true),
  RET: branchReg(false),
};
