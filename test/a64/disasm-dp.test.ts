/**
 * The data-processing disassembly against GNU objdump: random encodings of
 * every dp-imm and dp-reg entry (register fields biased towards 31 and
 * towards rn == rm, where the aliases live) are assembled with `.inst` and
 * compared with `aarch64-linux-gnu-objdump -d` text. Only encodings our
 * decoder accepts and objdump decodes are compared.
 */
import { describe, expect, it } from 'vitest';
import { a64 } from '../../src/domain/a64/decoder.js';
import { disassemble } from '../../src/domain/a64/disasm.js';
import { parsePattern } from '../../src/domain/a64/pattern.js';
import { dp_immDefs } from '../../src/domain/a64/table/dp-imm.js';
import { dp_regDefs } from '../../src/domain/a64/table/dp-reg.js';
import { objdumpWords, xorshift32, referenceTools } from '../support/toolchain.js';

const AS = 'aarch64-linux-gnu-as';
const OBJDUMP = 'aarch64-linux-gnu-objdump';

const REG_FIELDS = new Set(['rd', 'rn', 'rm', 'ra']);

/** Random words matching an entry's pattern, with register fields often 31 or rn == rm. */
function sample(pattern: string, count: number, next: () => number): number[] {
  const p = parsePattern(pattern);
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    let w = ((next() & ~p.mask) | p.value) >>> 0;
    for (const f of p.fields) {
      if (!REG_FIELDS.has(f.name) || next() % 4 !== 0) continue;
      w = ((w & ~(31 << f.pos)) | (31 << f.pos)) >>> 0;
    }
    const rn = p.fields.find((f) => f.name === 'rn');
    const rm = p.fields.find((f) => f.name === 'rm');
    if (rn && rm && next() % 4 === 0) {
      const v = (w >>> rn.pos) & 31;
      w = ((w & ~(31 << rm.pos)) | (v << rm.pos)) >>> 0;
    }
    out.push(w);
  }
  return out;
}

const refs = referenceTools(AS, OBJDUMP);
const MINE = new Set([...dp_immDefs, ...dp_regDefs].map((d) => d.name));

// objdump is the reference: without it the tests fail, unless ELFUSE_ALLOW_MISSING_REFS=1.
describe.skipIf(refs.skip)('data-processing disassembly matches objdump', () => {
  refs.check();
  it('agrees on random encodings of every entry', () => {
    const next = xorshift32(0x5eed1234);
    const words: number[] = [];
    for (const def of [...dp_immDefs, ...dp_regDefs]) {
      for (const w of sample(def.pattern, Number(process.env.DP_SAMPLES ?? 12), next)) {
        const d = a64().decode(w);
        if (d && MINE.has(d.entry.def.name)) words.push(w);
      }
    }
    const ref = objdumpWords(words);
    expect(ref.length).toBe(words.length);
    const mismatches: string[] = [];
    let compared = 0;
    words.forEach((w, i) => {
      const want = ref[i]!;
      if (want.startsWith('.inst') || want.includes('<unknown>')) return;
      compared++;
      const got = disassemble(w, BigInt(i * 4));
      if (got !== want) mismatches.push(`${w.toString(16).padStart(8, '0')} ${a64().decode(w)!.entry.def.name}: got '${got}' want '${want}'`);
    });
    expect(mismatches).toEqual([]);
    expect(compared).toBeGreaterThan(600);
  });

  it('rejects only encodings objdump also treats as unallocated', () => {
    const next = xorshift32(0xc0ffee);
    const rejected: number[] = [];
    for (const def of [...dp_immDefs, ...dp_regDefs]) {
      for (const w of sample(def.pattern, 64, next)) if (a64().decode(w) === null) rejected.push(w);
    }
    expect(rejected.length).toBeGreaterThan(50);
    const ref = objdumpWords(rejected);
    const decodedByObjdump = rejected
      .map((w, i) => `${w.toString(16).padStart(8, '0')}: ${ref[i]!}`)
      .filter((line) => !line.includes('.inst') && !line.includes('<unknown>'));
    expect(decodedByObjdump).toEqual([]);
  });
});
