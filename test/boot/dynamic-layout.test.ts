/**
 * Where a dynamically linked program and its interpreter go, as Linux's
 * load_elf_binary() places them without randomization: a PIE with an
 * interpreter at ELF_ET_DYN_BASE (2/3 of the 48-bit space) aligned down to
 * its largest p_align, an ET_EXEC where it says, the interpreter as one
 * mapping of its whole span top-down below mmap_base (under anything
 * already there). Checked on programs linked here by the cross toolchain and
 * on its own ld-linux-aarch64.so.1 (also run as a program, like a static
 * PIE: in the mmap area); the spans and alignments come from
 * readelf, not from elfuse's parser.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAuxv, AT_BASE, AT_ENTRY, AT_PHDR } from '../../src/domain/boot/auxv.js';
import { loadElf } from '../../src/domain/boot/loader.js';
import { executableBase, interpreterBase, maximumAlignment } from '../../src/domain/boot/program.js';
import { parseElf } from '../../src/domain/elf/index.js';
import { MAP_ANONYMOUS, MAP_FIXED, MAP_PRIVATE, PROT_READ } from '../../src/domain/kernel/linux-abi.js';
import { memStack } from '../memory/ram.js';

/** The cross toolchain's dynamic linker (libc6-arm64-cross, installed with the cross compiler). */
const LDSO = '/usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1';
/** ELF_ET_DYN_BASE on arm64 (arch/arm64/include/asm/elf.h: (2 * TASK_SIZE_64 / 3) page-aligned). */
const ELF_ET_DYN_BASE = 0xaaaaaaaaa000;
/**
 * mmap_base: 128 MiB (MIN_GAP, more than the 8 MiB stack rlimit plus the
 * guard gap) below the stack top, which elfuse keeps one page under
 * TASK_SIZE (Linux's is TASK_SIZE itself, so its base is a page higher).
 */
const MMAP_BASE = 0xfffffffff000 - 128 * 1024 * 1024;

let dir = '';
const files: Record<string, Uint8Array> = {};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'elfuse-dynlayout-'));
  const src = join(dir, 'p.c');
  writeFileSync(src, '#include <stdio.h>\nint main(void) { puts("hi"); return 0; }\n');
  for (const [name, flags] of [
    ['pie', ['-pie', '-fPIE']],
    ['no-pie', ['-no-pie']],
    ['static-pie', ['-static-pie']],
  ] as const) {
    const out = join(dir, name);
    execFileSync('aarch64-linux-gnu-gcc', ['-O1', ...flags, src, '-o', out]);
    files[name] = new Uint8Array(readFileSync(out));
  }
  if (!existsSync(LDSO)) throw new Error(`missing ${LDSO}: apt-get install libc6-arm64-cross (bash .ci/run installs it)`);
  files['ld.so'] = new Uint8Array(readFileSync(LDSO));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The PT_LOADs as readelf -lW prints them: vaddr, memsz, align. */
function readelfLoads(path: string): { vaddr: number; memsz: number; align: number }[] {
  const out = execFileSync('aarch64-linux-gnu-readelf', ['-lW', path], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => /^\s+LOAD\s/.test(l))
    .map((l) => {
      const f = l.trim().split(/\s+/);
      // LOAD offset vaddr paddr filesz memsz flags... align
      return { vaddr: Number(f[2]), memsz: Number(f[5]), align: Number(f[f.length - 1]) };
    });
}

const pageUp = (x: number): number => Math.ceil(x / 4096) * 4096;

describe('dynamic executables and their interpreter: Linux placement', () => {
  it('a PIE goes to ELF_ET_DYN_BASE aligned down to its largest p_align', () => {
    const elf = parseElf(files['pie']!);
    const align = Math.max(4096, ...readelfLoads(join(dir, 'pie')).map((l) => l.align));
    expect(maximumAlignment(elf)).toBe(align);
    const { as } = memStack();
    const base = executableBase(as, elf);
    expect(base).toBe(ELF_ET_DYN_BASE - (ELF_ET_DYN_BASE % align));
    // Debian's toolchain aligns segments to 64 KiB: the familiar 0xaaaaaaaa0000.
    if (align === 0x10000) expect(base).toBe(0xaaaaaaaa0000);
  });

  it('an ET_EXEC loads where it says', () => {
    const { as } = memStack();
    expect(executableBase(as, parseElf(files['no-pie']!))).toBe(0);
  });

  it('an ET_DYN without an interpreter (a static PIE, ld.so run as a program) goes top-down into the mmap area', () => {
    for (const [name, path] of [
      ['static-pie', join(dir, 'static-pie')],
      ['ld.so', LDSO],
    ] as const) {
      const { as } = memStack();
      const loads = readelfLoads(path);
      const span = pageUp(Math.max(...loads.map((l) => l.vaddr + l.memsz)));
      const align = Math.max(4096, ...loads.map((l) => l.align));
      const top = MMAP_BASE - span;
      expect(executableBase(as, parseElf(files[name]!)), name).toBe(top - (top % align));
    }
  });

  it('the interpreter is one mapping of its whole span right below mmap_base', () => {
    const { as } = memStack();
    const exe = parseElf(files['pie']!);
    loadElf(as, exe, files['pie']!, { base: executableBase(as, exe) });
    const ld = parseElf(files['ld.so']!);
    const loads = readelfLoads(LDSO);
    const span = pageUp(Math.max(...loads.map((l) => l.vaddr + l.memsz)));
    const base = interpreterBase(as, ld);
    expect(base).toBe(MMAP_BASE - span);
    const img = loadElf(as, ld, files['ld.so']!, { base });
    expect(img.loadBias).toBe(base);
    expect(img.entry).toBe(base + ld.header.entry);
  });

  it('the interpreter goes under what is already mapped at the top of the mmap area', () => {
    const { as } = memStack();
    expect(as.mmapAnonymous(MMAP_BASE - 0x5000, 0x5000, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED)).toBe(MMAP_BASE - 0x5000);
    const ld = parseElf(files['ld.so']!);
    const span = pageUp(Math.max(...readelfLoads(LDSO).map((l) => l.vaddr + l.memsz)));
    expect(interpreterBase(as, ld)).toBe(MMAP_BASE - 0x5000 - span);
  });

  it('auxv: AT_BASE is the interpreter, AT_ENTRY and AT_PHDR the program', () => {
    const auxv = new Map(
      buildAuxv({ phdr: 0xaaaaaaaa0040, phent: 56, phnum: 9, base: 0xfffff7fbd000, entry: 0xaaaaaaaa17c0, uid: 1, euid: 2, gid: 3, egid: 4, hwcap: 0n, hwcap2: 0n }),
    );
    expect(auxv.get(AT_BASE)).toBe(0xfffff7fbd000n);
    expect(auxv.get(AT_ENTRY)).toBe(0xaaaaaaaa17c0n);
    expect(auxv.get(AT_PHDR)).toBe(0xaaaaaaaa0040n);
  });
});
