/**
 * Test support for the syscall layer: a real Task over a small guest memory
 * (the domain's AddressSpace/GuestMemory on an ArrayBuffer slab) and the real
 * Node host ports, plus a `sys(name, ...args)` caller that goes through
 * dispatch exactly as the run loop does. With `sharing`, guest RAM is the
 * interpreter's over host memory, so shared memory is the host's (memfds,
 * mapped files, SysV segments) as in a real run.
 */
import type { MemoryPort } from '../../src/ports/memory.js';
import { createNodeHostPorts, NodeHostRam } from '../../src/adapters/host-node/index.js';
import { InterpMemory } from '../../src/adapters/interp/memory.js';
import { PhysMem } from '../../src/domain/memory/phys.js';
import { FrameAllocator } from '../../src/domain/memory/frames.js';
import { AddressSpace } from '../../src/domain/memory/address-space.js';
import { GuestMemory } from '../../src/domain/memory/guest-memory.js';
import { Task } from '../../src/domain/kernel/task.js';
import { dispatchSyscall } from '../../src/domain/kernel/dispatch.js';
import { syscallNumber } from '../../src/domain/kernel/syscall-table.js';
import type { HostPorts } from '../../src/ports/host.js';

class SlabRam implements MemoryPort {
  readonly maxIpaBits = 36;
  private readonly bytes: Uint8Array;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
  }
  map(): void {}
  unmap(): void {}
  protect(): void {}
  invalidateICache(): void {}
  readonly sharing = false;
  mapShared(): void {
    throw new RangeError('no host shared memory in this test RAM');
  }
  unmapShared(): void {
    throw new RangeError('no host shared memory in this test RAM');
  }

  view(ipa: number, length: number): Uint8Array {
    return this.bytes.subarray(ipa, ipa + length);
  }
}

/** Where the harness maps a read-write scratch area for syscall buffers. */
export const SCRATCH = 0x1000_0000;
export const SCRATCH_SIZE = 0x10_0000;
/** An address nothing is mapped at. */
export const UNMAPPED = 0x7000_0000;

export interface KernelHarness {
  task: Task;
  host: HostPorts;
  lines: string[];
  sys(name: string, ...args: (number | bigint)[]): Promise<bigint>;
  /** Writes a NUL-terminated string into scratch at `off` and returns its address. */
  cstr(text: string, off?: number): number;
  read(va: number, len: number): Uint8Array;
  write(va: number, bytes: Uint8Array): void;
}

export function makeHarness(opts: { verbose?: boolean; host?: HostPorts; sysroot?: string; sharing?: boolean } = {}): KernelHarness {
  const ramSize = 16 * 1024 * 1024;
  let ram: MemoryPort = new SlabRam(ramSize);
  if (opts.sharing) {
    ram = new InterpMemory(new NodeHostRam());
    ram.map(0, ramSize, 7);
  }
  const phys = new PhysMem(ram, ramSize);
  const as = new AddressSpace(phys, new FrameAllocator(0x10000, ramSize, phys));
  const mem = new GuestMemory(as);
  const host = opts.host ?? createNodeHostPorts();
  if (opts.sharing) {
    const fs = host.fs;
    if (!host.shm) throw new Error('sharing needs host ports with shm');
    as.sharing = { port: ram, shm: host.shm, close: (fd) => fs.close(fd) };
  }
  const lines: string[] = [];
  const task = new Task({
    mem,
    as,
    host,
    verbose: opts.verbose ?? false,
    log: (l) => lines.push(l),
    execfn: '/bin/guest',
    ...(opts.sysroot !== undefined ? { sysroot: opts.sysroot } : {}),
  });
  const va = as.mmapAnonymous(SCRATCH, SCRATCH_SIZE, 3 /* PROT_READ|PROT_WRITE */, 0x32 /* MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED */);
  if (va !== SCRATCH) throw new Error(`scratch mapping failed: ${va}`);
  return {
    task,
    host,
    lines,
    async sys(name, ...args) {
      return await dispatchSyscall(task, syscallNumber(name), args.map((v) => BigInt.asUintN(64, BigInt(v))));
    },
    cstr(text, off = 0xf0000) {
      const bytes = new TextEncoder().encode(text + '\0');
      mem.write(SCRATCH + off, bytes);
      return SCRATCH + off;
    },
    read: (va2, len) => mem.read(va2, len),
    write: (va2, bytes) => mem.write(va2, bytes),
  };
}

/** Little-endian field readers for checking structs the kernel wrote. */
export function le(bytes: Uint8Array) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    u16: (o: number) => dv.getUint16(o, true),
    u32: (o: number) => dv.getUint32(o, true),
    i32: (o: number) => dv.getInt32(o, true),
    u64: (o: number) => dv.getBigUint64(o, true),
    i64: (o: number) => dv.getBigInt64(o, true),
  };
}
