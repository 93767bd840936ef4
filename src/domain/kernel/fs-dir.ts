/**
 * getdents64(2) (fs/readdir.c): linux_dirent64 records with the host's inode
 * numbers and d_type.
 *
 * d_off cookies must stay valid while other code adds and removes entries,
 * as a Linux filesystem's hash or index cookies do: telldir/seekdir and
 * reading in several calls must neither repeat nor skip an entry that stays.
 * So each open directory keeps every name it has seen in first-seen order
 * (fd-table.ts DirCookies); an entry's cookie is one past its place in that
 * list, and never changes. Each call re-reads the host directory, appends
 * names it has not seen, and returns the live entries from the offset on;
 * removed names keep their place but are skipped.
 */

import type { HostDirEntry } from '../../ports/host.js';
import { Errno } from './errno.js';
import type { DirCookies, OpenFile } from './fd-table.js';
import { dirRefOf, direntType, fileOf, pathBytes } from './fs-util.js';
import { joinGuest, walkPath, type DirRef } from './namei.js';
import { LinuxDirent64Offset, StructWriter, linuxDirent64Reclen } from './linux-abi.js';
import type { SyscallArgs, SyscallImpl } from './syscall-args.js';
import { synthEntries } from './synthfs.js';
import type { Task } from './task.js';

/**
 * The directory as it is now: '.' and '..' first, as a Linux filesystem
 * lists them, then the entries of a /proc or /dev node, or of the host
 * directory. A directory of the sysroot shows the names the host's
 * directory of the same guest path adds (fs-context.ts: those are the
 * names a lookup there finds on the host), with case tokens turned back
 * into Linux names.
 */
function listing(task: Task, dir: OpenFile): HostDirEntry[] {
  if (dir.synth) return synthEntries(dir.synth.node, dir.path);
  const fs = task.host.fs;
  const ctx = task.fsContext;
  const self = fs.fstat(dir.hostFd);
  const ref = dirRefOf(task, dir);
  try {
    let entries: HostDirEntry[];
    if (dir.layer === 'sysroot') {
      const host = ref.host(ctx);
      entries = ctx.guestEntries(fs.readdir(dir.hostFd), host === null ? [] : fs.readdir(host));
    } else {
      entries = fs.readdir(dir.hostFd);
    }
    return [{ name: '.', type: 'dir', ino: self.ino }, { name: '..', type: 'dir', ino: parentIno(task, ref, self.ino) }, ...entries];
  } finally {
    ref.dispose(fs);
  }
}

/** The inode of the guest's parent directory (the root is its own parent), found by the guest's walk. */
function parentIno(task: Task, ref: DirRef, selfIno: bigint): bigint {
  if (ref.guest.length === 0) return selfIno;
  try {
    const t = walkPath(task.fsContext, task.fsContext.root, joinGuest(ref.guest.slice(0, -1)), { follow: true });
    if (t.kind !== 'host') return selfIno;
    try {
      return t.st?.ino ?? selfIno;
    } finally {
      t.release();
    }
  } catch {
    return selfIno; // the parent is gone or unreachable; Linux would still know it
  }
}

/**
 * Merges the current listing into the cookie list and returns the live
 * entries by name. Exported for the unit tests of the cookie rules.
 */
export function refreshCookies(cookies: DirCookies, now: readonly HostDirEntry[]): Map<string, HostDirEntry> {
  const live = new Map<string, HostDirEntry>();
  for (const entry of now) {
    live.set(entry.name, entry);
    if (!cookies.byName.has(entry.name)) {
      cookies.byName.set(entry.name, cookies.entries.length);
      cookies.entries.push(entry);
    }
  }
  return live;
}

export function newDirCookies(): DirCookies {
  return { entries: [], byName: new Map() };
}

function encodeDirent(entry: HostDirEntry, nextCookie: number): Uint8Array {
  const name = pathBytes(entry.name);
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
  dir.dirCookies ??= newDirCookies();
  const cookies = dir.dirCookies;
  const live = refreshCookies(cookies, listing(task, dir));

  const out = new Uint8Array(Math.min(count, 1 << 20));
  let used = 0;
  let index = dir.offset > BigInt(cookies.entries.length) ? cookies.entries.length : Number(dir.offset);
  for (; index < cookies.entries.length; index++) {
    const name = cookies.entries[index]?.name;
    const entry = name === undefined ? undefined : live.get(name);
    if (!entry) continue; // removed since its cookie was handed out
    const rec = encodeDirent(entry, index + 1);
    if (used + rec.length > out.length) break;
    out.set(rec, used);
    used += rec.length;
  }
  if (used === 0 && index < cookies.entries.length) return -Errno.EINVAL;
  task.mem.write(a.ptr(1), out.subarray(0, used));
  if (BigInt(index) > dir.offset) dir.offset = BigInt(index);
  return used;
}

export const fsDirSyscalls: Readonly<Record<string, SyscallImpl>> = {
  getdents64: { handler: sysGetdents64, support: 'full', args: ['fd', 'ptr', 'size'] },
};
