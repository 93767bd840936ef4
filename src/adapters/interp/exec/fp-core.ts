/**
 * IEEE 754 arithmetic with AArch64 rules, shared by the scalar FP (fp.ts) and
 * vector FP (simd-fp.ts) semantics. Operands are addressed by 32-bit word
 * index into the register file (`cpu.vs`): a single is the word 4n+i, a
 * double the word pair starting at 4n+2i, so scalar and vector forms share
 * one implementation.
 *
 * What is exact: +, -, *, /, sqrt in single and double (JS doubles are
 * IEEE binary64; single results go through one Math.fround of an exact or
 * correctly-rounded-once double, which is innocuous for these operations);
 * fused multiply-add (exact BigInt product and sum, one rounding); integer
 * conversions in both directions with all rounding modes; half-precision
 * conversions. NaN rules follow FPProcessNaNs/FPProcessNaNs3 (signalling
 * before quiet, operand order, quieting, FPCR.DN default NaN) and invalid
 * operations give the default NaN.
 *
 * FPSR flags set: IOC (invalid), DZC (divide by zero), OFC (overflow, with
 * IXC), IXC for conversions to integer and FRINTX. Not yet honoured: IXC
 * and UFC for arithmetic results, FPCR.RMode other than round-to-nearest-even
 * for arithmetic and SCVTF/UCVTF/FCVT (FRINTX/FRINTI do use it), FPCR.FZ /
 * FZ16 flush-to-zero (denormals are always honoured), FPCR.AHP, and
 * floating-point exception traps (FPCR.xxE).
 */
import { TWO32 } from '../regs.js';
/**
 * The part of the CPU the FP machinery touches. The interpreter CPU is one;
 * vector forms that must not read their own partial results use a scratch
 * register file of the same shape.
 */
export interface FpRegs {
  readonly vs: Uint32Array;
  readonly vf32: Float32Array;
  readonly vf64: Float64Array;
  fpsr: number;
  fpcr: number;
}

export const FPSR_IOC = 1;
export const FPSR_DZC = 2;
export const FPSR_OFC = 4;
export const FPSR_UFC = 8;
export const FPSR_IXC = 16;
const FPCR_DN = 1 << 25;


// ---- register access -----------------------------------------------------------------

export function readF(cpu: FpRegs, dbl: boolean, w: number): number {
  return dbl ? cpu.vf64[w >> 1]! : cpu.vf32[w]!;
}

export function writeF(cpu: FpRegs, dbl: boolean, w: number, v: number): void {
  if (dbl) cpu.vf64[w >> 1] = v;
  else cpu.vf32[w] = v;
}

/** Zero a 128-bit register above its lowest `bytes` bytes (scalar writes). */
export function zeroAbove(cpu: FpRegs, reg: number, bytes: number): void {
  const vs = cpu.vs;
  const b = 4 * reg;
  if (bytes < 4) {
    const keep = bytes === 2 ? 0xffff : 0xff;
    vs[b] = vs[b]! & keep;
  }
  if (bytes < 8) vs[b + 1] = 0;
  vs[b + 2] = 0;
  vs[b + 3] = 0;
}

// ---- NaN classification on register bits ------------------------------------------------

function expFracNaN(dbl: boolean, vs: Uint32Array, w: number): boolean {
  if (!dbl) return (vs[w]! & 0x7fffffff) > 0x7f800000;
  const hi = vs[w + 1]! & 0x7fffffff;
  return hi > 0x7ff00000 || (hi === 0x7ff00000 && vs[w]! !== 0);
}

export function isNaNW(cpu: FpRegs, dbl: boolean, w: number): boolean {
  return expFracNaN(dbl, cpu.vs, w);
}

export function isSNaNW(cpu: FpRegs, dbl: boolean, w: number): boolean {
  if (!expFracNaN(dbl, cpu.vs, w)) return false;
  return dbl ? (cpu.vs[w + 1]! & 0x00080000) === 0 : (cpu.vs[w]! & 0x00400000) === 0;
}

/** Write the default NaN. */
export function writeDefaultNaN(cpu: FpRegs, dbl: boolean, wd: number): void {
  if (dbl) {
    cpu.vs[wd] = 0;
    cpu.vs[wd + 1] = 0x7ff80000;
  } else cpu.vs[wd] = 0x7fc00000;
}

/** Write operand `w` quieted (optionally sign-flipped) to `wd`, or the default NaN under FPCR.DN. */
function writeQuieted(cpu: FpRegs, dbl: boolean, wd: number, w: number, neg: boolean): void {
  if (cpu.fpcr & FPCR_DN) return writeDefaultNaN(cpu, dbl, wd);
  const vs = cpu.vs;
  const flip = neg ? 0x80000000 : 0;
  if (dbl) {
    const lo = vs[w]!;
    vs[wd + 1] = (vs[w + 1]! | 0x00080000) ^ flip;
    vs[wd] = lo;
  } else vs[wd] = (vs[w]! | 0x00400000) ^ flip;
}

/**
 * FPProcessNaNs over up to three operands (word indices; -1 = absent), with
 * per-operand sign flips applied first (FMSUB/FNMADD negate before the
 * operation). Returns true and writes the result if any operand was a NaN.
 */
export function processNaNs(cpu: FpRegs, dbl: boolean, wd: number, w0: number, w1: number, w2: number, neg0 = false, neg1 = false, neg2 = false): boolean {
  const ops = [w0, w1, w2];
  const negs = [neg0, neg1, neg2];
  for (let i = 0; i < 3; i++) {
    const w = ops[i]!;
    if (w >= 0 && isSNaNW(cpu, dbl, w)) {
      cpu.fpsr |= FPSR_IOC;
      writeQuieted(cpu, dbl, wd, w, negs[i]!);
      return true;
    }
  }
  for (let i = 0; i < 3; i++) {
    const w = ops[i]!;
    if (w >= 0 && isNaNW(cpu, dbl, w)) {
      writeQuieted(cpu, dbl, wd, w, negs[i]!);
      return true;
    }
  }
  return false;
}

/** An invalid operation: default NaN and IOC. */
export function invalid(cpu: FpRegs, dbl: boolean, wd: number): void {
  cpu.fpsr |= FPSR_IOC;
  writeDefaultNaN(cpu, dbl, wd);
}

// ---- two-operand arithmetic ------------------------------------------------------------

export const enum Op2 {
  ADD, SUB, MUL, DIV, MAX, MIN, MAXNM, MINNM, NMUL, ABD,
}

function compute2(op: Op2, a: number, b: number): number {
  switch (op) {
    case Op2.ADD: return a + b;
    case Op2.SUB: return a - b;
    case Op2.MUL: return a * b;
    case Op2.DIV: return a / b;
    case Op2.MAX:
    case Op2.MAXNM: return Math.max(a, b);
    case Op2.MIN:
    case Op2.MINNM: return Math.min(a, b);
    case Op2.NMUL: return -(a * b);
    case Op2.ABD: return Math.abs(a - b);
  }
}

/** Vd = Vn op Vm for one lane, with the NaN and flag rules. */
export function arith2(cpu: FpRegs, dbl: boolean, op: Op2, wd: number, wn: number, wm: number): void {
  const a = readF(cpu, dbl, wn);
  const b = readF(cpu, dbl, wm);
  let r = compute2(op, a, b);
  if (!dbl) r = Math.fround(r);
  if (r - r === 0) return writeF(cpu, dbl, wd, r); // finite result: the common case
  arith2Special(cpu, dbl, op, wd, wn, wm, a, b, r);
}

function arith2Special(cpu: FpRegs, dbl: boolean, op: Op2, wd: number, wn: number, wm: number, a: number, b: number, r: number): void {
  const nanA = a !== a;
  const nanB = b !== b;
  if ((op === Op2.MAXNM || op === Op2.MINNM) && nanA !== nanB) {
    // One quiet NaN: the number wins; a signalling NaN still propagates.
    const quietOnly = nanA ? !isSNaNW(cpu, dbl, wn) : !isSNaNW(cpu, dbl, wm);
    if (quietOnly) return writeF(cpu, dbl, wd, nanA ? b : a);
  }
  if (nanA || nanB || r !== r) {
    if (nanA || nanB) processNaNs(cpu, dbl, wd, wn, wm, -1);
    else invalid(cpu, dbl, wd);
    // FNMUL is FPNeg(FPMul()) and FABD is FPAbs(FPSub()): they apply to NaN results too.
    const sw = dbl ? wd + 1 : wd;
    if (op === Op2.NMUL) cpu.vs[sw] = cpu.vs[sw]! ^ 0x80000000;
    if (op === Op2.ABD) cpu.vs[sw] = cpu.vs[sw]! & 0x7fffffff;
    return;
  }
  // Infinite result from finite operands: divide by zero or overflow.
  if (a - a === 0 && b - b === 0) {
    if (op === Op2.DIV && b === 0) cpu.fpsr |= FPSR_DZC;
    else cpu.fpsr |= FPSR_OFC | FPSR_IXC;
  }
  writeF(cpu, dbl, wd, r);
}

/** FSQRT of one lane. */
export function sqrt1(cpu: FpRegs, dbl: boolean, wd: number, wn: number): void {
  const a = readF(cpu, dbl, wn);
  if (a !== a) {
    processNaNs(cpu, dbl, wd, wn, -1, -1);
    return;
  }
  if (a < 0) return invalid(cpu, dbl, wd);
  writeF(cpu, dbl, wd, dbl ? Math.sqrt(a) : Math.fround(Math.sqrt(a)));
}

// ---- fused multiply-add ------------------------------------------------------------------

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);

/** Finite nonzero x as sign * m * 2^e (m a BigInt integer). */
function decompose(x: number): { neg: boolean; m: bigint; e: number } {
  F64[0] = x;
  const hi = U32[1]!;
  const lo = U32[0]!;
  const bexp = (hi >>> 20) & 0x7ff;
  let m = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (bexp !== 0) m |= 1n << 52n;
  return { neg: hi >>> 31 === 1, m, e: (bexp === 0 ? 1 : bexp) - 1075 };
}

/** Round sign * m * 2^e (m > 0) to double (p = 53) or single (p = 24), nearest-even, with subnormals. */
export function roundExact(neg: boolean, m: bigint, e: number, dbl: boolean): number {
  const p = dbl ? 53 : 24;
  const emin = dbl ? -1022 : -126;
  const bl = m.toString(2).length;
  const top = e + bl - 1;
  const keep = top >= emin ? p : p - (emin - top);
  const shift = bl - keep;
  let q: bigint;
  if (shift <= 0) q = m << BigInt(-shift);
  else {
    const s = BigInt(shift);
    q = m >> s;
    const rem = m - (q << s);
    const half = 1n << (s - 1n);
    if (rem > half || (rem === half && (q & 1n) === 1n)) q += 1n;
  }
  const k = e + shift;
  // Two steps keep 2^k representable for very small k.
  let v = Number(q) * 2 ** Math.max(k, -1000);
  if (k < -1000) v *= 2 ** (k + 1000);
  if (!dbl) v = Math.fround(v);
  return neg ? -v : v;
}

/** a*b + c with a single rounding (operands finite and a, b nonzero). */
function fmaFinite(a: number, b: number, c: number, dbl: boolean): number {
  const A = decompose(a);
  const B = decompose(b);
  const pe = A.e + B.e;
  let pm = A.m * B.m;
  if (A.neg !== B.neg) pm = -pm;
  if (c === 0) return roundExact(pm < 0n, pm < 0n ? -pm : pm, pe, dbl);
  const C = decompose(c);
  const e = Math.min(pe, C.e);
  const cm = C.neg ? -C.m : C.m;
  const s = (pm << BigInt(pe - e)) + (cm << BigInt(C.e - e));
  if (s === 0n) return 0; // exact cancellation is +0 in round-to-nearest
  return roundExact(s < 0n, s < 0n ? -s : s, e, dbl);
}

/**
 * FPMulAdd: Vd = (±Va) + (±Vn) * Vm with one rounding. negA/negN implement
 * FMSUB (negN), FNMADD (both) and FNMSUB (negA); wa = -1 means addend +0
 * (not used by A64 but keeps the vector FMLA path uniform).
 */
export function fma(cpu: FpRegs, dbl: boolean, wd: number, wa: number, wn: number, wm: number, negA: boolean, negN: boolean): void {
  let c = readF(cpu, dbl, wa);
  let a = readF(cpu, dbl, wn);
  const b = readF(cpu, dbl, wm);
  if (c !== c || a !== a || b !== b) {
    const infZero = (Math.abs(a) === Infinity && b === 0) || (a === 0 && Math.abs(b) === Infinity);
    if (c !== c && !isSNaNW(cpu, dbl, wa) && infZero) return invalid(cpu, dbl, wd);
    processNaNs(cpu, dbl, wd, wa, wn, wm, negA, negN, false);
    return;
  }
  if (negA) c = -c;
  if (negN) a = -a;
  let r: number;
  if (a === 0 || b === 0 || a - a !== 0 || b - b !== 0) r = a * b + c; // product exact (0, ±inf or invalid)
  else if (c - c !== 0) r = c;
  else r = fmaFinite(a, b, c, dbl);
  if (r !== r) return invalid(cpu, dbl, wd);
  if (!dbl) r = Math.fround(r);
  if (r - r !== 0 && c - c === 0 && a - a === 0 && b - b === 0) cpu.fpsr |= FPSR_OFC | FPSR_IXC;
  writeF(cpu, dbl, wd, r);
}

// ---- rounding to integral -------------------------------------------------------------------

/** FPRounding: 0 TIEEVEN, 1 POSINF, 2 NEGINF, 3 ZERO, 4 TIEAWAY. */
export const enum Rnd {
  TIEEVEN = 0, POSINF = 1, NEGINF = 2, ZERO = 3, TIEAWAY = 4,
}

/** Round a finite number to an integral value (result keeps the sign of zero). */
export function roundInt(x: number, mode: Rnd): number {
  let r: number;
  switch (mode) {
    case Rnd.POSINF: r = Math.ceil(x); break;
    case Rnd.NEGINF: r = Math.floor(x); break;
    case Rnd.ZERO: r = Math.trunc(x); break;
    case Rnd.TIEAWAY: {
      const f = Math.floor(Math.abs(x));
      const t = Math.abs(x) - f >= 0.5 ? f + 1 : f;
      r = x < 0 ? -t : t;
      break;
    }
    default: {
      const f = Math.floor(x);
      const d = x - f;
      r = d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1;
    }
  }
  return r === 0 && (x < 0 || Object.is(x, -0)) ? -0 : r;
}

/** The current FPCR rounding mode as Rnd. */
export function fpcrRnd(cpu: FpRegs): Rnd {
  return (cpu.fpcr >>> 22) & 3;
}

/** FRINT* of one lane; `exact` sets IXC when the value changes (FRINTX). */
export function frint(cpu: FpRegs, dbl: boolean, wd: number, wn: number, mode: Rnd, exact: boolean): void {
  const a = readF(cpu, dbl, wn);
  if (a !== a) {
    processNaNs(cpu, dbl, wd, wn, -1, -1);
    return;
  }
  if (a - a !== 0) return writeF(cpu, dbl, wd, a);
  const r = roundInt(a, mode);
  if (exact && r !== a) cpu.fpsr |= FPSR_IXC;
  writeF(cpu, dbl, wd, r);
}

// ---- conversions to integer -----------------------------------------------------------------

/** Result words of the last toInt() call. */
export const intOut = new Uint32Array(2);

/**
 * FPToFixed: round x * 2^fbits to an integer of `bits` (32/64), saturating.
 * Leaves the two's-complement result in intOut (low, high word).
 */
export function toInt(cpu: FpRegs, x: number, fbits: number, bits: number, unsigned: boolean, mode: Rnd): void {
  if (x !== x) {
    cpu.fpsr |= FPSR_IOC;
    intOut[0] = 0;
    intOut[1] = 0;
    return;
  }
  const v = fbits ? x * 2 ** fbits : x;
  const r = v - v === 0 ? roundInt(v, mode) : v;
  // Exclusive upper bound: 2^63 - 1 and 2^64 - 1 are not doubles.
  const limit = unsigned ? 2 ** bits : 2 ** (bits - 1);
  const min = unsigned ? 0 : -limit;
  if (r >= limit || r < min) {
    cpu.fpsr |= FPSR_IOC;
    const high = r >= limit;
    if (bits === 32) {
      intOut[0] = high ? limit - 1 : min;
      intOut[1] = 0;
      return;
    }
    intOut[0] = high ? 0xffffffff : 0;
    intOut[1] = high ? (unsigned ? 0xffffffff : 0x7fffffff) : unsigned ? 0 : 0x80000000;
    return;
  }
  if (r !== v) cpu.fpsr |= FPSR_IXC;
  intOut[0] = r;
  intOut[1] = bits === 32 ? 0 : Math.floor(r / TWO32);
}

// ---- conversions from integer ---------------------------------------------------------------

/**
 * The 64-bit integer (hi:lo) as a double rounded to odd at 53 bits when it
 * does not fit, so that a later rounding to single is correct (round-to-odd
 * with p+2 bits avoids double rounding).
 */
function int64ToOddDouble(lo: number, hi: number, signed: boolean): number {
  let neg = false;
  if (signed && hi & 0x80000000) {
    neg = true;
    lo = -lo >>> 0;
    hi = (~hi + (lo === 0 ? 1 : 0)) >>> 0;
  }
  if (hi >= 0x200000) {
    const bitlen = 64 - Math.clz32(hi);
    const drop = bitlen - 53;
    const mask = (1 << drop) - 1;
    const lost = lo & mask;
    lo = (lo - lost) >>> 0;
    if (lost !== 0) lo = (lo | (1 << drop)) >>> 0; // sticky bit: round to odd
  }
  const v = hi * TWO32 + lo;
  return neg ? -v : v;
}

/** SCVTF/UCVTF: integer (lo, hi words; hi ignored for 32-bit) / 2^fbits to single or double. */
export function fromInt(lo: number, hi: number, bits: number, signed: boolean, fbits: number, dbl: boolean): number {
  let v: number;
  if (bits === 32) v = signed ? lo | 0 : lo >>> 0;
  else if (dbl) v = signed ? (hi | 0) * TWO32 + lo : hi * TWO32 + lo; // one rounding of the exact sum
  else v = int64ToOddDouble(lo, hi, signed);
  if (fbits) v /= 2 ** fbits; // exact: a power-of-two scaling that cannot reach the subnormal range
  return dbl ? v : Math.fround(v);
}

// ---- half precision -------------------------------------------------------------------------

/** binary16 bits to a number (exact). NaNs come back as JS NaN; callers handle payloads. */
export function f16ToNumber(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1024 + f) * 2 ** (e - 25);
}

/** A non-NaN number to binary16 bits, round to nearest even; sets OFC/IXC on overflow. */
export function numberToF16(cpu: FpRegs, x: number): number {
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a === Infinity) return sign | 0x7c00;
  if (a >= 65520) {
    cpu.fpsr |= FPSR_OFC | FPSR_IXC;
    return sign | 0x7c00;
  }
  if (a < 2 ** -14) return sign | roundInt(a * 2 ** 24, Rnd.TIEEVEN); // subnormal (may round up to the smallest normal)
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  if (2 ** (e + 1) <= a) e++;
  let frac = roundInt((a / 2 ** e - 1) * 1024, Rnd.TIEEVEN);
  if (frac === 1024) {
    frac = 0;
    e++;
  }
  return sign | ((e + 15) << 10) | frac;
}
