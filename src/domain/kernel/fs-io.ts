/**
 * Read/write family (fs/read_write.c, fs/file.c, fs/fcntl.c, fs/ioctl.c,
 * fs/splice.c): read, write, readv, writev, pread64, pwrite64, preadv,
 * pwritev, preadv2, pwritev2, lseek, close, close_range, dup, dup3, fcntl
 * (locks in fs-lock.ts), sendfile, copy_file_range, splice and the terminal
 * ioctls. What a fork child shares lives in the host's open file
 * description: host files are read, written and seeked at its offset,
 * O_APPEND, O_NONBLOCK and a pipe's O_DIRECT are its status flags. Pipes,
 * FIFOs and sockets use host calls that never wait, so a blocked read or
 * write waits for readiness without holding the JavaScript thread, and a
 * signal interrupts it.
 */

import { HostError, HostPoll, type HostWhence } from '../../ports/host.js';
import { Errno } from './errno.js';
import type { OpenFile } from './fd-table.js';
import { OPEN_ONLY_FLAGS } from './fd-table.js';
import { filePosition, fileOf, statOpenFile, statusFlags } from './fs-util.js';
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
  F_GETPIPE_SZ,
  F_SETPIPE_SZ,
  F_SETFD,
  F_SETFL,
  F_GETOWN,
  F_GETOWN_EX,
  F_GETSIG,
  F_SETOWN,
  F_SETOWN_EX,
  F_SETSIG,
  FASYNC,
  SIZEOF_F_OWNER_EX,
  F_SETLK,
  F_SETLKW,
  MAX_RW_COUNT,
  RLIMIT_FSIZE,
  RLIM_INFINITY,
  SIGXFSZ,
  O_APPEND,
  O_CLOEXEC,
  O_DIRECT,
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
import { fGetown, fGetownEx, fSetown, fSetownEx, fSetsig, hasFasync, setFasync } from './fasync.js';
import { fcntlLock } from './fs-lock.js';
import { afterFileWrite, beforeFileRead } from './mm.js';
import { raiseSignal } from './process.js';
import { ERESTARTSYS } from './signal-deliver.js';
import { SyscallError, type SyscallArgs, type SyscallImpl, type SyscallResult } from './syscall-args.js';
import { synthRead, synthWrite } from './synthfs.js';
import type { Task } from './task.js';
import { waitFor } from './waitq.js';
import { TTY_IOCTLS, ttyIoctl } from './tty.js';
import { NETDEV_IOCTLS, NetlinkSocket, netdevIoctl } from './netlink.js';

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

/** The top of the user address space (arm64 TASK_SIZE with 48-bit VAs). */
const TASK_SIZE = 2 ** 48;

/**
 * access_ok: a buffer that reaches past the user address space is EFAULT
 * before anything happens, even for 0 bytes (vfs_read, vfs_write); an
 * unmapped one below it faults only if bytes are copied (a read at end of
 * file returns 0).
 */
function checkUserRange(ptr: number, count: number): void {
  if (ptr + count > TASK_SIZE) throw new SyscallError(Errno.EFAULT);
}

const isHostError = (err: unknown, code: string): boolean => err instanceof HostError && err.code === code;
/** The host's "try again" (its EWOULDBLOCK is the same number on Linux and macOS, and may be named so). */
const isAgain = (err: unknown): boolean => isHostError(err, 'EAGAIN') || isHostError(err, 'EWOULDBLOCK');

/** F_SETFL's O_APPEND, O_NONBLOCK and (pipes) O_DIRECT onto the host description; the rest stays elfuse's. */
function setStatusFlags(task: Task, file: OpenFile, flags: number): void {
  file.flags = flags;
  if (!file.sharesFlags) return;
  task.host.fs.setStatusFlags(file.hostFd, {
    append: (flags & O_APPEND) !== 0,
    nonBlock: (flags & O_NONBLOCK) !== 0,
    direct: file.kind === 'fifo' && (flags & O_DIRECT) !== 0,
  });
}

const nonBlocking = (task: Task, file: OpenFile): boolean => (statusFlags(task, file) & O_NONBLOCK) !== 0;

/**
 * Waits until the host fd is ready for `events` without blocking the
 * JavaScript thread; false when a signal became deliverable first (the
 * caller returns ERESTARTSYS, and delivery decides between EINTR and a
 * restart by SA_RESTART, as for pipe_read and pipe_write).
 */
async function waitReady(task: Task, file: OpenFile, events: number): Promise<boolean> {
  // The host says when to try again; the retry decides (the shared wait of waitq.ts).
  let polled = false;
  const r = await waitFor(task, () => (polled ? true : null), () => {
    polled = true;
    return { queues: [], host: [{ fd: file.hostFd, events }] };
  }, null);
  return r === true;
}

/**
 * Reads up to `count` bytes at `pos` (null: the file offset, advanced).
 * Files are read synchronously until count or end of file; streams return
 * what one host read gives, without blocking the JavaScript thread.
 */
function hostRead(task: Task, file: OpenFile, count: number, pos: bigint | null): Uint8Array | Promise<Uint8Array> {
  if (file.synth) return synthRead(task, file.synth, Math.min(count, MAX_RW_COUNT), pos ?? file.offset);
  if (file.event) return eventRead(task, file, count);
  if (file.stream) file.ioSeq++;
  if (file.stream) return readStream(task, file, new Uint8Array(Math.min(count, CHUNK)), false);
  const fs = task.host.fs;
  const buf = new Uint8Array(Math.min(count, MAX_RW_COUNT));
  if (task.as.hasFileObjects) beforeFileRead(task, file, pos ?? filePosition(task, file), buf.length);
  let done = 0;
  while (done < buf.length) {
    const want = Math.min(buf.length - done, CHUNK);
    const n = fs.read(file.hostFd, buf.subarray(done, done + want), pos === null ? null : pos + BigInt(done));
    if (n === 0) break;
    done += n;
    if (file.kind !== 'file') break; // a device's short read is its answer
  }
  return buf.subarray(0, done);
}

/**
 * One read of a stream. Pipes, FIFOs and sockets are read with a host read
 * that never waits: when empty, a blocking reader waits for readiness
 * (interruptible by signals) and tries again; O_NONBLOCK (the host
 * description's, or `nonBlock` for SPLICE_F_NONBLOCK) answers EAGAIN.
 * Terminals are read on a host thread, so their VMIN/VTIME are the host
 * kernel's as the guest set them.
 */
function readStream(task: Task, file: OpenFile, buf: Uint8Array, nonBlock: boolean): Uint8Array | Promise<Uint8Array> {
  if (file.kind === 'tty' && !isPtyMaster(task, file)) return readTty(task, file, buf);
  const fs = task.host.fs;
  try {
    return buf.subarray(0, fs.readNoWait(file.hostFd, buf));
  } catch (err) {
    if (!isAgain(err) || nonBlock || nonBlocking(task, file)) throw err;
  }
  return (async () => {
    for (;;) {
      if (!(await waitReady(task, file, HostPoll.READ))) throw new SyscallError(ERESTARTSYS);
      try {
        return buf.subarray(0, fs.readNoWait(file.hostFd, buf));
      } catch (err) {
        if (!isAgain(err) || nonBlocking(task, file)) throw err;
      }
    }
  })();
}

/**
 * read(2) of 0 bytes from inotify, which inotify_read answers itself (the
 * host's read returns 0 before asking it): EINVAL once an event waits, since
 * none fits; before that EAGAIN, or a wait for one.
 */
function emptyInotifyRead(task: Task, file: OpenFile): number | Promise<number> {
  if (hostInputPending(task, file) > 0) throw new SyscallError(Errno.EINVAL);
  if (nonBlocking(task, file)) throw new SyscallError(Errno.EAGAIN);
  return (async () => {
    for (;;) {
      if (!(await waitReady(task, file, HostPoll.READ))) throw new SyscallError(ERESTARTSYS);
      if (hostInputPending(task, file) > 0) throw new SyscallError(Errno.EINVAL);
    }
  })();
}

/**
 * Whether a terminal is a pseudo-terminal master. A master has no line
 * discipline, job control or VMIN on its side, so it is read as a pipe is:
 * without waiting in the host, interruptible, EIO once every slave is closed.
 */
function isPtyMaster(task: Task, file: OpenFile): boolean {
  if (file.ptyMaster === null) {
    try {
      task.host.terminal.ptyNumber(file.hostFd);
      file.ptyMaster = true;
    } catch {
      file.ptyMaster = false;
    }
  }
  return file.ptyMaster;
}

/** A read of an eventfd, timerfd, signalfd or epoll (EINVAL where the object has no read). */
function eventRead(task: Task, file: OpenFile, count: number): Uint8Array | Promise<Uint8Array> {
  const ev = file.event;
  if (!ev?.read) throw new SyscallError(Errno.EINVAL);
  return ev.read(task, file, count);
}

function eventWrite(task: Task, file: OpenFile, data: Uint8Array): number | Promise<number> {
  const ev = file.event;
  if (!ev?.write) throw new SyscallError(Errno.EINVAL);
  return ev.write(task, file, data);
}

/** A terminal read on a host thread; a host fd left non-blocking by another process waits for readiness instead of failing. */
async function readTty(task: Task, file: OpenFile, buf: Uint8Array): Promise<Uint8Array> {
  if (nonBlocking(task, file) && !streamReadable(task, file)) throw new SyscallError(Errno.EAGAIN);
  for (;;) {
    // A host read cannot be called back once started, so a read that would wait for input
    // without limit first waits for the input, which a signal interrupts (EINTR, or a restart).
    // A read with VMIN = 0 ends by itself (VTIME) and a process outside the terminal's foreground
    // group reads at once: the host's read is what stops it with SIGTTIN (or fails with EIO).
    if (!nonBlocking(task, file) && waitsForInput(task, file) && inForeground(task, file) && !streamReadable(task, file)) {
      if (!(await waitReady(task, file, HostPoll.READ))) throw new SyscallError(ERESTARTSYS);
      continue;
    }
    try {
      const n = await task.host.fs.readAsync(file.hostFd, buf, null);
      return buf.subarray(0, n);
    } catch (err) {
      if (!isAgain(err) || nonBlocking(task, file)) throw err;
      if (!(await waitReady(task, file, HostPoll.READ))) throw new SyscallError(ERESTARTSYS);
    }
  }
}

/** Whether a read of the terminal waits until input comes: canonical mode, or VMIN > 0 (false when the host cannot tell). */
function waitsForInput(task: Task, file: OpenFile): boolean {
  try {
    const t = task.host.terminal.getAttr(file.hostFd);
    return t.lflag.has('ICANON') || (t.cc['VMIN'] ?? 0) > 0;
  } catch {
    return false;
  }
}

/** Whether this process is in the foreground process group of the terminal `file` is (true when the host cannot tell). */
function inForeground(task: Task, file: OpenFile): boolean {
  try {
    return task.host.terminal.getForegroundPgrp(file.hostFd) === task.host.processes.getpgid(0);
  } catch {
    return true;
  }
}

/** Whether a read of a host stream would not block; true when the host cannot tell. */
function streamReadable(task: Task, file: OpenFile): boolean {
  try {
    const [bits = 0] = task.host.terminal.pollNow([{ fd: file.hostFd, events: HostPoll.READ }]);
    return bits !== 0;
  } catch (err) {
    if (isHostError(err, 'ENOSYS')) return true;
    throw err;
  }
}

/** Bytes waiting in a host stream; 0 when the host cannot tell. */
function hostInputPending(task: Task, file: OpenFile): number {
  try {
    return task.host.terminal.inputPending(file.hostFd);
  } catch (err) {
    if (isHostError(err, 'ENOSYS')) return 0;
    throw err;
  }
}

/**
 * Writes `data` at `pos` (null: the file offset, or the end with O_APPEND,
 * as the host description says). Streams go to writeStream.
 */
function hostWrite(task: Task, file: OpenFile, data: Uint8Array, pos: bigint | null): number | Promise<number> {
  if (file.synth) return synthWrite(task, file.synth, data);
  if (file.event) return eventWrite(task, file, data);
  if (file.stream) file.ioSeq++;
  if (file.stream) return writeStream(task, file, data);
  const fs = task.host.fs;
  const n = fs.write(file.hostFd, data, pos);
  if (task.as.hasFileObjects && n > 0) {
    // Where the bytes landed: an O_APPEND write ends at the host's new offset.
    const at = pos ?? (file.hostOffset ? fs.seek(file.hostFd, 0n, 'cur') - BigInt(n) : null);
    afterFileWrite(task, file, at, data.subarray(0, n));
  }
  return n;
}

/**
 * A write to a pipe, FIFO, socket or terminal (fs/pipe.c pipe_write): host
 * writes that never wait, so a blocking writer of a full pipe waits for
 * readiness (interruptible: ERESTARTSYS, or the bytes already written) and
 * the JavaScript thread stays free. A write of at most PIPE_BUF bytes to a
 * pipe is all or nothing in the host; a larger one may be split. A pipe
 * without readers is EPIPE and SIGPIPE (Node ignores SIGPIPE, so the host
 * only says EPIPE).
 */
function writeStream(task: Task, file: OpenFile, data: Uint8Array): number | Promise<number> {
  const fs = task.host.fs;
  let done = 0;
  /** Writes what fits now: the result, or null to wait for room. */
  const attempt = (): number | null => {
    try {
      while (done < data.length) done += fs.writeNoWait(file.hostFd, data.subarray(done));
      return done;
    } catch (err) {
      if (isHostError(err, 'EPIPE')) raiseSignal(task, SIGPIPE);
      else if (isAgain(err) && !nonBlocking(task, file)) return null;
      if (done > 0) return done;
      throw err;
    }
  };
  const now = attempt();
  if (now !== null) return now;
  return (async () => {
    for (;;) {
      if (!(await waitReady(task, file, HostPoll.WRITE))) {
        if (done > 0) return done;
        throw new SyscallError(ERESTARTSYS);
      }
      const n = attempt();
      if (n !== null) return n;
    }
  })();
}

/** Copies what was read into the guest buffer and advances elfuse's own offset (host files advanced their own). */
function finishRead(task: Task, file: OpenFile, buf: number, data: Uint8Array, advance: boolean): number {
  try {
    task.mem.write(buf, data);
  } catch (err) {
    // Nothing reached the guest (EFAULT): the host offset goes back to where the read started.
    if (advance && file.hostOffset && data.length > 0) task.host.fs.seek(file.hostFd, -BigInt(data.length), 'cur');
    throw err;
  }
  if (advance && !file.hostOffset && !file.stream) file.offset += BigInt(data.length);
  return data.length;
}

function readAt(task: Task, file: OpenFile, buf: number, count: number, pos: bigint | null, advance: boolean) {
  checkUserRange(buf, count);
  const data = hostRead(task, file, count, pos);
  if (data instanceof Promise) return data.then((d) => finishRead(task, file, buf, d, advance));
  return finishRead(task, file, buf, data, advance);
}

/**
 * RLIMIT_FSIZE on a regular file (generic_write_check_limits in mm/filemap.c):
 * a write starting at or past the limit raises SIGXFSZ and fails with EFBIG;
 * one crossing it is cut short at the limit. `where` gives the write's position.
 */
function fsizeLimited(task: Task, file: OpenFile, data: Uint8Array, where: () => bigint): Uint8Array {
  const limit = task.tg.rlimits[RLIMIT_FSIZE]?.cur ?? RLIM_INFINITY;
  if (limit === RLIM_INFINITY || file.kind !== 'file' || file.synth || data.length === 0) return data;
  const pos = where();
  if (pos >= limit) {
    raiseSignal(task, SIGXFSZ);
    throw new SyscallError(Errno.EFBIG);
  }
  const room = limit - pos;
  return BigInt(data.length) > room ? data.subarray(0, Number(room)) : data;
}

/** Writes at the file offset, advancing it (the host's offset, and the host appends for O_APPEND). */
function writeAdvancing(task: Task, file: OpenFile, data: Uint8Array): number | Promise<number> {
  if (file.synth || file.stream || file.event) return hostWrite(task, file, data, null);
  data = fsizeLimited(task, file, data, () => (statusFlags(task, file) & O_APPEND ? statOpenFile(task, file).size : filePosition(task, file)));
  return hostWrite(task, file, data, null);
}

/** read(2) */
function sysRead(task: Task, a: SyscallArgs) {
  const file = readableFile(task, a.fd(0));
  const count = Math.min(a.size(2), MAX_RW_COUNT);
  checkUserRange(a.ptr(1), count);
  if (count === 0) return file.kind === 'inotify' ? emptyInotifyRead(task, file) : 0;
  return readAt(task, file, a.ptr(1), count, null, true);
}

/** write(2) */
function sysWrite(task: Task, a: SyscallArgs) {
  const file = writableFile(task, a.fd(0));
  const count = Math.min(a.size(2), MAX_RW_COUNT);
  checkUserRange(a.ptr(1), count);
  // A made-up file's handler sees an empty write too (oom_score_adj: EINVAL, /dev/full: ENOSPC).
  if (count === 0 && !file.synth) return 0;
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
function sysPwrite64(task: Task, a: SyscallArgs) {
  const file = writableFile(task, a.fd(0));
  const off = checkedOffset(a, 3);
  seekableFile(file);
  const count = Math.min(a.size(2), MAX_RW_COUNT);
  if (count === 0) return 0;
  checkUserRange(a.ptr(1), count);
  const pos = statusFlags(task, file) & O_APPEND ? appendPosition(task, file) : off;
  const data = fsizeLimited(task, file, task.mem.read(a.ptr(1), count), () => pos ?? statOpenFile(task, file).size);
  return hostWrite(task, file, data, pos);
}

/** Where an O_APPEND write lands: the end of a host file, elfuse's own offset of a made-up node. */
function appendPosition(task: Task, file: OpenFile): bigint | null {
  return file.hostOffset ? task.host.fs.fstat(file.hostFd).size : null;
}

export interface Iovec {
  base: number;
  len: number;
}

/** The iovec array (EINVAL past UIO_MAXIOV or when the total overflows ssize_t). */
export function readIovecs(task: Task, ptr: number, count: number): Iovec[] {
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
export function scatter(task: Task, iovs: Iovec[], data: Uint8Array): number {
  let done = 0;
  for (const iov of iovs) {
    if (done >= data.length) break;
    const part = data.subarray(done, done + iov.len);
    task.mem.write(iov.base, part);
    done += part.length;
  }
  return done;
}

export function iovTotal(iovs: Iovec[]): number {
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
    if (pos === null && !file.hostOffset && !file.stream) file.offset += BigInt(n);
    return n;
  };
  const data = hostRead(task, file, total, pos);
  return data instanceof Promise ? data.then(finish) : finish(data);
}

/** The iovecs' bytes, gathered so one host write keeps them contiguous (as on a pipe). */
export function gather(task: Task, iovPtr: number, iovcnt: number): Uint8Array {
  const iovs = readIovecs(task, iovPtr, iovcnt);
  const total = iovTotal(iovs);
  const data = new Uint8Array(total);
  let at = 0;
  for (const iov of iovs) {
    if (at >= total) break;
    // An empty iovec in the middle is skipped, not the end (ld.so's _dl_printf writes "%s" of "" so).
    const len = Math.min(iov.len, total - at);
    if (len === 0) continue;
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
function sysWritev(task: Task, a: SyscallArgs) {
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
async function sysPwritev(task: Task, a: SyscallArgs, v2: boolean): Promise<number> {
  const file = writableFile(task, a.fd(0));
  const flags = v2 ? rwfFlags(a) : 0;
  let pos = vectorOffset(a, v2);
  if (pos !== null) seekableFile(file);
  const data = gather(task, a.ptr(1), a.int(2));
  if (data.length === 0) return 0;
  let n: number;
  const fileAppends = (statusFlags(task, file) & O_APPEND) !== 0;
  const append = (flags & RWF_APPEND) !== 0 || (fileAppends && (flags & RWF_NOAPPEND) === 0);
  if (pos === null) {
    n = await (append && !fileAppends ? appendingWrite(task, file, data) : writeAdvancing(task, file, data));
  } else {
    if (append) pos = appendPosition(task, file);
    n = await hostWrite(task, file, data, pos);
  }
  if (flags & RWF_SYNC) task.host.fs.fsync(file.hostFd);
  else if (flags & RWF_DSYNC) task.host.fs.fdatasync(file.hostFd);
  return n;
}

/** One write at the end of the file that also moves the offset there (RWF_APPEND with pos -1). */
function appendingWrite(task: Task, file: OpenFile, data: Uint8Array): number | Promise<number> {
  const end = appendPosition(task, file);
  if (end === null) return hostWrite(task, file, data, null);
  const n = task.host.fs.write(file.hostFd, data, end);
  task.host.fs.seek(file.hostFd, end + BigInt(n), 'set');
  if (task.as.hasFileObjects) afterFileWrite(task, file, end, data.subarray(0, n));
  return n;
}

const HOST_WHENCE: Readonly<Record<number, HostWhence>> = { [SEEK_SET]: 'set', [SEEK_CUR]: 'cur', [SEEK_END]: 'end', [SEEK_DATA]: 'data', [SEEK_HOLE]: 'hole' };

/** lseek(2). Directories accept SEEK_SET/SEEK_CUR of getdents64 cookies. */
function sysLseek(task: Task, a: SyscallArgs): bigint {
  const opened = fileOf(task, a.fd(0));
  if (opened.kind === 'path') throw new SyscallError(Errno.EBADF); // O_PATH: fdget refuses it
  if (opened.kind === 'inotify') return 0n; // noop_llseek: f_pos, which stays 0
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
  if (file.hostOffset) {
    // The host description's offset, which a fork child or parent sharing it sees move.
    const how = HOST_WHENCE[whence];
    if (how === undefined) throw new SyscallError(Errno.EINVAL);
    try {
      return task.host.fs.seek(file.hostFd, off, how);
    } catch (err) {
      if (!isHostError(err, 'ENOSYS')) throw err;
      // No SEEK_DATA/SEEK_HOLE on the host: the whole file is data (generic_file_llseek_size).
      const size = statOpenFile(task, file).size;
      if (off < 0n || off >= size) throw new SyscallError(Errno.ENXIO);
      return task.host.fs.seek(file.hostFd, how === 'data' ? off : size, 'set');
    }
  }
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
async function copyBetween(task: Task, src: OpenFile, srcPos: bigint | null, dst: OpenFile, dstPos: bigint | null, count: number): Promise<number> {
  // The source is a regular file (callers refuse anything else): read at explicit
  // positions, and move its offset once by what was written.
  const start = srcPos ?? filePosition(task, src);
  let done = 0;
  try {
    while (done < count) {
      const chunk = hostRead(task, src, Math.min(count - done, CHUNK), start + BigInt(done));
      if (chunk instanceof Promise) throw new SyscallError(Errno.EINVAL); // streams are refused before this
      if (chunk.length === 0) break;
      const n = await (dstPos === null ? writeAdvancing(task, dst, chunk) : hostWrite(task, dst, chunk, dstPos + BigInt(done)));
      done += n;
      if (n < chunk.length) break;
    }
  } catch (err) {
    if (done === 0) throw err; // an error after some bytes moved reports those bytes
  }
  if (srcPos === null) setFilePosition(task, src, start + BigInt(done));
  return done;
}

function setFilePosition(task: Task, file: OpenFile, pos: bigint): void {
  if (file.hostOffset) task.host.fs.seek(file.hostFd, pos, 'set');
  else file.offset = pos;
}

/** sendfile(2): from a regular file to anything writable; an O_APPEND target is EINVAL. */
async function sysSendfile(task: Task, a: SyscallArgs): Promise<number> {
  const out = writableFile(task, a.fd(0));
  const src = readableFile(task, a.fd(1));
  if (src.kind !== 'file' || src.synth) return -Errno.EINVAL;
  if (statusFlags(task, out) & O_APPEND) return -Errno.EINVAL;
  const offPtr = a.ptr(2);
  const pos = readOffsetPtr(task, offPtr);
  const count = Math.min(a.size(3), MAX_RW_COUNT);
  const n = await copyBetween(task, src, pos, out, null, count);
  if (pos !== null) task.mem.write(offPtr, new StructWriter(8).i64(0, pos + BigInt(n)).bytes);
  return n;
}

/**
 * copy_file_range(2) between regular files (vfs_copy_file_range and
 * generic_copy_file_checks): flags must be 0, an O_APPEND target is EBADF,
 * and overlapping ranges of the same file are EINVAL.
 */
async function sysCopyFileRange(task: Task, a: SyscallArgs): Promise<number> {
  const inFile = fileOf(task, a.fd(0));
  const outFile = fileOf(task, a.fd(2));
  if (a.uint(5) !== 0) return -Errno.EINVAL;
  if (!inFile.readable || !outFile.writable) return -Errno.EBADF;
  if (statusFlags(task, outFile) & O_APPEND) return -Errno.EBADF;
  if (inFile.kind === 'dir' || outFile.kind === 'dir') return -Errno.EISDIR;
  if (inFile.kind !== 'file' || outFile.kind !== 'file' || !inFile.hostOffset || !outFile.hostOffset) {
    return -Errno.EINVAL;
  }
  const inPtr = a.ptr(1);
  const outPtr = a.ptr(3);
  const inPos = readOffsetPtr(task, inPtr);
  const outPos = readOffsetPtr(task, outPtr);
  const len = Math.min(a.size(4), MAX_RW_COUNT);
  const inStart = inPos ?? filePosition(task, inFile);
  const outStart = outPos ?? filePosition(task, outFile);
  const inSt = statOpenFile(task, inFile);
  const outSt = statOpenFile(task, outFile);
  if (inSt.dev === outSt.dev && inSt.ino === outSt.ino) {
    const l = BigInt(len);
    if (inStart + l > outStart && outStart + l > inStart) return -Errno.EINVAL;
  }
  if (len === 0) return 0;
  const n = await copyBetween(task, inFile, inPos, outFile, outPos, len);
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
async function sysSplice(task: Task, a: SyscallArgs): Promise<number> {
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
  if (statusFlags(task, outF) & O_APPEND) return -Errno.EINVAL;
  if ((!inPipe && !inF.seekable) || (!outPipe && !outF.seekable)) return -Errno.EINVAL;
  const len = Math.min(a.size(4), PIPE_BUF_CAPACITY);
  const inPos = inPipe ? null : (readOffsetPtr(task, inPtr) ?? filePosition(task, inF));
  const outPos = outPipe ? null : readOffsetPtr(task, outPtr);
  // SPLICE_F_NONBLOCK: one attempt at the pipe, whatever the description's own mode.
  const data = inPipe ? await readStream(task, inF, new Uint8Array(len), (flags & SPLICE_F_NONBLOCK_BIT) !== 0) : await hostRead(task, inF, len, inPos);
  if (data.length === 0) return 0;
  const n = await (outPipe ? hostWrite(task, outF, data, null) : outPos === null ? writeAdvancing(task, outF, data) : hostWrite(task, outF, data, outPos));
  if (!inPipe) {
    const moved = (inPos ?? 0n) + BigInt(n);
    if (inPtr !== 0) task.mem.write(inPtr, new StructWriter(8).i64(0, moved).bytes);
    else setFilePosition(task, inF, moved);
  }
  if (outPos !== null) task.mem.write(outPtr, new StructWriter(8).i64(0, outPos + BigInt(n)).bytes);
  return n;
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
 * F_GETPIPE_SZ, F_SETPIPE_SZ (fs/pipe.c pipe_fcntl): the host pipe's own
 * capacity, rounded and limited by the host kernel (pipe-max-size: EPERM
 * beyond it, EBUSY below what the pipe holds). Not a pipe: EBADF.
 */
function pipeSize(task: Task, file: OpenFile, size: number | null): number {
  if (file.kind !== 'fifo' || file.hostFd < 0) return -Errno.EBADF;
  if (size !== null && size <= 0) size = 1; // the smallest pipe, one page
  return task.host.fs.pipeSize(file.hostFd, size ?? 0);
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
      return statusFlags(task, file) & ~OPEN_ONLY_FLAGS;
    case F_SETFL: {
      const old = statusFlags(task, file);
      let flags = (old & ~SETFL_MASK) | (a.int(2) & SETFL_MASK);
      // O_ASYNC is the object's to set (setfl's f_op->fasync, fasync.ts); one without fasync leaves it off.
      // A fork child's copy of an O_ASYNC description registers when it sets O_ASYNC again.
      if (!hasFasync(file)) flags &= ~FASYNC;
      else if ((old | flags) & FASYNC) setFasync(task, file, fd, (flags & FASYNC) !== 0);
      // O_APPEND, O_NONBLOCK and a pipe's O_DIRECT go to the host description, shared across fork.
      setStatusFlags(task, file, flags);
      return 0;
    }
    case F_GETOWN:
      return fGetown(task, file);
    case F_SETOWN:
      return fSetown(task, file, a.int(2));
    case F_GETOWN_EX: {
      const owner = fGetownEx(task, file);
      task.mem.write(a.ptr(2), new StructWriter(SIZEOF_F_OWNER_EX).i32(0, owner.type).i32(4, owner.pid).bytes);
      return 0;
    }
    case F_SETOWN_EX: {
      const r = new StructReader(task.mem.read(a.ptr(2), SIZEOF_F_OWNER_EX));
      return fSetownEx(task, file, r.i32(0), r.i32(4));
    }
    case F_GETSIG:
      return file.owner.signum;
    case F_SETSIG:
      return fSetsig(file, a.int(2));
    case F_GETPIPE_SZ:
      return pipeSize(task, file, null);
    case F_SETPIPE_SZ:
      return pipeSize(task, file, a.int(2));
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

/** ioctl(2): the terminal requests (tty.ts), the interface requests on sockets (netlink.ts), FIONREAD, FIOCLEX/FIONCLEX, FIONBIO; anything else is ENOTTY. */
function sysIoctl(task: Task, a: SyscallArgs): number {
  const fd = a.fd(0);
  const file = fileOf(task, fd);
  const req = a.uint(1);
  const arg = a.ptr(2);
  if (file.kind === 'path') return -Errno.EBADF; // O_PATH: fdget refuses it
  if (TTY_IOCTLS.has(req)) return ttyIoctl(task, fd, req, arg);
  // sock_ioctl hands the interface requests to the device layer, whatever the socket's family.
  if (NETDEV_IOCTLS.has(req)) return file.kind === 'socket' || file.event instanceof NetlinkSocket ? netdevIoctl(task, req, arg) : -Errno.ENOTTY;
  switch (req) {
    case FIONREAD:
      return fionread(task, file, arg);
    case FIOCLEX:
    case FIONCLEX:
      task.fds.setCloexec(fd, req === FIOCLEX);
      return 0;
    case FIONBIO: {
      const on = new StructReader(task.mem.read(arg, 4)).i32(0) !== 0;
      const flags = statusFlags(task, file);
      setStatusFlags(task, file, on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK);
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
  if (file.kind === 'file' && file.hostOffset) {
    const left = statOpenFile(task, file).size - filePosition(task, file);
    avail = left > 0n ? left : 0n;
  } else if (file.kind === 'tty' || file.kind === 'fifo' || file.kind === 'socket' || file.kind === 'inotify') {
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
    note: 'F_SETFL O_DIRECT on a regular file is recorded, not applied (host direct I/O needs aligned buffers); O_ASYNC signals what elfuse sees of the host\'s readiness (fasync.ts), not each write; leases and seals are EINVAL',
  },
  ioctl: {
    handler: sysIoctl,
    support: 'partial',
    args: ['fd', 'hex', 'ptr'],
    note: 'terminal requests reach the host terminal through its termios addon (ENOTTY without it)',
  },
};
