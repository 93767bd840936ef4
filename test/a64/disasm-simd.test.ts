/**
 * Disassembly of the FP and Advanced SIMD table entries against GNU objdump:
 * random words inside each entry's pattern are decoded by our table and by
 * aarch64-linux-gnu-objdump, and the instruction text must match (objdump's
 * trailing `// ...` comments are not part of the instruction text). Words our
 * table decodes but objdump calls undefined are guard bugs and fail too.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { a64 } from '../../src/domain/a64/decoder.js';
import { disassemble } from '../../src/domain/a64/disasm.js';
import { parsePattern } from '../../src/domain/a64/pattern.js';
import { fpDefs } from '../../src/domain/a64/table/fp.js';
import { simdDefs } from '../../src/domain/a64/table/simd.js';

function hasToolchain(): boolean {
  try {
    execFileSync('aarch64-linux-gnu-objdump', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** objdump's text for each word, in order ('' when it prints the word as undefined). */
function objdump(words: number[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'elfuse-disasm-'));
  const src = join(dir, 'w.s');
  const obj = join(dir, 'w.o');
  writeFileSync(src, words.map((w) => `.inst 0x${w.toString(16)}\n`).join(''));
  execFileSync('aarch64-linux-gnu-as', ['-march=armv8.2-a+fp16', src, '-o', obj]);
  const out = execFileSync('aarch64-linux-gnu-objdump', ['-d', obj], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const texts: string[] = [];
  for (const line of out.split('\n')) {
    const m = /^\s+[0-9a-f]+:\t[0-9a-f]{8} \t(.*)$/.exec(line);
    if (!m) continue;
    const t = m[1]!.replace(/\s*\/\/.*$/, '').trimEnd();
    texts.push(t.startsWith('.inst') ? '' : t);
  }
  return texts;
}

/** xorshift32: deterministic samples. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

const toolchain = hasToolchain();

describe('FP/SIMD disassembly matches objdump', () => {
  // Skipped only when the cross toolchain (the reference) is not installed.
  it.skipIf(!toolchain)('random encodings of every entry', () => {
    const next = rng(0x5eed);
    const dec = a64();
    const words: number[] = [];
    const names: string[] = [];
    for (const def of [...fpDefs, ...simdDefs]) {
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
});
