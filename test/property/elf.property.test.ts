/**
 * Property: parseElf on arbitrary bytes either returns a model that satisfies
 * the validation rules or throws ElfError, never anything else; checked on
 * random bytes and on random mutations of a small valid AArch64 executable.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ElfError, EM_AARCH64, PT_GNU_STACK, PT_INTERP, PT_LOAD, parseElf, type ElfImage } from '../../src/domain/elf/index.js';

/** A minimal valid static-PIE-shaped image: header, PT_LOAD RX, PT_LOAD RW, PT_INTERP, PT_GNU_STACK. */
function validElf(): Uint8Array {
  const b = new Uint8Array(0x3000);
  const dv = new DataView(b.buffer);
  b.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  dv.setUint16(16, 3, true); // ET_DYN
  dv.setUint16(18, EM_AARCH64, true);
  dv.setUint32(20, 1, true);
  dv.setBigUint64(24, 0x120n, true); // e_entry
  dv.setBigUint64(32, 64n, true); // e_phoff
  dv.setUint16(52, 64, true);
  dv.setUint16(54, 56, true);
  dv.setUint16(56, 4, true);
  const ph = (i: number, type: number, flags: number, off: number, va: number, filesz: number, memsz: number): void => {
    const o = 64 + i * 56;
    dv.setUint32(o, type, true);
    dv.setUint32(o + 4, flags, true);
    dv.setBigUint64(o + 8, BigInt(off), true);
    dv.setBigUint64(o + 16, BigInt(va), true);
    dv.setBigUint64(o + 24, BigInt(va), true);
    dv.setBigUint64(o + 32, BigInt(filesz), true);
    dv.setBigUint64(o + 40, BigInt(memsz), true);
    dv.setBigUint64(o + 48, 0x1000n, true);
  };
  ph(0, PT_LOAD, 5, 0, 0, 0x1800, 0x1800);
  ph(1, PT_LOAD, 6, 0x2000, 0x12000, 0x800, 0x3000);
  ph(2, PT_INTERP, 4, 0x200, 0x200, 5, 5);
  ph(3, PT_GNU_STACK, 6, 0, 0, 0, 0);
  b.set(new TextEncoder().encode('/lib\0'), 0x200);
  return b;
}

/** The validation rules, restated independently of the parser. */
function checkModel(elf: ElfImage, size: number): void {
  expect(elf.header.machine).toBe(EM_AARCH64);
  expect([2, 3]).toContain(elf.header.type);
  expect(elf.loads.length).toBeGreaterThan(0);
  for (const p of elf.phdrs) if (p.filesz > 0) expect(p.offset + p.filesz).toBeLessThanOrEqual(size);
  elf.loads.forEach((p, i) => {
    expect(p.filesz).toBeLessThanOrEqual(p.memsz);
    expect(Math.abs((p.vaddr - p.offset) % 4096)).toBe(0);
    const next = elf.loads[i + 1];
    if (next) expect(p.vaddr + p.memsz).toBeLessThanOrEqual(next.vaddr);
  });
}

function parsesOrElfError(bytes: Uint8Array): void {
  let elf: ElfImage;
  try {
    elf = parseElf(bytes);
  } catch (e) {
    if (!(e instanceof ElfError)) throw new Error(`non-ElfError thrown: ${String(e)}`);
    return;
  }
  checkModel(elf, bytes.length);
}

const HEADER_SPAN = 64 + 4 * 56;

describe('parseElf on arbitrary input', () => {
  it('the valid base image parses', () => {
    const elf = parseElf(validElf());
    expect(elf.loads).toHaveLength(2);
    expect(elf.interp).toBe('/lib');
  });

  it('random bytes: a model or ElfError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (b) => parsesOrElfError(b)), { numRuns: 2000 });
  });

  it('random bytes behind a valid magic and ELF64/LE/AArch64 prefix: a model or ElfError', () => {
    const prefix = validElf().subarray(0, 20);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 800 }), (tail) => {
        const b = new Uint8Array(20 + tail.length);
        b.set(prefix);
        b.set(tail, 20);
        parsesOrElfError(b);
      }),
      { numRuns: 2000 },
    );
  });

  it('mutations of a valid image (header and program header bytes, 64-bit fields, truncation)', () => {
    const interesting = fc.constantFrom(0, 1, 2, 3, 0x7f, 0x80, 0xff);
    const byteEdit = fc.record({ at: fc.integer({ min: 0, max: HEADER_SPAN - 1 }), value: fc.oneof(interesting, fc.integer({ min: 0, max: 255 })) });
    const wordEdit = fc.record({
      at: fc.integer({ min: 0, max: (HEADER_SPAN - 8) / 8 }).map((i) => i * 8),
      value: fc.oneof(fc.constantFrom(0n, 1n, 0xfffn, 0x1000n, 2n ** 48n, 2n ** 53n, 2n ** 64n - 1n), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })),
    });
    fc.assert(
      fc.property(fc.array(byteEdit, { maxLength: 6 }), fc.array(wordEdit, { maxLength: 3 }), fc.option(fc.integer({ min: 0, max: 0x3000 })), (bytes, words, cut) => {
        let b = validElf();
        const dv = new DataView(b.buffer);
        for (const e of bytes) b[e.at] = e.value;
        for (const w of words) dv.setBigUint64(w.at, w.value, true);
        if (cut !== null) b = b.slice(0, cut);
        parsesOrElfError(b);
      }),
      { numRuns: 3000 },
    );
  });
});
