/**
 * Interpreter semantics for data processing (immediate): ADR/ADRP, add and
 * subtract immediate, logical immediate, move wide, bitfield moves and EXTR.
 * Builders resolve register 31 and precompute immediates and masks; closures
 * work on uint32 halves.
 */
import { decodeBitMasks } from '../../../domain/a64/table/dp-imm.js';
import type { Fields } from '../../../domain/a64/pattern.js';
import type { Cpu, Exec } from '../cpu.js';
import {
  add64,
  adds32,
  adds64,
  bitmaskImm,
  dstZr,
  logicFlags32,
  logicFlags64,
  logicOp,
  lsl64,
  lsr64,
  regSp,
  rhi,
  ror64,
  srcZr,
  wr32,
  wr64,
  wrNum,
} from './alu.js';
import type { ExecTable } from './types.js';

function fv(f: Fields, name: string): number {
  return f[name]!;
}

function splitBig(v: bigint): [number, number] {
  return [Number(v & 0xffffffffn), Number((v >> 32n) & 0xffffffffn)];
}

// ---- add/subtract immediate -------------------------------------------------------------

/** ADD/SUB (immediate): SP for rn, and for rd unless flags are set (then rd 31 is XZR). */
function addSubImm(sub: boolean, setFlags: boolean) {
  return (f: Fields): Exec => {
    const d = setFlags ? dstZr(fv(f, 'rd')) : regSp(fv(f, 'rd'));
    const n2 = 2 * regSp(fv(f, 'rn'));
    const imm = fv(f, 'imm12') * (fv(f, 'sh') ? 4096 : 1);
    // Subtraction is a + NOT(imm) + 1, as AddWithCarry.
    const bLo = sub ? ~imm >>> 0 : imm;
    const bHi = sub ? 0xffffffff : 0;
    const cin = sub ? 1 : 0;
    if (fv(f, 'sf')) {
      if (setFlags) return (cpu: Cpu) => adds64(cpu, d, cpu.x[n2]!, cpu.x[n2 + 1]!, bLo, bHi, cin);
      return (cpu: Cpu) => add64(cpu.x, d, cpu.x[n2]!, cpu.x[n2 + 1]!, bLo, bHi, cin);
    }
    if (setFlags) return (cpu: Cpu) => adds32(cpu, d, cpu.x[n2]!, bLo, cin);
    return (cpu: Cpu) => wr32(cpu.x, d, cpu.x[n2]! + bLo + cin);
  };
}

// ---- logical immediate --------------------------------------------------------------------

function logicalImm(opc: number) {
  return (f: Fields): Exec => {
    const setFlags = opc === 3;
    // AND/ORR/EOR immediate may write SP (ORR is how `mov sp, #imm` is made).
    const d = setFlags ? dstZr(fv(f, 'rd')) : regSp(fv(f, 'rd'));
    const n2 = 2 * srcZr(fv(f, 'rn'));
    const [mLo, mHi] = bitmaskImm(fv(f, 'sf'), fv(f, 'N'), fv(f, 'immr'), fv(f, 'imms'));
    if (fv(f, 'sf')) {
      return (cpu: Cpu) => {
        const x = cpu.x;
        const lo = logicOp(opc, x[n2]!, mLo);
        const hi = logicOp(opc, x[n2 + 1]!, mHi);
        if (setFlags) logicFlags64(cpu, lo, hi);
        wr64(x, d, lo, hi);
      };
    }
    return (cpu: Cpu) => {
      const v = logicOp(opc, cpu.x[n2]!, mLo);
      if (setFlags) logicFlags32(cpu, v);
      wr32(cpu.x, d, v);
    };
  };
}

// ---- move wide ---------------------------------------------------------------------------

function moveWide(invert: boolean) {
  return (f: Fields): Exec => {
    const d = dstZr(fv(f, 'rd'));
    const sf = fv(f, 'sf');
    let v = BigInt(fv(f, 'imm16')) << BigInt(16 * fv(f, 'hw'));
    if (invert) v = ~v;
    const [lo, hi] = splitBig(BigInt.asUintN(sf ? 64 : 32, v));
    return (cpu: Cpu) => wr64(cpu.x, d, lo, hi);
  };
}

function movk(f: Fields): Exec {
  const d = dstZr(fv(f, 'rd'));
  const hw = fv(f, 'hw');
  const slot = 2 * d + (hw >> 1);
  const pos = 16 * (hw & 1);
  const keep = ~(0xffff << pos) >>> 0;
  const ins = (fv(f, 'imm16') << pos) >>> 0;
  // MOVK on a W register still zeroes bits 63:32.
  if (!fv(f, 'sf')) return (cpu: Cpu) => wr32(cpu.x, d, (cpu.x[2 * d]! & keep) | ins);
  return (cpu: Cpu) => {
    cpu.x[slot] = (cpu.x[slot]! & keep) | ins;
  };
}

// ---- bitfield moves -------------------------------------------------------------------------

/**
 * SBFM/BFM/UBFM by the ARM ARM pseudocode: bot = ROR(src, R) AND wmask, then
 * merge with tmask. `kind` 0 = SBFM, 1 = BFM, 2 = UBFM.
 */
function bitfield(kind: number) {
  return (f: Fields): Exec => {
    const sf = fv(f, 'sf');
    const size = sf ? 64 : 32;
    const d = dstZr(fv(f, 'rd'));
    const n2 = 2 * srcZr(fv(f, 'rn'));
    const r = fv(f, 'immr');
    const s = fv(f, 'imms');
    const m = decodeBitMasks(fv(f, 'N'), s, r, false, sf ? 64 : 32)!;
    // Bits taken from the rotated source, and (BFM) bits kept from the destination.
    const [wtLo, wtHi] = splitBig(m.wmask & m.tmask);
    const [keepLo, keepHi] = splitBig(BigInt.asUintN(size, ~(m.wmask & m.tmask)));
    // SBFM fills the bits outside tmask with the field's sign bit S.
    const [fillLo, fillHi] = splitBig(BigInt.asUintN(size, ~m.tmask));
    const signSlot = s >= 32 ? 1 : 0;
    const signShift = s & 31;
    if (sf) {
      if (kind === 2) {
        return (cpu: Cpu) => {
          const x = cpu.x;
          const lo = ror64(x[n2]!, x[n2 + 1]!, r);
          wr64(x, d, (lo & wtLo) >>> 0, (rhi & wtHi) >>> 0);
        };
      }
      if (kind === 1) {
        return (cpu: Cpu) => {
          const x = cpu.x;
          const lo = ror64(x[n2]!, x[n2 + 1]!, r);
          const hi = rhi;
          wr64(x, d, ((x[2 * d]! & keepLo) | (lo & wtLo)) >>> 0, ((x[2 * d + 1]! & keepHi) | (hi & wtHi)) >>> 0);
        };
      }
      return (cpu: Cpu) => {
        const x = cpu.x;
        const neg = (x[n2 + signSlot]! >>> signShift) & 1;
        const lo = ror64(x[n2]!, x[n2 + 1]!, r);
        const hi = rhi;
        wr64(x, d, ((neg ? fillLo : 0) | (lo & wtLo)) >>> 0, ((neg ? fillHi : 0) | (hi & wtHi)) >>> 0);
      };
    }
    const rot = (v: number): number => (r === 0 ? v : ((v >>> r) | (v << (32 - r))) >>> 0);
    if (kind === 2) return (cpu: Cpu) => wr32(cpu.x, d, (rot(cpu.x[n2]!) & wtLo) >>> 0);
    if (kind === 1) return (cpu: Cpu) => wr32(cpu.x, d, ((cpu.x[2 * d]! & keepLo) | (rot(cpu.x[n2]!) & wtLo)) >>> 0);
    return (cpu: Cpu) => {
      const v = cpu.x[n2]!;
      wr32(cpu.x, d, (((v >>> signShift) & 1 ? fillLo : 0) | (rot(v) & wtLo)) >>> 0);
    };
  };
}

function extr(f: Fields): Exec {
  const d = dstZr(fv(f, 'rd'));
  const n2 = 2 * srcZr(fv(f, 'rn'));
  const m2 = 2 * srcZr(fv(f, 'rm'));
  const lsb = fv(f, 'imms');
  if (!fv(f, 'sf')) {
    if (lsb === 0) return (cpu: Cpu) => wr32(cpu.x, d, cpu.x[m2]!);
    return (cpu: Cpu) => wr32(cpu.x, d, ((cpu.x[m2]! >>> lsb) | (cpu.x[n2]! << (32 - lsb))) >>> 0);
  }
  if (lsb === 0) return (cpu: Cpu) => wr64(cpu.x, d, cpu.x[m2]!, cpu.x[m2 + 1]!);
  return (cpu: Cpu) => {
    const x = cpu.x;
    // Bits lsb+63..lsb of Xn:Xm.
    const lo = lsr64(x[m2]!, x[m2 + 1]!, lsb);
    const hi = rhi;
    const tlo = lsl64(x[n2]!, x[n2 + 1]!, 64 - lsb);
    wr64(x, d, (lo | tlo) >>> 0, (hi | rhi) >>> 0);
  };
}

export const dp_immExec: ExecTable = {
  ADR: (f) => {
    const d = dstZr(fv(f, 'rd'));
    const off = fv(f, 'immhi') * 4 + fv(f, 'immlo');
    return (cpu: Cpu) => wrNum(cpu.x, d, cpu.pc - 4 + off);
  },
  ADRP: (f) => {
    const d = dstZr(fv(f, 'rd'));
    const off = (fv(f, 'immhi') * 4 + fv(f, 'immlo')) * 4096;
    return (cpu: Cpu) => wrNum(cpu.x, d, Math.floor((cpu.pc - 4) / 4096) * 4096 + off);
  },
  ADD_imm: addSubImm(false, false),
  ADDS_imm: addSubImm(false, true),
  SUB_imm: addSubImm(true, false),
  SUBS_imm: addSubImm(true, true),
  AND_imm: logicalImm(0),
  ORR_imm: logicalImm(1),
  EOR_imm: logicalImm(2),
  ANDS_imm: logicalImm(3),
  MOVN: moveWide(true),
  MOVZ: moveWide(false),
  MOVK: movk,
  SBFM: bitfield(0),
  BFM: bitfield(1),
  UBFM: bitfield(2),
  EXTR: extr,
};
