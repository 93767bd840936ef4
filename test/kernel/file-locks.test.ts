/**
 * The lock table (file-locks.ts) on its own, with the rules of fs/locks.c
 * as flock(2) and fcntl(2) describe them: owners decide conflicts, a
 * conversion drops the old flock first, record locks split and merge, and
 * the fcntl lock commands through dispatch with struct flock in guest memory.
 * The same cases run against the real kernel in guests/src/fsops.c (e2e).
 */
import fc from 'fast-check';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/domain/kernel/errno.js';
import { FileLocks, OFFSET_MAX, type RecordLockType } from '../../src/domain/kernel/file-locks.js';
import { SCRATCH, le, makeHarness } from './harness.js';

const K = 'dev:ino';

describe('flock', () => {
  it('shared locks coexist, an exclusive one excludes other descriptions but not its own', () => {
    const t = new FileLocks();
    const a = {}, b = {}, c = {};
    expect(t.flock(K, a, 'shared')).toBe(true);
    expect(t.flock(K, b, 'shared')).toBe(true);
    expect(t.flock(K, c, 'exclusive')).toBe(false);
    t.unflock(K, a);
    t.unflock(K, b);
    expect(t.flock(K, c, 'exclusive')).toBe(true);
    expect(t.flock(K, c, 'exclusive')).toBe(true); // same owner, same type
    expect(t.flock(K, a, 'shared')).toBe(false);
  });

  it('a conversion that conflicts leaves the owner without its old lock (flock_lock_inode)', () => {
    const t = new FileLocks();
    const a = {}, b = {};
    t.flock(K, a, 'shared');
    t.flock(K, b, 'shared');
    expect(t.flock(K, a, 'exclusive')).toBe(false);
    expect(t.flock(K, b, 'exclusive')).toBe(true); // a's shared lock is gone
  });

  it('releasing a description drops its flock and OFD locks only', () => {
    const t = new FileLocks();
    const proc = {}, a = {};
    t.flock(K, a, 'exclusive');
    t.setRecord(K, a, 'ofd', 'write', 0n, 9n);
    t.setRecord(K, proc, 'posix', 'read', 20n, 29n);
    t.releaseDescription(K, a);
    expect(t.flockWouldConflict(K, {}, 'exclusive')).toBe(false);
    expect(t.recordsOf(K, a)).toEqual([]);
    expect(t.recordsOf(K, proc)).toHaveLength(1);
  });
});

describe('record locks', () => {
  it('one owner never conflicts with itself; read locks share, write locks exclude', () => {
    const t = new FileLocks();
    const p = {}, q = {};
    expect(t.setRecord(K, p, 'posix', 'write', 0n, 9n)).toBeNull();
    expect(t.setRecord(K, p, 'posix', 'read', 5n, 6n)).toBeNull();
    expect(t.conflicting(K, q, 'read', 0n, 4n)?.type).toBe('write');
    expect(t.conflicting(K, q, 'read', 5n, 6n)).toBeNull();
    expect(t.conflicting(K, q, 'write', 5n, 6n)?.type).toBe('read');
    expect(t.conflicting(K, q, 'write', 10n, OFFSET_MAX)).toBeNull();
  });

  it('unlocking the middle splits a lock; same-type neighbours merge', () => {
    const t = new FileLocks();
    const p = {};
    t.setRecord(K, p, 'ofd', 'write', 0n, 99n);
    t.setRecord(K, p, 'ofd', null, 40n, 59n);
    expect(t.recordsOf(K, p).map((l) => [l.start, l.end])).toEqual([
      [0n, 39n],
      [60n, 99n],
    ]);
    t.setRecord(K, p, 'ofd', 'write', 40n, 59n);
    expect(t.recordsOf(K, p).map((l) => [l.start, l.end])).toEqual([[0n, 99n]]);
  });

  it('matches a byte-map model under random lock/unlock sequences (property)', () => {
    const op = fc.record({
      owner: fc.integer({ min: 0, max: 2 }),
      type: fc.constantFrom<RecordLockType | null>('read', 'write', null),
      start: fc.integer({ min: 0, max: 30 }),
      len: fc.integer({ min: 1, max: 12 }),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 25 }), (ops) => {
        const t = new FileLocks();
        const owners = [{}, {}, {}];
        // model[o][byte] = the lock owner o holds on that byte
        const model: (RecordLockType | null)[][] = owners.map(() => Array<RecordLockType | null>(48).fill(null));
        for (const o of ops) {
          const owner = owners[o.owner]!;
          const end = o.start + o.len - 1;
          const conflicts =
            o.type !== null &&
            model.some(
              (bytes, who) =>
                who !== o.owner &&
                bytes.slice(o.start, end + 1).some((b) => b !== null && (b === 'write' || o.type === 'write')),
            );
          const got = t.setRecord(K, owner, 'ofd', o.type, BigInt(o.start), BigInt(end));
          expect(got !== null).toBe(conflicts);
          if (!conflicts) for (let i = o.start; i <= end; i++) model[o.owner]![i] = o.type;
          // The table, expanded to bytes, equals the model; no two locks of an owner overlap or touch with one type.
          owners.forEach((who, idx) => {
            const bytes = Array<RecordLockType | null>(48).fill(null);
            const locks = t.recordsOf(K, who);
            locks.forEach((l, i) => {
              for (let b = Number(l.start); b <= Number(l.end); b++) bytes[b] = l.type;
              const next = locks[i + 1];
              if (next) expect(next.start > l.end + (next.type === l.type ? 1n : 0n)).toBe(true);
            });
            expect(bytes).toEqual(model[idx]);
          });
        }
      }),
    );
  });
});

describe('fcntl lock commands through dispatch', () => {
  const F_GETLK = 5, F_SETLK = 6, F_OFD_GETLK = 36, F_OFD_SETLK = 37;
  const F_RDLCK = 0, F_WRLCK = 1, F_UNLCK = 2;
  const FL = SCRATCH + 0x2000;
  const O_RDWR = 2, O_RDONLY = 0, AT_FDCWD = -100;

  function flock(h: ReturnType<typeof makeHarness>, type: number, start: bigint, len: bigint, whence = 0, pid = 0): number {
    const b = new Uint8Array(32);
    const dv = new DataView(b.buffer);
    dv.setInt16(0, type, true);
    dv.setInt16(2, whence, true);
    dv.setBigInt64(8, start, true);
    dv.setBigInt64(16, len, true);
    dv.setInt32(24, pid, true);
    h.write(FL, b);
    return FL;
  }

  it('POSIX locks are per process, OFD locks per description, and they conflict with each other', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'elfuse-locks-'));
    writeFileSync(join(dir, 'f'), '0123456789');
    const h = makeHarness();
    const path = h.cstr(join(dir, 'f'));
    const a = Number(await h.sys('openat', AT_FDCWD, path, O_RDWR));
    const b = Number(await h.sys('openat', AT_FDCWD, path, O_RDWR));
    const ro = Number(await h.sys('openat', AT_FDCWD, path, O_RDONLY));

    expect(await h.sys('fcntl', a, F_SETLK, flock(h, F_WRLCK, 0n, 10n))).toBe(0n);
    expect(await h.sys('fcntl', b, F_GETLK, flock(h, F_WRLCK, 0n, 5n))).toBe(0n);
    expect(le(h.read(FL, 32)).u16(0)).toBe(F_UNLCK);
    expect(await h.sys('fcntl', b, F_OFD_GETLK, flock(h, F_WRLCK, 2n, 1n))).toBe(0n);
    const got = le(h.read(FL, 32));
    expect([got.u16(0), got.i64(8), got.i64(16), got.i32(24)]).toEqual([F_WRLCK, 0n, 10n, h.task.pid]);
    expect(await h.sys('fcntl', b, F_OFD_SETLK, flock(h, F_RDLCK, 0n, 1n))).toBe(BigInt(-Errno.EAGAIN));
    expect(await h.sys('fcntl', b, F_OFD_SETLK, flock(h, F_RDLCK, 0n, 1n, 0, 7))).toBe(BigInt(-Errno.EINVAL));
    expect(await h.sys('fcntl', ro, F_SETLK, flock(h, F_WRLCK, 0n, 1n))).toBe(BigInt(-Errno.EBADF));

    // Closing any fd of the file drops the process's POSIX locks.
    expect(await h.sys('close', ro)).toBe(0n);
    expect(await h.sys('fcntl', b, F_OFD_SETLK, flock(h, F_WRLCK, 0n, 0n))).toBe(0n);
    expect(await h.sys('fcntl', a, F_GETLK, flock(h, F_RDLCK, 100n, 1n))).toBe(0n);
    const ofd = le(h.read(FL, 32));
    expect([ofd.u16(0), ofd.i64(8), ofd.i64(16), ofd.i32(24)]).toEqual([F_WRLCK, 0n, 0n, -1]);
  });
});
