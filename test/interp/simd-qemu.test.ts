/**
 * Differential test of the FP and Advanced SIMD semantics against
 * qemu-aarch64 (the reference): for every register-only FP/SIMD table entry,
 * random encodings (operand registers limited to 0..7) run once under qemu in
 * one generated static program and once on the interpreter, from the same
 * random V0-V7/X0-X7 state (biased towards interesting FP values). V0-V7,
 * X0-X7, NZCV and FPSR (all cumulative flags: IOC DZC OFC UFC IXC IDC) after
 * each instruction must match. Each case also runs under a random FPCR
 * (RMode, FZ, DN, AHP; half of the cases with FPCR = 0).
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { a64 } from '../../src/domain/a64/decoder.js';
import { disassemble } from '../../src/domain/a64/disasm.js';
import { encodePattern, parsePattern } from '../../src/domain/a64/pattern.js';
import { fpDefs } from '../../src/domain/a64/table/fp.js';
import { simdDefs } from '../../src/domain/a64/table/simd.js';
import type { InsnDef } from '../../src/domain/a64/insn.js';
import { xorshift32, referenceTools } from '../support/toolchain.js';
import { runWords } from './harness.js';

const IN_BYTES = 8 * 16 + 8 * 8 + 8; // V0-V7, X0-X7, NZCV
const OUT_BYTES = 8 * 16 + 8 * 8 + 16; // V0-V7, X0-X7, NZCV, FPSR
const FPSR_MASK = 0xffffffff;

/** Words of interesting FP bit patterns (single and double halves). */
const F32_SPECIAL = [0, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0x7f800001, 0xffc12345, 0x3f800000, 0xbf800000,
  0x00000001, 0x80400000, 0x3f000000, 0x4b000000, 0x4effffff, 0x5f000000, 0xcf000000, 0x3fc00000, 0x40200000, 0x7f7fffff, 0x477fe000,
  0x00800000, 0x007fffff, 0x80800001, 0x3f800001, 0x33800000, 0x4f000000, 0x4f800000, 0x5f800000, 0x3effffff, 0x7f7ffffe, 0x0000ffff,
  0x3f7fffff, 0x4b400001, 0x477ff000, 0x477ff001, 0x33000000, 0x2f800000];
const F64_SPECIAL: [number, number][] = [[0, 0], [0, 0x80000000], [0, 0x7ff00000], [0, 0xfff00000], [0, 0x7ff80000], [1, 0x7ff00000],
  [0x12345, 0xfff80000], [0, 0x3ff00000], [0, 0xbff00000], [1, 0], [0, 0x3fe00000], [0, 0x3ff80000], [0, 0x43e00000], [0, 0xc3e00000],
  [0xffffffff, 0x7fefffff], [0, 0x41dfffff], [0x10000000, 0x3ff00000], [0, 0x400c0000], [0x20000000, 0x36a00000], [0, 0xc0000000],
  [0, 0x00100000], [0xffffffff, 0x000fffff], [1, 0x80100000], [1, 0x3ff00000], [0xe0000000, 0x47efffff], [0, 0x38100000],
  [0xf0000000, 0x380fffff], [0, 0x41e00000], [0, 0x43f00000], [0xffffffff, 0x43dfffff], [0x00000400, 0x43300000], [0x10000000, 0x3fe00000],
  [0, 0x36980000], [0, 0x3e700000], [0xffffffff, 0x3fefffff], [0, 0x40effc00], [0, 0x3f000000], [0, 0x7fe00000]];

function randomState(next: () => number): Uint8Array {
  const buf = new Uint8Array(IN_BYTES);
  const dv = new DataView(buf.buffer);
  for (let w = 0; w < (8 * 16 + 8 * 8) / 4; w += 2) {
    const kind = next() % 8;
    let lo = next();
    let hi = next();
    if (kind === 0) [lo, hi] = F64_SPECIAL[next() % F64_SPECIAL.length]!;
    if (kind === 1) {
      lo = F32_SPECIAL[next() % F32_SPECIAL.length]!;
      hi = F32_SPECIAL[next() % F32_SPECIAL.length]!;
    }
    if (kind === 2) {
      lo = next() % 4 === 0 ? 0xffffffff : next() & 0x800000ff;
      hi = next() & 0x80ff00ff;
    }
    if (kind === 6 || kind === 7) {
      // Short mantissas: sums, products and quotients of these land on rounding ties often.
      const f = new DataView(new ArrayBuffer(8));
      const short = (bits: number): number => ((next() >>> (32 - bits)) | 1) * (next() % 2 ? -1 : 1);
      if (kind === 6) {
        f.setFloat64(0, short(27) * 2 ** ((next() % 64) - 40), true);
        lo = f.getUint32(0, true);
        hi = f.getUint32(4, true);
      } else {
        f.setFloat32(0, short(13) * 2 ** ((next() % 40) - 20), true);
        f.setFloat32(4, short(13) * 2 ** ((next() % 40) - 20), true);
        lo = f.getUint32(0, true);
        hi = f.getUint32(4, true);
      }
    }
    if (kind === 5) {
      // Near the subnormal boundary (single halves and double).
      lo = next() % 2 ? next() & 0x81ffffff : next();
      hi = next() % 2 ? next() & 0x81ffffff : next() & 0x803fffff;
    }
    if (kind === 3) {
      // A small-exponent double so FP arithmetic stays finite and conversions are in range.
      hi = (0x3f000000 + (next() % 0x01c00000)) | (next() & 0x80000000);
    }
    dv.setUint32(w * 4, lo >>> 0, true);
    dv.setUint32(w * 4 + 4, hi >>> 0, true);
  }
  dv.setUint32(8 * 16 + 8 * 8, (next() & 0xf0000000) >>> 0, true);
  // FPCR: AHP, DN, FZ, RMode (bits 26..22), FZ16 (19); zero half of the time.
  dv.setUint32(8 * 16 + 8 * 8 + 4, next() % 2 ? 0 : (next() & 0x07c80000) >>> 0, true);
  return buf;
}

/** Random encodings of an entry with operand registers in 0..7. */
function samples(def: InsnDef, count: number, next: () => number): number[] {
  const p = parsePattern(def.pattern);
  const out: number[] = [];
  for (let tries = 0; tries < count * 20 && out.length < count; tries++) {
    const v: Record<string, number> = {};
    for (const f of p.fields) {
      let x = next() % 2 ** f.len;
      if (/^r[dnmat]$/.test(f.name)) x &= 7;
      if (f.name === 'm') x = 0;
      if (f.name === 'rn' && def.name === 'TBL') x &= 3;
      v[f.name] = f.signed && x >= 2 ** (f.len - 1) ? x - 2 ** f.len : x;
    }
    const w = encodePattern(p, v);
    const d = a64().decode(w);
    if (d?.entry.def.name === def.name) out.push(w);
  }
  return out;
}

function qemuRun(words: number[], states: Uint8Array[]): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'elfuse-qemu-'));
  const lines = ['.global _start', '.text', '_start:', 'adrp x20, inputs', 'add x20, x20, :lo12:inputs', 'adrp x21, outputs', 'add x21, x21, :lo12:outputs'];
  for (const w of words) {
    lines.push(
      'ldp q0, q1, [x20]', 'ldp q2, q3, [x20, #32]', 'ldp q4, q5, [x20, #64]', 'ldp q6, q7, [x20, #96]',
      'ldp x0, x1, [x20, #128]', 'ldp x2, x3, [x20, #144]', 'ldp x4, x5, [x20, #160]', 'ldp x6, x7, [x20, #176]',
      'ldr w9, [x20, #192]', 'msr nzcv, x9', 'ldr w9, [x20, #196]', 'msr fpcr, x9', 'msr fpsr, xzr',
      `.inst 0x${w.toString(16)}`,
      'stp q0, q1, [x21]', 'stp q2, q3, [x21, #32]', 'stp q4, q5, [x21, #64]', 'stp q6, q7, [x21, #96]',
      'stp x0, x1, [x21, #128]', 'stp x2, x3, [x21, #144]', 'stp x4, x5, [x21, #160]', 'stp x6, x7, [x21, #176]',
      'mrs x9, nzcv', 'mrs x10, fpsr', 'stp x9, x10, [x21, #192]',
      `add x20, x20, #${IN_BYTES}`, `add x21, x21, #${OUT_BYTES}`,
    );
  }
  lines.push('msr fpcr, xzr', 'mov x0, #1', 'adrp x1, outputs', 'add x1, x1, :lo12:outputs', `ldr x2, =${words.length * OUT_BYTES}`, 'mov x8, #64', 'svc #0',
    'mov x0, #0', 'mov x8, #93', 'svc #0', '.ltorg', '.data', '.balign 16', 'inputs:');
  for (const s of states) lines.push(`.byte ${Array.from(s).join(',')}`);
  lines.push('.bss', '.balign 16', 'outputs:', `.skip ${words.length * OUT_BYTES}`);
  writeFileSync(join(dir, 'p.s'), lines.join('\n') + '\n');
  execFileSync('aarch64-linux-gnu-as', ['-march=armv8.2-a+fp16', join(dir, 'p.s'), '-o', join(dir, 'p.o')]);
  execFileSync('aarch64-linux-gnu-ld', [join(dir, 'p.o'), '-o', join(dir, 'p')]);
  return new Uint8Array(execFileSync('qemu-aarch64', ['-cpu', 'max', join(dir, 'p')], { maxBuffer: 1 << 28 }));
}

function interpRun(word: number, state: Uint8Array): Uint8Array {
  const out = new Uint8Array(OUT_BYTES);
  const dv = new DataView(state.buffer, state.byteOffset);
  const odv = new DataView(out.buffer);
  const m = runWords([word], ({ cpu }) => {
    cpu.vb.set(state.subarray(0, 128), 0);
    for (let r = 0; r < 8; r++) cpu.setX(r, dv.getBigUint64(128 + 8 * r, true));
    cpu.nzcv = dv.getUint32(192, true);
    cpu.fpcr = dv.getUint32(196, true);
    cpu.fpsr = 0;
    cpu.onUndefined = () => cpu.requestExit(); // stop at once instead of looping through the vectors
  });
  out.set(m.cpu.vb.subarray(0, 128), 0);
  for (let r = 0; r < 8; r++) odv.setBigUint64(128 + 8 * r, m.cpu.getX(r), true);
  odv.setUint32(192, m.cpu.nzcv >>> 0, true);
  odv.setUint32(200, m.cpu.fpsr >>> 0, true);
  return out;
}

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

function compare(defs: InsnDef[], perEntry: number, seed: number): string[] {
  const next = xorshift32(seed);
  const words: number[] = [];
  for (const def of defs) {
    if (def.name.startsWith('LDST')) continue;
    const ws = samples(def, perEntry, next);
    words.push(...ws);
    // ELFUSE_DIFF_REPORT=file appends "<entry> <cases>" lines: how many cases each entry ran.
    if (process.env.ELFUSE_DIFF_REPORT) appendFileSync(process.env.ELFUSE_DIFF_REPORT, `${def.name} ${ws.length}\n`);
  }
  return check(words, words.map(() => randomState(next)));
}

function check(words: number[], states: Uint8Array[]): string[] {
  const ref = qemuRun(words, states);
  const bad: string[] = [];
  words.forEach((w, i) => {
    const want = ref.slice(i * OUT_BYTES, (i + 1) * OUT_BYTES);
    const wdv = new DataView(want.buffer);
    wdv.setUint32(200, wdv.getUint32(200, true) & FPSR_MASK, true);
    let got: Uint8Array;
    try {
      got = interpRun(w, states[i]!);
    } catch (e) {
      bad.push(`${disassemble(w)} (${w.toString(16)}): threw ${String(e)}`);
      return;
    }
    new DataView(got.buffer).setUint32(200, new DataView(got.buffer).getUint32(200, true) & FPSR_MASK, true);
    if (hex(got) === hex(want)) return;
    const diffs: string[] = [];
    for (let k = 0; k < OUT_BYTES; k += 16) {
      const g = hex(got.subarray(k, k + 16));
      const r = hex(want.subarray(k, k + 16));
      if (g !== r) diffs.push(`@${k}: got ${g} want ${r}`);
    }
    bad.push(`${disassemble(w)} (${w.toString(16)}) in ${hex(states[i]!.subarray(0, 64))}: ${diffs.join('; ')}`);
  });
  if (process.env.ELFUSE_DIFF_OUT) writeFileSync(process.env.ELFUSE_DIFF_OUT, bad.join('\n') + '\n');
  if (process.env.ELFUSE_DIFF_REPORT) {
    // How often the reference raised each FPSR flag, to show the operands reach the interesting cases.
    const names = ['IOC', 'DZC', 'OFC', 'UFC', 'IXC', '', '', 'IDC'];
    const counts = names.map((_, bit) => words.filter((_, i) => (new DataView(ref.buffer, ref.byteOffset).getUint32(i * OUT_BYTES + 200, true) >>> bit) & 1).length);
    appendFileSync(process.env.ELFUSE_DIFF_REPORT, `flags of ${words.length} cases: ${names.map((n, b) => (n ? `${n}=${counts[b]}` : '')).filter(Boolean).join(' ')}\n`);
  }
  return bad;
}

/**
 * Rounding-critical fused multiply-add operands: Va = -(Vn*Vm rounded), so
 * the exact result is the rounding error of the product, which an unfused
 * computation gets wrong (usually 0).
 */
function fmaStates(next: () => number, dbl: boolean): Uint8Array {
  const st = randomState(next);
  const dv = new DataView(st.buffer);
  const rnd = (): number => (1 + (next() / 2 ** 32)) * 2 ** ((next() % 40) - 20) * (next() & 1 ? -1 : 1);
  const a = dbl ? rnd() : Math.fround(rnd());
  const b = dbl ? rnd() : Math.fround(rnd());
  const p = dbl ? a * b : Math.fround(a * b);
  const c = next() % 4 === 0 ? rnd() : -p;
  if (dbl) {
    dv.setFloat64(16, a, true);
    dv.setFloat64(32, b, true);
    dv.setFloat64(48, dbl ? c : 0, true);
  } else {
    dv.setFloat32(16, a, true);
    dv.setFloat32(32, b, true);
    dv.setFloat32(48, Math.fround(c), true);
  }
  return st;
}

const reference = referenceTools('qemu-aarch64', 'aarch64-linux-gnu-as');
/** ELFUSE_DIFF_SCALE multiplies the sample counts for a deeper (slower) run. */
const scale = Number(process.env.ELFUSE_DIFF_SCALE ?? 1);
const seed = Number(process.env.ELFUSE_DIFF_SEED ?? 0);

describe('FP/SIMD semantics match qemu-aarch64', () => {
  it.skipIf(reference.skip)('Advanced SIMD entries', () => {
    reference.check();
    const bad = compare(simdDefs, 40 * scale, 0xc0ffee + seed);
    expect(bad.slice(0, 30)).toEqual([]);
  }, 120_000 * scale);

  it.skipIf(reference.skip)('fused multiply-add is fused (one rounding)', () => {
    reference.check();
    const next = xorshift32(0xfa + seed);
    const words: number[] = [];
    const states: Uint8Array[] = [];
    // fmadd/fmsub/fnmadd/fnmsub d0, d1, d2, d3 and the same four on s registers.
    const forms = [0x1f420c20, 0x1f428c20, 0x1f620c20, 0x1f628c20, 0x1f020c20, 0x1f028c20, 0x1f220c20, 0x1f228c20];
    for (let i = 0; i < 100 * scale; i++) {
      for (const w of forms) {
        words.push(w);
        states.push(fmaStates(next, (w & 0x00400000) !== 0));
      }
    }
    const bad = check(words, states);
    expect(bad.slice(0, 30)).toEqual([]);
  }, 120_000 * scale);

  it.skipIf(reference.skip)('scalar FP entries', () => {
    reference.check();
    const bad = compare(fpDefs, 60 * scale, 0xf00d + seed);
    expect(bad.slice(0, 30)).toEqual([]);
  }, 120_000 * scale);
});
