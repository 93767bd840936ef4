/**
 * The ELF64 model: constants named as <elf.h> names them and the typed view
 * of an executable that the loader and the auxv builder consume. Parsing and
 * validation live in parse.ts; this module only describes the result.
 */

export const ELFCLASS64 = 2;
export const ELFDATA2LSB = 1;
export const EV_CURRENT = 1;

export const ET_EXEC = 2;
export const ET_DYN = 3;

export const EM_AARCH64 = 183;

export const PT_NULL = 0;
export const PT_LOAD = 1;
export const PT_DYNAMIC = 2;
export const PT_INTERP = 3;
export const PT_NOTE = 4;
export const PT_PHDR = 6;
export const PT_TLS = 7;
export const PT_GNU_STACK = 0x6474e551;

export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;

/** sizeof(Elf64_Ehdr) and sizeof(Elf64_Phdr). */
export const ELF64_EHDR_SIZE = 64;
export const ELF64_PHDR_SIZE = 56;

/**
 * 64-bit fields are held as numbers: every value a valid image can carry is
 * below 2^48 (the user VA space) or the file size, so precision is never lost
 * where it matters; larger values are only ever compared and rejected.
 */
export interface ElfHeader {
  /** e_type: ET_EXEC or ET_DYN. */
  readonly type: number;
  readonly machine: number;
  readonly entry: number;
  readonly phoff: number;
  readonly phentsize: number;
  readonly phnum: number;
  readonly flags: number;
}

export interface ProgramHeader {
  readonly type: number;
  readonly flags: number;
  readonly offset: number;
  readonly vaddr: number;
  readonly filesz: number;
  readonly memsz: number;
  readonly align: number;
}

export interface TlsTemplate {
  readonly vaddr: number;
  readonly filesz: number;
  readonly memsz: number;
  readonly align: number;
}

export interface ElfImage {
  readonly header: ElfHeader;
  /** Every program header, in file order. */
  readonly phdrs: readonly ProgramHeader[];
  /** The PT_LOAD headers, in ascending p_vaddr order (at least one). */
  readonly loads: readonly ProgramHeader[];
  /** PT_INTERP's path (without the NUL), when the image is dynamically linked. */
  readonly interp: string | undefined;
  readonly tls: TlsTemplate | undefined;
  /** PT_PHDR's p_vaddr (unbiased), when present. */
  readonly phdrVaddr: number | undefined;
  /** PT_DYNAMIC's p_vaddr (unbiased), when present. */
  readonly dynamicVaddr: number | undefined;
  /** PT_GNU_STACK asked for an executable stack (absent means the ABI default, non-executable on arm64). */
  readonly execStack: boolean;
  /** Lowest p_vaddr and highest p_vaddr + p_memsz over the PT_LOADs (unbiased). */
  readonly loadStart: number;
  readonly loadEnd: number;
}
