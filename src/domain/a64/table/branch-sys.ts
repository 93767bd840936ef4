/**
 * A64 table: branches, exception generation and system instructions
 * (ARM ARM C4.1.65, "Branches, Exception Generating and System instructions").
 * Also exports the operand-printing helpers the load/store table shares.
 */
import type { ControlFlow, InsnDef } from '../insn.js';
import type { Fields } from '../pattern.js';

// ---- operand printing (shared with the load/store table) ---------------------

import { COND_NAMES, gpr, hexImm, target } from './syntax.js';

const f0 = (f: Fields, k: string): number => f[k] ?? 0;

// ---- hints and barriers ---------------------------------------------------------

/** Hint space (HINT #imm, imm = CRm:op2) names objdump uses; the rest print as `hint #imm`. */
const HINT_NAMES: Record<number, string> = {
  0: 'nop', 1: 'yield', 2: 'wfe', 3: 'wfi', 4: 'sev', 5: 'sevl', 7: 'xpaclri',
  8: 'pacia1716', 10: 'pacib1716', 12: 'autia1716', 14: 'autib1716',
  16: 'esb', 17: 'psb\tcsync', 18: 'tsb\tcsync', 20: 'csdb', 22: 'clearbhb',
  24: 'paciaz', 25: 'paciasp', 26: 'pacibz', 27: 'pacibsp', 28: 'autiaz', 29: 'autiasp', 30: 'autibz', 31: 'autibsp',
  32: 'bti', 34: 'bti\tc', 36: 'bti\tj', 38: 'bti\tjc',
};

/** DMB/DSB option names by CRm. */
const BARRIER_OPTS: Record<number, string> = {
  1: 'oshld', 2: 'oshst', 3: 'osh', 5: 'nshld', 6: 'nshst', 7: 'nsh',
  9: 'ishld', 10: 'ishst', 11: 'ish', 13: 'ld', 14: 'st', 15: 'sy',
};
const barrierOpt = (crm: number): string => BARRIER_OPTS[crm] ?? '#0x' + crm.toString(16).padStart(2, '0');

// ---- system registers -------------------------------------------------------------

/** Key of a system register operand: op0:op1:CRn:CRm:op2, as hv_sys_reg_t packs it. */
const sysKey = (op0: number, op1: number, crn: number, crm: number, op2: number): number =>
  (op0 << 14) | (op1 << 11) | (crn << 7) | (crm << 3) | op2;

/**
 * Named system registers: [name, op0, op1, CRn, CRm, op2]. The
 * registers an EL0/EL1 Linux guest and our shim touch; anything else prints
 * in the generic s<op0>_<op1>_c<n>_c<m>_<op2> form.
 */
export const SYSREG_LIST: readonly (readonly [string, number, number, number, number, number])[] = [
  ['midr_el1', 3, 0, 0, 0, 0], ['mpidr_el1', 3, 0, 0, 0, 5], ['revidr_el1', 3, 0, 0, 0, 6],
  ['id_pfr0_el1', 3, 0, 0, 1, 0], ['id_pfr1_el1', 3, 0, 0, 1, 1], ['id_dfr0_el1', 3, 0, 0, 1, 2],
  ['id_afr0_el1', 3, 0, 0, 1, 3], ['id_mmfr0_el1', 3, 0, 0, 1, 4], ['id_mmfr1_el1', 3, 0, 0, 1, 5],
  ['id_mmfr2_el1', 3, 0, 0, 1, 6], ['id_mmfr3_el1', 3, 0, 0, 1, 7],
  ['id_isar0_el1', 3, 0, 0, 2, 0], ['id_isar1_el1', 3, 0, 0, 2, 1], ['id_isar2_el1', 3, 0, 0, 2, 2],
  ['id_isar3_el1', 3, 0, 0, 2, 3], ['id_isar4_el1', 3, 0, 0, 2, 4], ['id_isar5_el1', 3, 0, 0, 2, 5],
  ['id_mmfr4_el1', 3, 0, 0, 2, 6], ['id_isar6_el1', 3, 0, 0, 2, 7],
  ['mvfr0_el1', 3, 0, 0, 3, 0], ['mvfr1_el1', 3, 0, 0, 3, 1], ['mvfr2_el1', 3, 0, 0, 3, 2],
  ['id_pfr2_el1', 3, 0, 0, 3, 4],
  ['id_aa64pfr0_el1', 3, 0, 0, 4, 0], ['id_aa64pfr1_el1', 3, 0, 0, 4, 1], ['id_aa64zfr0_el1', 3, 0, 0, 4, 4],
  ['id_aa64dfr0_el1', 3, 0, 0, 5, 0], ['id_aa64dfr1_el1', 3, 0, 0, 5, 1],
  ['id_aa64afr0_el1', 3, 0, 0, 5, 4], ['id_aa64afr1_el1', 3, 0, 0, 5, 5],
  ['id_aa64isar0_el1', 3, 0, 0, 6, 0], ['id_aa64isar1_el1', 3, 0, 0, 6, 1],
  ['id_aa64mmfr0_el1', 3, 0, 0, 7, 0], ['id_aa64mmfr1_el1', 3, 0, 0, 7, 1], ['id_aa64mmfr2_el1', 3, 0, 0, 7, 2],
  ['sctlr_el1', 3, 0, 1, 0, 0], ['actlr_el1', 3, 0, 1, 0, 1], ['cpacr_el1', 3, 0, 1, 0, 2],
  ['ttbr0_el1', 3, 0, 2, 0, 0], ['ttbr1_el1', 3, 0, 2, 0, 1], ['tcr_el1', 3, 0, 2, 0, 2],
  ['apiakeylo_el1', 3, 0, 2, 1, 0], ['apiakeyhi_el1', 3, 0, 2, 1, 1], ['apibkeylo_el1', 3, 0, 2, 1, 2], ['apibkeyhi_el1', 3, 0, 2, 1, 3],
  ['apdakeylo_el1', 3, 0, 2, 2, 0], ['apdakeyhi_el1', 3, 0, 2, 2, 1], ['apdbkeylo_el1', 3, 0, 2, 2, 2], ['apdbkeyhi_el1', 3, 0, 2, 2, 3],
  ['apgakeylo_el1', 3, 0, 2, 3, 0], ['apgakeyhi_el1', 3, 0, 2, 3, 1],
  ['spsr_el1', 3, 0, 4, 0, 0], ['elr_el1', 3, 0, 4, 0, 1], ['sp_el0', 3, 0, 4, 1, 0],
  ['spsel', 3, 0, 4, 2, 0], ['currentel', 3, 0, 4, 2, 2], ['pan', 3, 0, 4, 2, 3], ['uao', 3, 0, 4, 2, 4],
  ['afsr0_el1', 3, 0, 5, 1, 0], ['afsr1_el1', 3, 0, 5, 1, 1], ['esr_el1', 3, 0, 5, 2, 0],
  ['far_el1', 3, 0, 6, 0, 0], ['par_el1', 3, 0, 7, 4, 0],
  ['mair_el1', 3, 0, 10, 2, 0], ['amair_el1', 3, 0, 10, 3, 0],
  ['vbar_el1', 3, 0, 12, 0, 0], ['isr_el1', 3, 0, 12, 1, 0],
  ['contextidr_el1', 3, 0, 13, 0, 1], ['tpidr_el1', 3, 0, 13, 0, 4],
  ['cntkctl_el1', 3, 0, 14, 1, 0],
  ['ccsidr_el1', 3, 1, 0, 0, 0], ['clidr_el1', 3, 1, 0, 0, 1], ['aidr_el1', 3, 1, 0, 0, 7],
  ['csselr_el1', 3, 2, 0, 0, 0],
  ['ctr_el0', 3, 3, 0, 0, 1], ['dczid_el0', 3, 3, 0, 0, 7],
  ['nzcv', 3, 3, 4, 2, 0], ['daif', 3, 3, 4, 2, 1], ['dit', 3, 3, 4, 2, 5], ['ssbs', 3, 3, 4, 2, 6],
  ['fpcr', 3, 3, 4, 4, 0], ['fpsr', 3, 3, 4, 4, 1], ['dspsr_el0', 3, 3, 4, 5, 0], ['dlr_el0', 3, 3, 4, 5, 1],
  ['tpidr_el0', 3, 3, 13, 0, 2], ['tpidrro_el0', 3, 3, 13, 0, 3],
  ['cntfrq_el0', 3, 3, 14, 0, 0], ['cntpct_el0', 3, 3, 14, 0, 1], ['cntvct_el0', 3, 3, 14, 0, 2],
  ['cntp_tval_el0', 3, 3, 14, 2, 0], ['cntp_ctl_el0', 3, 3, 14, 2, 1], ['cntp_cval_el0', 3, 3, 14, 2, 2],
  ['cntv_tval_el0', 3, 3, 14, 3, 0], ['cntv_ctl_el0', 3, 3, 14, 3, 1], ['cntv_cval_el0', 3, 3, 14, 3, 2],
  ['sp_el1', 3, 4, 4, 1, 0],
  ['mdscr_el1', 2, 0, 0, 2, 2], ['mdccsr_el0', 2, 3, 0, 1, 0],
];

const SYSREG_NAMES = new Map<number, string>(
  SYSREG_LIST.map(([name, op0, op1, crn, crm, op2]) => [sysKey(op0, op1, crn, crm, op2), name]),
);

/** System register operand text (objdump names a register the same way for MRS and MSR). */
export function sysRegName(op0: number, op1: number, crn: number, crm: number, op2: number): string {
  return SYSREG_NAMES.get(sysKey(op0, op1, crn, crm, op2)) ?? `s${op0}_${op1}_c${crn}_c${crm}_${op2}`;
}

/** MSR (immediate) PSTATE fields by op1:op2. */
const PSTATE_FIELDS: Record<number, string> = {
  [(0 << 3) | 3]: 'uao', [(0 << 3) | 4]: 'pan', [(0 << 3) | 5]: 'spsel',
  [(3 << 3) | 1]: 'ssbs', [(3 << 3) | 2]: 'dit', [(3 << 3) | 4]: 'tco', [(3 << 3) | 6]: 'daifset', [(3 << 3) | 7]: 'daifclr',
};

/** A known PSTATE field; only DAIFSet/DAIFClr take a 4-bit immediate, the rest CRm<0> with CRm<3:1> = 0. */
function pstateOk(f: Fields): boolean {
  const key = (f0(f, 'op1') << 3) | f0(f, 'op2');
  if (PSTATE_FIELDS[key] === undefined) return false;
  return f0(f, 'op1') === 3 && f0(f, 'op2') >= 6 ? true : f0(f, 'crm') <= 1;
}

// ---- SYS aliases (DC, IC, AT, TLBI) ---------------------------------------------

/** [op, name, op1, CRn, CRm, op2, takes Xt]. */
export const SYS_LIST: readonly (readonly [string, string, number, number, number, number, boolean])[] = [
  ['ic', 'ialluis', 0, 7, 1, 0, false], ['ic', 'iallu', 0, 7, 5, 0, false], ['ic', 'ivau', 3, 7, 5, 1, true],
  ['dc', 'ivac', 0, 7, 6, 1, true], ['dc', 'isw', 0, 7, 6, 2, true], ['dc', 'csw', 0, 7, 10, 2, true],
  ['dc', 'cisw', 0, 7, 14, 2, true], ['dc', 'zva', 3, 7, 4, 1, true], ['dc', 'cvac', 3, 7, 10, 1, true],
  ['dc', 'cvau', 3, 7, 11, 1, true], ['dc', 'cvap', 3, 7, 12, 1, true], ['dc', 'cvadp', 3, 7, 13, 1, true],
  ['dc', 'civac', 3, 7, 14, 1, true],
  ['at', 's1e1r', 0, 7, 8, 0, true], ['at', 's1e1w', 0, 7, 8, 1, true], ['at', 's1e0r', 0, 7, 8, 2, true],
  ['at', 's1e0w', 0, 7, 8, 3, true], ['at', 's1e1rp', 0, 7, 9, 0, true], ['at', 's1e1wp', 0, 7, 9, 1, true],
  ['tlbi', 'vmalle1os', 0, 8, 1, 0, false], ['tlbi', 'vae1os', 0, 8, 1, 1, true], ['tlbi', 'aside1os', 0, 8, 1, 2, true],
  ['tlbi', 'vaae1os', 0, 8, 1, 3, true], ['tlbi', 'vale1os', 0, 8, 1, 5, true], ['tlbi', 'vaale1os', 0, 8, 1, 7, true],
  ['tlbi', 'rvae1is', 0, 8, 2, 1, true], ['tlbi', 'rvaae1is', 0, 8, 2, 3, true], ['tlbi', 'rvale1is', 0, 8, 2, 5, true],
  ['tlbi', 'rvaale1is', 0, 8, 2, 7, true],
  ['tlbi', 'vmalle1is', 0, 8, 3, 0, false], ['tlbi', 'vae1is', 0, 8, 3, 1, true], ['tlbi', 'aside1is', 0, 8, 3, 2, true],
  ['tlbi', 'vaae1is', 0, 8, 3, 3, true], ['tlbi', 'vale1is', 0, 8, 3, 5, true], ['tlbi', 'vaale1is', 0, 8, 3, 7, true],
  ['tlbi', 'rvae1os', 0, 8, 5, 1, true], ['tlbi', 'rvaae1os', 0, 8, 5, 3, true], ['tlbi', 'rvale1os', 0, 8, 5, 5, true],
  ['tlbi', 'rvaale1os', 0, 8, 5, 7, true],
  ['tlbi', 'rvae1', 0, 8, 6, 1, true], ['tlbi', 'rvaae1', 0, 8, 6, 3, true], ['tlbi', 'rvale1', 0, 8, 6, 5, true],
  ['tlbi', 'rvaale1', 0, 8, 6, 7, true],
  ['tlbi', 'vmalle1', 0, 8, 7, 0, false], ['tlbi', 'vae1', 0, 8, 7, 1, true], ['tlbi', 'aside1', 0, 8, 7, 2, true],
  ['tlbi', 'vaae1', 0, 8, 7, 3, true], ['tlbi', 'vale1', 0, 8, 7, 5, true], ['tlbi', 'vaale1', 0, 8, 7, 7, true],
];

const SYS_ALIASES = new Map<number, readonly [string, string, boolean]>(
  SYS_LIST.map(([op, name, op1, crn, crm, op2, xt]) => [sysKey(1, op1, crn, crm, op2), [op, name, xt]]),
);

function sysText(f: Fields): string {
  const { op1, crn, crm, op2, rt } = f as Record<'op1' | 'crn' | 'crm' | 'op2' | 'rt', number>;
  const a = SYS_ALIASES.get(sysKey(1, op1, crn, crm, op2));
  // objdump prints an operation that takes no register by its name whatever Rt holds.
  if (a) return a[2] ? `${a[0]}\t${a[1]}, ${gpr(1, rt)}` : `${a[0]}\t${a[1]}`;
  const tail = rt === 31 ? '' : `, ${gpr(1, rt)}`;
  return `sys\t#${op1}, C${crn}, C${crm}, #${op2}${tail}`;
}

// ---- the table --------------------------------------------------------------------

const sysRegOf = (f: Fields): string => sysRegName(2 + f0(f, 'o0'), f0(f, 'op1'), f0(f, 'crn'), f0(f, 'crm'), f0(f, 'op2'));

const EXC: ControlFlow = { kind: 'exception' };
const SYS: ControlFlow = { kind: 'system' };
const INDIRECT: ControlFlow = { kind: 'indirect', link: false };
const INDIRECT_LINK: ControlFlow = { kind: 'indirect', link: true };

export const branch_sysDefs: InsnDef[] = [
  // Exception generation. SMC, HLT and DCPS are UNDEFINED here: no entries.
  { name: 'SVC', pattern: '11010100 000 imm16:16 000 01', flow: EXC, disasm: (f) => `svc\t${hexImm(f0(f, 'imm16'))}` },
  { name: 'HVC', pattern: '11010100 000 imm16:16 000 10', flow: EXC, disasm: (f) => `hvc\t${hexImm(f0(f, 'imm16'))}` },
  { name: 'BRK', pattern: '11010100 001 imm16:16 000 00', flow: EXC, disasm: (f) => `brk\t${hexImm(f0(f, 'imm16'))}` },

  // Hints: the whole HINT space executes as NOP (PAC and BTI hints included: no FEAT_PAuth/BTI advertised).
  {
    name: 'HINT',
    pattern: '11010101000000110010 imm7:7 11111',
    disasm: (f) => HINT_NAMES[f0(f, 'imm7')] ?? `hint\t${hexImm(f0(f, 'imm7'))}`,
  },

  // Barriers and CLREX.
  {
    name: 'CLREX',
    pattern: '11010101000000110011 crm:4 010 11111',
    disasm: (f) => (f0(f, 'crm') === 15 ? 'clrex' : `clrex\t${hexImm(f0(f, 'crm'))}`),
  },
  {
    name: 'DSB',
    pattern: '11010101000000110011 crm:4 100 11111',
    disasm: (f) => {
      const crm = f0(f, 'crm');
      if (crm === 0) return 'ssbb';
      if (crm === 4) return 'pssbb';
      return `dsb\t${barrierOpt(crm)}`;
    },
  },
  { name: 'DMB', pattern: '11010101000000110011 crm:4 101 11111', disasm: (f) => `dmb\t${barrierOpt(f0(f, 'crm'))}` },
  { name: 'ISB', pattern: '11010101000000110011 1111 110 11111', flow: SYS, disasm: () => 'isb' },
  {
    name: 'ISB_opt',
    pattern: '11010101000000110011 crm:4 110 11111',
    guard: (f) => f.crm !== 15,
    flow: SYS,
    disasm: (f) => `isb\t${hexImm(f0(f, 'crm'))}`,
  },
  { name: 'SB', pattern: '11010101000000110011 0000 111 11111', disasm: () => 'sb', feature: 'sb' },

  // MSR (immediate) to PSTATE fields. op1=0, op2=0..2 are CFINV/XAFLAG/AXFLAG (table/flagm.ts).
  {
    name: 'MSR_imm',
    pattern: '1101010100000 op1:3 0100 crm:4 op2:3 11111',
    guard: pstateOk,
    flow: SYS,
    disasm: (f) => `msr\t${PSTATE_FIELDS[(f0(f, 'op1') << 3) | f0(f, 'op2')]}, ${hexImm(f0(f, 'crm'))}`,
  },

  // SYS / SYSL (cache, TLB and address-translation maintenance).
  { name: 'SYS', pattern: '1101010100 0 01 op1:3 crn:4 crm:4 op2:3 rt:5', flow: SYS, disasm: sysText },
  {
    name: 'SYSL',
    pattern: '1101010100 1 01 op1:3 crn:4 crm:4 op2:3 rt:5',
    flow: SYS,
    disasm: (f) => `sysl\t${gpr(1, f0(f, 'rt'))}, #${f0(f, 'op1')}, C${f0(f, 'crn')}, C${f0(f, 'crm')}, #${f0(f, 'op2')}`,
  },

  // MSR / MRS (register): op0 = 2 + o0.
  {
    name: 'MSR_reg',
    pattern: '1101010100 0 1 o0:1 op1:3 crn:4 crm:4 op2:3 rt:5',
    flow: SYS,
    disasm: (f) => `msr\t${sysRegOf(f)}, ${gpr(1, f0(f, 'rt'))}`,
  },
  {
    name: 'MRS',
    pattern: '1101010100 1 1 o0:1 op1:3 crn:4 crm:4 op2:3 rt:5',
    disasm: (f) => `mrs\t${gpr(1, f0(f, 'rt'))}, ${sysRegOf(f)}`,
  },

  // Branches.
  {
    name: 'B',
    pattern: '0 00101 imm26:26s',
    flow: { kind: 'direct', offset: 'imm26', conditional: false, link: false },
    disasm: (f, pc) => `b\t${target(pc, f0(f, 'imm26'))}`,
  },
  {
    name: 'BL',
    pattern: '1 00101 imm26:26s',
    flow: { kind: 'direct', offset: 'imm26', conditional: false, link: true },
    disasm: (f, pc) => `bl\t${target(pc, f0(f, 'imm26'))}`,
  },
  {
    name: 'B_cond',
    pattern: '0101010 0 imm19:19s 0 cond:4',
    flow: { kind: 'direct', offset: 'imm19', conditional: true, link: false },
    disasm: (f, pc) => `b.${COND_NAMES[f0(f, 'cond')]}\t${target(pc, f0(f, 'imm19'))}`,
  },
  {
    name: 'CBZ',
    pattern: 'sf:1 011010 0 imm19:19s rt:5',
    flow: { kind: 'direct', offset: 'imm19', conditional: true, link: false },
    disasm: (f, pc) => `cbz\t${gpr(f0(f, 'sf'), f0(f, 'rt'))}, ${target(pc, f0(f, 'imm19'))}`,
  },
  {
    name: 'CBNZ',
    pattern: 'sf:1 011010 1 imm19:19s rt:5',
    flow: { kind: 'direct', offset: 'imm19', conditional: true, link: false },
    disasm: (f, pc) => `cbnz\t${gpr(f0(f, 'sf'), f0(f, 'rt'))}, ${target(pc, f0(f, 'imm19'))}`,
  },
  {
    name: 'TBZ',
    pattern: 'b5:1 011011 0 b40:5 imm14:14s rt:5',
    flow: { kind: 'direct', offset: 'imm14', conditional: true, link: false },
    disasm: (f, pc) => tbText('tbz', f, pc),
  },
  {
    name: 'TBNZ',
    pattern: 'b5:1 011011 1 b40:5 imm14:14s rt:5',
    flow: { kind: 'direct', offset: 'imm14', conditional: true, link: false },
    disasm: (f, pc) => tbText('tbnz', f, pc),
  },
  { name: 'BR', pattern: '1101011 0000 11111 000000 rn:5 00000', flow: INDIRECT, disasm: (f) => `br\t${gpr(1, f0(f, 'rn'))}` },
  {
    name: 'BLR',
    pattern: '1101011 0001 11111 000000 rn:5 00000',
    flow: INDIRECT_LINK,
    disasm: (f) => `blr\t${gpr(1, f0(f, 'rn'))}`,
  },
  {
    name: 'RET',
    pattern: '1101011 0010 11111 000000 rn:5 00000',
    flow: INDIRECT,
    disasm: (f) => (f0(f, 'rn') === 30 ? 'ret' : `ret\t${gpr(1, f0(f, 'rn'))}`),
  },
  { name: 'ERET', pattern: '1101011 0100 11111 000000 11111 00000', flow: EXC, disasm: () => 'eret' },
];

function tbText(op: string, f: Fields, pc: bigint): string {
  const b5 = f0(f, 'b5');
  return `${op}\t${gpr(b5, f0(f, 'rt'))}, #${(b5 << 5) | f0(f, 'b40')}, ${target(pc, f0(f, 'imm14'))}`;
}
