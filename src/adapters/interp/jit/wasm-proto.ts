/**
 * PROTOTYPE, not wired into the run loop: a WebAssembly tier for hot basic
 * blocks, built to compare against the JavaScript tier (block.ts, emit.ts)
 * on the same blocks (issue 11; docs/performance.md, "A WebAssembly tier").
 *
 * A block's decoded instructions become one WebAssembly module, written
 * byte by byte here (no dependency). The instruction coverage is the JS
 * tier's exactly: an instruction is written out only where emit.ts has an
 * emitter that accepts its fields; everything else is a call of its
 * closure through an import, as the JS tier calls it. So the two tiers
 * differ only in how the same work is written:
 * - X registers are i64 locals: those read before written are loaded from
 *   the register file at entry, those written are stored back at exit and
 *   before any call out (a slow memory path, a closure, the SP alignment
 *   fault). The register file is the CPU's own `cpu.x`, moved into the
 *   WebAssembly.Memory: its uint32 pairs are little-endian i64s already.
 * - NZCV are four i32 locals; they come in packed as a parameter and go
 *   out through the state area when the block writes them. The function's
 *   result is the next PC (a self-loop's count goes to the state area).
 * - Guest RAM is the same WebAssembly.Memory (WasmRam makes the RAM slab
 *   one), and so are the data TLB's tag and base arrays, so a load or store
 *   that hits the TLB is an inline tag compare and one wasm load or store,
 *   as in the JS tier. A miss, a page-crossing access or a fault calls an
 *   import that runs the CPU's accessor, exactly the JS tier's slow path.
 * - A block that branches to its own start loops inside the function, and
 *   a region (regionFor, wasmRegion) runs a loop of several blocks of one
 *   code page in one function.
 *
 * Limits (prototype): one vCPU per WasmRam (the state area is at a fixed
 * address); shared mappings (mapShared) are not supported on WasmRam.
 */
import type { Fields } from '../../../domain/a64/pattern.js';
import { checksSpAlignment } from '../../../domain/a64/traits.js';
import { decodeBitMasks } from '../../../domain/a64/table/dp-imm.js';
import type { HostSharedRef } from '../../../ports/memory.js';
import type { Cpu } from '../cpu.js';
import { bitmaskImm } from '../exec/alu.js';
import type { InterpHostRam } from '../memory.js';
import { PAGE_SIZE, SP_SLOT, TLB_ENTRIES, TLB_MASK, XZR_READ, XZR_WRITE } from '../regs.js';
import { type Block, type BlockFn, endsBlock } from './block.js';
import { EMITTERS } from './emit.js';

// ---- the state area, after guest RAM in the same memory ------------------------------------------

/** Byte offsets inside the state area. */
export const ST_X = 0; // 34 i64 slots: cpu.x
export const ST_PC = 512; // f64: the PC at exit
export const ST_FLAGS = 520; // i32: NZCV at exit, packed N<<3|Z<<2|C<<1|V
export const ST_N = 524; // i32: instructions a self-loop retired
export const ST_SCR = 528; // 2 x i64: results of slow loads
export const ST_RTAG = 1024; // f64[2 * TLB_ENTRIES]
export const ST_WTAG = ST_RTAG + 8 * 2 * TLB_ENTRIES;
export const ST_RBASE = ST_WTAG + 8 * 2 * TLB_ENTRIES; // i32[2 * TLB_ENTRIES]
export const ST_WBASE = ST_RBASE + 4 * 2 * TLB_ENTRIES;
export const ST_SIZE = 256 * 1024;

const WASM_PAGE = 65536;

/**
 * Guest RAM as a WebAssembly.Memory, for the prototype: the RAM slab is the
 * memory's buffer, with the state area after it. The CPU never touches the
 * bytes past the RAM size (refill checks ramSize).
 */
export class WasmRam implements InterpHostRam {
  memory: WebAssembly.Memory | null = null;
  /** Address of the state area (after the RAM). */
  state = 0;

  reserve(size: number): ArrayBuffer {
    if (this.memory) throw new Error('WasmRam: one RAM slab only');
    this.state = Math.ceil(size / WASM_PAGE) * WASM_PAGE;
    const pages = (this.state + ST_SIZE) / WASM_PAGE;
    this.memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    return this.memory.buffer;
  }
  map(_ram: ArrayBuffer, _offset: number, _size: number, _obj: HostSharedRef): void {
    throw new Error('WasmRam: shared mappings are not supported by the prototype');
  }
  unmap(): void {
    throw new Error('WasmRam: shared mappings are not supported by the prototype');
  }
  discard(): void {}
}

// ---- a small WebAssembly binary writer -------------------------------------------------------------

const I32 = 0x7f;
const I64 = 0x7e;
const F64 = 0x7c;

function uleb(out: number[], v: number): void {
  do {
    let b = v % 128;
    v = Math.floor(v / 128);
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
}

function slebBig(out: number[], v: bigint): void {
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

const OP = {
  block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b, br: 0x0c, brIf: 0x0d, return: 0x0f, call: 0x10,
  drop: 0x1a, select: 0x1b, get: 0x20, set: 0x21, tee: 0x22,
  i32Load: 0x28, i64Load: 0x29, f64Load: 0x2b, i64Load8u: 0x31, i64Load8s: 0x30, i64Load16u: 0x33, i64Load16s: 0x32,
  i64Load32u: 0x35, i64Load32s: 0x34, i32Load8s: 0x2c, i32Load16s: 0x2e,
  i32Store: 0x36, i64Store: 0x37, f64Store: 0x39, i64Store8: 0x3c, i64Store16: 0x3d, i64Store32: 0x3e,
  i32Const: 0x41, i64Const: 0x42, f64Const: 0x44,
  i32Eqz: 0x45, i32Eq: 0x46, i32Ne: 0x47, i32LtU: 0x49, i32GeU: 0x4f, i32LeU: 0x4d, i32LtS: 0x48,
  i64Eqz: 0x50, i64Eq: 0x51, i64Ne: 0x52, i64LtU: 0x54, i64GeU: 0x5a, i64LtS: 0x53,
  f64Eq: 0x61, f64Lt: 0x63,
  i32Add: 0x6a, i32Sub: 0x6b, i32Mul: 0x6c, i32And: 0x71, i32Or: 0x72, i32Xor: 0x73, i32Shl: 0x74, i32ShrS: 0x75, i32ShrU: 0x76,
  i32Rotl: 0x77, i32Rotr: 0x78,
  i64Add: 0x7c, i64Sub: 0x7d, i64Mul: 0x7e, i64And: 0x83, i64Or: 0x84, i64Xor: 0x85, i64Shl: 0x86, i64ShrS: 0x87, i64ShrU: 0x88,
  i64Rotl: 0x89, i64Rotr: 0x8a,
  f64Add: 0xa0, f64Mul: 0xa2,
  i32WrapI64: 0xa7, i64ExtendI32S: 0xac, i64ExtendI32U: 0xad, f64ConvertI64U: 0xba, i64Extend8S: 0xc2, i64Extend16S: 0xc3,
  i64Extend32S: 0xc4, i32Extend8S: 0xc0, i32Extend16S: 0xc1,
} as const;

/** The body of one function: bytes, and locals allocated as they are needed. */
class Body {
  readonly b: number[] = [];
  readonly locals: number[] = [];
  constructor(private readonly nparams: number) {}

  local(type: number): number {
    this.locals.push(type);
    return this.nparams + this.locals.length - 1;
  }
  op(...codes: number[]): this {
    this.b.push(...codes);
    return this;
  }
  get(i: number): this {
    this.b.push(OP.get);
    uleb(this.b, i);
    return this;
  }
  set(i: number): this {
    this.b.push(OP.set);
    uleb(this.b, i);
    return this;
  }
  tee(i: number): this {
    this.b.push(OP.tee);
    uleb(this.b, i);
    return this;
  }
  i32(v: number): this {
    this.b.push(OP.i32Const);
    slebBig(this.b, BigInt(v | 0));
    return this;
  }
  i64(v: bigint): this {
    this.b.push(OP.i64Const);
    slebBig(this.b, BigInt.asIntN(64, v));
    return this;
  }
  f64(v: number): this {
    this.b.push(OP.f64Const);
    const buf = new DataView(new ArrayBuffer(8));
    buf.setFloat64(0, v, true);
    for (let k = 0; k < 8; k++) this.b.push(buf.getUint8(k));
    return this;
  }
  /** A load or store with alignment hint `align` (log2) and a constant offset. */
  mem(code: number, align: number, offset: number): this {
    this.b.push(code, align);
    uleb(this.b, offset);
    return this;
  }
  call(f: number): this {
    this.b.push(OP.call);
    uleb(this.b, f);
    return this;
  }
  br(code: number, depth: number): this {
    this.b.push(code);
    uleb(this.b, depth);
    return this;
  }
}

function vec(out: number[], items: number[][]): void {
  uleb(out, items.length);
  for (const it of items) out.push(...it);
}

function section(out: number[], id: number, content: number[]): void {
  out.push(id);
  uleb(out, content.length);
  out.push(...content);
}

function name(s: string): number[] {
  const out: number[] = [];
  uleb(out, s.length);
  for (const c of s) out.push(c.charCodeAt(0));
  return out;
}

function functype(params: number[], results: number[]): number[] {
  const out = [0x60];
  vec(out, params.map((p) => [p]));
  vec(out, results.map((r) => [r]));
  return out;
}

/** The imports every block module takes, in function-index order, and their types. */
const IMPORTS: { name: string; params: number[]; results: number[] }[] = [
  /** Slow load: (va, log2 size, next pc, loop count, nzcv); the raw value goes to ST_SCR. */
  { name: 'rd', params: [F64, I32, F64, I32, I32], results: [] },
  /** Slow store: (va, log2 size, lo, hi, next pc, loop count, nzcv). */
  { name: 'wr', params: [F64, I32, I32, I32, F64, I32, I32], results: [] },
  /** Slow pair load: (va, element bytes, next pc, loop count, nzcv); raw values to ST_SCR, ST_SCR + 8. */
  { name: 'ldp', params: [F64, I32, F64, I32, I32], results: [] },
  /** Slow pair store: (va, element bytes, lo1, hi1, lo2, hi2, next pc, loop count, nzcv). */
  { name: 'stp', params: [F64, I32, I32, I32, I32, I32, F64, I32, I32], results: [] },
  /** Closure call: (index in the block, next pc, loop count, nzcv) -> nzcv after it; cpu.pc goes to ST_PC. */
  { name: 'cl', params: [I32, F64, I32, I32], results: [I32] },
  /** SP alignment fault: (next pc, loop count, nzcv). */
  { name: 'spf', params: [F64, I32, I32], results: [] },
];
const F_RD = 0;
const F_WR = 1;
const F_LDP = 2;
const F_STP = 3;
const F_CL = 4;
const F_SPF = 5;

/** The block function's type: (budget, nzcv, tlbOff, spCheck) -> the next PC (a self-loop's count goes to ST_N). */
const BLOCK_PARAMS = [I32, I32, I32, I32];
const P_BUDGET = 0;
const P_NZCV = 1;
const P_TLBOFF = 2;
const P_SPCHECK = 3;

function moduleBytes(memPages: number, body: Body): Uint8Array {
  const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const types = [...IMPORTS.map((i) => functype(i.params, i.results)), functype(BLOCK_PARAMS, [F64])];
  const t: number[] = [];
  vec(t, types);
  section(out, 1, t);
  const imp: number[] = [];
  const mem = [...name('e'), ...name('m'), 0x02, 0x01];
  uleb(mem, memPages);
  uleb(mem, memPages);
  const fnImports = IMPORTS.map((im, i) => {
    const e = [...name('e'), ...name(im.name), 0x00];
    uleb(e, i);
    return e;
  });
  vec(imp, [mem, ...fnImports]);
  section(out, 2, imp);
  const fsec: number[] = [];
  const ti: number[] = [];
  uleb(ti, IMPORTS.length);
  vec(fsec, [ti]);
  section(out, 3, fsec);
  const ex: number[] = [];
  const e = [...name('b'), 0x00];
  uleb(e, IMPORTS.length);
  vec(ex, [e]);
  section(out, 7, ex);
  // Locals, run-length grouped by type.
  const fn: number[] = [];
  const groups: number[][] = [];
  for (const ty of body.locals) {
    const last = groups[groups.length - 1];
    if (last && last[1] === ty) last[0]!++;
    else groups.push([1, ty]);
  }
  uleb(fn, groups.length);
  for (const [count, ty] of groups) {
    uleb(fn, count!);
    fn.push(ty!);
  }
  fn.push(...body.b, OP.end);
  const code: number[] = [];
  const entry: number[] = [];
  uleb(entry, fn.length);
  entry.push(...fn);
  vec(code, [entry]);
  section(out, 10, code);
  return Uint8Array.from(out);
}

// ---- the translator -----------------------------------------------------------------------------

const fv = (f: Fields, k: string): number => f[k] ?? 0;
const src = (n: number): number => (n === 31 ? XZR_READ : n);
const dst = (n: number): number => (n === 31 ? XZR_WRITE : n);
const sp = (n: number): number => (n === 31 ? SP_SLOT : n);
const TWO32 = 4294967296;
const TWO64 = 2 ** 64;

/** State of one translation: the function body, register locals and the block's facts. */
class Tx {
  readonly f: Body;
  /** Local index of each X slot 0..31. */
  readonly reg: number[] = [];
  readonly nf: number;
  readonly zf: number;
  readonly cf: number;
  readonly vf: number;
  /** Loop iteration count (instructions of completed iterations). */
  readonly n: number;
  readonly npc: number;
  /** Slots whose local holds the current value (loaded at entry or assigned). */
  readonly valid = new Set<number>();
  /** Slots whose local is newer than the register file: stored back at exits and calls out. */
  readonly dirty = new Set<number>();
  /** Slots read before any write: loaded from the register file at entry. */
  readonly liveIn = new Set<number>();
  /** Every slot the block assigns (first pass); a self-loop keeps them all loaded and spills them all. */
  allAssigned: ReadonlySet<number> = new Set();
  /** Whether flags are read before written (so NZCV comes in), and whether they are written. */
  flagsRead = false;
  flagsWritten = false;

  constructor(readonly st: number, readonly loop: boolean) {
    this.f = new Body(BLOCK_PARAMS.length);
    for (let r = 0; r < 32; r++) this.reg.push(this.f.local(I64));
    this.nf = this.f.local(I32);
    this.zf = this.f.local(I32);
    this.cf = this.f.local(I32);
    this.vf = this.f.local(I32);
    this.n = this.f.local(I32);
    this.npc = this.f.local(F64);
  }

  /** Push register slot s (XZR reads zero). */
  rd(s: number): void {
    if (s === XZR_READ || s === XZR_WRITE) {
      this.f.i64(0n);
      return;
    }
    if (!this.valid.has(s)) {
      this.liveIn.add(s);
      this.valid.add(s);
    }
    this.f.get(this.reg[s]!);
  }
  /** Pop into slot s (XZR_WRITE drops). */
  wr(s: number): void {
    if (s === XZR_WRITE || s === XZR_READ) {
      this.f.op(OP.drop);
      return;
    }
    this.valid.add(s);
    this.dirty.add(s);
    this.f.set(this.reg[s]!);
  }
  /** Pop an i32 and write it zero-extended (a W register write). */
  wr32(s: number): void {
    this.f.op(OP.i64ExtendI32U);
    this.wr(s);
  }
  /** Push the low word of slot s as i32. */
  rd32(s: number): void {
    this.rd(s);
    this.f.op(OP.i32WrapI64);
  }
  /** Push NZCV packed. */
  nzcv(): void {
    this.flagsRead = true;
    const f = this.f;
    f.get(this.nf).i32(3).op(OP.i32Shl).get(this.zf).i32(2).op(OP.i32Shl, OP.i32Or);
    f.get(this.cf).i32(1).op(OP.i32Shl, OP.i32Or).get(this.vf).op(OP.i32Or);
  }
  /** Pop NZCV packed into the flag locals. */
  setNzcv(): void {
    const f = this.f;
    const t = f.local(I32);
    f.set(t);
    f.get(t).i32(3).op(OP.i32ShrU).set(this.nf);
    f.get(t).i32(2).op(OP.i32ShrU).i32(1).op(OP.i32And).set(this.zf);
    f.get(t).i32(1).op(OP.i32ShrU).i32(1).op(OP.i32And).set(this.cf);
    f.get(t).i32(1).op(OP.i32And).set(this.vf);
  }
  /** Store back what the register file lacks: the dirty slots (a self-loop: every slot it assigns). */
  spill(): void {
    const slots = this.loop ? new Set([...this.dirty, ...this.allAssigned]) : this.dirty;
    for (const s of slots) {
      this.f.i32(0).get(this.reg[s]!).mem(OP.i64Store, 3, this.st + ST_X + 8 * s);
    }
  }
  /** After a closure: every register from the register file (it may have written any). */
  reloadAll(): void {
    for (let s = 0; s < 32; s++) {
      this.f.i32(0).mem(OP.i64Load, 3, this.st + ST_X + 8 * s).set(this.reg[s]!);
      this.valid.add(s);
    }
    this.dirty.clear();
  }
  /** The trailing (pc, n, nzcv) arguments of every import. */
  tail(nextPc: number): void {
    this.f.f64(nextPc).get(this.n);
    const adj = this.countAdjust(nextPc);
    if (adj !== 0) this.f.i32(adj).op(OP.i32Add);
    this.nzcv();
  }
  /**
   * What to add to the count given to an import so that the run loop's
   * fault accounting (loopDone + the faulting instruction's offset in the
   * entry block, clipped to it) counts the instructions that retired. Zero
   * for a block; a region sets it for its other blocks.
   */
  countAdjust: (nextPc: number) => number = () => 0;
  /** ConditionHolds as an i32 0/1. */
  cond(c: number): void {
    this.flagsRead = true;
    const f = this.f;
    switch (c >> 1) {
      case 0:
        f.get(this.zf);
        break;
      case 1:
        f.get(this.cf);
        break;
      case 2:
        f.get(this.nf);
        break;
      case 3:
        f.get(this.vf);
        break;
      case 4:
        f.get(this.cf).get(this.zf).op(OP.i32Eqz, OP.i32And);
        break;
      case 5:
        f.get(this.nf).get(this.vf).op(OP.i32Eq);
        break;
      case 6:
        f.get(this.nf).get(this.vf).op(OP.i32Eq).get(this.zf).op(OP.i32Eqz, OP.i32And);
        break;
      default:
        f.i32(1);
        return;
    }
    if (c & 1 && c < 14) f.op(OP.i32Eqz);
  }
}

/** Operand emitters push values; `sf` selects i64 (1) or i32 (0) arithmetic. */
function shiftOp(tx: Tx, sf: number, type: number, amt: number): void {
  if (amt === 0) return;
  const f = tx.f;
  if (sf) f.i64(BigInt(amt)).op([OP.i64Shl, OP.i64ShrU, OP.i64ShrS, OP.i64Rotr][type]!);
  else f.i32(amt).op([OP.i32Shl, OP.i32ShrU, OP.i32ShrS, OP.i32Rotr][type]!);
}

/** Push a register operand at width sf. */
function opnd(tx: Tx, sf: number, s: number): void {
  if (sf) tx.rd(s);
  else tx.rd32(s);
}

/**
 * Rd = a + b (+1 with inverted b for SUB), flags if asked. Locals a, b hold
 * the operands at width sf (b not yet inverted).
 */
function addSubCore(tx: Tx, sf: number, sub: boolean, setFlags: boolean, a: number, b: number, d: number | null): void {
  const f = tx.f;
  const W = sf ? { add: OP.i64Add, sub: OP.i64Sub, xor: OP.i64Xor, and: OP.i64And, lt: OP.i64LtU, ge: OP.i64GeU, eqz: OP.i64Eqz, shr: OP.i64ShrU } :
    { add: OP.i32Add, sub: OP.i32Sub, xor: OP.i32Xor, and: OP.i32And, lt: OP.i32LtU, ge: OP.i32GeU, eqz: OP.i32Eqz, shr: OP.i32ShrU };
  const r = f.local(sf ? I64 : I32);
  f.get(a).get(b).op(sub ? W.sub : W.add).set(r);
  if (setFlags) {
    tx.flagsWritten = true;
    const top = (): void => {
      if (sf) f.i64(63n).op(OP.i64ShrU, OP.i32WrapI64);
      else f.i32(31).op(OP.i32ShrU);
    };
    f.get(r);
    top();
    f.set(tx.nf);
    f.get(r).op(W.eqz).set(tx.zf);
    // Carry: no unsigned overflow of a + b; for a - b (a + NOT b + 1), a >= b.
    if (sub) f.get(a).get(b).op(W.ge).set(tx.cf);
    else f.get(r).get(a).op(W.lt).set(tx.cf);
    // Overflow: add: (a ^ r) & (b ^ r); sub: (a ^ b) & (a ^ r).
    if (sub) f.get(a).get(b).op(W.xor).get(a).get(r).op(W.xor, W.and);
    else f.get(a).get(r).op(W.xor).get(b).get(r).op(W.xor, W.and);
    top();
    f.set(tx.vf);
  }
  if (d !== null) {
    f.get(r);
    if (sf) tx.wr(d);
    else tx.wr32(d);
  }
}

function addSubWith(tx: Tx, fl: Fields, sub: boolean, setFlags: boolean, d: number, n: number, pushB: () => void): void {
  const sf = fv(fl, 'sf');
  const a = tx.f.local(sf ? I64 : I32);
  const b = tx.f.local(sf ? I64 : I32);
  opnd(tx, sf, n);
  tx.f.set(a);
  pushB();
  tx.f.set(b);
  addSubCore(tx, sf, sub, setFlags, a, b, d);
}

function extendOp(tx: Tx, option: number, m: number, sh: number): void {
  const f = tx.f;
  tx.rd(m);
  switch (option) {
    case 0:
      f.i64(0xffn).op(OP.i64And);
      break;
    case 1:
      f.i64(0xffffn).op(OP.i64And);
      break;
    case 2:
      f.i64(0xffffffffn).op(OP.i64And);
      break;
    case 4:
      f.op(OP.i64Extend8S);
      break;
    case 5:
      f.op(OP.i64Extend16S);
      break;
    case 6:
      f.op(OP.i64Extend32S);
      break;
    default:
      break;
  }
  if (sh) f.i64(BigInt(sh)).op(OP.i64Shl);
}

function logicFlags(tx: Tx, sf: number, r: number): void {
  tx.flagsWritten = true;
  const f = tx.f;
  f.get(r);
  if (sf) f.i64(63n).op(OP.i64ShrU, OP.i32WrapI64);
  else f.i32(31).op(OP.i32ShrU);
  f.set(tx.nf);
  f.get(r).op(sf ? OP.i64Eqz : OP.i32Eqz).set(tx.zf);
  f.i32(0).set(tx.cf).i32(0).set(tx.vf);
}

const LOGIC64 = [OP.i64And, OP.i64Or, OP.i64Xor, OP.i64And];
const LOGIC32 = [OP.i32And, OP.i32Or, OP.i32Xor, OP.i32And];

// ---- memory --------------------------------------------------------------------------------------

/**
 * The JS tier's address as a double, for the slow path only: the fault
 * address (FAR) and the accessor's input must be the very number the JS
 * tier computes, rounding included. `base` is an i64 local.
 */
function jsAddrOf(tx: Tx, base: number, off: number, wrap: boolean): void {
  const f = tx.f;
  f.get(base).i64(32n).op(OP.i64ShrU, OP.f64ConvertI64U).f64(TWO32).op(OP.f64Mul);
  f.get(base).i64(0xffffffffn).op(OP.i64And, OP.f64ConvertI64U, OP.f64Add);
  if (off !== 0) f.f64(off).op(OP.f64Add);
  if (wrap && off < 0) {
    const t = f.local(F64);
    f.tee(t).f64(TWO64).op(OP.f64Add).get(t).get(t).f64(0).op(OP.f64Lt, OP.select);
  }
}

/**
 * TLB probe for an access of `bytes` at the i64 va in local `va`: leaves
 * an i32 "hits" on the stack and the physical address in local `pa`.
 * `noWrap` (an i32 local or -1) adds the JS tier's refusal of sums past 2^64.
 */
function tlbHit(tx: Tx, write: boolean, va: number, bytes: number, pa: number, okLocal: number): void {
  const f = tx.f;
  const vp = f.local(I64);
  const ti = f.local(I32);
  const p = f.local(I32);
  f.get(va).i64(12n).op(OP.i64ShrU).set(vp);
  f.get(vp).op(OP.i32WrapI64).i32(TLB_MASK).op(OP.i32And).get(P_TLBOFF).op(OP.i32Add).set(ti);
  f.get(va).op(OP.i32WrapI64).i32(PAGE_SIZE - 1).op(OP.i32And).set(p);
  f.get(ti).i32(2).op(OP.i32Shl).mem(OP.i32Load, 2, tx.st + (write ? ST_WBASE : ST_RBASE)).get(p).op(OP.i32Add).set(pa);
  f.get(ti).i32(3).op(OP.i32Shl).mem(OP.f64Load, 3, tx.st + (write ? ST_WTAG : ST_RTAG));
  f.get(vp).op(OP.f64ConvertI64U, OP.f64Eq);
  if (bytes > 1) f.get(p).i32(PAGE_SIZE - bytes).op(OP.i32LeU, OP.i32And);
  if (okLocal >= 0) f.get(okLocal).op(OP.i32And);
}

const LOAD_OPS = [
  [OP.i64Load8u, OP.i64Load16u, OP.i64Load32u, OP.i64Load],
  [OP.i64Load8s, OP.i64Load16s, OP.i64Load32s, OP.i64Load],
];

/** Sign- or zero-extend a raw i64 value of 2^size bytes as load kind `kind` (0 zero, 1 to 64, 2 to 32). */
function extendLoaded(tx: Tx, size: number, kind: number): void {
  const f = tx.f;
  if (kind === 0 || size === 3) return;
  if (kind === 1) f.op([OP.i64Extend8S, OP.i64Extend16S, OP.i64Extend32S][size]!);
  else {
    f.op(OP.i32WrapI64);
    if (size < 2) f.op([OP.i32Extend8S, OP.i32Extend16S][size]!);
    f.op(OP.i64ExtendI32U);
  }
}

/** One load or store; `va` i64 local, `jsva` pushes the JS tier's double address, `ok` a no-wrap local or -1. */
function accessCode(tx: Tx, store: boolean, size: number, kind: number, t: number, va: number, jsva: () => void, ok: number, nextPc: number): void {
  const f = tx.f;
  const pa = f.local(I32);
  tlbHit(tx, store, va, 2 ** size, pa, ok);
  if (store) {
    f.op(OP.if, 0x40);
    f.get(pa);
    tx.rd(t);
    f.mem([OP.i64Store8, OP.i64Store16, OP.i64Store32, OP.i64Store][size]!, 0, 0);
    f.op(OP.else);
    tx.spill();
    jsva();
    f.i32(size);
    tx.rd(t);
    f.op(OP.i32WrapI64);
    tx.rd(t);
    f.i64(32n).op(OP.i64ShrU, OP.i32WrapI64);
    tx.tail(nextPc);
    f.call(F_WR);
    f.op(OP.end);
    return;
  }
  const v = f.local(I64);
  f.op(OP.if, 0x40);
  f.get(pa).mem(LOAD_OPS[kind === 1 ? 1 : 0]![size]!, 0, 0);
  if (kind === 2) extendLoaded(tx, size, 2);
  f.set(v);
  f.op(OP.else);
  tx.spill();
  jsva();
  f.i32(size);
  tx.tail(nextPc);
  f.call(F_RD);
  f.i32(0).mem(OP.i64Load, 3, tx.st + ST_SCR);
  extendLoaded(tx, size, kind);
  f.set(v);
  f.op(OP.end);
  f.get(v);
  tx.wr(t);
}

type Kind = 'STR' | 'LDR' | 'LDRS64' | 'LDRS32';

function single(tx: Tx, kind: Kind, fl: Fields, va: number, jsva: () => void, ok: number, nextPc: number): void {
  const size = fv(fl, 'size');
  const rt = fv(fl, 'rt');
  if (kind === 'STR') accessCode(tx, true, size, 0, src(rt), va, jsva, ok, nextPc);
  else accessCode(tx, false, size, kind === 'LDR' ? 0 : kind === 'LDRS64' ? 1 : 2, dst(rt), va, jsva, ok, nextPc);
}

/** Local "the exact sum base + off did not pass 2^64" (the JS tier faults on such sums). */
function noWrap(tx: Tx, va: number, base: number): number {
  const ok = tx.f.local(I32);
  tx.f.get(va).get(base).op(OP.i64GeU).set(ok);
  return ok;
}

function memInsn(tx: Tx, name: string, fl: Fields, pc: number): boolean {
  const f = tx.f;
  const next = pc + 4;
  const m = /^(STR|LDR|LDRS64|LDRS32)_(uimm|reg|pre|post)$/.exec(name);
  const unscaled: Record<string, Kind> = { STUR: 'STR', LDUR: 'LDR', LDURS64: 'LDRS64', LDURS32: 'LDRS32' };
  if (m || name in unscaled) {
    const kind = (m ? m[1] : unscaled[name]) as Kind;
    const mode = m ? m[2]! : 'unscaled';
    const n = sp(fv(fl, 'rn'));
    const base = f.local(I64);
    const va = f.local(I64);
    tx.rd(n);
    f.set(base);
    if (mode === 'uimm') {
      const off = fv(fl, 'imm12') * 2 ** fv(fl, 'size');
      f.get(base).i64(BigInt(off)).op(OP.i64Add).set(va);
      single(tx, kind, fl, va, () => jsAddrOf(tx, base, off, false), off > 0 ? noWrap(tx, va, base) : -1, next);
    } else if (mode === 'unscaled') {
      const imm = fv(fl, 'imm9');
      f.get(base).i64(BigInt(imm)).op(OP.i64Add).set(va);
      single(tx, kind, fl, va, () => jsAddrOf(tx, base, imm, true), imm > 0 ? noWrap(tx, va, base) : -1, next);
    } else if (mode === 'reg') {
      const mm = src(fv(fl, 'rm'));
      const option = fv(fl, 'option');
      const sh = fv(fl, 's') ? fv(fl, 'size') : 0;
      f.get(base);
      tx.rd(mm);
      if (option === 2) f.i64(0xffffffffn).op(OP.i64And);
      else if (option === 6) f.op(OP.i64Extend32S);
      if (sh) f.i64(BigInt(sh)).op(OP.i64Shl);
      f.op(OP.i64Add).set(va);
      single(tx, kind, fl, va, () => f.get(va).op(OP.f64ConvertI64U), -1, next);
    } else {
      const imm = fv(fl, 'imm9');
      const pre = mode === 'pre';
      if (pre) f.get(base).i64(BigInt(imm)).op(OP.i64Add).set(va);
      else f.get(base).set(va);
      single(tx, kind, fl, va, () => jsAddrOf(tx, base, pre ? imm : 0, true), pre && imm > 0 ? noWrap(tx, va, base) : -1, next);
      f.get(base).i64(BigInt(imm)).op(OP.i64Add);
      tx.wr(n);
    }
    return true;
  }
  const pm = /^(STP|LDP|LDPSW)_(off|pre|post)$/.exec(name) ?? (name === 'STNP' ? ['', 'STP', 'off'] : name === 'LDNP' ? ['', 'LDP', 'off'] : null);
  if (!pm) return false;
  const op = pm[1]!;
  const mode = pm[2]!;
  const log2 = op === 'LDPSW' ? 2 : 2 + (fv(fl, 'opc') >> 1);
  const es = 2 ** log2;
  const n = sp(fv(fl, 'rn'));
  const imm = fv(fl, 'imm7') * es;
  const load = op !== 'STP';
  const t = load ? dst(fv(fl, 'rt')) : src(fv(fl, 'rt'));
  const t2 = load ? dst(fv(fl, 'rt2')) : src(fv(fl, 'rt2'));
  const kind = op === 'LDPSW' ? 1 : 0;
  const preOff = mode === 'post' ? 0 : imm;
  const base = f.local(I64);
  const va = f.local(I64);
  const pa = f.local(I32);
  tx.rd(n);
  f.set(base);
  f.get(base).i64(BigInt(preOff)).op(OP.i64Add).set(va);
  tlbHit(tx, !load, va, 2 * es, pa, preOff > 0 ? noWrap(tx, va, base) : -1);
  const lop = LOAD_OPS[kind]![log2]!;
  const sop = log2 === 3 ? OP.i64Store : OP.i64Store32;
  if (load) {
    const v1 = f.local(I64);
    const v2 = f.local(I64);
    f.op(OP.if, 0x40);
    f.get(pa).mem(lop, 0, es).set(v2);
    f.get(pa).mem(lop, 0, 0).set(v1);
    f.op(OP.else);
    tx.spill();
    jsAddrOf(tx, base, preOff, true);
    f.i32(es);
    tx.tail(next);
    f.call(F_LDP);
    f.i32(0).mem(OP.i64Load, 3, tx.st + ST_SCR);
    if (log2 === 2) f.i64(0xffffffffn).op(OP.i64And);
    extendLoaded(tx, log2, kind);
    f.set(v1);
    f.i32(0).mem(OP.i64Load, 3, tx.st + ST_SCR + 8);
    if (log2 === 2) f.i64(0xffffffffn).op(OP.i64And);
    extendLoaded(tx, log2, kind);
    f.set(v2);
    f.op(OP.end);
    // The second register first, as the JS tier writes them.
    f.get(v2);
    tx.wr(t2);
    f.get(v1);
    tx.wr(t);
  } else {
    f.op(OP.if, 0x40);
    f.get(pa);
    tx.rd(t);
    f.mem(sop, 0, 0);
    f.get(pa);
    tx.rd(t2);
    f.mem(sop, 0, es);
    f.op(OP.else);
    tx.spill();
    jsAddrOf(tx, base, preOff, true);
    f.i32(es);
    for (const r of [t, t2]) {
      tx.rd32(r);
      tx.rd(r);
      f.i64(32n).op(OP.i64ShrU, OP.i32WrapI64);
    }
    tx.tail(next);
    f.call(F_STP);
    f.op(OP.end);
  }
  if (mode === 'pre' || mode === 'post') {
    f.get(base).i64(BigInt(imm)).op(OP.i64Add);
    tx.wr(n);
  }
  return true;
}

// ---- one instruction ---------------------------------------------------------------------------------

/** Write one instruction; false when it is not covered (the caller calls the closure). */
function insn(tx: Tx, name: string, fl: Fields, pc: number): boolean {
  const f = tx.f;
  const sf = fv(fl, 'sf');
  let m: RegExpExec | null;
  type RegExpExec = RegExpExecArray;
  if ((m = /^(ADD|ADDS|SUB|SUBS)_(imm|shift|ext)$/.exec(name))) {
    const sub = m[1]!.startsWith('SUB');
    const setFlags = m[1]!.endsWith('S');
    if (m[2] === 'imm') {
      const d = setFlags ? dst(fv(fl, 'rd')) : sp(fv(fl, 'rd'));
      const imm = fv(fl, 'imm12') * (fv(fl, 'sh') ? 4096 : 1);
      addSubWith(tx, fl, sub, setFlags, d, sp(fv(fl, 'rn')), () => (sf ? f.i64(BigInt(imm)) : f.i32(imm)));
    } else if (m[2] === 'shift') {
      const mm = src(fv(fl, 'rm'));
      addSubWith(tx, fl, sub, setFlags, dst(fv(fl, 'rd')), src(fv(fl, 'rn')), () => {
        opnd(tx, sf, mm);
        shiftOp(tx, sf, fv(fl, 'shift'), fv(fl, 'imm6'));
      });
    } else {
      const d = setFlags ? dst(fv(fl, 'rd')) : sp(fv(fl, 'rd'));
      addSubWith(tx, fl, sub, setFlags, d, sp(fv(fl, 'rn')), () => {
        extendOp(tx, fv(fl, 'option'), src(fv(fl, 'rm')), fv(fl, 'imm3'));
        if (!sf) f.op(OP.i32WrapI64);
      });
    }
    return true;
  }
  if ((m = /^(AND|BIC|ORR|ORN|EOR|EON|ANDS|BICS)_shift$/.exec(name))) {
    const opc = { AND: 0, BIC: 0, ORR: 1, ORN: 1, EOR: 2, EON: 2, ANDS: 3, BICS: 3 }[m[1]!]!;
    const invert = ['BIC', 'ORN', 'EON', 'BICS'].includes(m[1]!);
    const r = f.local(sf ? I64 : I32);
    opnd(tx, sf, src(fv(fl, 'rn')));
    opnd(tx, sf, src(fv(fl, 'rm')));
    shiftOp(tx, sf, fv(fl, 'shift'), fv(fl, 'imm6'));
    if (invert) (sf ? f.i64(-1n).op(OP.i64Xor) : f.i32(-1).op(OP.i32Xor));
    f.op((sf ? LOGIC64 : LOGIC32)[opc]!).set(r);
    if (opc === 3) logicFlags(tx, sf, r);
    f.get(r);
    if (sf) tx.wr(dst(fv(fl, 'rd')));
    else tx.wr32(dst(fv(fl, 'rd')));
    return true;
  }
  if ((m = /^(AND|ORR|EOR|ANDS)_imm$/.exec(name))) {
    const opc = { AND: 0, ORR: 1, EOR: 2, ANDS: 3 }[m[1]!]!;
    const d = opc === 3 ? dst(fv(fl, 'rd')) : sp(fv(fl, 'rd'));
    const [mLo, mHi] = bitmaskImm(sf, fv(fl, 'N'), fv(fl, 'immr'), fv(fl, 'imms'));
    const r = f.local(sf ? I64 : I32);
    opnd(tx, sf, src(fv(fl, 'rn')));
    if (sf) f.i64((BigInt(mHi >>> 0) << 32n) | BigInt(mLo >>> 0));
    else f.i32(mLo);
    f.op((sf ? LOGIC64 : LOGIC32)[opc]!).set(r);
    if (opc === 3) logicFlags(tx, sf, r);
    f.get(r);
    if (sf) tx.wr(d);
    else tx.wr32(d);
    return true;
  }
  if (name === 'MOVZ' || name === 'MOVN') {
    let v = BigInt(fv(fl, 'imm16')) << BigInt(16 * fv(fl, 'hw'));
    if (name === 'MOVN') v = ~v;
    f.i64(BigInt.asUintN(sf ? 64 : 32, v));
    tx.wr(dst(fv(fl, 'rd')));
    return true;
  }
  if (name === 'MOVK') {
    const d = dst(fv(fl, 'rd'));
    if (d === XZR_WRITE) return true;
    const pos = BigInt(16 * fv(fl, 'hw'));
    tx.rd(d);
    f.i64(BigInt.asIntN(64, ~(0xffffn << pos))).op(OP.i64And).i64(BigInt(fv(fl, 'imm16')) << pos).op(OP.i64Or);
    if (!sf) f.i64(0xffffffffn).op(OP.i64And);
    tx.wr(d);
    return true;
  }
  if (name === 'ADR' || name === 'ADRP') {
    const off = fv(fl, 'immhi') * 4 + fv(fl, 'immlo');
    const v = name === 'ADR' ? pc + off : Math.floor(pc / 4096) * 4096 + off * 4096;
    f.i64(BigInt.asUintN(64, BigInt(v)));
    tx.wr(dst(fv(fl, 'rd')));
    return true;
  }
  if (name === 'SBFM' || name === 'BFM' || name === 'UBFM') {
    const size = sf ? 64 : 32;
    const d = dst(fv(fl, 'rd'));
    const n = src(fv(fl, 'rn'));
    const r = fv(fl, 'immr');
    const s = fv(fl, 'imms');
    const bm = decodeBitMasks(fv(fl, 'N'), s, r, false, size);
    if (!bm) return false;
    const wt = bm.wmask & bm.tmask;
    const keep = BigInt.asUintN(size, ~wt);
    const fill = BigInt.asUintN(size, ~bm.tmask);
    const v = f.local(I64);
    tx.rd(n);
    if (!sf) f.i64(0xffffffffn).op(OP.i64And);
    f.set(v);
    // ROR(src, r) at the datasize, AND wt.
    if (sf) f.get(v).i64(BigInt(r)).op(OP.i64Rotr);
    else f.get(v).op(OP.i32WrapI64).i32(r).op(OP.i32Rotr, OP.i64ExtendI32U);
    f.i64(wt).op(OP.i64And);
    if (name === 'BFM') {
      tx.rd(d);
      f.i64(keep).op(OP.i64And, OP.i64Or);
    } else if (name === 'SBFM') {
      // The sign bit S of the source, spread, AND fill.
      const bit = sf ? s : s & 31;
      f.get(v).i64(BigInt(63 - bit)).op(OP.i64Shl).i64(63n).op(OP.i64ShrS).i64(fill).op(OP.i64And, OP.i64Or);
    }
    if (!sf) f.i64(0xffffffffn).op(OP.i64And);
    tx.wr(d);
    return true;
  }
  if (name === 'EXTR') {
    const d = dst(fv(fl, 'rd'));
    const lsb = fv(fl, 'imms');
    if (sf) {
      tx.rd(src(fv(fl, 'rm')));
      if (lsb) {
        f.i64(BigInt(lsb)).op(OP.i64ShrU);
        tx.rd(src(fv(fl, 'rn')));
        f.i64(BigInt(64 - lsb)).op(OP.i64Shl, OP.i64Or);
      }
      tx.wr(d);
    } else {
      tx.rd32(src(fv(fl, 'rm')));
      if (lsb) {
        f.i32(lsb).op(OP.i32ShrU);
        tx.rd32(src(fv(fl, 'rn')));
        f.i32(32 - lsb).op(OP.i32Shl, OP.i32Or);
      }
      tx.wr32(d);
    }
    return true;
  }
  if ((m = /^CS(EL|INC|INV|NEG)$/.exec(name))) {
    const invert = m[1] === 'INV' || m[1] === 'NEG';
    const inc = m[1] === 'INC' || m[1] === 'NEG';
    opnd(tx, sf, src(fv(fl, 'rn')));
    opnd(tx, sf, src(fv(fl, 'rm')));
    if (invert) (sf ? f.i64(-1n).op(OP.i64Xor) : f.i32(-1).op(OP.i32Xor));
    if (inc) (sf ? f.i64(1n).op(OP.i64Add) : f.i32(1).op(OP.i32Add));
    tx.cond(fv(fl, 'cond'));
    f.op(OP.select);
    if (sf) tx.wr(dst(fv(fl, 'rd')));
    else tx.wr32(dst(fv(fl, 'rd')));
    return true;
  }
  if ((m = /^CC(MN|MP)_(reg|imm)$/.exec(name))) {
    const sub = m[1] === 'MP';
    const nzcv = fv(fl, 'nzcv');
    tx.cond(fv(fl, 'cond'));
    f.op(OP.if, 0x40);
    addSubWith(tx, fl, sub, true, XZR_WRITE, src(fv(fl, 'rn')), () => {
      if (m![2] === 'imm') (sf ? f.i64(BigInt(fv(fl, 'imm5'))) : f.i32(fv(fl, 'imm5')));
      else opnd(tx, sf, src(fv(fl, 'rm')));
    });
    f.op(OP.else);
    tx.flagsWritten = true;
    f.i32((nzcv >> 3) & 1).set(tx.nf).i32((nzcv >> 2) & 1).set(tx.zf).i32((nzcv >> 1) & 1).set(tx.cf).i32(nzcv & 1).set(tx.vf);
    f.op(OP.end);
    return true;
  }
  if (name === 'MADD' || name === 'MSUB') {
    opnd(tx, sf, src(fv(fl, 'ra')));
    opnd(tx, sf, src(fv(fl, 'rn')));
    opnd(tx, sf, src(fv(fl, 'rm')));
    f.op(sf ? OP.i64Mul : OP.i32Mul);
    f.op(name === 'MSUB' ? (sf ? OP.i64Sub : OP.i32Sub) : sf ? OP.i64Add : OP.i32Add);
    if (sf) tx.wr(dst(fv(fl, 'rd')));
    else tx.wr32(dst(fv(fl, 'rd')));
    return true;
  }
  if ((m = /^(LSL|LSR|ASR|ROR)V$/.exec(name))) {
    if (sf) return false; // as the JS tier: 64-bit variable shifts run their closures
    const type = ['LSL', 'LSR', 'ASR', 'ROR'].indexOf(m[1]!);
    tx.rd32(src(fv(fl, 'rn')));
    tx.rd32(src(fv(fl, 'rm')));
    f.op([OP.i32Shl, OP.i32ShrU, OP.i32ShrS, OP.i32Rotr][type]!);
    tx.wr32(dst(fv(fl, 'rd')));
    return true;
  }
  if (name === 'REV') {
    const v = f.local(I64);
    tx.rd(src(fv(fl, 'rn')));
    f.set(v);
    if (sf) {
      f.get(v).i64(0x00ff00ff00ff00ffn).op(OP.i64And).i64(8n).op(OP.i64Shl);
      f.get(v).i64(8n).op(OP.i64ShrU).i64(0x00ff00ff00ff00ffn).op(OP.i64And, OP.i64Or).set(v);
      f.get(v).i64(0x0000ffff0000ffffn).op(OP.i64And).i64(16n).op(OP.i64Shl);
      f.get(v).i64(16n).op(OP.i64ShrU).i64(0x0000ffff0000ffffn).op(OP.i64And, OP.i64Or).i64(32n).op(OP.i64Rotl);
      tx.wr(dst(fv(fl, 'rd')));
    } else {
      const w = f.local(I32);
      f.get(v).op(OP.i32WrapI64).set(w);
      f.get(w).i32(0x00ff00ff).op(OP.i32And).i32(8).op(OP.i32Shl);
      f.get(w).i32(8).op(OP.i32ShrU).i32(0x00ff00ff).op(OP.i32And, OP.i32Or).i32(16).op(OP.i32Rotl);
      tx.wr32(dst(fv(fl, 'rd')));
    }
    return true;
  }
  if (name === 'HINT' || name === 'DMB' || name === 'DSB' || name.startsWith('PRF')) return true;
  return memInsn(tx, name, fl, pc);
}

/** Branches: push the next PC as f64 into tx.npc. */
function branch(tx: Tx, name: string, fl: Fields, pc: number): boolean {
  const f = tx.f;
  const link = (): void => {
    f.i64(BigInt(pc + 4));
    tx.wr(30);
  };
  const sel = (target: number, pushCond: () => void): void => {
    f.f64(target).f64(pc + 4);
    pushCond();
    f.op(OP.select).set(tx.npc);
  };
  switch (name) {
    case 'B':
      f.f64(pc + fv(fl, 'imm26') * 4).set(tx.npc);
      return true;
    case 'BL':
      link();
      f.f64(pc + fv(fl, 'imm26') * 4).set(tx.npc);
      return true;
    case 'B_cond':
      sel(pc + fv(fl, 'imm19') * 4, () => tx.cond(fv(fl, 'cond')));
      return true;
    case 'CBZ':
    case 'CBNZ':
      sel(pc + fv(fl, 'imm19') * 4, () => {
        opnd(tx, fv(fl, 'sf'), src(fv(fl, 'rt')));
        f.op(fv(fl, 'sf') ? OP.i64Eqz : OP.i32Eqz);
        if (name === 'CBNZ') f.op(OP.i32Eqz);
      });
      return true;
    case 'TBZ':
    case 'TBNZ': {
      const bit = (fv(fl, 'b5') << 5) | fv(fl, 'b40');
      sel(pc + fv(fl, 'imm14') * 4, () => {
        tx.rd(src(fv(fl, 'rt')));
        f.i64(BigInt(bit)).op(OP.i64ShrU, OP.i32WrapI64).i32(1).op(OP.i32And);
        if (name === 'TBZ') f.op(OP.i32Eqz);
      });
      return true;
    }
    case 'BR':
    case 'BLR':
    case 'RET':
      tx.rd(src(fv(fl, 'rn')));
      f.op(OP.f64ConvertI64U).set(tx.npc);
      if (name === 'BLR') link();
      return true;
    default:
      return false;
  }
}

function isSelfLoopBlock(block: Block): boolean {
  const last = block.insns[block.length - 1]!;
  if (!last.fields || !last.name || !['B', 'B_cond', 'CBZ', 'CBNZ', 'TBZ', 'TBNZ'].includes(last.name)) return false;
  const fl = last.fields;
  const imm = fl['imm26'] ?? fl['imm19'] ?? fl['imm14'] ?? 0;
  return block.va + 4 * (block.length - 1) + 4 * imm === block.va;
}

/** What the translator made of a block. */
export interface WasmBlockInfo {
  readonly bytes: Uint8Array;
  /** Instructions written as wasm, and those left to closures. */
  readonly covered: number;
  readonly closures: number;
  readonly selfLoop: boolean;
  /** Whether the block writes NZCV (the caller copies them back only then). */
  readonly flagsOut: boolean;
}

/** Translate a block to a WebAssembly module whose state area is at `st` in a memory of `memPages` pages. */
export function wasmBlock(block: Block, st: number, memPages: number): WasmBlockInfo {
  const selfLoop = isSelfLoopBlock(block);
  // A self-loop's spills need every slot it assigns: a first pass finds them.
  let assigned: ReadonlySet<number> = new Set();
  if (selfLoop) assigned = new Set(translateBody(block, st, true, new Set()).tx.valid);
  const { tx, covered, closures, endedByClosure } = translateBody(block, st, selfLoop, assigned);
  const f = tx.f;
  // Exit: registers back, the count (a self-loop), NZCV if written; the next PC is the result.
  tx.spill();
  if (selfLoop) f.i32(0).get(tx.n).mem(OP.i32Store, 2, st + ST_N);
  if (tx.flagsWritten || closures > 0) {
    f.i32(0);
    tx.nzcv();
    f.mem(OP.i32Store, 2, st + ST_FLAGS);
  }
  if (endedByClosure) f.i32(0).mem(OP.f64Load, 3, st + ST_PC);
  else f.get(tx.npc);
  // Entry, written last because it depends on what the body read: live-in registers, NZCV.
  const body = f.b.splice(0, f.b.length);
  const live = selfLoop ? new Set([...tx.liveIn, ...assigned]) : tx.liveIn;
  for (const s of live) f.i32(0).mem(OP.i64Load, 3, st + ST_X + 8 * s).set(tx.reg[s]!);
  if (tx.flagsRead || closures > 0) {
    f.get(P_NZCV);
    tx.setNzcv();
  }
  f.b.push(...body);
  return { bytes: moduleBytes(memPages, f), covered, closures, selfLoop, flagsOut: tx.flagsWritten || closures > 0 };
}

function translateBody(block: Block, st: number, selfLoop: boolean, assigned: ReadonlySet<number>) {
  const tx = new Tx(st, selfLoop);
  tx.allAssigned = assigned;
  // A self-loop's assigned slots are loaded at entry, so they are valid from the start.
  for (const s of assigned) tx.valid.add(s);
  const f = tx.f;
  f.i32(0).set(tx.n);
  f.f64(block.va + 4 * block.length).set(tx.npc);
  if (selfLoop) f.op(OP.loop, 0x40);
  const r = translateInsns(tx, block);
  if (selfLoop) {
    // n += length; loop while the branch went back to the start and the budget lasts.
    f.get(tx.n).i32(block.length).op(OP.i32Add).set(tx.n);
    f.get(tx.npc).f64(block.va).op(OP.f64Eq).get(tx.n).get(P_BUDGET).op(OP.i32LtS, OP.i32And).br(OP.brIf, 0);
    f.op(OP.end);
  }
  return { tx, ...r };
}

/** Whether every instruction of the block has a JS-tier emitter that accepts it (no closure calls). */
export function fullyCovered(block: Block): boolean {
  return block.insns.every((d, i) => {
    const emitter = d.name !== null ? EMITTERS[d.name] : undefined;
    return emitter !== undefined && d.fields !== null && emitter(d.fields, { pc: block.va + 4 * i, id: i }) !== null;
  });
}

/** The instructions of one block into tx (the next PC ends in tx.npc when a branch sets it). */
function translateInsns(tx: Tx, block: Block): { covered: number; closures: number; endedByClosure: boolean } {
  const f = tx.f;
  let covered = 0;
  let closures = 0;
  let endedByClosure = false;
  block.insns.forEach((d, i) => {
    const pc = block.va + 4 * i;
    // The JS tier's coverage exactly: written out where emit.ts has an emitter that accepts the fields.
    const emitter = d.name !== null ? EMITTERS[d.name] : undefined;
    const js = emitter && d.fields ? emitter(d.fields, { pc, id: i }) : null;
    if (js !== null && d.fields !== null && d.name !== null) {
      const fl = d.fields;
      if (d.def && checksSpAlignment(d.def, fl)) {
        f.get(P_SPCHECK);
        tx.rd(SP_SLOT);
        f.op(OP.i32WrapI64).i32(15).op(OP.i32And, OP.i32And);
        f.op(OP.if, 0x40);
        tx.spill();
        tx.tail(pc + 4);
        f.call(F_SPF);
        f.op(OP.end);
      }
      if (!branch(tx, d.name, fl, pc)) {
        if (!insn(tx, d.name, fl, pc)) throw new Error(`wasm-proto: no wasm for ${d.name}`);
      }
      covered++;
      return;
    }
    // A closure reads and may write any register and NZCV.
    closures++;
    tx.spill();
    f.i32(i);
    tx.tail(pc + 4);
    f.call(F_CL);
    tx.setNzcv();
    tx.flagsWritten = true;
    tx.reloadAll();
    if (endsBlock(d)) endedByClosure = true;
  });
  return { covered, closures, endedByClosure };
}

/**
 * A region: several fully covered blocks of one code page (a hot loop made
 * of more than one block) in one function. It starts at the first block and
 * dispatches on the next PC among its blocks, registers staying in locals,
 * until the PC leaves the region or the budget is spent; then it returns
 * the next PC and leaves the count in ST_N, as a self-loop does.
 */
export function wasmRegion(blocks: readonly Block[], st: number, memPages: number): WasmBlockInfo {
  const entry = blocks[0]!;
  const build = (assigned: ReadonlySet<number>): Tx => {
    const tx = new Tx(st, true);
    tx.allAssigned = assigned;
    for (const s of assigned) tx.valid.add(s);
    const f = tx.f;
    f.i32(0).set(tx.n);
    f.f64(entry.va).set(tx.npc);
    f.op(OP.block, 0x40, OP.loop, 0x40);
    for (const b of blocks) {
      // Fault accounting relative to the entry block (see countAdjust).
      tx.countAdjust = (nextPc) => (nextPc - b.va) / 4 - Math.min(Math.max((nextPc - entry.va) / 4, 0), entry.length);
      f.get(tx.npc).f64(b.va).op(OP.f64Eq, OP.if, 0x40);
      f.f64(b.va + 4 * b.length).set(tx.npc);
      translateInsns(tx, b);
      f.get(tx.n).i32(b.length).op(OP.i32Add).tee(tx.n).get(P_BUDGET).op(OP.i32LtS).br(OP.brIf, 1);
      f.br(OP.br, 2);
      f.op(OP.end);
    }
    f.br(OP.br, 1);
    f.op(OP.end, OP.end);
    return tx;
  };
  const assigned = new Set(build(new Set()).valid);
  const tx = build(assigned);
  const f = tx.f;
  tx.spill();
  f.i32(0).get(tx.n).mem(OP.i32Store, 2, st + ST_N);
  if (tx.flagsWritten) {
    f.i32(0);
    tx.nzcv();
    f.mem(OP.i32Store, 2, st + ST_FLAGS);
  }
  f.get(tx.npc);
  const body = f.b.splice(0, f.b.length);
  for (const s of new Set([...tx.liveIn, ...assigned])) f.i32(0).mem(OP.i64Load, 3, st + ST_X + 8 * s).set(tx.reg[s]!);
  if (tx.flagsRead) {
    f.get(P_NZCV);
    tx.setNzcv();
  }
  f.b.push(...body);
  const covered = blocks.reduce((a, b) => a + b.length, 0);
  return { bytes: moduleBytes(memPages, f), covered, closures: 0, selfLoop: true, flagsOut: tx.flagsWritten };
}

// ---- the tier: compiling blocks and calling them ---------------------------------------------------

/** Internals of Cpu the prototype's run loop needs (the copy of runBlocks below). */
interface CpuInternals {
  x: Uint32Array;
  rTag: Float64Array;
  wTag: Float64Array;
  rBase: Int32Array;
  wBase: Int32Array;
  pc: number;
  jitThreshold: number;
  loopDone: number;
  unwindNext: number;
  unwound: number;
  cpBlocks: (Block | undefined)[];
  cpBase: number;
  cpPa: number;
  codePageFor(pc: number): void;
  buildBlock(pc: number, pa: number, off: number): Block;
  runBlocks(budget: number): number;
}

/**
 * Replace a vCPU's run loop by a copy of Cpu.runBlocks whose translator is
 * `translate` (the prototype's way in, since cpu.ts is not changed): the
 * harness and the tests run the same loop with the JS tier or the wasm tier.
 */
export function setTranslator(cpu: Cpu, translate: (block: Block) => BlockFn): void {
  const c = cpu as unknown as CpuInternals;
  c.runBlocks = function runBlocks(this: CpuInternals, budget: number): number {
    let page: (Block | undefined)[] = [];
    let base = -PAGE_SIZE;
    let pa = 0;
    let block: Block | undefined;
    try {
      while (budget > 0) {
        const pc = this.pc;
        block = undefined;
        let off = pc - base;
        if (off < 0 || off >= PAGE_SIZE) {
          this.codePageFor(pc);
          page = this.cpBlocks;
          base = this.cpBase;
          pa = this.cpPa;
          off = pc - base;
        }
        const idx = off >>> 2;
        block = page[idx];
        if (block === undefined || block.va !== pc) {
          block = this.buildBlock(pc, pa, off);
          page[idx] = block;
        }
        let run = block.run;
        if (run === null && ++block.heat >= this.jitThreshold) run = block.run = translate(block);
        if (run !== null) {
          budget -= run(cpu, budget);
          continue;
        }
        const fns = block.fns;
        let next = pc;
        for (let i = 0; i < fns.length; i++) {
          next += 4;
          this.pc = next;
          fns[i]!(cpu);
        }
        budget -= fns.length;
      }
    } catch (e) {
      const partial = block ? Math.min(Math.max((this.unwindNext - block.va) / 4, 0), block.length) : 0;
      const done = partial + this.loopDone;
      this.loopDone = 0;
      this.unwound = budget - done;
      throw e;
    }
    return budget;
  };
}

/** A block's static successors: branch targets and the fall-through (none for calls and indirect branches). */
function successors(b: Block): number[] {
  const last = b.insns[b.length - 1]!;
  const fl = last.fields;
  const pc = b.va + 4 * (b.length - 1);
  const next = b.va + 4 * b.length;
  switch (last.name) {
    case 'B':
      return [pc + 4 * fv(fl!, 'imm26')];
    case 'B_cond':
    case 'CBZ':
    case 'CBNZ':
      return [pc + 4 * fv(fl!, 'imm19'), next];
    case 'TBZ':
    case 'TBNZ':
      return [pc + 4 * fv(fl!, 'imm14'), next];
    default:
      return last.name !== null && endsBlock(last) ? [] : [next];
  }
}

/**
 * The region for a block that just became hot: it and the blocks of the
 * same code page reachable from it through direct branches and
 * fall-throughs that have run already and need no closure, up to `max`.
 * Call it from the translator the run loop calls (the current code page is
 * the block's).
 */
export function regionFor(cpu: Cpu, block: Block, max = 8): Block[] {
  const c = cpu as unknown as CpuInternals;
  const page = c.cpBlocks;
  const base = c.cpBase;
  if (block.va < base || block.va >= base + PAGE_SIZE || !fullyCovered(block)) return [block];
  const out = [block];
  const seen = new Set([block.va]);
  for (let i = 0; i < out.length && out.length < max; i++) {
    for (const t of successors(out[i]!)) {
      if (seen.has(t) || t < base || t >= base + PAGE_SIZE || out.length >= max) continue;
      seen.add(t);
      const b = page[(t - base) >>> 2];
      if (b && b.va === t && (b.heat > 0 || b.run !== null) && fullyCovered(b)) out.push(b);
    }
  }
  return out;
}

/**
 * The prototype tier for one vCPU whose RAM is a WasmRam: moves the
 * register file and the data TLB into the memory, compiles blocks, and
 * wraps each compiled block in a BlockFn for the run loop.
 */
export class WasmTier {
  readonly memory: WebAssembly.Memory;
  readonly st: number;
  private readonly pages: number;
  private readonly u32: Uint32Array;
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;
  /** Compiled modules by bytes (as the JS tier shares factories by source). */
  private readonly modules = new Map<string, WebAssembly.Module>();
  private readonly imports: Record<string, unknown>;
  private fns: readonly ((cpu: Cpu) => void)[] = [];

  constructor(readonly cpu: Cpu, ram: WasmRam) {
    if (!ram.memory) throw new Error('WasmTier: the RAM is not mapped yet');
    this.memory = ram.memory;
    this.st = ram.state;
    this.pages = this.memory.buffer.byteLength / WASM_PAGE;
    const buf = this.memory.buffer;
    this.u32 = new Uint32Array(buf);
    this.i32 = new Int32Array(buf);
    this.f64 = new Float64Array(buf);
    const c = cpu as unknown as CpuInternals;
    // The register file and the TLB arrays move into the memory, contents and all.
    const x = new Uint32Array(buf, this.st + ST_X, 68);
    x.set(c.x);
    c.x = x;
    const move = <T extends Float64Array | Int32Array>(old: T, off: number, make: (b: ArrayBuffer, o: number, n: number) => T): T => {
      const v = make(buf, this.st + off, old.length);
      v.set(old as never);
      return v;
    };
    c.rTag = move(c.rTag, ST_RTAG, (b, o, n) => new Float64Array(b, o, n));
    c.wTag = move(c.wTag, ST_WTAG, (b, o, n) => new Float64Array(b, o, n));
    c.rBase = move(c.rBase, ST_RBASE, (b, o, n) => new Int32Array(b, o, n));
    c.wBase = move(c.wBase, ST_WBASE, (b, o, n) => new Int32Array(b, o, n));
    const scr = (this.st + ST_SCR) >>> 2;
    const u32 = this.u32;
    const flags = (nzcv: number): void => {
      cpu.nf = (nzcv >>> 3) & 1;
      cpu.zf = (nzcv >>> 2) & 1;
      cpu.cf = (nzcv >>> 1) & 1;
      cpu.vf = nzcv & 1;
    };
    const read = (va: number, size: number): void => {
      let lo: number;
      let hi = 0;
      if (size === 0) lo = cpu.read8(va);
      else if (size === 1) lo = cpu.read16(va);
      else if (size === 2) lo = cpu.read32(va);
      else {
        lo = cpu.read64(va);
        hi = cpu.hi;
      }
      u32[scr] = lo;
      u32[scr + 1] = hi;
    };
    const pcSlot = (this.st + ST_PC) >>> 3;
    const f64 = this.f64;
    this.imports = {
      e: {
        m: this.memory,
        rd: (va: number, size: number, pc: number, n: number, nzcv: number): void => {
          cpu.pc = pc;
          cpu.loopDone = n;
          flags(nzcv);
          read(va, size);
          cpu.loopDone = 0;
        },
        wr: (va: number, size: number, lo: number, hi: number, pc: number, n: number, nzcv: number): void => {
          cpu.pc = pc;
          cpu.loopDone = n;
          flags(nzcv);
          if (size === 0) cpu.write8(va, lo & 0xff);
          else if (size === 1) cpu.write16(va, lo & 0xffff);
          else if (size === 2) cpu.write32(va, lo >>> 0);
          else cpu.write64(va, lo >>> 0, hi >>> 0);
          cpu.loopDone = 0;
        },
        ldp: (va: number, es: number, pc: number, n: number, nzcv: number): void => {
          cpu.pc = pc;
          cpu.loopDone = n;
          flags(nzcv);
          cpu.probeRead(va, 2 * es);
          // The JS tier reads the second element first.
          const size = es === 8 ? 3 : 2;
          read(va + es, size);
          const lo2 = u32[scr]!;
          const hi2 = u32[scr + 1]!;
          read(va, size);
          u32[scr + 2] = lo2;
          u32[scr + 3] = hi2;
          cpu.loopDone = 0;
        },
        stp: (va: number, es: number, lo1: number, hi1: number, lo2: number, hi2: number, pc: number, n: number, nzcv: number): void => {
          cpu.pc = pc;
          cpu.loopDone = n;
          flags(nzcv);
          cpu.probeWrite(va, 2 * es);
          if (es === 8) {
            cpu.write64(va, lo1 >>> 0, hi1 >>> 0);
            cpu.write64(va + 8, lo2 >>> 0, hi2 >>> 0);
          } else {
            cpu.write32(va, lo1 >>> 0);
            cpu.write32(va + 4, lo2 >>> 0);
          }
          cpu.loopDone = 0;
        },
        cl: (i: number, pc: number, n: number, nzcv: number): number => {
          cpu.pc = pc;
          cpu.loopDone = n;
          flags(nzcv);
          this.fns[i]!(cpu);
          cpu.loopDone = 0;
          f64[pcSlot] = cpu.pc;
          return (cpu.nf << 3) | (cpu.zf << 2) | (cpu.cf << 1) | cpu.vf;
        },
        spf: (pc: number, n: number, nzcv: number): void => {
          cpu.pc = pc;
          cpu.loopDone = n;
          flags(nzcv);
          cpu.spAlignmentFault();
        },
      },
    };
  }

  /** Translate and compile a block; `stats` receives the time spent in each step (ms). */
  compile(block: Block, stats?: { translate: number; compile: number }, region?: readonly Block[]): { fn: BlockFn; info: WasmBlockInfo } {
    const t0 = stats ? performance.now() : 0;
    const info = region && region.length > 1 ? wasmRegion(region, this.st, this.pages) : wasmBlock(block, this.st, this.pages);
    const t1 = stats ? performance.now() : 0;
    const key = Buffer.from(info.bytes).toString('latin1');
    let mod = this.modules.get(key);
    if (!mod) {
      mod = new WebAssembly.Module(info.bytes);
      this.modules.set(key, mod);
    }
    const fns = block.fns;
    const imports = this.imports as { e: Record<string, unknown> };
    // The closure import reads the block's closures through the tier (one block runs at a time).
    const inst = new WebAssembly.Instance(mod, imports as WebAssembly.Imports);
    const w = inst.exports['b'] as (budget: number, nzcv: number, tlbOff: number, spCheck: number) => number;
    const i32 = this.i32;
    const flagsAt = (this.st + ST_FLAGS) >>> 2;
    const nAt = (this.st + ST_N) >>> 2;
    const len = block.length;
    const tier = this;
    // The wrapper the run loop calls: NZCV in, the next PC out, NZCV back only if the block writes them.
    let fn: BlockFn;
    if (info.closures > 0) {
      fn = (cpu, budget) => {
        tier.fns = fns;
        cpu.pc = w(budget, (cpu.nf << 3) | (cpu.zf << 2) | (cpu.cf << 1) | cpu.vf, cpu.tlbOff, cpu.spCheck);
        const fl = i32[flagsAt]!;
        cpu.nf = fl >>> 3;
        cpu.zf = (fl >>> 2) & 1;
        cpu.cf = (fl >>> 1) & 1;
        cpu.vf = fl & 1;
        return info.selfLoop ? i32[nAt]! : len;
      };
    } else if (info.flagsOut) {
      fn = info.selfLoop
        ? (cpu, budget) => {
            cpu.pc = w(budget, (cpu.nf << 3) | (cpu.zf << 2) | (cpu.cf << 1) | cpu.vf, cpu.tlbOff, cpu.spCheck);
            const fl = i32[flagsAt]!;
            cpu.nf = fl >>> 3;
            cpu.zf = (fl >>> 2) & 1;
            cpu.cf = (fl >>> 1) & 1;
            cpu.vf = fl & 1;
            return i32[nAt]!;
          }
        : (cpu, budget) => {
            cpu.pc = w(budget, (cpu.nf << 3) | (cpu.zf << 2) | (cpu.cf << 1) | cpu.vf, cpu.tlbOff, cpu.spCheck);
            const fl = i32[flagsAt]!;
            cpu.nf = fl >>> 3;
            cpu.zf = (fl >>> 2) & 1;
            cpu.cf = (fl >>> 1) & 1;
            cpu.vf = fl & 1;
            return len;
          };
    } else {
      fn = info.selfLoop
        ? (cpu, budget) => {
            cpu.pc = w(budget, (cpu.nf << 3) | (cpu.zf << 2) | (cpu.cf << 1) | cpu.vf, cpu.tlbOff, cpu.spCheck);
            return i32[nAt]!;
          }
        : (cpu, budget) => {
            cpu.pc = w(budget, (cpu.nf << 3) | (cpu.zf << 2) | (cpu.cf << 1) | cpu.vf, cpu.tlbOff, cpu.spCheck);
            return len;
          };
    }
    if (stats) {
      stats.translate += t1 - t0;
      stats.compile += performance.now() - t1;
    }
    return { fn, info };
  }
}
