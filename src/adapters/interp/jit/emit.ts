/**
 * JavaScript emitters for the block translator: for the instructions that
 * dominate real programs (integer data processing, integer loads and stores,
 * branches) an emitter returns the JavaScript source that performs the
 * instruction with every decode-time choice folded into constants. The
 * semantics are those of the closures in ../exec/, written out as source so
 * V8 compiles a whole basic block into one function: no fetch, no dispatch,
 * no per-instruction call. An instruction without an emitter is run through
 * its closure from inside the block.
 *
 * Conventions of the emitted code (see block.ts):
 * - `cpu` is the Cpu, `x` its register file (uint32 pairs; slot 31 is SP,
 *   32 reads zero, 33 swallows writes), `H` the helper functions below.
 * - Before anything that can fault, cpu.pc is set to the address of the next
 *   instruction, which is what the closures and the fault path expect.
 * - An instruction's inputs are read into locals before any output is
 *   written, so Rd may alias Rn or Rm.
 */
import type { Fields } from '../../../domain/a64/pattern.js';
import { decodeBitMasks } from '../../../domain/a64/table/dp-imm.js';
import { bitmaskImm } from '../exec/alu.js';
import { PAGE_MASK, PAGE_SIZE, SP_SLOT, TLB_MASK, TWO32, XZR_READ, XZR_WRITE } from '../regs.js';

/** What an emitter knows besides the fields: where the instruction is. */
export interface EmitSite {
  /** Address of this instruction. */
  readonly pc: number;
  /** Fresh local-variable suffix, unique in the block. */
  readonly id: number;
}

/** Emitted code, and whether it ends the block (it set cpu.pc itself). */
export interface Emitted {
  readonly code: string;
  readonly ends?: boolean;
  /** True if the code may fault, so cpu.pc must hold the next address first. */
  readonly mayFault?: boolean;
}

export type Emitter = (f: Fields, site: EmitSite) => Emitted | null;

const TWO64 = 2 ** 64;

const fv = (f: Fields, k: string): number => f[k] ?? 0;
const src = (n: number): number => (n === 31 ? XZR_READ : n);
const dst = (n: number): number => (n === 31 ? XZR_WRITE : n);
const sp = (n: number): number => (n === 31 ? SP_SLOT : n);
const lo = (slot: number): string => `x[${2 * slot}]`;
const hi = (slot: number): string => `x[${2 * slot + 1}]`;
const u32 = (v: number): string => String(v >>> 0);

/** Address arithmetic wraps below zero to the top of the 64-bit space, where it faults. */
const wrapAddr = (expr: string, mayBeNegative: boolean): string =>
  mayBeNegative ? `((${expr}) < 0 ? (${expr}) + ${TWO64} : (${expr}))` : expr;

/** A register as an address (exact below 2^53). */
const addr = (slot: number): string => `(${hi(slot)} * ${TWO32} + ${lo(slot)})`;

function write32(d: number, v: string): string {
  return d === XZR_WRITE ? '' : `${lo(d)} = ${v}; ${hi(d)} = 0;`;
}

function write64(d: number, l: string, h: string): string {
  return d === XZR_WRITE ? '' : `${lo(d)} = ${l}; ${hi(d)} = ${h};`;
}

// ---- shifts by constants -----------------------------------------------------------------

/** 32-bit shift of the uint32 expression `v` by the constant `s` (type LSL/LSR/ASR/ROR). */
function shift32(type: number, v: string, s: number): string {
  if (s === 0) return v;
  switch (type) {
    case 0:
      return `((${v} << ${s}) >>> 0)`;
    case 1:
      return `(${v} >>> ${s})`;
    case 2:
      return `((${v} >> ${s}) >>> 0)`;
    default:
      return `(((${v} >>> ${s}) | (${v} << ${32 - s})) >>> 0)`;
  }
}

/** 64-bit shift of the pair (l, h) — local names — by the constant `s`: [lo, hi] expressions. */
function shift64c(type: number, l: string, h: string, s: number): [string, string] {
  if (s === 0) return [l, h];
  const t = s - 32;
  switch (type) {
    case 0: // LSL
      if (s < 32) return [`((${l} << ${s}) >>> 0)`, `(((${h} << ${s}) | (${l} >>> ${32 - s})) >>> 0)`];
      return ['0', t === 0 ? l : `((${l} << ${t}) >>> 0)`];
    case 1: // LSR
      if (s < 32) return [`(((${l} >>> ${s}) | (${h} << ${32 - s})) >>> 0)`, `(${h} >>> ${s})`];
      return [t === 0 ? h : `(${h} >>> ${t})`, '0'];
    case 2: // ASR
      if (s < 32) return [`(((${l} >>> ${s}) | (${h} << ${32 - s})) >>> 0)`, `((${h} >> ${s}) >>> 0)`];
      return [t === 0 ? h : `((${h} >> ${t}) >>> 0)`, `((${h} >> 31) >>> 0)`];
    default: // ROR
      if (s < 32) return [`(((${l} >>> ${s}) | (${h} << ${32 - s})) >>> 0)`, `(((${h} >>> ${s}) | (${l} << ${32 - s})) >>> 0)`];
      if (t === 0) return [h, l];
      return [`(((${h} >>> ${t}) | (${l} << ${32 - t})) >>> 0)`, `(((${l} >>> ${t}) | (${h} << ${32 - t})) >>> 0)`];
  }
}

// ---- flags ---------------------------------------------------------------------------------

/** NZCV of a 32-bit AddWithCarry: `s` is the exact sum, a and b the (inverted) operands. */
function flagsAdd32(a: string, b: string, s: string, r: string): string {
  return `cpu.nf = ${r} >>> 31; cpu.zf = ${r} === 0 ? 1 : 0; cpu.cf = ${s} > 4294967295 ? 1 : 0; cpu.vf = ((${a} ^ ${r}) & (${b} ^ ${r})) >>> 31;`;
}

function flagsLogic32(r: string): string {
  return `cpu.nf = ${r} >>> 31; cpu.zf = ${r} === 0 ? 1 : 0; cpu.cf = 0; cpu.vf = 0;`;
}

function flagsLogic64(l: string, h: string): string {
  return `cpu.nf = ${h} >>> 31; cpu.zf = (${l} | ${h}) === 0 ? 1 : 0; cpu.cf = 0; cpu.vf = 0;`;
}

/** ConditionHolds as an expression on the CPU's flags. */
export function condExpr(cond: number): string {
  const base = [
    'cpu.zf === 1',
    'cpu.cf === 1',
    'cpu.nf === 1',
    'cpu.vf === 1',
    '(cpu.cf === 1 && cpu.zf === 0)',
    'cpu.nf === cpu.vf',
    '(cpu.zf === 0 && cpu.nf === cpu.vf)',
    'true',
  ][cond >> 1]!;
  if (cond >= 14) return 'true';
  return cond & 1 ? `!(${base})` : base;
}

// ---- add/subtract -------------------------------------------------------------------------

/**
 * Rd = Rn + op2 (+ carry), or Rn - op2 as Rn + NOT(op2) + 1. `b32`/`b64` give
 * the second operand's expression(s) from the locals the prelude defines.
 */
function addSub(
  sf: number,
  sub: boolean,
  setFlags: boolean,
  d: number,
  n: number,
  prelude: string,
  bLo: string,
  bHi: string,
  id: number,
): Emitted {
  const a = `a${id}`;
  const b = `b${id}`;
  const s = `s${id}`;
  const r = `r${id}`;
  const cin = sub ? 1 : 0;
  if (!sf) {
    const bInv = sub ? `(~${bLo} >>> 0)` : bLo;
    let code = `{ ${prelude} const ${a} = ${lo(n)}; const ${b} = ${bInv}; const ${s} = ${a} + ${b} + ${cin}; const ${r} = ${s} >>> 0;`;
    if (setFlags) code += flagsAdd32(a, b, s, r);
    code += write32(d, r) + '}';
    return { code };
  }
  const ah = `ah${id}`;
  const bh = `bh${id}`;
  const hs = `hs${id}`;
  const rh = `rh${id}`;
  const bl = sub ? `(~${bLo} >>> 0)` : bLo;
  const bhx = sub ? `(~${bHi} >>> 0)` : bHi;
  let code =
    `{ ${prelude} const ${a} = ${lo(n)}; const ${ah} = ${hi(n)}; const ${b} = ${bl}; const ${bh} = ${bhx};` +
    ` const ${s} = ${a} + ${b} + ${cin}; const ${hs} = ${ah} + ${bh} + (${s} > 4294967295 ? 1 : 0);` +
    ` const ${r} = ${s} >>> 0; const ${rh} = ${hs} >>> 0;`;
  if (setFlags) {
    code += `cpu.nf = ${rh} >>> 31; cpu.zf = (${r} | ${rh}) === 0 ? 1 : 0; cpu.cf = ${hs} > 4294967295 ? 1 : 0; cpu.vf = ((${ah} ^ ${rh}) & (${bh} ^ ${rh})) >>> 31;`;
  }
  code += write64(d, r, rh) + '}';
  return { code };
}

function addSubImm(sub: boolean, setFlags: boolean): Emitter {
  return (f, site) => {
    const d = setFlags ? dst(fv(f, 'rd')) : sp(fv(f, 'rd'));
    const n = sp(fv(f, 'rn'));
    const imm = fv(f, 'imm12') * (fv(f, 'sh') ? 4096 : 1);
    return addSub(fv(f, 'sf'), sub, setFlags, d, n, '', String(imm), '0', site.id);
  };
}

function addSubShift(sub: boolean, setFlags: boolean): Emitter {
  return (f, site) => {
    const d = dst(fv(f, 'rd'));
    const n = src(fv(f, 'rn'));
    const m = src(fv(f, 'rm'));
    const type = fv(f, 'shift');
    const amt = fv(f, 'imm6');
    const id = site.id;
    if (!fv(f, 'sf')) return addSub(0, sub, setFlags, d, n, `const m${id} = ${lo(m)};`, shift32(type, `m${id}`, amt), '0', id);
    const [l, h] = shift64c(type, `ml${id}`, `mh${id}`, amt);
    return addSub(1, sub, setFlags, d, n, `const ml${id} = ${lo(m)}; const mh${id} = ${hi(m)};`, l, h, id);
  };
}

/** Extended register operand: extend(Rm) << imm3, as [prelude, lo, hi]. */
function extended(option: number, m: number, sh: number, id: number): [string, string, string] {
  const v = `e${id}`;
  const ext32 = [`(${lo(m)} & 0xff)`, `(${lo(m)} & 0xffff)`, lo(m), lo(m), `((${lo(m)} << 24) >> 24)`, `((${lo(m)} << 16) >> 16)`, `(${lo(m)} | 0)`, lo(m)][option]!;
  let hiExpr: string;
  if (option === 3 || option === 7) hiExpr = hi(m);
  else if (option >= 4) hiExpr = `((${v} >> 31) >>> 0)`;
  else hiExpr = '0';
  const prelude = `const ${v} = ${ext32}; const ${v}h = ${hiExpr}; const ${v}l = ${v} >>> 0;`;
  const [l, h] = shift64c(0, `${v}l`, `${v}h`, sh);
  return [prelude, l, h];
}

function addSubExt(sub: boolean, setFlags: boolean): Emitter {
  return (f, site) => {
    const d = setFlags ? dst(fv(f, 'rd')) : sp(fv(f, 'rd'));
    const n = sp(fv(f, 'rn'));
    const m = src(fv(f, 'rm'));
    const sh = fv(f, 'imm3');
    if (sh > 4) return null;
    const [prelude, l, h] = extended(fv(f, 'option'), m, sh, site.id);
    if (!fv(f, 'sf')) return addSub(0, sub, setFlags, d, n, prelude, `(${l} >>> 0)`, '0', site.id);
    return addSub(1, sub, setFlags, d, n, prelude, l, h, site.id);
  };
}

// ---- logical --------------------------------------------------------------------------------

const LOGIC_OPS = ['&', '|', '^', '&'];

function logicalShift(opc: number, invert: boolean): Emitter {
  return (f, site) => {
    const d = dst(fv(f, 'rd'));
    const n = src(fv(f, 'rn'));
    const m = src(fv(f, 'rm'));
    const type = fv(f, 'shift');
    const amt = fv(f, 'imm6');
    const op = LOGIC_OPS[opc]!;
    const id = site.id;
    const inv = (e: string): string => (invert ? `(~${e})` : e);
    if (!fv(f, 'sf')) {
      const r = `r${id}`;
      let code = `{ const m${id} = ${lo(m)}; const ${r} = (${lo(n)} ${op} ${inv(shift32(type, `m${id}`, amt))}) >>> 0;`;
      if (opc === 3) code += flagsLogic32(r);
      return { code: code + write32(d, r) + '}' };
    }
    const [l, h] = shift64c(type, `ml${id}`, `mh${id}`, amt);
    let code =
      `{ const ml${id} = ${lo(m)}; const mh${id} = ${hi(m)};` +
      ` const r${id} = (${lo(n)} ${op} ${inv(l)}) >>> 0; const rh${id} = (${hi(n)} ${op} ${inv(h)}) >>> 0;`;
    if (opc === 3) code += flagsLogic64(`r${id}`, `rh${id}`);
    return { code: code + write64(d, `r${id}`, `rh${id}`) + '}' };
  };
}

function logicalImm(opc: number): Emitter {
  return (f, site) => {
    const setFlags = opc === 3;
    const d = setFlags ? dst(fv(f, 'rd')) : sp(fv(f, 'rd'));
    const n = src(fv(f, 'rn'));
    const [mLo, mHi] = bitmaskImm(fv(f, 'sf'), fv(f, 'N'), fv(f, 'immr'), fv(f, 'imms'));
    const op = LOGIC_OPS[opc]!;
    const id = site.id;
    if (!fv(f, 'sf')) {
      let code = `{ const r${id} = (${lo(n)} ${op} ${u32(mLo)}) >>> 0;`;
      if (setFlags) code += flagsLogic32(`r${id}`);
      return { code: code + write32(d, `r${id}`) + '}' };
    }
    let code = `{ const r${id} = (${lo(n)} ${op} ${u32(mLo)}) >>> 0; const rh${id} = (${hi(n)} ${op} ${u32(mHi)}) >>> 0;`;
    if (setFlags) code += flagsLogic64(`r${id}`, `rh${id}`);
    return { code: code + write64(d, `r${id}`, `rh${id}`) + '}' };
  };
}

// ---- moves, PC-relative addresses, bitfields -------------------------------------------------

function moveWide(invert: boolean): Emitter {
  return (f) => {
    const d = dst(fv(f, 'rd'));
    let v = BigInt(fv(f, 'imm16')) << BigInt(16 * fv(f, 'hw'));
    if (invert) v = ~v;
    v = BigInt.asUintN(fv(f, 'sf') ? 64 : 32, v);
    return { code: write64(d, String(Number(v & 0xffffffffn)), String(Number(v >> 32n))) };
  };
}

const movk: Emitter = (f) => {
  const d = dst(fv(f, 'rd'));
  if (d === XZR_WRITE) return { code: '' };
  const hw = fv(f, 'hw');
  const pos = 16 * (hw & 1);
  const keep = ~(0xffff << pos) >>> 0;
  const ins = (fv(f, 'imm16') << pos) >>> 0;
  const slot = 2 * d + (hw >> 1);
  if (!fv(f, 'sf')) return { code: `${lo(d)} = (${lo(d)} & ${keep}) | ${ins}; ${hi(d)} = 0;` };
  return { code: `x[${slot}] = (x[${slot}] & ${keep}) | ${ins};` };
};

/** Rd <- v, an integer below 2^53 in magnitude (negative values are two's complement). */
function constant(d: number, v: number): Emitted {
  return { code: write64(d, u32(v), u32(Math.floor(v / TWO32))) };
}

const adr: Emitter = (f, site) => {
  const off = (fv(f, 'immhi') * 4 + fv(f, 'immlo'));
  return constant(dst(fv(f, 'rd')), site.pc + off);
};

const adrp: Emitter = (f, site) => {
  const off = (fv(f, 'immhi') * 4 + fv(f, 'immlo')) * 4096;
  return constant(dst(fv(f, 'rd')), Math.floor(site.pc / 4096) * 4096 + off);
};

/** SBFM/BFM/UBFM as the ARM ARM pseudocode: ROR(src, R) AND wmask, merged under tmask. */
function bitfield(kind: number): Emitter {
  return (f, site) => {
    const sf = fv(f, 'sf');
    const size = sf ? 64 : 32;
    const d = dst(fv(f, 'rd'));
    const n = src(fv(f, 'rn'));
    const r = fv(f, 'immr');
    const s = fv(f, 'imms');
    const m = decodeBitMasks(fv(f, 'N'), s, r, false, size);
    if (!m) return null;
    const wt = m.wmask & m.tmask;
    const keep = BigInt.asUintN(size, ~wt);
    const fill = BigInt.asUintN(size, ~m.tmask);
    const L = (v: bigint): string => String(Number(v & 0xffffffffn));
    const Hh = (v: bigint): string => String(Number((v >> 32n) & 0xffffffffn));
    const id = site.id;
    if (!sf) {
      const rot = shift32(3, `v${id}`, r);
      let val = `(${rot} & ${L(wt)})`;
      if (kind === 1) val = `((${lo(d)} & ${L(keep)}) | ${val})`;
      if (kind === 0) val = `(((v${id} >>> ${s & 31}) & 1 ? ${L(fill)} : 0) | ${val})`;
      return { code: `{ const v${id} = ${lo(n)}; ${write32(d, `(${val} >>> 0)`)} }` };
    }
    const [rl, rh] = shift64c(3, `v${id}`, `w${id}`, r);
    let vl = `(${rl} & ${L(wt)})`;
    let vh = `(${rh} & ${Hh(wt)})`;
    if (kind === 1) {
      vl = `((${lo(d)} & ${L(keep)}) | ${vl})`;
      vh = `((${hi(d)} & ${Hh(keep)}) | ${vh})`;
    }
    let pre = '';
    if (kind === 0) {
      pre = `const g${id} = ((${s >= 32 ? `w${id}` : `v${id}`} >>> ${s & 31}) & 1);`;
      vl = `((g${id} ? ${L(fill)} : 0) | ${vl})`;
      vh = `((g${id} ? ${Hh(fill)} : 0) | ${vh})`;
    }
    return { code: `{ const v${id} = ${lo(n)}; const w${id} = ${hi(n)}; ${pre} const p${id} = ${vl} >>> 0; const q${id} = ${vh} >>> 0; ${write64(d, `p${id}`, `q${id}`)} }` };
  };
}

const extr: Emitter = (f, site) => {
  const d = dst(fv(f, 'rd'));
  const n = src(fv(f, 'rn'));
  const m = src(fv(f, 'rm'));
  const lsb = fv(f, 'imms');
  const id = site.id;
  if (!fv(f, 'sf')) {
    if (lsb === 0) return { code: `{ const v${id} = ${lo(m)}; ${write32(d, `v${id}`)} }` };
    return { code: `{ const v${id} = ((${lo(m)} >>> ${lsb}) | (${lo(n)} << ${32 - lsb})) >>> 0; ${write32(d, `v${id}`)} }` };
  }
  const pre = `const ml${id} = ${lo(m)}; const mh${id} = ${hi(m)}; const nl${id} = ${lo(n)}; const nh${id} = ${hi(n)};`;
  if (lsb === 0) return { code: `{ ${pre} ${write64(d, `ml${id}`, `mh${id}`)} }` };
  const [al, ah] = shift64c(1, `ml${id}`, `mh${id}`, lsb);
  const [bl, bh] = shift64c(0, `nl${id}`, `nh${id}`, 64 - lsb);
  return { code: `{ ${pre} const p${id} = (${al} | ${bl}) >>> 0; const q${id} = (${ah} | ${bh}) >>> 0; ${write64(d, `p${id}`, `q${id}`)} }` };
};

// ---- conditional select and compare ------------------------------------------------------

function condSelect(invert: boolean, increment: boolean): Emitter {
  return (f, site) => {
    const d = dst(fv(f, 'rd'));
    const n = src(fv(f, 'rn'));
    const m = src(fv(f, 'rm'));
    const c = condExpr(fv(f, 'cond'));
    const id = site.id;
    const inv = (e: string): string => (invert ? `(~${e} >>> 0)` : e);
    const inc = increment ? 1 : 0;
    if (!fv(f, 'sf')) {
      return { code: `{ const v${id} = ${c} ? ${lo(n)} : ((${inv(lo(m))} + ${inc}) >>> 0); ${write32(d, `v${id}`)} }` };
    }
    if (!invert && !increment) {
      return { code: `{ let l${id}, h${id}; if (${c}) { l${id} = ${lo(n)}; h${id} = ${hi(n)}; } else { l${id} = ${lo(m)}; h${id} = ${hi(m)}; } ${write64(d, `l${id}`, `h${id}`)} }` };
    }
    return {
      code:
        `{ let l${id}, h${id}; if (${c}) { l${id} = ${lo(n)}; h${id} = ${hi(n)}; } else {` +
        ` const t${id} = ${inv(lo(m))} + ${inc}; l${id} = t${id} >>> 0; h${id} = (${inv(hi(m))} + (t${id} > 4294967295 ? 1 : 0)) >>> 0; }` +
        ` ${write64(d, `l${id}`, `h${id}`)} }`,
    };
  };
}

function condCompare(sub: boolean, imm: boolean): Emitter {
  return (f, site) => {
    const n = src(fv(f, 'rn'));
    const m = imm ? 0 : src(fv(f, 'rm'));
    const c = condExpr(fv(f, 'cond'));
    const nzcv = fv(f, 'nzcv');
    const id = site.id;
    const setImm = `cpu.nf = ${(nzcv >> 3) & 1}; cpu.zf = ${(nzcv >> 2) & 1}; cpu.cf = ${(nzcv >> 1) & 1}; cpu.vf = ${nzcv & 1};`;
    const bLo = imm ? String(fv(f, 'imm5')) : lo(m);
    const bHi = imm ? '0' : hi(m);
    const body = addSub(fv(f, 'sf'), sub, true, XZR_WRITE, n, '', bLo, bHi, id).code;
    return { code: `if (${c}) ${body} else { ${setImm} }` };
  };
}

// ---- multiply and variable shifts ----------------------------------------------------------

/**
 * 64-bit MADD/MSUB: Ra +/- the low 64 bits of Rn * Rm on uint32 halves, as
 * exec/alu.ts's mul64: the low words' product from 16-bit pieces with
 * integer operations only, the cross terms through Math.imul (they only
 * reach the high word).
 */
function madd64(sub: boolean, site: EmitSite, d: number, n: number, m: number, a: number): Emitted {
  const i = site.id;
  const code = [
    `{ const nl${i} = ${lo(n)}, nh${i} = ${hi(n)}, ml${i} = ${lo(m)}, mh${i} = ${hi(m)};`,
    `const a0${i} = nl${i} & 0xffff, a1${i} = nl${i} >>> 16, b0${i} = ml${i} & 0xffff, b1${i} = ml${i} >>> 16;`,
    `const p00${i} = a0${i} * b0${i}, p01${i} = a0${i} * b1${i}, p10${i} = a1${i} * b0${i};`,
    `const md${i} = (p00${i} >>> 16) + (p01${i} & 0xffff) + (p10${i} & 0xffff);`,
    `const ph${i} = (a1${i} * b1${i} + (p01${i} >>> 16) + (p10${i} >>> 16) + (md${i} >>> 16) + Math.imul(nl${i}, mh${i}) + Math.imul(nh${i}, ml${i})) >>> 0;`,
    `const pl${i} = Math.imul(nl${i}, ml${i}) >>> 0;`,
    sub
      ? `const s${i} = ${lo(a)} - pl${i}; const rh${i} = (${hi(a)} - ph${i} - (s${i} < 0 ? 1 : 0)) >>> 0;`
      : `const s${i} = ${lo(a)} + pl${i}; const rh${i} = (${hi(a)} + ph${i} + (s${i} >= ${TWO32} ? 1 : 0)) >>> 0;`,
    `${write64(d, `(s${i} >>> 0)`, `rh${i}`)} }`,
  ];
  return { code: code.join(' ') };
}

/** MADD/MSUB, 32- or 64-bit. */
function maddEmitter(sub: boolean): Emitter {
  return (f, site) => {
    if (fv(f, 'sf')) return madd64(sub, site, dst(fv(f, 'rd')), src(fv(f, 'rn')), src(fv(f, 'rm')), src(fv(f, 'ra')));
    const d = dst(fv(f, 'rd'));
    const n = src(fv(f, 'rn'));
    const m = src(fv(f, 'rm'));
    const a = src(fv(f, 'ra'));
    const op = sub ? '-' : '+';
    return { code: `{ const v${site.id} = (${lo(a)} ${op} Math.imul(${lo(n)}, ${lo(m)})) >>> 0; ${write32(d, `v${site.id}`)} }` };
  };
}

function shiftVar(type: number): Emitter {
  return (f, site) => {
    if (fv(f, 'sf')) return null;
    const d = dst(fv(f, 'rd'));
    const n = src(fv(f, 'rn'));
    const m = src(fv(f, 'rm'));
    const id = site.id;
    const v = `v${id}`;
    const s = `s${id}`;
    const exprs = [
      `(${v} << ${s}) >>> 0`,
      `${v} >>> ${s}`,
      `(${v} >> ${s}) >>> 0`,
      `${s} === 0 ? ${v} : ((${v} >>> ${s}) | (${v} << (32 - ${s}))) >>> 0`,
    ];
    return { code: `{ const ${v} = ${lo(n)}; const ${s} = ${lo(m)} & 31; const r${id} = ${exprs[type]}; ${write32(d, `r${id}`)} }` };
  };
}

const rev: Emitter = (f, site) => {
  const d = dst(fv(f, 'rd'));
  const n = src(fv(f, 'rn'));
  const id = site.id;
  const bswap = (e: string): string =>
    `(((${e} >>> 24) | ((${e} >>> 8) & 0xff00) | ((${e} & 0xff00) << 8) | (${e} << 24)) >>> 0)`;
  if (!fv(f, 'sf')) return { code: `{ const v${id} = ${lo(n)}; ${write32(d, bswap(`v${id}`))} }` };
  return { code: `{ const v${id} = ${lo(n)}; const w${id} = ${hi(n)}; ${write64(d, bswap(`w${id}`), bswap(`v${id}`))} }` };
};

// ---- loads and stores --------------------------------------------------------------------------

/*
 * Loads and stores inline the data TLB's hit path (Cpu.paRead/paWrite):
 * the block's prologue (block.ts) holds the tag and base arrays, guest RAM
 * and the EL's TLB half in locals (RT, RB, WT, WB, M8, M32, DV, TO). An
 * access that hits and stays within its page reads or writes RAM directly;
 * anything else (a miss, a fault, a page-crossing access, a watched page,
 * which the TLB never holds) calls the CPU's accessor, which translates,
 * faults or splits the access exactly as the closures do.
 */

/** Locals of one access: vp<id> (page number), ti<id> (TLB index), p<id> (offset in the page). */
function tlbIndex(va: string, id: number): string {
  return `const vp${id} = Math.floor(${va} / ${PAGE_SIZE}); const ti${id} = (vp${id} & ${TLB_MASK}) + TO; const p${id} = ${va} & ${PAGE_MASK};`;
}

/** Whether the access of `bytes` bytes hits the TLB (tags T) and stays in its page. */
function hits(tags: string, bytes: number, id: number): string {
  return bytes === 1 ? `${tags}[ti${id}] === vp${id}` : `${tags}[ti${id}] === vp${id} && p${id} <= ${PAGE_SIZE - bytes}`;
}

/** A uint32 (or smaller) read of 2^size bytes at physical address a<id>, with page offset p<id>. */
function ramRead(size: number, id: number, word = 0): string {
  const a = word ? `a${id} + ${4 * word}` : `a${id}`;
  switch (size) {
    case 0:
      return `M8[${a}]`;
    case 1:
      return `DV.getUint16(${a}, true)`;
    default:
      return `((p${id} & 3) === 0 ? M32[(${a}) >>> 2] : DV.getUint32(${a}, true))`;
  }
}

function ramWrite(size: number, id: number, v: string, word = 0): string {
  const a = word ? `a${id} + ${4 * word}` : `a${id}`;
  switch (size) {
    case 0:
      return `M8[${a}] = ${v};`;
    case 1:
      return `DV.setUint16(${a}, ${v}, true);`;
    default:
      return `if ((p${id} & 3) === 0) M32[(${a}) >>> 2] = ${v}; else DV.setUint32(${a}, ${v}, true);`;
  }
}

/** Integer load of 2^size bytes into slot t: zero-extend (kind 0), sign-extend to 64 (1) or to 32 (2). */
function loadCode(size: number, kind: number, t: number, va: string, id: number): string {
  const head = `${tlbIndex(va, id)} const a${id} = RB[ti${id}] + p${id};`;
  if (size === 3) {
    const set = t === XZR_WRITE ? '' : `${lo(t)} = l${id}; ${hi(t)} = h${id};`;
    return (
      `{ ${head} let l${id}, h${id}; if (${hits('RT', 8, id)}) { l${id} = ${ramRead(2, id)}; h${id} = ${ramRead(2, id, 1)}; }` +
      ` else { l${id} = cpu.read64(${va}); h${id} = cpu.hi; } ${set} }`
    );
  }
  const slow = ['cpu.read8', 'cpu.read16', 'cpu.read32'][size]!;
  const read = `{ ${head} const r${id} = ${hits('RT', 2 ** size, id)} ? ${ramRead(size, id)} : ${slow}(${va});`;
  if (t === XZR_WRITE) return `${read} }`;
  const shiftSign = 32 - 8 * 2 ** size;
  if (kind === 0) return `${read} ${lo(t)} = r${id}; ${hi(t)} = 0; }`;
  const sext = shiftSign === 0 ? `(r${id} | 0)` : `((r${id} << ${shiftSign}) >> ${shiftSign})`;
  if (kind === 1) return `${read} const l${id} = ${sext}; ${lo(t)} = l${id}; ${hi(t)} = l${id} >> 31; }`;
  return `${read} ${lo(t)} = ${sext}; ${hi(t)} = 0; }`;
}

function storeCode(size: number, t: number, va: string, id: number): string {
  const head = `{ ${tlbIndex(va, id)} const a${id} = WB[ti${id}] + p${id};`;
  const v = [`${lo(t)} & 0xff`, `${lo(t)} & 0xffff`, lo(t)][Math.min(size, 2)]!;
  if (size === 3) {
    return (
      `${head} if (${hits('WT', 8, id)}) { ${ramWrite(2, id, lo(t))} ${ramWrite(2, id, hi(t), 1)} }` +
      ` else cpu.write64(${va}, ${lo(t)}, ${hi(t)}); }`
    );
  }
  const slow = ['cpu.write8', 'cpu.write16', 'cpu.write32'][size]!;
  return `${head} if (${hits('WT', 2 ** size, id)}) { ${ramWrite(size, id, v)} } else ${slow}(${va}, ${v}); }`;
}

type IntKindName = 'STR' | 'LDR' | 'LDRS64' | 'LDRS32';

/** Access code for one integer single-register transfer at the address held in local `va`. */
function access(kind: IntKindName, f: Fields, va: string, id: number): string {
  const size = fv(f, 'size');
  const rt = fv(f, 'rt');
  if (kind === 'STR') return storeCode(size, src(rt), va, id);
  return loadCode(size, kind === 'LDR' ? 0 : kind === 'LDRS64' ? 1 : 2, dst(rt), va, id);
}

function singleUimm(kind: IntKindName): Emitter {
  return (f, site) => {
    const n = sp(fv(f, 'rn'));
    const off = fv(f, 'imm12') * 2 ** fv(f, 'size');
    const id = site.id;
    return { code: `{ const va${id} = ${addr(n)} + ${off}; ${access(kind, f, `va${id}`, id)} }`, mayFault: true };
  };
}

function singleUnscaled(kind: IntKindName): Emitter {
  return (f, site) => {
    const n = sp(fv(f, 'rn'));
    const imm = fv(f, 'imm9');
    const id = site.id;
    return { code: `{ const va${id} = ${wrapAddr(`${addr(n)} + ${imm}`, imm < 0)}; ${access(kind, f, `va${id}`, id)} }`, mayFault: true };
  };
}

function singleReg(kind: IntKindName): Emitter {
  return (f, site) => {
    const n = sp(fv(f, 'rn'));
    const m = src(fv(f, 'rm'));
    const option = fv(f, 'option');
    const sh = fv(f, 's') ? fv(f, 'size') : 0;
    const id = site.id;
    // Offset as [lo, hi] halves: UXTW, SXTW or the whole X register.
    const mhi = option === 2 ? '0' : option === 6 ? `(ml${id} >> 31)` : hi(m);
    const olo = sh === 0 ? `ml${id}` : `((ml${id} << ${sh}) >>> 0)`;
    const ohi = sh === 0 ? `mh${id}` : `((mh${id} << ${sh}) | (ml${id} >>> ${32 - sh}))`;
    return {
      code:
        `{ const ml${id} = ${lo(m)}; const mh${id} = ${mhi}; const sl${id} = ${lo(n)} + ${olo};` +
        ` const va${id} = ((${hi(n)} + ${ohi} + (sl${id} >= ${TWO32} ? 1 : 0)) >>> 0) * ${TWO32} + (sl${id} >>> 0);` +
        ` ${access(kind, f, `va${id}`, id)} }`,
      mayFault: true,
    };
  };
}

/** Pre/post-index: the access, then Xn <- old base + imm, computed from the base read first. */
function singleIndexed(kind: IntKindName, pre: boolean): Emitter {
  return (f, site) => {
    const n = sp(fv(f, 'rn'));
    const imm = fv(f, 'imm9');
    const id = site.id;
    const base = `(bh${id} * ${TWO32} + bl${id})`;
    const va = pre ? wrapAddr(`${base} + ${imm}`, imm < 0) : base;
    return {
      code:
        `{ const bl${id} = ${lo(n)}; const bh${id} = ${hi(n)}; const va${id} = ${va}; ${access(kind, f, `va${id}`, id)}` +
        ` const wb${id} = bl${id} + ${imm}; ${lo(n)} = wb${id}; ${hi(n)} = bh${id} + Math.floor(wb${id} / ${TWO32}); }`,
      mayFault: true,
    };
  };
}

/** LDP/STP/LDPSW (integer): probe the whole range first so a fault leaves registers unchanged. */
function pair(op: 'STP' | 'LDP' | 'LDPSW', mode: 'off' | 'pre' | 'post' | 'noalloc'): Emitter {
  return (f, site) => {
    const log2 = op === 'LDPSW' ? 2 : 2 + (fv(f, 'opc') >> 1);
    const es = 2 ** log2;
    const n = sp(fv(f, 'rn'));
    const imm = fv(f, 'imm7') * es;
    const id = site.id;
    const load = op !== 'STP';
    const t = load ? dst(fv(f, 'rt')) : src(fv(f, 'rt'));
    const t2 = load ? dst(fv(f, 'rt2')) : src(fv(f, 'rt2'));
    const kind = op === 'LDPSW' ? 1 : 0;
    const base = `(bh${id} * ${TWO32} + bl${id})`;
    const pre = mode === 'post' ? 0 : imm;
    const va = wrapAddr(`${base} + ${pre}`, pre < 0);
    let body: string;
    if (load) {
      body =
        `cpu.probeRead(va${id}, ${2 * es}); ${loadCode(log2, kind, t2, `va${id} + ${es}`, id * 2 + 1)}` +
        ` ${loadCode(log2, kind, t, `va${id}`, id * 2)}`;
    } else {
      body = `cpu.probeWrite(va${id}, ${2 * es}); ${storeCode(log2, t, `va${id}`, id * 2)} ${storeCode(log2, t2, `va${id} + ${es}`, id * 2 + 1)}`;
    }
    // When the whole pair hits the TLB within one page, no probe is needed: neither access can fault.
    body = `{ ${tlbIndex(`va${id}`, id)} if (!(${hits(load ? 'RT' : 'WT', 2 * es, id)})) { ${body} } else { ${body.replace(/^cpu\.probe\w+\([^;]*\); /, '')} } }`;
    let code = `{ const bl${id} = ${lo(n)}; const bh${id} = ${hi(n)}; const va${id} = ${va}; ${body}`;
    if (mode === 'pre' || mode === 'post') {
      code += ` const wb${id} = bl${id} + ${imm}; ${lo(n)} = wb${id}; ${hi(n)} = bh${id} + Math.floor(wb${id} / ${TWO32});`;
    }
    return { code: code + ' }', mayFault: true };
  };
}

// ---- branches ---------------------------------------------------------------------------------

/** A branch target as the closures compute it (cpu.pc + offset, exact below 2^53). */
const target = (pc: number, off: number): number => pc + off;

/** X30 <- the address after this instruction. */
const link = (pc: number): string => `x[60] = ${u32((pc + 4) % TWO32)}; x[61] = ${Math.floor((pc + 4) / TWO32)};`;

const b: Emitter = (f, site) => ({ code: `cpu.pc = ${target(site.pc, fv(f, 'imm26') * 4)};`, ends: true });
const bl: Emitter = (f, site) => ({ code: `${link(site.pc)} cpu.pc = ${target(site.pc, fv(f, 'imm26') * 4)};`, ends: true });

const bCond: Emitter = (f, site) => ({
  code: `cpu.pc = ${condExpr(fv(f, 'cond'))} ? ${target(site.pc, fv(f, 'imm19') * 4)} : ${site.pc + 4};`,
  ends: true,
});

function compareBranch(zero: boolean): Emitter {
  return (f, site) => {
    const t = src(fv(f, 'rt'));
    const test = fv(f, 'sf') ? `(${lo(t)} | ${hi(t)}) === 0` : `${lo(t)} === 0`;
    const c = zero ? test : `!(${test})`;
    return { code: `cpu.pc = ${c} ? ${target(site.pc, fv(f, 'imm19') * 4)} : ${site.pc + 4};`, ends: true };
  };
}

function testBranch(bitValue: number): Emitter {
  return (f, site) => {
    const bit = (fv(f, 'b5') << 5) | fv(f, 'b40');
    const slot = 2 * src(fv(f, 'rt')) + (bit >>> 5);
    return {
      code: `cpu.pc = ((x[${slot}] >>> ${bit & 31}) & 1) === ${bitValue} ? ${target(site.pc, fv(f, 'imm14') * 4)} : ${site.pc + 4};`,
      ends: true,
    };
  };
}

function branchReg(withLink: boolean): Emitter {
  return (f, site) => {
    const n = src(fv(f, 'rn'));
    // Read the target before linking: BLR X30 jumps to the old X30.
    return { code: `{ const t${site.id} = ${addr(n)}; ${withLink ? link(site.pc) : ''} cpu.pc = t${site.id}; }`, ends: true };
  };
}

const nop: Emitter = () => ({ code: '' });

/** Hints other than WFE, WFI, SEV and SEVL (closures: they exit or set the event register) are NOPs. */
const hint: Emitter = (f) => (fv(f, 'imm7') >= 2 && fv(f, 'imm7') <= 5 ? null : { code: '' });

/** The instructions the translator writes out as JavaScript, by A64 table entry name. */
export const EMITTERS: Readonly<Record<string, Emitter>> = {
  ADD_imm: addSubImm(false, false),
  ADDS_imm: addSubImm(false, true),
  SUB_imm: addSubImm(true, false),
  SUBS_imm: addSubImm(true, true),
  ADD_shift: addSubShift(false, false),
  ADDS_shift: addSubShift(false, true),
  SUB_shift: addSubShift(true, false),
  SUBS_shift: addSubShift(true, true),
  ADD_ext: addSubExt(false, false),
  ADDS_ext: addSubExt(false, true),
  SUB_ext: addSubExt(true, false),
  SUBS_ext: addSubExt(true, true),
  AND_shift: logicalShift(0, false),
  BIC_shift: logicalShift(0, true),
  ORR_shift: logicalShift(1, false),
  ORN_shift: logicalShift(1, true),
  EOR_shift: logicalShift(2, false),
  EON_shift: logicalShift(2, true),
  ANDS_shift: logicalShift(3, false),
  BICS_shift: logicalShift(3, true),
  AND_imm: logicalImm(0),
  ORR_imm: logicalImm(1),
  EOR_imm: logicalImm(2),
  ANDS_imm: logicalImm(3),
  MOVZ: moveWide(false),
  MOVN: moveWide(true),
  MOVK: movk,
  ADR: adr,
  ADRP: adrp,
  SBFM: bitfield(0),
  BFM: bitfield(1),
  UBFM: bitfield(2),
  EXTR: extr,
  CSEL: condSelect(false, false),
  CSINC: condSelect(false, true),
  CSINV: condSelect(true, false),
  CSNEG: condSelect(true, true),
  CCMN_reg: condCompare(false, false),
  CCMP_reg: condCompare(true, false),
  CCMN_imm: condCompare(false, true),
  CCMP_imm: condCompare(true, true),
  MADD: maddEmitter(false),
  MSUB: maddEmitter(true),
  LSLV: shiftVar(0),
  LSRV: shiftVar(1),
  ASRV: shiftVar(2),
  RORV: shiftVar(3),
  REV: rev,
  STR_uimm: singleUimm('STR'),
  LDR_uimm: singleUimm('LDR'),
  LDRS64_uimm: singleUimm('LDRS64'),
  LDRS32_uimm: singleUimm('LDRS32'),
  STUR: singleUnscaled('STR'),
  LDUR: singleUnscaled('LDR'),
  LDURS64: singleUnscaled('LDRS64'),
  LDURS32: singleUnscaled('LDRS32'),
  STR_reg: singleReg('STR'),
  LDR_reg: singleReg('LDR'),
  LDRS64_reg: singleReg('LDRS64'),
  LDRS32_reg: singleReg('LDRS32'),
  STR_pre: singleIndexed('STR', true),
  LDR_pre: singleIndexed('LDR', true),
  LDRS64_pre: singleIndexed('LDRS64', true),
  LDRS32_pre: singleIndexed('LDRS32', true),
  STR_post: singleIndexed('STR', false),
  LDR_post: singleIndexed('LDR', false),
  LDRS64_post: singleIndexed('LDRS64', false),
  LDRS32_post: singleIndexed('LDRS32', false),
  STP_off: pair('STP', 'off'),
  LDP_off: pair('LDP', 'off'),
  LDPSW_off: pair('LDPSW', 'off'),
  STP_pre: pair('STP', 'pre'),
  LDP_pre: pair('LDP', 'pre'),
  LDPSW_pre: pair('LDPSW', 'pre'),
  STP_post: pair('STP', 'post'),
  LDP_post: pair('LDP', 'post'),
  LDPSW_post: pair('LDPSW', 'post'),
  STNP: pair('STP', 'noalloc'),
  LDNP: pair('LDP', 'noalloc'),
  B: b,
  BL: bl,
  B_cond: bCond,
  CBZ: compareBranch(true),
  CBNZ: compareBranch(false),
  TBZ: testBranch(0),
  TBNZ: testBranch(1),
  BR: branchReg(false),
  BLR: branchReg(true),
  RET: branchReg(false),
  HINT: hint,
  DMB: nop,
  DSB: nop,
  PRFM_uimm: nop,
  PRFM_reg: nop,
  PRFUM: nop,
};
