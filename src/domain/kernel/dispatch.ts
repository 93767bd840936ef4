/**
 * Syscall dispatch: looks the number up in the syscall table, runs the
 * handler with typed arguments and turns every failure into a negative
 * Linux errno in this one place (GuestFault → EFAULT, GuestTooLong →
 * ENAMETOOLONG, HostError → its Linux errno, SyscallError → its errno,
 * guest RAM exhaustion → ENOMEM).
 * Under --verbose it prints one line per call in strace's format (decoded
 * flags, C-escaped strings cut at 32 bytes, the result at column 40, errors
 * with their message) and reports syscalls elfuse does not implement.
 * After each call of a process with O_ASYNC descriptions it looks at their
 * readiness (fasync.ts), so the call's own I/O signals before it returns.
 */

import { HostError } from '../../ports/host.js';
import { GuestFault, GuestTooLong } from '../memory/fault.js';
import { OutOfMemoryError } from '../memory/frames.js';
import { Errno, errnoMessage, errnoName, linuxErrnoFromHostCode } from './errno.js';
import { fasyncAfterSyscall } from './fasync.js';
import { AT_FDCWD, O_ACCMODE, O_RDONLY, O_RDWR, O_WRONLY } from './linux-abi.js';
import { SyscallArgs, SyscallError, type ArgFormat, type SyscallResult } from './syscall-args.js';
import { syscallEntry, type SyscallEntry } from './syscall-table.js';
import type { Task } from './task.js';

/**
 * Runs syscall `nr` with the raw X0..X5 values. Returns the value for X0: a
 * result, or a negative errno (the caller masks it to 64 bits).
 */
export function dispatchSyscall(task: Task, nr: number, args: readonly bigint[]): bigint | Promise<bigint> {
  const entry = syscallEntry(nr);
  if (!entry?.handler) {
    if (task.verbose) task.log(`elfuse: unimplemented syscall ${nr}${entry ? ` (${entry.name})` : ''}`);
    return BigInt(-Errno.ENOSYS);
  }
  const a = new SyscallArgs(args);
  let result: SyscallResult | Promise<SyscallResult>;
  try {
    result = entry.handler(task, a);
  } catch (err) {
    return finish(task, entry, a, -errnoOf(err));
  }
  if (result instanceof Promise) {
    return result.then(
      (value) => finish(task, entry, a, value),
      (err: unknown) => finish(task, entry, a, -errnoOf(err)),
    );
  }
  return finish(task, entry, a, result);
}

/** The Linux errno a thrown error stands for; anything unexpected is a bug and propagates. */
function errnoOf(err: unknown): number {
  if (err instanceof SyscallError) return err.errno;
  if (err instanceof GuestFault) return Errno.EFAULT;
  if (err instanceof GuestTooLong) return err.kind === 'string' ? Errno.ENAMETOOLONG : Errno.E2BIG;
  if (err instanceof HostError) return linuxErrnoFromHostCode(err.code);
  if (err instanceof OutOfMemoryError) return Errno.ENOMEM;
  throw err;
}

function finish(task: Task, entry: SyscallEntry, a: SyscallArgs, value: SyscallResult): bigint {
  const result = BigInt(value);
  // An O_ASYNC description this call made readable or writable signals before the return, as Linux's I/O does.
  fasyncAfterSyscall(task);
  if (task.verbose) {
    const call = `${entry.name}(${formatArgs(task, entry, a, result)})`;
    // A call that ends the process has no result (strace's "= ?").
    const shown = task.exit && (entry.name === 'exit' || entry.name === 'exit_group') ? '?' : formatResult(result, entry.ret === 'ptr');
    task.log(`${call.padEnd(STRACE_COLUMN)} = ${shown}`);
  }
  return result;
}

/** strace puts " = result" at column 40. */
const STRACE_COLUMN = 39;
/** strace -s default: at most 32 bytes of a string or buffer. */
const STRACE_STRSIZE = 32;

function formatResult(result: bigint, address: boolean): string {
  if (result < 0n && result >= -4095n) {
    const nr = Number(-result);
    const name = errnoName(nr);
    return name ? `-1 ${name} (${errnoMessage(nr)})` : `-1 errno ${nr}`;
  }
  // Counts, fds and ids in decimal; addresses (mmap, brk) in hex, as strace shows them.
  return address ? `0x${BigInt.asUintN(64, result).toString(16)}` : String(result);
}

function formatArgs(task: Task, entry: SyscallEntry, a: SyscallArgs, result: bigint): string {
  const formats = entry.args ?? [];
  const shown = formats.map((format, i) =>
    format === 'mode' && formats[i - 1] === 'oflags' && !(a.int(i - 1) & (O_CREAT | O_TMPFILE_BIT)) ? null : formatArg(task, format, a, i, result),
  );
  return shown.filter((x) => x !== null).join(', ');
}

/** open's mode is shown only when the flags use it, as strace does. */
const O_CREAT = 0o100;
const O_TMPFILE_BIT = 0o20000000;

const PROT_NAMES: readonly (readonly [number, string])[] = [
  [1, 'PROT_READ'],
  [2, 'PROT_WRITE'],
  [4, 'PROT_EXEC'],
  [0x10, 'PROT_BTI'],
  [0x20, 'PROT_MTE'],
  [0x01000000, 'PROT_GROWSDOWN'],
  [0x02000000, 'PROT_GROWSUP'],
];

const MMAP_FLAG_NAMES: readonly (readonly [number, string])[] = [
  [0x10, 'MAP_FIXED'],
  [0x20, 'MAP_ANONYMOUS'],
  [0x100, 'MAP_GROWSDOWN'],
  [0x800, 'MAP_DENYWRITE'],
  [0x1000, 'MAP_EXECUTABLE'],
  [0x2000, 'MAP_LOCKED'],
  [0x4000, 'MAP_NORESERVE'],
  [0x8000, 'MAP_POPULATE'],
  [0x10000, 'MAP_NONBLOCK'],
  [0x20000, 'MAP_STACK'],
  [0x40000, 'MAP_HUGETLB'],
  [0x80000, 'MAP_SYNC'],
  [0x100000, 'MAP_FIXED_NOREPLACE'],
];

/** A flag set as strace shows it: names joined by |, leftover bits in hex, or `none`. */
function formatBits(value: number, names: readonly (readonly [number, string])[], none: string): string {
  const parts: string[] = [];
  let rest = value >>> 0;
  for (const [bit, name] of names) {
    if ((rest & bit) !== bit) continue;
    parts.push(name);
    rest = (rest & ~bit) >>> 0;
  }
  if (rest) parts.push(`0x${rest.toString(16)}`);
  return parts.length ? parts.join('|') : none;
}

function formatMmapFlags(flags: number): string {
  const type = flags & 0xf;
  const kind = type === 1 ? 'MAP_SHARED' : type === 2 ? 'MAP_PRIVATE' : type === 3 ? 'MAP_SHARED_VALIDATE' : `0x${type.toString(16)}`;
  const rest = formatBits(flags & ~0xf, MMAP_FLAG_NAMES, '');
  return rest ? `${kind}|${rest}` : kind;
}

const C_ESCAPES: Readonly<Record<number, string>> = { 0x0a: '\\n', 0x09: '\\t', 0x0d: '\\r', 0x0b: '\\v', 0x0c: '\\f', 0x22: '\\"', 0x5c: '\\\\' };

/** Bytes as strace quotes them: C escapes, octal for other unprintables, cut at STRACE_STRSIZE with "...". */
function quote(bytes: Uint8Array, more: boolean): string {
  const shown = bytes.subarray(0, STRACE_STRSIZE);
  let out = '"';
  for (let i = 0; i < shown.length; i++) {
    const c = shown[i]!;
    const escape = C_ESCAPES[c];
    if (escape !== undefined) {
      out += escape;
    } else if (c >= 0x20 && c < 0x7f) {
      out += String.fromCharCode(c);
    } else {
      // Shortest octal, unless an octal digit follows (then three digits keep it unambiguous).
      const next = i + 1 < shown.length ? shown[i + 1]! : -1;
      out += '\\' + (next >= 0x30 && next <= 0x37 ? c.toString(8).padStart(3, '0') : c.toString(8));
    }
  }
  return out + '"' + (more || bytes.length > STRACE_STRSIZE ? '...' : '');
}

/** A buffer argument: its first bytes, or its address when they cannot be read. */
function formatBuffer(task: Task, ptr: number, len: bigint): string {
  if (len < 0n) return ptr === 0 ? 'NULL' : `0x${ptr.toString(16)}`;
  const n = Number(len > BigInt(STRACE_STRSIZE) ? BigInt(STRACE_STRSIZE) : len);
  try {
    return quote(task.mem.read(ptr, n), len > BigInt(n));
  } catch {
    return ptr === 0 ? 'NULL' : `0x${ptr.toString(16)}`;
  }
}

const OPEN_FLAG_NAMES: readonly (readonly [number, string])[] = [
  [0o100, 'O_CREAT'],
  [0o200, 'O_EXCL'],
  [0o400, 'O_NOCTTY'],
  [0o1000, 'O_TRUNC'],
  [0o2000, 'O_APPEND'],
  [0o4000, 'O_NONBLOCK'],
  [0o4010000, 'O_SYNC'],
  [0o10000, 'O_DSYNC'],
  [0o40000, 'O_DIRECTORY'],
  [0o100000, 'O_NOFOLLOW'],
  [0o200000, 'O_DIRECT'],
  [0o400000, 'O_LARGEFILE'],
  [0o1000000, 'O_NOATIME'],
  [0o2000000, 'O_CLOEXEC'],
  [0o10000000, 'O_PATH'],
];

function formatOpenFlags(flags: number): string {
  const acc = flags & O_ACCMODE;
  const parts = [acc === O_RDONLY ? 'O_RDONLY' : acc === O_WRONLY ? 'O_WRONLY' : acc === O_RDWR ? 'O_RDWR' : '3'];
  let rest = flags & ~O_ACCMODE;
  for (const [bit, name] of OPEN_FLAG_NAMES) {
    if ((rest & bit) !== bit) continue;
    parts.push(name);
    rest &= ~bit;
  }
  if (rest) parts.push(`0x${rest.toString(16)}`);
  return parts.join('|');
}

/** A guest string, as strace shows it; unreadable pointers show as addresses. */
function formatString(task: Task, ptr: number): string {
  if (ptr === 0) return 'NULL';
  try {
    return quote(task.mem.readCString(ptr, 4096), false);
  } catch {
    return `0x${ptr.toString(16)}`;
  }
}

function formatArg(task: Task, format: ArgFormat, a: SyscallArgs, i: number, result: bigint): string {
  switch (format) {
    case 'int':
    case 'fd':
      return String(format === 'fd' ? a.fd(i) : a.i64(i));
    case 'dirfd':
      return a.fd(i) === AT_FDCWD ? 'AT_FDCWD' : String(a.fd(i));
    case 'size':
      return String(a.u64(i));
    case 'ptr':
      return a.u64(i) === 0n ? 'NULL' : `0x${a.u64(i).toString(16)}`;
    case 'hex':
      return `0x${a.u64(i).toString(16)}`;
    case 'mode':
      return `0${a.uint(i).toString(8)}`;
    case 'oflags':
      return formatOpenFlags(a.int(i));
    case 'str':
      return formatString(task, a.ptr(i));
    case 'wbuf':
      return formatBuffer(task, a.ptr(i), a.u64(i + 1));
    case 'rbuf':
      return formatBuffer(task, a.ptr(i), result < 0n ? -1n : result);
    case 'prot':
      return formatBits(a.int(i), PROT_NAMES, 'PROT_NONE');
    case 'mmapflags':
      return formatMmapFlags(a.int(i));
  }
}
