/**
 * The terminal ioctls, ppoll/pselect6 and SIGWINCH at the syscall boundary,
 * with a scripted HostTerminal (fd 0 is "the terminal") so the Linux side is
 * checked without a real tty: what reaches the port, what the guest reads
 * back, readiness and timeouts, and a resize interrupting a wait. The real
 * terminal is covered by test/e2e/vi-tmux.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { createNodeHostPorts } from '../../src/adapters/host-node/index.js';
import { Errno } from '../../src/domain/kernel/errno.js';
import { SIGWINCH } from '../../src/domain/kernel/linux-abi.js';
import { decodeLinuxTermios } from '../../src/domain/kernel/tty.js';
import { watchTerminalResize } from '../../src/domain/kernel/tty.js';
import { HostError, HostPoll, type HostPollRequest, type HostTerminal, type HostTermios, type HostWinsize } from '../../src/ports/host.js';
import { SCRATCH, le, makeHarness } from './harness.js';
import { ERESTARTNOHAND } from '../../src/domain/kernel/signal-deliver.js';

const err = (e: number): bigint => BigInt(-e);
const BUF = SCRATCH + 0x100;

class FakeTerminal implements HostTerminal {
  attr: HostTermios = decodeLinuxTermios(new Uint8Array(36));
  sets: { when: string; termios: HostTermios }[] = [];
  winsize: HostWinsize = { rows: 24, cols: 80, xpixel: 0, ypixel: 0 };
  ready = 0;
  pending: ((bits: number[] | null) => void) | null = null;
  resize: (() => void) | null = null;
  interrupted = 0;
  available = true;

  private check(fd: number): void {
    if (!this.available) throw new HostError('ENOSYS', 'no addon');
    if (fd !== 0) throw new HostError('ENOTTY', 'fake');
  }
  isatty = (fd: number): boolean => fd === 0;
  windowSize = (fd: number) => (fd === 0 ? this.winsize : null);
  getAttr = (fd: number): HostTermios => (this.check(fd), this.attr);
  setAttr = (fd: number, when: 'now' | 'drain' | 'flush', termios: HostTermios): void => {
    this.check(fd);
    this.sets.push({ when, termios });
    this.attr = termios;
  };
  getWinsize = (fd: number): HostWinsize => (this.check(fd), this.winsize);
  setWinsize = (fd: number, ws: HostWinsize): void => {
    this.check(fd);
    this.winsize = ws;
  };
  getForegroundPgrp = (fd: number): number => (this.check(fd), 4242);
  setForegroundPgrp = (fd: number): void => this.check(fd);
  getSessionId = (fd: number): number => (this.check(fd), 4200);
  inputPending = (fd: number): number => (this.check(fd), 3);
  // The scripted terminal is no pseudo-terminal master, as a real one would say.
  private notPty = (fd: number): never => {
    this.check(fd);
    throw new HostError('ENOTTY', 'not a master');
  };
  ptyNumber = (fd: number): number => this.notPty(fd);
  ptyLock = (fd: number): boolean => this.notPty(fd);
  openPtyPeer = (fd: number): number => this.notPty(fd);
  setControllingTerminal = (fd: number): void => this.check(fd);
  dropControllingTerminal = (fd: number): void => this.check(fd);
  pollNow = (reqs: readonly HostPollRequest[]): number[] => {
    if (!this.available) throw new HostError('ENOSYS', 'no addon');
    return reqs.map((r) => (r.fd === 0 ? this.ready & (r.events | HostPoll.HANGUP) : 0));
  };
  poll = (reqs: readonly HostPollRequest[]): Promise<number[] | null> =>
    new Promise((resolve) => {
      this.pending = (bits) => resolve(bits === null ? null : reqs.map(() => bits[0] ?? 0));
    });
  interrupt = (): void => {
    this.interrupted++;
    this.pending?.(null);
  };
  restoreModes = (): void => undefined;
  onResize = (listener: () => void): (() => void) => {
    this.resize = listener;
    return () => (this.resize = null);
  };
}

function setup() {
  const term = new FakeTerminal();
  const h = makeHarness({ host: { ...createNodeHostPorts(), terminal: term } });
  return { h, term };
}

/** A Linux struct termios: raw-ish flags, VMIN 0, VTIME 3. */
function rawTermios(): Uint8Array {
  const b = new Uint8Array(36);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, 0o40000, true); // IUTF8
  dv.setUint32(4, 0o4, true); // ONLCR (OPOST off)
  dv.setUint32(8, 0o277, true); // B38400 | CS8 | CREAD
  dv.setUint32(12, 0o1, true); // ISIG
  b[17 + 5] = 3; // VTIME
  b[17 + 6] = 0; // VMIN
  b[17 + 0] = 3; // VINTR
  return b;
}

describe('terminal ioctls', () => {
  it('TCSETS* hand the termios to the host with the matching action; TCGETS reads it back', async () => {
    const { h, term } = setup();
    h.write(BUF, rawTermios());
    expect(await h.sys('ioctl', 0, 0x5402 /* TCSETS */, BUF)).toBe(0n);
    expect(await h.sys('ioctl', 0, 0x5403 /* TCSETSW */, BUF)).toBe(0n);
    expect(await h.sys('ioctl', 0, 0x5404 /* TCSETSF */, BUF)).toBe(0n);
    expect(term.sets.map((s) => s.when)).toEqual(['now', 'drain', 'flush']);
    const t = term.sets[0]!.termios;
    expect([...t.iflag]).toEqual(['IUTF8']);
    expect([...t.oflag]).toEqual(['ONLCR']);
    expect([...t.lflag]).toEqual(['ISIG']);
    expect(t.cc.VMIN).toBe(0);
    expect(t.cc.VTIME).toBe(3);
    expect(await h.sys('ioctl', 0, 0x5401 /* TCGETS */, BUF + 64)).toBe(0n);
    expect(h.read(BUF + 64, 36)).toEqual(rawTermios());
  });

  it('window size, process group, session and FIONREAD come from the host terminal', async () => {
    const { h, term } = setup();
    term.winsize = { rows: 50, cols: 132, xpixel: 7, ypixel: 9 };
    expect(await h.sys('ioctl', 0, 0x5413 /* TIOCGWINSZ */, BUF)).toBe(0n);
    const r = le(h.read(BUF, 8));
    expect([r.u16(0), r.u16(2), r.u16(4), r.u16(6)]).toEqual([50, 132, 7, 9]);
    h.write(BUF, new Uint8Array([30, 0, 100, 0, 0, 0, 0, 0]));
    expect(await h.sys('ioctl', 0, 0x5414 /* TIOCSWINSZ */, BUF)).toBe(0n);
    expect(term.winsize).toEqual({ rows: 30, cols: 100, xpixel: 0, ypixel: 0 });
    expect(await h.sys('ioctl', 0, 0x540f /* TIOCGPGRP */, BUF)).toBe(0n);
    expect(le(h.read(BUF, 4)).i32(0)).toBe(4242);
    expect(await h.sys('ioctl', 0, 0x5429 /* TIOCGSID */, BUF)).toBe(0n);
    expect(le(h.read(BUF, 4)).i32(0)).toBe(4200);
    expect(await h.sys('ioctl', 0, 0x541b /* FIONREAD */, BUF)).toBe(0n);
    expect(le(h.read(BUF, 4)).i32(0)).toBe(3);
  });

  it('without the host termios (no addon) the termios ioctls say ENOTTY and --verbose says why', async () => {
    const term = new FakeTerminal();
    term.available = false;
    const h = makeHarness({ host: { ...createNodeHostPorts(), terminal: term }, verbose: true });
    expect(await h.sys('ioctl', 0, 0x5401, BUF)).toBe(err(Errno.ENOTTY));
    expect(h.lines.some((l) => l.includes('ioctl TCGETS on fd 0: no addon; returning ENOTTY'))).toBe(true);
    expect(await h.sys('ppoll', BUF + 64, 1, 0, 0, 8)).toBe(err(Errno.ENOSYS));
  });
});

/** struct pollfd array at BUF+64. */
function pollfds(h: ReturnType<typeof setup>['h'], ...entries: [number, number][]): number {
  const b = new Uint8Array(entries.length * 8);
  const dv = new DataView(b.buffer);
  entries.forEach(([fd, events], i) => {
    dv.setInt32(i * 8, fd, true);
    dv.setUint16(i * 8 + 4, events, true);
    dv.setUint16(i * 8 + 6, 0xffff, true); // revents is always written
  });
  h.write(BUF + 64, b);
  return BUF + 64;
}

function timespec(h: ReturnType<typeof setup>['h'], sec: number, nsec: number): number {
  const b = new Uint8Array(16);
  new DataView(b.buffer).setBigInt64(0, BigInt(sec), true);
  new DataView(b.buffer).setBigInt64(8, BigInt(nsec), true);
  h.write(BUF + 32, b);
  return BUF + 32;
}

const revents = (h: ReturnType<typeof setup>['h'], i: number): number => le(h.read(BUF + 64 + i * 8, 8)).u16(6);

describe('ppoll and pselect6', () => {
  it('ppoll: a ready terminal, an unready one with timeout 0, a bad fd (POLLNVAL) and a negative fd (ignored)', async () => {
    const { h, term } = setup();
    term.ready = HostPoll.READ | HostPoll.WRITE;
    const fds = pollfds(h, [0, 0x1 /* POLLIN */], [99, 0x1], [-1, 0x1]);
    expect(await h.sys('ppoll', fds, 3, timespec(h, 0, 0), 0, 8)).toBe(2n);
    expect([revents(h, 0), revents(h, 1), revents(h, 2)]).toEqual([0x1 /* POLLIN: only what was asked */, 0x20, 0]);
    term.ready = 0;
    expect(await h.sys('ppoll', pollfds(h, [0, 0x1]), 1, timespec(h, 0, 0), 0, 8)).toBe(0n);
    expect(revents(h, 0)).toBe(0);
  });

  it('ppoll waits on the host and reports what became ready; EINVAL for a bad timeout or sigsetsize', async () => {
    const { h, term } = setup();
    const fds = pollfds(h, [0, 0x1]);
    const result = h.sys('ppoll', fds, 1, timespec(h, 5, 0), 0, 8);
    await new Promise((r) => setTimeout(r, 10));
    expect(term.pending).not.toBeNull();
    // A host fd stays ready once it is (level-triggered), so the check after the wake sees it too.
    term.ready = HostPoll.READ;
    term.pending!([HostPoll.READ]);
    expect(await result).toBe(1n);
    expect(revents(h, 0)).toBe(0x1);
    // The time left is written back, less than the 5 s asked for.
    const left = le(h.read(BUF + 32, 16));
    expect(left.i64(0) * 1_000_000_000n + left.i64(8)).toBeLessThanOrEqual(5_000_000_000n);
    expect(left.i64(0)).toBeGreaterThanOrEqual(4n);
    expect(await h.sys('ppoll', fds, 1, timespec(h, 0, 1_000_000_000), 0, 8)).toBe(err(Errno.EINVAL));
    expect(await h.sys('ppoll', fds, 1, timespec(h, -1, 0), 0, 8)).toBe(err(Errno.EINVAL));
    expect(await h.sys('ppoll', fds, 1, timespec(h, 0, 0), BUF + 200, 4)).toBe(err(Errno.EINVAL));
  });

  it('ppoll on a regular file is ready at once for reading and writing (DEFAULT_POLLMASK)', async () => {
    const { h } = setup();
    // Any host regular file (/proc is elfuse's own now): the node binary running this test.
    const fd = Number(await h.sys('openat', -100, h.cstr(process.execPath), 0, 0));
    expect(fd).toBeGreaterThan(2);
    expect(await h.sys('ppoll', pollfds(h, [fd, 0x5 /* POLLIN|POLLOUT */]), 1, 0, 0, 8)).toBe(1n);
    expect(revents(h, 0)).toBe(0x5);
  });

  it('pselect6: read set of the terminal, EBADF for a closed fd, timeout clears the sets', async () => {
    const { h, term } = setup();
    term.ready = HostPoll.READ;
    h.write(BUF + 128, new Uint8Array([0b1, 0, 0, 0, 0, 0, 0, 0]));
    expect(await h.sys('pselect6', 1, BUF + 128, 0, 0, timespec(h, 0, 0), 0)).toBe(1n);
    expect(h.read(BUF + 128, 1)[0]).toBe(1);
    term.ready = 0;
    expect(await h.sys('pselect6', 1, BUF + 128, 0, 0, timespec(h, 0, 0), 0)).toBe(0n);
    expect(h.read(BUF + 128, 1)[0]).toBe(0);
    h.write(BUF + 128, new Uint8Array([0b1000_0000, 0, 0, 0, 0, 0, 0, 0])); // fd 7, not open
    expect(await h.sys('pselect6', 8, BUF + 128, 0, 0, timespec(h, 0, 0), 0)).toBe(err(Errno.EBADF));
  });
});

describe('SIGWINCH', () => {
  it('is discarded while the guest leaves it at its default (ignore)', () => {
    const { h, term } = setup();
    const stop = watchTerminalResize(h.task);
    term.resize!();
    expect(h.task.sigpending).toBe(0n);
    expect(term.interrupted).toBe(0);
    stop();
    expect(term.resize).toBeNull();
  });

  it('with a handler it becomes pending and ends a ppoll wait (ERESTARTNOHAND: EINTR once delivered)', async () => {
    const { h, term } = setup();
    const act = BUF + 300;
    const b = new Uint8Array(32);
    new DataView(b.buffer).setBigUint64(0, 0x400000n, true); // some handler address
    h.write(act, b);
    expect(await h.sys('rt_sigaction', SIGWINCH, act, 0, 8)).toBe(0n);
    watchTerminalResize(h.task);
    const result = h.sys('ppoll', pollfds(h, [0, 0x1]), 1, 0, 0, 8);
    await new Promise((r) => setTimeout(r, 10));
    term.resize!();
    // The kernel-internal code that signal delivery turns into EINTR after the handler (never restarted).
    expect(await result).toBe(err(ERESTARTNOHAND));
    expect(h.task.sigpending).toBe(1n << BigInt(SIGWINCH - 1));
  });

  it('blocked, it stays pending without interrupting', async () => {
    const { h, term } = setup();
    const b = new Uint8Array(32);
    new DataView(b.buffer).setBigUint64(0, 0x400000n, true);
    h.write(BUF + 300, b);
    await h.sys('rt_sigaction', SIGWINCH, BUF + 300, 0, 8);
    h.write(BUF + 400, new Uint8Array(new BigUint64Array([1n << BigInt(SIGWINCH - 1)]).buffer));
    await h.sys('rt_sigprocmask', 0 /* SIG_BLOCK */, BUF + 400, 0, 8);
    watchTerminalResize(h.task);
    term.resize!();
    expect(h.task.sigpending).toBe(1n << BigInt(SIGWINCH - 1));
    expect(term.interrupted).toBe(0);
  });
});
