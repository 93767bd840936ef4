/**
 * The differential run: spread a number of cases over every class and every
 * entry of it, pack them into guest programs, run each under qemu and
 * elfuse, compare the dumps case by case, and describe the differences and
 * the per-class counts as text.
 */
import { disassemble } from '../../../src/domain/a64/disasm.js';
import { objdumpWords } from '../toolchain.js';
import { classes, REFERENCE_BUGS, type ClassSpec } from './classes.js';
import { entryCases, SCRATCH, type Case, type Val } from './gen.js';
import { BLOCK, OFF, runBatch, type CaseResult, type Runners } from './program.js';

export interface ClassCount {
  readonly cls: string;
  readonly entries: number;
  cases: number;
  failed: number;
  /** Entries whose generator gave fewer cases than asked (guards rejected most encodings). */
  short: string[];
}

export interface DiffReport {
  readonly total: number;
  readonly failed: CaseResult[];
  readonly counts: ClassCount[];
}

export interface DiffOptions {
  /** Total cases to spread over all entries. */
  readonly total: number;
  readonly seed: number;
  readonly batch: number;
  /** Only these classes (by name), if given. */
  readonly only?: readonly string[];
  /** Rerun just case `index` of `entry` (in its first class, or `cls`). */
  readonly one?: { readonly entry: string; readonly index: number; readonly cls?: string };
}

/** All cases of the run, class by class, entry by entry. */
export function plan(opts: DiffOptions): { cases: Case[]; counts: ClassCount[] } {
  let specs: ClassSpec[] = classes();
  if (opts.only) specs = specs.filter((s) => opts.only!.includes(s.name));
  if (opts.one) {
    const { entry, index, cls } = opts.one;
    const spec = specs.find((s) => (cls ? s.name === cls : s.entries.includes(entry)));
    if (!spec) throw new Error(`no class holds entry ${entry}`);
    const c = entryCases(spec, entry, index + 1, opts.seed)[index];
    if (!c) throw new Error(`entry ${entry} has no case ${index}`);
    return { cases: [c], counts: [{ cls: spec.name, entries: 1, cases: 1, failed: 0, short: [] }] };
  }
  const entryTotal = specs.reduce((n, s) => n + s.entries.length, 0);
  const perEntry = Math.max(1, Math.ceil(opts.total / entryTotal));
  const cases: Case[] = [];
  const counts: ClassCount[] = [];
  for (const s of specs) {
    const count: ClassCount = { cls: s.name, entries: s.entries.length, cases: 0, failed: 0, short: [] };
    for (const entry of s.entries) {
      const got = entryCases(s, entry, perEntry, opts.seed);
      if (got.length < perEntry) count.short.push(`${entry} ${got.length}/${perEntry}`);
      count.cases += got.length;
      cases.push(...got);
    }
    counts.push(count);
  }
  return { cases, counts };
}

/** Interleave the classes, so every batch mixes instructions (and a crash is found by bisection quickly). */
function shuffle(cases: Case[], seed: number): Case[] {
  const a = cases.slice();
  let s = seed >>> 0 || 1;
  for (let i = a.length - 1; i > 0; i--) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    const j = s % (i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

export function runDiff(opts: DiffOptions, runners: Runners): DiffReport {
  const { cases, counts } = plan(opts);
  const order = shuffle(cases, opts.seed);
  const failed: CaseResult[] = [];
  for (let k = 0; k < order.length; k += opts.batch) {
    for (const r of runBatch(order.slice(k, k + opts.batch), runners)) {
      if (r.qemu) REFERENCE_BUGS[r.c.entry]?.fix(r.qemu.block, r.c.word, OFF.v);
      if (r.crash || !r.qemu!.block.equals(r.elfuse!.block) || !r.qemu!.mem.equals(r.elfuse!.mem)) failed.push(r);
    }
  }
  for (const f of failed) counts.find((c) => c.cls === f.c.cls)!.failed++;
  return { total: cases.length, failed, counts };
}

// ---- text -------------------------------------------------------------------------

const h64 = (v: bigint): string => v.toString(16).padStart(16, '0');
const showVal = (v: Val): string => (typeof v === 'bigint' ? h64(v) : `${v.sym}${v.off ? (v.off < 0 ? '' : '+') + v.off : ''}`);

/** Named 64/128-bit fields of an output block that differ. */
function blockDiff(q: Buffer, e: Buffer): string[] {
  const out: string[] = [];
  const g = (b: Buffer, o: number): bigint => b.readBigUInt64LE(o);
  for (let r = 0; r < 31; r++) if (g(q, 8 * r) !== g(e, 8 * r)) out.push(`x${r}: qemu ${h64(g(q, 8 * r))} elfuse ${h64(g(e, 8 * r))}`);
  for (const [n, o] of [['sp', OFF.sp], ['nzcv', OFF.nzcv], ['fpcr', OFF.fpcr], ['fpsr', OFF.fpsr]] as const) {
    if (g(q, o) !== g(e, o)) out.push(`${n}: qemu ${g(q, o).toString(16)} elfuse ${g(e, o).toString(16)}`);
  }
  for (let v = 0; v < 32; v++) {
    const o = OFF.v + 16 * v;
    const a = q.subarray(o, o + 16);
    const b = e.subarray(o, o + 16);
    if (!a.equals(b)) out.push(`v${v}: qemu ${Buffer.from(a).reverse().toString('hex')} elfuse ${Buffer.from(b).reverse().toString('hex')}`);
  }
  return out;
}

function memDiff(q: Buffer, e: Buffer): string[] {
  const out: string[] = [];
  for (let k = 0; k < SCRATCH; k += 16) {
    const a = q.subarray(k, k + 16);
    const b = e.subarray(k, k + 16);
    if (!a.equals(b)) out.push(`mem S+${k}: qemu ${a.toString('hex')} elfuse ${b.toString('hex')}`);
  }
  return out;
}

/** Inputs worth showing: the registers the instruction names, flags and FP control. */
function inputs(c: Case): string {
  const parts = c.x.map((v, r) => `x${r}=${showVal(v)}`);
  const vs: string[] = [];
  for (let r = 0; r < 32; r++) vs.push(`v${r}=${Buffer.from(c.v.subarray(16 * r, 16 * r + 16)).reverse().toString('hex')}`);
  return `nzcv=${c.nzcv.toString(2).padStart(4, '0')} fpcr=${c.fpcr.toString(16)} fpsr=${c.fpsr.toString(16)} sp=${showVal(c.sp)}\n      ${parts.join(' ')}\n      ${vs.join(' ')}`;
}

export function describeFailures(failed: readonly CaseResult[], limit: number, seed: number): string {
  const shown = failed.slice(0, limit);
  let objdump: string[] = [];
  try {
    objdump = objdumpWords(shown.map((f) => f.c.word));
  } catch {
    objdump = [];
  }
  return shown.map((f, k) => {
    const c = f.c;
    const head = `[${c.cls}] ${c.entry}#${c.index} ${c.word.toString(16).padStart(8, '0')}  ${objdump[k] ?? disassemble(c.word)}` +
      (c.pre.length ? `  (after ${c.pre.map((w) => disassemble(w)).join('; ')})` : '') +
      `\n    rerun: ELFUSE_DIFF_SEED=${seed} ELFUSE_DIFF_CASE=${c.cls}:${c.entry}:${c.index}`;
    const diff = f.crash
      ? [`crash: ${f.crash}`]
      : [...blockDiff(f.qemu!.block, f.elfuse!.block), ...memDiff(f.qemu!.mem, f.elfuse!.mem)];
    return `${head}\n    in: ${inputs(c)}\n    ${diff.join('\n    ')}`;
  }).join('\n');
}

export function describeCounts(r: DiffReport): string {
  const w = Math.max(...r.counts.map((c) => c.cls.length));
  const lines = [`${'class'.padEnd(w)}  entries    cases   failed`];
  for (const c of r.counts) {
    lines.push(`${c.cls.padEnd(w)}  ${String(c.entries).padStart(7)}  ${String(c.cases).padStart(7)}  ${String(c.failed).padStart(7)}${c.failed ? '  <-- DIFFERS' : ''}${c.short.length ? `  (short: ${c.short.join(', ')})` : ''}`);
  }
  lines.push(`${'total'.padEnd(w)}  ${String(r.counts.reduce((n, c) => n + c.entries, 0)).padStart(7)}  ${String(r.total).padStart(7)}  ${String(r.failed.length).padStart(7)}`);
  return lines.join('\n');
}

export { BLOCK };
