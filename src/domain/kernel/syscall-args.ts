/**
 * Syscall arguments (X0..X5 at the SVC) read through typed accessors, the
 * way gVisor's arch.SyscallArgument does: a handler says what C type it
 * expects and never touches raw register values.
 */

import type { Task } from './task.js';

export class SyscallArgs {
  constructor(readonly raw: readonly bigint[]) {}

  /** The full 64-bit register, unsigned. */
  u64(i: number): bigint {
    return BigInt.asUintN(64, this.raw[i] ?? 0n);
  }
  /** The register as a signed 64-bit value (off_t, long). */
  i64(i: number): bigint {
    return BigInt.asIntN(64, this.raw[i] ?? 0n);
  }
  /** C `int`: the low 32 bits, signed (the kernel ignores the upper half). */
  int(i: number): number {
    return Number(BigInt.asIntN(32, this.raw[i] ?? 0n));
  }
  /** C `unsigned int`: the low 32 bits. */
  uint(i: number): number {
    return Number(BigInt.asUintN(32, this.raw[i] ?? 0n));
  }
  /** A file descriptor (C int). */
  fd(i: number): number {
    return this.int(i);
  }
  /**
   * A user pointer as a number. Values above 2^53 lose precision but are far
   * outside the 48-bit VA space, so they still fault.
   */
  ptr(i: number): number {
    return Number(this.u64(i));
  }
  /** size_t as a number (capped at 2^53; the kernel caps I/O at MAX_RW_COUNT anyway). */
  size(i: number): number {
    const v = this.u64(i);
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
  }
}

/** What a handler returns: the value for X0, or a negative errno. */
export type SyscallResult = number | bigint;

/** The one handler shape (gVisor's SyscallFn without the control value). */
export type SyscallHandler = (task: Task, a: SyscallArgs) => SyscallResult | Promise<SyscallResult>;

/**
 * How each argument is shown by --verbose tracing: a decimal int, an fd
 * (AT_FDCWD by name), a hex value or pointer, a size, a guest C string, open
 * flags, an octal mode.
 */
/**
 * How --verbose shows an argument, as strace does: 'wbuf' is data the call
 * reads (its length is the next argument), 'rbuf' data it fills (its length
 * is the result); 'prot' and 'mmapflags' are decoded flag sets.
 */
export type ArgFormat = 'int' | 'fd' | 'dirfd' | 'hex' | 'ptr' | 'size' | 'str' | 'oflags' | 'mode' | 'wbuf' | 'rbuf' | 'prot' | 'mmapflags';

export type SupportLevel = 'full' | 'partial' | 'stub-errno';

/** A family's implementation of one syscall, keyed by its Linux name. */
export interface SyscallImpl {
  readonly handler: SyscallHandler;
  readonly support: SupportLevel;
  readonly args?: readonly ArgFormat[];
  /** 'ptr' when the result is an address (brk, mmap): traced in hex. */
  readonly ret?: 'ptr';
  readonly note?: string;
}

/** A Linux errno thrown from a helper deep inside a handler; dispatch turns it into -errno. */
export class SyscallError extends Error {
  constructor(readonly errno: number) {
    super(`errno ${errno}`);
    this.name = 'SyscallError';
  }
}
