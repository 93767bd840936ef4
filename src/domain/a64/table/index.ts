/**
 * The whole A64 instruction table, in decode order. Each family file owns
 * its entries; within a family, more specific encodings come first.
 */
import type { InsnDef } from '../insn.js';
import { branch_sysDefs } from './branch-sys.js';
import { cryptoDefs } from './crypto.js';
import { flagmDefs } from './flagm.js';
import { simdIntDefs } from './simd-int.js';
import { dp_immDefs } from './dp-imm.js';
import { dp_regDefs } from './dp-reg.js';
import { fpDefs } from './fp.js';
import { ldstDefs } from './ldst.js';
import { simdDefs } from './simd.js';
import { simdFpDefs } from './simd-fp.js';
import { fp16Defs } from './fp16.js';

export const A64_TABLE: readonly InsnDef[] = [
  ...branch_sysDefs,
  ...dp_immDefs,
  ...dp_regDefs,
  ...ldstDefs,
  ...fpDefs,
  ...simdDefs,
  ...simdFpDefs,
  ...fp16Defs,
  ...cryptoDefs,
  ...flagmDefs,
  ...simdIntDefs,
];
