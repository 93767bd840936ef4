/**
 * getdents64(2) (fs/readdir.c): linux_dirent64 records with the host's inode
 * numbers and d_type. The listing is snapshotted when a directory is read
 * from offset 0, and d_off is the index of the next entry in that snapshot,
 * so cookies handed out stay valid for lseek/telldir until the next rewind.
 */

import type { HostDirEntry } from '../../ports/host.js';
import { Errno } from './errno.js';
import type { OpenFile } from './fd-table.js';
import { direntType, encodeUtf8, fileOf } from './fs-util.js';
import { LinuxDirent64Offset, StructWriter, linuxDirent64Reclen } from './linux-abi.js';
import type { SyscallArgs, SyscallImpl } from './syscall-args.js';
import { synthEntries } from './synthfs.js';
import type { Task } from './task.js';

/** '.' and '..' first, as a Linux filesystem lists them, then the host's entries. */
function snapshot(task: Task, dir: OpenFile): HostDirEntry[] {
  if (dir.synth) return synthEntries(dir.synth.node, dir.path);
  const fs = task.host.fs;
  const self = fs.stat(dir.path);
  // The sysroot's top is "/" to the guest: its '..' is itself, as at the real root.
  const atTop = task.root !== null && dir.path.replace(/\/+$/, '') === task.root.root;
  const parent = atTop ? self : fs.stat(dir.path.endsWith('/') ? `${dir.path}..` : `${dir.path}/..`);
  return [
    { name: '.', type: 'dir', ino: self.ino },
    { name: '..', type: 'dir', ino: parent.ino },
    ...(task.root?.contains(dir.path) ? task.root.guestEntries(fs.readdir(dir.path)) : fs.readdir(dir.path)),
  ];
}

function encodeDirent(entry: HostDirEntry, nextCookie: number): Uint8Array {
  const name = encodeUtf8(entry.name);
  const O = LinuxDirent64Offset;
  const reclen = linuxDirent64Reclen(name.length);
  const w = new StructWriter(reclen)
    .u64(O.d_ino, entry.ino)
    .i64(O.d_off, BigInt(nextCookie))
    .u16(O.d_reclen, reclen)
    .u8(O.d_type, direntType(entry.type));
  w.bytes.set(name, O.d_name);
  return w.bytes;
}

/** getdents64(2): EINVAL when even the first record does not fit; 0 at the end. */
function sysGetdents64(task: Task, a: SyscallArgs): number {
  const dir = fileOf(task, a.fd(0));
  if (dir.kind === 'path') return -Errno.EBADF;
  if (dir.kind !== 'dir') return -Errno.ENOTDIR;
  const count = a.uint(2);
  if (dir.offset === 0n || dir.dirEntries === null) dir.dirEntries = snapshot(task, dir);
  const entries = dir.dirEntries;

  const out = new Uint8Array(Math.min(count, 1 << 20));
  let used = 0;
  let index = Number(dir.offset);
  for (; index < entries.length; index++) {
    const entry = entries[index];
    if (!entry) break;
    const rec = encodeDirent(entry, index + 1);
    if (used + rec.length > out.length) break;
    out.set(rec, used);
    used += rec.length;
  }
  if (used === 0 && index < entries.length) return -Errno.EINVAL;
  task.mem.write(a.ptr(1), out.subarray(0, used));
  dir.offset = BigInt(index);
  return used;
}

export const fsDirSyscalls: Readonly<Record<string, SyscallImpl>> = {
  getdents64: { handler: sysGetdents64, support: 'full', args: ['fd', 'ptr', 'size'] },
};
