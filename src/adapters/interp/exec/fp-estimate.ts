/**
 * The ARM ARM's reciprocal estimates: FPRecipEstimate (FRECPE),
 * FPRSqrtEstimate (FRSQRTE) and FPRecpX (FRECPX), bit-exact for half, single
 * and double precision. The estimates work on the operand's bits: an
 * 8-bit fixed-point significand goes through RecipEstimate or
 * RecipSqrtEstimate and comes back with a computed exponent. FEAT_RPRES
 * (increased precision under FPCR.AH) is not implemented, as FPCR.AH is not.
 *
 * A precision is described by its exponent width and bias offsets, so one
 * routine serves all three; operands and results are passed as bit fields
 * (sign, biased exponent, the top fraction bits) in numbers.
 */
import { FPSR_DZC, FPSR_IDC, FPSR_IOC, FPSR_IXC, FPSR_OFC, FPSR_UFC, type FpRegsH } from './fp-core.js';

const FPCR_DN = 1 << 25;
const FPCR_FZ = 1 << 24;
const FPCR_FZ16 = 1 << 19;

/** A binary format for the estimates: N bits, E exponent bits, F fraction bits. */
interface Prec {
  readonly n: 16 | 32 | 64;
  readonly e: number;
  readonly f: number;
}
const P16: Prec = { n: 16, e: 5, f: 10 };
const P32: Prec = { n: 32, e: 8, f: 23 };
const P64: Prec = { n: 64, e: 11, f: 52 };

/**
 * An operand split into sign, biased exponent and fraction (for doubles the
 * fraction is hi 20 bits * 2^32 + lo, exact in a number).
 */
interface Parts {
  sign: number;
  exp: number;
  frac: number;
}

function read(cpu: FpRegsH, p: Prec, idx: number, out: Parts): void {
  if (p.n === 16) {
    const h = cpu.vh[idx]!;
    out.sign = h >>> 15;
    out.exp = (h >>> 10) & 0x1f;
    out.frac = h & 0x3ff;
  } else if (p.n === 32) {
    const w = cpu.vs[idx]!;
    out.sign = w >>> 31;
    out.exp = (w >>> 23) & 0xff;
    out.frac = w & 0x7fffff;
  } else {
    const hi = cpu.vs[idx + 1]!;
    out.sign = hi >>> 31;
    out.exp = (hi >>> 20) & 0x7ff;
    out.frac = (hi & 0xfffff) * 4294967296 + cpu.vs[idx]!;
  }
}

function write(cpu: FpRegsH, p: Prec, idx: number, sign: number, exp: number, frac: number): void {
  if (p.n === 16) cpu.vh[idx] = (sign << 15) | (exp << 10) | frac;
  else if (p.n === 32) cpu.vs[idx] = ((sign << 31) | (exp << 23) | frac) >>> 0;
  else {
    cpu.vs[idx] = frac % 4294967296;
    cpu.vs[idx + 1] = ((sign << 31) | (exp << 20) | Math.floor(frac / 4294967296)) >>> 0;
  }
}

const maxExp = (p: Prec): number => (1 << p.e) - 1;

/** The top `k` bits of the F-bit fraction, after shifting it left by `sh` (bits shifted past the top are dropped). */
function topBits(p: Prec, frac: number, sh: number, k: number): number {
  const scaled = frac * 2 ** sh;
  const wrapped = scaled % 2 ** p.f;
  return Math.floor(wrapped / 2 ** (p.f - k));
}

const scratch: Parts = { sign: 0, exp: 0, frac: 0 };

/**
 * FPUnpack's view of the operand for the estimates: its kind after FPCR.FZ
 * (single/double: IDC on a flushed denormal) or FZ16 (half: no flag).
 */
function kind(cpu: FpRegsH, p: Prec, x: Parts): 'nan' | 'inf' | 'zero' | 'num' {
  if (x.exp === maxExp(p)) return x.frac === 0 ? 'inf' : 'nan';
  if (x.exp !== 0) return 'num';
  if (x.frac === 0) return 'zero';
  if (p.n === 16 ? cpu.fpcr & FPCR_FZ16 : cpu.fpcr & FPCR_FZ) {
    if (p.n !== 16) cpu.fpsr |= FPSR_IDC;
    return 'zero';
  }
  return 'num';
}

/** FPProcessNaN: the operand quieted (IOC if it was signalling), or the default NaN under FPCR.DN. */
function processNaN(cpu: FpRegsH, p: Prec, wd: number, x: Parts): void {
  const quiet = p.n === 64 ? 2 ** 51 : 1 << (p.f - 1);
  const isQuiet = p.n === 64 ? x.frac >= 2 ** 51 : (x.frac & quiet) !== 0;
  if (!isQuiet) cpu.fpsr |= FPSR_IOC;
  if (cpu.fpcr & FPCR_DN) return write(cpu, p, wd, 0, maxExp(p), quiet);
  write(cpu, p, wd, x.sign, maxExp(p), isQuiet ? x.frac : x.frac + quiet);
}

/** RecipEstimate: a in 256..511 (0.5 <= a/512 < 1), the estimate of 1/a in 256..511. */
function recipEstimate(a: number): number {
  const b = Math.floor(2 ** 19 / (a * 2 + 1));
  return (b + 1) >> 1;
}

/** RecipSqrtEstimate: a in 128..511, the estimate of 1/sqrt in 256..511. */
function recipSqrtEstimateOf(a: number): number {
  const x = a < 256 ? a * 2 + 1 : ((a >> 1) << 1) * 2 + 2;
  let b = 512;
  // The largest b with x * (b+1)^2 < 2^28.
  while (x * (b + 1) * (b + 1) < 2 ** 28) b++;
  return (b + 1) >> 1;
}

/** RecipSqrtEstimate for every input, computed once (the search takes up to 500 steps). */
const RSQRT = new Uint16Array(512);
for (let a = 128; a < 512; a++) RSQRT[a] = recipSqrtEstimateOf(a);

function precOf(sz: number): Prec {
  return sz === 1 ? P16 : sz === 2 ? P32 : P64;
}

/**
 * FRECPE of one element. `sz` 1 half (halfword index), 2 single (word index),
 * 3 double (even word index).
 */
export function recpe(cpu: FpRegsH, sz: number, wd: number, wn: number): void {
  const p = precOf(sz);
  const x = scratch;
  read(cpu, p, wn, x);
  const k = kind(cpu, p, x);
  if (k === 'nan') return processNaN(cpu, p, wd, x);
  if (k === 'inf') return write(cpu, p, wd, x.sign, 0, 0);
  if (k === 'zero') {
    cpu.fpsr |= FPSR_DZC;
    return write(cpu, p, wd, x.sign, maxExp(p), 0);
  }
  // |value| < 2^-(bias+2): the reciprocal overflows.
  if (x.exp === 0 && x.frac < 2 ** (p.f - 2)) {
    cpu.fpsr |= FPSR_OFC | FPSR_IXC;
    const rmode = (cpu.fpcr >>> 22) & 3;
    const toInf = rmode === 0 || (rmode === 1 && x.sign === 0) || (rmode === 2 && x.sign === 1);
    if (toInf) return write(cpu, p, wd, x.sign, maxExp(p), 0);
    return write(cpu, p, wd, x.sign, maxExp(p) - 1, 2 ** p.f - 1);
  }
  const fz = p.n === 16 ? cpu.fpcr & FPCR_FZ16 : cpu.fpcr & FPCR_FZ;
  // |value| >= 2^(bias-1): the reciprocal is below the normal range, flushed under FZ (UFC only).
  if (fz && x.exp >= maxExp(p) - 2) {
    cpu.fpsr |= FPSR_UFC;
    return write(cpu, p, wd, x.sign, 0, 0);
  }
  let exp = x.exp;
  let top: number;
  if (exp === 0) {
    if (topBits(p, x.frac, 0, 1) === 0) {
      exp = -1;
      top = topBits(p, x.frac, 2, 8);
    } else top = topBits(p, x.frac, 1, 8);
  } else top = topBits(p, x.frac, 0, 8);
  const est = recipEstimate(256 | top) & 0xff;
  let rexp = 2 * ((1 << (p.e - 1)) - 1) - 1 - exp;
  // The estimate's 8 bits, placed at the top of the fraction (or shifted for a subnormal result).
  let frac = est * 2 ** (p.f - 8);
  if (rexp === 0) frac = 2 ** (p.f - 1) + est * 2 ** (p.f - 9);
  else if (rexp === -1) {
    frac = 2 ** (p.f - 2) + est * 2 ** (p.f - 10);
    rexp = 0;
  }
  write(cpu, p, wd, x.sign, rexp, Math.floor(frac));
}

/** FRSQRTE of one element (indices as for recpe). */
export function rsqrte(cpu: FpRegsH, sz: number, wd: number, wn: number): void {
  const p = precOf(sz);
  const x = scratch;
  read(cpu, p, wn, x);
  const k = kind(cpu, p, x);
  if (k === 'nan') return processNaN(cpu, p, wd, x);
  if (k === 'zero') {
    cpu.fpsr |= FPSR_DZC;
    return write(cpu, p, wd, x.sign, maxExp(p), 0);
  }
  if (x.sign === 1) {
    cpu.fpsr |= FPSR_IOC;
    const quiet = p.n === 64 ? 2 ** 51 : 1 << (p.f - 1);
    return write(cpu, p, wd, 0, maxExp(p), quiet);
  }
  if (k === 'inf') return write(cpu, p, wd, 0, 0, 0);
  let exp = x.exp;
  let frac = x.frac;
  if (exp === 0) {
    // Normalise the subnormal: shift until the leading one is at the top, then drop it.
    while (frac < 2 ** (p.f - 1)) {
      frac *= 2;
      exp--;
    }
    frac = (frac * 2) % 2 ** p.f;
  }
  const scaled = (exp & 1) === 0 ? 256 | topBits(p, frac, 0, 8) : 128 | topBits(p, frac, 0, 7);
  const est = RSQRT[scaled]! & 0xff;
  const off = p.n === 16 ? 44 : p.n === 32 ? 380 : 3068;
  const rexp = Math.trunc((off - exp) / 2);
  write(cpu, p, wd, 0, rexp, est * 2 ** (p.f - 8));
}

/** FRECPX of one element (indices as for recpe): the exponent inverted, the fraction zeroed. */
export function recpx(cpu: FpRegsH, sz: number, wd: number, wn: number): void {
  const p = precOf(sz);
  const x = scratch;
  read(cpu, p, wn, x);
  if (x.exp === maxExp(p) && x.frac !== 0) return processNaN(cpu, p, wd, x);
  kind(cpu, p, x); // IDC for a flushed denormal
  if (x.exp === 0) return write(cpu, p, wd, x.sign, maxExp(p) - 1, 0);
  write(cpu, p, wd, x.sign, ~x.exp & maxExp(p), 0);
}
