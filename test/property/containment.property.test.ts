/**
 * Property: --sysroot holds. On the real host filesystem, a sysroot holds
 * random trees of files, directories and symlinks (absolute, relative,
 * dangling, loops, `..` chains) under the guest path of a host directory of
 * decoys, so every decoy has a sysroot name shadowing it. A guest (the real
 * kernel, in process) then runs random sequences of every path-taking
 * syscall with random flags, dirfds and working directories. Afterwards:
 *   - no decoy changed (type, bytes, mode, owner, times, link count, inode),
 *     and nothing was added beside the decoys;
 *   - no read returned a decoy's bytes and no opened fd is a decoy;
 * whatever the guest did in between (renames, unlinks that must leave
 * whiteouts, hard links with AT_SYMLINK_FOLLOW, AT_EMPTY_PATH on O_PATH
 * handles of symlinks, fchdir, openat2 with every RESOLVE_* flag).
 *
 * Every name the guest can form is shadowed by the sysroot at every
 * directory a walk can reach (the root, and each directory above the
 * decoys), so the host layer is never a legitimate answer here: any decoy
 * byte seen is an escape.
 */
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHarness, SCRATCH, type KernelHarness } from '../kernel/harness.js';

const AT_FDCWD = -100;
const O_WRONLY = 0o1;
const O_RDWR = 0o2;
const O_CREAT = 0o100;
const O_EXCL = 0o200;
const O_TRUNC = 0o1000;
const O_APPEND = 0o2000;
const O_DIRECTORY = 0o40000;
const O_NOFOLLOW = 0o100000;
const O_PATH = 0o10000000;
const AT_SYMLINK_NOFOLLOW = 0x100;
const AT_REMOVEDIR = 0x200;
const AT_SYMLINK_FOLLOW = 0x400;
const AT_EMPTY_PATH = 0x1000;

/** Every name a guest path here is made of. */
const NAMES = ['a', 'b', 'd1', 'd2', 'e', 'x', 'l1', 'l2'] as const;
const DECOY = 'DECOY!';

let top = '';
let hostDir = '';
let sysroot = '';

interface Snapshot {
  readonly [path: string]: string;
}

/** Everything about the decoy tree a write, chmod, chown, utimens, link or rename would change (not atime: the snapshot reads). */
function snapshot(dir: string): Snapshot {
  const out: Record<string, string> = {};
  const walk = (p: string): void => {
    const st = lstatSync(p, { bigint: true });
    const kind = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? `link:${readlinkSync(p)}` : `file:${readFileSync(p, 'latin1')}`;
    out[p] = `${kind} mode=${st.mode} uid=${st.uid} gid=${st.gid} nlink=${st.nlink} ino=${st.ino} mtime=${st.mtimeNs} ctime=${st.ctimeNs}`;
    if (st.isDirectory()) for (const n of readdirSync(p).sort()) walk(join(p, n));
  };
  walk(dir);
  return out;
}

/** The decoys: a small tree whose every file holds DECOY. */
function buildDecoys(): void {
  mkdirSync(join(hostDir, 'd1/d2'), { recursive: true });
  for (const f of ['a', 'b', 'e', 'd1/a', 'd1/e', 'd1/d2/a', 'd1/d2/b']) writeFileSync(join(hostDir, f), `${DECOY}${f}\n`);
}

type Entry = { kind: 'file' } | { kind: 'dir' } | { kind: 'link'; target: string };

const relTarget = fc.array(fc.constantFrom(...NAMES, '..', '.'), { minLength: 1, maxLength: 5 }).map((c) => c.join('/'));
const target = fc.oneof(
  relTarget,
  relTarget.map((t) => `/${t}`),
  fc.constantFrom('a', 'd1/a', 'd1/d2/b', 'e').map((t) => `HOST/${t}`), // an absolute link straight at a decoy's guest path
  fc.constantFrom('../../../../../../..', '../../../../../../../HOST/a', 'l1', 'l2/..'),
);
const entry: fc.Arbitrary<Entry> = fc.oneof(
  { weight: 5, arbitrary: fc.constant<Entry>({ kind: 'file' }) },
  { weight: 1, arbitrary: fc.constant<Entry>({ kind: 'dir' }) },
  { weight: 3, arbitrary: target.map<Entry>((t) => ({ kind: 'link', target: t })) },
);

/**
 * The sysroot: every vocabulary name at the root and at each directory
 * above the decoys (so no walk falls back to the host), and under the
 * decoys' guest path a random entry for each decoy name and more.
 */
function buildSysroot(plan: Entry[]): void {
  rmSync(sysroot, { recursive: true, force: true });
  mkdirSync(sysroot);
  const mirror = join(sysroot, hostDir);
  mkdirSync(mirror, { recursive: true });
  // Each directory on the way down to the mirror gets every name, so `..` chains stay in the sysroot.
  const parts = hostDir.split('/').filter(Boolean);
  for (let i = 0; i <= parts.length - 1; i++) {
    const dir = join(sysroot, ...parts.slice(0, i));
    for (const n of NAMES) {
      const p = join(dir, n);
      if (parts[i] === n) continue;
      mkdirSync(p, { recursive: true });
    }
  }
  const hostTarget = (t: string): string => t.replace('HOST', hostDir);
  let k = 0;
  const place = (dir: string, depth: number): void => {
    for (const n of NAMES) {
      const e = plan[k++ % plan.length] ?? { kind: 'file' };
      const p = join(dir, n);
      if (e.kind === 'file') writeFileSync(p, `sysroot ${p.slice(mirror.length)}\n`);
      else if (e.kind === 'link') symlinkSync(hostTarget(e.target), p);
      else {
        mkdirSync(p);
        if (depth < 2) place(p, depth + 1);
      }
    }
  };
  place(mirror, 0);
  // The decoys' own directories must exist in the sysroot so their files are shadowed (d1/d2/*).
  for (const d of ['d1', 'd1/d2']) {
    const p = join(mirror, d);
    rmSync(p, { recursive: true, force: true });
    mkdirSync(p);
    for (const n of NAMES) {
      const e = plan[k++ % plan.length] ?? { kind: 'file' };
      const q = join(p, n);
      if (n === 'd2' && d === 'd1') continue;
      if (e.kind === 'link') symlinkSync(hostTarget(e.target), q);
      else if (e.kind === 'dir') mkdirSync(q);
      else writeFileSync(q, 'sysroot\n');
    }
  }
  mkdirSync(join(mirror, 'd1/d2'), { recursive: true });
}

/** A guest path: relative or absolute, through the decoys' guest path or from the root. */
const comp = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...NAMES) }, { weight: 1, arbitrary: fc.constantFrom('..', '.') });
const guestPath = fc
  .tuple(
    fc.oneof({ weight: 4, arbitrary: fc.constant('') }, { weight: 3, arbitrary: fc.constant('HOST/') }, { weight: 1, arbitrary: fc.constantFrom('/', '/../../', '../') }),
    fc.array(comp, { minLength: 1, maxLength: 3 }),
  )
  .map(([prefix, c]) => `${prefix}${c.join('/')}`);

type Op =
  | { op: 'open'; dir: number; path: string; flags: number }
  | { op: 'cat'; dir: number; path: string }
  | { op: 'openat2'; dir: number; path: string; flags: number; resolve: number }
  | { op: 'mkdirat'; dir: number; path: string }
  | { op: 'unlinkat'; dir: number; path: string; flags: number }
  | { op: 'renameat2'; dir: number; path: string; dir2: number; path2: string; flags: number }
  | { op: 'linkat'; dir: number; path: string; dir2: number; path2: string; flags: number }
  | { op: 'symlinkat'; target: string; dir: number; path: string }
  | { op: 'fchmodat'; dir: number; path: string }
  | { op: 'fchownat'; dir: number; path: string; flags: number }
  | { op: 'utimensat'; dir: number; path: string; flags: number }
  | { op: 'truncate'; path: string }
  | { op: 'chdir'; path: string }
  | { op: 'fchdir'; dir: number }
  | { op: 'mknodat'; dir: number; path: string }
  | { op: 'readlinkat'; dir: number; path: string }
  | { op: 'stat'; dir: number; path: string; flags: number };

/** A name nothing has yet (creation targets), always under a directory of the sysroot. */
const freshPath = fc.constantFrom('HOST/n1', 'HOST/n2', 'HOST/d1/n3', 'n4');
const targetPath = fc.oneof(guestPath, freshPath);

/** Indexes into the pool of fds the sequence opened (or AT_FDCWD). */
const dirArg = fc.oneof({ weight: 3, arbitrary: fc.constant(-1) }, { weight: 2, arbitrary: fc.integer({ min: 0, max: 7 }) });
const openFlags = fc
  .tuple(
    fc.constantFrom(0, O_WRONLY, O_RDWR),
    fc.subarray([O_CREAT, O_TRUNC, O_APPEND, O_NOFOLLOW, O_DIRECTORY, O_EXCL]),
    fc.boolean(),
  )
  .map(([acc, extra, path]) => (path ? O_PATH | (extra.includes(O_NOFOLLOW) ? O_NOFOLLOW : 0) : acc | extra.reduce((m, f) => m | f, 0)));
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('open' as const), dir: dirArg, path: targetPath, flags: openFlags }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('cat' as const), dir: dirArg, path: guestPath }) },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('openat2' as const),
      dir: dirArg,
      path: guestPath,
      flags: openFlags.map((f) => f & ~O_DIRECTORY),
      resolve: fc.subarray([0x1, 0x2, 0x4, 0x8, 0x10]).map((r) => r.reduce((m, f) => m | f, 0) & ~(r.includes(0x8) ? 0x10 : 0)),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('mkdirat' as const), dir: dirArg, path: targetPath }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('unlinkat' as const), dir: dirArg, path: guestPath, flags: fc.constantFrom(0, AT_REMOVEDIR) }) },
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant('renameat2' as const), dir: dirArg, path: guestPath, dir2: dirArg, path2: targetPath, flags: fc.constantFrom(0, 1, 2) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('linkat' as const),
      dir: dirArg,
      path: fc.oneof(guestPath, fc.constant('')),
      dir2: dirArg,
      path2: targetPath,
      flags: fc.constantFrom(0, AT_SYMLINK_FOLLOW, AT_EMPTY_PATH),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('symlinkat' as const), target, dir: dirArg, path: targetPath }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('fchmodat' as const), dir: dirArg, path: guestPath }) },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('fchownat' as const), dir: dirArg, path: fc.oneof(guestPath, fc.constant('')), flags: fc.constantFrom(0, AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('utimensat' as const), dir: dirArg, path: fc.oneof(guestPath, fc.constant('')), flags: fc.constantFrom(0, AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH) }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('truncate' as const), path: guestPath }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('chdir' as const), path: guestPath }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('fchdir' as const), dir: dirArg }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('mknodat' as const), dir: dirArg, path: guestPath }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('readlinkat' as const), dir: dirArg, path: guestPath }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('stat' as const), dir: dirArg, path: guestPath, flags: fc.constantFrom(0, AT_SYMLINK_NOFOLLOW) }) },
);

/** Sequences: 300 in CI (ELFUSE_FULL=1), 40 in a plain `npm test`; ELFUSE_CONTAIN_RUNS overrides. */
const CONTAIN_RUNS = Number(process.env.ELFUSE_CONTAIN_RUNS ?? (process.env.ELFUSE_FULL === '1' ? 300 : 40));

const BUF = SCRATCH + 0x8000;
const PATH1 = 0x100;
const PATH2 = 0x1100;
const HOW = SCRATCH + 0x2100;

class Guest {
  readonly pool: number[] = [];
  readonly seen = { opened: 0, reads: 0, readBytes: 0, renamed: 0, linked: 0, unlinked: 0, changed: 0, failed: 0 };

  constructor(
    readonly h: KernelHarness,
    private readonly decoyInodes: ReadonlySet<bigint>,
  ) {}

  private dirfd(i: number): number {
    if (i < 0 || this.pool.length === 0) return AT_FDCWD;
    return this.pool[i % this.pool.length] as number;
  }

  private path(p: string, off: number): number {
    return this.h.cstr(p.replace('HOST', hostDir), off);
  }

  private count(r: bigint, key: keyof Guest['seen']): void {
    if (BigInt.asIntN(64, r) >= 0n) this.seen[key]++;
    else this.seen.failed++;
  }

  /** Checks a new fd: not a decoy, and whatever it reads is not a decoy's bytes. */
  private async opened(fd: number, flags: number): Promise<void> {
    this.seen.opened++;
    const file = this.h.task.fds.get(fd);
    if (file && file.hostFd >= 0) {
      const ino = this.h.task.host.fs.fstat(file.hostFd).ino;
      expect(this.decoyInodes.has(ino), `fd ${fd} (${file.path}) is a decoy`).toBe(false);
    }
    if (!(flags & O_PATH) && (flags & 3) !== O_WRONLY) {
      const n = BigInt.asIntN(64, await this.h.sys('read', fd, BUF, 256));
      if (n > 0n) {
        this.seen.reads++;
        this.seen.readBytes += Number(n);
        expect(Buffer.from(this.h.read(BUF, Number(n))).toString('latin1')).not.toContain(DECOY);
      }
    }
    if (!(flags & O_PATH) && (flags & 3) !== 0) await this.h.sys('write', fd, this.h.cstr('GUEST WAS HERE\n', 0x3000), 15);
    this.pool.push(fd);
    if (this.pool.length > 8) await this.h.sys('close', this.pool.shift() as number);
  }

  async run(o: Op): Promise<void> {
    const h = this.h;
    switch (o.op) {
      case 'open': {
        const r = await h.sys('openat', this.dirfd(o.dir), this.path(o.path, PATH1), o.flags, 0o644);
        if (BigInt.asIntN(64, r) >= 0n) await this.opened(Number(r), o.flags);
        return;
      }
      case 'cat': {
        const r = await h.sys('openat', this.dirfd(o.dir), this.path(o.path, PATH1), 0, 0);
        if (BigInt.asIntN(64, r) >= 0n) await this.opened(Number(r), 0);
        return;
      }
      case 'openat2': {
        const how = new BigUint64Array([BigInt(o.flags), o.flags & O_CREAT ? 0o644n : 0n, BigInt(o.resolve)]);
        h.write(HOW, new Uint8Array(how.buffer));
        const r = await h.sys('openat2', this.dirfd(o.dir), this.path(o.path, PATH1), HOW, 24);
        if (BigInt.asIntN(64, r) >= 0n) await this.opened(Number(r), o.flags);
        return;
      }
      case 'mkdirat':
        return this.count(await h.sys('mkdirat', this.dirfd(o.dir), this.path(o.path, PATH1), 0o755), 'changed');
      case 'unlinkat':
        return this.count(await h.sys('unlinkat', this.dirfd(o.dir), this.path(o.path, PATH1), o.flags), 'unlinked');
      case 'renameat2':
        return this.count(
          await h.sys('renameat2', this.dirfd(o.dir), this.path(o.path, PATH1), this.dirfd(o.dir2), this.path(o.path2, PATH2), o.flags),
          'renamed',
        );
      case 'linkat':
        return this.count(
          await h.sys('linkat', this.dirfd(o.dir), this.path(o.path, PATH1), this.dirfd(o.dir2), this.path(o.path2, PATH2), o.flags),
          'linked',
        );
      case 'symlinkat':
        return this.count(await h.sys('symlinkat', this.path(o.target, PATH2), this.dirfd(o.dir), this.path(o.path, PATH1)), 'changed');
      case 'fchmodat':
        return this.count(await h.sys('fchmodat', this.dirfd(o.dir), this.path(o.path, PATH1), 0o600), 'changed');
      case 'fchownat':
        return this.count(await h.sys('fchownat', this.dirfd(o.dir), this.path(o.path, PATH1), 4242, 4242, o.flags), 'changed');
      case 'utimensat':
        h.write(HOW, new Uint8Array(new BigInt64Array([1n, 0n, 2n, 0n]).buffer));
        return this.count(await h.sys('utimensat', this.dirfd(o.dir), this.path(o.path, PATH1), HOW, o.flags), 'changed');
      case 'truncate':
        return this.count(await h.sys('truncate', this.path(o.path, PATH1), 0), 'changed');
      case 'chdir':
        return this.count(await h.sys('chdir', this.path(o.path, PATH1)), 'changed');
      case 'fchdir':
        return this.count(await h.sys('fchdir', this.dirfd(o.dir)), 'changed');
      case 'mknodat':
        return this.count(await h.sys('mknodat', this.dirfd(o.dir), this.path(o.path, PATH1), 0o100644, 0), 'changed');
      case 'readlinkat':
        await h.sys('readlinkat', this.dirfd(o.dir), this.path(o.path, PATH1), BUF, 256);
        return;
      case 'stat':
        await h.sys('newfstatat', this.dirfd(o.dir), this.path(o.path, PATH1), BUF, o.flags);
        return;
    }
  }
}

beforeAll(() => {
  top = mkdtempSync(join(tmpdir(), 'elfuse-contain-'));
  hostDir = join(top, 'host');
  sysroot = join(top, 'sr');
  mkdirSync(hostDir);
  buildDecoys();
});

afterAll(() => {
  if (top) rmSync(top, { recursive: true, force: true });
});

describe('--sysroot containment', () => {
  it('random trees and random path syscalls never touch or reveal a shadowed host file', async () => {
    const before = snapshot(top === '' ? hostDir : hostDir);
    const decoyInodes = new Set(Object.keys(before).map((p) => lstatSync(p, { bigint: true }).ino));
    const totals = { opened: 0, reads: 0, readBytes: 0, renamed: 0, linked: 0, unlinked: 0, changed: 0, failed: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { minLength: 4, maxLength: 24 }), fc.array(op, { minLength: 25, maxLength: 50 }), async (plan, ops) => {
        buildSysroot(plan);
        const h = makeHarness({ sysroot });
        try {
          for (const fd of [0, 1, 2]) await h.sys('close', fd);
          expect(await h.sys('chdir', h.cstr(hostDir))).toBe(0n);
          const g = new Guest(h, decoyInodes);
          for (const o of ops) await g.run(o);
          for (const [k, v] of Object.entries(g.seen)) totals[k as keyof typeof totals] += v;
          for (const fd of h.task.fds.openFds()) await h.sys('close', fd);
        } finally {
          h.task.fsContext.dispose();
        }
        // Nothing about a decoy changed, and nothing appeared beside them.
        expect(snapshot(hostDir)).toEqual(before);
        expect(readdirSync(top).sort()).toEqual(['host', 'sr']);
      }),
      { numRuns: CONTAIN_RUNS, seed: 0x5157 },
    );
    // The sequences did real work: opens, reads, renames, links and unlinks succeeded, in proportion to the runs.
    const runs = CONTAIN_RUNS;
    expect(totals.opened).toBeGreaterThan(runs * 1.5);
    expect(totals.reads).toBeGreaterThan(runs / 4);
    expect(totals.renamed).toBeGreaterThan(runs / 6);
    expect(totals.linked).toBeGreaterThan(runs / 25);
    expect(totals.unlinked).toBeGreaterThan(runs / 6);
    console.log(`containment: ${runs} sequences, ${JSON.stringify(totals)}`);
  }, 600_000);
});
