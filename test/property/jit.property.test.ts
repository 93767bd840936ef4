/**
 * Property: the block translator (jit/) is invisible. Random straight-line
 * code drawn from every instruction the translator writes out as
 * JavaScript, mixed with branches and a few closure-only instructions, runs
 * on two CPUs from the same random state: one that only ever calls
 * closures (jitThreshold = Infinity) and one that translates every block
 * before its first execution (jitThreshold = 0). Registers, flags, PC,
 * memory, exception registers and the retired-instruction count must agree,
 * including when an access faults part-way through a block.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AsmError, encode } from '../../src/domain/a64/assembler.js';
import { a64 } from '../../src/domain/a64/decoder.js';
import { EMITTERS } from '../../src/adapters/interp/jit/emit.js';
import { CODE, DATA, machine, RAM_SIZE, type Machine } from '../interp/harness.js';
import { SysReg } from '../../src/ports/vcpu.js';
import { disassemble } from '../../src/domain/a64/disasm.js';

const decoder = a64();
const entries = decoder.entries.filter((e) => e.def.name in EMITTERS || ['UDIV', 'SMULH', 'CLZ', 'LDR_fp_uimm', 'STR_fp_uimm'].includes(e.def.name));

/** Random field values for an entry, or null when its guard refuses them. */
function randomWord(rng: () => number): number {
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

function xorshift(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

let lastWords: number[] = [];

interface Snapshot {
  x: number[];
  nzcv: number;
  pc: number;
  retired: number;
  esr: bigint;
  elr: bigint;
  far: bigint;
  ram: Uint8Array;
}

function runOnce(seed: number, threshold: number, count = 24): Snapshot {
  const rng = xorshift(seed);
  const m: Machine = machine();
  m.cpu.jitThreshold = threshold;
  m.cpu.slice = 500;
  const words = Array.from({ length: count }, () => randomWord(rng));
  lastWords = words;
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
  m.cpu.run();
  return {
    x: Array.from(m.cpu.x.subarray(0, 64)),
    nzcv: m.cpu.nzcv,
    pc: m.cpu.pc,
    retired: m.cpu.retired,
    esr: m.cpu.getSysReg(SysReg.ESR_EL1),
    elr: m.cpu.getSysReg(SysReg.ELR_EL1),
    far: m.cpu.getSysReg(SysReg.FAR_EL1),
    ram: m.ram.slice(DATA, DATA + 0x10000),
  };
}

describe('block translator', () => {
  it('covers a real set of instructions', () => {
    expect(Object.keys(EMITTERS).length).toBeGreaterThan(80);
    expect(RAM_SIZE).toBeGreaterThan(DATA + 0x10000);
  });

  it('each translated instruction behaves exactly like its closure', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 }), (seed) => {
        const cold = runOnce(seed, Infinity, 1);
        const hot = runOnce(seed, 0, 1);
        const what = lastWords.map((w) => `${w.toString(16)} ${disassemble(w, BigInt(CODE))}`).join('; ');
        expect(hot.x, what).toEqual(cold.x);
        expect(hot.nzcv, what).toBe(cold.nzcv);
        expect(hot.pc, what).toBe(cold.pc);
        expect([hot.esr, hot.elr, hot.far], what).toEqual([cold.esr, cold.elr, cold.far]);
        expect(hot.retired, what).toBe(cold.retired);
        expect(Buffer.from(hot.ram).equals(Buffer.from(cold.ram)), what).toBe(true);
      }),
      { numRuns: 600, seed: 0x7e58 },
    );
  });

  it('translated blocks behave exactly like closures', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 }), (seed) => {
        const cold = runOnce(seed, Infinity);
        const hot = runOnce(seed, 0);
        expect(hot.x).toEqual(cold.x);
        expect(hot.nzcv).toBe(cold.nzcv);
        expect(hot.pc).toBe(cold.pc);
        expect([hot.esr, hot.elr, hot.far]).toEqual([cold.esr, cold.elr, cold.far]);
        expect(hot.retired).toBe(cold.retired);
        expect(Buffer.from(hot.ram).equals(Buffer.from(cold.ram))).toBe(true);
      }),
      { numRuns: 200, seed: 0x7e57 },
    );
  });
});
