/**
 * /proc/self/limits and the OOM files (fs/proc/base.c): limits lists the
 * process's rlimits in the kernel's columns; oom_score_adj and the legacy
 * oom_adj read and write the process's OOM adjustment (lowering it below
 * the floor needs CAP_SYS_RESOURCE); oom_score is the kernel's badness
 * scaled to 0..2000, from the pages elfuse holds for the process and the
 * host's memory.
 */

import { CAP_SYS_RESOURCE, capable } from './capability.js';
import { Errno } from './errno.js';
import { RLIM_INFINITY } from './linux-abi.js';
import { SyscallError } from './syscall-args.js';
import type { Task } from './task.js';

/** lnames in fs/proc/base.c: each limit's name and unit, in resource order. */
const LIMIT_NAMES: readonly (readonly [string, string | null])[] = [
  ['Max cpu time', 'seconds'],
  ['Max file size', 'bytes'],
  ['Max data size', 'bytes'],
  ['Max stack size', 'bytes'],
  ['Max core file size', 'bytes'],
  ['Max resident set', 'bytes'],
  ['Max processes', 'processes'],
  ['Max open files', 'files'],
  ['Max locked memory', 'bytes'],
  ['Max address space', 'bytes'],
  ['Max file locks', 'locks'],
  ['Max pending signals', 'signals'],
  ['Max msgqueue size', 'bytes'],
  ['Max nice priority', null],
  ['Max realtime priority', null],
  ['Max realtime timeout', 'us'],
];

/** proc_pid_limits: "%-25s %-20s %-20s %-10s" per limit, the unit left out where there is none. */
export function limitsText(task: Task): string {
  const value = (v: bigint): string => (v === RLIM_INFINITY ? 'unlimited' : v.toString()).padEnd(20);
  let out = `${'Limit'.padEnd(25)} ${'Soft Limit'.padEnd(20)} ${'Hard Limit'.padEnd(20)} ${'Units'.padEnd(10)}\n`;
  LIMIT_NAMES.forEach(([name, unit], i) => {
    const l = task.tg.rlimits[i] ?? { cur: RLIM_INFINITY, max: RLIM_INFINITY };
    out += `${name.padEnd(25)} ${value(l.cur)} ${value(l.max)} ${unit === null ? '' : unit.padEnd(10)}\n`;
  });
  return out;
}

const OOM_SCORE_ADJ_MIN = -1000;
const OOM_SCORE_ADJ_MAX = 1000;
/** The legacy oom_adj scale: -16..15, and -17 for "never". */
const OOM_DISABLE = -17;
const OOM_ADJUST_MIN = -16;
const OOM_ADJUST_MAX = 15;
/** PROC_NUMBUF - 1: what the write handlers read of the caller's bytes. */
const PROC_NUMBUF_READ = 12;

/** kstrtoint(strstrip(text), 0): decimal, 0x hex or 0 octal, one sign; EINVAL or ERANGE otherwise. */
function kstrtoint(bytes: Uint8Array): number {
  const s = String.fromCharCode(...bytes).replace(/\0.*$/s, '').trim();
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
  if (!m) throw new SyscallError(Errno.EINVAL);
  const digits = m[2] as string;
  const magnitude = /^0[xX]/.test(digits) ? BigInt(digits) : digits.length > 1 && digits[0] === '0' ? BigInt(`0o${digits.slice(1)}`) : BigInt(digits);
  const v = m[1] === '-' ? -magnitude : magnitude;
  if (v < -(2n ** 31n) || v > 2n ** 31n - 1n) throw new SyscallError(Errno.ERANGE);
  return Number(v);
}

/**
 * __set_oom_adj: going below the floor, or through the legacy oom_adj below
 * the current value, needs CAP_SYS_RESOURCE, which (for oom_score_adj) also
 * moves the floor.
 */
function setOomAdj(task: Task, adj: number, legacy: boolean): void {
  const tg = task.tg;
  if (legacy && adj < tg.oomScoreAdj && !capable(task, CAP_SYS_RESOURCE)) throw new SyscallError(Errno.EACCES);
  if (adj < tg.oomScoreAdjMin && !capable(task, CAP_SYS_RESOURCE)) throw new SyscallError(Errno.EACCES);
  tg.oomScoreAdj = adj;
  if (!legacy && capable(task, CAP_SYS_RESOURCE)) tg.oomScoreAdjMin = adj;
}

export function oomScoreAdjText(task: Task): string {
  return `${task.tg.oomScoreAdj}\n`;
}

export function writeOomScoreAdj(task: Task, data: Uint8Array): number {
  const count = Math.min(data.length, PROC_NUMBUF_READ);
  const adj = kstrtoint(data.subarray(0, count));
  if (adj < OOM_SCORE_ADJ_MIN || adj > OOM_SCORE_ADJ_MAX) throw new SyscallError(Errno.EINVAL);
  setOomAdj(task, adj, false);
  return count;
}

export function oomAdjText(task: Task): string {
  const adj = task.tg.oomScoreAdj;
  return `${adj === OOM_SCORE_ADJ_MAX ? OOM_ADJUST_MAX : Math.trunc((adj * -OOM_DISABLE) / OOM_SCORE_ADJ_MAX)}\n`;
}

export function writeOomAdj(task: Task, data: Uint8Array): number {
  const count = Math.min(data.length, PROC_NUMBUF_READ);
  let adj = kstrtoint(data.subarray(0, count));
  if ((adj < OOM_ADJUST_MIN || adj > OOM_ADJUST_MAX) && adj !== OOM_DISABLE) throw new SyscallError(Errno.EINVAL);
  // The legacy scale maps onto oom_score_adj's, 15 meaning the maximum.
  adj = adj === OOM_ADJUST_MAX ? OOM_SCORE_ADJ_MAX : Math.trunc((adj * OOM_SCORE_ADJ_MAX) / -OOM_DISABLE);
  setOomAdj(task, adj, true);
  return count;
}

/**
 * proc_oom_score: oom_badness (resident pages plus the adjustment's share of
 * memory) scaled as (1000 + badness * 1000 / totalpages) * 2 / 3; 0 for a
 * process that may never be chosen (-1000).
 */
export function oomScoreText(task: Task, residentPages: number): string {
  const totalPages = Number(task.host.process.memory().totalBytes / 4096n);
  const adj = task.tg.oomScoreAdj;
  if (adj === OOM_SCORE_ADJ_MIN || totalPages <= 0) return '0\n';
  const badness = residentPages + adj * Math.trunc(totalPages / 1000);
  const points = Math.trunc(((1000 + Math.trunc((badness * 1000) / totalPages)) * 2) / 3);
  return `${Math.max(0, points)}\n`;
}
