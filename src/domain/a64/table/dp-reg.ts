/**
 * A64 table: data processing (register). Logical and add/subtract with
 * shifted or extended register, add/subtract with carry, conditional compare
 * and select, 1-, 2- and 3-source operations (bit reversal, byte reversal,
 * count leading, divide, variable shifts, CRC32, multiply-add).
 *
 * Entries are tried in order; put specific encodings first.
 */
import type { InsnDef } from '../insn.js';
import type { Fields } from '../pattern.js';
import { condName, hexImm, reg } from './syntax.js';

const SHIFT_NAMES = ['lsl', 'lsr', 'asr', 'ror'] as const;
const EXTEND_NAMES = ['uxtb', 'uxth', 'uxtw', 'uxtx', 'sxtb', 'sxth', 'sxtw', 'sxtx'] as const;

function fv(f: Fields, name: string): number {
  return f[name]!;
}

/** `, lsl #3` (decimal amount); nothing for LSL #0. */
function shiftSuffix(f: Fields): string {
  const shift = fv(f, 'shift');
  const amount = fv(f, 'imm6');
  if (shift === 0 && amount === 0) return '';
  return `, ${SHIFT_NAMES[shift]!} #${amount}`;
}

/** Register operands rd, rn, rm of a 3-register instruction, all X or all W. */
function regs3(f: Fields): [string, string, string] {
  const sf = fv(f, 'sf');
  return [reg(sf, fv(f, 'rd')), reg(sf, fv(f, 'rn')), reg(sf, fv(f, 'rm'))];
}

// ---- logical (shifted register) --------------------------------------------------

function disLogical(mnemonic: string) {
  return (f: Fields): string => {
    const [rd, rn, rm] = regs3(f);
    const sh = shiftSuffix(f);
    if (mnemonic === 'orr' && fv(f, 'rn') === 31 && sh === '') return `mov\t${rd}, ${rm}`;
    if (mnemonic === 'orn' && fv(f, 'rn') === 31) return `mvn\t${rd}, ${rm}${sh}`;
    if (mnemonic === 'ands' && fv(f, 'rd') === 31) return `tst\t${rn}, ${rm}${sh}`;
    return `${mnemonic}\t${rd}, ${rn}, ${rm}${sh}`;
  };
}

function logicalShift(name: string, opc: string, n: number, mnemonic: string): InsnDef {
  return {
    name,
    pattern: `sf:1 ${opc} 01010 shift:2 ${n} rm:5 imm6:6 rn:5 rd:5`,
    guard: (f) => fv(f, 'sf') === 1 || fv(f, 'imm6') < 32,
    disasm: disLogical(mnemonic),
  };
}

// ---- add/subtract (shifted register) -----------------------------------------------

function disAddSubShift(mnemonic: string) {
  return (f: Fields): string => {
    const [rd, rn, rm] = regs3(f);
    const sh = shiftSuffix(f);
    if (mnemonic === 'adds' && fv(f, 'rd') === 31) return `cmn\t${rn}, ${rm}${sh}`;
    if (mnemonic === 'subs' && fv(f, 'rd') === 31) return `cmp\t${rn}, ${rm}${sh}`;
    if ((mnemonic === 'sub' || mnemonic === 'subs') && fv(f, 'rn') === 31) return `neg${mnemonic === 'subs' ? 's' : ''}\t${rd}, ${rm}${sh}`;
    return `${mnemonic}\t${rd}, ${rn}, ${rm}${sh}`;
  };
}

function addSubShift(name: string, op: number, s: number, mnemonic: string): InsnDef {
  return {
    name,
    pattern: `sf:1 ${op} ${s} 01011 shift:2 0 rm:5 imm6:6 rn:5 rd:5`,
    guard: (f) => fv(f, 'shift') !== 3 && (fv(f, 'sf') === 1 || fv(f, 'imm6') < 32),
    disasm: disAddSubShift(mnemonic),
  };
}

// ---- add/subtract (extended register) ------------------------------------------------

function disAddSubExt(mnemonic: string, setFlags: boolean) {
  return (f: Fields): string => {
    const sf = fv(f, 'sf');
    const option = fv(f, 'option');
    const imm3 = fv(f, 'imm3');
    const rdNum = fv(f, 'rd');
    const rnNum = fv(f, 'rn');
    const rn = reg(sf, rnNum, true);
    const rm = reg(sf && (option & 3) === 3 ? 1 : 0, fv(f, 'rm'));
    // With SP involved, UXTX (UXTW for W) is written as LSL.
    const usesSp = rnNum === 31 || (!setFlags && rdNum === 31);
    let ext: string;
    if (usesSp && option === (sf ? 3 : 2)) ext = imm3 ? `, lsl #${imm3}` : '';
    else ext = `, ${EXTEND_NAMES[option]!}${imm3 ? ` #${imm3}` : ''}`;
    if (setFlags && rdNum === 31) return `${mnemonic === 'adds' ? 'cmn' : 'cmp'}\t${rn}, ${rm}${ext}`;
    return `${mnemonic}\t${reg(sf, rdNum, !setFlags)}, ${rn}, ${rm}${ext}`;
  };
}

function addSubExt(name: string, op: number, s: number, mnemonic: string): InsnDef {
  return {
    name,
    pattern: `sf:1 ${op} ${s} 01011 00 1 rm:5 option:3 imm3:3 rn:5 rd:5`,
    guard: (f) => fv(f, 'imm3') <= 4,
    disasm: disAddSubExt(mnemonic, s === 1),
  };
}

// ---- add/subtract with carry -----------------------------------------------------------

function addSubCarry(name: string, op: number, s: number, mnemonic: string): InsnDef {
  return {
    name,
    pattern: `sf:1 ${op} ${s} 11010000 rm:5 000000 rn:5 rd:5`,
    disasm: (f) => {
      const [rd, rn, rm] = regs3(f);
      if (op === 1 && fv(f, 'rn') === 31) return `ngc${s ? 's' : ''}\t${rd}, ${rm}`;
      return `${mnemonic}\t${rd}, ${rn}, ${rm}`;
    },
  };
}

// ---- conditional compare and select ---------------------------------------------------------

function condCompare(name: string, op: number, imm: boolean): InsnDef {
  const mnemonic = op ? 'ccmp' : 'ccmn';
  return {
    name,
    pattern: `sf:1 ${op} 1 11010010 ${imm ? 'imm5:5' : 'rm:5'} cond:4 ${imm ? 1 : 0} 0 rn:5 0 nzcv:4`,
    disasm: (f) => {
      const sf = fv(f, 'sf');
      const second = imm ? hexImm(fv(f, 'imm5')) : reg(sf, fv(f, 'rm'));
      return `${mnemonic}\t${reg(sf, fv(f, 'rn'))}, ${second}, ${hexImm(fv(f, 'nzcv'))}, ${condName(fv(f, 'cond'))}`;
    },
  };
}

/** CSEL family; `alias` names the cinc/cinv/cneg form and `setAlias` the cset/csetm form. */
function condSelect(name: string, op: number, o2: number, mnemonic: string, alias?: string, setAlias?: string): InsnDef {
  return {
    name,
    pattern: `sf:1 ${op} 0 11010100 rm:5 cond:4 0 ${o2} rn:5 rd:5`,
    disasm: (f) => {
      const [rd, rn, rm] = regs3(f);
      const cond = fv(f, 'cond');
      const same = fv(f, 'rn') === fv(f, 'rm');
      const inverted = condName(cond ^ 1);
      if (alias && same && cond < 14) {
        if (setAlias && fv(f, 'rn') === 31) return `${setAlias}\t${rd}, ${inverted}`;
        return `${alias}\t${rd}, ${rn}, ${inverted}`;
      }
      return `${mnemonic}\t${rd}, ${rn}, ${rm}, ${condName(cond)}`;
    },
  };
}

// ---- 1, 2 and 3 source ------------------------------------------------------------------

function dp1(name: string, sf: string, opcode: string, mnemonic: string, guard?: (f: Fields) => boolean): InsnDef {
  return {
    name,
    pattern: `${sf} 1 0 11010110 00000 ${opcode} rn:5 rd:5`,
    ...(guard ? { guard } : {}),
    disasm: (f) => {
      const width = f['sf'] ?? 1;
      return `${mnemonic}\t${reg(width, fv(f, 'rd'))}, ${reg(width, fv(f, 'rn'))}`;
    },
  };
}

function dp2(name: string, opcode: string, mnemonic: string): InsnDef {
  return {
    name,
    pattern: `sf:1 0 0 11010110 rm:5 ${opcode} rn:5 rd:5`,
    disasm: (f) => {
      const [rd, rn, rm] = regs3(f);
      return `${mnemonic}\t${rd}, ${rn}, ${rm}`;
    },
  };
}

function crc32(name: string, c: number, sz: number): InsnDef {
  const mnemonic = name.toLowerCase();
  const wide = sz === 3 ? 1 : 0;
  return {
    name,
    pattern: `${wide} 0 0 11010110 rm:5 010 ${c} ${sz >> 1}${sz & 1} rn:5 rd:5`,
    feature: 'crc32',
    disasm: (f) => `${mnemonic}\t${reg(0, fv(f, 'rd'))}, ${reg(0, fv(f, 'rn'))}, ${reg(wide, fv(f, 'rm'))}`,
  };
}

/** Multiply-add family. `long` forms take W sources; `alias` is the Ra = ZR form. */
function dp3(name: string, sf: string, op31: string, o0: number, mnemonic: string, alias: string, long: boolean): InsnDef {
  return {
    name,
    pattern: `${sf} 00 11011 ${op31} rm:5 ${o0} ra:5 rn:5 rd:5`,
    disasm: (f) => {
      const dsf = f['sf'] ?? 1;
      const ssf = long ? 0 : dsf;
      const rd = reg(dsf, fv(f, 'rd'));
      const rn = reg(ssf, fv(f, 'rn'));
      const rm = reg(ssf, fv(f, 'rm'));
      if (fv(f, 'ra') === 31) return `${alias}\t${rd}, ${rn}, ${rm}`;
      return `${mnemonic}\t${rd}, ${rn}, ${rm}, ${reg(dsf, fv(f, 'ra'))}`;
    },
  };
}

function mulHigh(name: string, op31: string, mnemonic: string): InsnDef {
  return {
    name,
    pattern: `1 00 11011 ${op31} rm:5 0 ra:5 rn:5 rd:5`,
    disasm: (f) => `${mnemonic}\t${reg(1, fv(f, 'rd'))}, ${reg(1, fv(f, 'rn'))}, ${reg(1, fv(f, 'rm'))}`,
  };
}

export const dp_regDefs: InsnDef[] = [
  logicalShift('AND_shift', '00', 0, 'and'),
  logicalShift('BIC_shift', '00', 1, 'bic'),
  logicalShift('ORR_shift', '01', 0, 'orr'),
  logicalShift('ORN_shift', '01', 1, 'orn'),
  logicalShift('EOR_shift', '10', 0, 'eor'),
  logicalShift('EON_shift', '10', 1, 'eon'),
  logicalShift('ANDS_shift', '11', 0, 'ands'),
  logicalShift('BICS_shift', '11', 1, 'bics'),
  addSubShift('ADD_shift', 0, 0, 'add'),
  addSubShift('ADDS_shift', 0, 1, 'adds'),
  addSubShift('SUB_shift', 1, 0, 'sub'),
  addSubShift('SUBS_shift', 1, 1, 'subs'),
  addSubExt('ADD_ext', 0, 0, 'add'),
  addSubExt('ADDS_ext', 0, 1, 'adds'),
  addSubExt('SUB_ext', 1, 0, 'sub'),
  addSubExt('SUBS_ext', 1, 1, 'subs'),
  addSubCarry('ADC', 0, 0, 'adc'),
  addSubCarry('ADCS', 0, 1, 'adcs'),
  addSubCarry('SBC', 1, 0, 'sbc'),
  addSubCarry('SBCS', 1, 1, 'sbcs'),
  condCompare('CCMN_reg', 0, false),
  condCompare('CCMP_reg', 1, false),
  condCompare('CCMN_imm', 0, true),
  condCompare('CCMP_imm', 1, true),
  condSelect('CSEL', 0, 0, 'csel'),
  condSelect('CSINC', 0, 1, 'csinc', 'cinc', 'cset'),
  condSelect('CSINV', 1, 0, 'csinv', 'cinv', 'csetm'),
  condSelect('CSNEG', 1, 1, 'csneg', 'cneg'),
  dp1('RBIT', 'sf:1', '000000', 'rbit'),
  dp1('REV16', 'sf:1', '000001', 'rev16'),
  dp1('REV32', '1', '000010', 'rev32'),
  // REV: opcode 000010 for W, 000011 for X (the last opcode bit equals sf).
  dp1('REV', 'sf:1', '00001 o:1', 'rev', (f) => fv(f, 'o') === fv(f, 'sf')),
  dp1('CLZ', 'sf:1', '000100', 'clz'),
  dp1('CLS', 'sf:1', '000101', 'cls'),
  dp2('UDIV', '000010', 'udiv'),
  dp2('SDIV', '000011', 'sdiv'),
  dp2('LSLV', '001000', 'lsl'),
  dp2('LSRV', '001001', 'lsr'),
  dp2('ASRV', '001010', 'asr'),
  dp2('RORV', '001011', 'ror'),
  crc32('CRC32B', 0, 0),
  crc32('CRC32H', 0, 1),
  crc32('CRC32W', 0, 2),
  crc32('CRC32X', 0, 3),
  crc32('CRC32CB', 1, 0),
  crc32('CRC32CH', 1, 1),
  crc32('CRC32CW', 1, 2),
  crc32('CRC32CX', 1, 3),
  dp3('MADD', 'sf:1', '000', 0, 'madd', 'mul', false),
  dp3('MSUB', 'sf:1', '000', 1, 'msub', 'mneg', false),
  dp3('SMADDL', '1', '001', 0, 'smaddl', 'smull', true),
  dp3('SMSUBL', '1', '001', 1, 'smsubl', 'smnegl', true),
  dp3('UMADDL', '1', '101', 0, 'umaddl', 'umull', true),
  dp3('UMSUBL', '1', '101', 1, 'umsubl', 'umnegl', true),
  mulHigh('SMULH', '010', 'smulh'),
  mulHigh('UMULH', '110', 'umulh'),
];
