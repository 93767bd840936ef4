/**
 * Lock syscalls (fs/locks.c): flock(2) and the fcntl(2) lock commands
 * F_GETLK/F_SETLK/F_SETLKW and F_OFD_GETLK/F_OFD_SETLK/F_OFD_SETLKW. Locks
 * on host files are the host kernel's, so they hold between guest
 * processes (each its own host process: a POSIX lock's owner, and the pid
 * F_GETLK reports, is the guest's pid) and against host programs; flock
 * and OFD locks belong to the host description a fork child shares. The
 * host is only ever asked not to wait: a blocking request (F_SETLKW,
 * flock without LOCK_NB) tries again on a timer, so the JavaScript thread
 * stays free and a signal interrupts the wait (ERESTARTSYS: EINTR, or a
 * restart under SA_RESTART). Made-up /proc and /dev nodes, and OFD locks
 * on a host without them, use elfuse's own table (file-locks.ts). This
 * module reads and writes struct flock and applies Linux's argument checks.
 */

import { HostError } from '../../ports/host.js';
import { Errno } from './errno.js';
import type { OpenFile } from './fd-table.js';
import { FileLocks, OFFSET_MAX, inodeKey, type LockOwner, type RecordLock, type RecordLockType } from './file-locks.js';
import { filePosition, fileOf, statOpenFile } from './fs-util.js';
import {
  FlockOffset,
  F_GETLK,
  F_OFD_GETLK,
  F_OFD_SETLK,
  F_OFD_SETLKW,
  F_RDLCK,
  F_SETLKW,
  F_UNLCK,
  F_WRLCK,
  LOCK_EX,
  LOCK_NB,
  LOCK_SH,
  LOCK_UN,
  SEEK_CUR,
  SEEK_END,
  SEEK_SET,
  SIZEOF_FLOCK,
  StructReader,
  StructWriter,
} from './linux-abi.js';
import type { HostRecordLock } from '../../ports/host.js';
import { ERESTARTSYS, waitInterruptible } from './signal-deliver.js';
import { SyscallError, type SyscallArgs, type SyscallImpl } from './syscall-args.js';
import type { Task } from './task.js';

/** How often a blocked lock request looks again. */
const RETRY_NS = 10_000_000n;

function lockKeyOf(task: Task, file: OpenFile): string {
  if (file.lockKey === null) {
    const st = statOpenFile(task, file);
    file.lockKey = inodeKey(st.dev, st.ino);
  }
  return file.lockKey;
}

/**
 * A blocking request that conflicts waits until `take` succeeds, trying
 * again every RETRY_NS; a signal that becomes deliverable meanwhile ends
 * the wait with ERESTARTSYS (fs/locks.c: EINTR, or a restart under SA_RESTART).
 */
async function waitUntil(task: Task, take: () => boolean): Promise<number> {
  while (!take()) {
    if ((await waitInterruptible(task, task.host.clock.sleep(RETRY_NS).then(() => true))) === null) return -ERESTARTSYS;
  }
  return 0;
}

/** Whether the host lock call said "held by someone else" (EAGAIN, EWOULDBLOCK, or EACCES from F_SETLK). */
function conflicted(err: unknown): boolean {
  return err instanceof HostError && (err.code === 'EAGAIN' || err.code === 'EWOULDBLOCK' || err.code === 'EACCES');
}

/** Runs a host lock request that never waits: true when taken, false on a conflict. */
function hostTry(take: () => void): boolean {
  try {
    take();
    return true;
  } catch (err) {
    if (conflicted(err)) return false;
    throw err;
  }
}

/** Whether the file's locks are the host's (a made-up node has no host file). */
const hostLocked = (file: OpenFile): boolean => file.hostFd >= 0 && file.synth === null;

/** flock(2) */
function sysFlock(task: Task, a: SyscallArgs): number | Promise<number> {
  const file = fileOf(task, a.fd(0));
  if (file.kind === 'path') return -Errno.EBADF;
  const op = a.int(1);
  const base = op & ~LOCK_NB;
  if (base !== LOCK_SH && base !== LOCK_EX && base !== LOCK_UN) return -Errno.EINVAL;
  const type = base === LOCK_SH ? 'shared' : 'exclusive';
  if (hostLocked(file)) {
    const fs = task.host.fs;
    if (base === LOCK_UN) {
      fs.flock(file.hostFd, 'unlock');
      return 0;
    }
    const take = (): boolean => hostTry(() => fs.flock(file.hostFd, type));
    if (take()) return 0;
    if (op & LOCK_NB) return -Errno.EAGAIN; // EWOULDBLOCK
    return waitUntil(task, take);
  }
  const locks: FileLocks = task.locks;
  const key = lockKeyOf(task, file);
  if (base === LOCK_UN) {
    locks.unflock(key, file);
    return 0;
  }
  if (locks.flock(key, file, type)) return 0;
  if (op & LOCK_NB) return -Errno.EAGAIN; // EWOULDBLOCK
  return waitUntil(task, () => locks.flock(key, file, type));
}

interface FlockRequest {
  readonly raw: Uint8Array;
  readonly type: number;
  readonly start: bigint;
  readonly end: bigint;
}

/** struct flock → an absolute inclusive range (flock_to_posix_lock): EINVAL for a bad whence or a negative start. */
function readFlock(task: Task, file: OpenFile, ptr: number, ofd: boolean): FlockRequest {
  const raw = task.mem.read(ptr, SIZEOF_FLOCK);
  const r = new StructReader(raw);
  const type = (r.u16(FlockOffset.l_type) << 16) >> 16;
  const whence = (r.u16(FlockOffset.l_whence) << 16) >> 16;
  const lStart = r.i64(FlockOffset.l_start);
  const lLen = r.i64(FlockOffset.l_len);
  if (ofd && r.i32(FlockOffset.l_pid) !== 0) throw new SyscallError(Errno.EINVAL);
  let base: bigint;
  if (whence === SEEK_SET) base = 0n;
  else if (whence === SEEK_CUR) base = filePosition(task, file);
  else if (whence === SEEK_END) base = statOpenFile(task, file).size;
  else throw new SyscallError(Errno.EINVAL);
  let start = base + lStart;
  let end: bigint;
  if (lLen > 0n) {
    end = start + lLen - 1n;
    if (end > OFFSET_MAX) throw new SyscallError(Errno.EOVERFLOW);
  } else if (lLen === 0n) {
    end = OFFSET_MAX;
  } else {
    end = start - 1n;
    start += lLen;
  }
  if (start < 0n || start > OFFSET_MAX) throw new SyscallError(Errno.EINVAL);
  return { raw, type, start, end };
}

function recordType(type: number): RecordLockType | null {
  return type === F_RDLCK ? 'read' : type === F_WRLCK ? 'write' : null;
}

/** Writes the conflicting lock back the way posix_lock_to_flock does (l_pid -1 for an OFD lock). */
function reportConflict(task: Task, ptr: number, req: FlockRequest, lock: RecordLock | null): void {
  writeFlock(
    task,
    ptr,
    req,
    lock && { type: lock.type, start: lock.start, len: lock.end === OFFSET_MAX ? 0n : lock.end - lock.start + 1n, pid: lock.flavour === 'ofd' ? -1 : task.pid },
  );
}

/** The conflict the host reported, written back as F_GETLK does (the host's pid is the guest's: guest pids are host pids). */
function reportHostConflict(task: Task, ptr: number, req: FlockRequest, lock: HostRecordLock | null): void {
  writeFlock(task, ptr, req, lock);
}

/** F_GETLK's answer: the request with l_type F_UNLCK when nothing conflicts (fcntl_getlk), else the conflicting lock. */
function writeFlock(task: Task, ptr: number, req: FlockRequest, lock: HostRecordLock | null): void {
  const w = new StructWriter(SIZEOF_FLOCK);
  w.bytes.set(req.raw);
  if (!lock) {
    w.u16(FlockOffset.l_type, F_UNLCK);
  } else {
    w.u16(FlockOffset.l_type, lock.type === 'read' ? F_RDLCK : F_WRLCK);
    w.u16(FlockOffset.l_whence, SEEK_SET);
    w.i64(FlockOffset.l_start, lock.start);
    w.i64(FlockOffset.l_len, lock.len);
    w.i32(FlockOffset.l_pid, lock.pid);
  }
  task.mem.write(ptr, w.bytes);
}

/** The fcntl lock commands on a host file: the host's POSIX or OFD locks. Null when the host has no OFD locks. */
function hostRecordLock(task: Task, file: OpenFile, cmd: number, ptr: number, req: FlockRequest, ofd: boolean): number | Promise<number> | null {
  const fs = task.host.fs;
  const len = req.end === OFFSET_MAX ? 0n : req.end - req.start + 1n;
  const type = recordType(req.type);
  try {
    if (cmd === F_GETLK || cmd === F_OFD_GETLK) {
      if (type === null) return -Errno.EINVAL;
      reportHostConflict(task, ptr, req, fs.recordLock(file.hostFd, 'get', ofd, type, req.start, len));
      return 0;
    }
    if (type === null && req.type !== F_UNLCK) return -Errno.EINVAL;
    if (type === 'read' && !file.readable) return -Errno.EBADF;
    if (type === 'write' && !file.writable) return -Errno.EBADF;
    const take = (): boolean => hostTry(() => fs.recordLock(file.hostFd, 'set', ofd, type ?? 'unlock', req.start, len));
    if (!ofd) task.files.posixLocked = true;
    if (take()) return 0;
    if (cmd !== F_SETLKW && cmd !== F_OFD_SETLKW) return -Errno.EAGAIN;
    return waitUntil(task, take);
  } catch (err) {
    if (ofd && err instanceof HostError && err.code === 'EINVAL') return null; // no OFD locks on this host
    throw err;
  }
}

/** The fcntl(2) lock commands; `cmd` is one of F_GETLK..F_SETLKW or F_OFD_*. */
export function fcntlLock(task: Task, file: OpenFile, cmd: number, ptr: number): number | Promise<number> {
  const ofd = cmd === F_OFD_GETLK || cmd === F_OFD_SETLK || cmd === F_OFD_SETLKW;
  const req = readFlock(task, file, ptr, ofd);
  if (hostLocked(file)) {
    const done = hostRecordLock(task, file, cmd, ptr, req, ofd);
    if (done !== null) return done;
  }
  const owner: LockOwner = ofd ? file : task;
  const key = lockKeyOf(task, file);
  const locks = task.locks;
  if (cmd === F_GETLK || cmd === F_OFD_GETLK) {
    const type = recordType(req.type);
    if (type === null) return -Errno.EINVAL;
    reportConflict(task, ptr, req, locks.conflicting(key, owner, type, req.start, req.end));
    return 0;
  }
  const type = recordType(req.type);
  if (type === null && req.type !== F_UNLCK) return -Errno.EINVAL;
  if (type === 'read' && !file.readable) return -Errno.EBADF;
  if (type === 'write' && !file.writable) return -Errno.EBADF;
  const flavour = ofd ? 'ofd' : 'posix';
  const set = (): boolean => locks.setRecord(key, owner, flavour, type, req.start, req.end) === null;
  if (set()) return 0;
  if (cmd !== F_SETLKW && cmd !== F_OFD_SETLKW) return -Errno.EAGAIN;
  return waitUntil(task, set);
}

export const fsLockSyscalls: Readonly<Record<string, SyscallImpl>> = {
  flock: {
    handler: sysFlock,
    support: 'partial',
    args: ['fd', 'hex'],
    note: "the host's locks; made-up /proc and /dev nodes use elfuse's own table",
  },
};
