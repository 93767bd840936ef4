/**
 * ELF64 parsing and validation: arbitrary bytes in, either a valid ElfImage
 * (little-endian, ELF64, EM_AARCH64, ET_EXEC or ET_DYN, program headers that
 * a loader can map) or an ElfError out, never anything else. The checks
 * mirror what fs/binfmt_elf.c refuses with ENOEXEC, plus the segment sanity
 * the loader relies on. Only the ELF header, the program header table and
 * the PT_INTERP string are read (through an ElfSource), never the whole file.
 */
import { PAGE_SIZE } from '../kernel/linux-abi.js';
import { ElfError } from './errors.js';
import { bytesSource, type ElfSource } from './source.js';
import {
  EM_AARCH64,
  ELF64_EHDR_SIZE,
  ELF64_PHDR_SIZE,
  ELFCLASS64,
  ELFDATA2LSB,
  ET_DYN,
  ET_EXEC,
  EV_CURRENT,
  PF_X,
  PT_DYNAMIC,
  PT_GNU_STACK,
  PT_INTERP,
  PT_LOAD,
  PT_PHDR,
  PT_TLS,
  type ElfHeader,
  type ElfImage,
  type ProgramHeader,
  type TlsTemplate,
} from './model.js';

/** The user VA space (48-bit, TTBR0 only). */
const VA_LIMIT = 2 ** 48;
/** PATH_MAX: binfmt_elf refuses a longer PT_INTERP. */
const PATH_MAX = 4096;
/** binfmt_elf's load_elf_phdrs refuses program header tables above 64 KiB. */
const MAX_PHDR_BYTES = 65536;

/** e_machine values worth naming in "wrong machine" messages. */
const MACHINE_NAMES: ReadonlyMap<number, string> = new Map([
  [2, 'SPARC'],
  [3, 'x86 (i386)'],
  [8, 'MIPS'],
  [20, 'PowerPC'],
  [21, 'PowerPC64'],
  [22, 'S/390'],
  [40, 'ARM (32-bit)'],
  [43, 'SPARC V9'],
  [50, 'IA-64'],
  [62, 'x86-64'],
  [243, 'RISC-V'],
  [258, 'LoongArch'],
]);

export function machineName(machine: number): string {
  return MACHINE_NAMES.get(machine) ?? `machine ${machine}`;
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/** A little-endian u64 as a number (exact below 2^53; larger values only get rejected). */
function u64(dv: DataView, off: number): number {
  return dv.getUint32(off + 4, true) * 2 ** 32 + dv.getUint32(off, true);
}

function parseHeader(file: ElfSource): ElfHeader {
  const bytes = file.read(0, ELF64_EHDR_SIZE);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    throw new ElfError('bad-magic', 'not an ELF file (bad magic number)');
  }
  if (bytes.length < ELF64_EHDR_SIZE) {
    throw new ElfError('truncated-header', `truncated ELF header (${bytes.length} bytes, need ${ELF64_EHDR_SIZE})`);
  }
  if (bytes[4] !== ELFCLASS64) throw new ElfError('bad-class', `wrong ELF class ${bytes[4]} (not ELF64)`);
  if (bytes[5] !== ELFDATA2LSB) throw new ElfError('bad-encoding', `wrong ELF data encoding ${bytes[5]} (not little-endian)`);
  if (bytes[6] !== EV_CURRENT) throw new ElfError('bad-version', `wrong ELF version ${bytes[6]}`);
  const machine = dv.getUint16(18, true);
  if (machine !== EM_AARCH64) {
    throw new ElfError('bad-machine', `wrong machine: ${machineName(machine)} (need AArch64, e_machine ${EM_AARCH64})`);
  }
  const type = dv.getUint16(16, true);
  if (type !== ET_EXEC && type !== ET_DYN) {
    throw new ElfError('bad-type', `not an executable (e_type ${type}, need ET_EXEC or ET_DYN)`);
  }
  return {
    type,
    machine,
    entry: u64(dv, 24),
    phoff: u64(dv, 32),
    flags: dv.getUint32(48, true),
    phentsize: dv.getUint16(54, true),
    phnum: dv.getUint16(56, true),
  };
}

function parsePhdrs(file: ElfSource, h: ElfHeader): ProgramHeader[] {
  if (h.phnum === 0) throw new ElfError('no-load', 'no program headers (no PT_LOAD segment)');
  if (h.phentsize !== ELF64_PHDR_SIZE) {
    throw new ElfError('bad-phdr-size', `bad program header size ${h.phentsize} (need ${ELF64_PHDR_SIZE})`);
  }
  const size = h.phnum * ELF64_PHDR_SIZE;
  if (size > MAX_PHDR_BYTES) throw new ElfError('bad-phdr-size', `too many program headers (${h.phnum})`);
  if (h.phoff + size > file.size) {
    throw new ElfError('truncated-phdrs', `truncated program headers (${h.phnum} at offset ${hex(h.phoff)}, file is ${file.size} bytes)`);
  }
  const table = file.read(h.phoff, size);
  if (table.length < size) throw new ElfError('truncated-phdrs', `truncated program headers (read ${table.length} of ${size} bytes at offset ${hex(h.phoff)})`);
  const dv = new DataView(table.buffer, table.byteOffset, table.byteLength);
  const phdrs: ProgramHeader[] = [];
  for (let i = 0; i < h.phnum; i++) {
    const o = i * ELF64_PHDR_SIZE;
    phdrs.push({
      type: dv.getUint32(o, true),
      flags: dv.getUint32(o + 4, true),
      offset: u64(dv, o + 8),
      vaddr: u64(dv, o + 16),
      filesz: u64(dv, o + 32),
      memsz: u64(dv, o + 40),
      align: u64(dv, o + 48),
    });
  }
  return phdrs;
}

function checkSegment(p: ProgramHeader, i: number, fileSize: number): void {
  if (p.filesz > 0 && p.offset + p.filesz > fileSize) {
    throw new ElfError('segment-outside-file', `segment ${i} lies outside the file (offset ${hex(p.offset)} + size ${hex(p.filesz)} > ${hex(fileSize)})`);
  }
  if (p.type !== PT_LOAD) return;
  if (p.filesz > p.memsz) {
    throw new ElfError('bad-segment', `bad PT_LOAD ${i}: p_filesz ${hex(p.filesz)} > p_memsz ${hex(p.memsz)}`);
  }
  if (p.vaddr + p.memsz > VA_LIMIT) {
    throw new ElfError('bad-segment', `bad PT_LOAD ${i}: ${hex(p.vaddr)} + ${hex(p.memsz)} is beyond the 48-bit address space`);
  }
  if ((p.vaddr - p.offset) % PAGE_SIZE !== 0) {
    throw new ElfError('bad-segment', `bad PT_LOAD ${i}: p_vaddr ${hex(p.vaddr)} and p_offset ${hex(p.offset)} differ modulo the page size`);
  }
}

function sortedLoads(phdrs: readonly ProgramHeader[]): ProgramHeader[] {
  const loads = phdrs.filter((p) => p.type === PT_LOAD).sort((a, b) => a.vaddr - b.vaddr);
  if (loads.length === 0) throw new ElfError('no-load', 'no PT_LOAD segment');
  for (let i = 1; i < loads.length; i++) {
    const prev = loads[i - 1]!;
    const cur = loads[i]!;
    if (cur.vaddr < prev.vaddr + prev.memsz) {
      throw new ElfError('overlapping-segments', `overlapping PT_LOAD segments at ${hex(prev.vaddr)} and ${hex(cur.vaddr)}`);
    }
  }
  return loads;
}

function parseInterp(file: ElfSource, p: ProgramHeader): string {
  // binfmt_elf: the path must be NUL-terminated and no longer than PATH_MAX.
  if (p.filesz < 2 || p.filesz > PATH_MAX) throw new ElfError('bad-interp', `bad PT_INTERP size ${p.filesz}`);
  const raw = file.read(p.offset, p.filesz);
  if (raw.length < p.filesz) throw new ElfError('segment-outside-file', `PT_INTERP lies outside the file (read ${raw.length} of ${p.filesz} bytes)`);
  if (raw[raw.length - 1] !== 0) throw new ElfError('bad-interp', 'PT_INTERP path is not NUL-terminated');
  const nul = raw.indexOf(0);
  return new TextDecoder().decode(raw.subarray(0, nul));
}

/** Parse and validate an executable given as its bytes or as an ElfSource (read only where needed). */
export function parseElf(input: Uint8Array | ElfSource): ElfImage {
  const file = input instanceof Uint8Array ? bytesSource(input) : input;
  const header = parseHeader(file);
  const phdrs = parsePhdrs(file, header);
  phdrs.forEach((p, i) => checkSegment(p, i, file.size));
  const loads = sortedLoads(phdrs);

  const first = (type: number): ProgramHeader | undefined => phdrs.find((p) => p.type === type);
  const interpHdr = first(PT_INTERP);
  const tlsHdr = first(PT_TLS);
  const stackHdr = first(PT_GNU_STACK);
  const tls: TlsTemplate | undefined = tlsHdr && {
    vaddr: tlsHdr.vaddr,
    filesz: tlsHdr.filesz,
    memsz: tlsHdr.memsz,
    align: tlsHdr.align,
  };
  const last = loads[loads.length - 1]!;
  return {
    header,
    phdrs,
    loads,
    interp: interpHdr && parseInterp(file, interpHdr),
    tls,
    phdrVaddr: first(PT_PHDR)?.vaddr,
    dynamicVaddr: first(PT_DYNAMIC)?.vaddr,
    execStack: stackHdr !== undefined && (stackHdr.flags & PF_X) !== 0,
    loadStart: loads[0]!.vaddr,
    loadEnd: last.vaddr + last.memsz,
  };
}
