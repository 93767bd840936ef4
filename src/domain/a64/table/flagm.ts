/**
 * A64 table: the condition-flag manipulation instructions of FEAT_FlagM
 * (CFINV, RMIF, SETF8, SETF16) and FEAT_FlagM2 (AXFLAG, XAFLAG), ARM ARM
 * C4.1.90 "Rotate right into flags", "Evaluate into flags" and the
 * MSR (immediate) op1 = 0, op2 = 0..2 encodings, which are these
 * instructions rather than PSTATE fields.
 */
import type { InsnDef } from '../insn.js';
import { gpr } from './syntax.js';

export const flagmDefs: InsnDef[] = [
  { name: 'CFINV', pattern: '11010101000000000100 0000 000 11111', disasm: () => 'cfinv', feature: 'flagm' },
  { name: 'XAFLAG', pattern: '11010101000000000100 0000 001 11111', disasm: () => 'xaflag', feature: 'flagm2' },
  { name: 'AXFLAG', pattern: '11010101000000000100 0000 010 11111', disasm: () => 'axflag', feature: 'flagm2' },
  {
    name: 'RMIF', pattern: '1 0 1 11010000 imm6:6 00001 rn:5 0 mask:4',
    disasm: (f) => `rmif\t${gpr(1, f.rn!)}, #${f.imm6}, #${f.mask}`, feature: 'flagm',
  },
  {
    name: 'SETF', pattern: '0 0 1 11010000 000000 sz:1 0010 rn:5 0 1101',
    disasm: (f) => `setf${f.sz ? 16 : 8}\t${gpr(0, f.rn!)}`, feature: 'flagm',
  },
];
