/**
 * An in-memory HostFs double for path-walk tests: directories, files and
 * symlinks behind fds, with the *at(2) calls the walk uses, optionally
 * matching names without regard to ASCII case the way a default APFS
 * volume does (a case-insensitive folder cannot be made on this Linux
 * machine). Calls the walk never makes throw ENOSYS.
 */
import {
  HostError,
  type HostDirEntry,
  type HostFs,
  type HostOpenFlags,
  type HostStat,
  type HostStatfs,
} from '../../src/ports/host.js';

type Node =
  | { kind: 'dir'; ino: bigint; children: Map<string, Node> }
  | { kind: 'file'; ino: bigint; data: string }
  | { kind: 'link'; ino: bigint; target: string };

let nextIno = 100n;

export class MemFs implements HostFs {
  readonly root: Node = { kind: 'dir', ino: 2n, children: new Map() };
  private readonly fds = new Map<number, Node>();
  private nextFd = 3;
  /** Every host call, by name: what the walk asked the host. */
  readonly calls: string[] = [];

  constructor(readonly foldsCase = false) {}

  get openFds(): number {
    return this.fds.size;
  }

  private child(dir: Node, name: string): [string, Node] | undefined {
    if (dir.kind !== 'dir') throw new HostError('ENOTDIR', 'lookup');
    if (name === '.') return ['.', dir];
    const exact = dir.children.get(name);
    if (exact) return [name, exact];
    if (!this.foldsCase) return undefined;
    for (const [n, node] of dir.children) if (n.toLowerCase() === name.toLowerCase()) return [n, node];
    return undefined;
  }

  /** The node at absolute `path`, host rules (symlinks followed except a final one when `follow` is false). */
  private walk(path: string, follow: boolean): Node {
    const todo = path.split('/').filter((p) => p !== '' && p !== '.').reverse();
    const done: Node[] = [];
    let hops = 0;
    const here = (): Node => done[done.length - 1] ?? this.root;
    while (todo.length > 0) {
      const part = todo.pop() as string;
      if (part === '..') {
        done.pop();
        continue;
      }
      const found = this.child(here(), part);
      if (!found) throw new HostError('ENOENT', 'lookup');
      const next = found[1];
      if (next.kind === 'link' && (follow || todo.length > 0)) {
        if (++hops > 40) throw new HostError('ELOOP', 'lookup');
        if (next.target.startsWith('/')) done.length = 0;
        todo.push(...next.target.split('/').filter((p) => p !== '' && p !== '.').reverse());
        continue;
      }
      done.push(next);
    }
    return here();
  }

  private parentOf(path: string): [Node & { kind: 'dir' }, string] {
    const slash = path.lastIndexOf('/');
    const dir = this.walk(path.slice(0, slash) || '/', true);
    if (dir.kind !== 'dir') throw new HostError('ENOTDIR', 'create');
    return [dir, path.slice(slash + 1)];
  }

  // ---- building a tree (host paths, as the test sees the host) ----

  mkdirp(path: string): this {
    let node = this.root;
    for (const part of path.split('/').filter(Boolean)) {
      if (node.kind !== 'dir') throw new Error('not a dir');
      let next = node.children.get(part);
      if (!next) node.children.set(part, (next = { kind: 'dir', ino: nextIno++, children: new Map() }));
      node = next;
    }
    return this;
  }

  file(path: string, data = ''): this {
    const [dir, name] = this.parentOf(path);
    if (this.child(dir, name)) throw new HostError('EEXIST', 'create');
    dir.children.set(name, { kind: 'file', ino: nextIno++, data });
    return this;
  }

  symlink(path: string, target: string): this {
    const [dir, name] = this.parentOf(path);
    dir.children.set(name, { kind: 'link', ino: nextIno++, target });
    return this;
  }

  /** The host path of the node `fd` refers to (the first one found: tests build trees without hard links). */
  pathOf(fd: number): string {
    const target = this.node(fd);
    const search = (dir: Node, path: string): string | null => {
      if (dir === target) return path || '/';
      if (dir.kind !== 'dir') return null;
      for (const [name, child] of dir.children) {
        const found = search(child, `${path}/${name}`);
        if (found !== null) return found;
      }
      return null;
    };
    const found = search(this.root, '');
    if (found === null) throw new Error('memfs: fd of a node no longer in the tree');
    return found;
  }

  /** What is at a host path without following a final symlink: 'file:<data>', 'dir', 'link:<target>' or 'none'. */
  describe(path: string): string {
    try {
      const n = this.walk(path, false);
      return n.kind === 'file' ? `file:${n.data}` : n.kind === 'dir' ? 'dir' : `link:${n.target}`;
    } catch {
      return 'none';
    }
  }

  private statOf(node: Node): HostStat {
    const mode = node.kind === 'dir' ? 0o040755 : node.kind === 'file' ? 0o100644 : 0o120777;
    return {
      dev: 1n,
      ino: node.ino,
      mode,
      nlink: 1,
      uid: 0,
      gid: 0,
      rdev: 0n,
      size: node.kind === 'file' ? BigInt(node.data.length) : 0n,
      blksize: 4096,
      blocks: 0n,
      atimeNs: 0n,
      mtimeNs: 0n,
      ctimeNs: 0n,
      birthtimeNs: 0n,
    };
  }

  private node(fd: number): Node {
    const n = this.fds.get(fd);
    if (!n) throw new HostError('EBADF', 'fd');
    return n;
  }

  private install(n: Node): number {
    const fd = this.nextFd++;
    this.fds.set(fd, n);
    return fd;
  }

  /** One component (or '' / '.') of directory `dirfd`, never followed: the walk does that. */
  private at(dirfd: number, name: string): Node | undefined {
    const dir = this.node(dirfd);
    if (name === '' || name === '.') return dir;
    if (name.includes('/')) throw new Error(`memfs: the walk passed a path with '/': ${name}`);
    if (name === '..') throw new Error('memfs: the walk asked the host to follow ".."');
    return this.child(dir, name)?.[1];
  }

  // ---- HostFs ----

  openRoot(path: string): number {
    this.calls.push('openRoot');
    const n = this.walk(path, true);
    if (n.kind !== 'dir') throw new HostError('ENOTDIR', 'open');
    return this.install(n);
  }

  openat(dirfd: number, name: string, flags: HostOpenFlags): number {
    this.calls.push('openat');
    const n = this.at(dirfd, name);
    if (!n) {
      if (!flags.create) throw new HostError('ENOENT', 'openat');
      const dir = this.node(dirfd);
      if (dir.kind !== 'dir') throw new HostError('ENOTDIR', 'openat');
      const created: Node = { kind: 'file', ino: nextIno++, data: '' };
      dir.children.set(name, created);
      return this.install(created);
    }
    if (flags.create && flags.exclusive) throw new HostError('EEXIST', 'openat');
    if (n.kind === 'link') {
      if (!flags.noFollow) throw new Error('memfs: the walk asked the host to follow a symlink');
      if (!flags.pathOnly) throw new HostError('ELOOP', 'openat');
      if (flags.directory) throw new HostError('ENOTDIR', 'openat');
    }
    if (flags.directory && n.kind !== 'dir') throw new HostError('ENOTDIR', 'openat');
    return this.install(n);
  }

  close(fd: number): void {
    this.node(fd);
    this.fds.delete(fd);
  }

  fstat(fd: number): HostStat {
    return this.statOf(this.node(fd));
  }

  statat(dirfd: number, name: string, noFollow: boolean): HostStat {
    this.calls.push('statat');
    if (!noFollow) throw new Error('memfs: the walk asked the host to follow a symlink');
    const n = this.at(dirfd, name);
    if (!n) throw new HostError('ENOENT', 'statat');
    return this.statOf(n);
  }

  readlinkat(dirfd: number, name: string): string {
    this.calls.push('readlinkat');
    const n = this.at(dirfd, name);
    if (!n) throw new HostError('ENOENT', 'readlinkat');
    if (n.kind !== 'link') throw new HostError('EINVAL', 'readlinkat');
    return n.target;
  }

  readdir(fd: number): HostDirEntry[] {
    const n = this.node(fd);
    if (n.kind !== 'dir') throw new HostError('ENOTDIR', 'readdir');
    return [...n.children].map(([name, c]) => ({ name, type: c.kind === 'link' ? 'symlink' : c.kind, ino: c.ino }));
  }

  mkdirat(dirfd: number, name: string): void {
    const dir = this.node(dirfd);
    if (dir.kind !== 'dir') throw new HostError('ENOTDIR', 'mkdirat');
    if (this.at(dirfd, name)) throw new HostError('EEXIST', 'mkdirat');
    dir.children.set(name, { kind: 'dir', ino: nextIno++, children: new Map() });
  }

  symlinkat(target: string, dirfd: number, name: string): void {
    const dir = this.node(dirfd);
    if (dir.kind !== 'dir') throw new HostError('ENOTDIR', 'symlinkat');
    if (this.at(dirfd, name)) throw new HostError('EEXIST', 'symlinkat');
    dir.children.set(name, { kind: 'link', ino: nextIno++, target });
  }

  unlinkat(dirfd: number, name: string, removeDir: boolean): void {
    const dir = this.node(dirfd);
    const n = this.at(dirfd, name);
    if (!n || dir.kind !== 'dir') throw new HostError('ENOENT', 'unlinkat');
    if (removeDir !== (n.kind === 'dir')) throw new HostError(removeDir ? 'ENOTDIR' : 'EISDIR', 'unlinkat');
    const key = this.child(dir, name)?.[0] ?? name;
    dir.children.delete(key);
  }

  private unsupported(): never {
    throw new HostError('ENOSYS', 'memfs');
  }
  read(): number {
    return this.unsupported();
  }
  readAsync(): Promise<number> {
    return this.unsupported();
  }
  write(): number {
    return this.unsupported();
  }
  accessat(): void {
    this.unsupported();
  }
  mkfifoat(): void {
    this.unsupported();
  }
  renameat(): void {
    this.unsupported();
  }
  linkat(): void {
    this.unsupported();
  }
  chmodat(): void {
    this.unsupported();
  }
  chownat(): void {
    this.unsupported();
  }
  utimensat(): void {
    this.unsupported();
  }
  ftruncate(): void {
    this.unsupported();
  }
  fsync(): void {
    this.unsupported();
  }
  fdatasync(): void {
    this.unsupported();
  }
  fchmod(): void {
    this.unsupported();
  }
  fchown(): void {
    this.unsupported();
  }
  fstatfs(): HostStatfs {
    return this.unsupported();
  }
  setNonBlocking(): void {
    this.unsupported();
  }
  pipe(): [number, number] {
    return this.unsupported();
  }
}
