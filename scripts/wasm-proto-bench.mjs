#!/usr/bin/env node
// wasm-proto-bench.mjs: the WebAssembly prototype against the JS tier on
// the CPU-bound workloads (docs/performance.md, "A WebAssembly tier").
// Runs each workload under scripts/wasm-proto-run.mjs in every mode,
// alternating modes within each round so all see the same load, checks that
// every mode's stdout equals the shipped build's, and prints medians of CPU
// time with the load average. Then one micro run per workload (the hottest
// blocks, both tiers, from the same state). Build first (npm run build).
//
// Knobs: WP_RUNS (5), WP_MODES (base,js,wasm,hybrid,region), WP_ONLY (name prefixes: tight,
//        sha256sum, cpubench, python3; python3 needs scripts/make-sysroot.sh's sysroot),
//        WP_FILE_MB (10), WP_LOOP_N (20000000), WP_MICRO (1: run micro mode)
import { spawnSync } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.env.WP_RUNS ?? 5);
const modes = (process.env.WP_MODES ?? 'base,js,wasm,hybrid,region').split(',');
const fileMB = Number(process.env.WP_FILE_MB ?? 10);
const loopN = process.env.WP_LOOP_N ?? '20000000';
const only = process.env.WP_ONLY ? process.env.WP_ONLY.split(',') : null;

/** The same pseudo-random file as scripts/bench.mjs (same seed and generator). */
function randomFile() {
  const SEED = 0x2545f491;
  const size = fileMB * 1024 * 1024;
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

const busybox = join(root, '.cache/arm64/busybox-static/bin/busybox');
// [name, argv, translated instructions before micro mode measures (well into the hot phase)]
const workloads = [
  [`tight-loop ${loopN}`, [join(root, 'guests/bin/tight-loop'), loopN], 20_000_000],
  [`sha256sum ${fileMB} MB`, [busybox, 'sha256sum', randomFile()], 50_000_000],
  ['cpubench 1', [join(root, 'guests/bin/cpubench'), '1'], 120_000_000],
  // Start-up heavy: about 38M instructions, most of them in blocks run a few thousand times (no micro run).
  ['python3 -c pass', ['--sysroot', join(root, '.cache/sysroot/bookworm-arm64'), '/usr/bin/python3.11', '-c', 'pass'], 0],
].filter(([name]) => !only || only.some((p) => name.startsWith(p)));

function runOnce(mode, argv, microAt = 0) {
  const env = { ...process.env, WP_MICRO_AT: String(microAt) };
  const r = spawnSync(process.execPath, [join(root, 'scripts/wasm-proto-run.mjs'), mode, ...argv], { encoding: 'utf8', maxBuffer: 1 << 26, env });
  const line = r.stderr.split('\n').find((l) => l.startsWith('WASMPROTO '));
  if (!line) throw new Error(`${mode} ${argv.join(' ')}: no result (status ${r.status}): ${r.stderr.slice(-2000)}`);
  return { stdout: r.stdout, status: r.status, ...JSON.parse(line.slice('WASMPROTO '.length)) };
}

const median = (a) => {
  const s = [...a].sort((p, q) => p - q);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const f2 = (v) => v.toFixed(2);

console.log(`# ${new Date().toISOString()}, node ${process.version}, ${runs} runs per mode, load average at start ${loadavg().map(f2).join(' ')}`);
console.log('');
console.log('| workload | mode | CPU s (median) | CPU s (min-max) | wall s | guest MIPS (CPU) | blocks | closures in wasm | translate ms | wasm compile ms | output | load avg |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const [name, argv] of workloads) {
  const res = Object.fromEntries(modes.map((m) => [m, []]));
  const loads = [];
  for (let i = 0; i < runs; i++) {
    for (const m of modes) res[m].push(runOnce(m, argv));
    loads.push(loadavg()[0]);
  }
  const ref = res[modes[0]][0];
  for (const m of modes) {
    const rs = res[m];
    const cpu = rs.map((r) => r.cpuS);
    const same = rs.every((r) => r.stdout === ref.stdout && r.status === ref.status);
    const last = rs[rs.length - 1];
    const tr = m === 'wasm' ? last.wasmTranslateMs : m === 'hybrid' || m === 'region' ? last.translateMs + last.wasmTranslateMs : last.translateMs;
    console.log(
      `| ${name} | ${m} | ${f2(median(cpu))} | ${f2(Math.min(...cpu))}-${f2(Math.max(...cpu))} | ${f2(median(rs.map((r) => r.wallS)))} |` +
        ` ${f2(ref.retired / median(cpu) / 1e6)} | ${last.blocks} (${last.wasmBlocks} wasm${last.regions ? `, ${last.regions} regions` : ''}) | ${last.closures} of ${last.covered + last.closures} |` +
        ` ${f2(tr)} | ${f2(last.wasmCompileMs)} | ${same ? 'same' : 'DIFFERS'} | ${f2(median(loads))} |`,
    );
  }
}

if ((process.env.WP_MICRO ?? '1') === '1') {
  for (const [name, argv, microAt] of workloads) {
    if (microAt === 0) continue;
    const r = runOnce('micro', argv, microAt);
    console.log('');
    console.log(`## hottest blocks: ${name} (load average ${f2(r.loadavg)})`);
    console.log('');
    console.log('| block | insns | self-loop | executions | instr/call | JS ns/call | wasm ns/call | JS ns/insn | wasm ns/insn | JS compile ms | wasm compile ms (translate + compile) | JS source B | wasm B | check |');
    console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
    if (!Array.isArray(r.micro)) {
      console.log(String(r.micro));
      continue;
    }
    for (const b of r.micro) {
      const ns = b.nsPerCall ?? { js: NaN, wasm: NaN };
      const ni = b.nsPerInsn ?? { js: NaN, wasm: NaN };
      console.log(
        `| ${b.va} ${b.names.split(' ').slice(0, 6).join(' ')}${b.insns > 6 ? ' ...' : ''} | ${b.insns} | ${b.selfLoop ? 'yes' : ''} | ${b.calls} | ${b.instrPerCall ?? ''} |` +
          ` ${f2(ns.js)} | ${f2(ns.wasm)} | ${f2(ni.js)} | ${f2(ni.wasm)} | ${f2(b.jsCompileMs)} | ${f2(b.wasmTranslateMs)} + ${f2(b.wasmCompileMs)} | ${b.jsSourceBytes} | ${b.wasmBytes} | ${b.check} |`,
      );
    }
  }
}
