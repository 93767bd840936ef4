/**
 * loadElf on real static and static-PIE executables built here with the
 * cross toolchain (file bytes vs guest memory, bss, protections, entry,
 * AT_PHDR, brk), and on hand-made images for the corner cases: a page shared
 * by two segments, and a W+X segment.
 */
import { Buffer } from 'node:buffer';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadElf } from '../../src/domain/boot/loader.js';
import { EM_AARCH64, PT_LOAD, parseElf } from '../../src/domain/elf/index.js';
import { PROT_EXEC, PROT_READ, PROT_WRITE } from '../../src/domain/kernel/linux-abi.js';
import { memStack } from '../memory/ram.js';

let dir = '';
const files: Record<string, Uint8Array> = {};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'elfuse-load-'));
  const src = join(dir, 'p.c');
  writeFileSync(src, 'int big[5000];\nint main(void) { return big[7]; }\n');
  for (const [name, flag] of [['static', '-static'], ['static-pie', '-static-pie']] as const) {
    const out = join(dir, name);
    execFileSync('aarch64-linux-gnu-gcc', ['-O1', flag, src, '-o', out]);
    files[name] = new Uint8Array(readFileSync(out));
  }
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const pageDown = (x: number): number => x - (x % 4096);
const pageUp = (x: number): number => Math.ceil(x / 4096) * 4096;
const protOf = (f: number): number => (f & 4 ? PROT_READ : 0) | (f & 2 ? PROT_WRITE : 0) | (f & 1 ? PROT_EXEC : 0);

describe('loadElf on real executables', () => {
  for (const name of ['static', 'static-pie']) {
    it(`maps ${name} segment by segment`, () => {
      const bytes = files[name]!;
      const elf = parseElf(bytes);
      const { as } = memStack();
      const img = loadElf(as, elf, bytes);
      const bias = name === 'static' ? 0 : 0xaaaaaaaaa000;
      expect(img.loadBias).toBe(bias);
      expect(img.entry).toBe(elf.header.entry + bias);
      for (const p of elf.loads) {
        const va = p.vaddr + bias;
        // Buffer.equals: vitest's deep equality is too slow for half a megabyte.
        expect(Buffer.from(as.peek(va, p.filesz)).equals(bytes.subarray(p.offset, p.offset + p.filesz))).toBe(true);
        expect(as.peek(va + p.filesz, p.memsz - p.filesz).every((b) => b === 0)).toBe(true);
        // The file pages and the bss pages may be separate VMAs; together they cover the segment.
        expect(as.isCovered(pageDown(va), pageUp(va + p.memsz))).toBe(true);
        for (const v of as.inRange(pageDown(va), pageUp(va + p.memsz))) expect(v.prot).toBe(protOf(p.flags));
      }
      // AT_PHDR points at a copy of the program header table.
      expect(as.peek(img.phdrVa, elf.header.phnum * 56)).toEqual(bytes.subarray(elf.header.phoff, elf.header.phoff + elf.header.phnum * 56));
      const last = elf.loads[elf.loads.length - 1]!;
      expect(img.brkStart).toBe(pageUp(last.vaddr + last.memsz + bias));
      expect(img.tls?.vaddr).toBe(elf.tls!.vaddr + bias);
      // The text is executable and not writable at EL0; the data is writable and not executable.
      expect(as.pageTable.translate(img.entry)?.perms).toEqual({ read: true, write: false, exec: true, user: true });
      expect(as.pageTable.translate(last.vaddr + bias)?.perms).toEqual({ read: true, write: true, exec: false, user: true });
    });
  }
});

/** A hand-made ET_EXEC image with the given PT_LOADs (file bytes filled with a pattern). */
function image(loads: { off: number; va: number; filesz: number; memsz: number; flags: number }[]): Uint8Array {
  const b = new Uint8Array(0x3000);
  for (let i = 0x200; i < b.length; i++) b[i] = (i * 7) & 0xff;
  const dv = new DataView(b.buffer);
  b.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  dv.setUint16(16, 2, true);
  dv.setUint16(18, EM_AARCH64, true);
  dv.setBigUint64(24, BigInt(loads[0]!.va), true);
  dv.setBigUint64(32, 64n, true);
  dv.setUint16(54, 56, true);
  dv.setUint16(56, loads.length, true);
  loads.forEach((l, i) => {
    const o = 64 + i * 56;
    dv.setUint32(o, PT_LOAD, true);
    dv.setUint32(o + 4, l.flags, true);
    dv.setBigUint64(o + 8, BigInt(l.off), true);
    dv.setBigUint64(o + 16, BigInt(l.va), true);
    dv.setBigUint64(o + 32, BigInt(l.filesz), true);
    dv.setBigUint64(o + 40, BigInt(l.memsz), true);
  });
  return b;
}

describe('loadElf corner cases', () => {
  it('a page shared by two segments keeps both, with both permissions, and zero bss', () => {
    // Text [0x400000, 0x401800) RX from offset 0; data at 0x401900 (offset 0x1900) RW, bss to 0x402100.
    const bytes = image([
      { off: 0, va: 0x400000, filesz: 0x1800, memsz: 0x1800, flags: 5 },
      { off: 0x1900, va: 0x401900, filesz: 0x100, memsz: 0x800, flags: 6 },
    ]);
    const elf = parseElf(bytes);
    const { as } = memStack();
    const img = loadElf(as, elf, bytes);
    // Text, then the gap, then data: the gap holds the file bytes, as the data segment's file page would.
    expect(as.peek(0x400000, 0x1a00)).toEqual(bytes.subarray(0, 0x1a00));
    expect(as.peek(0x401a00, 0x700).every((b) => b === 0)).toBe(true);
    // The shared page asks for R|W|X: mapped read-write (W^X), exec remembered.
    expect(as.vmaAt(0x401000)?.prot).toBe(7);
    expect(as.vmaAt(0x401000)?.wantExec).toBe(true);
    expect(as.vmaAt(0x400000)?.prot).toBe(PROT_READ | PROT_EXEC);
    expect(as.vmaAt(0x402000)?.prot).toBe(PROT_READ | PROT_WRITE);
    expect(img.brkStart).toBe(0x403000);
  });

  it('a W+X segment is mapped read-write with wantExec', () => {
    const bytes = image([{ off: 0x1000, va: 0x500000, filesz: 0x10, memsz: 0x10, flags: 7 }]);
    const { as } = memStack();
    loadElf(as, parseElf(bytes), bytes);
    expect(as.vmaAt(0x500000)?.wantExec).toBe(true);
    // Demand-paged from the file: the page is mapped once touched.
    expect(as.pageTable.translate(0x500000)).toBeNull();
    as.peek(0x500000, 1);
    expect(as.pageTable.translate(0x500000)?.perms).toEqual({ read: true, write: true, exec: false, user: true });
    // The page head before p_vaddr holds the file bytes before p_offset, as a file mapping would.
    expect(as.peek(0x500000, 0x10)).toEqual(bytes.subarray(0x1000, 0x1010));
  });

  it('fills the head of a segment page with the file bytes before p_offset (so the ELF header is mapped)', () => {
    const bytes = image([{ off: 0x40, va: 0x600040, filesz: 0x100, memsz: 0x100, flags: 5 }]);
    const { as } = memStack();
    const img = loadElf(as, parseElf(bytes), bytes);
    expect(as.peek(0x600000, 0x140)).toEqual(bytes.subarray(0, 0x140));
    expect(img.phdrVa).toBe(0x600040);
  });
});
