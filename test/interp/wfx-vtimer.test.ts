/**
 * The interpreter vCPU's exits for WFI/WFE and the virtual timer, as
 * Hypervisor.framework reports them: WFI, and WFE without a pending event,
 * leave run() with EC 0x01 (ISS TI: 0 WFI, 1 WFE) and the PC at the
 * instruction (HVF traps them with HCR_EL2.TWI/TWE; the host completes them);
 * SEV, SEVL and an exception return set the event register a WFE consumes.
 * An enabled, unmasked virtual timer whose compare value has passed leaves
 * run() with VTIMER_ACTIVATED, after which the vtimer stays masked until
 * hv_vcpu_set_vtimer_mask(false) (VcpuPort.setVtimerMask).
 */
import { describe, expect, it } from 'vitest';
import { encode } from '../../src/domain/a64/assembler.js';
import { CNTV_CTL, EC, ExitReason, SysReg } from '../../src/ports/vcpu.js';
import { CODE, machine, type Machine } from './harness.js';

const HINT = (imm7: number): number => encode('HINT', { imm7 });
const WFE = HINT(2);
const WFI = HINT(3);
const SEV = HINT(4);
const SEVL = HINT(5);
const NOP = HINT(0);
const HVC0 = encode('HVC', { imm16: 0 });

function load(m: Machine, words: number[]): void {
  const dv = new DataView(m.ram.buffer, m.ram.byteOffset);
  words.forEach((w, i) => dv.setUint32(CODE + i * 4, w, true));
  m.cpu.pc = CODE;
}

for (const jit of [Infinity, 0]) {
  describe(`WFI/WFE exits (${jit === 0 ? 'translated' : 'closures'})`, () => {
    const start = (words: number[]): Machine => {
      const m = machine();
      m.cpu.jitThreshold = jit;
      load(m, words);
      return m;
    };

    it('WFI exits with EC 0x01, TI = 0, the PC at the WFI, and the instructions before it retired', () => {
      const m = start([NOP, NOP, WFI, HVC0]);
      const e = m.cpu.run();
      expect(e.reason).toBe(ExitReason.EXCEPTION);
      expect(e.syndrome >>> 26).toBe(EC.WFX);
      expect(e.syndrome & 1).toBe(0);
      expect(m.cpu.pc).toBe(CODE + 8);
      expect(m.cpu.retired).toBe(2);
      // The host completes it: past the WFI, the run goes on to the HVC.
      m.cpu.pc += 4;
      expect(m.cpu.run().syndrome >>> 26).toBe(EC.HVC64);
    });

    it('WFE without an event exits with TI = 1; SEVL, SEV and ERET set the event a WFE then consumes', () => {
      const m = start([WFE, HVC0]);
      const e = m.cpu.run();
      expect([e.syndrome >>> 26, e.syndrome & 1, m.cpu.pc]).toEqual([EC.WFX, 1, CODE]);
      for (const ev of [SEVL, SEV]) {
        const n = start([ev, WFE, WFE, HVC0]);
        const first = n.cpu.run();
        expect([first.syndrome >>> 26, n.cpu.pc], 'the second WFE finds no event').toEqual([EC.WFX, CODE + 8]);
      }
      // ERET to the WFE: the exception return is an event.
      const r = start([encode('ERET', {}), WFE, HVC0]);
      r.cpu.setSysReg(SysReg.ELR_EL1, BigInt(CODE + 4));
      r.cpu.setSysReg(SysReg.SPSR_EL1, 0x3c5n);
      expect(r.cpu.run().syndrome >>> 26).toBe(EC.HVC64);
    });
  });
}

describe('the virtual timer', () => {
  it('an enabled timer past its compare value exits with VTIMER_ACTIVATED once, until unmasked', () => {
    const m = machine();
    load(m, [encode('B', { imm26: 0 })]); // spin forever
    m.cpu.slice = 100_000;
    m.cpu.setSysReg(SysReg.CNTV_CVAL_EL0, 0n);
    m.cpu.setSysReg(SysReg.CNTV_CTL_EL0, CNTV_CTL.ENABLE);
    expect(m.cpu.getSysReg(SysReg.CNTV_CTL_EL0)).toBe(CNTV_CTL.ENABLE | CNTV_CTL.ISTATUS);
    expect(m.cpu.run().reason).toBe(ExitReason.VTIMER_ACTIVATED);
    // Masked by the framework: the slice ends normally.
    expect(m.cpu.run().reason).toBe(ExitReason.CANCELED);
    m.cpu.setVtimerMask(false);
    expect(m.cpu.run().reason).toBe(ExitReason.VTIMER_ACTIVATED);
  });

  it('does not fire while disabled, masked by IMASK, or before its compare value', () => {
    const m = machine();
    load(m, [encode('B', { imm26: 0 })]);
    m.cpu.slice = 100_000;
    m.cpu.setSysReg(SysReg.CNTV_CVAL_EL0, 0n);
    expect(m.cpu.run().reason).toBe(ExitReason.CANCELED);
    m.cpu.setSysReg(SysReg.CNTV_CTL_EL0, CNTV_CTL.ENABLE | CNTV_CTL.IMASK);
    expect(m.cpu.run().reason).toBe(ExitReason.CANCELED);
    m.cpu.setSysReg(SysReg.CNTV_CVAL_EL0, m.cpu.counter() + 24_000_000n * 3600n);
    m.cpu.setSysReg(SysReg.CNTV_CTL_EL0, CNTV_CTL.ENABLE);
    expect(m.cpu.run().reason).toBe(ExitReason.CANCELED);
    expect(m.cpu.getSysReg(SysReg.CNTV_CTL_EL0)).toBe(CNTV_CTL.ENABLE);
  });
});
