/**
 * The interpreter's self-hosted debug unit: what MDSCR_EL1, the breakpoint
 * (DBGBVR/DBGBCR) and watchpoint (DBGWVR/DBGWCR) registers and
 * hv_vcpu_set_trap_debug_exceptions arm, decoded into the lists the CPU
 * checks. Debug exceptions exist only while they are trapped to the host:
 * elfuse's EL1 shim has no debug vectors, and on HVF the trap is what routes
 * them out of the VM, as MDCR_EL2.TDE does. With the trap the debug target
 * is EL2, so matching by EL is what PMC/PAC select, never PSTATE.D.
 *
 * Supported, as the ARM ARM defines them: unlinked address-match
 * breakpoints (BT = 0) on A64 instructions, and watchpoints by BAS byte
 * select within a doubleword or by MASK (2^MASK aligned bytes). Context
 * matching, linking and security-state control are not modelled.
 */
import { DBGBCR, DBGBVR, DBGWCR, DBGWVR, MDSCR_MDE, MDSCR_SS, SysReg } from '../../ports/vcpu.js';

/** Breakpoint and watchpoint register pairs, the architecture's maximum (ID_AA64DFR0 BRPs/WRPs = 15). */
export const DEBUG_SLOTS = 16;

export interface Watchpoint {
  /** Watched bytes [lo, hi). */
  lo: number;
  hi: number;
  load: boolean;
  store: boolean;
  /** PAC: the ELs whose accesses match (bit 0 EL1, bit 1 EL0). */
  els: number;
}

const PAGE_SIZE = 4096;

/** Bits 1..2 of DBGxCR (PMC/PAC) as a mask of ELs: 0b01 EL1, 0b10 EL0, 0b11 both. */
function elMask(ctrl: number): number {
  return (ctrl >>> 1) & 3;
}

function elBit(el: number): number {
  return el === 0 ? 2 : 1;
}

export class DebugUnit {
  /** ID_AA64DFR0_EL1: DebugVer 6 (Armv8.0), 16 breakpoints, 16 watchpoints, 1 context comparator. */
  static readonly DFR0 = 0x6n | (15n << 12n) | (15n << 20n);

  static isDebugReg(id: number): boolean {
    // op0 = 2, op1 = 0, CRn = 0: MDSCR_EL1 and DBG{B,W}{V,C}R<n>_EL1.
    return id === SysReg.MDSCR_EL1 || (id >>> 7 === 0x100 && (id & 7) >= 4);
  }

  /** hv_vcpu_set_trap_debug_exceptions. */
  trap = false;
  /** Software step is active (MDSCR_EL1.SS with the trap on). */
  stepping = false;
  /** Enabled breakpoint addresses and the ELs each matches, in parallel arrays. */
  bpAddr: number[] = [];
  bpEls: number[] = [];
  watch: Watchpoint[] = [];
  /** Pages holding watched bytes: bit 0 watched for loads, bit 1 for stores. */
  readonly watchPages = new Map<number, number>();

  get anyBreakpoint(): boolean {
    return this.bpAddr.length !== 0;
  }

  get anyWatchpoint(): boolean {
    return this.watch.length !== 0;
  }

  /** Decode the debug registers (read through `sys`). */
  configure(sys: (id: number) => bigint): void {
    const mdscr = sys(SysReg.MDSCR_EL1);
    this.stepping = this.trap && (mdscr & MDSCR_SS) !== 0n;
    const monitor = this.trap && (mdscr & MDSCR_MDE) !== 0n;
    this.bpAddr = [];
    this.bpEls = [];
    this.watch = [];
    this.watchPages.clear();
    if (!monitor) return;
    for (let n = 0; n < DEBUG_SLOTS; n++) {
      const bcr = Number(sys(DBGBCR(n)) & 0xffffffffn);
      // E, and BT = 0b0000 (unlinked address match); BAS must select the whole A64 instruction.
      if ((bcr & 1) !== 0 && ((bcr >>> 20) & 0xf) === 0 && elMask(bcr) !== 0) {
        this.bpAddr.push(Number(sys(DBGBVR(n)) & 0xfffffffffffcn));
        this.bpEls.push(elMask(bcr));
      }
      const wcr = Number(sys(DBGWCR(n)) & 0xffffffffn);
      const lsc = (wcr >>> 3) & 3;
      if ((wcr & 1) === 0 || lsc === 0 || elMask(wcr) === 0) continue;
      const wvr = Number(sys(DBGWVR(n)) & 0xfffffffffff8n);
      const mask = (wcr >>> 24) & 0x1f;
      let lo: number;
      let hi: number;
      if (mask >= 3) {
        lo = wvr - (wvr % 2 ** mask);
        hi = lo + 2 ** mask;
      } else {
        const bas = (wcr >>> 5) & 0xff;
        if (bas === 0) continue;
        lo = wvr + (31 - Math.clz32(bas & -bas));
        hi = wvr + (32 - Math.clz32(bas));
      }
      const wp: Watchpoint = { lo, hi, load: (lsc & 1) !== 0, store: (lsc & 2) !== 0, els: elMask(wcr) };
      this.watch.push(wp);
      const kinds = (wp.load ? 1 : 0) | (wp.store ? 2 : 0);
      for (let p = Math.floor(lo / PAGE_SIZE); p <= Math.floor((hi - 1) / PAGE_SIZE); p++) {
        this.watchPages.set(p, (this.watchPages.get(p) ?? 0) | kinds);
      }
    }
  }

  /** Whether a breakpoint matches an instruction at `va` executed at `el`. */
  breakpointAt(va: number, el: number): boolean {
    const bit = elBit(el);
    for (let i = 0; i < this.bpAddr.length; i++) if (this.bpAddr[i] === va && (this.bpEls[i]! & bit) !== 0) return true;
    return false;
  }

  /** Whether some breakpoint has address `va`, at any EL (where blocks must be split). */
  breakpointAddress(va: number): boolean {
    return this.bpAddr.includes(va);
  }

  /** Whether an access of `size` bytes at `va` at `el` hits a watchpoint. */
  watchHit(va: number, size: number, store: boolean, el: number): boolean {
    const bit = elBit(el);
    for (const wp of this.watch) {
      if ((wp.els & bit) === 0 || !(store ? wp.store : wp.load)) continue;
      if (va < wp.hi && va + size > wp.lo) return true;
    }
    return false;
  }
}
