/**
 * The Linux ABI module against the kernel's uapi headers for arm64: a C
 * program built with aarch64-linux-gnu-gcc prints every constant, struct
 * size and field offset we define, qemu-aarch64 runs it, and each value must
 * equal ours. Struct encoders are then checked field by field at those
 * offsets.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { referenceTools } from '../support/toolchain.js';
import * as abi from '../../src/domain/kernel/linux-abi.js';
import { Errno, errnoMessage, linuxErrnoFromHostCode } from '../../src/domain/kernel/errno.js';
import { le } from './harness.js';

// The reference: the uapi headers compiled by the cross toolchain and run on qemu-aarch64.
const refs = referenceTools('qemu-aarch64', 'aarch64-linux-gnu-gcc');

/** Our names that are not uapi macros (derived sizes, kernel-internal limits). */
const NOT_IN_UAPI = new Set([
  'MAX_RW_COUNT',
  'PAGE_SIZE',
  'SETFL_MASK',
  'UTSNAME_FIELD_LEN',
  'SIZEOF_STAT',
  'SIZEOF_STATX',
  'SIZEOF_UTSNAME',
  'SIZEOF_SYSINFO',
  'SIZEOF_RLIMIT',
  'SIZEOF_IOVEC',
  'SIZEOF_WINSIZE',
  'SIZEOF_TERMIOS',
  'SIZEOF_SIGACTION',
  'SIZEOF_SIGSET',
  'SIZEOF_TIMESPEC',
  'SIZEOF_TIMEVAL',
  'SIZEOF_FLOCK',
  'SIZEOF_STATFS',
  'VALID_OPEN_FLAGS',
  'S_IALLUGO',
  'MAXSYMLINKS',
  'ST_VALID',
  'OPEN_HOW_SIZE_VER0', // include/linux/fcntl.h, kernel-internal
  'RWF_NOAPPEND', // Linux 6.9, newer than the cross toolchain's headers
  'SIZEOF_SIGINFO',
  'SIZEOF_STACK_T',
  'SIZEOF_UCONTEXT',
  'SIZEOF_FPSIMD_CONTEXT',
  'SIZEOF_ESR_CONTEXT',
  'SIZEOF_SIGEVENT',
  'SIZEOF_ITIMERVAL',
  'SIZEOF_ITIMERSPEC',
  'SIZEOF_TMS',
  'SIGCONTEXT_RESERVED_SIZE',
  'USER_HZ',
  'SIZEOF_POLLFD',
  'SIZEOF_EPOLL_EVENT',
  'SIZEOF_SIGNALFD_SIGINFO',
  'SIZEOF_SOCKADDR_IN',
  'SIZEOF_SOCKADDR_IN6',
  'SIZEOF_SOCKADDR_UN',
  'SIZEOF_SOCKADDR_STORAGE',
  'SIZEOF_MSGHDR', // glibc's struct msghdr is the kernel's user_msghdr: checked by test/e2e/sockets.test.ts
  'SIZEOF_CMSGHDR',
  'SOCK_TYPE_MASK', // include/linux/net.h, kernel-internal
]);

const SIZES: Record<string, string> = {
  SIZEOF_STAT: 'struct stat',
  SIZEOF_STATX: 'struct statx',
  SIZEOF_UTSNAME: 'struct new_utsname',
  SIZEOF_SYSINFO: 'struct sysinfo',
  SIZEOF_RLIMIT: 'struct rlimit64',
  SIZEOF_IOVEC: 'struct iovec',
  SIZEOF_WINSIZE: 'struct winsize',
  SIZEOF_TERMIOS: 'struct termios',
  SIZEOF_SIGACTION: 'struct sigaction',
  SIZEOF_SIGSET: 'sigset_t',
  SIZEOF_TIMESPEC: 'struct __kernel_timespec',
  SIZEOF_TIMEVAL: 'struct __kernel_old_timeval',
  SIZEOF_FLOCK: 'struct flock',
  SIZEOF_STATFS: 'struct statfs',
  SIZEOF_SIGINFO: 'siginfo_t',
  SIZEOF_STACK_T: 'stack_t',
  SIZEOF_UCONTEXT: 'struct ucontext',
  SIZEOF_FPSIMD_CONTEXT: 'struct fpsimd_context',
  SIZEOF_ESR_CONTEXT: 'struct esr_context',
  SIZEOF_SIGEVENT: 'sigevent_t',
  SIZEOF_ITIMERVAL: 'struct itimerval',
  SIZEOF_ITIMERSPEC: 'struct __kernel_itimerspec',
  SIZEOF_TMS: 'struct tms',
  SIGCONTEXT_RESERVED_SIZE: '((struct sigcontext *)0)->__reserved',
  SIZEOF_POLLFD: 'struct pollfd',
  SIZEOF_EPOLL_EVENT: 'struct epoll_event',
  SIZEOF_SIGNALFD_SIGINFO: 'struct signalfd_siginfo',
  SIZEOF_SOCKADDR_IN: 'struct sockaddr_in',
  SIZEOF_SOCKADDR_IN6: 'struct sockaddr_in6',
  SIZEOF_SOCKADDR_UN: 'struct sockaddr_un',
  SIZEOF_SOCKADDR_STORAGE: 'struct __kernel_sockaddr_storage',
  SIZEOF_F_OWNER_EX: 'struct f_owner_ex',
};

const OFFSETS: [string, Record<string, number>][] = [
  ['struct stat', abi.StatOffset],
  ['struct statx', abi.StatxOffset],
  ['struct sysinfo', abi.SysinfoOffset],
  ['struct sigaction', abi.SigactionOffset],
  ['struct termios', abi.TermiosOffset],
  ['struct flock', abi.FlockOffset],
  ['struct statfs', abi.StatfsOffset],
  ['siginfo_t', abi.SiginfoOffset],
  ['stack_t', abi.StackTOffset],
  ['struct ucontext', abi.UcontextOffset],
  ['struct sigcontext', abi.SigcontextOffset],
  ['struct fpsimd_context', abi.FpsimdContextOffset],
  ['sigevent_t', abi.SigeventOffset],
];

function numericConstants(): [string, number][] {
  return Object.entries(abi).filter(
    (e): e is [string, number] => typeof e[1] === 'number' && /^_*[A-Z][A-Z0-9_]*$/.test(e[0]) && !NOT_IN_UAPI.has(e[0]),
  );
}

function cProgram(): string {
  const lines = [
    '#include <stdio.h>',
    '#include <stddef.h>',
    ...['asm/stat.h', 'linux/stat.h', 'linux/fcntl.h', 'linux/utsname.h', 'linux/sysinfo.h', 'asm/termbits.h', 'asm/ioctls.h']
      .concat(['asm/signal.h', 'linux/time.h', 'linux/time_types.h', 'linux/resource.h', 'linux/mman.h', 'linux/uio.h', 'linux/random.h'])
      .concat(['asm-generic/errno.h', 'asm/termios.h'])
      .concat(['linux/falloc.h', 'linux/fs.h', 'linux/openat2.h', 'linux/close_range.h', 'asm/statfs.h'])
      .concat(['asm/siginfo.h', 'linux/signal.h', 'asm/sigcontext.h', 'asm/ucontext.h', 'linux/times.h'])
      .concat(['asm-generic/errno.h', 'asm/termios.h', 'linux/poll.h', 'linux/sched.h', 'linux/wait.h'])
      .concat(['linux/eventpoll.h', 'linux/signalfd.h', 'linux/socket.h', 'linux/in.h', 'linux/in6.h', 'linux/un.h', 'asm/socket.h'])
      .map((h) => `#include <${h}>`),
    // Constants the uapi headers keep elsewhere or not at all (man pages give the values).
    '#ifndef F_OK',
    '#define F_OK 0',
    '#define X_OK 1',
    '#define W_OK 2',
    '#define R_OK 4',
    '#endif',
    '#define P(n) printf("%s\\t%lld\\n", #n, (long long)(n))',
    'int main(void) {',
  ];
  for (const [name] of numericConstants()) lines.push(`#ifdef ${name}`, `P(${name});`, '#else', `printf("${name}\\tMISSING\\n");`, '#endif');
  for (const [name] of Object.entries(Errno)) lines.push(`P(${name});`);
  for (const [ours, type] of Object.entries(SIZES)) lines.push(`printf("${ours}\\t%zu\\n", sizeof(${type}));`);
  for (const [type, fields] of OFFSETS) {
    for (const field of Object.keys(fields)) lines.push(`printf("${type}.${field}\\t%zu\\n", offsetof(${type}, ${field}));`);
  }
  lines.push('return 0; }');
  return lines.join('\n');
}

/** Constants only glibc's headers define (S_IF*, DT_*, SEEK_DATA/SEEK_HOLE): checked with a second program. */
function glibcProgram(names: string[]): string {
  const lines = ['#define _GNU_SOURCE', '#include <stdio.h>', '#include <dirent.h>', '#include <sys/stat.h>', '#include <unistd.h>'];
  lines.push('#include <sys/eventfd.h>', '#include <sys/timerfd.h>', '#include <sys/socket.h>');
  lines.push('int main(void) {');
  for (const name of names) lines.push(`printf("%s\\t%lld\\n", "${name}", (long long)(${name}));`);
  lines.push('return 0; }');
  return lines.join('\n');
}

function runC(dir: string, name: string, source: string): Map<string, string> {
  writeFileSync(join(dir, `${name}.c`), source);
  execFileSync('aarch64-linux-gnu-gcc', ['-static', '-O0', '-o', join(dir, name), join(dir, `${name}.c`)]);
  const out = execFileSync('/usr/bin/qemu-aarch64', [join(dir, name)]).toString();
  return new Map(out.trim().split('\n').map((l) => l.split('\t') as [string, string]));
}

function reference(): Map<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'elfuse-abi-'));
  const ref = runC(dir, 'uapi', cProgram());
  const missing = [...ref].filter(([, v]) => v === 'MISSING').map(([k]) => k);
  for (const [k, v] of runC(dir, 'glibc', glibcProgram(missing))) ref.set(k, v);
  return ref;
}

describe.skipIf(refs.skip)('linux-abi vs the arm64 uapi headers (compiled with aarch64-linux-gnu-gcc, run on qemu-aarch64)', () => {
  refs.check();
  const ref = reference();

  it('every flag and number constant has the arm64 value', () => {
    expect(numericConstants().length).toBeGreaterThan(150);
    const mismatches = numericConstants()
      .filter(([name, value]) => ref.get(name) !== String(value))
      .map(([name, value]) => `${name}: ours ${value}, kernel ${ref.get(name)}`);
    expect(mismatches).toEqual([]);
  });

  it('uses the arm64 values where they differ from x86', () => {
    expect([abi.O_DIRECTORY, abi.O_NOFOLLOW, abi.O_DIRECT, abi.O_LARGEFILE]).toEqual([0x4000, 0x8000, 0x10000, 0x20000]);
  });

  it('every errno matches asm-generic/errno.h', () => {
    const mismatches = Object.entries(Errno)
      .filter(([name, value]) => ref.get(name) !== String(value))
      .map(([name]) => name);
    expect(mismatches).toEqual([]);
  });

  it('struct sizes and field offsets match', () => {
    for (const [ours] of Object.entries(SIZES)) expect([ours, String(abi[ours as keyof typeof abi])]).toEqual([ours, ref.get(ours)]);
    for (const [type, fields] of OFFSETS) {
      for (const [field, off] of Object.entries(fields)) expect([`${type}.${field}`, String(off)]).toEqual([`${type}.${field}`, ref.get(`${type}.${field}`)]);
    }
  });
});

describe('struct encoders', () => {
  it('encodeStat puts each field at its asm-generic offset, times split into sec/nsec', () => {
    const st = {
      dev: 0x803n,
      ino: 0x1234_5678_9abcn,
      mode: 0o100644,
      nlink: 3,
      uid: 1000,
      gid: 100,
      rdev: 0n,
      size: 5000n,
      blksize: 4096,
      blocks: 16n,
      atimeNs: 1_700_000_000_123_456_789n,
      mtimeNs: -1n, // one nanosecond before the epoch: tv_sec -1, tv_nsec 999999999
      ctimeNs: 5n,
      btimeNs: 0n,
    };
    const r = le(abi.encodeStat(st));
    expect(r.u64(0)).toBe(0x803n);
    expect(r.u64(8)).toBe(0x1234_5678_9abcn);
    expect(r.u32(16)).toBe(0o100644);
    expect([r.u32(20), r.u32(24), r.u32(28)]).toEqual([3, 1000, 100]);
    expect([r.i64(48), r.i32(56), r.i64(64)]).toEqual([5000n, 4096, 16n]);
    expect([r.i64(72), r.u64(80)]).toEqual([1_700_000_000n, 123_456_789n]);
    expect([r.i64(88), r.u64(96)]).toEqual([-1n, 999_999_999n]);
    expect([r.i64(104), r.u64(112)]).toEqual([0n, 5n]);
  });

  it('linuxMajor/linuxMinor follow glibc gnu_dev_major/minor (makedev(8, 3) = 0x803, makedev(259, 65536))', () => {
    expect([abi.linuxMajor(0x803n), abi.linuxMinor(0x803n)]).toEqual([8, 3]);
    // makedev(259, 65536) per glibc: ((maj & 0xfff) << 8) | ((maj & ~0xfff) << 32) | (min & 0xff) | ((min & ~0xff) << 12)
    const dev = (259n << 8n) | ((65536n & ~0xffn) << 12n);
    expect([abi.linuxMajor(dev), abi.linuxMinor(dev)]).toEqual([259, 65536]);
  });

  it('timespec round-trips and rejects tv_nsec outside [0, 1e9)', () => {
    expect(abi.decodeTimespec(abi.encodeTimespec(1_500_000_000n))).toBe(1_500_000_000n);
    const bad = new abi.StructWriter(16).i64(0, 1n).i64(8, 1_000_000_000n).bytes;
    expect(abi.decodeTimespec(bad)).toBeNull();
  });

  it('linux_dirent64 records are 8-byte aligned (fs/readdir.c: ALIGN(offsetof(d_name) + namlen + 1, 8))', () => {
    expect(abi.linuxDirent64Reclen(1)).toBe(24);
    expect(abi.linuxDirent64Reclen(4)).toBe(24);
    expect(abi.linuxDirent64Reclen(5)).toBe(32);
  });
});

describe('errno translation', () => {
  it('maps host codes by name, macOS-only codes to their Linux meaning, unknown to EIO', () => {
    expect(linuxErrnoFromHostCode('ENOENT')).toBe(2);
    expect(linuxErrnoFromHostCode('ENOTSUP')).toBe(95);
    expect(linuxErrnoFromHostCode('EWOULDBLOCK')).toBe(11);
    expect(linuxErrnoFromHostCode('ENOATTR')).toBe(61);
    expect(linuxErrnoFromHostCode('SOMETHING_ELSE')).toBe(5);
    expect(errnoMessage('ENOENT')).toBe('No such file or directory');
    expect(errnoMessage(13)).toBe('Permission denied');
  });
});
