/**
 * GuestMemory: the ONE checked accessor for guest pointers (copy_from_user /
 * copy_to_user / strncpy_from_user). Every access goes through the
 * AddressSpace's user view of each page, so it is allowed exactly when the
 * guest itself could make it at EL0; anything else throws GuestFault with
 * the first bad address, which the syscall layer returns as -EFAULT.
 * Ranges may cross pages whose frames are not contiguous. Reads of
 * anonymous pages never touched give zeros without allocating them, so
 * write(2) of a huge untouched buffer costs no guest memory.
 */
import type { AddressSpace } from './address-space.js';
import { GuestFault, GuestTooLong } from './fault.js';
import type { PhysMem } from './phys.js';
import { PAGE_SIZE } from './phys.js';
import { TASK_SIZE } from './layout.js';

/** What translate() returns for a page that reads as zeros and has no frame. */
const ZERO_PAGE = -1;

/** MAX_ARG_STRINGS bounds execve's argv/envp in fs/exec.c. */
const MAX_ARG_STRINGS = 0x7fffffff;

export class GuestMemory {
  private readonly phys: PhysMem;

  constructor(private readonly as: AddressSpace) {
    this.phys = as.phys;
  }

  /** A copy of [va, va+len). */
  read(va: number, len: number): Uint8Array {
    // Check before allocating, so a huge bogus length faults instead of exhausting the host.
    this.eachChunk(va, len, false, () => {});
    // A fresh array is zeroed (and the host commits it only where written): zero pages are skipped.
    const out = new Uint8Array(len);
    this.eachChunk(va, len, false, (pa, off, n) => {
      if (pa !== ZERO_PAGE) out.set(this.phys.view(pa, n), off);
    });
    return out;
  }

  write(va: number, bytes: Uint8Array): void {
    // Check the whole range first so a fault leaves memory untouched.
    this.eachChunk(va, bytes.length, true, () => {});
    this.eachChunk(va, bytes.length, true, (pa, off, n) => this.phys.view(pa, n).set(bytes.subarray(off, off + n)));
  }

  /** The bytes of the NUL-terminated string at va, without the NUL. */
  readCString(va: number, maxLen = 4096): Uint8Array {
    const parts: Uint8Array[] = [];
    let total = 0;
    for (let cur = va; total < maxLen; ) {
      const pa = this.translate(cur, false);
      const n = Math.min(PAGE_SIZE - (cur % PAGE_SIZE), maxLen - total);
      const chunk = pa === ZERO_PAGE ? new Uint8Array(n) : this.phys.view(pa, n);
      const nul = chunk.indexOf(0);
      if (nul >= 0) {
        parts.push(chunk.slice(0, nul));
        return concat(parts, total + nul);
      }
      parts.push(chunk.slice());
      total += n;
      cur += n;
    }
    throw new GuestTooLong(va, 'string', maxLen);
  }

  readU32(va: number): number {
    const b = this.read(va, 4);
    return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
  }

  readU64(va: number): bigint {
    const b = this.read(va, 8);
    return new DataView(b.buffer).getBigUint64(0, true);
  }

  writeU32(va: number, value: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, value >>> 0, true);
    this.write(va, b);
  }

  writeU64(va: number, value: bigint): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, value), true);
    this.write(va, b);
  }

  /** A NULL-terminated array of pointers (execve's argv/envp), without the NULL. */
  readPointerArray(va: number, maxCount = MAX_ARG_STRINGS): bigint[] {
    const out: bigint[] = [];
    for (let i = 0; i <= maxCount; i++) {
      const p = this.readU64(va + i * 8);
      if (p === 0n) return out;
      out.push(p);
    }
    throw new GuestTooLong(va, 'array', maxCount);
  }

  /** The PA of `va` for this access, or ZERO_PAGE for a read of an untouched anonymous page. */
  private translate(va: number, write: boolean): number {
    if (!(va >= 0 && va < TASK_SIZE)) throw new GuestFault(va, write);
    const acc = write ? this.as.pageAccess(va, true) : this.as.readAccess(va);
    if (acc === 'zero') return ZERO_PAGE;
    if (!acc || (write ? !acc.write : !acc.read)) throw new GuestFault(va, write);
    return acc.pa + (va % PAGE_SIZE);
  }

  private eachChunk(va: number, len: number, write: boolean, fn: (pa: number, off: number, n: number) => void): void {
    for (let off = 0; off < len; ) {
      const cur = va + off;
      const n = Math.min(len - off, PAGE_SIZE - (cur % PAGE_SIZE));
      fn(this.translate(cur, write), off, n);
      off += n;
    }
  }
}

function concat(parts: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
