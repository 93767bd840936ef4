/**
 * Interpreter semantics for data processing (register): logical and
 * add/subtract with shifted or extended register, with carry, conditional
 * compare/select, and the 1-, 2- and 3-source operations. Builders resolve
 * register 31 and fold constant choices; closures work on uint32 halves.
 */
import type { Fields } from '../../../domain/a64/pattern.js';
import { type Cpu, type Exec } from '../cpu.js';
import { XZR_WRITE } from '../regs.js';
import {
  add64,
  adds32,
  adds64,
  clz64,
  cls32,
  cls64,
  condHolds,
  CRC32C_TABLE,
  CRC32_TABLE,
  crcUpdate,
  dstZr,
  extend32,
  extend64,
  logicFlags32,
  logicFlags64,
  logicOp,
  mul64,
  rbit32,
  regSp,
  rev16,
  rev32,
  rhi,
  sdiv32,
  sdiv64,
  shift32,
  shift64,
  smul32,
  smulh64,
  srcZr,
  udiv32,
  udiv64,
  umul32,
  umulh64,
  wr32,
  wr64,
} from './alu.js';
import type { ExecTable } from './types.js';

function fv(f: Fields, name: string): number {
  return f[name]!;
}

/** Doubled slot indices of the usual rd (ZR), rn (ZR), rm (ZR) operands. */
function zrOperands(f: Fields): { d: number; n2: number; m2: number } {
  return { d: dstZr(fv(f, 'rd')), n2: 2 * srcZr(fv(f, 'rn')), m2: 2 * srcZr(fv(f, 'rm')) };
}

// ---- logical (shifted register) ---------------------------------------------------------

function logicalShift(opc: number, invert: boolean) {
  return (f: Fields): Exec => {
    const { d, n2, m2 } = zrOperands(f);
    const setFlags = opc === 3;
    const type = fv(f, 'shift');
    const amt = fv(f, 'imm6');
    const inv = invert ? 0xffffffff : 0;
    if (fv(f, 'sf')) {
      // `mov xd, xm` (ORR with XZR) is common enough for its own closure.
      if (opc === 1 && !invert && n2 === 2 * srcZr(31) && amt === 0) {
        return (cpu: Cpu) => wr64(cpu.x, d, cpu.x[m2]!, cpu.x[m2 + 1]!);
      }
      const shifted = amt !== 0;
      return (cpu: Cpu) => {
        const x = cpu.x;
        let bLo = x[m2]!;
        let bHi = x[m2 + 1]!;
        if (shifted) {
          bLo = shift64(type, bLo, bHi, amt);
          bHi = rhi;
        }
        bLo = (bLo ^ inv) >>> 0;
        bHi = (bHi ^ inv) >>> 0;
        const lo = logicOp(opc, x[n2]!, bLo);
        const hi = logicOp(opc, x[n2 + 1]!, bHi);
        if (setFlags) logicFlags64(cpu, lo, hi);
        wr64(x, d, lo, hi);
      };
    }
    return (cpu: Cpu) => {
      const v = logicOp(opc, cpu.x[n2]!, (shift32(type, cpu.x[m2]!, amt) ^ inv) >>> 0);
      if (setFlags) logicFlags32(cpu, v);
      wr32(cpu.x, d, v);
    };
  };
}

// ---- add/subtract ------------------------------------------------------------------------

/** How the second operand is formed: plain register, shifted register, extended register. */
const OP_REG = 0;
const OP_SHIFT = 1;
const OP_EXT = 2;

interface AddSubForm {
  sub: boolean;
  setFlags: boolean;
  /** ADC/SBC: carry in is PSTATE.C. */
  carry: boolean;
  kind: number;
  /** Shift type or extend option, and the amount. */
  op: number;
  amt: number;
}

/**
 * One add/subtract closure per register width. Subtraction is a + NOT(b) + 1
 * (AddWithCarry). The branches test builder constants, so each closure takes
 * one path.
 */
function addSub(f: Fields, d: number, n2: number, m2: number, form: AddSubForm): Exec {
  const { setFlags, carry, kind, op, amt } = form;
  const inv = form.sub ? 0xffffffff : 0;
  const cin0 = form.sub ? 1 : 0;
  if (fv(f, 'sf')) {
    return (cpu: Cpu) => {
      const x = cpu.x;
      let bLo: number;
      let bHi: number;
      if (kind === OP_REG) {
        bLo = x[m2]!;
        bHi = x[m2 + 1]!;
      } else {
        bLo = kind === OP_SHIFT ? shift64(op, x[m2]!, x[m2 + 1]!, amt) : extend64(op, x[m2]!, x[m2 + 1]!, amt);
        bHi = rhi;
      }
      bLo = (bLo ^ inv) >>> 0;
      bHi = (bHi ^ inv) >>> 0;
      const cin = carry ? cpu.cf : cin0;
      if (setFlags) adds64(cpu, d, x[n2]!, x[n2 + 1]!, bLo, bHi, cin);
      else add64(x, d, x[n2]!, x[n2 + 1]!, bLo, bHi, cin);
    };
  }
  return (cpu: Cpu) => {
    const x = cpu.x;
    let b = kind === OP_REG ? x[m2]! : kind === OP_SHIFT ? shift32(op, x[m2]!, amt) : extend32(op, x[m2]!, amt);
    b = (b ^ inv) >>> 0;
    const cin = carry ? cpu.cf : cin0;
    if (setFlags) adds32(cpu, d, x[n2]!, b, cin);
    else wr32(x, d, x[n2]! + b + cin);
  };
}

function addSubShift(sub: boolean, setFlags: boolean) {
  return (f: Fields): Exec => {
    const { d, n2, m2 } = zrOperands(f);
    const op = fv(f, 'shift');
    const amt = fv(f, 'imm6');
    const kind = op === 0 && amt === 0 ? OP_REG : OP_SHIFT;
    return addSub(f, d, n2, m2, { sub, setFlags, carry: false, kind, op, amt });
  };
}

/** Extended register: rn is SP-capable, and so is rd unless flags are set. */
function addSubExt(sub: boolean, setFlags: boolean) {
  return (f: Fields): Exec => {
    const d = setFlags ? dstZr(fv(f, 'rd')) : regSp(fv(f, 'rd'));
    const n2 = 2 * regSp(fv(f, 'rn'));
    const m2 = 2 * srcZr(fv(f, 'rm'));
    return addSub(f, d, n2, m2, { sub, setFlags, carry: false, kind: OP_EXT, op: fv(f, 'option'), amt: fv(f, 'imm3') });
  };
}

function addSubCarry(sub: boolean, setFlags: boolean) {
  return (f: Fields): Exec => {
    const { d, n2, m2 } = zrOperands(f);
    return addSub(f, d, n2, m2, { sub, setFlags, carry: true, kind: OP_REG, op: 0, amt: 0 });
  };
}

// ---- conditional compare and select ------------------------------------------------------------

/** CCMP/CCMN: flags of rn - op2 (rn + op2) if cond holds, else the nzcv immediate. */
function condCompare(sub: boolean, imm: boolean) {
  return (f: Fields): Exec => {
    const n2 = 2 * srcZr(fv(f, 'rn'));
    const m2 = imm ? 0 : 2 * srcZr(fv(f, 'rm'));
    const cond = fv(f, 'cond');
    const nzcv = fv(f, 'nzcv') << 28;
    const inv = sub ? 0xffffffff : 0;
    const cin = sub ? 1 : 0;
    const immLo = imm ? (fv(f, 'imm5') ^ inv) >>> 0 : 0;
    const immHi = imm ? inv : 0;
    if (fv(f, 'sf')) {
      return (cpu: Cpu) => {
        if (!condHolds(cpu, cond)) {
          cpu.nzcv = nzcv;
          return;
        }
        const x = cpu.x;
        const bLo = imm ? immLo : (x[m2]! ^ inv) >>> 0;
        const bHi = imm ? immHi : (x[m2 + 1]! ^ inv) >>> 0;
        adds64(cpu, XZR_WRITE, x[n2]!, x[n2 + 1]!, bLo, bHi, cin);
      };
    }
    return (cpu: Cpu) => {
      if (!condHolds(cpu, cond)) {
        cpu.nzcv = nzcv;
        return;
      }
      adds32(cpu, XZR_WRITE, cpu.x[n2]!, imm ? immLo : (cpu.x[m2]! ^ inv) >>> 0, cin);
    };
  };
}

/** CSEL, CSINC, CSINV, CSNEG: rn if cond holds, else (rm XOR inv) + inc. */
function condSelect(invert: boolean, increment: boolean) {
  return (f: Fields): Exec => {
    const { d, n2, m2 } = zrOperands(f);
    const cond = fv(f, 'cond');
    const inv = invert ? 0xffffffff : 0;
    const inc = increment ? 1 : 0;
    if (fv(f, 'sf')) {
      return (cpu: Cpu) => {
        const x = cpu.x;
        if (condHolds(cpu, cond)) return wr64(x, d, x[n2]!, x[n2 + 1]!);
        const lo = ((x[m2]! ^ inv) >>> 0) + inc;
        wr64(x, d, lo, ((x[m2 + 1]! ^ inv) >>> 0) + (lo > 0xffffffff ? 1 : 0));
      };
    }
    return (cpu: Cpu) => {
      const x = cpu.x;
      wr32(x, d, condHolds(cpu, cond) ? x[n2]! : ((x[m2]! ^ inv) >>> 0) + inc);
    };
  };
}

// ---- 1 source --------------------------------------------------------------------------------------

/**
 * A 1-source op on each word: `word` transforms one 32-bit word; `swap`
 * exchanges the words of an X register (RBIT, REV) or keeps them (REV16, REV32).
 */
function perWord(word: (v: number) => number, swap: boolean) {
  return (f: Fields): Exec => {
    const d = dstZr(fv(f, 'rd'));
    const n2 = 2 * srcZr(fv(f, 'rn'));
    // REV32 has no sf field: it only exists for X registers.
    if (!(f['sf'] ?? 1)) return (cpu: Cpu) => wr32(cpu.x, d, word(cpu.x[n2]!));
    if (swap) return (cpu: Cpu) => wr64(cpu.x, d, word(cpu.x[n2 + 1]!), word(cpu.x[n2]!));
    return (cpu: Cpu) => wr64(cpu.x, d, word(cpu.x[n2]!), word(cpu.x[n2 + 1]!));
  };
}

function count(c64: (lo: number, hi: number) => number, c32: (v: number) => number) {
  return (f: Fields): Exec => {
    const d = dstZr(fv(f, 'rd'));
    const n2 = 2 * srcZr(fv(f, 'rn'));
    if (!fv(f, 'sf')) return (cpu: Cpu) => wr32(cpu.x, d, c32(cpu.x[n2]!));
    return (cpu: Cpu) => wr64(cpu.x, d, c64(cpu.x[n2]!, cpu.x[n2 + 1]!), 0);
  };
}

// ---- 2 source ---------------------------------------------------------------------------------------

function divide(d64: typeof udiv64, d32: typeof udiv32) {
  return (f: Fields): Exec => {
    const { d, n2, m2 } = zrOperands(f);
    if (!fv(f, 'sf')) return (cpu: Cpu) => wr32(cpu.x, d, d32(cpu.x[n2]!, cpu.x[m2]!));
    return (cpu: Cpu) => {
      const x = cpu.x;
      const lo = d64(x[n2]!, x[n2 + 1]!, x[m2]!, x[m2 + 1]!);
      wr64(x, d, lo, rhi);
    };
  };
}

/** LSLV/LSRV/ASRV/RORV: the amount is rm modulo the register size. */
function shiftVar(type: number) {
  return (f: Fields): Exec => {
    const { d, n2, m2 } = zrOperands(f);
    if (!fv(f, 'sf')) return (cpu: Cpu) => wr32(cpu.x, d, shift32(type, cpu.x[n2]!, cpu.x[m2]! & 31));
    return (cpu: Cpu) => {
      const x = cpu.x;
      const lo = shift64(type, x[n2]!, x[n2 + 1]!, x[m2]! & 63);
      wr64(x, d, lo, rhi);
    };
  };
}

function crc32(table: Uint32Array, bytes: number) {
  return (f: Fields): Exec => {
    const { d, n2, m2 } = zrOperands(f);
    if (bytes === 8) {
      return (cpu: Cpu) => wr32(cpu.x, d, crcUpdate(table, crcUpdate(table, cpu.x[n2]!, cpu.x[m2]!, 4), cpu.x[m2 + 1]!, 4));
    }
    return (cpu: Cpu) => wr32(cpu.x, d, crcUpdate(table, cpu.x[n2]!, cpu.x[m2]!, bytes));
  };
}

// ---- 3 source ----------------------------------------------------------------------------------------

/** MADD/MSUB and the long forms: ra +/- product, where `product` leaves its high word in rhi. */
function mulAdd(sub: boolean, product: (aLo: number, aHi: number, bLo: number, bHi: number) => number) {
  return (f: Fields): Exec => {
    const { d, n2, m2 } = zrOperands(f);
    const a2 = 2 * srcZr(fv(f, 'ra'));
    const inv = sub ? 0xffffffff : 0;
    const cin = sub ? 1 : 0;
    return (cpu: Cpu) => {
      const x = cpu.x;
      const pLo = (product(x[n2]!, x[n2 + 1]!, x[m2]!, x[m2 + 1]!) ^ inv) >>> 0;
      add64(x, d, x[a2]!, x[a2 + 1]!, pLo, (rhi ^ inv) >>> 0, cin);
    };
  };
}

function madd32(sub: boolean) {
  return (f: Fields): Exec => {
    const { d, n2, m2 } = zrOperands(f);
    const a2 = 2 * srcZr(fv(f, 'ra'));
    if (sub) return (cpu: Cpu) => wr32(cpu.x, d, cpu.x[a2]! - Math.imul(cpu.x[n2]!, cpu.x[m2]!));
    return (cpu: Cpu) => wr32(cpu.x, d, cpu.x[a2]! + Math.imul(cpu.x[n2]!, cpu.x[m2]!));
  };
}

function madd(sub: boolean) {
  const m64 = mulAdd(sub, mul64);
  const m32 = madd32(sub);
  return (f: Fields): Exec => (fv(f, 'sf') ? m64(f) : m32(f));
}

function mulHigh(high: typeof umulh64) {
  return (f: Fields): Exec => {
    const { d, n2, m2 } = zrOperands(f);
    return (cpu: Cpu) => {
      const x = cpu.x;
      const lo = high(x[n2]!, x[n2 + 1]!, x[m2]!, x[m2 + 1]!);
      wr64(x, d, lo, rhi);
    };
  };
}

const smulLong = (aLo: number, _aHi: number, bLo: number): number => smul32(aLo, bLo);
const umulLong = (aLo: number, _aHi: number, bLo: number): number => umul32(aLo, bLo);

export const dp_regExec: ExecTable = {
  AND_shift: logicalShift(0, false),
  BIC_shift: logicalShift(0, true),
  ORR_shift: logicalShift(1, false),
  ORN_shift: logicalShift(1, true),
  EOR_shift: logicalShift(2, false),
  EON_shift: logicalShift(2, true),
  ANDS_shift: logicalShift(3, false),
  BICS_shift: logicalShift(3, true),
  ADD_shift: addSubShift(false, false),
  ADDS_shift: addSubShift(false, true),
  SUB_shift: addSubShift(true, false),
  SUBS_shift: addSubShift(true, true),
  ADD_ext: addSubExt(false, false),
  ADDS_ext: addSubExt(false, true),
  SUB_ext: addSubExt(true, false),
  SUBS_ext: addSubExt(true, true),
  ADC: addSubCarry(false, false),
  ADCS: addSubCarry(false, true),
  SBC: addSubCarry(true, false),
  SBCS: addSubCarry(true, true),
  CCMN_reg: condCompare(false, false),
  CCMP_reg: condCompare(true, false),
  CCMN_imm: condCompare(false, true),
  CCMP_imm: condCompare(true, true),
  CSEL: condSelect(false, false),
  CSINC: condSelect(false, true),
  CSINV: condSelect(true, false),
  CSNEG: condSelect(true, true),
  RBIT: perWord(rbit32, true),
  REV16: perWord(rev16, false),
  REV32: perWord(rev32, false),
  REV: perWord(rev32, true),
  CLZ: count(clz64, Math.clz32),
  CLS: count(cls64, cls32),
  UDIV: divide(udiv64, udiv32),
  SDIV: divide(sdiv64, sdiv32),
  LSLV: shiftVar(0),
  LSRV: shiftVar(1),
  ASRV: shiftVar(2),
  RORV: shiftVar(3),
  CRC32B: crc32(CRC32_TABLE, 1),
  CRC32H: crc32(CRC32_TABLE, 2),
  CRC32W: crc32(CRC32_TABLE, 4),
  CRC32X: crc32(CRC32_TABLE, 8),
  CRC32CB: crc32(CRC32C_TABLE, 1),
  CRC32CH: crc32(CRC32C_TABLE, 2),
  CRC32CW: crc32(CRC32C_TABLE, 4),
  CRC32CX: crc32(CRC32C_TABLE, 8),
  MADD: madd(false),
  MSUB: madd(true),
  SMADDL: mulAdd(false, smulLong),
  SMSUBL: mulAdd(true, smulLong),
  UMADDL: mulAdd(false, umulLong),
  UMSUBL: mulAdd(true, umulLong),
  SMULH: mulHigh(smulh64),
  UMULH: mulHigh(umulh64),
};
