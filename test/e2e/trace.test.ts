/**
 * The instruction trace (--trace FILE) against qemu-aarch64's own:
 * `-d in_asm,exec,nochain -singlestep` logs one "Trace" line per instruction it
 * runs, with the PC; elfuse's trace must list the same addresses in the
 * same order. The guests are assembly programs whose paths depend on
 * nothing outside them (a C program's libc start-up reads auxv and
 * HWCAP, which differ between the two by design).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { GUESTS_REF, QEMU_REF, guest, requireReferences, run, runElfuse } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'elfuse-trace-'));

/** The PCs qemu logged, as elfuse prints addresses. */
async function qemuPcs(name: string): Promise<{ pcs: string[]; stdout: string; status: number }> {
  const log = join(dir, `${name}.qemu`);
  const r = await run('qemu-aarch64', ['-d', 'in_asm,exec,nochain', '-singlestep', '-D', log, guest(name)]);
  const pcs = readFileSync(log, 'latin1')
    .split('\n')
    .filter((l) => l.startsWith('Trace '))
    .map((l) => `0x${/\[[0-9a-f]+\/([0-9a-f]+)\//.exec(l)![1]!.padStart(16, '0')}`);
  return { pcs, stdout: r.stdout.toString(), status: r.status };
}

async function elfuseTrace(name: string, extra: string[] = []): Promise<{ lines: string[]; stdout: string; status: number }> {
  const file = join(dir, `${name}${extra.join('')}.elfuse`);
  const r = await runElfuse(['--trace', file, ...extra, guest(name)]);
  const lines = readFileSync(file, 'latin1').split('\n').filter((l) => l !== '');
  return { lines, stdout: r.stdout.toString(), status: r.status };
}

describe('--trace', () => {
  test.for(['hello-asm', 'trace-loop'])('%s: the same instruction addresses in the same order as qemu -d exec -singlestep', async (name, ctx) => {
    requireReferences(ctx, [QEMU_REF, GUESTS_REF]);
    const [q, e] = await Promise.all([qemuPcs(name), elfuseTrace(name)]);
    expect(q.pcs.length).toBeGreaterThan(5);
    expect(e.lines.map((l) => l.slice(0, 18))).toEqual(q.pcs);
    // Tracing changes nothing the guest does.
    expect(e.stdout).toBe(q.stdout);
    expect(e.status).toBe(q.status);
  });

  test('each line has the encoding and disassembly; --trace-regs lists what changed', async (ctx) => {
    requireReferences(ctx, [GUESTS_REF]);
    const e = await elfuseTrace('trace-loop', ['--trace-regs']);
    // square(5): mul x0, x0, x0 leaves 25 in x0; bl sets the link register.
    expect(e.lines).toContain('0x00000000004000d0: 9b007c00  mul x0, x0, x0  ; x0=0x19');
    expect(e.lines.some((l) => /^0x000000000040008c: 94000010  bl 0x4000cc {2}; x30=0x400090$/.test(l))).toBe(true);
    expect(e.status).toBe(55);
  });

  test('--trace-only keeps instructions inside an address range', async (ctx) => {
    requireReferences(ctx, [GUESTS_REF]);
    // square is the four instructions at 0x4000cc..0x4000dc, called five times.
    const e = await elfuseTrace('trace-loop', ['--trace-only', '0x4000cc-0x4000dc']);
    expect(e.lines).toHaveLength(20);
    expect(new Set(e.lines.map((l) => l.slice(0, 18)))).toEqual(new Set(['0x00000000004000cc', '0x00000000004000d0', '0x00000000004000d4', '0x00000000004000d8']));
  });

  test('--trace-only by symbol, in a C program', async (ctx) => {
    requireReferences(ctx, [GUESTS_REF]);
    const e = await elfuseTrace('gdb-target', ['--trace-only', 'add_to_counter']);
    // Called three times; every line names the function.
    expect(e.lines.length % 3).toBe(0);
    expect(e.lines.every((l) => /<add_to_counter(\+0x[0-9a-f]+)?>$/.test(l))).toBe(true);
    expect(e.stdout).toBe('counter=6 sum=6666666666666664 d=3.25\n');
  });

  test('an unknown symbol is a usage error', async (ctx) => {
    requireReferences(ctx, [GUESTS_REF]);
    const r = await runElfuse(['--trace', join(dir, 'x'), '--trace-only', 'no_such_function', guest('gdb-target')]);
    expect(r.status).toBe(2);
    expect(r.stderr.toString()).toBe('elfuse: --trace-only: no symbol no_such_function in the program (give an address range START-END instead)\n');
  });
});
