/**
 * The block translator on loops: a block that branches back to its own start
 * iterates inside one translated function while the budget lasts. These
 * cases pin down what that must preserve against the closures-only CPU:
 * the result, the retired-instruction count, the time-slice boundary, and
 * the precise state when an access faults in a later iteration.
 */
import { describe, expect, it } from 'vitest';
import { encode } from '../../src/domain/a64/assembler.js';
import { ExitReason, SysReg } from '../../src/ports/vcpu.js';
import { CODE, machine, RAM_SIZE } from './harness.js';

/** loop: ldr x1, [x2], #8; add x3, x3, x1; subs x0, x0, #1; b.ne loop; hvc #0 */
const LOOP = [
  encode('LDR_post', { size: 3, imm9: 8, rn: 2, rt: 1 }),
  encode('ADD_shift', { sf: 1, shift: 0, rm: 1, imm6: 0, rn: 3, rd: 3 }),
  encode('SUBS_imm', { sf: 1, sh: 0, imm12: 1, rn: 0, rd: 0 }),
  encode('B_cond', { imm19: -3, cond: 1 }),
  encode('HVC', { imm16: 0 }),
];

function run(threshold: number, iterations: number, base: number, slice = 1_000_000) {
  const m = machine();
  m.cpu.jitThreshold = threshold;
  m.cpu.slice = slice;
  const dv = new DataView(m.ram.buffer, m.ram.byteOffset);
  LOOP.forEach((w, i) => dv.setUint32(CODE + 4 * i, w, true));
  for (let a = 0x20000; a < RAM_SIZE; a += 8) dv.setUint32(a, a >>> 3, true);
  m.cpu.setX(0, BigInt(iterations));
  m.cpu.setX(2, BigInt(base));
  m.cpu.pc = CODE;
  const exit = m.cpu.run();
  return { exit, x0: m.cpu.getX(0), x2: m.cpu.getX(2), x3: m.cpu.getX(3), pc: m.cpu.pc, retired: m.cpu.retired, elr: m.cpu.getSysReg(SysReg.ELR_EL1) };
}

describe('translated self-loops', () => {
  it('compute the same sum and retire the same count as closures', () => {
    const cold = run(Infinity, 5000, 0x20000);
    const hot = run(0, 5000, 0x20000);
    expect(hot.exit.reason).toBe(ExitReason.EXCEPTION);
    expect(hot).toEqual(cold);
    expect(hot.retired).toBe(4 * 5000 + 1);
    // Sum of (a >>> 3) over the 5000 words read.
    const first = 0x20000 >>> 3;
    expect(hot.x3).toBe(BigInt(5000 * first + (5000 * 4999) / 2));
  });

  it('stop at the end of the time slice with the same state', () => {
    const cold = run(Infinity, 100_000, 0x20000, 10_001);
    const hot = run(0, 100_000, 0x20000, 10_001);
    expect(cold.exit.reason).toBe(ExitReason.CANCELED);
    expect(hot).toEqual(cold);
  });

  it('fault in a later iteration with precise registers and count', () => {
    // The walk runs off the end of RAM: a stage-2 fault exits at the LDR.
    const start = RAM_SIZE - 8 * 100;
    const cold = run(Infinity, 1000, start);
    const hot = run(0, 1000, start);
    expect(cold.exit.reason).toBe(ExitReason.EXCEPTION);
    expect(cold.exit.physicalAddress).toBe(BigInt(RAM_SIZE));
    expect(hot).toEqual(cold);
    expect(hot.x0).toBe(900n);
    expect(hot.pc).toBe(CODE);
  });
});
