/**
 * Interpreter semantics for the Advanced SIMD integer instructions of
 * table/simd-int.ts (ARM ARM C7.2 pseudocode: SignedSatQ, the rounding
 * shifts, RecipEstimate...).
 *
 * Dot products and the SQDMULH/RDM family use a lane engine over numbers
 * (products of two 32-bit lanes go through BigInt). The rest goes through
 * one shape-driven engine (same size, long, narrow, scalar, by element)
 * whose lanes are BigInts, exact for 64-bit lanes and shifts by up to 127,
 * with a number path taken when every lane involved is at most 32 bits and
 * the op's intermediates stay exact in a double. A scalar form is one lane
 * with the rest of Vd zeroed; a 64-bit vector form zeroes the top half.
 * FPSR.QC is set by every saturating form.
 */
import { intElemRegIndex } from '../../../domain/a64/table/simd.js';
import type { Fields } from '../../../domain/a64/pattern.js';
import type { Cpu, Exec } from '../cpu.js';
import { clearHigh, FPSR_QC, readLane, view, writeLane } from './simd-lanes.js';
import type { ExecBuilder, ExecTable } from './types.js';

type Op = (a: number, b: number, d: number, cpu: Cpu) => number;

interface Shape {
  /** Lane size 0..3 (lanes of size 3 are exact only below 2^53 here). */
  size: number;
  signed: boolean;
  /** 'vec': lanes by Q; 'scalar': lane 0 only; 'elem'/'elem_scalar': Vm is one fixed element. */
  form: 'vec' | 'scalar' | 'elem' | 'elem_scalar';
}

/** Build the closure for one lane-wise integer instruction. */
export function laneOp(f: Fields, shape: Shape, op: Op): Exec {
  const { size, signed, form } = shape;
  const d = f.rd!;
  const n = f.rn!;
  const scalar = form === 'scalar' || form === 'elem_scalar';
  const q = scalar ? 1 : f.q!;
  const lanes = scalar ? 1 : (q ? 16 : 8) >> size;
  const byElem = form === 'elem' || form === 'elem_scalar';
  const [m, idx] = byElem ? intElemRegIndex(f) : [f.rm!, -1];
  return (cpu) => {
    const fixed = byElem ? readLane(cpu, m, size, idx, signed) : 0;
    for (let i = 0; i < lanes; i++) {
      const a = readLane(cpu, n, size, i, signed);
      const b = byElem ? fixed : readLane(cpu, m, size, i, signed);
      const old = readLane(cpu, d, size, i, signed);
      writeLane(cpu, d, size, i, op(a, b, old, cpu));
    }
    if (scalar) zeroAbove(cpu, d, 1 << size);
    else if (!q) clearHigh(cpu, d);
  };
}

/** Zero bytes `from`..15 of Vd (scalar results). */
export function zeroAbove(cpu: Cpu, d: number, from: number): void {
  const vb = cpu.vb;
  for (let i = from; i < 16; i++) vb[16 * d + i] = 0;
}

/** Saturate to a signed `bits`-wide lane, setting FPSR.QC when it clips. */
export function satS(cpu: Cpu, v: number, bits: number): number {
  const hi = 2 ** (bits - 1) - 1;
  if (v > hi) { cpu.fpsr |= FPSR_QC; return hi; }
  if (v < -hi - 1) { cpu.fpsr |= FPSR_QC; return -hi - 1; }
  return v;
}

export function satSBig(cpu: Cpu, v: bigint, bits: number): bigint {
  const hi = (1n << BigInt(bits - 1)) - 1n;
  if (v > hi) { cpu.fpsr |= FPSR_QC; return hi; }
  if (v < -hi - 1n) { cpu.fpsr |= FPSR_QC; return -hi - 1n; }
  return v;
}

/**
 * The doubling multiply family at lane width `bits` (16 or 32):
 * SignedSatQ(((d << bits) +/- 2ab + round) >> bits), with d = 0 for
 * SQDMULH/SQRDMULH and `round` = 1 << (bits - 1) for the rounding forms.
 */
function doublingHigh(bits: number, round: boolean, acc: 0 | 1 | -1): Op {
  const keep = acc === 0 ? 0 : 1;
  if (bits === 16) {
    const r = round ? 1 << 15 : 0;
    return (a, b, d, cpu) => satS(cpu, Math.floor((keep * d * 65536 + (acc < 0 ? -2 : 2) * a * b + r) / 65536), 16);
  }
  const B = BigInt(bits);
  const r = round ? 1n << (B - 1n) : 0n;
  return (a, b, d, cpu) => {
    const p = 2n * BigInt(a) * BigInt(b);
    const v = ((BigInt(keep) * BigInt(d)) << B) + (acc < 0 ? -p : p) + r;
    return Number(satSBig(cpu, v >> B, bits));
  };
}

function doubling(form: Shape['form'], round: boolean, acc: 0 | 1 | -1): ExecBuilder {
  return (f) => laneOp(f, { size: f.size!, signed: true, form }, doublingHigh(8 << f.size!, round, acc));
}

/** SDOT/UDOT: each 32-bit lane of Vd gains the dot product of four byte pairs. */
function dotProduct(signed: boolean, byElem: boolean): ExecBuilder {
  return (f) => {
    const d = f.rd!;
    const n = f.rn!;
    const m = byElem ? (f.m! << 4) | f.rm! : f.rm!;
    const group = byElem ? (f.h! << 1) | f.l! : -1;
    const lanes = f.q ? 4 : 2;
    const q = f.q!;
    const res = new Int32Array(4);
    const ext = signed ? (x: number): number => (x << 24) >> 24 : (x: number): number => x;
    return (cpu) => {
      const vb = cpu.vb;
      for (let i = 0; i < lanes; i++) {
        const mb = 16 * m + 4 * (byElem ? group : i);
        let s = 0;
        for (let k = 0; k < 4; k++) s += ext(vb[16 * n + 4 * i + k]!) * ext(vb[mb + k]!);
        res[i] = s;
      }
      const vs = cpu.vs;
      for (let i = 0; i < lanes; i++) vs[4 * d + i] = (vs[4 * d + i]! + res[i]!) >>> 0;
      if (!q) clearHigh(cpu, d);
    };
  };
}

const dotRdmExec: ExecTable = {
  SDOT_vec: dotProduct(true, false),
  UDOT_vec: dotProduct(false, false),
  SDOT_elem: dotProduct(true, true),
  UDOT_elem: dotProduct(false, true),

  SQDMULH_vec: doubling('vec', false, 0),
  SQRDMULH_vec: doubling('vec', true, 0),
  SQDMULH_scalar: doubling('scalar', false, 0),
  SQRDMULH_scalar: doubling('scalar', true, 0),
  SQDMULH_elem: doubling('elem', false, 0),
  SQRDMULH_elem: doubling('elem', true, 0),
  SQDMULH_elem_scalar: doubling('elem_scalar', false, 0),
  SQRDMULH_elem_scalar: doubling('elem_scalar', true, 0),

  SQRDMLAH_vec: doubling('vec', true, 1),
  SQRDMLSH_vec: doubling('vec', true, -1),
  SQRDMLAH_scalar: doubling('scalar', true, 1),
  SQRDMLSH_scalar: doubling('scalar', true, -1),
  SQRDMLAH_elem: doubling('elem', true, 1),
  SQRDMLSH_elem: doubling('elem', true, -1),
  SQRDMLAH_elem_scalar: doubling('elem_scalar', true, 1),
  SQRDMLSH_elem_scalar: doubling('elem_scalar', true, -1),
};

// ---- the rest of the integer set: a BigInt lane engine -------------------------------------
//
// These forms mix lane widths (long, narrow, scalar) and need exact 64-bit
// and 128-bit intermediates (saturating shifts by up to 127, doubling
// products), so their lanes are BigInts. They are rarer than the forms
// simd.ts runs on numbers.

type BigOp = (a: bigint, b: bigint, d: bigint, cpu: Cpu) => bigint;

function readBig(cpu: Cpu, r: number, size: number, i: number, signed: boolean): bigint {
  let v: bigint;
  if (size === 3) v = cpu.vd[2 * r + i]!;
  else if (size === 2) v = BigInt(cpu.vs[4 * r + i]!);
  else if (size === 1) v = BigInt(cpu.vh[8 * r + i]!);
  else v = BigInt(cpu.vb[16 * r + i]!);
  return signed ? BigInt.asIntN(8 << size, v) : v;
}

function writeBig(cpu: Cpu, r: number, size: number, i: number, v: bigint): void {
  const u = BigInt.asUintN(8 << size, v);
  if (size === 3) cpu.vd[2 * r + i] = u;
  else if (size === 2) cpu.vs[4 * r + i] = Number(u);
  else if (size === 1) cpu.vh[8 * r + i] = Number(u);
  else cpu.vb[16 * r + i] = Number(u);
}

/** Operand layout of one instruction shape. */
interface BigShape {
  lanes: number;
  /** Destination register, lane size, first lane, and whether its old value is signed. */
  d: number; dSize: number; dOff: number; dSigned: boolean;
  n: number; nSize: number; nOff: number; nSigned: boolean;
  /** Vm lane size/first lane, or a fixed element (elem >= 0); m < 0: no Vm. */
  m: number; mSize: number; mOff: number; mSigned: boolean; elem: number;
  /** After the lanes: 'q0' zero bytes 8..15; 'scalar' zero above lane 0; 'none' keep. */
  tail: 'q0' | 'scalar' | 'none';
}

const A = new Array<bigint>(16).fill(0n);
const Bv = new Array<bigint>(16).fill(0n);
const D = new Array<bigint>(16).fill(0n);

type NumOp = (a: number, b: number, d: number, cpu: Cpu) => number;

const NA = new Float64Array(16);
const NB = new Float64Array(16);
const ND = new Float64Array(16);

/** Lane `i` of a typed view, sign-extended from `bits` when `signed`. */
const sx = (v: number, bits: number, signed: boolean): number => (signed ? (bits === 32 ? v | 0 : (v << (32 - bits)) >> (32 - bits)) : v);

/**
 * The number path of the engine, for shapes whose lanes are all 8..32 bits
 * and ops whose intermediates stay exact in a double (the callers make sure
 * of that). Results are stored through typed views, which wrap them.
 */
function numLanes(s: BigShape, op: NumOp): Exec {
  const nBits = 8 << s.nSize, mBits = 8 << s.mSize, dBits = 8 << s.dSize;
  const nBase = s.n * (16 >> s.nSize) + s.nOff;
  const mBase = s.m * (16 >> s.mSize) + (s.elem >= 0 ? s.elem : s.mOff);
  const dBase = s.d * (16 >> s.dSize) + s.dOff;
  const { lanes, nSize, mSize, dSize, nSigned, mSigned, dSigned, elem, tail } = s;
  const hasM = s.m >= 0;
  return (cpu) => {
    const nv = view(cpu, nSize), mv = view(cpu, mSize), dv = view(cpu, dSize);
    for (let i = 0; i < lanes; i++) {
      NA[i] = sx(nv[nBase + i]!, nBits, nSigned);
      NB[i] = hasM ? sx(mv[mBase + (elem >= 0 ? 0 : i)]!, mBits, mSigned) : 0;
      ND[i] = sx(dv[dBase + i]!, dBits, dSigned);
    }
    for (let i = 0; i < lanes; i++) dv[dBase + i] = op(NA[i]!, NB[i]!, ND[i]!, cpu);
    if (tail === 'scalar') zeroAbove(cpu, s.d, 1 << dSize);
    else if (tail === 'q0') clearHigh(cpu, s.d);
  };
}

/** BigInt lanes, or the number path when one is given and every lane fits 32 bits. */
function bigLanes(s: BigShape, op: BigOp, num?: NumOp): Exec {
  if (num && Math.max(s.dSize, s.nSize, s.mSize) <= 2) return numLanes(s, num);
  return (cpu) => {
    const fixed = s.elem >= 0 ? readBig(cpu, s.m, s.mSize, s.elem, s.mSigned) : 0n;
    for (let i = 0; i < s.lanes; i++) {
      A[i] = readBig(cpu, s.n, s.nSize, s.nOff + i, s.nSigned);
      Bv[i] = s.m < 0 ? 0n : s.elem >= 0 ? fixed : readBig(cpu, s.m, s.mSize, s.mOff + i, s.mSigned);
      D[i] = readBig(cpu, s.d, s.dSize, s.dOff + i, s.dSigned);
    }
    for (let i = 0; i < s.lanes; i++) writeBig(cpu, s.d, s.dSize, s.dOff + i, op(A[i]!, Bv[i]!, D[i]!, cpu));
    if (s.tail === 'scalar') zeroAbove(cpu, s.d, 1 << s.dSize);
    else if (s.tail === 'q0') clearHigh(cpu, s.d);
  };
}

/** Saturate to a `bits`-wide signed or unsigned lane, setting FPSR.QC when it clips. */
function satN(cpu: Cpu, v: number, bits: number, signed: boolean): number {
  const lo = signed ? -(2 ** (bits - 1)) : 0;
  const hi = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  if (v > hi) { cpu.fpsr |= FPSR_QC; return hi; }
  if (v < lo) { cpu.fpsr |= FPSR_QC; return lo; }
  return v;
}

function shlN(a: number, sh: number, round: boolean): number {
  if (sh >= 0) return a * 2 ** sh;
  const r = 2 ** -sh;
  return round ? Math.floor((a + r / 2) / r) : Math.floor(a / r);
}

function sat(cpu: Cpu, v: bigint, bits: number, signed: boolean): bigint {
  const B = BigInt(bits);
  const lo = signed ? -(1n << (B - 1n)) : 0n;
  const hi = signed ? (1n << (B - 1n)) - 1n : (1n << B) - 1n;
  if (v > hi) { cpu.fpsr |= FPSR_QC; return hi; }
  if (v < lo) { cpu.fpsr |= FPSR_QC; return lo; }
  return v;
}

/** Shift left by a signed amount (negative: arithmetic right), rounding right shifts when asked. */
function shl(a: bigint, sh: number, round: boolean): bigint {
  if (sh >= 0) return a << BigInt(sh);
  const r = BigInt(-sh);
  return round ? (a + (1n << (r - 1n))) >> r : a >> r;
}

/** Same-size lanes: vector (by Q) or scalar. */
function sameShape(f: Fields, scalar: boolean, signed: boolean, size = f.size!, mSigned = signed, dSigned = signed): BigShape {
  return {
    lanes: scalar ? 1 : (f.q ? 16 : 8) >> size,
    d: f.rd!, dSize: size, dOff: 0, dSigned,
    n: f.rn!, nSize: size, nOff: 0, nSigned: signed,
    m: f.rm ?? -1, mSize: size, mOff: 0, mSigned, elem: -1,
    tail: scalar ? 'scalar' : f.q ? 'none' : 'q0',
  };
}

const same3 = (signed: boolean, scalar: boolean, op: (bits: number) => BigOp, num?: (bits: number) => NumOp): ExecBuilder =>
  (f) => bigLanes(sameShape(f, scalar, signed), op(8 << f.size!), num?.(8 << f.size!));

/** Shift by the signed low byte of the Vm lane: plain, rounding, saturating. */
const regShift = (signed: boolean, round: boolean, saturating: boolean) => (bits: number): BigOp =>
  (a, b, _d, cpu) => {
    const v = shl(a, Number(BigInt.asIntN(8, b)), round);
    return saturating ? sat(cpu, v, bits, signed) : v;
  };

/** The same on numbers: a * 2^sh is exact for any shift, and a rounding right shift by more than 33 is 0 either way. */
const regShiftN = (signed: boolean, round: boolean, saturating: boolean) => (bits: number): NumOp =>
  (a, b, _d, cpu) => {
    const v = shlN(a, (b << 24) >> 24, round);
    return saturating ? satN(cpu, v, bits, signed) : v;
  };

/** Unary same-size op (Vm unused). */
function unaryBig(signed: boolean, scalar: boolean, op: (bits: number) => BigOp, dSigned = signed, num?: (bits: number) => NumOp): ExecBuilder {
  return (f) => bigLanes({ ...sameShape(f, scalar, signed, f.size!, signed, dSigned), m: -1 }, op(8 << f.size!), num?.(8 << f.size!));
}

/** Shift-immediate shapes: lane size from immh, and the shift amount. */
function shiftBig(scalar: boolean, signed: boolean, kind: 'right' | 'left' | 'narrow', op: (sh: number, bits: number) => BigOp, dSigned = signed, num?: (sh: number, bits: number) => NumOp): ExecBuilder {
  return (f) => {
    const s = 31 - Math.clz32(f.immh!);
    const immhb = (f.immh! << 3) | f.immb!;
    const sh = kind === 'left' ? immhb - (8 << s) : (16 << s) - immhb;
    if (kind !== 'narrow') return bigLanes({ ...sameShape(f, scalar, signed, s, signed, dSigned), m: -1 }, op(sh, 8 << s), num?.(sh, 8 << s));
    const lanes = scalar ? 1 : 8 >> s;
    return bigLanes({
      lanes, d: f.rd!, dSize: s, dOff: scalar ? 0 : f.q ? lanes : 0, dSigned: false,
      n: f.rn!, nSize: s + 1, nOff: 0, nSigned: signed,
      m: -1, mSize: 0, mOff: 0, mSigned: false, elem: -1,
      tail: scalar ? 'scalar' : f.q ? 'none' : 'q0',
    }, op(sh, 8 << s), num?.(sh, 8 << s));
  };
}

/** Long shapes (three-different and by-element): sources of size s from half Q, destination size s+1. */
function longBig(scalar: boolean, signed: boolean, byElem: boolean, op: (bits: number) => BigOp, num?: (bits: number) => NumOp): ExecBuilder {
  return (f) => {
    const s = f.size!;
    const lanes = scalar ? 1 : 8 >> s;
    const off = scalar ? 0 : f.q ? lanes : 0;
    const [m, elem] = byElem ? intElemRegIndex(f) : [f.rm!, -1];
    return bigLanes({
      lanes, d: f.rd!, dSize: s + 1, dOff: 0, dSigned: signed,
      n: f.rn!, nSize: s, nOff: off, nSigned: signed,
      m, mSize: s, mOff: off, mSigned: signed, elem,
      tail: scalar ? 'scalar' : 'none',
    }, op(8 << s), num?.(8 << s));
  };
}

/** Same-size by-element (MLA/MLS). */
function elemBig(op: BigOp, num: NumOp): ExecBuilder {
  return (f) => {
    const [m, elem] = intElemRegIndex(f);
    return bigLanes({ ...sameShape(f, false, false), m, elem }, op, num);
  };
}

/** Saturating doubling long multiply-accumulate: sat(d + acc * sat(2ab)). */
const sqdml = (acc: 0 | 1 | -1) => (bits: number): BigOp => (a, b, d, cpu) => {
  const p = sat(cpu, 2n * a * b, 2 * bits, true);
  return acc === 0 ? p : sat(cpu, d + (acc > 0 ? p : -p), 2 * bits, true);
};

/** The number form, used for 16-bit sources only (2ab and the sum stay below 2^34). */
const sqdmlN = (acc: 0 | 1 | -1) => (bits: number): NumOp => (a, b, d, cpu) => {
  const p = satN(cpu, 2 * a * b, 2 * bits, true);
  return acc === 0 ? p : satN(cpu, d + (acc > 0 ? p : -p), 2 * bits, true);
};

/** Narrowing high half of a sum/difference with rounding (RADDHN/RSUBHN). */
function highNarrow(sub: boolean): ExecBuilder {
  return (f) => {
    const s = f.size!;
    const lanes = 8 >> s;
    const bits = BigInt(8 << s);
    return bigLanes({
      lanes, d: f.rd!, dSize: s, dOff: f.q ? lanes : 0, dSigned: false,
      n: f.rn!, nSize: s + 1, nOff: 0, nSigned: false,
      m: f.rm!, mSize: s + 1, mOff: 0, mSigned: false, elem: -1,
      tail: f.q ? 'none' : 'q0',
    }, (a, b) => ((sub ? a - b : a + b) + (1n << (bits - 1n))) >> bits,
    (a, b) => Math.floor(((sub ? a - b : a + b) + 2 ** (8 << s) / 2) / 2 ** (8 << s)));
  };
}

/** Scalar saturating narrow (size = destination). */
function narrowSat(signedIn: boolean, signedOut: boolean): ExecBuilder {
  return (f) => {
    const s = f.size!;
    return bigLanes({
      lanes: 1, d: f.rd!, dSize: s, dOff: 0, dSigned: false,
      n: f.rn!, nSize: s + 1, nOff: 0, nSigned: signedIn,
      m: -1, mSize: 0, mOff: 0, mSigned: false, elem: -1, tail: 'scalar',
    }, (a, _b, _d, cpu) => sat(cpu, a, 8 << s, signedOut), (a, _b, _d, cpu) => satN(cpu, a, 8 << s, signedOut));
  };
}

const pmul8 = (a: bigint, b: bigint): bigint => {
  let p = 0;
  const x = Number(a);
  const y = Number(b);
  for (let k = 0; k < 8; k++) if ((y >> k) & 1) p ^= x << k;
  return BigInt(p & 0xff);
};

const pmul8N = (x: number, y: number): number => {
  let p = 0;
  for (let k = 0; k < 8; k++) if ((y >> k) & 1) p ^= x << k;
  return p & 0xff;
};

const abs = (v: bigint): bigint => (v < 0n ? -v : v);
const cmpZero = (t: (a: bigint) => boolean): ExecBuilder => unaryBig(true, true, () => (a) => (t(a) ? -1n : 0n));

const integerExec: ExecTable = {
  SHADD_vec: same3(true, false, () => (a, b) => (a + b) >> 1n, () => (a, b) => Math.floor((a + b) / 2)),
  UHADD_vec: same3(false, false, () => (a, b) => (a + b) >> 1n, () => (a, b) => Math.floor((a + b) / 2)),
  SRHADD_vec: same3(true, false, () => (a, b) => (a + b + 1n) >> 1n, () => (a, b) => Math.floor((a + b + 1) / 2)),
  URHADD_vec: same3(false, false, () => (a, b) => (a + b + 1n) >> 1n, () => (a, b) => Math.floor((a + b + 1) / 2)),
  SHSUB_vec: same3(true, false, () => (a, b) => (a - b) >> 1n, () => (a, b) => Math.floor((a - b) / 2)),
  UHSUB_vec: same3(false, false, () => (a, b) => (a - b) >> 1n, () => (a, b) => Math.floor((a - b) / 2)),
  SQSHL_vec: same3(true, false, regShift(true, false, true), regShiftN(true, false, true)),
  UQSHL_vec: same3(false, false, regShift(false, false, true), regShiftN(false, false, true)),
  SRSHL_vec: same3(true, false, regShift(true, true, false), regShiftN(true, true, false)),
  URSHL_vec: same3(false, false, regShift(false, true, false), regShiftN(false, true, false)),
  SQRSHL_vec: same3(true, false, regShift(true, true, true), regShiftN(true, true, true)),
  UQRSHL_vec: same3(false, false, regShift(false, true, true), regShiftN(false, true, true)),
  SABA_vec: same3(true, false, () => (a, b, d) => d + abs(a - b), () => (a, b, d) => d + Math.abs(a - b)),
  UABA_vec: same3(false, false, () => (a, b, d) => d + abs(a - b), () => (a, b, d) => d + Math.abs(a - b)),
  PMUL_vec: same3(false, false, () => pmul8, () => pmul8N),

  SQADD_scalar: same3(true, true, (bits) => (a, b, _d, cpu) => sat(cpu, a + b, bits, true), (bits) => (a, b, _d, cpu) => satN(cpu, a + b, bits, true)),
  UQADD_scalar: same3(false, true, (bits) => (a, b, _d, cpu) => sat(cpu, a + b, bits, false), (bits) => (a, b, _d, cpu) => satN(cpu, a + b, bits, false)),
  SQSUB_scalar: same3(true, true, (bits) => (a, b, _d, cpu) => sat(cpu, a - b, bits, true), (bits) => (a, b, _d, cpu) => satN(cpu, a - b, bits, true)),
  UQSUB_scalar: same3(false, true, (bits) => (a, b, _d, cpu) => sat(cpu, a - b, bits, false), (bits) => (a, b, _d, cpu) => satN(cpu, a - b, bits, false)),
  SSHL_scalar: same3(true, true, regShift(true, false, false), regShiftN(true, false, false)),
  USHL_scalar: same3(false, true, regShift(false, false, false), regShiftN(false, false, false)),
  SQSHL_scalar: same3(true, true, regShift(true, false, true), regShiftN(true, false, true)),
  UQSHL_scalar: same3(false, true, regShift(false, false, true), regShiftN(false, false, true)),
  SRSHL_scalar: same3(true, true, regShift(true, true, false), regShiftN(true, true, false)),
  URSHL_scalar: same3(false, true, regShift(false, true, false), regShiftN(false, true, false)),
  SQRSHL_scalar: same3(true, true, regShift(true, true, true), regShiftN(true, true, true)),
  UQRSHL_scalar: same3(false, true, regShift(false, true, true), regShiftN(false, true, true)),

  // SUQADD: signed Vd + unsigned Vn; USQADD: unsigned Vd + signed Vn.
  SUQADD_vec: unaryBig(false, false, (bits) => (a, _b, d, cpu) => sat(cpu, d + a, bits, true), true, (bits) => (a, _b, d, cpu) => satN(cpu, d + a, bits, true)),
  USQADD_vec: unaryBig(true, false, (bits) => (a, _b, d, cpu) => sat(cpu, d + a, bits, false), false, (bits) => (a, _b, d, cpu) => satN(cpu, d + a, bits, false)),
  SQABS_vec: unaryBig(true, false, (bits) => (a, _b, _d, cpu) => sat(cpu, abs(a), bits, true), true, (bits) => (a, _b, _d, cpu) => satN(cpu, Math.abs(a), bits, true)),
  SQNEG_vec: unaryBig(true, false, (bits) => (a, _b, _d, cpu) => sat(cpu, -a, bits, true), true, (bits) => (a, _b, _d, cpu) => satN(cpu, -a, bits, true)),
  SHLL_vec: (f) => {
    const s = f.size!;
    const lanes = 8 >> s;
    return bigLanes({
      lanes, d: f.rd!, dSize: s + 1, dOff: 0, dSigned: false,
      n: f.rn!, nSize: s, nOff: f.q ? lanes : 0, nSigned: false,
      m: -1, mSize: 0, mOff: 0, mSigned: false, elem: -1, tail: 'none',
    }, (a) => a << BigInt(8 << s));
  },
  SUQADD_scalar: unaryBig(false, true, (bits) => (a, _b, d, cpu) => sat(cpu, d + a, bits, true), true),
  USQADD_scalar: unaryBig(true, true, (bits) => (a, _b, d, cpu) => sat(cpu, d + a, bits, false), false),
  SQABS_scalar: unaryBig(true, true, (bits) => (a, _b, _d, cpu) => sat(cpu, abs(a), bits, true)),
  SQNEG_scalar: unaryBig(true, true, (bits) => (a, _b, _d, cpu) => sat(cpu, -a, bits, true)),
  CMGT_zero_scalar: cmpZero((a) => a > 0n),
  CMGE_zero_scalar: cmpZero((a) => a >= 0n),
  CMEQ_zero_scalar: cmpZero((a) => a === 0n),
  CMLE_zero_scalar: cmpZero((a) => a <= 0n),
  CMLT_zero_scalar: cmpZero((a) => a < 0n),
  ABS_scalar: unaryBig(true, true, () => (a) => abs(a)),
  NEG_scalar: unaryBig(true, true, () => (a) => -a),
  SQXTN_scalar: narrowSat(true, true),
  UQXTN_scalar: narrowSat(false, false),
  SQXTUN_scalar: narrowSat(true, false),

  SRSRA_vec: shiftBig(false, true, 'right', (sh) => (a, _b, d) => d + shl(a, -sh, true), true, (sh) => (a, _b, d) => d + shlN(a, -sh, true)),
  URSRA_vec: shiftBig(false, false, 'right', (sh) => (a, _b, d) => d + shl(a, -sh, true), false, (sh) => (a, _b, d) => d + shlN(a, -sh, true)),
  SQSHL_imm_vec: shiftBig(false, true, 'left', (sh, bits) => (a, _b, _d, cpu) => sat(cpu, a << BigInt(sh), bits, true), true, (sh, bits) => (a, _b, _d, cpu) => satN(cpu, a * 2 ** sh, bits, true)),
  UQSHL_imm_vec: shiftBig(false, false, 'left', (sh, bits) => (a, _b, _d, cpu) => sat(cpu, a << BigInt(sh), bits, false), false, (sh, bits) => (a, _b, _d, cpu) => satN(cpu, a * 2 ** sh, bits, false)),
  SQSHLU_vec: shiftBig(false, true, 'left', (sh, bits) => (a, _b, _d, cpu) => sat(cpu, a << BigInt(sh), bits, false), true, (sh, bits) => (a, _b, _d, cpu) => satN(cpu, a * 2 ** sh, bits, false)),
  SQSHRN_vec: shiftBig(false, true, 'narrow', (sh, bits) => (a, _b, _d, cpu) => sat(cpu, shl(a, -sh, false), bits, true), true, (sh, bits) => (a, _b, _d, cpu) => satN(cpu, shlN(a, -sh, false), bits, true)),
  SQRSHRN_vec: shiftBig(false, true, 'narrow', (sh, bits) => (a, _b, _d, cpu) => sat(cpu, shl(a, -sh, true), bits, true), true, (sh, bits) => (a, _b, _d, cpu) => satN(cpu, shlN(a, -sh, true), bits, true)),
  UQSHRN_vec: shiftBig(false, false, 'narrow', (sh, bits) => (a, _b, _d, cpu) => sat(cpu, shl(a, -sh, false), bits, false), false, (sh, bits) => (a, _b, _d, cpu) => satN(cpu, shlN(a, -sh, false), bits, false)),
  UQRSHRN_vec: shiftBig(false, false, 'narrow', (sh, bits) => (a, _b, _d, cpu) => sat(cpu, shl(a, -sh, true), bits, false), false, (sh, bits) => (a, _b, _d, cpu) => satN(cpu, shlN(a, -sh, true), bits, false)),
  SQSHRUN_vec: shiftBig(false, true, 'narrow', (sh, bits) => (a, _b, _d, cpu) => sat(cpu, shl(a, -sh, false), bits, false), true, (sh, bits) => (a, _b, _d, cpu) => satN(cpu, shlN(a, -sh, false), bits, false)),
  SQRSHRUN_vec: shiftBig(false, true, 'narrow', (sh, bits) => (a, _b, _d, cpu) => sat(cpu, shl(a, -sh, true), bits, false), true, (sh, bits) => (a, _b, _d, cpu) => satN(cpu, shlN(a, -sh, true), bits, false)),

  SSRA_scalar: shiftBig(true, true, 'right', (sh) => (a, _b, d) => d + shl(a, -sh, false), true, (sh) => (a, _b, d) => d + shlN(a, -sh, false)),
  USRA_scalar: shiftBig(true, false, 'right', (sh) => (a, _b, d) => d + shl(a, -sh, false), false, (sh) => (a, _b, d) => d + shlN(a, -sh, false)),
  SRSHR_scalar: shiftBig(true, true, 'right', (sh) => (a) => shl(a, -sh, true), true, (sh) => (a) => shlN(a, -sh, true)),
  URSHR_scalar: shiftBig(true, false, 'right', (sh) => (a) => shl(a, -sh, true), false, (sh) => (a) => shlN(a, -sh, true)),
  SRSRA_scalar: shiftBig(true, true, 'right', (sh) => (a, _b, d) => d + shl(a, -sh, true), true, (sh) => (a, _b, d) => d + shlN(a, -sh, true)),
  URSRA_scalar: shiftBig(true, false, 'right', (sh) => (a, _b, d) => d + shl(a, -sh, true), false, (sh) => (a, _b, d) => d + shlN(a, -sh, true)),
  // SRI/SLI keep the destination bits the shifted value does not cover.
  SRI_scalar: shiftBig(true, false, 'right', (sh) => (a, _b, d) => {
    const keep = sh === 64 ? (1n << 64n) - 1n : ~(((1n << 64n) - 1n) >> BigInt(sh));
    return (d & keep) | (a >> BigInt(sh));
  }),
  SLI_scalar: shiftBig(true, false, 'left', (sh) => (a, _b, d) => (d & ((1n << BigInt(sh)) - 1n)) | (a << BigInt(sh))),
  SQSHL_imm_scalar: shiftBig(true, true, 'left', (sh, bits) => (a, _b, _d, cpu) => sat(cpu, a << BigInt(sh), bits, true), true, (sh, bits) => (a, _b, _d, cpu) => satN(cpu, a * 2 ** sh, bits, true)),
  UQSHL_imm_scalar: shiftBig(true, false, 'left', (sh, bits) => (a, _b, _d, cpu) => sat(cpu, a << BigInt(sh), bits, false), false, (sh, bits) => (a, _b, _d, cpu) => satN(cpu, a * 2 ** sh, bits, false)),
  SQSHLU_scalar: shiftBig(true, true, 'left', (sh, bits) => (a, _b, _d, cpu) => sat(cpu, a << BigInt(sh), bits, false), true, (sh, bits) => (a, _b, _d, cpu) => satN(cpu, a * 2 ** sh, bits, false)),
  SQSHRN_scalar: shiftBig(true, true, 'narrow', (sh, bits) => (a, _b, _d, cpu) => sat(cpu, shl(a, -sh, false), bits, true), true, (sh, bits) => (a, _b, _d, cpu) => satN(cpu, shlN(a, -sh, false), bits, true)),
  SQRSHRN_scalar: shiftBig(true, true, 'narrow', (sh, bits) => (a, _b, _d, cpu) => sat(cpu, shl(a, -sh, true), bits, true), true, (sh, bits) => (a, _b, _d, cpu) => satN(cpu, shlN(a, -sh, true), bits, true)),
  UQSHRN_scalar: shiftBig(true, false, 'narrow', (sh, bits) => (a, _b, _d, cpu) => sat(cpu, shl(a, -sh, false), bits, false), false, (sh, bits) => (a, _b, _d, cpu) => satN(cpu, shlN(a, -sh, false), bits, false)),
  UQRSHRN_scalar: shiftBig(true, false, 'narrow', (sh, bits) => (a, _b, _d, cpu) => sat(cpu, shl(a, -sh, true), bits, false), false, (sh, bits) => (a, _b, _d, cpu) => satN(cpu, shlN(a, -sh, true), bits, false)),
  SQSHRUN_scalar: shiftBig(true, true, 'narrow', (sh, bits) => (a, _b, _d, cpu) => sat(cpu, shl(a, -sh, false), bits, false), true, (sh, bits) => (a, _b, _d, cpu) => satN(cpu, shlN(a, -sh, false), bits, false)),
  SQRSHRUN_scalar: shiftBig(true, true, 'narrow', (sh, bits) => (a, _b, _d, cpu) => sat(cpu, shl(a, -sh, true), bits, false), true, (sh, bits) => (a, _b, _d, cpu) => satN(cpu, shlN(a, -sh, true), bits, false)),

  SQDMLAL_vec: longBig(false, true, false, sqdml(1), sqdmlN(1)),
  SQDMLSL_vec: longBig(false, true, false, sqdml(-1), sqdmlN(-1)),
  SQDMULL_vec: longBig(false, true, false, sqdml(0), sqdmlN(0)),
  RADDHN_vec: highNarrow(false),
  RSUBHN_vec: highNarrow(true),
  SQDMLAL_scalar: longBig(true, true, false, sqdml(1), sqdmlN(1)),
  SQDMLSL_scalar: longBig(true, true, false, sqdml(-1), sqdmlN(-1)),
  SQDMULL_scalar: longBig(true, true, false, sqdml(0), sqdmlN(0)),

  MLA_elem: elemBig((a, b, d) => d + a * b, (a, b, d) => d + Math.imul(a, b)),
  MLS_elem: elemBig((a, b, d) => d - a * b, (a, b, d) => d - Math.imul(a, b)),
  SMLAL_elem: longBig(false, true, true, () => (a, b, d) => d + a * b, () => (a, b, d) => d + a * b),
  UMLAL_elem: longBig(false, false, true, () => (a, b, d) => d + a * b, () => (a, b, d) => d + a * b),
  SMLSL_elem: longBig(false, true, true, () => (a, b, d) => d - a * b, () => (a, b, d) => d - a * b),
  UMLSL_elem: longBig(false, false, true, () => (a, b, d) => d - a * b, () => (a, b, d) => d - a * b),
  SMULL_elem: longBig(false, true, true, () => (a, b) => a * b, () => (a, b) => a * b),
  UMULL_elem: longBig(false, false, true, () => (a, b) => a * b, () => (a, b) => a * b),
  SQDMLAL_elem: longBig(false, true, true, sqdml(1), sqdmlN(1)),
  SQDMLSL_elem: longBig(false, true, true, sqdml(-1), sqdmlN(-1)),
  SQDMULL_elem: longBig(false, true, true, sqdml(0), sqdmlN(0)),
  SQDMLAL_elem_scalar: longBig(true, true, true, sqdml(1), sqdmlN(1)),
  SQDMLSL_elem_scalar: longBig(true, true, true, sqdml(-1), sqdmlN(-1)),
  SQDMULL_elem_scalar: longBig(true, true, true, sqdml(0), sqdmlN(0)),
};

// ---- URECPE / URSQRTE ---------------------------------------------------------------------

/** RecipEstimate (ARM ARM): a in 256..511 stands for [0.5, 1.0); the result, 256..511, for [1.0, 2.0). */
function recipEstimate(a: number): number {
  const b = Math.floor(2 ** 19 / (a * 2 + 1));
  return (b + 1) >> 1;
}

/** RecipSqrtEstimate (ARM ARM): a in 128..511 stands for [0.25, 1.0). */
function recipSqrtEstimate(a: number): number {
  const x = a < 256 ? a * 2 + 1 : (((a >> 1) << 1) + 1) * 2;
  let b = 512;
  while (x * (b + 1) * (b + 1) < 2 ** 28) b++;
  return (b + 1) >> 1;
}

function estimate(op: (x: number) => number): ExecBuilder {
  return (f) => {
    const d = 4 * f.rd!;
    const n = 4 * f.rn!;
    const lanes = f.q ? 4 : 2;
    const q = f.q!;
    const rd = f.rd!;
    return (cpu) => {
      const vs = cpu.vs;
      for (let i = 0; i < lanes; i++) vs[d + i] = op(vs[n + i]!);
      if (!q) clearHigh(cpu, rd);
    };
  };
}

export const simdIntExec: ExecTable = {
  ...dotRdmExec,
  ...integerExec,
  URECPE_vec: estimate((x) => (x >>> 31 ? (recipEstimate(x >>> 23) << 23) >>> 0 : 0xffffffff)),
  URSQRTE_vec: estimate((x) => (x >>> 30 ? (recipSqrtEstimate(x >>> 23) << 23) >>> 0 : 0xffffffff)),
};
