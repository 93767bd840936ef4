/**
 * Case generator of the differential test: fast-check arbitraries for an
 * instruction word of one table entry (random bits in the fields, then the
 * class's constraints) and for the state it starts from (X0-X30, SP,
 * V0-V31, NZCV, FPCR, FPSR and a scratch memory block). Cases are drawn
 * with fc.sample from a seed derived from (seed, entry name), so case i of an
 * entry is the same on every run and can be rebuilt alone.
 *
 * Memory instructions get a base register that points into the case's
 * scratch block (the offset the instruction adds is solved for), aligned
 * where the instruction requires it; encodings the architecture makes
 * CONSTRAINED UNPREDICTABLE (writeback onto a transfer register, LDP with
 * Rt == Rt2, store-exclusive status onto a data or base register) are
 * rejected, since qemu and elfuse may legitimately differ on them.
 */
import fc from 'fast-check';
import { a64 } from '../../../src/domain/a64/decoder.js';
import { encodePattern, extractFields } from '../../../src/domain/a64/pattern.js';
import { HINT_IMMS, SYS_OPS, SYSREGS, type ClassSpec } from './classes.js';

/** Bytes of scratch memory per case; accesses land in [32, 32 + 160 + 64). */
export const SCRATCH = 320;

/** A 64-bit value, or an address the linker resolves: label + offset. */
export type Val = bigint | { readonly sym: string; readonly off: number };

export interface Case {
  readonly cls: string;
  readonly entry: string;
  /** Index within the entry's sample, for rerunning it alone. */
  readonly index: number;
  /** Instructions run before the one under test (the LDXR/LDXP that opens the exclusive monitor). */
  readonly pre: readonly number[];
  readonly word: number;
  readonly kind: 'plain' | 'branch';
  /** X0-X30; symbolic values name labels `S` (the scratch block) or `T<k>` (branch slot k). */
  readonly x: readonly Val[];
  readonly sp: Val;
  /** V0-V31, 512 bytes little-endian. */
  readonly v: Uint8Array;
  readonly nzcv: number;
  readonly fpcr: number;
  readonly fpsr: number;
  readonly mem: Uint8Array;
}

const M64 = (1n << 64n) - 1n;
const EDGES = [0n, 1n, 2n, 0x7fn, 0x80n, 0xffn, 0x7fffn, 0x8000n, 0xffffn, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n,
  0x7fffffffffffffffn, 0x8000000000000000n, M64, M64 - 1n];

const u64 = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom(...EDGES) },
  { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: 64n }) },
  { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: 0xffffffffn }) },
  { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: 0xffffffffn }).map((v) => (v | 0xffffffff00000000n)) },
  { weight: 4, arbitrary: fc.bigInt({ min: 0n, max: M64 }) },
);

/** Interesting FP bit patterns: specials, boundaries, NaNs, denormals. */
const F32 = [0, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0x7f800001, 0xffc12345, 0x3f800000, 0xbf800000, 0x00000001,
  0x80400000, 0x3f000000, 0x4b000000, 0x4effffff, 0x5f000000, 0xcf000000, 0x3fc00000, 0x40200000, 0x7f7fffff, 0x477fe000,
  0x00800000, 0x007fffff, 0x3effffff, 0x4f000000, 0x4f800000];
const F64 = [0n, 0x8000000000000000n, 0x7ff0000000000000n, 0xfff0000000000000n, 0x7ff8000000000000n, 0x7ff0000000000001n,
  0xfff8000000012345n, 0x3ff0000000000000n, 0xbff0000000000000n, 1n, 0x3fe0000000000000n, 0x3ff8000000000000n,
  0x43e0000000000000n, 0xc3e0000000000000n, 0x7fefffffffffffffn, 0x41dfffffffc00000n, 0x3ff0000010000000n,
  0x400c000000000000n, 0x36a0000020000000n, 0xc000000000000000n, 0x0010000000000000n, 0x000fffffffffffffn,
  0x43f0000000000000n, 0x41efffffffe00000n, 0x3fdfffffffffffffn];
const F16 = [0, 0x8000, 0x7c00, 0xfc00, 0x7e00, 0x7c01, 0x3c00, 0xbc00, 0x0001, 0x03ff, 0x0400, 0x7bff, 0x3800, 0x3e00];

const f32Lane = fc.oneof(
  fc.constantFrom(...F32),
  fc.integer({ min: 0, max: 0xffffffff }),
  // moderate magnitudes, so arithmetic and conversions stay in range
  fc.tuple(fc.integer({ min: 0x3a000000, max: 0x4b7fffff }), fc.boolean()).map(([v, s]) => (v | (s ? 0x80000000 : 0)) >>> 0),
);
const f64Lane = fc.oneof(
  fc.constantFrom(...F64),
  fc.bigInt({ min: 0n, max: M64 }),
  fc.tuple(fc.bigInt({ min: 0x3f00000000000000n, max: 0x433fffffffffffffn }), fc.boolean()).map(([v, s]) => v | (s ? 1n << 63n : 0n)),
  fc.tuple(f32Lane, f32Lane).map(([a, b]) => (BigInt(b) << 32n) | BigInt(a)),
  fc.array(fc.constantFrom(...F16), { minLength: 4, maxLength: 4 }).map((h) => h.reduce((acc, x, i) => acc | (BigInt(x) << BigInt(16 * i)), 0n)),
);
/** Half lanes: specials, random bits, moderate magnitudes, short significands (ties), near the denormal range. */
const F16_MORE = [...F16, 0xfe12, 0x7d55, 0x3bff, 0x3c01, 0x5bff, 0x6000, 0x7a00, 0x0200, 0x8001, 0x83ff, 0x3555, 0x1400, 0x0c00, 0x7800];
const f16Lane = fc.oneof(
  fc.constantFrom(...F16_MORE),
  fc.integer({ min: 0, max: 0xffff }),
  fc.tuple(fc.integer({ min: 0x2000, max: 0x57ff }), fc.boolean()).map(([v, s]) => v | (s ? 0x8000 : 0)),
  fc.tuple(fc.integer({ min: 0, max: 31 }), fc.integer({ min: 0, max: 0x7fff }), fc.boolean()).map(([e, m, s]) => ((e << 10) | (m & 0x380)) | (s ? 0x8000 : 0)),
  fc.tuple(fc.integer({ min: 0, max: 0x0fff }), fc.boolean()).map(([v, s]) => v | (s ? 0x8000 : 0)),
);
const halfLane = fc.array(f16Lane, { minLength: 4, maxLength: 4 })
  .map((h) => h.reduce((acc, x, i) => acc | (BigInt(x) << BigInt(16 * i)), 0n));
const intLane = fc.oneof({ weight: 4, arbitrary: fc.bigInt({ min: 0n, max: M64 }) }, { weight: 1, arbitrary: fc.constantFrom(...EDGES) });

function lanes(fp: boolean, half = false): fc.Arbitrary<Uint8Array> {
  const lane = half ? fc.oneof({ weight: 4, arbitrary: halfLane }, { weight: 1, arbitrary: intLane }) : fp ? f64Lane : intLane;
  return fc.array(lane, { minLength: 64, maxLength: 64 }).map((ls) => {
    const b = new Uint8Array(512);
    const dv = new DataView(b.buffer);
    ls.forEach((l, i) => dv.setBigUint64(8 * i, l, true));
    return b;
  });
}

interface Raw {
  bits: number;
  x: bigint[];
  sp: bigint;
  v: Uint8Array;
  nzcv: number;
  fpcr: number;
  fpsr: number;
  mem: Uint8Array;
  pick: number[];
}

function rawArb(cls: ClassSpec): fc.Arbitrary<Raw> {
  const fpcr = cls.fpcrModes
    ? fc.record({ rmode: fc.nat(3), fz: fc.boolean(), dn: fc.boolean(), ahp: fc.boolean(), fz16: fc.boolean() })
      .map((m) => ((m.ahp ? 1 << 26 : 0) | (m.dn ? 1 << 25 : 0) | (m.fz ? 1 << 24 : 0) | (m.rmode << 22) | (m.fz16 ? 1 << 19 : 0)) >>> 0)
    : fc.constant(0);
  // Cumulative FPSR flags (QC, IDC, IXC, UFC, OFC, DZC, IOC) are usually clear, so new ones show.
  const fpsr = fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffffffff }).map((v) => (v & 0x0800009f) >>> 0) });
  return fc.record({
    bits: fc.integer({ min: 0, max: 0xffffffff }),
    x: fc.array(u64, { minLength: 31, maxLength: 31 }),
    sp: fc.bigInt({ min: 0n, max: M64 }).map((v) => v & ~15n),
    v: lanes(!!cls.fp, !!cls.half),
    nzcv: fc.nat(15),
    fpcr,
    fpsr,
    mem: fc.uint8Array({ minLength: SCRATCH, maxLength: SCRATCH }),
    pick: fc.array(fc.nat(0xffff), { minLength: 8, maxLength: 8 }),
  });
}

/** Branch offsets in instructions; slot layout in program.ts (never 0: that would loop). */
export const BRANCH_OFFSETS = [-2, -1, 1, 2, 3, 4];
/** Branch target slots for register branches, as offsets from the instruction. */
export const BRANCH_SLOTS = [-2, -1, 1, 2, 3, 4];

interface MemPlan {
  rn: number;
  /** Offset the instruction adds to the base before the access (0 for post-index). */
  offset: bigint;
  align: number;
}

const sext32 = (v: bigint): bigint => BigInt.asIntN(32, v);

function extend(option: number, v: bigint): bigint {
  if (option === 2) return v & 0xffffffffn;
  if (option === 6) return sext32(v & 0xffffffffn);
  return BigInt.asIntN(64, v);
}

/**
 * The addressing of a memory entry: which register is the base and what the
 * instruction adds to it (after the Rm of a register-offset form has been
 * made small), or null when the encoding is rejected.
 */
function memPlan(name: string, f: Record<string, number>, x: bigint[], pick: number[]): MemPlan | null {
  const rn = f.rn!;
  const rt = f.rt!;
  const wb = /_(pre|post)$/.test(name);
  if (/^LDST_/.test(name)) return { rn, offset: 0n, align: 1 };
  // exclusives, acquire/release, atomics: aligned, no offset (LDAPUR/STLUR add imm9)
  if (/^(STXR|LDXR|STLR|LDAR|CAS|LDAPR|LDADD|LDCLR|LDEOR|LDSET|LDSMAX|LDSMIN|LDUMAX|LDUMIN|SWP)$/.test(name)) {
    if (name === 'STXR' && (f.rs === rt || (f.rs === rn && rn !== 31))) return null;
    return { rn, offset: 0n, align: 1 << f.size! };
  }
  if (name === 'STXP' || name === 'LDXP') {
    if (name === 'LDXP' && rt === f.rt2) return null;
    if (name === 'STXP' && (f.rs === rt || f.rs === f.rt2 || (f.rs === rn && rn !== 31))) return null;
    return { rn, offset: 0n, align: 8 << f.sz! };
  }
  if (name === 'CASP') {
    if ((f.rs! & 1) || (rt & 1)) return null;
    return { rn, offset: 0n, align: 8 << f.sz! };
  }
  if (/^(STLUR|LDAPUR|LDAPURS64|LDAPURS32)$/.test(name)) {
    return { rn, offset: BigInt(f.imm9!), align: 1 << f.size! };
  }
  const fpReg = /_fp/.test(name);
  // pairs
  if (/^(STP|LDP|LDPSW|STNP|LDNP)/.test(name)) {
    const load = /^LD/.test(name);
    if (load && rt === f.rt2) return null;
    if (!fpReg && wb && rn !== 31 && (rt === rn || f.rt2 === rn)) return null;
    const scale = fpReg ? 2 + f.opc! : name.startsWith('LDPSW') ? 2 : f.opc === 2 ? 3 : 2;
    return { rn, offset: name.endsWith('_post') ? 0n : BigInt(f.imm7!) << BigInt(scale), align: 1 };
  }
  // single registers
  if (!fpReg && !name.startsWith('PRF') && wb && rn !== 31 && rt === rn) return null;
  const scale = fpReg ? (f.q ? 4 : f.size!) : name.startsWith('PRF') ? 3 : f.size!;
  if (name.endsWith('_uimm')) return { rn, offset: BigInt(f.imm12!) << BigInt(scale), align: 1 };
  if (name.endsWith('_post')) return { rn, offset: 0n, align: 1 };
  if (name.endsWith('_reg')) {
    const rm = f.rm!;
    if (rm === rn) return null;
    const option = f.option!;
    const sh = f.s ? BigInt(scale) : 0n;
    // a small index; the upper half of a W index is random (ignored by UXTW/SXTW)
    let d = BigInt((pick[5]! % 65) - 32);
    if (option === 2 && d < 0n) d = -d;
    const hi = option & 1 ? (d < 0n ? 0xffffffffn : 0n) : x[rm === 31 ? 0 : rm]! >> 32n;
    const xm = rm === 31 ? 0n : ((hi << 32n) | (BigInt.asUintN(64, d) & 0xffffffffn)) & M64;
    if (rm !== 31) x[rm] = xm;
    return { rn, offset: extend(option, xm) << sh, align: 1 };
  }
  // unscaled immediate (STUR/LDUR/LDTR/STTR/PRFUM, FP too) and pre-index
  return { rn, offset: BigInt(f.imm9!), align: 1 };
}

const setImm = (f: Record<string, number>, name: string, v: number): void => {
  if (name in f) f[name] = v;
};

/** One case of `entry` from raw random material, or null if rejected. */
function build(cls: ClassSpec, entry: string, index: number, r: Raw): Case | null {
  const e = a64().entry(entry);
  const p = e.pattern;
  const f = extractFields(((r.bits & ~p.mask) | p.value) >>> 0, p);
  const x: Val[] = [...r.x];
  let sp: Val = r.sp;
  const mem = r.mem.slice();
  const pre: number[] = [];
  let kind: Case['kind'] = 'plain';

  switch (cls.kind) {
    case 'branch': {
      kind = 'branch';
      const off = BRANCH_OFFSETS[r.pick[0]! % BRANCH_OFFSETS.length]!;
      for (const k of ['imm26', 'imm19', 'imm14']) setImm(f, k, off);
      // CBZ/CBNZ: zero the register (or its low half) half the time
      if ((entry === 'CBZ' || entry === 'CBNZ') && r.pick[1]! & 1 && f.rt !== 31) {
        x[f.rt!] = f.sf ? 0n : r.x[f.rt!]! & 0xffffffff00000000n;
      }
      break;
    }
    case 'branch-reg': {
      kind = 'branch';
      const slot = BRANCH_SLOTS[r.pick[0]! % BRANCH_SLOTS.length]!;
      if (f.rn === 31) f.rn = 30;
      x[f.rn!] = { sym: `T${slot < 0 ? 'm' + -slot : slot}`, off: 0 };
      break;
    }
    case 'literal':
      f.imm19 = (r.pick[0]! % 97) - 48;
      break;
    case 'hint':
      f.imm7 = HINT_IMMS[r.pick[0]! % HINT_IMMS.length]!;
      break;
    case 'sysreg': {
      const [, o0, op1, crn, crm, op2] = SYSREGS[r.pick[0]! % SYSREGS.length]!;
      Object.assign(f, { o0, op1, crn, crm, op2 });
      break;
    }
    case 'sys-cache': {
      const [, op1, crn, crm, op2] = SYS_OPS[r.pick[0]! % SYS_OPS.length]!;
      Object.assign(f, { op1, crn, crm, op2 });
      if (f.rt === 31) f.rt = r.pick[1]! % 31;
      x[f.rt!] = { sym: 'S', off: 32 + (r.pick[2]! % 160) };
      break;
    }
    default:
      break;
  }

  let word: number;
  try {
    word = encodePattern(p, f);
  } catch {
    return null;
  }
  const d = a64().decode(word);
  if (d?.entry.def.name !== entry) return null;

  if (cls.kind === 'mem') {
    const xs = r.x.slice();
    const plan = memPlan(entry, d.fields as Record<string, number>, xs, r.pick);
    if (!plan) return null;
    xs.forEach((v, i) => {
      if (typeof x[i] === 'bigint') x[i] = v;
    });
    // target address offset t in the scratch block, aligned as required
    let t = 32 + (r.pick[1]! % 160);
    t -= t % plan.align;
    const off = Number(BigInt.asIntN(64, plan.offset));
    if (!Number.isSafeInteger(off) || Math.abs(off) > 1 << 40) return null;
    if (plan.rn === 31) {
      // SP as a base stays 16-byte aligned: move t by (t - off) mod 16
      const mis = (((t - off) % 16) + 16) % 16;
      t -= mis;
      if (t % plan.align !== 0 || t < 16) return null;
      sp = { sym: 'S', off: t - off };
    } else {
      x[plan.rn] = { sym: 'S', off: t - off };
    }
    // CAS/CASP compare equal half the time: memory already holds Rs (Rs+1)
    if ((entry === 'CAS' || entry === 'CASP') && r.pick[3]! & 1) {
      const rs = d.fields.rs!;
      const size = entry === 'CAS' ? 1 << d.fields.size! : 4 << d.fields.sz!;
      const dv = new DataView(mem.buffer);
      const regs = entry === 'CAS' ? [rs] : [rs, rs + 1];
      regs.forEach((reg, k) => {
        const xv = reg === 31 ? 0n : x[reg]!;
        const v = typeof xv === 'bigint' ? xv : 0n;
        for (let b = 0; b < size; b++) dv.setUint8(t + k * size + b, Number((v >> BigInt(8 * b)) & 0xffn));
      });
    }
    // STXR: half the time a load-exclusive of the same size opens the monitor first
    if (entry === 'STXR' && r.pick[4]! & 1) {
      pre.push(encodePattern(a64().entry('LDXR').pattern, { size: d.fields.size!, o0: 0, rn: plan.rn, rt: 31 }));
    }
    // STXP: likewise with an LDXP into two registers the store does not use
    if (entry === 'STXP' && r.pick[4]! & 1) {
      const used = new Set([plan.rn, d.fields.rs!, d.fields.rt!, d.fields.rt2!]);
      const free = Array.from({ length: 31 }, (_, k) => k).filter((k) => !used.has(k));
      const a = free[r.pick[6]! % free.length]!;
      const b = free.filter((k) => k !== a)[r.pick[7]! % (free.length - 1)]!;
      pre.push(encodePattern(a64().entry('LDXP').pattern, { sz: d.fields.sz!, o0: 0, rt2: b, rn: plan.rn, rt: a }));
    }
  }
  return {
    cls: cls.name, entry, index, pre, word, kind, x, sp, v: r.v, nzcv: r.nzcv, fpcr: r.fpcr, fpsr: r.fpsr, mem,
  };
}

function hashSeed(seed: number, s: string): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h | 0;
}

/** `count` cases of one entry; the same (seed, class, entry) always gives the same cases. */
export function entryCases(cls: ClassSpec, entry: string, count: number, seed: number): Case[] {
  const arb = rawArb(cls);
  const out: Case[] = [];
  let draws = 0;
  let batch = count;
  // fc.sample from a fixed seed is a fixed sequence: draw it in growing prefixes until enough cases are accepted
  while (out.length < count && draws < count * 200) {
    const raws = fc.sample(arb, { seed: hashSeed(seed, `${cls.name}/${entry}`), numRuns: draws + batch });
    for (let i = draws; i < raws.length && out.length < count; i++) {
      const c = build(cls, entry, out.length, raws[i]!);
      if (c) out.push(c);
    }
    draws += batch;
    batch *= 2;
  }
  return out;
}
