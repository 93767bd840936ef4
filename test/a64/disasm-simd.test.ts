/**
 * Disassembly of the FP and Advanced SIMD table entries against GNU objdump:
 * random words inside each entry's pattern are decoded by our table and by
 * aarch64-linux-gnu-objdump, and the instruction text must match (objdump's
 * trailing `// ...` comments are not part of the instruction text). Words our
 * table decodes but objdump calls undefined are guard bugs and fail too.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { a64 } from '../../src/domain/a64/decoder.js';
import { disassemble } from '../../src/domain/a64/disasm.js';
import { parsePattern } from '../../src/domain/a64/pattern.js';
import { fpDefs } from '../../src/domain/a64/table/fp.js';
import { simdDefs } from '../../src/domain/a64/table/simd.js';
import { simdFpDefs } from '../../src/domain/a64/table/simd-fp.js';
import { fp16Defs } from '../../src/domain/a64/table/fp16.js';
import { objdumpWords, xorshift32, referenceTools } from '../support/toolchain.js';

/** objdump's text for each word, in order ('' when it prints the word as undefined). */
function objdump(words: number[]): string[] {
  return objdumpWords(words).map((t) => (t.startsWith('.inst') ? '' : t));
}

const refs = referenceTools('aarch64-linux-gnu-objdump', 'aarch64-linux-gnu-as');

describe('FP/SIMD disassembly matches objdump', () => {
  it.skipIf(refs.skip)('random encodings of every entry', () => {
    refs.check();
    const next = xorshift32(0x5eed);
    const dec = a64();
    const words: number[] = [];
    const names: string[] = [];
    for (const def of [...fpDefs, ...simdDefs, ...simdFpDefs, ...fp16Defs]) {
      const p = parsePattern(def.pattern);
      let found = 0;
      for (let tries = 0; tries < 400 && found < 24; tries++) {
        const w = ((next() & ~p.mask) | p.value) >>> 0;
        const d = dec.decode(w);
        if (!d || d.entry.def.name !== def.name) continue;
        words.push(w);
        names.push(def.name);
        found++;
      }
      expect(found, `no decodable samples for ${def.name}`).toBeGreaterThan(0);
    }
    const ref = objdump(words);
    expect(ref.length).toBe(words.length);
    const bad: string[] = [];
    words.forEach((w, i) => {
      const ours = disassemble(w);
      if (ours !== ref[i]) bad.push(`${names[i]} ${w.toString(16).padStart(8, '0')}: ours '${ours}' objdump '${ref[i]}'`);
    });
    expect(bad.slice(0, 40)).toEqual([]);
    expect(words.length).toBeGreaterThan(1000);
  });

  // Every FP/SIMD instruction glibc's static libc contains (string routines, printf, libm bits)
  // must decode, and print as objdump prints it. Single-register loads/stores belong to the
  // ldst table and SVE (z/p registers) is out of scope.
  const LIBC = '/usr/aarch64-linux-gnu/lib/libc.a';
  it.skipIf(refs.skip)('every FP/SIMD instruction in libc.a', () => {
    refs.check();
    expect(existsSync(LIBC), `${LIBC} (apt-get install gcc-aarch64-linux-gnu)`).toBe(true);
    const out = execFileSync('aarch64-linux-gnu-objdump', ['-d', LIBC], { encoding: 'utf8', maxBuffer: 1 << 30 });
    const ours = new Set([...fpDefs, ...simdDefs].map((d) => d.name));
    const skip = /^(ldr|str|ldp|stp|ldur|stur|ldnp|stnp|prfm)\b|\b[zp][0-9]+\.|\bp[0-9]+\/|\b(ld1b|st1b|whilelo|ptrue|cntb)\b/;
    const isFpSimdOperand = (t: string): boolean => /^(v[0-9]+\..*|[qdsbh][0-9]+)$/.test(t);
    const missing = new Set<string>();
    const bad = new Set<string>();
    let checked = 0;
    for (const line of out.split('\n')) {
      const m = /^\s+[0-9a-f]+:\t([0-9a-f]{8}) \t(.*)$/.exec(line);
      if (!m) continue;
      const text = m[2]!.replace(/\s*\/\/.*$/, '').replace(/\s*<.*$/, '').trimEnd();
      const word = parseInt(m[1]!, 16);
      const d = a64().decode(word);
      if (d && ours.has(d.entry.def.name)) {
        checked++;
        if (disassemble(word) !== text) bad.add(`${m[1]}: ours '${disassemble(word)}' objdump '${text}'`);
        continue;
      }
      const [mnemonic, operands = ''] = text.split('\t');
      if (/^(b|bl|b\..*|cbn?z|tbn?z|adrp?)$/.test(mnemonic!)) continue; // operands are addresses like 'd0'
      if (operands.split(/[\s,{}[\]]+/).some(isFpSimdOperand) && !skip.test(text)) missing.add(mnemonic!);
    }
    expect([...missing].sort()).toEqual([]);
    expect([...bad].slice(0, 20)).toEqual([]);
    expect(checked).toBeGreaterThan(800); // 916 with Debian 12 glibc 2.36
  }, 120_000);
});
