/**
 * Test support: tiny static AArch64 executables built byte by byte, for the
 * loader's edge cases (huge sparse files, forged PT_INTERP strings) and as
 * seeds for the ELF fuzz. One PT_LOAD (R+X) maps the file from offset 0 at
 * 0x400000; the code sits at `codeOffset` and is the entry point.
 */

export const TINY_BASE = 0x400000;
const EHDR = 64;
const PHDR = 56;

/** `exit(status)`: movz x0, #status; movz x8, #93; svc #0. */
export function exitCode(status: number): number[] {
  return [0xd2800000 | ((status & 0xffff) << 5), 0xd2800ba8, 0xd4000001];
}

/** `write(1, msg, len); exit(status)` with the message right after the code. */
export function writeThenExit(message: string, status: number): { code: number[]; data: Uint8Array } {
  const data = new TextEncoder().encode(message);
  // adr x1, msg (the 8 instructions are 32 bytes); movz x0, #1; movz x2, #len; movz x8, #64; svc #0; exit
  const words = [0x10000101, 0xd2800020, 0xd2800002 | (data.length << 5), 0xd2800808, 0xd4000001, ...exitCode(status)];
  return { code: words, data };
}

export interface TinyElfOptions {
  /** Instruction words at the entry point. */
  code: number[];
  /** Bytes placed right after the code. */
  data?: Uint8Array;
  /** Where the code goes in the file (default 0x200); the file is at least this + the code long. */
  codeOffset?: number;
  /** PT_INTERP bytes (NUL added), for the "dynamically linked" refusal. */
  interp?: Uint8Array;
  /** p_filesz = p_memsz of the PT_LOAD (default: the file's length). Set to a sparse file's size. */
  segmentSize?: number;
}

/** The header part of the file (up to the end of the code and data); a caller may place it in a larger, sparse file. */
export function tinyElf(opts: TinyElfOptions): Uint8Array {
  const codeOffset = opts.codeOffset ?? 0x200;
  const data = opts.data ?? new Uint8Array(0);
  const phnum = opts.interp ? 2 : 1;
  const headEnd = Math.max(EHDR + phnum * PHDR + (opts.interp ? opts.interp.length + 1 : 0), 0x200);
  const out = new Uint8Array(Math.max(headEnd, codeOffset + opts.code.length * 4 + data.length));
  const dv = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  dv.setUint16(16, 2, true); // ET_EXEC
  dv.setUint16(18, 183, true); // EM_AARCH64
  dv.setUint32(20, 1, true);
  dv.setBigUint64(24, BigInt(TINY_BASE + codeOffset), true);
  dv.setBigUint64(32, BigInt(EHDR), true);
  dv.setUint16(52, EHDR, true);
  dv.setUint16(54, PHDR, true);
  dv.setUint16(56, phnum, true);
  const size = opts.segmentSize ?? out.length;
  const ph = (i: number, type: number, flags: number, off: number, va: number, filesz: number): void => {
    const o = EHDR + i * PHDR;
    dv.setUint32(o, type, true);
    dv.setUint32(o + 4, flags, true);
    dv.setBigUint64(o + 8, BigInt(off), true);
    dv.setBigUint64(o + 16, BigInt(va), true);
    dv.setBigUint64(o + 24, BigInt(va), true);
    dv.setBigUint64(o + 32, BigInt(filesz), true);
    dv.setBigUint64(o + 40, BigInt(filesz), true);
    dv.setBigUint64(o + 48, 0x1000n, true);
  };
  ph(0, 1, 5, 0, TINY_BASE, size);
  if (opts.interp) {
    const at = EHDR + phnum * PHDR;
    out.set(opts.interp, at);
    ph(1, 3, 4, at, TINY_BASE + at, opts.interp.length + 1);
  }
  opts.code.forEach((w, i) => dv.setUint32(codeOffset + i * 4, w >>> 0, true));
  out.set(data, codeOffset + opts.code.length * 4);
  return out;
}
