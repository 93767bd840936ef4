/**
 * ConditionHolds (ARM ARM J1, shared/functions/system/ConditionHolds) on the
 * CPU's NZCV: one small closure per condition code, chosen when an
 * instruction is decoded, so executing B.cond, CSEL, CCMP or FCSEL tests
 * flags without a switch.
 */
import type { Cpu } from '../cpu.js';

export const CONDITIONS: readonly ((cpu: Cpu) => boolean)[] = [
  (c) => c.zf === 1, // EQ
  (c) => c.zf === 0, // NE
  (c) => c.cf === 1, // CS
  (c) => c.cf === 0, // CC
  (c) => c.nf === 1, // MI
  (c) => c.nf === 0, // PL
  (c) => c.vf === 1, // VS
  (c) => c.vf === 0, // VC
  (c) => c.cf === 1 && c.zf === 0, // HI
  (c) => !(c.cf === 1 && c.zf === 0), // LS
  (c) => c.nf === c.vf, // GE
  (c) => c.nf !== c.vf, // LT
  (c) => c.zf === 0 && c.nf === c.vf, // GT
  (c) => !(c.zf === 0 && c.nf === c.vf), // LE
  () => true, // AL
  () => true, // NV behaves as AL in A64
];

export function condHolds(cpu: Cpu, cond: number): boolean {
  return CONDITIONS[cond & 15]!(cpu);
}
