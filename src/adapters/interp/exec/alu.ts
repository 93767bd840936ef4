/**
 * Shared 64-bit integer helpers for instruction semantics, on pairs of uint32
 * halves (no BigInt on hot paths): register-31 resolution, AddWithCarry with
 * NZCV, shifts and rotates, register extends, condition checks, multiply
 * pieces, bit/byte reversal, CRC32 and the bitmask-immediate decode.
 *
 * 64-bit results are returned as the low word; the high word is left in the
 * module scratch `rhi` (read it right after the call). Inputs are uint32
 * numbers (0 .. 2^32-1).
 */
import { decodeBitMasks } from '../../../domain/a64/table/dp-imm.js';
import { type Cpu } from '../cpu.js';
import { SP_SLOT, TWO32, XZR_READ, XZR_WRITE } from '../regs.js';


/** High word of the last 64-bit result. */
export let rhi = 0;

// ---- register 31 resolution (done in builders) ----------------------------------------

/** Source register where 31 means XZR. */
export function srcZr(n: number): number {
  return n === 31 ? XZR_READ : n;
}

/** Destination register where 31 means XZR (writes are discarded). */
export function dstZr(n: number): number {
  return n === 31 ? XZR_WRITE : n;
}

/** Source or destination where 31 means SP. */
export function regSp(n: number): number {
  return n === 31 ? SP_SLOT : n;
}

// ---- register writes ---------------------------------------------------------------------

/** Write a W result: the low word, and zero the high word. */
export function wr32(x: Uint32Array, d: number, v: number): void {
  x[2 * d] = v;
  x[2 * d + 1] = 0;
}

export function wr64(x: Uint32Array, d: number, lo: number, hi: number): void {
  x[2 * d] = lo;
  x[2 * d + 1] = hi;
}

/** Write an integer-valued number (|v| < 2^53, may be negative) as a two's complement X value. */
export function wrNum(x: Uint32Array, d: number, v: number): void {
  x[2 * d] = v >>> 0;
  x[2 * d + 1] = Math.floor(v / TWO32) >>> 0;
}

// ---- add with carry ----------------------------------------------------------------------

/** X[d] = a + b + cin (64-bit), no flags. */
export function add64(x: Uint32Array, d: number, aLo: number, aHi: number, bLo: number, bHi: number, cin: number): void {
  const lo = aLo + bLo + cin;
  x[2 * d] = lo;
  x[2 * d + 1] = aHi + bHi + (lo > 0xffffffff ? 1 : 0);
}

/** X[d] = a + b + cin (64-bit), setting NZCV as AddWithCarry does. Subtract as a + ~b + 1. */
export function adds64(cpu: Cpu, d: number, aLo: number, aHi: number, bLo: number, bHi: number, cin: number): void {
  const lo = aLo + bLo + cin;
  const hs = aHi + bHi + (lo > 0xffffffff ? 1 : 0);
  const rl = lo >>> 0;
  const rh = hs >>> 0;
  cpu.nf = rh >>> 31;
  cpu.zf = (rl | rh) === 0 ? 1 : 0;
  cpu.cf = hs > 0xffffffff ? 1 : 0;
  // Signed overflow: both operands have the same sign and the result differs.
  cpu.vf = ((aHi ^ rh) & (bHi ^ rh)) >>> 31;
  const x = cpu.x;
  x[2 * d] = rl;
  x[2 * d + 1] = rh;
}

/** W[d] = a + b + cin, setting NZCV. */
export function adds32(cpu: Cpu, d: number, a: number, b: number, cin: number): void {
  const s = a + b + cin;
  const r = s >>> 0;
  cpu.nf = r >>> 31;
  cpu.zf = r === 0 ? 1 : 0;
  cpu.cf = s > 0xffffffff ? 1 : 0;
  cpu.vf = ((a ^ r) & (b ^ r)) >>> 31;
  const x = cpu.x;
  x[2 * d] = r;
  x[2 * d + 1] = 0;
}

/** NZCV for a logical result (C and V cleared). */
export function logicFlags64(cpu: Cpu, lo: number, hi: number): void {
  cpu.nf = hi >>> 31;
  cpu.zf = (lo | hi) === 0 ? 1 : 0;
  cpu.cf = 0;
  cpu.vf = 0;
}

export function logicFlags32(cpu: Cpu, v: number): void {
  cpu.nf = v >>> 31;
  cpu.zf = v === 0 ? 1 : 0;
  cpu.cf = 0;
  cpu.vf = 0;
}

// ---- shifts (amount 0..63 for 64-bit, 0..31 for 32-bit) -------------------------------------

export const LSL = 0;
export const LSR = 1;
export const ASR = 2;
export const ROR = 3;

export function lsl64(lo: number, hi: number, n: number): number {
  if (n === 0) {
    rhi = hi;
    return lo;
  }
  if (n < 32) {
    rhi = ((hi << n) | (lo >>> (32 - n))) >>> 0;
    return (lo << n) >>> 0;
  }
  rhi = (lo << (n - 32)) >>> 0;
  return 0;
}

export function lsr64(lo: number, hi: number, n: number): number {
  if (n === 0) {
    rhi = hi;
    return lo;
  }
  if (n < 32) {
    rhi = hi >>> n;
    return ((lo >>> n) | (hi << (32 - n))) >>> 0;
  }
  rhi = 0;
  return hi >>> (n - 32);
}

export function asr64(lo: number, hi: number, n: number): number {
  if (n === 0) {
    rhi = hi;
    return lo;
  }
  if (n < 32) {
    rhi = (hi >> n) >>> 0;
    return ((lo >>> n) | (hi << (32 - n))) >>> 0;
  }
  rhi = (hi >> 31) >>> 0;
  return (hi >> (n - 32)) >>> 0;
}

export function ror64(lo: number, hi: number, n: number): number {
  if (n >= 32) {
    const t = lo;
    lo = hi;
    hi = t;
    n -= 32;
  }
  if (n === 0) {
    rhi = hi;
    return lo;
  }
  rhi = ((hi >>> n) | (lo << (32 - n))) >>> 0;
  return ((lo >>> n) | (hi << (32 - n))) >>> 0;
}

/** Shift by type (LSL, LSR, ASR, ROR). */
export function shift64(type: number, lo: number, hi: number, n: number): number {
  switch (type) {
    case LSL:
      return lsl64(lo, hi, n);
    case LSR:
      return lsr64(lo, hi, n);
    case ASR:
      return asr64(lo, hi, n);
    default:
      return ror64(lo, hi, n);
  }
}

export function shift32(type: number, v: number, n: number): number {
  if (n === 0) return v;
  switch (type) {
    case LSL:
      return (v << n) >>> 0;
    case LSR:
      return v >>> n;
    case ASR:
      return (v >> n) >>> 0;
    default:
      return ((v >>> n) | (v << (32 - n))) >>> 0;
  }
}

// ---- extends (ExtendReg) --------------------------------------------------------------------

/** ExtendReg for 64-bit operations: option UXTB..SXTX, then LSL by `sh` (0..4). */
export function extend64(option: number, lo: number, hi: number, sh: number): number {
  switch (option) {
    case 0:
      lo &= 0xff;
      hi = 0;
      break;
    case 1:
      lo &= 0xffff;
      hi = 0;
      break;
    case 2:
      hi = 0;
      break;
    case 4:
      lo = (lo << 24) >> 24;
      hi = lo >> 31;
      break;
    case 5:
      lo = (lo << 16) >> 16;
      hi = lo >> 31;
      break;
    case 6:
      hi = (lo | 0) >> 31;
      break;
    default: // UXTX, SXTX
      break;
  }
  return lsl64(lo >>> 0, hi >>> 0, sh);
}

/** ExtendReg for 32-bit operations (only the low word matters). */
export function extend32(option: number, v: number, sh: number): number {
  switch (option & 3) {
    case 0:
      v = option & 4 ? (v << 24) >> 24 : v & 0xff;
      break;
    case 1:
      v = option & 4 ? (v << 16) >> 16 : v & 0xffff;
      break;
    default:
      break;
  }
  return (v << sh) >>> 0;
}

// ---- conditions ------------------------------------------------------------------------------

export { condHolds } from './cond.js';

// ---- multiply ------------------------------------------------------------------------------------

/** Unsigned 32x32 -> 64 product: returns the low word, high word in `rhi`. */
export function umul32(a: number, b: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  rhi = (a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)) >>> 0;
  return Math.imul(a, b) >>> 0;
}

/** Signed 32x32 -> 64 product of two W values (given as uint32). */
export function smul32(a: number, b: number): number {
  const lo = umul32(a, b);
  // Unsigned product minus 2^32 * (b if a < 0) minus 2^32 * (a if b < 0).
  rhi = (rhi - (a >>> 31 ? b : 0) - (b >>> 31 ? a : 0)) >>> 0;
  return lo;
}

/** Low 64 bits of a 64x64 product. */
export function mul64(aLo: number, aHi: number, bLo: number, bHi: number): number {
  const lo = umul32(aLo, bLo);
  rhi = (rhi + Math.imul(aLo, bHi) + Math.imul(aHi, bLo)) >>> 0;
  return lo;
}

/** High 64 bits of the unsigned 128-bit product. */
export function umulh64(aLo: number, aHi: number, bLo: number, bHi: number): number {
  umul32(aLo, bLo);
  const h00 = rhi;
  const l01 = umul32(aLo, bHi);
  const h01 = rhi;
  const l10 = umul32(aHi, bLo);
  const h10 = rhi;
  const l11 = umul32(aHi, bHi);
  const h11 = rhi;
  const w1 = h00 + l01 + l10;
  const w2 = h01 + h10 + l11 + Math.floor(w1 / TWO32);
  rhi = (h11 + Math.floor(w2 / TWO32)) >>> 0;
  return w2 >>> 0;
}

/** High 64 bits of the signed 128-bit product. */
export function smulh64(aLo: number, aHi: number, bLo: number, bHi: number): number {
  let lo = umulh64(aLo, aHi, bLo, bHi);
  let hi = rhi;
  // Signed correction: subtract b if a < 0 and a if b < 0 (mod 2^64).
  if (aHi >>> 31) {
    const t = lo - bLo;
    hi = (hi - bHi - (t < 0 ? 1 : 0)) >>> 0;
    lo = t >>> 0;
  }
  if (bHi >>> 31) {
    const t = lo - aLo;
    hi = (hi - aHi - (t < 0 ? 1 : 0)) >>> 0;
    lo = t >>> 0;
  }
  rhi = hi;
  return lo;
}

// ---- divide (ARM: x / 0 = 0; INT_MIN / -1 = INT_MIN) -----------------------------------------------

/** Values below 2^52 divide exactly in doubles: (q + 1) * b <= a + b < 2^53. */
const FAST_HI = 0x100000;

export function udiv64(aLo: number, aHi: number, bLo: number, bHi: number): number {
  if ((bLo | bHi) === 0) {
    rhi = 0;
    return 0;
  }
  if (aHi < FAST_HI && bHi < FAST_HI) {
    const q = Math.floor((aHi * TWO32 + aLo) / (bHi * TWO32 + bLo));
    rhi = Math.floor(q / TWO32);
    return q >>> 0;
  }
  const q = ((BigInt(aHi) << 32n) | BigInt(aLo)) / ((BigInt(bHi) << 32n) | BigInt(bLo));
  rhi = Number(q >> 32n);
  return Number(q & 0xffffffffn);
}

function smallSigned(hi: number): boolean {
  return hi < FAST_HI || hi >= TWO32 - FAST_HI;
}

function toSigned(lo: number, hi: number): number {
  return (hi | 0) * TWO32 + lo;
}

export function sdiv64(aLo: number, aHi: number, bLo: number, bHi: number): number {
  if ((bLo | bHi) === 0) {
    rhi = 0;
    return 0;
  }
  if (smallSigned(aHi) && smallSigned(bHi)) {
    const q = Math.trunc(toSigned(aLo, aHi) / toSigned(bLo, bHi));
    rhi = Math.floor(q / TWO32) >>> 0;
    return q >>> 0;
  }
  const a = BigInt.asIntN(64, (BigInt(aHi) << 32n) | BigInt(aLo));
  const b = BigInt.asIntN(64, (BigInt(bHi) << 32n) | BigInt(bLo));
  const q = BigInt.asUintN(64, a / b); // INT_MIN / -1 = 2^63 wraps to INT_MIN
  rhi = Number(q >> 32n);
  return Number(q & 0xffffffffn);
}

export function udiv32(a: number, b: number): number {
  return b === 0 ? 0 : Math.floor(a / b) >>> 0;
}

export function sdiv32(a: number, b: number): number {
  // (INT_MIN / -1) = 2^31 wraps to INT_MIN through >>> 0.
  return b === 0 ? 0 : Math.trunc((a | 0) / (b | 0)) >>> 0;
}

// ---- bit and byte reversal, counting ---------------------------------------------------------------

export function rbit32(v: number): number {
  v = ((v >>> 1) & 0x55555555) | ((v & 0x55555555) << 1);
  v = ((v >>> 2) & 0x33333333) | ((v & 0x33333333) << 2);
  v = ((v >>> 4) & 0x0f0f0f0f) | ((v & 0x0f0f0f0f) << 4);
  v = ((v >>> 8) & 0x00ff00ff) | ((v & 0x00ff00ff) << 8);
  return ((v >>> 16) | (v << 16)) >>> 0;
}

export function rev32(v: number): number {
  return ((v >>> 24) | ((v >>> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24)) >>> 0;
}

/** Swap the bytes of each halfword. */
export function rev16(v: number): number {
  return (((v >>> 8) & 0x00ff00ff) | ((v << 8) & 0xff00ff00)) >>> 0;
}

export function clz64(lo: number, hi: number): number {
  return hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(lo);
}

/** CountLeadingSignBits: leading bits equal to the sign bit, not counting it. */
export function cls64(lo: number, hi: number): number {
  const yLo = (lo ^ asr64(lo, hi, 1)) >>> 0;
  return clz64(yLo, (hi ^ rhi) >>> 0) - 1;
}

export function cls32(v: number): number {
  return Math.clz32(v ^ (v >> 1)) - 1;
}

// ---- CRC32 (reflected, no pre/post inversion, as the A64 instructions) -------------------------------

function crcTable(poly: number): Uint32Array {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    t[i] = c;
  }
  return t;
}

/** CRC-32 (0x04C11DB7) and CRC-32C (0x1EDC6F41), bit-reflected. */
export const CRC32_TABLE = crcTable(0xedb88320);
export const CRC32C_TABLE = crcTable(0x82f63b78);

/** Fold `bytes` low-order bytes of `v` into `acc`. */
export function crcUpdate(table: Uint32Array, acc: number, v: number, bytes: number): number {
  for (let i = 0; i < bytes; i++) {
    acc = table[(acc ^ v) & 0xff]! ^ (acc >>> 8);
    v >>>= 8;
  }
  return acc >>> 0;
}

// ---- bitmask immediates ------------------------------------------------------------------------------

/** DecodeBitMasks for a logical immediate, as [lo, hi] halves (builder time only). */
export function bitmaskImm(sf: number, n: number, immr: number, imms: number): [number, number] {
  const m = decodeBitMasks(n, imms, immr, true, sf ? 64 : 32);
  if (!m) throw new Error('reserved logical immediate reached the interpreter');
  return [Number(m.wmask & 0xffffffffn), Number(m.wmask >> 32n)];
}

// ---- logical operations -----------------------------------------------------------------------------

/** The logical op of a logical-instruction opc field: 0 AND, 1 ORR, 2 EOR, 3 ANDS. */
export function logicOp(opc: number, a: number, b: number): number {
  switch (opc) {
    case 1:
      return (a | b) >>> 0;
    case 2:
      return (a ^ b) >>> 0;
    default:
      return (a & b) >>> 0;
  }
}
