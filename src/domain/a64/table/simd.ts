/** A64 table: simd family. Entries are tried in order; put specific encodings first. */
import type { InsnDef } from '../insn.js';

export const simdDefs: InsnDef[] = [];
