/**
 * Interpreter semantics for Advanced SIMD floating point on single/double
 * lanes: three-same arithmetic (FMLA/FMLS fused, FMULX, FRECPS/FRSQRTS),
 * compares (register and zero), FABS/FNEG/FSQRT, FRINT*, FRINT32/64*,
 * conversions to and from integer and fixed point (FCVT[NMPAZ][SU],
 * SCVTF/UCVTF), FCVTN/FCVTL/FCVTXN, FADDP, FMUL/FMLA/FMLS/FMULX by element
 * (vector and scalar), FEAT_FCMA (FCMLA, FCADD) and FEAT_FHM (FMLAL/FMLSL).
 * Lane arithmetic is fp-core's, so NaN, rounding and flag behaviour equals
 * the scalar forms.
 *
 * Forms whose result lanes read other lanes (FADDP, by element, complex,
 * narrowing/widening) compute in a scratch register file and copy the
 * result, so Vd may alias any source.
 */
import { fpElemIndex } from '../../../domain/a64/table/simd.js';
import type { Fields } from '../../../domain/a64/pattern.js';
import type { Cpu, Exec } from '../cpu.js';
import {
  FPSR_IOC, Op2, Rnd, arith2, convertFp, f16ToNumber, flushIn, fma, fpcrRnd, frint, frintN, fromInt, intOut, isSNaNW, readF, sqrt1, toInt,
  type FpRegsH,
} from './fp-core.js';
import { recpe, recpx, rsqrte } from './fp-estimate.js';
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
const SCR: FpRegsH = {
  vs: new Uint32Array(SBUF), vh: new Uint16Array(SBUF), vf32: new Float32Array(SBUF), vf64: new Float64Array(SBUF), fpsr: 0, fpcr: 0,
};

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

/** FADDP/FMAXP/FMINP/FMAXNMP/FMINNMP: the pairs of Vn then of Vm, each reduced by `op`. */
function pairwiseVec(op: Op2): ExecBuilder {
  return (f) => {
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
        arith2(SCR, dbl, op, 8 + i * step, src + j * step, src + (j + 1) * step);
      }
      storeScratch(cpu, d, q);
    };
  };
}

/** Scalar pairwise (FADDP Sd, Vn.2S ...): `op` of the two lanes of Vn, the rest of Vd zeroed. */
function pairScalar(op: Op2): ExecBuilder {
  return (f) => {
    const dbl = f.sz === 1;
    const d = f.rd!;
    const n = f.rn!;
    return (cpu) => {
      loadScratch(cpu, n, n, d);
      for (let k = 0; k < 4; k++) SCR.vs[8 + k] = 0;
      arith2(SCR, dbl, op, 8, 0, dbl ? 2 : 1);
      storeScratch(cpu, d, 1);
    };
  };
}

/** FMAXV/FMINV/FMAXNMV/FMINNMV (4S): Reduce() halves the vector: op(op(e0, e1), op(e2, e3)). */
function acrossFp(op: Op2): ExecBuilder {
  return (f) => {
    const d = f.rd!;
    const n = f.rn!;
    return (cpu) => {
      loadScratch(cpu, n, n, d);
      arith2(SCR, false, op, 4, 0, 1);
      arith2(SCR, false, op, 5, 2, 3);
      for (let k = 0; k < 4; k++) SCR.vs[8 + k] = 0;
      arith2(SCR, false, op, 8, 4, 5);
      storeScratch(cpu, d, 1);
    };
  };
}

/** FRECPE/FRSQRTE on lanes (or one lane through scalarForm). */
function estimateVec(est: (cpu: FpRegsH, sz: number, wd: number, wn: number) => void): ExecBuilder {
  return (f) => {
    const { dbl, lanes, step, q } = lanesOf(f);
    const d = f.rd!;
    const n = f.rn!;
    const sz = dbl ? 3 : 2;
    return (cpu) => {
      for (let i = 0; i < lanes; i++) est(cpu, sz, 4 * d + i * step, 4 * n + i * step);
      if (!q) clearHigh(cpu, d);
    };
  };
}

/** By element: Vd[i] = Vn[i] op Vm[idx] (FMUL) or Vd[i] ± Vn[i]*Vm[idx] (FMLA/FMLS). */
function byElem(kind: 'mul' | 'mla' | 'mls' | 'mulx'): ExecBuilder {
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
        if (kind === 'mul' || kind === 'mulx') arith2(SCR, dbl, kind === 'mul' ? Op2.MUL : Op2.MULX, 8 + w, w, we);
        else fma(SCR, dbl, 8 + w, 8 + w, w, we, false, kind === 'mls');
      }
      storeScratch(cpu, d, q);
    };
  };
}

/** Compare lanes to all-ones/zeros; `signal` raises IOC on any NaN, otherwise only on signalling NaNs. */
function fcm(test: (a: number, b: number) => boolean, zero: boolean, signal: boolean, abs = false): ExecBuilder {
  return (f) => {
    const { dbl, lanes, step, q } = lanesOf(f);
    const d = f.rd!;
    const n = f.rn!;
    const m = zero ? n : f.rm!;
    return (cpu) => {
      for (let i = 0; i < lanes; i++) {
        const wn = 4 * n + i * step;
        const wm = 4 * m + i * step;
        let a = flushIn(cpu, readF(cpu, dbl, wn), dbl);
        let b = zero ? 0 : flushIn(cpu, readF(cpu, dbl, wm), dbl);
        if (abs) {
          a = Math.abs(a);
          b = Math.abs(b);
        }
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

/** FCVT<mode>S/U on lanes; `fixed` takes the fraction bits from immh:immb (FCVTZS/FCVTZU #fbits). */
function toIntVec(unsigned: boolean, mode: Rnd, fixed = false): ExecBuilder {
  return (f) => {
    const { dbl, lanes, step, q } = lanesOf(fixedSz(f, fixed));
    const d = f.rd!;
    const n = f.rn!;
    const bits = dbl ? 64 : 32;
    const fbits = fixed ? fracBits(f) : 0;
    return (cpu) => {
      for (let i = 0; i < lanes; i++) {
        const w = i * step;
        toInt(cpu, readF(cpu, dbl, 4 * n + w), fbits, bits, unsigned, mode, dbl);
        cpu.vs[4 * d + w] = intOut[0]!;
        if (dbl) cpu.vs[4 * d + w + 1] = intOut[1]!;
      }
      if (!q) clearHigh(cpu, d);
    };
  };
}

function fromIntVec(signed: boolean, fixed = false): ExecBuilder {
  return (f) => {
    const { dbl, lanes, step, q } = lanesOf(fixedSz(f, fixed));
    const d = f.rd!;
    const n = f.rn!;
    const bits = dbl ? 64 : 32;
    const fbits = fixed ? fracBits(f) : 0;
    return (cpu) => {
      const vs = cpu.vs;
      for (let i = 0; i < lanes; i++) {
        const w = i * step;
        const v = fromInt(cpu, vs[4 * n + w]!, dbl ? vs[4 * n + w + 1]! : 0, bits, signed, fbits, dbl);
        if (dbl) cpu.vf64[2 * d + i] = v;
        else cpu.vf32[4 * d + i] = v;
      }
      if (!q) clearHigh(cpu, d);
    };
  };
}

/** Fixed-point forms encode the precision in immh (01xx single, 1xxx double) instead of sz. */
function fixedSz(f: Fields, fixed: boolean): Fields {
  return fixed ? { ...f, sz: f.immh! >= 8 ? 1 : 0 } : f;
}

function fracBits(f: Fields): number {
  return (f.immh! >= 8 ? 128 : 64) - ((f.immh! << 3) | f.immb!);
}

/** FRINT<mode> on lanes; mode -1 is the FPCR's. */
function frintVec(mode: Rnd | -1, exact: boolean): ExecBuilder {
  return (f) => {
    const { dbl, lanes, step, q } = lanesOf(f);
    const d = f.rd!;
    const n = f.rn!;
    return (cpu) => {
      const m = mode === -1 ? fpcrRnd(cpu) : mode;
      for (let i = 0; i < lanes; i++) frint(cpu, dbl, 4 * d + i * step, 4 * n + i * step, m, exact);
      if (!q) clearHigh(cpu, d);
    };
  };
}

/** FRINT32Z/32X/64Z/64X on lanes (FEAT_FRINTTS). */
function frintNVec(intsize: number, exact: boolean): ExecBuilder {
  return (f) => {
    const { dbl, lanes, step, q } = lanesOf(f);
    const d = f.rd!;
    const n = f.rn!;
    return (cpu) => {
      const m = exact ? fpcrRnd(cpu) : Rnd.ZERO;
      for (let i = 0; i < lanes; i++) frintN(cpu, dbl, 4 * d + i * step, 4 * n + i * step, m, intsize);
      if (!q) clearHigh(cpu, d);
    };
  };
}

/**
 * FCVTN/FCVTN2/FCVTXN (narrow into the low or, for the "2" forms, high half
 * of Vd) and FCVTL/FCVTL2 (widen from the low or high half of Vn), through
 * the scratch file so Vd may alias Vn. `wide` is the precision of the wide
 * side (0 single, 1 double); the narrow side is half or single.
 */
function convVec(kind: 'narrow' | 'long', oddRound: boolean): ExecBuilder {
  return (f) => {
    const wide = f.sz ?? 1;
    const q = f.q!;
    const d = f.rd!;
    const n = f.rn!;
    const narrow = wide === 1 ? 0 : 3;
    const lanes = wide === 1 ? 2 : 4;
    // Element index of lane i on each side, in the scratch file (S0 = Vn at 0, S2 = Vd at 32 bytes).
    const wideIdx = (base: number, i: number): number => (wide === 1 ? base / 4 + 2 * i : base / 4 + i);
    const narrowIdx = (base: number, i: number): number => {
      const k = q * lanes + i;
      return narrow === 3 ? base / 2 + k : base / 4 + k;
    };
    return (cpu) => {
      loadScratch(cpu, n, n, d);
      for (let i = 0; i < lanes; i++) {
        if (kind === 'narrow') convertFp(SCR, wide, narrow, wideIdx(0, i), narrowIdx(32, i), oddRound ? Rnd.ODD : -1);
        else convertFp(SCR, narrow, wide, narrowIdx(0, i), wideIdx(32, i), -1);
      }
      if (kind === 'narrow' && !q) for (let k = 2; k < 4; k++) SCR.vs[8 + k] = 0;
      storeScratch(cpu, d, 1);
    };
  };
}

/** Scalar FCVTXN Sd, Dn: round to odd, the rest of Vd zeroed. */
const fcvtxnScalar: ExecBuilder = (f) => {
  const d = f.rd!;
  const n = f.rn!;
  return (cpu) => {
    loadScratch(cpu, n, n, d);
    convertFp(SCR, 1, 0, 0, 8, Rnd.ODD);
    for (let k = 1; k < 4; k++) SCR.vs[8 + k] = 0;
    storeScratch(cpu, d, 1);
  };
};

/** Scalar SIMD-register forms of SCVTF/UCVTF/FCVTZS/FCVTZU: one lane, the rest of Vd zeroed. */
function scalarForm(b: ExecBuilder): ExecBuilder {
  return (f) => {
    const inner = b({ ...f, q: 0, scalar: 1 });
    const d = f.rd!;
    const dbl = f.sz === 1 || (f.immh ?? 0) >= 8;
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
  FADDP_vec: pairwiseVec(Op2.ADD),
  FMAXP_vec: pairwiseVec(Op2.MAX),
  FMINP_vec: pairwiseVec(Op2.MIN),
  FMAXNMP_vec: pairwiseVec(Op2.MAXNM),
  FMINNMP_vec: pairwiseVec(Op2.MINNM),
  FADDP_pair: pairScalar(Op2.ADD),
  FMAXP_pair: pairScalar(Op2.MAX),
  FMINP_pair: pairScalar(Op2.MIN),
  FMAXNMP_pair: pairScalar(Op2.MAXNM),
  FMINNMP_pair: pairScalar(Op2.MINNM),
  FMAXV: acrossFp(Op2.MAX),
  FMINV: acrossFp(Op2.MIN),
  FMAXNMV: acrossFp(Op2.MAXNM),
  FMINNMV: acrossFp(Op2.MINNM),
  FACGE_vec: fcm((a, b) => notNaN(a, b) && a >= b, false, true, true),
  FACGT_vec: fcm((a, b) => notNaN(a, b) && a > b, false, true, true),
  FCMEQ_scalar_simd: scalarForm(fcm((a, b) => a === b, false, false)),
  FCMGE_scalar_simd: scalarForm(fcm((a, b) => notNaN(a, b) && a >= b, false, true)),
  FCMGT_scalar_simd: scalarForm(fcm((a, b) => notNaN(a, b) && a > b, false, true)),
  FACGE_scalar_simd: scalarForm(fcm((a, b) => notNaN(a, b) && a >= b, false, true, true)),
  FACGT_scalar_simd: scalarForm(fcm((a, b) => notNaN(a, b) && a > b, false, true, true)),
  FABD_scalar_simd: scalarForm(arith(Op2.ABD)),
  FCMGT_zero_scalar: scalarForm(fcm((a) => a > 0, true, true)),
  FCMGE_zero_scalar: scalarForm(fcm((a) => a >= 0, true, true)),
  FCMEQ_zero_scalar: scalarForm(fcm((a) => a === 0, true, false)),
  FCMLE_zero_scalar: scalarForm(fcm((a) => a <= 0, true, true)),
  FCMLT_zero_scalar: scalarForm(fcm((a) => a < 0, true, true)),
  FRECPE_vec: estimateVec(recpe),
  FRSQRTE_vec: estimateVec(rsqrte),
  FRECPE_scalar_simd: scalarForm(estimateVec(recpe)),
  FRSQRTE_scalar_simd: scalarForm(estimateVec(rsqrte)),
  FRECPX_scalar_simd: scalarForm(estimateVec(recpx)),
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
  FCVTZS_vec: toIntVec(false, Rnd.ZERO),
  FCVTZU_vec: toIntVec(true, Rnd.ZERO),
  SCVTF_vec: fromIntVec(true),
  UCVTF_vec: fromIntVec(false),
  SCVTF_scalar_simd: scalarForm(fromIntVec(true)),
  UCVTF_scalar_simd: scalarForm(fromIntVec(false)),
  FCVTZS_scalar_simd: scalarForm(toIntVec(false, Rnd.ZERO)),
  FCVTZU_scalar_simd: scalarForm(toIntVec(true, Rnd.ZERO)),
  ...convEntries(),
  FMUL_elem: byElem('mul'),
  FMLA_elem: byElem('mla'),
  FMLS_elem: byElem('mls'),
};

// ---- FEAT_FCMA: complex arithmetic ------------------------------------------------------------

/** Flip the sign of scratch element `w` (word index of a single, or the low word of a double). */
function negScratch(dbl: boolean, w: number): void {
  const sw = dbl ? w + 1 : w;
  SCR.vs[sw] = SCR.vs[sw]! ^ 0x80000000;
}

/**
 * FCADD #90/#270: Vd.re = Vn.re -/+ Vm.im, Vd.im = Vn.im +/- Vm.re, each an
 * FPAdd. The negation is FPNeg on the operand, so it reaches NaNs too.
 */
function fcadd(f: Fields): Exec {
  const dbl = f.size === 3;
  const step = dbl ? 2 : 1;
  const pairs = (f.q ? 4 : 2) >> (dbl ? 2 : 1);
  const rot = f.rot!;
  const d = f.rd!;
  const n = f.rn!;
  const m = f.rm!;
  const q = f.q!;
  return (cpu) => {
    loadScratch(cpu, n, m, d);
    for (let e = 0; e < pairs; e++) {
      const re = 2 * e * step;
      const im = re + step;
      negScratch(dbl, 4 + (rot ? re : im));
      arith2(SCR, dbl, Op2.ADD, 8 + re, re, 4 + im);
      arith2(SCR, dbl, Op2.ADD, 8 + im, im, 4 + re);
    }
    storeScratch(cpu, d, q);
  };
}

/**
 * FCMLA #rot: one half of a complex multiply-accumulate. With (a, b) = Vn
 * and (c, d) = Vm (or the indexed pair of Vm): rot 0 adds (a*c, a*d), 90
 * (-b*d, b*c), 180 (-a*c, -a*d), 270 (b*d, -b*c); each lane is one FPMulAdd.
 */
function fcmla(byElem: boolean): ExecBuilder {
  return (f) => {
    const dbl = !byElem && f.size === 3;
    const step = dbl ? 2 : 1;
    const pairs = byElem ? 2 : (f.q ? 4 : 2) >> (dbl ? 2 : 1);
    const rot = f.rot!;
    const d = f.rd!;
    const n = f.rn!;
    const m = byElem ? (f.m! << 4) | f.rm! : f.rm!;
    const q = byElem ? 1 : f.q!;
    const idx = byElem ? 2 * f.h! : -1;
    return (cpu) => {
      loadScratch(cpu, n, m, d);
      for (let e = 0; e < pairs; e++) {
        const re = 2 * e * step;
        const im = re + step;
        const mre = 4 + (byElem ? idx : re);
        const mim = 4 + (byElem ? idx + 1 : im);
        // element1/element3 come from Vm (negated by rot), element2/element4 from Vn.
        const src = rot & 1 ? im : re;
        const e1 = rot & 1 ? mim : mre;
        const e3 = rot & 1 ? mre : mim;
        const neg1 = rot === 1 || rot === 2;
        const neg3 = rot >= 2;
        if (byElem && e > 0) {
          // The indexed pair is shared by all lanes: restore it before negating again.
          loadM(cpu, m);
        }
        if (neg1) negScratch(dbl, e1);
        if (neg3) negScratch(dbl, e3);
        fma(SCR, dbl, 8 + re, 8 + re, src, e1, false, false);
        fma(SCR, dbl, 8 + im, 8 + im, src, e3, false, false);
      }
      storeScratch(cpu, d, q);
    };
  };
}

function loadM(cpu: Cpu, m: number): void {
  for (let k = 0; k < 4; k++) SCR.vs[4 + k] = cpu.vs[4 * m + k]!;
}

// ---- FEAT_FHM: FMLAL/FMLSL ----------------------------------------------------------------------

const FPCR_FZ16 = 1 << 19;
const F32 = new Float32Array(1);
const F32U = new Uint32Array(F32.buffer);

/**
 * A half-precision operand as single bits, exactly: FPUnpack with FZ16
 * (flush without IDC); FPUnpack clears AHP, so this is IEEE half. Infinities
 * and NaNs keep their kind and payload (a signalling NaN stays signalling,
 * so FPProcessNaNs3H's order and quieting follow from the single FMA).
 */
function halfToSingleBits(h: number, fpcr: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >> 10) & 0x1f;
  if (exp === 0x1f) return (sign | 0x7f800000 | ((h & 0x3ff) << 13)) >>> 0;
  if (exp === 0 && fpcr & FPCR_FZ16) return sign >>> 0;
  F32[0] = f16ToNumber(h);
  return F32U[0]!;
}

/**
 * FMLAL/FMLSL (and the "2" forms, reading the upper halves of the sources):
 * Vd.S[e] = FPMulAddH(Vd.S[e], ±Vn.H[e], Vm.H[e or index]). The half
 * operands are exact in single, so this is one single FMA.
 */
function fmlal(sub: boolean, upper: boolean, byElem: boolean): ExecBuilder {
  return (f) => {
    const q = f.q!;
    const lanes = q ? 4 : 2;
    const d = f.rd!;
    const n = f.rn!;
    const m = f.rm!;
    const index = byElem ? (f.h! << 2) | (f.l! << 1) | f.m! : -1;
    const base = upper ? lanes : 0;
    return (cpu) => {
      loadScratch(cpu, n, m, d);
      const vh = cpu.vh;
      const fpcr = cpu.fpcr;
      for (let e = 0; e < lanes; e++) {
        const a = vh[8 * n + base + e]! ^ (sub ? 0x8000 : 0);
        const b = vh[8 * m + (byElem ? index : base + e)]!;
        SCR.vs[e] = halfToSingleBits(a, fpcr);
        SCR.vs[4 + e] = halfToSingleBits(b, fpcr);
      }
      for (let e = 0; e < lanes; e++) fma(SCR, false, 8 + e, 8 + e, e, 4 + e, false, false);
      storeScratch(cpu, d, q);
    };
  };
}

/** The conversion and rounding entries of table/fp.ts's Advanced SIMD part. */
function convEntries(): ExecTable {
  const t: ExecTable = {
    FMLAL_vec: fmlal(false, false, false),
    FMLSL_vec: fmlal(true, false, false),
    FMLAL2_vec: fmlal(false, true, false),
    FMLSL2_vec: fmlal(true, true, false),
    FMLAL_elem: fmlal(false, false, true),
    FMLSL_elem: fmlal(true, false, true),
    FMLAL2_elem: fmlal(false, true, true),
    FMLSL2_elem: fmlal(true, true, true),
    FCADD_vec: fcadd,
    FCMLA_vec: fcmla(false),
    FCMLA_elem: fcmla(true),
    FMULX_vec: arith(Op2.MULX),
    FMULX_elem: byElem('mulx'),
    FMUL_elem_scalar: scalarForm(byElem('mul')),
    FMLA_elem_scalar: scalarForm(byElem('mla')),
    FMLS_elem_scalar: scalarForm(byElem('mls')),
    FMULX_elem_scalar: scalarForm(byElem('mulx')),
    FRECPS_vec: arith(Op2.RECPS),
    FRSQRTS_vec: arith(Op2.RSQRTS),
    FMULX_scalar_simd: scalarForm(arith(Op2.MULX)),
    FRECPS_scalar_simd: scalarForm(arith(Op2.RECPS)),
    FRSQRTS_scalar_simd: scalarForm(arith(Op2.RSQRTS)),
    FRINTN_vec: frintVec(Rnd.TIEEVEN, false),
    FRINTM_vec: frintVec(Rnd.NEGINF, false),
    FRINTP_vec: frintVec(Rnd.POSINF, false),
    FRINTZ_vec: frintVec(Rnd.ZERO, false),
    FRINTA_vec: frintVec(Rnd.TIEAWAY, false),
    FRINTX_vec: frintVec(-1, true),
    FRINTI_vec: frintVec(-1, false),
    FRINT32Z_vec: frintNVec(32, false),
    FRINT32X_vec: frintNVec(32, true),
    FRINT64Z_vec: frintNVec(64, false),
    FRINT64X_vec: frintNVec(64, true),
    FCVTN_vec: convVec('narrow', false),
    FCVTXN_vec: convVec('narrow', true),
    FCVTL_vec: convVec('long', false),
    FCVTXN_scalar: fcvtxnScalar,
    SCVTF_vec_fix: fromIntVec(true, true),
    UCVTF_vec_fix: fromIntVec(false, true),
    FCVTZS_vec_fix: toIntVec(false, Rnd.ZERO, true),
    FCVTZU_vec_fix: toIntVec(true, Rnd.ZERO, true),
    SCVTF_scalar_fix: scalarForm(fromIntVec(true, true)),
    UCVTF_scalar_fix: scalarForm(fromIntVec(false, true)),
    FCVTZS_scalar_fix: scalarForm(toIntVec(false, Rnd.ZERO, true)),
    FCVTZU_scalar_fix: scalarForm(toIntVec(true, Rnd.ZERO, true)),
  };
  const modes: [string, Rnd][] = [['N', Rnd.TIEEVEN], ['M', Rnd.NEGINF], ['P', Rnd.POSINF], ['A', Rnd.TIEAWAY]];
  for (const [l, mode] of modes) {
    for (const u of [false, true]) {
      const name = `FCVT${l}${u ? 'U' : 'S'}`;
      t[`${name}_vec`] = toIntVec(u, mode);
      t[`${name}_scalar_simd`] = scalarForm(toIntVec(u, mode));
    }
  }
  return t;
}

