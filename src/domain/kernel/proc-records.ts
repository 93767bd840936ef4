/**
 * The guest view one elfuse process gives the others (HostProcesses.publish):
 * its name, executable, command line, environment, working directory,
 * credentials and open fds, which another process's /proc/<pid> shows and
 * kill's permission check reads. The host's /proc/<pid> of an elfuse
 * process shows Node, not the guest, so each process publishes this record
 * when it starts and again whenever it changed (checked when the event loop
 * turns and before a syscall waits), and the host port withdraws it at
 * exit. What the host keeps for itself (state, parent, group, session) is
 * asked of the host when it is read.
 *
 * Encoding: JSON, byte strings (command line, environment, paths) as one
 * character per byte.
 */

import { Errno } from './errno.js';
import type { OpenFile } from './fd-table.js';
import type { Task } from './task.js';

export interface GuestRecord {
  readonly comm: string;
  readonly exe: string;
  readonly cwd: string;
  /** The argv and envp areas of the guest's memory, NUL-separated. */
  readonly cmdline: string;
  readonly environ: string;
  /** Real, effective, saved. */
  readonly uid: readonly [number, number, number];
  readonly gid: readonly [number, number, number];
  /** Effective, permitted and inheritable capabilities, in hexadecimal (capget of another process). */
  readonly caps?: readonly [string, string, string];
  /** Each open fd and its /proc/<pid>/fd link text. */
  readonly fds: readonly (readonly [number, string])[];
  readonly subreaper: boolean;
}

const latin1 = (bytes: Uint8Array): string => {
  let s = '';
  for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return s;
};

export const latin1Bytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);

/** Guest memory between two addresses; empty if it is no longer mapped. */
function guestRange(task: Task, start: number, end: number): Uint8Array {
  if (end <= start) return new Uint8Array(0);
  try {
    return task.mem.read(start, end - start);
  } catch {
    return new Uint8Array(0);
  }
}

/** The record of `task` as it is now; `fdTarget` is procfs's /proc/self/fd link text. */
export function recordOf(task: Task, fdTarget: (file: OpenFile) => string): GuestRecord {
  const img = task.mm.image;
  const c = task.cred;
  return {
    comm: task.comm,
    exe: img?.exePath ?? task.mm.execfn,
    cwd: task.fsContext.cwdGuestPath,
    cmdline: latin1(guestRange(task, img?.argStart ?? 0, img?.argEnd ?? 0)),
    environ: latin1(guestRange(task, img?.envStart ?? 0, img?.envEnd ?? 0)),
    uid: [c.uid, c.euid, c.suid],
    gid: [c.gid, c.egid, c.sgid],
    caps: [c.caps.effective, c.caps.permitted, c.caps.inheritable].map((v) => `0x${v.toString(16)}`) as [string, string, string],
    fds: task.fds.openFds().map((fd) => [fd, fdTarget(task.fds.get(fd) as OpenFile)] as const),
    subreaper: task.tg.childSubreaper,
  };
}

export function decodeRecord(bytes: Uint8Array): GuestRecord | null {
  try {
    const r = JSON.parse(new TextDecoder().decode(bytes)) as GuestRecord;
    if (typeof r.comm !== 'string' || !Array.isArray(r.uid) || !Array.isArray(r.fds)) return null;
    return r;
  } catch {
    return null;
  }
}

/** The last record this process published, and what it was made from, so an unchanged one is not made again. */
const lastPublished = new WeakMap<Task, { readonly text: string; readonly key: string }>();
const descriptionIds = new WeakMap<OpenFile, number>();
let nextDescriptionId = 1;

/**
 * What a record is made from, cheaply: the name, exe, cwd, ids and which
 * description each fd holds. The command line and environment are read
 * again only when one of these changed or at exec (a guest that rewrites
 * its argv in place shows the new text once anything else changes).
 */
function recordKey(task: Task): string {
  const c = task.cred;
  let fds = '';
  for (const fd of task.fds.openFds()) {
    const file = task.fds.get(fd) as OpenFile;
    let id = descriptionIds.get(file);
    if (id === undefined) {
      id = nextDescriptionId++;
      descriptionIds.set(file, id);
    }
    fds += `${fd}:${id},`;
  }
  const img = task.mm.image;
  return [task.comm, img?.exePath ?? task.mm.execfn, img?.argStart ?? 0, task.fsContext.cwdGuestPath, c.uid, c.euid, c.suid, c.gid, c.egid, c.sgid, c.caps.effective, c.caps.permitted, c.caps.inheritable, task.tg.childSubreaper, fds].join('\0');
}

/** Publishes the task's record if it changed since the last time (or always, with `force`). */
export function publishRecord(task: Task, fdTarget: (file: OpenFile) => string, force = false): void {
  const key = recordKey(task);
  const last = lastPublished.get(task);
  if (!force && last?.key === key) return;
  let text: string;
  try {
    text = JSON.stringify(recordOf(task, fdTarget));
  } catch {
    return;
  }
  lastPublished.set(task, { text, key });
  if (!force && last?.text === text) return;
  task.host.processes.publish(new TextEncoder().encode(text));
}

/** Another guest process of this tree, as it last published itself; null if there is none. */
export function guestRecord(task: Task, pid: number): GuestRecord | null {
  const bytes = task.host.processes.published(pid);
  return bytes ? decodeRecord(bytes) : null;
}

/**
 * kill_ok_by_cred: the sender's real or effective uid is the target's real
 * or saved uid, or the sender is privileged (CAP_KILL: euid 0 here);
 * SIGCONT within the sender's session is always allowed.
 */
export function mayKill(task: Task, target: GuestRecord, sig: number, sameSession: () => boolean): number {
  const c = task.cred;
  const [tuid, , tsuid] = target.uid;
  if (c.euid === 0 || c.euid === tsuid || c.euid === tuid || c.uid === tsuid || c.uid === tuid) return 0;
  if (sig === 18 /* SIGCONT */ && sameSession()) return 0;
  return -Errno.EPERM;
}
