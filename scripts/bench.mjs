#!/usr/bin/env node
// bench.mjs: compares elfuse (interp backend) with qemu-aarch64 on these
// workloads and prints one table row each:
//   tight-loop   our CPU-bound fixture, fixed iteration count
//   cpubench     our integer + floating-point mix (guests/src/cpubench.c, -O2)
//   sha256sum    Debian busybox-static hashing a 20 MB pseudo-random file
//   gzip -c      Debian busybox-static compressing the same file
//   map-count    30,000 mprotects of alternate pages of one mapping (60,000
//                VMAs) and 60,000 one-page mappings of alternating protection
//                (guests/src/map-count.c): the cost of mm calls with many VMAs
//   dd bs=1      Debian busybox-static copying /dev/zero to /dev/null a byte
//                at a time: two system calls per byte, the syscall path
// and three multi-process workloads of busybox sh, PATH a directory of
// busybox applet links, qemu-aarch64 running the shell's execs through its
// binfmt_misc entry (scripts/qemu-binfmt.sh):
//   fork+exec    200 fork+exec+wait of `true` by its path (goal: within 5x of qemu)
//   pipeline     a 5-stage pipeline over the 20 MB file
//   script       a script of 500 mixed commands (builtins, applets run in
//                the shell, fork+exec, pipelines, $(...), redirections)
// Their peak RSS is that of the whole process tree, for elfuse and for qemu:
// the sum of VmRSS over the runner and all its descendants, sampled from /proc
// every 20 ms in a separate run (shared pages count once per process, and a
// process shorter than a sample can be missed; this machine's cgroup v1 has
// no memory.peak). An elfuse run that fails where qemu's succeeds because a
// syscall is missing shows "not supported yet" instead of times.
// Wall time is the best of 3 runs (hyperfine when installed); CPU time
// (user + system) is the mean over the same runs, which is the fairer
// figure on a loaded machine. A separate run
// of elfuse measures its peak RSS (/usr/bin/time -v, else an in-process exit
// hook) and, with ELFUSE_STATS=1, the guest instruction count it reports on
// stderr as "elfuse-stats: instructions=<N> seconds=<S>"; that run's stdout
// is also checked against qemu's.
//
// Knobs: ELFUSE_BENCH_RUNS (3), ELFUSE_BENCH_LOOP_N (20000000),
//        ELFUSE_BENCH_FILE_MB (20), ELFUSE_BENCH_CPU_SCALE (1),
//        ELFUSE_BENCH_DD_N (200000),
//        ELFUSE_BENCH_CLI (see below), ELFUSE_BENCH_ONLY=sh|cpu (only the
//        multi-process rows, or only the others).
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.env.ELFUSE_BENCH_RUNS ?? 3);
const loopN = process.env.ELFUSE_BENCH_LOOP_N ?? '20000000';
const fileMB = Number(process.env.ELFUSE_BENCH_FILE_MB ?? 20);
const cpuScale = process.env.ELFUSE_BENCH_CPU_SCALE ?? '1';
const ddBytes = process.env.ELFUSE_BENCH_DD_N ?? '200000';
const only = process.env.ELFUSE_BENCH_ONLY ?? '';
// ELFUSE_BENCH_CLI: another script in place of bin/elfuse.js (to check this script itself).
const elfuseCli = process.env.ELFUSE_BENCH_CLI ?? join(root, 'bin/elfuse.js');
const busybox = join(root, '.cache/arm64/busybox-static/bin/busybox');
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

// By its path: a workload's PATH may hold only guest programs.
const hyperfine = spawnSync('sh', ['-c', 'command -v hyperfine'], { encoding: 'utf8' }).stdout.trim();

const elfuseCmd = (args) => [process.execPath, elfuseCli, '--backend', 'interp', '--timeout', '0', ...args];
const qemuCmd = (args) => ['qemu-aarch64', ...args];

const shellQuote = (s) => `'${s.replaceAll("'", "'\\''")}'`;

/** Best wall time and mean CPU time (user + system), in seconds, over `runs` runs. */
function bestTime(argv, opts = {}) {
  if (hyperfine) {
    const dir = mkdtempSync(join(tmpdir(), 'elfuse-bench-'));
    const json = join(dir, 'out.json');
    const r = spawnSync(hyperfine, ['-N', '--style', 'none', '--runs', String(runs), '--export-json', json, argv.map(shellQuote).join(' ')], {
      stdio: ['ignore', 'ignore', 'inherit'],
      ...opts,
    });
    const res = r.status === 0 ? JSON.parse(readFileSync(json, 'utf8')).results[0] : null;
    rmSync(dir, { recursive: true, force: true });
    return res ? { wall: res.min, cpu: res.user + res.system } : { wall: NaN, cpu: NaN };
  }
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const r = spawnSync(argv[0], argv.slice(1), { stdio: 'ignore', ...opts });
    if (r.status !== 0) return { wall: NaN, cpu: NaN };
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e9);
  }
  // Without hyperfine there is no per-child CPU time: report none rather than a guess.
  return { wall: best, cpu: NaN };
}

/** One elfuse run with ELFUSE_STATS=1: stdout, peak RSS in MB, guest instructions per second. */
function measureElfuse(args) {
  const env = { ...process.env, ELFUSE_STATS: '1' };
  const useTime = existsSync('/usr/bin/time');
  const argv = useTime
    ? ['/usr/bin/time', '-v', ...elfuseCmd(args)]
    : [process.execPath, '--import', `data:text/javascript,${encodeURIComponent(RSS_HOOK)}`, ...elfuseCmd(args).slice(1)];
  const r = spawnSync(argv[0], argv.slice(1), { env, maxBuffer: 1 << 28 });
  const stderr = r.stderr.toString();
  const rssKb = useTime ? stderr.match(/Maximum resident set size \(kbytes\): (\d+)/) : stderr.match(/elfuse-maxrss-kb: (\d+)/);
  const stats = stderr.match(/elfuse-stats: instructions=(\d+) seconds=([\d.eE+-]+)/);
  return {
    status: r.status,
    stdout: r.stdout,
    stderr,
    rssMB: rssKb ? Number(rssKb[1]) / 1024 : NaN,
    ips: stats ? Number(stats[1]) / Number(stats[2]) : NaN,
  };
}

// Node reports maxRSS in kilobytes; the hook runs inside the elfuse process itself.
const RSS_HOOK = "process.on('exit', () => process.stderr.write(`elfuse-maxrss-kb: ${process.resourceUsage().maxRSS}\\n`));";

function bench(name, args) {
  const reference = spawnSync('qemu-aarch64', args, { maxBuffer: 1 << 28 });
  const m = measureElfuse(args);
  const same = m.status === reference.status && Buffer.compare(m.stdout, reference.stdout) === 0;
  if (!same) {
    const hint = m.stderr.trim().split('\n').slice(-3).join(' / ');
    console.error(`bench: ${name}: elfuse output differs from qemu-aarch64 (status ${m.status}): ${hint}`);
  }
  const e = same ? bestTime(elfuseCmd(args)) : { wall: NaN, cpu: NaN };
  const q = bestTime(qemuCmd(args));
  return {
    name,
    elfuseS: e.wall,
    qemuS: q.wall,
    ratio: e.wall / q.wall,
    cpuRatio: e.cpu / q.cpu,
    rssMB: m.rssMB,
    qemuRssMB: NaN,
    ips: m.ips,
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
  const r = spawnSync(process.execPath, [elfuseCli, '--verbose', ...elfuseCmd(args).slice(2)], { ...opts, maxBuffer: 1 << 28 });
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
  const et = same ? bestTime(elfuseCmd(args), opts) : { wall: NaN, cpu: NaN };
  const qt = q.status === 0 ? bestTime(qemuArgv, opts) : { wall: NaN, cpu: NaN };
  return {
    name,
    elfuseS: et.wall,
    qemuS: qt.wall,
    ratio: et.wall / qt.wall,
    cpuRatio: et.cpu / qt.cpu,
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
  const header = ['workload', 'elfuse s', 'qemu s', 'ratio', 'CPU-time ratio', 'elfuse peak RSS MB', 'qemu peak RSS MB', 'guest MIPS', 'output'];
  const body = rows.map((r) => [
    r.name,
    fmt(r.elfuseS, 3),
    fmt(r.qemuS, 3),
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
  if (!process.env.ELFUSE_BENCH_CLI && !existsSync(join(root, 'dist/app/cli.js'))) {
    console.error('bench: dist/app/cli.js missing: run npm run build (npm run bench does)');
    process.exit(1);
  }
  if (!hasCommand('qemu-aarch64')) {
    console.error('bench: qemu-aarch64 missing: apt-get install qemu-user');
    process.exit(1);
  }
  const rows = [];
  if (only !== 'sh') {
    rows.push(bench(`tight-loop N=${loopN}`, [join(root, 'guests/bin/tight-loop'), loopN]));
    rows.push(bench(`cpubench scale ${cpuScale}`, [join(root, 'guests/bin/cpubench'), cpuScale]));
    rows.push(bench('map-count mprotect 30000 (60,000 VMAs)', [join(root, 'guests/bin/map-count'), 'mprotect', '30000']));
    rows.push(bench('map-count mmap 60000', [join(root, 'guests/bin/map-count'), 'mmap', '60000']));
  }
  if (only === 'sh') {
    // the single-process rows are left out
  } else if (existsSync(busybox)) {
    const file = randomFile();
    rows.push(bench(`busybox sha256sum ${fileMB} MB`, [busybox, 'sha256sum', file]));
    rows.push(bench(`busybox gzip -c ${fileMB} MB`, [busybox, 'gzip', '-c', file]));
    rows.push(bench(`busybox dd bs=1 count=${ddBytes}`, [busybox, 'dd', 'if=/dev/zero', 'of=/dev/null', 'bs=1', `count=${ddBytes}`]));
  } else {
    console.error('bench: busybox missing, sha256sum skipped: run bash scripts/fetch-arm64-debs.sh');
  }
  if (existsSync(busybox) && only !== 'cpu') rows.push(...(await processBenches()));
  console.log(`best of ${runs} runs${hyperfine ? ' (hyperfine)' : ''}; RSS and MIPS from one ELFUSE_STATS=1 run`);
  console.log('sh rows: peak RSS of the whole process tree (sum of VmRSS, sampled from /proc every 20 ms); qemu runs its execs through binfmt_misc');
  printTable(rows);
}

await main();
