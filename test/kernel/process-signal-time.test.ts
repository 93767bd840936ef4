/**
 * Process, signal, time and memory syscalls through dispatch. References:
 * uname(1)/hostname for utsname, the man pages for rt_sigprocmask,
 * rt_sigaction, prlimit and madvise semantics, date(1) for the wall clock.
 */
import { deliverSignals } from '../../src/domain/kernel/signal-deliver.js';
import type { UserContext } from '../../src/domain/kernel/task.js';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/domain/kernel/errno.js';
import { SCRATCH, UNMAPPED, le, makeHarness } from './harness.js';

const BUF = SCRATCH + 0x1000;
const err = (e: number) => BigInt(-e);
const u64s = (...v: bigint[]) => new Uint8Array(new BigUint64Array(v).buffer);
const field = (b: Uint8Array, off: number) => {
  const s = b.subarray(off, off + 65);
  return new TextDecoder().decode(s.subarray(0, s.indexOf(0)));
};

describe('identity and uname', () => {
  it('uname: sysname Linux, machine aarch64, nodename = host name, a 6.12 release', async () => {
    const h = makeHarness();
    expect(await h.sys('uname', BUF)).toBe(0n);
    const b = h.read(BUF, 390);
    expect(field(b, 0)).toBe('Linux');
    expect(field(b, 65)).toBe(execFileSync('uname', ['-n']).toString().trim());
    expect(field(b, 130)).toMatch(/^6\.12\./);
    expect(field(b, 260)).toBe('aarch64');
  });

  it('ids are the host process ids; set_tid_address returns the tid', async () => {
    const h = makeHarness();
    expect(await h.sys('getpid')).toBe(BigInt(process.pid));
    expect(await h.sys('gettid')).toBe(BigInt(process.pid));
    expect(await h.sys('getppid')).toBe(BigInt(process.ppid));
    expect(await h.sys('getuid')).toBe(BigInt(Number(execFileSync('id', ['-u']).toString())));
    expect(await h.sys('getegid')).toBe(BigInt(Number(execFileSync('id', ['-g']).toString())));
    expect(await h.sys('set_tid_address', BUF)).toBe(BigInt(process.pid));
    expect(h.task.clearChildTid).toBe(BigInt(BUF));
    expect(await h.sys('set_robust_list', BUF, 24)).toBe(0n);
    expect(await h.sys('set_robust_list', BUF, 16)).toBe(err(Errno.EINVAL));
    expect(await h.sys('getresuid', BUF, BUF + 4, BUF + 8)).toBe(0n);
    expect(le(h.read(BUF, 12)).u32(4)).toBe(process.geteuid!());
  });

  it('exit_group records the status (low 8 bits) for the run loop', async () => {
    const h = makeHarness();
    await h.sys('exit_group', 0x1ff);
    expect(h.task.exit).toEqual({ status: 0xff });
  });
});

describe('rlimits', () => {
  it('RLIMIT_STACK defaults to 8 MiB; prlimit64 reads old before setting new; cur > max is EINVAL', async () => {
    const h = makeHarness();
    expect(await h.sys('getrlimit', 3, BUF)).toBe(0n);
    expect([le(h.read(BUF, 16)).u64(0), le(h.read(BUF, 16)).u64(8)]).toEqual([8n << 20n, 0xffff_ffff_ffff_ffffn]);
    h.write(BUF + 0x100, u64s(256n, 4096n));
    expect(await h.sys('prlimit64', 0, 7 /* NOFILE */, BUF + 0x100, BUF)).toBe(0n);
    expect(le(h.read(BUF, 16)).u64(0)).toBe(1024n);
    expect(await h.sys('getrlimit', 7, BUF)).toBe(0n);
    expect(le(h.read(BUF, 16)).u64(0)).toBe(256n);
    h.write(BUF + 0x100, u64s(10n, 5n));
    expect(await h.sys('prlimit64', 0, 7, BUF + 0x100, 0)).toBe(err(Errno.EINVAL));
    expect(await h.sys('prlimit64', 0, 16, 0, BUF)).toBe(err(Errno.EINVAL));
    expect(await h.sys('prlimit64', 1, 7, 0, BUF)).toBe(err(Errno.ESRCH));
  });

  it('RLIMIT_NOFILE bounds new fds (EMFILE)', async () => {
    const h = makeHarness();
    h.write(BUF + 0x100, u64s(4n, 4096n));
    await h.sys('prlimit64', 0, 7, BUF + 0x100, 0);
    expect(await h.sys('dup', 0)).toBe(3n);
    expect(await h.sys('dup', 0)).toBe(err(Errno.EMFILE));
  });
});

describe('signals', () => {
  it('rt_sigprocmask: SIG_BLOCK/UNBLOCK/SETMASK, old mask out, SIGKILL/SIGSTOP never blocked', async () => {
    const h = makeHarness();
    const set = BUF, old = BUF + 8;
    const bit = (sig: number) => 1n << BigInt(sig - 1);
    h.write(set, u64s(bit(10) | bit(12)));
    expect(await h.sys('rt_sigprocmask', 0 /* SIG_BLOCK */, set, old, 8)).toBe(0n);
    expect(le(h.read(old, 8)).u64(0)).toBe(0n);
    h.write(set, u64s(bit(10)));
    expect(await h.sys('rt_sigprocmask', 1 /* SIG_UNBLOCK */, set, old, 8)).toBe(0n);
    expect(le(h.read(old, 8)).u64(0)).toBe(bit(10) | bit(12));
    h.write(set, u64s(bit(9) | bit(19) | bit(2)));
    expect(await h.sys('rt_sigprocmask', 2 /* SIG_SETMASK */, set, old, 8)).toBe(0n);
    expect(le(h.read(old, 8)).u64(0)).toBe(bit(12));
    expect(await h.sys('rt_sigprocmask', 0, 0, old, 8)).toBe(0n); // query only
    expect(le(h.read(old, 8)).u64(0)).toBe(bit(2));
    expect(await h.sys('rt_sigprocmask', 0, set, old, 16)).toBe(err(Errno.EINVAL)); // sigsetsize must be 8
    expect(await h.sys('rt_sigprocmask', 7, set, old, 8)).toBe(err(Errno.EINVAL));
    expect(await h.sys('rt_sigprocmask', 7, 0, old, 8)).toBe(0n); // how is ignored without a set
    expect(await h.sys('rt_sigprocmask', 0, UNMAPPED, 0, 8)).toBe(err(Errno.EFAULT));
  });

  it('rt_sigaction stores {handler, flags, restorer, mask} and returns the old one; SIGKILL/SIGSTOP are EINVAL', async () => {
    const h = makeHarness();
    const act = BUF, old = BUF + 0x40;
    h.write(act, u64s(0x400123n, 0x04000000n | 0x10000000n, 0x400999n, 1n << 8n /* SIGKILL in the mask */ | 2n));
    expect(await h.sys('rt_sigaction', 10, act, 0, 8)).toBe(0n);
    expect(await h.sys('rt_sigaction', 10, 0, old, 8)).toBe(0n);
    const r = le(h.read(old, 32));
    expect([r.u64(0), r.u64(8), r.u64(16), r.u64(24)]).toEqual([0x400123n, 0x14000000n, 0x400999n, 2n]);
    expect(await h.sys('rt_sigaction', 9, act, 0, 8)).toBe(err(Errno.EINVAL));
    expect(await h.sys('rt_sigaction', 19, act, 0, 8)).toBe(err(Errno.EINVAL));
    expect(await h.sys('rt_sigaction', 9, 0, old, 8)).toBe(0n); // reading SIGKILL's action is fine
    expect(await h.sys('rt_sigaction', 65, 0, old, 8)).toBe(err(Errno.EINVAL));
    expect(await h.sys('rt_sigaction', 10, act, 0, 4)).toBe(err(Errno.EINVAL));
  });

  it('kill/tgkill to self apply default actions: SIGTERM terminates, SIGCHLD is ignored, SIG_IGN ignores', async () => {
    const h = makeHarness();
    expect(await h.sys('kill', process.pid, 0)).toBe(0n);
    expect(await h.sys('kill', process.pid, 17 /* SIGCHLD */)).toBe(0n);
    expect(h.task.exit).toBeNull();
    h.write(BUF, u64s(1n /* SIG_IGN */, 0n, 0n, 0n));
    await h.sys('rt_sigaction', 15, BUF, 0, 8);
    expect(await h.sys('kill', process.pid, 15)).toBe(0n);
    expect(h.task.exit).toBeNull();
    // A pid above PID_MAX_LIMIT (2^22) never exists (kill reaches other processes through the host,
    // so a real pid such as 1 would be signalled when the tests run as root).
    expect(await h.sys('kill', 4194305, 15)).toBe(err(Errno.ESRCH));
    expect(await h.sys('kill', process.pid, 65)).toBe(err(Errno.EINVAL));
    // Blocked, SIGABRT stays pending; once unblocked, delivery applies the default action.
    h.task.sigmask = 1n << 5n;
    expect(await h.sys('tgkill', process.pid, process.pid, 6 /* SIGABRT */)).toBe(0n);
    expect(h.task.sigpending).toBe(1n << 5n);
    expect(h.task.exit).toBeNull();
    h.task.sigmask = 0n;
    deliverSignals(h.task, {} as UserContext, null);
    expect(h.task.exit).toEqual({ signal: 6, core: true });
  });

  it('an unblocked signal whose default action ends the process ends it when sent (complete_signal)', async () => {
    const h = makeHarness();
    expect(await h.sys('kill', process.pid, 15 /* SIGTERM */)).toBe(0n);
    expect(h.task.exit).toEqual({ signal: 15, core: false });
    expect(h.task.sigpending).toBe(0n);
  });
});

describe('time', () => {
  it('clock_gettime(CLOCK_REALTIME) agrees with date(1) and MONOTONIC never goes back', async () => {
    const h = makeHarness();
    const before = BigInt(execFileSync('date', ['+%s%N']).toString().trim());
    expect(await h.sys('clock_gettime', 0, BUF)).toBe(0n);
    const after = BigInt(execFileSync('date', ['+%s%N']).toString().trim());
    const r = le(h.read(BUF, 16));
    const ns = r.i64(0) * 1_000_000_000n + r.i64(8);
    expect(r.i64(8) >= 0n && r.i64(8) < 1_000_000_000n).toBe(true);
    // Realtime is derived from Date.now() at start (ms): allow 2 ms of slack each side.
    expect(ns >= before - 2_000_000n && ns <= after + 2_000_000n).toBe(true);
    let last = 0n;
    for (const clock of [1, 4, 6, 7, 1]) {
      expect(await h.sys('clock_gettime', clock, BUF)).toBe(0n);
      const t = le(h.read(BUF, 16)).i64(0) * 1_000_000_000n + le(h.read(BUF, 16)).i64(8);
      expect(t >= last).toBe(true);
      last = t;
    }
    expect(await h.sys('clock_gettime', 2, BUF)).toBe(0n); // PROCESS_CPUTIME_ID
    expect(await h.sys('clock_gettime', 3, BUF)).toBe(0n); // THREAD_CPUTIME_ID
    expect(await h.sys('clock_gettime', 10, BUF)).toBe(err(Errno.EINVAL));
    expect(await h.sys('clock_getres', 1, BUF)).toBe(0n);
    expect([le(h.read(BUF, 16)).i64(0), le(h.read(BUF, 16)).i64(8)]).toEqual([0n, 1n]);
    expect(await h.sys('clock_getres', 6, 0)).toBe(0n);
    expect(await h.sys('gettimeofday', BUF, 0)).toBe(0n);
    expect(le(h.read(BUF, 16)).i64(8) < 1_000_000n).toBe(true); // tv_usec
  });

  it('nanosleep resolves after the delay without blocking the event loop; bad tv_nsec is EINVAL', async () => {
    const h = makeHarness();
    h.write(BUF, u64s(0n, 30_000_000n));
    let ticks = 0;
    const timer = setInterval(() => ticks++, 2);
    const t0 = process.hrtime.bigint();
    const pending = h.sys('nanosleep', BUF, 0);
    expect(await pending).toBe(0n);
    clearInterval(timer);
    expect(process.hrtime.bigint() - t0 >= 30_000_000n).toBe(true);
    expect(ticks).toBeGreaterThan(0); // the JS thread kept running meanwhile
    h.write(BUF, u64s(0n, 1_000_000_000n));
    expect(await h.sys('nanosleep', BUF, 0)).toBe(err(Errno.EINVAL));
    // TIMER_ABSTIME in the past returns at once.
    h.write(BUF, u64s(0n, 0n));
    expect(await h.sys('clock_nanosleep', 1, 1, BUF, 0)).toBe(0n);
    expect(await h.sys('clock_nanosleep', 3, 0, BUF, 0)).toBe(err(Errno.EINVAL));
  });
});

describe('misc', () => {
  it('getrandom fills the buffer; bad flags are EINVAL', async () => {
    const h = makeHarness();
    expect(await h.sys('getrandom', BUF, 64, 0)).toBe(64n);
    expect(h.read(BUF, 64).some((b) => b !== 0)).toBe(true);
    expect(await h.sys('getrandom', BUF, 8, 0x8)).toBe(err(Errno.EINVAL));
    expect(await h.sys('getrandom', BUF, 8, 6)).toBe(err(Errno.EINVAL));
  });

  it('sysinfo reports uptime, RAM and mem_unit 1', async () => {
    const h = makeHarness();
    expect(await h.sys('sysinfo', BUF)).toBe(0n);
    const r = le(h.read(BUF, 112));
    const total = BigInt(/MemTotal:\s+(\d+)/.exec(execFileSync('cat', ['/proc/meminfo']).toString())![1]!) * 1024n;
    expect(r.u64(32)).toBe(total);
    expect(r.u32(104)).toBe(1);
    expect(r.i64(0)).toBeGreaterThan(0n);
  });
});

describe('memory', () => {
  it('mmap of a file (private) shows its bytes, zero past EOF; MADV_DONTNEED restores them after a store', async () => {
    const h = makeHarness();
    const dir = mkdtempSync(join(tmpdir(), 'elfuse-mm-'));
    const content = new Uint8Array(5000).map((_, i) => (i * 7) & 0xff);
    writeFileSync(join(dir, 'blob'), content);
    const fd = Number(await h.sys('openat', -100, h.cstr(join(dir, 'blob')), 0, 0));
    const va = Number(await h.sys('mmap', 0, 8192, 1 /* PROT_READ */, 2 /* MAP_PRIVATE */, fd, 0));
    expect(va % 4096).toBe(0);
    expect(h.read(va, 5000)).toEqual(content);
    expect(h.read(va + 5000, 3192).every((b) => b === 0)).toBe(true);
    expect(() => h.write(va, new Uint8Array([1]))).toThrow(); // PROT_READ only
    // offset mapping
    const va2 = Number(await h.sys('mmap', 0, 4096, 3, 2, fd, 4096));
    expect(h.read(va2, 904)).toEqual(content.subarray(4096));
    h.write(va2, new Uint8Array(16).fill(0xee));
    expect(await h.sys('madvise', va2, 4096, 4 /* MADV_DONTNEED */)).toBe(0n);
    expect(h.read(va2, 904)).toEqual(content.subarray(4096));
    expect(await h.sys('mmap', 0, 4096, 1, 2, fd, 100)).toBe(err(Errno.EINVAL)); // unaligned offset
    expect(await h.sys('mmap', 0, 4096, 3, 1 /* MAP_SHARED */, fd, 0)).toBe(err(Errno.EACCES)); // O_RDONLY fd
    expect(await h.sys('mmap', 0, 4096, 1, 2, 99, 0)).toBe(err(Errno.EBADF));
  });

  it('anonymous mmap is zeroed; MADV_DONTNEED zeroes it again; munmap makes it fault', async () => {
    const h = makeHarness();
    const va = Number(await h.sys('mmap', 0, 3 * 4096, 3, 0x22 /* MAP_PRIVATE|MAP_ANONYMOUS */, -1, 0));
    expect(h.read(va, 3 * 4096).every((b) => b === 0)).toBe(true);
    h.write(va, new Uint8Array(3 * 4096).fill(0x5a));
    expect(await h.sys('madvise', va + 4096, 4096, 4)).toBe(0n);
    expect(h.read(va, 1)[0]).toBe(0x5a);
    expect(h.read(va + 4096, 4096).every((b) => b === 0)).toBe(true);
    expect(h.read(va + 8192, 1)[0]).toBe(0x5a);
    expect(await h.sys('madvise', va + 1, 4096, 4)).toBe(err(Errno.EINVAL));
    expect(await h.sys('madvise', va, 4096, 999)).toBe(err(Errno.EINVAL));
    expect(await h.sys('madvise', va, 4096, 0 /* MADV_NORMAL */)).toBe(0n);
    expect(await h.sys('munmap', va, 3 * 4096)).toBe(0n);
    expect(await h.sys('madvise', va, 4096, 4)).toBe(err(Errno.ENOMEM));
    const fd = Number(await h.sys('openat', -100, h.cstr('/etc/hostname'), 0, 0));
    expect(await h.sys('read', fd, va, 1)).toBe(err(Errno.EFAULT));
    expect(await h.sys('lseek', fd, 0, 1)).toBe(0n); // nothing was consumed
    expect(await h.sys('mprotect', va, 4096, 1)).toBe(err(Errno.ENOMEM));
  });
});
