/**
 * The control-flow traits of the A64 table (InsnDef.flow, read through
 * traits.ts by the block builder and the translator) against GNU objdump:
 * random encodings of every entry are disassembled, and an instruction is a
 * branch or an exception generator exactly when objdump names one of the
 * ARM ARM's branch or exception mnemonics (C4.1.65); for a direct branch,
 * the target directTarget computes is the address objdump prints. A
 * branch missing its trait would let a block run on past it; a wrong
 * offset field would chain a block to the wrong place.
 */
import { describe, expect, it } from 'vitest';
import { a64 } from '../../src/domain/a64/decoder.js';
import { parsePattern } from '../../src/domain/a64/pattern.js';
import { A64_TABLE } from '../../src/domain/a64/table/index.js';
import { directTarget, endsBlock } from '../../src/domain/a64/traits.js';
import { objdumpWords, referenceTools, xorshift32 } from '../support/toolchain.js';

/** ARM ARM C4.1.65: immediate branches, compare-and-branch, test-and-branch. */
const DIRECT = new Set(['b', 'bl', 'cbz', 'cbnz', 'tbz', 'tbnz']);
/** Unconditional branch (register). */
const INDIRECT = new Set(['br', 'blr', 'ret']);
/** Exception generation and exception return. */
const EXCEPTION = new Set(['svc', 'hvc', 'brk', 'eret']);

/** The kind of flow objdump's text names, by its mnemonic. */
function referenceKind(text: string): 'direct' | 'indirect' | 'exception' | null {
  const mnemonic = text.split(/[\t ]/)[0]!;
  if (DIRECT.has(mnemonic) || mnemonic.startsWith('b.')) return 'direct';
  if (INDIRECT.has(mnemonic)) return 'indirect';
  if (EXCEPTION.has(mnemonic)) return 'exception';
  return null;
}

const refs = referenceTools('aarch64-linux-gnu-as', 'aarch64-linux-gnu-objdump');

describe.skipIf(refs.skip)('control-flow traits match objdump', () => {
  refs.check();
  it('marks exactly the branches and exception generators, with the targets objdump prints', () => {
    const next = xorshift32(0xb4a9c4);
    const words: number[] = [];
    for (const def of A64_TABLE) {
      const p = parsePattern(def.pattern);
      for (let i = 0; i < 8; i++) {
        const w = ((next() & ~p.mask) | p.value) >>> 0;
        if (a64().decode(w)?.entry.def === def) words.push(w);
      }
    }
    const ref = objdumpWords(words);
    expect(ref.length).toBe(words.length);
    const wrong: string[] = [];
    const seen = new Map<string, number>();
    words.forEach((w, i) => {
      const text = ref[i]!;
      if (text.startsWith('.inst') || text.includes('<unknown>')) return;
      const d = a64().decode(w)!;
      const def = d.entry.def;
      const pc = i * 4;
      const kind = referenceKind(text);
      const mine = def.flow?.kind === 'system' ? null : (def.flow?.kind ?? null);
      if (kind !== mine) wrong.push(`${def.name} '${text}': flow ${String(mine)}, objdump says ${String(kind)}`);
      if (kind === 'direct') {
        const printed = Number.parseInt(/([0-9a-f]+)$/.exec(text)![1]!, 16);
        const target = directTarget(def, d.fields, pc);
        // objdump prints the target modulo 2^64 of a section at 0; ours is an exact number.
        const wrapped = target === null ? null : target < 0 ? target + 2 ** 64 : target;
        if (wrapped !== printed) wrong.push(`${def.name} '${text}' at ${pc}: target ${String(target)}`);
      }
      if (kind !== null) {
        seen.set(kind, (seen.get(kind) ?? 0) + 1);
        if (!endsBlock(def)) wrong.push(`${def.name} '${text}' does not end a block`);
      }
    });
    expect(wrong).toEqual([]);
    // Every kind was met (the sample reaches each branch entry eight times).
    expect(seen.get('direct')).toBeGreaterThanOrEqual(50);
    expect(seen.get('indirect')).toBeGreaterThanOrEqual(8);
    expect(seen.get('exception')).toBeGreaterThanOrEqual(8);
  });

  it('lets a read of TPIDR_EL0 stay inside a block, and ends one at MSR and SYS', () => {
    const def = (w: number) => a64().decode(w)!.entry.def;
    expect(objdumpWords([0xd53bd040, 0xd51bd040, 0xd50b7520])).toEqual(['mrs\tx0, tpidr_el0', 'msr\ttpidr_el0, x0', 'ic\tivau, x0']);
    expect(endsBlock(def(0xd53bd040))).toBe(false);
    expect(endsBlock(def(0xd51bd040))).toBe(true);
    expect(endsBlock(def(0xd50b7520))).toBe(true);
    expect(endsBlock(null)).toBe(true);
  });
});
