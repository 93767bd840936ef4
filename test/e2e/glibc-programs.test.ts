/**
 * glibc programs of our own, dynamically linked by the AArch64 cross
 * toolchain (glibc 2.36, as bookworm's) and run on the bookworm arm64
 * sysroot's libc through /lib/ld-linux-aarch64.so.1: elfuse --sysroot
 * against qemu-aarch64 -L, byte for byte. What a dynamic program touches
 * beyond start-up: dlopen/dlsym/dlclose, TLS of a dlopen'ed library through
 * TLSDESC relocations (the AArch64 default), the program's own static TLS,
 * IFUNC-selected string functions, LD_LIBRARY_PATH and LD_PRELOAD, and a
 * missing shared library (the dynamic linker's own message and status 127).
 * Variables meant for the guest only are set by the sysroot's env under
 * elfuse and by qemu-aarch64 -E (the host's dynamic programs, node and
 * qemu themselves, must not see LD_PRELOAD).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test, type TestContext } from 'vitest';
import { QEMU, QEMU_REF, ROOT, expectSameRun, requireReferences, run, runElfuse, type RunResult } from './helpers.js';

const SYSROOT = join(ROOT, '.cache/sysroot/bookworm-arm64');
const REFS = [QEMU_REF, { path: join(SYSROOT, 'usr/lib/aarch64-linux-gnu/libc.so.6'), fix: 'bash scripts/make-sysroot.sh' }];

const LIBTLS = `__thread int tcount = 5;
__thread char tname[16] = "dyn-tls";
int bump(int n) { tcount += n; return tcount; }
const char *name(void) { return tname; }
`;
const DL = `#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
__thread long mine = 7;
int main(int argc, char **argv) {
  void *h = dlopen(argv[1], RTLD_NOW);
  if (!h) { printf("dlopen: %s\\n", dlerror()); return 1; }
  int (*bump)(int) = (int (*)(int))dlsym(h, "bump");
  const char *(*name)(void) = (const char *(*)(void))dlsym(h, "name");
  for (int i = 0; i < 3; i++) bump(i);
  char buf[64];
  memcpy(buf, "ifunc memcpy ok", 16);
  mine *= 6;
  printf("%d %s %ld %s %zu %d\\n", bump(100), name(), mine, buf, strlen(buf), strcmp(buf, "ifunc") > 0);
  printf("missing: %d, %s\\n", dlopen("/no/such/lib.so", RTLD_NOW) == NULL, dlsym(h, "nothing") ? "found" : "no symbol");
  return dlclose(h);
}
`;
const LINKED = `#include <stdio.h>
int bump(int);
const char *name(void);
int main(void) {
  printf("%s %d\\n", name(), bump(37));
  return 0;
}
`;
const PRELOAD = `#include <stdio.h>
#include <unistd.h>
__attribute__((constructor)) static void hello(void) { static const char m[] = "preloaded\\n"; write(1, m, sizeof m - 1); }
`;

let dir = '';

function cc(out: string, src: string, args: readonly string[]): void {
  writeFileSync(`${out}.c`, src);
  execFileSync('aarch64-linux-gnu-gcc', ['-O1', `${out}.c`, ...args, '-o', out]);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'elfuse-glibc-'));
  mkdirSync(join(dir, 'lib'));
  cc(join(dir, 'lib/libtls.so'), LIBTLS, ['-shared', '-fPIC', '-mtls-dialect=desc']);
  cc(join(dir, 'libpre.so'), PRELOAD, ['-shared', '-fPIC']);
  cc(join(dir, 'dl'), DL, []);
  // Linked against lib/libtls.so without a run path: found only through LD_LIBRARY_PATH.
  cc(join(dir, 'linked'), LINKED, ['-L', join(dir, 'lib'), '-ltls']);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** `prog args` with `vars` in the guest's environment only. */
async function both(ctx: TestContext, prog: string, args: readonly string[], vars: Record<string, string> = {}): Promise<{ elfuse: RunResult; qemu: RunResult }> {
  requireReferences(ctx, REFS);
  const assigns = Object.entries(vars).map(([k, v]) => `${k}=${v}`);
  const [elfuse, qemu] = await Promise.all([
    runElfuse(['--sysroot', SYSROOT, ...(assigns.length ? ['/usr/bin/env', ...assigns] : []), prog, ...args], { cwd: dir }),
    // qemu-aarch64 opens the program itself by its host path (-L is for what the guest opens).
    run(QEMU, ['-L', SYSROOT, ...assigns.flatMap((a) => ['-E', a]), '-0', prog, prog.startsWith(dir) ? prog : join(SYSROOT, prog), ...args], { cwd: dir }),
  ]);
  return { elfuse, qemu };
}

describe('glibc programs of our own on the sysroot libc: elfuse against qemu-aarch64', () => {
  test('dlopen, dlsym and dlclose; TLS of the library through TLSDESC; IFUNC string functions', async (ctx) => {
    const { elfuse, qemu } = await both(ctx, join(dir, 'dl'), [join(dir, 'lib/libtls.so')]);
    expectSameRun(elfuse, qemu);
    expect(elfuse.stdout.toString()).toBe('108 dyn-tls 42 ifunc memcpy ok 15 1\nmissing: 1, no symbol\n');
  });

  test('LD_LIBRARY_PATH finds a library the program links', async (ctx) => {
    const { elfuse, qemu } = await both(ctx, join(dir, 'linked'), [], { LD_LIBRARY_PATH: join(dir, 'lib') });
    expectSameRun(elfuse, qemu);
    expect(elfuse.stdout.toString()).toBe('dyn-tls 42\n');
  });

  test('a missing shared library: the dynamic linker says so, status 127', async (ctx) => {
    const { elfuse, qemu } = await both(ctx, join(dir, 'linked'), []);
    expectSameRun(elfuse, qemu);
    expect(elfuse.status).toBe(127);
    expect(elfuse.stderr.toString()).toBe(qemu.stderr.toString());
    expect(elfuse.stderr.toString()).toContain('error while loading shared libraries: libtls.so: cannot open shared object file: No such file or directory');
  });

  test('LD_PRELOAD runs a library before the program', async (ctx) => {
    const { elfuse, qemu } = await both(ctx, '/usr/bin/echo', ['after'], { LD_PRELOAD: join(dir, 'libpre.so') });
    expectSameRun(elfuse, qemu);
    expect(elfuse.stdout.toString()).toBe('preloaded\nafter\n');
  });
});
