/**
 * A64 table: scalar floating point (ARM ARM C4.1.96: FP data-processing 1/2/3
 * source, compare, conditional compare, conditional select, immediate, and
 * conversions between FP and integer / fixed point). Precision comes from
 * the `ftype` field: 00 single, 01 double, 11 half. Half precision is
 * decoded only for FCVT and FMOV (general); half arithmetic (FEAT_FP16) is
 * not in the table.
 */
import type { InsnDef } from '../insn.js';
import type { Fields } from '../pattern.js';
import { fpImmText, vfpImm } from './simd.js';
import { COND_NAMES as COND, gpr } from './syntax.js';

const FREG = ['s', 'd', '?', 'h'];

const fr = (t: number, n: number): string => `${FREG[t]}${n}`;
const gr = gpr;
const sd = (f: Fields): boolean => f.ftype! < 2;

function unary(name: string, opcode: string, m: string): InsnDef {
  return {
    name, pattern: `000 11110 ftype:2 1 ${opcode} 10000 rn:5 rd:5`, guard: sd,
    disasm: (f) => `${m}\t${fr(f.ftype!, f.rd!)}, ${fr(f.ftype!, f.rn!)}`, feature: 'fp',
  };
}

function binary(name: string, opcode: string, m: string): InsnDef {
  return {
    name, pattern: `000 11110 ftype:2 1 rm:5 ${opcode} 10 rn:5 rd:5`, guard: sd,
    disasm: (f) => `${m}\t${fr(f.ftype!, f.rd!)}, ${fr(f.ftype!, f.rn!)}, ${fr(f.ftype!, f.rm!)}`, feature: 'fp',
  };
}

function ternary(name: string, o1: number, o0: number, m: string): InsnDef {
  return {
    name, pattern: `000 11111 ftype:2 ${o1} rm:5 ${o0} ra:5 rn:5 rd:5`, guard: sd,
    disasm: (f) => `${m}\t${fr(f.ftype!, f.rd!)}, ${fr(f.ftype!, f.rn!)}, ${fr(f.ftype!, f.rm!)}, ${fr(f.ftype!, f.ra!)}`,
    feature: 'fp',
  };
}

/** FP <-> integer conversion (rmode, opcode fixed); `toFp` prints the FP register first. */
function toGen(name: string, rmode: string, opcode: string, m: string, toFp: boolean): InsnDef {
  return {
    name, pattern: `sf:1 00 11110 ftype:2 1 ${rmode} ${opcode} 000000 rn:5 rd:5`, guard: sd,
    disasm: (f) => (toFp
      ? `${m}\t${fr(f.ftype!, f.rd!)}, ${gr(f.sf!, f.rn!)}`
      : `${m}\t${gr(f.sf!, f.rd!)}, ${fr(f.ftype!, f.rn!)}`),
    feature: 'fp',
  };
}

function fixed(name: string, rmode: string, opcode: string, m: string, toFp: boolean): InsnDef {
  return {
    name, pattern: `sf:1 00 11110 ftype:2 0 ${rmode} ${opcode} scale:6 rn:5 rd:5`,
    guard: (f) => sd(f) && (f.sf === 1 || f.scale! >= 32),
    disasm: (f) => (toFp
      ? `${m}\t${fr(f.ftype!, f.rd!)}, ${gr(f.sf!, f.rn!)}, #${64 - f.scale!}`
      : `${m}\t${gr(f.sf!, f.rd!)}, ${fr(f.ftype!, f.rn!)}, #${64 - f.scale!}`),
    feature: 'fp',
  };
}

/** FMOV (general): sf/ftype pairs W<->S, X<->D, W/X<->H, X<->V.D[1] (rmode 01). */
const fmovGenOk = (f: Fields): boolean =>
  (f.rmode === 0 && ((f.sf === 0 && f.ftype === 0) || (f.sf === 1 && f.ftype === 1) || f.ftype === 3)) ||
  (f.rmode === 1 && f.sf === 1 && f.ftype === 2);

function fmovOperand(f: Fields, n: number): string {
  return f.rmode === 1 ? `v${n}.d[1]` : fr(f.ftype!, n);
}

export const fpDefs: InsnDef[] = [
  {
    name: 'FMOV_to_gen', pattern: 'sf:1 00 11110 ftype:2 1 rmode:2 110 000000 rn:5 rd:5', guard: fmovGenOk,
    disasm: (f) => `fmov\t${gr(f.sf!, f.rd!)}, ${fmovOperand(f, f.rn!)}`, feature: 'fp',
  },
  {
    name: 'FMOV_from_gen', pattern: 'sf:1 00 11110 ftype:2 1 rmode:2 111 000000 rn:5 rd:5', guard: fmovGenOk,
    disasm: (f) => `fmov\t${fmovOperand(f, f.rd!)}, ${gr(f.sf!, f.rn!)}`, feature: 'fp',
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

  unary('FMOV_reg', '000000', 'fmov'),
  unary('FABS_scalar', '000001', 'fabs'),
  unary('FNEG_scalar', '000010', 'fneg'),
  unary('FSQRT_scalar', '000011', 'fsqrt'),
  {
    name: 'FCVT_scalar', pattern: '000 11110 ftype:2 1 0001 opc:2 10000 rn:5 rd:5',
    guard: (f) => f.ftype !== 2 && f.opc !== 2 && f.opc !== f.ftype,
    disasm: (f) => `fcvt\t${fr(f.opc!, f.rd!)}, ${fr(f.ftype!, f.rn!)}`, feature: 'fp',
  },
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
    name: 'FCMP', pattern: '000 11110 ftype:2 1 rm:5 001000 rn:5 e:1 z:1 000', guard: (f) => sd(f) && (f.z === 0 || f.rm === 0),
    disasm: (f) => `${f.e ? 'fcmpe' : 'fcmp'}\t${fr(f.ftype!, f.rn!)}, ${f.z ? '#0.0' : fr(f.ftype!, f.rm!)}`, feature: 'fp',
  },
  {
    name: 'FCCMP', pattern: '000 11110 ftype:2 1 rm:5 cond:4 01 rn:5 e:1 nzcv:4', guard: sd,
    disasm: (f) => `${f.e ? 'fccmpe' : 'fccmp'}\t${fr(f.ftype!, f.rn!)}, ${fr(f.ftype!, f.rm!)}, #0x${f.nzcv!.toString(16)}, ${COND[f.cond!]}`,
    feature: 'fp',
  },
  {
    name: 'FCSEL', pattern: '000 11110 ftype:2 1 rm:5 cond:4 11 rn:5 rd:5', guard: sd,
    disasm: (f) => `fcsel\t${fr(f.ftype!, f.rd!)}, ${fr(f.ftype!, f.rn!)}, ${fr(f.ftype!, f.rm!)}, ${COND[f.cond!]}`, feature: 'fp',
  },
  {
    name: 'FMOV_imm', pattern: '000 11110 ftype:2 1 imm8:8 100 00000 rd:5', guard: sd,
    disasm: (f) => `fmov\t${fr(f.ftype!, f.rd!)}, ${fpImmText(vfpImm(f.imm8!))}`, feature: 'fp',
  },
];
