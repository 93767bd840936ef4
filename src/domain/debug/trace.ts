/**
 * The instruction trace (--trace FILE): every guest instruction, in the
 * order it runs, with its address, encoding and disassembly, optionally the
 * registers it changed, optionally only inside address ranges or symbols.
 * It rides on the vCPU's single step (the DebugSession steps every
 * instruction and calls beforeInstruction at each EL0 step exit), so it sees
 * what a hardware tracer would on HVF too, and the shim stays out of it.
 * A line is written when the next instruction is reached, which is when the
 * registers its instruction changed are known.
 *
 * Cost: one vCPU exit per instruction plus formatting, about two orders of
 * magnitude slower than running untraced (README, "Debugging").
 */
import { disassemble, hex32 } from '../a64/disasm.js';
import { readSymbols, type ElfSymbol } from '../elf/symbols.js';
import type { UserContext } from '../kernel/task.js';
import type { DebugTarget, StepObserver } from './session.js';

export interface TraceOptions {
  /** Where lines go (the app writes them to the trace file). */
  write: (text: string) => void;
  /** Filters: "START-END" (hex or decimal addresses, END exclusive) or a symbol name; empty traces everything. */
  only: readonly string[];
  /** Also list the registers each instruction changed. */
  regs: boolean;
}

/** A filter that names nothing the program has: a usage error for the CLI. */
export class TraceFilterError extends Error {}

interface Range {
  lo: number;
  hi: number;
}

const STT_FUNC = 2;

/** Parse the --trace-only filters against the program's symbols (relocated by the load bias). */
export function traceRanges(specs: readonly string[], symbols: readonly ElfSymbol[], bias: number): Range[] {
  return specs.map((spec) => {
    const m = /^(0x[0-9a-f]+|\d+)-(0x[0-9a-f]+|\d+)$/i.exec(spec);
    if (m) {
      const lo = Number(m[1]);
      const hi = Number(m[2]);
      if (!(hi > lo)) throw new TraceFilterError(`trace range ${spec} is empty`);
      return { lo, hi };
    }
    const sym = symbols.find((s) => s.name === spec && s.type === STT_FUNC) ?? symbols.find((s) => s.name === spec);
    if (!sym) throw new TraceFilterError(`no symbol ${spec} in the program (give an address range START-END instead)`);
    return { lo: sym.value + bias, hi: sym.value + bias + Math.max(sym.size, 4) };
  });
}

interface Snapshot {
  x: bigint[];
  sp: bigint;
  nzcv: bigint;
  fpsr: bigint;
  fpcr: bigint;
  v: Uint8Array[];
}

function snapshot(ctx: UserContext): Snapshot {
  const x: bigint[] = [];
  for (let i = 0; i < 31; i++) x.push(ctx.getX(i));
  const v: Uint8Array[] = [];
  for (let i = 0; i < 32; i++) v.push(ctx.getV(i));
  return { x, sp: ctx.sp, nzcv: (ctx.pstate >> 28n) & 0xfn, fpsr: ctx.fpsr, fpcr: ctx.fpcr, v };
}

function changes(a: Snapshot, b: Snapshot): string {
  const out: string[] = [];
  const h = (n: bigint): string => `0x${n.toString(16)}`;
  b.x.forEach((v, i) => {
    if (v !== a.x[i]) out.push(`x${i}=${h(v)}`);
  });
  if (b.sp !== a.sp) out.push(`sp=${h(b.sp)}`);
  if (b.nzcv !== a.nzcv) out.push(`nzcv=${h(b.nzcv)}`);
  if (b.fpsr !== a.fpsr) out.push(`fpsr=${h(b.fpsr)}`);
  if (b.fpcr !== a.fpcr) out.push(`fpcr=${h(b.fpcr)}`);
  b.v.forEach((v, i) => {
    const old = a.v[i]!;
    if (v.every((byte, k) => byte === old[k])) return;
    out.push(`v${i}=0x${Array.from(v, (byte) => byte.toString(16).padStart(2, '0')).reverse().join('')}`);
  });
  return out.join(' ');
}

export class InstructionTrace implements StepObserver {
  private readonly ranges: Range[];
  private readonly symbols: ElfSymbol[];
  private pending: string | null = null;
  private readonly lines = new Map<number, { word: number; text: string }>();
  private before: Snapshot | null = null;
  private buffer: string[] = [];
  private buffered = 0;

  constructor(
    target: DebugTarget,
    private readonly opts: TraceOptions,
    private readonly read: (addr: number, len: number) => Uint8Array,
  ) {
    this.symbols = readSymbols(target.elf)
      .filter((s) => s.type === STT_FUNC && s.value !== 0)
      .map((s) => ({ ...s, value: s.value + target.loadBias }))
      .sort((a, b) => a.value - b.value);
    this.ranges = traceRanges(opts.only, readSymbols(target.elf), target.loadBias);
  }

  beforeInstruction(pc: bigint, ctx: UserContext): void {
    const now = this.opts.regs && (this.pending !== null || this.wanted(pc)) ? snapshot(ctx) : null;
    if (this.pending !== null) {
      const diff = this.before && now ? changes(this.before, now) : '';
      this.emit(diff ? `${this.pending}  ; ${diff}` : this.pending);
      this.pending = null;
    }
    if (!this.wanted(pc)) return;
    this.pending = this.line(Number(pc));
    this.before = now;
  }

  /** The line for the instruction at `a`, from a cache by address checked against the word in memory (loops repeat). */
  private line(a: number): string {
    const bytes = this.read(a, 4);
    if (bytes.length < 4) return `0x${a.toString(16).padStart(16, '0')}: ????????  (not readable)`;
    const word = (bytes[0]! | (bytes[1]! << 8) | (bytes[2]! << 16) | (bytes[3]! << 24)) >>> 0;
    const hit = this.lines.get(a);
    if (hit && hit.word === word) return hit.text;
    const sym = this.symbolAt(a);
    const text = `0x${a.toString(16).padStart(16, '0')}: ${hex32(word).replace(/^0x/, '')}  ${disassemble(word, BigInt(a)).replace(/\t/g, ' ')}${sym ? `  <${sym}>` : ''}`;
    if (this.lines.size >= 1 << 16) this.lines.clear();
    this.lines.set(a, { word, text });
    return text;
  }

  end(): void {
    if (this.pending !== null) this.emit(this.pending);
    this.pending = null;
    this.flush();
  }

  private wanted(pc: bigint): boolean {
    if (this.ranges.length === 0) return true;
    const a = Number(pc);
    return this.ranges.some((r) => a >= r.lo && a < r.hi);
  }

  private symbolAt(a: number): string | null {
    let lo = 0;
    let hi = this.symbols.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.symbols[mid]!.value <= a) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (best < 0) return null;
    const s = this.symbols[best]!;
    if (s.size !== 0 && a >= s.value + s.size) return null;
    return a === s.value ? s.name : `${s.name}+0x${(a - s.value).toString(16)}`;
  }

  private emit(line: string): void {
    this.buffer.push(line);
    this.buffered += line.length;
    if (this.buffered > 1 << 16) this.flush();
  }

  private flush(): void {
    if (this.buffer.length === 0) return;
    this.opts.write(this.buffer.join('\n') + '\n');
    this.buffer = [];
    this.buffered = 0;
  }
}
