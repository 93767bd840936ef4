/**
 * Read/write family (fs/read_write.c, fs/file.c, fs/fcntl.c, fs/ioctl.c,
 * fs/splice.c): read, write, readv, writev, pread64, pwrite64, preadv,
 * pwritev, preadv2, pwritev2, lseek, close, close_range, dup, dup3, fcntl
 * (locks in fs-lock.ts), sendfile, copy_file_range, splice and the terminal
 * ioctls. Offsets of seekable files live in the open file description;
 * streams use the host fd's own position. O_APPEND is applied here (the
 * host fd is never O_APPEND), so F_SETFL can switch it.
 */

import { HostError, HostPoll } from '../../ports/host.js';
import { Errno } from './errno.js';
import type { OpenFile } from './fd-table.js';
import { OPEN_ONLY_FLAGS } from './fd-table.js';
import { fileOf, statOpenFile } from './fs-util.js';
import {
  CLOSE_RANGE_CLOEXEC,
  CLOSE_RANGE_UNSHARE,
  F_OFD_GETLK,
  F_OFD_SETLK,
  F_OFD_SETLKW,
  RWF_APPEND,
  RWF_DSYNC,
  RWF_HIPRI,
  RWF_NOAPPEND,
  RWF_NOWAIT,
  RWF_SYNC,
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
  RLIMIT_FSIZE,
  RLIM_INFINITY,
  SIGXFSZ,
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
import { fcntlLock } from './fs-lock.js';
import { afterFileWrite, beforeFileRead } from './mm.js';
import { raiseSignal } from './process.js';
import { SyscallError, type SyscallArgs, type SyscallImpl, type SyscallResult } from './syscall-args.js';
import { synthRead, synthWrite } from './synthfs.js';
import type { Task } from './task.js';
import { TTY_IOCTLS, ttyIoctl } from './tty.js';

/** Largest single host read or write elfuse issues; larger requests loop (files) or return short (streams). */
const CHUNK = 1 << 20;
/** A pipe's default capacity (16 pages): the most one splice moves here. */
const PIPE_BUF_CAPACITY = 65536;
const SPLICE_F_NONBLOCK_BIT = 0x2;

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
  if (file.synth) return synthRead(task, file.synth, Math.min(count, MAX_RW_COUNT), pos ?? file.offset);
  const fs = task.host.fs;
  if (!file.positional && file.kind !== 'file') {
    const buf = new Uint8Array(Math.min(count, CHUNK));
    // A non-blocking host fd answers for itself (EAGAIN, or 0 at a FIFO without writers); a
    // blocking one (a tty or an inherited pipe) is asked for readiness first, so it never waits.
    if (file.flags & O_NONBLOCK && !file.hostNonBlock && !streamReadable(task, file)) throw new SyscallError(Errno.EAGAIN);
    return readStream(task, file, buf);
  }
  const buf = new Uint8Array(Math.min(count, MAX_RW_COUNT));
  beforeFileRead(task, file, pos, buf.length);
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
  if (file.synth) return synthWrite(task, file.synth, data);
  try {
    const n = task.host.fs.write(file.hostFd, data, pos, (file.flags & O_NONBLOCK) !== 0 && !file.positional);
    afterFileWrite(task, file, pos, data.subarray(0, n));
    return n;
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

/**
 * RLIMIT_FSIZE on a regular file (generic_write_check_limits in mm/filemap.c):
 * a write starting at or past the limit raises SIGXFSZ and fails with EFBIG;
 * one crossing it is cut short at the limit.
 */
function fsizeLimited(task: Task, file: OpenFile, data: Uint8Array, pos: bigint): Uint8Array {
  const limit = task.tg.rlimits[RLIMIT_FSIZE]?.cur ?? RLIM_INFINITY;
  if (limit === RLIM_INFINITY || file.kind !== 'file' || file.synth || data.length === 0) return data;
  if (pos >= limit) {
    raiseSignal(task, SIGXFSZ);
    throw new SyscallError(Errno.EFBIG);
  }
  const room = limit - pos;
  return BigInt(data.length) > room ? data.subarray(0, Number(room)) : data;
}

/** Writes at our offset (or appends), advancing it. */
function writeAdvancing(task: Task, file: OpenFile, data: Uint8Array): number {
  if (!file.positional) return hostWrite(task, file, data, null);
  if (file.synth) return hostWrite(task, file, data, null);
  data = fsizeLimited(task, file, data, file.flags & O_APPEND ? statOpenFile(task, file).size : file.offset);
  if (file.flags & O_APPEND) {
    // The host fd is never O_APPEND (so F_SETFL can turn it on and off): write at the current end.
    const end = task.host.fs.fstat(file.hostFd).size;
    const n = hostWrite(task, file, data, end);
    file.offset = end + BigInt(n);
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
  const pos = file.flags & O_APPEND ? appendPosition(task, file) : off;
  const data = fsizeLimited(task, file, task.mem.read(a.ptr(1), count), pos ?? statOpenFile(task, file).size);
  return hostWrite(task, file, data, pos);
}

/** Where an O_APPEND write lands: the end of a file, the stream's own position otherwise. */
function appendPosition(task: Task, file: OpenFile): bigint | null {
  return file.positional ? task.host.fs.fstat(file.hostFd).size : null;
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

/**
 * The vectored read behind readv, preadv and preadv2: `pos` null reads at
 * (and advances) the file offset, a number reads there without moving it.
 */
function readVector(task: Task, file: OpenFile, iovPtr: number, iovcnt: number, pos: bigint | null) {
  const iovs = readIovecs(task, iovPtr, iovcnt);
  const total = iovTotal(iovs);
  if (total === 0) return 0;
  const finish = (data: Uint8Array): number => {
    const n = scatter(task, iovs, data);
    if (pos === null && file.positional) file.offset += BigInt(n);
    return n;
  };
  const data = hostRead(task, file, total, pos ?? (file.positional ? file.offset : null));
  return data instanceof Promise ? data.then(finish) : finish(data);
}

/** The iovecs' bytes, gathered so one host write keeps them contiguous (as on a pipe). */
function gather(task: Task, iovPtr: number, iovcnt: number): Uint8Array {
  const iovs = readIovecs(task, iovPtr, iovcnt);
  const total = iovTotal(iovs);
  const data = new Uint8Array(total);
  let at = 0;
  for (const iov of iovs) {
    const len = Math.min(iov.len, total - at);
    if (len === 0) break;
    data.set(task.mem.read(iov.base, len), at);
    at += len;
  }
  return data;
}

/** readv(2) */
function sysReadv(task: Task, a: SyscallArgs) {
  return readVector(task, readableFile(task, a.fd(0)), a.ptr(1), a.int(2), null);
}

/** writev(2) */
function sysWritev(task: Task, a: SyscallArgs): number {
  const file = writableFile(task, a.fd(0));
  const data = gather(task, a.ptr(1), a.int(2));
  if (data.length === 0) return 0;
  return writeAdvancing(task, file, data);
}

/**
 * The offset of preadv/pwritev(2): arm64 passes it whole in pos_l (pos_h
 * only matters to 32-bit ABIs). -1 means "the file offset" for the *v2 calls.
 */
function vectorOffset(a: SyscallArgs, allowCurrent: boolean): bigint | null {
  const off = a.i64(3);
  if (off === -1n && allowCurrent) return null;
  if (off < 0n) throw new SyscallError(Errno.EINVAL);
  return off;
}

const RWF_SUPPORTED = RWF_HIPRI | RWF_DSYNC | RWF_SYNC | RWF_NOWAIT | RWF_APPEND | RWF_NOAPPEND;

function rwfFlags(a: SyscallArgs): number {
  const flags = a.int(5);
  if (flags & ~RWF_SUPPORTED) throw new SyscallError(Errno.EOPNOTSUPP);
  return flags;
}

/** preadv(2), preadv2(2). RWF_* hints need no action: host reads are synchronous and already durable-agnostic. */
function sysPreadv(task: Task, a: SyscallArgs, v2: boolean) {
  const file = readableFile(task, a.fd(0));
  if (v2) rwfFlags(a);
  const pos = vectorOffset(a, v2);
  if (pos !== null) seekableFile(file);
  return readVector(task, file, a.ptr(1), a.int(2), pos);
}

/** pwritev(2), pwritev2(2): RWF_APPEND appends, RWF_DSYNC/RWF_SYNC flush what was written. */
function sysPwritev(task: Task, a: SyscallArgs, v2: boolean): number {
  const file = writableFile(task, a.fd(0));
  const flags = v2 ? rwfFlags(a) : 0;
  let pos = vectorOffset(a, v2);
  if (pos !== null) seekableFile(file);
  const data = gather(task, a.ptr(1), a.int(2));
  if (data.length === 0) return 0;
  let n: number;
  const append = (flags & RWF_APPEND) !== 0 || ((file.flags & O_APPEND) !== 0 && (flags & RWF_NOAPPEND) === 0);
  if (pos === null) {
    n = append && !(file.flags & O_APPEND) ? appendingWrite(task, file, data) : writeAdvancing(task, file, data);
  } else {
    if (append) pos = appendPosition(task, file);
    n = hostWrite(task, file, data, pos);
  }
  if (flags & RWF_SYNC) task.host.fs.fsync(file.hostFd);
  else if (flags & RWF_DSYNC) task.host.fs.fdatasync(file.hostFd);
  return n;
}

/** One write at the end of the file that also moves the offset there (RWF_APPEND with pos -1). */
function appendingWrite(task: Task, file: OpenFile, data: Uint8Array): number {
  const end = appendPosition(task, file);
  const n = hostWrite(task, file, data, end);
  if (end !== null) file.offset = end + BigInt(n);
  return n;
}

/** lseek(2). Directories accept SEEK_SET/SEEK_CUR of getdents64 cookies. */
function sysLseek(task: Task, a: SyscallArgs): bigint {
  const opened = fileOf(task, a.fd(0));
  if (opened.kind === 'path') throw new SyscallError(Errno.EBADF); // O_PATH: fdget refuses it
  const file = seekableFile(opened);
  const off = a.i64(1);
  const whence = a.uint(2);
  if (file.synth?.node.type === 'dev') {
    // The memory devices ignore seeks and stay at 0 (null_lseek in drivers/char/mem.c).
    file.offset = 0n;
    return 0n;
  }
  // proc's seq files seek only from the start or the current position (seq_lseek).
  if (file.synth && whence !== SEEK_SET && whence !== SEEK_CUR) throw new SyscallError(Errno.EINVAL);
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
  file.offset = target;
  return target;
}

/** close(2) */
function sysClose(task: Task, a: SyscallArgs): number {
  return task.fds.close(a.fd(0)) ? 0 : -Errno.EBADF;
}

/** close_range(2): CLOSE_RANGE_UNSHARE is moot (the table is never shared); CLOSE_RANGE_CLOEXEC only marks. */
function sysCloseRange(task: Task, a: SyscallArgs): number {
  const first = a.uint(0);
  const last = a.uint(1);
  const flags = a.uint(2);
  if (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)) return -Errno.EINVAL;
  if (first > last) return -Errno.EINVAL;
  for (const fd of task.fds.openFds()) {
    if (fd < first || fd > last) continue;
    if (flags & CLOSE_RANGE_CLOEXEC) task.fds.setCloexec(fd, true);
    else task.fds.close(fd);
  }
  return 0;
}

/** Reads an optional loff_t at `ptr` (0: none); negative is EINVAL. */
function readOffsetPtr(task: Task, ptr: number): bigint | null {
  if (ptr === 0) return null;
  const off = new StructReader(task.mem.read(ptr, 8)).i64(0);
  if (off < 0n) throw new SyscallError(Errno.EINVAL);
  return off;
}

/**
 * Copies up to `count` bytes from `src` at `srcPos` (null: its offset, advanced)
 * to `dst` at `dstPos` (null: its offset, advanced), in chunks, stopping at EOF.
 */
function copyBetween(task: Task, src: OpenFile, srcPos: bigint | null, dst: OpenFile, dstPos: bigint | null, count: number) {
  let done = 0;
  while (done < count) {
    const at = srcPos === null ? src.offset : srcPos + BigInt(done);
    const chunk = hostRead(task, src, Math.min(count - done, CHUNK), src.positional ? at : null);
    if (chunk instanceof Promise) throw new SyscallError(Errno.EINVAL); // streams are refused before this
    if (chunk.length === 0) break;
    const n =
      dstPos === null ? writeAdvancing(task, dst, chunk) : hostWrite(task, dst, chunk, dstPos + BigInt(done));
    if (srcPos === null && src.positional) src.offset += BigInt(n);
    done += n;
    if (n < chunk.length) break;
  }
  return done;
}

/** sendfile(2): from a regular file to anything writable; an O_APPEND target is EINVAL. */
function sysSendfile(task: Task, a: SyscallArgs): number {
  const out = writableFile(task, a.fd(0));
  const src = readableFile(task, a.fd(1));
  if (src.kind !== 'file' || !src.positional) return -Errno.EINVAL;
  if (out.flags & O_APPEND) return -Errno.EINVAL;
  const offPtr = a.ptr(2);
  const pos = readOffsetPtr(task, offPtr);
  const count = Math.min(a.size(3), MAX_RW_COUNT);
  const n = copyBetween(task, src, pos, out, null, count);
  if (pos !== null) task.mem.write(offPtr, new StructWriter(8).i64(0, pos + BigInt(n)).bytes);
  return n;
}

/**
 * copy_file_range(2) between regular files (vfs_copy_file_range and
 * generic_copy_file_checks): flags must be 0, an O_APPEND target is EBADF,
 * and overlapping ranges of the same file are EINVAL.
 */
function sysCopyFileRange(task: Task, a: SyscallArgs): number {
  const inFile = fileOf(task, a.fd(0));
  const outFile = fileOf(task, a.fd(2));
  if (a.uint(5) !== 0) return -Errno.EINVAL;
  if (!inFile.readable || !outFile.writable) return -Errno.EBADF;
  if (outFile.flags & O_APPEND) return -Errno.EBADF;
  if (inFile.kind === 'dir' || outFile.kind === 'dir') return -Errno.EISDIR;
  if (inFile.kind !== 'file' || outFile.kind !== 'file' || !inFile.positional || !outFile.positional) {
    return -Errno.EINVAL;
  }
  const inPtr = a.ptr(1);
  const outPtr = a.ptr(3);
  const inPos = readOffsetPtr(task, inPtr);
  const outPos = readOffsetPtr(task, outPtr);
  const len = Math.min(a.size(4), MAX_RW_COUNT);
  const inStart = inPos ?? inFile.offset;
  const outStart = outPos ?? outFile.offset;
  const inSt = statOpenFile(task, inFile);
  const outSt = statOpenFile(task, outFile);
  if (inSt.dev === outSt.dev && inSt.ino === outSt.ino) {
    const l = BigInt(len);
    if (inStart + l > outStart && outStart + l > inStart) return -Errno.EINVAL;
  }
  if (len === 0) return 0;
  const n = copyBetween(task, inFile, inPos, outFile, outPos, len);
  if (inPos !== null) task.mem.write(inPtr, new StructWriter(8).i64(0, inPos + BigInt(n)).bytes);
  if (outPos !== null) task.mem.write(outPtr, new StructWriter(8).i64(0, outPos + BigInt(n)).bytes);
  return n;
}

const SPLICE_F_ALL = 0xf; // MOVE | NONBLOCK | MORE | GIFT

/**
 * splice(2) between a pipe and a file (or two pipes), as one read and one
 * write through elfuse: at most one pipe buffer's worth per call, like a
 * splice that moves one pipe's content. SPLICE_F_MOVE/MORE/GIFT are hints;
 * SPLICE_F_NONBLOCK makes a read of an empty pipe report EAGAIN.
 */
function sysSplice(task: Task, a: SyscallArgs) {
  // The kernel's order: a zero length succeeds before anything is looked at.
  if (a.size(4) === 0) return 0;
  const flags = a.uint(5);
  if (flags & ~SPLICE_F_ALL) return -Errno.EINVAL;
  const inF = fileOf(task, a.fd(0));
  const outF = fileOf(task, a.fd(2));
  if (!inF.readable || !outF.writable) return -Errno.EBADF;
  const inPipe = inF.kind === 'fifo';
  const outPipe = outF.kind === 'fifo';
  if (!inPipe && !outPipe) return -Errno.EINVAL;
  const inPtr = a.ptr(1);
  const outPtr = a.ptr(3);
  if ((inPipe && inPtr !== 0) || (outPipe && outPtr !== 0)) return -Errno.ESPIPE;
  if (outF.flags & O_APPEND) return -Errno.EINVAL;
  if ((!inPipe && !inF.seekable) || (!outPipe && !outF.seekable)) return -Errno.EINVAL;
  const len = Math.min(a.size(4), PIPE_BUF_CAPACITY);
  const inPos = inPipe ? null : (readOffsetPtr(task, inPtr) ?? inF.offset);
  const outPos = outPipe ? null : readOffsetPtr(task, outPtr);
  const finish = (data: Uint8Array): number => {
    if (data.length === 0) return 0;
    const n = outPipe ? hostWrite(task, outF, data, null) : outPos === null ? writeAdvancing(task, outF, data) : hostWrite(task, outF, data, outPos);
    if (!inPipe) {
      if (inPtr !== 0) task.mem.write(inPtr, new StructWriter(8).i64(0, (inPos ?? 0n) + BigInt(n)).bytes);
      else if (inF.positional) inF.offset += BigInt(n);
    }
    if (outPos !== null) task.mem.write(outPtr, new StructWriter(8).i64(0, outPos + BigInt(n)).bytes);
    return n;
  };
  if (inPipe && flags & SPLICE_F_NONBLOCK_BIT && !(inF.flags & O_NONBLOCK)) {
    // One non-blocking attempt, then the description's own mode again.
    if (!inF.hostNonBlock) setHostNonBlocking(task, inF);
    inF.flags |= O_NONBLOCK;
    const restore = (): void => {
      inF.flags &= ~O_NONBLOCK;
    };
    const data = hostRead(task, inF, len, null);
    if (data instanceof Promise) {
      return data.then(
        (d) => (restore(), finish(d)),
        (err: unknown) => {
          restore();
          throw err;
        },
      );
    }
    restore();
    return finish(data);
  }
  const data = hostRead(task, inF, len, inPipe ? null : inF.positional ? inPos : null);
  return data instanceof Promise ? data.then(finish) : finish(data);
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

/**
 * F_SETFL O_NONBLOCK on a FIFO: set on the host's description itself, so
 * the host answers EAGAIN where Linux would. Pipes and ttys inherited from
 * the host keep their host mode (their description is shared with other
 * host processes); a blocking read of them waits for readiness instead.
 */
function setHostNonBlocking(task: Task, file: OpenFile): void {
  if (file.kind !== 'fifo' || !file.ownsHostFd || file.hostFd < 0) return;
  try {
    task.host.fs.setNonBlocking(file.hostFd, true);
    file.hostNonBlock = true;
  } catch {
    // the description stays blocking; reads then poll for readiness first
  }
}

/** The only fcntl commands an O_PATH descriptor allows (check_fcntl_cmd in fs/fcntl.c). */
const O_PATH_FCNTL = new Set([F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_SETFD, F_GETFL]);

/** fcntl(2): descriptor flags, status flags, F_DUPFD*, and the lock commands (fs-lock.ts). */
function sysFcntl(task: Task, a: SyscallArgs): number | Promise<number> {
  const fd = a.fd(0);
  const file = fileOf(task, fd);
  const cmd = a.int(1);
  if (file.kind === 'path' && !O_PATH_FCNTL.has(cmd)) return -Errno.EBADF;
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
      // O_APPEND takes effect (elfuse does the appending); O_NONBLOCK on a FIFO's host
      // description, and a blocking read retries a non-blocking host fd.
      file.flags = (file.flags & ~SETFL_MASK) | (a.int(2) & SETFL_MASK);
      if (file.flags & O_NONBLOCK && !file.hostNonBlock) setHostNonBlocking(task, file);
      return 0;
    case F_GETLK:
    case F_SETLK:
    case F_SETLKW:
    case F_OFD_GETLK:
    case F_OFD_SETLK:
    case F_OFD_SETLKW:
      return fcntlLock(task, file, cmd, a.ptr(2));
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
  read: full(sysRead, ['fd', 'rbuf', 'size']),
  write: full(sysWrite, ['fd', 'wbuf', 'size']),
  readv: full(sysReadv, ['fd', 'ptr', 'int']),
  preadv: full((t, a) => sysPreadv(t, a, false), ['fd', 'ptr', 'int', 'int']),
  pwritev: full((t, a) => sysPwritev(t, a, false), ['fd', 'ptr', 'int', 'int']),
  preadv2: full((t, a) => sysPreadv(t, a, true), ['fd', 'ptr', 'int', 'int', 'int', 'hex']),
  pwritev2: full((t, a) => sysPwritev(t, a, true), ['fd', 'ptr', 'int', 'int', 'int', 'hex']),
  close_range: full(sysCloseRange, ['fd', 'fd', 'hex']),
  sendfile: full(sysSendfile, ['fd', 'fd', 'ptr', 'size']),
  copy_file_range: full(sysCopyFileRange, ['fd', 'ptr', 'fd', 'ptr', 'size', 'hex']),
  splice: {
    handler: sysSplice,
    support: 'partial',
    args: ['fd', 'ptr', 'fd', 'ptr', 'size', 'hex'],
    note: 'copies through elfuse (no page moving); at most 64 KiB per call',
  },
  writev: full(sysWritev, ['fd', 'ptr', 'int']),
  pread64: full(sysPread64, ['fd', 'rbuf', 'size', 'int']),
  pwrite64: full(sysPwrite64, ['fd', 'wbuf', 'size', 'int']),
  lseek: full(sysLseek, ['fd', 'int', 'int']),
  close: full(sysClose, ['fd']),
  dup: full(sysDup, ['fd']),
  dup3: full(sysDup3, ['fd', 'fd', 'hex']),
  fcntl: {
    handler: sysFcntl,
    support: 'partial',
    args: ['fd', 'int', 'hex'],
    note: "locks are elfuse's own (not seen by other host processes); F_SETFL O_NONBLOCK is recorded, not applied to the host fd",
  },
  ioctl: {
    handler: sysIoctl,
    support: 'partial',
    args: ['fd', 'hex', 'ptr'],
    note: 'terminal requests reach the host terminal through its termios addon (ENOTTY without it)',
  },
};
