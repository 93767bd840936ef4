/**
 * The extended-attribute family (fs/xattr.c): getxattr, lgetxattr,
 * fgetxattr, listxattr, llistxattr, flistxattr, setxattr, lsetxattr,
 * fsetxattr, removexattr, lremovexattr, fremovexattr. The host ports carry
 * no extended attributes, so every file answers as one on a filesystem
 * without them: ENOTSUP (EOPNOTSUPP), after the path or descriptor has been
 * checked as Linux checks it first (ENOENT, ENOTDIR, EBADF, EFAULT). ls -l
 * and cp -a read that as "no ACLs, no capabilities", as on such a
 * filesystem.
 */
import { Errno } from './errno.js';
import { fileOf, readCStringChecked, readPath, withTarget } from './fs-util.js';
import { AT_FDCWD } from './linux-abi.js';
import { SyscallError, type SyscallArgs, type SyscallImpl } from './syscall-args.js';
import type { Task } from './task.js';

/** XATTR_NAME_MAX + 1: a longer name is ERANGE. */
const XATTR_NAME_LIMIT = 256;

/** The attribute name: readable, 1 to 255 bytes (ERANGE otherwise). */
function checkName(task: Task, ptr: number): void {
  let name: Uint8Array;
  try {
    name = readCStringChecked(task, ptr, XATTR_NAME_LIMIT);
  } catch (e) {
    if (e instanceof SyscallError && e.errno === Errno.ENAMETOOLONG) throw new SyscallError(Errno.ERANGE);
    throw e;
  }
  if (name.length === 0) throw new SyscallError(Errno.ERANGE);
}

function byPath(follow: boolean, named: boolean) {
  return (task: Task, a: SyscallArgs): number => {
    const path = readPath(task, a.ptr(0));
    if (named) checkName(task, a.ptr(1));
    return withTarget(task, AT_FDCWD, path, { follow }, (t) => {
      if (t.kind === 'host' && t.st === null) throw new SyscallError(Errno.ENOENT);
      return -Errno.EOPNOTSUPP;
    });
  };
}

function byFd(named: boolean) {
  return (task: Task, a: SyscallArgs): number => {
    fileOf(task, a.fd(0));
    if (named) checkName(task, a.ptr(1));
    return -Errno.EOPNOTSUPP;
  };
}

const note = 'no extended attributes: ENOTSUP, as a filesystem without them';
const get = ['str', 'str', 'ptr', 'int'] as const;
export const xattrSyscalls: Readonly<Record<string, SyscallImpl>> = {
  getxattr: { handler: byPath(true, true), support: 'partial', note, args: [...get] },
  lgetxattr: { handler: byPath(false, true), support: 'partial', note, args: [...get] },
  fgetxattr: { handler: byFd(true), support: 'partial', note, args: ['fd', 'str', 'ptr', 'int'] },
  setxattr: { handler: byPath(true, true), support: 'partial', note, args: ['str', 'str', 'ptr', 'int', 'hex'] },
  lsetxattr: { handler: byPath(false, true), support: 'partial', note, args: ['str', 'str', 'ptr', 'int', 'hex'] },
  fsetxattr: { handler: byFd(true), support: 'partial', note, args: ['fd', 'str', 'ptr', 'int', 'hex'] },
  listxattr: { handler: byPath(true, false), support: 'partial', note, args: ['str', 'ptr', 'int'] },
  llistxattr: { handler: byPath(false, false), support: 'partial', note, args: ['str', 'ptr', 'int'] },
  flistxattr: { handler: byFd(false), support: 'partial', note, args: ['fd', 'ptr', 'int'] },
  removexattr: { handler: byPath(true, true), support: 'partial', note, args: ['str', 'str'] },
  lremovexattr: { handler: byPath(false, true), support: 'partial', note, args: ['str', 'str'] },
  fremovexattr: { handler: byFd(true), support: 'partial', note, args: ['fd', 'str'] },
};
