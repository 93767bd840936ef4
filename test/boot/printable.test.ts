/**
 * printable/quoted: file and command-line text in one-line messages. Ordinary
 * text is left alone; anything a terminal acts on is escaped, so no output
 * of printable() contains a control character, whatever the input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { printable, quoted } from '../../src/domain/printable.js';

describe('printable', () => {
  it('leaves ordinary paths and text as they are', () => {
    for (const s of ['/lib/ld-linux-aarch64.so.1', './a b/c', 'naïve/日本', 'quote"and\\backslash']) expect(printable(s)).toBe(s);
  });

  it('quotes and escapes newlines, escape sequences, C1 controls, DEL and bidi overrides', () => {
    expect(printable('a\nb')).toBe('"a\\nb"');
    expect(printable('\x1b[31mred\x07')).toBe('"\\x1b[31mred\\x07"');
    expect(printable('x\u009b2Jy\x7f')).toBe('"x\\x9b2Jy\\x7f"');
    expect(printable('evil\u202eexe.txt')).toBe('"evil\\u202eexe.txt"');
    expect(printable('tab\there "q" \\')).toBe('"tab\\there \\"q\\" \\\\"');
    expect(quoted('plain')).toBe('"plain"');
  });

  it('never lets a control character through, for any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
        expect(printable(s)).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
      }),
      { numRuns: 2000, seed: 7 },
    );
  });
});
