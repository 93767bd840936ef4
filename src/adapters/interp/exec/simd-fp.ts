/**
 * Interpreter semantics for Advanced SIMD floating point on single/double
 * lanes: three-same arithmetic (FMLA/FMLS fused), compares (register and
 * zero), FABS/FNEG/FSQRT, FCVTZS/FCVTZU/SCVTF/UCVTF (integer lanes), FADDP,
 * and FMUL/FMLA/FMLS by element. Lane arithmetic is fp-core's, so NaN and
 * flag behaviour equals the scalar forms.
 *
 * Forms whose result lanes read other lanes (FADDP, by element) compute in a
 * scratch register file and copy the result, so Vd may alias any source.
 */
import { fpElemIndex } from '../../../domain/a64/table/simd.js';
import type { Fields } from '../../../domain/a64/pattern.js';
import type { Cpu } from '../cpu.js';
import {
  FPSR_IOC, Op2, Rnd, arith2, flushIn, fma, fromInt, intOut, isSNaNW, readF, sqrt1, toInt, type FpRegs,
} from './fp-core.js';
import { clearHigh } from './simd-lanes.js';
import type { ExecBuilder, ExecTable } from './types.js';

interface Lanes {
  dbl: boolean;
  lanes: number;
  /** Word step between lanes. */
  step: number;
  q: number;
}

function lanesOf(f: Fields): Lanes {
  const dbl = f.sz === 1;
  // `scalar` (set by scalarForm, not a pattern field) selects the one-lane scalar forms.
  const lanes = f.scalar ? 1 : (f.q ? 4 : 2) >> (dbl ? 1 : 0);
  return { dbl, lanes, step: dbl ? 2 : 1, q: f.q! };
}

/** Scratch register file: S0 = Vn, S1 = Vm, S2 = Vd copies. */
const SBUF = new ArrayBuffer(48);
const SCR: FpRegs = { vs: new Uint32Array(SBUF), vf32: new Float32Array(SBUF), vf64: new Float64Array(SBUF), fpsr: 0, fpcr: 0 };

function loadScratch(cpu: Cpu, n: number, m: number, d: number): void {
  const vs = cpu.vs;
  const s = SCR.vs;
  for (let k = 0; k < 4; k++) {
    s[k] = vs[4 * n + k]!;
    s[4 + k] = vs[4 * m + k]!;
    s[8 + k] = vs[4 * d + k]!;
  }
  SCR.fpsr = cpu.fpsr;
  SCR.fpcr = cpu.fpcr;
}

function storeScratch(cpu: Cpu, d: number, q: number): void {
  const vs = cpu.vs;
  const s = SCR.vs;
  for (let k = 0; k < 4; k++) vs[4 * d + k] = s[8 + k]!;
  cpu.fpsr = SCR.fpsr;
  if (!q) clearHigh(cpu, d);
}

function arith(op: Op2): ExecBuilder {
  return (f) => {
    const { dbl, lanes, step, q } = lanesOf(f);
    const d = f.rd!;
    const n = f.rn!;
    const m = f.rm!;
    return (cpu) => {
      for (let i = 0; i < lanes; i++) arith2(cpu, dbl, op, 4 * d + i * step, 4 * n + i * step, 4 * m + i * step);
      if (!q) clearHigh(cpu, d);
    };
  };
}

function mla(negN: boolean): ExecBuilder {
  return (f) => {
    const { dbl, lanes, step, q } = lanesOf(f);
    const d = f.rd!;
    const n = f.rn!;
    const m = f.rm!;
    return (cpu) => {
      for (let i = 0; i < lanes; i++) {
        const w = i * step;
        fma(cpu, dbl, 4 * d + w, 4 * d + w, 4 * n + w, 4 * m + w, false, negN);
      }
      if (!q) clearHigh(cpu, d);
    };
  };
}

const faddp: ExecBuilder = (f) => {
  const { dbl, lanes, step, q } = lanesOf(f);
  const d = f.rd!;
  const n = f.rn!;
  const m = f.rm!;
  const half = lanes / 2;
  return (cpu) => {
    loadScratch(cpu, n, m, d);
    for (let i = 0; i < lanes; i++) {
      const src = i < half ? 0 : 4;
      const j = 2 * (i % half);
      arith2(SCR, dbl, Op2.ADD, 8 + i * step, src + j * step, src + (j + 1) * step);
    }
    storeScratch(cpu, d, q);
  };
};

/** By element: Vd[i] = Vn[i] op Vm[idx] (FMUL) or Vd[i] ± Vn[i]*Vm[idx] (FMLA/FMLS). */
function byElem(kind: 'mul' | 'mla' | 'mls'): ExecBuilder {
  return (f) => {
    const { dbl, lanes, step, q } = lanesOf(f);
    const d = f.rd!;
    const n = f.rn!;
    const m = (f.m! << 4) | f.rm!;
    const we = 4 + fpElemIndex(f) * step;
    return (cpu) => {
      loadScratch(cpu, n, m, d);
      for (let i = 0; i < lanes; i++) {
        const w = i * step;
        if (kind === 'mul') arith2(SCR, dbl, Op2.MUL, 8 + w, w, we);
        else fma(SCR, dbl, 8 + w, 8 + w, w, we, false, kind === 'mls');
      }
      storeScratch(cpu, d, q);
    };
  };
}

/** Compare lanes to all-ones/zeros; `signal` raises IOC on any NaN, otherwise only on signalling NaNs. */
function fcm(test: (a: number, b: number) => boolean, zero: boolean, signal: boolean): ExecBuilder {
  return (f) => {
    const { dbl, lanes, step, q } = lanesOf(f);
    const d = f.rd!;
    const n = f.rn!;
    const m = zero ? n : f.rm!;
    return (cpu) => {
      for (let i = 0; i < lanes; i++) {
        const wn = 4 * n + i * step;
        const wm = 4 * m + i * step;
        const a = flushIn(cpu, readF(cpu, dbl, wn), dbl);
        const b = zero ? 0 : flushIn(cpu, readF(cpu, dbl, wm), dbl);
        if ((a !== a || b !== b) && (signal || isSNaNW(cpu, dbl, wn) || (!zero && isSNaNW(cpu, dbl, wm)))) cpu.fpsr |= FPSR_IOC;
        const r = test(a, b) ? 0xffffffff : 0;
        const wd = 4 * d + i * step;
        cpu.vs[wd] = r;
        if (dbl) cpu.vs[wd + 1] = r;
      }
      if (!q) clearHigh(cpu, d);
    };
  };
}

/** FABS/FNEG: sign-bit operations, no NaN processing. */
function signOp(and: number, xor: number): ExecBuilder {
  return (f) => {
    const { dbl, lanes, step, q } = lanesOf(f);
    const d = f.rd!;
    const n = f.rn!;
    return (cpu) => {
      const vs = cpu.vs;
      for (let i = 0; i < lanes; i++) {
        const w = i * step + (dbl ? 1 : 0);
        if (dbl) vs[4 * d + w - 1] = vs[4 * n + w - 1]!;
        vs[4 * d + w] = (vs[4 * n + w]! & and) ^ xor;
      }
      if (!q) clearHigh(cpu, d);
    };
  };
}

const fsqrtVec: ExecBuilder = (f) => {
  const { dbl, lanes, step, q } = lanesOf(f);
  const d = f.rd!;
  const n = f.rn!;
  return (cpu) => {
    for (let i = 0; i < lanes; i++) sqrt1(cpu, dbl, 4 * d + i * step, 4 * n + i * step);
    if (!q) clearHigh(cpu, d);
  };
};

function toIntVec(unsigned: boolean): ExecBuilder {
  return (f) => {
    const { dbl, lanes, step, q } = lanesOf(f);
    const d = f.rd!;
    const n = f.rn!;
    const bits = dbl ? 64 : 32;
    return (cpu) => {
      for (let i = 0; i < lanes; i++) {
        const w = i * step;
        toInt(cpu, readF(cpu, dbl, 4 * n + w), 0, bits, unsigned, Rnd.ZERO, dbl);
        cpu.vs[4 * d + w] = intOut[0]!;
        if (dbl) cpu.vs[4 * d + w + 1] = intOut[1]!;
      }
      if (!q) clearHigh(cpu, d);
    };
  };
}

function fromIntVec(signed: boolean): ExecBuilder {
  return (f) => {
    const { dbl, lanes, step, q } = lanesOf(f);
    const d = f.rd!;
    const n = f.rn!;
    const bits = dbl ? 64 : 32;
    return (cpu) => {
      const vs = cpu.vs;
      for (let i = 0; i < lanes; i++) {
        const w = i * step;
        const v = fromInt(cpu, vs[4 * n + w]!, dbl ? vs[4 * n + w + 1]! : 0, bits, signed, 0, dbl);
        if (dbl) cpu.vf64[2 * d + i] = v;
        else cpu.vf32[4 * d + i] = v;
      }
      if (!q) clearHigh(cpu, d);
    };
  };
}

/** Scalar SIMD-register forms of SCVTF/UCVTF/FCVTZS/FCVTZU: one lane, the rest of Vd zeroed. */
function scalarForm(b: ExecBuilder): ExecBuilder {
  return (f) => {
    const inner = b({ ...f, q: 0, scalar: 1 });
    const d = f.rd!;
    const dbl = f.sz === 1;
    return (cpu) => {
      inner(cpu);
      if (!dbl) cpu.vs[4 * d + 1] = 0;
    };
  };
}

const notNaN = (a: number, b: number): boolean => a === a && b === b;

export const simdFpExec: ExecTable = {
  FADD_vec: arith(Op2.ADD),
  FSUB_vec: arith(Op2.SUB),
  FMUL_vec: arith(Op2.MUL),
  FDIV_vec: arith(Op2.DIV),
  FMAX_vec: arith(Op2.MAX),
  FMIN_vec: arith(Op2.MIN),
  FMAXNM_vec: arith(Op2.MAXNM),
  FMINNM_vec: arith(Op2.MINNM),
  FABD_vec: arith(Op2.ABD),
  FMLA_vec: mla(false),
  FMLS_vec: mla(true),
  FADDP_vec: faddp,
  FCMEQ_vec: fcm((a, b) => a === b, false, false),
  FCMGE_vec: fcm((a, b) => notNaN(a, b) && a >= b, false, true),
  FCMGT_vec: fcm((a, b) => notNaN(a, b) && a > b, false, true),
  FCMGT_zero: fcm((a) => a > 0, true, true),
  FCMGE_zero: fcm((a) => a >= 0, true, true),
  FCMEQ_zero: fcm((a) => a === 0, true, false),
  FCMLE_zero: fcm((a) => a <= 0, true, true),
  FCMLT_zero: fcm((a) => a < 0, true, true),
  FABS_vec: signOp(0x7fffffff, 0),
  FNEG_vec: signOp(0xffffffff, 0x80000000),
  FSQRT_vec: fsqrtVec,
  FCVTZS_vec: toIntVec(false),
  FCVTZU_vec: toIntVec(true),
  SCVTF_vec: fromIntVec(true),
  UCVTF_vec: fromIntVec(false),
  SCVTF_scalar_simd: scalarForm(fromIntVec(true)),
  UCVTF_scalar_simd: scalarForm(fromIntVec(false)),
  FCVTZS_scalar_simd: scalarForm(toIntVec(false)),
  FCVTZU_scalar_simd: scalarForm(toIntVec(true)),
  FMUL_elem: byElem('mul'),
  FMLA_elem: byElem('mla'),
  FMLS_elem: byElem('mls'),
};


