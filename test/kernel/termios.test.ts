/**
 * The termios translation, both halves: the Linux struct termios <-> the
 * port's host-neutral HostTermios (domain/kernel/tty.ts), and HostTermios <->
 * a host's own bits (adapters/host-node/terminal.ts), checked with macOS's
 * values from <sys/termios.h> so the non-Linux path is exercised on Linux.
 * The Linux table is checked against the cross toolchain's <termios.h>, and
 * on a Linux host against the addon's constants (the host's headers).
 */
import { execFileSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  NodeHostTerminal,
  termiosFromHost,
  termiosToHost,
  type HostTermiosConstants,
  type NativeTermios,
} from '../../src/adapters/host-node/terminal.js';
import { BAUD_RATES, BAUD_RATES_EX, TERMIOS_CC, TERMIOS_FLAGS } from '../../src/domain/kernel/linux-abi.js';
import { decodeLinuxTermios, encodeLinuxTermios } from '../../src/domain/kernel/tty.js';
import type { HostTermios } from '../../src/ports/host.js';
import { referenceTools } from '../support/toolchain.js';

/** Linux's tty_std_termios (drivers/tty/tty_io.c), as the kernel's TCGETS writes it. */
function stdTermiosBytes(): Uint8Array {
  const b = new Uint8Array(36);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, 0o2400, true); // ICRNL | IXON
  dv.setUint32(4, 0o5, true); // OPOST | ONLCR
  dv.setUint32(8, 0o2277, true); // B38400 | CS8 | CREAD | HUPCL
  dv.setUint32(12, 0o105073, true); // ISIG ICANON ECHO ECHOE ECHOK ECHOCTL ECHOKE IEXTEN
  b.set([3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22, 0], 17);
  return b;
}

/** macOS <sys/termios.h> values (xnu bsd/sys/termios.h). */
const MACOS: HostTermiosConstants = {
  iflag: {
    IGNBRK: 0x1, BRKINT: 0x2, IGNPAR: 0x4, PARMRK: 0x8, INPCK: 0x10, ISTRIP: 0x20, INLCR: 0x40, IGNCR: 0x80,
    ICRNL: 0x100, IXON: 0x200, IXOFF: 0x400, IXANY: 0x800, IMAXBEL: 0x2000, IUTF8: 0x4000,
  },
  oflag: { OPOST: 0x1, ONLCR: 0x2, OCRNL: 0x10, ONOCR: 0x20, ONLRET: 0x40, OFILL: 0x80, OFDEL: 0x20000 },
  cflag: { CSTOPB: 0x400, CREAD: 0x800, PARENB: 0x1000, PARODD: 0x2000, HUPCL: 0x4000, CLOCAL: 0x8000, CRTSCTS: 0x30000 },
  lflag: {
    ECHOKE: 0x1, ECHOE: 0x2, ECHOK: 0x4, ECHO: 0x8, ECHONL: 0x10, ECHOPRT: 0x20, ECHOCTL: 0x40, ISIG: 0x80,
    ICANON: 0x100, IEXTEN: 0x400, TOSTOP: 0x400000, FLUSHO: 0x800000, PENDIN: 0x20000000, NOFLSH: 0x80000000,
  },
  csize: { CSIZE: 0x300, CS5: 0, CS6: 0x100, CS7: 0x200, CS8: 0x300 },
  cc: {
    VEOF: 0, VEOL: 1, VEOL2: 2, VERASE: 3, VWERASE: 4, VKILL: 5, VREPRINT: 6, VINTR: 8, VQUIT: 9, VSUSP: 10,
    VSTART: 12, VSTOP: 13, VLNEXT: 14, VDISCARD: 15, VMIN: 16, VTIME: 17,
  },
  NCCS: 20,
  VDISABLE: 0xff,
};
const MACOS_NOKERNINFO = 0x2000000; // lflag bit with no Linux name
const MACOS_ALTWERASE = 0x200;

describe('Linux struct termios <-> HostTermios', () => {
  it('decodes tty_std_termios by flag name', () => {
    const t = decodeLinuxTermios(stdTermiosBytes());
    expect([...t.iflag].sort()).toEqual(['ICRNL', 'IXON']);
    expect([...t.oflag].sort()).toEqual(['ONLCR', 'OPOST']);
    expect([...t.cflag].sort()).toEqual(['CREAD', 'HUPCL']);
    expect([...t.lflag].sort()).toEqual(['ECHO', 'ECHOCTL', 'ECHOE', 'ECHOK', 'ECHOKE', 'ICANON', 'IEXTEN', 'ISIG']);
    expect(t.charSize).toBe(8);
    expect(t.ospeed).toBe(38400);
    expect(t.ispeed).toBe(38400);
    expect(t.cc.VINTR).toBe(3);
    expect(t.cc.VEOL).toBeNull(); // 0: disabled
    expect(t.cc.VTIME).toBe(0); // a count, not a disabled character
    expect(t.cc.VMIN).toBe(1);
    expect(encodeLinuxTermios(t)).toEqual(stdTermiosBytes());
  });

  it('speeds: CBAUDEX codes and a separate input speed in CIBAUD', () => {
    const b = stdTermiosBytes();
    const dv = new DataView(b.buffer);
    dv.setUint32(8, (0o2277 & ~0o10017) | 0o10002 | (0o15 << 16), true); // B115200 out, B9600 in
    const t = decodeLinuxTermios(b);
    expect(t.ospeed).toBe(115200);
    expect(t.ispeed).toBe(9600);
    expect(encodeLinuxTermios(t)).toEqual(b);
  });

  it('round-trips every representable termios (property)', () => {
    const names = (table: Record<string, number>) => fc.subarray(Object.keys(table));
    const speeds = [...BAUD_RATES, ...BAUD_RATES_EX];
    const ccArb = fc.record(
      Object.fromEntries(
        Object.keys(TERMIOS_CC).map((name) => [
          name,
          name === 'VMIN' || name === 'VTIME' ? fc.integer({ min: 0, max: 255 }) : fc.option(fc.integer({ min: 1, max: 255 })),
        ]),
      ),
    );
    const termios = fc.record({
      iflag: names(TERMIOS_FLAGS.c_iflag),
      oflag: names(TERMIOS_FLAGS.c_oflag),
      cflag: names(TERMIOS_FLAGS.c_cflag),
      lflag: names(TERMIOS_FLAGS.c_lflag),
      charSize: fc.constantFrom(5, 6, 7, 8),
      cc: ccArb,
      // An input speed of 0 means "same as output" in CIBAUD (and in POSIX), so it cannot round-trip.
      ispeed: fc.constantFrom(...speeds.slice(1)),
      ospeed: fc.constantFrom(...speeds),
    });
    fc.assert(
      fc.property(termios, (r) => {
        const t: HostTermios = {
          ...r,
          iflag: new Set(r.iflag),
          oflag: new Set(r.oflag),
          cflag: new Set(r.cflag),
          lflag: new Set(r.lflag),
          charSize: r.charSize as 5 | 6 | 7 | 8,
          cc: r.cc as Record<string, number | null>,
        };
        const bytes = encodeLinuxTermios(t);
        const back = decodeLinuxTermios(bytes);
        expect(back).toEqual(t);
        expect(encodeLinuxTermios(back)).toEqual(bytes);
      }),
    );
  });

  const refs = referenceTools('aarch64-linux-gnu-gcc');
  it.skipIf(refs.skip)("matches the aarch64 toolchain's <termios.h>", () => {
    refs.check();
    const macros = execFileSync('aarch64-linux-gnu-gcc', ['-E', '-dM', '-x', 'c', '-'], { input: '#include <termios.h>\n' }).toString();
    const defined = new Map<string, number>();
    for (const m of macros.matchAll(/^#define (\w+) (0[0-7]*|\d+)$/gm)) defined.set(m[1]!, parseInt(m[2]!, m[2]!.startsWith('0') ? 8 : 10));
    for (const table of [...Object.values(TERMIOS_FLAGS), TERMIOS_CC]) {
      for (const [name, value] of Object.entries(table)) expect(defined.get(name), name).toBe(value);
    }
    expect(defined.get('CSIZE')).toBe(0o60);
    expect(defined.get('CBAUD')).toBe(0o10017);
    expect(defined.get('B115200')).toBe(0o10002);
    expect(defined.get('B4000000')).toBe(0o10017);
  });
});

describe('HostTermios <-> host bits (macOS values)', () => {
  const current: NativeTermios = {
    iflag: 0,
    oflag: 0,
    cflag: 0,
    lflag: MACOS_NOKERNINFO | MACOS_ALTWERASE,
    cc: new Array<number>(20).fill(0xff),
    ispeed: 38400,
    ospeed: 38400,
  };

  it("puts Linux's default termios in macOS bits, keeping host-only bits", () => {
    const host = termiosToHost(decodeLinuxTermios(stdTermiosBytes()), current, MACOS);
    expect(host.iflag).toBe(0x100 | 0x200);
    expect(host.oflag).toBe(0x1 | 0x2);
    expect(host.cflag).toBe(0x300 | 0x800 | 0x4000);
    expect(host.lflag).toBe(0x80 | 0x100 | 0x8 | 0x2 | 0x4 | 0x40 | 0x1 | 0x400 | MACOS_NOKERNINFO | MACOS_ALTWERASE);
    expect(host.cc[8]).toBe(3); // VINTR
    expect(host.cc[3]).toBe(127); // VERASE
    expect(host.cc[1]).toBe(0xff); // VEOL disabled: macOS's _POSIX_VDISABLE
    expect(host.cc[16]).toBe(1); // VMIN
    expect(host.cc[17]).toBe(0); // VTIME
    expect(host.cc[18]).toBe(0xff); // VSTATUS, macOS only: untouched
  });

  it('reads macOS bits back to the same Linux bytes (VSWTC, absent on macOS, reads as 0)', () => {
    const host = termiosToHost(decodeLinuxTermios(stdTermiosBytes()), current, MACOS);
    const back = termiosFromHost(host, MACOS);
    expect(back.lflag.has('ISIG')).toBe(true);
    expect(back.cc.VEOL).toBeNull();
    expect(encodeLinuxTermios(back)).toEqual(stdTermiosBytes());
  });

  it('NOFLSH, the top bit of a macOS field, survives both ways', () => {
    const t = decodeLinuxTermios(stdTermiosBytes());
    const host = termiosToHost({ ...t, lflag: new Set(['NOFLSH']) }, { ...current, lflag: 0 }, MACOS);
    expect(host.lflag).toBe(0x80000000);
    expect([...termiosFromHost(host, MACOS).lflag]).toEqual(['NOFLSH']);
  });

  it('clears a flag the guest turned off and sets CS7', () => {
    const t = decodeLinuxTermios(stdTermiosBytes());
    const on = termiosToHost(t, current, MACOS);
    const off = termiosToHost({ ...t, lflag: new Set([...t.lflag].filter((n) => n !== 'ECHO')), charSize: 7 }, on, MACOS);
    expect(off.lflag & 0x8).toBe(0);
    expect(off.cflag & 0x300).toBe(0x200);
  });
});

const terminal = new NodeHostTerminal();
const addon = (terminal as unknown as { native: { constants(): HostTermiosConstants } | null }).native;

// Skipped off Linux (the Linux table is the reference) and where the optional terminal addon did not build.
describe.skipIf(process.platform !== 'linux' || addon === null)('the addon on a Linux host', () => {
  it("exports the host's values, which equal the Linux table for every shared name", () => {
    const k = addon!.constants();
    const fields = { iflag: 'c_iflag', oflag: 'c_oflag', cflag: 'c_cflag', lflag: 'c_lflag' } as const;
    for (const [hostField, linuxField] of Object.entries(fields)) {
      const table = TERMIOS_FLAGS[linuxField] as Record<string, number>;
      for (const [name, value] of Object.entries(k[hostField as keyof typeof fields])) expect(table[name], name).toBe(value);
      expect(Object.keys(k[hostField as keyof typeof fields]).sort()).toEqual(Object.keys(table).sort());
    }
    expect(k.cc).toEqual(TERMIOS_CC);
    expect(k.csize).toEqual({ CSIZE: 0o60, CS5: 0, CS6: 0o20, CS7: 0o40, CS8: 0o60 });
    expect(k.VDISABLE).toBe(0);
  });

  it('answers ENOTTY for a character device that is not a terminal', () => {
    const fd = openSync('/dev/null', 'r');
    try {
      expect(() => terminal.getAttr(fd)).toThrow(/ENOTTY/);
      expect(terminal.isatty(fd)).toBe(false);
    } finally {
      closeSync(fd);
    }
  });
});
