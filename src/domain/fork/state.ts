/**
 * The fork state: everything a guest process carries into the child that
 * fork(2) creates, as one versioned byte string. One guest process is one
 * host process (as on Hypervisor.framework, one VM per process), so the
 * parent elfuse serializes this and a new elfuse process restores it and
 * resumes the child at the instruction after the `svc`.
 *
 * What the child inherits is Linux's list (fork(2), kernel/fork.c
 * copy_process): the calling thread's registers, FP/SIMD state, signal mask
 * and alternate stack; the signal dispositions; the address space (here:
 * its mappings and the private pages the parent has touched; shared memory
 * travels as a reference to its host object, never as pages: see
 * ForkSharedObject); the fd table (the
 * open file descriptions travel as host fds, passed beside this state; the
 * state says which guest fds share which description); the working
 * directory, umask and sysroot; the credentials, rlimits, nice value and
 * personality. What it does not inherit is not here: pending signals,
 * timers, record locks, the parent's other threads.
 *
 * Layout (all integers little-endian):
 *   "ELFUSEFK" | u32 version | sections in the order of `ForkState`,
 * each field written by the one codec below (Writer/Reader), so encode and
 * decode cannot drift apart. Bigints are u64 (two's complement for signed
 * values), strings are byte strings (one char per byte) with a u32 length.
 * A version other than FORK_STATE_VERSION, or bytes left over or missing,
 * is a ForkStateError: parent and child are the same elfuse build, so a
 * mismatch is a bug, never something to guess around.
 */

export const FORK_STATE_MAGIC = 'ELFUSEFK';
export const FORK_STATE_VERSION = 6;

export class ForkStateError extends Error {}

/** The registers of the thread that forked (the child's only thread). */
export interface ThreadRegs {
  /** X0..X30. */
  readonly x: readonly bigint[];
  readonly sp: bigint;
  readonly pc: bigint;
  readonly pstate: bigint;
  readonly fpcr: bigint;
  readonly fpsr: bigint;
  readonly tpidr: bigint;
  readonly tpidrro: bigint;
  /** V0..V31, 16 bytes each, 512 bytes in all. */
  readonly v: Uint8Array;
}

export interface ForkSigaction {
  readonly handler: bigint;
  readonly flags: bigint;
  readonly restorer: bigint;
  readonly mask: bigint;
}

export interface ForkThread {
  readonly regs: ThreadRegs;
  readonly sigmask: bigint;
  readonly altStack: { readonly sp: bigint; readonly flags: number; readonly size: bigint };
  /** CLONE_CHILD_CLEARTID / set_tid_address in the child (0: none). */
  readonly clearChildTid: bigint;
  /** CLONE_CHILD_SETTID: where the child writes its tid before it runs (0: nowhere). */
  readonly setChildTid: bigint;
}

export interface ForkProcess {
  /** Indexed by signal number - 1. */
  readonly sigactions: readonly ForkSigaction[];
  readonly rlimits: readonly { readonly cur: bigint; readonly max: bigint }[];
  readonly uid: number;
  readonly euid: number;
  readonly suid: number;
  readonly gid: number;
  readonly egid: number;
  readonly sgid: number;
  readonly fsuid: number;
  readonly fsgid: number;
  readonly groups: readonly number[];
  /** Inheritable, permitted, effective, bounding, ambient. */
  readonly caps: readonly bigint[];
  readonly comm: string;
  readonly nice: number;
  /** /proc/self/oom_score_adj and the floor an unprivileged write may not go below. */
  readonly oomScoreAdj: number;
  readonly oomScoreAdjMin: number;
  readonly dumpable: number;
  readonly noNewPrivs: boolean;
  readonly keepCaps: boolean;
  readonly timerSlackNs: number;
  readonly personality: number;
  /** The signal the child's death sends its parent (clone's exit signal; SIGCHLD for fork). */
  readonly exitSignal: number;
  /** execve's name for /proc/self/exe and the auxv's AT_EXECFN string. */
  readonly execfn: string;
  readonly exePath: string;
  /**
   * -1, or the wait status the child ends with as soon as it is restored: a
   * vfork child runs in its parent's machine until it execs or exits, and
   * one that exits (or dies) before its exec is handed over only to end.
   */
  readonly endStatus: number;
}

/** One mapping, as AddressSpace keeps it. */
export interface ForkVma {
  readonly start: number;
  readonly end: number;
  readonly prot: number;
  readonly flags: number;
  readonly name: string;
  readonly wantExec: boolean;
  readonly offset: number;
  readonly noWrite: boolean;
  /** PR_SET_VMA_ANON_NAME's name, when `named`. */
  readonly named: boolean;
  readonly anonName: string;
  /** The object the pages come from: an index into `ForkMm.objects` (-1: private anonymous memory). */
  readonly object: number;
}

/**
 * A memory object the child maps by reference, so parent and child share
 * its pages: a file (its host fd travels in `slot`), shared anonymous memory
 * (its host memfd in `slot`), or one attach of a host SysV segment (`shmid`:
 * the child attaches it again before the parent's fork returns). Every VMA
 * of one object names the same entry.
 */
export interface ForkSharedObject {
  readonly kind: 'file' | 'memfd' | 'sysv';
  /** The host fd slot (file, memfd); -1 for sysv. */
  readonly slot: number;
  /** The SysV segment id; -1 otherwise. */
  readonly shmid: number;
  /** memfd and sysv: the object's size in bytes (pages past it are SIGBUS); 0 for a file. */
  readonly size: number;
  /** file: the descriptor is open for writing (the pages are shared writable); sysv: attached SHM_RDONLY when false. */
  readonly writable: boolean;
  /** sysv: the segment's key (the VMA's name). */
  readonly key: number;
}

export interface ForkMm {
  readonly vmas: readonly ForkVma[];
  readonly objects: readonly ForkSharedObject[];
  /** Pages the parent touched, with their contents (private memory is copied). */
  readonly pages: readonly { readonly va: number; readonly data: Uint8Array }[];
  readonly brkStart: number;
  readonly brkCur: number;
  /** The mmap base and stack top of the layout the parent chose. */
  readonly layout: Readonly<Record<string, number>>;
  /** The page the sigreturn trampoline is mapped at (0: none yet). */
  readonly sigtramp: number;
  /** membarrier(2) registrations (mm->membarrier_state), which fork keeps. */
  readonly membarrierState: number;
  /** Where the initial stack holds argv and envp, and the image's code range (for /proc/self). */
  readonly image: Readonly<Record<string, number>>;
  /** The auxiliary vector exec gave the program (/proc/self/auxv). */
  readonly auxv: Uint8Array;
  /** The executable's PT_LOAD pages and their file offsets (the offset column of /proc/self/maps). */
  readonly segments: readonly { readonly start: number; readonly end: number; readonly offset: number }[];
}

export interface ForkDescription {
  /** The host fd slot the description travels in (its index in the fds passed beside this state; -1: none). */
  readonly slot: number;
  /** F_GETFL's flags (Linux values). */
  readonly flags: number;
  readonly kind: string;
  readonly path: string;
  readonly layer: string;
  readonly unlinked: boolean;
  /** True for the host's own stdin/stdout/stderr that elfuse must not close. */
  readonly ownsHostFd: boolean;
  /** A made-up /proc or /dev node: reopened by path in the child. */
  readonly synth: boolean;
  readonly offset: bigint;
  /** An eventfd, epoll, timerfd or signalfd: its state, made again in the child (kernel/event-fork.ts); empty otherwise. */
  readonly event: Uint8Array;
  /** F_SETOWN/F_SETOWN_EX's owner and F_SETSIG's signal (fasync.ts), which the description carries. */
  readonly owner: { readonly type: number; readonly pid: number; readonly signum: number };
}

export interface ForkFiles {
  readonly descriptions: readonly ForkDescription[];
  readonly fds: readonly { readonly fd: number; readonly description: number; readonly cloexec: boolean }[];
}

export interface ForkFs {
  readonly sysroot: string | null;
  readonly foldsCase: boolean;
  readonly cwd: string;
  readonly umask: number;
}

export interface ForkState {
  readonly thread: ForkThread;
  readonly process: ForkProcess;
  readonly mm: ForkMm;
  readonly files: ForkFiles;
  readonly fs: ForkFs;
}

/** One codec for both directions: encode and decode run the same field sequence. */
interface Codec {
  u8(v: number): number;
  u32(v: number): number;
  i32(v: number): number;
  u64(v: bigint): bigint;
  f64(v: number): number;
  bool(v: boolean): boolean;
  str(v: string): string;
  bytes(v: Uint8Array): Uint8Array;
  /** An array: its length, then `item` on each element (or on as many as the length says). */
  list<T>(v: readonly T[], item: (x: T | undefined) => T): T[];
}

/** The first pass of encoding: only counts the bytes, so the writer allocates once (pages make up most of a state). */
class Sizer implements Codec {
  len = 0;
  u8(v: number): number {
    this.len += 1;
    return v;
  }
  u32(v: number): number {
    this.len += 4;
    return v;
  }
  i32(v: number): number {
    this.len += 4;
    return v;
  }
  u64(v: bigint): bigint {
    this.len += 8;
    return v;
  }
  f64(v: number): number {
    this.len += 8;
    return v;
  }
  bool(v: boolean): boolean {
    this.len += 1;
    return v;
  }
  str(v: string): string {
    this.len += 4 + v.length;
    return v;
  }
  bytes(v: Uint8Array): Uint8Array {
    this.len += 4 + v.length;
    return v;
  }
  list<T>(v: readonly T[], item: (x: T | undefined) => T): T[] {
    this.len += 4;
    return v.map((x) => item(x));
  }
}

class Writer implements Codec {
  private buf: Uint8Array;
  private view: DataView;
  len = 0;

  constructor(size = 1 << 16) {
    this.buf = new Uint8Array(size);
    this.view = new DataView(this.buf.buffer);
  }

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(v: number): number {
    this.room(1);
    this.view.setUint8(this.len++, v);
    return v;
  }
  u32(v: number): number {
    this.room(4);
    this.view.setUint32(this.len, v, true);
    this.len += 4;
    return v;
  }
  i32(v: number): number {
    this.room(4);
    this.view.setInt32(this.len, v, true);
    this.len += 4;
    return v;
  }
  u64(v: bigint): bigint {
    this.room(8);
    this.view.setBigUint64(this.len, BigInt.asUintN(64, v), true);
    this.len += 8;
    return v;
  }
  f64(v: number): number {
    this.room(8);
    this.view.setFloat64(this.len, v, true);
    this.len += 8;
    return v;
  }
  bool(v: boolean): boolean {
    this.u8(v ? 1 : 0);
    return v;
  }
  str(v: string): string {
    this.u32(v.length);
    this.room(v.length);
    for (let i = 0; i < v.length; i++) this.buf[this.len + i] = v.charCodeAt(i) & 0xff;
    this.len += v.length;
    return v;
  }
  bytes(v: Uint8Array): Uint8Array {
    this.u32(v.length);
    this.room(v.length);
    this.buf.set(v, this.len);
    this.len += v.length;
    return v;
  }
  list<T>(v: readonly T[], item: (x: T | undefined) => T): T[] {
    this.u32(v.length);
    return v.map((x) => item(x));
  }
  result(): Uint8Array {
    return this.len === this.buf.length ? this.buf : this.buf.slice(0, this.len);
  }
}

class Reader implements Codec {
  private at = 0;
  private readonly view: DataView;

  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  private need(n: number): number {
    if (this.at + n > this.buf.length) throw new ForkStateError('fork state: truncated');
    const at = this.at;
    this.at += n;
    return at;
  }
  u8(): number {
    return this.view.getUint8(this.need(1));
  }
  u32(): number {
    return this.view.getUint32(this.need(4), true);
  }
  i32(): number {
    return this.view.getInt32(this.need(4), true);
  }
  u64(): bigint {
    return this.view.getBigUint64(this.need(8), true);
  }
  f64(): number {
    return this.view.getFloat64(this.need(8), true);
  }
  bool(): boolean {
    const b = this.u8();
    if (b > 1) throw new ForkStateError('fork state: bad boolean');
    return b === 1;
  }
  str(): string {
    const n = this.u32();
    const at = this.need(n);
    let out = '';
    for (let i = 0; i < n; i += 8192) out += String.fromCharCode(...this.buf.subarray(at + i, at + Math.min(n, i + 8192)));
    return out;
  }
  bytes(): Uint8Array {
    const n = this.u32();
    const at = this.need(n);
    return this.buf.slice(at, at + n);
  }
  list<T>(_v: readonly T[], item: (x: T | undefined) => T): T[] {
    const n = this.u32();
    // Every element takes at least one byte: a length beyond what is left is corrupt, not a reason to allocate.
    if (n > this.buf.length - this.at) throw new ForkStateError('fork state: bad length');
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(item(undefined));
    return out;
  }
  done(): void {
    if (this.at !== this.buf.length) throw new ForkStateError('fork state: trailing bytes');
  }
}

/** A small name → number table (layout and image addresses), in name order. */
function record(c: Codec, v: Readonly<Record<string, number>> | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  const names = c.list(v ? Object.keys(v).sort() : [], (k) => c.str(k ?? ''));
  for (const k of names) out[k] = c.f64(v?.[k] ?? 0);
  return out;
}

/** Sizes a state must have; a decoded state that differs is corrupt. */
export const X_REGS = 31;
export const V_BYTES = 32 * 16;
export const NSIG = 64;

function check(s: ForkState): ForkState {
  const bad = (why: string): never => {
    throw new ForkStateError(`fork state: ${why}`);
  };
  if (s.thread.regs.x.length !== X_REGS) bad('X registers');
  if (s.thread.regs.v.length !== V_BYTES) bad('V registers');
  if (s.process.sigactions.length !== NSIG) bad('signal actions');
  for (const p of s.mm.pages) if (p.data.length !== 4096 || p.va % 4096 !== 0) bad('page');
  for (const e of s.files.fds) if (e.description >= s.files.descriptions.length) bad('fd description');
  for (const v of s.mm.vmas) if (v.object < -1 || v.object >= s.mm.objects.length) bad('mapping object');
  return s;
}

const SHARED_KINDS = ['file', 'memfd', 'sysv'] as const;
const badKind = (): never => {
  throw new ForkStateError('fork state: bad shared object kind');
};

/** The one field sequence of a ForkState; `s` is undefined when decoding. */
function codec(c: Codec, s: ForkState | undefined): ForkState {
  const t = s?.thread;
  const r = t?.regs;
  const regs: ThreadRegs = {
    x: c.list(r?.x ?? [], (x) => c.u64(x ?? 0n)),
    sp: c.u64(r?.sp ?? 0n),
    pc: c.u64(r?.pc ?? 0n),
    pstate: c.u64(r?.pstate ?? 0n),
    fpcr: c.u64(r?.fpcr ?? 0n),
    fpsr: c.u64(r?.fpsr ?? 0n),
    tpidr: c.u64(r?.tpidr ?? 0n),
    tpidrro: c.u64(r?.tpidrro ?? 0n),
    v: c.bytes(r?.v ?? new Uint8Array(0)),
  };
  const thread: ForkThread = {
    regs,
    sigmask: c.u64(t?.sigmask ?? 0n),
    altStack: { sp: c.u64(t?.altStack.sp ?? 0n), flags: c.i32(t?.altStack.flags ?? 0), size: c.u64(t?.altStack.size ?? 0n) },
    clearChildTid: c.u64(t?.clearChildTid ?? 0n),
    setChildTid: c.u64(t?.setChildTid ?? 0n),
  };
  const p = s?.process;
  const process: ForkProcess = {
    sigactions: c.list(p?.sigactions ?? [], (a) => ({
      handler: c.u64(a?.handler ?? 0n),
      flags: c.u64(a?.flags ?? 0n),
      restorer: c.u64(a?.restorer ?? 0n),
      mask: c.u64(a?.mask ?? 0n),
    })),
    rlimits: c.list(p?.rlimits ?? [], (l) => ({ cur: c.u64(l?.cur ?? 0n), max: c.u64(l?.max ?? 0n) })),
    uid: c.u32(p?.uid ?? 0),
    euid: c.u32(p?.euid ?? 0),
    suid: c.u32(p?.suid ?? 0),
    gid: c.u32(p?.gid ?? 0),
    egid: c.u32(p?.egid ?? 0),
    sgid: c.u32(p?.sgid ?? 0),
    fsuid: c.u32(p?.fsuid ?? 0),
    fsgid: c.u32(p?.fsgid ?? 0),
    groups: c.list(p?.groups ?? [], (g) => c.u32(g ?? 0)),
    caps: c.list(p?.caps ?? [], (v) => c.u64(v ?? 0n)),
    comm: c.str(p?.comm ?? ''),
    nice: c.i32(p?.nice ?? 0),
    oomScoreAdj: c.i32(p?.oomScoreAdj ?? 0),
    oomScoreAdjMin: c.i32(p?.oomScoreAdjMin ?? 0),
    dumpable: c.u32(p?.dumpable ?? 0),
    noNewPrivs: c.bool(p?.noNewPrivs ?? false),
    keepCaps: c.bool(p?.keepCaps ?? false),
    timerSlackNs: c.f64(p?.timerSlackNs ?? 0),
    personality: c.u32(p?.personality ?? 0),
    exitSignal: c.u32(p?.exitSignal ?? 0),
    execfn: c.str(p?.execfn ?? ''),
    exePath: c.str(p?.exePath ?? ''),
    endStatus: c.i32(p?.endStatus ?? -1),
  };
  const m = s?.mm;
  const mm: ForkMm = {
    vmas: c.list(m?.vmas ?? [], (v) => ({
      start: c.f64(v?.start ?? 0),
      end: c.f64(v?.end ?? 0),
      prot: c.u32(v?.prot ?? 0),
      flags: c.u32(v?.flags ?? 0),
      name: c.str(v?.name ?? ''),
      wantExec: c.bool(v?.wantExec ?? false),
      offset: c.f64(v?.offset ?? 0),
      noWrite: c.bool(v?.noWrite ?? false),
      named: c.bool(v?.named ?? false),
      anonName: c.str(v?.anonName ?? ''),
      object: c.i32(v?.object ?? -1),
    })),
    objects: c.list(m?.objects ?? [], (o) => ({
      kind: SHARED_KINDS[c.u8(SHARED_KINDS.indexOf(o?.kind ?? 'file'))] ?? badKind(),
      slot: c.i32(o?.slot ?? -1),
      shmid: c.i32(o?.shmid ?? -1),
      size: c.f64(o?.size ?? 0),
      writable: c.bool(o?.writable ?? false),
      key: c.i32(o?.key ?? 0),
    })),
    pages: c.list(m?.pages ?? [], (pg) => ({ va: c.f64(pg?.va ?? 0), data: c.bytes(pg?.data ?? new Uint8Array(0)) })),
    brkStart: c.f64(m?.brkStart ?? 0),
    brkCur: c.f64(m?.brkCur ?? 0),
    layout: record(c, m?.layout),
    sigtramp: c.f64(m?.sigtramp ?? 0),
    membarrierState: c.f64(m?.membarrierState ?? 0),
    image: record(c, m?.image),
    auxv: c.bytes(m?.auxv ?? new Uint8Array(0)),
    segments: c.list(m?.segments ?? [], (g) => ({ start: c.f64(g?.start ?? 0), end: c.f64(g?.end ?? 0), offset: c.f64(g?.offset ?? 0) })),
  };
  const f = s?.files;
  const files: ForkFiles = {
    descriptions: c.list(f?.descriptions ?? [], (d) => ({
      slot: c.i32(d?.slot ?? -1),
      flags: c.u32(d?.flags ?? 0),
      kind: c.str(d?.kind ?? ''),
      path: c.str(d?.path ?? ''),
      layer: c.str(d?.layer ?? ''),
      unlinked: c.bool(d?.unlinked ?? false),
      ownsHostFd: c.bool(d?.ownsHostFd ?? true),
      synth: c.bool(d?.synth ?? false),
      offset: c.u64(d?.offset ?? 0n),
      event: c.bytes(d?.event ?? new Uint8Array(0)),
      owner: { type: c.i32(d?.owner.type ?? 0), pid: c.i32(d?.owner.pid ?? 0), signum: c.i32(d?.owner.signum ?? 0) },
    })),
    fds: c.list(f?.fds ?? [], (e) => ({ fd: c.u32(e?.fd ?? 0), description: c.u32(e?.description ?? 0), cloexec: c.bool(e?.cloexec ?? false) })),
  };
  const fsIn = s?.fs;
  const hasSysroot = c.bool(fsIn ? fsIn.sysroot !== null : false);
  const sysroot = hasSysroot ? c.str(fsIn?.sysroot ?? '') : null;
  const fs: ForkFs = { sysroot, foldsCase: c.bool(fsIn?.foldsCase ?? false), cwd: c.str(fsIn?.cwd ?? '/'), umask: c.u32(fsIn?.umask ?? 0) };
  return { thread, process, mm, files, fs };
}

export function encodeForkState(s: ForkState): Uint8Array {
  check(s);
  const sizer = new Sizer();
  sizer.str(FORK_STATE_MAGIC);
  sizer.u32(FORK_STATE_VERSION);
  codec(sizer, s);
  const w = new Writer(sizer.len);
  w.str(FORK_STATE_MAGIC);
  w.u32(FORK_STATE_VERSION);
  codec(w, s);
  return w.result();
}

export function decodeForkState(bytes: Uint8Array): ForkState {
  const r = new Reader(bytes);
  if (r.str() !== FORK_STATE_MAGIC) throw new ForkStateError('fork state: not a fork state');
  const version = r.u32();
  if (version !== FORK_STATE_VERSION) throw new ForkStateError(`fork state: version ${version}, this elfuse reads ${FORK_STATE_VERSION}`);
  const s = codec(r, undefined);
  r.done();
  return check(s);
}
