/**
 * Advisory file locks (fs/locks.c) as one process sees them: flock(2) locks,
 * POSIX record locks (F_SETLK) and open file description locks
 * (F_OFD_SETLK), in elfuse's own table keyed by inode, for what the host
 * cannot lock: made-up /proc and /dev nodes, and OFD locks on a host
 * without them (host files use the host's locks, fs-lock.ts). They have
 * the full Linux semantics between the descriptors of this guest process,
 * and no effect on other processes.
 *
 * Owners decide conflicts. A flock lock and an OFD lock belong to an open
 * file description; POSIX locks belong to the process, so they never
 * conflict with each other here, while they do conflict with OFD locks.
 */

/** Identifies an inode: the host's (st_dev, st_ino). */
export type InodeKey = string;

export function inodeKey(dev: bigint, ino: bigint): InodeKey {
  return `${dev}:${ino}`;
}

/** Who holds a lock: an open file description (flock, OFD) or the process (POSIX). */
export type LockOwner = object;

export type RecordLockType = 'read' | 'write';

/** A byte-range lock; `end` is inclusive, OFFSET_MAX for "to end of file". */
export interface RecordLock {
  readonly owner: LockOwner;
  /** 'posix' locks are per process, 'ofd' per open file description: F_GETLK reports l_pid -1 for the latter. */
  readonly flavour: 'posix' | 'ofd';
  readonly type: RecordLockType;
  readonly start: bigint;
  readonly end: bigint;
}

/** The largest loff_t; a range ending here runs to end of file (l_len 0). */
export const OFFSET_MAX = 0x7fff_ffff_ffff_ffffn;

type FlockType = 'shared' | 'exclusive';

export class FileLocks {
  private readonly flocks = new Map<InodeKey, Map<LockOwner, FlockType>>();
  private readonly records = new Map<InodeKey, RecordLock[]>();

  /**
   * flock(2) LOCK_SH/LOCK_EX for `owner`. Like flock_lock_inode, a
   * conversion first drops the owner's old lock, so a conversion that then
   * conflicts leaves the owner with no lock. Returns false on a conflict.
   */
  flock(key: InodeKey, owner: LockOwner, type: FlockType): boolean {
    let held = this.flocks.get(key);
    if (held?.get(owner) === type) return true;
    held?.delete(owner);
    for (const [other, otherType] of held ?? []) {
      if (other !== owner && (type === 'exclusive' || otherType === 'exclusive')) return false;
    }
    if (!held) this.flocks.set(key, (held = new Map()));
    held.set(owner, type);
    return true;
  }

  /** Whether flock(type) would succeed now, without changing anything. */
  flockWouldConflict(key: InodeKey, owner: LockOwner, type: FlockType): boolean {
    for (const [other, otherType] of this.flocks.get(key) ?? []) {
      if (other !== owner && (type === 'exclusive' || otherType === 'exclusive')) return true;
    }
    return false;
  }

  unflock(key: InodeKey, owner: LockOwner): void {
    const held = this.flocks.get(key);
    held?.delete(owner);
    if (held?.size === 0) this.flocks.delete(key);
  }

  /** The first lock of another owner that a request of `type` over [start, end] conflicts with (F_GETLK). */
  conflicting(key: InodeKey, owner: LockOwner, type: RecordLockType, start: bigint, end: bigint): RecordLock | null {
    for (const lock of this.records.get(key) ?? []) {
      if (lock.owner === owner) continue;
      if (lock.end < start || lock.start > end) continue;
      if (type === 'write' || lock.type === 'write') return lock;
    }
    return null;
  }

  /**
   * F_SETLK: sets `type` (or unlocks, when null) over [start, end] for
   * `owner`. The owner's existing locks in the range are replaced, split at
   * its edges, and adjacent locks of the same type merge, as
   * posix_lock_inode does. Returns the conflicting lock instead when there is one.
   */
  setRecord(
    key: InodeKey,
    owner: LockOwner,
    flavour: 'posix' | 'ofd',
    type: RecordLockType | null,
    start: bigint,
    end: bigint,
  ): RecordLock | null {
    if (type !== null) {
      const conflict = this.conflicting(key, owner, type, start, end);
      if (conflict) return conflict;
    }
    const all = this.records.get(key) ?? [];
    const others = all.filter((l) => l.owner !== owner);
    let mine: RecordLock[] = [];
    for (const l of all) {
      if (l.owner !== owner) continue;
      if (l.end < start || l.start > end) {
        mine.push(l);
        continue;
      }
      // Keep the parts outside [start, end].
      if (l.start < start) mine.push({ ...l, end: start - 1n });
      if (l.end > end) mine.push({ ...l, start: end + 1n });
    }
    if (type !== null) mine.push({ owner, flavour, type, start, end });
    mine = mergeAdjacent(mine);
    const next = [...others, ...mine];
    if (next.length === 0) this.records.delete(key);
    else this.records.set(key, next);
    return null;
  }

  /** The owner's record locks on the inode, in offset order (for tests and F_GETLK reasoning). */
  recordsOf(key: InodeKey, owner: LockOwner): RecordLock[] {
    return (this.records.get(key) ?? []).filter((l) => l.owner === owner).sort((a, b) => (a.start < b.start ? -1 : 1));
  }

  /** Drops every record lock `owner` holds on the inode (POSIX: any close of the file; OFD: last close). */
  dropRecords(key: InodeKey, owner: LockOwner): void {
    const left = (this.records.get(key) ?? []).filter((l) => l.owner !== owner);
    if (left.length === 0) this.records.delete(key);
    else this.records.set(key, left);
  }

  /** Last close of a description: its flock and OFD locks go. */
  releaseDescription(key: InodeKey, owner: LockOwner): void {
    this.unflock(key, owner);
    this.dropRecords(key, owner);
  }

  /** Whether `owner` holds any record locks at all (so close need not look up the inode otherwise). */
  hasRecords(owner: LockOwner): boolean {
    for (const locks of this.records.values()) if (locks.some((l) => l.owner === owner)) return true;
    return false;
  }
}

/** Sorts one owner's locks and joins touching or overlapping ranges of the same type. */
function mergeAdjacent(locks: RecordLock[]): RecordLock[] {
  const sorted = [...locks].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const out: RecordLock[] = [];
  for (const l of sorted) {
    const last = out[out.length - 1];
    if (last && last.type === l.type && last.end !== OFFSET_MAX && last.end + 1n >= l.start) {
      out[out.length - 1] = { ...last, end: l.end > last.end ? l.end : last.end };
    } else {
      out.push(l);
    }
  }
  return out;
}
