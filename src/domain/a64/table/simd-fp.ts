/**
 * A64 table: the Advanced SIMD floating-point instructions of ARMv8.0 on
 * single/double lanes that simd.ts and fp.ts do not hold: absolute compares
 * (FACGE/FACGT), the pairwise maxima and minima (vector, scalar pairwise
 * and across lanes), scalar register and zero compares, scalar FABD, and
 * the estimates FRECPE, FRSQRTE and FRECPX.
 *
 * Field layouts follow the ARM ARM's "Advanced SIMD three same", "two-register
 * miscellaneous", "scalar pairwise" and "across lanes" groups (C4.1.96).
 */
import type { InsnDef } from '../insn.js';
import type { Fields } from '../pattern.js';
import { arrangement } from './simd.js';

const fpArr = (f: Fields): boolean => f.sz === 0 || f.q === 1;
const fvreg = (n: number, f: Fields): string => `v${n}.${arrangement(2 + f.sz!, f.q!)}`;
const sreg = (f: Fields, n: number): string => `${f.sz ? 'd' : 's'}${n}`;

/** Three-same, vector: `0 Q U 01110 a sz 1 Rm opcode 1 Rn Rd`. */
function same3(name: string, u: number, a: number, opcode: string, m: string): InsnDef {
  return {
    name: `${name}_vec`, pattern: `0 q:1 ${u} 01110 ${a} sz:1 1 rm:5 ${opcode} 1 rn:5 rd:5`, guard: fpArr,
    disasm: (f) => `${m}\t${fvreg(f.rd!, f)}, ${fvreg(f.rn!, f)}, ${fvreg(f.rm!, f)}`, feature: 'asimd',
  };
}

/** Three-same, scalar: `01 U 11110 a sz 1 Rm opcode 1 Rn Rd`. */
function same3Scalar(name: string, u: number, a: number, opcode: string, m: string): InsnDef {
  return {
    name: `${name}_scalar_simd`, pattern: `01 ${u} 11110 ${a} sz:1 1 rm:5 ${opcode} 1 rn:5 rd:5`,
    disasm: (f) => `${m}\t${sreg(f, f.rd!)}, ${sreg(f, f.rn!)}, ${sreg(f, f.rm!)}`, feature: 'asimd',
  };
}

/** Two-register miscellaneous, vector: `0 Q U 01110 a sz 10000 opcode 10 Rn Rd`. */
function misc2(name: string, u: number, a: number, opcode: string, m: string, zero: boolean): InsnDef {
  return {
    name: `${name}_vec`, pattern: `0 q:1 ${u} 01110 ${a} sz:1 10000 ${opcode} 10 rn:5 rd:5`, guard: fpArr,
    disasm: (f) => `${m}\t${fvreg(f.rd!, f)}, ${fvreg(f.rn!, f)}${zero ? ', #0.0' : ''}`, feature: 'asimd',
  };
}

/** Two-register miscellaneous, scalar: `01 U 11110 a sz 10000 opcode 10 Rn Rd`. */
function misc2Scalar(name: string, u: number, a: number, opcode: string, m: string, zero: boolean): InsnDef {
  return {
    name, pattern: `01 ${u} 11110 ${a} sz:1 10000 ${opcode} 10 rn:5 rd:5`,
    disasm: (f) => `${m}\t${sreg(f, f.rd!)}, ${sreg(f, f.rn!)}${zero ? ', #0.0' : ''}`, feature: 'asimd',
  };
}

/** Scalar pairwise: `01 1 11110 o1 sz 11000 opcode 10 Rn Rd`: one result from the two lanes of Vn. */
function pairwise(name: string, o1: number, opcode: string, m: string): InsnDef {
  return {
    name: `${name}_pair`, pattern: `01 1 11110 ${o1} sz:1 11000 ${opcode} 10 rn:5 rd:5`,
    disasm: (f) => `${m}\t${sreg(f, f.rd!)}, v${f.rn}.${f.sz ? '2d' : '2s'}`, feature: 'asimd',
  };
}

/** Across lanes, single precision only: `0 1 1 01110 o1 0 11000 opcode 10 Rn Rd`. */
function across(name: string, o1: number, opcode: string, m: string): InsnDef {
  return {
    name, pattern: `0 1 1 01110 ${o1} 0 11000 ${opcode} 10 rn:5 rd:5`,
    disasm: (f) => `${m}\ts${f.rd}, v${f.rn}.4s`, feature: 'asimd',
  };
}

export const simdFpDefs: InsnDef[] = [
  same3('FACGE', 1, 0, '11101', 'facge'),
  same3('FACGT', 1, 1, '11101', 'facgt'),
  same3('FMAXP', 1, 0, '11110', 'fmaxp'),
  same3('FMINP', 1, 1, '11110', 'fminp'),
  same3('FMAXNMP', 1, 0, '11000', 'fmaxnmp'),
  same3('FMINNMP', 1, 1, '11000', 'fminnmp'),
  same3Scalar('FCMEQ', 0, 0, '11100', 'fcmeq'),
  same3Scalar('FCMGE', 1, 0, '11100', 'fcmge'),
  same3Scalar('FCMGT', 1, 1, '11100', 'fcmgt'),
  same3Scalar('FACGE', 1, 0, '11101', 'facge'),
  same3Scalar('FACGT', 1, 1, '11101', 'facgt'),
  same3Scalar('FABD', 1, 1, '11010', 'fabd'),
  misc2Scalar('FCMGT_zero_scalar', 0, 1, '01100', 'fcmgt', true),
  misc2Scalar('FCMGE_zero_scalar', 1, 1, '01100', 'fcmge', true),
  misc2Scalar('FCMEQ_zero_scalar', 0, 1, '01101', 'fcmeq', true),
  misc2Scalar('FCMLE_zero_scalar', 1, 1, '01101', 'fcmle', true),
  misc2Scalar('FCMLT_zero_scalar', 0, 1, '01110', 'fcmlt', true),
  misc2('FRECPE', 0, 1, '11101', 'frecpe', false),
  misc2('FRSQRTE', 1, 1, '11101', 'frsqrte', false),
  misc2Scalar('FRECPE_scalar_simd', 0, 1, '11101', 'frecpe', false),
  misc2Scalar('FRSQRTE_scalar_simd', 1, 1, '11101', 'frsqrte', false),
  misc2Scalar('FRECPX_scalar_simd', 0, 1, '11111', 'frecpx', false),
  pairwise('FADDP', 0, '01101', 'faddp'),
  pairwise('FMAXNMP', 0, '01100', 'fmaxnmp'),
  pairwise('FMAXP', 0, '01111', 'fmaxp'),
  pairwise('FMINNMP', 1, '01100', 'fminnmp'),
  pairwise('FMINP', 1, '01111', 'fminp'),
  across('FMAXNMV', 0, '01100', 'fmaxnmv'),
  across('FMAXV', 0, '01111', 'fmaxv'),
  across('FMINNMV', 1, '01100', 'fminnmv'),
  across('FMINV', 1, '01111', 'fminv'),
];
