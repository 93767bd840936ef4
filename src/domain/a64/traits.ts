/**
 * What an execution tier needs to know about a decoded instruction without
 * running it, read from its A64 table entry: whether a load or store is
 * based on SP (CheckSPAlignment applies). The block builders and the
 * translators use these, so no tier keeps its own list of instruction names.
 */
import type { InsnDef } from './insn.js';
import type { Fields } from './pattern.js';

/** A data access based on SP: the ARM ARM's CheckSPAlignment applies (prefetches skip it). */
export function checksSpAlignment(def: InsnDef, fields: Fields): boolean {
  const m = def.memory;
  return m !== undefined && m.base === 'rn' && m.prefetch !== true && fields['rn'] === 31;
}
