/**
 * IEEE 754 arithmetic with AArch64 rules, shared by the scalar FP (fp.ts) and
 * vector FP (simd-fp.ts) semantics. Operands are addressed by 32-bit word
 * index into the register file (`cpu.vs`): a single is the word 4n+i, a
 * double the word pair starting at 4n+2i, so scalar and vector forms share
 * one implementation.
 *
 * Every operation is exact as the ARM ARM defines it: one FPRoundBase
 * (roundBig) rounds exact BigInt values in each FPCR.RMode (and to odd for
 * FCVTXN) with tininess detected before rounding, FPCR.FZ flushing denormal
 * inputs (IDC) and tiny results (UFC only), and the cumulative flags IOC,
 * DZC, OFC, UFC, IXC, IDC. NaN rules follow FPProcessNaNs/FPProcessNaNs3
 * (signalling before quiet, operand order, quieting, FPCR.DN default NaN).
 *
 * Speed: under FPCR = 0 (RN, no flush), +, -, *, /, sqrt run in binary64
 * (a single result is rounded once more, which is innocuous for these
 * operations since 53 >= 2*24 + 2) and only inexactness is derived, from
 * error-free transformations: TwoSum for sums, Dekker's product error, the
 * remainder a - q*b for quotients and a - r*r for roots (for single operands
 * the products are exact in binary64). Results near the subnormal range,
 * infinities, NaNs and any other FPCR setting take the BigInt path.
 *
 * Not modelled: floating-point exception traps (FPCR.IOE etc. read as 0),
 * FPCR.AH/FIZ (FEAT_AFP). Half-precision arithmetic (FEAT_FP16, FZ16) is in
 * fp16.ts, on the exact paths here with the binary16 format.
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

// ---- rounding: FPRoundBase on an exact value -------------------------------------------------

/** A binary format: precision p (with the hidden bit), normal exponent range [emin, emax]. */
export interface Fmt {
  readonly p: number;
  readonly emin: number;
  readonly emax: number;
}
export const FMT64: Fmt = { p: 53, emin: -1022, emax: 1023 };
export const FMT32: Fmt = { p: 24, emin: -126, emax: 127 };
export const FMT16: Fmt = { p: 11, emin: -14, emax: 15 };
/** FPCR.AHP half precision: exponent 31 is a normal binade, no infinities or NaNs. */
export const FMT16AHP: Fmt = { p: 11, emin: -14, emax: 16 };

/** FPRounding: 0 TIEEVEN, 1 POSINF, 2 NEGINF, 3 ZERO (the FPCR.RMode values), 4 TIEAWAY, 5 ODD. */
export const enum Rnd {
  TIEEVEN = 0, POSINF = 1, NEGINF = 2, ZERO = 3, TIEAWAY = 4, ODD = 5,
}

export const FPSR_IDC = 1 << 7;
export const FPCR_FZ = 1 << 24;
export const FPCR_AHP = 1 << 26;
/** FPCR bits that take arithmetic off the fast (round-to-nearest, denormals honoured) path. */
const FPCR_SLOW = (3 << 22) | FPCR_FZ;

function bitLength(m: bigint): number {
  return m.toString(2).length;
}

/**
 * FPRoundBase: round sign * (m + δ) * 2^e to `fmt` in `mode`, where 0 <= δ < 1
 * and δ > 0 exactly when `sticky` (callers that pass sticky give m at least
 * p + 2 bits, so δ only breaks ties). m > 0. Sets UFC (tiny before rounding
 * and inexact), OFC, IXC; with `fz` a tiny result flushes to zero with UFC
 * only. Returns the rounded value as a number (exact in binary64).
 */
export function roundBig(cpu: FpRegs, neg: boolean, m: bigint, e: number, sticky: boolean, fmt: Fmt, mode: Rnd, fz: boolean): number {
  const p = fmt.p;
  const top = e + bitLength(m) - 1; // exponent of the exact value
  if (fz && top < fmt.emin) {
    cpu.fpsr |= FPSR_UFC;
    return neg ? -0 : 0;
  }
  let lsb = Math.max(top, fmt.emin) - p + 1;
  const shift = lsb - e;
  let q: bigint;
  let inexact = sticky;
  let up = false;
  if (shift <= 0) q = m << BigInt(-shift);
  else {
    const s = BigInt(shift);
    q = m >> s;
    const rem = m - (q << s);
    const half = 1n << (s - 1n);
    if (rem !== 0n) inexact = true;
    if (inexact) {
      switch (mode) {
        case Rnd.TIEEVEN: up = rem > half || (rem === half && (sticky || (q & 1n) === 1n)); break;
        case Rnd.TIEAWAY: up = rem >= half; break;
        case Rnd.POSINF: up = !neg; break;
        case Rnd.NEGINF: up = neg; break;
        case Rnd.ODD: up = (q & 1n) === 0n; break;
        default: break;
      }
    }
  }
  if (top < fmt.emin && inexact) cpu.fpsr |= FPSR_UFC;
  if (up) {
    q += 1n;
    if (q === 1n << BigInt(p)) {
      q >>= 1n;
      lsb++;
    }
  }
  if (lsb + p - 1 > fmt.emax) {
    cpu.fpsr |= FPSR_OFC | FPSR_IXC;
    const toInf = mode === Rnd.TIEEVEN || mode === Rnd.TIEAWAY || (mode === Rnd.POSINF && !neg) || (mode === Rnd.NEGINF && neg);
    const max = (2 - 2 ** (1 - p)) * 2 ** fmt.emax;
    const v = toInf ? Infinity : max;
    return neg ? -v : v;
  }
  if (inexact) cpu.fpsr |= FPSR_IXC;
  let v = Number(q) * 2 ** Math.max(lsb, -1000);
  if (lsb < -1000) v *= 2 ** (lsb + 1000);
  return neg ? -v : v;
}

/** Bits of one binary64: decompose() and the round-to-odd step of the fast FMA. */
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

/** Round a finite number (exact in binary64) to `fmt` under the FPCR (conversions). */
export function roundNumber(cpu: FpRegs, x: number, fmt: Fmt, mode: Rnd, fz: boolean): number {
  if (x === 0 || x - x !== 0) return x;
  const d = decompose(x);
  return roundBig(cpu, d.neg, d.m, d.e, false, fmt, mode, fz);
}

/** FPUnpack's flush of a denormal input under FPCR.FZ (sets IDC). */
export function flushIn(cpu: FpRegs, x: number, dbl: boolean): number {
  if ((cpu.fpcr & FPCR_FZ) !== 0 && x !== 0 && Math.abs(x) < (dbl ? 2 ** -1022 : 2 ** -126)) {
    cpu.fpsr |= FPSR_IDC;
    return x < 0 ? -0 : 0;
  }
  return x;
}

// ---- error-free transformations for the fast path --------------------------------------------

/** Veltkamp split constant 2^27 + 1. */
const SPLIT = 134217729;

/** Rounding error of the binary64 product a*b = p (Dekker); |a|,|b| < 2^995 and no underflow. */
function productError(a: number, b: number, p: number): number {
  let t = SPLIT * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b);
  const bl = b - bh;
  return ((ah * bh - p) + ah * bl + al * bh) + al * bl;
}

/** Results this large are normal and their error terms representable; smaller ones take the exact path. */
const SAFE64 = 2 ** -900;
const SAFE32 = 2 ** -125;
const BIG = 2 ** 995;

// ---- two-operand arithmetic ------------------------------------------------------------------

export const enum Op2 {
  ADD, SUB, MUL, DIV, MAX, MIN, MAXNM, MINNM, NMUL, ABD,
  /** FMULX: FMUL, but 0 * inf = ±2. */
  MULX,
  /** FRECPS: 2 - a*b, fused; 0 * inf gives 2. */
  RECPS,
  /** FRSQRTS: (3 - a*b) / 2, fused; 0 * inf gives 1.5. */
  RSQRTS,
}

/**
 * The fast path of one lane under FPCR RMode = RN and FZ = 0: the result is
 * binary64 arithmetic (rounded once more to single, which is innocuous for
 * these operations), and IXC comes from an error-free transformation. Returns
 * false (nothing written) when the exact path must decide: NaNs, infinities,
 * results near the subnormal range, operands too large to split.
 */
function arith2Fast(cpu: FpRegs, dbl: boolean, op: Op2, wd: number, a: number, b: number): boolean {
  let r: number;
  let inexact: boolean;
  switch (op) {
    case Op2.ADD: case Op2.SUB: case Op2.ABD: {
      const c = op === Op2.ADD ? b : -b;
      const s = a + c;
      r = dbl ? s : Math.fround(s);
      if (r === 0) inexact = false; // a binary64 sum that rounds to zero is exact
      else {
        if (!(Math.abs(r) >= (dbl ? SAFE64 : SAFE32)) || r - r !== 0) return false;
        const z = s - a;
        inexact = (a - (s - z)) + (c - z) !== 0 || r !== s;
      }
      if (op === Op2.ABD) r = Math.abs(r);
      break;
    }
    case Op2.MUL: case Op2.NMUL: case Op2.MULX: {
      const s = a * b;
      r = dbl ? s : Math.fround(s);
      if (r === 0) {
        if (a !== 0 && b !== 0) return false;
        inexact = false;
      } else {
        if (!(Math.abs(r) >= (dbl ? SAFE64 : SAFE32)) || r - r !== 0) return false;
        if (dbl) {
          // The split product must not overflow either: near DBL_MAX its error term would.
          if (Math.abs(a) > BIG || Math.abs(b) > BIG || Math.abs(s) > BIG) return false;
          inexact = productError(a, b, s) !== 0;
        } else inexact = r !== s; // a product of singles is exact in binary64
      }
      if (op === Op2.NMUL) r = -r;
      break;
    }
    case Op2.DIV: {
      const s = a / b;
      r = dbl ? s : Math.fround(s);
      if (r === 0) {
        if (a !== 0 && b - b === 0) return false;
        inexact = false; // 0/x or x/inf
      } else {
        if (!(Math.abs(r) >= (dbl ? SAFE64 : SAFE32)) || r - r !== 0 || b - b !== 0) return false;
        if (dbl) {
          // r * b is about a: near DBL_MAX the split product's error term would overflow.
          if (Math.abs(r) > BIG || Math.abs(b) > BIG || Math.abs(a) > BIG || Math.abs(a) < SAFE64) return false;
          const p = r * b;
          inexact = p !== a || productError(r, b, p) !== 0;
        } else inexact = r * b !== a; // exact product of two singles
      }
      break;
    }
    case Op2.RECPS: case Op2.RSQRTS: return false;
    default: {
      if (a !== a || b !== b) return false;
      r = op === Op2.MAX || op === Op2.MAXNM ? Math.max(a, b) : Math.min(a, b);
      inexact = false;
    }
  }
  if (inexact) cpu.fpsr |= FPSR_IXC;
  writeF(cpu, dbl, wd, r);
  return true;
}

/** Vd = Vn op Vm for one lane, with the NaN, rounding-mode, flush-to-zero and flag rules. */
export function arith2(cpu: FpRegs, dbl: boolean, op: Op2, wd: number, wn: number, wm: number): void {
  if ((cpu.fpcr & FPCR_SLOW) === 0 && arith2Fast(cpu, dbl, op, wd, readF(cpu, dbl, wn), readF(cpu, dbl, wm))) return;
  arith2Exact(cpu, dbl, op, wd, wn, wm);
}

/** FPAdd of two zero-or-finite/infinite operands already checked for NaNs. */
export function addExact(cpu: FpRegs, a: number, b: number, fmt: Fmt, mode: Rnd, fz: boolean): number {
  if (a - a !== 0 || b - b !== 0) {
    if (a === -b) return NaN; // inf - inf
    return a - a !== 0 ? a : b;
  }
  if (a === 0 && b === 0) return Object.is(a, b) ? a : mode === Rnd.NEGINF ? -0 : 0;
  if (a === 0) return b;
  if (b === 0) return a;
  const A = decompose(a);
  const B = decompose(b);
  const e = Math.min(A.e, B.e);
  const s = ((A.neg ? -A.m : A.m) << BigInt(A.e - e)) + ((B.neg ? -B.m : B.m) << BigInt(B.e - e));
  if (s === 0n) return mode === Rnd.NEGINF ? -0 : 0;
  return roundBig(cpu, s < 0n, s < 0n ? -s : s, e, false, fmt, mode, fz);
}

export function mulExact(cpu: FpRegs, a: number, b: number, fmt: Fmt, mode: Rnd, fz: boolean): number {
  const inf = a - a !== 0 || b - b !== 0;
  if (inf && (a === 0 || b === 0)) return NaN;
  if (inf || a === 0 || b === 0) return a * b;
  const A = decompose(a);
  const B = decompose(b);
  return roundBig(cpu, A.neg !== B.neg, A.m * B.m, A.e + B.e, false, fmt, mode, fz);
}

export function divExact(cpu: FpRegs, a: number, b: number, fmt: Fmt, mode: Rnd, fz: boolean): number {
  const infA = a - a !== 0;
  const infB = b - b !== 0;
  if ((infA && infB) || (a === 0 && b === 0)) return NaN;
  if (infA || infB || a === 0) return a / b;
  if (b === 0) {
    cpu.fpsr |= FPSR_DZC;
    return a / b;
  }
  const A = decompose(a);
  const B = decompose(b);
  const k = Math.max(0, fmt.p + 3 + bitLength(B.m) - bitLength(A.m));
  const n = A.m << BigInt(k);
  const q = n / B.m;
  return roundBig(cpu, A.neg !== B.neg, q, A.e - B.e - k, n !== q * B.m, fmt, mode, fz);
}

function isqrt(n: bigint): bigint {
  let x = BigInt(Math.ceil(Math.sqrt(Number(n))));
  x += (x >> 40n) + 2n; // start above the root: Newton then decreases to floor(sqrt(n))
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

export function sqrtExact(cpu: FpRegs, a: number, fmt: Fmt, mode: Rnd, fz: boolean): number {
  if (a === 0 || a === Infinity) return a;
  if (a < 0) return NaN;
  const A = decompose(a);
  let m = A.m;
  let e = A.e;
  if (e & 1) {
    m <<= 1n;
    e -= 1;
  }
  const k = Math.max(0, fmt.p + 3 - (bitLength(m) >> 1));
  const n = m << BigInt(2 * k);
  const s = isqrt(n);
  return roundBig(cpu, false, s, (e >> 1) - k, s * s !== n, fmt, mode, fz);
}

/** The general path: FPCR.RMode and FZ, NaNs, infinities, tiny and huge results. */
function arith2Exact(cpu: FpRegs, dbl: boolean, op: Op2, wd: number, wn: number, wm: number): void {
  const a = flushIn(cpu, readF(cpu, dbl, wn), dbl);
  const b = flushIn(cpu, readF(cpu, dbl, wm), dbl);
  const nanA = a !== a;
  const nanB = b !== b;
  if ((op === Op2.MAXNM || op === Op2.MINNM) && nanA !== nanB) {
    // One quiet NaN: the number wins; a signalling NaN still propagates.
    const quietOnly = nanA ? !isSNaNW(cpu, dbl, wn) : !isSNaNW(cpu, dbl, wm);
    if (quietOnly) return writeF(cpu, dbl, wd, nanA ? b : a);
  }
  let r: number;
  if (nanA || nanB) {
    // FRECPS/FRSQRTS negate the first operand before NaN processing.
    processNaNs(cpu, dbl, wd, wn, wm, -1, op === Op2.RECPS || op === Op2.RSQRTS);
    r = NaN;
  } else {
    const fmt = dbl ? FMT64 : FMT32;
    const mode = fpcrRnd(cpu);
    const fz = (cpu.fpcr & FPCR_FZ) !== 0;
    switch (op) {
      case Op2.ADD: r = addExact(cpu, a, b, fmt, mode, fz); break;
      case Op2.SUB: case Op2.ABD: r = addExact(cpu, a, -b, fmt, mode, fz); break;
      case Op2.MUL: case Op2.NMUL: r = mulExact(cpu, a, b, fmt, mode, fz); break;
      case Op2.MULX:
        r = (a === 0 && b - b !== 0) || (b === 0 && a - a !== 0) ? (((a < 0 || Object.is(a, -0)) !== (b < 0 || Object.is(b, -0))) ? -2 : 2)
          : mulExact(cpu, a, b, fmt, mode, fz);
        break;
      case Op2.RECPS: r = stepFused(cpu, -a, b, 2, 0, fmt, mode, fz); break;
      case Op2.RSQRTS: r = stepFused(cpu, -a, b, 3, -1, fmt, mode, fz); break;
      case Op2.DIV: r = divExact(cpu, a, b, fmt, mode, fz); break;
      case Op2.MAX: case Op2.MAXNM: r = Math.max(a, b); break;
      default: r = Math.min(a, b);
    }
    if (r !== r) invalid(cpu, dbl, wd);
    else writeF(cpu, dbl, wd, r);
  }
  if (r === r && op !== Op2.NMUL && op !== Op2.ABD) return;
  // FNMUL is FPNeg(FPMul()) and FABD is FPAbs(FPSub()): they apply to NaN results too.
  const sw = dbl ? wd + 1 : wd;
  if (op === Op2.NMUL) cpu.vs[sw] = cpu.vs[sw]! ^ 0x80000000;
  if (op === Op2.ABD) cpu.vs[sw] = cpu.vs[sw]! & 0x7fffffff;
}

/**
 * FPRecipStepFused / FPRSqrtStepFused: (c + a*b) * 2^scale, one rounding, with
 * a already negated; 0 * inf gives c * 2^scale exactly (2.0 or 1.5).
 */
export function stepFused(cpu: FpRegs, a: number, b: number, c: number, scale: number, fmt: Fmt, mode: Rnd, fz: boolean): number {
  const infA = a - a !== 0;
  const infB = b - b !== 0;
  if ((infA && b === 0) || (infB && a === 0)) return c * 2 ** scale;
  if (infA || infB) return a * b;
  if (a === 0 || b === 0) return c * 2 ** scale;
  return fmaFinite(cpu, a, b, c, fmt, mode, fz, scale);
}

/** FSQRT of one lane. */
export function sqrt1(cpu: FpRegs, dbl: boolean, wd: number, wn: number): void {
  const a = readF(cpu, dbl, wn);
  // Below BIG the check r*r == a cannot overflow in its split product.
  if ((cpu.fpcr & FPCR_SLOW) === 0 && a >= (dbl ? SAFE64 : SAFE32) && a < (dbl ? BIG : Infinity)) {
    // sqrt of a normal operand is normal; exact iff r*r == a.
    const s = Math.sqrt(a);
    const r = dbl ? s : Math.fround(s);
    const p = r * r;
    if (p !== a || (dbl && productError(r, r, p) !== 0)) cpu.fpsr |= FPSR_IXC;
    return writeF(cpu, dbl, wd, r);
  }
  const x = flushIn(cpu, a, dbl);
  if (x !== x) {
    processNaNs(cpu, dbl, wd, wn, -1, -1);
    return;
  }
  const r = sqrtExact(cpu, x, dbl ? FMT64 : FMT32, fpcrRnd(cpu), (cpu.fpcr & FPCR_FZ) !== 0);
  if (r !== r) return invalid(cpu, dbl, wd);
  writeF(cpu, dbl, wd, r);
}

// ---- fused multiply-add ------------------------------------------------------------------

/** The binary64 one ulp from x (finite, nonzero) towards +inf (`up`) or -inf. */
function nextAfter(x: number, up: boolean): number {
  F64[0] = x;
  if ((x > 0) === up) {
    U32[0] = (U32[0]! + 1) >>> 0;
    if (U32[0] === 0) U32[1] = U32[1]! + 1;
  } else {
    if (U32[0] === 0) U32[1] = U32[1]! - 1;
    U32[0] = (U32[0]! - 1) >>> 0;
  }
  return F64[0]!;
}

/**
 * Binary64 FMA under RN without FZ, without BigInt (Boldo and Melquiond,
 * "Emulation of FMA and correctly rounded sums: proved algorithms using
 * rounding to odd"): the product split exactly into uh + ul (Dekker), c + uh
 * exactly into th + tl (TwoSum), v = tl + ul rounded to odd, and the result
 * RN(th + v). The operand bounds keep every step free of overflow and
 * underflow, and the result normal; outside them (or for a tiny result) it
 * returns null and the exact path decides. Sets IXC when the result is not
 * exact: when tl + ul or th + v had a rounding error.
 */
function fmaFast64(cpu: FpRegs, a: number, b: number, c: number): number | null {
  const aa = Math.abs(a);
  const ab = Math.abs(b);
  const ac = Math.abs(c);
  if (!(aa >= 2 ** -400 && aa <= 2 ** 400 && ab >= 2 ** -400 && ab <= 2 ** 400 && ac <= 2 ** 800 && (c === 0 || ac >= 2 ** -400))) {
    return null;
  }
  const uh = a * b;
  const ul = productError(a, b, uh);
  const th = c + uh;
  let bb = th - c;
  const tl = c - (th - bb) + (uh - bb);
  const s = tl + ul;
  bb = s - tl;
  const e2 = tl - (s - bb) + (ul - bb);
  let v = s;
  if (e2 !== 0) {
    // Round to odd: keep s if its last bit is odd, else take the neighbour towards the exact sum.
    F64[0] = s;
    if ((U32[0]! & 1) === 0) v = nextAfter(s, e2 > 0);
  }
  const r = th + v;
  if (!(Math.abs(r) >= SAFE64)) return null;
  bb = r - th;
  const e3 = th - (r - bb) + (v - bb);
  if (e2 !== 0 || e3 !== 0) cpu.fpsr |= FPSR_IXC;
  return r;
}

/**
 * Binary32 FMA under RN without FZ: the product of two singles is exact in
 * binary64, so a*b + c is s + e exactly (TwoSum). Rounding s to single
 * differs from rounding s + e only when s is a midpoint between two singles
 * and e is nonzero: then e says which side the exact value is on. Results
 * near the subnormal or overflow range return null (exact path).
 */
function fmaFast32(cpu: FpRegs, a: number, b: number, c: number): number | null {
  const p = a * b;
  const s = p + c;
  const bb = s - p;
  const e = p - (s - bb) + (c - bb);
  const as = Math.abs(s);
  if (!(as >= SAFE32 && as < 2 ** 127)) return null;
  let r = Math.fround(s);
  const d = s - r;
  if (e !== 0 && d !== 0) {
    // s is a midpoint exactly when the single on its other side is r + 2d.
    const other = r + 2 * d;
    if (Math.fround(other) === other && e > 0 === d > 0) r = other;
  }
  if (e !== 0 || r !== s) cpu.fpsr |= FPSR_IXC;
  return r;
}

/** (a*b + c) * 2^scale with a single rounding (operands finite and a, b nonzero). */
export function fmaFinite(cpu: FpRegs, a: number, b: number, c: number, fmt: Fmt, mode: Rnd, fz: boolean, scale = 0): number {
  if (mode === Rnd.TIEEVEN && !fz && scale === 0) {
    const fast = fmt === FMT64 ? fmaFast64(cpu, a, b, c) : fmt === FMT32 ? fmaFast32(cpu, a, b, c) : null;
    if (fast !== null) return fast;
  }
  const A = decompose(a);
  const B = decompose(b);
  const pe = A.e + B.e + scale;
  let pm = A.m * B.m;
  if (A.neg !== B.neg) pm = -pm;
  if (c === 0) return roundBig(cpu, pm < 0n, pm < 0n ? -pm : pm, pe, false, fmt, mode, fz);
  const C = decompose(c);
  C.e += scale;
  const e = Math.min(pe, C.e);
  const cm = C.neg ? -C.m : C.m;
  const s = (pm << BigInt(pe - e)) + (cm << BigInt(C.e - e));
  if (s === 0n) return mode === Rnd.NEGINF ? -0 : 0; // exact cancellation
  return roundBig(cpu, s < 0n, s < 0n ? -s : s, e, false, fmt, mode, fz);
}

/**
 * FPMulAdd: Vd = (±Va) + (±Vn) * Vm with one rounding. negA/negN implement
 * FMSUB (negN), FNMADD (both) and FNMSUB (negA).
 */
export function fma(cpu: FpRegs, dbl: boolean, wd: number, wa: number, wn: number, wm: number, negA: boolean, negN: boolean): void {
  let c = flushIn(cpu, readF(cpu, dbl, wa), dbl);
  let a = flushIn(cpu, readF(cpu, dbl, wn), dbl);
  const b = flushIn(cpu, readF(cpu, dbl, wm), dbl);
  if (c !== c || a !== a || b !== b) {
    const infZero = (Math.abs(a) === Infinity && b === 0) || (a === 0 && Math.abs(b) === Infinity);
    if (c !== c && !isSNaNW(cpu, dbl, wa) && infZero) return invalid(cpu, dbl, wd);
    processNaNs(cpu, dbl, wd, wa, wn, wm, negA, negN, false);
    return;
  }
  if (negA) c = -c;
  if (negN) a = -a;
  const mode = fpcrRnd(cpu);
  let r: number;
  if (a === 0 || b === 0 || a - a !== 0 || b - b !== 0) {
    // The product is exact: zero, infinite or invalid.
    const p = a * b;
    if (p !== p || (p - p !== 0 && c === -p)) return invalid(cpu, dbl, wd);
    if (p === 0 && c === 0) r = Object.is(p, c) ? c : mode === Rnd.NEGINF ? -0 : 0;
    else r = p - p !== 0 ? p : p === 0 ? c : p + c;
  } else if (c - c !== 0) r = c;
  else r = fmaFinite(cpu, a, b, c, dbl ? FMT64 : FMT32, mode, (cpu.fpcr & FPCR_FZ) !== 0);
  writeF(cpu, dbl, wd, r);
}

// ---- rounding to integral -------------------------------------------------------------------

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
  const a = flushIn(cpu, readF(cpu, dbl, wn), dbl);
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
 * FPToFixed: round x * 2^fbits to an integer of `bits` (16/32/64), saturating.
 * Leaves the two's-complement result in intOut (low, high word). `dbl` is
 * the source precision (for the FPCR.FZ flush of denormal inputs).
 */
export function toInt(cpu: FpRegs, x: number, fbits: number, bits: number, unsigned: boolean, mode: Rnd, dbl = true): void {
  if (x !== x) {
    cpu.fpsr |= FPSR_IOC;
    intOut[0] = 0;
    intOut[1] = 0;
    return;
  }
  if (cpu.fpcr & FPCR_FZ) x = flushIn(cpu, x, dbl);
  const v = fbits ? x * 2 ** fbits : x;
  const r = v - v === 0 ? roundInt(v, mode) : v;
  // Exclusive upper bound: 2^63 - 1 and 2^64 - 1 are not doubles.
  const limit = unsigned ? 2 ** bits : 2 ** (bits - 1);
  const min = unsigned ? 0 : -limit;
  if (r >= limit || r < min) {
    cpu.fpsr |= FPSR_IOC;
    const high = r >= limit;
    if (bits <= 32) {
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
  intOut[1] = bits <= 32 ? 0 : Math.floor(r / TWO32);
}

// ---- conversions from integer ---------------------------------------------------------------

/**
 * FixedToFP: the integer (lo, hi words; hi ignored for 32-bit) / 2^fbits,
 * rounded to single or double under the FPCR.
 */
export function fromInt(cpu: FpRegs, lo: number, hi: number, bits: number, signed: boolean, fbits: number, dbl: boolean): number {
  let v: number | undefined;
  if (bits === 32) v = signed ? lo | 0 : lo >>> 0;
  else if (hi < 0x200000 || (signed && hi >= 0xffe00000)) {
    v = signed ? (hi | 0) * TWO32 + lo : hi * TWO32 + lo; // |v| < 2^53: exact
  }
  if (v !== undefined) {
    if (fbits) v /= 2 ** fbits; // exact: a power-of-two scaling that cannot reach the subnormal range
    if (dbl) return v;
    if ((cpu.fpcr & FPCR_SLOW) === 0) {
      const r = Math.fround(v);
      if (r !== v) cpu.fpsr |= FPSR_IXC;
      return r;
    }
    return roundNumber(cpu, v, FMT32, fpcrRnd(cpu), (cpu.fpcr & FPCR_FZ) !== 0);
  }
  let m = (BigInt(hi) << 32n) | BigInt(lo >>> 0);
  const neg = signed && hi >>> 31 === 1;
  if (neg) m = (1n << 64n) - m;
  return roundBig(cpu, neg, m, -fbits, false, dbl ? FMT64 : FMT32, fpcrRnd(cpu), (cpu.fpcr & FPCR_FZ) !== 0);
}

// ---- half precision -------------------------------------------------------------------------

/** binary16 bits to a number (exact). NaNs come back as JS NaN; callers handle payloads. `ahp`: exponent 31 is normal. */
export function f16ToNumber(h: number, ahp = false): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31 && !ahp) return f ? NaN : s * Infinity;
  return s * (1024 + f) * 2 ** (e - 25);
}

/**
 * A non-NaN number to binary16 bits (FPRoundCV: FPCR rounding mode, no
 * flush to zero). With FPCR.AHP an infinity or overflow saturates to the
 * largest magnitude and raises IOC instead of OFC.
 */
export function numberToF16(cpu: FpRegs, x: number, mode: Rnd = fpcrRnd(cpu)): number {
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const ahp = (cpu.fpcr & FPCR_AHP) !== 0;
  if (x === 0) return sign;
  if (x - x !== 0) {
    if (!ahp) return sign | 0x7c00;
    cpu.fpsr |= FPSR_IOC;
    return sign | 0x7fff;
  }
  let r: number;
  if (ahp) {
    // Overflow saturates with IOC and no inexact (FPRoundBase's alternative half precision).
    const d = decompose(x);
    const save = cpu.fpsr;
    cpu.fpsr = 0;
    r = roundBig(cpu, d.neg, d.m, d.e, false, FMT16AHP, mode, false);
    const raised = cpu.fpsr;
    cpu.fpsr = save;
    if (raised & FPSR_OFC) {
      cpu.fpsr |= FPSR_IOC;
      return sign | 0x7fff;
    }
    cpu.fpsr |= raised;
  } else r = roundNumber(cpu, x, FMT16, mode, false);
  const a = Math.abs(r);
  if (a === Infinity) return sign | 0x7c00;
  if (a < 2 ** -14) return sign | (a * 2 ** 24); // subnormal
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  if (2 ** (e + 1) <= a) e++;
  return sign | ((e + 15) << 10) | ((a / 2 ** e - 1) * 1024);
}

/** A finite or infinite number (not NaN) rounded to single under the FPCR (FCVT, FCVTN). */
export function toSingle(cpu: FpRegs, x: number): number {
  if ((cpu.fpcr & FPCR_SLOW) === 0) {
    const r = Math.fround(x);
    if (r === x) return r;
    if (Math.abs(r) >= SAFE32 && r - r === 0) {
      cpu.fpsr |= FPSR_IXC;
      return r;
    }
  }
  return roundNumber(cpu, x, FMT32, fpcrRnd(cpu), (cpu.fpcr & FPCR_FZ) !== 0);
}

// ---- FPConvert between precisions -------------------------------------------------------------

/** The FP registers with a halfword view, for conversions that involve half precision. */
export interface FpRegsH extends FpRegs {
  readonly vh: Uint16Array;
}

/** FPConvertNaN (or FPCR.DN / AHP's zero): source element s of `from`, result element d of `to`. */
function convertNaN(cpu: FpRegsH, from: number, to: number, s: number, d: number, ahp: boolean): void {
  const vs = cpu.vs;
  let sign: number;
  let hi: number; // payload bits 50..32 (after the quiet bit), left-aligned in 51 bits
  let lo: number; // payload bits 31..0
  let snan: boolean;
  if (from === 1) {
    sign = vs[s + 1]! >>> 31;
    snan = (vs[s + 1]! & 0x80000) === 0;
    hi = vs[s + 1]! & 0x7ffff;
    lo = vs[s]!;
  } else if (from === 0) {
    const b = vs[s]!;
    sign = b >>> 31;
    snan = (b & 0x400000) === 0;
    hi = (b & 0x3fffff) >>> 3;
    lo = (b << 29) >>> 0;
  } else {
    const h = cpu.vh[s]!;
    sign = h >>> 15;
    snan = (h & 0x200) === 0;
    hi = (h & 0x1ff) << 10;
    lo = 0;
  }
  if (to === 3 && ahp) {
    // Alternative half precision has no NaN: zero, and always Invalid Operation.
    cpu.fpsr |= FPSR_IOC;
    cpu.vh[d] = sign << 15;
    return;
  }
  if (snan) cpu.fpsr |= FPSR_IOC;
  if (cpu.fpcr & FPCR_DN) {
    if (to === 3) cpu.vh[d] = 0x7e00;
    else writeDefaultNaN(cpu, to === 1, d);
    return;
  }
  if (to === 1) {
    vs[d] = lo;
    vs[d + 1] = ((sign << 31) | 0x7ff80000 | hi) >>> 0;
  } else if (to === 0) vs[d] = ((sign << 31) | 0x7fc00000 | (hi << 3) | (lo >>> 29)) >>> 0;
  else cpu.vh[d] = (sign << 15) | 0x7e00 | (hi >>> 10);
}

/**
 * FPConvert of one element; from/to are 0 single, 1 double, 3 half. `s`/`d`
 * index the element in its own view (half: vh, single: vs word, double: the
 * even vs word of the pair). `mode` -1 is the FPCR rounding mode (FCVTXN
 * passes round-to-odd). FZ flushes single/double inputs and single/double
 * results, never half ones (FPUnpackCV/FPRoundCV).
 */
export function convertFp(cpu: FpRegsH, from: number, to: number, s: number, d: number, mode: Rnd | -1): void {
  const ahp = (cpu.fpcr & FPCR_AHP) !== 0;
  const nan = from === 3 ? !ahp && (cpu.vh[s]! & 0x7fff) > 0x7c00 : expFracNaN(from === 1, cpu.vs, s);
  if (nan) return convertNaN(cpu, from, to, s, d, ahp);
  const x = from === 3 ? f16ToNumber(cpu.vh[s]!, ahp) : flushIn(cpu, from === 1 ? cpu.vf64[s >> 1]! : cpu.vf32[s]!, from === 1);
  if (to === 3) cpu.vh[d] = numberToF16(cpu, x, mode === -1 ? fpcrRnd(cpu) : mode);
  else if (to === 1) cpu.vf64[d >> 1] = x;
  else cpu.vf32[d] = mode === -1 ? toSingle(cpu, x) : roundNumber(cpu, x, FMT32, mode, (cpu.fpcr & FPCR_FZ) !== 0);
}

// ---- FEAT_FRINTTS and FEAT_JSCVT ----------------------------------------------------------------

/**
 * FRINT32Z/32X/64Z/64X (FPRoundIntN): round to an integral value that must fit
 * a signed `intsize`-bit integer; NaN, infinity or out of range give
 * -2^(intsize-1) with Invalid Operation. Unlike FRINTZ, both the Z and X
 * forms raise Inexact.
 */
export function frintN(cpu: FpRegs, dbl: boolean, wd: number, wn: number, mode: Rnd, intsize: number): void {
  const a = flushIn(cpu, readF(cpu, dbl, wn), dbl);
  const limit = 2 ** (intsize - 1);
  const r = a - a === 0 ? roundInt(a, mode) : NaN;
  if (!(r >= -limit && r < limit)) {
    cpu.fpsr |= FPSR_IOC;
    return writeF(cpu, dbl, wd, -limit);
  }
  if (r !== a) cpu.fpsr |= FPSR_IXC;
  writeF(cpu, dbl, wd, r);
}

/**
 * FJCVTZS (FPToFixedJS): JavaScript ToInt32 of a double, truncating and
 * wrapping modulo 2^32. Returns the result; jsZ[0] says whether it was
 * exact and in range (the Z flag).
 */
export function fjcvt(cpu: FpRegs, x: number): number {
  x = flushIn(cpu, x, true);
  jsZ[0] = 0;
  if (x !== x || x - x !== 0) {
    cpu.fpsr |= FPSR_IOC;
    return 0;
  }
  const t = Math.trunc(x);
  if (t < -(2 ** 31) || t > 2 ** 31 - 1) cpu.fpsr |= FPSR_IOC;
  else if (t !== x) cpu.fpsr |= FPSR_IXC;
  else jsZ[0] = Object.is(x, -0) ? 0 : 1;
  return x | 0;
}
export const jsZ = new Uint8Array(1);
