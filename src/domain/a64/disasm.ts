/**
 * A64 disassembler: GNU syntax from the instruction table's disasm entries.
 * Encodings the table does not know print as objdump prints them: `.inst`.
 */
import { a64 } from './decoder.js';

export function hex32(word: number): string {
  return '0x' + (word >>> 0).toString(16).padStart(8, '0');
}

export function disassemble(word: number, pc: bigint = 0n): string {
  const d = a64().decode(word);
  if (!d || !d.entry.def.disasm) return `.inst\t${hex32(word)}`;
  return d.entry.def.disasm(d.fields, pc);
}
