/**
 * Random A64 code for the translator properties (jit.property.test.ts,
 * test/interp/wasm-proto.test.ts): instruction words drawn from every entry
 * the JS tier writes out, plus a few closure-only ones, and the random
 * machine state they run from.
 */
import { AsmError, encode } from '../../src/domain/a64/assembler.js';
import { a64 } from '../../src/domain/a64/decoder.js';
import { EMITTERS } from '../../src/adapters/interp/jit/emit.js';
import { CODE, DATA, type Machine } from '../interp/harness.js';
import { xorshift32 } from '../support/toolchain.js';

const decoder = a64();
const entries = decoder.entries.filter((e) => e.def.name in EMITTERS || ['UDIV', 'SMULH', 'CLZ', 'LDR_fp_uimm', 'STR_fp_uimm'].includes(e.def.name));

/** Random field values for an entry, or null when its guard refuses them. */
export function randomWord(rng: () => number): number {
  for (;;) {
    const e = entries[Math.floor(rng() * entries.length)]!;
    const fields: Record<string, number> = {};
    for (const f of e.pattern.fields) {
      const span = 2 ** f.len;
      let v = Math.floor(rng() * span);
      if (f.signed && v >= span / 2) v -= span;
      // Keep branch offsets short so targets stay near the code.
      if (/^imm(26|19|14)$/.test(f.name)) v = Math.floor(rng() * 16) - 4;
      fields[f.name] = v;
    }
    try {
      return encode(e.def.name, fields);
    } catch (err) {
      if (err instanceof AsmError) continue;
      throw err;
    }
  }
}

/** Uniform values in [0, 1) from the suite's xorshift32 sequence. */
export function xorshift(seed: number): () => number {
  const next = xorshift32(seed);
  return () => next() / 4294967296;
}

/**
 * Write `count` random words at CODE (then HVC #0), random bytes in the data
 * window, random registers (half of them addresses in the window) and NZCV.
 */
export function randomProgram(m: Machine, rng: () => number, count: number): number[] {
  const words = Array.from({ length: count }, () => randomWord(rng));
  const dv = new DataView(m.ram.buffer, m.ram.byteOffset);
  words.forEach((w, i) => dv.setUint32(CODE + i * 4, w, true));
  // HVC #0 after the code; what branches reach beyond it is zeros (UDF), identical for both.
  dv.setUint32(CODE + words.length * 4, encode('HVC', { imm16: 0 }), true);
  for (let i = DATA; i < DATA + 0x10000; i++) m.ram[i] = Math.floor(rng() * 256);
  for (let r = 0; r < 32; r++) {
    // Half the registers hold addresses inside the data window, so loads and stores hit RAM.
    const v = rng() < 0.5 ? BigInt(DATA + 0x8000 + Math.floor(rng() * 0x4000) * 2) : BigInt(Math.floor(rng() * 2 ** 32)) << BigInt(Math.floor(rng() * 33));
    m.cpu.setX(r, BigInt.asUintN(64, v));
  }
  m.cpu.nzcv = Math.floor(rng() * 16) << 28;
  m.cpu.pc = CODE;
  return words;
}
