/**
 * A64 table: loads and stores (ARM ARM C4.1.66 "Loads and Stores"): single
 * registers in every addressing mode, pairs, literals, exclusives,
 * load-acquire/store-release, RCpc and the LSE atomics, for general and
 * SIMD&FP registers. Entry names are built by the helpers below, which the
 * interpreter uses too, so both sides agree on them.
 */
import { withMemory, type InsnDef, type MemAccess } from '../insn.js';
import type { Fields } from '../pattern.js';
import { gpr, gprSp, target } from './syntax.js';

const f0 = (f: Fields, k: string): number => f[k] ?? 0;

// ---- names shared with the interpreter ------------------------------------------

/** Integer single-register kinds, by opc: store, zero-extending load, sign-extending load to X / to W. */
export const INT_KINDS = ['STR', 'LDR', 'LDRS64', 'LDRS32'] as const;
export type IntKind = (typeof INT_KINDS)[number];
/** Addressing modes of single-register loads and stores. */
export const SINGLE_MODES = ['uimm', 'pre', 'post', 'reg', 'unscaled', 'unpriv'] as const;
export type SingleMode = (typeof SINGLE_MODES)[number];
/** Pair addressing modes; 'noalloc' is LDNP/STNP. */
export const PAIR_MODES = ['off', 'pre', 'post', 'noalloc'] as const;
export type PairMode = (typeof PAIR_MODES)[number];
/** LSE atomic memory operations: [name, o3, opc]. */
export const ATOMIC_OPS = [
  ['LDADD', 0, 0], ['LDCLR', 0, 1], ['LDEOR', 0, 2], ['LDSET', 0, 3],
  ['LDSMAX', 0, 4], ['LDSMIN', 0, 5], ['LDUMAX', 0, 6], ['LDUMIN', 0, 7], ['SWP', 1, 0],
] as const;

/** Entry name of an integer (fp = false) or SIMD&FP single-register load/store. */
export function singleName(kind: IntKind, mode: SingleMode, fp = false): string {
  const suffix = fp ? '_fp' : '';
  if (mode === 'unscaled') return kind.replace(/^(ST|LD)R/, '$1UR') + suffix;
  if (mode === 'unpriv') return kind.replace(/^(ST|LD)R/, '$1TR') + suffix;
  return `${kind}${suffix}_${mode}`;
}

/** Entry name of a pair load/store: 'STP', 'LDP', 'LDPSW'. */
export function pairName(op: 'STP' | 'LDP' | 'LDPSW', mode: PairMode, fp = false): string {
  const suffix = fp ? '_fp' : '';
  if (mode === 'noalloc') return op.replace('P', 'NP') + suffix;
  return `${op}${suffix}_${mode}`;
}

// ---- operand printing ----------------------------------------------------------------

const base = (f: Fields): string => gprSp(1, f0(f, 'rn'));
const memOff = (f: Fields, imm: number): string => (imm === 0 ? `[${base(f)}]` : `[${base(f)}, #${imm}]`);
const memPre = (f: Fields, imm: number): string => `[${base(f)}, #${imm}]!`;
const memPost = (f: Fields, imm: number): string => `[${base(f)}], #${imm}`;

const EXTEND_NAMES: Record<number, string> = { 2: 'uxtw', 3: 'lsl', 6: 'sxtw', 7: 'sxtx' };

/** `[Xn, Rm{, extend {#amount}}]`; `amount` is the shift S selects. */
function memReg(f: Fields, amount: number): string {
  const option = f0(f, 'option');
  const rm = gpr(option & 1, f0(f, 'rm'));
  const s = f0(f, 's');
  if (option === 3 && !s) return `[${base(f)}, ${rm}]`;
  const ext = EXTEND_NAMES[option]!;
  return s ? `[${base(f)}, ${rm}, ${ext} #${amount}]` : `[${base(f)}, ${rm}, ${ext}]`;
}

/** Guard for register-offset forms: option<1> = 0 is reserved. */
const regOptionOk = (f: Fields): boolean => (f0(f, 'option') & 2) !== 0;

const PRF_TYPES = ['pld', 'pli', 'pst'];
const PRF_TARGETS = ['l1', 'l2', 'l3'];
/** PRFM <prfop>: type:target:policy in Rt, else the raw number. */
function prfop(rt: number): string {
  const type = PRF_TYPES[rt >> 3];
  const tgt = PRF_TARGETS[(rt >> 1) & 3];
  if (!type || !tgt) return '#0x' + rt.toString(16).padStart(2, '0');
  return type + tgt + (rt & 1 ? 'strm' : 'keep');
}

/** Operand address text for a single-register mode, with the offset already scaled. */
function singleAddr(mode: SingleMode, f: Fields, scale: number): string {
  switch (mode) {
    case 'uimm':
      return memOff(f, f0(f, 'imm12') * scale);
    case 'pre':
      return memPre(f, f0(f, 'imm9'));
    case 'post':
      return memPost(f, f0(f, 'imm9'));
    case 'reg':
      return memReg(f, f0(f, 's') ? Math.log2(scale) : 0);
    default:
      return memOff(f, f0(f, 'imm9'));
  }
}

/** Pattern bits after size/V/opc for each single mode (bits 25:24 and 21:10 around opc). */
function singlePattern(v: string, opc: string, mode: SingleMode): string {
  const head = `111 ${v}`;
  switch (mode) {
    case 'uimm':
      return `${head} 01 ${opc} imm12:12 rn:5 rt:5`;
    case 'reg':
      return `${head} 00 ${opc} 1 rm:5 option:3 s:1 10 rn:5 rt:5`;
    case 'unscaled':
      return `${head} 00 ${opc} 0 imm9:9s 00 rn:5 rt:5`;
    case 'post':
      return `${head} 00 ${opc} 0 imm9:9s 01 rn:5 rt:5`;
    case 'unpriv':
      return `${head} 00 ${opc} 0 imm9:9s 10 rn:5 rt:5`;
    case 'pre':
      return `${head} 00 ${opc} 0 imm9:9s 11 rn:5 rt:5`;
  }
}

// ---- single registers ------------------------------------------------------------------

const INT_OPC: Record<IntKind, string> = { STR: '00', LDR: '01', LDRS64: '10', LDRS32: '11' };
/** Sizes each kind allows: LDRS64 has no 64-bit form (that is PRFM), LDRS32 only B and H. */
const INT_SIZE_LIMIT: Record<IntKind, number> = { STR: 4, LDR: 4, LDRS64: 3, LDRS32: 2 };

function intMnemonic(kind: IntKind, mode: SingleMode, size: number): string {
  const root = { uimm: 'r', pre: 'r', post: 'r', reg: 'r', unscaled: 'ur', unpriv: 'tr' }[mode];
  const signed = kind === 'LDRS64' || kind === 'LDRS32';
  const op = (kind === 'STR' ? 'st' : 'ld') + root + (signed ? 's' : '');
  const suffix = size === 0 ? 'b' : size === 1 ? 'h' : signed && size === 2 ? 'w' : '';
  return op + suffix;
}

function intSingle(kind: IntKind, mode: SingleMode): InsnDef {
  const limit = INT_SIZE_LIMIT[kind];
  const regOk = mode === 'reg' ? regOptionOk : () => true;
  return {
    name: singleName(kind, mode),
    pattern: `size:2 ${singlePattern('0', INT_OPC[kind], mode)}`,
    guard: limit === 4 && mode !== 'reg' ? undefined : (f) => f0(f, 'size') < limit && regOk(f),
    disasm: (f) => {
      const size = f0(f, 'size');
      const sf = kind === 'LDRS64' ? 1 : kind === 'LDRS32' ? 0 : size === 3 ? 1 : 0;
      return `${intMnemonic(kind, mode, size)}\t${gpr(sf, f0(f, 'rt'))}, ${singleAddr(mode, f, 1 << size)}`;
    },
  };
}

/** SIMD&FP scalar register name for a transfer of 2^log2 bytes. */
const fpReg = (log2: number, n: number): string => 'bhsdq'[log2]! + n;
/** log2 of the transfer size of a SIMD&FP single load/store: q selects the 128-bit form (size must be 0). */
const fpLog2 = (f: Fields): number => (f0(f, 'q') ? 4 : f0(f, 'size'));

function fpSingle(kind: 'STR' | 'LDR', mode: Exclude<SingleMode, 'unpriv'>): InsnDef {
  const opc = `q:1 ${kind === 'STR' ? 0 : 1}`;
  const regOk = mode === 'reg' ? regOptionOk : () => true;
  const mn = kind.toLowerCase().replace('r', mode === 'unscaled' ? 'ur' : 'r');
  return {
    name: singleName(kind, mode, true),
    pattern: `size:2 ${singlePattern('1', opc, mode)}`,
    guard: (f) => (f0(f, 'q') === 0 || f0(f, 'size') === 0) && regOk(f),
    disasm: (f) => {
      const log2 = fpLog2(f);
      return `${mn}\t${fpReg(log2, f0(f, 'rt'))}, ${singleAddr(mode, f, 1 << log2)}`;
    },
    feature: 'fp',
  };
}

function prefetch(mode: 'uimm' | 'reg' | 'unscaled'): InsnDef {
  const name = mode === 'unscaled' ? 'PRFUM' : `PRFM_${mode}`;
  const mn = mode === 'unscaled' ? 'prfum' : 'prfm';
  return {
    name,
    pattern: `11 ${singlePattern('0', '10', mode)}`,
    guard: mode === 'reg' ? regOptionOk : undefined,
    disasm: (f) => `${mn}\t${prfop(f0(f, 'rt'))}, ${singleAddr(mode, f, 8)}`,
  };
}

// ---- pairs -------------------------------------------------------------------------------

const PAIR_MODE_BITS: Record<PairMode, string> = { noalloc: '000', post: '001', off: '010', pre: '011' };

function pairAddr(mode: PairMode, f: Fields, scale: number): string {
  const imm = f0(f, 'imm7') * scale;
  if (mode === 'pre') return memPre(f, imm);
  if (mode === 'post') return memPost(f, imm);
  return memOff(f, imm);
}

function intPair(op: 'STP' | 'LDP' | 'LDPSW', mode: PairMode): InsnDef {
  const l = op === 'STP' ? '0' : '1';
  const opc = op === 'LDPSW' ? '01' : 'opc:2';
  const mn = pairName(op, mode).replace(/_.*/, '').toLowerCase();
  return {
    name: pairName(op, mode),
    pattern: `${opc} 101 0 ${PAIR_MODE_BITS[mode]} ${l} imm7:7s rt2:5 rn:5 rt:5`,
    guard: op === 'LDPSW' ? undefined : (f) => f0(f, 'opc') === 0 || f0(f, 'opc') === 2,
    disasm: (f) => {
      const sf = op === 'LDPSW' || f0(f, 'opc') === 2 ? 1 : 0;
      const scale = op === 'LDPSW' ? 4 : 4 << (f0(f, 'opc') >> 1);
      return `${mn}\t${gpr(sf, f0(f, 'rt'))}, ${gpr(sf, f0(f, 'rt2'))}, ${pairAddr(mode, f, scale)}`;
    },
  };
}

function fpPair(op: 'STP' | 'LDP', mode: PairMode): InsnDef {
  const l = op === 'STP' ? '0' : '1';
  const mn = pairName(op, mode).replace(/_.*/, '').toLowerCase();
  return {
    name: pairName(op, mode, true),
    pattern: `opc:2 101 1 ${PAIR_MODE_BITS[mode]} ${l} imm7:7s rt2:5 rn:5 rt:5`,
    guard: (f) => f0(f, 'opc') < 3,
    disasm: (f) => {
      const log2 = 2 + f0(f, 'opc');
      return `${mn}\t${fpReg(log2, f0(f, 'rt'))}, ${fpReg(log2, f0(f, 'rt2'))}, ${pairAddr(mode, f, 1 << log2)}`;
    },
    feature: 'fp',
  };
}

// ---- exclusives, acquire/release, atomics ---------------------------------------------

const SIZE_SUFFIX = ['b', 'h', '', ''];
/** Register of an operation of 2^size bytes: X for 64-bit, else W. */
const szReg = (size: number, n: number): string => gpr(size === 3 ? 1 : 0, n);
const plainBase = (f: Fields): string => `[${base(f)}]`;

function atomicDef([name, o3, opc]: (typeof ATOMIC_OPS)[number]): InsnDef {
  const root = name.toLowerCase();
  return {
    name,
    pattern: `size:2 111 0 00 a:1 r:1 1 rs:5 ${o3} ${opc.toString(2).padStart(3, '0')} 00 rn:5 rt:5`,
    disasm: (f) => {
      const size = f0(f, 'size');
      const order = (f0(f, 'a') ? 'a' : '') + (f0(f, 'r') ? 'l' : '');
      const sfx = order + SIZE_SUFFIX[size];
      // ST<op>: the alias objdump prefers when the old value is discarded without acquire.
      if (name !== 'SWP' && f0(f, 'rt') === 31 && !f0(f, 'a')) {
        return `${root.replace(/^ld/, 'st')}${sfx}\t${szReg(size, f0(f, 'rs'))}, ${plainBase(f)}`;
      }
      return `${root}${sfx}\t${szReg(size, f0(f, 'rs'))}, ${szReg(size, f0(f, 'rt'))}, ${plainBase(f)}`;
    },
    feature: 'atomics',
  };
}

const evenRegs = (f: Fields): boolean => (f0(f, 'rs') & 1) === 0 && (f0(f, 'rt') & 1) === 0;

const EXCLUSIVE_DEFS: InsnDef[] = [
  // The Rs and Rt2 fields these forms do not use are should-be-one; other values are
  // CONSTRAINED UNPREDICTABLE, and like qemu and hardware the fields are ignored.
  {
    name: 'STXR',
    pattern: 'size:2 001000 0 0 0 rs:5 o0:1 ..... rn:5 rt:5',
    disasm: (f) =>
      `st${f0(f, 'o0') ? 'l' : ''}xr${SIZE_SUFFIX[f0(f, 'size')]}\t${gpr(0, f0(f, 'rs'))}, ${szReg(f0(f, 'size'), f0(f, 'rt'))}, ${plainBase(f)}`,
  },
  {
    name: 'LDXR',
    pattern: 'size:2 001000 0 1 0 ..... o0:1 ..... rn:5 rt:5',
    disasm: (f) => `ld${f0(f, 'o0') ? 'a' : ''}xr${SIZE_SUFFIX[f0(f, 'size')]}\t${szReg(f0(f, 'size'), f0(f, 'rt'))}, ${plainBase(f)}`,
  },
  {
    name: 'STXP',
    pattern: '1 sz:1 001000 0 0 1 rs:5 o0:1 rt2:5 rn:5 rt:5',
    disasm: (f) => {
      const r = (n: number): string => gpr(f0(f, 'sz'), n);
      return `st${f0(f, 'o0') ? 'l' : ''}xp\t${gpr(0, f0(f, 'rs'))}, ${r(f0(f, 'rt'))}, ${r(f0(f, 'rt2'))}, ${plainBase(f)}`;
    },
  },
  {
    name: 'LDXP',
    pattern: '1 sz:1 001000 0 1 1 ..... o0:1 rt2:5 rn:5 rt:5',
    disasm: (f) => {
      const r = (n: number): string => gpr(f0(f, 'sz'), n);
      return `ld${f0(f, 'o0') ? 'a' : ''}xp\t${r(f0(f, 'rt'))}, ${r(f0(f, 'rt2'))}, ${plainBase(f)}`;
    },
  },
  {
    // STLR (o0 = 1) and STLLR (o0 = 0, FEAT_LOR).
    name: 'STLR',
    pattern: 'size:2 001000 1 0 0 ..... o0:1 ..... rn:5 rt:5',
    disasm: (f) => `st${f0(f, 'o0') ? '' : 'l'}lr${SIZE_SUFFIX[f0(f, 'size')]}\t${szReg(f0(f, 'size'), f0(f, 'rt'))}, ${plainBase(f)}`,
  },
  {
    // LDAR (o0 = 1) and LDLAR (o0 = 0, FEAT_LOR).
    name: 'LDAR',
    pattern: 'size:2 001000 1 1 0 rs:5 o0:1 rt2:5 rn:5 rt:5',
    // binutils decodes LDLAR whatever Rs and Rt2 hold, but LDAR only with Rs<3:0> and Rt2 all ones.
    guard: (f) => f0(f, 'o0') === 0 || ((f0(f, 'rs') & 15) === 15 && f0(f, 'rt2') === 31),
    disasm: (f) => `ld${f0(f, 'o0') ? '' : 'l'}ar${SIZE_SUFFIX[f0(f, 'size')]}\t${szReg(f0(f, 'size'), f0(f, 'rt'))}, ${plainBase(f)}`,
  },
  {
    name: 'CAS',
    pattern: 'size:2 001000 1 l:1 1 rs:5 o0:1 11111 rn:5 rt:5',
    disasm: (f) => {
      const size = f0(f, 'size');
      const order = (f0(f, 'l') ? 'a' : '') + (f0(f, 'o0') ? 'l' : '');
      return `cas${order}${SIZE_SUFFIX[size]}\t${szReg(size, f0(f, 'rs'))}, ${szReg(size, f0(f, 'rt'))}, ${plainBase(f)}`;
    },
    feature: 'atomics',
  },
  {
    name: 'CASP',
    pattern: '0 sz:1 001000 0 l:1 1 rs:5 o0:1 11111 rn:5 rt:5',
    guard: evenRegs,
    disasm: (f) => {
      const r = (n: number): string => gpr(f0(f, 'sz'), n);
      const { rs, rt } = { rs: f0(f, 'rs'), rt: f0(f, 'rt') };
      const order = (f0(f, 'l') ? 'a' : '') + (f0(f, 'o0') ? 'l' : '');
      return `casp${order}\t${r(rs)}, ${r(rs + 1)}, ${r(rt)}, ${r(rt + 1)}, ${plainBase(f)}`;
    },
    feature: 'atomics',
  },
  {
    name: 'LDAPR',
    pattern: 'size:2 111 0 00 1 0 1 11111 1 100 00 rn:5 rt:5',
    disasm: (f) => `ldapr${SIZE_SUFFIX[f0(f, 'size')]}\t${szReg(f0(f, 'size'), f0(f, 'rt'))}, ${plainBase(f)}`,
    feature: 'lrcpc',
  },
];

/** STLUR/LDAPUR family (FEAT_LRCPC2): [name, opc, size limit]. */
const RCPC2_KINDS = [['STLUR', '00', 4], ['LDAPUR', '01', 4], ['LDAPURS64', '10', 3], ['LDAPURS32', '11', 2]] as const;

function rcpc2Def([name, opc, limit]: (typeof RCPC2_KINDS)[number]): InsnDef {
  const signed = name.startsWith('LDAPURS');
  return {
    name,
    pattern: `size:2 011001 ${opc} 0 imm9:9s 00 rn:5 rt:5`,
    guard: limit === 4 ? undefined : (f) => f0(f, 'size') < limit,
    disasm: (f) => {
      const size = f0(f, 'size');
      const sf = name === 'LDAPURS64' ? 1 : name === 'LDAPURS32' ? 0 : size === 3 ? 1 : 0;
      const mn = (signed ? 'ldapurs' : name.toLowerCase()) + (size === 2 && signed ? 'w' : SIZE_SUFFIX[size]);
      return `${mn}\t${gpr(sf, f0(f, 'rt'))}, ${memOff(f, f0(f, 'imm9'))}`;
    },
    feature: 'ilrcpc',
  };
}

// ---- literals ------------------------------------------------------------------------------

const LITERAL_DEFS: InsnDef[] = [
  {
    name: 'LDR_lit',
    pattern: 'opc:2 011 0 00 imm19:19s rt:5',
    guard: (f) => f0(f, 'opc') < 2,
    disasm: (f, pc) => `ldr\t${gpr(f0(f, 'opc'), f0(f, 'rt'))}, ${target(pc, f0(f, 'imm19'))}`,
  },
  {
    name: 'LDRSW_lit',
    pattern: '10 011 0 00 imm19:19s rt:5',
    disasm: (f, pc) => `ldrsw\t${gpr(1, f0(f, 'rt'))}, ${target(pc, f0(f, 'imm19'))}`,
  },
  {
    name: 'PRFM_lit',
    pattern: '11 011 0 00 imm19:19s rt:5',
    disasm: (f, pc) => `prfm\t${prfop(f0(f, 'rt'))}, ${target(pc, f0(f, 'imm19'))}`,
  },
  {
    name: 'LDR_fp_lit',
    pattern: 'opc:2 011 1 00 imm19:19s rt:5',
    guard: (f) => f0(f, 'opc') < 3,
    disasm: (f, pc) => `ldr\t${fpReg(2 + f0(f, 'opc'), f0(f, 'rt'))}, ${target(pc, f0(f, 'imm19'))}`,
    feature: 'fp',
  },
];

// ---- the table ---------------------------------------------------------------------------

const FP_MODES = ['uimm', 'pre', 'post', 'reg', 'unscaled'] as const;

/**
 * The access of each entry of this family: literals are PC-relative, the
 * rest use Rn; prefetches access nothing; the rest write when they store.
 */
function accessOf(name: string): MemAccess {
  if (name === 'PRFM_lit') return { base: 'pc', writes: false, prefetch: true };
  if (name.endsWith('_lit')) return { base: 'pc', writes: false };
  if (name.startsWith('PRF')) return { base: 'rn', writes: false, prefetch: true };
  const writes = /^(ST|CAS|SWP)/.test(name) || ATOMIC_OPS.some(([op]) => op === name);
  return { base: 'rn', writes };
}

const LDST_DEFS: InsnDef[] = [
  ...EXCLUSIVE_DEFS,
  ...ATOMIC_OPS.map(atomicDef),
  ...RCPC2_KINDS.map(rcpc2Def),
  ...LITERAL_DEFS,
  prefetch('uimm'),
  prefetch('reg'),
  prefetch('unscaled'),
  ...INT_KINDS.flatMap((kind) => SINGLE_MODES.map((mode) => intSingle(kind, mode))),
  ...(['STR', 'LDR'] as const).flatMap((kind) => FP_MODES.map((mode) => fpSingle(kind, mode))),
  ...(['STP', 'LDP', 'LDPSW'] as const).flatMap((op) =>
    PAIR_MODES.filter((m) => !(op === 'LDPSW' && m === 'noalloc')).map((mode) => intPair(op, mode)),
  ),
  ...(['STP', 'LDP'] as const).flatMap((op) => PAIR_MODES.map((mode) => fpPair(op, mode))),
];

export const ldstDefs: InsnDef[] = LDST_DEFS.map((d) => withMemory(d, accessOf(d.name)));
