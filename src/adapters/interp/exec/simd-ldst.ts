/**
 * Semantics of the Advanced SIMD structure loads and stores: LD1-LD4/ST1-ST4
 * (multiple structures and single lanes), LD1R-LD4R, each with the
 * post-index forms (immediate = transfer size when Rm is 31, else Xm).
 *
 * Precise exceptions: loads read everything into scratch before touching a
 * register; stores probe the whole range before writing a byte. The base
 * register is written back last.
 */
import { LDST_MULTI, singleLayout } from '../../../domain/a64/table/simd.js';
import type { Fields } from '../../../domain/a64/pattern.js';
import { type Cpu, type Exec } from '../cpu.js';
import { SP_SLOT, TWO32 } from '../regs.js';
import { clearHigh, sb, ss } from './simd-lanes.js';
import type { ExecTable } from './types.js';


/** Read one element of 1<<size bytes at va into scratch byte offset `off`. */
function loadElem(cpu: Cpu, va: number, size: number, off: number): void {
  if (size === 0) {
    sb[off] = cpu.read8(va);
    return;
  }
  if (size === 1) {
    const v = cpu.read16(va);
    sb[off] = v;
    sb[off + 1] = v >>> 8;
    return;
  }
  const lo = size === 2 ? cpu.read32(va) : cpu.read64(va);
  sb[off] = lo;
  sb[off + 1] = lo >>> 8;
  sb[off + 2] = lo >>> 16;
  sb[off + 3] = lo >>> 24;
  if (size === 2) return;
  const hi = cpu.hi;
  sb[off + 4] = hi;
  sb[off + 5] = hi >>> 8;
  sb[off + 6] = hi >>> 16;
  sb[off + 7] = hi >>> 24;
}

/** Write one element of 1<<size bytes from Vt byte offset `src` to va. */
function storeElem(cpu: Cpu, va: number, size: number, t: number, src: number): void {
  const vb = cpu.vb;
  const o = 16 * t + src;
  if (size === 0) return cpu.write8(va, vb[o]!);
  if (size === 1) return cpu.write16(va, vb[o]! | (vb[o + 1]! << 8));
  const lo = (vb[o]! | (vb[o + 1]! << 8) | (vb[o + 2]! << 16) | (vb[o + 3]! << 24)) >>> 0;
  if (size === 2) return cpu.write32(va, lo);
  const hi = (vb[o + 4]! | (vb[o + 5]! << 8) | (vb[o + 6]! << 16) | (vb[o + 7]! << 24)) >>> 0;
  cpu.write64(va, lo, hi);
}

/** Post-index writeback: Xn += imm or Xn += Xm, in exact 64-bit arithmetic. */
function writeback(f: Fields, bytes: number): ((cpu: Cpu, n: number) => void) | null {
  if (f.rm === undefined) return null;
  if (f.rm === 31) {
    return (cpu, n) => {
      const lo = cpu.x[2 * n]! + bytes;
      cpu.x[2 * n] = lo;
      if (lo >= TWO32) cpu.x[2 * n + 1] = cpu.x[2 * n + 1]! + 1;
    };
  }
  const m = f.rm;
  return (cpu, n) => {
    const lo = cpu.x[2 * n]! + cpu.x[2 * m]!;
    cpu.x[2 * n] = lo;
    cpu.x[2 * n + 1] = cpu.x[2 * n + 1]! + cpu.x[2 * m + 1]! + (lo >= TWO32 ? 1 : 0);
  };
}

/** LD1-LD4 / ST1-ST4, multiple structures. */
function multi(f: Fields): Exec {
  const [regs, selem] = LDST_MULTI[f.opcode!]!;
  const q = f.q!;
  const t = f.rt!;
  const n = f.rn === 31 ? SP_SLOT : f.rn!;
  const size = f.size!;
  const regBytes = q ? 16 : 8;
  const total = regs * regBytes;
  const wb = writeback(f, total);
  const load = f.l === 1;
  const elems = regBytes >> size;
  const esz = 1 << size;
  if (selem === 1 && load) {
    // LD1: registers are consecutive memory; byte order equals lane order.
    return (cpu) => {
      const va = cpu.xAddr(n);
      for (let k = 0; k < total; k += 8) {
        ss[k >> 2] = cpu.read64(va + k);
        ss[(k >> 2) + 1] = cpu.hi;
      }
      const vs = cpu.vs;
      for (let r = 0; r < regs; r++) {
        const tt = (t + r) & 31;
        const w = (r * regBytes) >> 2;
        vs[4 * tt] = ss[w]!;
        vs[4 * tt + 1] = ss[w + 1]!;
        if (q) {
          vs[4 * tt + 2] = ss[w + 2]!;
          vs[4 * tt + 3] = ss[w + 3]!;
        } else clearHigh(cpu, tt);
      }
      if (wb) wb(cpu, n);
    };
  }
  if (selem === 1) {
    return (cpu) => {
      const va = cpu.xAddr(n);
      cpu.probeWrite(va, total);
      const vs = cpu.vs;
      for (let r = 0; r < regs; r++) {
        const tt = (t + r) & 31;
        const a = va + r * regBytes;
        cpu.write64(a, vs[4 * tt]!, vs[4 * tt + 1]!);
        if (q) cpu.write64(a + 8, vs[4 * tt + 2]!, vs[4 * tt + 3]!);
      }
      if (wb) wb(cpu, n);
    };
  }
  // LD2-LD4 / ST2-ST4: element e of structure register s sits at (e*selem + s) * esize.
  if (load) {
    return (cpu) => {
      const va = cpu.xAddr(n);
      for (let e = 0; e < elems; e++) {
        for (let s = 0; s < selem; s++) loadElem(cpu, va + (e * selem + s) * esz, size, (s << 4) + e * esz);
      }
      const vs = cpu.vs;
      for (let s = 0; s < selem; s++) {
        const tt = (t + s) & 31;
        for (let w = 0; w < 4; w++) vs[4 * tt + w] = ss[4 * s + w]!;
        if (!q) clearHigh(cpu, tt);
      }
      if (wb) wb(cpu, n);
    };
  }
  return (cpu) => {
    const va = cpu.xAddr(n);
    cpu.probeWrite(va, total);
    for (let e = 0; e < elems; e++) {
      for (let s = 0; s < selem; s++) storeElem(cpu, va + (e * selem + s) * esz, size, (t + s) & 31, e * esz);
    }
    if (wb) wb(cpu, n);
  };
}

/** LD1-LD4 / ST1-ST4 of one lane, and LD1R-LD4R. */
function single(f: Fields): Exec {
  const L = singleLayout(f)!;
  const { esize, index, selem } = L;
  const t = f.rt!;
  const n = f.rn === 31 ? SP_SLOT : f.rn!;
  const q = f.q!;
  const esz = 1 << esize;
  const total = selem * esz;
  const wb = writeback(f, total);
  if (L.replicate) {
    const lanes = (q ? 16 : 8) >> esize;
    return (cpu) => {
      const va = cpu.xAddr(n);
      for (let s = 0; s < selem; s++) loadElem(cpu, va + s * esz, esize, s * 8);
      const vb = cpu.vb;
      for (let s = 0; s < selem; s++) {
        const base = 16 * ((t + s) & 31);
        for (let i = 0; i < lanes; i++) for (let k = 0; k < esz; k++) vb[base + i * esz + k] = sb[s * 8 + k]!;
        if (!q) clearHigh(cpu, (t + s) & 31);
      }
      if (wb) wb(cpu, n);
    };
  }
  const off = index * esz;
  if (f.l) {
    return (cpu) => {
      const va = cpu.xAddr(n);
      for (let s = 0; s < selem; s++) loadElem(cpu, va + s * esz, esize, s * 8);
      const vb = cpu.vb;
      for (let s = 0; s < selem; s++) {
        const base = 16 * ((t + s) & 31) + off;
        for (let k = 0; k < esz; k++) vb[base + k] = sb[s * 8 + k]!;
      }
      if (wb) wb(cpu, n);
    };
  }
  return (cpu) => {
    const va = cpu.xAddr(n);
    cpu.probeWrite(va, total);
    for (let s = 0; s < selem; s++) storeElem(cpu, va + s * esz, esize, (t + s) & 31, off);
    if (wb) wb(cpu, n);
  };
}

export const simdLdstExec: ExecTable = {
  LDST_multi: multi,
  LDST_multi_post: multi,
  LDST_single: single,
  LDST_single_post: single,
};
