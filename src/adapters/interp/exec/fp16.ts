/**
 * Interpreter semantics for half-precision arithmetic (FEAT_FP16): the
 * scalar forms of table/fp16.ts (ftype = 11) and the Advanced SIMD ones on
 * 4 or 8 half lanes. Operands are halfword indices into the register file
 * (`vh`): H lane i of Vn is 8n + i.
 *
 * Values are exact in binary64, so every operation goes through fp-core's
 * exact paths (FPRoundBase in roundBig) with the binary16 format: FPCR.RMode
 * rounds, FPCR.FZ16 flushes denormal inputs (without IDC) and tiny results
 * (UFC), FPCR.DN gives the default NaN 0x7e00, and FPCR.AHP does not apply
 * (FPUnpack and FPRound clear it; only FCVT's conversions honour it). NaN
 * order and quieting follow FPProcessNaNs/FPProcessNaNs3.
 */
import { halfFracBits } from '../../../domain/a64/table/fp16.js';
import { vfpImm } from '../../../domain/a64/table/simd.js';
import type { Fields } from '../../../domain/a64/pattern.js';
import type { Cpu } from '../cpu.js';
import { XZR_READ, XZR_WRITE } from '../regs.js';
import { condHolds } from './cond.js';
import {
  FMT16, FPSR_IOC, FPSR_IXC, Op2, Rnd, addExact, divExact, f16ToNumber, fmaFinite, fpcrRnd, intOut, mulExact, roundBig,
  roundInt, sqrtExact, stepFused, toInt, zeroAbove, type FpRegsH,
} from './fp-core.js';
import { recpe, recpx, rsqrte } from './fp-estimate.js';
import { clearHigh } from './simd-lanes.js';
import type { ExecBuilder, ExecTable } from './types.js';

const FPCR_DN = 1 << 25;
const FPCR_FZ16 = 1 << 19;
const DEFAULT_NAN = 0x7e00;

// ---- operands and results ---------------------------------------------------------------

const isNaN16 = (b: number): boolean => (b & 0x7fff) > 0x7c00;
const isSNaN16 = (b: number): boolean => isNaN16(b) && (b & 0x200) === 0;

/** FPUnpack of half bits: a number (NaN for NaNs); a denormal is zero under FPCR.FZ16 (no IDC for half). */
function unpack(cpu: FpRegsH, b: number): number {
  if ((b & 0x7c00) === 0 && (b & 0x3ff) !== 0 && cpu.fpcr & FPCR_FZ16) return b & 0x8000 ? -0 : 0;
  return f16ToNumber(b);
}

/** The bits of a value that half precision represents exactly (or an infinity, or a signed zero). */
export function halfBits(x: number): number {
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a === Infinity) return sign | 0x7c00;
  if (a === 0) return sign;
  if (a < 2 ** -14) return sign | (a * 2 ** 24);
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  if (2 ** (e + 1) <= a) e++;
  return sign | ((e + 15) << 10) | ((a / 2 ** e - 1) * 1024);
}

/** A NaN operand as the result: quieted (sign flipped when the operation negated it first), or the default NaN. */
function quieted(cpu: FpRegsH, b: number, neg: boolean): number {
  if (cpu.fpcr & FPCR_DN) return DEFAULT_NAN;
  return ((b | 0x200) ^ (neg ? 0x8000 : 0)) & 0xffff;
}

/** FPProcessNaNs3 on up to three operands (-1: absent): the result bits, or -1 when none is a NaN. */
function processNaNs(cpu: FpRegsH, b0: number, b1: number, b2: number, neg0 = false, neg1 = false): number {
  if (b0 >= 0 && isSNaN16(b0)) return (cpu.fpsr |= FPSR_IOC), quieted(cpu, b0, neg0);
  if (b1 >= 0 && isSNaN16(b1)) return (cpu.fpsr |= FPSR_IOC), quieted(cpu, b1, neg1);
  if (b2 >= 0 && isSNaN16(b2)) return (cpu.fpsr |= FPSR_IOC), quieted(cpu, b2, false);
  if (b0 >= 0 && isNaN16(b0)) return quieted(cpu, b0, neg0);
  if (b1 >= 0 && isNaN16(b1)) return quieted(cpu, b1, neg1);
  if (b2 >= 0 && isNaN16(b2)) return quieted(cpu, b2, false);
  return -1;
}

/** The result of an operation: its bits, or the default NaN with Invalid Operation for a NaN value. */
function result(cpu: FpRegsH, r: number): number {
  if (r === r) return halfBits(r);
  cpu.fpsr |= FPSR_IOC;
  return DEFAULT_NAN;
}

const fz16 = (cpu: FpRegsH): boolean => (cpu.fpcr & FPCR_FZ16) !== 0;

// ---- arithmetic on one lane -----------------------------------------------------------------

/** vh[hd] = vh[hn] op vh[hm], as arith2 does for single and double. */
export function arith2H(cpu: FpRegsH, op: Op2, hd: number, hn: number, hm: number): void {
  const vh = cpu.vh;
  const bn = vh[hn]!;
  const bm = vh[hm]!;
  const a = unpack(cpu, bn);
  const b = unpack(cpu, bm);
  const nanA = a !== a;
  const nanB = b !== b;
  if ((op === Op2.MAXNM || op === Op2.MINNM) && nanA !== nanB && !isSNaN16(nanA ? bn : bm)) {
    // FPMaxNum/FPMinNum: one quiet NaN, and the number wins.
    vh[hd] = halfBits(nanA ? b : a);
    return;
  }
  let bits: number;
  if (nanA || nanB) bits = processNaNs(cpu, bn, bm, -1, op === Op2.RECPS || op === Op2.RSQRTS);
  else {
    const mode = fpcrRnd(cpu);
    const fz = fz16(cpu);
    let r: number;
    switch (op) {
      case Op2.ADD: r = addExact(cpu, a, b, FMT16, mode, fz); break;
      case Op2.SUB: case Op2.ABD: r = addExact(cpu, a, -b, FMT16, mode, fz); break;
      case Op2.MUL: case Op2.NMUL: r = mulExact(cpu, a, b, FMT16, mode, fz); break;
      case Op2.MULX:
        r = (a === 0 && b - b !== 0) || (b === 0 && a - a !== 0)
          ? (a < 0 || Object.is(a, -0)) !== (b < 0 || Object.is(b, -0)) ? -2 : 2
          : mulExact(cpu, a, b, FMT16, mode, fz);
        break;
      case Op2.RECPS: r = stepFused(cpu, -a, b, 2, 0, FMT16, mode, fz); break;
      case Op2.RSQRTS: r = stepFused(cpu, -a, b, 3, -1, FMT16, mode, fz); break;
      case Op2.DIV: r = divExact(cpu, a, b, FMT16, mode, fz); break;
      case Op2.MAX: case Op2.MAXNM: r = Math.max(a, b); break;
      default: r = Math.min(a, b);
    }
    bits = result(cpu, r);
  }
  // FNMUL is FPNeg(FPMul()) and FABD FPAbs(FPSub()): NaN results too.
  if (op === Op2.NMUL) bits ^= 0x8000;
  if (op === Op2.ABD) bits &= 0x7fff;
  vh[hd] = bits;
}

/** FPMulAdd: vh[hd] = (±vh[ha]) + (±vh[hn]) * vh[hm], one rounding. */
export function fmaH(cpu: FpRegsH, hd: number, ha: number, hn: number, hm: number, negA: boolean, negN: boolean): void {
  const vh = cpu.vh;
  const ba = vh[ha]!;
  const bn = vh[hn]!;
  const bm = vh[hm]!;
  let c = unpack(cpu, ba);
  let a = unpack(cpu, bn);
  const b = unpack(cpu, bm);
  if (c !== c || a !== a || b !== b) {
    const infZero = (Math.abs(a) === Infinity && b === 0) || (a === 0 && Math.abs(b) === Infinity);
    if (c !== c && !isSNaN16(ba) && infZero) {
      cpu.fpsr |= FPSR_IOC;
      vh[hd] = DEFAULT_NAN;
      return;
    }
    vh[hd] = processNaNs(cpu, ba, bn, bm, negA, negN);
    return;
  }
  if (negA) c = -c;
  if (negN) a = -a;
  const mode = fpcrRnd(cpu);
  let r: number;
  if (a === 0 || b === 0 || a - a !== 0 || b - b !== 0) {
    const p = a * b;
    if (p !== p || (p - p !== 0 && c === -p)) r = NaN;
    else if (p === 0 && c === 0) r = Object.is(p, c) ? c : mode === Rnd.NEGINF ? -0 : 0;
    else r = p - p !== 0 ? p : p === 0 ? c : p + c;
  } else if (c - c !== 0) r = c;
  else r = fmaFinite(cpu, a, b, c, FMT16, mode, fz16(cpu));
  vh[hd] = result(cpu, r);
}

function sqrtH(cpu: FpRegsH, hd: number, hn: number): void {
  const bn = cpu.vh[hn]!;
  const a = unpack(cpu, bn);
  if (a !== a) {
    cpu.vh[hd] = processNaNs(cpu, bn, -1, -1);
    return;
  }
  cpu.vh[hd] = result(cpu, sqrtExact(cpu, a, FMT16, fpcrRnd(cpu), fz16(cpu)));
}

function frintH(cpu: FpRegsH, hd: number, hn: number, mode: Rnd, exact: boolean): void {
  const bn = cpu.vh[hn]!;
  const a = unpack(cpu, bn);
  if (a !== a) {
    cpu.vh[hd] = processNaNs(cpu, bn, -1, -1);
    return;
  }
  if (a - a !== 0) {
    cpu.vh[hd] = bn;
    return;
  }
  const r = roundInt(a, mode);
  if (exact && r !== a) cpu.fpsr |= FPSR_IXC;
  cpu.vh[hd] = halfBits(r);
}

/** FPToFixed of a half: the result words in intOut. */
function toIntH(cpu: FpRegsH, b: number, fbits: number, bits: number, unsigned: boolean, mode: Rnd): void {
  toInt(cpu, unpack(cpu, b), fbits, bits, unsigned, mode, false);
}

/** FixedToFP to half: the integer (lo, hi words; `bits` 16/32/64) / 2^fbits, rounded under the FPCR. */
function fromIntH(cpu: FpRegsH, lo: number, hi: number, bits: number, signed: boolean, fbits: number): number {
  let m: bigint;
  if (bits === 16) m = BigInt(signed ? (lo << 16) >> 16 : lo & 0xffff);
  else if (bits === 32) m = BigInt(signed ? lo | 0 : lo >>> 0);
  else m = signed ? BigInt.asIntN(64, (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)) : (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
  if (m === 0n) return 0;
  const neg = m < 0n;
  const r = roundBig(cpu, neg, neg ? -m : m, -fbits, false, FMT16, fpcrRnd(cpu), fz16(cpu));
  return halfBits(r);
}

/** FPCompare into NZCV (unordered 0011, equal 0110, less 1000, greater 0010). */
function compareH(cpu: Cpu, hn: number, hm: number, zero: boolean, signalAll: boolean): void {
  const bn = cpu.vh[hn]!;
  const bm = zero ? 0 : cpu.vh[hm]!;
  const a = unpack(cpu, bn);
  const b = unpack(cpu, bm);
  if (a !== a || b !== b) {
    if (signalAll || isSNaN16(bn) || isSNaN16(bm)) cpu.fpsr |= FPSR_IOC;
    cpu.nzcv = 0x3 << 28;
    return;
  }
  cpu.nzcv = (a < b ? 0x8 : a === b ? 0x6 : 0x2) << 28;
}

// ---- scratch register file for forms that read other lanes ---------------------------------

const SBUF = new ArrayBuffer(48);
/** S0 = Vn, S1 = Vm, S2 = Vd, as halfword indices 0, 8, 16. */
const SCR: FpRegsH = {
  vs: new Uint32Array(SBUF), vh: new Uint16Array(SBUF), vf32: new Float32Array(SBUF), vf64: new Float64Array(SBUF), fpsr: 0, fpcr: 0,
};

function loadScratch(cpu: Cpu, n: number, m: number, d: number): void {
  for (let k = 0; k < 4; k++) {
    SCR.vs[k] = cpu.vs[4 * n + k]!;
    SCR.vs[4 + k] = cpu.vs[4 * m + k]!;
    SCR.vs[8 + k] = cpu.vs[4 * d + k]!;
  }
  SCR.fpsr = cpu.fpsr;
  SCR.fpcr = cpu.fpcr;
}

function storeScratch(cpu: Cpu, d: number, q: number): void {
  for (let k = 0; k < 4; k++) cpu.vs[4 * d + k] = SCR.vs[8 + k]!;
  cpu.fpsr = SCR.fpsr;
  if (!q) clearHigh(cpu, d);
}

// ---- builders ------------------------------------------------------------------------------

interface HLanes {
  lanes: number;
  q: number;
  scalar: boolean;
}

/** Lanes of a form: 4 or 8 for vectors, 1 for the scalar SIMD forms (named *_scalar_simd_h, *_elem_scalar_h). */
function lanesOf(f: Fields, scalar: boolean): HLanes {
  if (scalar) return { lanes: 1, q: 0, scalar };
  return { lanes: f.q ? 8 : 4, q: f.q!, scalar };
}

/** Finish a write of lanes to Vd: zero the top half for 64-bit vectors, everything above H0 for scalars. */
function finish(cpu: Cpu, d: number, l: HLanes): void {
  if (l.scalar) zeroAbove(cpu, d, 2);
  else if (!l.q) clearHigh(cpu, d);
}

function arithB(op: Op2, scalar = false): ExecBuilder {
  return (f) => {
    const l = lanesOf(f, scalar);
    const d = f.rd!;
    const n = f.rn!;
    const m = f.rm!;
    return (cpu) => {
      for (let i = 0; i < l.lanes; i++) arith2H(cpu, op, 8 * d + i, 8 * n + i, 8 * m + i);
      finish(cpu, d, l);
    };
  };
}

function mlaB(negN: boolean): ExecBuilder {
  return (f) => {
    const l = lanesOf(f, false);
    const d = f.rd!;
    const n = f.rn!;
    const m = f.rm!;
    return (cpu) => {
      for (let i = 0; i < l.lanes; i++) fmaH(cpu, 8 * d + i, 8 * d + i, 8 * n + i, 8 * m + i, false, negN);
      finish(cpu, d, l);
    };
  };
}

/** FADDP/FMAXP/...: the pairs of Vn then of Vm. */
function pairwiseB(op: Op2): ExecBuilder {
  return (f) => {
    const l = lanesOf(f, false);
    const d = f.rd!;
    const n = f.rn!;
    const m = f.rm!;
    const half = l.lanes / 2;
    return (cpu) => {
      loadScratch(cpu, n, m, d);
      for (let i = 0; i < l.lanes; i++) {
        const src = i < half ? 0 : 8;
        const j = 2 * (i % half);
        arith2H(SCR, op, 16 + i, src + j, src + j + 1);
      }
      storeScratch(cpu, d, l.q);
    };
  };
}

/** Scalar pairwise: op(Vn.H[0], Vn.H[1]). */
function pairScalarB(op: Op2): ExecBuilder {
  return (f) => {
    const d = f.rd!;
    const n = f.rn!;
    return (cpu) => {
      loadScratch(cpu, n, n, d);
      for (let k = 0; k < 4; k++) SCR.vs[8 + k] = 0;
      arith2H(SCR, op, 16, 0, 1);
      storeScratch(cpu, d, 1);
    };
  };
}

/** Across lanes: Reduce() halves the vector recursively. */
function acrossB(op: Op2): ExecBuilder {
  return (f) => {
    const lanes = f.q ? 8 : 4;
    const d = f.rd!;
    const n = f.rn!;
    return (cpu) => {
      loadScratch(cpu, n, n, d);
      // Level by level in S1 (halfwords 8..15): the pairs of Vn, then pairs of those, in place.
      for (let i = 0; i < lanes / 2; i++) arith2H(SCR, op, 8 + i, 2 * i, 2 * i + 1);
      for (let width = lanes / 2; width > 1; width /= 2) {
        for (let i = 0; i < width / 2; i++) arith2H(SCR, op, 8 + i, 8 + 2 * i, 8 + 2 * i + 1);
      }
      const r = SCR.vh[8]!;
      for (let k = 0; k < 4; k++) SCR.vs[8 + k] = 0;
      SCR.vh[16] = r;
      storeScratch(cpu, d, 1);
    };
  };
}

/** By element: Vd[i] = Vn[i] op Vm[idx], or Vd[i] ± Vn[i] * Vm[idx]. */
function byElemB(kind: 'mul' | 'mulx' | 'mla' | 'mls', scalar: boolean): ExecBuilder {
  return (f) => {
    const l = lanesOf(f, scalar);
    const d = f.rd!;
    const n = f.rn!;
    const m = f.rm!;
    const idx = 8 + ((f.h! << 2) | (f.l! << 1) | f.m!);
    return (cpu) => {
      loadScratch(cpu, n, m, d);
      for (let i = 0; i < l.lanes; i++) {
        if (kind === 'mul' || kind === 'mulx') arith2H(SCR, kind === 'mul' ? Op2.MUL : Op2.MULX, 16 + i, i, idx);
        else fmaH(SCR, 16 + i, 16 + i, i, idx, false, kind === 'mls');
      }
      if (l.scalar) for (let k = 1; k < 8; k++) SCR.vh[16 + k] = 0;
      storeScratch(cpu, d, l.scalar ? 1 : l.q);
    };
  };
}

/** Lane compares to all ones or zeros; `signal` raises IOC on any NaN, else only on signalling ones. */
function fcmB(test: (a: number, b: number) => boolean, zero: boolean, signal: boolean, abs: boolean, scalar: boolean): ExecBuilder {
  return (f) => {
    const l = lanesOf(f, scalar);
    const d = f.rd!;
    const n = f.rn!;
    const m = zero ? n : f.rm!;
    return (cpu) => {
      const vh = cpu.vh;
      for (let i = 0; i < l.lanes; i++) {
        const bn = vh[8 * n + i]!;
        const bm = zero ? 0 : vh[8 * m + i]!;
        let a = unpack(cpu, bn);
        let b = unpack(cpu, bm);
        if (abs) {
          a = Math.abs(a);
          b = Math.abs(b);
        }
        if ((a !== a || b !== b) && (signal || isSNaN16(bn) || isSNaN16(bm))) cpu.fpsr |= FPSR_IOC;
        vh[8 * d + i] = a === a && b === b && test(a, b) ? 0xffff : 0;
      }
      finish(cpu, d, l);
    };
  };
}

/** FABS/FNEG (vector): sign-bit operations, no NaN processing. */
function signB(and: number, xor: number): ExecBuilder {
  return (f) => {
    const l = lanesOf(f, false);
    const d = f.rd!;
    const n = f.rn!;
    return (cpu) => {
      for (let i = 0; i < l.lanes; i++) cpu.vh[8 * d + i] = (cpu.vh[8 * n + i]! & and) ^ xor;
      finish(cpu, d, l);
    };
  };
}

function unaryB(fn: (cpu: Cpu, hd: number, hn: number) => void, scalar: boolean): ExecBuilder {
  return (f) => {
    const l = lanesOf(f, scalar);
    const d = f.rd!;
    const n = f.rn!;
    return (cpu) => {
      for (let i = 0; i < l.lanes; i++) fn(cpu, 8 * d + i, 8 * n + i);
      finish(cpu, d, l);
    };
  };
}

const frintB = (mode: Rnd | -1, exact: boolean, scalar: boolean): ExecBuilder =>
  unaryB((cpu, hd, hn) => frintH(cpu, hd, hn, mode === -1 ? fpcrRnd(cpu) : mode, exact), scalar);

/** FCVT<mode>S/U on half lanes (16-bit integers); `fixed` takes fbits from ih:immb. */
function toIntLanesB(mode: Rnd, unsigned: boolean, scalar: boolean, fixed = false): ExecBuilder {
  return (f) => {
    const fbits = fixed ? halfFracBits(f) : 0;
    return unaryB((cpu, hd, hn) => {
      toIntH(cpu, cpu.vh[hn]!, fbits, 16, unsigned, mode);
      cpu.vh[hd] = intOut[0]!;
    }, scalar)(f);
  };
}

function fromIntLanesB(signed: boolean, scalar: boolean, fixed = false): ExecBuilder {
  return (f) => {
    const fbits = fixed ? halfFracBits(f) : 0;
    return unaryB((cpu, hd, hn) => {
      cpu.vh[hd] = fromIntH(cpu, cpu.vh[hn]!, 0, 16, signed, fbits);
    }, scalar)(f);
  };
}

// ---- scalar FP (ftype = 11) ------------------------------------------------------------------

const gpRead = (n: number): number => (n === 31 ? XZR_READ : n);
const gpWrite = (n: number): number => (n === 31 ? XZR_WRITE : n);

/** Scalar: vh[8d] = op(Hn, Hm), the rest of Vd zeroed. */
function scalar2(op: Op2): ExecBuilder {
  return (f) => {
    const d = f.rd!;
    const n = f.rn!;
    const m = f.rm!;
    return (cpu) => {
      arith2H(cpu, op, 8 * d, 8 * n, 8 * m);
      zeroAbove(cpu, d, 2);
    };
  };
}

function scalarFma(negA: boolean, negN: boolean): ExecBuilder {
  return (f) => {
    const d = f.rd!;
    const a = f.ra!;
    const n = f.rn!;
    const m = f.rm!;
    return (cpu) => {
      fmaH(cpu, 8 * d, 8 * a, 8 * n, 8 * m, negA, negN);
      zeroAbove(cpu, d, 2);
    };
  };
}

function scalarBits(and: number, xor: number): ExecBuilder {
  return (f) => {
    const d = f.rd!;
    const n = f.rn!;
    return (cpu) => {
      const v = (cpu.vh[8 * n]! & and) ^ xor;
      cpu.vh[8 * d] = v;
      zeroAbove(cpu, d, 2);
    };
  };
}

function toGenB(mode: Rnd, unsigned: boolean, fixedPoint: boolean): ExecBuilder {
  return (f) => {
    const n = f.rn!;
    const d = gpWrite(f.rd!);
    const bits = f.sf ? 64 : 32;
    const fbits = fixedPoint ? 64 - f.scale! : 0;
    return (cpu) => {
      toIntH(cpu, cpu.vh[8 * n]!, fbits, bits, unsigned, mode);
      cpu.x[2 * d] = intOut[0]!;
      cpu.x[2 * d + 1] = intOut[1]!;
    };
  };
}

function fromGenB(signed: boolean, fixedPoint: boolean): ExecBuilder {
  return (f) => {
    const n = gpRead(f.rn!);
    const d = f.rd!;
    const bits = f.sf ? 64 : 32;
    const fbits = fixedPoint ? 64 - f.scale! : 0;
    return (cpu) => {
      const v = fromIntH(cpu, cpu.x[2 * n]!, cpu.x[2 * n + 1]!, bits, signed, fbits);
      cpu.vh[8 * d] = v;
      zeroAbove(cpu, d, 2);
    };
  };
}

const fcmpH: ExecBuilder = (f) => {
  const n = f.rn!;
  const m = f.rm!;
  const zero = f.z === 1;
  const e = f.e === 1;
  return (cpu) => compareH(cpu, 8 * n, 8 * m, zero, e);
};

const fccmpH: ExecBuilder = (f) => {
  const n = f.rn!;
  const m = f.rm!;
  const cond = f.cond!;
  const e = f.e === 1;
  const flags = f.nzcv! << 28;
  return (cpu) => {
    if (condHolds(cpu, cond)) compareH(cpu, 8 * n, 8 * m, false, e);
    else cpu.nzcv = flags;
  };
};

const fcselH: ExecBuilder = (f) => {
  const n = f.rn!;
  const m = f.rm!;
  const d = f.rd!;
  const cond = f.cond!;
  return (cpu) => {
    const v = cpu.vh[8 * (condHolds(cpu, cond) ? n : m)]!;
    cpu.vh[8 * d] = v;
    zeroAbove(cpu, d, 2);
  };
};

const fmovImmH: ExecBuilder = (f) => {
  const bits = halfBits(vfpImm(f.imm8!));
  const d = f.rd!;
  return (cpu) => {
    cpu.vh[8 * d] = bits;
    zeroAbove(cpu, d, 2);
  };
};

const fmovVimmH: ExecBuilder = (f) => {
  const bits = halfBits(vfpImm((f.abc! << 5) | f.defgh!));
  const d = f.rd!;
  const lanes = f.q ? 8 : 4;
  return (cpu) => {
    for (let i = 0; i < lanes; i++) cpu.vh[8 * d + i] = bits;
    if (!f.q) clearHigh(cpu, d);
  };
};

// ---- FEAT_FCMA on half lanes -------------------------------------------------------------------

function negScratch(i: number): void {
  SCR.vh[i] = SCR.vh[i]! ^ 0x8000;
}

const fcaddH: ExecBuilder = (f) => {
  const pairs = f.q ? 4 : 2;
  const rot = f.rot!;
  const d = f.rd!;
  const n = f.rn!;
  const m = f.rm!;
  const q = f.q!;
  return (cpu) => {
    loadScratch(cpu, n, m, d);
    for (let e = 0; e < pairs; e++) {
      const re = 2 * e;
      const im = re + 1;
      negScratch(8 + (rot ? re : im));
      arith2H(SCR, Op2.ADD, 16 + re, re, 8 + im);
      arith2H(SCR, Op2.ADD, 16 + im, im, 8 + re);
    }
    storeScratch(cpu, d, q);
  };
};

function fcmlaH(byElem: boolean): ExecBuilder {
  return (f) => {
    const pairs = f.q ? 4 : 2;
    const rot = f.rot!;
    const d = f.rd!;
    const n = f.rn!;
    const m = byElem ? (f.m! << 4) | f.rm! : f.rm!;
    const q = f.q!;
    const idx = byElem ? 2 * ((f.h! << 1) | f.l!) : -1;
    return (cpu) => {
      loadScratch(cpu, n, m, d);
      for (let e = 0; e < pairs; e++) {
        const re = 2 * e;
        const im = re + 1;
        if (byElem && e > 0) for (let k = 0; k < 4; k++) SCR.vs[4 + k] = cpu.vs[4 * m + k]!;
        const mre = 8 + (byElem ? idx : re);
        const mim = 8 + (byElem ? idx + 1 : im);
        const src = rot & 1 ? im : re;
        const e1 = rot & 1 ? mim : mre;
        const e3 = rot & 1 ? mre : mim;
        if (rot === 1 || rot === 2) negScratch(e1);
        if (rot >= 2) negScratch(e3);
        fmaH(SCR, 16 + re, 16 + re, src, e1, false, false);
        fmaH(SCR, 16 + im, 16 + im, src, e3, false, false);
      }
      storeScratch(cpu, d, q);
    };
  };
}

// ---- the table --------------------------------------------------------------------------------

const notNaN = (a: number, b: number): boolean => a === a && b === b;
const eq = (a: number, b: number): boolean => a === b;
const ge = (a: number, b: number): boolean => notNaN(a, b) && a >= b;
const gt = (a: number, b: number): boolean => notNaN(a, b) && a > b;

const MODES: readonly [string, Rnd][] = [['N', Rnd.TIEEVEN], ['M', Rnd.NEGINF], ['P', Rnd.POSINF], ['Z', Rnd.ZERO], ['A', Rnd.TIEAWAY]];

function build(): ExecTable {
  const t: ExecTable = {
    FMOV_reg_h: scalarBits(0xffff, 0),
    FABS_scalar_h: scalarBits(0x7fff, 0),
    FNEG_scalar_h: scalarBits(0xffff, 0x8000),
    FSQRT_scalar_h: unaryB(sqrtH, true),
    FRINTN_scalar_h: frintB(Rnd.TIEEVEN, false, true),
    FRINTP_scalar_h: frintB(Rnd.POSINF, false, true),
    FRINTM_scalar_h: frintB(Rnd.NEGINF, false, true),
    FRINTZ_scalar_h: frintB(Rnd.ZERO, false, true),
    FRINTA_scalar_h: frintB(Rnd.TIEAWAY, false, true),
    FRINTX_scalar_h: frintB(-1, true, true),
    FRINTI_scalar_h: frintB(-1, false, true),
    FMUL_scalar_h: scalar2(Op2.MUL),
    FDIV_scalar_h: scalar2(Op2.DIV),
    FADD_scalar_h: scalar2(Op2.ADD),
    FSUB_scalar_h: scalar2(Op2.SUB),
    FMAX_scalar_h: scalar2(Op2.MAX),
    FMIN_scalar_h: scalar2(Op2.MIN),
    FMAXNM_scalar_h: scalar2(Op2.MAXNM),
    FMINNM_scalar_h: scalar2(Op2.MINNM),
    FNMUL_scalar_h: scalar2(Op2.NMUL),
    FMADD_h: scalarFma(false, false),
    FMSUB_h: scalarFma(false, true),
    FNMADD_h: scalarFma(true, true),
    FNMSUB_h: scalarFma(true, false),
    FCMP_h: fcmpH,
    FCCMP_h: fccmpH,
    FCSEL_h: fcselH,
    FMOV_imm_h: fmovImmH,
    SCVTF_gen_h: fromGenB(true, false),
    UCVTF_gen_h: fromGenB(false, false),
    SCVTF_fix_h: fromGenB(true, true),
    UCVTF_fix_h: fromGenB(false, true),
    FCVTZS_fix_h: toGenB(Rnd.ZERO, false, true),
    FCVTZU_fix_h: toGenB(Rnd.ZERO, true, true),

    FMAXNM_vec_h: arithB(Op2.MAXNM),
    FMLA_vec_h: mlaB(false),
    FADD_vec_h: arithB(Op2.ADD),
    FMULX_vec_h: arithB(Op2.MULX),
    FMULX_scalar_simd_h: arithB(Op2.MULX, true),
    FCMEQ_vec_h: fcmB(eq, false, false, false, false),
    FCMEQ_scalar_simd_h: fcmB(eq, false, false, false, true),
    FMAX_vec_h: arithB(Op2.MAX),
    FRECPS_vec_h: arithB(Op2.RECPS),
    FRECPS_scalar_simd_h: arithB(Op2.RECPS, true),
    FMINNM_vec_h: arithB(Op2.MINNM),
    FMLS_vec_h: mlaB(true),
    FSUB_vec_h: arithB(Op2.SUB),
    FMIN_vec_h: arithB(Op2.MIN),
    FRSQRTS_vec_h: arithB(Op2.RSQRTS),
    FRSQRTS_scalar_simd_h: arithB(Op2.RSQRTS, true),
    FMAXNMP_vec_h: pairwiseB(Op2.MAXNM),
    FADDP_vec_h: pairwiseB(Op2.ADD),
    FMUL_vec_h: arithB(Op2.MUL),
    FCMGE_vec_h: fcmB(ge, false, true, false, false),
    FCMGE_scalar_simd_h: fcmB(ge, false, true, false, true),
    FACGE_vec_h: fcmB(ge, false, true, true, false),
    FACGE_scalar_simd_h: fcmB(ge, false, true, true, true),
    FMAXP_vec_h: pairwiseB(Op2.MAX),
    FDIV_vec_h: arithB(Op2.DIV),
    FMINNMP_vec_h: pairwiseB(Op2.MINNM),
    FABD_vec_h: arithB(Op2.ABD),
    FABD_scalar_simd_h: arithB(Op2.ABD, true),
    FCMGT_vec_h: fcmB(gt, false, true, false, false),
    FCMGT_scalar_simd_h: fcmB(gt, false, true, false, true),
    FACGT_vec_h: fcmB(gt, false, true, true, false),
    FACGT_scalar_simd_h: fcmB(gt, false, true, true, true),
    FMINP_vec_h: pairwiseB(Op2.MIN),

    FRINTN_vec_h: frintB(Rnd.TIEEVEN, false, false),
    FRINTM_vec_h: frintB(Rnd.NEGINF, false, false),
    FRINTP_vec_h: frintB(Rnd.POSINF, false, false),
    FRINTZ_vec_h: frintB(Rnd.ZERO, false, false),
    FRINTA_vec_h: frintB(Rnd.TIEAWAY, false, false),
    FRINTX_vec_h: frintB(-1, true, false),
    FRINTI_vec_h: frintB(-1, false, false),
    SCVTF_vec_h: fromIntLanesB(true, false),
    UCVTF_vec_h: fromIntLanesB(false, false),
    SCVTF_scalar_simd_h: fromIntLanesB(true, true),
    UCVTF_scalar_simd_h: fromIntLanesB(false, true),
    FCMGT_zero_vec_h: fcmB((a) => a > 0, true, true, false, false),
    FCMGE_zero_vec_h: fcmB((a) => a >= 0, true, true, false, false),
    FCMEQ_zero_vec_h: fcmB((a) => a === 0, true, false, false, false),
    FCMLE_zero_vec_h: fcmB((a) => a <= 0, true, true, false, false),
    FCMLT_zero_vec_h: fcmB((a) => a < 0, true, true, false, false),
    FCMGT_zero_scalar_simd_h: fcmB((a) => a > 0, true, true, false, true),
    FCMGE_zero_scalar_simd_h: fcmB((a) => a >= 0, true, true, false, true),
    FCMEQ_zero_scalar_simd_h: fcmB((a) => a === 0, true, false, false, true),
    FCMLE_zero_scalar_simd_h: fcmB((a) => a <= 0, true, true, false, true),
    FCMLT_zero_scalar_simd_h: fcmB((a) => a < 0, true, true, false, true),
    FABS_vec_h: signB(0x7fff, 0),
    FNEG_vec_h: signB(0xffff, 0x8000),
    FSQRT_vec_h: unaryB(sqrtH, false),
    FRECPE_vec_h: unaryB((cpu, hd, hn) => recpe(cpu, 1, hd, hn), false),
    FRECPE_scalar_simd_h: unaryB((cpu, hd, hn) => recpe(cpu, 1, hd, hn), true),
    FRSQRTE_vec_h: unaryB((cpu, hd, hn) => rsqrte(cpu, 1, hd, hn), false),
    FRSQRTE_scalar_simd_h: unaryB((cpu, hd, hn) => rsqrte(cpu, 1, hd, hn), true),
    FRECPX_scalar_simd_h: unaryB((cpu, hd, hn) => recpx(cpu, 1, hd, hn), true),

    FMAXNMV_h: acrossB(Op2.MAXNM),
    FMAXV_h: acrossB(Op2.MAX),
    FMINNMV_h: acrossB(Op2.MINNM),
    FMINV_h: acrossB(Op2.MIN),
    FMAXNMP_pair_h: pairScalarB(Op2.MAXNM),
    FADDP_pair_h: pairScalarB(Op2.ADD),
    FMAXP_pair_h: pairScalarB(Op2.MAX),
    FMINNMP_pair_h: pairScalarB(Op2.MINNM),
    FMINP_pair_h: pairScalarB(Op2.MIN),

    FMLA_elem_h: byElemB('mla', false),
    FMLS_elem_h: byElemB('mls', false),
    FMUL_elem_h: byElemB('mul', false),
    FMULX_elem_h: byElemB('mulx', false),
    FMLA_elem_scalar_h: byElemB('mla', true),
    FMLS_elem_scalar_h: byElemB('mls', true),
    FMUL_elem_scalar_h: byElemB('mul', true),
    FMULX_elem_scalar_h: byElemB('mulx', true),

    SCVTF_vec_fix_h: fromIntLanesB(true, false, true),
    UCVTF_vec_fix_h: fromIntLanesB(false, false, true),
    FCVTZS_vec_fix_h: toIntLanesB(Rnd.ZERO, false, false, true),
    FCVTZU_vec_fix_h: toIntLanesB(Rnd.ZERO, true, false, true),
    SCVTF_scalar_fix_h: fromIntLanesB(true, true, true),
    UCVTF_scalar_fix_h: fromIntLanesB(false, true, true),
    FCVTZS_scalar_fix_h: toIntLanesB(Rnd.ZERO, false, true, true),
    FCVTZU_scalar_fix_h: toIntLanesB(Rnd.ZERO, true, true, true),

    FMOV_vimm_h: fmovVimmH,
    FCADD_vec_h: fcaddH,
    FCMLA_vec_h: fcmlaH(false),
    FCMLA_elem_h: fcmlaH(true),
  };
  for (const [l, mode] of MODES) {
    for (const u of [false, true]) {
      const name = `FCVT${l}${u ? 'U' : 'S'}`;
      t[`${name}_gen_h`] = toGenB(mode, u, false);
      if (l !== 'Z') {
        t[`${name}_vec_h`] = toIntLanesB(mode, u, false);
        t[`${name}_scalar_simd_h`] = toIntLanesB(mode, u, true);
      }
    }
  }
  t['FCVTZS_vec_h'] = toIntLanesB(Rnd.ZERO, false, false);
  t['FCVTZU_vec_h'] = toIntLanesB(Rnd.ZERO, true, false);
  t['FCVTZS_scalar_simd_h'] = toIntLanesB(Rnd.ZERO, false, true);
  t['FCVTZU_scalar_simd_h'] = toIntLanesB(Rnd.ZERO, true, true);
  return t;
}

export const fp16Exec: ExecTable = build();
