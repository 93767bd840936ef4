/**
 * Terminals (drivers/tty/tty_ioctl.c, tty_io.c): the termios, window-size
 * and process-group ioctls on a guest fd that is the host's terminal, and
 * SIGWINCH when that terminal is resized.
 *
 * elfuse has no line discipline of its own: the guest's termios is put on
 * the host's real terminal, so echo, canonical editing, VMIN/VTIME and
 * signal characters are done by the host kernel, exactly as the guest asked.
 * Pseudo-terminals are the host's: /dev/ptmx opens a host master
 * (devfs.ts), /dev/pts/N is the host's slave, and the master's requests
 * (TIOCGPTN, TIOCSPTLCK, TIOCGPTLCK, TIOCGPTPEER) and the controlling
 * terminal's (TIOCSCTTY, TIOCNOTTY) act on them, for the host process that
 * is the guest process.
 *
 * The Linux struct termios (36 bytes: c_iflag, c_oflag, c_cflag, c_lflag,
 * c_line, c_cc[19]) is translated here to the port's host-neutral HostTermios
 * (flags by name) and back; the host adapter maps names to the host's bits.
 */

import { HostError, type HostTcsetWhen, type HostTermios } from '../../ports/host.js';
import { Errno } from './errno.js';
import { OpenFile } from './fd-table.js';
import { fileOf } from './fs-util.js';
import {
  O_ACCMODE,
  O_CLOEXEC,
  O_NOCTTY,
  O_NONBLOCK,
  O_RDONLY,
  O_WRONLY,
  BAUD_RATES,
  BAUD_RATES_EX,
  CBAUD,
  CBAUDEX,
  CIBAUD,
  CSIZE,
  IBSHIFT,
  SIGWINCH,
  SIZEOF_TERMIOS,
  SIZEOF_WINSIZE,
  StructReader,
  StructWriter,
  TCGETS,
  TCSETS,
  TCSETSF,
  TCSETSW,
  TERMIOS_CC,
  TERMIOS_FLAGS,
  TIOCGPGRP,
  TIOCGPTLCK,
  TIOCGPTN,
  TIOCGPTPEER,
  TIOCGSID,
  TIOCGWINSZ,
  TIOCNOTTY,
  TIOCSCTTY,
  TIOCSPTLCK,
  TIOCSPGRP,
  TIOCSWINSZ,
  TermiosOffset,
} from './linux-abi.js';
import { postHostSignal } from './signal-deliver.js';
import { SyscallError } from './syscall-args.js';
import type { Task } from './task.js';

type TermiosField = keyof typeof TERMIOS_FLAGS;
const FIELDS = Object.keys(TERMIOS_FLAGS) as TermiosField[];
const PORT_FIELD = { c_iflag: 'iflag', c_oflag: 'oflag', c_cflag: 'cflag', c_lflag: 'lflag' } as const;
/** VMIN and VTIME are counts; every other c_cc entry is a character, 0 meaning disabled. */
const COUNT_CC = new Set<string>(['VMIN', 'VTIME']);

function speedFromCode(code: number): number | null {
  if (code & CBAUDEX) return BAUD_RATES_EX[(code & ~CBAUDEX) - 1] ?? null;
  return BAUD_RATES[code] ?? null;
}

function codeFromSpeed(bps: number): number {
  const low = BAUD_RATES.indexOf(bps as (typeof BAUD_RATES)[number]);
  if (low >= 0) return low;
  const high = BAUD_RATES_EX.indexOf(bps as (typeof BAUD_RATES_EX)[number]);
  return high >= 0 ? CBAUDEX | (high + 1) : 0o17; // an unnamed rate reads back as B38400
}

/** A guest's struct termios (TCSETS*) as the port's HostTermios. */
export function decodeLinuxTermios(bytes: Uint8Array): HostTermios {
  const r = new StructReader(bytes);
  const O = TermiosOffset;
  const sets = {} as Record<TermiosField, Set<string>>;
  for (const field of FIELDS) {
    const value = r.u32(O[field]);
    sets[field] = new Set(
      Object.entries(TERMIOS_FLAGS[field])
        .filter(([, bit]) => (value & bit) >>> 0 === bit)
        .map(([name]) => name),
    );
  }
  const cflag = r.u32(O.c_cflag);
  const ospeed = speedFromCode(cflag & CBAUD) ?? 38400;
  const icode = (cflag & CIBAUD) >>> IBSHIFT;
  const ispeed = icode === 0 ? ospeed : (speedFromCode(icode) ?? ospeed);
  const cc: Record<string, number | null> = {};
  for (const [name, index] of Object.entries(TERMIOS_CC)) {
    const v = bytes[O.c_cc + index] ?? 0;
    cc[name] = v === 0 && !COUNT_CC.has(name) ? null : v;
  }
  return {
    iflag: sets.c_iflag,
    oflag: sets.c_oflag,
    cflag: sets.c_cflag,
    lflag: sets.c_lflag,
    charSize: (5 + ((cflag & CSIZE) >>> 4)) as 5 | 6 | 7 | 8,
    cc,
    ispeed,
    ospeed,
  };
}

/** The port's HostTermios as the guest's struct termios (TCGETS); c_line is N_TTY (0). */
export function encodeLinuxTermios(t: HostTermios): Uint8Array {
  const O = TermiosOffset;
  const w = new StructWriter(SIZEOF_TERMIOS);
  for (const field of FIELDS) {
    let value = 0;
    for (const [name, bit] of Object.entries(TERMIOS_FLAGS[field])) if (t[PORT_FIELD[field]].has(name)) value |= bit;
    if (field === 'c_cflag') {
      value |= ((t.charSize - 5) << 4) & CSIZE;
      value |= codeFromSpeed(t.ospeed);
      // CIBAUD stays 0 ("same as output") unless the input speed differs, as tty_termios_encode_baud_rate does.
      if (t.ispeed !== t.ospeed) value |= codeFromSpeed(t.ispeed) << IBSHIFT;
    }
    w.u32(O[field], value >>> 0);
  }
  for (const [name, index] of Object.entries(TERMIOS_CC)) w.u8(O.c_cc + index, t.cc[name] ?? 0);
  return w.bytes;
}

function ttyFile(task: Task, fd: number): OpenFile {
  const file = fileOf(task, fd);
  if (file.kind !== 'tty') throw new SyscallError(Errno.ENOTTY);
  return file;
}

const TCSET_WHEN: Readonly<Record<number, HostTcsetWhen>> = { [TCSETS]: 'now', [TCSETSW]: 'drain', [TCSETSF]: 'flush' };

/** The requests ttyIoctl answers. */
export const TTY_IOCTLS: ReadonlySet<number> = new Set([
  TCGETS,
  TCSETS,
  TCSETSW,
  TCSETSF,
  TIOCGWINSZ,
  TIOCSWINSZ,
  TIOCGPGRP,
  TIOCSPGRP,
  TIOCGSID,
  TIOCSCTTY,
  TIOCNOTTY,
  TIOCGPTN,
  TIOCSPTLCK,
  TIOCGPTLCK,
  TIOCGPTPEER,
]);

const REQUEST_NAMES: Readonly<Record<number, string>> = {
  [TCGETS]: 'TCGETS',
  [TCSETS]: 'TCSETS',
  [TCSETSW]: 'TCSETSW',
  [TCSETSF]: 'TCSETSF',
  [TIOCGWINSZ]: 'TIOCGWINSZ',
  [TIOCSWINSZ]: 'TIOCSWINSZ',
  [TIOCGPGRP]: 'TIOCGPGRP',
  [TIOCSPGRP]: 'TIOCSPGRP',
  [TIOCGSID]: 'TIOCGSID',
  [TIOCSCTTY]: 'TIOCSCTTY',
  [TIOCNOTTY]: 'TIOCNOTTY',
  [TIOCGPTN]: 'TIOCGPTN',
  [TIOCSPTLCK]: 'TIOCSPTLCK',
  [TIOCGPTLCK]: 'TIOCGPTLCK',
  [TIOCGPTPEER]: 'TIOCGPTPEER',
};

/** ioctl(2) for the terminal requests in TTY_IOCTLS, on the host's terminal behind `fd`. */
export function ttyIoctl(task: Task, fd: number, req: number, arg: number): number {
  const file = ttyFile(task, fd);
  const term = task.host.terminal;
  const hostFd = file.hostFd;
  try {
    switch (req) {
      case TCGETS:
        task.mem.write(arg, encodeLinuxTermios(term.getAttr(hostFd)));
        return 0;
      case TCSETS:
      case TCSETSW:
      case TCSETSF: {
        const t = decodeLinuxTermios(task.mem.read(arg, SIZEOF_TERMIOS));
        term.setAttr(hostFd, TCSET_WHEN[req] ?? 'now', t);
        return 0;
      }
      case TIOCGWINSZ: {
        const ws = term.getWinsize(hostFd);
        const w = new StructWriter(SIZEOF_WINSIZE).u16(0, ws.rows).u16(2, ws.cols).u16(4, ws.xpixel).u16(6, ws.ypixel);
        task.mem.write(arg, w.bytes);
        return 0;
      }
      case TIOCSWINSZ: {
        const r = new StructReader(task.mem.read(arg, SIZEOF_WINSIZE));
        term.setWinsize(hostFd, { rows: r.u16(0), cols: r.u16(2), xpixel: r.u16(4), ypixel: r.u16(6) });
        return 0;
      }
      case TIOCGPGRP:
        task.mem.write(arg, new StructWriter(4).i32(0, term.getForegroundPgrp(hostFd)).bytes);
        return 0;
      case TIOCSPGRP:
        term.setForegroundPgrp(hostFd, new StructReader(task.mem.read(arg, 4)).i32(0));
        return 0;
      case TIOCGSID:
        task.mem.write(arg, new StructWriter(4).i32(0, term.getSessionId(hostFd)).bytes);
        return 0;
      case TIOCSCTTY:
        // The argument is the value itself: 1 steals the terminal from another session (CAP_SYS_ADMIN).
        term.setControllingTerminal(hostFd, arg === 1);
        return 0;
      case TIOCNOTTY:
        term.dropControllingTerminal(hostFd);
        return 0;
      case TIOCGPTN:
        task.mem.write(arg, new StructWriter(4).u32(0, term.ptyNumber(hostFd)).bytes);
        return 0;
      case TIOCSPTLCK:
        term.ptyLock(hostFd, new StructReader(task.mem.read(arg, 4)).i32(0) !== 0);
        return 0;
      case TIOCGPTLCK:
        task.mem.write(arg, new StructWriter(4).i32(0, term.ptyLock(hostFd) ? 1 : 0).bytes);
        return 0;
      case TIOCGPTPEER:
        return openPtyPeer(task, file, arg);
      default:
        return -Errno.ENOTTY;
    }
  } catch (err) {
    // The host cannot reach its terminal's settings (the native addon is missing): say so, and
    // answer as Linux does for a device without termios, so isatty() is false and programs fall back.
    if (err instanceof HostError && err.code === 'ENOSYS') {
      task.trace(`elfuse: ioctl ${REQUEST_NAMES[req] ?? req} on fd ${fd}: ${err.operation}; returning ENOTTY`);
      return -Errno.ENOTTY;
    }
    throw err;
  }
}

/**
 * TIOCGPTPEER (ptm_open_peer): the master's slave as a new fd, the open
 * flags in the argument itself; the fd's path is /dev/pts/N, as Linux's
 * /proc/self/fd shows it and ttyname finds it.
 */
function openPtyPeer(task: Task, master: OpenFile, arg: number): number {
  // Linux takes any flags here (get_unused_fd_flags, dentry_open); these are the ones that mean something.
  const flags = arg & (O_ACCMODE | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  const term = task.host.terminal;
  const n = term.ptyNumber(master.hostFd);
  const fd = task.fds.lowestFree(0, task.fdLimit);
  if (fd < 0) return -Errno.EMFILE;
  const acc = flags & O_ACCMODE;
  const access = acc === O_RDONLY ? 'r' : acc === O_WRONLY ? 'w' : 'rw';
  const hostFd = term.openPtyPeer(master.hostFd, access, (flags & O_NOCTTY) !== 0, (flags & O_NONBLOCK) !== 0);
  const file = new OpenFile(hostFd, `/dev/pts/${n}`, flags & ~(O_NOCTTY | O_CLOEXEC), 'tty');
  task.fds.installAt(fd, file, (flags & O_CLOEXEC) !== 0);
  return fd;
}

/**
 * Sends SIGWINCH to the guest whenever the host terminal is resized, as the
 * tty layer signals the foreground process group (tty_do_resize). A guest
 * that left SIGWINCH at its default (ignore) does not see it; one that
 * handles it is interrupted in any wait (ppoll, pselect6, sleeps) and the
 * handler runs. Returns the unsubscribe function.
 */
export function watchTerminalResize(task: Task): () => void {
  return task.host.terminal.onResize(() => {
    postHostSignal(task, SIGWINCH);
  });
}
