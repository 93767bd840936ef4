/**
 * Loads and stores on the interpreter: every addressing mode's effective
 * address and writeback, every size and extension, SIMD&FP registers,
 * literals and pairs, against a BigInt model of little-endian memory
 * (ARM ARM C6.2 pseudocode for each instruction). Rt == Rn writeback cases
 * follow qemu-aarch64, whose results were recorded by running a static test
 * program (see the comments at those tests).
 */
import { describe, expect, test } from 'vitest';
import { encode } from '../../src/domain/a64/assembler.js';
import { singleName, pairName, SINGLE_MODES, type IntKind, type SingleMode } from '../../src/domain/a64/table/ldst.js';
import { CODE, DATA, RAM_SIZE, runWords, type Machine } from './harness.js';

// ---- memory model --------------------------------------------------------------------

const PATTERN_LEN = 0x2000;
/** Fill the data area with bytes that differ from their neighbours. */
function fill(m: Machine): void {
  for (let i = 0; i < PATTERN_LEN; i++) m.ram[DATA + i] = (i * 131 + 7) & 0xff;
}
function patternByte(addr: number): number {
  return ((addr - DATA) * 131 + 7) & 0xff;
}
/** The little-endian value of `n` pattern bytes at `addr`. */
function patternLE(addr: number, n: number): bigint {
  let v = 0n;
  for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(patternByte(addr + i));
  return v;
}
function memLE(m: Machine, addr: number, n: number): bigint {
  let v = 0n;
  for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(m.ram[addr + i]!);
  return v;
}
function setMem(m: Machine, addr: number, n: number, v: bigint): void {
  for (let i = 0; i < n; i++) m.ram[addr + i] = Number((v >> BigInt(8 * i)) & 0xffn);
}
/** V register n as a 128-bit value. */
function vreg(m: Machine, n: number): bigint {
  return (m.cpu.vd[2 * n + 1]! << 64n) | m.cpu.vd[2 * n]!;
}
function setV(m: Machine, n: number, v: bigint): void {
  m.cpu.vd[2 * n] = BigInt.asUintN(64, v);
  m.cpu.vd[2 * n + 1] = BigInt.asUintN(64, v >> 64n);
}

/** xorshift32 for repeatable random cases. */
function rng(seed: number): (limit: number) => number {
  let s = seed >>> 0;
  return (limit) => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s % limit;
  };
}
const rand64 = (r: (l: number) => number): bigint =>
  (BigInt(r(0x10000)) << 48n) | (BigInt(r(0x10000)) << 32n) | (BigInt(r(0x10000)) << 16n) | BigInt(r(0x10000));

const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);
const BASE = DATA + 0x1000;

// ---- addressing modes ------------------------------------------------------------------

interface ModeCase {
  fields: Record<string, number>;
  ea: number;
  /** Expected Xn after the instruction. */
  rnAfter: number;
  setup: (m: Machine) => void;
}

/** A random addressing-mode instance for access size 2^log2; base in X1, index in X3. */
function modeCase(mode: SingleMode, log2: number, r: (l: number) => number): ModeCase {
  const setBase = (m: Machine): void => m.cpu.setX(1, BigInt(BASE));
  const imm9 = r(512) - 256;
  switch (mode) {
    case 'uimm': {
      const imm12 = r(256);
      return { fields: { imm12, rn: 1 }, ea: BASE + imm12 * 2 ** log2, rnAfter: BASE, setup: setBase };
    }
    case 'pre':
      return { fields: { imm9, rn: 1 }, ea: BASE + imm9, rnAfter: BASE + imm9, setup: setBase };
    case 'post':
      return { fields: { imm9, rn: 1 }, ea: BASE, rnAfter: BASE + imm9, setup: setBase };
    case 'unscaled':
    case 'unpriv':
      return { fields: { imm9, rn: 1 }, ea: BASE + imm9, rnAfter: BASE, setup: setBase };
    case 'reg': {
      const option = [2, 3, 6, 7][r(4)]!;
      const s = r(2);
      const index = r(128) - 64;
      // UXTW and SXTW must ignore the upper half of Xm: put junk there.
      const junk = 0xa5a5a5a5n << 32n;
      let xm: bigint;
      let offset: number;
      if (option === 2) {
        xm = junk | BigInt(index + 64);
        offset = index + 64;
      } else if (option === 6) {
        xm = junk | BigInt.asUintN(32, BigInt(index));
        offset = index;
      } else {
        xm = u64(BigInt(index));
        offset = index;
      }
      const ea = BASE + offset * (s ? 2 ** log2 : 1);
      return {
        fields: { option, s, rm: 3, rn: 1 },
        ea,
        rnAfter: BASE,
        setup: (m) => {
          setBase(m);
          m.cpu.setX(3, xm);
        },
      };
    }
  }
}

const KIND_SIZES: Record<IntKind, number[]> = { STR: [0, 1, 2, 3], LDR: [0, 1, 2, 3], LDRS64: [0, 1, 2], LDRS32: [0, 1] };

/** The value an integer load of 2^size bytes leaves in Xt. */
function loadModel(kind: IntKind, size: number, raw: bigint): bigint {
  const bits = 8 << size;
  if (kind === 'LDRS64') return u64(BigInt.asIntN(bits, raw));
  if (kind === 'LDRS32') return BigInt.asUintN(32, BigInt.asIntN(bits, raw));
  return raw;
}

describe('integer single-register loads and stores', () => {
  for (const kind of ['LDR', 'LDRS64', 'LDRS32'] as const) {
    for (const mode of SINGLE_MODES) {
      test(`${singleName(kind, mode)}: every size, address, extension and writeback`, () => {
        const r = rng(0x1234 + kind.length * 7 + mode.length);
        for (const size of KIND_SIZES[kind]) {
          for (let i = 0; i < 12; i++) {
            const c = modeCase(mode, size, r);
            const m = runWords([encode(singleName(kind, mode), { size, rt: 2, ...c.fields })], (mm) => {
              fill(mm);
              mm.cpu.setX(2, 0xfeedfacefeedfacen);
              c.setup(mm);
            });
            const what = `${kind} ${mode} size ${size} ${JSON.stringify(c.fields)}`;
            expect(m.cpu.getX(2), what).toBe(loadModel(kind, size, patternLE(c.ea, 1 << size)));
            expect(m.cpu.getX(1), what).toBe(BigInt(c.rnAfter));
          }
        }
      });
    }
  }

  for (const mode of SINGLE_MODES) {
    test(`${singleName('STR', mode)}: every size writes exactly its bytes`, () => {
      const r = rng(0x777 + mode.length);
      for (const size of [0, 1, 2, 3]) {
        for (let i = 0; i < 12; i++) {
          const c = modeCase(mode, size, r);
          const value = rand64(r);
          const m = runWords([encode(singleName('STR', mode), { size, rt: 2, ...c.fields })], (mm) => {
            fill(mm);
            mm.cpu.setX(2, value);
            c.setup(mm);
          });
          const n = 1 << size;
          const what = `STR ${mode} size ${size} ${JSON.stringify(c.fields)}`;
          expect(memLE(m, c.ea, n), what).toBe(BigInt.asUintN(8 * n, value));
          expect(memLE(m, c.ea - 8, 8), what).toBe(patternLE(c.ea - 8, 8));
          expect(memLE(m, c.ea + n, 8), what).toBe(patternLE(c.ea + n, 8));
          expect(m.cpu.getX(1), what).toBe(BigInt(c.rnAfter));
        }
      }
    });
  }

  test('W loads zero the upper half; register 31 is XZR for Rt and SP for Rn', () => {
    const m = runWords(
      [
        encode('STR_pre', { size: 3, imm9: -16, rn: 31, rt: 31 }), // str xzr, [sp, #-16]!
        encode('LDR_uimm', { size: 2, imm12: 0, rn: 31, rt: 4 }), // ldr w4, [sp]
        encode('LDR_post', { size: 3, imm9: 16, rn: 31, rt: 31 }), // ldr xzr, [sp], #16
      ],
      (mm) => {
        mm.cpu.setX(4, 0xffffffffffffffffn);
        setMem(mm, DATA + 0x8000 - 16, 8, 0x1122334455667788n);
      },
    );
    expect(memLE(m, DATA + 0x8000 - 16, 8)).toBe(0n);
    expect(m.cpu.getX(4)).toBe(0n);
    expect(m.cpu.getX(31)).toBe(BigInt(DATA + 0x8000));
  });

  test('register offset with SXTW of a negative index and LSL #3', () => {
    const m = runWords([encode('LDR_reg', { size: 3, option: 6, s: 1, rm: 3, rn: 1, rt: 2 })], (mm) => {
      fill(mm);
      mm.cpu.setX(1, BigInt(BASE));
      mm.cpu.setX(3, 0x00000000fffffffdn); // -3 as a W register
    });
    expect(m.cpu.getX(2)).toBe(patternLE(BASE - 24, 8));
  });

  test('PRFM/PRFUM never access memory, even at an unmapped address', () => {
    const words = [
      encode('PRFM_uimm', { imm12: 1, rn: 1, rt: 0 }),
      encode('PRFUM', { imm9: -1, rn: 1, rt: 1 }),
      encode('PRFM_reg', { option: 3, s: 1, rm: 1, rn: 1, rt: 16 }),
      encode('PRFM_lit', { imm19: 1000, rt: 0 }),
    ];
    const m = runWords(words, (mm) => mm.cpu.setX(1, 0x7fff00000000n));
    expect(m.cpu.pc).toBe(CODE + 4 * words.length + 4);
  });
});

// ---- Rt == Rn writeback: qemu-aarch64 ---------------------------------------------------

describe('writeback overlapping a transfer register (CONSTRAINED UNPREDICTABLE, as qemu-aarch64)', () => {
  // qemu-aarch64 8.x, static test program: the base register ends up with the
  // written-back address for loads; stores store the original value; LDP
  // with Rt == Rt2 keeps the value loaded for Rt.
  test('LDR X1, [X1], #8 and LDR X2, [X2, #8]!: the writeback wins', () => {
    const post = runWords([encode('LDR_post', { size: 3, imm9: 8, rn: 1, rt: 1 })], (mm) => {
      fill(mm);
      mm.cpu.setX(1, BigInt(BASE));
    });
    expect(post.cpu.getX(1)).toBe(BigInt(BASE + 8));
    const pre = runWords([encode('LDR_pre', { size: 3, imm9: 8, rn: 2, rt: 2 })], (mm) => {
      fill(mm);
      mm.cpu.setX(2, BigInt(BASE));
    });
    expect(pre.cpu.getX(2)).toBe(BigInt(BASE + 8));
  });

  test('LDP X3, X4, [X3], #16 and LDP X4, X3, [X3, #16]!', () => {
    const a = runWords([encode('LDP_post', { opc: 2, imm7: 2, rt2: 4, rn: 3, rt: 3 })], (mm) => {
      fill(mm);
      mm.cpu.setX(3, BigInt(BASE));
    });
    expect([a.cpu.getX(3), a.cpu.getX(4)]).toEqual([BigInt(BASE + 16), patternLE(BASE + 8, 8)]);
    const b = runWords([encode('LDP_pre', { opc: 2, imm7: 2, rt2: 3, rn: 3, rt: 4 })], (mm) => {
      fill(mm);
      mm.cpu.setX(3, BigInt(BASE));
    });
    expect([b.cpu.getX(4), b.cpu.getX(3)]).toEqual([patternLE(BASE + 16, 8), BigInt(BASE + 16)]);
  });

  test('LDP X5, X5, [X20] keeps the first element', () => {
    const m = runWords([encode('LDP_off', { opc: 2, imm7: 0, rt2: 5, rn: 20, rt: 5 })], (mm) => {
      fill(mm);
      mm.cpu.setX(20, BigInt(BASE));
    });
    expect(m.cpu.getX(5)).toBe(patternLE(BASE, 8));
  });

  test('STR X6, [X6, #8]! and STP X8, X9, [X8], #16 store the original base', () => {
    const a = runWords([encode('STR_pre', { size: 3, imm9: 8, rn: 6, rt: 6 })], (mm) => mm.cpu.setX(6, BigInt(BASE)));
    expect([memLE(a, BASE + 8, 8), a.cpu.getX(6)]).toEqual([BigInt(BASE), BigInt(BASE + 8)]);
    const b = runWords([encode('STP_post', { opc: 2, imm7: 2, rt2: 9, rn: 8, rt: 8 })], (mm) => {
      mm.cpu.setX(8, BigInt(BASE));
      mm.cpu.setX(9, 0x99n);
    });
    expect([memLE(b, BASE, 8), memLE(b, BASE + 8, 8), b.cpu.getX(8)]).toEqual([BigInt(BASE), 0x99n, BigInt(BASE + 16)]);
  });
});

// ---- SIMD&FP single registers --------------------------------------------------------

describe('SIMD&FP loads and stores (B, H, S, D, Q)', () => {
  const FP_MODES = ['uimm', 'pre', 'post', 'reg', 'unscaled'] as const;
  const forms = [[0, 0], [1, 0], [2, 0], [3, 0], [0, 1]] as const; // [size, q]

  for (const mode of FP_MODES) {
    test(`${singleName('LDR', mode, true)} / ${singleName('STR', mode, true)}`, () => {
      const r = rng(0x4242 + mode.length);
      for (const [size, q] of forms) {
        const log2 = q ? 4 : size;
        const n = 1 << log2;
        for (let i = 0; i < 6; i++) {
          const c = modeCase(mode, log2, r);
          const what = `${mode} log2 ${log2} ${JSON.stringify(c.fields)}`;
          const ld = runWords([encode(singleName('LDR', mode, true), { size, q, rt: 7, ...c.fields })], (mm) => {
            fill(mm);
            setV(mm, 7, (1n << 128n) - 1n);
            c.setup(mm);
          });
          // The loaded bytes, and the rest of the 128-bit register zeroed.
          expect(vreg(ld, 7), what).toBe(patternLE(c.ea, n));
          expect(ld.cpu.getX(1), what).toBe(BigInt(c.rnAfter));

          const value = (rand64(r) << 64n) | rand64(r);
          const st = runWords([encode(singleName('STR', mode, true), { size, q, rt: 7, ...c.fields })], (mm) => {
            fill(mm);
            setV(mm, 7, value);
            c.setup(mm);
          });
          expect(memLE(st, c.ea, n), what).toBe(BigInt.asUintN(8 * n, value));
          expect(memLE(st, c.ea + n, 8), what).toBe(patternLE(c.ea + n, 8));
          expect(memLE(st, c.ea - 8, 8), what).toBe(patternLE(c.ea - 8, 8));
        }
      }
    });
  }
});

// ---- literals ------------------------------------------------------------------------------

describe('PC-relative literal loads', () => {
  const DATA_WORDS = [0x89abcdef, 0x01234567, 0xfedcba98, 0x76543210];
  const lit = 0x76543210fedcba9801234567_89abcdefn;
  /** Literal at CODE (four words), the load after it at CODE+16 with imm19 = -4. */
  function runLiteral(name: string, fields: Record<string, number>): Machine {
    return runWords([...DATA_WORDS, encode(name, { ...fields, imm19: -4 })], (mm) => {
      mm.cpu.pc = CODE + 16;
      setV(mm, 2, (1n << 128n) - 1n);
    });
  }

  test('LDR W/X, LDRSW backwards', () => {
    expect(runLiteral('LDR_lit', { opc: 0, rt: 2 }).cpu.getX(2)).toBe(0x89abcdefn);
    expect(runLiteral('LDR_lit', { opc: 1, rt: 2 }).cpu.getX(2)).toBe(0x0123456789abcdefn);
    expect(runLiteral('LDRSW_lit', { rt: 2 }).cpu.getX(2)).toBe(0xffffffff89abcdefn);
  });

  test('LDR S/D/Q backwards', () => {
    expect(vreg(runLiteral('LDR_fp_lit', { opc: 0, rt: 2 }), 2)).toBe(lit & 0xffffffffn);
    expect(vreg(runLiteral('LDR_fp_lit', { opc: 1, rt: 2 }), 2)).toBe(lit & 0xffffffffffffffffn);
    expect(vreg(runLiteral('LDR_fp_lit', { opc: 2, rt: 2 }), 2)).toBe(lit);
  });

  test('forward literal', () => {
    const m = runWords([encode('LDR_lit', { opc: 1, imm19: 2, rt: 9 }), encode('HVC', { imm16: 0 }), 0x55667788, 0x11223344]);
    expect(m.cpu.getX(9)).toBe(0x1122334455667788n);
  });
});

// ---- pairs ------------------------------------------------------------------------------------

describe('pairs', () => {
  const MODES = ['off', 'pre', 'post', 'noalloc'] as const;
  /** [op, fields, element bytes, register kind] */
  const FORMS = [
    ['W', { opc: 0 }, 4, 'x'],
    ['X', { opc: 2 }, 8, 'x'],
    ['S', { opc: 0 }, 4, 'v'],
    ['D', { opc: 1 }, 8, 'v'],
    ['Q', { opc: 2 }, 16, 'v'],
  ] as const;

  for (const mode of MODES) {
    test(`LDP/STP ${mode}: W, X, S, D, Q`, () => {
      const r = rng(0x9999 + mode.length);
      for (const [form, opc, es, kind] of FORMS) {
        for (let i = 0; i < 8; i++) {
          const imm7 = r(128) - 64;
          const ea = mode === 'post' ? BASE : BASE + imm7 * es;
          const rnAfter = mode === 'pre' || mode === 'post' ? BASE + imm7 * es : BASE;
          const fp = kind === 'v';
          const what = `${form} ${mode} imm7 ${imm7}`;
          const fields = { ...opc, imm7, rt2: 6, rn: 1, rt: 5 };
          const ld = runWords([encode(pairName('LDP', mode, fp), fields)], (mm) => {
            fill(mm);
            mm.cpu.setX(1, BigInt(BASE));
          });
          const got = fp ? [vreg(ld, 5), vreg(ld, 6)] : [ld.cpu.getX(5), ld.cpu.getX(6)];
          expect(got, what).toEqual([patternLE(ea, es), patternLE(ea + es, es)]);
          expect(ld.cpu.getX(1), what).toBe(BigInt(rnAfter));

          const a = (rand64(r) << 64n) | rand64(r);
          const b = (rand64(r) << 64n) | rand64(r);
          const st = runWords([encode(pairName('STP', mode, fp), fields)], (mm) => {
            fill(mm);
            mm.cpu.setX(1, BigInt(BASE));
            if (fp) {
              setV(mm, 5, a);
              setV(mm, 6, b);
            } else {
              mm.cpu.setX(5, u64(a));
              mm.cpu.setX(6, u64(b));
            }
          });
          const mask = (1n << BigInt(8 * es)) - 1n;
          expect([memLE(st, ea, es), memLE(st, ea + es, es)], what).toEqual([a & mask, b & mask]);
          expect(memLE(st, ea + 2 * es, 8), what).toBe(patternLE(ea + 2 * es, 8));
          expect(memLE(st, ea - 8, 8), what).toBe(patternLE(ea - 8, 8));
          expect(st.cpu.getX(1), what).toBe(BigInt(rnAfter));
        }
      }
    });
  }

  test('LDPSW sign-extends both words (offset, pre, post)', () => {
    for (const mode of ['off', 'pre', 'post'] as const) {
      const m = runWords([encode(pairName('LDPSW', mode), { imm7: 2, rt2: 6, rn: 1, rt: 5 })], (mm) => {
        mm.cpu.setX(1, BigInt(BASE));
        const ea = mode === 'post' ? BASE : BASE + 8;
        setMem(mm, ea, 8, 0x7fffffff_80000001n);
      });
      expect([m.cpu.getX(5), m.cpu.getX(6)], mode).toEqual([0xffffffff80000001n, 0x7fffffffn]);
      expect(m.cpu.getX(1), mode).toBe(BigInt(mode === 'off' ? BASE : BASE + 8));
    }
  });
});

// ---- precise faults -------------------------------------------------------------------------

describe('a faulting access changes no register and no memory', () => {
  // RAM ends at RAM_SIZE: the part past it is a stage-2 fault (an exit to the host).
  const END = RAM_SIZE - 8;

  test('LDP whose second element is outside RAM', () => {
    const m = runWords([encode('LDP_pre', { opc: 2, imm7: 0, rt2: 1, rn: 2, rt: 2 })], (mm) => {
      mm.cpu.setX(1, 111n);
      mm.cpu.setX(2, BigInt(END));
    });
    expect([m.cpu.getX(1), m.cpu.getX(2)]).toEqual([111n, BigInt(END)]);
    expect(m.cpu.pc).toBe(CODE);
  });

  test('STP and STR Q crossing the end of RAM write nothing', () => {
    for (const word of [
      encode('STP_off', { opc: 2, imm7: 0, rt2: 1, rn: 2, rt: 1 }),
      encode('STR_fp_uimm', { size: 0, q: 1, imm12: 0, rn: 2, rt: 1 }),
    ]) {
      const m = runWords([word], (mm) => {
        mm.cpu.setX(1, 0x1111111111111111n);
        setV(mm, 1, 0x22222222222222222222222222222222n);
        mm.cpu.setX(2, BigInt(END));
        setMem(mm, END, 8, 0x0123456789abcdefn);
      });
      expect(memLE(m, END, 8)).toBe(0x0123456789abcdefn);
    }
  });

  test('a pre-indexed load that faults does not write back', () => {
    const m = runWords([encode('LDR_pre', { size: 3, imm9: 8, rn: 2, rt: 3 })], (mm) => mm.cpu.setX(2, BigInt(RAM_SIZE - 4)));
    expect(m.cpu.getX(2)).toBe(BigInt(RAM_SIZE - 4));
  });
});
