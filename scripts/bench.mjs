#!/usr/bin/env node
// bench.mjs: compares elfuse (interp backend) with qemu-aarch64 on these
// workloads and prints one table row each:
//   start-up     the whole command for a program that does nothing (our
//                hello, busybox true), with a bare node's start printed
//                below the table (goal: at most 1.5x of it)
//   tight-loop   our CPU-bound fixture, fixed iteration count
//   cpubench     our integer + floating-point mix (guests/src/cpubench.c, -O2)
//   sha256sum    Debian busybox-static hashing a 20 MB pseudo-random file
//   gzip -c      Debian busybox-static compressing the same file
//   map-count    30,000 mprotects of alternate pages of one mapping (60,000
//                VMAs) and 60,000 one-page mappings of alternating protection
//                (guests/src/map-count.c): the cost of mm calls with many VMAs
//   dd bs=1      Debian busybox-static copying /dev/zero to /dev/null a byte
//                at a time: two system calls per byte, the syscall path
//   dynamic      Debian bookworm arm64's dynamically linked /usr/bin/true
//                (start-up through ld.so and libc), `python3 -c pass`, a
//                python3 1M-iteration loop, a lua5.4 10M-iteration loop and
//                a bash 20k-iteration loop (--norc: with stdin a socket, as
//                the benchmark gives it, bash -c would read ~/.bashrc), from the sysroot
//                scripts/make-sysroot.sh builds: elfuse --sysroot against
//                qemu-aarch64 -L
//   ping-pong    guests/src/pingpong.c: 4 threads pass a turn around a ring
//                N times on a mutex and a condition variable each (a futex
//                wake and a futex wait per pass: the cost of a handoff
//                between threads; µs per pass printed below the table)
//   tcp loopback our guests/src/sockets.c: a fork child sends N MiB over
//                TCP on 127.0.0.1 in 64 KiB writes to its parent (two
//                processes each side; MiB/s = N / wall time)
// Each workload runs ELFUSE_BENCH_RUNS times under elfuse and under qemu,
// alternately (elfuse, qemu, elfuse, qemu...), so both see the same load on
// a busy machine. Every run is timed by /usr/bin/time: wall time, CPU time
// (user + system) and peak RSS, through scripts/reap-all.c, a child
// subreaper that waits for every process below it, so the CPU time of
// processes that outlive their parent (elfuse's waiting fork processes)
// counts too. The table gives medians; the ratio that
// counts is the CPU-time ratio of the medians (the fairer figure when other
// processes compete for the cores), and qemu's own spread (min-max CPU time
// over its runs) says how noisy the run was. elfuse runs with
// ELFUSE_STATS=1, which reports the guest instructions it retired (guest
// MIPS); the first run's stdout and status must equal qemu's.
// Three multi-process workloads of busybox sh follow, PATH a directory of
// busybox applet links, qemu-aarch64 running the shell's execs through its
// binfmt_misc entry (scripts/qemu-binfmt.sh):
//   fork+exec    200 fork+exec+wait of `true` by its path (goal: within 5x of qemu)
//   pipeline     a 5-stage pipeline over the 20 MB file
//   script       a script of 500 mixed commands (builtins, applets run in
//                the shell, fork+exec, pipelines, $(...), redirections)
// They are timed the same way (the whole process tree's CPU time, through
// reap-all); their peak RSS is that of the whole process tree, for elfuse
// and for qemu: the sum of VmRSS over the runner and all its descendants,
// sampled from /proc every 20 ms in a separate run (shared pages count once
// per process, and a process shorter than a sample can be missed; this
// machine's cgroup v1 has no memory.peak). An elfuse run that fails where
// qemu's succeeds because a syscall is missing shows "not supported yet"
// instead of times.
//
// Knobs: ELFUSE_BENCH_RUNS (5), ELFUSE_BENCH_LOOP_N (20000000),
//        ELFUSE_BENCH_FILE_MB (20), ELFUSE_BENCH_CPU_SCALE (1),
//        ELFUSE_BENCH_DD_N (200000), ELFUSE_BENCH_TCP_MB (256), ELFUSE_BENCH_PINGPONG_N (20000),
//        ELFUSE_BENCH_ONLY (comma-separated
//        workload name prefixes, e.g. "sha256,gzip"; "sh" the multi-process
//        rows, "cpu" all the others), ELFUSE_BENCH_QEMU=0
//        (elfuse alone), ELFUSE_BENCH_CLI (see below).
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.env.ELFUSE_BENCH_RUNS ?? 5);
const loopN = process.env.ELFUSE_BENCH_LOOP_N ?? '20000000';
const fileMB = Number(process.env.ELFUSE_BENCH_FILE_MB ?? 20);
const cpuScale = process.env.ELFUSE_BENCH_CPU_SCALE ?? '1';
const ddBytes = process.env.ELFUSE_BENCH_DD_N ?? '200000';
const tcpMB = process.env.ELFUSE_BENCH_TCP_MB ?? '256';
const pingpongN = process.env.ELFUSE_BENCH_PINGPONG_N ?? '20000';
const only = process.env.ELFUSE_BENCH_ONLY?.split(',').filter(Boolean);
const withQemu = process.env.ELFUSE_BENCH_QEMU !== '0';
// elfuse as users start it: the dist/elfuse command (its startup snapshot), or with
// ELFUSE_BENCH_CLI a script run by node in its place (to check this script itself).
const elfuseBase = process.env.ELFUSE_BENCH_CLI ? [process.execPath, process.env.ELFUSE_BENCH_CLI] : [join(root, 'dist/elfuse')];
const busybox = join(root, '.cache/arm64/busybox-static/bin/busybox');
const sysroot = join(root, '.cache/sysroot/bookworm-arm64');
const SEED = 0x2545f491;

function hasCommand(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

/** 20 MB from xorshift32 with a fixed seed: the same bytes on every machine, written once. */
function randomFile() {
  const size = fileMB << 20;
  const path = join(tmpdir(), `elfuse-bench-${SEED.toString(16)}-${fileMB}MB.bin`);
  if (existsSync(path) && statSync(path).size === size) return path;
  const words = new Uint32Array(size / 4);
  let x = SEED;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  writeFileSync(path, new Uint8Array(words.buffer));
  return path;
}

const elfuseCmd = (args) => [...elfuseBase, '--backend', 'interp', ...args];
const qemuCmd = (args) => ['qemu-aarch64', ...args];

/**
 * scripts/reap-all.c, built once: timed commands run under it, so processes
 * that outlive their parent are waited for and their CPU time counted
 * (elfuse's waiting processes end just after the process it was started as).
 */
let reapAll = null;
function reaper() {
  if (reapAll !== null) return reapAll;
  const dir = mkdtempSync(join(tmpdir(), 'elfuse-bench-reaper-'));
  const bin = join(dir, 'reap-all');
  const cc = spawnSync('cc', ['-O1', '-o', bin, join(root, 'scripts/reap-all.c')], { encoding: 'utf8' });
  if (cc.status !== 0) throw new Error(`bench: cannot build scripts/reap-all.c (install gcc): ${cc.stderr || cc.error?.message}`);
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  reapAll = bin;
  return bin;
}

/** One timed run: wall, user+sys CPU seconds (the whole process tree's) and peak RSS from /usr/bin/time; stdout, stderr and status. */
function timedRun(argv, env, cwd = undefined) {
  const dir = mkdtempSync(join(tmpdir(), 'elfuse-bench-'));
  const out = join(dir, 'time');
  const r = spawnSync('/usr/bin/time', ['-o', out, '-f', '%e %U %S %M', reaper(), ...argv], { env, cwd, maxBuffer: 1 << 28 });
  const t = existsSync(out) ? readFileSync(out, 'utf8').trim().split('\n').pop().split(' ').map(Number) : [];
  rmSync(dir, { recursive: true, force: true });
  const [wall, user, sys, rssKb] = t.length === 4 ? t : [NaN, NaN, NaN, NaN];
  const stats = r.stderr.toString().match(/elfuse-stats: instructions=(\d+) seconds=([\d.eE+-]+)/);
  return {
    status: r.status,
    stdout: r.stdout,
    stderr: r.stderr.toString(),
    wall,
    cpu: user + sys,
    rssMB: rssKb / 1024,
    ips: stats ? Number(stats[1]) / Number(stats[2]) : NaN,
  };
}

const median = (xs) => {
  const a = xs.filter(Number.isFinite).sort((p, q) => p - q);
  if (a.length === 0) return NaN;
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
};

/** A workload: elfuse and qemu-aarch64 run `args`, or qemu `qemuArgs` when its command line differs (-L). */
function bench(name, args, qemuArgs = args) {
  const env = { ...process.env, ELFUSE_STATS: '1' };
  const e = [];
  const q = [];
  let same = true;
  for (let i = 0; i < runs && same; i++) {
    const er = timedRun(elfuseCmd(args), env);
    const qr = withQemu ? timedRun(qemuCmd(qemuArgs), process.env) : null;
    if (i === 0 && qr && (er.status !== qr.status || Buffer.compare(er.stdout, qr.stdout) !== 0)) {
      const hint = er.stderr.trim().split('\n').slice(-3).join(' / ');
      console.error(`bench: ${name}: elfuse output differs from qemu-aarch64 (status ${er.status}): ${hint}`);
      same = false;
    }
    e.push(er);
    if (qr) q.push(qr);
  }
  const qc = q.map((r) => r.cpu);
  return {
    name,
    elfuseS: median(e.map((r) => r.wall)),
    elfuseCpu: median(e.map((r) => r.cpu)),
    qemuS: median(q.map((r) => r.wall)),
    qemuCpu: median(qc),
    qemuSpread: qc.length ? `${Math.min(...qc).toFixed(3)}-${Math.max(...qc).toFixed(3)}` : 'n/a',
    ratio: median(e.map((r) => r.wall)) / median(q.map((r) => r.wall)),
    cpuRatio: median(e.map((r) => r.cpu)) / median(qc),
    rssMB: Math.max(...e.map((r) => r.rssMB)),
    qemuRssMB: q.length ? Math.max(...q.map((r) => r.rssMB)) : NaN,
    ips: median(e.map((r) => r.ips)),
    output: same ? 'same' : 'DIFFERS',
  };
}

// --- multi-process workloads ---

const qemuBinfmt = join(root, 'scripts/qemu-binfmt.sh');

/** A temporary directory with bin/ (links to busybox named after its applets) and the scripts. */
function processWorkspace() {
  const dir = mkdtempSync(join(tmpdir(), 'elfuse-bench-sh-'));
  const bin = join(dir, 'bin');
  const list = spawnSync('/bin/bash', [qemuBinfmt, 'qemu', busybox, '--list'], { encoding: 'utf8' });
  if (list.status !== 0) throw new Error(`busybox --list under qemu failed: ${list.stderr}`);
  spawnSync('mkdir', [bin]);
  for (const applet of list.stdout.split('\n').filter((a) => /^[\w.[-]+$/.test(a))) symlinkSync(busybox, join(bin, applet));
  return { dir, bin, env: { PATH: bin, LC_ALL: 'C', HOME: dir } };
}

/** 500 commands, ten kinds in turn; prints a line per command, so qemu's output checks it. */
function mixedScript(ws) {
  const kinds = [
    (i) => `echo line ${i}`,
    (i) => `x=$((x + ${i})); echo "sum $x"`,
    (i) => `${ws.bin}/true && echo exec ${i}`,
    (i) => `echo ${i} | tr 0-9 a-j`,
    (i) => `y=$(echo sub ${i}); echo "$y"`,
    (i) => `echo ${i} >> out.txt; wc -l < out.txt`,
    (i) => `basename /a/b/file${i}.c .c`,
    (i) => `[ $((${i} % 3)) -eq 0 ] && echo three ${i} || echo not ${i}`,
    (i) => `printf '%s\\n' c${i} a${i} b${i} | sort | head -n 1`,
    (i) => `( echo sub-shell ${i} )`,
  ];
  const lines = ['x=0', 'rm -f out.txt'];
  for (let i = 0; i < 500; i++) lines.push(kinds[i % kinds.length](i));
  const path = join(ws.dir, 'mixed.sh');
  writeFileSync(path, `${lines.join('\n')}\n`);
  chmodSync(path, 0o644);
  return path;
}

/** Parent pid of every process, from /proc/N/stat (the field after the parenthesised name). */
function processTable() {
  const parent = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(name), Number(fields[1]));
    } catch {
      // gone meanwhile
    }
  }
  return parent;
}

/** Sum of VmRSS (kB) of `pid` and all its descendants now. */
function treeRssKb(pid) {
  const parent = processTable();
  const tree = new Set([pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [p, pp] of parent) {
      if (!tree.has(p) && tree.has(pp)) {
        tree.add(p);
        grew = true;
      }
    }
  }
  let kb = 0;
  for (const p of tree) {
    try {
      const m = readFileSync(`/proc/${p}/status`, 'latin1').match(/^VmRSS:\s+(\d+) kB/m);
      if (m) kb += Number(m[1]);
    } catch {
      // gone meanwhile
    }
  }
  return kb;
}

/** One run with the process tree's RSS sampled every 20 ms: status, stdout, stderr, peak MB. */
function measureTree(argv, opts) {
  return new Promise((resolveRun) => {
    const child = spawn(argv[0], argv.slice(1), { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (b) => out.push(b));
    child.stderr.on('data', (b) => err.push(b));
    let peakKb = 0;
    const timer = setInterval(() => {
      peakKb = Math.max(peakKb, treeRssKb(child.pid));
    }, 20);
    child.on('close', (code, signal) => {
      clearInterval(timer);
      resolveRun({
        status: code ?? `signal ${signal}`,
        stdout: Buffer.concat(out),
        stderr: Buffer.concat(err).toString(),
        rssMB: peakKb / 1024,
      });
    });
  });
}

/** The syscalls elfuse reports as unimplemented (--verbose) in a rerun of a failed run. */
function unimplementedSyscalls(args, opts) {
  const [cmd, ...rest] = elfuseCmd(['--verbose', ...args]);
  const r = spawnSync(cmd, rest, { ...opts, maxBuffer: 1 << 28 });
  const names = [...(r.stderr?.toString() ?? '').matchAll(/unimplemented syscall \d+ \((\w+)\)/g)].map((m) => m[1]);
  return [...new Set(names)];
}

async function processBench(name, ws, shArgs) {
  const args = [busybox, ...shArgs];
  const opts = { cwd: ws.dir, env: ws.env };
  const qemuArgv = ['/bin/bash', qemuBinfmt, 'qemu', ...args];
  const q = await measureTree(qemuArgv, opts);
  if (q.status !== 0) {
    console.error(`bench: ${name}: the qemu reference failed (status ${q.status}): ${q.stderr.trim().split('\n').slice(-3).join(' / ')}`);
  }
  const e = await measureTree(elfuseCmd(args), opts);
  const same = q.status === 0 && e.status === q.status && Buffer.compare(e.stdout, q.stdout) === 0;
  let output = same ? 'same' : 'DIFFERS';
  if (!same) {
    const missing = unimplementedSyscalls(args, opts);
    if (missing.length > 0) output = 'not supported yet';
    const hint = e.stderr.trim().split('\n').slice(-2).join(' / ');
    const what = missing.length > 0 ? `cannot run it yet (unimplemented: ${missing.join(', ')})` : 'output differs from qemu-aarch64';
    console.error(`bench: ${name}: elfuse ${what} (status ${e.status}): ${hint}`);
  }
  // Timed like the single-process rows: medians of alternating runs.
  const et = [];
  const qt = [];
  for (let i = 0; i < runs && same; i++) {
    et.push(timedRun(elfuseCmd(args), ws.env, ws.dir));
    qt.push(timedRun(qemuArgv, ws.env, ws.dir));
  }
  const qc = qt.map((r) => r.cpu);
  return {
    name,
    elfuseS: median(et.map((r) => r.wall)),
    elfuseCpu: median(et.map((r) => r.cpu)),
    qemuS: median(qt.map((r) => r.wall)),
    qemuCpu: median(qc),
    qemuSpread: qc.length ? `${Math.min(...qc).toFixed(3)}-${Math.max(...qc).toFixed(3)}` : 'n/a',
    ratio: median(et.map((r) => r.wall)) / median(qt.map((r) => r.wall)),
    cpuRatio: median(et.map((r) => r.cpu)) / median(qc),
    rssMB: same ? e.rssMB : NaN,
    qemuRssMB: q.rssMB,
    ips: NaN,
    output,
  };
}

async function processBenches() {
  const check = spawnSync('/bin/bash', [qemuBinfmt, 'check'], { encoding: 'utf8' });
  if (check.status !== 0) {
    console.error(`bench: process workloads skipped: ${check.stderr.trim()}`);
    return [];
  }
  const ws = processWorkspace();
  try {
    const file = randomFile();
    const loop = `i=0; while [ $i -lt 200 ]; do ${ws.bin}/true; i=$((i + 1)); done; echo $i`;
    const pipeline = `cat '${file}' | tr 'a-m' 'n-z' | gzip -1 | gzip -dc | sha256sum`;
    return [
      await processBench('sh: 200 fork+exec+wait of true (goal 5x)', ws, ['sh', '-c', loop]),
      await processBench(`sh: 5-stage pipeline over ${fileMB} MB`, ws, ['sh', '-c', pipeline]),
      await processBench('sh: script of 500 mixed commands', ws, ['sh', mixedScript(ws)]),
    ];
  } finally {
    rmSync(ws.dir, { recursive: true, force: true });
  }
}

function fmt(v, digits) {
  return Number.isFinite(v) ? v.toFixed(digits) : 'n/a';
}

function printTable(rows) {
  const header = ['workload', 'elfuse s', 'elfuse CPU s', 'qemu s', 'qemu CPU s', 'qemu CPU spread', 'ratio', 'CPU-time ratio', 'elfuse peak RSS MB', 'qemu peak RSS MB', 'guest MIPS', 'output'];
  const body = rows.map((r) => [
    r.name,
    fmt(r.elfuseS, 3),
    fmt(r.elfuseCpu, 3),
    fmt(r.qemuS, 3),
    fmt(r.qemuCpu, 3),
    r.qemuSpread,
    fmt(r.ratio, 1),
    fmt(r.cpuRatio, 1),
    fmt(r.rssMB, 1),
    fmt(r.qemuRssMB, 1),
    fmt(r.ips / 1e6, 1),
    r.output,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of body) console.log(line(row));
}

async function main() {
  if (spawnSync('bash', [join(root, 'scripts/build-guests.sh')], { stdio: 'inherit' }).status !== 0) process.exit(1);
  if (!process.env.ELFUSE_BENCH_CLI && !existsSync(join(root, 'dist/elfuse'))) {
    console.error('bench: dist/elfuse missing: run npm run build (npm run bench does)');
    process.exit(1);
  }
  if (!existsSync('/usr/bin/time')) {
    console.error('bench: /usr/bin/time missing: apt-get install time');
    process.exit(1);
  }
  if (withQemu && !hasCommand('qemu-aarch64')) {
    console.error('bench: qemu-aarch64 missing: apt-get install qemu-user');
    process.exit(1);
  }
  const workloads = [
    // Start-up: the whole command, against qemu's and (printed below the table) a bare node's.
    ['start-up: hello', () => [join(root, 'guests/bin/hello')]],
    [`tight-loop N=${loopN}`, () => [join(root, 'guests/bin/tight-loop'), loopN]],
    [`cpubench scale ${cpuScale}`, () => [join(root, 'guests/bin/cpubench'), cpuScale]],
    ['map-count mprotect 30000 (60,000 VMAs)', () => [join(root, 'guests/bin/map-count'), 'mprotect', '30000']],
    ['map-count mmap 60000', () => [join(root, 'guests/bin/map-count'), 'mmap', '60000']],
    [`ping-pong 4 threads ${pingpongN} passes`, () => [join(root, 'guests/bin/pingpong'), pingpongN]],
    [`tcp loopback ${tcpMB} MiB`, () => [join(root, 'guests/bin/sockets'), 'tcp-bench', tcpMB]],
  ];
  if (existsSync(busybox)) {
    workloads.splice(1, 0, ['start-up: busybox true', () => [busybox, 'true']]);
    workloads.push([`busybox sha256sum ${fileMB} MB`, () => [busybox, 'sha256sum', randomFile()]]);
    workloads.push([`busybox gzip -c ${fileMB} MB`, () => [busybox, 'gzip', '-c', randomFile()]]);
    workloads.push([`busybox dd bs=1 count=${ddBytes}`, () => [busybox, 'dd', 'if=/dev/zero', 'of=/dev/null', 'bs=1', `count=${ddBytes}`]]);
  } else {
    console.error('bench: busybox missing, its rows skipped: run bash scripts/fetch-arm64-debs.sh');
  }
  if (existsSync(join(sysroot, 'usr/bin/python3.11'))) {
    // The same guest path as argv[0] in both (qemu's -0), the files from the sysroot.
    const dyn = (prog, ...args) => [() => ['--sysroot', sysroot, prog, ...args], () => ['-L', sysroot, '-0', prog, join(sysroot, prog), ...args]];
    workloads.splice(2, 0, ['start-up: dynamic /usr/bin/true', ...dyn('/usr/bin/true')]);
    workloads.push(['dynamic: python3 -c pass', ...dyn('/usr/bin/python3.11', '-c', 'pass')]);
    workloads.push(['dynamic: python3 1M-iteration loop', ...dyn('/usr/bin/python3.11', '-c', 's = 0\nfor i in range(1000000): s += i\nprint(s)')]);
    workloads.push(['dynamic: lua5.4 10M-iteration loop', ...dyn('/usr/bin/lua5.4', '-e', 'local s = 0 for i = 1, 10000000 do s = s + i end print(s)')]);
    workloads.push(['dynamic: bash 20k-iteration loop', ...dyn('/usr/bin/bash', '--norc', '-c', 'i=0; while ((i < 20000)); do ((i++)); done; echo $i')]);
  } else {
    console.error('bench: the arm64 sysroot missing, the dynamic rows skipped: run bash scripts/make-sysroot.sh');
  }
  const picked = (name) => !only || only.some((p) => p === 'cpu' || name.startsWith(p) || name.startsWith(`busybox ${p}`) || name.startsWith(`start-up: ${p}`));
  const rows = workloads.filter(([name]) => picked(name)).map(([name, args, qemuArgs]) => bench(name, args(), qemuArgs ? qemuArgs() : args()));
  if (existsSync(busybox) && withQemu && (!only || only.includes('sh'))) rows.push(...(await processBenches()));
  console.log(`medians of ${runs} runs each, elfuse and qemu alternating; CPU time = user + system; RSS = the highest peak of the runs`);
  console.log('sh rows: peak RSS of the whole process tree (sum of VmRSS, sampled from /proc every 20 ms); qemu runs its execs through binfmt_misc');
  printTable(rows);
  for (const r of rows.filter((x) => x.name.startsWith('tcp loopback'))) {
    console.log(`tcp loopback: elfuse ${fmt(Number(tcpMB) / r.elfuseS, 1)} MiB/s, qemu ${fmt(Number(tcpMB) / r.qemuS, 1)} MiB/s`);
  }
  for (const r of rows.filter((x) => x.name.startsWith('ping-pong'))) {
    console.log(`ping-pong: elfuse ${fmt((r.elfuseS / Number(pingpongN)) * 1e6, 1)} µs per pass, qemu ${fmt((r.qemuS / Number(pingpongN)) * 1e6, 1)} µs (start-up included)`);
  }
  if (rows.some((r) => r.name.startsWith('start-up'))) {
    const bare = Array.from({ length: runs }, () => timedRun([process.execPath, '-e', '0'], process.env));
    const wall = median(bare.map((r) => r.wall));
    const cpu = median(bare.map((r) => r.cpu));
    console.log(`bare node (node -e 0): ${fmt(wall, 3)} s, CPU ${fmt(cpu, 3)} s; start-up goal: at most 1.5x that`);
    for (const r of rows.filter((x) => x.name.startsWith('start-up'))) {
      console.log(`  ${r.name}: ${fmt(r.elfuseS / wall, 1)}x bare node's wall time, ${fmt(r.elfuseCpu / cpu, 1)}x its CPU time`);
    }
  }
}

await main();
