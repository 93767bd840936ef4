/**
 * Interpreter semantics for Advanced SIMD integer and data-movement
 * instructions (ARM ARM C7, "A64 Advanced SIMD and floating-point
 * instruction descriptions"): three-same, two-register misc, across lanes,
 * three-different, shifts by immediate, modified immediates, copies,
 * permutes, EXT and TBL/TBX. Structure loads/stores are in simd-ldst.ts and
 * vector floating point in simd-fp.ts.
 *
 * Each builder decodes its fields once and returns a closure over lane
 * loops; closures allocate nothing except on 64-bit-lane paths, which use
 * BigInt (none of glibc's string routines use 64-bit lanes in hot loops).
 * FPSR.QC is set by the saturating forms.
 */
import { expandSimdImm, imm5Size, immhSize, intElemRegIndex, vfpImm } from '../../../domain/a64/table/simd.js';
import type { Fields } from '../../../domain/a64/pattern.js';
import { type Cpu } from '../cpu.js';
import { TWO32, XZR_READ, XZR_WRITE } from '../regs.js';
import { simdFpExec } from './simd-fp.js';
import { simdLdstExec } from './simd-ldst.js';
import {
  bytePermute, clearHigh, elemBytes, elementwise, laneRange, readLane, saturate, saturate64, sb, scratchLane, ss,
  sd, toScratch, view, writeLane, type LaneOp, type LaneOp64,
} from './simd-lanes.js';
import type { ExecBuilder, ExecTable } from './types.js';


// ---- three same ------------------------------------------------------------------

function same(signed: boolean, op: (bits: number) => LaneOp, op64?: LaneOp64): ExecBuilder {
  return (f) => elementwise({ d: f.rd!, n: f.rn!, m: f.rm!, q: f.q!, size: f.size!, signed }, op(8 << f.size!), op64);
}

const cmp = (test: (a: number, b: number) => boolean) => (): LaneOp => (a, b) => (test(a, b) ? -1 : 0);
const cmp64 = (test: (a: bigint, b: bigint) => boolean): LaneOp64 => (a, b) => (test(a, b) ? -1n : 0n);

/** USHL/SSHL: shift by the signed low byte of the Vm lane (negative = right). */
function shiftByReg(a: number, b: number, bits: number): number {
  const s = (b << 24) >> 24;
  if (s >= 0) return s >= bits ? 0 : a * 2 ** s;
  return Math.floor(a / 2 ** -s);
}

function shiftByReg64(a: bigint, b: bigint): bigint {
  const s = Number(BigInt.asIntN(8, b));
  if (s >= 0) return s >= 64 ? 0n : a << BigInt(s);
  return a >> BigInt(Math.min(-s, 64));
}

function satOp(signed: boolean, sub: boolean): ExecBuilder {
  return same(
    signed,
    (bits) => {
      const [lo, hi] = laneRange(bits, signed);
      return (a, b, _d, cpu) => saturate(cpu, sub ? a - b : a + b, lo, hi);
    },
    (a, b, _d, cpu) => {
      const [lo, hi] = signed ? [-(2n ** 63n), 2n ** 63n - 1n] : [0n, 2n ** 64n - 1n];
      return saturate64(cpu, sub ? a - b : a + b, lo, hi);
    },
  );
}

const mul32 = (bits: number) => (a: number, b: number): number => (bits === 32 ? Math.imul(a, b) : a * b);

/** Pairwise: result lane i combines elements 2i and 2i+1 of the concatenation Vm:Vn. */
function pairwise(signed: boolean, op: (a: number, b: number) => number, op64?: (a: bigint, b: bigint) => bigint): ExecBuilder {
  return (f) => {
    const d = f.rd!;
    const n = f.rn!;
    const m = f.rm!;
    const q = f.q!;
    const size = f.size!;
    if (size === 3) {
      return (cpu) => {
        const vd = cpu.vd;
        const a = op64!(vd[2 * n]!, vd[2 * n + 1]!);
        const b = op64!(vd[2 * m]!, vd[2 * m + 1]!);
        vd[2 * d] = BigInt.asUintN(64, a);
        vd[2 * d + 1] = BigInt.asUintN(64, b);
      };
    }
    const lanes = (q ? 16 : 8) >> size;
    return (cpu) => {
      toScratch(cpu, n, 0);
      toScratch(cpu, m, q ? 16 : 8);
      for (let i = 0; i < lanes; i++) {
        writeLane(cpu, d, size, i, op(scratchLane(0, size, 2 * i, signed), scratchLane(0, size, 2 * i + 1, signed)));
      }
      if (!q) clearHigh(cpu, d);
    };
  };
}

// ---- bitwise ------------------------------------------------------------------------

/** Bitwise operation on 32-bit words: (n, m, d) -> d. */
function logic(op: (n: number, m: number, d: number) => number): ExecBuilder {
  return (f) => {
    const d = 4 * f.rd!;
    const n = 4 * f.rn!;
    const m = 4 * f.rm!;
    const words = f.q ? 4 : 2;
    const q = f.q!;
    const rdn = f.rd!;
    return (cpu) => {
      const vs = cpu.vs;
      for (let i = 0; i < words; i++) vs[d + i] = op(vs[n + i]!, vs[m + i]!, vs[d + i]!);
      if (!q) clearHigh(cpu, rdn);
    };
  };
}

// ---- two-register misc ------------------------------------------------------------------

/** One-source element-wise op (Vm is ignored). */
function unary(signed: boolean, op: (bits: number) => (a: number) => number, op64?: (a: bigint) => bigint): ExecBuilder {
  return (f) => {
    const o = op(8 << f.size!);
    return elementwise(
      { d: f.rd!, n: f.rn!, m: f.rn!, q: f.q!, size: f.size!, signed },
      (a) => o(a),
      op64 ? (a) => op64(a) : undefined,
    );
  };
}

/** REV16/REV32/REV64: reverse elements of `size` within containers of 2^cont bytes. */
function rev(containerBytes: number): ExecBuilder {
  return (f) => {
    const e = 1 << f.size!;
    const perm: number[] = [];
    for (let i = 0; i < 16; i++) {
      const c = i - (i % containerBytes);
      const within = i % containerBytes;
      const elem = Math.floor(within / e);
      const revElem = containerBytes / e - 1 - elem;
      perm.push(c + revElem * e + (within % e));
    }
    return bytePermute(f.rd!, f.rn!, f.rn!, f.q!, perm);
  };
}

/** SADDLP/UADDLP/SADALP/UADALP: add adjacent pairs into double-width lanes. */
function addlp(signed: boolean, acc: boolean): ExecBuilder {
  return (f) => {
    const d = f.rd!;
    const n = f.rn!;
    const q = f.q!;
    const size = f.size!;
    const lanes = (q ? 8 : 4) >> size;
    return (cpu) => {
      toScratch(cpu, n, 0);
      for (let i = 0; i < lanes; i++) {
        const s = scratchLane(0, size, 2 * i, signed) + scratchLane(0, size, 2 * i + 1, signed);
        if (!acc) {
          writeLane(cpu, d, size + 1, i, s);
          continue;
        }
        if (size < 2) {
          writeLane(cpu, d, size + 1, i, readLane(cpu, d, size + 1, i, false) + s);
          continue;
        }
        const lo = cpu.vs[4 * d + 2 * i]! + (s >>> 0);
        cpu.vs[4 * d + 2 * i] = lo;
        cpu.vs[4 * d + 2 * i + 1] = cpu.vs[4 * d + 2 * i + 1]! + Math.floor(s / TWO32) + (lo >= TWO32 ? 1 : 0);
      }
      if (!q) clearHigh(cpu, d);
    };
  };
}

const POPCNT8 = Uint8Array.from({ length: 256 }, (_, i) => {
  let c = 0;
  for (let v = i; v; v >>= 1) c += v & 1;
  return c;
});
const RBIT8 = Uint8Array.from({ length: 256 }, (_, i) => {
  let r = 0;
  for (let k = 0; k < 8; k++) if (i & (1 << k)) r |= 0x80 >> k;
  return r;
});

/** XTN/SQXTN/UQXTN/SQXTUN: narrow 2*esize lanes of Vn into Vd's low (Q=0) or high (Q=1) half. */
function narrow(srcSigned: boolean, sat: 'none' | 'signed' | 'unsigned'): ExecBuilder {
  return (f) => {
    const d = f.rd!;
    const n = f.rn!;
    const q = f.q!;
    const size = f.size!;
    const lanes = 8 >> size;
    const base = q ? lanes : 0;
    const [lo, hi] = laneRange(8 << size, sat === 'signed');
    return (cpu) => {
      toScratch(cpu, n, 0);
      for (let i = 0; i < lanes; i++) {
        if (size === 2) {
          // 64-bit sources: XTN keeps the low word; the saturating forms clamp exactly.
          const w = sat === 'none' ? ss[2 * i]! : Number(saturate64(cpu, srcSigned ? BigInt.asIntN(64, sd[i]!) : sd[i]!, BigInt(lo), BigInt(hi)));
          cpu.vs[4 * d + base + i] = w;
          continue;
        }
        const v = scratchLane(0, size + 1, i, srcSigned);
        writeLane(cpu, d, size, base + i, sat === 'none' ? v : saturate(cpu, v, lo, hi));
      }
      if (!q) clearHigh(cpu, d);
    };
  };
}

// ---- across lanes ------------------------------------------------------------------------

function acrossLanes(signed: boolean, op: (acc: number, v: number) => number, long: boolean): ExecBuilder {
  return (f) => {
    const d = f.rd!;
    const n = f.rn!;
    const size = f.size!;
    const lanes = (f.q ? 16 : 8) >> size;
    const outSize = long ? size + 1 : size;
    return (cpu) => {
      let acc = readLane(cpu, n, size, 0, signed);
      for (let i = 1; i < lanes; i++) acc = op(acc, readLane(cpu, n, size, i, signed));
      cpu.vs[4 * d] = 0;
      cpu.vs[4 * d + 1] = 0;
      clearHigh(cpu, d);
      writeLane(cpu, d, outSize, 0, acc);
    };
  };
}

// ---- three different ------------------------------------------------------------------------

/** A long operation on lanes a, b and the old destination lane, as numbers and exactly as BigInt. */
interface LongOp {
  num: (a: number, b: number, dst: number) => number;
  big: (a: bigint, b: bigint, dst: bigint) => bigint;
}

const L_ADD: LongOp = { num: (a, b) => a + b, big: (a, b) => a + b };
const L_SUB: LongOp = { num: (a, b) => a - b, big: (a, b) => a - b };
const L_MUL: LongOp = { num: (a, b) => a * b, big: (a, b) => a * b };
const L_MLA: LongOp = { num: (a, b, d) => d + a * b, big: (a, b, d) => d + a * b };
const L_MLS: LongOp = { num: (a, b, d) => d - a * b, big: (a, b, d) => d - a * b };
const L_ABD: LongOp = { num: (a, b) => Math.abs(a - b), big: (a, b) => (a > b ? a - b : b - a) };
const L_ABA: LongOp = { num: (a, b, d) => d + Math.abs(a - b), big: (a, b, d) => d + (a > b ? a - b : b - a) };

/**
 * Long/wide/narrow-high arithmetic. long: both sources narrow, lanes from the
 * half chosen by Q; wide: Vn already wide; narrow: the top half of each
 * double-width result goes to Vd's low (Q=0) or high (Q=1) half.
 * 64-bit lanes (32-bit sources) are computed exactly with BigInt.
 */
function diff(signed: boolean, kind: 'long' | 'wide' | 'narrow', op: LongOp): ExecBuilder {
  return (f) => {
    const d = f.rd!;
    const n = f.rn!;
    const m = f.rm!;
    const q = f.q!;
    const size = f.size!;
    const lanes = 8 >> size;
    const half = q ? 8 : 0;
    const halfBits = 8 << size;
    if (kind === 'narrow') {
      const base = q ? lanes : 0;
      const div = 2 ** halfBits;
      return (cpu) => {
        toScratch(cpu, n, 0);
        toScratch(cpu, m, 16);
        for (let i = 0; i < lanes; i++) {
          if (size === 2) {
            const r = BigInt.asUintN(64, op.big(sd[i]!, sd[2 + i]!, 0n));
            cpu.vs[4 * d + base + i] = Number(r >> 32n);
            continue;
          }
          writeLane(cpu, d, size, base + i, Math.floor(op.num(scratchLane(0, size + 1, i, false), scratchLane(16, size + 1, i, false), 0) / div));
        }
        if (!q) clearHigh(cpu, d);
      };
    }
    return (cpu) => {
      toScratch(cpu, n, 0);
      toScratch(cpu, m, 16);
      for (let i = 0; i < lanes; i++) {
        const b = scratchLane(16 + half, size, i, signed);
        if (size < 2) {
          const a = kind === 'wide' ? scratchLane(0, size + 1, i, signed) : scratchLane(half, size, i, signed);
          writeLane(cpu, d, size + 1, i, op.num(a, b, readLane(cpu, d, size + 1, i, false)));
          continue;
        }
        const a = kind === 'wide' ? (signed ? BigInt.asIntN(64, sd[i]!) : sd[i]!) : BigInt(scratchLane(half, size, i, signed));
        cpu.vd[2 * d + i] = BigInt.asUintN(64, op.big(a, BigInt(b), cpu.vd[2 * d + i]!));
      }
    };
  };
}

// ---- shifts by immediate ------------------------------------------------------------------------

interface ShiftInfo {
  size: number;
  bits: number;
  right: number;
  left: number;
}

function shiftInfo(f: Fields): ShiftInfo {
  const size = immhSize(f.immh!);
  const bits = 8 << size;
  const immhb = (f.immh! << 3) | f.immb!;
  return { size, bits, right: 2 * bits - immhb, left: immhb - bits };
}

/** Right shifts (optionally rounding, accumulating, or inserting). */
function shiftRight(signed: boolean, round: boolean, acc: boolean): ExecBuilder {
  return (f) => {
    const { size, right } = shiftInfo(f);
    const div = 2 ** right;
    const add = round ? 2 ** (right - 1) : 0;
    const spec = { d: f.rd!, n: f.rn!, m: f.rn!, q: f.q!, size, signed };
    const sh = BigInt(right);
    const add64 = round ? 1n << (sh - 1n) : 0n;
    return elementwise(
      spec,
      (a, _b, dst) => (acc ? dst : 0) + Math.floor((a + add) / div),
      (a, _b, dst) => (acc ? dst : 0n) + ((a + add64) >> sh),
    );
  };
}

function shiftLeft(insert: boolean): ExecBuilder {
  return (f) => {
    const { size, left, bits } = shiftInfo(f);
    const mul = 2 ** left;
    const sh = BigInt(left);
    const keep64 = (1n << sh) - 1n;
    return elementwise(
      { d: f.rd!, n: f.rn!, m: f.rn!, q: f.q!, size, signed: false },
      (a, _b, dst) => ((a * mul) % 2 ** bits) + (insert ? dst % mul : 0),
      (a, _b, dst) => BigInt.asUintN(64, a << sh) | (insert ? dst & keep64 : 0n),
    );
  };
}

/** SRI: shift right and insert, keeping the top `shift` bits of the destination. */
const sriExec: ExecBuilder = (f) => {
  const { size, right, bits } = shiftInfo(f);
  const div = 2 ** right;
  const low = 2 ** (bits - right);
  const sh = BigInt(right);
  const keep64 = BigInt.asUintN(64, ~((2n ** 64n - 1n) >> sh));
  return elementwise(
    { d: f.rd!, n: f.rn!, m: f.rn!, q: f.q!, size, signed: false },
    (a, _b, dst) => Math.floor(a / div) + dst - (dst % low),
    (a, _b, dst) => (a >> sh) | (dst & keep64),
  );
};

function shiftNarrow(round: boolean): ExecBuilder {
  return (f) => {
    const { size, right } = shiftInfo(f);
    const d = f.rd!;
    const n = f.rn!;
    const q = f.q!;
    const lanes = 8 >> size;
    const div = 2 ** right;
    const add = round ? 2 ** (right - 1) : 0;
    const add64 = BigInt(add);
    const sh = BigInt(right);
    const base = q ? lanes : 0;
    return (cpu) => {
      toScratch(cpu, n, 0);
      for (let i = 0; i < lanes; i++) {
        if (size === 2) cpu.vs[4 * d + base + i] = Number(BigInt.asUintN(32, (sd[i]! + add64) >> sh));
        else writeLane(cpu, d, size, base + i, Math.floor((scratchLane(0, size + 1, i, false) + add) / div));
      }
      if (!q) clearHigh(cpu, d);
    };
  };
}

function shiftLong(signed: boolean): ExecBuilder {
  return (f) => {
    const { size, left } = shiftInfo(f);
    const d = f.rd!;
    const n = f.rn!;
    const half = f.q ? 8 : 0;
    const lanes = 8 >> size;
    const mul = 2 ** left;
    return (cpu) => {
      toScratch(cpu, n, 0);
      for (let i = 0; i < lanes; i++) writeLane(cpu, d, size + 1, i, scratchLane(half, size, i, signed) * mul);
    };
  };
}

/** Scalar D-register shifts: a 64-bit lane, Q=0 layout. */
function scalarShift(kind: 'sshr' | 'ushr' | 'shl'): ExecBuilder {
  return (f) => {
    const d = f.rd!;
    const n = f.rn!;
    const amount = BigInt(kind === 'shl' ? f.immb6! : 64 - f.immb6!);
    return (cpu) => {
      const vd = cpu.vd;
      const a = vd[2 * n]!;
      let r: bigint;
      if (kind === 'shl') r = a << amount;
      else if (kind === 'ushr') r = amount >= 64n ? 0n : a >> amount;
      else r = BigInt.asIntN(64, a) >> (amount >= 64n ? 63n : amount);
      vd[2 * d] = BigInt.asUintN(64, r);
      vd[2 * d + 1] = 0n;
    };
  };
}

/** Scalar three-same on D registers. */
function scalar3(signed: boolean, op: (a: bigint, b: bigint) => bigint): ExecBuilder {
  return (f) => {
    const d = f.rd!;
    const n = f.rn!;
    const m = f.rm!;
    return (cpu) => {
      const vd = cpu.vd;
      const a = signed ? BigInt.asIntN(64, vd[2 * n]!) : vd[2 * n]!;
      const b = signed ? BigInt.asIntN(64, vd[2 * m]!) : vd[2 * m]!;
      vd[2 * d] = BigInt.asUintN(64, op(a, b));
      vd[2 * d + 1] = 0n;
    };
  };
}

// ---- modified immediate ------------------------------------------------------------------------

function immWords(f: Fields): [number, number] {
  const imm = expandSimdImm(f.op!, f.cmode!, (f.abc! << 5) | f.defgh!);
  return [Number(imm & 0xffffffffn), Number(imm >> 32n)];
}

function modImm(op: (imm: number, old: number) => number): ExecBuilder {
  return (f) => {
    const [lo, hi] = immWords(f);
    const d = 4 * f.rd!;
    const q = f.q!;
    const rdn = f.rd!;
    return (cpu) => {
      const vs = cpu.vs;
      vs[d] = op(lo, vs[d]!);
      vs[d + 1] = op(hi, vs[d + 1]!);
      if (q) {
        vs[d + 2] = op(lo, vs[d + 2]!);
        vs[d + 3] = op(hi, vs[d + 3]!);
      } else clearHigh(cpu, rdn);
    };
  };
}

const fmovVimm: ExecBuilder = (f) => {
  const v = vfpImm((f.abc! << 5) | f.defgh!);
  const words = new Uint32Array(2);
  if (f.op) new Float64Array(words.buffer)[0] = v;
  else {
    new Float32Array(words.buffer)[0] = v;
    words[1] = words[0]!;
  }
  const lo = words[0]!;
  const hi = words[1]!;
  const d = 4 * f.rd!;
  const q = f.q!;
  const rdn = f.rd!;
  return (cpu: Cpu) => {
    const vs = cpu.vs;
    vs[d] = lo;
    vs[d + 1] = hi;
    if (q) {
      vs[d + 2] = lo;
      vs[d + 3] = hi;
    } else clearHigh(cpu, rdn);
  };
};

// ---- copy ------------------------------------------------------------------------

/** Read general register n (31 = XZR) as a lane of `size`. */
function gpr(f: Fields): number {
  return f.rn === 31 ? XZR_READ : f.rn!;
}

const dupElem: ExecBuilder = (f) => {
  const size = imm5Size(f.imm5!);
  const idx = f.imm5! >> (size + 1);
  const e = 1 << size;
  const perm: number[] = [];
  for (let i = 0; i < 16; i++) perm.push(idx * e + (i % e));
  return bytePermute(f.rd!, f.rn!, f.rn!, f.q!, perm);
};

const dupGen: ExecBuilder = (f) => {
  const size = imm5Size(f.imm5!);
  const n = gpr(f);
  const d = f.rd!;
  const q = f.q!;
  const lanes = (q ? 16 : 8) >> size;
  if (size === 3) {
    return (cpu) => {
      const lo = cpu.x[2 * n]!;
      const hi = cpu.x[2 * n + 1]!;
      cpu.vs[4 * d] = lo;
      cpu.vs[4 * d + 1] = hi;
      cpu.vs[4 * d + 2] = lo;
      cpu.vs[4 * d + 3] = hi;
    };
  }
  return (cpu) => {
    const v = cpu.x[2 * n]!;
    const lanesView = view(cpu, size);
    const base = (16 * d) >> size;
    for (let i = 0; i < lanes; i++) lanesView[base + i] = v;
    if (!q) clearHigh(cpu, d);
  };
};

function movToGpr(signed: boolean): ExecBuilder {
  return (f) => {
    const size = imm5Size(f.imm5!);
    const idx = f.imm5! >> (size + 1);
    const n = f.rn!;
    const d = f.rd === 31 ? XZR_WRITE : f.rd!;
    const wide = f.q === 1;
    if (size === 3) {
      return (cpu) => {
        cpu.x[2 * d] = cpu.vs[4 * n + 2 * idx]!;
        cpu.x[2 * d + 1] = cpu.vs[4 * n + 2 * idx + 1]!;
      };
    }
    return (cpu) => {
      const v = readLane(cpu, n, size, idx, signed);
      cpu.x[2 * d] = v;
      cpu.x[2 * d + 1] = wide && v < 0 ? 0xffffffff : 0;
    };
  };
}

const insGen: ExecBuilder = (f) => {
  const size = imm5Size(f.imm5!);
  const idx = f.imm5! >> (size + 1);
  const n = gpr(f);
  const d = f.rd!;
  if (size === 3) {
    return (cpu) => {
      cpu.vs[4 * d + 2 * idx] = cpu.x[2 * n]!;
      cpu.vs[4 * d + 2 * idx + 1] = cpu.x[2 * n + 1]!;
    };
  }
  return (cpu) => writeLane(cpu, d, size, idx, cpu.x[2 * n]!);
};

const insElem: ExecBuilder = (f) => {
  const size = imm5Size(f.imm5!);
  const dst = (f.imm5! >> (size + 1)) << size;
  const src = (f.imm4! >> size) << size;
  const e = 1 << size;
  const d = 16 * f.rd!;
  const n = 16 * f.rn!;
  return (cpu) => {
    const vb = cpu.vb;
    for (let k = 0; k < e; k++) sb[k] = vb[n + src + k]!;
    for (let k = 0; k < e; k++) vb[d + dst + k] = sb[k]!;
  };
};

const dupScalar: ExecBuilder = (f) => {
  const size = imm5Size(f.imm5!);
  const idx = f.imm5! >> (size + 1);
  const e = 1 << size;
  const d = f.rd!;
  const n = 16 * f.rn!;
  return (cpu) => {
    const vb = cpu.vb;
    for (let k = 0; k < e; k++) sb[k] = vb[n + idx * e + k]!;
    cpu.vs[4 * d] = 0;
    cpu.vs[4 * d + 1] = 0;
    clearHigh(cpu, d);
    for (let k = 0; k < e; k++) vb[16 * d + k] = sb[k]!;
  };
};

// ---- permutes, EXT, TBL ------------------------------------------------------------------------

function permute(kind: 'zip1' | 'zip2' | 'uzp1' | 'uzp2' | 'trn1' | 'trn2'): ExecBuilder {
  return (f) => {
    const size = f.size!;
    const e = 1 << size;
    const count = (f.q ? 16 : 8) >> size; // elements per register
    const perm: number[] = [];
    for (let i = 0; i < count; i++) {
      let src: number; // element index into n (0..) or m (16/e..)
      const fromM = (k: number): number => 16 / e + k;
      const half = count / 2;
      if (kind === 'zip1' || kind === 'zip2') {
        const k = (i >> 1) + (kind === 'zip2' ? half : 0);
        src = i & 1 ? fromM(k) : k;
      } else if (kind === 'uzp1' || kind === 'uzp2') {
        const k = 2 * (i % half) + (kind === 'uzp2' ? 1 : 0);
        src = i < half ? k : fromM(k);
      } else {
        const k = (i & ~1) + (kind === 'trn2' ? 1 : 0);
        src = i & 1 ? fromM(k) : k;
      }
      perm.push(...elemBytes(0, src, size));
    }
    return bytePermute(f.rd!, f.rn!, f.rm!, f.q!, perm);
  };
}

const extExec: ExecBuilder = (f) => {
  const len = f.q ? 16 : 8;
  const perm: number[] = [];
  for (let i = 0; i < len; i++) {
    const j = f.imm4! + i;
    perm.push(j < len ? j : 16 + j - len);
  }
  return bytePermute(f.rd!, f.rn!, f.rm!, f.q!, perm);
};

/** TBL/TBX: table of len+1 consecutive registers starting at Vn (wrapping at V31). */
const tblExec: ExecBuilder = (f) => {
  const d = f.rd!;
  const m = f.rm!;
  const q = f.q!;
  const regs = f.len! + 1;
  const n = f.rn!;
  const tbx = f.op === 1;
  const limit = regs * 16;
  const len = q ? 16 : 8;
  return (cpu) => {
    const vb = cpu.vb;
    // Index bytes and old destination into scratch first: Vd may be in the table or be Vm.
    for (let i = 0; i < 16; i++) sb[i] = vb[16 * m + i]!;
    for (let i = 0; i < 16; i++) sb[16 + i] = vb[16 * d + i]!;
    for (let i = 0; i < len; i++) {
      const idx = sb[i]!;
      if (idx < limit) {
        const reg = (n + (idx >> 4)) & 31;
        sb[32 + i] = vb[16 * reg + (idx & 15)]!;
      } else sb[32 + i] = tbx ? sb[16 + i]! : 0;
    }
    for (let i = 0; i < len; i++) vb[16 * d + i] = sb[32 + i]!;
    if (!q) clearHigh(cpu, d);
  };
};

// ---- by element ------------------------------------------------------------------------

const mulElem: ExecBuilder = (f) => {
  const [m, idx] = intElemRegIndex(f);
  const size = f.size!;
  const d = f.rd!;
  const n = f.rn!;
  const q = f.q!;
  const lanes = (q ? 16 : 8) >> size;
  const bits = 8 << size;
  return (cpu) => {
    const b = readLane(cpu, m, size, idx, false);
    const v = view(cpu, size);
    const bd = (16 * d) >> size;
    const bn = (16 * n) >> size;
    for (let i = 0; i < lanes; i++) v[bd + i] = bits === 32 ? Math.imul(v[bn + i]!, b) : v[bn + i]! * b;
    if (!q) clearHigh(cpu, d);
  };
};

export const simdExec: ExecTable = {
  ...simdLdstExec,
  ...simdFpExec,

  DUP_elem: dupElem,
  DUP_gen: dupGen,
  SMOV: movToGpr(true),
  UMOV: movToGpr(false),
  INS_gen: insGen,
  INS_elem: insElem,
  DUP_scalar: dupScalar,

  FMOV_vimm: fmovVimm,
  MOVI_vimm: modImm((imm) => imm),
  MVNI_vimm: modImm((imm) => ~imm),
  ORR_vimm: modImm((imm, old) => old | imm),
  BIC_vimm: modImm((imm, old) => old & ~imm),

  SSHR_vec: shiftRight(true, false, false),
  USHR_vec: shiftRight(false, false, false),
  SSRA_vec: shiftRight(true, false, true),
  USRA_vec: shiftRight(false, false, true),
  SRSHR_vec: shiftRight(true, true, false),
  URSHR_vec: shiftRight(false, true, false),
  SRI_vec: sriExec,
  SHL_vec: shiftLeft(false),
  SLI_vec: shiftLeft(true),
  SHRN_vec: shiftNarrow(false),
  RSHRN_vec: shiftNarrow(true),
  SSHLL_vec: shiftLong(true),
  USHLL_vec: shiftLong(false),
  SSHR_scalar: scalarShift('sshr'),
  USHR_scalar: scalarShift('ushr'),
  SHL_scalar: scalarShift('shl'),

  ORR_vec: logic((n, m) => n | m),
  AND_vec: logic((n, m) => n & m),
  BIC_vec: logic((n, m) => n & ~m),
  ORN_vec: logic((n, m) => n | ~m),
  EOR_vec: logic((n, m) => n ^ m),
  BSL_vec: logic((n, m, d) => (d & n) | (~d & m)),
  BIT_vec: logic((n, m, d) => (n & m) | (d & ~m)),
  BIF_vec: logic((n, m, d) => (n & ~m) | (d & m)),

  ADD_vec: same(false, () => (a, b) => a + b, (a, b) => a + b),
  SUB_vec: same(false, () => (a, b) => a - b, (a, b) => a - b),
  CMEQ_vec: same(false, cmp((a, b) => a === b), cmp64((a, b) => a === b)),
  CMTST_vec: same(false, cmp((a, b) => (a & b) !== 0), cmp64((a, b) => (a & b) !== 0n)),
  CMHS_vec: same(false, cmp((a, b) => a >= b), cmp64((a, b) => a >= b)),
  CMHI_vec: same(false, cmp((a, b) => a > b), cmp64((a, b) => a > b)),
  CMGE_vec: same(true, cmp((a, b) => a >= b), cmp64((a, b) => a >= b)),
  CMGT_vec: same(true, cmp((a, b) => a > b), cmp64((a, b) => a > b)),
  ADDP_vec: pairwise(false, (a, b) => a + b, (a, b) => a + b),
  USHL_vec: same(false, (bits) => (a, b) => shiftByReg(a, b, bits), (a, b) => shiftByReg64(a, b)),
  SSHL_vec: same(true, (bits) => (a, b) => shiftByReg(a, b, bits), (a, b) => shiftByReg64(a, b)),
  SQADD_vec: satOp(true, false),
  UQADD_vec: satOp(false, false),
  SQSUB_vec: satOp(true, true),
  UQSUB_vec: satOp(false, true),
  UMAXP_vec: pairwise(false, Math.max),
  UMINP_vec: pairwise(false, Math.min),
  SMAXP_vec: pairwise(true, Math.max),
  SMINP_vec: pairwise(true, Math.min),
  UMAX_vec: same(false, () => (a, b) => Math.max(a, b)),
  UMIN_vec: same(false, () => (a, b) => Math.min(a, b)),
  SMAX_vec: same(true, () => (a, b) => Math.max(a, b)),
  SMIN_vec: same(true, () => (a, b) => Math.min(a, b)),
  UABD_vec: same(false, () => (a, b) => Math.abs(a - b)),
  SABD_vec: same(true, () => (a, b) => Math.abs(a - b)),
  MUL_vec: same(false, (bits) => mul32(bits)),
  MLA_vec: same(false, (bits) => { const mul = mul32(bits); return (a, b, d) => d + mul(a, b); }),
  MLS_vec: same(false, (bits) => { const mul = mul32(bits); return (a, b, d) => d - mul(a, b); }),
  ADD_scalar: scalar3(false, (a, b) => a + b),
  SUB_scalar: scalar3(false, (a, b) => a - b),
  CMEQ_scalar: scalar3(false, (a, b) => (a === b ? -1n : 0n)),
  CMHS_scalar: scalar3(false, (a, b) => (a >= b ? -1n : 0n)),
  CMHI_scalar: scalar3(false, (a, b) => (a > b ? -1n : 0n)),
  CMGE_scalar: scalar3(true, (a, b) => (a >= b ? -1n : 0n)),
  CMGT_scalar: scalar3(true, (a, b) => (a > b ? -1n : 0n)),
  CMTST_scalar: scalar3(false, (a, b) => ((a & b) !== 0n ? -1n : 0n)),
  ADDP_scalar: (f) => {
    const d = f.rd!;
    const n = f.rn!;
    return (cpu) => {
      const vd = cpu.vd;
      vd[2 * d] = BigInt.asUintN(64, vd[2 * n]! + vd[2 * n + 1]!);
      vd[2 * d + 1] = 0n;
    };
  },

  REV64_vec: rev(8),
  REV32_vec: rev(4),
  REV16_vec: rev(2),
  SADDLP_vec: addlp(true, false),
  UADDLP_vec: addlp(false, false),
  SADALP_vec: addlp(true, true),
  UADALP_vec: addlp(false, true),
  CLS_vec: unary(true, (bits) => (a) => Math.clz32(a ^ (a >> 31)) - (32 - bits) - 1),
  CLZ_vec: unary(false, (bits) => (a) => Math.clz32(a) - (32 - bits)),
  CNT_vec: unary(false, () => (a) => POPCNT8[a]!),
  NOT_vec: unary(false, () => (a) => ~a),
  RBIT_vec: (f) => elementwise({ d: f.rd!, n: f.rn!, m: f.rn!, q: f.q!, size: 0, signed: false }, (a) => RBIT8[a]!),
  CMGT_zero: unary(true, () => (a) => (a > 0 ? -1 : 0), (a) => (BigInt.asIntN(64, a) > 0n ? -1n : 0n)),
  CMGE_zero: unary(true, () => (a) => (a >= 0 ? -1 : 0), (a) => (BigInt.asIntN(64, a) >= 0n ? -1n : 0n)),
  CMEQ_zero: unary(false, () => (a) => (a === 0 ? -1 : 0), (a) => (a === 0n ? -1n : 0n)),
  CMLE_zero: unary(true, () => (a) => (a <= 0 ? -1 : 0), (a) => (BigInt.asIntN(64, a) <= 0n ? -1n : 0n)),
  CMLT_zero: unary(true, () => (a) => (a < 0 ? -1 : 0), (a) => (BigInt.asIntN(64, a) < 0n ? -1n : 0n)),
  ABS_vec: unary(true, () => (a) => Math.abs(a), (a) => { const s = BigInt.asIntN(64, a); return s < 0n ? -s : s; }),
  NEG_vec: unary(true, () => (a) => -a, (a) => -a),
  XTN_vec: narrow(false, 'none'),
  SQXTN_vec: narrow(true, 'signed'),
  UQXTN_vec: narrow(false, 'unsigned'),
  SQXTUN_vec: narrow(true, 'unsigned'),

  ADDV: acrossLanes(false, (acc, v) => acc + v, false),
  UMAXV: acrossLanes(false, Math.max, false),
  UMINV: acrossLanes(false, Math.min, false),
  SMAXV: acrossLanes(true, Math.max, false),
  SMINV: acrossLanes(true, Math.min, false),
  UADDLV: acrossLanes(false, (acc, v) => acc + v, true),
  SADDLV: acrossLanes(true, (acc, v) => acc + v, true),

  SADDL_vec: diff(true, 'long', L_ADD),
  UADDL_vec: diff(false, 'long', L_ADD),
  SADDW_vec: diff(true, 'wide', L_ADD),
  UADDW_vec: diff(false, 'wide', L_ADD),
  SSUBL_vec: diff(true, 'long', L_SUB),
  USUBL_vec: diff(false, 'long', L_SUB),
  SSUBW_vec: diff(true, 'wide', L_SUB),
  USUBW_vec: diff(false, 'wide', L_SUB),
  ADDHN_vec: diff(false, 'narrow', L_ADD),
  SUBHN_vec: diff(false, 'narrow', L_SUB),
  SABAL_vec: diff(true, 'long', L_ABA),
  UABAL_vec: diff(false, 'long', L_ABA),
  SABDL_vec: diff(true, 'long', L_ABD),
  UABDL_vec: diff(false, 'long', L_ABD),
  SMLAL_vec: diff(true, 'long', L_MLA),
  UMLAL_vec: diff(false, 'long', L_MLA),
  SMLSL_vec: diff(true, 'long', L_MLS),
  UMLSL_vec: diff(false, 'long', L_MLS),
  SMULL_vec: diff(true, 'long', L_MUL),
  UMULL_vec: diff(false, 'long', L_MUL),

  UZP1: permute('uzp1'),
  UZP2: permute('uzp2'),
  ZIP1: permute('zip1'),
  ZIP2: permute('zip2'),
  TRN1: permute('trn1'),
  TRN2: permute('trn2'),
  EXT: extExec,
  TBL: tblExec,

  MUL_elem: mulElem,
};

