/**
 * A64 assembler built on the instruction table: encode(name, fields) packs
 * operand fields into an instruction word through the entry's own pattern,
 * so what the assembler emits is, by construction, what the decoder reads.
 * Asm adds labels and little-endian output for code the domain emits (the
 * EL1 shim) and for test programs.
 */
import { a64 } from './decoder.js';
import { encodePattern } from './pattern.js';

export class AsmError extends Error {}

export function encode(name: string, fields: Readonly<Record<string, number>> = {}): number {
  const e = a64().entry(name);
  const word = encodePattern(e.pattern, fields);
  if (e.def.guard && !e.def.guard(e.pattern.fields.reduce<Record<string, number>>((acc, f) => {
    acc[f.name] = fields[f.name]!;
    return acc;
  }, {}))) throw new AsmError(`${name}: operands form a reserved encoding`);
  return word;
}

interface Fixup {
  at: number;
  label: string;
  make: (offsetBytes: number) => number;
}

/** A little assembler with labels; emits 32-bit words at consecutive addresses. */
export class Asm {
  private readonly words: number[] = [];
  private readonly labels = new Map<string, number>();
  private readonly fixups: Fixup[] = [];

  /** Byte offset of the next instruction. */
  get here(): number {
    return this.words.length * 4;
  }

  emit(name: string, fields: Readonly<Record<string, number>> = {}): this {
    this.words.push(encode(name, fields));
    return this;
  }

  word(value: number): this {
    this.words.push(value >>> 0);
    return this;
  }

  label(name: string): this {
    if (this.labels.has(name)) throw new AsmError(`label '${name}' defined twice`);
    this.labels.set(name, this.here);
    return this;
  }

  /** Emit an instruction whose fields depend on the byte offset to `label`. */
  emitTo(label: string, make: (offsetBytes: number) => [string, Record<string, number>]): this {
    const at = this.words.length;
    this.words.push(0);
    this.fixups.push({ at, label, make: (off) => { const [n, f] = make(off); return encode(n, f); } });
    return this;
  }

  /** Pad with `fill` words until the byte offset is a multiple of `alignment`. */
  align(alignment: number, fill: number): this {
    while (this.here % alignment !== 0) this.words.push(fill >>> 0);
    return this;
  }

  /** Pad up to an absolute byte offset. */
  org(offset: number, fill: number): this {
    if (offset < this.here) throw new AsmError(`org 0x${offset.toString(16)} is behind 0x${this.here.toString(16)}`);
    while (this.here < offset) this.words.push(fill >>> 0);
    return this;
  }

  labelOffset(name: string): number {
    const v = this.labels.get(name);
    if (v === undefined) throw new AsmError(`undefined label '${name}'`);
    return v;
  }

  assemble(): Uint8Array {
    for (const f of this.fixups) this.words[f.at] = f.make(this.labelOffset(f.label) - f.at * 4);
    const out = new Uint8Array(this.words.length * 4);
    const dv = new DataView(out.buffer);
    this.words.forEach((w, i) => dv.setUint32(i * 4, w, true));
    return out;
  }
}
