/**
 * Structure loads/stores (LD1-LD4, ST1-ST4, LD1R-LD4R, single lanes, with
 * post-index) against qemu-aarch64: random encodings with the base register
 * pointing into a 256-byte random buffer; V0-V7, the buffer and the
 * written-back base (as an offset) must match. Plus a hand-checked example
 * and the precise-exception rule (a faulting store writes nothing).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encode } from '../../src/domain/a64/assembler.js';
import { a64 } from '../../src/domain/a64/decoder.js';
import { disassemble } from '../../src/domain/a64/disasm.js';
import { encodePattern, parsePattern } from '../../src/domain/a64/pattern.js';
import { simdDefs } from '../../src/domain/a64/table/simd.js';
import { xorshift32, referenceTools } from '../support/toolchain.js';
import { CODE, DATA, runAsm, runWords } from './harness.js';

const BUF = 256;
const OUT = 128 + BUF + 16;

interface Case {
  word: number;
  rn: number;
  v: Uint8Array; // V0-V7
  buf: Uint8Array;
}

function cases(next: () => number, perEntry: number): Case[] {
  const out: Case[] = [];
  for (const def of simdDefs.filter((d) => d.name.startsWith('LDST'))) {
    const p = parsePattern(def.pattern);
    let found = 0;
    for (let t = 0; t < perEntry * 50 && found < perEntry; t++) {
      const f: Record<string, number> = {};
      for (const fs of p.fields) f[fs.name] = next() % 2 ** fs.len;
      f.rt = f.rt! & 3; // the whole register list stays within V0-V7
      f.rn = f.rn! & 7;
      if (f.rm !== undefined && next() % 2) f.rm = 31;
      else if (f.rm !== undefined) f.rm = f.rm & 7;
      if (f.rm === f.rn) continue;
      const word = encodePattern(p, f);
      if (a64().decode(word)?.entry.def.name !== def.name) continue;
      const v = Uint8Array.from({ length: 128 }, () => next() & 0xff);
      const buf = Uint8Array.from({ length: BUF }, () => next() & 0xff);
      out.push({ word, rn: f.rn, v, buf });
      found++;
    }
  }
  return out;
}

function qemuRun(cs: Case[]): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'elfuse-ldst-'));
  const L = ['.global _start', '.text', '_start:', 'adrp x22, inputs', 'add x22, x22, :lo12:inputs', 'adrp x21, outputs', 'add x21, x21, :lo12:outputs',
    'adrp x23, buf', 'add x23, x23, :lo12:buf'];
  cs.forEach((c, i) => {
    L.push('mov x10, #0', `1${i}: ldr x11, [x22, x10]`, 'str x11, [x23, x10]', 'add x10, x10, #8', `cmp x10, #${BUF}`, `b.lt 1${i}b`);
    L.push(`add x24, x22, #${BUF}`, 'ldp q0, q1, [x24]', 'ldp q2, q3, [x24, #32]', 'ldp q4, q5, [x24, #64]', 'ldp q6, q7, [x24, #96]');
    for (let r = 0; r < 8; r++) L.push(`mov x${r}, #${16 * (r + 1)}`);
    L.push(`add x${c.rn}, x23, #64`, `.inst 0x${c.word.toString(16)}`);
    L.push('stp q0, q1, [x21]', 'stp q2, q3, [x21, #32]', 'stp q4, q5, [x21, #64]', 'stp q6, q7, [x21, #96]');
    L.push('mov x10, #0', `2${i}: ldr x11, [x23, x10]`, 'add x12, x21, #128', 'str x11, [x12, x10]', 'add x10, x10, #8', `cmp x10, #${BUF}`, `b.lt 2${i}b`);
    L.push(`sub x9, x${c.rn}, x23`, `str x9, [x21, #${128 + BUF}]`, `str xzr, [x21, #${128 + BUF + 8}]`);
    L.push(`add x22, x22, #${BUF + 128}`, `add x21, x21, #${OUT}`);
  });
  L.push('mov x0, #1', 'adrp x1, outputs', 'add x1, x1, :lo12:outputs', `ldr x2, =${cs.length * OUT}`, 'mov x8, #64', 'svc #0',
    'mov x0, #0', 'mov x8, #93', 'svc #0', '.ltorg', '.data', '.balign 16', 'inputs:');
  for (const c of cs) L.push(`.byte ${Array.from(c.buf).join(',')}`, `.byte ${Array.from(c.v).join(',')}`);
  L.push('.bss', '.balign 16', 'buf:', `.skip ${BUF}`, 'outputs:', `.skip ${cs.length * OUT}`);
  writeFileSync(join(dir, 'p.s'), L.join('\n') + '\n');
  execFileSync('aarch64-linux-gnu-as', [join(dir, 'p.s'), '-o', join(dir, 'p.o')]);
  execFileSync('aarch64-linux-gnu-ld', [join(dir, 'p.o'), '-o', join(dir, 'p')]);
  return new Uint8Array(execFileSync('qemu-aarch64', [join(dir, 'p')], { maxBuffer: 1 << 28 }));
}

function interpRun(c: Case): Uint8Array {
  const out = new Uint8Array(OUT);
  const m = runWords([c.word], ({ cpu, ram }) => {
    cpu.vb.set(c.v, 0);
    ram.set(c.buf, DATA);
    for (let r = 0; r < 8; r++) cpu.setX(r, BigInt(16 * (r + 1)));
    cpu.setX(c.rn, BigInt(DATA + 64));
  });
  out.set(m.cpu.vb.subarray(0, 128), 0);
  out.set(m.ram.subarray(DATA, DATA + BUF), 128);
  new DataView(out.buffer).setBigUint64(128 + BUF, BigInt.asUintN(64, m.cpu.getX(c.rn) - BigInt(DATA)), true);
  return out;
}

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

describe('SIMD structure loads/stores', () => {
  const refs = referenceTools('qemu-aarch64', 'aarch64-linux-gnu-as');
  it.skipIf(refs.skip)('match qemu-aarch64 on random encodings', () => {
    refs.check();
    const cs = cases(xorshift32(0x1d57), 60);
    expect(cs.length).toBeGreaterThan(200);
    const ref = qemuRun(cs);
    const bad: string[] = [];
    cs.forEach((c, i) => {
      const got = interpRun(c);
      const want = ref.subarray(i * OUT, (i + 1) * OUT);
      if (hex(got) !== hex(want)) bad.push(`${disassemble(c.word)}: got ${hex(got)}\nwant ${hex(want)}`);
    });
    expect(bad.slice(0, 10)).toEqual([]);
  }, 120_000);

  it('ld1 {v0.16b, v1.16b}, [x0], #32 loads 32 bytes and advances x0 (hand-checked)', () => {
    const m = runAsm([['LDST_multi_post', { q: 1, l: 1, rm: 31, opcode: 0b1010, size: 0, rn: 0, rt: 0 }]], ({ cpu, ram }) => {
      for (let i = 0; i < 32; i++) ram[DATA + i] = i + 1;
      cpu.setX(0, BigInt(DATA));
    });
    expect(Array.from(m.cpu.vb.subarray(0, 32))).toEqual(Array.from({ length: 32 }, (_, i) => i + 1));
    expect(m.cpu.getX(0)).toBe(BigInt(DATA + 32));
  });

  it('a store that faults part-way writes nothing (precise exception)', () => {
    // st1 {v0.16b-v3.16b}, [x0] with the last 16 bytes beyond the 1 MiB of RAM: stage-2 exit, no bytes written.
    const word = encode('LDST_multi', { q: 1, l: 0, opcode: 0b0010, size: 0, rn: 0, rt: 0 });
    const end = 1 << 20;
    const m = runWords([word], (mm) => {
      mm.cpu.vb.fill(0xaa, 0, 64);
      mm.cpu.setX(0, BigInt(end - 48));
    });
    // The run stops at the stage-2 exit with the PC still on the store, not at the HVC.
    expect(m.cpu.pc).toBe(CODE);
    expect(Array.from(m.ram.subarray(end - 48, end)).every((b) => b === 0)).toBe(true);
  });
});
