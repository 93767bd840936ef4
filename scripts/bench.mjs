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
//        ELFUSE_BENCH_CLI (see below).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.env.ELFUSE_BENCH_RUNS ?? 3);
const loopN = process.env.ELFUSE_BENCH_LOOP_N ?? '20000000';
const fileMB = Number(process.env.ELFUSE_BENCH_FILE_MB ?? 20);
const cpuScale = process.env.ELFUSE_BENCH_CPU_SCALE ?? '1';
const ddBytes = process.env.ELFUSE_BENCH_DD_N ?? '200000';
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

const elfuseCmd = (args) => [process.execPath, elfuseCli, '--backend', 'interp', '--timeout', '0', ...args];
const qemuCmd = (args) => ['qemu-aarch64', ...args];

const shellQuote = (s) => `'${s.replaceAll("'", "'\\''")}'`;

/** Best wall time and mean CPU time (user + system), in seconds, over `runs` runs. */
function bestTime(argv) {
  if (hasCommand('hyperfine')) {
    const dir = mkdtempSync(join(tmpdir(), 'elfuse-bench-'));
    const json = join(dir, 'out.json');
    const r = spawnSync('hyperfine', ['-N', '--style', 'none', '--runs', String(runs), '--export-json', json, argv.map(shellQuote).join(' ')], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const res = r.status === 0 ? JSON.parse(readFileSync(json, 'utf8')).results[0] : null;
    rmSync(dir, { recursive: true, force: true });
    return res ? { wall: res.min, cpu: res.user + res.system } : { wall: NaN, cpu: NaN };
  }
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const r = spawnSync(argv[0], argv.slice(1), { stdio: 'ignore' });
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
    ips: m.ips,
    same,
  };
}

function fmt(v, digits) {
  return Number.isFinite(v) ? v.toFixed(digits) : 'n/a';
}

function printTable(rows) {
  const header = ['workload', 'elfuse s', 'qemu s', 'ratio', 'CPU-time ratio', 'elfuse peak RSS MB', 'guest MIPS', 'output'];
  const body = rows.map((r) => [
    r.name,
    fmt(r.elfuseS, 3),
    fmt(r.qemuS, 3),
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
  if (!hasCommand('qemu-aarch64')) {
    console.error('bench: qemu-aarch64 missing: apt-get install qemu-user');
    process.exit(1);
  }
  const rows = [
    bench(`tight-loop N=${loopN}`, [join(root, 'guests/bin/tight-loop'), loopN]),
    bench(`cpubench scale ${cpuScale}`, [join(root, 'guests/bin/cpubench'), cpuScale]),
    bench('map-count mprotect 30000 (60,000 VMAs)', [join(root, 'guests/bin/map-count'), 'mprotect', '30000']),
    bench('map-count mmap 60000', [join(root, 'guests/bin/map-count'), 'mmap', '60000']),
  ];
  if (existsSync(busybox)) {
    const file = randomFile();
    rows.push(bench(`busybox sha256sum ${fileMB} MB`, [busybox, 'sha256sum', file]));
    rows.push(bench(`busybox gzip -c ${fileMB} MB`, [busybox, 'gzip', '-c', file]));
    rows.push(bench(`busybox dd bs=1 count=${ddBytes}`, [busybox, 'dd', 'if=/dev/zero', 'of=/dev/null', 'bs=1', `count=${ddBytes}`]));
  } else {
    console.error('bench: busybox missing, sha256sum skipped: run bash scripts/fetch-arm64-debs.sh');
  }
  console.log(`best of ${runs} runs${hasCommand('hyperfine') ? ' (hyperfine)' : ''}; RSS and MIPS from one ELFUSE_STATS=1 run`);
  printTable(rows);
}

main();
