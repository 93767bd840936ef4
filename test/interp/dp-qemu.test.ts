/**
 * Differential test of the data-processing semantics against qemu-aarch64:
 * random encodings of every dp-imm/dp-reg entry (except the PC-relative
 * ADR/ADRP, covered in dp-imm.test.ts) run with random X0-X7, SP and NZCV,
 * once in a static program under qemu and once on the interpreter; all eight
 * registers, SP and NZCV must agree.
 *
 * Register fields are limited to 0-7 and 31 so that the case driver can use
 * X9-X12 for itself.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encode } from '../../src/domain/a64/assembler.js';
import { a64 } from '../../src/domain/a64/decoder.js';
import { parsePattern } from '../../src/domain/a64/pattern.js';
import { dp_immDefs } from '../../src/domain/a64/table/dp-imm.js';
import { dp_regDefs } from '../../src/domain/a64/table/dp-reg.js';
import { ExitReason } from '../../src/ports/vcpu.js';
import { xorshift32, referenceTools } from '../support/toolchain.js';
import { CODE, machine } from './harness.js';

const GCC = 'aarch64-linux-gnu-gcc';
const QEMU = '/usr/bin/qemu-aarch64';

const EDGES = [0n, 1n, 2n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, 0x7fffffffffffffffn, 0x8000000000000000n, 0xffffffffffffffffn, 0xfffffffffffffffen];

function value64(next: () => number): bigint {
  const k = next() % 8;
  if (k === 0) return EDGES[next() % EDGES.length]!;
  if (k === 1) return BigInt(next() % 64);
  if (k === 2) return BigInt(next()); // 32-bit only
  return (BigInt(next()) << 32n) | BigInt(next());
}

const REGS = new Set(['rd', 'rn', 'rm', 'ra']);

function sampleWord(pattern: string, next: () => number): number {
  const p = parsePattern(pattern);
  let w = ((next() & ~p.mask) | p.value) >>> 0;
  for (const f of p.fields) {
    if (!REGS.has(f.name)) continue;
    const r = next() % 5 === 0 ? 31 : next() % 8;
    w = ((w & ~(31 << f.pos)) | (r << f.pos)) >>> 0;
  }
  return w;
}

interface Case {
  word: number;
  regs: bigint[]; // x0..x7
  sp: bigint;
  nzcv: number;
}

const OUT_QUADS = 10; // x0..x7, sp, nzcv

function driverSource(cases: Case[]): string {
  const text: string[] = ['.text', '.global _start', '_start:', '  adrp x9, inputs', '  add x9, x9, :lo12:inputs', '  adrp x12, outputs', '  add x12, x12, :lo12:outputs'];
  for (const c of cases) {
    text.push(
      '  ldp x0, x1, [x9]', '  ldp x2, x3, [x9, #16]', '  ldp x4, x5, [x9, #32]', '  ldp x6, x7, [x9, #48]',
      '  ldr x10, [x9, #64]', '  mov sp, x10', '  ldr x10, [x9, #72]', '  msr nzcv, x10',
      `  .inst 0x${c.word.toString(16).padStart(8, '0')}`,
      '  mrs x10, nzcv', '  mov x11, sp',
      '  stp x0, x1, [x12]', '  stp x2, x3, [x12, #16]', '  stp x4, x5, [x12, #32]', '  stp x6, x7, [x12, #48]',
      '  stp x11, x10, [x12, #64]', '  add x9, x9, #80', '  add x12, x12, #80',
    );
  }
  text.push(
    '  mov x0, #1', '  adrp x1, outputs', '  add x1, x1, :lo12:outputs', `  ldr x2, =${cases.length * OUT_QUADS * 8}`,
    '  mov x8, #64', '  svc #0', '  mov x0, #0', '  mov x8, #93', '  svc #0', '.ltorg',
  );
  const data = ['.data', '.balign 8', 'inputs:'];
  for (const c of cases) {
    for (const v of [...c.regs, c.sp, BigInt(c.nzcv) << 28n]) data.push(`  .quad 0x${v.toString(16)}`);
  }
  return [...text, ...data, '.bss', '.balign 8', 'outputs:', `  .space ${cases.length * OUT_QUADS * 8}`, ''].join('\n');
}

function runQemu(cases: Case[]): bigint[][] {
  const dir = mkdtempSync(join(tmpdir(), 'dp-qemu-'));
  try {
    writeFileSync(join(dir, 'd.s'), driverSource(cases));
    execFileSync(GCC, ['-nostdlib', '-static', '-o', join(dir, 'd'), join(dir, 'd.s')]);
    const out = execFileSync(QEMU, [join(dir, 'd')], { maxBuffer: 1 << 26 });
    const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
    return cases.map((_, i) => Array.from({ length: OUT_QUADS }, (_, k) => dv.getBigUint64((i * OUT_QUADS + k) * 8, true)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Each case at its own address (CODE + 8i) so decode caches never go stale. */
function runInterp(cases: Case[]): bigint[][] {
  const m = machine();
  const dv = new DataView(m.ram.buffer, m.ram.byteOffset);
  const hvc = encode('HVC', { imm16: 0 });
  return cases.map((c, i) => {
    const at = CODE + 8 * i;
    dv.setUint32(at, c.word, true);
    dv.setUint32(at + 4, hvc, true);
    c.regs.forEach((v, r) => m.cpu.setX(r, v));
    m.cpu.setX(31, c.sp);
    m.cpu.nzcv = c.nzcv << 28;
    m.cpu.pc = at;
    const exit = m.cpu.run();
    if (exit.reason !== ExitReason.EXCEPTION) throw new Error(`case ${i} did not reach HVC`);
    return [...c.regs.map((_, r) => m.cpu.getX(r)), m.cpu.getX(31), BigInt(m.cpu.nzcv >>> 0)];
  });
}

const refs = referenceTools(GCC, QEMU);
const SKIP = new Set(['ADR', 'ADRP']);

// qemu is the reference: without it (or the cross compiler) the tests fail, unless ELFUSE_ALLOW_MISSING_REFS=1.
describe.skipIf(refs.skip)('data-processing semantics match qemu-aarch64', () => {
  refs.check();
  it('agrees on random encodings and operands of every entry', () => {
    const next = xorshift32(0xa64a64);
    const cases: Case[] = [];
    const perEntry = Number(process.env.DP_QEMU_SAMPLES ?? 40);
    for (const def of [...dp_immDefs, ...dp_regDefs]) {
      if (SKIP.has(def.name)) continue;
      let made = 0;
      for (let tries = 0; made < perEntry && tries < perEntry * 20; tries++) {
        const word = sampleWord(def.pattern, next);
        if (a64().decode(word)?.entry.def.name !== def.name) continue;
        made++;
        const sp = (value64(next) & ~0xfn) | 0x1000n;
        cases.push({ word, regs: Array.from({ length: 8 }, () => value64(next)), sp, nzcv: next() & 15 });
      }
      expect(made, def.name).toBe(perEntry);
    }
    const want = runQemu(cases);
    const got = runInterp(cases);
    const names = ['x0', 'x1', 'x2', 'x3', 'x4', 'x5', 'x6', 'x7', 'sp', 'nzcv'];
    const bad: string[] = [];
    cases.forEach((c, i) => {
      const detail = names
        .filter((_, k) => got[i]![k] !== want[i]![k])
        .map((n) => `${n}: got ${got[i]![names.indexOf(n)]!.toString(16)} want ${want[i]![names.indexOf(n)]!.toString(16)}`);
      if (detail.length === 0) return;
      const name = a64().decode(c.word)!.entry.def.name;
      bad.push(`${name} ${c.word.toString(16)} in ${c.regs.map((v) => v.toString(16)).join(',')} nzcv ${c.nzcv}: ${detail.join('; ')}`);
    });
    expect(bad.slice(0, 20)).toEqual([]);
    expect(cases.length).toBeGreaterThan(2500);
  });
});
