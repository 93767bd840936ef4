/**
 * The guest's root directory (--sysroot): a host directory that guest
 * absolute paths resolve under first, before the host's own tree, the way a
 * dynamic guest finds /lib/ld-linux-aarch64.so.1 and its libraries.
 *
 * Resolution walks the path one component at a time, as Linux's namei does,
 * but against the sysroot as "/": `..` at the top stays at the top, and a
 * symlink's target (absolute or relative, final or intermediate) is walked
 * again inside the sysroot, so nothing reached from the sysroot can name a
 * host file outside it. The returned host path has every symlink resolved
 * (except a final one the caller asked not to follow), so the host cannot
 * follow one of the sysroot's absolute symlinks out of it afterwards.
 *
 * Case-insensitive host volumes (default APFS) would merge Linux names that
 * differ only in case ("Makefile" and "makefile"). When the sysroot's volume
 * folds case, a name is matched exactly against the directory listing, and a
 * name whose case variant already exists is stored under a token name
 * (CASE_TOKEN_PREFIX + the name's UTF-8 bytes in hex) that the directory
 * listing turns back into the Linux name.
 */

import { HostError, type HostDirEntry, type HostFs } from '../../ports/host.js';
import { Errno } from './errno.js';
import { SyscallError } from './syscall-args.js';

/** Symlinks followed in one lookup before ELOOP (MAXSYMLINKS in include/linux/namei.h). */
export const MAXSYMLINKS = 40;

/** Host names starting with this hold a Linux name that collides by case with a sibling. */
export const CASE_TOKEN_PREFIX = '.elfuse-case.';

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFDIR = 0o040000;

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

export function caseToken(name: string): string {
  let hex = '';
  for (const b of utf8.encode(name)) hex += b.toString(16).padStart(2, '0');
  return CASE_TOKEN_PREFIX + hex;
}

/** The Linux name a token host name stands for, or null when `hostName` is not a token. */
export function caseTokenName(hostName: string): string | null {
  if (!hostName.startsWith(CASE_TOKEN_PREFIX)) return null;
  const hex = hostName.slice(CASE_TOKEN_PREFIX.length);
  if (hex.length === 0 || hex.length % 2 !== 0 || !/^[0-9a-f]+$/.test(hex)) return null;
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    return null;
  }
}

/** Swaps the case of ASCII letters; null when there are none to swap. */
function swapCase(name: string): string | null {
  const swapped = name.replace(/[A-Za-z]/g, (c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()));
  return swapped === name ? null : swapped;
}

/** Whether the volume holding directory `dir` matches names without regard to case. */
export function detectCaseFolding(fs: HostFs, dir: string): boolean {
  const probe = (path: string, variant: string): boolean => {
    try {
      const a = fs.lstat(path);
      const b = fs.lstat(variant);
      return a.ino === b.ino && a.dev === b.dev;
    } catch {
      return false;
    }
  };
  const slash = dir.lastIndexOf('/');
  const base = dir.slice(slash + 1);
  const swapped = swapCase(base);
  if (swapped !== null && slash >= 0) return probe(dir, dir.slice(0, slash + 1) + swapped);
  try {
    for (const e of fs.readdir(dir)) {
      const s = swapCase(e.name);
      if (s !== null) return probe(`${dir}/${e.name}`, `${dir}/${s}`);
    }
  } catch {
    // unreadable: assume a case-sensitive volume
  }
  return false;
}

function isMissing(err: unknown): boolean {
  return err instanceof HostError && (err.code === 'ENOENT' || err.code === 'ENOTDIR');
}

/** How far a walk got: every component, all but the last (a name to create), or less. */
type WalkState = 'found' | 'parent' | 'missing';

interface Walk {
  readonly state: WalkState;
  /** The host path: complete when found, the path to create for 'parent', where it stopped for 'missing'. */
  readonly hostPath: string;
}

export class Sysroot {
  /** Host directory, absolute, without a trailing slash ('' would be the host root itself). */
  readonly root: string;
  readonly foldsCase: boolean;

  constructor(
    private readonly fs: HostFs,
    root: string,
    foldsCase?: boolean,
  ) {
    this.root = root.replace(/\/+$/, '');
    this.foldsCase = foldsCase ?? detectCaseFolding(fs, this.root);
  }

  /** Whether the host path `hostPath` (absolute) lies inside the sysroot. */
  contains(hostPath: string): boolean {
    return hostPath === this.root || hostPath.startsWith(`${this.root}/`);
  }

  /** The guest's absolute name for a host path inside the sysroot (others are returned as they are). */
  toGuest(hostPath: string): string {
    if (!this.contains(hostPath)) return hostPath;
    const rest = hostPath.slice(this.root.length);
    if (rest === '' || rest === '/') return '/';
    return rest
      .split('/')
      .map((part) => caseTokenName(part) ?? part)
      .join('/');
  }

  /**
   * The host path for the guest absolute path `guestPath`: inside the
   * sysroot when it exists there (or its parent does, for a name about to be
   * created and absent from the host); otherwise the host's own path, when
   * `hostFallback` allows it. ELOOP after MAXSYMLINKS symlinks.
   */
  resolve(guestPath: string, followFinal: boolean, hostFallback = true): string {
    const walk = this.walk(guestPath, followFinal);
    if (walk.state === 'found' || !hostFallback) return walk.hostPath;
    try {
      this.fs.lstat(guestPath);
      return guestPath;
    } catch {
      // absent from the host too
    }
    return walk.state === 'parent' ? walk.hostPath : guestPath;
  }

  private walk(guestPath: string, followFinal: boolean): Walk {
    const trailingSlash = guestPath.endsWith('/') && guestPath.replace(/\/+$/, '') !== '';
    // Linux follows a final symlink when the path ends in '/' (it must name a directory).
    const follow = followFinal || trailingSlash;
    const todo = components(guestPath).reverse();
    const done: string[] = [];
    let links = 0;
    const pathOf = (names: readonly string[]): string => (names.length === 0 ? this.root || '/' : `${this.root}/${names.join('/')}`);
    while (todo.length > 0) {
      const name = todo.pop() as string;
      if (name === '..') {
        done.pop(); // '..' at the sysroot's top stays there, as at "/"
        continue;
      }
      const last = todo.length === 0;
      const dir = pathOf(done);
      const hostName = this.hostName(dir, name);
      if (hostName.missing) {
        const at = pathOf([...done, hostName.name]);
        return { state: last ? 'parent' : 'missing', hostPath: at };
      }
      const here = pathOf([...done, hostName.name]);
      let mode: number;
      try {
        mode = this.fs.lstat(here).mode & S_IFMT;
      } catch (err) {
        if (!isMissing(err)) throw err;
        return { state: last ? 'parent' : 'missing', hostPath: here };
      }
      if (mode === S_IFLNK && (!last || follow)) {
        if (++links > MAXSYMLINKS) throw new SyscallError(Errno.ELOOP);
        const target = this.fs.readlink(here);
        if (target.startsWith('/')) done.length = 0;
        todo.push(...components(target).reverse());
        continue;
      }
      if (!last && mode !== S_IFDIR) return { state: 'missing', hostPath: `${here}/` };
      done.push(hostName.name);
    }
    const found = pathOf(done);
    return { state: 'found', hostPath: trailingSlash && done.length > 0 ? `${found}/` : found };
  }

  /**
   * The host name that stands for Linux name `name` in directory `dir`. On a
   * case-folding volume an exact listing match wins, then a token; a name
   * whose case variant exists gets the token name (to be created).
   */
  private hostName(dir: string, name: string): { name: string; missing: boolean } {
    if (!this.foldsCase) return { name, missing: false };
    let entries: HostDirEntry[];
    try {
      entries = this.fs.readdir(dir);
    } catch {
      return { name, missing: false }; // let lstat report why
    }
    if (entries.some((e) => e.name === name)) return { name, missing: false };
    const token = caseToken(name);
    if (entries.some((e) => e.name === token)) return { name: token, missing: false };
    const lower = name.toLowerCase();
    const collides = entries.some((e) => e.name.toLowerCase() === lower);
    return { name: collides ? token : name, missing: true };
  }

  /** A directory listing with token names turned back into Linux names. */
  guestEntries(entries: readonly HostDirEntry[]): HostDirEntry[] {
    if (!this.foldsCase) return [...entries];
    return entries.map((e) => {
      const name = caseTokenName(e.name);
      return name === null ? e : { ...e, name };
    });
  }
}

/** The non-empty, non-'.' components of a path. */
function components(path: string): string[] {
  return path.split('/').filter((c) => c !== '' && c !== '.');
}
