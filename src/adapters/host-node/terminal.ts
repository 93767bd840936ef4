/**
 * HostTerminal on Node.js: termios, window size, process group and fd
 * readiness through the small native addon in ./native/ (Node itself offers
 * only setRawMode), and resize notifications through Node's SIGWINCH.
 *
 * The addon hands over the host's struct termios as raw numbers plus the
 * host's own values of every flag name (its constants()). `termiosFromHost`
 * and `termiosToHost` translate between those and the port's host-neutral
 * HostTermios flag by flag, so the same code serves Linux and macOS hosts,
 * whose bit values differ. Host bits with no POSIX/Linux name (macOS's
 * NOKERNINFO, ALTWERASE, ...) are kept as they are when the guest sets a
 * termios.
 *
 * Without the addon (not built: no compiler, no Node headers) elfuse still
 * runs: isatty and the window size come from node:tty, and everything else
 * throws HostError('ENOSYS'), which the kernel reports honestly (ENOTTY for
 * the termios ioctls, ENOSYS for poll).
 */

import { createRequire } from 'node:module';
import { constants as osConstants } from 'node:os';
import * as tty from 'node:tty';
import { addonPath } from './install-root.js';
import {
  HostError,
  HostPoll,
  type HostPollRequest,
  type HostTcsetWhen,
  type HostTerminal,
  type HostTermios,
  type HostWinsize,
} from '../../ports/host.js';

/** The host's struct termios as the addon passes it: fields as numbers, speeds in bits per second. */
export interface NativeTermios {
  iflag: number;
  oflag: number;
  cflag: number;
  lflag: number;
  cc: number[];
  ispeed: number;
  ospeed: number;
}

/** The host's value of each termios name, grouped by field (the addon's constants()). */
export interface HostTermiosConstants {
  readonly iflag: Readonly<Record<string, number>>;
  readonly oflag: Readonly<Record<string, number>>;
  readonly cflag: Readonly<Record<string, number>>;
  readonly lflag: Readonly<Record<string, number>>;
  /** CSIZE and CS5..CS8. */
  readonly csize: Readonly<Record<string, number>>;
  /** c_cc index of each V* name. */
  readonly cc: Readonly<Record<string, number>>;
  readonly NCCS: number;
  /** _POSIX_VDISABLE: 0 on Linux, 0xff on macOS. */
  readonly VDISABLE: number;
}

interface NativeTty {
  constants(): HostTermiosConstants;
  tcgetattr(fd: number): NativeTermios;
  tcsetattr(fd: number, when: number, t: NativeTermios): void;
  getWinsize(fd: number): HostWinsize;
  setWinsize(fd: number, ws: HostWinsize): void;
  tcgetpgrp(fd: number): number;
  tcsetpgrp(fd: number, pgrp: number): void;
  tcgetsid(fd: number): number;
  isatty(fd: number): boolean;
  inQueue(fd: number): number;
  pollNow(spec: Int32Array): number[];
  pollWait(spec: Int32Array, timeoutMs: number, cb: (err: Error | null, bits: number[] | null) => void): void;
  wake(): void;
  exitNow(code: number): never;
  ptyNumber(fd: number): number;
  ptyLock(fd: number, lock?: boolean): boolean;
  ptyPeer(fd: number, access: number, noCtty: boolean, nonBlock: boolean): number;
  setCtty(fd: number, steal: boolean): void;
  dropCtty(fd: number): void;
}

/** VMIN and VTIME are counts, never "disabled" characters. */
const COUNT_CC = new Set(['VMIN', 'VTIME']);
const FIELDS = ['iflag', 'oflag', 'cflag', 'lflag'] as const;
const CHAR_SIZES = [5, 6, 7, 8] as const;

function namesSet(value: number, table: Readonly<Record<string, number>>): Set<string> {
  const names = new Set<string>();
  for (const [name, bit] of Object.entries(table)) {
    if (bit !== 0 && (value & bit) >>> 0 === bit >>> 0) names.add(name);
  }
  return names;
}

/** The host's termios as the port sees it. */
export function termiosFromHost(n: NativeTermios, k: HostTermiosConstants): HostTermios {
  const csize = (n.cflag & (k.csize.CSIZE ?? 0)) >>> 0;
  const charSize = CHAR_SIZES.find((bits) => (k.csize[`CS${bits}`] ?? -1) >>> 0 === csize) ?? 8;
  const cc: Record<string, number | null> = {};
  for (const [name, index] of Object.entries(k.cc)) {
    const v = n.cc[index] ?? 0;
    cc[name] = !COUNT_CC.has(name) && v === k.VDISABLE ? null : v;
  }
  return {
    iflag: namesSet(n.iflag, k.iflag),
    oflag: namesSet(n.oflag, k.oflag),
    cflag: namesSet(n.cflag, k.cflag),
    lflag: namesSet(n.lflag, k.lflag),
    charSize,
    cc,
    ispeed: n.ispeed,
    ospeed: n.ospeed,
  };
}

function applyNames(current: number, names: ReadonlySet<string>, table: Readonly<Record<string, number>>): number {
  let known = 0;
  let set = 0;
  for (const [name, bit] of Object.entries(table)) {
    known |= bit;
    if (names.has(name)) set |= bit;
  }
  return ((current & ~known) | set) >>> 0;
}

/** `t` as the host's termios, starting from the host's `current` so bits without a name keep their value. */
export function termiosToHost(t: HostTermios, current: NativeTermios, k: HostTermiosConstants): NativeTermios {
  const out: NativeTermios = { ...current, cc: [...current.cc] };
  for (const field of FIELDS) out[field] = applyNames(current[field], t[field], k[field]);
  const csizeMask = k.csize.CSIZE ?? 0;
  out.cflag = ((out.cflag & ~csizeMask) | (k.csize[`CS${t.charSize}`] ?? csizeMask)) >>> 0;
  for (const [name, index] of Object.entries(k.cc)) {
    if (!(name in t.cc)) continue;
    const v = t.cc[name];
    out.cc[index] = v === null || v === undefined ? (COUNT_CC.has(name) ? 0 : k.VDISABLE) : v;
  }
  out.ispeed = t.ispeed;
  out.ospeed = t.ospeed;
  return out;
}

/** Where the addon may be: ELFUSE_TTY_ADDON (empty: none), or the installation's build. */
function loadNative(): { native: NativeTty | null; why: string } {
  const require = createRequire(addonPath('elfuse_tty'));
  const override = process.env.ELFUSE_TTY_ADDON;
  const candidates =
    override !== undefined
      ? [override]
      : [addonPath('elfuse_tty')];
  let why = 'terminal addon not built (npm run build)';
  for (const path of candidates) {
    if (path === '') return { native: null, why: 'terminal addon disabled (ELFUSE_TTY_ADDON is empty)' };
    try {
      return { native: require(path) as NativeTty, why: '' };
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code !== 'MODULE_NOT_FOUND') why = `terminal addon failed to load: ${(err as Error).message}`;
    }
  }
  return { native: null, why };
}

const errnoNames = new Map<number, string>(Object.entries(osConstants.errno).map(([name, n]) => [n, name]));

/** The addon's errors carry the host errno number; the port speaks the host's errno names. */
function nativeError(operation: string, err: unknown): unknown {
  const errno = (err as { errno?: unknown } | null)?.errno;
  return typeof errno === 'number' ? new HostError(errnoNames.get(errno) ?? 'EIO', operation) : err;
}

function nativeCall<T>(operation: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw nativeError(operation, err);
  }
}

/** The longest timeout poll(2) takes: INT_MAX milliseconds. */
const POLL_MAX_MS = 2_147_483_647n;
const POLL_MAX_NS = POLL_MAX_MS * 1_000_000n;

const WHEN: Record<HostTcsetWhen, number> = { now: 0, drain: 1, flush: 2 };

function pollSpec(requests: readonly HostPollRequest[]): Int32Array {
  const spec = new Int32Array(requests.length * 2);
  requests.forEach((r, i) => {
    spec[2 * i] = r.fd;
    spec[2 * i + 1] = r.events & (HostPoll.READ | HostPoll.WRITE | HostPoll.RDHUP);
  });
  return spec;
}

export class NodeHostTerminal implements HostTerminal {
  private readonly native: NativeTty | null;
  /** Why the addon is absent, for the HostError the guest's ioctls get. */
  readonly unavailableReason: string;
  private consts: HostTermiosConstants | null = null;
  /** Each terminal's termios before the guest's first tcsetattr, for restoreModes(). */
  private readonly original = new Map<number, NativeTermios>();

  constructor() {
    const { native, why } = loadNative();
    this.native = native;
    this.unavailableReason = why;
  }

  private need(operation: string): NativeTty {
    if (!this.native) throw new HostError('ENOSYS', `${operation}: ${this.unavailableReason}`);
    return this.native;
  }

  private constants(n: NativeTty): HostTermiosConstants {
    this.consts ??= n.constants();
    return this.consts;
  }

  isatty(fd: number): boolean {
    return this.native ? this.native.isatty(fd) : tty.isatty(fd);
  }

  windowSize(fd: number): { rows: number; cols: number } | null {
    if (this.native) {
      try {
        const ws = this.native.getWinsize(fd);
        return { rows: ws.rows, cols: ws.cols };
      } catch {
        return null;
      }
    }
    // Node exposes the size through its stdout/stderr streams only.
    if (!tty.isatty(fd)) return null;
    for (const stream of [process.stdout, process.stderr]) {
      if (stream.isTTY && stream.columns) return { rows: stream.rows, cols: stream.columns };
    }
    return { rows: 24, cols: 80 };
  }

  getAttr(fd: number): HostTermios {
    const n = this.need('tcgetattr');
    return termiosFromHost(
      nativeCall('tcgetattr', () => n.tcgetattr(fd)),
      this.constants(n),
    );
  }

  setAttr(fd: number, when: HostTcsetWhen, termios: HostTermios): void {
    const n = this.need('tcsetattr');
    const current = nativeCall('tcgetattr', () => n.tcgetattr(fd));
    if (!this.original.has(fd)) this.original.set(fd, current);
    if (fd <= 2) this.keepModesOnExit(n);
    const next = termiosToHost(termios, current, this.constants(n));
    nativeCall('tcsetattr', () => n.tcsetattr(fd, WHEN[when], next));
  }

  getWinsize(fd: number): HostWinsize {
    if (!this.native) {
      // node:tty knows the size of the process's own terminal, without pixels.
      const ws = this.windowSize(fd);
      if (!ws) throw new HostError('ENOTTY', 'TIOCGWINSZ');
      return { ...ws, xpixel: 0, ypixel: 0 };
    }
    const n = this.native;
    return nativeCall('TIOCGWINSZ', () => n.getWinsize(fd));
  }

  setWinsize(fd: number, ws: HostWinsize): void {
    const n = this.need('TIOCSWINSZ');
    nativeCall('TIOCSWINSZ', () => n.setWinsize(fd, ws));
  }

  getForegroundPgrp(fd: number): number {
    const n = this.need('tcgetpgrp');
    return nativeCall('tcgetpgrp', () => n.tcgetpgrp(fd));
  }

  setForegroundPgrp(fd: number, pgrp: number): void {
    const n = this.need('tcsetpgrp');
    nativeCall('tcsetpgrp', () => n.tcsetpgrp(fd, pgrp));
  }

  getSessionId(fd: number): number {
    const n = this.need('tcgetsid');
    return nativeCall('tcgetsid', () => n.tcgetsid(fd));
  }

  ptyNumber(fd: number): number {
    const n = this.need('TIOCGPTN');
    return nativeCall('TIOCGPTN', () => n.ptyNumber(fd));
  }

  ptyLock(fd: number, lock?: boolean): boolean {
    const n = this.need('TIOCSPTLCK');
    return nativeCall('TIOCSPTLCK', () => (lock === undefined ? n.ptyLock(fd) : n.ptyLock(fd, lock)));
  }

  openPtyPeer(fd: number, access: 'r' | 'w' | 'rw', noCtty: boolean, nonBlock: boolean): number {
    const n = this.need('TIOCGPTPEER');
    return nativeCall('TIOCGPTPEER', () => n.ptyPeer(fd, access === 'r' ? 0 : access === 'w' ? 1 : 2, noCtty, nonBlock));
  }

  setControllingTerminal(fd: number, steal: boolean): void {
    const n = this.need('TIOCSCTTY');
    nativeCall('TIOCSCTTY', () => n.setCtty(fd, steal));
  }

  dropControllingTerminal(fd: number): void {
    const n = this.need('TIOCNOTTY');
    nativeCall('TIOCNOTTY', () => n.dropCtty(fd));
  }

  inputPending(fd: number): number {
    const n = this.need('FIONREAD');
    return nativeCall('FIONREAD', () => n.inQueue(fd));
  }

  pollNow(requests: readonly HostPollRequest[]): number[] {
    const n = this.need('poll');
    return nativeCall('poll', () => n.pollNow(pollSpec(requests)));
  }

  poll(requests: readonly HostPollRequest[], timeoutNs: bigint | null): Promise<number[] | null> {
    const n = this.need('poll');
    const spec = pollSpec(requests);
    const deadline = timeoutNs === null ? null : process.hrtime.bigint() + timeoutNs;
    return new Promise((resolve, reject) => {
      // poll(2) takes milliseconds as an int: round up so the guest never wakes early, and wait
      // again for what is left when the timeout is longer than INT_MAX ms (about 24.8 days).
      const wait = (): void => {
        const left = deadline === null ? -1n : deadline - process.hrtime.bigint();
        const ms = left < 0n ? (deadline === null ? -1 : 0) : Number(left >= POLL_MAX_NS ? POLL_MAX_MS : (left + 999_999n) / 1_000_000n);
        n.pollWait(spec, ms, (err, bits) => {
          if (err) reject(nativeError('poll', err));
          else if (bits !== null && ms === Number(POLL_MAX_MS) && bits.every((b) => b === 0)) wait();
          else resolve(bits);
        });
      };
      wait();
    });
  }

  interrupt(): void {
    this.native?.wake();
  }

  private keepingModes = false;

  /**
   * Node puts its stdio terminals back to their startup termios when it exits
   * (ResetStdio), which would undo what the guest set: `elfuse stty raw` must
   * leave the terminal raw, as the native command does. So once the guest has
   * set a stdio terminal, the process ends with _exit(2) after the 'exit'
   * listeners (stdout and stderr writes are synchronous, nothing is lost).
   */
  private keepModesOnExit(n: NativeTty): void {
    if (this.keepingModes) return;
    this.keepingModes = true;
    process.on('exit', (code) => n.exitNow(code)); // elfuse registers no other 'exit' listener
  }

  restoreModes(): void {
    const n = this.native;
    if (!n) return;
    for (const [fd, t] of this.original) {
      try {
        n.tcsetattr(fd, WHEN.now, t);
      } catch {
        // the terminal is gone: nothing to restore
      }
    }
    this.original.clear();
  }

  /** Node's SIGWINCH listener does not keep the process alive. */
  onResize(listener: () => void): () => void {
    const handler = (): void => listener();
    process.on('SIGWINCH', handler);
    return () => {
      process.off('SIGWINCH', handler);
    };
  }
}
