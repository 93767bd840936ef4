/**
 * ElfSource: random access to an executable's bytes. The parser reads only
 * what it needs through it (the ELF header, the program header table, the
 * PT_INTERP string), so an executable of any size costs a few reads, and the
 * loader maps the segments from the file instead of copying the file whole.
 */

export interface ElfSource {
  /** The file's size in bytes. */
  readonly size: number;
  /** `length` bytes from `offset`, fewer only at the end of the file. */
  read(offset: number, length: number): Uint8Array;
}

/** An ElfSource over bytes already in memory (tests, generated images). */
export function bytesSource(bytes: Uint8Array): ElfSource {
  return {
    size: bytes.length,
    read: (offset, length) => bytes.subarray(Math.min(offset, bytes.length), Math.min(offset + length, bytes.length)),
  };
}
