/**
 * Dynamically linked programs of a real distribution: Debian bookworm
 * arm64, unpacked by scripts/make-sysroot.sh into .cache/sysroot. Each case
 * runs the same program and arguments through `elfuse --sysroot ROOT` and
 * through `qemu-aarch64 -L ROOT` (argv[0] the same guest path in both);
 * stdout must be byte-identical and the exit status equal. The programs'
 * own files (their libraries, Python's standard library, gconv) come from
 * ROOT; the test's data files are in a host temporary directory both see.
 *
 * A guest that execs another program (tar running gzip, bash running cat)
 * gets the sysroot's under elfuse but the host's under qemu-aarch64 (its
 * -L only redirects opens), so such cases compare only what the first
 * program prints. A missing sysroot or qemu-aarch64 fails the test with the
 * command to run. Python starts in about 10 s on the interpreter and a
 * pipeline starts a process per stage, so the Python and pipeline cases
 * run only with ELFUSE_FULL=1 (CI), and stay small.
 */
import { execFileSync, spawn } from 'node:child_process';
import http from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, lstatSync, rmSync, utimesSync, writeFileSync, symlinkSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test, type TestContext } from 'vitest';
import { ELFUSE_COMMAND, FULL, QEMU, QEMU_REF, ROOT, expectSameRun, freePort, requireQemuExec, requireReferences, run, runElfuse, runElfuseGuarded, runQemuExec, type RunOptions, type RunResult } from './helpers.js';

export const SYSROOT = join(ROOT, '.cache/sysroot/bookworm-arm64');
const SYSROOT_REF = { path: join(SYSROOT, 'usr/lib/aarch64-linux-gnu/libc.so.6'), fix: 'bash scripts/make-sysroot.sh' };
/** Python's start-up alone is ~10 s on the interpreter. */
const PY_TIMEOUT_MS = 240_000;

const PY_THREADS = `import threading, queue
lock = threading.Lock()
n = 0
def work():
    global n
    for _ in range(2000):
        with lock:
            n += 1
ts = [threading.Thread(target=work) for _ in range(16)]
for t in ts: t.start()
for t in ts: t.join()
q = queue.Queue()
def produce(k):
    for i in range(50): q.put(k * 1000 + i)
ps = [threading.Thread(target=produce, args=(k,)) for k in range(4)]
for p in ps: p.start()
got = sorted(q.get() for _ in range(200))
for p in ps: p.join()
print(n, len(got), sum(got), threading.active_count())
`;

const PY_SOCKET = `import socket, threading
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen()
def serve():
    c, _ = srv.accept()
    with c:
        while (d := c.recv(4096)):
            c.sendall(d.upper())
t = threading.Thread(target=serve)
t.start()
cl = socket.create_connection(srv.getsockname())
peer = cl.getpeername()[0]
cl.sendall(b"hello elfuse " * 1000)
cl.shutdown(socket.SHUT_WR)
buf = b""
while (d := cl.recv(4096)):
    buf += d
t.join()
print(len(buf), buf[:13], peer, srv.family.name, srv.type.name)
`;

const PY_ASYNCIO = `import asyncio
async def handle(r, w):
    data = await r.readline()
    w.write(data[::-1])
    await w.drain()
    w.close()
async def main():
    srv = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    outs = []
    for i in range(3):
        r, w = await asyncio.open_connection("127.0.0.1", port)
        w.write(f"message {i}\\n".encode())
        await w.drain()
        outs.append(await r.read())
        w.close()
        await w.wait_closed()
    srv.close()
    await srv.wait_closed()
    print(outs)
asyncio.run(main())
`;

let dir = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'elfuse-dynamic-'));
  const lines: string[] = [];
  for (let i = 1; i <= 200; i++) lines.push(`${(i * 7919) % 1000} line ${i} ${'xyz'.repeat(i % 5)}`);
  writeFileSync(join(dir, 'text'), `${lines.join('\n')}\n`);
  writeFileSync(join(dir, 'fruits'), 'pear\napple\nfig\nbanana\napple\ncherry\n');
  writeFileSync(join(dir, 'fruits2'), 'pear\napple\nkiwi\nbanana\ncherry\ndate\n');
  writeFileSync(join(dir, 'data.json'), '{"name":"elfuse","tags":["a","b"],"n":[3,1,2],"nested":{"k":true}}\n');
  writeFileSync(join(dir, 'prog.lua'), 'local t = {}\nfor i = 1, 10 do t[#t + 1] = i * i end\nprint(table.concat(t, ","))\n');
  // A small tree: directories, files of several sizes, a symlink, fixed times and modes.
  const tree = join(dir, 'tree');
  mkdirSync(join(tree, 'sub/deeper'), { recursive: true });
  writeFileSync(join(tree, 'a.txt'), 'alpha\n');
  writeFileSync(join(tree, 'sub/b.txt'), 'bravo\n'.repeat(300));
  writeFileSync(join(tree, 'sub/deeper/c.bin'), Buffer.alloc(10000, 7));
  chmodSync(join(tree, 'sub/b.txt'), 0o640);
  symlinkSync('a.txt', join(tree, 'link'));
  for (const p of ['a.txt', 'sub/b.txt', 'sub/deeper/c.bin', 'sub/deeper', 'sub', '.']) utimesSync(join(tree, p), 1_600_000_000, 1_600_000_000);
  // Archives made on the host (tar and gzip are Essential in Debian), listed by the guest's tar
  // (which runs gzip or xz); the .txz is compressed by the sysroot's xz under qemu-aarch64.
  execFileSync('tar', ['-czf', join(dir, 'tree.tgz'), '--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-C', tree, '.']);
  execFileSync('tar', ['-cf', join(dir, 'tree.tar'), '--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-C', tree, '.']);
  if (existsSync(join(SYSROOT, 'usr/bin/xz'))) {
    writeFileSync(join(dir, 'tree.txz'), execFileSync(QEMU, [join(SYSROOT, 'usr/bin/xz'), '-c', join(dir, 'tree.tar')], { env: { QEMU_LD_PREFIX: SYSROOT } }));
  }
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Case {
  /** The program's guest path, then its arguments. */
  readonly argv: readonly string[];
  readonly input?: string;
  /** Added to the environment of both runners (and so of the guest). */
  readonly env?: Record<string, string>;
  /** Python: slow to start on the interpreter, run with ELFUSE_FULL=1 only. */
  readonly heavy?: boolean;
}

/** The same command line through elfuse --sysroot and qemu-aarch64 -L, in the data directory. */
async function runDynamic(argv: readonly string[], opts: RunOptions = {}): Promise<{ elfuse: RunResult; qemu: RunResult }> {
  const [prog = '', ...args] = argv;
  const o = { cwd: dir, ...opts };
  const [elfuse, qemu] = await Promise.all([
    runElfuse(['--sysroot', SYSROOT, prog, ...args], o),
    // QEMU_LD_PREFIX is -L; -0 gives the guest the same argv[0] as under elfuse.
    run(QEMU, ['-0', prog, join(SYSROOT, prog), ...args], { ...o, env: { ...o.env, QEMU_LD_PREFIX: SYSROOT } }),
  ]);
  return { elfuse, qemu };
}

function requireSysroot(ctx: TestContext): void {
  requireReferences(ctx, [QEMU_REF, SYSROOT_REF]);
}

const bin = (name: string): string => `/usr/bin/${name}`;
/** Two small tables for the sqlite3 cases. */
const PEOPLE = "create table p(id integer primary key, name text); insert into p values (1, 'ann'), (2, 'bob'), (3, 'cy'); create table o(pid int, item text); insert into o values (1, 'tea'), (1, 'jam'), (3, 'pen');";

const CASES: Readonly<Record<string, Case>> = {
  // coreutils
  'true': { argv: [bin('true')] },
  'false (status 1)': { argv: [bin('false')] },
  'echo': { argv: [bin('echo'), '-e', 'a\\tb', 'c'] },
  'ls -l': { argv: [bin('ls'), '-l', '--time-style=+%s', 'tree', 'tree/sub'] },
  'ls -laR': { argv: [bin('ls'), '-laR', '--time-style=+%s', 'tree'] },
  'ls of a missing file (status 2)': { argv: [bin('ls'), 'no-such-file'] },
  'sort': { argv: [bin('sort'), 'fruits'] },
  'sort -n -r -k1': { argv: [bin('sort'), '-n', '-r', '-k1,1', 'text'] },
  'sort -u': { argv: [bin('sort'), '-u', 'fruits'] },
  'uniq -c': { argv: [bin('uniq'), '-c'], input: 'a\na\nb\nc\nc\nc\n' },
  'wc': { argv: [bin('wc'), 'text', 'fruits'] },
  'sha256sum': { argv: [bin('sha256sum'), 'text', 'tree/sub/deeper/c.bin'] },
  'md5sum': { argv: [bin('md5sum'), 'text'] },
  'seq': { argv: [bin('seq'), '-w', '1', '3', '30'] },
  'seq -f': { argv: [bin('seq'), '-f', '%.3e', '0.5', '0.25', '2'] },
  'date -u': { argv: [bin('date'), '-u', '-d', '@1700000000', '+%A %F %T %Z %s'] },
  'date -u now (year)': { argv: [bin('date'), '-u', '+%Y'] },
  'stat': { argv: [bin('stat'), '-c', '%n %s %a %F %Y', 'tree/a.txt', 'tree/sub', 'tree/link'] },
  'paste': { argv: [bin('paste'), '-d', ':', 'fruits', 'fruits2'] },
  'du': { argv: [bin('du'), '-a', '--apparent-size', '-b', 'tree'] },
  'head and tail': { argv: [bin('tail'), '-n', '3', 'text'] },
  'cut': { argv: [bin('cut'), '-d', ' ', '-f', '1,3', 'text'] },
  'tr': { argv: [bin('tr'), 'a-z', 'A-Z'], input: 'hello, world\n' },
  'printf': { argv: [bin('printf'), '%5.2f|%x|%s\\n', '3.14159', '255', 'str'] },
  'expr': { argv: [bin('expr'), '6', '*', '7'] },
  'basename and dirname': { argv: [bin('basename'), '/a/b/c.txt', '.txt'] },
  'base64': { argv: [bin('base64'), 'tree/a.txt'] },
  'od': { argv: [bin('od'), '-A', 'x', '-t', 'x1z', 'tree/a.txt'] },
  'cat -n': { argv: [bin('cat'), '-n', 'fruits'] },
  'factor': { argv: [bin('factor'), '1234567', '600851475143'] },
  // /etc and /usr/share lookups through the sysroot (tzdata) or, where it has no such file, the host
  'date in a time zone': { argv: [bin('date'), '-d', '@1700000000', '+%F %T %Z %z'], env: { TZ: 'Asia/Tokyo' } },
  'date across DST': { argv: [bin('date'), '-d', '@1690000000', '+%F %T %Z %z'], env: { TZ: 'America/New_York' } },
  'id': { argv: [bin('id')] },
  'whoami': { argv: [bin('whoami')] },
  'stat owner names': { argv: [bin('stat'), '-c', '%U:%G %u:%g %n', 'tree/a.txt', 'tree'] },
  'env -i': { argv: [bin('env'), '-i', 'A=1', 'B=2', bin('env')] },
  // bash (builtins only: a program bash runs would be the host's under qemu-aarch64)
  'bash arrays': { argv: [bin('bash'), '-c', 'a=(x y "z w"); a+=(v); echo ${#a[@]} "${a[2]}" "${a[@]:1:2}"; declare -A m=([k]=1 [j]=2); echo ${m[k]}${m[j]}'] },
  'bash functions': { argv: [bin('bash'), '-c', 'f() { local x=$1; echo "f($x)"; return 3; }; f one; echo "rc=$?"; g() { echo $#; }; g a b c'] },
  'bash arithmetic': { argv: [bin('bash'), '-c', 'echo $((2**40)) $((17 % 5)) $((-7 / 2)) $(( (3<<4) | 1 )); let x=5*5; echo $x'] },
  'bash loops': { argv: [bin('bash'), '-c', 'for i in {1..5}; do printf "%d " $i; done; echo; i=0; while ((i < 3)); do echo w$i; ((i++)); done; for ((j=0;j<3;j++)); do echo -n $j; done; echo'] },
  'bash here-doc': { argv: [bin('bash'), '-c', 'while read -r a b; do echo "[$b|$a]"; done <<EOF\none two\nthree four\nEOF'] },
  'bash string ops': { argv: [bin('bash'), '-c', 's=hello-world; echo ${s^^} ${s#*-} ${s%-*} ${#s} ${s/o/0} ${s//o/0}'] },
  'bash BASH_VERSION': { argv: [bin('bash'), '-c', 'echo "$BASH_VERSION" ${BASH_VERSINFO[0]}'] },
  'bash exit status': { argv: [bin('bash'), '-c', 'exit 42'] },
  'bash script from stdin': { argv: [bin('bash'), '-s'], input: 'x=3\ncase $x in 3) echo three;; *) echo other;; esac\n[[ abc =~ ^a(b)c$ ]] && echo ${BASH_REMATCH[1]}\n' },
  // grep, sed, gawk
  'grep -E': { argv: [bin('grep'), '-E', '-n', '^(pear|fig)$|an', 'fruits'] },
  'grep -c -v': { argv: [bin('grep'), '-c', '-v', 'xyz', 'text'] },
  'grep no match (status 1)': { argv: [bin('grep'), 'nothing-here', 'fruits'] },
  'grep -r': { argv: [bin('grep'), '-r', '-l', 'bravo', 'tree'] },
  'sed -E': { argv: [bin('sed'), '-E', 's/^([0-9]+) line ([0-9]+).*/\\2:\\1/;10q', 'text'] },
  'sed -n with addresses': { argv: [bin('sed'), '-n', '2,4p;$=', 'fruits'] },
  'gawk sums': { argv: [bin('gawk'), '{ s += $1; n[$4]++ } END { printf "%d %.3f\\n", s, s / NR; for (k in n) c++; print c }', 'text'] },
  'gawk functions': { argv: [bin('gawk'), 'BEGIN { print toupper("abc"), length("hello"), substr("elfuse", 2, 3), sprintf("%05.1f", 3.14159); split("a:b:c", p, ":"); print p[3] }'] },
  'gawk -F': { argv: [bin('gawk'), '-F', ' ', '$2 == "line" && $3 % 50 == 0 { print NR, $1 }', 'text'] },
  // findutils, diffutils
  'find': { argv: [bin('find'), 'tree', '-name', '*.txt', '-type', 'f'] },
  'find -printf': { argv: [bin('find'), 'tree', '-printf', '%p %y %s %m\\n'] },
  'xargs (echo builtin to xargs)': { argv: [bin('xargs'), '-n', '2', bin('echo')], input: 'a b c d e\n' },
  'diff (status 1)': { argv: [bin('diff'), 'fruits', 'fruits2'] },
  'diff -u': { argv: [bin('diff'), '-u', '--label', 'A', '--label', 'B', 'fruits', 'fruits2'] },
  'cmp': { argv: [bin('cmp'), 'fruits', 'fruits2'] },
  // tar, gzip, xz
  'tar -c (to stdout)': { argv: [bin('tar'), '-cf', '-', '--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-C', 'tree', '.'] },
  'tar -tzv (runs gzip)': { argv: [bin('tar'), '-tzvf', 'tree.tgz'] },
  'tar -tJv (runs xz)': { argv: [bin('tar'), '-tJvf', 'tree.txz'] },
  'gzip -c': { argv: [bin('gzip'), '-9', '-n', '-c', 'text'] },
  'gzip -dc': { argv: [bin('gzip'), '-dc', 'tree.tgz'] },
  'xz -c': { argv: [bin('xz'), '-c', '-6', 'text'] },
  'xz -dc': { argv: [bin('xz'), '-dc', 'tree.txz'] },
  // perl, lua, sqlite3, jq
  'perl': { argv: [bin('perl'), '-e', 'my %h = (a => 1, b => 2); print join(",", map { "$_=$h{$_}" } sort keys %h), "\\n"; printf "%.4f\\n", atan2(1, 1) * 4; print scalar(reverse "elfuse"), "\\n"'] },
  'perl -ne': { argv: [bin('perl'), '-ne', 'print "$.: $_" if /an/', 'fruits'] },
  'lua': { argv: [bin('lua5.4'), '-e', 'local s = 0; for i = 1, 1000 do s = s + i * i end; print(s, math.pi, string.format("%q", "a\\n"), #arg)'] },
  'lua script': { argv: [bin('lua5.4'), 'prog.lua'] },
  'lua error (status 1)': { argv: [bin('lua5.4'), '-e', 'error("boom")'] },
  'sqlite3 create/insert/select': { argv: [bin('sqlite3'), ':memory:', 'create table t(a int, b text); insert into t values (2, "two"), (1, "one"), (3, "three"); select * from t order by a; select count(*), sum(a), avg(a) from t;'] },
  'sqlite3 join': { argv: [bin('sqlite3'), ':memory:', `${PEOPLE} select p.name, o.item from p join o on o.pid = p.id order by p.name, o.item; select name from p where id not in (select pid from o);`] },
  'sqlite3 -json': { argv: [bin('sqlite3'), '-json', ':memory:', `${PEOPLE} select * from p order by id;`] },
  'sqlite3 from stdin': { argv: [bin('sqlite3')], input: `${PEOPLE}\n.mode csv\nselect id, upper(name), length(name) from p;\n` },
  'jq': { argv: [bin('jq'), '-c', '{name, total: (.n | add), sorted: (.n | sort), k: .nested.k}', 'data.json'] },
  'jq -r': { argv: [bin('jq'), '-r', '.tags[] | ascii_upcase', 'data.json'] },
  'jq error (status 5)': { argv: [bin('jq'), '.a.b.c'], input: '{"a": 3}\n' },
  // the dynamic linker run as a program
  'ld.so running a program': { argv: ['/lib/ld-linux-aarch64.so.1', bin('echo'), 'via', 'ld.so'] },
  // python3.11
  'python3 arithmetic': { argv: [bin('python3.11'), '-c', 'print(2**200, 7/3, divmod(-7, 2), round(2.675, 2), int("ff", 16), 10**20 // 7)'], heavy: true },
  'python3 json': { argv: [bin('python3.11'), '-c', 'import json; d = json.load(open("data.json")); d["n"].sort(); print(json.dumps(d, sort_keys=True))'], heavy: true },
  'python3 re': { argv: [bin('python3.11'), '-c', 'import re; print(re.findall(r"(\\d+) line (\\d+)", open("text").read())[:5]); print(re.sub(r"[aeiou]", "_", "elfuse runs python"))'], heavy: true },
  'python3 hashlib': { argv: [bin('python3.11'), '-c', 'import hashlib; print(hashlib.sha256(b"elfuse").hexdigest(), hashlib.md5(open("text","rb").read()).hexdigest())'], heavy: true },
  'python3 struct and os.listdir': { argv: [bin('python3.11'), '-c', 'import struct, os; print(struct.pack("<IhQ", 1, -2, 3).hex(), struct.unpack(">H", b"\\x01\\x02")); print(sorted(os.listdir("tree")))'], heavy: true },
  'python3 100k-iteration loop': { argv: [bin('python3.11'), '-c', 's = 0\nfor i in range(100000): s += i * i % 7\nprint(s)'], heavy: true },
  'python3 exit status': { argv: [bin('python3.11'), '-c', 'import sys; print("bye"); sys.exit(3)'], heavy: true },
  // python3.11 with threads and sockets (issue 10): exact counts, an echo over loopback, an asyncio server and client
  'python3 threading (16 threads, a lock, a queue)': { argv: [bin('python3.11'), '-c', PY_THREADS], heavy: true },
  'python3 socket echo between two threads on 127.0.0.1': { argv: [bin('python3.11'), '-c', PY_SOCKET], heavy: true },
  'python3 asyncio TCP server and client': { argv: [bin('python3.11'), '-c', PY_ASYNCIO], heavy: true },
};

describe('Debian bookworm arm64 programs: elfuse --sysroot against qemu-aarch64 -L', () => {
  for (const [name, c] of Object.entries(CASES)) {
    // Without ELFUSE_FULL the Python cases are left out: ~10 s each of start-up on the interpreter.
    const define = c.heavy && !FULL ? test.skip : test;
    define(name, { timeout: c.heavy ? PY_TIMEOUT_MS : 90_000 }, async (ctx) => {
      requireSysroot(ctx);
      const { elfuse, qemu } = await runDynamic(c.argv, { ...(c.input !== undefined ? { input: c.input } : {}), ...(c.env ? { env: c.env } : {}), timeoutMs: c.heavy ? PY_TIMEOUT_MS - 10_000 : 60_000 });
      expectSameRun(elfuse, qemu);
    });
  }
});

/** GET http://127.0.0.1:port/path, retried while the server is not listening yet (python's start is slow on the interpreter). */
async function httpGetRetry(port: number, path: string, deadline: number): Promise<{ status: number; body: string }> {
  for (;;) {
    try {
      return await new Promise((resolve, reject) => {
        http
          .get(`http://127.0.0.1:${port}${path}`, (res) => {
            let text = '';
            res.on('data', (b: Buffer) => (text += b.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
          })
          .on('error', reject);
      });
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

describe('python3 http.server in the guest answers a host HTTP client', () => {
  // Python's start-up with http.server's imports is tens of seconds on the interpreter: with ELFUSE_FULL=1 only.
  const define = FULL ? test : test.skip;
  define('GET of a file and of a missing one', { timeout: PY_TIMEOUT_MS }, async (ctx) => {
    requireSysroot(ctx);
    const www = join(dir, 'www');
    mkdirSync(www, { recursive: true });
    writeFileSync(join(www, 'page.txt'), 'served by python3 http.server in elfuse\n');
    const port = await freePort();
    const [cmd = '', ...rest] = ELFUSE_COMMAND;
    const child = spawn(cmd, [...rest, '--sysroot', SYSROOT, bin('python3.11'), '-m', 'http.server', String(port), '--bind', '127.0.0.1', '--directory', www], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      const page = await httpGetRetry(port, '/page.txt', Date.now() + PY_TIMEOUT_MS - 30_000);
      const missing = await httpGetRetry(port, '/nothing-here', Date.now() + 10_000);
      expect(page).toEqual({ status: 200, body: 'served by python3 http.server in elfuse\n' });
      expect(missing.status).toBe(404);
    } finally {
      child.kill('SIGTERM');
    }
    await closed;
    // The server's request log names both requests.
    expect(stderr).toMatch(/"GET \/page\.txt HTTP\/1\.1" 200/);
    expect(stderr).toMatch(/"GET \/nothing-here HTTP\/1\.1" 404/);
  });
});

describe('the dynamic linker run as a program', () => {
  test('ld.so --list prints what ldd prints: the same libraries, resolved to the same files', async (ctx) => {
    requireSysroot(ctx);
    const { elfuse, qemu } = await runDynamic(['/lib/ld-linux-aarch64.so.1', '--list', bin('ls')]);
    // Load addresses are each emulator's own layout, and qemu-aarch64 has a vDSO (a nameless
    // line) where elfuse has none: compare the names and the files they resolve to.
    const names = (r: RunResult): string =>
      r.stdout
        .toString('latin1')
        .replace(/ \(0x[0-9a-f]+\)/g, '')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .join('\n');
    expect(elfuse.stderr.toString()).toBe('');
    expect(elfuse.status).toBe(qemu.status);
    expect(names(elfuse)).toBe(names(qemu));
    expect(names(elfuse)).toContain('libc.so.6 => /lib/aarch64-linux-gnu/libc.so.6');
  });
});

/** readelf's view of a sysroot file: program header count, entry, PT_PHDR and the PT_LOAD span. */
function readelf(guestPath: string): { phnum: number; entry: number; phdr: number; span: number } {
  const out = execFileSync('aarch64-linux-gnu-readelf', ['-hlW', join(SYSROOT, guestPath)], { encoding: 'utf8' });
  const loads = out.split('\n').filter((l) => /^\s+LOAD\s/.test(l)).map((l) => l.trim().split(/\s+/));
  const phdr = out.split('\n').find((l) => /^\s+PHDR\s/.test(l))?.trim().split(/\s+/);
  return {
    phnum: Number(/Number of program headers:\s+(\d+)/.exec(out)?.[1]),
    entry: Number(/Entry point address:\s+(0x[0-9a-f]+)/.exec(out)?.[1]),
    phdr: phdr ? Number(phdr[2]) : NaN,
    span: Math.ceil(Math.max(...loads.map((f) => Number(f[2]) + Number(f[5]))) / 4096) * 4096,
  };
}

describe('what a dynamic program is started with', () => {
  test('the auxiliary vector (glibc LD_SHOW_AUXV) holds the program, its interpreter and the process', async (ctx) => {
    requireSysroot(ctx);
    // LD_SHOW_AUXV only in the guest: the host's own dynamic programs would print theirs too.
    const r = await runElfuse(['--sysroot', SYSROOT, bin('env'), 'LD_SHOW_AUXV=1', bin('true')], { cwd: dir });
    expect(r.stderr.toString()).toBe('');
    expect(r.status).toBe(0);
    const auxv = new Map(
      r.stdout
        .toString()
        .trim()
        .split('\n')
        .map((l) => /^(AT_\w+):\s+(.*)$/.exec(l)!.slice(1, 3) as [string, string]),
    );
    const exe = readelf(bin('true'));
    const ld = readelf('/usr/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1');
    // Linux without randomization: the PIE at ELF_ET_DYN_BASE aligned to 64 KiB, ld.so as one
    // mapping right below mmap_base (128 MiB under elfuse's stack top, 0xfffffffff000).
    const bias = 0xaaaaaaaa0000;
    const hex = (n: number): string => `0x${n.toString(16)}`;
    expect(auxv.get('AT_PHDR')).toBe(hex(bias + exe.phdr));
    expect(auxv.get('AT_ENTRY')).toBe(hex(bias + exe.entry));
    expect(auxv.get('AT_PHNUM')).toBe(String(exe.phnum));
    expect(auxv.get('AT_PHENT')).toBe('56');
    expect(auxv.get('AT_BASE')).toBe(hex(0xfffffffff000 - 128 * 1024 * 1024 - ld.span));
    expect(auxv.get('AT_EXECFN')).toBe(bin('true'));
    expect(auxv.get('AT_PLATFORM')).toBe('aarch64');
    expect(auxv.get('AT_PAGESZ')).toBe('4096');
    expect(auxv.get('AT_CLKTCK')).toBe('100');
    expect(auxv.get('AT_SECURE')).toBe('0');
    expect(auxv.get('AT_FLAGS')).toBe('0x0');
    expect(auxv.get('AT_UID')).toBe(String(process.getuid?.()));
    expect(auxv.get('AT_EGID')).toBe(String(process.getegid?.()));
    expect(auxv.has('AT_RANDOM') && auxv.has('AT_HWCAP') && auxv.has('AT_HWCAP2') && auxv.has('AT_MINSIGSTKSZ')).toBe(true);
  });

  test('/proc/self/maps names the program, ld.so and every library it loaded, as under qemu-aarch64', async (ctx) => {
    requireSysroot(ctx);
    const { elfuse, qemu } = await runDynamic([bin('cat'), '/proc/self/maps']);
    expect(elfuse.status).toBe(0);
    // qemu-aarch64 shows the host paths of the sysroot's files: the guest path is what follows ROOT.
    const files = (r: RunResult): string[] => [
      ...new Set(
        r.stdout
          .toString()
          .split('\n')
          .map((l) => l.split(/\s+/)[5] ?? '')
          .filter((n) => n.startsWith('/'))
          .map((n) => (n.startsWith(SYSROOT) ? n.slice(SYSROOT.length) : n)),
      ),
    ].sort();
    expect(files(elfuse)).toEqual(files(qemu));
    expect(files(elfuse)).toEqual(expect.arrayContaining([bin('cat'), '/usr/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1', '/usr/lib/aarch64-linux-gnu/libc.so.6']));
  });

  test('without --sysroot, one line names the interpreter and --sysroot; status 127', async (ctx) => {
    requireSysroot(ctx);
    const r = await runElfuse([join(SYSROOT, bin('true'))], { cwd: dir });
    expect(r.status).toBe(127);
    expect(r.stdout.length).toBe(0);
    expect(r.stderr.toString()).toBe(
      `elfuse: ${join(SYSROOT, bin('true'))}: its interpreter /lib/ld-linux-aarch64.so.1 is not on this host; a dynamically linked program needs the root of its distribution: give it with --sysroot DIR\n`,
    );
  });

  test('a sysroot without the interpreter: 127, naming the sysroot', async (ctx) => {
    requireSysroot(ctx);
    const r = await runElfuse(['--sysroot', dir, join(SYSROOT, bin('true'))], { cwd: dir });
    expect(r.status).toBe(127);
    expect(r.stderr.toString()).toMatch(new RegExp(`its interpreter /lib/ld-linux-aarch64.so.1 is neither in the sysroot ${dir} nor on the host`));
  });

  test('bash -c with stdin not a socket does not read ~/.bashrc (getpeername says ENOTSOCK)', async (ctx) => {
    requireSysroot(ctx);
    const home = join(dir, 'home');
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, '.bashrc'), 'echo "~/.bashrc was read"\n');
    // Node gives a child a socket for stdin, and bash reads ~/.bashrc when stdin is a connected
    // socket (as from sshd): the shell gives both runners /dev/null instead.
    const viaDevNull = (argv: readonly string[], env: Record<string, string>): Promise<RunResult> =>
      run('/bin/sh', ['-c', 'exec "$@" </dev/null', 'sh', ...argv], { cwd: dir, env: { HOME: home, ...env } });
    const script = 'echo body';
    const [elfuse, qemu] = await Promise.all([
      viaDevNull([...ELFUSE_COMMAND, '--backend', 'interp', '--sysroot', SYSROOT, bin('bash'), '-c', script], {}),
      viaDevNull([QEMU, '-0', bin('bash'), join(SYSROOT, bin('bash')), '-c', script], { QEMU_LD_PREFIX: SYSROOT }),
    ]);
    expectSameRun(elfuse, qemu);
    expect(elfuse.stdout.toString()).toBe('body\n');
  });

  test('a guest execve of a dynamic program runs it with its interpreter', async (ctx) => {
    requireSysroot(ctx);
    const { elfuse, qemu } = await runDynamic([bin('env'), bin('sha256sum'), 'fruits']);
    expectSameRun(elfuse, qemu);
  });
});

/**
 * Pipelines: bash runs the sysroot's programs by their host paths (PATH is
 * ROOT/usr/bin), so under qemu-aarch64 each exec goes through the
 * binfmt_misc entry of scripts/qemu-binfmt.sh to qemu-aarch64 again, with
 * QEMU_LD_PREFIX inherited: a real reference for every stage. elfuse runs
 * under the script's guard, which fails any exec elfuse would hand the host.
 */
const PIPELINES: Readonly<Record<string, string>> = {
  'seq | sort -r | head': 'seq 1 2000 | sort -r | head -n 5',
  'cat | gawk | sort -n | uniq -c | sort -rn | head': "cat text | gawk '{ print $1 % 10 }' | sort -n | uniq -c | sort -rn | head -n 3",
  'jq | sed -E | tr': "jq -r '.tags[], .name' data.json | sed -E 's/^(.)/[\\1]/' | tr a-z A-Z",
  'tar | gzip | gzip -d | tar -t | sort': 'tar -cf - -C tree . | gzip -n | gzip -d | tar -tf - | sort',
  'command substitution and xargs': 'h=$(sha256sum fruits); echo "${h%% *}"; sqlite3 :memory: "select 6*7" | xargs expr 100 +',
  'here-doc into perl into lua': "perl -ne 'print uc' <<EOF | lua5.4 -e 'for l in io.lines() do print(#l, l) end'\nabc\nhello world\nEOF",
  'find | xargs wc | sort': 'find tree -type f -print0 | sort -z | xargs -0 wc -c',
  'subshells, pipes and status': '(echo a; echo b) | (read x; read y; echo "$y$x"); false | true; echo "pipe status ${PIPESTATUS[*]}"; set -o pipefail; true | false; echo $?',
};

describe('pipelines of sysroot programs run by bash: elfuse against qemu-aarch64 through binfmt_misc', () => {
  for (const [name, script] of Object.entries(PIPELINES)) {
    // Every stage is a process of its own (about 5 s a case on the interpreter): with ELFUSE_FULL=1 only.
    const define = FULL ? test : test.skip;
    define(name, async (ctx) => {
      requireSysroot(ctx);
      requireQemuExec(ctx);
      const env = { PATH: join(SYSROOT, 'usr/bin'), QEMU_LD_PREFIX: SYSROOT };
      const guardLog = join(dir, `guard-${name.replace(/\W+/g, '-')}.log`);
      const bash = bin('bash');
      const [elfuse, qemu] = await Promise.all([
        runElfuseGuarded(guardLog, ['--sysroot', SYSROOT, bash, '-c', script], { cwd: dir, env }),
        runQemuExec(['-0', bash, join(SYSROOT, bash), '-c', script], { cwd: dir, env }),
      ]);
      expectSameRun(elfuse, qemu);
      expect(existsSync(guardLog) ? readFileSync(guardLog, 'utf8') : '').toBe('');
    });
  }
});

/** Every entry under `root` as "path mode size mtime target-or-content-hash", sorted. */
function treeListing(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    const p = join(root, rel);
    const st = lstatSync(p);
    const kind = st.isSymbolicLink() ? 'l' : st.isDirectory() ? 'd' : 'f';
    const what = kind === 'f' ? readFileSync(p).toString('base64') : '';
    out.push(`${rel} ${kind} ${(st.mode & 0o7777).toString(8)} ${kind === 'd' ? '' : st.size} ${Math.floor(st.mtimeMs / 1000)} ${what}`);
    if (kind === 'd') for (const e of readdirSync(p).sort()) walk(rel === '.' ? e : `${rel}/${e}`);
  };
  walk('.');
  return out.sort();
}

describe('programs that write files: the same files under elfuse and qemu-aarch64', () => {
  test('cp -a copies a tree with its modes, times and symlinks', async (ctx) => {
    requireSysroot(ctx);
    const [elfuse, qemu] = await Promise.all([
      runElfuse(['--sysroot', SYSROOT, bin('cp'), '-a', 'tree', 'copy-elfuse'], { cwd: dir }),
      run(QEMU, ['-0', bin('cp'), join(SYSROOT, bin('cp')), '-a', 'tree', 'copy-qemu'], { cwd: dir, env: { QEMU_LD_PREFIX: SYSROOT } }),
    ]);
    expect(elfuse.stderr.toString()).toBe(qemu.stderr.toString());
    expect(elfuse.status).toBe(qemu.status);
    expect(treeListing(join(dir, 'copy-elfuse'))).toEqual(treeListing(join(dir, 'copy-qemu')));
    expect(treeListing(join(dir, 'copy-elfuse'))).toEqual(treeListing(join(dir, 'tree')));
  });

  test('tar -xzf unpacks (running gzip -d) the same tree', async (ctx) => {
    requireSysroot(ctx);
    mkdirSync(join(dir, 'x-elfuse'));
    mkdirSync(join(dir, 'x-qemu'));
    const [elfuse, qemu] = await Promise.all([
      runElfuse(['--sysroot', SYSROOT, bin('tar'), '-xzf', '../tree.tgz'], { cwd: join(dir, 'x-elfuse') }),
      run(QEMU, ['-0', bin('tar'), join(SYSROOT, bin('tar')), '-xzf', '../tree.tgz'], { cwd: join(dir, 'x-qemu'), env: { QEMU_LD_PREFIX: SYSROOT } }),
    ]);
    expect(elfuse.stderr.toString()).toBe(qemu.stderr.toString());
    expect(elfuse.status).toBe(qemu.status);
    expect(treeListing(join(dir, 'x-elfuse'))).toEqual(treeListing(join(dir, 'x-qemu')));
  });
});
