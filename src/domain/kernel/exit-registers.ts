/**
 * The guest's registers at a vCPU exit, moved in one batch each way: the
 * run loop reads them all once when run() returns (VcpuPort.readSnapshot)
 * and writes back only the groups that changed, once, before the vCPU runs
 * again (writeSnapshot). On Hypervisor.framework every register access is a
 * call that must happen on the vCPU's own thread; the syscall and signal
 * code reads and writes this copy instead, through the UserContext views
 * below (the guest stopped in the shim, or interrupted at EL0).
 */
import { Snap, SnapGroup, newSnapshot, type VcpuPort, type VcpuSnapshot } from '../../ports/vcpu.js';
import type { UserContext } from './task.js';

export class ExitRegisters {
  readonly snap: VcpuSnapshot = newSnapshot();
  private dirty = 0;
  private readonly shimCtx: UserContext;
  private readonly el0Ctx: UserContext;

  constructor(private readonly vcpu: VcpuPort) {
    this.shimCtx = this.view(Snap.ELR_EL1, Snap.SPSR_EL1, SnapGroup.ELR_SPSR);
    this.el0Ctx = this.view(Snap.PC, Snap.CPSR, SnapGroup.PC_CPSR);
  }

  /** Read every register of the snapshot from the vCPU (after run() returns). */
  load(): void {
    this.vcpu.readSnapshot(this.snap);
    this.dirty = 0;
  }

  /** Write back what changed since load() (before the vCPU runs again, or before a debugger looks). */
  commit(): void {
    if (this.dirty === 0) return;
    this.vcpu.writeSnapshot(this.snap, this.dirty);
    this.dirty = 0;
  }

  get(i: number): bigint {
    return this.snap.regs[i]!;
  }

  /** Set register `i` (a Snap index or X0..X30), marking its group for write-back. */
  set(i: number, v: bigint): void {
    this.snap.regs[i] = BigInt.asUintN(64, v);
    this.dirty |= i <= 30 ? SnapGroup.GPRS : groupOf(i);
  }

  /** The guest's registers as the signal and syscall code sees them: in the shim (after an HVC) or at EL0. */
  context(where: 'shim' | 'el0'): UserContext {
    return where === 'shim' ? this.shimCtx : this.el0Ctx;
  }

  private view(pcIdx: number, psIdx: number, group: number): UserContext {
    const r = this.snap.regs;
    const v = this.snap.v;
    const mark = (g: number): void => {
      this.dirty |= g;
    };
    return {
      getX: (n) => r[n]!,
      setX: (n, x) => {
        r[n] = BigInt.asUintN(64, x);
        mark(SnapGroup.GPRS);
      },
      get sp() {
        return r[Snap.SP_EL0]!;
      },
      set sp(x) {
        r[Snap.SP_EL0] = BigInt.asUintN(64, x);
        mark(SnapGroup.SP_EL0);
      },
      get pc() {
        return r[pcIdx]!;
      },
      set pc(x) {
        r[pcIdx] = BigInt.asUintN(64, x);
        mark(group);
      },
      get pstate() {
        return r[psIdx]!;
      },
      set pstate(x) {
        r[psIdx] = BigInt.asUintN(64, x);
        mark(group);
      },
      get fpsr() {
        return r[Snap.FPSR]!;
      },
      set fpsr(x) {
        r[Snap.FPSR] = BigInt.asUintN(64, x);
        mark(SnapGroup.FP);
      },
      get fpcr() {
        return r[Snap.FPCR]!;
      },
      set fpcr(x) {
        r[Snap.FPCR] = BigInt.asUintN(64, x);
        mark(SnapGroup.FP);
      },
      getV: (n) => v.slice(16 * n, 16 * n + 16),
      setV: (n, bytes) => {
        v.set(bytes.subarray(0, 16), 16 * n);
        mark(SnapGroup.FP);
      },
    };
  }
}

function groupOf(i: number): number {
  switch (i) {
    case Snap.PC:
    case Snap.CPSR:
      return SnapGroup.PC_CPSR;
    case Snap.SP_EL0:
      return SnapGroup.SP_EL0;
    case Snap.ELR_EL1:
    case Snap.SPSR_EL1:
      return SnapGroup.ELR_SPSR;
    case Snap.FPCR:
    case Snap.FPSR:
      return SnapGroup.FP;
    default:
      // ESR and FAR are read-only here: the guest's exception syndrome is the host's input.
      throw new RangeError(`snapshot register ${i} is not written back`);
  }
}
