/** A64 table: ldst family. Entries are tried in order; put specific encodings first. */
import type { InsnDef } from '../insn.js';

export const ldstDefs: InsnDef[] = [];
