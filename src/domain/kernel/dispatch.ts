/**
 * Syscall dispatch: looks the number up in the syscall table, runs the
 * handler with typed arguments and turns every failure into a negative
 * Linux errno in this one place (GuestFault → EFAULT, GuestTooLong →
 * ENAMETOOLONG, HostError → its Linux errno, SyscallError → its errno,
 * guest RAM exhaustion → ENOMEM).
 * Under --verbose it prints one strace-like line per call and reports
 * syscalls elfuse does not implement.
 */

import { HostError } from '../../ports/host.js';
import { GuestFault, GuestTooLong } from '../memory/fault.js';
import { OutOfMemoryError } from '../memory/frames.js';
import { Errno, errnoName, linuxErrnoFromHostCode } from './errno.js';
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
  if (task.verbose) task.log(`${entry.name}(${formatArgs(task, entry, a)}) = ${formatResult(result, entry.ret === 'ptr')}`);
  return result;
}

function formatResult(result: bigint, address: boolean): string {
  if (result < 0n && result >= -4095n) {
    const nr = Number(-result);
    return `-1 ${errnoName(nr) ?? `errno ${nr}`}`;
  }
  // Counts, fds and ids in decimal; addresses (mmap, brk) in hex, as strace shows them.
  return address ? `0x${BigInt.asUintN(64, result).toString(16)}` : String(result);
}

function formatArgs(task: Task, entry: SyscallEntry, a: SyscallArgs): string {
  return (entry.args ?? []).map((format, i) => formatArg(task, format, a, i)).join(', ');
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

/** A guest string for the trace, cut at 64 bytes like strace -s; unreadable pointers show as addresses. */
function formatString(task: Task, ptr: number): string {
  if (ptr === 0) return 'NULL';
  try {
    const bytes = task.mem.readCString(ptr, 4096);
    const text = new TextDecoder().decode(bytes.subarray(0, 64));
    return JSON.stringify(text) + (bytes.length > 64 ? '...' : '');
  } catch {
    return `0x${ptr.toString(16)}`;
  }
}

function formatArg(task: Task, format: ArgFormat, a: SyscallArgs, i: number): string {
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
  }
}
