/** Interpreter semantics for the dp-imm family of the A64 table, bound by entry name. */
import type { ExecTable } from './types.js';

export const dp_immExec: ExecTable = {};
