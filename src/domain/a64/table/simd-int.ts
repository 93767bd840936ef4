/**
 * A64 table: Advanced SIMD integer instructions beyond the base set in
 * simd.ts: the dot product (FEAT_DotProd: SDOT/UDOT), the rounding doubling
 * multiply-accumulate (FEAT_RDM: SQRDMLAH/SQRDMLSH) with the base
 * SQDMULH/SQRDMULH they extend, in vector, by-element and scalar forms.
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

export const simdIntDefs: InsnDef[] = [
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
