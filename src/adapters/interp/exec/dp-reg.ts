/** Interpreter semantics for the dp-reg family of the A64 table, bound by entry name. */
import type { ExecTable } from './types.js';

export const dp_regExec: ExecTable = {};
