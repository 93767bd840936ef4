/**
 * Lane machinery shared by the Advanced SIMD semantics: preallocated scratch
 * registers (so no closure allocates), Q-dependent upper-half clearing, and
 * the generic element-wise / byte-permute / 64-bit-lane builders that the
 * per-instruction bindings in simd.ts instantiate.
 *
 * Lane values handed to operations are numbers: unsigned lanes as read from
 * the unsigned views, signed lanes sign-extended from their width. 64-bit
 * lanes go through BigInt; no hot string routine in glibc uses them.
 */
import type { Cpu, Exec } from '../cpu.js';

/** Scratch: two whole source registers plus room for 4-register structures. */
export const SCRATCH = new ArrayBuffer(64);
export const sb = new Uint8Array(SCRATCH);
export const ss = new Uint32Array(SCRATCH);
export const sd = new BigUint64Array(SCRATCH);

/** Bits 27: FPSR.QC, the cumulative saturation flag. */
export const FPSR_QC = 1 << 27;

/** Zero bytes 8..15 of Vd (the AArch64 rule for 64-bit vector results). */
export function clearHigh(cpu: Cpu, d: number): void {
  cpu.vs[4 * d + 2] = 0;
  cpu.vs[4 * d + 3] = 0;
}

/** Copy scratch bytes 0..15 into Vd, then clear the top half when !q. */
export function fromScratch(cpu: Cpu, d: number, q: number): void {
  const vs = cpu.vs;
  vs[4 * d] = ss[0]!;
  vs[4 * d + 1] = ss[1]!;
  if (q) {
    vs[4 * d + 2] = ss[2]!;
    vs[4 * d + 3] = ss[3]!;
  } else clearHigh(cpu, d);
}

/** Copy Vn into scratch bytes at `at` (0 or 16). */
export function toScratch(cpu: Cpu, n: number, at: number): void {
  const vs = cpu.vs;
  const w = at >> 2;
  ss[w] = vs[4 * n]!;
  ss[w + 1] = vs[4 * n + 1]!;
  ss[w + 2] = vs[4 * n + 2]!;
  ss[w + 3] = vs[4 * n + 3]!;
}

/** Sign-extend a `bits`-wide lane held in a number. */
export function sext(v: number, bits: number): number {
  const sh = 32 - bits;
  return (v << sh) >> sh;
}

/** Typed-array view of the register file for element size 0..2. */
export function view(cpu: Cpu, size: number): Uint8Array | Uint16Array | Uint32Array {
  return size === 0 ? cpu.vb : size === 1 ? cpu.vh : cpu.vs;
}

/** Lane operation: lanes a (Vn), b (Vm), old destination lane dst; returns the new lane (wrapped by the store). */
export type LaneOp = (a: number, b: number, dst: number, cpu: Cpu) => number;
export type LaneOp64 = (a: bigint, b: bigint, dst: bigint, cpu: Cpu) => bigint;

export interface LaneSpec {
  d: number;
  n: number;
  m: number;
  q: number;
  size: number;
  signed: boolean;
}

/**
 * Element-wise operation over lanes of 8/16/32 bits (in place is safe: lane i
 * is read before it is written) or of 64 bits through BigInt.
 */
export function elementwise(s: LaneSpec, op: LaneOp, op64?: LaneOp64): Exec {
  const { d, n, m, q, size, signed } = s;
  if (size === 3) {
    if (!op64) throw new Error('64-bit lanes need op64');
    const lanes = q ? 2 : 1;
    return (cpu) => {
      const vd = cpu.vd;
      for (let i = 0; i < lanes; i++) {
        const a = signed ? BigInt.asIntN(64, vd[2 * n + i]!) : vd[2 * n + i]!;
        const b = signed ? BigInt.asIntN(64, vd[2 * m + i]!) : vd[2 * m + i]!;
        vd[2 * d + i] = BigInt.asUintN(64, op64(a, b, vd[2 * d + i]!, cpu));
      }
      if (!q) clearHigh(cpu, d);
    };
  }
  const bits = 8 << size;
  const lanes = (q ? 16 : 8) >> size;
  const per = 16 >> size;
  const bd = d * per;
  const bn = n * per;
  const bm = m * per;
  const sh = 32 - bits;
  if (signed) {
    return (cpu) => {
      const v = view(cpu, size);
      for (let i = 0; i < lanes; i++) {
        v[bd + i] = op((v[bn + i]! << sh) >> sh, (v[bm + i]! << sh) >> sh, v[bd + i]!, cpu);
      }
      if (!q) clearHigh(cpu, d);
    };
  }
  return (cpu) => {
    const v = view(cpu, size);
    for (let i = 0; i < lanes; i++) v[bd + i] = op(v[bn + i]!, v[bm + i]!, v[bd + i]!, cpu);
    if (!q) clearHigh(cpu, d);
  };
}

/**
 * A result built byte by byte from the 32-byte concatenation Vn:Vm
 * (Vn in bytes 0..15, Vm in 16..31): result byte i = concat[perm[i]].
 */
export function bytePermute(d: number, n: number, m: number, q: number, perm: readonly number[]): Exec {
  const p = Uint8Array.from(perm);
  const len = q ? 16 : 8;
  return (cpu) => {
    toScratch(cpu, n, 0);
    toScratch(cpu, m, 16);
    const vb = cpu.vb;
    const base = 16 * d;
    for (let i = 0; i < len; i++) vb[base + i] = sb[p[i]!]!;
    if (!q) clearHigh(cpu, d);
  };
}

/** Byte indices of element `e` (size `size`) starting at byte offset `base`. */
export function elemBytes(base: number, e: number, size: number): number[] {
  const w = 1 << size;
  const out: number[] = [];
  for (let k = 0; k < w; k++) out.push(base + e * w + k);
  return out;
}

/** Saturate v into [lo, hi], setting FPSR.QC when it clips. */
export function saturate(cpu: Cpu, v: number, lo: number, hi: number): number {
  if (v > hi) {
    cpu.fpsr |= FPSR_QC;
    return hi;
  }
  if (v < lo) {
    cpu.fpsr |= FPSR_QC;
    return lo;
  }
  return v;
}

export function saturate64(cpu: Cpu, v: bigint, lo: bigint, hi: bigint): bigint {
  if (v > hi) {
    cpu.fpsr |= FPSR_QC;
    return hi;
  }
  if (v < lo) {
    cpu.fpsr |= FPSR_QC;
    return lo;
  }
  return v;
}

/** Lane range of a signed/unsigned `bits`-wide integer. */
export function laneRange(bits: number, signed: boolean): [number, number] {
  return signed ? [-(2 ** (bits - 1)), 2 ** (bits - 1) - 1] : [0, 2 ** bits - 1];
}

/** Read lane i of width 1<<size bytes from scratch (unsigned or signed). */
export function scratchLane(byteOff: number, size: number, i: number, signed: boolean): number {
  const o = byteOff + (i << size);
  let v = 0;
  for (let k = (1 << size) - 1; k >= 0; k--) v = v * 256 + sb[o + k]!;
  if (!signed) return v;
  const bits = 8 << size;
  return v >= 2 ** (bits - 1) ? v - 2 ** bits : v;
}

/** Write a lane (integer number, wrapped to the lane width) of size 0..3 into Vd. */
export function writeLane(cpu: Cpu, d: number, size: number, i: number, v: number): void {
  if (size === 0) cpu.vb[16 * d + i] = v;
  else if (size === 1) cpu.vh[8 * d + i] = v;
  else if (size === 2) cpu.vs[4 * d + i] = v;
  else {
    cpu.vs[4 * d + 2 * i] = v; // ToUint32: exact modulo 2^32 for integers below 2^53
    cpu.vs[4 * d + 2 * i + 1] = Math.floor(v / 4294967296);
  }
}

/** Read lane i of Vn of size 0..3 as a number (64-bit lanes exact only below 2^53). */
export function readLane(cpu: Cpu, n: number, size: number, i: number, signed: boolean): number {
  if (size === 3) {
    const lo = cpu.vs[4 * n + 2 * i]!;
    const hi = cpu.vs[4 * n + 2 * i + 1]!;
    return (signed ? hi | 0 : hi) * 4294967296 + lo;
  }
  const raw = size === 0 ? cpu.vb[16 * n + i]! : size === 1 ? cpu.vh[8 * n + i]! : cpu.vs[4 * n + i]!;
  return signed ? sext(raw, 8 << size) : raw;
}
