/**
 * The ELF parser against aarch64-linux-gnu-readelf's view of real binaries
 * (compiled here with the cross toolchain, plus the toolchain's own shared
 * libraries), and each validation error on real files mutated by hand.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ElfError, ET_DYN, ET_EXEC, PT_INTERP, PT_LOAD, PT_NULL, parseElf, type ElfErrorReason } from '../../src/domain/elf/index.js';

const READELF_TYPES: Record<string, number> = {
  NULL: 0,
  LOAD: 1,
  DYNAMIC: 2,
  INTERP: 3,
  NOTE: 4,
  PHDR: 6,
  TLS: 7,
  GNU_EH_FRAME: 0x6474e550,
  GNU_STACK: 0x6474e551,
  GNU_RELRO: 0x6474e552,
  GNU_PROPERTY: 0x6474e553,
};

interface ReadelfView {
  type: number;
  entry: number;
  phnum: number;
  interp: string | undefined;
  phdrs: { type: string; offset: number; vaddr: number; filesz: number; memsz: number; flags: number; align: number }[];
}

function readelf(path: string): ReadelfView {
  const out = execFileSync('aarch64-linux-gnu-readelf', ['-lhW', path], { encoding: 'utf8' });
  const field = (re: RegExp): string => {
    const m = re.exec(out);
    if (!m?.[1]) throw new Error(`readelf output lacks ${re}`);
    return m[1];
  };
  const phdrs = [...out.matchAll(/^\s+(\w+)\s+0x([0-9a-f]+) 0x([0-9a-f]+) 0x[0-9a-f]+ 0x([0-9a-f]+) 0x([0-9a-f]+) ([R ][W ][E ]) 0x([0-9a-f]+)$/gm)].map((m) => ({
    type: m[1]!,
    offset: parseInt(m[2]!, 16),
    vaddr: parseInt(m[3]!, 16),
    filesz: parseInt(m[4]!, 16),
    memsz: parseInt(m[5]!, 16),
    flags: (m[6]![0] === 'R' ? 4 : 0) | (m[6]![1] === 'W' ? 2 : 0) | (m[6]![2] === 'E' ? 1 : 0),
    align: parseInt(m[7]!, 16),
  }));
  return {
    type: field(/Type:\s+(\w+)/) === 'EXEC' ? ET_EXEC : ET_DYN,
    entry: parseInt(field(/Entry point address:\s+0x([0-9a-f]+)/), 16),
    phnum: parseInt(field(/Number of program headers:\s+(\d+)/), 10),
    interp: /Requesting program interpreter: ([^\]]+)\]/.exec(out)?.[1],
    phdrs,
  };
}

let dir = '';
const bin: Record<string, string> = {};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'elfuse-elf-'));
  const src = join(dir, 'hello.c');
  writeFileSync(src, '#include <stdio.h>\n__thread int t = 3;\nint main(void) { printf("hi %d\\n", t); return 0; }\n');
  const cc = (out: string, ...flags: string[]): void => {
    bin[out] = join(dir, out);
    execFileSync('aarch64-linux-gnu-gcc', ['-O1', ...flags, src, '-o', bin[out]!]);
  };
  cc('static', '-static');
  cc('static-pie', '-static-pie');
  cc('dynamic');
  cc('object', '-c');
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const SYSTEM_LIBS = ['/usr/aarch64-linux-gnu/lib/libc.so.6', '/usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1'];

describe('parseElf matches readelf', () => {
  const check = (path: string): void => {
    const want = readelf(path);
    const elf = parseElf(new Uint8Array(readFileSync(path)));
    expect(elf.header.type).toBe(want.type);
    expect(elf.header.entry).toBe(want.entry);
    expect(elf.header.phnum).toBe(want.phnum);
    expect(elf.phdrs).toHaveLength(want.phdrs.length);
    want.phdrs.forEach((w, i) => {
      const p = elf.phdrs[i]!;
      const type = READELF_TYPES[w.type];
      if (type !== undefined) expect(p.type).toBe(type);
      expect({ offset: p.offset, vaddr: p.vaddr, filesz: p.filesz, memsz: p.memsz, flags: p.flags, align: p.align }).toEqual({
        offset: w.offset,
        vaddr: w.vaddr,
        filesz: w.filesz,
        memsz: w.memsz,
        flags: w.flags,
        align: w.align,
      });
    });
    expect(elf.interp).toBe(want.interp);
    const loads = want.phdrs.filter((p) => p.type === 'LOAD');
    expect(elf.loads.map((p) => p.vaddr)).toEqual(loads.map((p) => p.vaddr).sort((a, b) => a - b));
    const tls = want.phdrs.find((p) => p.type === 'TLS');
    expect(elf.tls && { vaddr: elf.tls.vaddr, memsz: elf.tls.memsz }).toEqual(tls && { vaddr: tls.vaddr, memsz: tls.memsz });
    const phdr = want.phdrs.find((p) => p.type === 'PHDR');
    expect(elf.phdrVaddr).toBe(phdr?.vaddr);
    expect(elf.execStack).toBe(want.phdrs.find((p) => p.type === 'GNU_STACK')!.flags % 2 === 1);
  };

  it('a static executable (ET_EXEC, PT_TLS, no PT_INTERP)', () => {
    check(bin.static!);
    expect(parseElf(new Uint8Array(readFileSync(bin.static!))).header.type).toBe(ET_EXEC);
  });
  it('a static-PIE executable (ET_DYN)', () => check(bin['static-pie']!));
  it('a dynamic PIE executable with PT_INTERP, PT_PHDR and PT_DYNAMIC', () => {
    check(bin.dynamic!);
    const elf = parseElf(new Uint8Array(readFileSync(bin.dynamic!)));
    expect(elf.interp).toBe('/lib/ld-linux-aarch64.so.1');
    expect(elf.dynamicVaddr).toBeGreaterThan(0);
  });
  for (const lib of SYSTEM_LIBS) {
    it(`the toolchain's ${lib}`, (ctx) => {
      if (!existsSync(lib)) {
        const why = `missing ${lib}: apt-get install gcc-aarch64-linux-gnu`;
        if (process.env.ELFUSE_ALLOW_MISSING_REFS === '1') ctx.skip(why);
        throw new Error(why);
      }
      check(lib);
    });
  }
});

describe('parseElf rejects bad files with a reason and a one-line message', () => {
  const staticBytes = (): Uint8Array => new Uint8Array(readFileSync(bin.static!));
  const expectReason = (bytes: Uint8Array, reason: ElfErrorReason, msg?: RegExp): void => {
    let err: unknown;
    try {
      parseElf(bytes);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ElfError);
    expect((err as ElfError).reason).toBe(reason);
    expect((err as ElfError).message).not.toContain('\n');
    if (msg) expect((err as ElfError).message).toMatch(msg);
  };
  /** Little-endian field writes into a copy of a valid file. */
  const dv = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);
  const phdrAt = (b: Uint8Array, i: number): number => Number(dv(b).getBigUint64(32, true)) + i * 56;
  const loadIndexes = (b: Uint8Array): number[] => parseElf(b).phdrs.flatMap((p, i) => (p.type === PT_LOAD ? [i] : []));

  it('not an ELF file', () => expectReason(new TextEncoder().encode('#!/bin/sh\necho hi\n'), 'bad-magic', /not an ELF/));
  it('an x86-64 executable names its machine', () => expectReason(new Uint8Array(readFileSync('/bin/true')), 'bad-machine', /x86-64/));
  it('ELF32', () => {
    const b = staticBytes();
    b[4] = 1;
    expectReason(b, 'bad-class', /ELF64/);
  });
  it('big-endian', () => {
    const b = staticBytes();
    b[5] = 2;
    expectReason(b, 'bad-encoding', /little-endian/);
  });
  it('a relocatable object is not an executable', () => expectReason(new Uint8Array(readFileSync(bin.object!)), 'bad-type', /ET_EXEC/));
  it('a truncated header', () => expectReason(staticBytes().slice(0, 40), 'truncated-header'));
  it('truncated program headers', () => {
    const b = staticBytes();
    expectReason(b.slice(0, phdrAt(b, 1) + 10), 'truncated-phdrs');
  });
  it('a segment past the end of the file', () => {
    const b = staticBytes();
    // Keep the headers, cut inside the first PT_LOAD's file bytes.
    expectReason(b.slice(0, 0x1000), 'segment-outside-file');
  });
  it('p_filesz > p_memsz', () => {
    const b = staticBytes();
    const o = phdrAt(b, loadIndexes(b)[1]!);
    dv(b).setBigUint64(o + 32, dv(b).getBigUint64(o + 40, true) + 1n, true);
    dv(b).setBigUint64(o + 8, 0n, true); // keep it inside the file
    expectReason(b, 'bad-segment', /p_filesz/);
  });
  it('p_vaddr and p_offset differing modulo the page size', () => {
    const b = staticBytes();
    const o = phdrAt(b, loadIndexes(b)[1]!);
    dv(b).setBigUint64(o + 16, dv(b).getBigUint64(o + 16, true) + 8n, true);
    expectReason(b, 'bad-segment', /modulo the page size/);
  });
  it('overlapping PT_LOADs', () => {
    const b = staticBytes();
    const [first, second] = loadIndexes(b);
    const o1 = phdrAt(b, first!);
    const o2 = phdrAt(b, second!);
    // Move the second segment into the first one's range, keeping page congruence.
    const off2 = dv(b).getBigUint64(o2 + 8, true);
    dv(b).setBigUint64(o2 + 16, dv(b).getBigUint64(o1 + 16, true) + (off2 % 4096n) + 4096n, true);
    expectReason(b, 'overlapping-segments');
  });
  it('no PT_LOAD', () => {
    const b = staticBytes();
    for (const i of loadIndexes(b)) dv(b).setUint32(phdrAt(b, i), PT_NULL, true);
    expectReason(b, 'no-load');
  });
  it('a PT_INTERP that is not NUL-terminated', () => {
    const b = new Uint8Array(readFileSync(bin.dynamic!));
    const i = parseElf(b).phdrs.findIndex((p) => p.type === PT_INTERP);
    const p = parseElf(b).phdrs[i]!;
    b[p.offset + p.filesz - 1] = 0x41;
    expectReason(b, 'bad-interp');
  });
  it('a wrong program header size', () => {
    const b = staticBytes();
    dv(b).setUint16(54, 64, true);
    expectReason(b, 'bad-phdr-size');
  });
});
