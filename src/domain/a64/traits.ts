/**
 * What an execution tier needs to know about a decoded instruction without
 * running it, read from its A64 table entry: whether it ends a basic block
 * and where a direct branch goes, whether a load or store is based on SP
 * (CheckSPAlignment applies), whether CPACR_EL1 traps it. The block builders
 * and the translators use these, so no tier keeps its own list of
 * instruction names.
 */
import type { InsnDef } from './insn.js';
import type { Fields } from './pattern.js';

/** A data access based on SP: the ARM ARM's CheckSPAlignment applies (prefetches skip it). */
export function checksSpAlignment(def: InsnDef, fields: Fields): boolean {
  const m = def.memory;
  return m !== undefined && m.base === 'rn' && m.prefetch !== true && fields['rn'] === 31;
}

/** Features whose instructions use the FP/SIMD registers, so CPACR_EL1.FPEN traps them (EC 0x07). */
const FP_SIMD_FEATURES: ReadonlySet<string> = new Set([
  'fp', 'asimd', 'fphp', 'asimdhp', 'aes', 'pmull', 'sha1', 'sha2', 'sha3', 'sha512', 'asimddp', 'asimdrdm', 'asimdfhm',
  'jscvt', 'fcma', 'frint',
]);

/** Whether CPACR_EL1.FPEN traps the instruction (an entry tagged with an FP/SIMD feature). */
export function trapsOnFpAccess(def: InsnDef): boolean {
  return def.feature !== undefined && FP_SIMD_FEATURES.has(def.feature);
}

/**
 * Whether a basic block ends after the instruction: it may send control
 * elsewhere or change system state (its entry has a flow). `null` stands for
 * an encoding without an entry (UNDEFINED), which always ends a block.
 */
export function endsBlock(def: InsnDef | null): boolean {
  return def === null || def.flow !== undefined;
}

/** A direct branch's target, PC + 4 * its offset field, for the instruction at `pc`; null for anything else. */
export function directTarget(def: InsnDef, fields: Fields, pc: number): number | null {
  const flow = def.flow;
  if (flow?.kind !== 'direct') return null;
  return pc + 4 * (fields[flow.offset] ?? 0);
}
