/**
 * The interpreter's debug exceptions, as HVF traps them to the host with
 * hv_vcpu_set_trap_debug_exceptions: breakpoints (EC 0x30) stop before the
 * instruction, watchpoints (EC 0x34) stop before the access with the data
 * address, software step (EC 0x32) follows the ARM ARM's PSTATE.SS state
 * machine through exception entry and ERET. Every case runs on the closure
 * tier and with every block translated before its first run, since stops
 * must be exact on both.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Asm } from '../../src/domain/a64/assembler.js';
import { DBGBCR, DBGBVR, DBGCR, DBGWCR, DBGWVR, EC, MDSCR_MDE, MDSCR_SS, PSTATE_SS, Reg, SysReg, type VcpuExit, type VcpuPort } from '../../src/ports/vcpu.js';
import { InterpVcpu } from '../../src/adapters/interp/vcpu.js';
import { boot, USER_CODE, USER_DATA } from '../support/el0-machine.js';

/**
 *   0 movz x2, #0x50, lsl #16      x2 = USER_DATA
 *   4 movz x0, #0
 *   8 loop: add x0, x0, #1
 *  12 str x0, [x2, #8]
 *  16 cmp x0, #5
 *  20 b.ne loop
 *  24 svc #0
 *  28 movz x1, #7
 *  32 svc #0
 */
function program(a: Asm): void {
  a.emit('MOVZ', { sf: 1, hw: 1, imm16: USER_DATA >>> 16, rd: 2 });
  a.emit('MOVZ', { sf: 1, hw: 0, imm16: 0, rd: 0 });
  a.label('loop');
  a.emit('ADD_imm', { sf: 1, sh: 0, imm12: 1, rn: 0, rd: 0 });
  a.emit('STR_uimm', { size: 3, imm12: 1, rn: 2, rt: 0 });
  a.emit('SUBS_imm', { sf: 1, sh: 0, imm12: 5, rn: 0, rd: 31 });
  a.emitTo('loop', (off) => ['B_cond', { imm19: off / 4, cond: 1 }]);
  a.emit('SVC', { imm16: 0 });
  a.emit('MOVZ', { sf: 1, hw: 0, imm16: 7, rd: 1 });
  a.emit('SVC', { imm16: 0 });
}

let machines: ReturnType<typeof boot>[] = [];
afterEach(() => {
  for (const m of machines) m.backend.destroy();
  machines = [];
});

function start(jitThreshold: number) {
  const m = boot(program);
  machines.push(m);
  (m.vcpu as InterpVcpu).cpu.jitThreshold = jitThreshold;
  m.vcpu.setTrapDebugExceptions(true);
  return m;
}

const ec = (e: VcpuExit): number => e.syndrome >>> 26;
const el = (v: VcpuPort): number => Number((v.getReg(Reg.CPSR) >> 2n) & 3n);
const stored = (m: ReturnType<typeof boot>): number => m.phys.view(m.as.frameAt(USER_DATA)! + 8, 1)[0]!;

function setBreakpoint(v: VcpuPort, n: number, va: number | null): void {
  v.setSysReg(DBGBVR(n), BigInt(va ?? 0));
  v.setSysReg(DBGBCR(n), va === null ? 0n : BigInt(DBGCR.E | DBGCR.EL0_ONLY | DBGCR.BAS_A64));
}

/** Run until an exit other than the end of a time slice. */
function runExit(v: VcpuPort): VcpuExit {
  for (;;) {
    const e = v.run() as VcpuExit;
    if (e.reason !== 0) return e;
  }
}

describe.each([
  ['closures', Infinity],
  ['translated blocks', 0],
])('debug exceptions on %s', (_tier, threshold) => {
  it('a breakpoint stops before its instruction at every iteration, and nowhere at EL1', () => {
    const m = start(threshold);
    const v = m.vcpu;
    v.setSysReg(SysReg.MDSCR_EL1, MDSCR_MDE);
    setBreakpoint(v, 3, USER_CODE + 12);
    for (let i = 1; i <= 5; i++) {
      const e = runExit(v);
      expect(ec(e)).toBe(EC.BREAKPOINT_LOWER);
      expect(v.getReg(Reg.PC)).toBe(BigInt(USER_CODE + 12));
      expect(el(v)).toBe(0);
      expect(v.getReg(0)).toBe(BigInt(i));
      // The store has not run yet: memory holds the previous iteration's value.
      expect(stored(m)).toBe(i - 1);
      // Step over it as a debugger does: disarm, step one instruction, rearm.
      setBreakpoint(v, 3, null);
      v.setSysReg(SysReg.MDSCR_EL1, MDSCR_MDE | MDSCR_SS);
      v.setReg(Reg.CPSR, v.getReg(Reg.CPSR) | PSTATE_SS);
      const s = runExit(v);
      expect(ec(s)).toBe(EC.SOFTWARE_STEP_LOWER);
      expect(v.getReg(Reg.PC)).toBe(BigInt(USER_CODE + 16));
      expect(stored(m)).toBe(i);
      v.setSysReg(SysReg.MDSCR_EL1, MDSCR_MDE);
      setBreakpoint(v, 3, USER_CODE + 12);
    }
    // After the loop the program makes its syscall: the shim's HVC, not a debug exit.
    const e = runExit(v);
    expect(ec(e)).toBe(EC.HVC64);
  });

  it('without the trap or without MDSCR_EL1.MDE the debug registers do nothing', () => {
    const m = start(threshold);
    const v = m.vcpu;
    setBreakpoint(v, 0, USER_CODE + 12);
    expect(ec(runExit(v))).toBe(EC.HVC64);
    const n = start2(threshold, (w) => {
      w.setSysReg(SysReg.MDSCR_EL1, MDSCR_MDE);
      setBreakpoint(w, 0, USER_CODE + 12);
      w.setTrapDebugExceptions(false);
    });
    expect(ec(runExit(n.vcpu))).toBe(EC.HVC64);
  });

  it('a store watchpoint stops at the store, before it writes, with the data address', () => {
    const m = start(threshold);
    const v = m.vcpu;
    v.setSysReg(SysReg.MDSCR_EL1, MDSCR_MDE);
    // Watch the four bytes at USER_DATA + 12 (BAS 0xf0 of the doubleword at +8): the 8-byte store overlaps them.
    v.setSysReg(DBGWVR(5), BigInt(USER_DATA + 8));
    v.setSysReg(DBGWCR(5), BigInt(DBGCR.E | DBGCR.EL0_ONLY | DBGCR.LSC_STORE | (0xf0 << DBGCR.BAS_SHIFT)));
    const e = runExit(v);
    expect(ec(e)).toBe(EC.WATCHPOINT_LOWER);
    expect(e.syndrome & (1 << 6)).not.toBe(0); // WnR
    expect(e.virtualAddress).toBe(BigInt(USER_DATA + 8));
    expect(v.getReg(Reg.PC)).toBe(BigInt(USER_CODE + 12));
    expect(v.getReg(0)).toBe(1n);
    expect(stored(m)).toBe(0);
  });

  it('a load watchpoint ignores stores; an access watchpoint sees them', () => {
    const m = start(threshold);
    const v = m.vcpu;
    v.setSysReg(SysReg.MDSCR_EL1, MDSCR_MDE);
    v.setSysReg(DBGWVR(0), BigInt(USER_DATA + 8));
    v.setSysReg(DBGWCR(0), BigInt(DBGCR.E | DBGCR.EL0_ONLY | DBGCR.LSC_LOAD | (0xff << DBGCR.BAS_SHIFT)));
    expect(ec(runExit(v))).toBe(EC.HVC64);
    expect(stored(m)).toBe(5);
    const n = start2(threshold, (w) => {
      w.setSysReg(SysReg.MDSCR_EL1, MDSCR_MDE);
      w.setSysReg(DBGWVR(0), BigInt(USER_DATA + 8));
      w.setSysReg(DBGWCR(0), BigInt(DBGCR.E | DBGCR.EL0_ONLY | DBGCR.LSC_LOAD | DBGCR.LSC_STORE | (1 << DBGCR.BAS_SHIFT)));
    });
    expect(ec(runExit(n.vcpu))).toBe(EC.WATCHPOINT_LOWER);
  });

  it('software step retires one EL0 instruction per exit, and steps through an SVC into the shim and back', () => {
    const m = start(threshold);
    const v = m.vcpu;
    // Run to the first SVC with a breakpoint, then step from there.
    v.setSysReg(SysReg.MDSCR_EL1, MDSCR_MDE);
    setBreakpoint(v, 0, USER_CODE + 24);
    expect(ec(runExit(v))).toBe(EC.BREAKPOINT_LOWER);
    setBreakpoint(v, 0, null);
    v.setSysReg(SysReg.MDSCR_EL1, MDSCR_SS);
    const seen: string[] = [];
    for (let i = 0; i < 100; i++) {
      v.setReg(Reg.CPSR, v.getReg(Reg.CPSR) | PSTATE_SS);
      const e = runExit(v);
      if (ec(e) === EC.HVC64) {
        seen.push('hvc');
        continue;
      }
      expect(ec(e)).toBe(EC.SOFTWARE_STEP_LOWER);
      if (el(v) === 0) {
        seen.push(`el0 ${Number(v.getReg(Reg.PC)) - USER_CODE}`);
        break;
      } else if (seen.at(-1) !== 'el1') {
        seen.push('el1');
      }
    }
    // The SVC enters the shim (steps at EL1), the shim's HVC exits, the ERET returns with
    // SPSR.SS = 0 (the SVC completed), so the next step exit is before the instruction after the SVC.
    expect(seen).toEqual(['el1', 'hvc', 'el1', 'el0 28']);
  });
});

/** A second machine after the first is destroyed (one VM per process). */
function start2(threshold: number, setup: (v: VcpuPort) => void) {
  for (const m of machines) m.backend.destroy();
  machines = [];
  const m = start(threshold);
  setup(m.vcpu);
  return m;
}
