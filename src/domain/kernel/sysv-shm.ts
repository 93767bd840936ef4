/**
 * SysV shared memory (ipc/shm.c): shmget, shmat, shmdt, shmctl. The guest
 * shares the host's IPC namespace, as a native process would: segments are
 * the host's own (HostShm), so keys, ids, permissions, IPC_RMID and the
 * attach counts are the host kernel's, and an attach is a host attach mapped
 * into guest-physical memory (AddressSpace.newSysv), shared with every other
 * process that attaches the segment, fork children included.
 *
 * A failure of the host (EINVAL for an id that is gone, EACCES, EEXIST,
 * ENOENT) is thrown as HostError, which dispatch turns into the same errno.
 *
 * The statistics commands (IPC_INFO, SHM_INFO, SHM_STAT, SHM_STAT_ANY)
 * report the host's table. SHM_LOCK/SHM_UNLOCK only check the segment
 * (nothing here is swapped).
 */

import { Errno } from './errno.js';
import { MAP_FIXED, MAP_SHARED, PAGE_SIZE, PROT_EXEC, PROT_READ, PROT_WRITE, StructWriter } from './linux-abi.js';
import type { SyscallArgs, SyscallImpl } from './syscall-args.js';
import type { Task } from './task.js';
import { OutOfMemoryError } from '../memory/frames.js';
import type { HostShm, HostShmStat } from '../../ports/host.js';

export const IPC_PRIVATE = 0;
export const IPC_CREAT = 0o1000;
export const IPC_EXCL = 0o2000;
export const IPC_RMID = 0;
export const IPC_SET = 1;
export const IPC_STAT = 2;
export const IPC_INFO = 3;
export const SHM_LOCK = 11;
export const SHM_UNLOCK = 12;
export const SHM_STAT = 13;
export const SHM_INFO = 14;
export const SHM_STAT_ANY = 15;
export const SHM_RDONLY = 0o10000;
export const SHM_RND = 0o20000;
export const SHM_REMAP = 0o40000;
export const SHM_EXEC = 0o100000;
/** arm64's SHMLBA for 64-bit tasks: the page size. */
export const SHMLBA = PAGE_SIZE;
/** struct shmid64_ds (asm-generic/shmbuf.h) on arm64. */
export const SHMID_DS_SIZE = 112;
/** struct shminfo64 and struct shm_info on arm64. */
export const SHMINFO64_SIZE = 72;
export const SHM_INFO_SIZE = 48;

const pageUp = (n: number): number => Math.ceil(n / PAGE_SIZE) * PAGE_SIZE;

/** The host's SysV segments, or a trace and ENOSYS where this process cannot share memory. */
function hostShm(task: Task, call: string): HostShm | null {
  if (task.host.shm && task.as.sharing) return task.host.shm;
  task.trace(`elfuse: ${call}: this backend cannot map host shared memory`);
  return null;
}

/** shmget(key, size, shmflg) */
function sysShmget(task: Task, a: SyscallArgs): number {
  const shm = hostShm(task, 'shmget');
  if (!shm) return -Errno.ENOSYS;
  const key = a.int(0);
  const size = a.size(1);
  const flags = a.int(2);
  return shm.shmget(key, size, flags & (IPC_CREAT | IPC_EXCL | 0o777));
}

/** shmat(shmid, shmaddr, shmflg): do_shmat's checks, then a MAP_SHARED mapping of the segment. */
function sysShmat(task: Task, a: SyscallArgs): number {
  const shm = hostShm(task, 'shmat');
  if (!shm) return -Errno.ENOSYS;
  const id = a.int(0);
  let addr = a.ptr(1);
  const flags = a.int(2);
  if (id < 0) return -Errno.EINVAL;
  if (addr !== 0) {
    if (addr % SHMLBA) {
      if (!(flags & SHM_RND)) return -Errno.EINVAL;
      addr -= addr % SHMLBA;
      if (addr === 0) return -Errno.EINVAL;
    }
  } else if (flags & SHM_REMAP) return -Errno.EINVAL;
  const readonly = (flags & SHM_RDONLY) !== 0;
  const prot = (readonly ? PROT_READ : PROT_READ | PROT_WRITE) | (flags & SHM_EXEC ? PROT_EXEC : 0);
  const st = shm.shmStat(id);
  const len = pageUp(st.segsz);
  // Without SHM_REMAP an attach at an address may not replace what is mapped there.
  if (addr !== 0 && !(flags & SHM_REMAP) && task.as.inRange(addr, addr + len).length > 0) return -Errno.EINVAL;
  let obj;
  try {
    obj = task.as.newSysv(id, st.segsz, st.key, readonly);
  } catch (e) {
    if (e instanceof OutOfMemoryError) return -Errno.ENOMEM;
    throw e;
  }
  const name = `/SYSV${(st.key >>> 0).toString(16).padStart(8, '0')}`;
  const va = task.as.mmap(addr, len, prot, MAP_SHARED | (addr !== 0 ? MAP_FIXED : 0), { name, obj, offset: 0, noWrite: readonly });
  if (va < 0) task.as.dropObject(obj);
  return va;
}

/** shmdt(shmaddr) */
function sysShmdt(task: Task, a: SyscallArgs): number {
  const addr = a.ptr(0);
  if (addr % PAGE_SIZE) return -Errno.EINVAL;
  return task.as.shmdt(addr);
}

/** struct shmid64_ds as the guest reads it. */
function shmidDs(st: HostShmStat): Uint8Array {
  return new StructWriter(SHMID_DS_SIZE)
    .i32(0, st.key)
    .u32(4, st.uid)
    .u32(8, st.gid)
    .u32(12, st.cuid)
    .u32(16, st.cgid)
    .u32(20, st.mode)
    .u16(24, st.seq)
    .u64(48, BigInt(st.segsz))
    .i64(56, BigInt(st.atime))
    .i64(64, BigInt(st.dtime))
    .i64(72, BigInt(st.ctime))
    .i32(80, st.cpid)
    .i32(84, st.lpid)
    .u64(88, BigInt(st.nattch)).bytes;
}

/** shmctl(shmid, cmd, buf) */
function sysShmctl(task: Task, a: SyscallArgs): number {
  const shm = hostShm(task, 'shmctl');
  if (!shm) return -Errno.ENOSYS;
  const id = a.int(0);
  const cmd = a.int(1);
  const buf = a.ptr(2);
  switch (cmd) {
    case IPC_STAT: {
      if (id < 0) return -Errno.EINVAL;
      task.mem.write(buf, shmidDs(shm.shmStat(id)));
      return 0;
    }
    case IPC_SET: {
      if (id < 0) return -Errno.EINVAL;
      const ds = task.mem.read(buf, SHMID_DS_SIZE);
      const v = new DataView(ds.buffer, ds.byteOffset, ds.byteLength);
      shm.shmSet(id, v.getUint32(4, true), v.getUint32(8, true), v.getUint32(20, true) & 0o777);
      return 0;
    }
    case IPC_RMID:
      if (id < 0) return -Errno.EINVAL;
      shm.shmRmid(id);
      return 0;
    case SHM_LOCK:
    case SHM_UNLOCK:
      // Nothing is swapped here; the segment must exist.
      if (id < 0) return -Errno.EINVAL;
      shm.shmStat(id);
      return 0;
    case IPC_INFO: {
      // struct shminfo64: shmmax, shmmin, shmmni, shmseg, shmall and four unused longs.
      const l = shm.shmLimits();
      const w = new StructWriter(SHMINFO64_SIZE);
      [l.shmmax, l.shmmin, l.shmmni, l.shmseg, l.shmall].forEach((v, i) => w.u64(8 * i, v));
      task.mem.write(buf, w.bytes);
      return l.maxIndex;
    }
    case SHM_INFO: {
      // struct shm_info: int used_ids, then shm_tot, shm_rss, shm_swp, swap_attempts, swap_successes.
      const u = shm.shmUsage();
      const w = new StructWriter(SHM_INFO_SIZE).i32(0, u.usedIds);
      [u.tot, u.rss, u.swp, u.swapAttempts, u.swapSuccesses].forEach((v, i) => w.u64(8 + 8 * i, v));
      task.mem.write(buf, w.bytes);
      return u.maxIndex;
    }
    case SHM_STAT:
    case SHM_STAT_ANY: {
      // The index-th slot of the host's table: its struct, and the id as the result.
      const shmid = shm.shmIdAt(id, cmd === SHM_STAT_ANY);
      task.mem.write(buf, shmidDs(shm.shmStat(shmid)));
      return shmid;
    }
    default:
      return -Errno.EINVAL;
  }
}

export const sysvShmSyscalls: Readonly<Record<string, SyscallImpl>> = {
  shmget: { handler: sysShmget, support: 'full', args: ['hex', 'size', 'hex'], note: 'the host IPC namespace: segments are the host kernel\'s' },
  shmat: { handler: sysShmat, support: 'full', args: ['int', 'ptr', 'hex'], ret: 'ptr' },
  shmdt: { handler: sysShmdt, support: 'full', args: ['ptr'] },
  shmctl: { handler: sysShmctl, support: 'full', args: ['int', 'int', 'ptr'], note: 'SHM_LOCK/SHM_UNLOCK lock nothing' },
};
