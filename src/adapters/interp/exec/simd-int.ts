/**
 * Interpreter semantics for the Advanced SIMD integer instructions of
 * table/simd-int.ts: dot products, SQDMULH/SQRDMULH and the FEAT_RDM
 * accumulating forms, in vector, by-element and scalar shapes.
 *
 * One lane engine serves every shape: it reads lane i of Vn, lane i (or the
 * fixed element) of Vm and lane i of Vd as exact signed or unsigned
 * numbers, and writes the op's result back wrapped to the lane width. A
 * scalar form is one lane with the rest of Vd zeroed; a 64-bit vector form
 * zeroes the top half. Products of two 32-bit lanes exceed 2^53, so the
 * doubling multiplies go through BigInt at that width.
 */
import { intElemRegIndex } from '../../../domain/a64/table/simd.js';
import type { Fields } from '../../../domain/a64/pattern.js';
import type { Cpu, Exec } from '../cpu.js';
import { clearHigh, FPSR_QC, readLane, writeLane } from './simd-lanes.js';
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
    return (cpu) => {
      const vb = cpu.vb;
      const ext = signed ? (x: number): number => (x << 24) >> 24 : (x: number): number => x;
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

export const simdIntExec: ExecTable = {
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
