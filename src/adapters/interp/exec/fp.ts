/**
 * Interpreter semantics for scalar floating point: moves (FMOV register,
 * general, immediate), FABS/FNEG/FSQRT, FCVT between H/S/D, FRINT*, the
 * two- and three-source arithmetic (FMADD family fused), FCMP/FCMPE,
 * FCCMP/FCCMPE, FCSEL, and conversions to/from general registers
 * (FCVT[NPMZA][SU], SCVTF/UCVTF, integer and fixed point), FRINT32/64*
 * (FEAT_FRINTTS) and FJCVTZS (FEAT_JSCVT).
 *
 * The IEEE machinery (rounding modes, flush to zero, flags) is in
 * fp-core.ts. A scalar result zeroes the rest of its 128-bit register.
 */
import { vfpImm } from '../../../domain/a64/table/simd.js';
import type { Fields } from '../../../domain/a64/pattern.js';
import { type Cpu, type Exec } from '../cpu.js';
import { XZR_READ, XZR_WRITE } from '../regs.js';
import { condHolds } from './cond.js';
import {
  FPSR_IOC, Op2, Rnd, arith2, convertFp, fjcvt, flushIn, fma, fpcrRnd, frint, frintN, fromInt, intOut, isSNaNW, jsZ,
  readF, sqrt1, toInt, writeF, zeroAbove,
} from './fp-core.js';
import type { ExecBuilder, ExecTable } from './types.js';

/** Bytes of a scalar of ftype (00 single, 01 double, 11 half). */
const BYTES = [4, 8, 0, 2];

const gpRead = (n: number): number => (n === 31 ? XZR_READ : n);
const gpWrite = (n: number): number => (n === 31 ? XZR_WRITE : n);


// ---- moves -------------------------------------------------------------------------------

const fmovToGen: ExecBuilder = (f) => {
  const n = f.rn!;
  const d = gpWrite(f.rd!);
  if (f.rmode === 1) {
    return (cpu) => {
      cpu.x[2 * d] = cpu.vs[4 * n + 2]!;
      cpu.x[2 * d + 1] = cpu.vs[4 * n + 3]!;
    };
  }
  if (f.ftype === 3) {
    return (cpu) => {
      cpu.x[2 * d] = cpu.vh[8 * n]!;
      cpu.x[2 * d + 1] = 0;
    };
  }
  const wide = f.sf === 1;
  return (cpu) => {
    cpu.x[2 * d] = cpu.vs[4 * n]!;
    cpu.x[2 * d + 1] = wide ? cpu.vs[4 * n + 1]! : 0;
  };
};

const fmovFromGen: ExecBuilder = (f) => {
  const n = gpRead(f.rn!);
  const d = f.rd!;
  if (f.rmode === 1) {
    return (cpu) => {
      cpu.vs[4 * d + 2] = cpu.x[2 * n]!;
      cpu.vs[4 * d + 3] = cpu.x[2 * n + 1]!;
    };
  }
  const bytes = BYTES[f.ftype!]!;
  return (cpu) => {
    cpu.vs[4 * d] = cpu.x[2 * n]!;
    cpu.vs[4 * d + 1] = cpu.x[2 * n + 1]!;
    zeroAbove(cpu, d, bytes);
  };
};

/** Copy the low `bytes` of Vn to Vd with bit operations `xorHi`/`andHi` on the sign word. */
function bitsMove(f: Fields, andHi: number, xorHi: number): Exec {
  const n = f.rn!;
  const d = f.rd!;
  const dbl = f.ftype === 1;
  return (cpu) => {
    const vs = cpu.vs;
    if (dbl) {
      vs[4 * d] = vs[4 * n]!;
      vs[4 * d + 1] = (vs[4 * n + 1]! & andHi) ^ xorHi;
    } else {
      vs[4 * d] = (vs[4 * n]! & andHi) ^ xorHi;
      vs[4 * d + 1] = 0;
    }
    vs[4 * d + 2] = 0;
    vs[4 * d + 3] = 0;
  };
}

const fmovImm: ExecBuilder = (f) => {
  const v = vfpImm(f.imm8!);
  const dbl = f.ftype === 1;
  const d = f.rd!;
  return (cpu) => {
    writeF(cpu, dbl, 4 * d, v);
    zeroAbove(cpu, d, dbl ? 8 : 4);
  };
};

// ---- arithmetic ------------------------------------------------------------------------------

function binary(op: Op2): ExecBuilder {
  return (f) => {
    const dbl = f.ftype === 1;
    const d = f.rd!;
    const wn = 4 * f.rn!;
    const wm = 4 * f.rm!;
    const bytes = dbl ? 8 : 4;
    return (cpu) => {
      arith2(cpu, dbl, op, 4 * d, wn, wm);
      zeroAbove(cpu, d, bytes);
    };
  };
}

function fused(negA: boolean, negN: boolean): ExecBuilder {
  return (f) => {
    const dbl = f.ftype === 1;
    const d = f.rd!;
    const wa = 4 * f.ra!;
    const wn = 4 * f.rn!;
    const wm = 4 * f.rm!;
    return (cpu) => {
      fma(cpu, dbl, 4 * d, wa, wn, wm, negA, negN);
      zeroAbove(cpu, d, dbl ? 8 : 4);
    };
  };
}

const fsqrt: ExecBuilder = (f) => {
  const dbl = f.ftype === 1;
  const d = f.rd!;
  const wn = 4 * f.rn!;
  return (cpu) => {
    sqrt1(cpu, dbl, 4 * d, wn);
    zeroAbove(cpu, d, dbl ? 8 : 4);
  };
};

/** FRINT<mode>; mode -1 means the FPCR rounding mode. */
function frintB(mode: Rnd | -1, exact: boolean): ExecBuilder {
  return (f) => {
    const dbl = f.ftype === 1;
    const d = f.rd!;
    const wn = 4 * f.rn!;
    return (cpu) => {
      frint(cpu, dbl, 4 * d, wn, mode === -1 ? fpcrRnd(cpu) : mode, exact);
      zeroAbove(cpu, d, dbl ? 8 : 4);
    };
  };
}

// ---- precision conversion ------------------------------------------------------------------

const fcvt: ExecBuilder = (f) => {
  const from = f.ftype!;
  const to = f.opc!;
  const n = f.rn!;
  const d = f.rd!;
  const s = from === 3 ? 8 * n : 4 * n;
  const t = to === 3 ? 8 * d : 4 * d;
  return (cpu) => {
    convertFp(cpu, from, to, s, t, -1);
    zeroAbove(cpu, d, BYTES[to]!);
  };
};

/** FRINT32Z/32X/64Z/64X (FEAT_FRINTTS). */
function frintNB(intsize: number, exact: boolean): ExecBuilder {
  return (f) => {
    const dbl = f.ftype === 1;
    const d = f.rd!;
    const wn = 4 * f.rn!;
    return (cpu) => {
      frintN(cpu, dbl, 4 * d, wn, exact ? fpcrRnd(cpu) : Rnd.ZERO, intsize);
      zeroAbove(cpu, d, dbl ? 8 : 4);
    };
  };
}

/** FJCVTZS (FEAT_JSCVT): Wd = ToInt32(Dn); NZCV = 0Z00, Z set when exact and in range. */
const fjcvtzs: ExecBuilder = (f) => {
  const n = f.rn!;
  const d = gpWrite(f.rd!);
  return (cpu) => {
    cpu.x[2 * d] = fjcvt(cpu, cpu.vf64[2 * n]!);
    cpu.x[2 * d + 1] = 0;
    cpu.nzcv = jsZ[0]! << 30;
  };
};

// ---- integer conversion ------------------------------------------------------------------------

function toIntB(mode: Rnd, unsigned: boolean, fixedPoint: boolean): ExecBuilder {
  return (f) => {
    const dbl = f.ftype === 1;
    const n = f.rn!;
    const d = gpWrite(f.rd!);
    const bits = f.sf ? 64 : 32;
    const fbits = fixedPoint ? 64 - f.scale! : 0;
    return (cpu) => {
      toInt(cpu, readF(cpu, dbl, 4 * n), fbits, bits, unsigned, mode, dbl);
      cpu.x[2 * d] = intOut[0]!;
      cpu.x[2 * d + 1] = intOut[1]!;
    };
  };
}

function fromIntB(signed: boolean, fixedPoint: boolean): ExecBuilder {
  return (f) => {
    const dbl = f.ftype === 1;
    const n = gpRead(f.rn!);
    const d = f.rd!;
    const bits = f.sf ? 64 : 32;
    const fbits = fixedPoint ? 64 - f.scale! : 0;
    return (cpu) => {
      writeF(cpu, dbl, 4 * d, fromInt(cpu, cpu.x[2 * n]!, cpu.x[2 * n + 1]!, bits, signed, fbits, dbl));
      zeroAbove(cpu, d, dbl ? 8 : 4);
    };
  };
}

// ---- compare and select ------------------------------------------------------------------------

/** FPCompare into NZCV: unordered 0011, equal 0110, less 1000, greater 0010. */
function compare(cpu: Cpu, dbl: boolean, wn: number, wm: number, zero: boolean, signalAll: boolean): void {
  const a = flushIn(cpu, readF(cpu, dbl, wn), dbl);
  const b = zero ? 0 : flushIn(cpu, readF(cpu, dbl, wm), dbl);
  if (a !== a || b !== b) {
    if (signalAll || isSNaNW(cpu, dbl, wn) || (!zero && isSNaNW(cpu, dbl, wm))) cpu.fpsr |= FPSR_IOC;
    cpu.nf = 0;
    cpu.zf = 0;
    cpu.cf = 1;
    cpu.vf = 1;
    return;
  }
  cpu.nf = a < b ? 1 : 0;
  cpu.zf = a === b ? 1 : 0;
  cpu.cf = a < b ? 0 : 1;
  cpu.vf = 0;
}

const fcmp: ExecBuilder = (f) => {
  const dbl = f.ftype === 1;
  const wn = 4 * f.rn!;
  const wm = 4 * f.rm!;
  const zero = f.z === 1;
  const e = f.e === 1;
  return (cpu) => compare(cpu, dbl, wn, wm, zero, e);
};

const fccmp: ExecBuilder = (f) => {
  const dbl = f.ftype === 1;
  const wn = 4 * f.rn!;
  const wm = 4 * f.rm!;
  const cond = f.cond!;
  const e = f.e === 1;
  const flags = f.nzcv! << 28;
  return (cpu) => {
    if (condHolds(cpu, cond)) compare(cpu, dbl, wn, wm, false, e);
    else cpu.nzcv = flags;
  };
};

const fcsel: ExecBuilder = (f) => {
  const dbl = f.ftype === 1;
  const n = f.rn!;
  const m = f.rm!;
  const d = f.rd!;
  const cond = f.cond!;
  return (cpu) => {
    const s = condHolds(cpu, cond) ? n : m;
    const vs = cpu.vs;
    vs[4 * d] = vs[4 * s]!;
    vs[4 * d + 1] = dbl ? vs[4 * s + 1]! : 0;
    vs[4 * d + 2] = 0;
    vs[4 * d + 3] = 0;
  };
};

export const fpExec: ExecTable = {
  FMOV_to_gen: fmovToGen,
  FMOV_from_gen: fmovFromGen,
  FCVTNS_gen: toIntB(Rnd.TIEEVEN, false, false),
  FCVTNU_gen: toIntB(Rnd.TIEEVEN, true, false),
  FCVTPS_gen: toIntB(Rnd.POSINF, false, false),
  FCVTPU_gen: toIntB(Rnd.POSINF, true, false),
  FCVTMS_gen: toIntB(Rnd.NEGINF, false, false),
  FCVTMU_gen: toIntB(Rnd.NEGINF, true, false),
  FCVTZS_gen: toIntB(Rnd.ZERO, false, false),
  FCVTZU_gen: toIntB(Rnd.ZERO, true, false),
  FCVTAS_gen: toIntB(Rnd.TIEAWAY, false, false),
  FCVTAU_gen: toIntB(Rnd.TIEAWAY, true, false),
  SCVTF_gen: fromIntB(true, false),
  UCVTF_gen: fromIntB(false, false),
  FCVTZS_fix: toIntB(Rnd.ZERO, false, true),
  FCVTZU_fix: toIntB(Rnd.ZERO, true, true),
  SCVTF_fix: fromIntB(true, true),
  UCVTF_fix: fromIntB(false, true),

  FMOV_reg: (f) => bitsMove(f, 0xffffffff, 0),
  FABS_scalar: (f) => bitsMove(f, 0x7fffffff, 0),
  FNEG_scalar: (f) => bitsMove(f, 0xffffffff, 0x80000000),
  FSQRT_scalar: fsqrt,
  FCVT_scalar: fcvt,
  FRINTN_scalar: frintB(Rnd.TIEEVEN, false),
  FRINTP_scalar: frintB(Rnd.POSINF, false),
  FRINTM_scalar: frintB(Rnd.NEGINF, false),
  FRINTZ_scalar: frintB(Rnd.ZERO, false),
  FRINTA_scalar: frintB(Rnd.TIEAWAY, false),
  FRINTX_scalar: frintB(-1, true),
  FRINTI_scalar: frintB(-1, false),

  FMUL_scalar: binary(Op2.MUL),
  FDIV_scalar: binary(Op2.DIV),
  FADD_scalar: binary(Op2.ADD),
  FSUB_scalar: binary(Op2.SUB),
  FMAX_scalar: binary(Op2.MAX),
  FMIN_scalar: binary(Op2.MIN),
  FMAXNM_scalar: binary(Op2.MAXNM),
  FMINNM_scalar: binary(Op2.MINNM),
  FNMUL_scalar: binary(Op2.NMUL),

  FMADD: fused(false, false),
  FMSUB: fused(false, true),
  FNMADD: fused(true, true),
  FNMSUB: fused(true, false),

  FRINT32Z_scalar: frintNB(32, false),
  FRINT32X_scalar: frintNB(32, true),
  FRINT64Z_scalar: frintNB(64, false),
  FRINT64X_scalar: frintNB(64, true),
  FJCVTZS: fjcvtzs,

  FCMP: fcmp,
  FCCMP: fccmp,
  FCSEL: fcsel,
  FMOV_imm: fmovImm,
};
