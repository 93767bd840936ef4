/**
 * Guest programs of the differential test: many cases packed into one
 * static AArch64 ELF, run unchanged under qemu-aarch64 -cpu max and under
 * elfuse, whose outputs must agree byte for byte.
 *
 * Each case loads its whole state from its input block (V0-V31, SP, NZCV,
 * FPCR, FPSR, then X0-X29 and finally X30, which was the pointer), runs
 * the instruction under test, then dumps X0-X30, SP, NZCV, FPCR, FPSR and
 * V0-V31 to its output block. With every register live there is no spare
 * pointer for the dump, so X30 is parked in TPIDR_EL0 while X30 addresses
 * the output. Each case has its own scratch memory block in .data, so memory
 * needs no reloading; at exit one write() sends all output blocks and all
 * scratch blocks (the touched memory) to stdout.
 *
 * Branch cases run inside a small frame of slots, so every target (two
 * back, one back, one to four ahead) stays in the case and leaves a
 * different mark in X29:
 *
 *        b T0
 *   Tm2: eor x29, x29, #0x10      (falls into Tm1)
 *   Tm1: b T4
 *   T0:  <branch under test>
 *   T1:  eor x29, x29, #1
 *   T2:  eor x29, x29, #2
 *   T3:  eor x29, x29, #4
 *   T4:
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SCRATCH, type Case, type Val } from './gen.js';

/** Bytes of one input or output block: X0-X30, SP, NZCV, FPCR, FPSR, padding, V0-V31. */
export const BLOCK = 800;
export const OFF = { x: 0, sp: 248, nzcv: 256, fpcr: 264, fpsr: 272, v: 288 } as const;

const quad = (v: Val, i: number): string => {
  if (typeof v === 'bigint') return `0x${BigInt.asUintN(64, v).toString(16)}`;
  const sym = v.sym === 'S' ? `.LS${i}` : `.LT${i}_${v.sym.slice(1)}`;
  return v.off === 0 ? sym : `${sym}${v.off < 0 ? '-' : '+'}${Math.abs(v.off)}`;
};

function bytesToQuads(b: Uint8Array): string[] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: string[] = [];
  for (let k = 0; k < b.byteLength; k += 8) out.push(`0x${dv.getBigUint64(k, true).toString(16)}`);
  return out;
}

const inst = (w: number): string => `  .inst 0x${(w >>> 0).toString(16).padStart(8, '0')}`;

export function programSource(cases: readonly Case[]): string {
  const t: string[] = ['.text', '.global _start', '_start:'];
  // Touch every page of the program first: a page's first touch under elfuse is a
  // demand-paging fault, whose exception return clears the exclusive monitor (as on
  // Linux), while qemu-user never faults; an LDXR/STXR pair across a page boundary
  // would then differ for a reason that is not the instructions'.
  for (const [from, to] of [['_start', '.Ltext_end'], ['.Ldata_start', '.Ldata_end']]) {
    t.push(`  adrp x0, ${from}`, `  adrp x1, ${to}`, `  add x1, x1, :lo12:${to}`,
      '0:', '  ldrb w9, [x0]', '  add x0, x0, #4096', '  cmp x0, x1', '  b.ls 0b');
  }
  // room before the first case and after the last for PC-relative literal loads
  for (let k = 0; k < 64; k++) t.push('  nop');
  cases.forEach((c, i) => {
    t.push(`  clrex`, `  adrp x30, .LI${i}`, `  add x30, x30, :lo12:.LI${i}`);
    for (let q = 0; q < 32; q += 2) t.push(`  ldp q${q}, q${q + 1}, [x30, #${OFF.v + 16 * q}]`);
    t.push(`  ldr x0, [x30, #${OFF.sp}]`, '  mov sp, x0', `  ldr x0, [x30, #${OFF.nzcv}]`, '  msr nzcv, x0',
      `  ldr x0, [x30, #${OFF.fpcr}]`, '  msr fpcr, x0', `  ldr x0, [x30, #${OFF.fpsr}]`, '  msr fpsr, x0');
    for (let r = 0; r < 30; r += 2) t.push(`  ldp x${r}, x${r + 1}, [x30, #${8 * r}]`);
    t.push('  ldr x30, [x30, #240]');
    for (const w of c.pre) t.push(inst(w));
    if (c.kind === 'branch') {
      const L = (k: string): string => `.LT${i}_${k}`;
      t.push(`  b ${L('0')}`, `${L('m2')}:`, '  eor x29, x29, #0x10', `${L('m1')}:`, `  b ${L('4')}`,
        `${L('0')}:`, inst(c.word), `${L('1')}:`, '  eor x29, x29, #1', `${L('2')}:`, '  eor x29, x29, #2',
        `${L('3')}:`, '  eor x29, x29, #4', `${L('4')}:`);
    } else {
      t.push(inst(c.word));
    }
    t.push('  msr tpidr_el0, x30', `  adrp x30, .LO${i}`, `  add x30, x30, :lo12:.LO${i}`);
    for (let r = 0; r < 30; r += 2) t.push(`  stp x${r}, x${r + 1}, [x30, #${8 * r}]`);
    t.push('  mrs x0, tpidr_el0', '  mov x1, sp', '  stp x0, x1, [x30, #240]', '  mrs x0, nzcv', '  mrs x1, fpcr',
      `  stp x0, x1, [x30, #${OFF.nzcv}]`, '  mrs x0, fpsr', `  str x0, [x30, #${OFF.fpsr}]`);
    for (let q = 0; q < 32; q += 2) t.push(`  stp q${q}, q${q + 1}, [x30, #${OFF.v + 16 * q}]`);
  });
  for (let k = 0; k < 64; k++) t.push('  nop');
  const size = cases.length * (BLOCK + SCRATCH);
  t.push('  adrp x1, .LDUMP', '  add x1, x1, :lo12:.LDUMP', `  ldr x2, =${size}`,
    '1:', '  mov x0, #1', '  mov x8, #64', '  svc #0', '  cmp x0, #0', '  b.le 2f', '  add x1, x1, x0', '  sub x2, x2, x0', '  cbnz x2, 1b',
    '  mov x0, #0', '  mov x8, #93', '  svc #0', '2:', '  mov x0, #3', '  mov x8, #93', '  svc #0', '.ltorg', '.Ltext_end:');

  const d: string[] = ['.data', '.Ldata_start:', '.balign 64'];
  cases.forEach((c, i) => {
    const q = [...c.x.map((v) => quad(v, i)), quad(c.sp, i), `${c.nzcv << 28 >>> 0}`, `${c.fpcr}`, `${c.fpsr}`, '0', ...bytesToQuads(c.v)];
    d.push(`.LI${i}:`);
    for (let k = 0; k < q.length; k += 10) d.push(`  .quad ${q.slice(k, k + 10).join(', ')}`);
  });
  d.push('.balign 64', '.LDUMP:');
  cases.forEach((_, i) => d.push(`.LO${i}:`, `  .skip ${BLOCK}`));
  cases.forEach((c, i) => {
    d.push(`.LS${i}:`);
    const q = bytesToQuads(c.mem);
    for (let k = 0; k < q.length; k += 10) d.push(`  .quad ${q.slice(k, k + 10).join(', ')}`);
  });
  d.push('.Ldata_end:');
  return [...t, ...d, ''].join('\n');
}

export interface RunOutput {
  readonly ok: boolean;
  readonly status: string;
  readonly out: Buffer;
}

export interface Runners {
  readonly qemu: (elf: string) => RunOutput;
  readonly elfuse: (elf: string) => RunOutput;
}

function runner(cmd: string, args: readonly string[]): (elf: string) => RunOutput {
  return (elf) => {
    // ELFUSE_INTERP_JIT passes through, so the same cases can run on translated blocks too.
    const jit = process.env.ELFUSE_INTERP_JIT;
    const env = { PATH: '/usr/bin:/bin', LC_ALL: 'C', ...(jit !== undefined ? { ELFUSE_INTERP_JIT: jit } : {}) };
    const r = spawnSync(cmd, [...args, elf], { maxBuffer: 1 << 30, env, timeout: 600_000 });
    const status = r.error ? String(r.error) : r.signal ? `signal ${r.signal}` : `exit ${r.status}`;
    return { ok: !r.error && r.status === 0, status: `${status}${r.stderr?.length ? `: ${r.stderr.toString().slice(0, 300)}` : ''}`, out: r.stdout ?? Buffer.alloc(0) };
  };
}

/**
 * qemu-aarch64 -cpu max and `node <elfuseCli>`. With `selfCheck` both are
 * qemu: every class must then agree, which shows the guest programs are
 * deterministic and the comparison sound.
 */
export function defaultRunners(elfuseCli: string, selfCheck = false): Runners {
  const qemu = runner('qemu-aarch64', ['-cpu', 'max']);
  return { qemu, elfuse: selfCheck ? qemu : runner(process.execPath, [elfuseCli]) };
}

/** Assemble and link the cases into an ELF in a fresh directory; returns the path and a cleanup. */
export function buildElf(cases: readonly Case[]): { elf: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'elfuse-diff-'));
  const src = join(dir, 'p.s');
  writeFileSync(src, programSource(cases));
  const as = spawnSync('aarch64-linux-gnu-as', [src, '-o', join(dir, 'p.o')], { maxBuffer: 1 << 26 });
  if (as.status !== 0) throw new Error(`as failed: ${as.stderr.toString().slice(0, 2000)}`);
  const ld = spawnSync('aarch64-linux-gnu-ld', ['-static', join(dir, 'p.o'), '-o', join(dir, 'p')], { maxBuffer: 1 << 26 });
  if (ld.status !== 0) throw new Error(`ld failed: ${ld.stderr.toString().slice(0, 2000)}`);
  return { elf: join(dir, 'p'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface CaseResult {
  readonly c: Case;
  /** Output block and scratch memory of each runner; null when that run crashed. */
  readonly qemu: { block: Buffer; mem: Buffer } | null;
  readonly elfuse: { block: Buffer; mem: Buffer } | null;
  readonly crash?: string;
}

function split(cases: readonly Case[], out: Buffer): { block: Buffer; mem: Buffer }[] {
  const n = cases.length;
  return cases.map((_, i) => ({
    block: out.subarray(i * BLOCK, (i + 1) * BLOCK),
    mem: out.subarray(n * BLOCK + i * SCRATCH, n * BLOCK + (i + 1) * SCRATCH),
  }));
}

/**
 * Run one batch under both runners. A batch in which either run crashes is
 * halved until the crashing case stands alone, so one bad case costs a few
 * extra runs instead of the whole batch.
 */
export function runBatch(cases: readonly Case[], runners: Runners): CaseResult[] {
  const { elf, cleanup } = buildElf(cases);
  let q: RunOutput;
  let e: RunOutput;
  try {
    q = runners.qemu(elf);
    e = runners.elfuse(elf);
  } finally {
    cleanup();
  }
  const want = cases.length * (BLOCK + SCRATCH);
  const qOk = q.ok && q.out.length === want;
  const eOk = e.ok && e.out.length === want;
  if (qOk && eOk) {
    const qs = split(cases, q.out);
    const es = split(cases, e.out);
    return cases.map((c, i) => ({ c, qemu: qs[i]!, elfuse: es[i]! }));
  }
  if (cases.length > 1) {
    const h = cases.length >> 1;
    return [...runBatch(cases.slice(0, h), runners), ...runBatch(cases.slice(h), runners)];
  }
  const c = cases[0]!;
  return [{
    c,
    qemu: qOk ? split(cases, q.out)[0]! : null,
    elfuse: eOk ? split(cases, e.out)[0]! : null,
    crash: `qemu ${q.status} (${q.out.length} bytes); elfuse ${e.status} (${e.out.length} bytes)`,
  }];
}
