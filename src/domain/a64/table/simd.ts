/**
 * A64 table: Advanced SIMD (ARM ARM C4.1.96 "Data Processing -- Scalar
 * Floating-Point and Advanced SIMD", the vector and scalar-SIMD groups) and
 * the structure loads/stores LD1-LD4/ST1-ST4, LD1R-LD4R (C4.1.87-C4.1.90).
 *
 * One entry per mnemonic and form. Fields keep the architectural names
 * (q, u, size, immh/immb, imm5, cmode...) so the interpreter can decode them
 * once. Reserved size/Q combinations are rejected by guards; disasm prints
 * what GNU objdump prints, including its preferred aliases (mov, mvn, uxtl).
 */
import type { InsnDef } from '../insn.js';
import type { Fields } from '../pattern.js';

const ARR = ['8b', '16b', '4h', '8h', '2s', '4s', '1d', '2d'];
const ELEM = ['b', 'h', 's', 'd'];

/** Arrangement specifier for element size `size` (0..3) and Q. */
export function arrangement(size: number, q: number): string {
  return ARR[size * 2 + q]!;
}

const vreg = (n: number, size: number, q: number): string => `v${n}.${arrangement(size, q)}`;
const hex = (v: number | bigint): string => '0x' + v.toString(16);
const xn = (n: number, sf: number): string => (n === 31 ? (sf ? 'xzr' : 'wzr') : `${sf ? 'x' : 'w'}${n}`);
const xnsp = (n: number): string => (n === 31 ? 'sp' : `x${n}`);

/** GNU register list: `{v0.16b, v1.16b}`, or a range for 3-4 consecutive registers. */
export function vlist(rt: number, n: number, spec: string): string {
  if (n >= 3 && rt + n - 1 <= 31) return `{v${rt}.${spec}-v${rt + n - 1}.${spec}}`;
  const regs: string[] = [];
  for (let i = 0; i < n; i++) regs.push(`v${(rt + i) % 32}.${spec}`);
  return `{${regs.join(', ')}}`;
}

/** Lowest set bit of imm5 gives the element size of copy instructions (DUP/INS/UMOV). */
export function imm5Size(imm5: number): number {
  for (let s = 0; s < 4; s++) if (imm5 & (1 << s)) return s;
  return 4;
}

/** Element size (log2 bytes) of a shift-by-immediate from immh. */
export function immhSize(immh: number): number {
  return 31 - Math.clz32(immh);
}

/** AdvSIMDExpandImm: the 64-bit immediate of MOVI/MVNI/ORR/BIC (op, cmode, abcdefgh). */
export function expandSimdImm(op: number, cmode: number, imm8: number): bigint {
  const b = BigInt(imm8);
  const rep32 = (v: bigint): bigint => (v << 32n) | v;
  const rep16 = (v: bigint): bigint => rep32((v << 16n) | v);
  switch (cmode >> 1) {
    case 0: return rep32(b);
    case 1: return rep32(b << 8n);
    case 2: return rep32(b << 16n);
    case 3: return rep32(b << 24n);
    case 4: return rep16(b);
    case 5: return rep16(b << 8n);
    case 6: return rep32(cmode & 1 ? (b << 16n) | 0xffffn : (b << 8n) | 0xffn);
    default: break;
  }
  if (cmode === 14 && op === 0) return rep16((b << 8n) | b);
  if (cmode === 14) {
    let v = 0n;
    for (let i = 0; i < 8; i++) if (imm8 & (1 << i)) v |= 0xffn << BigInt(8 * i);
    return v;
  }
  return 0n; // cmode 15 is FMOV, expanded by VFPExpandImm
}

/** VFPExpandImm for an 8-bit FP immediate, as a JS number (exact in any precision). */
export function vfpImm(imm8: number): number {
  const sign = imm8 & 0x80 ? -1 : 1;
  const cd = (imm8 >> 4) & 3;
  const e = imm8 & 0x40 ? cd - 3 : cd + 1;
  return (sign * (16 + (imm8 & 15)) * 2 ** e) / 16;
}

/** objdump's FP immediate text: `#1.000000000000000000e+00`. */
export function fpImmText(v: number): string {
  const [m, e] = v.toExponential(18).split('e') as [string, string];
  const exp = Number(e);
  return `#${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

const simdImm8 = (f: Fields): number => (f.abc! << 5) | f.defgh!;

// ---- guards -------------------------------------------------------------------
/** Element sizes B..D, but .1d (size 3, Q=0) is reserved. */
const no1d = (f: Fields): boolean => f.size !== 3 || f.q === 1;
const noD = (f: Fields): boolean => f.size !== 3;
const fpArr = (f: Fields): boolean => f.sz === 0 || f.q === 1;

// ---- disasm helpers ------------------------------------------------------------------
const d3 = (m: string) => (f: Fields): string =>
  `${m}\t${vreg(f.rd!, f.size!, f.q!)}, ${vreg(f.rn!, f.size!, f.q!)}, ${vreg(f.rm!, f.size!, f.q!)}`;
const d3b = (m: string) => (f: Fields): string =>
  `${m}\t${vreg(f.rd!, 0, f.q!)}, ${vreg(f.rn!, 0, f.q!)}, ${vreg(f.rm!, 0, f.q!)}`;
const d2 = (m: string) => (f: Fields): string => `${m}\t${vreg(f.rd!, f.size!, f.q!)}, ${vreg(f.rn!, f.size!, f.q!)}`;
const dZero = (m: string) => (f: Fields): string => `${d2(m)(f)}, #0`;
const fvreg = (n: number, f: Fields): string => vreg(n, 2 + f.sz!, f.q!);
const dF3 = (m: string) => (f: Fields): string => `${m}\t${fvreg(f.rd!, f)}, ${fvreg(f.rn!, f)}, ${fvreg(f.rm!, f)}`;
const dF2 = (m: string) => (f: Fields): string => `${m}\t${fvreg(f.rd!, f)}, ${fvreg(f.rn!, f)}`;
const two = (m: string, q: number): string => (q ? `${m}2` : m);

/** Three registers, same type: `0 Q U 01110 size 1 Rm opcode 1 Rn Rd`. */
function same3(name: string, u: number, opcode: string, m: string, guard: (f: Fields) => boolean = no1d): InsnDef {
  return { name, pattern: `0 q:1 ${u} 01110 size:2 1 rm:5 ${opcode} 1 rn:5 rd:5`, guard, disasm: d3(m), feature: 'asimd' };
}

/** Bitwise three-same: size bits select the operation. */
function logic3(name: string, u: number, size: string, m: string): InsnDef {
  return { name, pattern: `0 q:1 ${u} 01110 ${size} 1 rm:5 00011 1 rn:5 rd:5`, disasm: d3b(m), feature: 'asimd' };
}

/** Two-register miscellaneous: `0 Q U 01110 size 10000 opcode 10 Rn Rd`. */
function misc2(name: string, u: number, opcode: string, disasm: (f: Fields) => string, guard: (f: Fields) => boolean): InsnDef {
  return { name, pattern: `0 q:1 ${u} 01110 size:2 10000 ${opcode} 10 rn:5 rd:5`, guard, disasm, feature: 'asimd' };
}

/** FP two-register miscellaneous, single/double lanes. */
function fmisc2(name: string, u: number, a: number, opcode: string, disasm: (f: Fields) => string): InsnDef {
  return { name, pattern: `0 q:1 ${u} 01110 ${a} sz:1 10000 ${opcode} 10 rn:5 rd:5`, guard: fpArr, disasm, feature: 'asimd' };
}

/** FP three-same, single/double lanes. */
function fsame3(name: string, u: number, a: number, opcode: string, m: string): InsnDef {
  return { name, pattern: `0 q:1 ${u} 01110 ${a} sz:1 1 rm:5 ${opcode} 1 rn:5 rd:5`, guard: fpArr, disasm: dF3(m), feature: 'asimd' };
}

/** Across lanes: `0 Q U 01110 size 11000 opcode 10 Rn Rd`; `long` widens the result. */
function across(name: string, u: number, opcode: string, m: string, long: boolean): InsnDef {
  return {
    name,
    pattern: `0 q:1 ${u} 01110 size:2 11000 ${opcode} 10 rn:5 rd:5`,
    guard: (f) => f.size !== 3 && (f.size !== 2 || f.q === 1),
    disasm: (f) => `${m}\t${ELEM[f.size! + (long ? 1 : 0)]}${f.rd}, ${vreg(f.rn!, f.size!, f.q!)}`,
    feature: 'asimd',
  };
}

/** Three registers, different types: `0 Q U 01110 size 1 Rm opcode 00 Rn Rd`. */
function diff3(name: string, u: number, opcode: string, m: string, kind: 'long' | 'wide' | 'narrow'): InsnDef {
  const disasm = (f: Fields): string => {
    const s = f.size!;
    const q = f.q!;
    const mn = two(m, q);
    if (kind === 'long') return `${mn}\t${vreg(f.rd!, s + 1, 1)}, ${vreg(f.rn!, s, q)}, ${vreg(f.rm!, s, q)}`;
    if (kind === 'wide') return `${mn}\t${vreg(f.rd!, s + 1, 1)}, ${vreg(f.rn!, s + 1, 1)}, ${vreg(f.rm!, s, q)}`;
    return `${mn}\t${vreg(f.rd!, s, q)}, ${vreg(f.rn!, s + 1, 1)}, ${vreg(f.rm!, s + 1, 1)}`;
  };
  return { name, pattern: `0 q:1 ${u} 01110 size:2 1 rm:5 ${opcode} 00 rn:5 rd:5`, guard: noD, disasm, feature: 'asimd' };
}

/** Shift by immediate: `0 Q U 011110 immh immb opcode 1 Rn Rd`. */
function shiftImm(name: string, u: number, opcode: string, m: string, kind: 'right' | 'left' | 'narrow' | 'long'): InsnDef {
  const guard = (f: Fields): boolean => {
    if (f.immh === 0) return false;
    if (kind === 'narrow' || kind === 'long') return f.immh! < 8;
    return f.immh! < 8 || f.q === 1;
  };
  const disasm = (f: Fields): string => {
    const s = immhSize(f.immh!);
    const immhb = (f.immh! << 3) | f.immb!;
    const q = f.q!;
    if (kind === 'right') return `${m}\t${vreg(f.rd!, s, q)}, ${vreg(f.rn!, s, q)}, #${(16 << s) - immhb}`;
    if (kind === 'left') return `${m}\t${vreg(f.rd!, s, q)}, ${vreg(f.rn!, s, q)}, #${immhb - (8 << s)}`;
    if (kind === 'narrow') return `${two(m, q)}\t${vreg(f.rd!, s, q)}, ${vreg(f.rn!, s + 1, 1)}, #${(16 << s) - immhb}`;
    const sh = immhb - (8 << s);
    const ops = `${vreg(f.rd!, s + 1, 1)}, ${vreg(f.rn!, s, q)}`;
    if (sh === 0) return `${two(u ? 'uxtl' : 'sxtl', q)}\t${ops}`;
    return `${two(m, q)}\t${ops}, #${sh}`;
  };
  return { name, pattern: `0 q:1 ${u} 011110 immh:4 immb:3 ${opcode} 1 rn:5 rd:5`, guard, disasm, feature: 'asimd' };
}

/** Scalar shift by immediate on D registers (immh = 1xxx). */
function shiftImmScalar(name: string, u: number, opcode: string, m: string, left: boolean): InsnDef {
  return {
    name,
    pattern: `01 ${u} 111110 1 immb6:6 ${opcode} 1 rn:5 rd:5`,
    disasm: (f) => `${m}\td${f.rd}, d${f.rn}, #${left ? f.immb6! : 64 - f.immb6!}`,
    feature: 'asimd',
  };
}

/** Scalar three-same on D registers. */
function same3ScalarD(name: string, u: number, opcode: string, m: string): InsnDef {
  return {
    name,
    pattern: `01 ${u} 11110 11 1 rm:5 ${opcode} 1 rn:5 rd:5`,
    disasm: (f) => `${m}\td${f.rd}, d${f.rn}, d${f.rm}`,
    feature: 'asimd',
  };
}

const permute = (name: string, opcode: string, m: string): InsnDef => ({
  name,
  pattern: `0 q:1 001110 size:2 0 rm:5 0 ${opcode} 10 rn:5 rd:5`,
  guard: no1d,
  disasm: d3(m),
  feature: 'asimd',
});

// ---- modified immediate ---------------------------------------------------------------
const isShifted32 = (c: number): boolean => (c & 8) === 0;
const isShifted16 = (c: number): boolean => (c & 12) === 8;
const isMsl = (c: number): boolean => (c & 14) === 12;

function modImmText(f: Fields): string {
  const c = f.cmode!;
  const imm = hex(simdImm8(f));
  if (isShifted32(c)) return `${vreg(f.rd!, 2, f.q!)}, #${imm}${(c >> 1) & 3 ? `, lsl #${8 * ((c >> 1) & 3)}` : ''}`;
  if (isShifted16(c)) return `${vreg(f.rd!, 1, f.q!)}, #${imm}${c & 2 ? ', lsl #8' : ''}`;
  return `${vreg(f.rd!, 2, f.q!)}, #${imm}, msl #${c & 1 ? 16 : 8}`;
}

const modImmPattern = 'q:1 op:1 0111100000 abc:3 cmode:4 0 1 defgh:5 rd:5';

// ---- structure loads and stores ---------------------------------------------------------
/** LD1-LD4/ST1-ST4 (multiple structures): opcode -> [registers, elements per structure]. */
export const LDST_MULTI: Readonly<Record<number, readonly [number, number]>> = {
  0b0000: [4, 4],
  0b0010: [4, 1],
  0b0100: [3, 3],
  0b0110: [3, 1],
  0b0111: [1, 1],
  0b1000: [2, 2],
  0b1010: [2, 1],
};

function postText(f: Fields, bytes: number): string {
  return f.rm === 31 ? `, #${bytes}` : `, x${f.rm}`;
}

function multiDisasm(f: Fields, post: boolean): string {
  const [regs, selem] = LDST_MULTI[f.opcode!]!;
  const m = `${f.l ? 'ld' : 'st'}${selem}`;
  const addr = `[${xnsp(f.rn!)}]`;
  const bytes = regs * (f.q ? 16 : 8);
  return `${m}\t${vlist(f.rt!, regs, arrangement(f.size!, f.q!))}, ${addr}${post ? postText(f, bytes) : ''}`;
}

const multiGuard = (f: Fields): boolean => {
  const e = LDST_MULTI[f.opcode!];
  if (!e) return false;
  return !(f.size === 3 && f.q === 0 && e[1] !== 1);
};

/** Single-structure forms: element size and index from opcode<2:1>, S, size and Q. */
export function singleLayout(f: Fields): { esize: number; index: number; selem: number; replicate: boolean } | null {
  const scale = f.opcode! >> 1;
  const selem = (((f.opcode! & 1) << 1) | f.r!) + 1;
  if (scale === 3) {
    if (!f.l || f.s) return null;
    return { esize: f.size!, index: 0, selem, replicate: true };
  }
  if (scale === 0) return { esize: 0, index: (f.q! << 3) | (f.s! << 2) | f.size!, selem, replicate: false };
  if (scale === 1) {
    if (f.size! & 1) return null;
    return { esize: 1, index: (f.q! << 2) | (f.s! << 1) | (f.size! >> 1), selem, replicate: false };
  }
  if (f.size === 0) return { esize: 2, index: (f.q! << 1) | f.s!, selem, replicate: false };
  if (f.size === 1 && f.s === 0) return { esize: 3, index: f.q!, selem, replicate: false };
  return null;
}

function singleDisasm(f: Fields, post: boolean): string {
  const L = singleLayout(f)!;
  const addr = `[${xnsp(f.rn!)}]`;
  const bytes = L.selem << L.esize;
  if (L.replicate) {
    const m = `ld${L.selem}r`;
    return `${m}\t${vlist(f.rt!, L.selem, arrangement(L.esize, f.q!))}, ${addr}${post ? postText(f, bytes) : ''}`;
  }
  const m = `${f.l ? 'ld' : 'st'}${L.selem}`;
  return `${m}\t${vlist(f.rt!, L.selem, ELEM[L.esize]!)}[${L.index}], ${addr}${post ? postText(f, bytes) : ''}`;
}

const singleGuard = (f: Fields): boolean => singleLayout(f) !== null;

// ---- copy (DUP/INS/UMOV/SMOV) -------------------------------------------------------------
const elemRef = (n: number, imm5: number): string => {
  const s = imm5Size(imm5);
  return `v${n}.${ELEM[s]}[${imm5 >> (s + 1)}]`;
};

/** Structure loads and stores: addressed by Rn; L = 0 stores. */
const STRUCT_ACCESS = { base: 'rn', writes: true } as const;

export const simdDefs: InsnDef[] = [
  // Structure loads/stores. Rm = 31 in the post-index form means "immediate".
  { memory: STRUCT_ACCESS, name: 'LDST_multi', pattern: '0 q:1 0011000 l:1 000000 opcode:4 size:2 rn:5 rt:5', guard: multiGuard, disasm: (f) => multiDisasm(f, false), feature: 'asimd' },
  { memory: STRUCT_ACCESS, name: 'LDST_multi_post', pattern: '0 q:1 0011001 l:1 0 rm:5 opcode:4 size:2 rn:5 rt:5', guard: multiGuard, disasm: (f) => multiDisasm(f, true), feature: 'asimd' },
  { memory: STRUCT_ACCESS, name: 'LDST_single', pattern: '0 q:1 0011010 l:1 r:1 00000 opcode:3 s:1 size:2 rn:5 rt:5', guard: singleGuard, disasm: (f) => singleDisasm(f, false), feature: 'asimd' },
  { memory: STRUCT_ACCESS, name: 'LDST_single_post', pattern: '0 q:1 0011011 l:1 r:1 rm:5 opcode:3 s:1 size:2 rn:5 rt:5', guard: singleGuard, disasm: (f) => singleDisasm(f, true), feature: 'asimd' },

  // Copy.
  {
    name: 'DUP_elem', pattern: '0 q:1 0 01110000 imm5:5 0 0000 1 rn:5 rd:5',
    guard: (f) => imm5Size(f.imm5!) < 3 || (imm5Size(f.imm5!) === 3 && f.q === 1),
    disasm: (f) => `dup\t${vreg(f.rd!, imm5Size(f.imm5!), f.q!)}, ${elemRef(f.rn!, f.imm5!)}`, feature: 'asimd',
  },
  {
    name: 'DUP_gen', pattern: '0 q:1 0 01110000 imm5:5 0 0001 1 rn:5 rd:5',
    guard: (f) => imm5Size(f.imm5!) < 3 || (imm5Size(f.imm5!) === 3 && f.q === 1),
    disasm: (f) => `dup\t${vreg(f.rd!, imm5Size(f.imm5!), f.q!)}, ${xn(f.rn!, imm5Size(f.imm5!) === 3 ? 1 : 0)}`, feature: 'asimd',
  },
  {
    name: 'SMOV', pattern: '0 q:1 0 01110000 imm5:5 0 0101 1 rn:5 rd:5',
    guard: (f) => imm5Size(f.imm5!) < 2 || (imm5Size(f.imm5!) === 2 && f.q === 1),
    disasm: (f) => `smov\t${xn(f.rd!, f.q!)}, ${elemRef(f.rn!, f.imm5!)}`, feature: 'asimd',
  },
  {
    name: 'UMOV', pattern: '0 q:1 0 01110000 imm5:5 0 0111 1 rn:5 rd:5',
    guard: (f) => (f.q === 1 ? imm5Size(f.imm5!) === 3 : imm5Size(f.imm5!) < 3),
    disasm: (f) => `${imm5Size(f.imm5!) >= 2 ? 'mov' : 'umov'}\t${xn(f.rd!, f.q!)}, ${elemRef(f.rn!, f.imm5!)}`, feature: 'asimd',
  },
  {
    name: 'INS_gen', pattern: '0 1 0 01110000 imm5:5 0 0011 1 rn:5 rd:5', guard: (f) => imm5Size(f.imm5!) < 4,
    disasm: (f) => `mov\t${elemRef(f.rd!, f.imm5!)}, ${xn(f.rn!, imm5Size(f.imm5!) === 3 ? 1 : 0)}`, feature: 'asimd',
  },
  {
    name: 'INS_elem', pattern: '0 1 1 01110000 imm5:5 0 imm4:4 1 rn:5 rd:5', guard: (f) => imm5Size(f.imm5!) < 4,
    disasm: (f) => {
      const s = imm5Size(f.imm5!);
      return `mov\t${elemRef(f.rd!, f.imm5!)}, v${f.rn}.${ELEM[s]}[${f.imm4! >> s}]`;
    },
    feature: 'asimd',
  },
  {
    name: 'DUP_scalar', pattern: '01 0 11110000 imm5:5 0 0000 1 rn:5 rd:5', guard: (f) => imm5Size(f.imm5!) < 4,
    disasm: (f) => `mov\t${ELEM[imm5Size(f.imm5!)]}${f.rd}, ${elemRef(f.rn!, f.imm5!)}`, feature: 'asimd',
  },

  // Modified immediate.
  {
    name: 'FMOV_vimm', pattern: '0 q:1 op:1 0111100000 abc:3 1111 0 1 defgh:5 rd:5', guard: (f) => f.op === 0 || f.q === 1,
    disasm: (f) => `fmov\t${vreg(f.rd!, 2 + f.op!, f.q!)}, ${fpImmText(vfpImm(simdImm8(f)))}`, feature: 'asimd',
  },
  {
    name: 'MOVI_vimm', pattern: `0 ${modImmPattern}`,
    guard: (f) => {
      const c = f.cmode!;
      if (f.op === 1) return c === 14;
      return (c & 1) === 0 || isMsl(c) || c === 14;
    },
    disasm: (f) => {
      const c = f.cmode!;
      if (c === 14 && f.op === 0) return `movi\t${vreg(f.rd!, 0, f.q!)}, #${hex(simdImm8(f))}`;
      if (c === 14) return `movi\t${f.q ? vreg(f.rd!, 3, 1) : `d${f.rd}`}, #${hex(expandSimdImm(1, 14, simdImm8(f)))}`;
      return `movi\t${modImmText(f)}`;
    },
    feature: 'asimd',
  },
  {
    name: 'MVNI_vimm', pattern: `0 ${modImmPattern}`,
    guard: (f) => f.op === 1 && ((f.cmode! & 1) === 0 || isMsl(f.cmode!)) && f.cmode !== 14,
    disasm: (f) => `mvni\t${modImmText(f)}`, feature: 'asimd',
  },
  {
    name: 'ORR_vimm', pattern: `0 ${modImmPattern}`, guard: (f) => f.op === 0 && (f.cmode! & 1) === 1 && f.cmode! < 12,
    disasm: (f) => `orr\t${modImmText(f)}`, feature: 'asimd',
  },
  {
    name: 'BIC_vimm', pattern: `0 ${modImmPattern}`, guard: (f) => f.op === 1 && (f.cmode! & 1) === 1 && f.cmode! < 12,
    disasm: (f) => `bic\t${modImmText(f)}`, feature: 'asimd',
  },

  // Shift by immediate (after modified immediate: immh = 0 is that group).
  shiftImm('SSHR_vec', 0, '00000', 'sshr', 'right'),
  shiftImm('USHR_vec', 1, '00000', 'ushr', 'right'),
  shiftImm('SSRA_vec', 0, '00010', 'ssra', 'right'),
  shiftImm('USRA_vec', 1, '00010', 'usra', 'right'),
  shiftImm('SRSHR_vec', 0, '00100', 'srshr', 'right'),
  shiftImm('URSHR_vec', 1, '00100', 'urshr', 'right'),
  shiftImm('SRI_vec', 1, '01000', 'sri', 'right'),
  shiftImm('SHL_vec', 0, '01010', 'shl', 'left'),
  shiftImm('SLI_vec', 1, '01010', 'sli', 'left'),
  shiftImm('SHRN_vec', 0, '10000', 'shrn', 'narrow'),
  shiftImm('RSHRN_vec', 0, '10001', 'rshrn', 'narrow'),
  shiftImm('SSHLL_vec', 0, '10100', 'sshll', 'long'),
  shiftImm('USHLL_vec', 1, '10100', 'ushll', 'long'),
  shiftImmScalar('SSHR_scalar', 0, '00000', 'sshr', false),
  shiftImmScalar('USHR_scalar', 1, '00000', 'ushr', false),
  shiftImmScalar('SHL_scalar', 0, '01010', 'shl', true),

  // Three same: bitwise.
  {
    name: 'ORR_vec', pattern: '0 q:1 0 01110 10 1 rm:5 00011 1 rn:5 rd:5',
    disasm: (f) => (f.rm === f.rn ? `mov\t${vreg(f.rd!, 0, f.q!)}, ${vreg(f.rn!, 0, f.q!)}` : d3b('orr')(f)), feature: 'asimd',
  },
  logic3('AND_vec', 0, '00', 'and'),
  logic3('BIC_vec', 0, '01', 'bic'),
  logic3('ORN_vec', 0, '11', 'orn'),
  logic3('EOR_vec', 1, '00', 'eor'),
  logic3('BSL_vec', 1, '01', 'bsl'),
  logic3('BIT_vec', 1, '10', 'bit'),
  logic3('BIF_vec', 1, '11', 'bif'),

  // Three same: integer.
  same3('ADD_vec', 0, '10000', 'add'),
  same3('SUB_vec', 1, '10000', 'sub'),
  same3('CMEQ_vec', 1, '10001', 'cmeq'),
  same3('CMTST_vec', 0, '10001', 'cmtst'),
  same3('CMHS_vec', 1, '00111', 'cmhs'),
  same3('CMHI_vec', 1, '00110', 'cmhi'),
  same3('CMGE_vec', 0, '00111', 'cmge'),
  same3('CMGT_vec', 0, '00110', 'cmgt'),
  same3('ADDP_vec', 0, '10111', 'addp'),
  same3('USHL_vec', 1, '01000', 'ushl'),
  same3('SSHL_vec', 0, '01000', 'sshl'),
  same3('SQADD_vec', 0, '00001', 'sqadd'),
  same3('UQADD_vec', 1, '00001', 'uqadd'),
  same3('SQSUB_vec', 0, '00101', 'sqsub'),
  same3('UQSUB_vec', 1, '00101', 'uqsub'),
  same3('UMAXP_vec', 1, '10100', 'umaxp', noD),
  same3('UMINP_vec', 1, '10101', 'uminp', noD),
  same3('SMAXP_vec', 0, '10100', 'smaxp', noD),
  same3('SMINP_vec', 0, '10101', 'sminp', noD),
  same3('UMAX_vec', 1, '01100', 'umax', noD),
  same3('UMIN_vec', 1, '01101', 'umin', noD),
  same3('SMAX_vec', 0, '01100', 'smax', noD),
  same3('SMIN_vec', 0, '01101', 'smin', noD),
  same3('UABD_vec', 1, '01110', 'uabd', noD),
  same3('SABD_vec', 0, '01110', 'sabd', noD),
  same3('MUL_vec', 0, '10011', 'mul', noD),
  same3('MLA_vec', 0, '10010', 'mla', noD),
  same3('MLS_vec', 1, '10010', 'mls', noD),
  same3ScalarD('ADD_scalar', 0, '10000', 'add'),
  same3ScalarD('SUB_scalar', 1, '10000', 'sub'),
  same3ScalarD('CMEQ_scalar', 1, '10001', 'cmeq'),
  same3ScalarD('CMHS_scalar', 1, '00111', 'cmhs'),
  same3ScalarD('CMHI_scalar', 1, '00110', 'cmhi'),
  same3ScalarD('CMGE_scalar', 0, '00111', 'cmge'),
  same3ScalarD('CMGT_scalar', 0, '00110', 'cmgt'),
  same3ScalarD('CMTST_scalar', 0, '10001', 'cmtst'),
  { name: 'ADDP_scalar', pattern: '01 0 11110 11 11000 11011 10 rn:5 rd:5', disasm: (f) => `addp\td${f.rd}, v${f.rn}.2d`, feature: 'asimd' },

  // Three same: floating point (single/double lanes).
  fsame3('FADD_vec', 0, 0, '11010', 'fadd'),
  fsame3('FSUB_vec', 0, 1, '11010', 'fsub'),
  fsame3('FMUL_vec', 1, 0, '11011', 'fmul'),
  fsame3('FDIV_vec', 1, 0, '11111', 'fdiv'),
  fsame3('FMLA_vec', 0, 0, '11001', 'fmla'),
  fsame3('FMLS_vec', 0, 1, '11001', 'fmls'),
  fsame3('FMAX_vec', 0, 0, '11110', 'fmax'),
  fsame3('FMIN_vec', 0, 1, '11110', 'fmin'),
  fsame3('FMAXNM_vec', 0, 0, '11000', 'fmaxnm'),
  fsame3('FMINNM_vec', 0, 1, '11000', 'fminnm'),
  fsame3('FCMEQ_vec', 0, 0, '11100', 'fcmeq'),
  fsame3('FCMGE_vec', 1, 0, '11100', 'fcmge'),
  fsame3('FCMGT_vec', 1, 1, '11100', 'fcmgt'),
  fsame3('FADDP_vec', 1, 0, '11010', 'faddp'),
  fsame3('FABD_vec', 1, 1, '11010', 'fabd'),

  // Two-register miscellaneous.
  misc2('REV64_vec', 0, '00000', d2('rev64'), noD),
  misc2('REV16_vec', 0, '00001', d2('rev16'), (f) => f.size === 0),
  misc2('REV32_vec', 1, '00000', d2('rev32'), (f) => f.size! < 2),
  misc2('SADDLP_vec', 0, '00010', (f) => `saddlp\t${vreg(f.rd!, f.size! + 1, f.q!)}, ${vreg(f.rn!, f.size!, f.q!)}`, noD),
  misc2('UADDLP_vec', 1, '00010', (f) => `uaddlp\t${vreg(f.rd!, f.size! + 1, f.q!)}, ${vreg(f.rn!, f.size!, f.q!)}`, noD),
  misc2('SADALP_vec', 0, '00110', (f) => `sadalp\t${vreg(f.rd!, f.size! + 1, f.q!)}, ${vreg(f.rn!, f.size!, f.q!)}`, noD),
  misc2('UADALP_vec', 1, '00110', (f) => `uadalp\t${vreg(f.rd!, f.size! + 1, f.q!)}, ${vreg(f.rn!, f.size!, f.q!)}`, noD),
  misc2('CLS_vec', 0, '00100', d2('cls'), noD),
  misc2('CLZ_vec', 1, '00100', d2('clz'), noD),
  misc2('CNT_vec', 0, '00101', d2('cnt'), (f) => f.size === 0),
  misc2('NOT_vec', 1, '00101', d2('mvn'), (f) => f.size === 0),
  misc2('RBIT_vec', 1, '00101', (f) => `rbit\t${vreg(f.rd!, 0, f.q!)}, ${vreg(f.rn!, 0, f.q!)}`, (f) => f.size === 1),
  misc2('CMGT_zero', 0, '01000', dZero('cmgt'), no1d),
  misc2('CMGE_zero', 1, '01000', dZero('cmge'), no1d),
  misc2('CMEQ_zero', 0, '01001', dZero('cmeq'), no1d),
  misc2('CMLE_zero', 1, '01001', dZero('cmle'), no1d),
  misc2('CMLT_zero', 0, '01010', dZero('cmlt'), no1d),
  misc2('ABS_vec', 0, '01011', d2('abs'), no1d),
  misc2('NEG_vec', 1, '01011', d2('neg'), no1d),
  misc2('XTN_vec', 0, '10010', (f) => `${two('xtn', f.q!)}\t${vreg(f.rd!, f.size!, f.q!)}, ${vreg(f.rn!, f.size! + 1, 1)}`, noD),
  misc2('SQXTN_vec', 0, '10100', (f) => `${two('sqxtn', f.q!)}\t${vreg(f.rd!, f.size!, f.q!)}, ${vreg(f.rn!, f.size! + 1, 1)}`, noD),
  misc2('UQXTN_vec', 1, '10100', (f) => `${two('uqxtn', f.q!)}\t${vreg(f.rd!, f.size!, f.q!)}, ${vreg(f.rn!, f.size! + 1, 1)}`, noD),
  misc2('SQXTUN_vec', 1, '10010', (f) => `${two('sqxtun', f.q!)}\t${vreg(f.rd!, f.size!, f.q!)}, ${vreg(f.rn!, f.size! + 1, 1)}`, noD),
  fmisc2('FABS_vec', 0, 1, '01111', dF2('fabs')),
  fmisc2('FNEG_vec', 1, 1, '01111', dF2('fneg')),
  fmisc2('FSQRT_vec', 1, 1, '11111', dF2('fsqrt')),
  fmisc2('FCVTZS_vec', 0, 1, '11011', dF2('fcvtzs')),
  fmisc2('FCVTZU_vec', 1, 1, '11011', dF2('fcvtzu')),
  fmisc2('SCVTF_vec', 0, 0, '11101', dF2('scvtf')),
  fmisc2('UCVTF_vec', 1, 0, '11101', dF2('ucvtf')),
  ...(['SCVTF', 'UCVTF', 'FCVTZS', 'FCVTZU'] as const).map((m, i): InsnDef => ({
    name: `${m}_scalar_simd`,
    pattern: `01 ${i & 1} 11110 ${i >> 1} sz:1 10000 ${i >> 1 ? '11011' : '11101'} 10 rn:5 rd:5`,
    disasm: (f) => `${m.toLowerCase()}\t${f.sz ? 'd' : 's'}${f.rd}, ${f.sz ? 'd' : 's'}${f.rn}`,
    feature: 'asimd',
  })),
  fmisc2('FCMGT_zero', 0, 1, '01100', (f) => `${dF2('fcmgt')(f)}, #0.0`),
  fmisc2('FCMGE_zero', 1, 1, '01100', (f) => `${dF2('fcmge')(f)}, #0.0`),
  fmisc2('FCMEQ_zero', 0, 1, '01101', (f) => `${dF2('fcmeq')(f)}, #0.0`),
  fmisc2('FCMLE_zero', 1, 1, '01101', (f) => `${dF2('fcmle')(f)}, #0.0`),
  fmisc2('FCMLT_zero', 0, 1, '01110', (f) => `${dF2('fcmlt')(f)}, #0.0`),

  // Across lanes.
  across('ADDV', 0, '11011', 'addv', false),
  across('UMAXV', 1, '01010', 'umaxv', false),
  across('UMINV', 1, '11010', 'uminv', false),
  across('SMAXV', 0, '01010', 'smaxv', false),
  across('SMINV', 0, '11010', 'sminv', false),
  across('UADDLV', 1, '00011', 'uaddlv', true),
  across('SADDLV', 0, '00011', 'saddlv', true),

  // Three different.
  diff3('SADDL_vec', 0, '0000', 'saddl', 'long'),
  diff3('UADDL_vec', 1, '0000', 'uaddl', 'long'),
  diff3('SADDW_vec', 0, '0001', 'saddw', 'wide'),
  diff3('UADDW_vec', 1, '0001', 'uaddw', 'wide'),
  diff3('SSUBL_vec', 0, '0010', 'ssubl', 'long'),
  diff3('USUBL_vec', 1, '0010', 'usubl', 'long'),
  diff3('SSUBW_vec', 0, '0011', 'ssubw', 'wide'),
  diff3('USUBW_vec', 1, '0011', 'usubw', 'wide'),
  diff3('ADDHN_vec', 0, '0100', 'addhn', 'narrow'),
  diff3('SUBHN_vec', 0, '0110', 'subhn', 'narrow'),
  diff3('SABAL_vec', 0, '0101', 'sabal', 'long'),
  diff3('UABAL_vec', 1, '0101', 'uabal', 'long'),
  diff3('SABDL_vec', 0, '0111', 'sabdl', 'long'),
  diff3('UABDL_vec', 1, '0111', 'uabdl', 'long'),
  diff3('SMLAL_vec', 0, '1000', 'smlal', 'long'),
  diff3('UMLAL_vec', 1, '1000', 'umlal', 'long'),
  diff3('SMLSL_vec', 0, '1010', 'smlsl', 'long'),
  diff3('UMLSL_vec', 1, '1010', 'umlsl', 'long'),
  diff3('SMULL_vec', 0, '1100', 'smull', 'long'),
  diff3('UMULL_vec', 1, '1100', 'umull', 'long'),

  // Permute, extract, table lookup.
  permute('UZP1', '001', 'uzp1'),
  permute('TRN1', '010', 'trn1'),
  permute('ZIP1', '011', 'zip1'),
  permute('UZP2', '101', 'uzp2'),
  permute('TRN2', '110', 'trn2'),
  permute('ZIP2', '111', 'zip2'),
  {
    name: 'EXT', pattern: '0 q:1 101110 00 0 rm:5 0 imm4:4 0 rn:5 rd:5', guard: (f) => f.q === 1 || f.imm4! < 8,
    disasm: (f) => `${d3b('ext')(f)}, #${f.imm4}`, feature: 'asimd',
  },
  {
    name: 'TBL', pattern: '0 q:1 001110 000 rm:5 0 len:2 op:1 00 rn:5 rd:5',
    disasm: (f) => `${f.op ? 'tbx' : 'tbl'}\t${vreg(f.rd!, 0, f.q!)}, ${vlist(f.rn!, f.len! + 1, '16b')}, ${vreg(f.rm!, 0, f.q!)}`,
    feature: 'asimd',
  },

  // Vector by element.
  {
    name: 'FMUL_elem', pattern: '0 q:1 0 01111 1 sz:1 l:1 m:1 rm:4 1001 h:1 0 rn:5 rd:5',
    guard: (f) => fpArr(f) && !(f.sz === 1 && f.l === 1),
    disasm: (f) => `fmul\t${fvreg(f.rd!, f)}, ${fvreg(f.rn!, f)}, ${fpElem(f)}`, feature: 'asimd',
  },
  {
    name: 'FMLA_elem', pattern: '0 q:1 0 01111 1 sz:1 l:1 m:1 rm:4 0001 h:1 0 rn:5 rd:5',
    guard: (f) => fpArr(f) && !(f.sz === 1 && f.l === 1),
    disasm: (f) => `fmla\t${fvreg(f.rd!, f)}, ${fvreg(f.rn!, f)}, ${fpElem(f)}`, feature: 'asimd',
  },
  {
    name: 'FMLS_elem', pattern: '0 q:1 0 01111 1 sz:1 l:1 m:1 rm:4 0101 h:1 0 rn:5 rd:5',
    guard: (f) => fpArr(f) && !(f.sz === 1 && f.l === 1),
    disasm: (f) => `fmls\t${fvreg(f.rd!, f)}, ${fvreg(f.rn!, f)}, ${fpElem(f)}`, feature: 'asimd',
  },
  {
    name: 'MUL_elem', pattern: '0 q:1 0 01111 size:2 l:1 m:1 rm:4 1000 h:1 0 rn:5 rd:5',
    guard: (f) => f.size === 1 || f.size === 2,
    disasm: (f) => `mul\t${vreg(f.rd!, f.size!, f.q!)}, ${vreg(f.rn!, f.size!, f.q!)}, ${intElem(f)}`, feature: 'asimd',
  },
];

/** FP by-element operand: `v2.s[3]` / `v2.d[1]`. */
export function fpElemIndex(f: Fields): number {
  return f.sz ? f.h! : (f.h! << 1) | f.l!;
}

function fpElem(f: Fields): string {
  return `v${(f.m! << 4) | f.rm!}.${f.sz ? 'd' : 's'}[${fpElemIndex(f)}]`;
}

/** Integer by-element: H lanes use Rm<3:0> and index H:L:M; S lanes use M:Rm and H:L. */
export function intElemRegIndex(f: Fields): [number, number] {
  if (f.size === 1) return [f.rm!, (f.h! << 2) | (f.l! << 1) | f.m!];
  return [(f.m! << 4) | f.rm!, (f.h! << 1) | f.l!];
}

function intElem(f: Fields): string {
  const [r, i] = intElemRegIndex(f);
  return `v${r}.${ELEM[f.size!]}[${i}]`;
}
