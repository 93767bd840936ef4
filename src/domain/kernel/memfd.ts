/**
 * memfd_create(2) (mm/memfd.c): an anonymous file that lives in memory. It
 * is a host memfd (HostShm.memfd), so read, write, lseek, ftruncate, fstat,
 * mmap (MAP_SHARED stays shared with other processes) and fork go through
 * the host object as for any host file; /proc/self/fd names it
 * "/memfd:NAME (deleted)" as Linux does. File seals are not supported:
 * MFD_ALLOW_SEALING is accepted, and F_ADD_SEALS then fails as an unknown
 * fcntl command. Hugetlb pages (MFD_HUGETLB) are EINVAL.
 */
import { GuestTooLong } from '../memory/fault.js';
import { Errno } from './errno.js';
import { OpenFile } from './fd-table.js';
import { hostPathOf } from './fs-util.js';
import { O_LARGEFILE, O_RDWR } from './linux-abi.js';
import { SyscallError, type SyscallArgs, type SyscallImpl } from './syscall-args.js';
import type { Task } from './task.js';

const MFD_CLOEXEC = 0x1;
const MFD_ALLOW_SEALING = 0x2;
const MFD_HUGETLB = 0x4;
const MFD_NOEXEC_SEAL = 0x8;
const MFD_EXEC = 0x10;
/** MFD_NAME_MAX_LEN: NAME_MAX minus the "memfd:" prefix. */
const MFD_NAME_MAX_LEN = 255 - 6;

function sysMemfdCreate(task: Task, a: SyscallArgs): number {
  const namePtr = a.ptr(0);
  const flags = a.u64(1);
  if (flags > 0xffffffffn) return -Errno.EINVAL;
  const f = Number(flags);
  if (f & ~(MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL | MFD_EXEC | MFD_HUGETLB)) return -Errno.EINVAL;
  if ((f & MFD_EXEC) !== 0 && (f & MFD_NOEXEC_SEAL) !== 0) return -Errno.EINVAL;
  if (f & MFD_HUGETLB) {
    task.trace('elfuse: memfd_create: MFD_HUGETLB is not supported');
    return -Errno.EINVAL;
  }
  // The name: at most MFD_NAME_MAX_LEN bytes before its NUL; a longer one is EINVAL.
  let name: Uint8Array;
  try {
    name = task.mem.readCString(namePtr, MFD_NAME_MAX_LEN + 1);
  } catch (e) {
    if (e instanceof GuestTooLong) return -Errno.EINVAL;
    throw e;
  }
  const shm = task.host.shm;
  if (!shm) {
    task.trace('elfuse: memfd_create: this host has no shared memory objects');
    return -Errno.ENOSYS;
  }
  const fd = task.fds.lowestFree(0, task.fdLimit);
  if (fd < 0) return -Errno.EMFILE;
  let hostFd: number;
  try {
    hostFd = shm.memfd(0);
  } catch (e) {
    throw e instanceof SyscallError ? e : new SyscallError(Errno.ENOMEM);
  }
  const file = new OpenFile(hostFd, `/memfd:${hostPathOf(name)} (deleted)`, O_RDWR | O_LARGEFILE, 'file');
  file.unlinked = true;
  task.fds.installAt(fd, file, (f & MFD_CLOEXEC) !== 0);
  return fd;
}

export const memfdSyscalls: Readonly<Record<string, SyscallImpl>> = {
  memfd_create: {
    handler: sysMemfdCreate,
    support: 'partial',
    args: ['str', 'hex'],
    note: 'a host memfd; file seals and MFD_HUGETLB are not supported',
  },
};
