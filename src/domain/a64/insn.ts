/**
 * The shape of one entry in the A64 instruction table.
 *
 * An entry says how an instruction is encoded (pattern), which encodings of
 * that pattern are reserved (guard), how it prints in GNU syntax (disasm),
 * which CPU feature it belongs to (feature, tied to AT_HWCAP), and what the
 * execution tiers must know about it without running it: whether it
 * accesses memory and through which base register, and whether and where
 * it can send control elsewhere (flow). Its semantics live in
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
  /** How it may change the flow of control; absent for an instruction that always falls through. */
  readonly flow?: ControlFlow;
}

/**
 * What an instruction can do to the flow of control, as the tiers need it:
 * a basic block ends after any instruction with a flow, and a direct
 * branch's target is known at decode time (PC + 4 * the offset field).
 */
export type ControlFlow =
  /** B, BL, B.cond, CBZ/CBNZ, TBZ/TBNZ: to PC + 4 * offset, or on to PC + 4 when conditional. */
  | { readonly kind: 'direct'; readonly offset: 'imm26' | 'imm19' | 'imm14'; readonly conditional: boolean; readonly link: boolean }
  /** BR, BLR, RET: to the address in a register. */
  | { readonly kind: 'indirect'; readonly link: boolean }
  /** SVC, HVC, BRK, ERET: exception generation and return. */
  | { readonly kind: 'exception' }
  /**
   * MSR, SYS/SYSL and ISB: writes of system state. The ones that change the
   * translation regime or PSTATE leave the block by unwinding after they
   * complete; ending the block after all of them keeps that rule simple at
   * no measurable cost (they are rare in hot code; DC ZVA is the exception).
   */
  | { readonly kind: 'system' };

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
