/** A64 table: fp family. Entries are tried in order; put specific encodings first. */
import type { InsnDef } from '../insn.js';

export const fpDefs: InsnDef[] = [];
