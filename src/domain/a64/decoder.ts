/**
 * Table-driven A64 decoder. Compiles the instruction table once into buckets
 * keyed by the top-level op0 bits (28:25), then matches mask/value and the
 * entry's guard in table order. Shared by the interpreter, the disassembler
 * and the assembler tests.
 */
import type { InsnDef } from './insn.js';
import { extractFields, parsePattern, type Fields, type Pattern } from './pattern.js';
import { A64_TABLE } from './table/index.js';

export interface CompiledDef {
  readonly index: number;
  readonly def: InsnDef;
  readonly pattern: Pattern;
}

export interface Decoded {
  readonly entry: CompiledDef;
  readonly fields: Fields;
}

export class A64Decoder {
  readonly entries: readonly CompiledDef[];
  private readonly byName = new Map<string, CompiledDef>();
  private readonly buckets: CompiledDef[][] = [];

  constructor(table: readonly InsnDef[] = A64_TABLE) {
    this.entries = table.map((def, index) => ({ index, def, pattern: parsePattern(def.pattern) }));
    for (let op0 = 0; op0 < 16; op0++) this.buckets.push([]);
    for (const e of this.entries) {
      if (this.byName.has(e.def.name)) throw new Error(`duplicate A64 table entry '${e.def.name}'`);
      this.byName.set(e.def.name, e);
      for (let op0 = 0; op0 < 16; op0++) {
        const bits = op0 << 25;
        if (((bits ^ e.pattern.value) & e.pattern.mask & 0x1e000000) === 0) this.buckets[op0]!.push(e);
      }
    }
  }

  decode(word: number): Decoded | null {
    const w = word >>> 0;
    const bucket = this.buckets[(w >>> 25) & 15]!;
    for (const e of bucket) {
      if (((w & e.pattern.mask) >>> 0) !== e.pattern.value) continue;
      const fields = extractFields(w, e.pattern);
      if (e.def.guard && !e.def.guard(fields)) continue;
      return { entry: e, fields };
    }
    return null;
  }

  entry(name: string): CompiledDef {
    const e = this.byName.get(name);
    if (!e) throw new Error(`no A64 table entry '${name}'`);
    return e;
  }
}

let shared: A64Decoder | undefined;
/** The process-wide decoder over the full table. */
export function a64(): A64Decoder {
  shared ??= new A64Decoder();
  return shared;
}
