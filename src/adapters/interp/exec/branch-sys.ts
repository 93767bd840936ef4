/** Interpreter semantics for the branch-sys family of the A64 table, bound by entry name. */
import type { ExecTable } from './types.js';

export const branch_sysExec: ExecTable = {};
