/** Interpreter semantics for the fp family of the A64 table, bound by entry name. */
import type { ExecTable } from './types.js';

export const fpExec: ExecTable = {};
