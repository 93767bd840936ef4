/**
 * The shape of one entry in the A64 instruction table.
 *
 * An entry says how an instruction is encoded (pattern), which encodings of
 * that pattern are reserved (guard), how it prints in GNU syntax (disasm),
 * and which CPU feature it belongs to (feature, tied to AT_HWCAP). Its
 * semantics live in the interpreter adapter, bound to the entry by name.
 */
import type { Fields } from './pattern.js';

export interface InsnDef {
  /** Unique name, e.g. 'ADD_imm'; the interpreter binds semantics by it. */
  readonly name: string;
  readonly pattern: string;
  /** Constraints the pattern cannot state; false means "not this entry". */
  readonly guard?: (f: Fields) => boolean;
  /** GNU-syntax text, as aarch64-linux-gnu-objdump -d prints it. */
  readonly disasm?: (f: Fields, pc: bigint) => string;
  /** HWCAP feature name the instruction needs ('fp', 'asimd', 'atomics', 'crc32', ...). */
  readonly feature?: string;
}
