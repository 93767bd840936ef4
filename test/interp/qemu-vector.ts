/**
 * Differential-test machinery for register-only instructions against
 * qemu-aarch64 -cpu max: random encodings of table entries (operand
 * registers limited to 0..7) run once under qemu in one generated static
 * program and once on the interpreter, from the same random V0-V7/X0-X7/NZCV
 * state. V0-V7, X0-X7, NZCV and FPSR after each instruction must match.
 *
 * The same driver as simd-qemu.test.ts, with integer-biased inputs (edge
 * lane values such as 0, -1, INT_MIN, INT_MAX for the saturating forms) and
 * per-entry case counts, for the crypto and integer extension tests.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { a64 } from '../../src/domain/a64/decoder.js';
import { disassemble } from '../../src/domain/a64/disasm.js';
import { encodePattern, parsePattern } from '../../src/domain/a64/pattern.js';
import type { InsnDef } from '../../src/domain/a64/insn.js';
import { objdumpWords, xorshift32 } from '../support/toolchain.js';
import { runWords } from './harness.js';

const IN_BYTES = 8 * 16 + 8 * 8 + 8; // V0-V7, X0-X7, NZCV
const OUT_BYTES = 8 * 16 + 8 * 8 + 16; // V0-V7, X0-X7, NZCV, FPSR

const EDGE32 = [0, 1, 0xffffffff, 0x7fffffff, 0x80000000, 0x7fff7fff, 0x80008000, 0x7f7f7f7f, 0x80808080, 0xffff0000, 0x00010001, 0x40004000];

/** A random register state: each 64-bit chunk random, or built from edge lane values. */
export function randomState(next: () => number): Uint8Array {
  const buf = new Uint8Array(IN_BYTES);
  const dv = new DataView(buf.buffer);
  for (let w = 0; w < (8 * 16 + 8 * 8) / 4; w++) {
    const k = next() % 4;
    const v = k === 0 ? EDGE32[next() % EDGE32.length]! : k === 1 ? next() & 0x8f0f80ff : next();
    dv.setUint32(w * 4, v >>> 0, true);
  }
  dv.setUint32(8 * 16 + 8 * 8, (next() & 0xf0000000) >>> 0, true);
  return buf;
}

/** Random encodings of an entry with operand registers in 0..7. */
export function samples(def: InsnDef, count: number, next: () => number): number[] {
  const p = parsePattern(def.pattern);
  const out: number[] = [];
  for (let tries = 0; tries < count * 20 && out.length < count; tries++) {
    const v: Record<string, number> = {};
    for (const f of p.fields) {
      let x = next() % 2 ** f.len;
      if (/^r[dnmat]$/.test(f.name)) x &= 7;
      v[f.name] = f.signed && x >= 2 ** (f.len - 1) ? x - 2 ** f.len : x;
    }
    // By-element M is a register bit except for H lanes (size 1), where it is an index bit.
    if ('m' in v && v.size !== 1) v.m = 0;
    const w = encodePattern(p, v);
    const d = a64().decode(w);
    if (d?.entry.def.name === def.name) out.push(w);
  }
  return out;
}

function qemuRun(words: number[], states: Uint8Array[]): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'elfuse-qemu-'));
  try {
    const lines = ['.global _start', '.text', '_start:', 'adrp x20, inputs', 'add x20, x20, :lo12:inputs', 'adrp x21, outputs', 'add x21, x21, :lo12:outputs'];
    for (const w of words) {
      lines.push(
        'ldp q0, q1, [x20]', 'ldp q2, q3, [x20, #32]', 'ldp q4, q5, [x20, #64]', 'ldp q6, q7, [x20, #96]',
        'ldp x0, x1, [x20, #128]', 'ldp x2, x3, [x20, #144]', 'ldp x4, x5, [x20, #160]', 'ldp x6, x7, [x20, #176]',
        'ldr x9, [x20, #192]', 'msr nzcv, x9', 'msr fpsr, xzr',
        `.inst 0x${w.toString(16)}`,
        'stp q0, q1, [x21]', 'stp q2, q3, [x21, #32]', 'stp q4, q5, [x21, #64]', 'stp q6, q7, [x21, #96]',
        'stp x0, x1, [x21, #128]', 'stp x2, x3, [x21, #144]', 'stp x4, x5, [x21, #160]', 'stp x6, x7, [x21, #176]',
        'mrs x9, nzcv', 'mrs x10, fpsr', 'stp x9, x10, [x21, #192]',
        `add x20, x20, #${IN_BYTES}`, `add x21, x21, #${OUT_BYTES}`,
      );
    }
    lines.push('mov x0, #1', 'adrp x1, outputs', 'add x1, x1, :lo12:outputs', `ldr x2, =${words.length * OUT_BYTES}`, 'mov x8, #64', 'svc #0',
      'mov x0, #0', 'mov x8, #93', 'svc #0', '.ltorg', '.data', '.balign 16', 'inputs:');
    for (const s of states) lines.push(`.byte ${Array.from(s).join(',')}`);
    lines.push('.bss', '.balign 16', 'outputs:', `.skip ${words.length * OUT_BYTES}`);
    writeFileSync(join(dir, 'p.s'), lines.join('\n') + '\n');
    execFileSync('aarch64-linux-gnu-as', [join(dir, 'p.s'), '-o', join(dir, 'p.o')]);
    execFileSync('aarch64-linux-gnu-ld', [join(dir, 'p.o'), '-o', join(dir, 'p')]);
    return new Uint8Array(execFileSync('qemu-aarch64', ['-cpu', 'max', join(dir, 'p')], { maxBuffer: 1 << 28 }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function interpRun(word: number, state: Uint8Array): Uint8Array {
  const out = new Uint8Array(OUT_BYTES);
  const dv = new DataView(state.buffer, state.byteOffset);
  const odv = new DataView(out.buffer);
  const m = runWords([word], ({ cpu }) => {
    cpu.vb.set(state.subarray(0, 128), 0);
    for (let r = 0; r < 8; r++) cpu.setX(r, dv.getBigUint64(128 + 8 * r, true));
    cpu.nzcv = dv.getUint32(192, true);
    cpu.fpsr = 0;
    cpu.onUndefined = () => cpu.requestExit();
  });
  out.set(m.cpu.vb.subarray(0, 128), 0);
  for (let r = 0; r < 8; r++) odv.setBigUint64(128 + 8 * r, m.cpu.getX(r), true);
  odv.setUint32(192, m.cpu.nzcv >>> 0, true);
  odv.setUint32(200, m.cpu.fpsr >>> 0, true);
  return out;
}

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

export interface DiffResult {
  bad: string[];
  /** Cases run per entry name. */
  counts: Record<string, number>;
}

/** Run `perEntry` random cases of every entry (with `statesPer` random states each) under qemu and the interpreter. */
export function diffAgainstQemu(defs: readonly InsnDef[], perEntry: number, seed: number, statesPer = 4): DiffResult {
  const next = xorshift32(seed);
  const words: number[] = [];
  const names: string[] = [];
  const counts: Record<string, number> = {};
  for (const def of defs) {
    for (const w of samples(def, perEntry, next)) {
      for (let k = 0; k < statesPer; k++) {
        words.push(w);
        names.push(def.name);
      }
    }
    counts[def.name] = 0;
  }
  const states = words.map(() => randomState(next));
  const ref = qemuRun(words, states);
  const bad: string[] = [];
  words.forEach((w, i) => {
    counts[names[i]!]! += 1;
    const want = ref.slice(i * OUT_BYTES, (i + 1) * OUT_BYTES);
    let got: Uint8Array;
    try {
      got = interpRun(w, states[i]!);
    } catch (e) {
      bad.push(`${disassemble(w)} (${w.toString(16)}): threw ${String(e)}`);
      return;
    }
    if (hex(got) === hex(want)) return;
    const diffs: string[] = [];
    for (let k = 0; k < OUT_BYTES; k += 16) {
      const g = hex(got.subarray(k, k + 16));
      const r = hex(want.subarray(k, k + 16));
      if (g !== r) diffs.push(`@${k}: got ${g} want ${r}`);
    }
    bad.push(`${disassemble(w)} (${w.toString(16)}) in ${hex(states[i]!.subarray(0, 128))}: ${diffs.join('; ')}`);
  });
  if (process.env.ELFUSE_DIFF_OUT) writeFileSync(process.env.ELFUSE_DIFF_OUT, bad.join('\n') + '\n');
  return { bad, counts };
}

/** Random words of every entry, disassembled by us and by objdump; mismatches and per-entry counts. */
export function diffDisasm(defs: readonly InsnDef[], perEntry: number, seed: number): DiffResult {
  const next = xorshift32(seed);
  const dec = a64();
  const words: number[] = [];
  const names: string[] = [];
  const counts: Record<string, number> = {};
  for (const def of defs) {
    const p = parsePattern(def.pattern);
    let found = 0;
    for (let tries = 0; tries < perEntry * 40 && found < perEntry; tries++) {
      const w = ((next() & ~p.mask) | p.value) >>> 0;
      const d = dec.decode(w);
      if (!d || d.entry.def.name !== def.name) continue;
      words.push(w);
      names.push(def.name);
      found++;
    }
    counts[def.name] = found;
  }
  const ref = objdumpWords(words).map((t) => (t.startsWith('.inst') ? '' : t));
  const bad: string[] = [];
  if (ref.length !== words.length) bad.push(`objdump printed ${ref.length} lines for ${words.length} words`);
  words.forEach((w, i) => {
    const ours = disassemble(w);
    if (ours !== ref[i]) bad.push(`${names[i]} ${w.toString(16).padStart(8, '0')}: ours '${ours}' objdump '${ref[i]}'`);
  });
  return { bad, counts };
}
