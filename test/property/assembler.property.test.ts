/**
 * Property: for every entry of the A64 table, any field values the entry
 * accepts assemble to a word that the decoder reads back as the same entry
 * (or an earlier, more specific one that claims the encoding, as decodetree
 * groups do) with the same field values.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encode, AsmError } from '../../src/domain/a64/assembler.js';
import { a64 } from '../../src/domain/a64/decoder.js';
import { extractFields } from '../../src/domain/a64/pattern.js';

const decoder = a64();

describe('A64 assembler → decoder round trip', () => {
  it('has a non-trivial table to test', () => {
    expect(decoder.entries.length).toBeGreaterThan(50);
  });

  it('every entry: encode(fields) decodes to an entry whose pattern yields the same fields', () => {
    let checked = 0;
    for (const e of decoder.entries) {
      const arbs: Record<string, fc.Arbitrary<number>> = {};
      for (const f of e.pattern.fields) {
        arbs[f.name] = f.signed
          ? fc.integer({ min: -(2 ** (f.len - 1)), max: 2 ** (f.len - 1) - 1 })
          : fc.integer({ min: 0, max: 2 ** f.len - 1 });
      }
      fc.assert(
        fc.property(fc.record(arbs), (fields) => {
          let word: number;
          try {
            word = encode(e.def.name, fields);
          } catch (err) {
            // Reserved operand combinations are refused by the entry's guard.
            if (err instanceof AsmError) return true;
            throw err;
          }
          const d = decoder.decode(word);
          expect(d, `${e.def.name} ${JSON.stringify(fields)} → 0x${word.toString(16)} does not decode`).not.toBeNull();
          // The word matches this entry's pattern, and the fields read back are the ones written.
          expect((word & e.pattern.mask) >>> 0).toBe(e.pattern.value);
          expect(extractFields(word, e.pattern)).toEqual(fields);
          // An entry earlier in the table may legitimately claim the word (a more specific alias
          // such as an immediate form with fixed bits); otherwise it must be this entry.
          expect(d!.entry.index).toBeLessThanOrEqual(e.index);
          checked++;
          return true;
        }),
        { numRuns: 40, seed: 0x5eed },
      );
    }
    expect(checked).toBeGreaterThan(decoder.entries.length);
  });
});
