/**
 * A64 table: Advanced SIMD integer instructions beyond the base set in
 * simd.ts: the dot product (FEAT_DotProd: SDOT/UDOT), the rounding doubling
 * multiply-accumulate (FEAT_RDM: SQRDMLAH/SQRDMLSH) with the base
 * SQDMULH/SQRDMULH they extend, and the rest of the integer set: halving
 * and rounding adds, saturating and rounding shifts (by register and by
 * immediate, narrowing ones included), saturating abs/neg/accumulate, the
 * scalar forms of all of these, the saturating doubling long multiplies,
 * the integer by-element multiplies, and URECPE/URSQRTE.
 *
 * Fields keep the architectural names; by-element forms use H:L:M / M:Rm
 * as simd.ts's intElemRegIndex decodes them.
 */
import type { InsnDef } from '../insn.js';
import type { Fields } from '../pattern.js';
import { arrangement, intElemRegIndex } from './simd.js';

const ELEM = ['b', 'h', 's', 'd'];
const vreg = (n: number, size: number, q: number): string => `v${n}.${arrangement(size, q)}`;
const sreg = (n: number, size: number): string => `${ELEM[size]}${n}`;
const hOrS = (f: Fields): boolean => f.size === 1 || f.size === 2;

function intElem(f: Fields): string {
  const [r, i] = intElemRegIndex(f);
  return `v${r}.${ELEM[f.size!]}[${i}]`;
}

/** DOT vector: `0 Q U 01110 10 0 Rm 1 0010 1 Rn Rd`. */
function dot(name: string, u: number): InsnDef {
  const m = name.slice(0, 4).toLowerCase();
  return {
    name,
    pattern: `0 q:1 ${u} 01110 10 0 rm:5 1 0010 1 rn:5 rd:5`,
    disasm: (f) => `${m}\t${vreg(f.rd!, 2, f.q!)}, ${vreg(f.rn!, 0, f.q!)}, ${vreg(f.rm!, 0, f.q!)}`,
    feature: 'asimddp',
  };
}

/** DOT by element: `0 Q U 01111 10 L M Rm 1110 H 0 Rn Rd`; the element is a group of four bytes. */
function dotElem(name: string, u: number): InsnDef {
  const m = name.slice(0, 4).toLowerCase();
  return {
    name,
    pattern: `0 q:1 ${u} 01111 10 l:1 m:1 rm:4 1110 h:1 0 rn:5 rd:5`,
    disasm: (f) => `${m}\t${vreg(f.rd!, 2, f.q!)}, ${vreg(f.rn!, 0, f.q!)}, v${(f.m! << 4) | f.rm!}.4b[${(f.h! << 1) | f.l!}]`,
    feature: 'asimddp',
  };
}

/** Vector, H/S lanes: three-same (`1 opcode 1`) or three-same-extra (`0 Rm 1 opcode 1`) layouts. */
function vecHS(name: string, fixed: string, feature: string): InsnDef {
  const m = name.split('_')[0]!.toLowerCase();
  return {
    name,
    pattern: fixed,
    guard: hOrS,
    disasm: (f) => `${m}\t${vreg(f.rd!, f.size!, f.q!)}, ${vreg(f.rn!, f.size!, f.q!)}, ${vreg(f.rm!, f.size!, f.q!)}`,
    feature,
  };
}

function scalarHS(name: string, fixed: string, feature: string): InsnDef {
  const m = name.split('_')[0]!.toLowerCase();
  return {
    name,
    pattern: fixed,
    guard: hOrS,
    disasm: (f) => `${m}\t${sreg(f.rd!, f.size!)}, ${sreg(f.rn!, f.size!)}, ${sreg(f.rm!, f.size!)}`,
    feature,
  };
}

function elemHS(name: string, u: number, opcode: string, scalar: boolean, feature: string): InsnDef {
  const m = name.split('_')[0]!.toLowerCase();
  return {
    name,
    pattern: scalar
      ? `01 ${u} 11111 size:2 l:1 m:1 rm:4 ${opcode} h:1 0 rn:5 rd:5`
      : `0 q:1 ${u} 01111 size:2 l:1 m:1 rm:4 ${opcode} h:1 0 rn:5 rd:5`,
    guard: hOrS,
    disasm: scalar
      ? (f) => `${m}\t${sreg(f.rd!, f.size!)}, ${sreg(f.rn!, f.size!)}, ${intElem(f)}`
      : (f) => `${m}\t${vreg(f.rd!, f.size!, f.q!)}, ${vreg(f.rn!, f.size!, f.q!)}, ${intElem(f)}`,
    feature,
  };
}

const dotRdmDefs: InsnDef[] = [
  dot('SDOT_vec', 0),
  dot('UDOT_vec', 1),
  dotElem('SDOT_elem', 0),
  dotElem('UDOT_elem', 1),

  vecHS('SQDMULH_vec', '0 q:1 0 01110 size:2 1 rm:5 10110 1 rn:5 rd:5', 'asimd'),
  vecHS('SQRDMULH_vec', '0 q:1 1 01110 size:2 1 rm:5 10110 1 rn:5 rd:5', 'asimd'),
  scalarHS('SQDMULH_scalar', '01 0 11110 size:2 1 rm:5 10110 1 rn:5 rd:5', 'asimd'),
  scalarHS('SQRDMULH_scalar', '01 1 11110 size:2 1 rm:5 10110 1 rn:5 rd:5', 'asimd'),
  elemHS('SQDMULH_elem', 0, '1100', false, 'asimd'),
  elemHS('SQRDMULH_elem', 0, '1101', false, 'asimd'),
  elemHS('SQDMULH_elem_scalar', 0, '1100', true, 'asimd'),
  elemHS('SQRDMULH_elem_scalar', 0, '1101', true, 'asimd'),

  vecHS('SQRDMLAH_vec', '0 q:1 1 01110 size:2 0 rm:5 1 0000 1 rn:5 rd:5', 'asimdrdm'),
  vecHS('SQRDMLSH_vec', '0 q:1 1 01110 size:2 0 rm:5 1 0001 1 rn:5 rd:5', 'asimdrdm'),
  scalarHS('SQRDMLAH_scalar', '01 1 11110 size:2 0 rm:5 1 0000 1 rn:5 rd:5', 'asimdrdm'),
  scalarHS('SQRDMLSH_scalar', '01 1 11110 size:2 0 rm:5 1 0001 1 rn:5 rd:5', 'asimdrdm'),
  elemHS('SQRDMLAH_elem', 1, '1101', false, 'asimdrdm'),
  elemHS('SQRDMLSH_elem', 1, '1111', false, 'asimdrdm'),
  elemHS('SQRDMLAH_elem_scalar', 1, '1101', true, 'asimdrdm'),
  elemHS('SQRDMLSH_elem_scalar', 1, '1111', true, 'asimdrdm'),
];

// ---- the rest of the integer Advanced SIMD set ---------------------------------------------

const two = (m: string, q: number): string => (q ? `${m}2` : m);
const no1d = (f: Fields): boolean => f.size !== 3 || f.q === 1;
const noD = (f: Fields): boolean => f.size !== 3;
const onlyD = (f: Fields): boolean => f.size === 3;
const any = (): boolean => true;

/** Element size (log2 bytes) of a shift by immediate, from immh (0 = not a shift). */
export function shiftSize(immh: number): number {
  return 31 - Math.clz32(immh);
}

/** Vector three-same: `0 Q U 01110 size 1 Rm opcode 1 Rn Rd`. */
function same(name: string, u: number, opcode: string, guard: (f: Fields) => boolean): InsnDef {
  const m = name.split('_')[0]!.toLowerCase();
  return {
    name,
    pattern: `0 q:1 ${u} 01110 size:2 1 rm:5 ${opcode} 1 rn:5 rd:5`,
    guard,
    disasm: (f) => `${m}\t${vreg(f.rd!, f.size!, f.q!)}, ${vreg(f.rn!, f.size!, f.q!)}, ${vreg(f.rm!, f.size!, f.q!)}`,
    feature: 'asimd',
  };
}

/** Scalar three-same: `01 U 11110 size 1 Rm opcode 1 Rn Rd`. */
function sameScalar(name: string, u: number, opcode: string, guard: (f: Fields) => boolean): InsnDef {
  const m = name.split('_')[0]!.toLowerCase();
  return {
    name,
    pattern: `01 ${u} 11110 size:2 1 rm:5 ${opcode} 1 rn:5 rd:5`,
    guard,
    disasm: (f) => `${m}\t${sreg(f.rd!, f.size!)}, ${sreg(f.rn!, f.size!)}, ${sreg(f.rm!, f.size!)}`,
    feature: 'asimd',
  };
}

/** Two-register misc, vector (`0 Q U 01110 size 10000 opcode 10`) or scalar (`01 U 11110 ...`). */
function misc(name: string, u: number, opcode: string, scalar: boolean, guard: (f: Fields) => boolean, suffix = ''): InsnDef {
  const m = name.split('_')[0]!.toLowerCase();
  return {
    name,
    pattern: scalar ? `01 ${u} 11110 size:2 10000 ${opcode} 10 rn:5 rd:5` : `0 q:1 ${u} 01110 size:2 10000 ${opcode} 10 rn:5 rd:5`,
    guard,
    disasm: scalar
      ? (f) => `${m}\t${sreg(f.rd!, f.size!)}, ${sreg(f.rn!, f.size!)}${suffix}`
      : (f) => `${m}\t${vreg(f.rd!, f.size!, f.q!)}, ${vreg(f.rn!, f.size!, f.q!)}${suffix}`,
    feature: 'asimd',
  };
}

/** Scalar saturating narrow: `01 U 11110 size 10000 opcode 10`, size = destination. */
function narrowScalar(name: string, u: number, opcode: string): InsnDef {
  const m = name.split('_')[0]!.toLowerCase();
  return {
    name,
    pattern: `01 ${u} 11110 size:2 10000 ${opcode} 10 rn:5 rd:5`,
    guard: noD,
    disasm: (f) => `${m}\t${sreg(f.rd!, f.size!)}, ${sreg(f.rn!, f.size! + 1)}`,
    feature: 'asimd',
  };
}

type ShiftKind = 'right' | 'left' | 'narrow';

/** Shift by immediate, vector (`0 Q U 011110 immh immb opcode 1`) or scalar (`01 U 111110 ...`). */
function shift(name: string, u: number, opcode: string, kind: ShiftKind, scalar: boolean, dOnly = false): InsnDef {
  const m = name.split('_')[0]!.toLowerCase();
  const guard = (f: Fields): boolean => {
    const h = f.immh!;
    if (h === 0) return false;
    if (kind === 'narrow') return h < 8;
    if (scalar) return !dOnly || h >= 8;
    return h < 8 || f.q === 1;
  };
  const disasm = (f: Fields): string => {
    const s = shiftSize(f.immh!);
    const immhb = (f.immh! << 3) | f.immb!;
    const amount = kind === 'left' ? immhb - (8 << s) : (16 << s) - immhb;
    if (scalar) {
      const src = kind === 'narrow' ? s + 1 : s;
      return `${m}\t${sreg(f.rd!, s)}, ${sreg(f.rn!, src)}, #${amount}`;
    }
    if (kind === 'narrow') return `${two(m, f.q!)}\t${vreg(f.rd!, s, f.q!)}, ${vreg(f.rn!, s + 1, 1)}, #${amount}`;
    return `${m}\t${vreg(f.rd!, s, f.q!)}, ${vreg(f.rn!, s, f.q!)}, #${amount}`;
  };
  return {
    name,
    pattern: scalar ? `01 ${u} 111110 immh:4 immb:3 ${opcode} 1 rn:5 rd:5` : `0 q:1 ${u} 011110 immh:4 immb:3 ${opcode} 1 rn:5 rd:5`,
    guard,
    disasm,
    feature: 'asimd',
  };
}

/** Three-different: `0 Q U 01110 size 1 Rm opcode 00 Rn Rd` (vector) or scalar `01 U 11110 ...` (long only). */
function diff(name: string, u: number, opcode: string, kind: 'long' | 'narrow', scalar: boolean): InsnDef {
  const m = name.split('_')[0]!.toLowerCase();
  return {
    name,
    pattern: scalar ? `01 ${u} 11110 size:2 1 rm:5 ${opcode} 00 rn:5 rd:5` : `0 q:1 ${u} 01110 size:2 1 rm:5 ${opcode} 00 rn:5 rd:5`,
    guard: kind === 'long' ? hOrS : noD,
    disasm: (f) => {
      const s = f.size!;
      const q = f.q!;
      if (scalar) return `${m}\t${sreg(f.rd!, s + 1)}, ${sreg(f.rn!, s)}, ${sreg(f.rm!, s)}`;
      if (kind === 'long') return `${two(m, q)}\t${vreg(f.rd!, s + 1, 1)}, ${vreg(f.rn!, s, q)}, ${vreg(f.rm!, s, q)}`;
      return `${two(m, q)}\t${vreg(f.rd!, s, q)}, ${vreg(f.rn!, s + 1, 1)}, ${vreg(f.rm!, s + 1, 1)}`;
    },
    feature: 'asimd',
  };
}

/** By element: `0 Q U 01111 size L M Rm opcode H 0 Rn Rd`; `long` widens, `scalar` is the `01 U 11111` form. */
function byElem(name: string, u: number, opcode: string, long: boolean, scalar: boolean): InsnDef {
  const m = name.split('_')[0]!.toLowerCase();
  return {
    name,
    pattern: scalar
      ? `01 ${u} 11111 size:2 l:1 m:1 rm:4 ${opcode} h:1 0 rn:5 rd:5`
      : `0 q:1 ${u} 01111 size:2 l:1 m:1 rm:4 ${opcode} h:1 0 rn:5 rd:5`,
    guard: hOrS,
    disasm: (f) => {
      const s = f.size!;
      const q = f.q!;
      if (scalar) return `${m}\t${sreg(f.rd!, s + 1)}, ${sreg(f.rn!, s)}, ${intElem(f)}`;
      if (long) return `${two(m, q)}\t${vreg(f.rd!, s + 1, 1)}, ${vreg(f.rn!, s, q)}, ${intElem(f)}`;
      return `${m}\t${vreg(f.rd!, s, q)}, ${vreg(f.rn!, s, q)}, ${intElem(f)}`;
    },
    feature: 'asimd',
  };
}

const integerDefs: InsnDef[] = [
  // Three same, vector.
  same('SHADD_vec', 0, '00000', noD),
  same('UHADD_vec', 1, '00000', noD),
  same('SRHADD_vec', 0, '00010', noD),
  same('URHADD_vec', 1, '00010', noD),
  same('SHSUB_vec', 0, '00100', noD),
  same('UHSUB_vec', 1, '00100', noD),
  same('SQSHL_vec', 0, '01001', no1d),
  same('UQSHL_vec', 1, '01001', no1d),
  same('SRSHL_vec', 0, '01010', no1d),
  same('URSHL_vec', 1, '01010', no1d),
  same('SQRSHL_vec', 0, '01011', no1d),
  same('UQRSHL_vec', 1, '01011', no1d),
  same('SABA_vec', 0, '01111', noD),
  same('UABA_vec', 1, '01111', noD),
  same('PMUL_vec', 1, '10011', (f) => f.size === 0),

  // Three same, scalar.
  sameScalar('SQADD_scalar', 0, '00001', any),
  sameScalar('UQADD_scalar', 1, '00001', any),
  sameScalar('SQSUB_scalar', 0, '00101', any),
  sameScalar('UQSUB_scalar', 1, '00101', any),
  sameScalar('SSHL_scalar', 0, '01000', onlyD),
  sameScalar('USHL_scalar', 1, '01000', onlyD),
  sameScalar('SQSHL_scalar', 0, '01001', any),
  sameScalar('UQSHL_scalar', 1, '01001', any),
  sameScalar('SRSHL_scalar', 0, '01010', onlyD),
  sameScalar('URSHL_scalar', 1, '01010', onlyD),
  sameScalar('SQRSHL_scalar', 0, '01011', any),
  sameScalar('UQRSHL_scalar', 1, '01011', any),

  // Two-register misc.
  misc('SUQADD_vec', 0, '00011', false, no1d),
  misc('USQADD_vec', 1, '00011', false, no1d),
  misc('SQABS_vec', 0, '00111', false, no1d),
  misc('SQNEG_vec', 1, '00111', false, no1d),
  {
    name: 'SHLL_vec', pattern: '0 q:1 1 01110 size:2 10000 10011 10 rn:5 rd:5', guard: noD,
    disasm: (f) => `${two('shll', f.q!)}\t${vreg(f.rd!, f.size! + 1, 1)}, ${vreg(f.rn!, f.size!, f.q!)}, #${8 << f.size!}`,
    feature: 'asimd',
  },
  misc('SUQADD_scalar', 0, '00011', true, any),
  misc('USQADD_scalar', 1, '00011', true, any),
  misc('SQABS_scalar', 0, '00111', true, any),
  misc('SQNEG_scalar', 1, '00111', true, any),
  misc('CMGT_zero_scalar', 0, '01000', true, onlyD, ', #0'),
  misc('CMGE_zero_scalar', 1, '01000', true, onlyD, ', #0'),
  misc('CMEQ_zero_scalar', 0, '01001', true, onlyD, ', #0'),
  misc('CMLE_zero_scalar', 1, '01001', true, onlyD, ', #0'),
  misc('CMLT_zero_scalar', 0, '01010', true, onlyD, ', #0'),
  misc('ABS_scalar', 0, '01011', true, onlyD),
  misc('NEG_scalar', 1, '01011', true, onlyD),
  narrowScalar('SQXTN_scalar', 0, '10100'),
  narrowScalar('UQXTN_scalar', 1, '10100'),
  narrowScalar('SQXTUN_scalar', 1, '10010'),

  // Shift by immediate, vector.
  shift('SRSRA_vec', 0, '00110', 'right', false),
  shift('URSRA_vec', 1, '00110', 'right', false),
  shift('SQSHL_imm_vec', 0, '01110', 'left', false),
  shift('UQSHL_imm_vec', 1, '01110', 'left', false),
  shift('SQSHLU_vec', 1, '01100', 'left', false),
  shift('SQSHRN_vec', 0, '10010', 'narrow', false),
  shift('SQRSHRN_vec', 0, '10011', 'narrow', false),
  shift('UQSHRN_vec', 1, '10010', 'narrow', false),
  shift('UQRSHRN_vec', 1, '10011', 'narrow', false),
  shift('SQSHRUN_vec', 1, '10000', 'narrow', false),
  shift('SQRSHRUN_vec', 1, '10001', 'narrow', false),

  // Shift by immediate, scalar (the D-only ones beside simd.ts's SSHR/USHR/SHL).
  shift('SSRA_scalar', 0, '00010', 'right', true, true),
  shift('USRA_scalar', 1, '00010', 'right', true, true),
  shift('SRSHR_scalar', 0, '00100', 'right', true, true),
  shift('URSHR_scalar', 1, '00100', 'right', true, true),
  shift('SRSRA_scalar', 0, '00110', 'right', true, true),
  shift('URSRA_scalar', 1, '00110', 'right', true, true),
  shift('SRI_scalar', 1, '01000', 'right', true, true),
  shift('SLI_scalar', 1, '01010', 'left', true, true),
  shift('SQSHL_imm_scalar', 0, '01110', 'left', true),
  shift('UQSHL_imm_scalar', 1, '01110', 'left', true),
  shift('SQSHLU_scalar', 1, '01100', 'left', true),
  shift('SQSHRN_scalar', 0, '10010', 'narrow', true),
  shift('SQRSHRN_scalar', 0, '10011', 'narrow', true),
  shift('UQSHRN_scalar', 1, '10010', 'narrow', true),
  shift('UQRSHRN_scalar', 1, '10011', 'narrow', true),
  shift('SQSHRUN_scalar', 1, '10000', 'narrow', true),
  shift('SQRSHRUN_scalar', 1, '10001', 'narrow', true),

  // Three different.
  diff('SQDMLAL_vec', 0, '1001', 'long', false),
  diff('SQDMLSL_vec', 0, '1011', 'long', false),
  diff('SQDMULL_vec', 0, '1101', 'long', false),
  diff('RADDHN_vec', 1, '0100', 'narrow', false),
  diff('RSUBHN_vec', 1, '0110', 'narrow', false),
  diff('SQDMLAL_scalar', 0, '1001', 'long', true),
  diff('SQDMLSL_scalar', 0, '1011', 'long', true),
  diff('SQDMULL_scalar', 0, '1101', 'long', true),

  // By element.
  byElem('MLA_elem', 1, '0000', false, false),
  byElem('MLS_elem', 1, '0100', false, false),
  byElem('SMLAL_elem', 0, '0010', true, false),
  byElem('UMLAL_elem', 1, '0010', true, false),
  byElem('SMLSL_elem', 0, '0110', true, false),
  byElem('UMLSL_elem', 1, '0110', true, false),
  byElem('SMULL_elem', 0, '1010', true, false),
  byElem('UMULL_elem', 1, '1010', true, false),
  byElem('SQDMLAL_elem', 0, '0011', true, false),
  byElem('SQDMLSL_elem', 0, '0111', true, false),
  byElem('SQDMULL_elem', 0, '1011', true, false),
  byElem('SQDMLAL_elem_scalar', 0, '0011', true, true),
  byElem('SQDMLSL_elem_scalar', 0, '0111', true, true),
  byElem('SQDMULL_elem_scalar', 0, '1011', true, true),
];

// Unsigned reciprocal (square root) estimates on 32-bit lanes: integer inputs, no FPCR.
const estimateDefs: InsnDef[] = (['URECPE_vec', 'URSQRTE_vec'] as const).map((name, u) => ({
  name,
  pattern: `0 q:1 ${u} 01110 1 0 10000 11100 10 rn:5 rd:5`,
  disasm: (f: Fields) => `${name.split('_')[0]!.toLowerCase()}\t${vreg(f.rd!, 2, f.q!)}, ${vreg(f.rn!, 2, f.q!)}`,
  feature: 'asimd',
}));

export const simdIntDefs: InsnDef[] = [...dotRdmDefs, ...integerDefs, ...estimateDefs];
