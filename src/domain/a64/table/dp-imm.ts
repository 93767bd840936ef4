/**
 * A64 table: data processing (immediate). PC-relative addressing (ADR,
 * ADRP), add/subtract immediate, logical immediate, move wide, bitfield and
 * extract. Also owns the GNU-syntax operand helpers (register names,
 * condition names, immediates) and DecodeBitMasks, which the data-processing
 * (register) table and the interpreter reuse.
 *
 * Entries are tried in order; put specific encodings first.
 */
import type { InsnDef } from '../insn.js';
import type { Fields } from '../pattern.js';

import { hexImm, reg } from './syntax.js';

/** Field accessor: table fields always exist for the entry that decoded them. */
function fv(f: Fields, name: string): number {
  return f[name]!;
}

// ---- DecodeBitMasks (ARM ARM shared pseudocode) --------------------------------

export interface BitMasks {
  readonly wmask: bigint;
  readonly tmask: bigint;
}

function highestSetBit(v: number): number {
  return 31 - Math.clz32(v);
}

function ones(n: number): bigint {
  return (1n << BigInt(n)) - 1n;
}

function replicate(elem: bigint, esize: number, datasize: number): bigint {
  let out = 0n;
  for (let i = 0; i < datasize; i += esize) out |= elem << BigInt(i);
  return out;
}

/**
 * DecodeBitMasks(immN, imms, immr, immediate, M). Returns null for the
 * encodings the pseudocode declares UNDEFINED (and element sizes above M).
 */
export function decodeBitMasks(immN: number, imms: number, immr: number, immediate: boolean, datasize: 32 | 64): BitMasks | null {
  const len = highestSetBit((immN << 6) | (~imms & 0x3f));
  if (len < 1) return null;
  const esize = 1 << len;
  if (esize > datasize) return null;
  const levels = esize - 1;
  if (immediate && (imms & levels) === levels) return null;
  const s = imms & levels;
  const r = immr & levels;
  const d = (s - r) & levels;
  const welem = ones(s + 1);
  const rotated = r === 0 ? welem : ((welem >> BigInt(r)) | (welem << BigInt(esize - r))) & ones(esize);
  return { wmask: replicate(rotated, esize, datasize), tmask: replicate(ones(d + 1), esize, datasize) };
}

/** The value of a logical-immediate operand, or null if the encoding is reserved. */
export function logicalImm(sf: number, n: number, immr: number, imms: number): bigint | null {
  if (!sf && n) return null;
  return decodeBitMasks(n, imms, immr, true, sf ? 64 : 32)?.wmask ?? null;
}

/** Whether one MOVZ can make `v`: all set bits inside one aligned halfword. */
function movzConstant(v: bigint, width: number): boolean {
  for (let shift = 0; shift < width; shift += 16) {
    if ((v & (0xffffn << BigInt(shift))) === v) return true;
  }
  return false;
}

/**
 * Whether ORR (immediate) with XZR prints as `mov`. objdump keeps `orr` when
 * a MOVZ or MOVN could make the value, except for SP, which they cannot write.
 */
function orrIsMov(sf: number, rd: number, v: bigint): boolean {
  const width = sf ? 64 : 32;
  if (rd === 31) return true;
  return !movzConstant(v, width) && !movzConstant(BigInt.asUintN(width, ~v), width);
}

// ---- disassembly ------------------------------------------------------------------

function pcRel(pc: bigint, offset: number): string {
  return BigInt.asUintN(64, pc + BigInt(offset)).toString(16);
}

function disAddSubImm(mnemonic: string, setFlags: boolean) {
  return (f: Fields): string => {
    const sf = fv(f, 'sf');
    const rd = fv(f, 'rd');
    const rn = fv(f, 'rn');
    const imm12 = fv(f, 'imm12');
    const sh = fv(f, 'sh') ? ', lsl #12' : '';
    const src = reg(sf, rn, true);
    if (mnemonic === 'add' && !fv(f, 'sh') && imm12 === 0 && (rd === 31 || rn === 31)) {
      return `mov\t${reg(sf, rd, true)}, ${src}`;
    }
    if (setFlags && rd === 31) return `${mnemonic === 'adds' ? 'cmn' : 'cmp'}\t${src}, ${hexImm(imm12)}${sh}`;
    return `${mnemonic}\t${reg(sf, rd, !setFlags)}, ${src}, ${hexImm(imm12)}${sh}`;
  };
}

function addSubImm(name: string, op: number, s: number, mnemonic: string): InsnDef {
  return {
    name,
    pattern: `sf:1 ${op} ${s} 100010 sh:1 imm12:12 rn:5 rd:5`,
    disasm: disAddSubImm(mnemonic, s === 1),
  };
}

function logicalImmDef(name: string, opc: string, mnemonic: string): InsnDef {
  return {
    name,
    pattern: `sf:1 ${opc} 100100 N:1 immr:6 imms:6 rn:5 rd:5`,
    guard: (f) => logicalImm(fv(f, 'sf'), fv(f, 'N'), fv(f, 'immr'), fv(f, 'imms')) !== null,
    disasm: (f) => {
      const sf = fv(f, 'sf');
      const rd = fv(f, 'rd');
      const rn = fv(f, 'rn');
      const value = logicalImm(sf, fv(f, 'N'), fv(f, 'immr'), fv(f, 'imms'))!;
      const imm = hexImm(value);
      if (mnemonic === 'ands' && rd === 31) return `tst\t${reg(sf, rn)}, ${imm}`;
      if (mnemonic === 'orr' && rn === 31 && orrIsMov(sf, rd, value)) {
        return `mov\t${reg(sf, rd, true)}, ${imm}`;
      }
      return `${mnemonic}\t${reg(sf, rd, mnemonic !== 'ands')}, ${reg(sf, rn)}, ${imm}`;
    },
  };
}

/** The value a MOVZ/MOVN writes, before inversion. */
function wideValue(f: Fields): bigint {
  return BigInt(fv(f, 'imm16')) << BigInt(16 * fv(f, 'hw'));
}

function moveWide(name: string, opc: string, dis: (f: Fields) => string): InsnDef {
  return {
    name,
    pattern: `sf:1 ${opc} 100101 hw:2 imm16:16 rd:5`,
    guard: (f) => fv(f, 'sf') === 1 || fv(f, 'hw') < 2,
    disasm: dis,
  };
}

function disMoveWideRaw(mnemonic: string, f: Fields): string {
  const hw = fv(f, 'hw');
  return `${mnemonic}\t${reg(fv(f, 'sf'), fv(f, 'rd'))}, ${hexImm(fv(f, 'imm16'))}${hw ? `, lsl #${16 * hw}` : ''}`;
}

/** BFXPreferred: whether UBFM/SBFM print as ubfx/sbfx rather than an extend or shift. */
function bfxPreferred(sf: number, uns: boolean, imms: number, immr: number): boolean {
  if (imms < immr) return false;
  if (imms === (sf ? 63 : 31)) return false;
  if (immr !== 0) return true;
  if (!sf && (imms === 7 || imms === 15)) return false;
  if (sf && !uns && (imms === 7 || imms === 15 || imms === 31)) return false;
  return true;
}

function bitfieldOperands(f: Fields): { sf: number; rd: string; rn: string; immr: number; imms: number; size: number } {
  const sf = fv(f, 'sf');
  return { sf, rd: reg(sf, fv(f, 'rd')), rn: reg(sf, fv(f, 'rn')), immr: fv(f, 'immr'), imms: fv(f, 'imms'), size: sf ? 64 : 32 };
}

/** `xfiz` form (insert in zero) and `xfx` form (extract): lsb and width operands. */
function bfiz(m: string, o: ReturnType<typeof bitfieldOperands>): string {
  return `${m}\t${o.rd}, ${o.rn}, #${(o.size - o.immr) % o.size}, #${o.imms + 1}`;
}

function bfx(m: string, o: ReturnType<typeof bitfieldOperands>): string {
  return `${m}\t${o.rd}, ${o.rn}, #${o.immr}, #${o.imms - o.immr + 1}`;
}

function disSbfm(f: Fields): string {
  const o = bitfieldOperands(f);
  if (o.imms === o.size - 1) return `asr\t${o.rd}, ${o.rn}, #${o.immr}`;
  if (o.imms < o.immr) return bfiz('sbfiz', o);
  if (bfxPreferred(o.sf, false, o.imms, o.immr)) return bfx('sbfx', o);
  const ext = o.imms === 7 ? 'sxtb' : o.imms === 15 ? 'sxth' : 'sxtw';
  return `${ext}\t${o.rd}, ${reg(0, fv(f, 'rn'))}`;
}

function disUbfm(f: Fields): string {
  const o = bitfieldOperands(f);
  if (o.imms !== o.size - 1 && o.imms + 1 === o.immr) return `lsl\t${o.rd}, ${o.rn}, #${o.size - 1 - o.imms}`;
  if (o.imms === o.size - 1) return `lsr\t${o.rd}, ${o.rn}, #${o.immr}`;
  if (o.imms < o.immr) return bfiz('ubfiz', o);
  if (bfxPreferred(o.sf, true, o.imms, o.immr)) return bfx('ubfx', o);
  return `${o.imms === 7 ? 'uxtb' : 'uxth'}\t${o.rd}, ${o.rn}`;
}

function disBfm(f: Fields): string {
  const o = bitfieldOperands(f);
  if (o.imms >= o.immr) return bfx('bfxil', o);
  if (fv(f, 'rn') === 31) return `bfc\t${o.rd}, #${(o.size - o.immr) % o.size}, #${o.imms + 1}`;
  return bfiz('bfi', o);
}

function bitfield(name: string, opc: string, dis: (f: Fields) => string): InsnDef {
  return {
    name,
    pattern: `sf:1 ${opc} 100110 N:1 immr:6 imms:6 rn:5 rd:5`,
    guard: (f) => fv(f, 'N') === fv(f, 'sf') && (fv(f, 'sf') === 1 || (fv(f, 'immr') < 32 && fv(f, 'imms') < 32)),
    disasm: dis,
  };
}

export const dp_immDefs: InsnDef[] = [
  {
    name: 'ADR',
    pattern: '0 immlo:2 10000 immhi:19s rd:5',
    disasm: (f, pc) => `adr\t${reg(1, fv(f, 'rd'))}, ${pcRel(pc, fv(f, 'immhi') * 4 + fv(f, 'immlo'))}`,
  },
  {
    name: 'ADRP',
    pattern: '1 immlo:2 10000 immhi:19s rd:5',
    disasm: (f, pc) =>
      `adrp\t${reg(1, fv(f, 'rd'))}, ${pcRel(pc & ~0xfffn, (fv(f, 'immhi') * 4 + fv(f, 'immlo')) * 4096)}`,
  },
  addSubImm('ADD_imm', 0, 0, 'add'),
  addSubImm('ADDS_imm', 0, 1, 'adds'),
  addSubImm('SUB_imm', 1, 0, 'sub'),
  addSubImm('SUBS_imm', 1, 1, 'subs'),
  logicalImmDef('AND_imm', '00', 'and'),
  logicalImmDef('ORR_imm', '01', 'orr'),
  logicalImmDef('EOR_imm', '10', 'eor'),
  logicalImmDef('ANDS_imm', '11', 'ands'),
  moveWide('MOVN', '00', (f) => {
    const sf = fv(f, 'sf');
    if ((fv(f, 'imm16') === 0 && fv(f, 'hw') !== 0) || (!sf && fv(f, 'imm16') === 0xffff)) return disMoveWideRaw('movn', f);
    const value = BigInt.asUintN(sf ? 64 : 32, ~wideValue(f));
    return `mov\t${reg(sf, fv(f, 'rd'))}, ${hexImm(value)}`;
  }),
  moveWide('MOVZ', '10', (f) => {
    if (fv(f, 'imm16') === 0 && fv(f, 'hw') !== 0) return disMoveWideRaw('movz', f);
    return `mov\t${reg(fv(f, 'sf'), fv(f, 'rd'))}, ${hexImm(wideValue(f))}`;
  }),
  moveWide('MOVK', '11', (f) => disMoveWideRaw('movk', f)),
  bitfield('SBFM', '00', disSbfm),
  bitfield('BFM', '01', disBfm),
  bitfield('UBFM', '10', disUbfm),
  {
    name: 'EXTR',
    pattern: 'sf:1 00 100111 N:1 0 rm:5 imms:6 rn:5 rd:5',
    guard: (f) => fv(f, 'N') === fv(f, 'sf') && (fv(f, 'sf') === 1 || fv(f, 'imms') < 32),
    disasm: (f) => {
      const sf = fv(f, 'sf');
      const [rd, rn, rm] = [reg(sf, fv(f, 'rd')), reg(sf, fv(f, 'rn')), reg(sf, fv(f, 'rm'))];
      if (fv(f, 'rn') === fv(f, 'rm')) return `ror\t${rd}, ${rn}, #${fv(f, 'imms')}`;
      return `extr\t${rd}, ${rn}, ${rm}, #${fv(f, 'imms')}`;
    },
  },
];
