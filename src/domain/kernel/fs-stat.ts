/**
 * stat family (fs/stat.c): fstat, newfstatat and statx, producing the arm64
 * struct stat (asm-generic layout) and struct statx from the host's stat.
 */

import type { HostStat } from '../../ports/host.js';
import { Errno } from './errno.js';
import { emptyPathTarget } from './fs-path.js';
import { fileOf, kstatFromHost, readPath, statOpenFile, withTarget } from './fs-util.js';
import { synthStat } from './synthfs.js';
import {
  AT_EMPTY_PATH,
  AT_NO_AUTOMOUNT,
  AT_STATX_SYNC_TYPE,
  AT_SYMLINK_NOFOLLOW,
  STATX__RESERVED,
  encodeStat,
  encodeStatx,
} from './linux-abi.js';
import { SyscallError, type SyscallArgs, type SyscallImpl } from './syscall-args.js';
import type { Task } from './task.js';

/**
 * The stat an *at(2) call names (vfs_statx): AT_EMPTY_PATH with "" means
 * dirfd itself (the cwd for AT_FDCWD); AT_SYMLINK_NOFOLLOW stats a final symlink.
 */
function statAt(task: Task, dirfd: number, pathPtr: number, flags: number): HostStat {
  const path = readPath(task, pathPtr, (flags & AT_EMPTY_PATH) !== 0);
  if (path === '') {
    const e = emptyPathTarget(task, dirfd);
    return e.file ? statOpenFile(task, e.file) : task.host.fs.statat(e.dirFd, e.name, true);
  }
  const follow = (flags & AT_SYMLINK_NOFOLLOW) === 0;
  return withTarget(task, dirfd, path, { follow }, (t) => {
    if (t.kind === 'synth') return synthStat(task, t.node, t.path);
    if (t.st === null) throw new SyscallError(Errno.ENOENT);
    return t.st;
  });
}

/** fstat(2) */
function sysFstat(task: Task, a: SyscallArgs): number {
  const st = statOpenFile(task, fileOf(task, a.fd(0)));
  task.mem.write(a.ptr(1), encodeStat(kstatFromHost(st)));
  return 0;
}

/** newfstatat(2) */
function sysNewfstatat(task: Task, a: SyscallArgs): number {
  const flags = a.int(3);
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT)) return -Errno.EINVAL;
  const st = statAt(task, a.fd(0), a.ptr(1), flags);
  task.mem.write(a.ptr(2), encodeStat(kstatFromHost(st)));
  return 0;
}

/** statx(2): always fills the basic stats and btime, whatever the mask asks for (allowed by statx(2)). */
function sysStatx(task: Task, a: SyscallArgs): number {
  const flags = a.int(2);
  const mask = a.uint(3);
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE)) return -Errno.EINVAL;
  if ((flags & AT_STATX_SYNC_TYPE) === AT_STATX_SYNC_TYPE) return -Errno.EINVAL;
  if (mask & STATX__RESERVED) return -Errno.EINVAL;
  const st = statAt(task, a.fd(0), a.ptr(1), flags);
  task.mem.write(a.ptr(4), encodeStatx(kstatFromHost(st)));
  return 0;
}

export const fsStatSyscalls: Readonly<Record<string, SyscallImpl>> = {
  fstat: { handler: sysFstat, support: 'full', args: ['fd', 'ptr'] },
  newfstatat: { handler: sysNewfstatat, support: 'full', args: ['dirfd', 'str', 'ptr', 'hex'] },
  statx: {
    handler: sysStatx,
    support: 'partial',
    args: ['dirfd', 'str', 'hex', 'hex', 'ptr'],
    note: 'stx_attributes and stx_mnt_id are 0',
  },
};
