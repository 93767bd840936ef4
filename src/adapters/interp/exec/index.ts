/** All instruction semantics, by A64 table entry name. */
import { branch_sysExec } from './branch-sys.js';
import { cryptoExec } from './crypto.js';
import { flagmExec } from './flagm.js';
import { simdIntExec } from './simd-int.js';
import { dp_immExec } from './dp-imm.js';
import { dp_regExec } from './dp-reg.js';
import { fpExec } from './fp.js';
import { ldstExec } from './ldst.js';
import { simdExec } from './simd.js';
import { fp16Exec } from './fp16.js';
import type { ExecTable } from './types.js';

export const EXEC_TABLE: ExecTable = {
  ...branch_sysExec,
  ...dp_immExec,
  ...dp_regExec,
  ...ldstExec,
  ...fpExec,
  ...simdExec,
  ...cryptoExec,
  ...flagmExec,
  ...simdIntExec,
  ...fp16Exec,
};
