/** Interpreter semantics for the simd family of the A64 table, bound by entry name. */
import type { ExecTable } from './types.js';

export const simdExec: ExecTable = {};
