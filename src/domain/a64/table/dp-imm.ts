/** A64 table: dp-imm family. Entries are tried in order; put specific encodings first. */
import type { InsnDef } from '../insn.js';

export const dp_immDefs: InsnDef[] = [];
