/**
 * getdents64 d_off cookies while the directory changes between calls, on a
 * host double whose directory listing the test edits (and shuffles, as a
 * hashed directory's order may change). The promise, as on a Linux
 * filesystem: an entry present for the whole listing is returned exactly
 * once, nothing is returned twice, a removed entry not yet returned never
 * shows up, and lseek to a d_off resumes right after that entry.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OpenFile } from '../../src/domain/kernel/fd-table.js';
import { createNodeHostPorts } from '../../src/adapters/host-node/index.js';
import type { HostDirEntry, HostFs, HostPorts, HostStat } from '../../src/ports/host.js';
import { SCRATCH, le, makeHarness, type KernelHarness } from './harness.js';

const BUF = SCRATCH + 0x4000;
const DIR_FD = 7;
/** The made-up host fd behind the guest's DIR_FD. */
const DIR_HOST_FD = 9999;

/** A host whose directory /d lists `names` in their current order. */
function hostWithDir(names: string[]): HostPorts {
  const real = createNodeHostPorts();
  const st = (ino: bigint): HostStat => ({
    dev: 1n, ino, mode: 0o40755, nlink: 2, uid: 0, gid: 0, rdev: 0n, size: 0n, blksize: 4096, blocks: 0n,
    atimeNs: 0n, mtimeNs: 0n, ctimeNs: 0n, birthtimeNs: 0n,
  });
  const fs: HostFs = Object.create(real.fs) as HostFs;
  fs.fstat = (fd: number) => (fd === DIR_HOST_FD ? st(2n) : real.fs.fstat(fd));
  fs.readdir = (fd: number): HostDirEntry[] =>
    fd === DIR_HOST_FD ? names.map((name, i) => ({ name, type: 'file', ino: BigInt(100 + i) })) : real.fs.readdir(fd);
  return { ...real, fs };
}

interface Rec {
  name: string;
  off: bigint;
}

async function getdents(h: KernelHarness, size: number): Promise<Rec[]> {
  const n = Number(await h.sys('getdents64', DIR_FD, BUF, size));
  expect(n).toBeGreaterThanOrEqual(0);
  const bytes = h.read(BUF, n);
  const out: Rec[] = [];
  for (let at = 0; at < n; ) {
    const v = le(bytes.subarray(at));
    const reclen = v.u16(16);
    const nameBytes = bytes.subarray(at + 19, at + reclen);
    out.push({ name: new TextDecoder().decode(nameBytes.subarray(0, nameBytes.indexOf(0))), off: v.i64(8) });
    at += reclen;
  }
  return out;
}

function setup(names: string[]): KernelHarness {
  const h = makeHarness({ host: hostWithDir(names) });
  h.task.fds.installAt(DIR_FD, new OpenFile(DIR_HOST_FD, '/d', 0, 'dir', false), false);
  return h;
}

describe('getdents64 cookies', () => {
  it('lists . and .. first, then the entries, and lseek to a d_off resumes after that entry', async () => {
    const names = ['a', 'b', 'c', 'd'];
    const h = setup(names);
    const first = await getdents(h, 48); // two 24-byte records
    expect(first.map((r) => r.name)).toEqual(['.', '..']);
    const rest = await getdents(h, 4096);
    expect(rest.map((r) => r.name)).toEqual(['a', 'b', 'c', 'd']);
    expect(await h.sys('lseek', DIR_FD, rest[1]!.off, 0)).toBe(rest[1]!.off);
    expect((await getdents(h, 4096)).map((r) => r.name)).toEqual(['c', 'd']);
  });

  it('survives inserts, removals and reordering between calls (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.stringMatching(/^[a-z]{1,6}$/), { minLength: 1, maxLength: 30 }),
        fc.array(fc.record({ add: fc.stringMatching(/^[A-Z]{1,6}$/), remove: fc.nat(), seed: fc.nat() }), {
          maxLength: 10,
        }),
        fc.integer({ min: 24, max: 200 }),
        async (initial, edits, bufSize) => {
          const names = [...initial];
          const h = setup(names);
          const returned = new Map<string, number>();
          const removedUnseen = new Set<string>();
          const everRemoved = new Set<string>();
          let step = 0;
          for (;;) {
            const recs = await getdents(h, Math.max(bufSize, 48));
            if (recs.length === 0) break;
            for (const r of recs) returned.set(r.name, (returned.get(r.name) ?? 0) + 1);
            const edit = edits[step++];
            if (!edit) continue;
            // Remove one entry, add one, and shuffle the host order.
            if (names.length > 0) {
              const [gone] = names.splice(edit.remove % names.length, 1);
              if (gone !== undefined) {
                everRemoved.add(gone);
                if (!returned.has(gone)) removedUnseen.add(gone);
              }
            }
            if (!names.includes(edit.add) && !everRemoved.has(edit.add)) names.push(edit.add);
            for (let i = names.length - 1; i > 0; i--) {
              const j = (edit.seed + i * 7) % (i + 1);
              [names[i], names[j]] = [names[j]!, names[i]!];
            }
          }
          for (const [name, count] of returned) expect(count, name).toBe(1);
          for (const name of initial) {
            if (!everRemoved.has(name)) expect(returned.get(name), name).toBe(1);
          }
          for (const name of removedUnseen) expect(returned.has(name), name).toBe(false);
        },
      ),
      { numRuns: 60 },
    );
  });
});
