#!/usr/bin/env node
// CPython's own regression tests (Debian's libpython3.11-testsuite, unpacked
// into the sysroot by scripts/make-sysroot.sh) under elfuse and under
// qemu-aarch64 -L on the same sysroot, module by module: every test case's
// outcome (passed, failed, error, skipped) from regrtest's --junit-xml
// report must be the same under both, so the pass/fail counts are too
// (QEMU_WEAK lists the cases where the reference set-up is at fault and a
// native run is the reference).
// .ci/run runs it after the vitest suite: the modules take tens of minutes
// on the interpreter, too long for `npm test`.
//
//   node scripts/cpython-tests.mjs [module...]
//
// Knobs: ELFUSE_CPYTHON_JOBS (2: modules run at once; all of them under qemu
// first, then under elfuse), ELFUSE_CPYTHON_TIMEOUT (seconds per module under elfuse,
// 2400). Prints one line per module (outcome counts, times) and a summary;
// exits 1 when a module differs, times out or does not report.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SYSROOT = join(ROOT, '.cache/sysroot/bookworm-arm64');
const PYTHON = '/usr/bin/python3.11';
const DEFAULT_MODULES = [
  'test_json', 'test_re', 'test_struct', 'test_math', 'test_string', 'test_unicode',
  'test_collections', 'test_itertools', 'test_datetime', 'test_hashlib', 'test_os', 'test_io',
];
const modules = process.argv.length > 2 ? process.argv.slice(2) : DEFAULT_MODULES;
const jobs = Math.max(1, Number(process.env.ELFUSE_CPYTHON_JOBS ?? 2));
const timeoutS = Number(process.env.ELFUSE_CPYTHON_TIMEOUT ?? 2400);

if (!existsSync(join(SYSROOT, 'usr/lib/python3.11/test/test_json/__init__.py'))) {
  console.error('cpython-tests: the sysroot has no CPython test suite: run bash scripts/make-sysroot.sh');
  process.exit(1);
}

/** Run a command in `cwd`, resolving with its wall and CPU seconds (children included) and status. */
function timed(cmd, args, cwd, env, limitS) {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    // /usr/bin/time reports the CPU time of the whole tree (elfuse forks more elfuse processes).
    const child = spawn('/usr/bin/time', ['-f', '%U %S', '-o', join(cwd, 'time.txt'), cmd, ...args], {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (out += b));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, limitS * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      const wall = Number(process.hrtime.bigint() - started) / 1e9;
      let cpu = NaN;
      try {
        const [u, s] = readFileSync(join(cwd, 'time.txt'), 'utf8').trim().split(/\s+/).slice(-2).map(Number);
        cpu = u + s;
      } catch {
        // killed before /usr/bin/time wrote it
      }
      resolve({ code, timedOut, wall, cpu, out });
    });
  });
}

/** Each test case's outcome from a regrtest JUnit report: name -> passed | failure | error | skipped. */
function outcomes(xmlPath) {
  if (!existsSync(xmlPath)) return null;
  const xml = readFileSync(xmlPath, 'utf8');
  const map = new Map();
  const re = /<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g;
  for (const m of xml.matchAll(re)) {
    const name = /\bname="([^"]*)"/.exec(m[1])?.[1] ?? '?';
    const inner = m[3] ?? '';
    const outcome = /<error\b/.test(inner) ? 'error' : /<failure\b/.test(inner) ? 'failure' : /<skipped\b/.test(inner) ? 'skipped' : 'passed';
    // Names repeat (doctests of one module): keep every occurrence.
    let key = name;
    for (let i = 2; map.has(key); i++) key = `${name} #${i}`;
    map.set(key, outcome);
  }
  return map;
}

function counts(map) {
  const c = { passed: 0, failure: 0, error: 0, skipped: 0 };
  for (const v of map.values()) c[v]++;
  return c;
}

const fmt = (c) => `${c.passed} passed, ${c.failure} failed, ${c.error} errors, ${c.skipped} skipped`;

/** Run one module under `tool` ('qemu' or 'elfuse') in a fresh directory: its outcomes, times and status. */
async function runUnder(tool, mod) {
  const dir = mkdtempSync(join(tmpdir(), `elfuse-cpython-${tool}-${mod}-`));
  try {
    const xml = join(dir, 'report.xml');
    const pyArgs = ['-m', 'test', '--junit-xml', xml, mod];
    // Both run the sysroot's python with the same argv; qemu's execs go back to qemu (qemu-binfmt.sh).
    const r = tool === 'qemu'
      ? await timed('bash', [join(ROOT, 'scripts/qemu-binfmt.sh'), 'qemu', '-L', SYSROOT, join(SYSROOT, PYTHON), ...pyArgs], dir,
          { QEMU_LD_PREFIX: SYSROOT }, timeoutS)
      : await timed(process.execPath, [join(ROOT, 'bin/elfuse.js'), '--sysroot', SYSROOT, join(SYSROOT, PYTHON), ...pyArgs], dir,
          {}, timeoutS);
    return { ...r, outcomes: outcomes(xml) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Run `work` over `items` with `jobs` at a time, in order of the list. */
async function pool(items, work) {
  const queue = [...items];
  const out = new Map();
  await Promise.all(
    Array.from({ length: Math.min(jobs, queue.length) }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) out.set(item, await work(item));
    }),
  );
  return out;
}

/**
 * Test cases where the qemu reference is wrong, not the guest: each fails
 * under `qemu-aarch64 -L` for a reason of the reference set-up, and passes
 * when CPython 3.11 runs natively on this machine's kernel as root
 * (`python3 -m test test_os -m test_chown_with_root -m test_listdir -v`).
 * The native outcome is the reference for them: elfuse must pass them.
 */
const QEMU_WEAK = new Map([
  ['test.test_os.ChownFileTests.test_chown_with_root',
    'qemu runs in the user namespace of scripts/qemu-binfmt.sh, where only uid 0 is mapped: chown to another uid is EINVAL'],
  ['test.test_os.Pep383Tests.test_listdir',
    "qemu -L maps os.listdir('/') to the sysroot but not a listdir of the cwd after chdir('/'): the two differ"],
]);

function compare(mod, qemu, elfuse) {
  const problems = [];
  const notes = [];
  const qo = qemu.outcomes;
  const eo = elfuse.outcomes;
  if (elfuse.timedOut) problems.push(`elfuse timed out after ${timeoutS} s`);
  if (qo === null) problems.push(`qemu wrote no report (status ${qemu.code}):\n${qemu.out.slice(-2000)}`);
  if (eo === null && !elfuse.timedOut) problems.push(`elfuse wrote no report (status ${elfuse.code}):\n${elfuse.out.slice(-2000)}`);
  if (qo && eo) {
    let weak = 0;
    for (const [name, outcome] of qo) {
      const mine = eo.get(name);
      const want = QEMU_WEAK.has(name) ? 'passed' : outcome;
      if (mine !== want) problems.push(`${name}: ${want === outcome ? 'qemu' : 'native run'} ${want}, elfuse ${mine ?? 'not run'}`);
      if (want !== outcome) {
        weak++;
        notes.push(`${name}: qemu ${outcome}, native run and elfuse passed (${QEMU_WEAK.get(name)})`);
      }
    }
    for (const name of eo.keys()) if (!qo.has(name)) problems.push(`${name}: elfuse only`);
    // regrtest exits 2 when a test failed: compare the status only where the outcomes agree.
    if (weak === 0 && qemu.code !== elfuse.code) problems.push(`exit status: qemu ${qemu.code}, elfuse ${elfuse.code}`);
  }
  return { mod, qemu, elfuse, qc: qo && counts(qo), ec: eo && counts(eo), problems, notes };
}

// The reference first (a few minutes), then elfuse, each `jobs` modules at a time.
const qemuRuns = await pool(modules, (mod) => runUnder('qemu', mod));
const results = [];
await pool(modules, async (mod) => {
  const r = compare(mod, qemuRuns.get(mod), await runUnder('elfuse', mod));
  results.push(r);
  const head = `${r.problems.length === 0 ? 'same' : 'DIFFERS'} ${mod}:`;
  const qemuPart = r.qc ? `qemu ${fmt(r.qc)} (${r.qemu.wall.toFixed(0)} s, CPU ${r.qemu.cpu.toFixed(0)} s)` : 'qemu: no report';
  const elfusePart = r.ec ? `elfuse ${fmt(r.ec)} (${r.elfuse.wall.toFixed(0)} s, CPU ${r.elfuse.cpu.toFixed(0)} s)` : 'elfuse: no report';
  console.log(`cpython-tests: ${head} ${qemuPart}; ${elfusePart}`);
  for (const n of r.notes) console.log(`  ${n}`);
  for (const p of r.problems.slice(0, 30)) console.log(`  ${p}`);
  if (r.problems.length > 30) console.log(`  ... and ${r.problems.length - 30} more`);
});
const differ = results.filter((r) => r.problems.length > 0).length;
const sum = (f) => results.reduce((a, r) => a + f(r), 0);
console.log(
  `cpython-tests: ${results.length - differ} of ${results.length} modules the same as under qemu-aarch64;` +
    ` elfuse ${sum((r) => r.elfuse.cpu).toFixed(0)} s of CPU against qemu's ${sum((r) => r.qemu.cpu).toFixed(0)} s`,
);
process.exit(differ === 0 ? 0 : 1);
