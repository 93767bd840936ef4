/**
 * loadElf: map an ELF image's PT_LOAD segments into an AddressSpace, as
 * fs/binfmt_elf.c load_elf_binary() does for a fresh process. Each segment's
 * whole file pages become a private file mapping, read from the file when
 * first touched (so a huge executable costs only what the guest touches);
 * its last, partial file page is zeroed past p_filesz when the segment has
 * bss (padzero), and the pages after it are anonymous zero memory. A page
 * shared with the previous segment gets both segments' permissions and keeps
 * the earlier one's bytes; this segment's file bytes are copied into it.
 * Every mapping starts at the segment's page, so the head of the first page
 * holds the file bytes before p_vaddr (the ELF header and program headers),
 * as a file mapping does.
 */
import { Errno } from '../kernel/errno.js';
import { MAP_ANONYMOUS, MAP_FIXED, MAP_PRIVATE, PROT_EXEC, PROT_READ, PROT_WRITE } from '../kernel/linux-abi.js';
import { ET_DYN, PF_R, PF_W, PF_X, type ElfImage } from '../elf/model.js';
import { bytesSource, type ElfSource } from '../elf/source.js';
import type { AddressSpace, PageSource } from '../memory/address-space.js';
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

/** The executable the segments are mapped from. */
export interface ElfFile extends ElfSource {
  /** The file's identity (one page cache per key). */
  readonly key: string;
  /** The pages' source for the file mappings; released when the last mapping goes away. */
  pageSource(): PageSource;
}

let memoryFiles = 0;

/** An ElfFile over bytes in memory (tests, generated images). */
export function memoryElfFile(bytes: Uint8Array): ElfFile {
  const src = bytesSource(bytes);
  const key = `memory-elf:${++memoryFiles}`;
  return {
    ...src,
    key,
    pageSource: () => ({
      read: (buf, offset) => {
        const part = src.read(offset, buf.length);
        buf.set(part);
        return part.length;
      },
      write: () => {},
      size: () => bytes.length,
      release: () => {},
    }),
  };
}

function protOf(flags: number): number {
  return (flags & PF_R ? PROT_READ : 0) | (flags & PF_W ? PROT_WRITE : 0) | (flags & PF_X ? PROT_EXEC : 0);
}

/**
 * Map `elf` (read from `file`) into `as`. An ET_DYN image's lowest page
 * goes to `base` (default ELF_ET_DYN_BASE); ET_EXEC loads where it says.
 */
export function loadElf(as: AddressSpace, elf: ElfImage, file: ElfFile | Uint8Array, opts: { base?: number; name?: string } = {}): LoadedImage {
  const src = file instanceof Uint8Array ? memoryElfFile(file) : file;
  const bias = elf.header.type === ET_DYN ? (opts.base || ELF_ET_DYN_BASE) - pageDown(elf.loadStart) : 0;
  const obj = as.fileObject(`exec:${src.key}`, () => src.pageSource());
  try {
    // Exact end of the previous segment: a page two segments share keeps the earlier one's bytes.
    let prevEnd = 0;
    let prevPageEnd = 0;
    let prevProt = 0;
    for (const p of elf.loads) {
      const va = p.vaddr + bias;
      const pageStart = pageDown(va);
      const pageEnd = pageUp(va + p.memsz);
      const fileEnd = va + p.filesz;
      const prot = protOf(p.flags);
      const mapFrom = Math.max(pageStart, prevPageEnd);
      if (mapFrom > pageStart) {
        // The first page is the previous segment's last: it gets both segments' permissions.
        checked(as.mprotect(pageStart, PAGE, prevProt | prot), pageStart);
        copyFile(as, src, Math.max(pageStart, prevEnd), Math.min(fileEnd, mapFrom), p.offset - va);
        // This segment's bss in that page reads as zero, whatever the previous segment left there.
        const zeroFrom = Math.max(fileEnd, prevEnd);
        const zeroTo = Math.min(va + p.memsz, mapFrom);
        if (zeroTo > zeroFrom) as.poke(zeroFrom, new Uint8Array(zeroTo - zeroFrom));
      }
      // Named after the file, as /proc/self/maps shows a file mapping.
      const name = opts.name ?? '';
      const filePagesEnd = p.filesz > 0 ? pageUp(fileEnd) : mapFrom;
      if (filePagesEnd > mapFrom) {
        const offset = p.offset - (va - mapFrom);
        checked(as.mmap(mapFrom, filePagesEnd - mapFrom, prot, MAP_PRIVATE | MAP_FIXED, { name, obj, offset }), mapFrom);
        // padzero(): bss starts inside the last file page.
        if (p.memsz > p.filesz && fileEnd < filePagesEnd) as.poke(fileEnd, new Uint8Array(filePagesEnd - fileEnd));
      }
      const anonFrom = Math.max(mapFrom, filePagesEnd);
      if (pageEnd > anonFrom) {
        checked(as.mmapAnonymous(anonFrom, pageEnd - anonFrom, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, name), anonFrom);
      }
      prevEnd = va + p.memsz;
      prevPageEnd = pageEnd;
      prevProt = prot;
    }
  } finally {
    // Nothing mapped from the file (all bss, or a failure): let it go.
    as.dropObject(obj);
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

/** Copy the file bytes behind [from, to) (file offset = va + delta) with the privileged poke, a page at most. */
function copyFile(as: AddressSpace, src: ElfSource, from: number, to: number, delta: number): void {
  if (to <= from) return;
  const bytes = src.read(from + delta, to - from);
  if (bytes.length < to - from) throw new LoadError(Errno.EIO, `the file ended under segment bytes at 0x${from.toString(16)}`);
  as.poke(from, bytes);
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
