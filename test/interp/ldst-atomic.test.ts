/**
 * Exclusives, acquire/release, RCpc and LSE atomics on the interpreter,
 * against BigInt models of the ARM ARM pseudocode (MemAtomicOp, CAS/CASP
 * compare-and-swap, the exclusive monitor's pass/fail status).
 */
import { describe, expect, test } from 'vitest';
import { encode } from '../../src/domain/a64/assembler.js';
import { ATOMIC_OPS } from '../../src/domain/a64/table/ldst.js';
import { SysReg } from '../../src/ports/vcpu.js';
import { CODE, DATA, runWords, type Machine } from './harness.js';

const BASE = DATA + 0x1000;

function memLE(m: Machine, addr: number, n: number): bigint {
  let v = 0n;
  for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(m.ram[addr + i]!);
  return v;
}
function setMem(m: Machine, addr: number, n: number, v: bigint): void {
  for (let i = 0; i < n; i++) m.ram[addr + i] = Number((v >> BigInt(8 * i)) & 0xffn);
}

/**
 * Run `words` with VBAR_EL1 set and HVC #0x55 at the current-EL synchronous
 * vector (VBAR + 0x200), so a synchronous exception stops the run there.
 */
function runWithVectors(words: number[], setup: (m: Machine) => void): Machine {
  const VBAR = 0x8000;
  const all = [...words];
  while (all.length <= (VBAR - CODE + 0x200) / 4) all.push(encode('HVC', { imm16: 0x55 }));
  return runWords(all, (mm) => {
    mm.cpu.setSysReg(SysReg.VBAR_EL1, BigInt(VBAR));
    setup(mm);
  });
}

// ---- exclusives ----------------------------------------------------------------------------

describe('load/store exclusive', () => {
  const ldxr = (size: number, rt: number, o0 = 0): number => encode('LDXR', { size, o0, rn: 1, rt });
  const stxr = (size: number, rs: number, rt: number, o0 = 0): number => encode('STXR', { size, rs, o0, rn: 1, rt });

  test('LDXR then STXR succeeds (status 0) for B, H, W, X and with acquire/release', () => {
    for (const size of [0, 1, 2, 3]) {
      for (const o0 of [0, 1]) {
        const n = 1 << size;
        const m = runWords([ldxr(size, 2, o0), stxr(size, 4, 3, o0)], (mm) => {
          mm.cpu.setX(1, BigInt(BASE));
          setMem(mm, BASE, 16, 0xf0e0d0c0b0a09080_7060504030201000n);
          mm.cpu.setX(3, 0x8877665544332211n);
          mm.cpu.setX(4, 0xffffffffffffffffn);
        });
        const mask = (1n << BigInt(8 * n)) - 1n;
        expect(m.cpu.getX(2), `size ${size}`).toBe(0x7060504030201000n & mask);
        expect(m.cpu.getX(4), `size ${size}`).toBe(0n);
        expect(memLE(m, BASE, n)).toBe(0x8877665544332211n & mask);
        expect(memLE(m, BASE + n, 1)).toBe((0xf0e0d0c0b0a09080_7060504030201000n >> BigInt(8 * n)) & 0xffn);
      }
    }
  });

  test('STXR without a matching LDXR fails (status 1) and stores nothing', () => {
    const cases: [string, number[], (m: Machine) => void][] = [
      ['no LDXR', [stxr(3, 4, 3)], () => {}],
      ['after CLREX', [ldxr(3, 2), encode('CLREX', { crm: 15 }), stxr(3, 4, 3)], () => {}],
      ['different size', [ldxr(2, 2), stxr(3, 4, 3)], () => {}],
      ['second STXR', [ldxr(3, 2), stxr(3, 4, 3), stxr(3, 4, 5)], () => {}],
    ];
    for (const [what, words, extra] of cases) {
      const m = runWords(words, (mm) => {
        mm.cpu.setX(1, BigInt(BASE));
        setMem(mm, BASE, 8, 0x1234n);
        mm.cpu.setX(3, 0xaaaan);
        mm.cpu.setX(5, 0xbbbbn);
        extra(mm);
      });
      expect(m.cpu.getX(4), what).toBe(1n);
      expect(memLE(m, BASE, 8), what).toBe(what === 'second STXR' ? 0xaaaan : 0x1234n);
    }
  });

  test('LDXP/STXP on W and X pairs', () => {
    for (const sz of [0, 1]) {
      const es = 4 << sz;
      const m = runWords(
        [encode('LDXP', { sz, o0: 1, rt2: 3, rn: 1, rt: 2 }), encode('STXP', { sz, o0: 1, rs: 6, rt2: 5, rn: 1, rt: 4 })],
        (mm) => {
          mm.cpu.setX(1, BigInt(BASE));
          setMem(mm, BASE, 16, 0x0f0e0d0c0b0a0908_0706050403020100n);
          mm.cpu.setX(4, 0x1111111111111111n);
          mm.cpu.setX(5, 0x2222222222222222n);
          mm.cpu.setX(6, 7n);
        },
      );
      const mask = (1n << BigInt(8 * es)) - 1n;
      const mem = 0x0f0e0d0c0b0a0908_0706050403020100n;
      expect([m.cpu.getX(2), m.cpu.getX(3)], `sz ${sz}`).toEqual([mem & mask, (mem >> BigInt(8 * es)) & mask]);
      expect(m.cpu.getX(6)).toBe(0n);
      expect([memLE(m, BASE, es), memLE(m, BASE + es, es)]).toEqual([0x1111111111111111n & mask, 0x2222222222222222n & mask]);
    }
  });

  test('a misaligned LDXR takes an alignment fault (EC 0x25, DFSC 0x21, FAR = address)', () => {
    const m = runWithVectors([ldxr(3, 2)], (mm) => {
      mm.cpu.setX(1, BigInt(BASE + 4));
      mm.cpu.setX(2, 99n);
    });
    const esr = m.cpu.getSysReg(SysReg.ESR_EL1);
    expect(esr >> 26n).toBe(0x25n);
    expect(esr & 0x3fn).toBe(0x21n);
    expect(m.cpu.getSysReg(SysReg.FAR_EL1)).toBe(BigInt(BASE + 4));
    expect(m.cpu.getSysReg(SysReg.ELR_EL1)).toBe(BigInt(CODE));
    expect(m.cpu.getX(2)).toBe(99n);
  });
});

// ---- acquire/release and RCpc -------------------------------------------------------------

describe('acquire/release, LORegion and RCpc forms', () => {
  test('LDAR/LDLAR/LDAPR load; STLR/STLLR store; sizes B..X', () => {
    for (const size of [0, 1, 2, 3]) {
      const n = 1 << size;
      const mask = (1n << BigInt(8 * n)) - 1n;
      for (const [name, o0] of [['LDAR', 1], ['LDAR', 0], ['LDAPR', 0]] as const) {
        const m = runWords([encode(name, { size, o0, rn: 1, rt: 2, rs: 31, rt2: 31 })], (mm) => {
          mm.cpu.setX(1, BigInt(BASE));
          mm.cpu.setX(2, 0xffffffffffffffffn);
          setMem(mm, BASE, 8, 0x8877665544332211n);
        });
        expect(m.cpu.getX(2), `${name} ${o0} size ${size}`).toBe(0x8877665544332211n & mask);
      }
      for (const o0 of [0, 1]) {
        const m = runWords([encode('STLR', { size, o0, rn: 1, rt: 2 })], (mm) => {
          mm.cpu.setX(1, BigInt(BASE));
          mm.cpu.setX(2, 0x8877665544332211n);
        });
        expect(memLE(m, BASE, 8), `STLR ${o0} size ${size}`).toBe(0x8877665544332211n & mask);
      }
    }
  });

  test('LDAPUR / LDAPURS / STLUR with negative offsets', () => {
    const setup = (mm: Machine): void => {
      mm.cpu.setX(1, BigInt(BASE));
      setMem(mm, BASE - 8, 8, 0x80818283_f4f5f6f7n);
    };
    const ld = (name: string, size: number): bigint => runWords([encode(name, { size, imm9: -8, rn: 1, rt: 2 })], setup).cpu.getX(2);
    expect(ld('LDAPUR', 3)).toBe(0x80818283f4f5f6f7n);
    expect(ld('LDAPUR', 0)).toBe(0xf7n);
    expect(ld('LDAPURS64', 0)).toBe(0xfffffffffffffff7n);
    expect(ld('LDAPURS64', 1)).toBe(0xfffffffffffff6f7n);
    expect(ld('LDAPURS64', 2)).toBe(0xfffffffff4f5f6f7n);
    expect(ld('LDAPURS32', 0)).toBe(0xfffffff7n);
    expect(ld('LDAPURS32', 1)).toBe(0xfffff6f7n);
    const st = runWords([encode('STLUR', { size: 1, imm9: -3, rn: 1, rt: 2 })], (mm) => {
      setup(mm);
      mm.cpu.setX(2, 0xabcdn);
    });
    expect(memLE(st, BASE - 8, 8)).toBe(0x80abcd83f4f5f6f7n);
  });
});

// ---- LSE atomics -------------------------------------------------------------------------

/** MemAtomicOp on `bits`-bit unsigned values: (memory, register) -> new memory value. */
function atomicModel(op: string, bits: number, a: bigint, b: bigint): bigint {
  const s = (v: bigint): bigint => BigInt.asIntN(bits, v);
  switch (op) {
    case 'LDADD': return BigInt.asUintN(bits, a + b);
    case 'LDCLR': return a & ~b & ((1n << BigInt(bits)) - 1n);
    case 'LDEOR': return a ^ b;
    case 'LDSET': return a | b;
    case 'LDSMAX': return s(a) >= s(b) ? a : b;
    case 'LDSMIN': return s(a) <= s(b) ? a : b;
    case 'LDUMAX': return a >= b ? a : b;
    case 'LDUMIN': return a <= b ? a : b;
    case 'SWP': return b;
    default: throw new Error(op);
  }
}

describe('LSE atomics', () => {
  const interesting = [0n, 1n, 0x7fn, 0x80n, 0xffn, 0x7fffn, 0x8000n, 0xffffn, 0x7fffffffn, 0x80000000n, 0xffffffffn,
    0x7fffffffffffffffn, 0x8000000000000000n, 0xffffffffffffffffn, 0x0123456789abcdefn, 0xfedcba9876543210n, 0x00000001ffffffffn];

  for (const [op] of ATOMIC_OPS) {
    test(`${op}: every size and ordering; memory gets op(old, Rs), Rt gets old`, () => {
      let k = 0;
      for (const size of [0, 1, 2, 3]) {
        const bits = 8 << size;
        const mask = (1n << BigInt(bits)) - 1n;
        for (const a0 of interesting) {
          for (const b0 of interesting) {
            if ((k++ & 3) !== 0) continue; // a quarter of the pairs per size keeps the test fast
            const [aBit, rBit] = [k & 1, (k >> 1) & 1];
            const a = a0 & mask;
            const m = runWords([encode(op, { size, a: aBit, r: rBit, rs: 3, rn: 1, rt: 2 })], (mm) => {
              mm.cpu.setX(1, BigInt(BASE));
              mm.cpu.setX(2, 0x5555555555555555n);
              mm.cpu.setX(3, b0);
              setMem(mm, BASE, 16, 0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeen);
              setMem(mm, BASE, bits / 8, a);
            });
            const what = `${op} size ${size} mem ${a.toString(16)} rs ${b0.toString(16)}`;
            const expectNew = atomicModel(op, bits, a, b0 & mask);
            expect(memLE(m, BASE, bits / 8), what).toBe(expectNew);
            expect(memLE(m, BASE + bits / 8, 1), what).toBe(0xeen);
            expect(m.cpu.getX(2), what).toBe(a);
            expect(m.cpu.getX(3), what).toBe(b0);
          }
        }
      }
    });
  }

  test('ST<op> (Rt = XZR) updates memory and writes no register; Rt == Rs reads Rs first', () => {
    const st = runWords([encode('LDADD', { size: 3, a: 0, r: 1, rs: 3, rn: 1, rt: 31 })], (mm) => {
      mm.cpu.setX(1, BigInt(BASE));
      mm.cpu.setX(3, 5n);
      setMem(mm, BASE, 8, 10n);
    });
    expect(memLE(st, BASE, 8)).toBe(15n);
    expect(st.cpu.getX(31)).toBe(BigInt(DATA + 0x8000)); // SP untouched
    const same = runWords([encode('LDEOR', { size: 2, a: 1, r: 1, rs: 3, rn: 1, rt: 3 })], (mm) => {
      mm.cpu.setX(1, BigInt(BASE));
      mm.cpu.setX(3, 0xffffffff0000ffffn);
      setMem(mm, BASE, 4, 0x12345678n);
    });
    expect(memLE(same, BASE, 4)).toBe(0x1234a987n);
    expect(same.cpu.getX(3)).toBe(0x12345678n);
  });

  test('CAS: stores Rt only on a match; Rs always gets the old value (zero-extended)', () => {
    for (const size of [0, 1, 2, 3]) {
      const bits = 8 << size;
      const mask = (1n << BigInt(bits)) - 1n;
      const old = 0x8123456789abcdefn & mask;
      for (const match of [true, false]) {
        // Rs carries junk above the operand size: CAS compares only the low bits.
        const rs = (match ? old : old ^ 1n) | (size < 3 ? 0xdead0000n << 32n : 0n);
        const m = runWords([encode('CAS', { size, l: 1, o0: 1, rs: 3, rn: 1, rt: 2 })], (mm) => {
          mm.cpu.setX(1, BigInt(BASE));
          mm.cpu.setX(2, 0x1122334455667788n);
          mm.cpu.setX(3, rs);
          setMem(mm, BASE, bits / 8, old);
        });
        const what = `size ${size} match ${match}`;
        expect(memLE(m, BASE, bits / 8), what).toBe(match ? 0x1122334455667788n & mask : old);
        expect(m.cpu.getX(3), what).toBe(old);
      }
    }
  });

  test('CASP on W and X pairs: the first register of each pair is the lower address', () => {
    for (const sz of [0, 1]) {
      const es = 4 << sz;
      const mask = (1n << BigInt(8 * es)) - 1n;
      const lo = 0x0102030405060708n & mask;
      const hi = 0x1112131415161718n & mask;
      for (const match of [true, false]) {
        const m = runWords([encode('CASP', { sz, l: 0, o0: 0, rs: 4, rn: 1, rt: 2 })], (mm) => {
          mm.cpu.setX(1, BigInt(BASE));
          setMem(mm, BASE, es, lo);
          setMem(mm, BASE + es, es, hi);
          mm.cpu.setX(4, lo);
          mm.cpu.setX(5, match ? hi : hi ^ 0x10n);
          mm.cpu.setX(2, 0xa1a2a3a4a5a6a7a8n);
          mm.cpu.setX(3, 0xb1b2b3b4b5b6b7b8n);
        });
        const what = `sz ${sz} match ${match}`;
        expect([memLE(m, BASE, es), memLE(m, BASE + es, es)], what).toEqual(
          match ? [0xa1a2a3a4a5a6a7a8n & mask, 0xb1b2b3b4b5b6b7b8n & mask] : [lo, hi],
        );
        expect([m.cpu.getX(4), m.cpu.getX(5)], what).toEqual([lo, hi]);
      }
    }
  });

  test('an atomic that crosses a 16-byte boundary faults before changing anything', () => {
    const m = runWithVectors([encode('SWP', { size: 3, a: 1, r: 1, rs: 3, rn: 1, rt: 2 })], (mm) => {
      mm.cpu.setX(1, BigInt(BASE + 12));
      mm.cpu.setX(2, 7n);
      mm.cpu.setX(3, 9n);
      setMem(mm, BASE + 12, 8, 0x42n);
    });
    expect(memLE(m, BASE + 12, 8)).toBe(0x42n);
    expect(m.cpu.getX(2)).toBe(7n);
    expect(m.cpu.getSysReg(SysReg.ESR_EL1) >> 26n).toBe(0x25n);
    expect(m.cpu.getSysReg(SysReg.ESR_EL1) & 0x7fn).toBe(0x61n); // WnR | alignment fault
  });
});

// ---- FEAT_LSE2 alignment and SP alignment -------------------------------------------------------

/**
 * Expected behaviour from the ARM ARM's CheckAlignment with FEAT_LSE2 (an
 * M1 implements it): an unaligned ordered or atomic access faults only when
 * it crosses a 16-byte boundary (ordered ones only while SCTLR_EL1.nAA = 0);
 * exclusives need alignment; CheckSPAlignment faults a load or store based
 * on an SP that is not 16-byte aligned while SCTLR_EL1.SA (EL1) / SA0 (EL0)
 * is set, with EC 0x26. qemu-aarch64 7.2 implements neither, so these are
 * checked against the pseudocode rather than qemu.
 */
describe('FEAT_LSE2 alignment and SP alignment checking', () => {
  const SCTLR_SA = 1n << 3n;
  const SCTLR_NAA = 1n << 6n;
  const ec = (m: Machine): bigint => m.cpu.getSysReg(SysReg.ESR_EL1) >> 26n;
  const faulted = (m: Machine): boolean => m.cpu.pc === 0x8000 + 0x204;

  test('LDAR/STLR/LDAPUR unaligned inside 16 bytes work; crossing 16 bytes faults unless nAA', () => {
    for (const [off, size, crosses] of [[1, 3, false], [8, 3, false], [9, 3, true], [14, 1, false], [15, 1, true], [13, 2, true], [12, 2, false]] as const) {
      const ldar = encode('LDAR', { size, o0: 1, rn: 1, rt: 2, rs: 31, rt2: 31 });
      const setup = (mm: Machine): void => {
        mm.cpu.setX(1, BigInt(BASE + off));
        mm.cpu.setX(2, 0n);
        setMem(mm, BASE + off, 8, 0x1122334455667788n);
      };
      const m = runWithVectors([ldar], setup);
      const what = `ldar size ${size} at +${off}`;
      expect(faulted(m), what).toBe(crosses);
      if (crosses) {
        expect(ec(m), what).toBe(0x25n);
        expect(m.cpu.getSysReg(SysReg.ESR_EL1) & 0x7fn, what).toBe(0x21n);
        expect(m.cpu.getSysReg(SysReg.FAR_EL1), what).toBe(BigInt(BASE + off));
      } else expect(m.cpu.getX(2), what).toBe(0x1122334455667788n & ((1n << BigInt(8 << size)) - 1n));
      // With SCTLR_EL1.nAA set no ordered access faults.
      const n = runWithVectors([ldar], (mm) => {
        setup(mm);
        mm.cpu.setSysReg(SysReg.SCTLR_EL1, SCTLR_NAA);
      });
      expect(faulted(n), `${what} with nAA`).toBe(false);
      const st = runWithVectors([encode('STLR', { size, o0: 1, rn: 1, rt: 3 }), encode('LDAPUR', { size, imm9: -1, rn: 4, rt: 5 })], (mm) => {
        setup(mm);
        mm.cpu.setX(3, 0xa1a2a3a4a5a6a7a8n);
        mm.cpu.setX(4, BigInt(BASE + off + 1));
      });
      expect(faulted(st), `stlr ${what}`).toBe(crosses);
      if (!crosses) expect(st.cpu.getX(5), `stlr/ldapur ${what}`).toBe(0xa1a2a3a4a5a6a7a8n & ((1n << BigInt(8 << size)) - 1n));
    }
  });

  test('LSE atomics and CAS unaligned inside 16 bytes work; LDXR does not', () => {
    const m = runWithVectors([encode('LDADD', { size: 3, a: 0, r: 0, rs: 3, rn: 1, rt: 2 })], (mm) => {
      mm.cpu.setX(1, BigInt(BASE + 4));
      mm.cpu.setX(3, 5n);
      setMem(mm, BASE + 4, 8, 0x100n);
    });
    expect(faulted(m)).toBe(false);
    expect([m.cpu.getX(2), memLE(m, BASE + 4, 8)]).toEqual([0x100n, 0x105n]);
    const c = runWithVectors([encode('CAS', { size: 2, l: 0, o0: 0, rs: 3, rn: 1, rt: 4 })], (mm) => {
      mm.cpu.setX(1, BigInt(BASE + 13));
      setMem(mm, BASE + 13, 4, 0n);
      mm.cpu.setX(4, 0x12345678n);
    });
    expect(faulted(c)).toBe(true);
    const x = runWithVectors([encode('LDXR', { size: 2, o0: 0, rn: 1, rt: 2 })], (mm) => mm.cpu.setX(1, BigInt(BASE + 4 + 2)));
    expect(faulted(x)).toBe(true);
  });

  test('a load or store based on a misaligned SP faults with EC 0x26 while SCTLR.SA is set; prefetch and SP arithmetic do not', () => {
    let jit = Infinity;
    const setSp = (v: number, sa: boolean) => (mm: Machine): void => {
      mm.cpu.jitThreshold = jit;
      mm.cpu.setX(31, BigInt(v));
      if (sa) mm.cpu.setSysReg(SysReg.SCTLR_EL1, SCTLR_SA);
    };
    const ldrSp = encode('LDR_uimm', { size: 3, imm12: 0, rn: 31, rt: 2 });
    const stpSp = encode('STP_pre', { opc: 2, imm7: -2, rt2: 3, rn: 31, rt: 2 });
    // On closures, and translated before the first execution (the emitters check SP themselves).
    for (const [word, what, threshold] of [0, Infinity].flatMap((t) => [[ldrSp, `ldr x2, [sp] (jit ${t})`, t], [stpSp, `stp x2, x3, [sp, #-16]! (jit ${t})`, t]] as const)) {
      jit = threshold;
      const bad = runWithVectors([word], setSp(BASE + 8, true));
      expect(faulted(bad), what).toBe(true);
      expect(ec(bad), what).toBe(0x26n);
      expect(bad.cpu.getSysReg(SysReg.ELR_EL1), what).toBe(BigInt(CODE));
      expect(faulted(runWithVectors([word], setSp(BASE + 16, true))), `${what} aligned`).toBe(false);
      expect(faulted(runWithVectors([word], setSp(BASE + 8, false))), `${what} without SA`).toBe(false);
    }
    const prfm = encode('PRFM_uimm', { size: 3, imm12: 0, rn: 31, rt: 0 });
    const addSp = encode('ADD_imm', { sf: 1, sh: 0, imm12: 1, rn: 31, rd: 31 });
    expect(faulted(runWithVectors([prfm, addSp], setSp(BASE + 8, true)))).toBe(false);
    // A load based on another register is not checked, whatever SP holds.
    expect(faulted(runWithVectors([encode('LDR_uimm', { size: 3, imm12: 0, rn: 1, rt: 2 })], (mm) => {
      setSp(BASE + 8, true)(mm);
      mm.cpu.setX(1, BigInt(BASE + 8));
    }))).toBe(false);
  });
});
