/**
 * Read/write family (fs/read_write.c, fs/file.c, fs/fcntl.c, fs/ioctl.c):
 * read, write, readv, writev, pread64, pwrite64, lseek, close, dup, dup3,
 * fcntl and the terminal ioctls. Offsets of seekable files live in the
 * open file description; streams use the host fd's own position.
 */

import { HostError, HostPoll } from '../../ports/host.js';
import { Errno } from './errno.js';
import type { OpenFile } from './fd-table.js';
import { OPEN_ONLY_FLAGS } from './fd-table.js';
import { fileOf, statOpenFile } from './fs-util.js';
import {
  FD_CLOEXEC,
  FIOCLEX,
  FIONBIO,
  FIONCLEX,
  FIONREAD,
  F_DUPFD,
  F_DUPFD_CLOEXEC,
  F_GETFD,
  F_GETFL,
  F_GETLK,
  F_SETFD,
  F_SETFL,
  F_SETLK,
  F_SETLKW,
  MAX_RW_COUNT,
  O_APPEND,
  O_CLOEXEC,
  O_NONBLOCK,
  SEEK_CUR,
  SEEK_DATA,
  SEEK_END,
  SEEK_HOLE,
  SEEK_SET,
  SETFL_MASK,
  SIGPIPE,
  SIZEOF_IOVEC,
  StructReader,
  StructWriter,
  UIO_MAXIOV,
} from './linux-abi.js';
import { raiseSignal } from './process.js';
import { SyscallError, type SyscallArgs, type SyscallImpl, type SyscallResult } from './syscall-args.js';
import type { Task } from './task.js';
import { TTY_IOCTLS, ttyIoctl } from './tty.js';

/** Largest single host read or write elfuse issues; larger requests loop (files) or return short (streams). */
const CHUNK = 1 << 20;

function readableFile(task: Task, fd: number): OpenFile {
  const file = fileOf(task, fd);
  if (!file.readable) throw new SyscallError(Errno.EBADF);
  if (file.kind === 'dir') throw new SyscallError(Errno.EISDIR);
  return file;
}

function writableFile(task: Task, fd: number): OpenFile {
  const file = fileOf(task, fd);
  if (!file.writable) throw new SyscallError(Errno.EBADF);
  return file;
}

/**
 * Reads up to `count` bytes at `pos` (null: the stream's own position).
 * Seekable files are read synchronously until count or EOF; streams return
 * what one host read gives, without blocking the JavaScript thread.
 */
function hostRead(task: Task, file: OpenFile, count: number, pos: bigint | null): Uint8Array | Promise<Uint8Array> {
  const fs = task.host.fs;
  if (!file.positional && file.kind !== 'file') {
    const buf = new Uint8Array(Math.min(count, CHUNK));
    if (file.flags & O_NONBLOCK && !streamReadable(task, file)) throw new SyscallError(Errno.EAGAIN);
    return readStream(task, file, buf);
  }
  const buf = new Uint8Array(Math.min(count, MAX_RW_COUNT));
  let done = 0;
  while (done < buf.length) {
    const want = Math.min(buf.length - done, CHUNK);
    const at = pos === null ? null : pos + BigInt(done);
    const n = fs.read(file.hostFd, buf.subarray(done, done + want), at);
    if (n === 0) break;
    done += n;
    if (!file.positional) break; // a short read from a stream is its answer
  }
  return buf.subarray(0, done);
}

/**
 * One read of a stream on a host thread: a terminal's VMIN/VTIME are then
 * applied by the host kernel, as the guest set them. A host fd that is
 * non-blocking (its description is shared with another process) says EAGAIN
 * where the guest asked for a blocking read: wait until it is readable.
 */
async function readStream(task: Task, file: OpenFile, buf: Uint8Array): Promise<Uint8Array> {
  for (;;) {
    try {
      const n = await task.host.fs.readAsync(file.hostFd, buf, null);
      return buf.subarray(0, n);
    } catch (err) {
      if (!(err instanceof HostError && err.code === 'EAGAIN') || file.flags & O_NONBLOCK) throw err;
      await waitReadable(task, file);
    }
  }
}

async function waitReadable(task: Task, file: OpenFile): Promise<void> {
  try {
    await task.host.terminal.poll([{ fd: file.hostFd, events: HostPoll.READ }], null);
  } catch (err) {
    if (!(err instanceof HostError && err.code === 'ENOSYS')) throw err;
    await task.host.clock.sleep(10_000_000n); // no readiness from the host: retry shortly
  }
}

/** Whether a read of a host stream would not block; true when the host cannot tell. */
function streamReadable(task: Task, file: OpenFile): boolean {
  try {
    const [bits = 0] = task.host.terminal.pollNow([{ fd: file.hostFd, events: HostPoll.READ }]);
    return bits !== 0;
  } catch (err) {
    if (err instanceof HostError && err.code === 'ENOSYS') return true;
    throw err;
  }
}

/** Bytes waiting in a host stream; 0 when the host cannot tell. */
function hostInputPending(task: Task, file: OpenFile): number {
  try {
    return task.host.terminal.inputPending(file.hostFd);
  } catch (err) {
    if (err instanceof HostError && err.code === 'ENOSYS') return 0;
    throw err;
  }
}

function hostWrite(task: Task, file: OpenFile, data: Uint8Array, pos: bigint | null): number {
  try {
    return task.host.fs.write(file.hostFd, data, pos);
  } catch (err) {
    // Node ignores SIGPIPE, so the host says EPIPE; Linux also raises SIGPIPE (fs/pipe.c pipe_write).
    if (err instanceof HostError && err.code === 'EPIPE') raiseSignal(task, SIGPIPE);
    throw err;
  }
}

/** Copies what was read into the guest buffer and advances the offset when it is ours. */
function finishRead(task: Task, file: OpenFile, buf: number, data: Uint8Array, advance: boolean): number {
  task.mem.write(buf, data);
  if (advance && file.positional) file.offset += BigInt(data.length);
  return data.length;
}

function readAt(task: Task, file: OpenFile, buf: number, count: number, pos: bigint | null, advance: boolean) {
  const data = hostRead(task, file, count, pos);
  if (data instanceof Promise) return data.then((d) => finishRead(task, file, buf, d, advance));
  return finishRead(task, file, buf, data, advance);
}

/** Writes at our offset (or appends), advancing it. */
function writeAdvancing(task: Task, file: OpenFile, data: Uint8Array): number {
  if (!file.positional) return hostWrite(task, file, data, null);
  if (file.flags & O_APPEND) {
    // The host fd was opened O_APPEND too, so it appends atomically; learn the new end afterwards.
    const n = hostWrite(task, file, data, null);
    file.offset = task.host.fs.fstat(file.hostFd).size;
    return n;
  }
  const n = hostWrite(task, file, data, file.offset);
  file.offset += BigInt(n);
  return n;
}

/** read(2) */
function sysRead(task: Task, a: SyscallArgs) {
  const file = readableFile(task, a.fd(0));
  const count = Math.min(a.size(2), MAX_RW_COUNT);
  if (count === 0) return 0;
  return readAt(task, file, a.ptr(1), count, file.positional ? file.offset : null, true);
}

/** write(2) */
function sysWrite(task: Task, a: SyscallArgs): number {
  const file = writableFile(task, a.fd(0));
  const count = Math.min(a.size(2), MAX_RW_COUNT);
  if (count === 0) return 0;
  return writeAdvancing(task, file, task.mem.read(a.ptr(1), count));
}

function checkedOffset(a: SyscallArgs, i: number): bigint {
  const off = a.i64(i);
  if (off < 0n) throw new SyscallError(Errno.EINVAL);
  return off;
}

function seekableFile(file: OpenFile): OpenFile {
  if (!file.seekable) throw new SyscallError(Errno.ESPIPE);
  return file;
}

/** pread64(2) */
function sysPread64(task: Task, a: SyscallArgs) {
  const file = readableFile(task, a.fd(0));
  const off = checkedOffset(a, 3);
  seekableFile(file);
  const count = Math.min(a.size(2), MAX_RW_COUNT);
  if (count === 0) return 0;
  return readAt(task, file, a.ptr(1), count, off, false);
}

/** pwrite64(2). Linux appends when the file is O_APPEND, whatever the offset (BUGS in pwrite(2)). */
function sysPwrite64(task: Task, a: SyscallArgs): number {
  const file = writableFile(task, a.fd(0));
  const off = checkedOffset(a, 3);
  seekableFile(file);
  const count = Math.min(a.size(2), MAX_RW_COUNT);
  if (count === 0) return 0;
  const data = task.mem.read(a.ptr(1), count);
  return hostWrite(task, file, data, file.flags & O_APPEND ? null : off);
}

interface Iovec {
  base: number;
  len: number;
}

/** The iovec array (EINVAL past UIO_MAXIOV or when the total overflows ssize_t). */
function readIovecs(task: Task, ptr: number, count: number): Iovec[] {
  if (count < 0 || count > UIO_MAXIOV) throw new SyscallError(Errno.EINVAL);
  if (count === 0) return [];
  const r = new StructReader(task.mem.read(ptr, count * SIZEOF_IOVEC));
  const iovs: Iovec[] = [];
  let total = 0n;
  for (let i = 0; i < count; i++) {
    const len = r.u64(i * SIZEOF_IOVEC + 8);
    total += len;
    if (len > 0x7fff_ffff_ffff_ffffn || total > 0x7fff_ffff_ffff_ffffn) throw new SyscallError(Errno.EINVAL);
    iovs.push({ base: Number(r.u64(i * SIZEOF_IOVEC)), len: Number(len > BigInt(MAX_RW_COUNT) ? MAX_RW_COUNT : len) });
  }
  return iovs;
}

/** Spreads `data` over the iovecs in order. */
function scatter(task: Task, iovs: Iovec[], data: Uint8Array): number {
  let done = 0;
  for (const iov of iovs) {
    if (done >= data.length) break;
    const part = data.subarray(done, done + iov.len);
    task.mem.write(iov.base, part);
    done += part.length;
  }
  return done;
}

function iovTotal(iovs: Iovec[]): number {
  return Math.min(
    iovs.reduce((sum, iov) => sum + iov.len, 0),
    MAX_RW_COUNT,
  );
}

/** readv(2) */
function sysReadv(task: Task, a: SyscallArgs) {
  const file = readableFile(task, a.fd(0));
  const iovs = readIovecs(task, a.ptr(1), a.int(2));
  const total = iovTotal(iovs);
  if (total === 0) return 0;
  const finish = (data: Uint8Array): number => {
    const n = scatter(task, iovs, data);
    if (file.positional) file.offset += BigInt(n);
    return n;
  };
  const data = hostRead(task, file, total, file.positional ? file.offset : null);
  return data instanceof Promise ? data.then(finish) : finish(data);
}

/** writev(2): gathered into one host write so the data stays contiguous, as on a pipe. */
function sysWritev(task: Task, a: SyscallArgs): number {
  const file = writableFile(task, a.fd(0));
  const iovs = readIovecs(task, a.ptr(1), a.int(2));
  const total = iovTotal(iovs);
  if (total === 0) return 0;
  const data = new Uint8Array(total);
  let at = 0;
  for (const iov of iovs) {
    const len = Math.min(iov.len, total - at);
    if (len === 0) break;
    data.set(task.mem.read(iov.base, len), at);
    at += len;
  }
  return writeAdvancing(task, file, data);
}

/** lseek(2). Directories accept SEEK_SET/SEEK_CUR of getdents64 cookies. */
function sysLseek(task: Task, a: SyscallArgs): bigint {
  const file = seekableFile(fileOf(task, a.fd(0)));
  const off = a.i64(1);
  const whence = a.uint(2);
  const size = (): bigint => statOpenFile(task, file).size;
  let target: bigint;
  switch (whence) {
    case SEEK_SET:
      target = off;
      break;
    case SEEK_CUR:
      target = file.offset + off;
      break;
    case SEEK_END:
      if (file.kind === 'dir') throw new SyscallError(Errno.EINVAL);
      target = size() + off;
      break;
    case SEEK_DATA:
      // Without hole information the whole file is data (fs/read_write.c generic_file_llseek_size).
      if (off < 0n || off >= size()) throw new SyscallError(Errno.ENXIO);
      target = off;
      break;
    case SEEK_HOLE:
      if (off < 0n || off >= size()) throw new SyscallError(Errno.ENXIO);
      target = size();
      break;
    default:
      throw new SyscallError(Errno.EINVAL);
  }
  if (target < 0n) throw new SyscallError(Errno.EINVAL);
  if (file.kind === 'dir' && target !== file.offset && target === 0n) file.dirEntries = null;
  file.offset = target;
  return target;
}

/** close(2) */
function sysClose(task: Task, a: SyscallArgs): number {
  return task.fds.close(a.fd(0)) ? 0 : -Errno.EBADF;
}

/** Installs `file` at the lowest free fd >= minFd (EMFILE when none). */
function installLowest(task: Task, file: OpenFile, minFd: number, cloexec: boolean): number {
  const fd = task.fds.lowestFree(minFd, task.fdLimit);
  if (fd < 0) return -Errno.EMFILE;
  task.fds.installAt(fd, file, cloexec);
  return fd;
}

/** dup(2): the copy never has FD_CLOEXEC. */
function sysDup(task: Task, a: SyscallArgs): number {
  return installLowest(task, fileOf(task, a.fd(0)), 0, false);
}

/** dup3(2) */
function sysDup3(task: Task, a: SyscallArgs): number {
  const oldfd = a.fd(0);
  const newfd = a.fd(1);
  const flags = a.int(2);
  if (flags & ~O_CLOEXEC) return -Errno.EINVAL;
  if (oldfd === newfd) return -Errno.EINVAL;
  const file = fileOf(task, oldfd);
  if (newfd < 0 || newfd >= task.fdLimit) return -Errno.EBADF;
  task.fds.installAt(newfd, file, (flags & O_CLOEXEC) !== 0);
  return newfd;
}

/** fcntl(2): descriptor flags, status flags, F_DUPFD*, and advisory locks accepted but not enforced. */
function sysFcntl(task: Task, a: SyscallArgs): number {
  const fd = a.fd(0);
  const file = fileOf(task, fd);
  const cmd = a.int(1);
  switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC: {
      const min = a.int(2);
      if (min < 0 || min >= task.fdLimit) return -Errno.EINVAL;
      return installLowest(task, file, min, cmd === F_DUPFD_CLOEXEC);
    }
    case F_GETFD:
      return task.fds.isCloexec(fd) ? FD_CLOEXEC : 0;
    case F_SETFD:
      task.fds.setCloexec(fd, (a.int(2) & FD_CLOEXEC) !== 0);
      return 0;
    case F_GETFL:
      return file.flags & ~OPEN_ONLY_FLAGS;
    case F_SETFL:
      // Recorded only: the host fd keeps its mode (Node cannot fcntl), so O_NONBLOCK is advisory here.
      file.flags = (file.flags & ~SETFL_MASK) | (a.int(2) & SETFL_MASK);
      return 0;
    case F_GETLK: {
      // struct flock starts with short l_type: report the region unlocked (F_UNLCK = 2).
      task.mem.write(a.ptr(2), new StructWriter(2).u16(0, 2).bytes);
      return 0;
    }
    case F_SETLK:
    case F_SETLKW:
      return 0;
    default:
      return -Errno.EINVAL;
  }
}

/** ioctl(2): the terminal requests (tty.ts), FIONREAD, FIOCLEX/FIONCLEX, FIONBIO; anything else is ENOTTY. */
function sysIoctl(task: Task, a: SyscallArgs): number {
  const fd = a.fd(0);
  const file = fileOf(task, fd);
  const req = a.uint(1);
  const arg = a.ptr(2);
  if (TTY_IOCTLS.has(req)) return ttyIoctl(task, fd, req, arg);
  switch (req) {
    case FIONREAD:
      return fionread(task, file, arg);
    case FIOCLEX:
    case FIONCLEX:
      task.fds.setCloexec(fd, req === FIOCLEX);
      return 0;
    case FIONBIO: {
      const on = new StructReader(task.mem.read(arg, 4)).i32(0) !== 0;
      file.flags = on ? file.flags | O_NONBLOCK : file.flags & ~O_NONBLOCK;
      return 0;
    }
    default:
      return -Errno.ENOTTY;
  }
}

/** FIONREAD: bytes left before EOF for files; for streams the host's count (0 when the host cannot tell). */
function fionread(task: Task, file: OpenFile, arg: number): number {
  if (file.kind === 'dir') return -Errno.ENOTTY;
  let avail = 0n;
  if (file.kind === 'file' && file.positional) {
    const left = statOpenFile(task, file).size - file.offset;
    avail = left > 0n ? left : 0n;
  } else if (file.kind === 'tty' || file.kind === 'fifo' || file.kind === 'socket') {
    avail = BigInt(hostInputPending(task, file));
  }
  const clamped = avail > 0x7fff_ffffn ? 0x7fff_ffff : Number(avail);
  task.mem.write(arg, new StructWriter(4).i32(0, clamped).bytes);
  return 0;
}

type Handler = (task: Task, a: SyscallArgs) => SyscallResult | Promise<SyscallResult>;
const full = (handler: Handler, args: SyscallImpl['args']): SyscallImpl => ({ handler, support: 'full', args });

export const fsIoSyscalls: Readonly<Record<string, SyscallImpl>> = {
  read: full(sysRead, ['fd', 'ptr', 'size']),
  write: full(sysWrite, ['fd', 'ptr', 'size']),
  readv: full(sysReadv, ['fd', 'ptr', 'int']),
  writev: full(sysWritev, ['fd', 'ptr', 'int']),
  pread64: full(sysPread64, ['fd', 'ptr', 'size', 'int']),
  pwrite64: full(sysPwrite64, ['fd', 'ptr', 'size', 'int']),
  lseek: full(sysLseek, ['fd', 'int', 'int']),
  close: full(sysClose, ['fd']),
  dup: full(sysDup, ['fd']),
  dup3: full(sysDup3, ['fd', 'fd', 'hex']),
  fcntl: {
    handler: sysFcntl,
    support: 'partial',
    args: ['fd', 'int', 'hex'],
    note: 'locks always succeed; F_SETFL O_NONBLOCK is recorded, not applied to the host fd',
  },
  ioctl: {
    handler: sysIoctl,
    support: 'partial',
    args: ['fd', 'hex', 'ptr'],
    note: 'terminal requests reach the host terminal through its termios addon (ENOTTY without it)',
  },
};
