/** A64 table: dp-reg family. Entries are tried in order; put specific encodings first. */
import type { InsnDef } from '../insn.js';

export const dp_regDefs: InsnDef[] = [];
