/**
 * ELF symbol tables (SHT_SYMTAB, else SHT_DYNSYM): names, values and sizes
 * of functions and objects, for the instruction trace's filter and its
 * annotations. A file without section headers or with a malformed table
 * simply has no symbols.
 */

export interface ElfSymbol {
  readonly name: string;
  /** st_value, before any load bias. */
  readonly value: number;
  readonly size: number;
  /** STT_FUNC (2), STT_OBJECT (1), ... */
  readonly type: number;
}

const SHT_SYMTAB = 2;
const SHT_DYNSYM = 11;
const SYM_SIZE = 24;
const SHDR_SIZE = 64;

export function readSymbols(bytes: Uint8Array): ElfSymbol[] {
  if (bytes.length < 64) return [];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shoff = Number(dv.getBigUint64(0x28, true));
  const shentsize = dv.getUint16(0x3a, true);
  const shnum = dv.getUint16(0x3c, true);
  if (shoff === 0 || shentsize !== SHDR_SIZE || shoff + shnum * SHDR_SIZE > bytes.length) return [];
  const sections = Array.from({ length: shnum }, (_, i) => {
    const at = shoff + i * SHDR_SIZE;
    return {
      type: dv.getUint32(at + 4, true),
      offset: Number(dv.getBigUint64(at + 0x18, true)),
      size: Number(dv.getBigUint64(at + 0x20, true)),
      link: dv.getUint32(at + 0x28, true),
    };
  });
  const table = sections.find((s) => s.type === SHT_SYMTAB) ?? sections.find((s) => s.type === SHT_DYNSYM);
  const strtab = table ? sections[table.link] : undefined;
  if (!table || !strtab || table.offset + table.size > bytes.length || strtab.offset + strtab.size > bytes.length) return [];
  const dec = new TextDecoder();
  const out: ElfSymbol[] = [];
  for (let at = table.offset; at + SYM_SIZE <= table.offset + table.size; at += SYM_SIZE) {
    const nameOff = dv.getUint32(at, true);
    const type = bytes[at + 4]! & 0xf;
    const value = Number(dv.getBigUint64(at + 8, true));
    const size = Number(dv.getBigUint64(at + 16, true));
    if (nameOff === 0 || nameOff >= strtab.size) continue;
    const start = strtab.offset + nameOff;
    let end = start;
    while (end < strtab.offset + strtab.size && bytes[end] !== 0) end++;
    out.push({ name: dec.decode(bytes.subarray(start, end)), value, size, type });
  }
  return out;
}
