/**
 * The guest's filesystem view (Linux's fs_struct and mount namespace, as
 * elfuse has them): the guest root, the working directory, and the two
 * layers paths resolve through (namei.ts walks them).
 *
 * Without --sysroot the guest root is the host's "/". With --sysroot the
 * guest root is two layers: the sysroot directory first, then the host's
 * own tree for names the sysroot has no entry for at all. The rule, applied
 * at every directory of a walk: a name the sysroot has (file, directory,
 * symlink, dangling or not) is the sysroot's; a name it lacks is looked up
 * in the host's directory of the same guest path, if the host has that path
 * as a real directory. New names go where their directory is: into the
 * sysroot when it has the directory. Symlinks from either layer are guest
 * paths, resolved by elfuse inside this view.
 *
 * Case-insensitive host volumes (default APFS) would merge Linux names that
 * differ only in case ("Makefile" and "makefile"). When the sysroot's volume
 * folds case, a name is matched exactly against the directory listing, and a
 * name whose case variant already exists is stored under a token name
 * (CASE_TOKEN_PREFIX + the name's bytes in hex) that directory listings turn
 * back into the Linux name.
 *
 * The working directory is a directory the context holds open, plus its
 * guest path (what getcwd reports and what `..` climbs).
 */

import { HostError, type HostDirEntry, type HostFs, type HostPath } from '../../ports/host.js';
import { Errno } from './errno.js';
import { DirRef, components, joinGuest, walkPath, type HostTarget } from './namei.js';
import { SyscallError } from './syscall-args.js';

/** Host names starting with this hold a Linux name that collides by case with a sibling. */
export const CASE_TOKEN_PREFIX = '.elfuse-case.';

/**
 * A sysroot directory holds an empty file of this prefix + a name for a
 * name the guest removed from it while the host's directory of the same
 * guest path has that name too (a whiteout, as union filesystems keep one):
 * without it the host's file would show through and be writable by the
 * guest. The guest can neither see nor name such files (EPERM).
 */
export const WHITEOUT_PREFIX = '.elfuse-wh.';

/** NAME_MAX: a whiteout name longer than this is made from a hash of the name instead. */
const NAME_MAX = 255;

export function whiteoutName(hostName: HostPath): HostPath {
  const plain = WHITEOUT_PREFIX + hostName;
  if (plain.length <= NAME_MAX) return plain;
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < hostName.length; i++) h = ((h ^ BigInt(hostName.charCodeAt(i))) * 0x100000001b3n) & 0xffff_ffff_ffff_ffffn;
  return `${WHITEOUT_PREFIX}#${h.toString(16)}`;
}

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;

export function caseToken(name: HostPath): HostPath {
  let hex = '';
  for (let i = 0; i < name.length; i++) hex += name.charCodeAt(i).toString(16).padStart(2, '0');
  return CASE_TOKEN_PREFIX + hex;
}

/** The Linux name a token host name stands for, or null when `hostName` is not a token. */
export function caseTokenName(hostName: HostPath): HostPath | null {
  if (!hostName.startsWith(CASE_TOKEN_PREFIX)) return null;
  const hex = hostName.slice(CASE_TOKEN_PREFIX.length);
  if (hex.length === 0 || hex.length % 2 !== 0 || !/^[0-9a-f]+$/.test(hex)) return null;
  let name = '';
  for (let i = 0; i < hex.length; i += 2) name += String.fromCharCode(parseInt(hex.slice(i, i + 2), 16));
  return name;
}

/** Swaps the case of ASCII letters; null when there are none to swap. */
function swapCase(name: HostPath): HostPath | null {
  const swapped = name.replace(/[A-Za-z]/g, (c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()));
  return swapped === name ? null : swapped;
}

/** Whether the volume holding directory `dirFd` matches names without regard to case. */
export function detectCaseFolding(fs: HostFs, dirFd: number): boolean {
  try {
    for (const e of fs.readdir(dirFd)) {
      const variant = swapCase(e.name);
      if (variant === null) continue;
      try {
        const a = fs.statat(dirFd, e.name, true);
        const b = fs.statat(dirFd, variant, true);
        return a.ino === b.ino && a.dev === b.dev;
      } catch {
        return false;
      }
    }
  } catch {
    // unreadable: assume a case-sensitive volume
  }
  return false;
}

export interface FsContextOptions {
  /** --sysroot: the host directory (absolute, canonical) that is the guest's root first. */
  readonly sysroot?: HostPath;
  /**
   * The host directory elfuse started in: the guest's first working
   * directory, under its guest name when it lies inside the sysroot.
   */
  readonly hostCwd: HostPath;
  /** Overrides case-folding detection (tests). */
  readonly foldsCase?: boolean;
}

export class FsContext {
  /** The guest root: the sysroot's top (if any) over the host's "/". */
  readonly root: DirRef;
  /** The sysroot's host path, or null. */
  readonly sysroot: HostPath | null;
  readonly foldsCase: boolean;
  private cwdRef: DirRef;
  private cwdPath: HostPath;
  private readonly hostRootFd: number;

  constructor(
    readonly fs: HostFs,
    opts: FsContextOptions,
  ) {
    this.hostRootFd = fs.openRoot('/');
    const srFd = opts.sysroot === undefined ? null : fs.openRoot(opts.sysroot);
    this.sysroot = opts.sysroot === undefined ? null : opts.sysroot.replace(/\/+$/, '') || '/';
    this.foldsCase = srFd === null ? false : (opts.foldsCase ?? detectCaseFolding(fs, srFd));
    this.root = new DirRef([], srFd, this.hostRootFd, false, false);
    this.cwdRef = this.root;
    this.cwdPath = '/';
    try {
      this.chdir(this.guestPathOfHost(opts.hostCwd) ?? opts.hostCwd);
    } catch {
      // The starting directory cannot be walked to (removed, no search permission): "/".
    }
  }

  /** The working directory (do not dispose it: the context owns it). */
  get cwd(): DirRef {
    return this.cwdRef;
  }

  /** getcwd's answer: the guest path of the working directory. */
  get cwdGuestPath(): HostPath {
    return this.cwdPath;
  }

  /** Makes the directory at guest path `path` the working directory (chdir(2)). */
  chdir(path: HostPath): void {
    const t = walkPath(this, this.cwdRef, path, { follow: true });
    if (t.kind !== 'host') throw new SyscallError(Errno.ENOTDIR); // /proc and /dev are not places to stand in
    try {
      this.setCwd(this.openDirRef(t));
    } finally {
      t.release();
    }
  }

  /** Replaces the working directory by `ref`, which the context then owns. */
  setCwd(ref: DirRef): void {
    if (this.cwdRef !== this.root) this.cwdRef.dispose(this.fs);
    this.cwdRef = ref;
    this.cwdPath = ref.guestPath();
  }

  /**
   * A DirRef for the directory `t` names, holding its own fds: the layer it
   * was found in, opened without following anything (ENOTDIR otherwise).
   */
  openDirRef(t: HostTarget): DirRef {
    if (t.st === null) throw new SyscallError(Errno.ENOENT);
    if ((t.st.mode & S_IFMT) !== S_IFDIR) throw new SyscallError(Errno.ENOTDIR);
    const fd = this.fs.openat(t.dirFd, t.name, { access: 'r', directory: true, noFollow: true, pathOnly: true }, 0);
    const guest = components(t.guestPath);
    return t.layer === 'sysroot' ? new DirRef(guest, fd, undefined, true, false) : new DirRef(guest, null, fd, false, true);
  }

  /**
   * The host's directory of a guest path: walked from the host's "/" one
   * component at a time, never through a symlink; null when the host has
   * no real directory there.
   */
  openHostDir(guest: readonly HostPath[]): number | null {
    let fd = this.hostRootFd;
    let owned = false;
    for (const name of guest) {
      let next: number;
      try {
        next = this.fs.openat(fd, name, { access: 'r', directory: true, noFollow: true, pathOnly: true }, 0);
      } catch (err) {
        if (owned) this.fs.close(fd);
        if (err instanceof HostError) return null;
        throw err;
      }
      if (owned) this.fs.close(fd);
      fd = next;
      owned = true;
    }
    return owned ? fd : this.fs.openat(fd, '.', { access: 'r', directory: true, pathOnly: true }, 0);
  }

  /** The synthetic filesystems mounted at the guest root. */
  isSynthMount(name: HostPath): boolean {
    return name === 'proc' || name === 'dev';
  }

  /**
   * The host name that stands for Linux name `name` in a sysroot directory.
   * On a case-folding volume an exact listing match wins, then a token; a
   * name whose case variant exists gets the token name (to be created).
   */
  sysrootName(dirFd: number, name: HostPath): HostPath {
    if (!this.foldsCase || name === '.' || name === '..') return name;
    let entries: HostDirEntry[];
    try {
      entries = this.fs.readdir(dirFd);
    } catch {
      return name; // let the lookup report why
    }
    if (entries.some((e) => e.name === name)) return name;
    const token = caseToken(name);
    if (entries.some((e) => e.name === token)) return token;
    const lower = name.toLowerCase();
    return entries.some((e) => e.name.toLowerCase() === lower) ? token : name;
  }

  /** Whether the sysroot directory `srFd` whites out `hostName` (the host's entry must not show). */
  whitedOut(srFd: number, hostName: HostPath): boolean {
    try {
      this.fs.statat(srFd, whiteoutName(hostName), true);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * After `hostName` left the sysroot directory `dir` (unlink, rmdir,
   * rename away): if the host's directory of the same guest path has that
   * name, leave a whiteout so it does not show through.
   */
  whiteout(dir: DirRef, hostName: HostPath): void {
    if (dir.sr === null) return;
    const host = dir.host(this);
    if (host === null) return;
    try {
      this.fs.statat(host, hostName, true);
    } catch {
      return; // nothing on the host to hide
    }
    try {
      this.fs.close(this.fs.openat(dir.sr, whiteoutName(hostName), { access: 'w', create: true, exclusive: true, noFollow: true }, 0o600));
    } catch (err) {
      if (!(err instanceof HostError && err.code === 'EEXIST')) throw err;
    }
  }

  /**
   * A sysroot directory listing as the guest sees it: without whiteouts,
   * token names turned back into Linux names, then the names the host's
   * directory of the same guest path adds (`host`, when there is one).
   */
  guestEntries(srEntries: readonly HostDirEntry[], hostEntries: readonly HostDirEntry[] = []): HostDirEntry[] {
    const out: HostDirEntry[] = [];
    const hidden = new Set<HostPath>();
    for (const e of srEntries) {
      if (e.name.startsWith(WHITEOUT_PREFIX)) {
        hidden.add(e.name);
        continue;
      }
      const name = this.foldsCase ? caseTokenName(e.name) : null;
      out.push(name === null ? e : { ...e, name });
    }
    const seen = new Set(srEntries.map((e) => e.name));
    for (const e of hostEntries) {
      if (seen.has(e.name) || hidden.has(whiteoutName(e.name))) continue;
      if (this.foldsCase && srEntries.some((s) => s.name.toLowerCase() === e.name.toLowerCase())) continue;
      out.push(e);
    }
    return out;
  }

  /** The guest path of a host path inside the sysroot (for the starting directory), else null. */
  guestPathOfHost(hostPath: HostPath): HostPath | null {
    const root = this.sysroot;
    if (root === null) return hostPath;
    if (root === '/') return hostPath;
    if (hostPath !== root && !hostPath.startsWith(`${root}/`)) return null;
    return joinGuest(components(hostPath.slice(root.length)).map((c) => caseTokenName(c) ?? c));
  }

  dispose(): void {
    if (this.cwdRef !== this.root) this.cwdRef.dispose(this.fs);
    this.root.dispose(this.fs);
    if (this.root.sr !== null) this.fs.close(this.root.sr);
    this.fs.close(this.hostRootFd);
  }
}
