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
import { EMITTERS } from '../../src/adapters/interp/jit/emit.js';
import { CODE, DATA, machine, RAM_SIZE, type Machine } from '../interp/harness.js';
import { SysReg } from '../../src/ports/vcpu.js';
import { disassemble } from '../../src/domain/a64/disasm.js';
import { randomProgram, xorshift } from './random-code.js';

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
  lastWords = randomProgram(m, rng, count);
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
