/**
 * Filesystem syscalls through dispatch, on a temp directory of the host:
 * open/read/seek/close round trips, errno translation, struct stat against
 * the host's `stat` command, getdents64 against `ls -a`/`ls -ai`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { Errno } from '../../src/domain/kernel/errno.js';
import { SCRATCH, UNMAPPED, le, makeHarness, type KernelHarness } from './harness.js';

const AT_FDCWD = -100;
const O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0o100, O_TRUNC = 0o1000, O_APPEND = 0o2000;
const O_DIRECTORY = 0o40000, O_CLOEXEC = 0o2000000, O_LARGEFILE = 0o400000;
const AT_SYMLINK_NOFOLLOW = 0x100, AT_EMPTY_PATH = 0x1000;
const BUF = SCRATCH + 0x1000;
const err = (e: number) => BigInt(-e);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

let dir: string;
let h: KernelHarness;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'elfuse-fs-'));
  h = makeHarness();
});

async function open(path: string, flags = O_RDONLY, mode = 0o644): Promise<number> {
  const fd = await h.sys('openat', AT_FDCWD, h.cstr(path), flags, mode);
  expect(fd).toBeGreaterThanOrEqual(0n);
  return Number(fd);
}

describe('open/read/write/seek', () => {
  it('round-trips data with lowest-free fds, read/lseek/pread and close', async () => {
    writeFileSync(join(dir, 'a.txt'), 'hello, world\n');
    const fd = await open(join(dir, 'a.txt'));
    expect(fd).toBe(3); // 0, 1, 2 are the host's stdio
    expect(await h.sys('read', fd, BUF, 5)).toBe(5n);
    expect(text(h.read(BUF, 5))).toBe('hello');
    expect(await h.sys('lseek', fd, 0, 1 /* SEEK_CUR */)).toBe(5n);
    expect(await h.sys('read', fd, BUF, 100)).toBe(8n);
    expect(text(h.read(BUF, 8))).toBe(', world\n');
    expect(await h.sys('read', fd, BUF, 100)).toBe(0n); // EOF
    expect(await h.sys('pread64', fd, BUF, 5, 7)).toBe(5n);
    expect(text(h.read(BUF, 5))).toBe('world');
    expect(await h.sys('lseek', fd, 0, 1)).toBe(13n); // pread does not move the offset
    expect(await h.sys('lseek', fd, -6, 2 /* SEEK_END */)).toBe(7n);
    expect(await h.sys('lseek', fd, -100, 0)).toBe(err(Errno.EINVAL));
    expect(await h.sys('close', fd)).toBe(0n);
    expect(await h.sys('close', fd)).toBe(err(Errno.EBADF));
    expect(await open(join(dir, 'a.txt'))).toBe(3); // the number is free again
  });

  it('writes, appends and writev/readv with the file offset tracked by the kernel', async () => {
    const path = join(dir, 'w.txt');
    const fd = await open(path, O_WRONLY | O_CREAT | O_TRUNC);
    h.write(BUF, new TextEncoder().encode('abcdef'));
    expect(await h.sys('write', fd, BUF, 6)).toBe(6n);
    expect(await h.sys('lseek', fd, 2, 0)).toBe(2n);
    expect(await h.sys('write', fd, BUF, 2)).toBe(2n);
    expect(readFileSync(path, 'utf8')).toBe('ababef');
    expect(await h.sys('pwrite64', fd, BUF + 5, 1, 0)).toBe(1n);
    expect(readFileSync(path, 'utf8')).toBe('fbabef');
    expect(await h.sys('read', fd, BUF, 1)).toBe(err(Errno.EBADF)); // write-only

    const afd = await open(path, O_WRONLY | O_APPEND);
    expect(await h.sys('write', afd, BUF, 3)).toBe(3n);
    expect(await h.sys('lseek', afd, 0, 1)).toBe(9n);
    expect(readFileSync(path, 'utf8')).toBe('fbabefabc');

    // writev gathers two iovecs; readv scatters into two buffers.
    const iov = SCRATCH + 0x3000;
    h.write(BUF + 0x100, new TextEncoder().encode('XY'));
    h.write(iov, new Uint8Array(new BigUint64Array([BigInt(BUF + 0x100), 2n, BigInt(BUF), 3n]).buffer));
    expect(await h.sys('writev', afd, iov, 2)).toBe(5n);
    expect(readFileSync(path, 'utf8')).toBe('fbabefabcXYabc');
    const rfd = await open(path);
    h.write(iov, new Uint8Array(new BigUint64Array([BigInt(BUF + 0x200), 4n, BigInt(BUF + 0x300), 100n]).buffer));
    expect(await h.sys('readv', rfd, iov, 2)).toBe(14n);
    expect(text(h.read(BUF + 0x200, 4))).toBe('fbab');
    expect(text(h.read(BUF + 0x300, 10))).toBe('efabcXYabc');
    expect(await h.sys('readv', rfd, iov, 1025)).toBe(err(Errno.EINVAL)); // > UIO_MAXIOV
  });

  it('reports F_GETFL with O_LARGEFILE (64-bit force_o_largefile) and without O_CREAT/O_CLOEXEC', async () => {
    const fd = await open(join(dir, 'f'), O_RDWR | O_CREAT | O_CLOEXEC | O_APPEND);
    expect(await h.sys('fcntl', fd, 3 /* F_GETFL */)).toBe(BigInt(O_RDWR | O_APPEND | O_LARGEFILE));
    expect(await h.sys('fcntl', fd, 1 /* F_GETFD */)).toBe(1n);
    expect(await h.sys('fcntl', fd, 4 /* F_SETFL */, 0)).toBe(0n);
    expect(await h.sys('fcntl', fd, 3)).toBe(BigInt(O_RDWR | O_LARGEFILE));
  });
});

describe('fd table: dup, dup3, fcntl F_DUPFD', () => {
  it('follows dup(2) semantics: shared offset, FD_CLOEXEC per fd', async () => {
    writeFileSync(join(dir, 'd'), '0123456789');
    const fd = await open(join(dir, 'd'), O_RDONLY | O_CLOEXEC);
    const copy = Number(await h.sys('dup', fd));
    expect(copy).toBe(fd + 1);
    expect(await h.sys('fcntl', copy, 1)).toBe(0n); // dup clears FD_CLOEXEC
    await h.sys('read', fd, BUF, 3);
    expect(await h.sys('lseek', copy, 0, 1)).toBe(3n); // one open file description
    expect(await h.sys('dup3', fd, 10, O_CLOEXEC)).toBe(10n);
    expect(await h.sys('fcntl', 10, 1)).toBe(1n);
    expect(await h.sys('dup3', fd, fd, 0)).toBe(err(Errno.EINVAL));
    expect(await h.sys('dup3', fd, 11, 1)).toBe(err(Errno.EINVAL));
    expect(await h.sys('dup3', 99, 11, 0)).toBe(err(Errno.EBADF));
    expect(await h.sys('fcntl', fd, 1030 /* F_DUPFD_CLOEXEC */, 20)).toBe(20n);
    expect(await h.sys('fcntl', 20, 1)).toBe(1n);
    expect(await h.sys('fcntl', fd, 0 /* F_DUPFD */, 10)).toBe(11n); // lowest free >= 10
    await h.sys('close', fd);
    expect(await h.sys('read', copy, BUF, 2)).toBe(2n); // still open through the copy
    expect(text(h.read(BUF, 2))).toBe('34');
  });
});

describe('errno translation', () => {
  it('ENOENT, ENOTDIR, EISDIR, EEXIST, EBADF come back as Linux numbers', async () => {
    writeFileSync(join(dir, 'file'), 'x');
    expect(await h.sys('openat', AT_FDCWD, h.cstr(join(dir, 'nope')), 0, 0)).toBe(err(Errno.ENOENT));
    expect(await h.sys('openat', AT_FDCWD, h.cstr(join(dir, 'file', 'x')), 0, 0)).toBe(err(Errno.ENOTDIR));
    expect(await h.sys('openat', AT_FDCWD, h.cstr(join(dir, 'file')), O_DIRECTORY, 0)).toBe(err(Errno.ENOTDIR));
    expect(await h.sys('openat', AT_FDCWD, h.cstr(dir), O_WRONLY, 0)).toBe(err(Errno.EISDIR));
    expect(await h.sys('openat', AT_FDCWD, h.cstr(join(dir, 'file')), O_CREAT | 0o200 /* O_EXCL */, 0o600)).toBe(err(Errno.EEXIST));
    expect(await h.sys('openat', AT_FDCWD, h.cstr(''), 0, 0)).toBe(err(Errno.ENOENT));
    expect(await h.sys('read', 42, BUF, 1)).toBe(err(Errno.EBADF));
    expect(await h.sys('fstat', -1, BUF)).toBe(err(Errno.EBADF));
  });

  it('EFAULT for bad pointers, in and out', async () => {
    writeFileSync(join(dir, 'f'), 'data');
    expect(await h.sys('openat', AT_FDCWD, UNMAPPED, 0, 0)).toBe(err(Errno.EFAULT));
    const fd = await open(join(dir, 'f'));
    expect(await h.sys('read', fd, UNMAPPED, 4)).toBe(err(Errno.EFAULT));
    expect(await h.sys('fstat', fd, UNMAPPED)).toBe(err(Errno.EFAULT));
    expect(await h.sys('write', 1, UNMAPPED, 4)).toBe(err(Errno.EFAULT));
    expect(await h.sys('clock_gettime', 0, UNMAPPED)).toBe(err(Errno.EFAULT));
  });

  it('ENAMETOOLONG for a path without a NUL in PATH_MAX bytes', async () => {
    h.write(BUF, new Uint8Array(5000).fill(0x61));
    expect(await h.sys('openat', AT_FDCWD, BUF, 0, 0)).toBe(err(Errno.ENAMETOOLONG));
  });

  it('ENOTTY for terminal ioctls on a regular file; ESPIPE for lseek on a pipe-like fd', async () => {
    writeFileSync(join(dir, 'f'), 'data');
    const fd = await open(join(dir, 'f'));
    expect(await h.sys('ioctl', fd, 0x5401 /* TCGETS */, BUF)).toBe(err(Errno.ENOTTY));
    expect(await h.sys('ioctl', fd, 0x5413 /* TIOCGWINSZ */, BUF)).toBe(err(Errno.ENOTTY));
    expect(await h.sys('ioctl', fd, 0x541b /* FIONREAD */, BUF)).toBe(0n);
    expect(le(h.read(BUF, 4)).i32(0)).toBe(4);
  });
});

type StatFields = Record<'dev' | 'ino' | 'mode' | 'nlink' | 'uid' | 'gid' | 'size' | 'blocks' | 'atime' | 'mtime' | 'ctime' | 'blksize', bigint>;

/** `stat -c` fields of the host's own stat(1): the reference for struct stat. */
function hostStat(path: string, follow: boolean): StatFields {
  const fmt = '%d %i %f %h %u %g %s %b %X %Y %Z %o';
  const out = execFileSync('stat', [...(follow ? ['-L'] : []), '-c', fmt, path]).toString().trim().split(' ');
  const [dev, ino, modeHex, nlink, uid, gid, size, blocks, atime, mtime, ctime, ioblock] = out;
  return {
    dev: BigInt(dev!),
    ino: BigInt(ino!),
    mode: BigInt(parseInt(modeHex!, 16)),
    nlink: BigInt(nlink!),
    uid: BigInt(uid!),
    gid: BigInt(gid!),
    size: BigInt(size!),
    blocks: BigInt(blocks!),
    atime: BigInt(atime!),
    mtime: BigInt(mtime!),
    ctime: BigInt(ctime!),
    blksize: BigInt(ioblock!),
  };
}

/** Decodes the arm64 struct stat at the asm-generic offsets (checked against gcc in linux-abi.test.ts). */
function guestStat(bytes: Uint8Array): StatFields {
  const r = le(bytes);
  return {
    dev: r.u64(0),
    ino: r.u64(8),
    mode: BigInt(r.u32(16)),
    nlink: BigInt(r.u32(20)),
    uid: BigInt(r.u32(24)),
    gid: BigInt(r.u32(28)),
    size: r.i64(48),
    blocks: r.i64(64),
    atime: r.i64(72),
    mtime: r.i64(88),
    ctime: r.i64(104),
    blksize: BigInt(r.i32(56)),
  };
}

describe('stat family vs stat(1)', () => {
  beforeEach(() => {
    writeFileSync(join(dir, 'f'), 'x'.repeat(12345));
    symlinkSync('f', join(dir, 'link'));
  });

  it('newfstatat fills struct stat as the host stat command sees the file', async () => {
    expect(await h.sys('newfstatat', AT_FDCWD, h.cstr(join(dir, 'f')), BUF, 0)).toBe(0n);
    expect(guestStat(h.read(BUF, 128))).toEqual(hostStat(join(dir, 'f'), true));
  });

  it('AT_SYMLINK_NOFOLLOW stats the link; without it the target', async () => {
    expect(await h.sys('newfstatat', AT_FDCWD, h.cstr(join(dir, 'link')), BUF, AT_SYMLINK_NOFOLLOW)).toBe(0n);
    const st = guestStat(h.read(BUF, 128));
    expect(st).toEqual(hostStat(join(dir, 'link'), false));
    expect(st.mode & 0o170000n).toBe(0o120000n);
    expect(await h.sys('newfstatat', AT_FDCWD, h.cstr(join(dir, 'link')), BUF, 0)).toBe(0n);
    expect(guestStat(h.read(BUF, 128)).size).toBe(12345n);
  });

  it('fstat and AT_EMPTY_PATH stat the open file; dirfd-relative paths resolve under the directory', async () => {
    const fd = await open(join(dir, 'f'));
    const ref = hostStat(join(dir, 'f'), true);
    expect(await h.sys('fstat', fd, BUF)).toBe(0n);
    expect(guestStat(h.read(BUF, 128))).toEqual(ref);
    expect(await h.sys('newfstatat', fd, h.cstr(''), BUF, AT_EMPTY_PATH)).toBe(0n);
    expect(guestStat(h.read(BUF, 128))).toEqual(ref);
    expect(await h.sys('newfstatat', fd, h.cstr(''), BUF, 0)).toBe(err(Errno.ENOENT));
    expect(await h.sys('newfstatat', fd, h.cstr('x'), BUF, 0)).toBe(err(Errno.ENOTDIR));
    const dfd = await open(dir, O_DIRECTORY);
    expect(await h.sys('newfstatat', dfd, h.cstr('f'), BUF, 0)).toBe(0n);
    expect(guestStat(h.read(BUF, 128))).toEqual(ref);
    expect(await h.sys('newfstatat', dfd, h.cstr('f'), BUF, 0x8000)).toBe(err(Errno.EINVAL));
  });

  it('statx reports the same file in struct statx', async () => {
    const ref = hostStat(join(dir, 'f'), true);
    expect(await h.sys('statx', AT_FDCWD, h.cstr(join(dir, 'f')), 0, 0x7ff, BUF)).toBe(0n);
    const r = le(h.read(BUF, 256));
    expect(r.u32(0) & 0x7ff).toBe(0x7ff);
    expect(BigInt(r.u16(28))).toBe(ref.mode);
    expect([r.u64(32), r.u64(40), r.u64(48)]).toEqual([ref.ino, ref.size, ref.blocks]);
    expect(r.i64(112)).toBe(ref.mtime); // stx_mtime.tv_sec
    // stat(1) %d is st_dev; statx splits it into major/minor (glibc gnu_dev_major/minor).
    const major = ((ref.dev >> 8n) & 0xfffn) | ((ref.dev >> 32n) & ~0xfffn);
    const minor = (ref.dev & 0xffn) | ((ref.dev >> 12n) & ~0xffn);
    expect([BigInt(r.u32(136)), BigInt(r.u32(140))]).toEqual([major, minor]);
    expect(await h.sys('statx', AT_FDCWD, h.cstr(join(dir, 'f')), 0, 0x80000000, BUF)).toBe(err(Errno.EINVAL));
  });
});

/** Parses linux_dirent64 records: d_ino u64 @0, d_off s64 @8, d_reclen u16 @16, d_type u8 @18, name @19. */
function parseDirents(bytes: Uint8Array): { ino: bigint; off: bigint; type: number; name: string }[] {
  const out = [];
  for (let at = 0; at < bytes.length; ) {
    const r = le(bytes.subarray(at));
    const reclen = r.u16(16);
    const nameBytes = bytes.subarray(at + 19, at + reclen);
    out.push({ ino: r.u64(0), off: r.i64(8), type: bytes[at + 18]!, name: text(nameBytes.subarray(0, nameBytes.indexOf(0))) });
    expect(reclen % 8).toBe(0);
    at += reclen;
  }
  return out;
}

describe('getdents64 vs ls', () => {
  it('lists what `ls -ai` lists, with its inode numbers and the right d_type', async () => {
    writeFileSync(join(dir, 'regular'), '');
    mkdirSync(join(dir, 'sub'));
    symlinkSync('regular', join(dir, 'sym'));
    for (let i = 0; i < 40; i++) writeFileSync(join(dir, `file-with-a-longer-name-${i}`), '');
    const fd = await open(dir, O_DIRECTORY);
    const entries = [];
    for (;;) {
      const n = Number(await h.sys('getdents64', fd, BUF, 512)); // small buffer: several calls
      expect(n).toBeGreaterThanOrEqual(0);
      if (n === 0) break;
      entries.push(...parseDirents(h.read(BUF, n)));
    }
    const ls = execFileSync('ls', ['-ai1', dir]).toString().trim().split('\n').map((l) => {
      const m = /^\s*(\d+) (.*)$/.exec(l)!;
      return [m[2]!, BigInt(m[1]!)] as const;
    });
    expect(new Map(entries.map((e) => [e.name, e.ino]))).toEqual(new Map(ls));
    expect(entries.length).toBe(ls.length);
    const type = new Map(entries.map((e) => [e.name, e.type]));
    expect([type.get('.'), type.get('..'), type.get('regular'), type.get('sub'), type.get('sym')]).toEqual([4, 4, 8, 4, 10]);

    // d_off cookies are stable: seeking to one resumes right after that entry.
    const third = entries[2]!;
    expect(await h.sys('lseek', fd, third.off, 0)).toBe(third.off);
    const n = Number(await h.sys('getdents64', fd, BUF, 4096));
    expect(parseDirents(h.read(BUF, n))[0]!.name).toBe(entries[3]!.name);
    expect(await h.sys('lseek', fd, 0, 0)).toBe(0n);
    expect(await h.sys('getdents64', fd, BUF, 8)).toBe(err(Errno.EINVAL)); // too small for one record
  });

  it('ENOTDIR on a regular file', async () => {
    writeFileSync(join(dir, 'f'), '');
    const fd = await open(join(dir, 'f'));
    expect(await h.sys('getdents64', fd, BUF, 4096)).toBe(err(Errno.ENOTDIR));
  });
});

describe('path calls', () => {
  it('getcwd, chdir, fchdir, readlinkat, faccessat, mkdirat, unlinkat', async () => {
    const start = process.cwd();
    try {
      expect(await h.sys('chdir', h.cstr(dir))).toBe(0n);
      const real = execFileSync('pwd', ['-P'], { cwd: dir }).toString().trim();
      const n = await h.sys('getcwd', BUF, 4096);
      expect(text(h.read(BUF, Number(n)))).toBe(real + '\0');
      expect(await h.sys('getcwd', BUF, 2)).toBe(err(Errno.ERANGE));

      expect(await h.sys('mkdirat', AT_FDCWD, h.cstr('made'), 0o755)).toBe(0n);
      expect(await h.sys('mkdirat', AT_FDCWD, h.cstr('made'), 0o755)).toBe(err(Errno.EEXIST));
      symlinkSync('made', join(dir, 'ln'));
      expect(await h.sys('readlinkat', AT_FDCWD, h.cstr('ln'), BUF, 100)).toBe(4n);
      expect(text(h.read(BUF, 4))).toBe('made');
      expect(await h.sys('readlinkat', AT_FDCWD, h.cstr('ln'), BUF, 2)).toBe(2n); // truncated, no NUL
      expect(await h.sys('readlinkat', AT_FDCWD, h.cstr('made'), BUF, 100)).toBe(err(Errno.EINVAL));
      expect(await h.sys('faccessat', AT_FDCWD, h.cstr('made'), 4 /* R_OK */)).toBe(0n);
      expect(await h.sys('faccessat', AT_FDCWD, h.cstr('absent'), 0)).toBe(err(Errno.ENOENT));
      expect(await h.sys('faccessat2', AT_FDCWD, h.cstr('made'), 0, 0x4)).toBe(err(Errno.EINVAL));

      const dfd = await open(join(dir, 'made'), O_DIRECTORY);
      expect(await h.sys('fchdir', dfd)).toBe(0n);
      const m = await h.sys('getcwd', BUF, 4096);
      expect(text(h.read(BUF, Number(m)))).toBe(`${real}/made\0`);
      // The guest's cwd is elfuse's own, not the host process's.
      expect(process.cwd()).toBe(start);
      expect(await h.sys('unlinkat', AT_FDCWD, h.cstr(join(dir, 'made')), 0)).toBe(err(Errno.EISDIR));
      expect(await h.sys('unlinkat', AT_FDCWD, h.cstr(join(dir, 'ln')), 0)).toBe(0n);
      expect(await h.sys('unlinkat', AT_FDCWD, h.cstr(join(dir, 'made')), 0x200 /* AT_REMOVEDIR */)).toBe(0n);
    } finally {
      process.chdir(start);
    }
  });

  it('readlinkat("/proc/self/exe") names the guest executable', async () => {
    expect(await h.sys('readlinkat', AT_FDCWD, h.cstr('/proc/self/exe'), BUF, 100)).toBe(10n);
    expect(text(h.read(BUF, 10))).toBe('/bin/guest');
  });
});
