/**
 * Test support for the ELF fuzz: mutations of real executables (edits of
 * header and program-header bytes and fields, truncations, extensions) as
 * fast-check arbitraries, applied as an overlay on the seed's bytes so a
 * case costs only what the loader reads; and a HostPorts that serves the
 * mutated file at one path (everything else is the real host), so the
 * whole launch path (open, parse, load, stack) runs in process.
 */
import fc from 'fast-check';
import { HostError, type HostFs, type HostPorts, type HostStat } from '../../src/ports/host.js';

/** One executable to mutate: its bytes and where its program headers end. */
export interface Seed {
  readonly name: string;
  readonly bytes: Uint8Array;
}

export interface Edit {
  readonly at: number;
  readonly bytes: Uint8Array;
}

/** A seed with edits applied and its size changed (cut short, or grown: the new bytes read as zeros). */
export interface Mutant {
  readonly seed: Seed;
  readonly edits: readonly Edit[];
  readonly size: number;
}

/** The program headers' span: 64 + e_phnum * 56 after e_phoff (at most 64 KiB, as binfmt_elf allows). */
export function headerSpan(bytes: Uint8Array): number {
  if (bytes.length < 64) return bytes.length;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const phoff = Number(dv.getBigUint64(32, true));
  const end = phoff + dv.getUint16(56, true) * 56;
  return Math.min(bytes.length, Math.max(64, end));
}

/** `length` bytes from `offset` of the mutant (fewer at its end). */
export function readMutant(m: Mutant, offset: number, length: number): Uint8Array {
  const n = Math.max(0, Math.min(length, m.size - offset));
  const out = new Uint8Array(n);
  const base = m.seed.bytes;
  if (offset < base.length) out.set(base.subarray(offset, Math.min(offset + n, base.length)));
  for (const e of m.edits) {
    const lo = Math.max(e.at, offset);
    const hi = Math.min(e.at + e.bytes.length, offset + n);
    if (lo < hi) out.set(e.bytes.subarray(lo - e.at, hi - e.at), lo - offset);
  }
  return out;
}

/** The whole mutant (for writing it to a file). */
export function mutantBytes(m: Mutant): Uint8Array {
  return readMutant(m, 0, m.size);
}

const le = (value: bigint, width: number): Uint8Array => {
  const out = new Uint8Array(width);
  let v = BigInt.asUintN(width * 8, value);
  for (let i = 0; i < width; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
};

/** Values that sit on the loader's boundaries. */
function interestingWord(size: number): fc.Arbitrary<bigint> {
  const s = BigInt(size);
  return fc.oneof(
    fc.constantFrom(0n, 1n, 2n, 7n, 8n, 56n, 64n, 0xfffn, 0x1000n, 0x1001n, 0x10000n, 0x400000n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n),
    fc.constantFrom(2n ** 47n, 2n ** 48n - 0x1000n, 2n ** 48n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n, 2n ** 64n - 0x1000n),
    fc.constantFrom(s, s - 1n, s + 1n, s - 0x1000n, s + 0x1000n),
    fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    fc.bigInt({ min: 0n, max: 0x100000n }),
  );
}

/** Edits of the ELF header and program headers: bytes, and 2-, 4- and 8-byte fields at field-aligned offsets. */
function headerEdits(seed: Seed): fc.Arbitrary<Edit[]> {
  const span = headerSpan(seed.bytes);
  const byte = fc.record({
    at: fc.nat({ max: span - 1 }),
    bytes: fc.oneof(fc.constantFrom(0, 1, 2, 3, 0x7f, 0x80, 0xff), fc.nat({ max: 255 })).map((b) => Uint8Array.of(b)),
  });
  const word = fc.constantFrom(2, 4, 8).chain((width) =>
    fc.record({
      at: fc.nat({ max: Math.max(0, Math.floor((span - width) / width)) }).map((i) => i * width),
      bytes: interestingWord(seed.bytes.length).map((v) => le(v, width)),
    }),
  );
  // A program header's fields: p_type/p_flags (4), p_offset..p_align (8), at their exact places.
  const phField = fc.record({ i: fc.nat({ max: Math.max(0, Math.floor((span - 64) / 56) - 1) }), field: fc.nat({ max: 7 }) }).chain(({ i, field }) => {
    const at = 64 + i * 56 + (field < 2 ? field * 4 : 8 + (field - 2) * 8);
    const width = field < 2 ? 4 : 8;
    const type = field === 0 ? fc.constantFrom(0n, 1n, 2n, 3n, 4n, 6n, 7n, 0x6474e551n, 0xffffffffn).map((v) => le(v, 4)) : interestingWord(seed.bytes.length).map((v) => le(v, width));
    return type.map((bytes) => ({ at, bytes }));
  });
  return fc.array(fc.oneof(byte, word, phField), { minLength: 1, maxLength: 8 });
}

/** Header mutations, sometimes with a new size (cut or grown, up to 5 GiB of zeros). */
export function headerMutant(seeds: readonly Seed[]): fc.Arbitrary<Mutant> {
  return fc.constantFrom(...seeds).chain((seed) =>
    fc.record({
      seed: fc.constant(seed),
      edits: headerEdits(seed),
      size: fc.oneof(
        { weight: 6, arbitrary: fc.constant(seed.bytes.length) },
        { weight: 1, arbitrary: fc.nat({ max: seed.bytes.length }) },
        { weight: 1, arbitrary: fc.constantFrom(seed.bytes.length + 1, seed.bytes.length + 0x1000, 5 * 1024 ** 3) },
      ),
    }),
  );
}

/** Truncations: cut anywhere, most often inside the headers or at a page or segment edge. */
export function truncatedMutant(seeds: readonly Seed[]): fc.Arbitrary<Mutant> {
  return fc.constantFrom(...seeds).chain((seed) => {
    const n = seed.bytes.length;
    const span = headerSpan(seed.bytes);
    const cut = fc.oneof(
      fc.nat({ max: span }),
      fc.nat({ max: n }),
      fc.nat({ max: Math.floor(n / 4096) }).chain((p) => fc.integer({ min: -2, max: 2 }).map((d) => Math.min(n, Math.max(0, p * 4096 + d)))),
    );
    return fc.record({
      seed: fc.constant(seed),
      edits: fc.oneof({ weight: 3, arbitrary: fc.constant([] as Edit[]) }, { weight: 1, arbitrary: headerEdits(seed) }),
      size: cut,
    });
  });
}

/** A few bytes changed anywhere in the file (code and data too: the guest then runs something else). */
export function anywhereMutant(seeds: readonly Seed[]): fc.Arbitrary<Mutant> {
  return fc.constantFrom(...seeds).chain((seed) =>
    fc.record({
      seed: fc.constant(seed),
      edits: fc.array(fc.record({ at: fc.nat({ max: seed.bytes.length - 1 }), bytes: fc.nat({ max: 255 }).map((b) => Uint8Array.of(b)) }), { minLength: 1, maxLength: 4 }),
      size: fc.constant(seed.bytes.length),
    }),
  );
}

/** A stat of a regular, executable file of `size` bytes. */
function fileStat(size: number): HostStat {
  return {
    dev: 0xf0n,
    ino: 0xe1fn,
    mode: 0o100755,
    nlink: 1,
    uid: 0,
    gid: 0,
    rdev: 0n,
    size: BigInt(size),
    blksize: 4096,
    blocks: BigInt(Math.ceil(size / 512)),
    atimeNs: 0n,
    mtimeNs: 0n,
    ctimeNs: 0n,
    birthtimeNs: 0n,
  };
}

/** Descriptor numbers of the served file: far above what the host hands out. */
const FAKE_FD_BASE = 1 << 24;

/**
 * The real host, except that `path` is `file` (regular, mode 0755). Counts
 * what is open of it, so a test can check that every launch lets it go.
 */
export function hostServing(real: HostPorts, path: string, current: () => Mutant): { host: HostPorts; openCount: () => number } {
  const open = new Set<number>();
  let nextFd = FAKE_FD_BASE;
  const mine = (fd: number): boolean => open.has(fd);
  // The walk asks for the served file as one name in its directory: know that directory by inode.
  const slash = path.lastIndexOf('/');
  const base = path.slice(slash + 1);
  const dirFd = real.fs.openRoot(path.slice(0, slash) || '/');
  const dirSt = real.fs.fstat(dirFd);
  real.fs.close(dirFd);
  const served = (dirfd: number, name: string): boolean => {
    if (name !== base) return false;
    const st = real.fs.fstat(dirfd);
    return st.dev === dirSt.dev && st.ino === dirSt.ino;
  };
  const overrides: Partial<HostFs> = {
    statat: (dirfd, name, noFollow) => (served(dirfd, name) ? fileStat(current().size) : real.fs.statat(dirfd, name, noFollow)),
    openat: (dirfd, name, flags, mode) => {
      if (!served(dirfd, name)) return real.fs.openat(dirfd, name, flags, mode);
      const fd = nextFd++;
      open.add(fd);
      return fd;
    },
    fstat: (fd) => (mine(fd) ? fileStat(current().size) : real.fs.fstat(fd)),
    read: (fd, buf, position) => {
      if (!mine(fd)) return real.fs.read(fd, buf, position);
      if (position === null) throw new HostError('ESPIPE', 'read');
      const part = readMutant(current(), Number(position), buf.length);
      buf.set(part);
      return part.length;
    },
    close: (fd) => {
      if (!mine(fd)) return real.fs.close(fd);
      open.delete(fd);
    },
  };
  const fs = new Proxy(real.fs, {
    get(target, prop, receiver) {
      const o = overrides[prop as keyof HostFs];
      if (o) return o;
      const v: unknown = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { host: { ...real, fs }, openCount: () => open.size };
}
