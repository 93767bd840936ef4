/**
 * The initial stack against a layout computed by hand from fs/exec.c and
 * fs/binfmt_elf.c create_elf_tables(), then parsed back the way a C
 * runtime's _start does (argc, argv, envp, auxv).
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  ARM64_MINSIGSTKSZ,
  AT_CLKTCK,
  AT_ENTRY,
  AT_EXECFN,
  AT_HWCAP,
  AT_MINSIGSTKSZ,
  AT_NULL,
  AT_PAGESZ,
  AT_PHDR,
  AT_PLATFORM,
  AT_RANDOM,
  buildAuxv,
} from '../../src/domain/boot/auxv.js';
import { LoadError } from '../../src/domain/boot/loader.js';
import { argumentsFit, buildInitialStack } from '../../src/domain/boot/stack.js';
import { MAP_GROWSDOWN, PROT_READ, PROT_WRITE } from '../../src/domain/kernel/linux-abi.js';
import { memStack } from '../memory/ram.js';

const random16 = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
const auxv = buildAuxv({
  phdr: 0x400040,
  phent: 56,
  phnum: 6,
  base: 0,
  entry: 0x400580,
  uid: 1000,
  euid: 1000,
  gid: 100,
  egid: 100,
  secure: false,
  hwcap: 0xefffn,
  hwcap2: 0x2n,
});

function build() {
  const s = memStack();
  const sp = buildInitialStack(s.as, s.mem, { argv: ['prog', 'a'], envp: ['X=1'], execfn: '/bin/prog', platform: 'aarch64', random16, auxv });
  return { ...s, sp };
}

const str = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

describe('buildInitialStack', () => {
  it('places everything where Linux would', () => {
    const { sp, mem } = build();
    // From the top (0xfffffffff000): 8 zero bytes, "/bin/prog\0" at ...efee, "X=1\0" at ...efea,
    // "a\0" at ...efe8, "prog\0" at ...efe3; align to ...efe0; "aarch64\0" at ...efd8;
    // random at ...efc8; then 6 words of argc/argv/envp and 20 auxv pairs (40 words) below:
    // (0xffffffffefc8 - 46 * 8) & ~15 = 0xffffffffee50.
    expect(sp).toBe(0xffffffffee50);
    expect(mem.readU64(0xffffffffeff8)).toBe(0n);
    expect(str(mem.readCString(0xffffffffefee))).toBe('/bin/prog');
    expect(str(mem.readCString(0xffffffffefea))).toBe('X=1');
    expect(str(mem.readCString(0xffffffffefe8))).toBe('a');
    expect(str(mem.readCString(0xffffffffefe3))).toBe('prog');
    expect(str(mem.readCString(0xffffffffefd8))).toBe('aarch64');
    expect(mem.read(0xffffffffefc8, 16)).toEqual(random16);
  });

  it('parses back as argc, argv, envp and auxv', () => {
    const { sp, mem } = build();
    expect(sp % 16).toBe(0);
    let at = sp;
    const next = (): bigint => {
      const v = mem.readU64(at);
      at += 8;
      return v;
    };
    const argc = Number(next());
    const argv = Array.from({ length: argc }, () => str(mem.readCString(Number(next()))));
    expect(next()).toBe(0n);
    const envp: string[] = [];
    for (let p = next(); p !== 0n; p = next()) envp.push(str(mem.readCString(Number(p))));
    const aux = new Map<number, bigint>();
    const order: number[] = [];
    for (;;) {
      const type = Number(next());
      const value = next();
      if (type === AT_NULL) break;
      order.push(type);
      aux.set(type, value);
    }
    expect(argv).toEqual(['prog', 'a']);
    expect(envp).toEqual(['X=1']);
    expect(order[0]).toBe(AT_MINSIGSTKSZ);
    expect(order).toHaveLength(19);
    expect(aux.get(AT_MINSIGSTKSZ)).toBe(BigInt(ARM64_MINSIGSTKSZ));
    expect(aux.get(AT_HWCAP)).toBe(0xefffn);
    expect(aux.get(AT_PAGESZ)).toBe(4096n);
    expect(aux.get(AT_CLKTCK)).toBe(100n);
    expect(aux.get(AT_PHDR)).toBe(0x400040n);
    expect(aux.get(AT_ENTRY)).toBe(0x400580n);
    expect(mem.read(Number(aux.get(AT_RANDOM)), 16)).toEqual(random16);
    expect(str(mem.readCString(Number(aux.get(AT_PLATFORM))))).toBe('aarch64');
    expect(str(mem.readCString(Number(aux.get(AT_EXECFN))))).toBe('/bin/prog');
  });

  it('maps a read-write [stack] VMA reaching 128 KiB below the arguments', () => {
    const { as, sp } = build();
    const v = as.vmaAt(sp)!;
    expect(v.name).toBe('[stack]');
    expect(v.prot).toBe(PROT_READ | PROT_WRITE);
    expect(v.flags & MAP_GROWSDOWN).toBe(MAP_GROWSDOWN);
    expect(v.end).toBe(0xfffffffff000);
    expect(v.start).toBe(0xffffffffe000 - 0x20000);
  });

  it('takes big argument lists and refuses more than a quarter of the 8 MiB rlimit', () => {
    const s = memStack();
    const big = 'x'.repeat(100_000);
    const sp = buildInitialStack(s.as, s.mem, { argv: [big, big, big], envp: [], execfn: 'e', platform: 'aarch64', random16, auxv });
    expect(s.mem.readU64(sp)).toBe(3n);
    expect(s.as.vmaAt(sp)!.start).toBeLessThanOrEqual(sp - 0x20000);
    const t = memStack();
    const huge = Array.from({ length: 21 }, () => big);
    expect(() => buildInitialStack(t.as, t.mem, { argv: huge, envp: [], execfn: 'e', platform: 'aarch64', random16, auxv })).toThrow(LoadError);
  });

  it('fits exactly what this Linux kernel execs under an 8 MiB stack rlimit, and refuses one byte more with E2BIG', (ctx) => {
    // The reference is the host kernel: execve of /bin/true with the same strings and no environment.
    const rlimit = spawnSync('sh', ['-c', 'ulimit -s'], { encoding: 'utf8' }).stdout.trim();
    if (rlimit !== '8192') ctx.skip(`the host stack rlimit is ${rlimit} KiB, not 8192: the kernel's limit would differ`);
    const enc = (t: string): Uint8Array => new TextEncoder().encode(`${t}\0`);
    const file = '/bin/true';
    const chunk = 'y'.repeat(99_999);
    // 2 MiB = the strings ("/bin/true" twice, 20 chunks, the last argument) plus the 22 argv pointers,
    // which the kernel counts too (without them the boundary would be 176 bytes higher).
    const last = 2 * 1024 * 1024 - 22 * 8 - 2 * file.length - 2 - 20 * (chunk.length + 1) - 1;
    for (const [extra, fits] of [
      [0, true],
      [1, false],
    ] as const) {
      const args = [...Array.from({ length: 20 }, () => chunk), 'z'.repeat(last + extra)];
      const native = spawnSync(file, args, { env: {} });
      expect(native.error ? (native.error as NodeJS.ErrnoException).code : 'ran').toBe(fits ? 'ran' : 'E2BIG');
      const argv = [file, ...args].map(enc);
      expect(argumentsFit(argv, [], enc(file), 8 * 1024 * 1024)).toBe(fits);
      const s = memStack();
      const build = (): number => buildInitialStack(s.as, s.mem, { argv: [file, ...args], envp: [], execfn: file, platform: 'aarch64', random16, auxv });
      if (fits) expect(build()).toBeGreaterThan(0);
      else expect(build).toThrow(LoadError);
    }
  });

  it('refuses a single string longer than MAX_ARG_STRLEN, as this Linux kernel does', () => {
    const enc = (t: string): Uint8Array => new TextEncoder().encode(`${t}\0`);
    for (const [len, fits] of [
      [131_071, true],
      [131_072, false],
    ] as const) {
      const arg = 'q'.repeat(len);
      const native = spawnSync('/bin/true', [arg], { env: {} });
      expect(native.error ? (native.error as NodeJS.ErrnoException).code : 'ran').toBe(fits ? 'ran' : 'E2BIG');
      expect(argumentsFit([enc('/bin/true'), enc(arg)], [], enc('/bin/true'), 8 * 1024 * 1024)).toBe(fits);
      const envFits = argumentsFit([enc('/bin/true')], [enc(`V=${arg.slice(2)}`)], enc('/bin/true'), 8 * 1024 * 1024);
      expect(envFits).toBe(fits);
    }
  });
});
