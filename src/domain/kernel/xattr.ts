/**
 * The extended-attribute family (fs/xattr.c): getxattr, lgetxattr,
 * fgetxattr, listxattr, llistxattr, flistxattr, setxattr, lsetxattr,
 * fsetxattr, removexattr, lremovexattr, fremovexattr, on the host's own
 * attributes (HostFs.getxattr...), paths walked as every path call walks
 * them (the sysroot, the guest's symlinks).
 *
 * The checks are Linux's, in 6.x's order: the flags, the name (1 to 255
 * bytes, ERANGE), the value's size (E2BIG above 64 KiB) and bytes, then
 * the path or descriptor (O_PATH: EBADF); then xattr_permission for the guest's
 * credentials (user.* only on regular files and directories, trusted.*
 * only with CAP_SYS_ADMIN) and the namespaces Linux knows (EOPNOTSUPP for
 * others), whatever the host would allow. Made-up /proc and /dev nodes and
 * elfuse's own event objects have no attributes: EOPNOTSUPP, and an empty
 * list. A host without extended attributes answers EOPNOTSUPP everywhere,
 * as a filesystem without them does.
 */
import { CAP_SYS_ADMIN, capable } from './capability.js';
import { Errno } from './errno.js';
import type { OpenFile } from './fd-table.js';
import { GuestTooLong } from '../memory/fault.js';
import { fileOf, readPath, withTarget } from './fs-util.js';
import { AT_FDCWD, S_IFDIR, S_IFMT, S_IFREG } from './linux-abi.js';
import { SyscallError, type SyscallArgs, type SyscallImpl } from './syscall-args.js';
import type { Task } from './task.js';
import { HostError, type HostPath } from '../../ports/host.js';

/** XATTR_NAME_MAX + 1: a longer name is ERANGE. */
const XATTR_NAME_LIMIT = 256;
/** XATTR_SIZE_MAX and XATTR_LIST_MAX. */
const XATTR_SIZE_MAX = 65536;
const XATTR_LIST_MAX = 65536;
const XATTR_CREATE = 1;
const XATTR_REPLACE = 2;
const NAMESPACES = ['security.', 'system.', 'trusted.', 'user.'];

/** import_xattr_name: readable, 1 to 255 bytes (ERANGE otherwise), as a byte string. */
function readName(task: Task, ptr: number): HostPath {
  let name: Uint8Array;
  try {
    name = task.mem.readCString(ptr, XATTR_NAME_LIMIT);
  } catch (e) {
    // No NUL within XATTR_NAME_MAX + 1 bytes.
    if (e instanceof GuestTooLong) throw new SyscallError(Errno.ERANGE);
    throw e;
  }
  if (name.length === 0 || name.length >= XATTR_NAME_LIMIT) throw new SyscallError(Errno.ERANGE);
  let s = '';
  for (const b of name) s += String.fromCharCode(b);
  return s;
}

/** The object an xattr call acts on: a host one as (dirFd, name) ('' for the descriptor itself), or one without attributes. */
type Target = { readonly kind: 'host'; readonly dirFd: number; readonly name: HostPath; readonly mode: number } | { readonly kind: 'none'; readonly mode: number };

/** xattr_permission for the guest's credentials, then the namespace's existence. */
function permission(task: Task, t: Target, attr: HostPath, write: boolean): void {
  const denied = write ? Errno.EPERM : Errno.ENODATA;
  if (attr.startsWith('trusted.') && !capable(task, CAP_SYS_ADMIN)) throw new SyscallError(denied);
  const type = t.mode & S_IFMT;
  if (attr.startsWith('user.') && type !== S_IFREG && type !== S_IFDIR) throw new SyscallError(denied);
  if (!NAMESPACES.some((ns) => attr.startsWith(ns))) throw new SyscallError(Errno.EOPNOTSUPP);
}

function byPath(task: Task, pathPtr: number, follow: boolean): <T>(op: (t: Target) => T) => T {
  const path = readPath(task, pathPtr);
  return (op) =>
    withTarget(task, AT_FDCWD, path, { follow }, (t) => {
      if (t.kind === 'synth') return op({ kind: 'none', mode: S_IFREG });
      if (t.st === null) throw new SyscallError(Errno.ENOENT);
      return op({ kind: 'host', dirFd: t.dirFd, name: t.name, mode: t.st.mode });
    });
}

/** The descriptor's object: an O_PATH descriptor is EBADF (fdget, not fdget_raw). */
function byFd(task: Task, fd: number): <T>(op: (t: Target) => T) => T {
  const file: OpenFile = fileOf(task, fd);
  if (file.kind === 'path') throw new SyscallError(Errno.EBADF);
  return (op) => {
    if (file.synth || file.hostFd < 0) return op({ kind: 'none', mode: file.synth ? S_IFREG : 0 });
    return op({ kind: 'host', dirFd: file.hostFd, name: '', mode: task.host.fs.fstat(file.hostFd).mode });
  };
}

/** A host call the host may lack (no extended attributes there): EOPNOTSUPP. */
function hostOp<F>(f: F | undefined): F {
  if (f === undefined) throw new SyscallError(Errno.EOPNOTSUPP);
  return f;
}

const isErange = (e: unknown): boolean => e instanceof HostError && e.code === 'ERANGE';

/** Writes what get or list returned into the guest's buffer; the size itself when the caller asked for it. */
function answer(task: Task, r: Uint8Array | number, out: number): number {
  if (typeof r === 'number') return r;
  if (r.length > 0) task.mem.write(out, r);
  return r.length;
}

function getxattr(task: Task, a: SyscallArgs, target: <T>(op: (t: Target) => T) => T): number {
  const attr = readName(task, a.ptr(1));
  const size = Math.min(a.size(3), XATTR_SIZE_MAX);
  return target((t) => {
    permission(task, t, attr, false);
    if (t.kind === 'none') return -Errno.EOPNOTSUPP;
    const fs = task.host.fs;
    try {
      return answer(task, hostOp(fs.getxattr?.bind(fs))(t.dirFd, t.name, attr, size), a.ptr(2));
    } catch (e) {
      // A value bigger than XATTR_SIZE_MAX cannot be returned at all.
      if (size >= XATTR_SIZE_MAX && isErange(e)) return -Errno.E2BIG;
      throw e;
    }
  });
}

function listxattr(task: Task, a: SyscallArgs, target: <T>(op: (t: Target) => T) => T): number {
  const size = Math.min(a.size(2), XATTR_LIST_MAX);
  return target((t) => {
    if (t.kind === 'none') return 0;
    const fs = task.host.fs;
    try {
      return answer(task, hostOp(fs.listxattr?.bind(fs))(t.dirFd, t.name, size), a.ptr(1));
    } catch (e) {
      if (size >= XATTR_LIST_MAX && isErange(e)) return -Errno.E2BIG;
      throw e;
    }
  });
}

function setxattr(task: Task, a: SyscallArgs, target: <T>(op: (t: Target) => T) => T): number {
  const flags = a.int(4);
  if (flags & ~(XATTR_CREATE | XATTR_REPLACE)) return -Errno.EINVAL;
  const attr = readName(task, a.ptr(1));
  const size = a.size(3);
  if (size > XATTR_SIZE_MAX) return -Errno.E2BIG;
  const value = size > 0 ? task.mem.read(a.ptr(2), size) : new Uint8Array(0);
  const mode = flags & XATTR_CREATE ? 'create' : flags & XATTR_REPLACE ? 'replace' : 'any';
  return target((t) => {
    permission(task, t, attr, true);
    if (t.kind === 'none') return -Errno.EOPNOTSUPP;
    const fs = task.host.fs;
    if (flags === (XATTR_CREATE | XATTR_REPLACE)) {
      // Both: the attribute may neither exist (EEXIST) nor be missing (ENODATA), as Linux's filesystems check them.
      try {
        hostOp(fs.getxattr?.bind(fs))(t.dirFd, t.name, attr, 0);
      } catch (e) {
        if (e instanceof HostError && (e.code === 'ENODATA' || e.code === 'ENOATTR')) return -Errno.ENODATA;
        throw e;
      }
      return -Errno.EEXIST;
    }
    hostOp(fs.setxattr?.bind(fs))(t.dirFd, t.name, attr, value, mode);
    return 0;
  });
}

function removexattr(task: Task, a: SyscallArgs, target: <T>(op: (t: Target) => T) => T): number {
  const attr = readName(task, a.ptr(1));
  return target((t) => {
    permission(task, t, attr, true);
    if (t.kind === 'none') return -Errno.EOPNOTSUPP;
    const fs = task.host.fs;
    hostOp(fs.removexattr?.bind(fs))(t.dirFd, t.name, attr);
    return 0;
  });
}

/** The object, found when first used: the name (and value) are read before the path or descriptor, as Linux does. */
function later(make: () => <T>(op: (t: Target) => T) => T): <T>(op: (t: Target) => T) => T {
  let target: (<T>(op: (t: Target) => T) => T) | null = null;
  return (op) => {
    target ??= make();
    return target(op);
  };
}

const path = (t: Task, a: SyscallArgs, follow: boolean) => later(() => byPath(t, a.ptr(0), follow));
const fd = (t: Task, a: SyscallArgs) => later(() => byFd(t, a.fd(0)));
const get = ['str', 'str', 'ptr', 'size'] as const;
const set = ['str', 'str', 'ptr', 'size', 'hex'] as const;
export const xattrSyscalls: Readonly<Record<string, SyscallImpl>> = {
  getxattr: { handler: (t, a) => getxattr(t, a, path(t, a, true)), support: 'full', args: [...get] },
  lgetxattr: { handler: (t, a) => getxattr(t, a, path(t, a, false)), support: 'full', args: [...get] },
  fgetxattr: { handler: (t, a) => getxattr(t, a, fd(t, a)), support: 'full', args: ['fd', 'str', 'ptr', 'size'] },
  setxattr: { handler: (t, a) => setxattr(t, a, path(t, a, true)), support: 'full', args: [...set] },
  lsetxattr: { handler: (t, a) => setxattr(t, a, path(t, a, false)), support: 'full', args: [...set] },
  fsetxattr: { handler: (t, a) => setxattr(t, a, fd(t, a)), support: 'full', args: ['fd', 'str', 'ptr', 'size', 'hex'] },
  listxattr: { handler: (t, a) => listxattr(t, a, path(t, a, true)), support: 'full', args: ['str', 'ptr', 'size'] },
  llistxattr: { handler: (t, a) => listxattr(t, a, path(t, a, false)), support: 'full', args: ['str', 'ptr', 'size'] },
  flistxattr: { handler: (t, a) => listxattr(t, a, fd(t, a)), support: 'full', args: ['fd', 'ptr', 'size'] },
  removexattr: { handler: (t, a) => removexattr(t, a, path(t, a, true)), support: 'full', args: ['str', 'str'] },
  lremovexattr: { handler: (t, a) => removexattr(t, a, path(t, a, false)), support: 'full', args: ['str', 'str'] },
  fremovexattr: { handler: (t, a) => removexattr(t, a, fd(t, a)), support: 'full', args: ['fd', 'str'] },
};
