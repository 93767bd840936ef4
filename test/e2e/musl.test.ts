/**
 * Dynamically linked musl programs through musl's own loader
 * (/lib/ld-musl-aarch64.so.1, from Debian's `musl` in the sysroot that
 * scripts/make-sysroot.sh builds). The programs are compiled here by the
 * AArch64 cross compiler against Debian's musl-dev (headers and crt files,
 * fetched by `bash scripts/fetch-arm64-debs.sh musl-dev`) and the sysroot's
 * libc.so, as PIEs whose PT_INTERP is the musl loader; each runs through
 * `elfuse --sysroot` and `qemu-aarch64 -L` on the same sysroot, with
 * byte-identical stdout and equal exit status. Covered: start-up and exit
 * status, stdio and the heap, files and directories, static and dynamic
 * TLS across a shared library the program links, dlopen/dlsym of a plug-in,
 * signals and setjmp/longjmp, time and the environment.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test, type TestContext } from 'vitest';
import { QEMU, QEMU_REF, ROOT, expectSameRun, requireReferences, run, runElfuse } from './helpers.js';

const SYSROOT = join(ROOT, '.cache/sysroot/bookworm-arm64');
const MUSL_DEV = join(ROOT, '.cache/arm64/musl-dev/usr');
const MUSL_REFS = [
  QEMU_REF,
  { path: join(SYSROOT, 'usr/lib/aarch64-linux-musl/libc.so'), fix: 'bash scripts/make-sysroot.sh' },
  { path: join(MUSL_DEV, 'lib/aarch64-linux-musl/Scrt1.o'), fix: 'bash scripts/fetch-arm64-debs.sh musl-dev' },
];

const PROGRAMS: Readonly<Record<string, string>> = {
  hello: `#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(int argc, char **argv) {
  char *s = strdup("musl");
  printf("hello from %s, %d args, last %s, %.3f\\n", s, argc, argv[argc - 1], atof("2.5") * 2);
  free(s);
  void *blocks[64];
  for (int i = 0; i < 64; i++) blocks[i] = malloc((size_t)(i + 1) * 1000);
  for (int i = 0; i < 64; i += 2) free(blocks[i]);
  void *big = malloc(4 << 20);
  memset(big, 1, 4 << 20);
  printf("heap ok %d\\n", ((char *)big)[12345]);
  return 3;
}
`,
  files: `#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }
int main(int argc, char **argv) {
  if (chdir(argv[1]) != 0) return 1;
  mkdir("d", 0755);
  for (int i = 0; i < 5; i++) {
    char name[32];
    snprintf(name, sizeof name, "d/file%d", i);
    FILE *f = fopen(name, "w");
    for (int j = 0; j <= i * 100; j++) fprintf(f, "%d,", j);
    fclose(f);
  }
  DIR *d = opendir("d");
  char *names[16];
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) if (e->d_name[0] != '.') names[n++] = strdup(e->d_name);
  closedir(d);
  qsort(names, n, sizeof names[0], cmp);
  for (int i = 0; i < n; i++) {
    char path[64];
    struct stat st;
    snprintf(path, sizeof path, "d/%s", names[i]);
    stat(path, &st);
    printf("%s %lld %o\\n", names[i], (long long)st.st_size, st.st_mode & 0777);
    unlink(path);
  }
  printf("rmdir %d\\n", rmdir("d"));
  printf("open missing: %d %s\\n", open("nope", O_RDONLY), strerror(2));
  return 0;
}
`,
  tls: `#include <stdio.h>
int lib_bump(int);
int lib_value(void);
static __thread int local = 40;
__thread char buf[64] = "static tls";
int main(void) {
  local += 2;
  for (int i = 0; i < 5; i++) lib_bump(i);
  printf("%d %s %d\\n", local, buf, lib_value());
  return 0;
}
`,
  plugin: `#include <dlfcn.h>
#include <stdio.h>
int main(int argc, char **argv) {
  void *h = dlopen(argv[1], RTLD_NOW);
  if (!h) { printf("dlopen: %s\\n", dlerror()); return 1; }
  int (*square)(int) = (int (*)(int))dlsym(h, "plugin_square");
  const char *(*name)(void) = (const char *(*)(void))dlsym(h, "plugin_name");
  printf("%s %d %d\\n", name(), square(12), dlsym(h, "missing") == NULL);
  printf("missing library: %d\\n", dlopen("/no/such/lib.so", RTLD_NOW) == NULL);
  return dlclose(h);
}
`,
  runtime: `#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
static jmp_buf jb;
static volatile int got;
static void on_usr1(int sig) { got = sig; }
static void jump(int depth) { if (depth == 3) longjmp(jb, depth); jump(depth + 1); }
int main(void) {
  signal(SIGUSR1, on_usr1);
  raise(SIGUSR1);
  printf("signal %d\\n", got);
  int r = setjmp(jb);
  if (r == 0) jump(0);
  printf("longjmp %d\\n", r);
  time_t t = 1700000000;
  struct tm tm;
  gmtime_r(&t, &tm);
  char s[64];
  strftime(s, sizeof s, "%Y-%m-%d %H:%M:%S %a", &tm);
  printf("%s\\n", s);
  struct timespec ts;
  printf("clock %d %d\\n", clock_gettime(CLOCK_MONOTONIC, &ts), ts.tv_sec >= 0);
  printf("env %s %s\\n", getenv("MUSL_TEST"), getenv("NOPE") ? "set" : "unset");
  printf("math %.6f %.6f %.3e\\n", sqrt(2.0), exp(1.0), strtod("6.02e23", NULL));
  printf("pid %d\\n", getpid() > 0);
  return 0;
}
`,
};

const LIBTLS = `static __thread int counter = 100;
__thread int shared_total;
int lib_bump(int n) { counter += n; shared_total += 1; return counter; }
int lib_value(void) { return counter * 1000 + shared_total; }
`;
const LIBPLUGIN = `const char *plugin_name(void) { return "plugin"; }
int plugin_square(int x) { return x * x; }
`;

let dir = '';

function muslCc(out: string, src: string, extra: readonly string[], shared = false): void {
  const gccInclude = execFileSync('aarch64-linux-gnu-gcc', ['-print-file-name=include'], { encoding: 'utf8' }).trim();
  const libgcc = execFileSync('aarch64-linux-gnu-gcc', ['-print-libgcc-file-name'], { encoding: 'utf8' }).trim();
  const crt = join(MUSL_DEV, 'lib/aarch64-linux-musl');
  const start = shared ? [join(crt, 'crti.o')] : [join(crt, 'Scrt1.o'), join(crt, 'crti.o')];
  execFileSync('aarch64-linux-gnu-gcc', [
    '-O1',
    '-fPIC',
    shared ? '-shared' : '-pie',
    '-nostdinc',
    '-isystem',
    join(MUSL_DEV, 'include/aarch64-linux-musl'),
    '-isystem',
    gccInclude,
    '-nostdlib',
    ...start,
    src,
    ...extra,
    '-L',
    join(SYSROOT, 'usr/lib/aarch64-linux-musl'),
    '-lc',
    libgcc,
    join(crt, 'crtn.o'),
    '-Wl,-dynamic-linker,/lib/ld-musl-aarch64.so.1',
    '-o',
    out,
  ]);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'elfuse-musl-'));
  // Built only when the references are there; each test says what is missing otherwise.
  if (!MUSL_REFS.slice(1).every((r) => existsSync(r.path))) return;
  writeFileSync(join(dir, 'libtls.c'), LIBTLS);
  muslCc(join(dir, 'libtls.so'), join(dir, 'libtls.c'), [], true);
  writeFileSync(join(dir, 'libplugin.c'), LIBPLUGIN);
  muslCc(join(dir, 'libplugin.so'), join(dir, 'libplugin.c'), [], true);
  for (const [name, src] of Object.entries(PROGRAMS)) {
    writeFileSync(join(dir, `${name}.c`), src);
    // tls links the library and finds it again by its run path (a host path both runners see).
    muslCc(join(dir, name), join(dir, `${name}.c`), name === 'tls' ? ['-L', dir, '-ltls', `-Wl,-rpath,${dir}`] : []);
  }
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function compare(ctx: TestContext, name: string, args: readonly string[], env: Record<string, string> = {}): Promise<void> {
  requireReferences(ctx, MUSL_REFS);
  const prog = join(dir, name);
  const [elfuse, qemu] = await Promise.all([
    runElfuse(['--sysroot', SYSROOT, prog, ...args], { cwd: dir, env }),
    run(QEMU, ['-L', SYSROOT, prog, ...args], { cwd: dir, env }),
  ]);
  expectSameRun(elfuse, qemu);
}

describe('musl-linked programs through /lib/ld-musl-aarch64.so.1: elfuse against qemu-aarch64', () => {
  test('start-up, stdio, the heap and the exit status', (ctx) => compare(ctx, 'hello', ['one', 'two']));
  test('files and directories', async (ctx) => {
    requireReferences(ctx, MUSL_REFS);
    const a = mkdtempSync(join(dir, 'a-'));
    const b = mkdtempSync(join(dir, 'b-'));
    const prog = join(dir, 'files');
    const [elfuse, qemu] = await Promise.all([runElfuse(['--sysroot', SYSROOT, prog, a], { cwd: dir }), run(QEMU, ['-L', SYSROOT, prog, b], { cwd: dir })]);
    expectSameRun(elfuse, qemu);
  });
  test('static and dynamic TLS across a linked shared library', (ctx) => compare(ctx, 'tls', []));
  test('dlopen and dlsym of a plug-in', (ctx) => compare(ctx, 'plugin', [join(dir, 'libplugin.so')]));
  test('signals, setjmp/longjmp, time, the environment, libm', (ctx) => compare(ctx, 'runtime', [], { MUSL_TEST: 'yes' }));
});
