/**
 * loadElf: map an ELF image's PT_LOAD segments into an AddressSpace, as
 * fs/binfmt_elf.c load_elf_binary() does for a fresh process. Each segment
 * becomes a private mapping covering its pages with the protection its
 * p_flags ask for; its file bytes are copied in with the privileged poke
 * (starting at the segment's page, so the head of the first page holds the
 * file bytes before p_vaddr, e.g. the ELF header and program headers, as a
 * file mapping would); the rest, the bss included, reads as zero.
 */
import { MAP_ANONYMOUS, MAP_FIXED, MAP_PRIVATE, PROT_EXEC, PROT_READ, PROT_WRITE } from '../kernel/linux-abi.js';
import { ET_DYN, PF_R, PF_W, PF_X, type ElfImage, type ProgramHeader } from '../elf/model.js';
import type { AddressSpace } from '../memory/address-space.js';
import { ELF_ET_DYN_BASE, pageDown, pageUp } from '../memory/layout.js';

export interface LoadedImage {
  /** e_entry plus the load bias. */
  readonly entry: number;
  /** Guest VA of the program headers (AT_PHDR). */
  readonly phdrVa: number;
  /** What was added to every p_vaddr (0 for ET_EXEC). */
  readonly loadBias: number;
  /** Page after the highest segment end: where brk starts. */
  readonly brkStart: number;
  /** Lowest and highest mapped addresses. */
  readonly start: number;
  readonly end: number;
  /** The PT_TLS template, relocated. */
  readonly tls: { readonly vaddr: number; readonly filesz: number; readonly memsz: number; readonly align: number } | undefined;
}

export class LoadError extends Error {
  override readonly name = 'LoadError';
  constructor(
    readonly errno: number,
    message: string,
  ) {
    super(message);
  }
}

function protOf(flags: number): number {
  return (flags & PF_R ? PROT_READ : 0) | (flags & PF_W ? PROT_WRITE : 0) | (flags & PF_X ? PROT_EXEC : 0);
}

/**
 * Map `elf` (whose file bytes are `bytes`) into `as`. An ET_DYN image's
 * lowest page goes to `base` (default ELF_ET_DYN_BASE); ET_EXEC loads where
 * it says.
 */
export function loadElf(as: AddressSpace, elf: ElfImage, bytes: Uint8Array, opts: { base?: number; name?: string } = {}): LoadedImage {
  const bias = elf.header.type === ET_DYN ? (opts.base || ELF_ET_DYN_BASE) - pageDown(elf.loadStart) : 0;
  // Exact end of the previous segment: a page two segments share keeps the earlier one's bytes.
  let prevEnd = 0;
  let prevPageEnd = 0;
  let prevProt = 0;
  for (const p of elf.loads) {
    const pageStart = pageDown(p.vaddr + bias);
    const pageEnd = pageUp(p.vaddr + bias + p.memsz);
    const prot = protOf(p.flags);
    const mapFrom = Math.max(pageStart, prevPageEnd);
    if (mapFrom > pageStart) {
      // The first page is the previous segment's last: it gets both segments' permissions.
      checked(as.mprotect(pageStart, PAGE, prevProt | prot), pageStart);
    }
    if (pageEnd > mapFrom) {
      // Named after the file, as /proc/self/maps shows a file mapping.
      checked(as.mmapAnonymous(mapFrom, pageEnd - mapFrom, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, opts.name), mapFrom);
    }
    copySegment(as, p, bias, bytes, Math.max(pageStart, prevEnd));
    prevEnd = p.vaddr + bias + p.memsz;
    prevPageEnd = pageEnd;
    prevProt = prot;
  }
  return {
    entry: elf.header.entry + bias,
    phdrVa: phdrAddress(elf, bias),
    loadBias: bias,
    brkStart: pageUp(elf.loadEnd + bias),
    start: pageDown(elf.loadStart + bias),
    end: pageUp(elf.loadEnd + bias),
    tls: elf.tls && { ...elf.tls, vaddr: elf.tls.vaddr + bias },
  };
}

const PAGE = 4096;

function checked(r: number, va: number): void {
  if (r < 0) throw new LoadError(-r, `cannot map ELF segment at 0x${va.toString(16)} (errno ${-r})`);
}

/** Copy the segment's file bytes from `from` (at most its page start) up to p_vaddr + p_filesz. */
function copySegment(as: AddressSpace, p: ProgramHeader, bias: number, bytes: Uint8Array, from: number): void {
  const va = p.vaddr + bias;
  const fileEnd = p.offset + p.filesz;
  const fileStart = p.offset - (va - from);
  // A segment with no file bytes is anonymous zero memory, as binfmt_elf maps it.
  if (p.filesz === 0 || fileEnd <= fileStart || fileStart < 0) return;
  as.poke(from, bytes.subarray(fileStart, fileEnd));
}

/** AT_PHDR: PT_PHDR if present, else the PT_LOAD holding e_phoff, else where the first segment would put it. */
function phdrAddress(elf: ElfImage, bias: number): number {
  if (elf.phdrVaddr !== undefined) return elf.phdrVaddr + bias;
  const { phoff, phnum, phentsize } = elf.header;
  const holder = elf.loads.find((p) => p.offset <= phoff && phoff + phnum * phentsize <= p.offset + p.filesz);
  const first = elf.loads[0]!;
  const seg = holder ?? first;
  return seg.vaddr - seg.offset + phoff + bias;
}
