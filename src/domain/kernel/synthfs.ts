/**
 * Synthetic filesystems: the /proc and /dev the guest sees are made up by
 * elfuse from the guest's own state (its address space, fds, identity), not
 * passed through from the host, whose /proc is either another OS's or absent.
 *
 * This module owns the node model and the lookup shared by procfs.ts and
 * devfs.ts, and the small entry points the file syscalls call: look a guest
 * path up, open a node as an open file description, stat it, read a link,
 * list a directory. A node is a regular file whose contents are generated
 * when it is opened (as seq_file generates them on the first read), a
 * directory, a symlink, or a character device with its own read/write.
 */

import type { HostDirEntry, HostFileType, HostStat } from '../../ports/host.js';
import { Errno } from './errno.js';
import { statHostPath } from './fs-util.js';
import { OpenFile } from './fd-table.js';
import { O_PATH, S_IFCHR, S_IFDIR, S_IFLNK, S_IFREG } from './linux-abi.js';
import { SyscallError } from './syscall-args.js';
import { devRoot } from './devfs.js';
import { procRoot } from './procfs.js';
import type { Task } from './task.js';

/** A character device: what read and write do (drivers/char/mem.c style). */
export interface DeviceOps {
  read(task: Task, count: number): Uint8Array;
  write(task: Task, data: Uint8Array): number;
}

export type SynthNode =
  | { readonly type: 'file'; readonly mode: number; readonly content: () => Uint8Array; readonly write?: (data: Uint8Array) => number | void }
  | { readonly type: 'dir'; readonly mode: number; readonly entries: () => readonly SynthEntry[]; readonly child: (name: string) => SynthNode | undefined }
  | { readonly type: 'link'; readonly target: () => string; readonly file?: OpenFile }
  | { readonly type: 'dev'; readonly mode: number; readonly rdev: bigint; readonly ops: DeviceOps }
  /** A host path standing in for the node (/dev/tty is the host's controlling terminal). */
  | { readonly type: 'host'; readonly hostPath: string };

export interface SynthEntry {
  readonly name: string;
  readonly type: HostFileType;
}

/** What a lookup found: a node, or a path to continue with outside the synthetic trees. */
export type SynthLookup = { readonly node: SynthNode; readonly path: string } | { readonly redirect: string };

/** The state a synthetic description carries: its node and, for files, the contents snapshot. */
export interface SynthFile {
  readonly node: SynthNode;
  readonly data: Uint8Array;
}

/** The synthetic trees by their top-level name (looked up lazily: procfs.ts and devfs.ts import this module). */
const roots = {
  get(name: string): ((task: Task) => SynthNode) | undefined {
    if (name === 'proc') return procRoot;
    if (name === 'dev') return devRoot;
    return undefined;
  },
  has(name: string): boolean {
    return name === 'proc' || name === 'dev';
  },
};

/** Device numbers for st_dev of the synthetic mounts (anonymous block devices, as Linux gives proc). */
const MOUNT_DEV: Readonly<Record<string, bigint>> = { proc: 0x16n, dev: 0x5n };

/** Lexically normalised components of an absolute path ('.', '..', '//' removed). */
function normalise(path: string): string[] {
  const out: string[] = [];
  for (const c of path.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') out.pop();
    else out.push(c);
  }
  return out;
}

/** Whether the absolute guest path lies in a synthetic tree. */
export function isSynthPath(path: string): boolean {
  if (!path.startsWith('/')) return false;
  const first = normalise(path)[0];
  return first !== undefined && roots.has(first);
}

/**
 * Looks the absolute guest path up in the synthetic trees (the path walk
 * hands over every path that enters /proc or /dev): ENOENT/ENOTDIR when it
 * names nothing; a redirect when it leads out of them (`..` above /proc, a
 * symlink such as /proc/self/exe or /proc/self/cwd/...).
 */
export function synthLookup(task: Task, path: string, followFinal: boolean): SynthLookup {
  let comps = normalise(path);
  const trailingSlash = /[^/]\/+$/.test(path);
  for (let hops = 0; ; hops++) {
    if (hops > 40) throw new SyscallError(Errno.ELOOP);
    const rootName = comps[0];
    const rootOf = rootName === undefined ? undefined : roots.get(rootName);
    if (!rootOf) return { redirect: `/${comps.join('/')}${trailingSlash ? '/' : ''}` };
    let node = rootOf(task);
    let restarted = false;
    for (let i = 1; i < comps.length; i++) {
      // A host directory standing in for a node (/dev/shm): the rest of the path is the host's.
      if (node.type === 'host') return { node: { type: 'host', hostPath: [node.hostPath, ...comps.slice(i)].join('/') }, path: `/${comps.join('/')}` };
      if (node.type !== 'dir') throw new SyscallError(node.type === 'link' ? Errno.ENOENT : Errno.ENOTDIR);
      const next = node.child(comps[i] as string);
      if (!next) throw new SyscallError(Errno.ENOENT);
      const last = i === comps.length - 1;
      if (next.type === 'link' && (!last || followFinal || trailingSlash)) {
        const target = next.target();
        const rest = comps.slice(i + 1);
        if (!target.startsWith('/')) {
          if (next.file) {
            // pipe:[ino] and friends: the link opens the description itself.
            if (rest.length > 0) throw new SyscallError(Errno.ENOTDIR);
            return { node: next, path: `/${comps.join('/')}` };
          }
          comps = [...comps.slice(0, i), ...normalise(target), ...rest];
        } else {
          const joined = `${target.replace(/\/+$/, '')}/${rest.join('/')}`.replace(/\/$/, '') || '/';
          if (!isSynthPath(joined)) return { redirect: joined };
          comps = normalise(joined);
        }
        restarted = true;
        break;
      }
      node = next;
    }
    if (!restarted) {
      if (trailingSlash && node.type !== 'dir') throw new SyscallError(Errno.ENOTDIR);
      return { node, path: `/${comps.join('/')}` };
    }
  }
}

/** A stable inode number for a synthetic path (FNV-1a), so repeated stats agree. */
function inodeOf(path: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < path.length; i++) {
    h ^= BigInt(path.charCodeAt(i));
    h = (h * 0x100000001b3n) & 0xffff_ffffn;
  }
  return h | 1n;
}

/** The stat of a synthetic node at `path`. Files report size 0, as proc's seq files do. */
export function synthStat(task: Task, node: SynthNode, path: string): HostStat {
  if (node.type === 'host') return statHostPath(task, node.hostPath);
  const now = task.host.clock.realtimeNs();
  const root = normalise(path)[0] ?? 'proc';
  let mode: number;
  let rdev = 0n;
  let nlink = 1;
  let size = 0n;
  switch (node.type) {
    case 'file':
      mode = S_IFREG | node.mode;
      break;
    case 'dir':
      mode = S_IFDIR | node.mode;
      nlink = 2;
      break;
    case 'link':
      mode = S_IFLNK | 0o777;
      size = BigInt(new TextEncoder().encode(node.target()).length);
      break;
    case 'dev':
      mode = S_IFCHR | node.mode;
      rdev = node.rdev;
      break;
  }
  return {
    dev: MOUNT_DEV[root] ?? 0n,
    ino: inodeOf(path),
    mode,
    nlink,
    uid: root === 'proc' ? task.cred.euid : 0,
    gid: root === 'proc' ? task.cred.egid : 0,
    rdev,
    size,
    blksize: 1024,
    blocks: 0n,
    atimeNs: now,
    mtimeNs: now,
    ctimeNs: now,
    birthtimeNs: 0n,
  };
}

/** Linux's dev_t as struct stat carries it (new_encode_dev). */
export function encodeDev(major: number, minor: number): bigint {
  return BigInt((minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12));
}

/** The kind an open description of a node has (decides seekability). */
function kindOf(node: SynthNode): 'file' | 'dir' | 'chr' {
  if (node.type === 'dir') return 'dir';
  if (node.type === 'dev') return 'chr';
  return 'file';
}

/**
 * Opens a node found by synthLookup (the final symlink already followed
 * unless O_NOFOLLOW): EISDIR for writing a directory, EACCES for writing a
 * read-only file, ENOTDIR for O_DIRECTORY on a non-directory, ELOOP for
 * O_NOFOLLOW on a link.
 */
export function openSynth(task: Task, node: SynthNode, path: string, flags: number, wantsWrite: boolean, wantsDir: boolean): OpenFile {
  if (node.type === 'link' && !(flags & O_PATH)) {
    // /proc/self/fd/N of a pipe or terminal: the same description; a socket cannot be reopened (ENXIO).
    if (node.file) {
      if (node.file.kind === 'socket') throw new SyscallError(Errno.ENXIO);
      return node.file;
    }
    throw new SyscallError(Errno.ELOOP);
  }
  if (node.type === 'host') throw new Error('synthfs: host nodes are opened on the host');
  if (wantsDir && node.type !== 'dir') throw new SyscallError(Errno.ENOTDIR);
  if (wantsWrite) {
    if (node.type === 'dir') throw new SyscallError(Errno.EISDIR);
    // Root may open a read-only proc file for writing (DAC override); its writes then fail with EINVAL.
    if (node.type === 'file' && (!node.write || (node.mode & 0o222) === 0) && task.cred.euid !== 0) throw new SyscallError(Errno.EACCES);
  }
  // O_PATH keeps only the name: stat and *at lookups work, read and getdents64 see EBADF.
  const file = new OpenFile(-1, path, flags, flags & O_PATH ? 'path' : kindOf(node));
  file.synth = { node, data: node.type === 'file' ? node.content() : new Uint8Array(0) };
  return file;
}

/** Reads `count` bytes at `pos` of a synthetic description (devices ignore the position). */
export function synthRead(task: Task, synth: SynthFile, count: number, pos: bigint): Uint8Array {
  const node = synth.node;
  if (node.type === 'dev') return node.ops.read(task, count);
  if (pos >= BigInt(synth.data.length)) return new Uint8Array(0);
  const start = Number(pos);
  return synth.data.subarray(start, Math.min(synth.data.length, start + count));
}

export function synthWrite(task: Task, synth: SynthFile, data: Uint8Array): number {
  const node = synth.node;
  if (node.type === 'dev') return node.ops.write(task, data);
  if (node.type === 'file' && node.write) {
    return node.write(data) ?? data.length;
  }
  throw new SyscallError(Errno.EINVAL);
}

/** getdents64 listing of a synthetic directory, '.' and '..' first. */
export function synthEntries(node: SynthNode, path: string): HostDirEntry[] {
  if (node.type !== 'dir') throw new SyscallError(Errno.ENOTDIR);
  const parent = `/${normalise(path).slice(0, -1).join('/')}`;
  return [
    { name: '.', type: 'dir', ino: inodeOf(path) },
    { name: '..', type: 'dir', ino: inodeOf(parent) },
    ...node.entries().map((e) => ({ name: e.name, type: e.type, ino: inodeOf(`${path}/${e.name}`) })),
  ];
}

/** Helpers for building trees. */
export const text = (make: () => string): (() => Uint8Array) => () => new TextEncoder().encode(make());

export function dirNode(children: () => ReadonlyMap<string, () => SynthNode>, mode = 0o555): SynthNode {
  return {
    type: 'dir',
    mode,
    entries: () => [...children()].map(([name, make]) => ({ name, type: entryType(make()) })),
    child: (name) => children().get(name)?.(),
  };
}

function entryType(node: SynthNode): HostFileType {
  switch (node.type) {
    case 'file':
      return 'file';
    case 'dir':
      return 'dir';
    case 'link':
      return 'symlink';
    case 'dev':
      return 'chr';
    case 'host':
      return 'chr';
  }
}

/** A lookup relative to a directory opened in /proc or /dev. */
export function synthAt(task: Task, dir: OpenFile, path: string, followFinal: boolean): SynthLookup {
  if (!dir.synth || dir.synth.node.type !== 'dir') throw new SyscallError(Errno.ENOTDIR);
  if (path === '') return { node: dir.synth.node, path: dir.path };
  return synthLookup(task, `${dir.path}/${path}`, followFinal);
}
