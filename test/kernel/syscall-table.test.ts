/**
 * The syscall table against the kernel's own numbering: every (number, name)
 * pair must match include/uapi/asm-generic/unistd.h as arm64 configures it.
 * The reference is the cross toolchain's header run through its
 * preprocessor (so arm64's __ARCH_WANT_* choices apply).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { referenceTools } from '../support/toolchain.js';
import { SYSCALL_TABLE } from '../../src/domain/kernel/syscall-table.js';
import { Errno } from '../../src/domain/kernel/errno.js';
import { makeHarness } from './harness.js';

const HEADER = '/usr/aarch64-linux-gnu/include/asm-generic/unistd.h';
const refs = referenceTools('aarch64-linux-gnu-gcc');

/** __NR_name → number from `gcc -E -dM` of <asm/unistd.h>, resolving __NR3264_* aliases. */
function kernelNumbers(): Map<string, number> {
  const out = execFileSync('aarch64-linux-gnu-gcc', ['-E', '-dM', '-x', 'c', '-'], { input: '#include <asm/unistd.h>\n' }).toString();
  const defs = new Map<string, string>();
  for (const line of out.split('\n')) {
    const m = /^#define (__NR\w+) (.+)$/.exec(line);
    if (m) defs.set(m[1]!, m[2]!.trim());
  }
  const numbers = new Map<string, number>();
  for (const [macro, value] of defs) {
    if (!macro.startsWith('__NR_') || macro === '__NR_syscalls' || macro === '__NR_arch_specific_syscall') continue;
    const resolved = defs.get(value) ?? value;
    if (!/^\d+$/.test(resolved)) throw new Error(`unresolved ${macro} = ${value}`);
    numbers.set(macro.slice('__NR_'.length), Number(resolved));
  }
  return numbers;
}

/**
 * Calls newer than the cross toolchain's header (Debian's linux-libc-dev 6.1 ends at 450), with
 * their numbers in the kernel's own include/uapi/asm-generic/unistd.h of the release that added them.
 */
const NEWER_THAN_HEADER: ReadonlyMap<string, number> = new Map([
  ['fchmodat2', 452], // Linux 6.6
]);

describe('syscall table', () => {
  it.skipIf(refs.skip)('matches asm-generic/unistd.h for arm64, entry by entry and in both directions', () => {
    refs.check();
    expect(existsSync(HEADER), `${HEADER} (gcc-aarch64-linux-gnu)`).toBe(true);
    const ref = kernelNumbers();
    expect(ref.size).toBeGreaterThan(300);
    for (const entry of SYSCALL_TABLE.values()) expect([entry.name, entry.nr]).toEqual([entry.name, ref.get(entry.name) ?? NEWER_THAN_HEADER.get(entry.name)]);
    for (const [name, nr] of ref) expect([name, SYSCALL_TABLE.get(nr)?.name]).toEqual([name, name]);
  });

  it('has the generic-table numbers the brief names (aarch64 differs from x86_64)', () => {
    const byName = new Map([...SYSCALL_TABLE.values()].map((e) => [e.name, e.nr]));
    expect(byName.get('read')).toBe(63);
    expect(byName.get('write')).toBe(64);
    expect(byName.get('openat')).toBe(56);
    expect(byName.get('close')).toBe(57);
    expect(byName.get('exit')).toBe(93);
    expect(byName.get('exit_group')).toBe(94);
    expect(byName.get('newfstatat')).toBe(79);
    expect(byName.get('mmap')).toBe(222);
    expect(byName.has('open')).toBe(false); // aarch64 has only openat
  });

  it('gives every implemented entry a handler and every missing one none', () => {
    const implemented = [...SYSCALL_TABLE.values()].filter((e) => e.support !== 'missing');
    expect(implemented.length).toBeGreaterThan(60);
    for (const e of SYSCALL_TABLE.values()) expect([e.name, e.handler !== undefined]).toEqual([e.name, e.support !== 'missing']);
  });

  it('returns -ENOSYS for a missing or unknown number and reports it under --verbose', async () => {
    const h = makeHarness({ verbose: true });
    const { dispatchSyscall } = await import('../../src/domain/kernel/dispatch.js');
    expect(await dispatchSyscall(h.task, 89 /* acct */, [])).toBe(BigInt(-Errno.ENOSYS));
    expect(await dispatchSyscall(h.task, 1000, [])).toBe(BigInt(-Errno.ENOSYS));
    expect(h.lines).toEqual(['elfuse: unimplemented syscall 89 (acct)', 'elfuse: unimplemented syscall 1000']);
  });

  it('traces calls strace-style under --verbose', async () => {
    const h = makeHarness({ verbose: true });
    await h.sys('openat', -100, h.cstr('/nonexistent/elfuse'), 0o2000000, 0);
    await h.sys('getpid');
    // strace's layout: no mode without O_CREAT, the result at column 40, the errno's message.
    expect(h.lines[0]).toBe('openat(AT_FDCWD, "/nonexistent/elfuse", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)');
    expect(h.lines[1]).toBe(`${'getpid()'.padEnd(39)} = ${process.pid}`);
  });
});
