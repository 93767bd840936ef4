/**
 * GuestMemory: the checked guest-pointer accessor. Permissions follow the
 * page tables at EL0; ranges crossing pages with non-adjacent frames work;
 * every bad pointer is a GuestFault carrying the first bad address.
 */
import { describe, expect, it } from 'vitest';
import { MAP_ANONYMOUS, MAP_FIXED, MAP_POPULATE, MAP_PRIVATE, MAP_SHARED, PROT_NONE, PROT_READ, PROT_WRITE } from '../../src/domain/kernel/linux-abi.js';
import { GuestFault, GuestTooLong } from '../../src/domain/memory/fault.js';
import { memStack } from './ram.js';

const FIXED = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED;
const RW = PROT_READ | PROT_WRITE;
const PAGE = 4096;
const A = 0x400000;

/** Two adjacent pages [A, A+2 pages) whose frames are not adjacent in RAM. */
function scattered() {
  const s = memStack();
  s.as.mmapAnonymous(A + 0x100000, PAGE, RW, FIXED | MAP_POPULATE); // takes frame f
  s.as.mmapAnonymous(A + 0x200000, PAGE, RW, FIXED | MAP_POPULATE); // takes frame f+1
  s.as.munmap(A + 0x100000, PAGE); // frees f
  s.as.mmapAnonymous(A, 2 * PAGE, RW, FIXED | MAP_POPULATE); // gets f (recycled) and a fresh frame
  return s;
}

function faultOf(fn: () => unknown): GuestFault {
  try {
    fn();
  } catch (e) {
    if (e instanceof GuestFault) return e;
    throw e;
  }
  throw new Error('no fault');
}

describe('GuestMemory', () => {
  it('reads and writes across pages whose frames are not contiguous', () => {
    const { as, mem, ram } = scattered();
    const f0 = as.frameAt(A)!;
    const f1 = as.frameAt(A + PAGE)!;
    expect(Math.abs(f1 - f0)).not.toBe(PAGE);
    const data = Uint8Array.from({ length: 10 }, (_, i) => i + 1);
    mem.write(A + PAGE - 4, data);
    expect(mem.read(A + PAGE - 4, 10)).toEqual(data);
    // The bytes really went to the two frames.
    expect([...ram.bytes.subarray(f0 + PAGE - 4, f0 + PAGE)]).toEqual([1, 2, 3, 4]);
    expect([...ram.bytes.subarray(f1, f1 + 6)]).toEqual([5, 6, 7, 8, 9, 10]);
  });

  it('reads and writes 32- and 64-bit little-endian values, also across a page boundary', () => {
    const { mem } = scattered();
    mem.writeU64(A + PAGE - 3, 0x1122334455667788n);
    expect(mem.readU64(A + PAGE - 3)).toBe(0x1122334455667788n);
    expect([...mem.read(A + PAGE - 3, 8)]).toEqual([0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11]);
    mem.writeU32(A + 8, 0xdeadbeef);
    expect(mem.readU32(A + 8)).toBe(0xdeadbeef);
    mem.writeU64(A + 16, -1n);
    expect(mem.readU64(A + 16)).toBe(0xffffffffffffffffn);
  });

  it('reads C strings across pages, stopping at the NUL', () => {
    const { mem } = scattered();
    const s = new TextEncoder().encode('hello, world');
    mem.write(A + PAGE - 5, s);
    mem.write(A + PAGE - 5 + s.length, new Uint8Array([0]));
    expect(new TextDecoder().decode(mem.readCString(A + PAGE - 5))).toBe('hello, world');
    expect(mem.readCString(A + PAGE - 5 + s.length)).toEqual(new Uint8Array(0));
  });

  it('reports a string without a NUL within maxLen as GuestTooLong', () => {
    const { mem } = scattered();
    mem.write(A, new Uint8Array(20).fill(0x61));
    expect(() => mem.readCString(A, 20)).toThrow(GuestTooLong);
    expect(mem.readCString(A, 21)).toHaveLength(20);
  });

  it('faults when a string runs off the mapping before its NUL', () => {
    const { mem } = scattered();
    mem.write(A + 2 * PAGE - 3, new Uint8Array([0x61, 0x62, 0x63]));
    expect(faultOf(() => mem.readCString(A + 2 * PAGE - 3)).address).toBe(A + 2 * PAGE);
  });

  it('reads NULL-terminated pointer arrays', () => {
    const { mem } = scattered();
    mem.writeU64(A, 0x1000n);
    mem.writeU64(A + 8, 0x2000n);
    mem.writeU64(A + 16, 0n);
    expect(mem.readPointerArray(A)).toEqual([0x1000n, 0x2000n]);
    expect(() => mem.readPointerArray(A, 1)).toThrow(GuestTooLong);
  });

  it('faults on unmapped, PROT_NONE, read-only (for writes) and non-canonical addresses', () => {
    const { as, mem } = memStack();
    as.mmapAnonymous(A, PAGE, PROT_READ, FIXED);
    as.mmapAnonymous(A + PAGE, PAGE, PROT_NONE, FIXED);
    expect(mem.read(A, 4)).toEqual(new Uint8Array(4));
    const w = faultOf(() => mem.write(A, new Uint8Array([1])));
    expect(w.address).toBe(A);
    expect(w.write).toBe(true);
    expect(faultOf(() => mem.read(A + PAGE - 2, 4)).address).toBe(A + PAGE);
    expect(faultOf(() => mem.read(0, 1)).address).toBe(0);
    expect(faultOf(() => mem.read(2 ** 48, 1)).address).toBe(2 ** 48);
    expect(faultOf(() => mem.read(-8, 1)).address).toBe(-8);
    expect(faultOf(() => mem.read(A, 2 ** 40)).address).toBe(A + PAGE); // huge length faults, does not allocate
  });

  it('a faulting write changes nothing', () => {
    const { as, mem } = memStack();
    as.mmapAnonymous(A, PAGE, RW, FIXED);
    as.mmapAnonymous(A + PAGE, PAGE, PROT_READ, FIXED);
    expect(() => mem.write(A + PAGE - 2, new Uint8Array([1, 2, 3, 4]))).toThrow(GuestFault);
    expect(mem.read(A + PAGE - 2, 2)).toEqual(new Uint8Array(2));
  });

  it('reads untouched anonymous pages (private and shared) as zeros without giving them frames', () => {
    const { as, mem, frames } = memStack();
    const len = 256 * PAGE;
    as.mmapAnonymous(A, len, RW, FIXED);
    as.mmapAnonymous(A + len, 4 * PAGE, RW, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED);
    mem.write(A + 100 * PAGE + 3, new Uint8Array([7]));
    mem.write(A + len + PAGE, new Uint8Array([9]));
    const used = frames.inUse;
    const all = mem.read(A, len + 4 * PAGE);
    expect(frames.inUse).toBe(used);
    expect(as.frameAt(A)).toBeUndefined();
    const expected = new Uint8Array(len + 4 * PAGE);
    expected[100 * PAGE + 3] = 7;
    expected[len + PAGE] = 9;
    expect(Buffer.from(all).equals(Buffer.from(expected))).toBe(true);
    expect(mem.readCString(A + 5)).toEqual(new Uint8Array(0));
  });

  it('still reads a file mapping\'s bytes from the file when it was never touched', () => {
    const { as, mem } = memStack();
    const file = Uint8Array.from({ length: 2 * PAGE }, (_, i) => (i * 7 + 1) & 0xff);
    const obj = as.fileObject('file:test', () => ({
      read: (buf: Uint8Array, off: number) => {
        const part = file.subarray(off, off + buf.length);
        buf.set(part);
        return part.length;
      },
      write: () => {},
      size: () => file.length,
      release: () => {},
    }));
    expect(as.mmap(A, 2 * PAGE, PROT_READ, MAP_PRIVATE | MAP_FIXED, { obj, offset: 0 })).toBe(A);
    expect(mem.read(A, 2 * PAGE)).toEqual(file);
  });
});
