/**
 * Interpreter semantics for FEAT_FlagM and FEAT_FlagM2: direct manipulation
 * of NZCV (ARM ARM C6.2 CFINV, RMIF, SETF8/SETF16, AXFLAG, XAFLAG). AXFLAG
 * and XAFLAG convert between the Arm FP comparison flags and the "external"
 * format x86-style code expects.
 */
import { XZR_READ } from '../regs.js';
import type { ExecTable } from './types.js';

export const flagmExec: ExecTable = {
  CFINV: () => (cpu) => { cpu.cf ^= 1; },
  AXFLAG: () => (cpu) => {
    const v = cpu.vf;
    cpu.zf |= v;
    cpu.cf &= v ^ 1;
    cpu.nf = 0;
    cpu.vf = 0;
  },
  XAFLAG: () => (cpu) => {
    const c = cpu.cf;
    const z = cpu.zf;
    cpu.nf = (c | z) ^ 1;
    cpu.zf = z & c;
    cpu.cf = c | z;
    cpu.vf = (c ^ 1) & z;
  },
  RMIF: (f) => {
    const n = f.rn === 31 ? XZR_READ : f.rn!;
    const sh = f.imm6!;
    const mask = f.mask!;
    return (cpu) => {
      // Bits 3..0 of ROR(Xn, shift): bit k of the result is bit (k + shift) mod 64 of Xn.
      const bit = (k: number): number => {
        const b = (k + sh) & 63;
        return (cpu.x[2 * n + (b >> 5)]! >>> (b & 31)) & 1;
      };
      if (mask & 8) cpu.nf = bit(3);
      if (mask & 4) cpu.zf = bit(2);
      if (mask & 2) cpu.cf = bit(1);
      if (mask & 1) cpu.vf = bit(0);
    };
  },
  SETF: (f) => {
    const n = f.rn === 31 ? XZR_READ : f.rn!;
    const top = f.sz ? 15 : 7;
    const low = f.sz ? 0xffff : 0xff;
    return (cpu) => {
      const w = cpu.x[2 * n]!;
      cpu.nf = (w >>> top) & 1;
      cpu.zf = (w & low) === 0 ? 1 : 0;
      cpu.vf = ((w >>> (top + 1)) ^ (w >>> top)) & 1;
    };
  },
};
