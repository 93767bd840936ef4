/**
 * Instruction classes of the differential test: every entry of the A64
 * table (src/domain/a64/table) belongs to exactly one class below or to the
 * SKIPPED list, which says why it cannot be compared with qemu-aarch64. The
 * class decides how a case is built (plain register state, an address into
 * the scratch memory, a branch with targets inside the case, ...) and which
 * FPCR it runs with.
 */
import { a64 } from '../../../src/domain/a64/decoder.js';

export type Kind = 'plain' | 'mem' | 'branch' | 'branch-reg' | 'literal' | 'hint' | 'sysreg' | 'sys-cache';

export interface ClassSpec {
  readonly name: string;
  readonly kind: Kind;
  readonly entries: readonly string[];
  /** Vector registers hold FP-biased values (else random bits). */
  readonly fp?: boolean;
  /** FPCR gets random RMode/FZ/DN/AHP/FZ16 instead of 0. */
  readonly fpcrModes?: boolean;
  /** Vector registers hold half-precision-biased lanes (FEAT_FP16 entries). */
  readonly half?: boolean;
}

/** Entries that are not compared, and why. */
export const SKIPPED: Readonly<Record<string, string>> = {
  SVC: 'exception-generating: a system call, not an instruction result',
  HVC: 'exception-generating: UNDEFINED at EL0 (SIGILL)',
  BRK: 'exception-generating: SIGTRAP',
  ERET: 'UNDEFINED at EL0',
  SYSL: 'no SYSL encoding is usable at EL0',
  MSR_imm:
    'PSTATE fields: DAIFSet/Clr trap at EL0 (SCTLR.UMA=0); SSBS, DIT, TCO exist under qemu -cpu max but are not advertised by elfuse (CFINV/XAFLAG/AXFLAG have entries of their own)',
};

/**
 * Where qemu-aarch64 7.2 departs from the ARM ARM, the one field it gets
 * wrong is put right in its output before the comparison, so the rest of
 * the case is still compared. `fix` edits qemu's output block in place
 * (`v` is the offset of V0 in it) and only touches what the bug explains.
 */
export const REFERENCE_BUGS: Readonly<Record<string, { why: string; fix: (block: Buffer, word: number, v: number) => void }>> = {
  FCVTZS_scalar_fix_h: {
    why: 'qemu 7.2 sign-extends the 16-bit result of FCVTZS Hd, Hn, #fbits into bits 31:16 of Vd; the ARM ARM writes V[d, 16] (bits above 15 zero)',
    fix: (block, word, v) => {
      const o = v + 16 * (word & 31);
      if (block.readUInt16LE(o + 2) === (block.readUInt16LE(o) & 0x8000 ? 0xffff : 0)) block.writeUInt16LE(0, o + 2);
    },
  },
};

/** HINT immediates compared: NOP, YIELD, SEV, SEVL, DGH, ESB, PSB, TSB, CSDB, BTI and unallocated hints. */
export const HINT_IMMS: readonly number[] = [0, 1, 4, 5, 6, 16, 17, 18, 20, 32, 34, 36, 38, 40, 41, 64, 100, 127];
export const HINT_SKIPPED =
  'WFE/WFI (2, 3) exit to the host (EC 0x01), which completes them: not an instruction result; XPACLRI and the PAC/AUT hints (7, 8-15, 24-31) change X17/X30 under qemu -cpu max, which implements FEAT_PAuth, while elfuse does not advertise it and runs them as NOP';

/** System registers MRS/MSR are compared on: (o0, op1, CRn, CRm, op2) of NZCV, FPCR, FPSR. */
export const SYSREGS: readonly (readonly [string, number, number, number, number, number])[] = [
  ['nzcv', 1, 3, 4, 2, 0],
  ['fpcr', 1, 3, 4, 4, 0],
  ['fpsr', 1, 3, 4, 4, 1],
];
export const SYSREG_SKIPPED =
  'other EL0 registers differ by design: counters (CNTVCT/CNTFRQ), ID registers and CTR/DCZID (emulated by the kernel under qemu), TPIDR_EL0 (the harness uses it)';

/** SYS (cache maintenance) operations compared: (op1, CRn, CRm, op2). */
export const SYS_SKIPPED =
  'DC ZVA: the block it zeroes is IMPLEMENTATION DEFINED (DCZID_EL0.BS): 512 bytes under qemu -cpu max, 64 under elfuse; TLBI/AT/set-way operations are EL1-only';
export const SYS_OPS: readonly (readonly [string, number, number, number, number])[] = [
  ['dc cvac', 3, 7, 10, 1],
  ['dc cvau', 3, 7, 11, 1],
  ['dc civac', 3, 7, 14, 1],
  ['ic ivau', 3, 7, 5, 1],
];

const byRe = (re: RegExp) => (n: string): boolean => re.test(n);

interface Rule {
  name: string;
  kind: Kind;
  match: (n: string) => boolean;
  fp?: boolean;
  half?: boolean;
}

/** First matching rule wins. */
const RULES: readonly Rule[] = [
  // FEAT_FP16 (table/fp16.ts, every name ends in _h): scalar FP, then Advanced SIMD.
  { name: 'fp16-scalar', kind: 'plain', fp: true, half: true, match: (n) => n.endsWith('_h') && !/_(vec|simd|elem|scalar_fix|pair|vimm)|_?V_h$/.test(n) },
  { name: 'fp16-simd', kind: 'plain', fp: true, half: true, match: byRe(/_h$/) },
  { name: 'branch-imm', kind: 'branch', match: byRe(/^(B|BL|B_cond|CBN?Z|TBN?Z)$/) },
  { name: 'branch-reg', kind: 'branch-reg', match: byRe(/^(BR|BLR|RET)$/) },
  { name: 'hint', kind: 'hint', match: byRe(/^HINT$/) },
  { name: 'barrier', kind: 'plain', match: byRe(/^(CLREX|DSB|DMB|ISB|ISB_opt|SB)$/) },
  { name: 'sysreg', kind: 'sysreg', match: byRe(/^(MRS|MSR_reg)$/) },
  { name: 'cache-maint', kind: 'sys-cache', match: byRe(/^SYS$/) },
  { name: 'pc-rel', kind: 'plain', match: byRe(/^ADRP?$/) },
  { name: 'addsub-imm', kind: 'plain', match: byRe(/^(ADD|ADDS|SUB|SUBS)_imm$/) },
  { name: 'logic-imm', kind: 'plain', match: byRe(/^(AND|ORR|EOR|ANDS)_imm$/) },
  { name: 'move-wide', kind: 'plain', match: byRe(/^MOV[NZK]$/) },
  { name: 'bitfield-extr', kind: 'plain', match: byRe(/^(SBFM|BFM|UBFM|EXTR)$/) },
  { name: 'logic-reg', kind: 'plain', match: byRe(/^(AND|BIC|ORR|ORN|EOR|EON|ANDS|BICS)_shift$/) },
  { name: 'addsub-reg', kind: 'plain', match: byRe(/^(ADD|ADDS|SUB|SUBS)_(shift|ext)$/) },
  { name: 'addsub-carry', kind: 'plain', match: byRe(/^(ADC|ADCS|SBC|SBCS)$/) },
  { name: 'cond-cmp-sel', kind: 'plain', match: byRe(/^(CCMN_reg|CCMP_reg|CCMN_imm|CCMP_imm|CSEL|CSINC|CSINV|CSNEG)$/) },
  { name: 'dp-1src', kind: 'plain', match: byRe(/^(RBIT|REV16|REV32|REV|CLZ|CLS)$/) },
  { name: 'div-shift', kind: 'plain', match: byRe(/^(UDIV|SDIV|LSLV|LSRV|ASRV|RORV)$/) },
  { name: 'crc32', kind: 'plain', match: byRe(/^CRC32/) },
  { name: 'mul', kind: 'plain', match: byRe(/^(MADD|MSUB|SMADDL|SMSUBL|UMADDL|UMSUBL|SMULH|UMULH)$/) },
  { name: 'ld-literal', kind: 'literal', match: byRe(/_lit$/) },
  { name: 'simd-ldst-struct', kind: 'mem', match: byRe(/^LDST_/) },
  { name: 'exclusive', kind: 'mem', match: byRe(/^(STXR|LDXR|STXP|LDXP)$/) },
  { name: 'acquire-release', kind: 'mem', match: byRe(/^(STLR|LDAR|LDAPR|STLUR|LDAPUR|LDAPURS64|LDAPURS32)$/) },
  { name: 'lse-atomic', kind: 'mem', match: byRe(/^(CAS|CASP|LDADD|LDCLR|LDEOR|LDSET|LDSMAX|LDSMIN|LDUMAX|LDUMIN|SWP)$/) },
  { name: 'ldst-pair-fp', kind: 'mem', match: byRe(/^(STP|LDP)_fp_|^(STNP|LDNP)_fp$/) },
  { name: 'ldst-pair', kind: 'mem', match: byRe(/^(STP|LDP|LDPSW)_|^(STNP|LDNP)$/) },
  { name: 'ldst-fp', kind: 'mem', match: byRe(/_fp_|_fp$/) },
  { name: 'ldst-regoff', kind: 'mem', match: byRe(/^(STR|LDR|LDRS64|LDRS32|PRFM)_reg$/) },
  { name: 'ldst-prepost', kind: 'mem', match: byRe(/_(pre|post)$/) },
  { name: 'ldst-uimm', kind: 'mem', match: byRe(/_uimm$/) },
  { name: 'ldst-unscaled', kind: 'mem', match: byRe(/^(STUR|LDUR|LDURS64|LDURS32|PRFUM|STTR|LDTR|LDTRS64|LDTRS32)$/) },
  { name: 'simd-copy', kind: 'plain', match: byRe(/^(DUP_elem|DUP_gen|SMOV|UMOV|INS_gen|INS_elem|DUP_scalar)$/) },
  { name: 'simd-modimm', kind: 'plain', match: byRe(/_vimm$/) },
  { name: 'simd-fp-elem', kind: 'plain', fp: true, match: byRe(/^F\w+_elem$/) },
  { name: 'simd-int-elem', kind: 'plain', match: byRe(/_elem$/) },
  { name: 'crypto', kind: 'plain', match: byRe(/^(AES[EDM]|AESIMC|AESMC|PMULL_(8|64)|SHA1[CPMH]|SHA1SU[01]|SHA256(H|H2|SU0|SU1)|SHA512(H|H2|SU0|SU1)|RAX1|EOR3|BCAX|XAR)$/) },
  { name: 'flagm', kind: 'plain', match: byRe(/^(CFINV|XAFLAG|AXFLAG|RMIF|SETF)$/) },
  { name: 'simd-fp-cvt', kind: 'plain', fp: true, match: byRe(/^(FCVT[NMAPZ][SU]|SCVTF|UCVTF)_(vec|scalar_simd)$/) },
  { name: 'simd-fp-scalar', kind: 'plain', fp: true, match: byRe(/^F[A-Z]+_(scalar_simd|zero_scalar|pair)$/) },
  { name: 'simd-fp-across', kind: 'plain', fp: true, match: byRe(/^F(MAX|MIN)(NM)?V$/) },
  { name: 'simd-fp', kind: 'plain', fp: true, match: byRe(/^F[A-Z]+_(vec|zero)$/) },
  { name: 'fp-convert', kind: 'plain', fp: true, match: byRe(/^(FMOV_to_gen|FMOV_from_gen|FJCVTZS)$|_gen$|_fix$/) },
  { name: 'fp-dp1', kind: 'plain', fp: true, match: byRe(/^(FMOV_reg|FABS_scalar|FNEG_scalar|FSQRT_scalar|FCVT_scalar|FRINT[NPMZAXI]_scalar)$/) },
  { name: 'fp-dp2', kind: 'plain', fp: true, match: byRe(/^F\w+_scalar$/) },
  { name: 'fp-dp3', kind: 'plain', fp: true, match: byRe(/^(FMADD|FMSUB|FNMADD|FNMSUB)$/) },
  { name: 'fp-cmp-sel-imm', kind: 'plain', fp: true, match: byRe(/^(FCMP|FCCMP|FCSEL|FMOV_imm)$/) },
  { name: 'simd-shift-imm', kind: 'plain', match: byRe(/^(SSHR|USHR|SSRA|USRA|SRSHR|URSHR|SRI|SHL|SLI|SHRN|RSHRN|SSHLL|USHLL)_(vec|scalar)$/) },
  { name: 'simd-logic', kind: 'plain', match: byRe(/^(ORR|AND|BIC|ORN|EOR|BSL|BIT|BIF)_vec$/) },
  { name: 'simd-across', kind: 'plain', match: byRe(/^(ADDV|UMAXV|UMINV|SMAXV|SMINV|UADDLV|SADDLV)$/) },
  { name: 'simd-3diff', kind: 'plain', match: byRe(/^(SADDL|UADDL|SADDW|UADDW|SSUBL|USUBL|SSUBW|USUBW|ADDHN|SUBHN|SABAL|UABAL|SABDL|UABDL|SMLAL|UMLAL|SMLSL|UMLSL|SMULL|UMULL)_vec$/) },
  { name: 'simd-permute', kind: 'plain', match: byRe(/^(UZP1|UZP2|TRN1|TRN2|ZIP1|ZIP2|EXT|TBL)$/) },
  { name: 'simd-misc', kind: 'plain', match: byRe(/^(REV64|REV16|REV32|SADDLP|UADDLP|SADALP|UADALP|CLS|CLZ|CNT|NOT|RBIT|ABS|NEG|XTN|SQXTN|UQXTN|SQXTUN)_vec$|_zero$/) },
  { name: 'simd-int-3same', kind: 'plain', match: byRe(/_(vec|scalar)$/) },
];

/**
 * The classes over the whole table, in table order within a class. FP
 * classes run with FPCR = 0; each has a twin suffixed `/fpcr` that runs with
 * random rounding mode, flush-to-zero, default-NaN and alternative-half
 * bits.
 */
export function classes(): ClassSpec[] {
  const map = new Map<string, { rule: Rule; entries: string[] }>();
  const unclassified: string[] = [];
  for (const e of a64().entries) {
    const n = e.def.name;
    if (n in SKIPPED) continue;
    const rule = RULES.find((r) => r.match(n));
    if (!rule) {
      unclassified.push(n);
      continue;
    }
    let slot = map.get(rule.name);
    if (!slot) map.set(rule.name, (slot = { rule, entries: [] }));
    slot.entries.push(n);
  }
  if (unclassified.length) throw new Error(`table entries in no differential class: ${unclassified.join(', ')}`);
  const out: ClassSpec[] = [];
  for (const { rule, entries } of map.values()) {
    out.push({ name: rule.name, kind: rule.kind, entries, fp: rule.fp, half: rule.half });
  }
  for (const { rule, entries } of map.values()) {
    if (rule.fp) out.push({ name: `${rule.name}/fpcr`, kind: rule.kind, entries, fp: true, fpcrModes: true, half: rule.half });
  }
  return out;
}
