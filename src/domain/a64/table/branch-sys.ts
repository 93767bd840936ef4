/** A64 table: branch-sys family. Entries are tried in order; put specific encodings first. */
import type { InsnDef } from '../insn.js';

export const branch_sysDefs: InsnDef[] = [];
