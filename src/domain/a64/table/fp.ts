/**
 * A64 table: scalar floating point (ARM ARM C4.1.96: FP data-processing 1/2/3
 * source, compare, conditional compare, conditional select, immediate, and
 * conversions between FP and integer / fixed point). Precision comes from
 * the `ftype` field: 00 single, 01 double, 11 half. Half precision is
 * decoded here only for FCVT and FMOV (general); half arithmetic (FEAT_FP16)
 * is in fp16.ts. Also here: FMULX/FRECPS/FRSQRTS and the Advanced SIMD
 * FP conversions and roundings (FCVT*, FRINT*, FCVTL/N/XN, fixed-point SCVTF/UCVTF/FCVTZS/FCVTZU
 * by immediate), vector and scalar, which decode ahead of simd.ts.
 */
import type { InsnDef } from '../insn.js';
import type { Fields } from '../pattern.js';
import { arrangement, fpElemIndex, fpImmText, vfpImm } from './simd.js';
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
    // Rm of the #0.0 form should be zero; like qemu, another value is ignored (CONSTRAINED UNPREDICTABLE).
    name: 'FCMP', pattern: '000 11110 ftype:2 1 rm:5 001000 rn:5 e:1 z:1 000', guard: sd,
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
  unary('FRINT32Z_scalar', '010000', 'frint32z'),
  unary('FRINT32X_scalar', '010001', 'frint32x'),
  unary('FRINT64Z_scalar', '010010', 'frint64z'),
  unary('FRINT64X_scalar', '010011', 'frint64x'),
  {
    name: 'FJCVTZS', pattern: '0 00 11110 01 1 11 110 000000 rn:5 rd:5',
    disasm: (f) => `fjcvtzs\t${gr(0, f.rd!)}, d${f.rn}`, feature: 'fp',
  },
  ...simdFpConvDefs(),
];

// ---- Advanced SIMD FP conversions and roundings ----------------------------------------------

function vr(n: number, size: number, q: number): string {
  return `v${n}.${arrangement(size, q)}`;
}
function fv(n: number, f: Fields): string {
  return vr(n, 2 + f.sz!, f.q!);
}
function fpArr(f: Fields): boolean {
  return f.sz === 0 || f.q === 1;
}
function two(m: string, q: number): string {
  return q ? `${m}2` : m;
}

/** FP two-register miscellaneous (`0 Q U 01110 a sz 10000 opcode 10 Rn Rd`) and its scalar form (`01 U 11110 ...`). */
function fmisc(name: string, u: number, a: number, opcode: string, m: string, scalar: boolean, feature = 'asimd'): InsnDef[] {
  const defs: InsnDef[] = [{
    name: `${name}_vec`, pattern: `0 q:1 ${u} 01110 ${a} sz:1 10000 ${opcode} 10 rn:5 rd:5`, guard: fpArr,
    disasm: (f) => `${m}\t${fv(f.rd!, f)}, ${fv(f.rn!, f)}`, feature,
  }];
  if (scalar) {
    defs.push({
      name: `${name}_scalar_simd`, pattern: `01 ${u} 11110 ${a} sz:1 10000 ${opcode} 10 rn:5 rd:5`,
      disasm: (f) => `${m}\t${f.sz ? 'd' : 's'}${f.rd}, ${f.sz ? 'd' : 's'}${f.rn}`, feature,
    });
  }
  return defs;
}

/** Fixed point by immediate (`0 Q U 011110 immh immb opcode 1 Rn Rd`, immh = 01xx single, 1xxx double) and scalar. */
function fixedVec(name: string, u: number, opcode: string, m: string): InsnDef[] {
  const sz = (f: Fields): number => (f.immh! >= 8 ? 1 : 0);
  const fbits = (f: Fields): number => (sz(f) ? 128 : 64) - ((f.immh! << 3) | f.immb!);
  return [{
    name: `${name}_vec_fix`, pattern: `0 q:1 ${u} 011110 immh:4 immb:3 ${opcode} 1 rn:5 rd:5`,
    guard: (f) => f.immh! >= 4 && (f.immh! < 8 || f.q === 1),
    disasm: (f) => `${m}\t${vr(f.rd!, 2 + sz(f), f.q!)}, ${vr(f.rn!, 2 + sz(f), f.q!)}, #${fbits(f)}`, feature: 'asimd',
  }, {
    name: `${name}_scalar_fix`, pattern: `01 ${u} 111110 immh:4 immb:3 ${opcode} 1 rn:5 rd:5`,
    guard: (f) => f.immh! >= 4,
    disasm: (f) => `${m}\t${sz(f) ? 'd' : 's'}${f.rd}, ${sz(f) ? 'd' : 's'}${f.rn}, #${fbits(f)}`, feature: 'asimd',
  }];
}

/** FP three-same (`0 Q U 01110 a sz 1 Rm opcode 1 Rn Rd`) and its scalar form (`01 U 11110 ...`). */
function fsame(name: string, u: number, a: number, opcode: string, m: string): InsnDef[] {
  return [{
    name: `${name}_vec`, pattern: `0 q:1 ${u} 01110 ${a} sz:1 1 rm:5 ${opcode} 1 rn:5 rd:5`, guard: fpArr,
    disasm: (f) => `${m}\t${fv(f.rd!, f)}, ${fv(f.rn!, f)}, ${fv(f.rm!, f)}`, feature: 'asimd',
  }, {
    name: `${name}_scalar_simd`, pattern: `01 ${u} 11110 ${a} sz:1 1 rm:5 ${opcode} 1 rn:5 rd:5`,
    disasm: (f) => {
      const r = f.sz ? 'd' : 's';
      return `${m}\t${r}${f.rd}, ${r}${f.rn}, ${r}${f.rm}`;
    },
    feature: 'asimd',
  }];
}

/** FEAT_FCMA on single/double lanes (the half forms are in fp16.ts). */
function fcmaSize(f: Fields): boolean {
  return f.size === 2 || (f.size === 3 && f.q === 1);
}
function fcmaDefs(): InsnDef[] {
  return [
    {
      name: 'FCMLA_vec', pattern: '0 q:1 1 01110 size:2 0 rm:5 110 rot:2 1 rn:5 rd:5', guard: fcmaSize,
      disasm: (f) => `fcmla\t${vr(f.rd!, f.size!, f.q!)}, ${vr(f.rn!, f.size!, f.q!)}, ${vr(f.rm!, f.size!, f.q!)}, #${90 * f.rot!}`,
      feature: 'asimd',
    },
    {
      name: 'FCADD_vec', pattern: '0 q:1 1 01110 size:2 0 rm:5 111 rot:1 01 rn:5 rd:5', guard: fcmaSize,
      disasm: (f) => `fcadd\t${vr(f.rd!, f.size!, f.q!)}, ${vr(f.rn!, f.size!, f.q!)}, ${vr(f.rm!, f.size!, f.q!)}, #${f.rot ? 270 : 90}`,
      feature: 'asimd',
    },
    {
      // Single lanes only (size 10): the index is H, and L must be 0.
      name: 'FCMLA_elem', pattern: '0 1 1 01111 10 0 m:1 rm:4 0 rot:2 1 h:1 0 rn:5 rd:5',
      disasm: (f) => `fcmla\tv${f.rd}.4s, v${f.rn}.4s, v${(f.m! << 4) | f.rm!}.s[${f.h}], #${90 * f.rot!}`, feature: 'asimd',
    },
  ];
}

/** FEAT_FHM: FMLAL/FMLSL(2), half products accumulated into single lanes (vector and by element). */
function fhmDefs(): InsnDef[] {
  const defs: InsnDef[] = [];
  for (const [name, sub, two2] of [['FMLAL', 0, 0], ['FMLSL', 1, 0], ['FMLAL2', 0, 1], ['FMLSL2', 1, 1]] as const) {
    const m = name.toLowerCase();
    const h = (q: number): string => (q ? '4h' : '2h');
    defs.push({
      name: `${name}_vec`, pattern: `0 q:1 ${two2} 01110 ${sub} 0 1 rm:5 1 1 ${two2 ? '0 0 1' : '1 0 1'} 1 rn:5 rd:5`,
      disasm: (f) => `${m}\tv${f.rd}.${f.q ? '4s' : '2s'}, v${f.rn}.${h(f.q!)}, v${f.rm}.${h(f.q!)}`, feature: 'asimd',
    }, {
      name: `${name}_elem`, pattern: `0 q:1 ${two2} 01111 1 0 l:1 m:1 rm:4 ${two2} ${sub} 0 0 h:1 0 rn:5 rd:5`,
      disasm: (f) => `${m}\tv${f.rd}.${f.q ? '4s' : '2s'}, v${f.rn}.${h(f.q!)}, v${f.rm}.h[${(f.h! << 2) | (f.l! << 1) | f.m!}]`,
      feature: 'asimd',
    });
  }
  return defs;
}

/** FMULX by element (vector) and the scalar by-element forms of FMUL/FMLA/FMLS/FMULX. */
function byElemDefs(): InsnDef[] {
  const elemOk = (f: Fields): boolean => !(f.sz === 1 && f.l === 1);
  const elem = (f: Fields): string => `v${(f.m! << 4) | f.rm!}.${f.sz ? 'd' : 's'}[${fpElemIndex(f)}]`;
  const defs: InsnDef[] = [{
    name: 'FMULX_elem', pattern: '0 q:1 1 01111 1 sz:1 l:1 m:1 rm:4 1001 h:1 0 rn:5 rd:5',
    guard: (f) => fpArr(f) && elemOk(f),
    disasm: (f) => `fmulx\t${fv(f.rd!, f)}, ${fv(f.rn!, f)}, ${elem(f)}`, feature: 'asimd',
  }];
  for (const [name, u, opcode] of [['FMUL', 0, '1001'], ['FMLA', 0, '0001'], ['FMLS', 0, '0101'], ['FMULX', 1, '1001']] as const) {
    defs.push({
      name: `${name}_elem_scalar`, pattern: `01 ${u} 11111 1 sz:1 l:1 m:1 rm:4 ${opcode} h:1 0 rn:5 rd:5`, guard: elemOk,
      disasm: (f) => {
        const r = f.sz ? 'd' : 's';
        return `${name.toLowerCase()}\t${r}${f.rd}, ${r}${f.rn}, ${elem(f)}`;
      },
      feature: 'asimd',
    });
  }
  return defs;
}

function simdFpConvDefs(): InsnDef[] {
  return [
    ...byElemDefs(),
    ...fcmaDefs(),
    ...fhmDefs(),
    ...fsame('FMULX', 0, 0, '11011', 'fmulx'),
    ...fsame('FRECPS', 0, 0, '11111', 'frecps'),
    ...fsame('FRSQRTS', 0, 1, '11111', 'frsqrts'),
    ...fmisc('FRINTN', 0, 0, '11000', 'frintn', false),
    ...fmisc('FRINTM', 0, 0, '11001', 'frintm', false),
    ...fmisc('FRINTP', 0, 1, '11000', 'frintp', false),
    ...fmisc('FRINTZ', 0, 1, '11001', 'frintz', false),
    ...fmisc('FRINTA', 1, 0, '11000', 'frinta', false),
    ...fmisc('FRINTX', 1, 0, '11001', 'frintx', false),
    ...fmisc('FRINTI', 1, 1, '11001', 'frinti', false),
    ...fmisc('FRINT32Z', 0, 0, '11110', 'frint32z', false),
    ...fmisc('FRINT32X', 1, 0, '11110', 'frint32x', false),
    ...fmisc('FRINT64Z', 0, 0, '11111', 'frint64z', false),
    ...fmisc('FRINT64X', 1, 0, '11111', 'frint64x', false),
    ...fmisc('FCVTNS', 0, 0, '11010', 'fcvtns', true),
    ...fmisc('FCVTMS', 0, 0, '11011', 'fcvtms', true),
    ...fmisc('FCVTAS', 0, 0, '11100', 'fcvtas', true),
    ...fmisc('FCVTNU', 1, 0, '11010', 'fcvtnu', true),
    ...fmisc('FCVTMU', 1, 0, '11011', 'fcvtmu', true),
    ...fmisc('FCVTAU', 1, 0, '11100', 'fcvtau', true),
    ...fmisc('FCVTPS', 0, 1, '11010', 'fcvtps', true),
    ...fmisc('FCVTPU', 1, 1, '11010', 'fcvtpu', true),
    {
      // FCVTN/FCVTN2: sz 0 single -> half, 1 double -> single.
      name: 'FCVTN_vec', pattern: '0 q:1 0 01110 0 sz:1 10000 10110 10 rn:5 rd:5',
      disasm: (f) => `${two('fcvtn', f.q!)}\t${vr(f.rd!, 1 + f.sz!, f.q!)}, ${vr(f.rn!, 2 + f.sz!, 1)}`, feature: 'asimd',
    },
    {
      name: 'FCVTL_vec', pattern: '0 q:1 0 01110 0 sz:1 10000 10111 10 rn:5 rd:5',
      disasm: (f) => `${two('fcvtl', f.q!)}\t${vr(f.rd!, 2 + f.sz!, 1)}, ${vr(f.rn!, 1 + f.sz!, f.q!)}`, feature: 'asimd',
    },
    {
      name: 'FCVTXN_vec', pattern: '0 q:1 1 01110 0 1 10000 10110 10 rn:5 rd:5',
      disasm: (f) => `${two('fcvtxn', f.q!)}\t${vr(f.rd!, 2, f.q!)}, ${vr(f.rn!, 3, 1)}`, feature: 'asimd',
    },
    {
      name: 'FCVTXN_scalar', pattern: '01 1 11110 0 1 10000 10110 10 rn:5 rd:5',
      disasm: (f) => `fcvtxn\ts${f.rd}, d${f.rn}`, feature: 'asimd',
    },
    ...fixedVec('SCVTF', 0, '11100', 'scvtf'),
    ...fixedVec('UCVTF', 1, '11100', 'ucvtf'),
    ...fixedVec('FCVTZS', 0, '11111', 'fcvtzs'),
    ...fixedVec('FCVTZU', 1, '11111', 'fcvtzu'),
  ];
}

