/**
 * The WebAssembly prototype tier (jit/wasm-proto.ts) against the closures:
 * the same random code as the JS tier's property (test/property/random-code.ts)
 * and the self-loop cases of jit.test.ts run on a closures-only CPU and on
 * one whose every block is compiled to WebAssembly before its first
 * execution, with guest RAM, registers and TLB in a WebAssembly.Memory.
 * Registers, flags, PC, memory, exception registers and retired counts
 * must agree, faults part-way through a block or a loop included.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encode } from '../../src/domain/a64/assembler.js';
import { disassemble } from '../../src/domain/a64/disasm.js';
import { regionFor, setTranslator, WasmRam, WasmTier } from '../../src/adapters/interp/jit/wasm-proto.js';
import { SysReg } from '../../src/ports/vcpu.js';
import { randomProgram, xorshift } from '../property/random-code.js';
import { CODE, DATA, machine, RAM_SIZE, type Machine } from './harness.js';

/** Instructions compiled to WebAssembly so far (not run through closures from wasm). */
let wasmInsns = 0;
/** The most instructions one region function held. */
let regionInsns = 0;

/** A machine whose blocks all run as WebAssembly (wasm) or on closures only. */
function make(wasm: boolean, regions = false): { m: Machine; tier: WasmTier | null } {
  if (!wasm) {
    const m = machine();
    m.cpu.jitThreshold = Infinity;
    return { m, tier: null };
  }
  const ram = new WasmRam();
  const m = machine(ram);
  const tier = new WasmTier(m.cpu, ram);
  setTranslator(m.cpu, (b) => {
    const { fn, info } = tier.compile(b, undefined, regions ? regionFor(m.cpu, b) : undefined);
    if (regions) regionInsns = Math.max(regionInsns, info.covered);
    wasmInsns += info.covered;
    return fn;
  });
  // Regions need their blocks decoded and run first.
  m.cpu.jitThreshold = regions ? 20 : 0;
  return { m, tier };
}

function snapshot(m: Machine) {
  return {
    x: Array.from(m.cpu.x.subarray(0, 64)),
    nzcv: m.cpu.nzcv,
    pc: m.cpu.pc,
    retired: m.cpu.retired,
    esr: m.cpu.getSysReg(SysReg.ESR_EL1),
    elr: m.cpu.getSysReg(SysReg.ELR_EL1),
    far: m.cpu.getSysReg(SysReg.FAR_EL1),
    ram: Buffer.from(m.ram.slice(DATA, DATA + 0x10000)).toString('hex'),
  };
}

function runRandom(seed: number, wasm: boolean, count: number) {
  const { m } = make(wasm);
  m.cpu.slice = 500;
  const words = randomProgram(m, xorshift(seed), count);
  m.cpu.run();
  return { s: snapshot(m), what: words.map((w) => `${w.toString(16)} ${disassemble(w, BigInt(CODE))}`).join('; ') };
}

/** loop: ldr x1, [x2], #8; add x3, x3, x1; subs x0, x0, #1; b.ne loop; hvc #0 */
const LOOP = [
  encode('LDR_post', { size: 3, imm9: 8, rn: 2, rt: 1 }),
  encode('ADD_shift', { sf: 1, shift: 0, rm: 1, imm6: 0, rn: 3, rd: 3 }),
  encode('SUBS_imm', { sf: 1, sh: 0, imm12: 1, rn: 0, rd: 0 }),
  encode('B_cond', { imm19: -3, cond: 1 }),
  encode('HVC', { imm16: 0 }),
];

/** The same loop with a closure inside (UDIV x4, x3, x0 has no emitter): spills and reloads around it. */
const LOOP_CLOSURE = [LOOP[0]!, encode('UDIV', { sf: 1, rm: 0, rn: 3, rd: 4 }), LOOP[1]!, LOOP[2]!, encode('B_cond', { imm19: -4, cond: 1 }), LOOP[4]!];

/**
 * A loop of three blocks: loop: ldr x1, [x2], #8; cbz x1, skip | add x3, x3, x1; add x4, x4, #1;
 * str x3, [x5], #16 | skip: subs x0, x0, #1; b.ne loop; hvc #0
 */
const LOOP_BLOCKS = [
  LOOP[0]!,
  encode('CBZ', { sf: 1, imm19: 4, rt: 1 }),
  LOOP[1]!,
  encode('ADD_imm', { sf: 1, sh: 0, imm12: 1, rn: 4, rd: 4 }),
  encode('STR_post', { size: 3, imm9: 16, rn: 5, rt: 3 }),
  LOOP[2]!,
  encode('B_cond', { imm19: -6, cond: 1 }),
  LOOP[4]!,
];

function runLoop(wasm: boolean, iterations: number, base: number, slice = 1_000_000, code = LOOP, regions = false, x5 = 0x40000) {
  const { m } = make(wasm, regions);
  m.cpu.slice = slice;
  const dv = new DataView(m.ram.buffer, m.ram.byteOffset);
  code.forEach((w, i) => dv.setUint32(CODE + 4 * i, w, true));
  // Every seventh doubleword is zero (the CBZ of LOOP_BLOCKS takes its branch there).
  for (let a = 0x20000; a < RAM_SIZE; a += 8) dv.setUint32(a, (a >>> 3) % 7 === 0 ? 0 : a >>> 3, true);
  m.cpu.setX(0, BigInt(iterations));
  m.cpu.setX(2, BigInt(base));
  m.cpu.setX(5, BigInt(x5));
  m.cpu.pc = CODE;
  const exit = m.cpu.run();
  return { exit, ...snapshot(m) };
}

describe('WebAssembly prototype tier', () => {
  it('each instruction behaves exactly like its closure', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 }), (seed) => {
        const cold = runRandom(seed, false, 1);
        const hot = runRandom(seed, true, 1);
        expect(hot.s, hot.what).toEqual(cold.s);
      }),
      { numRuns: 600, seed: 0x3a5e },
    );
  });

  it('blocks behave exactly like closures', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 }), (seed) => {
        const cold = runRandom(seed, false, 24);
        const hot = runRandom(seed, true, 24);
        expect(hot.s, hot.what).toEqual(cold.s);
      }),
      { numRuns: 200, seed: 0x3a5f },
    );
  });

  it('a self-loop sums, stops at the slice end and faults in a later iteration as closures do', () => {
    expect(runLoop(true, 5000, 0x20000)).toEqual(runLoop(false, 5000, 0x20000));
    expect(runLoop(true, 100_000, 0x20000, 10_001)).toEqual(runLoop(false, 100_000, 0x20000, 10_001));
    expect(wasmInsns).toBeGreaterThan(0);
    const start = RAM_SIZE - 8 * 100;
    const hot = runLoop(true, 1000, start);
    expect(hot).toEqual(runLoop(false, 1000, start));
    expect(hot.x[0]).toBe(900);
  });

  it('a self-loop with a closure call inside behaves as closures do, faults included', () => {
    expect(runLoop(true, 5000, 0x20000, 1_000_000, LOOP_CLOSURE)).toEqual(runLoop(false, 5000, 0x20000, 1_000_000, LOOP_CLOSURE));
    expect(runLoop(true, 100_000, 0x20000, 10_001, LOOP_CLOSURE)).toEqual(runLoop(false, 100_000, 0x20000, 10_001, LOOP_CLOSURE));
    const start = RAM_SIZE - 8 * 100;
    expect(runLoop(true, 1000, start, 1_000_000, LOOP_CLOSURE)).toEqual(runLoop(false, 1000, start, 1_000_000, LOOP_CLOSURE));
  });

  it('a loop of three blocks in one region function behaves as closures do, faults included', () => {
    regionInsns = 0;
    const args = [1_000_000, LOOP_BLOCKS, true] as const;
    expect(runLoop(true, 5000, 0x20000, ...args)).toEqual(runLoop(false, 5000, 0x20000, ...args));
    expect(regionInsns).toBe(2 + 5 + 2);
    expect(runLoop(true, 100_000, 0x20000, 10_001, LOOP_BLOCKS, true)).toEqual(runLoop(false, 100_000, 0x20000, 10_001, LOOP_BLOCKS, true));
    const start = RAM_SIZE - 8 * 100;
    const hot = runLoop(true, 1000, start, ...args);
    expect(hot).toEqual(runLoop(false, 1000, start, ...args));
    expect(hot.exit.physicalAddress).toBe(BigInt(RAM_SIZE));
    // The store in the middle block faults first: accounting from a block other than the entry.
    const storeFault = [1_000_000, LOOP_BLOCKS, true, RAM_SIZE - 16 * 300] as const;
    const st = runLoop(true, 5000, 0x20000, ...storeFault);
    expect(st).toEqual(runLoop(false, 5000, 0x20000, ...storeFault));
    expect(st.pc).toBe(CODE + 16);
  });
});
