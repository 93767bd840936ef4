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
// Each workload runs ELFUSE_BENCH_RUNS times under elfuse and under qemu,
// alternately (elfuse, qemu, elfuse, qemu...), so both see the same load on
// a busy machine. Every run is timed by /usr/bin/time: wall time, CPU time
// (user + system) and peak RSS. The table gives medians; the ratio that
// counts is the CPU-time ratio of the medians (the fairer figure when other
// processes compete for the cores), and qemu's own spread (min-max CPU time
// over its runs) says how noisy the run was. elfuse runs with
// ELFUSE_STATS=1, which reports the guest instructions it retired (guest
// MIPS); the first run's stdout and status must equal qemu's.
//
// Knobs: ELFUSE_BENCH_RUNS (5), ELFUSE_BENCH_LOOP_N (20000000),
//        ELFUSE_BENCH_FILE_MB (20), ELFUSE_BENCH_CPU_SCALE (1),
//        ELFUSE_BENCH_DD_N (200000), ELFUSE_BENCH_ONLY (comma-separated
//        workload name prefixes, e.g. "sha256,gzip"), ELFUSE_BENCH_QEMU=0
//        (elfuse alone), ELFUSE_BENCH_CLI (see below).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.env.ELFUSE_BENCH_RUNS ?? 5);
const loopN = process.env.ELFUSE_BENCH_LOOP_N ?? '20000000';
const fileMB = Number(process.env.ELFUSE_BENCH_FILE_MB ?? 20);
const cpuScale = process.env.ELFUSE_BENCH_CPU_SCALE ?? '1';
const ddBytes = process.env.ELFUSE_BENCH_DD_N ?? '200000';
const only = process.env.ELFUSE_BENCH_ONLY?.split(',').filter(Boolean);
const withQemu = process.env.ELFUSE_BENCH_QEMU !== '0';
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

const elfuseCmd = (args) => [process.execPath, elfuseCli, '--backend', 'interp', ...args];
const qemuCmd = (args) => ['qemu-aarch64', ...args];

/** One timed run: wall, user+sys CPU seconds and peak RSS from /usr/bin/time; stdout, stderr and status. */
function timedRun(argv, env) {
  const dir = mkdtempSync(join(tmpdir(), 'elfuse-bench-'));
  const out = join(dir, 'time');
  const r = spawnSync('/usr/bin/time', ['-o', out, '-f', '%e %U %S %M', ...argv], { env, maxBuffer: 1 << 28 });
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

function bench(name, args) {
  const env = { ...process.env, ELFUSE_STATS: '1' };
  const e = [];
  const q = [];
  let same = true;
  for (let i = 0; i < runs && same; i++) {
    const er = timedRun(elfuseCmd(args), env);
    const qr = withQemu ? timedRun(qemuCmd(args), process.env) : null;
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
    ips: median(e.map((r) => r.ips)),
    same,
  };
}

function fmt(v, digits) {
  return Number.isFinite(v) ? v.toFixed(digits) : 'n/a';
}

function printTable(rows) {
  const header = ['workload', 'elfuse s', 'elfuse CPU s', 'qemu s', 'qemu CPU s', 'qemu CPU spread', 'ratio', 'CPU-time ratio', 'elfuse peak RSS MB', 'guest MIPS', 'output'];
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
    fmt(r.ips / 1e6, 1),
    r.same ? 'same' : 'DIFFERS',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of body) console.log(line(row));
}

function main() {
  if (spawnSync('bash', [join(root, 'scripts/build-guests.sh')], { stdio: 'inherit' }).status !== 0) process.exit(1);
  if (!process.env.ELFUSE_BENCH_CLI && !existsSync(join(root, 'dist/app/cli.js'))) {
    console.error('bench: dist/app/cli.js missing: run npm run build (npm run bench does)');
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
    [`tight-loop N=${loopN}`, () => [join(root, 'guests/bin/tight-loop'), loopN]],
    [`cpubench scale ${cpuScale}`, () => [join(root, 'guests/bin/cpubench'), cpuScale]],
    ['map-count mprotect 30000 (60,000 VMAs)', () => [join(root, 'guests/bin/map-count'), 'mprotect', '30000']],
    ['map-count mmap 60000', () => [join(root, 'guests/bin/map-count'), 'mmap', '60000']],
  ];
  if (existsSync(busybox)) {
    workloads.push([`busybox sha256sum ${fileMB} MB`, () => [busybox, 'sha256sum', randomFile()]]);
    workloads.push([`busybox gzip -c ${fileMB} MB`, () => [busybox, 'gzip', '-c', randomFile()]]);
    workloads.push([`busybox dd bs=1 count=${ddBytes}`, () => [busybox, 'dd', 'if=/dev/zero', 'of=/dev/null', 'bs=1', `count=${ddBytes}`]]);
  } else {
    console.error('bench: busybox missing, its rows skipped: run bash scripts/fetch-arm64-debs.sh');
  }
  const chosen = workloads.filter(([name]) => !only || only.some((p) => name.startsWith(p) || name.startsWith(`busybox ${p}`)));
  const rows = chosen.map(([name, args]) => bench(name, args()));
  console.log(`medians of ${runs} runs each, elfuse and qemu alternating; CPU time = user + system; RSS = the highest peak of the elfuse runs`);
  printTable(rows);
}

main();
