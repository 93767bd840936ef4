/**
 * An in-memory HostFs double for path-resolution tests: directories, files
 * and symlinks, resolved with host (POSIX) rules, optionally matching names
 * without regard to ASCII case the way a default APFS volume does. Only the
 * lookup operations are real; the rest throw.
 */
import { HostError, type HostDirEntry, type HostFs, type HostStat, type HostStatfs } from '../../src/ports/host.js';

type Node = { kind: 'dir'; ino: bigint; children: Map<string, Node> } | { kind: 'file'; ino: bigint } | { kind: 'link'; ino: bigint; target: string };

let nextIno = 100n;

export class MemFs implements HostFs {
  readonly root: Node = { kind: 'dir', ino: 2n, children: new Map() };

  constructor(readonly foldsCase = false) {}

  private child(dir: Node, name: string): [string, Node] | undefined {
    if (dir.kind !== 'dir') throw new HostError('ENOTDIR', 'lookup');
    const exact = dir.children.get(name);
    if (exact) return [name, exact];
    if (!this.foldsCase) return undefined;
    for (const [n, node] of dir.children) if (n.toLowerCase() === name.toLowerCase()) return [n, node];
    return undefined;
  }

  /** The node at `path` (absolute), following symlinks except a final one when `follow` is false. */
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

  file(path: string): this {
    const [dir, name] = this.parentOf(path);
    if (this.child(dir, name)) throw new HostError('EEXIST', 'create');
    dir.children.set(name, { kind: 'file', ino: nextIno++ });
    return this;
  }

  symlink(path: string, target: string): this {
    const [dir, name] = this.parentOf(path);
    dir.children.set(name, { kind: 'link', ino: nextIno++, target });
    return this;
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
      size: 0n,
      blksize: 4096,
      blocks: 0n,
      atimeNs: 0n,
      mtimeNs: 0n,
      ctimeNs: 0n,
      birthtimeNs: 0n,
    };
  }

  stat(path: string): HostStat {
    return this.statOf(this.walk(path, true));
  }
  lstat(path: string): HostStat {
    return this.statOf(this.walk(path, false));
  }
  readlink(path: string): string {
    const node = this.walk(path, false);
    if (node.kind !== 'link') throw new HostError('EINVAL', 'readlink');
    return node.target;
  }
  readdir(path: string): HostDirEntry[] {
    const node = this.walk(path, true);
    if (node.kind !== 'dir') throw new HostError('ENOTDIR', 'readdir');
    return [...node.children].map(([name, c]) => ({ name, type: c.kind === 'link' ? 'symlink' : c.kind, ino: c.ino }));
  }

  private unsupported(): never {
    throw new HostError('ENOSYS', 'memfs');
  }
  open(): number {
    return this.unsupported();
  }
  close(): void {
    this.unsupported();
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
  fstat(): HostStat {
    return this.unsupported();
  }
  access(): void {
    this.unsupported();
  }
  mkdir(): void {
    this.unsupported();
  }
  unlink(): void {
    this.unsupported();
  }
  rmdir(): void {
    this.unsupported();
  }
  rename(): void {
    this.unsupported();
  }
  ftruncate(): void {
    this.unsupported();
  }
  fsync(): void {
    this.unsupported();
  }
  // Calls the case-folding tests never make.
  fdatasync(_fd: number): void {
    return this.unsupported();
  }
  truncate(_path: string, _length: bigint): void {
    return this.unsupported();
  }
  chmod(_path: string, _mode: number): void {
    return this.unsupported();
  }
  fchmod(_fd: number, _mode: number): void {
    return this.unsupported();
  }
  chown(_path: string, _uid: number, _gid: number, _noFollow: boolean): void {
    return this.unsupported();
  }
  fchown(_fd: number, _uid: number, _gid: number): void {
    return this.unsupported();
  }
  utimes(_path: string, _atimeNs: bigint, _mtimeNs: bigint, _noFollow: boolean): void {
    return this.unsupported();
  }
  futimes(_fd: number, _atimeNs: bigint, _mtimeNs: bigint): void {
    return this.unsupported();
  }
  link(_existing: string, _newPath: string): void {
    return this.unsupported();
  }
  realpath(_path: string): string {
    return this.unsupported();
  }
  mkfifo(_path: string, _mode: number): void {
    return this.unsupported();
  }
  statfs(_path: string): HostStatfs {
    return this.unsupported();
  }
}
