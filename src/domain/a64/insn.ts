/**
 * The shape of one entry in the A64 instruction table.
 *
 * An entry says how an instruction is encoded (pattern), which encodings of
 * that pattern are reserved (guard), how it prints in GNU syntax (disasm),
 * which CPU feature it belongs to (feature, tied to AT_HWCAP), and what the
 * execution tiers must know about it without running it: whether it
 * accesses memory and through which base register. Its semantics live in
 * the interpreter adapter, bound to the entry by name.
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
  /** The data memory access, when the instruction makes one. */
  readonly memory?: MemAccess;
}

/** A data memory access: how it is addressed and whether it may write. */
export interface MemAccess {
  /**
   * The base register: Rn, which names SP when 31 (SP must then be 16-byte
   * aligned when SCTLR_EL1.SA0/SA say so), or the PC (literal loads).
   */
  readonly base: 'rn' | 'pc';
  /** The access may write memory (stores, atomics, structure stores). */
  readonly writes: boolean;
  /** A prefetch hint: no access, no fault, no SP alignment check. */
  readonly prefetch?: true;
}

/** An entry with its memory access stated. */
export function withMemory(def: InsnDef, memory: MemAccess): InsnDef {
  return { ...def, memory };
}
