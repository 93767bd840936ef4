import type { ExecTable } from "./types.js";
export const simdFpExec: ExecTable = {};
