/**
 * The Linux file-descriptor table: small integers (lowest free first, as
 * fs/file.c alloc_fd does) with a per-descriptor FD_CLOEXEC bit, pointing at
 * shared open file descriptions (struct file). A description owns the host
 * fd (an O_PATH description too: it holds the object without opening it
 * for I/O). What processes share lives in the host's open file description
 * behind it, which a fork child receives as the same host description: the
 * file offset of host files and the status flags O_APPEND, O_NONBLOCK and
 * (pipes) O_DIRECT. elfuse keeps only what the host has no place for: the
 * offset of made-up /proc and /dev nodes and of directories (getdents64
 * cookies), and the flags of the host's own stdio, whose descriptions are
 * shared with programs outside the guest.
 */

import type { HostDirEntry, HostPath } from '../../ports/host.js';
import type { Layer } from './namei.js';
import type { SynthFile } from './synthfs.js';
import type { EventObject } from './waitq.js';
import type { SocketInfo } from './socket.js';
import { O_ACCMODE, O_CLOEXEC, O_CREAT, O_EXCL, O_NOCTTY, O_TRUNC, O_WRONLY, O_RDONLY, O_RDWR } from './linux-abi.js';

/**
 * A directory's names in the order getdents64 first saw them. An entry's
 * cookie (d_off of the record before it) is its position in this list, so
 * a cookie never changes meaning while the directory is open.
 */
export interface DirCookies {
  readonly entries: HostDirEntry[];
  readonly byName: Map<string, number>;
}

/** What an open file description refers to; decides how reads, writes and lseek behave. */
/**
 * 'anon': an object elfuse makes up with no host fd (eventfd, epoll, timerfd, signalfd: `OpenFile.event`);
 * 'inotify': a host inotify instance (inotify.ts), read and polled as a host stream.
 */
export type FileKind = 'file' | 'dir' | 'chr' | 'tty' | 'fifo' | 'socket' | 'path' | 'anon' | 'inotify';

export class OpenFile {
  /** File offset (f_pos) of a made-up node or a directory; host files use the host's (hostOffset). */
  offset = 0n;
  /** Number of fd-table slots referring to this description. */
  refs = 0;
  /** getdents64 state: every name seen so far with its stable cookie (see fs-dir.ts). */
  dirCookies: DirCookies | null = null;
  /** An O_TMPFILE file: `path` was its temporary name, already unlinked. */
  unlinked = false;
  /** The inode's lock-table key, once a lock was taken through this description. */
  lockKey: string | null = null;
  /** A /proc or /dev node elfuse makes up (hostFd is -1); see synthfs.ts. */
  synth: SynthFile | null = null;
  /** A pidfd (pidfd.ts): the process it refers to (hostFd is -1). */
  pidfd: number | null = null;
  /** An eventfd, epoll, timerfd or signalfd (waitq.ts; hostFd is -1). */
  event: EventObject | null = null;
  /** A socket elfuse made or has asked the host about (socket.ts). */
  sock: SocketInfo | null = null;
  /** Epoll registrations watching this description (epoll.ts): they go when it is released. */
  readonly epollItems = new Set<{ remove(): void }>();
  /** A terminal that is a pseudo-terminal master (read as a stream, not as a terminal): null until asked (fs-io.ts). */
  ptyMaster: boolean | null = null;
  /** Counts this process's reads and writes of a host stream: an edge for EPOLLET (epoll.ts). */
  ioSeq = 0;
  /** F_SETOWN/F_SETOWN_EX and F_SETSIG (struct fown_struct): who an O_ASYNC description signals, and with what (0: SIGIO); type 0 is F_OWNER_TID, as Linux's zeroed fown_struct. */
  owner: { type: number; pid: number; signum: number } = { type: 0, pid: 0, signum: 0 };
  /** The O_ASYNC registration of a stream (fasync.ts), removed when the description is released. */
  fasync: { remove(): void } | null = null;
  /** Which layer of the guest's filesystem the object was found in (fs-context.ts): relative lookups from a directory start there. */
  layer: Layer = 'host';

  constructor(
    /** Host fd, or -1 for a made-up /proc or /dev node. */
    readonly hostFd: number,
    /** The guest's path of the object when it was opened, as bytes (/proc/self/fd, fchdir, getcwd). */
    readonly path: HostPath,
    /**
     * Access mode and status flags, Linux values. Where the host description
     * carries them (sharesFlags), O_APPEND, O_NONBLOCK and O_DIRECT here are
     * only what this process last knew: F_GETFL asks the host (fs-io.ts).
     */
    public flags: number,
    readonly kind: FileKind,
    /** False for the host's own stdin/stdout/stderr, which elfuse must keep open. */
    readonly ownsHostFd = true,
  ) {}

  get seekable(): boolean {
    return this.kind === 'file' || this.kind === 'dir' || this.kind === 'chr';
  }
  /** Whether reads, writes and lseek use the host description's own offset (shared across fork). */
  get hostOffset(): boolean {
    return this.synth === null && this.hostFd >= 0 && (this.kind === 'file' || this.kind === 'chr');
  }
  /** A pipe, FIFO, socket or terminal, or a character device of the host's stdio: read and written as a stream. */
  get stream(): boolean {
    if (this.synth !== null || this.hostFd < 0) return false;
    return this.kind === 'fifo' || this.kind === 'socket' || this.kind === 'tty' || this.kind === 'inotify' || (this.kind === 'chr' && !this.ownsHostFd);
  }
  /**
   * Whether O_APPEND, O_NONBLOCK and O_DIRECT live in the host's description
   * (so every process sharing it sees them). Not for the host's own stdio:
   * a guest's F_SETFL there stays elfuse's, so the user's terminal or the
   * shell's pipe never changes under other programs.
   */
  get sharesFlags(): boolean {
    return this.ownsHostFd && this.hostFd >= 0 && this.synth === null && this.kind !== 'path';
  }
  get readable(): boolean {
    const acc = this.flags & O_ACCMODE;
    return this.kind !== 'path' && (acc === O_RDONLY || acc === O_RDWR);
  }
  get writable(): boolean {
    const acc = this.flags & O_ACCMODE;
    return this.kind !== 'path' && (acc === O_WRONLY || acc === O_RDWR);
  }
}

/** Flags open(2) consumes at open time and F_GETFL does not report (fs/fcntl.c, fs/open.c). */
export const OPEN_ONLY_FLAGS = O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC;

interface Slot {
  readonly file: OpenFile;
  cloexec: boolean;
}

export class FdTable {
  private readonly slots: (Slot | undefined)[] = [];

  constructor(
    /** Called when the last reference to a description goes away. */
    private readonly release: (file: OpenFile) => void,
    /** Called whenever one fd referring to `file` is closed (POSIX locks go away then). */
    private readonly detach: (file: OpenFile) => void = () => undefined,
  ) {}

  get(fd: number): OpenFile | undefined {
    if (fd < 0) return undefined;
    return this.slots[fd]?.file;
  }

  isCloexec(fd: number): boolean {
    return this.slots[fd]?.cloexec ?? false;
  }

  setCloexec(fd: number, cloexec: boolean): void {
    const slot = this.slots[fd];
    if (slot) slot.cloexec = cloexec;
  }

  /** Lowest free fd >= minFd below `limit`, or -1 (EMFILE). */
  lowestFree(minFd: number, limit: number): number {
    for (let fd = minFd; fd < limit; fd++) {
      if (!this.slots[fd]) return fd;
    }
    return -1;
  }

  /** Installs `file` at exactly `fd`, closing whatever was there (dup3 semantics). */
  installAt(fd: number, file: OpenFile, cloexec: boolean): void {
    file.refs++;
    const old = this.slots[fd];
    this.slots[fd] = { file, cloexec };
    if (old) this.unref(old.file);
  }

  /** Removes `fd`; false if it was not open. */
  close(fd: number): boolean {
    const slot = this.slots[fd];
    if (!slot) return false;
    this.slots[fd] = undefined;
    this.unref(slot.file);
    return true;
  }

  /** Open fds in ascending order. */
  openFds(): number[] {
    const fds: number[] = [];
    this.slots.forEach((slot, fd) => {
      if (slot) fds.push(fd);
    });
    return fds;
  }

  private unref(file: OpenFile): void {
    this.detach(file);
    file.refs--;
    if (file.refs === 0) this.release(file);
  }
}
