/**
 * The data-processing disassembly against GNU objdump: random encodings of
 * every dp-imm and dp-reg entry (register fields biased towards 31 and
 * towards rn == rm, where the aliases live) are assembled with `.inst` and
 * compared with `aarch64-linux-gnu-objdump -d` text. Only encodings our
 * decoder accepts and objdump decodes are compared.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { a64 } from '../../src/domain/a64/decoder.js';
import { disassemble } from '../../src/domain/a64/disasm.js';
import { parsePattern } from '../../src/domain/a64/pattern.js';
import { dp_immDefs } from '../../src/domain/a64/table/dp-imm.js';
import { dp_regDefs } from '../../src/domain/a64/table/dp-reg.js';

const AS = 'aarch64-linux-gnu-as';
const OBJDUMP = 'aarch64-linux-gnu-objdump';

function hasTool(tool: string): boolean {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** xorshift32: a fixed, reproducible sample. */
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

function objdump(words: number[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'disasm-dp-'));
  try {
    const src = words.map((w) => `.inst 0x${w.toString(16).padStart(8, '0')}`).join('\n') + '\n';
    writeFileSync(join(dir, 'a.s'), src);
    execFileSync(AS, ['-o', join(dir, 'a.o'), join(dir, 'a.s')]);
    const text = execFileSync(OBJDUMP, ['-d', join(dir, 'a.o')], { encoding: 'utf8', maxBuffer: 1 << 26 });
    const lines: string[] = [];
    for (const line of text.split('\n')) {
      const m = /^\s*[0-9a-f]+:\t[0-9a-f]{8} \t(.*)$/.exec(line);
      if (!m) continue;
      // Drop objdump's comments (`// #16`, `// ne = any`) and symbol suffixes.
      lines.push(m[1]!.replace(/\s*\/\/.*$/, '').replace(/ <[^>]*>$/, '').trimEnd());
    }
    return lines;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const toolchain = hasTool(AS) && hasTool(OBJDUMP);
const MINE = new Set([...dp_immDefs, ...dp_regDefs].map((d) => d.name));

// Skipped without the cross toolchain: objdump is the reference.
describe.skipIf(!toolchain)('data-processing disassembly matches objdump', () => {
  it('agrees on random encodings of every entry', () => {
    const next = rng(0x5eed1234);
    const words: number[] = [];
    for (const def of [...dp_immDefs, ...dp_regDefs]) {
      for (const w of sample(def.pattern, Number(process.env.DP_SAMPLES ?? 12), next)) {
        const d = a64().decode(w);
        if (d && MINE.has(d.entry.def.name)) words.push(w);
      }
    }
    const ref = objdump(words);
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
    const next = rng(0xc0ffee);
    const rejected: number[] = [];
    for (const def of [...dp_immDefs, ...dp_regDefs]) {
      for (const w of sample(def.pattern, 64, next)) if (a64().decode(w) === null) rejected.push(w);
    }
    expect(rejected.length).toBeGreaterThan(50);
    const ref = objdump(rejected);
    const decodedByObjdump = rejected
      .map((w, i) => `${w.toString(16).padStart(8, '0')}: ${ref[i]!}`)
      .filter((line) => !line.includes('.inst') && !line.includes('<unknown>'));
    expect(decodedByObjdump).toEqual([]);
  });
});
