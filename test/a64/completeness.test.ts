/**
 * Completeness of the instruction set: every encoding that GNU objdump
 * decodes as a user-space instruction of a feature elfuse advertises must
 * decode in elfuse too (an A64 table entry with semantics in the
 * interpreter), so a program built for the CPU that AT_HWCAP describes
 * never meets a SIGILL. The differential test cannot find such gaps: it only
 * generates encodings of entries that exist.
 *
 * The sample: every value of bits 31:10 (4,194,304 words), each with
 * pseudo-random bits 9:0 (the register fields of most classes). Where
 * opcode bits live in 9:0 the sample is dense: the system-instruction space
 * (hints, barriers, PSTATE, DC/IC and system registers: op2 and CRm are in
 * bits 11:5, Rt = 31 selects a hint or barrier) with every value of bits
 * 21:5, once with Rt = 31 and once random; exception generation with every
 * opc and bits 4:0; and the FP/SIMD space (op0 = x111: FCMP's opc, FCCMP's
 * nzcv, FMOV's imm5, MOVI's abcdefgh) with one more draw of bits 9:0 and
 * one with bits 9:5 zero.
 * objdump decodes them in one run. What objdump decodes and elfuse does not
 * is a gap, unless
 * EXCLUDED says why the instruction is out of scope: features elfuse does
 * not advertise (SVE, SME, MTE, MOPS, PAuth...), system instructions that
 * only exist at higher exception levels or in debug state, and encodings
 * binutils decodes although the ARM ARM leaves them unallocated.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { a64 } from '../../src/domain/a64/decoder.js';
import { hwcapFromIds } from '../../src/domain/boot/hwcap.js';
import { EXEC_TABLE } from '../../src/adapters/interp/exec/index.js';
import { interpIdRegs } from '../../src/adapters/interp/features.js';
import { referenceTools, xorshift32 } from '../support/toolchain.js';

interface Exclusion {
  readonly why: string;
  /** objdump's mnemonic and operand text. */
  readonly match: (mnemonic: string, operands: string) => boolean;
  /** Excluded only while this HWCAP bit is not advertised. */
  readonly unless?: bigint;
}

const isOneOf = (...names: string[]) => (m: string): boolean => names.includes(m);
const re = (r: RegExp) => (m: string): boolean => r.test(m);
const gprFirst = (ops: string): boolean => /^[wx](\d+|zr)\b/.test(ops);

export const EXCLUDED: readonly Exclusion[] = [
  {
    why: 'SVE and SME (Z/P/ZA registers and the vector-length instructions): not advertised (no HWCAP_SVE/HWCAP2_SME)',
    match: (m, ops) =>
      /\b[zp]\d+\b|\bpn\d+\b|\bza|\bzt0\b/.test(ops) ||
      /^(addvl|addpl|rdvl|addsvl|addspl|rdsvl|cnt[bhwd]|inc[bhwd]|dec[bhwd]|[su]q(inc|dec)[bhwd]|cterm(eq|ne)|smstart|smstop)$/.test(m),
  },
  { why: 'FEAT_MTE (memory tagging): not advertised', match: isOneOf('irg', 'gmi', 'addg', 'subg', 'subp', 'subps', 'cmpp', 'stg', 'stzg', 'st2g', 'stz2g', 'stgp', 'ldg', 'ldgm', 'stgm', 'stzgm') },
  { why: 'FEAT_MOPS (memory copy and set): not advertised', match: (m) => /^cpy/.test(m) || /^set(g?)(p|m|e)/.test(m) },
  {
    why: 'FEAT_PAuth (pointer authentication): not advertised; its hint-space forms run as NOPs and decode',
    match: re(/^(pac|aut|xpac)|^(braa|brab|braaz|brabz|blraa|blrab|blraaz|blrabz|retaa|retab|eretaa|eretab|ldraa|ldrab)$/),
  },
  { why: 'FEAT_SM3/FEAT_SM4: not advertised (an M1 has neither)', match: re(/^sm[34]/) },
  { why: 'FEAT_I8MM: not advertised (an M1 does not have it)', match: isOneOf('usdot', 'sudot', 'smmla', 'ummla', 'usmmla') },
  { why: 'FEAT_BF16: not advertised (an M1 does not have it)', match: re(/^bf/) },
  {
    why: 'FEAT_CSSC (general-register ABS, CNT, CTZ, SMAX/SMIN/UMAX/UMIN): not advertised (ARMv8.9)',
    match: (m, ops) => /^(abs|cnt|ctz|smax|smin|umax|umin)$/.test(m) && gprFirst(ops),
  },
  { why: 'FEAT_HBC (BC.cond): not advertised (ARMv8.8)', match: re(/^bc\./) },
  { why: 'FEAT_LS64 (64-byte loads and stores): not advertised', match: isOneOf('ld64b', 'st64b', 'st64bv', 'st64bv0') },
  { why: 'FEAT_TME (transactional memory): not advertised', match: isOneOf('tstart', 'tcommit', 'tcancel', 'ttest') },
  { why: 'FEAT_XS (DSB with the nXS qualifier): not advertised (ID_AA64ISAR1_EL1.XS = 0; ARMv8.7)', match: (m, ops) => m === 'dsb' && /nxs$/.test(ops) },
  { why: 'FEAT_WFxT (WFET, WFIT): not advertised (no HWCAP2_WFXT; ARMv8.7)', match: isOneOf('wfet', 'wfit') },
  { why: 'FEAT_NMI (PSTATE.ALLINT): not advertised, and MSR ALLINT is EL1-only', match: (m, ops) => m === 'msr' && /^allint\b/.test(ops) },
  { why: 'EL2/EL3 calls: UNDEFINED at EL0', match: isOneOf('smc') },
  { why: 'halting debug (HLT, DCPS1-3, DRPS): only in debug state, UNDEFINED at EL0', match: isOneOf('hlt', 'dcps1', 'dcps2', 'dcps3', 'drps') },
  {
    why: 'unallocated system-instruction space (op0 = 0 outside the hints, barriers and PSTATE fields): objdump prints a generic S0_* name',
    match: (m, ops) => (m === 'mrs' || m === 'msr') && /\bs0_/.test(ops),
  },
  {
    why: 'FMLAL/FMLSL(2) (vector) with bit 22 set: binutils decodes them, the ARM ARM leaves them unallocated (qemu -cpu max: SIGILL)',
    match: (m, ops) => /^fml[as]l2?$/.test(m) && !/\[/.test(ops),
  },
];

const ref = referenceTools('aarch64-linux-gnu-objdump');

/** Bits 31:10 enumerated, bits 9:0 from xorshift32; then the dense parts (see the header). */
function sample(): Uint32Array {
  const next = xorshift32(0xc0ffee);
  const words: number[] = [];
  for (let top = 0; top < 1 << 22; top++) words.push(((top << 10) | (next() & 0x3ff)) >>> 0);
  // System instructions (0xd5000000 | bits 21:5 | Rt): every op0/op1/CRn/CRm/op2, Rt = 31 and random.
  for (let v = 0; v < 1 << 17; v++) {
    words.push((0xd5000000 | (v << 5) | 31) >>> 0, (0xd5000000 | (v << 5) | (next() & 31)) >>> 0);
  }
  // Exception generation (0xd4): every opc (23:21) and op2:LL (4:0), four random imm16 each.
  for (let v = 0; v < 1 << 8; v++) {
    for (let k = 0; k < 4; k++) words.push((0xd4000000 | ((v >> 5) << 21) | ((next() & 0xffff) << 5) | (v & 31)) >>> 0);
  }
  // FP and Advanced SIMD (bits 27:25 = 111): one more draw of bits 9:0, and one with bits 9:5 zero (FMOV's imm5).
  for (const low of [0x3ff, 0x1f]) {
    for (let top = 0; top < 1 << 22; top++) if (((top >>> 15) & 7) === 7) words.push(((top << 10) | (next() & low)) >>> 0);
  }
  return Uint32Array.from(words);
}

/**
 * Instructions a program for this CPU uses at EL0 whose opcode bits lie in
 * 9:0: the sample must contain each (objdump's text starts so), or its dense
 * parts are not dense.
 */
const MUST_SEE: readonly RegExp[] = [
  /^dc zva, (x\d+|xzr)$/, /^dc cvac, (x\d+|xzr)$/, /^dc cvau, (x\d+|xzr)$/, /^dc civac, (x\d+|xzr)$/, /^ic ivau, (x\d+|xzr)$/,
  /^mrs (x\d+|xzr), tpidr_el0$/, /^msr fpcr, (x\d+|xzr)$/, /^mrs (x\d+|xzr), nzcv$/, /^mrs (x\d+|xzr), cntvct_el0$/, /^mrs (x\d+|xzr), ctr_el0$/, /^mrs (x\d+|xzr), dczid_el0$/,
  /^bti c$/, /^csdb$/, /^yield$/, /^isb$/, /^sb$/, /^clrex$/, /^dsb ish$/, /^dmb ishld$/, /^svc #0x/, /^brk #0x/, /^cfinv$/,
  /^fcmp d\d+, #0\.0$/, /^fcmpe s\d+, s\d+$/, /^fccmp d\d+, d\d+, #0x0, eq$/, /^fmov d\d+, #1\.0+e\+00$/,
];

/** objdump's [mnemonic, operands] per word, or null where it does not decode the word. */
function objdumpAll(words: Uint32Array): ([string, string] | null)[] {
  const dir = mkdtempSync(join(tmpdir(), 'elfuse-complete-'));
  try {
    const bin = join(dir, 'w.bin');
    writeFileSync(bin, new Uint8Array(words.buffer, words.byteOffset, words.byteLength));
    const out = execFileSync('aarch64-linux-gnu-objdump', ['-D', '-b', 'binary', '-m', 'aarch64', bin], { maxBuffer: 1 << 30, encoding: 'latin1' });
    const texts: ([string, string] | null)[] = new Array(words.length).fill(null);
    for (const line of out.split('\n')) {
      const m = /^\s*([0-9a-f]+):\t[0-9a-f]{8} \t(\S+)\s*(.*)$/.exec(line);
      if (!m) continue;
      const mnemonic = m[2]!;
      if (mnemonic === '.inst' || mnemonic === 'udf') continue;
      texts[parseInt(m[1]!, 16) / 4] = [mnemonic, m[3]!.replace(/\s*\/\/.*$/, '').trim()];
    }
    return texts;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('instruction-set completeness against objdump', () => {
  it.skipIf(ref.skip)('every user-space instruction of an advertised feature decodes', () => {
    ref.check();
    const { hwcap } = hwcapFromIds(interpIdRegs());
    const active = EXCLUDED.filter((x) => x.unless === undefined || (hwcap & x.unless) !== x.unless);
    const words = sample();
    const texts = objdumpAll(words);
    const unseen = new Set(MUST_SEE);
    for (const t of texts) {
      if (!t) continue;
      for (const r of unseen) if (r.source.startsWith(`^${t[0]}`) && r.test(`${t[0]} ${t[1]}`.trim())) unseen.delete(r);
    }
    expect([...unseen].map(String), 'instructions the dense sample must contain').toEqual([]);
    const dec = a64();
    let checked = 0;
    const gaps = new Map<string, { count: number; example: string }>();
    const used = new Set<Exclusion>();
    texts.forEach((t, i) => {
      if (!t) return;
      const [mnemonic, ops] = t;
      const w = words[i]!;
      const ex = active.find((x) => x.match(mnemonic, ops));
      if (ex) {
        used.add(ex);
        return;
      }
      checked++;
      const d = dec.decode(w);
      if (d && d.entry.def.name in EXEC_TABLE) return;
      const g = gaps.get(mnemonic) ?? { count: 0, example: `${w.toString(16).padStart(8, '0')} ${mnemonic} ${ops}` };
      g.count++;
      gaps.set(mnemonic, g);
    });
    const report = [...gaps].sort((a, b) => b[1].count - a[1].count).map(([m, g]) => `${m}: ${g.count} (e.g. ${g.example})`);
    expect(report, 'objdump decodes these, elfuse does not').toEqual([]);
    // The sample must be the large one it claims to be, and every exclusion must still be needed.
    expect(checked).toBeGreaterThan(1_000_000);
    expect(active.filter((x) => !used.has(x)).map((x) => x.why)).toEqual([]);
  }, 300_000);
});
