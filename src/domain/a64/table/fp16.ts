/**
 * A64 table: half-precision arithmetic (FEAT_FP16), scalar and Advanced
 * SIMD. The scalar forms are the single/double ones of fp.ts with
 * ftype = 11 (feature 'fphp'); the vector forms have groups of their own
 * ("Advanced SIMD three same FP16", "two-register miscellaneous FP16" and
 * their scalar twins, FP16 across lanes and scalar pairwise, by element
 * with size 00, fixed-point conversions with immh = 001x, FMOV (vector,
 * immediate) with o2 = 1, and FCMLA/FCADD on half lanes; feature 'asimdhp').
 * Every name ends in `_h`.
 */
import type { InsnDef } from '../insn.js';
import type { Fields } from '../pattern.js';
import { fpImmText, vfpImm } from './simd.js';
import { COND_NAMES as COND, gpr } from './syntax.js';

const h = (n: number): string => `h${n}`;
const vh = (n: number, q: number): string => `v${n}.${q ? '8h' : '4h'}`;

// ---- scalar (ftype = 11) ---------------------------------------------------------------

function unary(name: string, opcode: string, m: string): InsnDef {
  return {
    name: `${name}_h`, pattern: `000 11110 11 1 ${opcode} 10000 rn:5 rd:5`,
    disasm: (f) => `${m}\t${h(f.rd!)}, ${h(f.rn!)}`, feature: 'fphp',
  };
}

function binary(name: string, opcode: string, m: string): InsnDef {
  return {
    name: `${name}_h`, pattern: `000 11110 11 1 rm:5 ${opcode} 10 rn:5 rd:5`,
    disasm: (f) => `${m}\t${h(f.rd!)}, ${h(f.rn!)}, ${h(f.rm!)}`, feature: 'fphp',
  };
}

function ternary(name: string, o1: number, o0: number, m: string): InsnDef {
  return {
    name: `${name}_h`, pattern: `000 11111 11 ${o1} rm:5 ${o0} ra:5 rn:5 rd:5`,
    disasm: (f) => `${m}\t${h(f.rd!)}, ${h(f.rn!)}, ${h(f.rm!)}, ${h(f.ra!)}`, feature: 'fphp',
  };
}

function toGen(name: string, rmode: string, opcode: string, m: string, toFp: boolean): InsnDef {
  return {
    name: `${name}_h`, pattern: `sf:1 00 11110 11 1 ${rmode} ${opcode} 000000 rn:5 rd:5`,
    disasm: (f) => (toFp ? `${m}\t${h(f.rd!)}, ${gpr(f.sf!, f.rn!)}` : `${m}\t${gpr(f.sf!, f.rd!)}, ${h(f.rn!)}`),
    feature: 'fphp',
  };
}

function fixed(name: string, rmode: string, opcode: string, m: string, toFp: boolean): InsnDef {
  return {
    name: `${name}_h`, pattern: `sf:1 00 11110 11 0 ${rmode} ${opcode} scale:6 rn:5 rd:5`,
    guard: (f) => f.sf === 1 || f.scale! >= 32,
    disasm: (f) => (toFp
      ? `${m}\t${h(f.rd!)}, ${gpr(f.sf!, f.rn!)}, #${64 - f.scale!}`
      : `${m}\t${gpr(f.sf!, f.rd!)}, ${h(f.rn!)}, #${64 - f.scale!}`),
    feature: 'fphp',
  };
}

const SCALAR: InsnDef[] = [
  unary('FMOV_reg', '000000', 'fmov'),
  unary('FABS_scalar', '000001', 'fabs'),
  unary('FNEG_scalar', '000010', 'fneg'),
  unary('FSQRT_scalar', '000011', 'fsqrt'),
  unary('FRINTN_scalar', '001000', 'frintn'),
  unary('FRINTP_scalar', '001001', 'frintp'),
  unary('FRINTM_scalar', '001010', 'frintm'),
  unary('FRINTZ_scalar', '001011', 'frintz'),
  unary('FRINTA_scalar', '001100', 'frinta'),
  unary('FRINTX_scalar', '001110', 'frintx'),
  unary('FRINTI_scalar', '001111', 'frinti'),
  binary('FMUL_scalar', '0000', 'fmul'),
  binary('FDIV_scalar', '0001', 'fdiv'),
  binary('FADD_scalar', '0010', 'fadd'),
  binary('FSUB_scalar', '0011', 'fsub'),
  binary('FMAX_scalar', '0100', 'fmax'),
  binary('FMIN_scalar', '0101', 'fmin'),
  binary('FMAXNM_scalar', '0110', 'fmaxnm'),
  binary('FMINNM_scalar', '0111', 'fminnm'),
  binary('FNMUL_scalar', '1000', 'fnmul'),
  ternary('FMADD', 0, 0, 'fmadd'),
  ternary('FMSUB', 0, 1, 'fmsub'),
  ternary('FNMADD', 1, 0, 'fnmadd'),
  ternary('FNMSUB', 1, 1, 'fnmsub'),
  {
    // Rm of the #0.0 form should be zero; like qemu, another value is ignored.
    name: 'FCMP_h', pattern: '000 11110 11 1 rm:5 001000 rn:5 e:1 z:1 000',
    disasm: (f) => `${f.e ? 'fcmpe' : 'fcmp'}\t${h(f.rn!)}, ${f.z ? '#0.0' : h(f.rm!)}`, feature: 'fphp',
  },
  {
    name: 'FCCMP_h', pattern: '000 11110 11 1 rm:5 cond:4 01 rn:5 e:1 nzcv:4',
    disasm: (f) => `${f.e ? 'fccmpe' : 'fccmp'}\t${h(f.rn!)}, ${h(f.rm!)}, #0x${f.nzcv!.toString(16)}, ${COND[f.cond!]}`, feature: 'fphp',
  },
  {
    name: 'FCSEL_h', pattern: '000 11110 11 1 rm:5 cond:4 11 rn:5 rd:5',
    disasm: (f) => `fcsel\t${h(f.rd!)}, ${h(f.rn!)}, ${h(f.rm!)}, ${COND[f.cond!]}`, feature: 'fphp',
  },
  {
    name: 'FMOV_imm_h', pattern: '000 11110 11 1 imm8:8 100 00000 rd:5',
    disasm: (f) => `fmov\t${h(f.rd!)}, ${fpImmText(vfpImm(f.imm8!))}`, feature: 'fphp',
  },
  toGen('FCVTNS_gen', '00', '000', 'fcvtns', false),
  toGen('FCVTNU_gen', '00', '001', 'fcvtnu', false),
  toGen('FCVTPS_gen', '01', '000', 'fcvtps', false),
  toGen('FCVTPU_gen', '01', '001', 'fcvtpu', false),
  toGen('FCVTMS_gen', '10', '000', 'fcvtms', false),
  toGen('FCVTMU_gen', '10', '001', 'fcvtmu', false),
  toGen('FCVTZS_gen', '11', '000', 'fcvtzs', false),
  toGen('FCVTZU_gen', '11', '001', 'fcvtzu', false),
  toGen('FCVTAS_gen', '00', '100', 'fcvtas', false),
  toGen('FCVTAU_gen', '00', '101', 'fcvtau', false),
  toGen('SCVTF_gen', '00', '010', 'scvtf', true),
  toGen('UCVTF_gen', '00', '011', 'ucvtf', true),
  fixed('FCVTZS_fix', '11', '000', 'fcvtzs', false),
  fixed('FCVTZU_fix', '11', '001', 'fcvtzu', false),
  fixed('SCVTF_fix', '00', '010', 'scvtf', true),
  fixed('UCVTF_fix', '00', '011', 'ucvtf', true),
];

// ---- Advanced SIMD -----------------------------------------------------------------------

/** Three same FP16: `0 Q U 01110 a 10 Rm 00 opcode 1 Rn Rd`, and the scalar form `01 U 11110 ...`. */
function same3(name: string, u: number, a: number, opcode: string, m: string, scalar: boolean, vector = true): InsnDef[] {
  const defs: InsnDef[] = [];
  if (vector) {
    defs.push({
      name: `${name}_vec_h`, pattern: `0 q:1 ${u} 01110 ${a} 10 rm:5 00 ${opcode} 1 rn:5 rd:5`,
      disasm: (f) => `${m}\t${vh(f.rd!, f.q!)}, ${vh(f.rn!, f.q!)}, ${vh(f.rm!, f.q!)}`, feature: 'asimdhp',
    });
  }
  if (scalar) {
    defs.push({
      name: `${name}_scalar_simd_h`, pattern: `01 ${u} 11110 ${a} 10 rm:5 00 ${opcode} 1 rn:5 rd:5`,
      disasm: (f) => `${m}\t${h(f.rd!)}, ${h(f.rn!)}, ${h(f.rm!)}`, feature: 'asimdhp',
    });
  }
  return defs;
}

/** Two-register miscellaneous FP16: `0 Q U 01110 a 1111 00 opcode 10 Rn Rd`, and `01 U 11110 ...`. */
function misc2(name: string, u: number, a: number, opcode: string, m: string, vector: boolean, scalar: boolean, zero = false): InsnDef[] {
  const tail = zero ? ', #0.0' : '';
  const defs: InsnDef[] = [];
  if (vector) {
    defs.push({
      name: `${name}_vec_h`, pattern: `0 q:1 ${u} 01110 ${a} 1111 00 ${opcode} 10 rn:5 rd:5`,
      disasm: (f) => `${m}\t${vh(f.rd!, f.q!)}, ${vh(f.rn!, f.q!)}${tail}`, feature: 'asimdhp',
    });
  }
  if (scalar) {
    defs.push({
      name: `${name}_scalar_simd_h`, pattern: `01 ${u} 11110 ${a} 1111 00 ${opcode} 10 rn:5 rd:5`,
      disasm: (f) => `${m}\t${h(f.rd!)}, ${h(f.rn!)}${tail}`, feature: 'asimdhp',
    });
  }
  return defs;
}

/** By element, size 00: index H:L:M, Rm<3:0> (V0-V15). */
const elem = (f: Fields): string => `v${f.rm}.h[${(f.h! << 2) | (f.l! << 1) | f.m!}]`;

function byElem(name: string, u: number, opcode: string, m: string): InsnDef[] {
  return [{
    name: `${name}_elem_h`, pattern: `0 q:1 ${u} 01111 00 l:1 m:1 rm:4 ${opcode} h:1 0 rn:5 rd:5`,
    disasm: (f) => `${m}\t${vh(f.rd!, f.q!)}, ${vh(f.rn!, f.q!)}, ${elem(f)}`, feature: 'asimdhp',
  }, {
    name: `${name}_elem_scalar_h`, pattern: `01 ${u} 11111 00 l:1 m:1 rm:4 ${opcode} h:1 0 rn:5 rd:5`,
    disasm: (f) => `${m}\t${h(f.rd!)}, ${h(f.rn!)}, ${elem(f)}`, feature: 'asimdhp',
  }];
}

/** The fraction bits of a half fixed-point conversion: immh = 001x (x in field ih), fbits = 32 - immh:immb. */
export const halfFracBits = (f: Fields): number => 32 - (((2 | f.ih!) << 3) | f.immb!);

/** Fixed-point conversions by immediate with immh = 001x (half lanes). */
function fixedVec(name: string, u: number, opcode: string, m: string): InsnDef[] {
  const fbits = halfFracBits;
  return [{
    name: `${name}_vec_fix_h`, pattern: `0 q:1 ${u} 011110 001 ih:1 immb:3 ${opcode} 1 rn:5 rd:5`,
    disasm: (f) => `${m}\t${vh(f.rd!, f.q!)}, ${vh(f.rn!, f.q!)}, #${fbits(f)}`, feature: 'asimdhp',
  }, {
    name: `${name}_scalar_fix_h`, pattern: `01 ${u} 111110 001 ih:1 immb:3 ${opcode} 1 rn:5 rd:5`,
    disasm: (f) => `${m}\t${h(f.rd!)}, ${h(f.rn!)}, #${fbits(f)}`, feature: 'asimdhp',
  }];
}

const VECTOR: InsnDef[] = [
  ...same3('FMAXNM', 0, 0, '000', 'fmaxnm', false),
  ...same3('FMLA', 0, 0, '001', 'fmla', false),
  ...same3('FADD', 0, 0, '010', 'fadd', false),
  ...same3('FMULX', 0, 0, '011', 'fmulx', true),
  ...same3('FCMEQ', 0, 0, '100', 'fcmeq', true),
  ...same3('FMAX', 0, 0, '110', 'fmax', false),
  ...same3('FRECPS', 0, 0, '111', 'frecps', true),
  ...same3('FMINNM', 0, 1, '000', 'fminnm', false),
  ...same3('FMLS', 0, 1, '001', 'fmls', false),
  ...same3('FSUB', 0, 1, '010', 'fsub', false),
  ...same3('FMIN', 0, 1, '110', 'fmin', false),
  ...same3('FRSQRTS', 0, 1, '111', 'frsqrts', true),
  ...same3('FMAXNMP', 1, 0, '000', 'fmaxnmp', false),
  ...same3('FADDP', 1, 0, '010', 'faddp', false),
  ...same3('FMUL', 1, 0, '011', 'fmul', false),
  ...same3('FCMGE', 1, 0, '100', 'fcmge', true),
  ...same3('FACGE', 1, 0, '101', 'facge', true),
  ...same3('FMAXP', 1, 0, '110', 'fmaxp', false),
  ...same3('FDIV', 1, 0, '111', 'fdiv', false),
  ...same3('FMINNMP', 1, 1, '000', 'fminnmp', false),
  ...same3('FABD', 1, 1, '010', 'fabd', true),
  ...same3('FCMGT', 1, 1, '100', 'fcmgt', true),
  ...same3('FACGT', 1, 1, '101', 'facgt', true),
  ...same3('FMINP', 1, 1, '110', 'fminp', false),

  ...misc2('FRINTN', 0, 0, '11000', 'frintn', true, false),
  ...misc2('FRINTM', 0, 0, '11001', 'frintm', true, false),
  ...misc2('FCVTNS', 0, 0, '11010', 'fcvtns', true, true),
  ...misc2('FCVTMS', 0, 0, '11011', 'fcvtms', true, true),
  ...misc2('FCVTAS', 0, 0, '11100', 'fcvtas', true, true),
  ...misc2('SCVTF', 0, 0, '11101', 'scvtf', true, true),
  ...misc2('FCMGT_zero', 0, 1, '01100', 'fcmgt', true, true, true),
  ...misc2('FCMEQ_zero', 0, 1, '01101', 'fcmeq', true, true, true),
  ...misc2('FCMLT_zero', 0, 1, '01110', 'fcmlt', true, true, true),
  ...misc2('FABS', 0, 1, '01111', 'fabs', true, false),
  ...misc2('FRINTP', 0, 1, '11000', 'frintp', true, false),
  ...misc2('FRINTZ', 0, 1, '11001', 'frintz', true, false),
  ...misc2('FCVTPS', 0, 1, '11010', 'fcvtps', true, true),
  ...misc2('FCVTZS', 0, 1, '11011', 'fcvtzs', true, true),
  ...misc2('FRECPE', 0, 1, '11101', 'frecpe', true, true),
  ...misc2('FRECPX', 0, 1, '11111', 'frecpx', false, true),
  ...misc2('FRINTA', 1, 0, '11000', 'frinta', true, false),
  ...misc2('FRINTX', 1, 0, '11001', 'frintx', true, false),
  ...misc2('FCVTNU', 1, 0, '11010', 'fcvtnu', true, true),
  ...misc2('FCVTMU', 1, 0, '11011', 'fcvtmu', true, true),
  ...misc2('FCVTAU', 1, 0, '11100', 'fcvtau', true, true),
  ...misc2('UCVTF', 1, 0, '11101', 'ucvtf', true, true),
  ...misc2('FCMGE_zero', 1, 1, '01100', 'fcmge', true, true, true),
  ...misc2('FCMLE_zero', 1, 1, '01101', 'fcmle', true, true, true),
  ...misc2('FNEG', 1, 1, '01111', 'fneg', true, false),
  ...misc2('FRINTI', 1, 1, '11001', 'frinti', true, false),
  ...misc2('FCVTPU', 1, 1, '11010', 'fcvtpu', true, true),
  ...misc2('FCVTZU', 1, 1, '11011', 'fcvtzu', true, true),
  ...misc2('FRSQRTE', 1, 1, '11101', 'frsqrte', true, true),
  ...misc2('FSQRT', 1, 1, '11111', 'fsqrt', true, false),

  // Across lanes (4H/8H) and scalar pairwise (2H).
  ...([['FMAXNMV', 0, '01100'], ['FMAXV', 0, '01111'], ['FMINNMV', 1, '01100'], ['FMINV', 1, '01111']] as const).map(([name, o1, opcode]): InsnDef => ({
    name: `${name}_h`, pattern: `0 q:1 0 01110 ${o1} 0 11000 ${opcode} 10 rn:5 rd:5`,
    disasm: (f) => `${name.toLowerCase()}\t${h(f.rd!)}, ${vh(f.rn!, f.q!)}`, feature: 'asimdhp',
  })),
  ...([['FMAXNMP', 0, '01100'], ['FADDP', 0, '01101'], ['FMAXP', 0, '01111'], ['FMINNMP', 1, '01100'], ['FMINP', 1, '01111']] as const).map(([name, o1, opcode]): InsnDef => ({
    name: `${name}_pair_h`, pattern: `01 0 11110 ${o1} 0 11000 ${opcode} 10 rn:5 rd:5`,
    disasm: (f) => `${name.toLowerCase()}\t${h(f.rd!)}, v${f.rn}.2h`, feature: 'asimdhp',
  })),

  ...byElem('FMLA', 0, '0001', 'fmla'),
  ...byElem('FMLS', 0, '0101', 'fmls'),
  ...byElem('FMUL', 0, '1001', 'fmul'),
  ...byElem('FMULX', 1, '1001', 'fmulx'),

  ...fixedVec('SCVTF', 0, '11100', 'scvtf'),
  ...fixedVec('UCVTF', 1, '11100', 'ucvtf'),
  ...fixedVec('FCVTZS', 0, '11111', 'fcvtzs'),
  ...fixedVec('FCVTZU', 1, '11111', 'fcvtzu'),

  {
    name: 'FMOV_vimm_h', pattern: '0 q:1 0 0111100000 abc:3 1111 1 1 defgh:5 rd:5',
    disasm: (f) => `fmov\t${vh(f.rd!, f.q!)}, ${fpImmText(vfpImm((f.abc! << 5) | f.defgh!))}`, feature: 'asimdhp',
  },

  // FEAT_FCMA on half lanes.
  {
    name: 'FCMLA_vec_h', pattern: '0 q:1 1 01110 01 0 rm:5 110 rot:2 1 rn:5 rd:5',
    disasm: (f) => `fcmla\t${vh(f.rd!, f.q!)}, ${vh(f.rn!, f.q!)}, ${vh(f.rm!, f.q!)}, #${90 * f.rot!}`, feature: 'asimdhp',
  },
  {
    name: 'FCADD_vec_h', pattern: '0 q:1 1 01110 01 0 rm:5 111 rot:1 01 rn:5 rd:5',
    disasm: (f) => `fcadd\t${vh(f.rd!, f.q!)}, ${vh(f.rn!, f.q!)}, ${vh(f.rm!, f.q!)}, #${f.rot ? 270 : 90}`, feature: 'asimdhp',
  },
  {
    // Index H:L (a pair of halves), Rm is M:Rm<3:0>; with Q = 0 only pairs 0 and 1 exist.
    name: 'FCMLA_elem_h', pattern: '0 q:1 1 01111 01 l:1 m:1 rm:4 0 rot:2 1 h:1 0 rn:5 rd:5',
    guard: (f) => f.q === 1 || f.h === 0,
    disasm: (f) => `fcmla\t${vh(f.rd!, f.q!)}, ${vh(f.rn!, f.q!)}, v${(f.m! << 4) | f.rm!}.h[${(f.h! << 1) | f.l!}], #${90 * f.rot!}`,
    feature: 'asimdhp',
  },
];

export const fp16Defs: InsnDef[] = [...SCALAR, ...VECTOR];
