/**
 * The typed failures of guest-pointer access. The syscall layer turns
 * GuestFault into -EFAULT and GuestTooLong into -ENAMETOOLONG (strings) or
 * -E2BIG (pointer arrays); neither ever escapes as a host crash.
 */

export class GuestFault extends Error {
  override readonly name = 'GuestFault';
  constructor(
    /** The first guest virtual address that could not be accessed. */
    readonly address: number,
    readonly write: boolean,
  ) {
    super(`bad guest ${write ? 'write' : 'read'} at 0x${address.toString(16)}`);
  }
}

export class GuestTooLong extends Error {
  override readonly name = 'GuestTooLong';
  constructor(
    readonly address: number,
    readonly kind: 'string' | 'array',
    readonly max: number,
  ) {
    super(`guest ${kind} at 0x${address.toString(16)} has no terminator within ${max} ${kind === 'string' ? 'bytes' : 'entries'}`);
  }
}
