/**
 * Every integer Advanced SIMD and crypto intrinsic of GCC's arm_neon.h, as
 * GCC compiles it, must decode in our table and disassemble as objdump does.
 *
 * The test writes one small function per intrinsic (arguments from volatile
 * globals, immediates 1), compiles them with the extensions an M1-class CPU
 * has, drops the few a constant of 1 does not suit (GCC names them in its
 * errors) and checks the object code. Floating-point intrinsics are left to
 * the FP tests; SM3/SM4 and the Int8 matrix multiply (I8MM) are not M1
 * features and stay undecoded.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { a64 } from '../../src/domain/a64/decoder.js';
import { disassemble } from '../../src/domain/a64/disasm.js';
import { referenceTools } from '../support/toolchain.js';

const GCC = 'aarch64-linux-gnu-gcc';
const MARCH = '-march=armv8.4-a+crypto+sha3+sm4+dotprod+rdma+i8mm';
const NOT_M1 = /^(sm3\w*|sm4\w*|smmla|ummla|usmmla|usdot|sudot)$/;
const SKIP_NAME = /(_f16|_f32|_f64|_bf16|_p128|bf|fh|_mf8|vcvt|vrnd|vfm|vsqrt|vmaxnm|vminnm|vcadd|vcmla|_x2|_x3|_x4)/;

function header(): string | undefined {
  try {
    const p = join(execFileSync(GCC, ['-print-file-name=include'], { encoding: 'utf8' }).trim(), 'arm_neon.h');
    return existsSync(p) ? p : undefined;
  } catch {
    return undefined;
  }
}

/** One `t_NAME` function per integer intrinsic. */
function callers(src: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /__extension__ extern __inline ([^\n]+)\n__attribute__ \(\([^\n]*\)\)\n(\w+) \(([^)]*)\)/g;
  for (const [, ret, name, args] of src.matchAll(re)) {
    if (SKIP_NAME.test(name!) || /float|bfloat|poly128/.test(ret! + args!) || ret!.trim() === 'void') continue;
    const params = args!.trim() && args!.trim() !== 'void' ? args!.split(',').map((a) => a.trim()) : [];
    const lines: string[] = [];
    const call: string[] = [];
    let ok = true;
    params.forEach((p, i) => {
      const m = /^(const )?(.+?)\s*(\w+)$/.exec(p);
      if (!m || m[2]!.endsWith('*')) ok = false;
      else if (m[1] && m[2]!.trim() === 'int') call.push('1');
      else {
        lines.push(`extern volatile ${m[2]!.trim()} g_${name}_${i};`);
        call.push(`g_${name}_${i}`);
      }
    });
    if (!ok) continue;
    lines.push(`extern volatile ${ret!.trim()} r_${name};`, `void t_${name}(void) { r_${name} = ${name}(${call.join(', ')}); }`);
    out.set(name!, lines.join('\n'));
  }
  return out;
}

/** Compile, dropping the functions GCC rejects, and return objdump's listing. */
function compile(funcs: Map<string, string>, dir: string): string {
  const c = join(dir, 'i.c');
  const o = join(dir, 'i.o');
  for (let round = 0; round < 20; round++) {
    writeFileSync(c, ['#include <arm_neon.h>', ...funcs.values()].join('\n') + '\n');
    try {
      execFileSync(GCC, ['-O2', MARCH, '-c', c, '-o', o], { stdio: ['ignore', 'ignore', 'pipe'] });
      return execFileSync('aarch64-linux-gnu-objdump', ['-d', o], { encoding: 'utf8', maxBuffer: 1 << 28 });
    } catch (e) {
      const err = String((e as { stderr?: Buffer }).stderr ?? '');
      const bad = new Set([...err.matchAll(/(?:inlined from|In function) [‘'`]t_(\w+)[’']/g)].map((m) => m[1]!));
      for (const m of err.matchAll(/i\.c:(\d+):\d+: error/g)) {
        const line = readFileSync(c, 'utf8').split('\n')[Number(m[1]) - 1] ?? '';
        const n = /t_(\w+)\(|[gr]_(\w+?)(?:_\d+)?;/.exec(line);
        if (n) bad.add((n[1] ?? n[2])!);
      }
      if (bad.size === 0) throw e;
      for (const b of bad) funcs.delete(b);
    }
  }
  throw new Error('could not compile the intrinsics');
}

const h = header();

describe('arm_neon.h integer intrinsics', () => {
  const refs = referenceTools(GCC, 'aarch64-linux-gnu-objdump');
  it.skipIf(refs.skip)('all decode and print as objdump prints them', () => {
    refs.check();
    expect(h, "the cross compiler's arm_neon.h (apt-get install gcc-aarch64-linux-gnu)").toBeTruthy();
    const funcs = callers(readFileSync(h!, 'utf8'));
    const dir = mkdtempSync(join(tmpdir(), 'elfuse-neon-'));
    let listing: string;
    try {
      listing = compile(funcs, dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const missing = new Set<string>();
    const bad = new Set<string>();
    let checked = 0;
    for (const line of listing.split('\n')) {
      const m = /^\s+[0-9a-f]+:\t([0-9a-f]{8}) \t(.*)$/.exec(line);
      if (!m) continue;
      const text = m[2]!.replace(/\s*\/\/.*$/, '').replace(/\s*<.*$/, '').trimEnd();
      const mnemonic = text.split('\t')[0]!;
      const word = parseInt(m[1]!, 16);
      if (!a64().decode(word)) {
        if (!NOT_M1.test(mnemonic)) missing.add(text);
        continue;
      }
      checked++;
      if (/^(b|bl|b\..*|cbn?z|tbn?z|adrp?)$/.test(mnemonic)) continue; // PC-relative operands print differently in .o
      if (disassemble(word) !== text) bad.add(`${m[1]}: ours '${disassemble(word)}' objdump '${text}'`);
    }
    expect([...missing].slice(0, 30)).toEqual([]);
    expect([...bad].slice(0, 30)).toEqual([]);
    expect(funcs.size).toBeGreaterThan(2000); // 2251 with GCC 12
    expect(checked).toBeGreaterThan(20000);
  }, 180_000);
});
