/**
 * Path walk (fs/namei.c): turns a guest path into a host object named by a
 * directory fd and one component, the way every path-taking syscall then
 * acts on it with a host *at(2) call that follows nothing.
 *
 * The walk goes one component at a time from a directory it holds open,
 * opening each next directory with O_NOFOLLOW relative to the previous one.
 * Symlinks are read and resolved here, `..` goes up the guest path, so the
 * host kernel never follows a symlink or `..` on its own: a symlink swapped
 * in by another process between two steps makes the next step fail (ELOOP,
 * ENOTDIR), and that step is looked at again.
 *
 * The guest's filesystem is two layers (see fs-context.ts): the sysroot,
 * when there is one, and the host's own tree. At each directory a name is
 * looked up in the sysroot's directory of that guest path first; only when
 * the sysroot has no entry at all of that name (file, directory, symlink,
 * dangling or not) is the host's directory of the same guest path asked. A
 * symlink from either layer is a guest path: an absolute target starts
 * again at the guest root (the sysroot's top), so nothing reached through
 * a symlink or `..` lands on a host file the sysroot has a name for.
 *
 * /proc and /dev at the guest root are elfuse's own (synthfs.ts): a walk
 * that enters them hands the rest of the path over.
 */

import { HostError, type HostFs, type HostPath, type HostStat } from '../../ports/host.js';
import { Errno } from './errno.js';
import { WHITEOUT_PREFIX, type FsContext } from './fs-context.js';
import { MAXSYMLINKS } from './linux-abi.js';
import { SyscallError } from './syscall-args.js';

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

/** Retries of one step that another process keeps changing under the walk, before giving up with ELOOP. */
const MAX_RACE_RETRIES = 16;

const isDir = (st: HostStat): boolean => (st.mode & S_IFMT) === S_IFDIR;
const isLink = (st: HostStat): boolean => (st.mode & S_IFMT) === S_IFLNK;

function hostCode(err: unknown): string | null {
  return err instanceof HostError ? err.code : null;
}

/**
 * A directory the walk stands in: its canonical guest path and the host
 * directories behind it, the sysroot's (if the sysroot has this path) and
 * the host's of the same path (opened on first need: most lookups inside a
 * sysroot never ask the host). Fds it opened itself it closes on dispose.
 */
export class DirRef {
  private hostFd: number | null | undefined;
  private ownsHost: boolean;

  constructor(
    /** Guest path components, no '.', '..' or symlink among them. */
    readonly guest: readonly HostPath[],
    /** The sysroot's directory for this guest path, or null. */
    readonly sr: number | null,
    /** The host's directory for this guest path: a fd, null (none), or undefined (not looked up yet). */
    host: number | null | undefined,
    private readonly ownsSr: boolean,
    ownsHost: boolean,
  ) {
    this.hostFd = host;
    this.ownsHost = ownsHost;
  }

  /** The host's directory of this guest path, opened one component at a time from the host's root. */
  host(ctx: FsContext): number | null {
    if (this.hostFd === undefined) {
      this.hostFd = ctx.openHostDir(this.guest);
      this.ownsHost = this.hostFd !== null;
    }
    return this.hostFd;
  }

  /** Where new names in this directory go: the sysroot's directory when it has one. */
  createFd(ctx: FsContext): number {
    const fd = this.sr ?? this.host(ctx);
    if (fd === null) throw new SyscallError(Errno.ENOENT);
    return fd;
  }

  get layer(): Layer {
    return this.sr !== null ? 'sysroot' : 'host';
  }

  guestPath(): HostPath {
    return joinGuest(this.guest);
  }

  dispose(fs: HostFs): void {
    if (this.ownsSr && this.sr !== null) fs.close(this.sr);
    if (this.ownsHost && this.hostFd !== null && this.hostFd !== undefined) fs.close(this.hostFd);
    this.hostFd = undefined;
    this.ownsHost = false;
  }
}

export type Layer = 'sysroot' | 'host';

export function joinGuest(comps: readonly HostPath[]): HostPath {
  return comps.length === 0 ? '/' : `/${comps.join('/')}`;
}

/** How the final component was spelled: a name, or '.'/'..'/nothing naming a directory itself. */
export type LastType = 'normal' | 'dot' | 'dotdot' | 'root';

/** A host object the guest path names, as a host *at(2) call takes it. */
export interface HostTarget {
  readonly kind: 'host';
  /** The host directory holding `name` (or where it would be created), in `layer`. */
  readonly dirFd: number;
  /** One component, never a symlink to follow (unless the caller asked not to follow it); '.' for a directory itself. */
  readonly name: HostPath;
  /** lstat of the object (never followed); null when it does not exist. */
  readonly st: HostStat | null;
  readonly layer: Layer;
  /** The guest's canonical path of the object. */
  readonly guestPath: HostPath;
  /** The directory the object is in (for a directory named as itself: that directory). */
  readonly parent: DirRef;
  readonly lastType: LastType;
  /** The path ended in '/': the object must be a directory. */
  readonly trailingSlash: boolean;
  /** Closes what the walk opened. */
  release(): void;
}

/** A path that entered /proc or /dev: the rest is synthfs's to look up (as an absolute guest path). */
export interface SynthTarget {
  readonly kind: 'synth';
  readonly path: HostPath;
}

export interface WalkOptions {
  /** Follow a final symlink (stat, open without O_NOFOLLOW); '/'-terminated paths always do. */
  readonly follow: boolean;
  /** openat2's RESOLVE_* restrictions (linux-abi.ts values). */
  readonly beneath?: boolean;
  readonly inRoot?: boolean;
  readonly noSymlinks?: boolean;
  readonly noXdev?: boolean;
}

/** The entry a directory has for a name: in which layer, under which host name, and its lstat. */
interface Entry {
  readonly layer: Layer;
  readonly dirFd: number;
  readonly hostName: HostPath;
  st: HostStat;
  /** The entry opened as a directory (O_NOFOLLOW), when the lookup already did. */
  dirHandle: number | null;
}

/**
 * One walk: the DirRefs it created (closed on release) and the symlink count.
 */
class Walker {
  private readonly created: DirRef[] = [];
  private links = 0;

  constructor(
    private readonly ctx: FsContext,
    private readonly opts: WalkOptions,
    /** The directory `..` cannot climb above and absolute symlinks restart at (the guest root, or openat2's root). */
    private readonly walkRoot: DirRef,
    private readonly startDev: bigint | null,
  ) {}

  private get fs(): HostFs {
    return this.ctx.fs;
  }

  release(): void {
    for (const d of this.created) d.dispose(this.fs);
    this.created.length = 0;
  }

  private track(d: DirRef): DirRef {
    this.created.push(d);
    return d;
  }

  /** lstat of `name` in `dirFd`, or null when it is absent (ENOENT). */
  private lstatOrNull(dirFd: number, name: HostPath): HostStat | null {
    try {
      return this.fs.statat(dirFd, name, true);
    } catch (err) {
      if (hostCode(err) === 'ENOENT') return null;
      throw err;
    }
  }

  /**
   * Looks `name` up in one layer's directory. For a name to walk through
   * (`wantDir`), the directory is opened at once with O_NOFOLLOW, which is
   * both the common case's only host call and the proof that it is no
   * symlink; anything else gets its lstat.
   */
  private lookupIn(layer: Layer, dirFd: number, name: HostPath, wantDir: boolean): Entry | null {
    const hostName = layer === 'sysroot' ? this.ctx.sysrootName(dirFd, name) : name;
    if (hostName === null) return null;
    if (wantDir) {
      try {
        const fd = this.fs.openat(dirFd, hostName, { access: 'r', directory: true, noFollow: true, pathOnly: true }, 0);
        try {
          return { layer, dirFd, hostName, st: this.fs.fstat(fd), dirHandle: fd };
        } catch (err) {
          this.fs.close(fd);
          throw err;
        }
      } catch (err) {
        const code = hostCode(err);
        if (code === 'ENOENT') return null;
        // A symlink or a non-directory: look at what it is.
        if (code !== 'ENOTDIR' && code !== 'ELOOP') throw err;
      }
    }
    const st = this.lstatOrNull(dirFd, hostName);
    return st === null ? null : { layer, dirFd, hostName, st, dirHandle: null };
  }

  /**
   * The union lookup: the sysroot's entry if it has one by that name, else
   * the host's, unless the sysroot whites the name out (fs-context.ts).
   */
  private lookup(dir: DirRef, name: HostPath, wantDir: boolean): Entry | null {
    if (dir.sr !== null) {
      if (name.startsWith(WHITEOUT_PREFIX)) throw new SyscallError(Errno.EPERM);
      const e = this.lookupIn('sysroot', dir.sr, name, wantDir);
      if (e) return e;
      if (this.ctx.whitedOut(dir.sr, this.ctx.sysrootName(dir.sr, name))) return null;
    }
    const host = dir.host(this.ctx);
    return host === null ? null : this.lookupIn('host', host, name, wantDir);
  }

  /** Steps into the directory `entry` (already known to be one), as a new DirRef. */
  private enter(dir: DirRef, entry: Entry, name: HostPath): DirRef | null {
    let fd = entry.dirHandle;
    if (fd === null) {
      try {
        fd = this.fs.openat(entry.dirFd, entry.hostName, { access: 'r', directory: true, noFollow: true, pathOnly: true }, 0);
      } catch (err) {
        const code = hostCode(err);
        if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') return null; // changed meanwhile
        throw err;
      }
    }
    const guest = [...dir.guest, name];
    // A directory only the host has is host-only below; one the sysroot has may find host names later.
    const next = entry.layer === 'sysroot' ? new DirRef(guest, fd, undefined, true, false) : new DirRef(guest, null, fd, false, true);
    return this.track(next);
  }

  /** The parent of `dir` when the walk's stack has nothing below it: walked again from the guest root. */
  private parentOf(dir: DirRef): DirRef {
    const up = dir.guest.slice(0, -1);
    let cur = this.ctx.root;
    for (const name of up) {
      const entry = this.lookup(cur, name, true);
      if (!entry || !isDir(entry.st)) throw new SyscallError(Errno.ENOENT);
      const next = this.enter(cur, entry, name);
      if (!next) throw new SyscallError(Errno.ENOENT);
      cur = next;
    }
    return cur;
  }

  private checkXdev(st: HostStat): void {
    if (this.opts.noXdev && this.startDev !== null && st.dev !== this.startDev) throw new SyscallError(Errno.EXDEV);
  }

  private primaryStat(dir: DirRef): HostStat {
    return this.fs.fstat(dir.createFd(this.ctx));
  }

  walk(start: DirRef, path: HostPath): HostTarget | SynthTarget {
    const { opts } = this;
    const trailingSlash = path.length > 1 && path.endsWith('/');
    const todo: HostPath[] = components(path).reverse();
    const stack: DirRef[] = [path.startsWith('/') ? this.absoluteStart() : start];
    let lastType: LastType = todo.length === 0 ? 'root' : 'normal';
    let retries = 0;
    while (todo.length > 0) {
      const name = todo.pop() as HostPath;
      const last = todo.length === 0;
      if (name === '.') {
        if (last) lastType = 'dot';
        continue;
      }
      const dir = stack[stack.length - 1] as DirRef;
      if (name === '..') {
        if (last) lastType = 'dotdot';
        if (dir === this.walkRoot || dir.guest.length === 0) {
          if (opts.beneath) throw new SyscallError(Errno.EXDEV);
          continue; // '..' at the root stays at the root
        }
        if (stack.length > 1) stack.pop();
        else stack[0] = this.parentOf(dir);
        if (opts.noXdev) this.checkXdev(this.primaryStat(stack[stack.length - 1] as DirRef));
        continue;
      }
      lastType = 'normal';
      // The synthetic mounts cover whatever the layers have at /proc and /dev.
      if (dir.guest.length === 0 && dir === this.ctx.root && this.ctx.isSynthMount(name)) {
        return { kind: 'synth', path: `/${[name, ...todo.reverse()].join('/')}${trailingSlash ? '/' : ''}` };
      }
      const follow = !last || opts.follow || trailingSlash;
      const entry = this.lookup(dir, name, !last);
      if (!entry) {
        if (!last) throw new SyscallError(Errno.ENOENT);
        const createName = dir.sr !== null ? this.ctx.sysrootName(dir.sr, name) : name;
        return this.target(dir, createName, dir.createFd(this.ctx), null, dir.layer, lastType, trailingSlash, name);
      }
      if (isLink(entry.st) && follow) {
        if (opts.noSymlinks) throw new SyscallError(Errno.ELOOP);
        if (++this.links > MAXSYMLINKS) throw new SyscallError(Errno.ELOOP);
        let target: HostPath;
        try {
          target = this.fs.readlinkat(entry.dirFd, entry.hostName);
        } catch (err) {
          // No longer a symlink: another process changed it; look again.
          if (hostCode(err) === 'EINVAL' && ++retries <= MAX_RACE_RETRIES) {
            this.links--;
            todo.push(name);
            continue;
          }
          throw err;
        }
        if (target === '') throw new SyscallError(Errno.ENOENT);
        if (target.startsWith('/')) {
          if (opts.beneath) throw new SyscallError(Errno.EXDEV);
          stack.length = 0;
          stack.push(this.absoluteStart());
          if (opts.noXdev) this.checkXdev(this.primaryStat(stack[0] as DirRef));
        }
        // A link's target that ends in '/' must name a directory, as the path would.
        const rest = components(target);
        if (target.endsWith('/') && last && !trailingSlash) rest.push('.');
        todo.push(...rest.reverse());
        continue;
      }
      if (!last) {
        if (!isDir(entry.st)) {
          if (entry.dirHandle !== null) this.fs.close(entry.dirHandle);
          throw new SyscallError(Errno.ENOTDIR);
        }
        this.checkXdev(entry.st);
        const next = this.enter(dir, entry, name);
        if (!next) {
          if (++retries > MAX_RACE_RETRIES) throw new SyscallError(Errno.ELOOP);
          todo.push(name);
          continue;
        }
        stack.push(next);
        continue;
      }
      if (!isLink(entry.st)) this.checkXdev(entry.st);
      if (trailingSlash && !isDir(entry.st) && !isLink(entry.st)) throw new SyscallError(Errno.ENOTDIR);
      return this.target(dir, entry.hostName, entry.dirFd, entry.st, entry.layer, lastType, trailingSlash, name);
    }
    // The path names a directory itself ("/", ".", "a/..").
    const dir = stack[stack.length - 1] as DirRef;
    const st = this.primaryStat(dir);
    this.checkXdev(st);
    return this.target(dir, '.', dir.createFd(this.ctx), st, dir.layer, lastType, trailingSlash, '.');
  }

  private absoluteStart(): DirRef {
    return this.opts.inRoot || this.opts.beneath ? this.walkRoot : this.ctx.root;
  }

  private target(
    parent: DirRef,
    name: HostPath,
    dirFd: number,
    st: HostStat | null,
    layer: Layer,
    lastType: LastType,
    trailingSlash: boolean,
    guestName: HostPath = name,
  ): HostTarget {
    const guestPath = guestName === '.' ? parent.guestPath() : joinGuest([...parent.guest, guestName]);
    return {
      kind: 'host',
      dirFd,
      name,
      st,
      layer,
      guestPath,
      parent,
      lastType,
      trailingSlash,
      release: () => this.release(),
    };
  }
}

/** The non-empty components of a path ('.' and '..' kept: the walk gives them meaning). */
export function components(path: HostPath): HostPath[] {
  return path.split('/').filter((c) => c !== '');
}

/**
 * Walks `path` from `start` (a directory the caller holds: the cwd, a dirfd's
 * directory, or the root). Releases everything it opened when it throws.
 */
export function walkPath(ctx: FsContext, start: DirRef, path: HostPath, opts: WalkOptions): HostTarget | SynthTarget {
  const scoped = opts.beneath === true || opts.inRoot === true;
  let startDev: bigint | null = null;
  if (opts.noXdev) startDev = ctx.fs.fstat(start.createFd(ctx)).dev;
  if (opts.beneath && path.startsWith('/')) throw new SyscallError(Errno.EXDEV);
  const walker = new Walker(ctx, opts, scoped ? start : ctx.root, startDev);
  try {
    return walker.walk(start, path);
  } catch (err) {
    walker.release();
    throw err;
  }
}
