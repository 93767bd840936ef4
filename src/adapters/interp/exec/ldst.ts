/**
 * Interpreter semantics for loads and stores: single registers, pairs,
 * literals, exclusives, acquire/release, RCpc and LSE atomics.
 *
 * Precise exceptions: every memory access of an instruction happens before
 * any register write, and multi-part stores probe the whole range first, so
 * a fault (cpu.read* / write* throwing UNWIND) leaves the registers as they
 * were. Writeback comes last and stores base + offset computed from the base read
 * before the access; for loads with writeback where Rt == Rn the written-back
 * address wins, which is what qemu-aarch64 does with that CONSTRAINED
 * UNPREDICTABLE case (checked with a test program).
 * Acquire/release ordering needs nothing in an in-order interpreter; their
 * alignment follows FEAT_LSE2 (crosses16 below).
 * LDTR/STTR are performed as ordinary accesses, not as EL0 accesses.
 */
import {
  ATOMIC_OPS,
  INT_KINDS,
  PAIR_MODES,
  SINGLE_MODES,
  pairName,
  singleName,
  type IntKind,
  type PairMode,
  type SingleMode,
} from '../../../domain/a64/table/ldst.js';
import type { Fields } from '../../../domain/a64/pattern.js';
import { EC, FSC, ISS_WNR } from '../../../ports/vcpu.js';
import { type Cpu, type Exec } from '../cpu.js';
import { SP_SLOT, TWO32, XZR_READ, XZR_WRITE } from '../regs.js';
import type { ExecTable } from './types.js';

const TWO64 = 2 ** 64;

const num = (f: Fields, k: string): number => f[k] ?? 0;
const baseSlot = (n: number): number => (n === 31 ? SP_SLOT : n);
const readSlot = (n: number): number => (n === 31 ? XZR_READ : n);
const writeSlot = (n: number): number => (n === 31 ? XZR_WRITE : n);

/** An address computed below zero wraps to the top of the 64-bit space (where it faults). */
const wrap = (va: number): number => (va < 0 ? va + TWO64 : va);

/**
 * Writeback: Xn <- (the base read before the access, as lo/hi halves) + imm,
 * exactly. Taking the old base matters when the load also wrote Xn.
 */
function writeBack(cpu: Cpu, n: number, lo: number, hi: number, imm: number): void {
  const sum = lo + imm;
  cpu.x[2 * n] = sum;
  cpu.x[2 * n + 1] = hi + Math.floor(sum / TWO32);
}

/**
 * FEAT_LSE2 (an M1 has it): an ordered (load-acquire, store-release) or
 * atomic access that is not aligned is single-copy atomic, and faults only
 * when it crosses a 16-byte boundary (CheckAlignment; for ordered accesses
 * only while SCTLR_EL1.nAA = 0). An aligned access of up to 16 bytes never
 * crosses one. Exclusives still require alignment.
 */
const crosses16 = (va: number, bytes: number): boolean => (va % 16) + bytes > 16;

function alignmentFault(cpu: Cpu, va: number, write: boolean): never {
  const ec = cpu.el === 0 ? EC.DATA_ABORT_LOWER : EC.DATA_ABORT_SAME;
  return cpu.takeException(ec, FSC.ALIGNMENT | (write ? ISS_WNR : 0), cpu.insnAddr, va);
}

// ---- element transfers: (cpu, va, register slot) -----------------------------------

type Xfer = (cpu: Cpu, va: number, r: number) => void;

/** Zero-extending integer loads by log2 size. */
const LOAD: readonly Xfer[] = [
  (c, va, r) => { const v = c.read8(va); c.x[2 * r] = v; c.x[2 * r + 1] = 0; },
  (c, va, r) => { const v = c.read16(va); c.x[2 * r] = v; c.x[2 * r + 1] = 0; },
  (c, va, r) => { const v = c.read32(va); c.x[2 * r] = v; c.x[2 * r + 1] = 0; },
  (c, va, r) => { const v = c.read64(va); c.x[2 * r] = v; c.x[2 * r + 1] = c.hi; },
];
/** Sign-extending loads to 64 bits (LDRSB/LDRSH/LDRSW Xt). */
const LOAD_S64: readonly Xfer[] = [
  (c, va, r) => { const v = (c.read8(va) << 24) >> 24; c.x[2 * r] = v; c.x[2 * r + 1] = v >> 31; },
  (c, va, r) => { const v = (c.read16(va) << 16) >> 16; c.x[2 * r] = v; c.x[2 * r + 1] = v >> 31; },
  (c, va, r) => { const v = c.read32(va) | 0; c.x[2 * r] = v; c.x[2 * r + 1] = v >> 31; },
];
/** Sign-extending loads to 32 bits (LDRSB/LDRSH Wt): the high half is zeroed. */
const LOAD_S32: readonly Xfer[] = [
  (c, va, r) => { const v = (c.read8(va) << 24) >> 24; c.x[2 * r] = v; c.x[2 * r + 1] = 0; },
  (c, va, r) => { const v = (c.read16(va) << 16) >> 16; c.x[2 * r] = v; c.x[2 * r + 1] = 0; },
];
const STORE: readonly Xfer[] = [
  (c, va, r) => c.write8(va, c.x[2 * r]! & 0xff),
  (c, va, r) => c.write16(va, c.x[2 * r]! & 0xffff),
  (c, va, r) => c.write32(va, c.x[2 * r]!),
  (c, va, r) => c.write64(va, c.x[2 * r]!, c.x[2 * r + 1]!),
];

/** SIMD&FP loads by log2 size (B, H, S, D, Q); a scalar write zeroes the rest of Vt. */
const FP_LOAD: readonly Xfer[] = [
  (c, va, r) => { const v = c.read8(va); zeroV(c, r); c.vb[16 * r] = v; },
  (c, va, r) => { const v = c.read16(va); zeroV(c, r); c.vh[8 * r] = v; },
  (c, va, r) => { const v = c.read32(va); zeroV(c, r); c.vs[4 * r] = v; },
  (c, va, r) => {
    const lo = c.read64(va);
    const i = 4 * r;
    c.vs[i] = lo;
    c.vs[i + 1] = c.hi;
    c.vs[i + 2] = 0;
    c.vs[i + 3] = 0;
  },
  (c, va, r) => {
    const w0 = c.read64(va);
    const w1 = c.hi;
    const w2 = c.read64(va + 8);
    const i = 4 * r;
    c.vs[i] = w0;
    c.vs[i + 1] = w1;
    c.vs[i + 2] = w2;
    c.vs[i + 3] = c.hi;
  },
];
const FP_STORE: readonly Xfer[] = [
  (c, va, r) => c.write8(va, c.vb[16 * r]!),
  (c, va, r) => c.write16(va, c.vh[8 * r]!),
  (c, va, r) => c.write32(va, c.vs[4 * r]!),
  (c, va, r) => c.write64(va, c.vs[4 * r]!, c.vs[4 * r + 1]!),
  (c, va, r) => {
    c.probeWrite(va, 16);
    c.write64(va, c.vs[4 * r]!, c.vs[4 * r + 1]!);
    c.write64(va + 8, c.vs[4 * r + 2]!, c.vs[4 * r + 3]!);
  },
];

function zeroV(c: Cpu, r: number): void {
  c.vs[4 * r] = 0;
  c.vs[4 * r + 1] = 0;
  c.vs[4 * r + 2] = 0;
  c.vs[4 * r + 3] = 0;
}

const INT_XFER: Record<IntKind, readonly Xfer[]> = { STR: STORE, LDR: LOAD, LDRS64: LOAD_S64, LDRS32: LOAD_S32 };

// ---- addressing -------------------------------------------------------------------------

/** Register-offset extend kinds (option): UXTW, SXTW, or the full 64-bit register (LSL/SXTX). */
const EXT_UXTW = 0;
const EXT_SXTW = 1;
const EXT_X = 2;

/** Xn + (extend(Rm) << sh), exactly in 64-bit arithmetic on 32-bit halves. */
function regOffsetAddr(c: Cpu, n: number, m: number, ext: number, sh: number): number {
  const mlo = c.x[2 * m]!;
  const mhi = ext === EXT_X ? c.x[2 * m + 1]! : ext === EXT_SXTW ? mlo >> 31 : 0;
  const olo = sh === 0 ? mlo : (mlo << sh) >>> 0;
  const ohi = sh === 0 ? mhi : (mhi << sh) | (mlo >>> (32 - sh));
  const lo = c.x[2 * n]! + olo;
  const hi = (c.x[2 * n + 1]! + ohi + (lo >= TWO32 ? 1 : 0)) >>> 0;
  return hi * TWO32 + (lo >>> 0);
}

/**
 * Build the closure for a single-register transfer in `mode`. `log2` is the
 * access size (the scale of uimm and of the register-offset shift).
 */
function single(mode: SingleMode, f: Fields, xfer: Xfer, r: number, log2: number): Exec {
  const n = baseSlot(num(f, 'rn'));
  switch (mode) {
    case 'uimm': {
      const off = num(f, 'imm12') * 2 ** log2;
      return (c) => xfer(c, c.xAddr(n) + off, r);
    }
    case 'pre': {
      const imm = num(f, 'imm9');
      return (c) => {
        const lo = c.x[2 * n]!;
        const hi = c.x[2 * n + 1]!;
        xfer(c, wrap(hi * TWO32 + lo + imm), r);
        writeBack(c, n, lo, hi, imm);
      };
    }
    case 'post': {
      const imm = num(f, 'imm9');
      return (c) => {
        const lo = c.x[2 * n]!;
        const hi = c.x[2 * n + 1]!;
        xfer(c, hi * TWO32 + lo, r);
        writeBack(c, n, lo, hi, imm);
      };
    }
    case 'reg': {
      const m = readSlot(num(f, 'rm'));
      const option = num(f, 'option');
      const ext = option === 2 ? EXT_UXTW : option === 6 ? EXT_SXTW : EXT_X;
      const sh = num(f, 's') ? log2 : 0;
      return (c) => xfer(c, regOffsetAddr(c, n, m, ext, sh), r);
    }
    case 'unscaled':
    case 'unpriv': {
      const imm = num(f, 'imm9');
      return (c) => xfer(c, wrap(c.xAddr(n) + imm), r);
    }
  }
}

/** Register slot for Rt: loads discard writes to XZR, stores read zero. */
const rtSlot = (kind: IntKind, f: Fields): number => (kind === 'STR' ? readSlot : writeSlot)(num(f, 'rt'));

function intSingle(kind: IntKind, mode: SingleMode) {
  return (f: Fields): Exec => {
    const size = num(f, 'size');
    return single(mode, f, INT_XFER[kind][size]!, rtSlot(kind, f), size);
  };
}

function fpSingle(load: boolean, mode: SingleMode) {
  return (f: Fields): Exec => {
    const log2 = num(f, 'q') ? 4 : num(f, 'size');
    return single(mode, f, (load ? FP_LOAD : FP_STORE)[log2]!, num(f, 'rt'), log2);
  };
}

// ---- pairs ----------------------------------------------------------------------------------

/**
 * Pair transfer of two elements of 2^log2 bytes. Loads probe the whole range,
 * then write Rt2 before Rt (so Rt wins when they are equal, as in qemu);
 * stores probe, then write both.
 */
function pair(mode: PairMode, f: Fields, xfer: Xfer, load: boolean, r: number, r2: number, log2: number): Exec {
  const n = baseSlot(num(f, 'rn'));
  const es = 2 ** log2;
  const imm = num(f, 'imm7') * es;
  const both = load
    ? (c: Cpu, va: number): void => {
        c.probeRead(va, 2 * es);
        xfer(c, va + es, r2);
        xfer(c, va, r);
      }
    : (c: Cpu, va: number): void => {
        c.probeWrite(va, 2 * es);
        xfer(c, va, r);
        xfer(c, va + es, r2);
      };
  if (mode === 'post' || mode === 'pre') {
    const pre = mode === 'pre' ? imm : 0;
    return (c) => {
      const lo = c.x[2 * n]!;
      const hi = c.x[2 * n + 1]!;
      both(c, wrap(hi * TWO32 + lo + pre));
      writeBack(c, n, lo, hi, imm);
    };
  }
  return (c) => both(c, wrap(c.xAddr(n) + imm));
}

function intPair(op: 'STP' | 'LDP' | 'LDPSW', mode: PairMode) {
  return (f: Fields): Exec => {
    const log2 = op === 'LDPSW' ? 2 : 2 + (num(f, 'opc') >> 1);
    const load = op !== 'STP';
    const xfer = op === 'LDPSW' ? LOAD_S64[2]! : (load ? LOAD : STORE)[log2]!;
    const slot = load ? writeSlot : readSlot;
    return pair(mode, f, xfer, load, slot(num(f, 'rt')), slot(num(f, 'rt2')), log2);
  };
}

function fpPair(load: boolean, mode: PairMode) {
  return (f: Fields): Exec => {
    const log2 = 2 + num(f, 'opc');
    return pair(mode, f, (load ? FP_LOAD : FP_STORE)[log2]!, load, num(f, 'rt'), num(f, 'rt2'), log2);
  };
}

// ---- literals -------------------------------------------------------------------------------

/** PC-relative load: the literal is at (address of this instruction) + imm19 * 4. */
function literal(xfer: Xfer, r: number, f: Fields): Exec {
  const off = num(f, 'imm19') * 4 - 4;
  return (c) => xfer(c, c.pc + off, r);
}

// ---- exclusives and acquire/release -----------------------------------------------------------

function ldxr(f: Fields): Exec {
  const size = num(f, 'size');
  const bytes = 2 ** size;
  const n = baseSlot(num(f, 'rn'));
  const t = writeSlot(num(f, 'rt'));
  const load = LOAD[size]!;
  return (c) => {
    const va = c.xAddr(n);
    if (va % bytes !== 0) return alignmentFault(c, va, false);
    load(c, va, t);
    c.setExclusive(va, bytes, c.x[2 * t]!, size === 3 ? c.x[2 * t + 1]! : 0);
  };
}

/** Ws <- 0 if the store happened, 1 if the exclusive monitor said no. */
function setStatus(c: Cpu, s: number, v: number): void {
  c.x[2 * s] = v;
  c.x[2 * s + 1] = 0;
}

function stxr(f: Fields): Exec {
  const size = num(f, 'size');
  const bytes = 2 ** size;
  const n = baseSlot(num(f, 'rn'));
  const t = readSlot(num(f, 'rt'));
  const s = writeSlot(num(f, 'rs'));
  return (c) => {
    const va = c.xAddr(n);
    if (va % bytes !== 0) return alignmentFault(c, va, true);
    if (!c.checkExclusive(va, bytes)) return setStatus(c, s, 1);
    // Succeeds only if the memory still holds what the load-exclusive read (another
    // process sharing the page may have stored meanwhile): one host compare-and-swap.
    const pa = c.atomicPa(va, bytes);
    const expLo = c.exclLo;
    const expHi = c.exclHi;
    const oldLo = c.atomicCas(pa, size, expLo, expHi, c.x[2 * t]!, size === 3 ? c.x[2 * t + 1]! : 0);
    setStatus(c, s, oldLo === expLo && c.hi === expHi ? 0 : 1);
  };
}

function ldxp(f: Fields): Exec {
  const log2 = 2 + num(f, 'sz');
  const es = 2 ** log2;
  const n = baseSlot(num(f, 'rn'));
  const t = writeSlot(num(f, 'rt'));
  const t2 = writeSlot(num(f, 'rt2'));
  const load = LOAD[log2]!;
  return (c) => {
    const va = c.xAddr(n);
    if (va % (2 * es) !== 0) return alignmentFault(c, va, false);
    c.probeRead(va, 2 * es);
    load(c, va + es, t2);
    load(c, va, t);
    // A pair of words is one doubleword for the store-exclusive's compare-and-swap.
    c.setExclusive(va, 2 * es, c.x[2 * t]!, log2 === 2 ? c.x[2 * t2]! : 0);
  };
}

function stxp(f: Fields): Exec {
  const log2 = 2 + num(f, 'sz');
  const es = 2 ** log2;
  const n = baseSlot(num(f, 'rn'));
  const t = readSlot(num(f, 'rt'));
  const t2 = readSlot(num(f, 'rt2'));
  const s = writeSlot(num(f, 'rs'));
  const store = STORE[log2]!;
  return (c) => {
    const va = c.xAddr(n);
    if (va % (2 * es) !== 0) return alignmentFault(c, va, true);
    if (!c.checkExclusive(va, 2 * es)) return setStatus(c, s, 1);
    if (log2 === 2) {
      const pa = c.atomicPa(va, 8);
      const oldLo = c.atomicCas(pa, 3, c.exclLo, c.exclHi, c.x[2 * t]!, c.x[2 * t2]!);
      return setStatus(c, s, oldLo === c.exclLo && c.hi === c.exclHi ? 0 : 1);
    }
    // 128 bits: the host has no atomic this wide; atomic within this process only.
    c.probeWrite(va, 2 * es);
    store(c, va, t);
    store(c, va + es, t2);
    setStatus(c, s, 0);
  };
}

/** LDAR/LDAPR/STLR (and LDLAR/STLLR) with a plain [Xn] address; ordering needs nothing here. */
function plain(xfers: readonly Xfer[], load: boolean) {
  return (f: Fields): Exec => {
    const n = baseSlot(num(f, 'rn'));
    const bytes = 2 ** num(f, 'size');
    const xfer = xfers[num(f, 'size')]!;
    const t = (load ? writeSlot : readSlot)(num(f, 'rt'));
    return (c) => {
      const va = c.xAddr(n);
      if (c.orderedCheck !== 0 && crosses16(va, bytes)) return alignmentFault(c, va, !load);
      xfer(c, va, t);
    };
  };
}

/** LDAPUR/STLUR: unscaled signed offset, RCpc ordering (nothing to do). */
function rcpc2(xfers: readonly Xfer[], load: boolean) {
  return (f: Fields): Exec => {
    const n = baseSlot(num(f, 'rn'));
    const imm = num(f, 'imm9');
    const bytes = 2 ** num(f, 'size');
    const xfer = xfers[num(f, 'size')]!;
    const t = (load ? writeSlot : readSlot)(num(f, 'rt'));
    return (c) => {
      const va = wrap(c.xAddr(n) + imm);
      if (c.orderedCheck !== 0 && crosses16(va, bytes)) return alignmentFault(c, va, !load);
      xfer(c, va, t);
    };
  };
}

// ---- LSE atomics -----------------------------------------------------------------------------

/** Reads of 2^size bytes: the low word returned, the high word left in cpu.hi (0 below 64 bits). */
const READ: readonly ((c: Cpu, va: number) => number)[] = [
  (c, va) => { c.hi = 0; return c.read8(va); },
  (c, va) => { c.hi = 0; return c.read16(va); },
  (c, va) => { c.hi = 0; return c.read32(va); },
  (c, va) => c.read64(va),
];
const WRITE: readonly ((c: Cpu, va: number, lo: number, hi: number) => void)[] = [
  (c, va, lo) => c.write8(va, lo & 0xff),
  (c, va, lo) => c.write16(va, lo & 0xffff),
  (c, va, lo) => c.write32(va, lo),
  (c, va, lo, hi) => c.write64(va, lo, hi),
];

/** High word of the last AtomicOp result (avoids allocating a pair). */
let opHi = 0;
/** A 64-bit operation on (lo, hi) halves: returns the low word, leaves the high word in opHi. */
type AtomicOp = (aLo: number, aHi: number, bLo: number, bHi: number) => number;

/** Unsigned 64-bit a >= b; `signed` compares the high words as signed. */
function ge64(aLo: number, aHi: number, bLo: number, bHi: number, signed: boolean): boolean {
  const ah = signed ? aHi | 0 : aHi >>> 0;
  const bh = signed ? bHi | 0 : bHi >>> 0;
  return ah !== bh ? ah > bh : aLo >>> 0 >= bLo >>> 0;
}
function pick(aLo: number, aHi: number, bLo: number, bHi: number, takeA: boolean): number {
  opHi = takeA ? aHi : bHi;
  return takeA ? aLo : bLo;
}

/** MemAtomicOp by o3:opc; memory value a, register value b. */
const ATOMIC_FNS: Record<string, AtomicOp> = {
  LDADD: (aLo, aHi, bLo, bHi) => {
    const lo = aLo + bLo;
    opHi = (aHi + bHi + (lo >= TWO32 ? 1 : 0)) >>> 0;
    return lo >>> 0;
  },
  LDCLR: (aLo, aHi, bLo, bHi) => { opHi = (aHi & ~bHi) >>> 0; return (aLo & ~bLo) >>> 0; },
  LDEOR: (aLo, aHi, bLo, bHi) => { opHi = (aHi ^ bHi) >>> 0; return (aLo ^ bLo) >>> 0; },
  LDSET: (aLo, aHi, bLo, bHi) => { opHi = (aHi | bHi) >>> 0; return (aLo | bLo) >>> 0; },
  LDSMAX: (aLo, aHi, bLo, bHi) => pick(aLo, aHi, bLo, bHi, ge64(aLo, aHi, bLo, bHi, true)),
  LDSMIN: (aLo, aHi, bLo, bHi) => pick(aLo, aHi, bLo, bHi, !ge64(aLo, aHi, bLo, bHi, true) || (aLo === bLo && aHi === bHi)),
  LDUMAX: (aLo, aHi, bLo, bHi) => pick(aLo, aHi, bLo, bHi, ge64(aLo, aHi, bLo, bHi, false)),
  LDUMIN: (aLo, aHi, bLo, bHi) => pick(aLo, aHi, bLo, bHi, !ge64(aLo, aHi, bLo, bHi, false) || (aLo === bLo && aHi === bHi)),
  SWP: (_aLo, _aHi, bLo, bHi) => { opHi = bHi; return bLo; },
};

/** Extend a value of 2^size bytes to 64 bits as (lo, hi) for the signed ops: returns lo, sets extHi. */
let extHi = 0;
function sext(v: number, size: number): number {
  const sh = 32 - 8 * (2 ** size);
  const s = (v << sh) >> sh;
  extHi = s < 0 ? 0xffffffff : 0;
  return s >>> 0;
}

function atomic(name: string) {
  const op = ATOMIC_FNS[name]!;
  const signed = name === 'LDSMAX' || name === 'LDSMIN';
  return (f: Fields): Exec => {
    const size = num(f, 'size');
    const bytes = 2 ** size;
    const mask = size === 3 ? 0xffffffff : 2 ** (8 * bytes) - 1;
    const n = baseSlot(num(f, 'rn'));
    const s = readSlot(num(f, 'rs'));
    const t = writeSlot(num(f, 'rt'));
    const read = READ[size]!;
    const write = WRITE[size]!;
    const wide = size === 3;
    const bSext = signed && !wide;
    return (c) => {
      const va = c.xAddr(n);
      if (crosses16(va, bytes)) return alignmentFault(c, va, true);
      const bLo0 = (c.x[2 * s]! & mask) >>> 0;
      const bHi0 = wide ? c.x[2 * s + 1]! : 0;
      const bLo = bSext ? sext(bLo0, size) : bLo0;
      const bHi = bSext ? extHi : bHi0;
      let oldLo: number;
      let oldHi: number;
      if (va % bytes === 0) {
        // Aligned: a compare-and-swap loop, so a store by another process in between is never lost.
        const pa = c.atomicPa(va, bytes);
        for (;;) {
          oldLo = c.atomicLoad(pa, size);
          oldHi = c.hi;
          const lo = bSext ? op(sext(oldLo, size), extHi, bLo, bHi) : op(oldLo, oldHi, bLo, bHi);
          const hi = opHi;
          const seenLo = c.atomicCas(pa, size, oldLo, oldHi, lo & mask, hi);
          if (seenLo === oldLo && c.hi === oldHi) break;
        }
      } else {
        // Unaligned within 16 bytes (FEAT_LSE2): no host atomic spans it; atomic within this process.
        oldLo = read(c, va);
        oldHi = c.hi;
        const lo = bSext ? op(sext(oldLo, size), extHi, bLo, bHi) : op(oldLo, oldHi, bLo, bHi);
        write(c, va, lo, opHi);
      }
      c.x[2 * t] = oldLo;
      c.x[2 * t + 1] = oldHi;
    };
  };
}

/** CAS: compare Rs with memory, store Rt if equal; Rs <- the old value either way. */
function cas(f: Fields): Exec {
  const size = num(f, 'size');
  const bytes = 2 ** size;
  const mask = size === 3 ? 0xffffffff : 2 ** (8 * bytes) - 1;
  const wide = size === 3;
  const n = baseSlot(num(f, 'rn'));
  const sRead = readSlot(num(f, 'rs'));
  const sWrite = writeSlot(num(f, 'rs'));
  const t = readSlot(num(f, 'rt'));
  const read = READ[size]!;
  const write = WRITE[size]!;
  return (c) => {
    const va = c.xAddr(n);
    if (crosses16(va, bytes)) return alignmentFault(c, va, true);
    const cmpLo = (c.x[2 * sRead]! & mask) >>> 0;
    const cmpHi = wide ? c.x[2 * sRead + 1]! : 0;
    const newLo = c.x[2 * t]!;
    const newHi = c.x[2 * t + 1]!;
    let oldLo: number;
    let oldHi: number;
    if (va % bytes === 0) {
      // One host compare-and-swap (write permission checked even when the compare fails,
      // as on hardware that always writes).
      oldLo = c.atomicCas(c.atomicPa(va, bytes), size, cmpLo, cmpHi, newLo, wide ? newHi : 0);
      oldHi = c.hi;
    } else {
      oldLo = read(c, va);
      oldHi = c.hi;
      if (oldLo === cmpLo && oldHi === cmpHi) write(c, va, newLo, newHi);
      else c.probeWrite(va, bytes);
    }
    c.x[2 * sWrite] = oldLo;
    c.x[2 * sWrite + 1] = oldHi;
  };
}

/** CASP: pairs (Rs, Rs+1) and (Rt, Rt+1), the first register at the lower address. */
function casp(f: Fields): Exec {
  const wide = num(f, 'sz') === 1;
  const es = wide ? 8 : 4;
  const n = baseSlot(num(f, 'rn'));
  const rs = num(f, 'rs');
  const rt = num(f, 'rt');
  const s1 = rs;
  const s2 = readSlot(rs + 1);
  const s2w = writeSlot(rs + 1);
  const t1 = rt;
  const t2 = readSlot(rt + 1);
  return (c) => {
    const va = c.xAddr(n);
    if (crosses16(va, 2 * es)) return alignmentFault(c, va, true);
    const x = c.x;
    if (!wide && va % 8 === 0) {
      // A pair of words is one doubleword: one host compare-and-swap.
      const m0 = c.atomicCas(c.atomicPa(va, 8), 3, x[2 * s1]!, x[2 * s2]!, x[2 * t1]!, x[2 * t2]!);
      const m1 = c.hi;
      setStatus(c, s1, m0);
      setStatus(c, s2w, m1);
      return;
    }
    // 128 bits (or unaligned): no host atomic this wide; atomic within this process only.
    c.probeWrite(va, 2 * es);
    if (!wide) {
      const m0 = c.read64(va);
      const m1 = c.hi;
      if (m0 === x[2 * s1] && m1 === x[2 * s2]) c.write64(va, x[2 * t1]!, x[2 * t2]!);
      setStatus(c, s1, m0);
      setStatus(c, s2w, m1);
      return;
    }
    const a0 = c.read64(va);
    const a1 = c.hi;
    const b0 = c.read64(va + 8);
    const b1 = c.hi;
    if (a0 === x[2 * s1] && a1 === x[2 * s1 + 1] && b0 === x[2 * s2] && b1 === x[2 * s2 + 1]) {
      const t1lo = x[2 * t1]!;
      const t1hi = x[2 * t1 + 1]!;
      c.write64(va, t1lo, t1hi);
      c.write64(va + 8, x[2 * t2]!, x[2 * t2 + 1]!);
    }
    x[2 * s1] = a0;
    x[2 * s1 + 1] = a1;
    x[2 * s2w] = b0;
    x[2 * s2w + 1] = b1;
  };
}

// ---- binding ------------------------------------------------------------------------------------

const nop: Exec = () => {};
const FP_SINGLE_MODES = SINGLE_MODES.filter((m) => m !== 'unpriv');

function buildTable(): ExecTable {
  const t: ExecTable = {};
  for (const kind of INT_KINDS) for (const mode of SINGLE_MODES) t[singleName(kind, mode)] = intSingle(kind, mode);
  for (const mode of FP_SINGLE_MODES) {
    t[singleName('STR', mode, true)] = fpSingle(false, mode);
    t[singleName('LDR', mode, true)] = fpSingle(true, mode);
  }
  for (const mode of PAIR_MODES) {
    t[pairName('STP', mode)] = intPair('STP', mode);
    t[pairName('LDP', mode)] = intPair('LDP', mode);
    if (mode !== 'noalloc') t[pairName('LDPSW', mode)] = intPair('LDPSW', mode);
    t[pairName('STP', mode, true)] = fpPair(false, mode);
    t[pairName('LDP', mode, true)] = fpPair(true, mode);
  }
  for (const [name] of ATOMIC_OPS) t[name] = atomic(name);
  return t;
}

export const ldstExec: ExecTable = {
  ...buildTable(),
  PRFM_uimm: () => nop,
  PRFM_reg: () => nop,
  PRFUM: () => nop,
  PRFM_lit: () => nop,
  LDR_lit: (f) => literal(LOAD[2 + num(f, 'opc')]!, writeSlot(num(f, 'rt')), f),
  LDRSW_lit: (f) => literal(LOAD_S64[2]!, writeSlot(num(f, 'rt')), f),
  LDR_fp_lit: (f) => literal(FP_LOAD[2 + num(f, 'opc')]!, num(f, 'rt'), f),
  LDXR: ldxr,
  STXR: stxr,
  LDXP: ldxp,
  STXP: stxp,
  LDAR: plain(LOAD, true),
  LDAPR: plain(LOAD, true),
  STLR: plain(STORE, false),
  CAS: cas,
  CASP: casp,
  STLUR: rcpc2(STORE, false),
  LDAPUR: rcpc2(LOAD, true),
  LDAPURS64: rcpc2(LOAD_S64, true),
  LDAPURS32: rcpc2(LOAD_S32, true),
};
