/**
 * Property: the fork state survives its codec. For random states,
 * decode(encode(s)) equals s and encoding that again gives the same bytes;
 * any truncation, extension or byte flip of an encoding decodes to a
 * ForkStateError or to some state, never to another kind of failure. The
 * control channel's messages round-trip the same way.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChannelMessageError, decodeMessage, encodeMessage, type ChannelMessage } from '../../src/domain/fork/messages.js';
import { FORK_STATE_VERSION, ForkStateError, NSIG, V_BYTES, X_REGS, decodeForkState, encodeForkState, type ForkState } from '../../src/domain/fork/state.js';

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const u32 = fc.nat({ max: 0xffff_ffff });
const i32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const addr = fc.nat({ max: 2 ** 48 - 1 });
const page = fc.nat({ max: 2 ** 36 - 1 }).map((n) => n * 4096);
const bytestr = fc.array(fc.nat({ max: 255 }), { maxLength: 40 }).map((b) => String.fromCharCode(...b));
/** 4 KiB of pseudo-random bytes from a seed (cheaper to generate than 4,096 draws). */
const pageData = fc.integer().map((seed) => {
  const out = new Uint8Array(4096);
  let x = seed | 1;
  for (let i = 0; i < out.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
});
const table = fc.dictionary(fc.constantFrom('mmapBase', 'stackTop', 'pieBase', 'argvStart', 'argvEnd', 'envEnd', 'auxv'), addr);

const state: fc.Arbitrary<ForkState> = fc.record({
  thread: fc.record({
    regs: fc.record({
      x: fc.array(u64, { minLength: X_REGS, maxLength: X_REGS }),
      sp: u64,
      pc: u64,
      pstate: u64,
      fpcr: u64,
      fpsr: u64,
      tpidr: u64,
      tpidrro: u64,
      v: fc.uint8Array({ minLength: V_BYTES, maxLength: V_BYTES }),
    }),
    sigmask: u64,
    altStack: fc.record({ sp: u64, flags: i32, size: u64 }),
    clearChildTid: u64,
    setChildTid: u64,
  }),
  process: fc.record({
    sigactions: fc.array(fc.record({ handler: u64, flags: u64, restorer: u64, mask: u64 }), { minLength: NSIG, maxLength: NSIG }),
    rlimits: fc.array(fc.record({ cur: u64, max: u64 }), { maxLength: 16 }),
    uid: u32,
    euid: u32,
    suid: u32,
    gid: u32,
    egid: u32,
    sgid: u32,
    fsuid: u32,
    fsgid: u32,
    groups: fc.array(u32, { maxLength: 8 }),
    caps: fc.array(u64, { minLength: 5, maxLength: 5 }),
    comm: bytestr,
    nice: fc.integer({ min: -20, max: 19 }),
    oomScoreAdj: fc.integer({ min: -1000, max: 1000 }),
    oomScoreAdjMin: fc.integer({ min: -1000, max: 1000 }),
    dumpable: fc.nat({ max: 2 }),
    noNewPrivs: fc.boolean(),
    keepCaps: fc.boolean(),
    timerSlackNs: fc.nat(),
    personality: u32,
    exitSignal: fc.nat({ max: 64 }),
    execfn: bytestr,
    exePath: bytestr,
    endStatus: fc.integer({ min: -1, max: 0xffff }),
  }),
  mm: fc
    .array(
      fc.record({
        kind: fc.constantFrom('file' as const, 'memfd' as const, 'sysv' as const),
        slot: fc.integer({ min: -1, max: 1000 }),
        shmid: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
        size: fc.nat(),
        writable: fc.boolean(),
        key: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
      }),
      { maxLength: 4 },
    )
    .chain((objects) =>
      fc.record({
        objects: fc.constant(objects),
        vmas: fc.array(
          fc.record({
            start: page,
            end: page,
            prot: fc.nat({ max: 7 }),
            flags: u32,
            name: bytestr,
            wantExec: fc.boolean(),
            offset: fc.nat(),
            noWrite: fc.boolean(),
            named: fc.boolean(),
            anonName: bytestr,
            object: fc.integer({ min: -1, max: objects.length - 1 }),
          }),
          { maxLength: 6 },
        ),
        pages: fc.array(fc.record({ va: page, data: pageData }), { maxLength: 3 }),
        brkStart: addr,
        brkCur: addr,
        layout: table,
        sigtramp: addr,
        membarrierState: fc.integer({ min: 0, max: 63 }),
        image: table,
        auxv: fc.uint8Array({ maxLength: 64 }),
        segments: fc.array(fc.record({ start: page, end: page, offset: fc.nat() }), { maxLength: 4 }),
      }),
    ),
  files: fc
    .array(
      fc.record({
        slot: fc.integer({ min: -1, max: 1000 }),
        flags: u32,
        kind: fc.constantFrom('file', 'dir', 'chr', 'tty', 'fifo', 'socket', 'path'),
        path: bytestr,
        layer: fc.constantFrom('sysroot', 'host'),
        unlinked: fc.boolean(),
        ownsHostFd: fc.boolean(),
        synth: fc.boolean(),
        offset: u64,
        event: fc.uint8Array({ maxLength: 40 }),
        owner: fc.record({ type: fc.integer({ min: 0, max: 2 }), pid: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), signum: fc.integer({ min: 0, max: 64 }) }),
      }),
      { minLength: 1, maxLength: 5 },
    )
    .chain((descriptions) =>
      fc.record({
        descriptions: fc.constant(descriptions),
        fds: fc.array(fc.record({ fd: fc.nat({ max: 1023 }), description: fc.nat({ max: descriptions.length - 1 }), cloexec: fc.boolean() }), {
          maxLength: 8,
        }),
      }),
    ),
  fs: fc.record({ sysroot: fc.option(bytestr, { nil: null }), foldsCase: fc.boolean(), cwd: bytestr, umask: fc.nat({ max: 0o777 }) }),
});

describe('fork state', () => {
  it('decode(encode(s)) is s, and encoding again gives the same bytes', () => {
    fc.assert(
      fc.property(state, (s) => {
        const bytes = encodeForkState(s);
        const back = decodeForkState(bytes);
        // Byte arrays compared as buffers (vitest's deep equality walks them element by element).
        const flat = (x: ForkState) => ({
          ...x,
          thread: { ...x.thread, regs: { ...x.thread.regs, v: Buffer.from(x.thread.regs.v).toString('hex') } },
          mm: { ...x.mm, auxv: Buffer.from(x.mm.auxv).toString('hex'), pages: x.mm.pages.map((p) => ({ va: p.va, data: Buffer.from(p.data).toString('hex') })) },
        });
        expect(flat(back)).toEqual(flat(s));
        expect(Buffer.compare(encodeForkState(back), bytes)).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('damaged bytes decode to a ForkStateError or a state, nothing else', () => {
    fc.assert(
      fc.property(state, fc.nat(), fc.nat({ max: 255 }), fc.constantFrom('cut', 'grow', 'flip'), (s, at, b, how) => {
        const bytes = encodeForkState(s);
        const i = at % bytes.length;
        const damaged = how === 'cut' ? bytes.slice(0, i) : how === 'grow' ? new Uint8Array([...bytes, b]) : bytes.slice();
        if (how === 'flip') damaged[i] = (damaged[i] ?? 0) ^ (b | 1);
        try {
          decodeForkState(damaged);
        } catch (e) {
          expect(e).toBeInstanceOf(ForkStateError);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses another version and states with the wrong shape', () => {
    const sample = fc.sample(state, { numRuns: 1, seed: 1 })[0]!;
    const bytes = encodeForkState(sample);
    const other = bytes.slice();
    other[12] = FORK_STATE_VERSION + 1; // the version follows the 4-byte length and the 8-byte magic
    expect(() => decodeForkState(other)).toThrow(new RegExp(`version ${FORK_STATE_VERSION + 1}`));
    expect(() => encodeForkState({ ...sample, thread: { ...sample.thread, regs: { ...sample.thread.regs, x: [] } } })).toThrow(ForkStateError);
    // A mapping may only name an object of the table.
    const vma = { start: 0x1000, end: 0x2000, prot: 3, flags: 1, name: '', wantExec: false, offset: 0, noWrite: false, named: false, anonName: '', object: sample.mm.objects.length };
    expect(() => encodeForkState({ ...sample, mm: { ...sample.mm, vmas: [vma] } })).toThrow(/mapping object/);
    // An unknown object kind on the wire is refused.
    const one = { ...sample, mm: { ...sample.mm, vmas: [], objects: [{ kind: 'sysv' as const, slot: -1, shmid: 7, size: 8192, writable: true, key: 0 }] } };
    const enc = encodeForkState(one);
    const kindAt = Buffer.from(enc).indexOf(Buffer.from([1, 0, 0, 0, 2, 0xff, 0xff, 0xff, 0xff, 7, 0, 0, 0])) + 4;
    expect(kindAt).toBeGreaterThan(4);
    const badKind = enc.slice();
    badKind[kindAt] = 9;
    expect(() => decodeForkState(badKind)).toThrow(/shared object kind/);
  });
});

describe('channel messages', () => {
  const rusage = fc.record({ utimeUs: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), stimeUs: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), maxrssKb: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) });
  const message: fc.Arbitrary<ChannelMessage> = fc.oneof(
    fc.record({ kind: fc.constant('state' as const), bytes: fc.uint8Array({ maxLength: 64 }) }),
    fc.record({ kind: fc.constant('exited' as const), status: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), rusage, uid: u32 }),
    fc.record({ kind: fc.constant('killed' as const), signal: fc.nat({ max: 64 }), core: fc.boolean(), rusage, uid: u32 }),
    fc.record({ kind: fc.constant('stopped' as const), signal: fc.nat({ max: 64 }) }),
    fc.record({ kind: fc.constant('continued' as const) }),
    fc.record({ kind: fc.constant('released' as const) }),
    fc.record({ kind: fc.constant('attached' as const) }),
    fc.record({ kind: fc.constant('setpgid' as const), pgid: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) }),
    fc.record({ kind: fc.constant('setpgid-done' as const), errno: fc.nat({ max: 4095 }) }),
    fc.record({
      kind: fc.constant('signal' as const),
      info: fc.record({ signo: fc.nat({ max: 64 }), code: fc.integer({ min: -60, max: 10 }), pid: fc.nat(), uid: fc.nat({ max: 0xffff_ffff }), value: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) }),
    }),
    fc.record({
      kind: fc.constant('reparented' as const),
      zombie: fc.record({ from: fc.nat(), pid: fc.nat(), status: i32, code: fc.integer({ min: 1, max: 6 }), siStatus: fc.nat({ max: 255 }), pgid: fc.nat(), uid: u32, rusage, comm: bytestr.map((s) => s.slice(0, 16)) }),
    }),
    fc.record({ kind: fc.constant('reparent-done' as const), pid: fc.nat(), accepted: fc.boolean() }),
  );
  it('decode(encode(m)) is m; a wrong length or type is a ChannelMessageError', () => {
    fc.assert(
      fc.property(message, fc.uint8Array({ minLength: 1, maxLength: 40 }), (m, junk) => {
        expect(decodeMessage(encodeMessage(m))).toEqual(m);
        try {
          decodeMessage(junk);
        } catch (e) {
          expect(e).toBeInstanceOf(ChannelMessageError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
