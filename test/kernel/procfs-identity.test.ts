/**
 * The synthetic /proc and /dev, prctl, affinity and limits through dispatch,
 * for what the differential guest runs cannot compare with qemu-aarch64
 * (qemu answers PR_GET_SECCOMP and the subreaper itself; the guest has one
 * vCPU), and --sysroot resolution through the real file syscalls on a temp
 * directory.
 */
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { Errno } from '../../src/domain/kernel/errno.js';
import { SCRATCH, le, makeHarness, type KernelHarness } from './harness.js';

const AT_FDCWD = -100;
const O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0o100, O_DIRECTORY = 0o40000;
const AT_SYMLINK_NOFOLLOW = 0x100;
const BUF = SCRATCH + 0x1000;
const err = (e: number) => BigInt(-e);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

let h: KernelHarness;

beforeEach(() => {
  h = makeHarness();
});

async function open(path: string, flags = O_RDONLY): Promise<number> {
  const fd = await h.sys('openat', AT_FDCWD, h.cstr(path), flags, 0o644);
  expect(fd, `open ${path}`).toBeGreaterThanOrEqual(0n);
  return Number(fd);
}

async function readAll(fd: number): Promise<string> {
  let out = '';
  for (;;) {
    const n = Number(await h.sys('read', fd, BUF, 4096));
    if (n <= 0) return out;
    out += text(h.read(BUF, n));
  }
}

async function names(fd: number): Promise<string[]> {
  const n = Number(await h.sys('getdents64', fd, BUF, 0x8000));
  const bytes = h.read(BUF, n);
  const out: string[] = [];
  for (let off = 0; off < n; ) {
    const reclen = le(bytes.subarray(off)).u16(16);
    const name = bytes.subarray(off + 19, off + reclen);
    out.push(text(name.subarray(0, name.indexOf(0))));
    off += reclen;
  }
  return out;
}

describe('/proc', () => {
  it('serves /proc/self files with small reads, seq-file seeks and stat', async () => {
    const fd = await open('/proc/self/status');
    expect(await h.sys('read', fd, BUF, 6)).toBe(6n);
    expect(text(h.read(BUF, 6))).toBe('Name:\t');
    expect(await h.sys('lseek', fd, 0, 2 /* SEEK_END */)).toBe(err(Errno.EINVAL));
    expect(await h.sys('lseek', fd, 0, 0)).toBe(0n);
    const all = await readAll(fd);
    expect(all).toMatch(new RegExp(`^Name:\\tguest\\n[^]*\\nPid:\\t${h.task.pid}\\n`));
    expect(await h.sys('fstat', fd, BUF)).toBe(0n);
    expect(le(h.read(BUF, 128)).u32(16) & 0o170000).toBe(0o100000); // st_mode: S_IFREG
    expect(le(h.read(BUF, 128)).i64(48)).toBe(0n); // st_size 0, as proc reports
    // proc files have no mmap.
    expect(await h.sys('mmap', 0, 4096, 1, 2 /* MAP_PRIVATE */, fd, 0)).toBe(err(Errno.ENODEV));
  });

  it('lists /proc, /proc/self and /proc/self/fd with getdents64', async () => {
    expect(await names(await open('/proc', O_DIRECTORY))).toEqual(expect.arrayContaining(['.', '..', String(h.task.pid), 'self', 'cpuinfo', 'sys']));
    const self = await open('/proc/self', O_DIRECTORY);
    expect((await names(self)).sort()).toEqual(
      [
        ...['.', '..', 'auxv', 'cmdline', 'comm', 'cwd', 'environ', 'exe', 'fd', 'fdinfo', 'limits', 'maps', 'mounts', 'net'],
        ...['oom_adj', 'oom_score', 'oom_score_adj', 'root', 'smaps', 'smaps_rollup', 'stat', 'status', 'task'],
      ].sort(),
    );
    const fds = await open('/proc/self/fd', O_DIRECTORY);
    expect(await names(fds)).toEqual(['.', '..', '0', '1', '2', '3', String(self), String(fds)]);
    // *at lookups relative to a /proc directory fd.
    const n = await h.sys('readlinkat', self, h.cstr('exe'), BUF, 100);
    expect(text(h.read(BUF, Number(n)))).toBe('/bin/guest');
    expect(await h.sys('openat', self, h.cstr('nope'), O_RDONLY, 0)).toBe(err(Errno.ENOENT));
  });

  it('readlink gives exe, cwd and fd targets; readlink of a non-link is EINVAL', async () => {
    const link = async (p: string) => {
      const n = await h.sys('readlinkat', AT_FDCWD, h.cstr(p), BUF, 4096);
      return n < 0n ? n : text(h.read(BUF, Number(n)));
    };
    expect(await link('/proc/self/exe')).toBe('/bin/guest');
    expect(await link(`/proc/${h.task.pid}/exe`)).toBe('/bin/guest');
    expect(await link('/proc/self/cwd')).toBe(process.cwd());
    expect(await link('/proc/self')).toBe(String(h.task.pid));
    const dir = mkdtempSync(join(tmpdir(), 'elfuse-procfd-'));
    writeFileSync(join(dir, 'f'), 'x');
    const fd = await open(join(dir, 'f'));
    expect(await link(`/proc/self/fd/${fd}`)).toBe(join(dir, 'f'));
    expect(await link('/proc/self/status')).toBe(err(Errno.EINVAL));
    expect(await link('/proc/self/fd/99')).toBe(err(Errno.ENOENT));
    const rel = await open('./test/../package.json');
    expect(await link(`/proc/self/fd/${rel}`)).toBe(join(process.cwd(), 'package.json'));
    // Opening the fd link opens the file again.
    expect(await readAll(await open(`/proc/self/fd/${fd}`))).toBe('x');
  });

  it('PR_SET_NAME shows in comm and status; writing comm renames the task', async () => {
    expect(await h.sys('prctl', 15 /* PR_SET_NAME */, h.cstr('worker-thread-number-7'))).toBe(0n);
    expect(await readAll(await open('/proc/self/comm'))).toBe('worker-thread-n\n');
    expect(await readAll(await open('/proc/self/status'))).toMatch(/^Name:\tworker-thread-n\n/);
    const fd = await open('/proc/self/comm', O_WRONLY);
    h.write(BUF, new TextEncoder().encode('renamed\n'));
    expect(await h.sys('write', fd, BUF, 8)).toBe(8n);
    expect(await h.sys('prctl', 16 /* PR_GET_NAME */, BUF + 0x100)).toBe(0n);
    expect(text(h.read(BUF + 0x100, 8))).toBe('renamed\0');
  });

  it('root may open a read-only proc file for writing, and the write is EINVAL; others get EACCES', async () => {
    h.task.cred.euid = 0;
    const fd = await open('/proc/self/maps', O_RDWR);
    expect(await h.sys('write', fd, BUF, 1)).toBe(err(Errno.EINVAL));
    h.task.cred.euid = 1000;
    expect(await h.sys('openat', AT_FDCWD, h.cstr('/proc/self/maps'), O_WRONLY, 0)).toBe(err(Errno.EACCES));
    expect(await h.sys('faccessat', AT_FDCWD, h.cstr('/proc/self/maps'), 2 /* W_OK */)).toBe(err(Errno.EACCES));
    expect(await h.sys('faccessat', AT_FDCWD, h.cstr('/proc/self/maps'), 4 /* R_OK */)).toBe(0n);
    expect(await h.sys('openat', AT_FDCWD, h.cstr('/proc/cpuinfo'), O_RDONLY | O_CREAT, 0)).toBeGreaterThanOrEqual(0n);
  });

  it('/proc/self/maps lists the address space in the kernel format', async () => {
    const maps = (await readAll(await open('/proc/self/maps'))).split('\n').filter((l) => l !== '');
    expect(maps).toHaveLength(h.task.as.vmas.length);
    expect(maps[0]).toBe('10000000-10100000 rw-p 00000000 00:00 0 '); // the harness's scratch mapping
  });

  it('stats a symlink with and without AT_SYMLINK_NOFOLLOW', async () => {
    expect(await h.sys('newfstatat', AT_FDCWD, h.cstr('/proc/self'), BUF, AT_SYMLINK_NOFOLLOW)).toBe(0n);
    expect(le(h.read(BUF, 128)).u32(16) & 0o170000).toBe(0o120000);
    expect(await h.sys('newfstatat', AT_FDCWD, h.cstr('/proc/self'), BUF, 0)).toBe(0n);
    expect(le(h.read(BUF, 128)).u32(16) & 0o170000).toBe(0o040000);
    expect(await h.sys('newfstatat', AT_FDCWD, h.cstr('/proc/nope'), BUF, 0)).toBe(err(Errno.ENOENT));
  });
});

describe('/dev', () => {
  it('null, zero, full and urandom behave as drivers/char/mem.c says', async () => {
    const full = await open('/dev/full', O_RDWR);
    expect(await h.sys('write', full, BUF, 1)).toBe(err(Errno.ENOSPC));
    h.write(BUF, new Uint8Array(16).fill(7));
    expect(await h.sys('read', full, BUF, 16)).toBe(16n);
    expect([...h.read(BUF, 16)].every((b) => b === 0)).toBe(true);
    const zero = await open('/dev/zero');
    expect(await h.sys('lseek', zero, 1234, 0)).toBe(0n);
    const nul = await open('/dev/null', O_RDWR);
    expect(await h.sys('read', nul, BUF, 16)).toBe(0n);
    expect(await h.sys('write', nul, BUF, 16)).toBe(16n);
    const dev = await open('/dev', O_DIRECTORY);
    expect((await names(dev)).sort()).toEqual(['.', '..', 'fd', 'full', 'null', 'ptmx', 'pts', 'random', 'shm', 'stderr', 'stdin', 'stdout', 'tty', 'urandom', 'zero']);
    // /dev/zero maps as zeroed memory.
    expect(await h.sys('mmap', 0, 4096, 3, 2, zero, 0)).toBeGreaterThan(0n);
  });
});

describe('prctl, affinity, rlimits', () => {
  it('answers what qemu-aarch64 answers itself: PR_GET_SECCOMP and the child subreaper', async () => {
    expect(await h.sys('prctl', 21 /* PR_GET_SECCOMP */)).toBe(0n);
    expect(await h.sys('prctl', 22 /* PR_SET_SECCOMP */, 1)).toBe(err(Errno.EINVAL));
    expect(await h.sys('prctl', 36 /* PR_SET_CHILD_SUBREAPER */, 1)).toBe(0n);
    expect(await h.sys('prctl', 37, BUF)).toBe(0n);
    expect(le(h.read(BUF, 4)).i32(0)).toBe(1);
    expect(await h.sys('prctl', 38 /* PR_SET_NO_NEW_PRIVS */, 1, 0, 0, 0)).toBe(0n);
    expect(await readAll(await open('/proc/self/status'))).toContain('\nNoNewPrivs:\t1\n');
    expect(await h.sys('prctl', 0x7fff)).toBe(err(Errno.EINVAL));
  });

  it('reports one CPU: affinity mask 1, getcpu 0', async () => {
    expect(await h.sys('sched_getaffinity', 0, 128, BUF)).toBe(8n);
    expect(h.read(BUF, 1)[0]).toBe(1);
    expect(await h.sys('sched_getaffinity', 0, 4, BUF)).toBe(err(Errno.EINVAL));
    h.write(BUF, new Uint8Array([2, 0, 0, 0, 0, 0, 0, 0]));
    expect(await h.sys('sched_setaffinity', 0, 8, BUF)).toBe(err(Errno.EINVAL));
    h.write(BUF, new Uint8Array([3, 0, 0, 0, 0, 0, 0, 0]));
    expect(await h.sys('sched_setaffinity', 0, 8, BUF)).toBe(0n);
    expect(await h.sys('getcpu', BUF, BUF + 4, 0)).toBe(0n);
    expect(le(h.read(BUF, 8)).u32(0)).toBe(0);
  });

  it('RLIMIT_NOFILE caps new fd numbers (EMFILE)', async () => {
    h.write(BUF, new Uint8Array(new BigUint64Array([5n, 5n]).buffer));
    expect(await h.sys('setrlimit', 7 /* RLIMIT_NOFILE */, BUF)).toBe(0n);
    expect(await open('/dev/null')).toBe(3);
    expect(await open('/dev/null')).toBe(4);
    expect(await h.sys('openat', AT_FDCWD, h.cstr('/dev/null'), O_RDONLY, 0)).toBe(err(Errno.EMFILE));
    expect(await h.sys('dup', 0)).toBe(err(Errno.EMFILE));
  });
});

describe('--sysroot through the file syscalls', () => {
  it('opens, stats, lists and readlinks inside the sysroot; unlink removes a link, not its target', async () => {
    const root = mkdtempSync(join(tmpdir(), 'elfuse-sr-'));
    mkdirSync(join(root, 'etc'));
    writeFileSync(join(root, 'etc/hosts'), 'inside\n');
    symlinkSync('/etc/hosts', join(root, 'etc/alias'));
    h = makeHarness({ sysroot: root });
    expect(await readAll(await open('/etc/hosts'))).toBe('inside\n');
    expect(await readAll(await open('/etc/alias'))).toBe('inside\n');
    const n = await h.sys('readlinkat', AT_FDCWD, h.cstr('/etc/alias'), BUF, 100);
    expect(text(h.read(BUF, Number(n)))).toBe('/etc/hosts');
    // The guest's /etc is the sysroot's names, then the names only the host's /etc has (each once).
    const listed = await names(await open('/etc', O_DIRECTORY));
    expect(listed.slice(0, 2)).toEqual(['.', '..']);
    expect(listed.filter((n) => n === 'hosts')).toHaveLength(1);
    expect(listed).toEqual(expect.arrayContaining(['alias', 'hosts', 'passwd']));
    expect(new Set(listed).size).toBe(listed.length);
    // Relative to a directory fd inside the sysroot, `..` stops at its top.
    const etc = await open('/etc', O_DIRECTORY);
    expect(await h.sys('openat', etc, h.cstr('../../../etc/hosts'), O_RDONLY, 0)).toBeGreaterThanOrEqual(0n);
    // New files go into the sysroot when their directory is there.
    expect(await open('/etc/new', O_WRONLY | O_CREAT)).toBeGreaterThanOrEqual(3);
    expect(existsSync(join(root, 'etc/new'))).toBe(true);
    expect(await h.sys('unlinkat', AT_FDCWD, h.cstr('/etc/alias'), 0)).toBe(0n);
    expect(readFileSync(join(root, 'etc/hosts'), 'utf8')).toBe('inside\n');
    expect(() => readlinkSync(join(root, 'etc/alias'))).toThrow();
    // Removing the sysroot's hosts must not uncover the host's /etc/hosts (a whiteout keeps it hidden).
    expect(await h.sys('unlinkat', AT_FDCWD, h.cstr('/etc/hosts'), 0)).toBe(0n);
    expect(await h.sys('openat', AT_FDCWD, h.cstr('/etc/hosts'), O_RDONLY, 0)).toBe(err(Errno.ENOENT));
    expect(await names(await open('/etc', O_DIRECTORY))).not.toContain('hosts');
    expect(existsSync('/etc/hosts')).toBe(true);
    // The sysroot's own directory is "/" for getcwd.
    const cwd = process.cwd();
    try {
      expect(await h.sys('chdir', h.cstr('/etc'))).toBe(0n);
      const len = await h.sys('getcwd', BUF, 256);
      expect(text(h.read(BUF, Number(len) - 1))).toBe('/etc');
    } finally {
      process.chdir(cwd);
    }
  });
});

describe('RLIMIT_AS and RLIMIT_DATA', () => {
  const setLimit = async (resource: number, value: bigint) => {
    h.write(BUF, new Uint8Array(new BigUint64Array([value, value]).buffer));
    expect(await h.sys('setrlimit', resource, BUF)).toBe(0n);
  };

  it('mmap past RLIMIT_AS is ENOMEM; MAP_FIXED over existing pages counts only the growth', async () => {
    const mapped = h.task.as.vmas.reduce((n, v) => n + (v.end - v.start), 0);
    await setLimit(9 /* RLIMIT_AS */, BigInt(mapped + 0x4000));
    const MAP_PRIVATE_ANON = 0x22;
    expect(await h.sys('mmap', 0, 0x5000, 3, MAP_PRIVATE_ANON, -1, 0)).toBe(err(Errno.ENOMEM));
    const va = await h.sys('mmap', 0, 0x4000, 3, MAP_PRIVATE_ANON, -1, 0);
    expect(va).toBeGreaterThan(0n);
    expect(await h.sys('mmap', 0, 0x1000, 3, MAP_PRIVATE_ANON, -1, 0)).toBe(err(Errno.ENOMEM));
    expect(await h.sys('mmap', va, 0x4000, 3, MAP_PRIVATE_ANON | 0x10 /* MAP_FIXED */, -1, 0)).toBe(va);
  });

  it('brk stops at RLIMIT_DATA and returns the old break', async () => {
    h.task.as.setBrk(0x2000_0000);
    const base = Number(await h.sys('brk', 0));
    await setLimit(2 /* RLIMIT_DATA */, 0x10000n);
    expect(await h.sys('brk', base + 0x8000)).toBe(BigInt(base + 0x8000));
    expect(await h.sys('brk', base + 0x20000)).toBe(BigInt(base + 0x8000));
  });
});

describe('O_PATH on synthetic nodes', () => {
  it('keeps only the name: fstat works, read is EBADF, a link can be held with O_NOFOLLOW', async () => {
    const O_PATH = 0o10000000, O_NOFOLLOW = 0o100000;
    const fd = await open('/proc/self/status', O_PATH);
    expect(await h.sys('read', fd, BUF, 10)).toBe(err(Errno.EBADF));
    expect(await h.sys('fstat', fd, BUF)).toBe(0n);
    const link = await open('/proc/self/exe', O_PATH | O_NOFOLLOW);
    expect(await h.sys('fstat', link, BUF)).toBe(0n);
    expect(le(h.read(BUF, 128)).u32(16) & 0o170000).toBe(0o120000);
    expect(await h.sys('openat', AT_FDCWD, h.cstr('/proc/self/exe'), O_NOFOLLOW, 0)).toBe(err(Errno.ELOOP));
  });
});

describe('nothing is created or removed in /proc and /dev', () => {
  it('mkdir, unlink and rename answer as proc does and never reach the host', async () => {
    expect(await h.sys('mkdirat', AT_FDCWD, h.cstr('/proc/self'), 0o755)).toBe(err(Errno.EEXIST));
    expect(await h.sys('mkdirat', AT_FDCWD, h.cstr('/proc/elfuse-new'), 0o755)).toBe(err(Errno.ENOENT));
    expect(await h.sys('mkdirat', AT_FDCWD, h.cstr('/dev/elfuse-new'), 0o755)).toBe(err(Errno.ENOENT));
    expect(existsSync('/dev/elfuse-new')).toBe(false);
    expect(await h.sys('unlinkat', AT_FDCWD, h.cstr('/proc/self/status'), 0)).toBe(err(Errno.EPERM));
    expect(await h.sys('unlinkat', AT_FDCWD, h.cstr('/dev/null'), 0)).toBe(err(Errno.EPERM));
    expect(existsSync('/dev/null')).toBe(true);
    expect(await h.sys('renameat', AT_FDCWD, h.cstr('/dev/null', 0xf0000), AT_FDCWD, h.cstr('/tmp/elfuse-null', 0xf1000))).toBe(err(Errno.EPERM));
  });
});
