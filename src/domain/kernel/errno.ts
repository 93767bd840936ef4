/**
 * Linux errno values (include/uapi/asm-generic/errno-base.h and errno.h,
 * which arm64 uses unchanged) and the ONE table translating a host error
 * code string ('ENOENT', macOS-only codes such as 'ENOTSUP' or 'EFTYPE') to
 * the Linux number. Every other module names errors through `Errno`.
 */

export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  EIO: 5,
  ENXIO: 6,
  E2BIG: 7,
  ENOEXEC: 8,
  EBADF: 9,
  ECHILD: 10,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  ENOTBLK: 15,
  EBUSY: 16,
  EEXIST: 17,
  EXDEV: 18,
  ENODEV: 19,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  ENFILE: 23,
  EMFILE: 24,
  ENOTTY: 25,
  ETXTBSY: 26,
  EFBIG: 27,
  ENOSPC: 28,
  ESPIPE: 29,
  EROFS: 30,
  EMLINK: 31,
  EPIPE: 32,
  EDOM: 33,
  ERANGE: 34,
  EDEADLK: 35,
  ENAMETOOLONG: 36,
  ENOLCK: 37,
  ENOSYS: 38,
  ENOTEMPTY: 39,
  ELOOP: 40,
  ENOMSG: 42,
  EIDRM: 43,
  ECHRNG: 44,
  EL2NSYNC: 45,
  EL3HLT: 46,
  EL3RST: 47,
  ELNRNG: 48,
  EUNATCH: 49,
  ENOCSI: 50,
  EL2HLT: 51,
  EBADE: 52,
  EBADR: 53,
  EXFULL: 54,
  ENOANO: 55,
  EBADRQC: 56,
  EBADSLT: 57,
  EBFONT: 59,
  ENOSTR: 60,
  ENODATA: 61,
  ETIME: 62,
  ENOSR: 63,
  ENONET: 64,
  ENOPKG: 65,
  EREMOTE: 66,
  ENOLINK: 67,
  EADV: 68,
  ESRMNT: 69,
  ECOMM: 70,
  EPROTO: 71,
  EMULTIHOP: 72,
  EDOTDOT: 73,
  EBADMSG: 74,
  EOVERFLOW: 75,
  ENOTUNIQ: 76,
  EBADFD: 77,
  EREMCHG: 78,
  ELIBACC: 79,
  ELIBBAD: 80,
  ELIBSCN: 81,
  ELIBMAX: 82,
  ELIBEXEC: 83,
  EILSEQ: 84,
  ERESTART: 85,
  ESTRPIPE: 86,
  EUSERS: 87,
  ENOTSOCK: 88,
  EDESTADDRREQ: 89,
  EMSGSIZE: 90,
  EPROTOTYPE: 91,
  ENOPROTOOPT: 92,
  EPROTONOSUPPORT: 93,
  ESOCKTNOSUPPORT: 94,
  EOPNOTSUPP: 95,
  EPFNOSUPPORT: 96,
  EAFNOSUPPORT: 97,
  EADDRINUSE: 98,
  EADDRNOTAVAIL: 99,
  ENETDOWN: 100,
  ENETUNREACH: 101,
  ENETRESET: 102,
  ECONNABORTED: 103,
  ECONNRESET: 104,
  ENOBUFS: 105,
  EISCONN: 106,
  ENOTCONN: 107,
  ESHUTDOWN: 108,
  ETOOMANYREFS: 109,
  ETIMEDOUT: 110,
  ECONNREFUSED: 111,
  EHOSTDOWN: 112,
  EHOSTUNREACH: 113,
  EALREADY: 114,
  EINPROGRESS: 115,
  ESTALE: 116,
  EUCLEAN: 117,
  ENOTNAM: 118,
  ENAVAIL: 119,
  EISNAM: 120,
  EREMOTEIO: 121,
  EDQUOT: 122,
  ENOMEDIUM: 123,
  EMEDIUMTYPE: 124,
  ECANCELED: 125,
  ENOKEY: 126,
  EKEYEXPIRED: 127,
  EKEYREVOKED: 128,
  EKEYREJECTED: 129,
  EOWNERDEAD: 130,
  ENOTRECOVERABLE: 131,
  ERFKILL: 132,
  EHWPOISON: 133,
} as const;

export type ErrnoName = keyof typeof Errno;

/** Aliases Linux defines as the same number. */
export const EWOULDBLOCK = Errno.EAGAIN;
export const EDEADLOCK = Errno.EDEADLK;
export const ENOTSUP = Errno.EOPNOTSUPP;

/** Kernel-internal: a syscall interrupted before doing anything, restarted transparently. */
export const ERESTARTSYS = 512;

const nameByNumber = new Map<number, ErrnoName>(
  (Object.entries(Errno) as [ErrnoName, number][]).map(([name, nr]) => [nr, name]),
);

/** 'ENOENT' for 2; undefined for a number Linux does not define. */
export function errnoName(nr: number): ErrnoName | undefined {
  return nameByNumber.get(nr);
}

/**
 * Host codes whose name is not a Linux errno name (macOS/BSD-only codes and
 * libuv's own codes). Codes that share a name with Linux map by name.
 */
const HOST_ONLY_CODES: Readonly<Record<string, number>> = {
  ENOTSUP: Errno.EOPNOTSUPP, // macOS ENOTSUP (45) is distinct from EOPNOTSUPP (102); Linux merges them
  EFTYPE: Errno.EINVAL, // BSD: inappropriate file type or format
  ENOATTR: Errno.ENODATA, // BSD xattr-not-found; Linux reports ENODATA
  EPROCLIM: Errno.EAGAIN,
  EAUTH: Errno.EACCES,
  ENEEDAUTH: Errno.EACCES,
  EBADEXEC: Errno.ENOEXEC,
  EBADARCH: Errno.ENOEXEC,
  EBADMACHO: Errno.ENOEXEC,
  ESHLIBVERS: Errno.ENOEXEC,
  EPWROFF: Errno.EIO,
  EDEVERR: Errno.EIO,
  EBADRPC: Errno.EIO,
  ERPCMISMATCH: Errno.EIO,
  EPROGUNAVAIL: Errno.EIO,
  EPROGMISMATCH: Errno.EIO,
  EPROCUNAVAIL: Errno.EIO,
  EQFULL: Errno.ENOBUFS,
  ENOPOLICY: Errno.EPERM,
  ECHARSET: Errno.EILSEQ, // libuv: invalid Unicode character
  EOF: Errno.EIO, // libuv: unexpected end of file
};

/** Linux errno for a host error code string; EIO when the code is unknown. */
export function linuxErrnoFromHostCode(code: string): number {
  const mapped = HOST_ONLY_CODES[code];
  if (mapped !== undefined) return mapped;
  if (code === 'EWOULDBLOCK') return Errno.EAGAIN;
  if (code === 'EDEADLOCK') return Errno.EDEADLK;
  if (Object.hasOwn(Errno, code)) return Errno[code as ErrnoName];
  return Errno.EIO;
}

/** strerror(3) text (glibc wording) for the errors users commonly see. */
const MESSAGES: Readonly<Partial<Record<ErrnoName, string>>> = {
  EPERM: 'Operation not permitted',
  ENOENT: 'No such file or directory',
  ESRCH: 'No such process',
  EINTR: 'Interrupted system call',
  EIO: 'Input/output error',
  ENXIO: 'No such device or address',
  E2BIG: 'Argument list too long',
  ENOEXEC: 'Exec format error',
  EBADF: 'Bad file descriptor',
  ECHILD: 'No child processes',
  EAGAIN: 'Resource temporarily unavailable',
  ENOMEM: 'Cannot allocate memory',
  EACCES: 'Permission denied',
  EFAULT: 'Bad address',
  EBUSY: 'Device or resource busy',
  EEXIST: 'File exists',
  EXDEV: 'Invalid cross-device link',
  ENODEV: 'No such device',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  EINVAL: 'Invalid argument',
  ENFILE: 'Too many open files in system',
  EMFILE: 'Too many open files',
  ENOTTY: 'Inappropriate ioctl for device',
  ETXTBSY: 'Text file busy',
  EFBIG: 'File too large',
  ENOSPC: 'No space left on device',
  ESPIPE: 'Illegal seek',
  EROFS: 'Read-only file system',
  EMLINK: 'Too many links',
  EPIPE: 'Broken pipe',
  ERANGE: 'Numerical result out of range',
  ENAMETOOLONG: 'File name too long',
  ENOSYS: 'Function not implemented',
  ENOTEMPTY: 'Directory not empty',
  ELOOP: 'Too many levels of symbolic links',
  EOVERFLOW: 'Value too large for defined data type',
  EOPNOTSUPP: 'Operation not supported',
  ENOTSOCK: 'Socket operation on non-socket',
  ETIMEDOUT: 'Connection timed out',
  ECONNREFUSED: 'Connection refused',
};

/** strerror-style text for a Linux errno number or a host error code string. */
export function errnoMessage(err: number | string): string {
  const nr = typeof err === 'number' ? err : linuxErrnoFromHostCode(err);
  const name = errnoName(nr);
  if (!name) return `Unknown error ${nr}`;
  return MESSAGES[name] ?? name;
}
