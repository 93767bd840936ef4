/**
 * Interpreter semantics for the cryptographic extensions (ARM ARM C7.2:
 * AESE/AESD/AESMC/AESIMC, PMULL, SHA1*, SHA256*, SHA512*, EOR3, RAX1, XAR,
 * BCAX), following the ARM ARM pseudocode (AESSubBytes, SHA256hash, ...).
 *
 * The AES S-boxes and the GF(2^8) multiplication tables are computed once
 * at load from their definitions (multiplicative inverse in GF(2^8) modulo
 * x^8 + x^4 + x^3 + x + 1, then the affine map) rather than written out.
 * SHA1/SHA256 work on the four 32-bit lanes in place; SHA512 uses BigInt
 * on the two 64-bit lanes.
 */
import type { Cpu } from '../cpu.js';
import type { ExecTable } from './types.js';

// ---- GF(2^8) and the AES tables ---------------------------------------------------

function gmul(a: number, b: number): number {
  let p = 0;
  for (let i = 0; i < 8; i++) {
    if (b & 1) p ^= a;
    const hi = a & 0x80;
    a = (a << 1) & 0xff;
    if (hi) a ^= 0x1b;
    b >>= 1;
  }
  return p;
}

const SBOX = new Uint8Array(256);
const INV_SBOX = new Uint8Array(256);
{
  const rotl8 = (x: number, s: number): number => ((x << s) | (x >> (8 - s))) & 0xff;
  for (let x = 0; x < 256; x++) {
    let inv = 0;
    if (x) for (let y = 1; y < 256; y++) if (gmul(x, y) === 1) { inv = y; break; }
    const s = inv ^ rotl8(inv, 1) ^ rotl8(inv, 2) ^ rotl8(inv, 3) ^ rotl8(inv, 4) ^ 0x63;
    SBOX[x] = s;
    INV_SBOX[s] = x;
  }
}
const MUL = [2, 3, 9, 11, 13, 14].map((k) => Uint8Array.from({ length: 256 }, (_, x) => gmul(x, k)));
const [M2, M3, M9, M11, M13, M14] = MUL as [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array];

/** State byte 4*column + row; ShiftRows moves row r left by r columns. */
const SHIFT_ROWS = Uint8Array.from({ length: 16 }, (_, i) => 4 * (((i >> 2) + (i & 3)) & 3) + (i & 3));
const INV_SHIFT_ROWS = Uint8Array.from({ length: 16 }, (_, i) => 4 * (((i >> 2) - (i & 3) + 4) & 3) + (i & 3));

const tmp = new Uint8Array(16);

function aesRound(sbox: Uint8Array, perm: Uint8Array) {
  return (f: { rd?: number; rn?: number }) => {
    const d = 16 * f.rd!;
    const n = 16 * f.rn!;
    return (cpu: Cpu): void => {
      const vb = cpu.vb;
      for (let i = 0; i < 16; i++) tmp[i] = vb[d + i]! ^ vb[n + i]!;
      for (let i = 0; i < 16; i++) vb[d + i] = sbox[tmp[perm[i]!]!]!;
    };
  };
}

function mixColumns(inverse: boolean) {
  return (f: { rd?: number; rn?: number }) => {
    const d = 16 * f.rd!;
    const n = 16 * f.rn!;
    return (cpu: Cpu): void => {
      const vb = cpu.vb;
      for (let i = 0; i < 16; i++) tmp[i] = vb[n + i]!;
      for (let c = 0; c < 16; c += 4) {
        const a0 = tmp[c]!, a1 = tmp[c + 1]!, a2 = tmp[c + 2]!, a3 = tmp[c + 3]!;
        if (inverse) {
          vb[d + c] = M14[a0]! ^ M11[a1]! ^ M13[a2]! ^ M9[a3]!;
          vb[d + c + 1] = M9[a0]! ^ M14[a1]! ^ M11[a2]! ^ M13[a3]!;
          vb[d + c + 2] = M13[a0]! ^ M9[a1]! ^ M14[a2]! ^ M11[a3]!;
          vb[d + c + 3] = M11[a0]! ^ M13[a1]! ^ M9[a2]! ^ M14[a3]!;
        } else {
          vb[d + c] = M2[a0]! ^ M3[a1]! ^ a2 ^ a3;
          vb[d + c + 1] = a0 ^ M2[a1]! ^ M3[a2]! ^ a3;
          vb[d + c + 2] = a0 ^ a1 ^ M2[a2]! ^ M3[a3]!;
          vb[d + c + 3] = M3[a0]! ^ a1 ^ a2 ^ M2[a3]!;
        }
      }
    };
  };
}

// ---- carry-less multiplication -------------------------------------------------------

/** 32 x 32 -> 64-bit carry-less product, as [low word, high word]. */
const clo = new Uint32Array(2);
function clmul32(a: number, b: number): void {
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < 32; i++) {
    if ((b >>> i) & 1) {
      lo ^= a << i;
      if (i) hi ^= a >>> (32 - i);
    }
  }
  clo[0] = lo;
  clo[1] = hi;
}

// ---- SHA helpers ---------------------------------------------------------------------

const rol = (x: number, s: number): number => ((x << s) | (x >>> (32 - s))) >>> 0;
const ror = (x: number, s: number): number => ((x >>> s) | (x << (32 - s))) >>> 0;
const choose = (x: number, y: number, z: number): number => ((x & y) | (~x & z)) >>> 0;
const parity = (x: number, y: number, z: number): number => (x ^ y ^ z) >>> 0;
const majority = (x: number, y: number, z: number): number => ((x & y) | ((x | y) & z)) >>> 0;

/** The SHA256 message-schedule sigma1. */
const sigma1 = (t: number): number => (ror(t, 17) ^ ror(t, 19) ^ (t >>> 10)) >>> 0;

const X = new Uint32Array(4);
const Y = new Uint32Array(4);
const W = new Uint32Array(4);
const T = new Uint32Array(4);

function load(dst: Uint32Array, cpu: Cpu, r: number): void {
  const vs = cpu.vs;
  for (let i = 0; i < 4; i++) dst[i] = vs[4 * r + i]!;
}

function store(cpu: Cpu, r: number, src: Uint32Array): void {
  const vs = cpu.vs;
  for (let i = 0; i < 4; i++) vs[4 * r + i] = src[i]!;
}

/** SHA1C/SHA1P/SHA1M: four rounds on the hash state Qd with E in Sn and W in Vm. */
function sha1Rounds(fn: (x: number, y: number, z: number) => number) {
  return (f: { rd?: number; rn?: number; rm?: number }) => {
    const d = f.rd!;
    const n = f.rn!;
    const m = f.rm!;
    return (cpu: Cpu): void => {
      load(X, cpu, d);
      load(W, cpu, m);
      let y = cpu.vs[4 * n]!;
      for (let e = 0; e < 4; e++) {
        const t = fn(X[1]!, X[2]!, X[3]!);
        y = (y + rol(X[0]!, 5) + t + W[e]!) >>> 0;
        X[1] = rol(X[1]!, 30);
        // <Y, X> = ROL(Y:X, 32)
        const top = X[3]!;
        X[3] = X[2]!;
        X[2] = X[1]!;
        X[1] = X[0]!;
        X[0] = y;
        y = top;
      }
      store(cpu, d, X);
    };
  };
}

/** SHA256hash(X, Y, W, part1): four rounds; X = a..d, Y = e..h. */
function sha256Hash(part1: boolean) {
  return (f: { rd?: number; rn?: number; rm?: number }) => {
    const d = f.rd!;
    const n = f.rn!;
    const m = f.rm!;
    return (cpu: Cpu): void => {
      load(part1 ? X : Y, cpu, d);
      load(part1 ? Y : X, cpu, n);
      load(W, cpu, m);
      for (let e = 0; e < 4; e++) {
        const chs = choose(Y[0]!, Y[1]!, Y[2]!);
        const maj = majority(X[0]!, X[1]!, X[2]!);
        const y0 = Y[0]!;
        const t1 = (Y[3]! + (ror(y0, 6) ^ ror(y0, 11) ^ ror(y0, 25)) + chs + W[e]!) >>> 0;
        X[3] = (t1 + X[3]!) >>> 0;
        const x0 = X[0]!;
        Y[3] = (t1 + ((ror(x0, 2) ^ ror(x0, 13) ^ ror(x0, 22)) >>> 0) + maj) >>> 0;
        // <Y, X> = ROL(Y:X, 32)
        const xTop = X[3]!;
        const yTop = Y[3]!;
        X[3] = X[2]!; X[2] = X[1]!; X[1] = X[0]!; X[0] = yTop;
        Y[3] = Y[2]!; Y[2] = Y[1]!; Y[1] = Y[0]!; Y[0] = xTop;
      }
      store(cpu, d, part1 ? X : Y);
    };
  };
}

// ---- SHA512 and SHA3 (64-bit lanes) -------------------------------------------------------

const M64 = (1n << 64n) - 1n;
const ror64 = (x: bigint, s: bigint): bigint => ((x >> s) | (x << (64n - s))) & M64;
const add64 = (...v: bigint[]): bigint => v.reduce((a, b) => a + b, 0n) & M64;
const sigma = (x: bigint, a: bigint, b: bigint, c: bigint): bigint => ror64(x, a) ^ ror64(x, b) ^ ror64(x, c);

type Regs3 = { rd?: number; rn?: number; rm?: number };

/** A 128-bit result from (d.lo, d.hi, n.lo, n.hi, m.lo, m.hi) in 64-bit lanes. */
function lanes64(op: (d0: bigint, d1: bigint, n0: bigint, n1: bigint, m0: bigint, m1: bigint) => [bigint, bigint]) {
  return (f: Regs3 & { ra?: number }) => {
    const d = 2 * f.rd!;
    const n = 2 * (f.rn ?? 0);
    const m = 2 * (f.rm ?? 0);
    return (cpu: Cpu): void => {
      const vd = cpu.vd;
      const [lo, hi] = op(vd[d]!, vd[d + 1]!, vd[n]!, vd[n + 1]!, vd[m]!, vd[m + 1]!);
      vd[d] = lo & M64;
      vd[d + 1] = hi & M64;
    };
  };
}

export const cryptoExec: ExecTable = {
  AESE: aesRound(SBOX, SHIFT_ROWS),
  AESD: aesRound(INV_SBOX, INV_SHIFT_ROWS),
  AESMC: mixColumns(false),
  AESIMC: mixColumns(true),

  PMULL_8: (f) => {
    const d = 8 * f.rd!;
    const n = 16 * f.rn! + 8 * f.q!;
    const m = 16 * f.rm! + 8 * f.q!;
    return (cpu) => {
      const vb = cpu.vb;
      for (let i = 0; i < 8; i++) tmp[i] = vb[n + i]!;
      for (let i = 0; i < 8; i++) tmp[8 + i] = vb[m + i]!;
      const vh = cpu.vh;
      for (let i = 0; i < 8; i++) {
        const a = tmp[i]!;
        const b = tmp[8 + i]!;
        let p = 0;
        for (let k = 0; k < 8; k++) if ((b >> k) & 1) p ^= a << k;
        vh[d + i] = p;
      }
    };
  },
  PMULL_64: (f) => {
    const d = 4 * f.rd!;
    const n = 4 * f.rn! + 2 * f.q!;
    const m = 4 * f.rm! + 2 * f.q!;
    return (cpu) => {
      const vs = cpu.vs;
      const a0 = vs[n]!, a1 = vs[n + 1]!, b0 = vs[m]!, b1 = vs[m + 1]!;
      clmul32(a0, b0);
      const r0 = clo[0]!;
      let r1 = clo[1]!;
      clmul32(a1, b1);
      let r2 = clo[0]!;
      const r3 = clo[1]!;
      clmul32(a0, b1);
      r1 ^= clo[0]!;
      r2 ^= clo[1]!;
      clmul32(a1, b0);
      r1 ^= clo[0]!;
      r2 ^= clo[1]!;
      vs[d] = r0;
      vs[d + 1] = r1;
      vs[d + 2] = r2;
      vs[d + 3] = r3;
    };
  },

  SHA1C: sha1Rounds(choose),
  SHA1P: sha1Rounds(parity),
  SHA1M: sha1Rounds(majority),
  SHA1H: (f) => {
    const d = 4 * f.rd!;
    const n = 4 * f.rn!;
    return (cpu) => {
      const vs = cpu.vs;
      const r = rol(vs[n]!, 30);
      vs[d] = r;
      vs[d + 1] = 0;
      vs[d + 2] = 0;
      vs[d + 3] = 0;
    };
  },
  SHA1SU0: (f) => {
    const d = f.rd!;
    const n = f.rn!;
    const m = f.rm!;
    return (cpu) => {
      load(X, cpu, d);
      load(Y, cpu, n);
      load(W, cpu, m);
      // result = (Vn<63:0> : Vd<127:64>) EOR Vd EOR Vm
      T[0] = X[2]!; T[1] = X[3]!; T[2] = Y[0]!; T[3] = Y[1]!;
      for (let i = 0; i < 4; i++) T[i] = T[i]! ^ X[i]! ^ W[i]!;
      store(cpu, d, T);
    };
  },
  SHA1SU1: (f) => {
    const d = f.rd!;
    const n = f.rn!;
    return (cpu) => {
      load(X, cpu, d);
      load(Y, cpu, n);
      // T = Vd EOR LSR(Vn, 32)
      for (let i = 0; i < 4; i++) T[i] = X[i]! ^ (i < 3 ? Y[i + 1]! : 0);
      const t0 = T[0]!;
      for (let i = 0; i < 4; i++) T[i] = rol(T[i]!, 1);
      T[3] = (T[3]! ^ rol(t0, 2)) >>> 0;
      store(cpu, d, T);
    };
  },
  SHA256H: sha256Hash(true),
  SHA256H2: sha256Hash(false),
  SHA256SU0: (f) => {
    const d = f.rd!;
    const n = f.rn!;
    return (cpu) => {
      load(X, cpu, d);
      load(Y, cpu, n);
      // T = Vn<31:0> : Vd<127:32>
      T[0] = X[1]!; T[1] = X[2]!; T[2] = X[3]!; T[3] = Y[0]!;
      for (let e = 0; e < 4; e++) {
        const t = T[e]!;
        T[e] = ((ror(t, 7) ^ ror(t, 18) ^ (t >>> 3)) + X[e]!) >>> 0;
      }
      store(cpu, d, T);
    };
  },
  SHA256SU1: (f) => {
    const d = f.rd!;
    const n = f.rn!;
    const m = f.rm!;
    return (cpu) => {
      load(X, cpu, d);
      load(Y, cpu, n);
      load(W, cpu, m);
      // T0 = Vm<31:0> : Vn<127:32>; the high half uses the low half just computed.
      T[0] = (sigma1(W[2]!) + X[0]! + Y[1]!) >>> 0;
      T[1] = (sigma1(W[3]!) + X[1]! + Y[2]!) >>> 0;
      T[2] = (sigma1(T[0]!) + X[2]! + Y[3]!) >>> 0;
      T[3] = (sigma1(T[1]!) + X[3]! + W[0]!) >>> 0;
      store(cpu, d, T);
    };
  },

  // SHA512H Qd, Qn, Vm: X = Vn, Y = Vm, W = Vd.
  SHA512H: lanes64((w0, w1, x0, x1, y0, y1) => {
    const hi = add64((y1 & x0) ^ (~y1 & M64 & x1), sigma(y1, 14n, 18n, 41n), w1);
    const t = add64(hi, y0);
    const lo = add64((t & y1) ^ (~t & M64 & x0), sigma(t, 14n, 18n, 41n), w0);
    return [lo, hi];
  }),
  SHA512H2: lanes64((w0, w1, x0, _x1, y0, y1) => {
    const hi = add64((x0 & y1) ^ (x0 & y0) ^ (y1 & y0), sigma(y0, 28n, 34n, 39n), w1);
    const lo = add64((hi & y0) ^ (hi & y1) ^ (y1 & y0), sigma(hi, 28n, 34n, 39n), w0);
    return [lo, hi];
  }),
  SHA512SU0: lanes64((w0, w1, x0) => [
    add64(w0, ror64(w1, 1n) ^ ror64(w1, 8n) ^ (w1 >> 7n)),
    add64(w1, ror64(x0, 1n) ^ ror64(x0, 8n) ^ (x0 >> 7n)),
  ]),
  SHA512SU1: lanes64((w0, w1, x0, x1, y0, y1) => [
    add64(w0, ror64(x0, 19n) ^ ror64(x0, 61n) ^ (x0 >> 6n), y0),
    add64(w1, ror64(x1, 19n) ^ ror64(x1, 61n) ^ (x1 >> 6n), y1),
  ]),
  RAX1: lanes64((_d0, _d1, n0, n1, m0, m1) => [n0 ^ ror64(m0, 63n), n1 ^ ror64(m1, 63n)]),
  XAR: (f) => {
    const s = BigInt(f.imm6!);
    const d = 2 * f.rd!;
    const n = 2 * f.rn!;
    const m = 2 * f.rm!;
    return (cpu) => {
      const vd = cpu.vd;
      const a = vd[n]! ^ vd[m]!;
      const b = vd[n + 1]! ^ vd[m + 1]!;
      vd[d] = s ? ror64(a, s) : a;
      vd[d + 1] = s ? ror64(b, s) : b;
    };
  },
  EOR3: (f) => {
    const d = 4 * f.rd!, n = 4 * f.rn!, m = 4 * f.rm!, a = 4 * f.ra!;
    return (cpu) => {
      const vs = cpu.vs;
      for (let i = 0; i < 4; i++) vs[d + i] = vs[n + i]! ^ vs[m + i]! ^ vs[a + i]!;
    };
  },
  BCAX: (f) => {
    const d = 4 * f.rd!, n = 4 * f.rn!, m = 4 * f.rm!, a = 4 * f.ra!;
    return (cpu) => {
      const vs = cpu.vs;
      for (let i = 0; i < 4; i++) vs[d + i] = vs[n + i]! ^ (vs[m + i]! & ~vs[a + i]!);
    };
  },
};
