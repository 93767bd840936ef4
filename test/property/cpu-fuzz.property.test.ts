/**
 * Property: arbitrary guest code at EL0 cannot hurt the host or escape EL0.
 * Pages of random instruction words (half drawn from the A64 table's own
 * encodings, so they are mostly valid, half uniformly random) run on the
 * interpreter through the real shim and page tables. Whatever they do:
 * - the vCPU only ever leaves run() with CANCELED or the shim's HVC #1
 *   (an EL0 exception), never with a JavaScript error or an EL1 fault;
 * - every EL0 exception has a class EL0 code can cause, taken from EL0t;
 * - the shim's code, its boot block and the page tables are unchanged.
 * The host side plays a minimal kernel: SVC returns -ENOSYS, other traps
 * skip the instruction, and a fetch fault ends the run.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encode, AsmError } from '../../src/domain/a64/assembler.js';
import { a64 } from '../../src/domain/a64/decoder.js';
import { HVC, SHIM_CODE } from '../../src/domain/boot/shim.js';
import { EC, ExitReason, SysReg, type VcpuExit } from '../../src/ports/vcpu.js';
import type { InterpVcpu } from '../../src/adapters/interp/vcpu.js';
import { boot } from '../support/el0-machine.js';

const EL0_CLASSES = new Set<number>([
  EC.UNKNOWN, EC.SVC64, EC.SYS64, EC.INSN_ABORT_LOWER, EC.PC_ALIGN, EC.DATA_ABORT_LOWER, EC.SP_ALIGN, EC.BRK64,
]);

const entries = a64().entries;

/** One instruction word: a table encoding with random fields, or any 32-bit value. */
const word: fc.Arbitrary<number> = fc.oneof(
  fc.integer({ min: 0, max: 0xffffffff }),
  fc.tuple(fc.nat({ max: entries.length - 1 }), fc.array(fc.nat(), { minLength: 8, maxLength: 8 })).map(([i, rnd]) => {
    const e = entries[i]!;
    const fields: Record<string, number> = {};
    e.pattern.fields.forEach((f, k) => {
      const v = rnd[k % rnd.length]! % 2 ** f.len;
      fields[f.name] = f.signed && v >= 2 ** (f.len - 1) ? v - 2 ** f.len : v;
    });
    try {
      return encode(e.def.name, fields);
    } catch (err) {
      if (err instanceof AsmError) return 0xd503201f; // reserved operands: a NOP instead
      throw err;
    }
  }),
);

function checksum(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

describe('EL0 code cannot escape', () => {
  it('random EL0 code only raises EL0 exceptions and leaves EL1 memory alone', () => {
    const seen = new Set<number>();
    let retired = 0;
    fc.assert(
      fc.property(fc.array(word, { minLength: 16, maxLength: 200 }), (words) => {
        const code = new Uint8Array(4096);
        const dv = new DataView(code.buffer);
        words.forEach((w, i) => dv.setUint32(i * 4, w, true));
        const m = boot(code);
        try {
          (m.vcpu as InterpVcpu).cpu.slice = 5000;
          const ttbr = Number(m.as.pageTable.root);
          // The shim's code page and its data page (boot block, mailbox), and the level-0 table.
          const before = [m.phys.view(SHIM_CODE, 0x2000), m.phys.view(ttbr, 4096)].map(checksum);
          let exceptions = 0;
          for (let slice = 0; slice < 40 && exceptions < 300; slice++) {
            const e = m.vcpu.run() as VcpuExit;
            if (e.reason === ExitReason.CANCELED) continue;
            expect(e.reason).toBe(ExitReason.EXCEPTION);
            if (e.syndrome >>> 26 === EC.WFX) {
              // WFI/WFE exit to the host with the PC at the instruction, as on HVF; the host completes them.
              const cpu = (m.vcpu as InterpVcpu).cpu;
              cpu.pc += 4;
              continue;
            }
            expect(e.syndrome >>> 26).toBe(EC.HVC64);
            expect(e.syndrome & 0xffff).toBe(HVC.EL0_SYNC);
            exceptions++;
            const esr = Number(m.vcpu.getSysReg(SysReg.ESR_EL1));
            expect(EL0_CLASSES.has(esr >>> 26), `EC 0x${(esr >>> 26).toString(16)}`).toBe(true);
            expect(Number(m.vcpu.getSysReg(SysReg.SPSR_EL1)) & 0xf).toBe(0); // taken from EL0t
            const ec = esr >>> 26;
            seen.add(ec);
            if (ec === EC.INSN_ABORT_LOWER || ec === EC.PC_ALIGN) break;
            if (ec === EC.SVC64) m.vcpu.setReg(0, BigInt.asUintN(64, -38n));
            else m.vcpu.setSysReg(SysReg.ELR_EL1, m.vcpu.getSysReg(SysReg.ELR_EL1) + 4n);
          }
          retired += (m.vcpu as InterpVcpu).cpu.retired;
          const after = [m.phys.view(SHIM_CODE, 0x2000), m.phys.view(ttbr, 4096)].map(checksum);
          expect(after).toEqual(before);
          return true;
        } finally {
          m.backend.destroy();
        }
      }),
      { numRuns: 150, seed: 0xe10 },
    );
    // The sample really exercised the machine: these are the common outcomes of random code.
    for (const ec of [EC.UNKNOWN, EC.SVC64, EC.DATA_ABORT_LOWER, EC.BRK64]) expect(seen.has(ec), `EC 0x${ec.toString(16)} never seen`).toBe(true);
    expect(retired).toBeGreaterThan(20_000);
  });
});
