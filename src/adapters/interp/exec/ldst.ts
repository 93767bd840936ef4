/** Interpreter semantics for the ldst family of the A64 table, bound by entry name. */
import type { ExecTable } from './types.js';

export const ldstExec: ExecTable = {};
