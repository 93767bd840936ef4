/**
 * Host shared memory on Node.js, through the native addon's shm.cc: guest RAM
 * as host memory the addon owns (so a range of it can be replaced by a shared
 * mapping), memfds, and the host's SysV segments.
 */
import type { HostShm, HostShmLimits, HostShmStat, HostShmUsage } from '../../ports/host.js';
import type { HostSharedRef } from '../../ports/memory.js';
import type { InterpHostRam } from '../interp/memory.js';
import { native, posix } from './posix.js';

interface NativeShm {
  ramReserve(size: number): ArrayBuffer;
  ramDiscard(ram: ArrayBuffer): void;
  mapFd(ram: ArrayBuffer, offset: number, size: number, fd: number, fileOffset: number, shared: boolean): void;
  shmAttach(ram: ArrayBuffer, offset: number, size: number, shmid: number, readonly: boolean): void;
  unmapAt(ram: ArrayBuffer, offset: number, size: number, sysv: boolean): void;
  memfdCreate(size: number): number;
  shmGet(key: number, size: number, flags: number): number;
  shmStat(id: number): number[];
  shmSet(id: number, uid: number, gid: number, mode: number): void;
  shmRmid(id: number): void;
  shmInfo(which: number): bigint[];
  shmStatIndex(index: number, any: boolean): number;
}

const addon = (): NativeShm => posix() as unknown as NativeShm;

/** Guest RAM for the interpreter, in host memory shared objects can be mapped over. */
export class NodeHostRam implements InterpHostRam {
  reserve(size: number): ArrayBuffer {
    return native('mmap', () => addon().ramReserve(size));
  }
  discard(ram: ArrayBuffer): void {
    native('madvise', () => addon().ramDiscard(ram));
  }
  map(ram: ArrayBuffer, offset: number, size: number, obj: HostSharedRef): void {
    if (obj.kind === 'fd') native('mmap', () => addon().mapFd(ram, offset, size, obj.fd, obj.offset, obj.shared));
    else native('shmat', () => addon().shmAttach(ram, offset, size, obj.shmid, obj.readonly));
  }
  unmap(ram: ArrayBuffer, offset: number, size: number, sysv: boolean): void {
    native('munmap', () => addon().unmapAt(ram, offset, size, sysv));
  }
}

export class NodeHostShm implements HostShm {
  memfd(size: number): number {
    return native('memfd_create', () => addon().memfdCreate(size));
  }
  shmget(key: number, size: number, flags: number): number {
    return native('shmget', () => addon().shmGet(key, size, flags));
  }
  shmStat(id: number): HostShmStat {
    const [key, uid, gid, cuid, cgid, mode, segsz, atime, dtime, ctime, cpid, lpid, nattch, seq] = native('shmctl', () => addon().shmStat(id));
    return { key: key!, uid: uid!, gid: gid!, cuid: cuid!, cgid: cgid!, mode: mode!, segsz: segsz!, atime: atime!, dtime: dtime!, ctime: ctime!, cpid: cpid!, lpid: lpid!, nattch: nattch!, seq: seq! };
  }
  shmSet(id: number, uid: number, gid: number, mode: number): void {
    native('shmctl', () => addon().shmSet(id, uid, gid, mode));
  }
  shmRmid(id: number): void {
    native('shmctl', () => addon().shmRmid(id));
  }
  shmLimits(): HostShmLimits {
    const [maxIndex, shmmax, shmmin, shmmni, shmseg, shmall] = native('shmctl', () => addon().shmInfo(0));
    return { maxIndex: Number(maxIndex!), shmmax: shmmax!, shmmin: shmmin!, shmmni: shmmni!, shmseg: shmseg!, shmall: shmall! };
  }
  shmUsage(): HostShmUsage {
    const [maxIndex, usedIds, tot, rss, swp, swapAttempts, swapSuccesses] = native('shmctl', () => addon().shmInfo(1));
    return { maxIndex: Number(maxIndex!), usedIds: Number(usedIds!), tot: tot!, rss: rss!, swp: swp!, swapAttempts: swapAttempts!, swapSuccesses: swapSuccesses! };
  }
  shmIdAt(index: number, any: boolean): number {
    return native('shmctl', () => addon().shmStatIndex(index, any));
  }
}
