/**
 * E2E harness: runs a command with argv, stdin bytes, environment and cwd,
 * and captures stdout/stderr as Buffers and the exit status the way a shell
 * reports it (killed by signal N -> 128+N). runElfuse and runQemu run the
 * same guest under elfuse (interp backend) and under the reference
 * qemu-aarch64, so tests can compare the two byte for byte.
 *
 * Overrides, for checking the harness itself:
 *   ELFUSE_E2E_UNDER_TEST=qemu  runElfuse runs qemu-aarch64 instead, so the
 *                               differential tests must all pass trivially;
 *   ELFUSE_E2E_CLI=path         the script run by node instead of the dist/elfuse
 *                               launcher (which starts the startup snapshot).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { constants } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, type TestContext } from 'vitest';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const GUEST_BIN = join(ROOT, 'guests/bin');
export const BUSYBOX = join(ROOT, '.cache/arm64/busybox-static/bin/busybox');
export const QEMU = 'qemu-aarch64';
export const ELFUSE_CLI = process.env.ELFUSE_E2E_CLI ?? join(ROOT, 'bin/elfuse.js');
/** elfuse as a user starts it: the dist/elfuse command (the startup snapshot once built), or `node ELFUSE_E2E_CLI`. */
export const ELFUSE_COMMAND: readonly string[] = process.env.ELFUSE_E2E_CLI ? [process.execPath, process.env.ELFUSE_E2E_CLI] : [join(ROOT, 'dist/elfuse')];

/** Heavier cases (bigger files, longer loops) run only when this is set, as in CI. */
export const FULL = process.env.ELFUSE_FULL === '1';

export interface RunOptions {
  /** Bytes for the child's stdin; without it stdin is empty (not inherited: CI has none). */
  input?: string | Buffer;
  /** Added to a small fixed base environment; the host's own variables are not passed. */
  env?: Record<string, string>;
  cwd?: string;
  /** Killed with SIGKILL after this long; the result then has timedOut set. */
  timeoutMs?: number;
}

export interface RunResult {
  stdout: Buffer;
  stderr: Buffer;
  /** Exit code, or 128+N when killed by signal N (as bash's $?). */
  status: number;
  timedOut: boolean;
}

/** The environment every guest sees, so the two runs differ only in the runner. */
const BASE_ENV: Record<string, string> = { PATH: '/usr/bin:/bin', LC_ALL: 'C', HOME: '/' };

const DEFAULT_TIMEOUT_MS = 45_000;

export function guest(name: string): string {
  return join(GUEST_BIN, name);
}

export function run(command: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, {
      cwd: opts.cwd ?? ROOT,
      env: { ...BASE_ENV, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);

    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    // A child that exits without reading its stdin makes the write fail with EPIPE: not our error.
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolveRun({
        stdout: Buffer.concat(stdout),
        stderr: Buffer.concat(stderr),
        status: code ?? 128 + signalNumber(signal),
        timedOut,
      });
    });
  });
}

function signalNumber(signal: NodeJS.Signals | null): number {
  if (signal === null) return 0;
  return constants.signals[signal] ?? 0;
}

/** `dist/elfuse --backend interp ARGS...` */
export function runElfuse(args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  if (process.env.ELFUSE_E2E_UNDER_TEST === 'qemu') return runQemu(args, opts);
  const [cmd = '', ...rest] = ELFUSE_COMMAND;
  return run(cmd, [...rest, '--backend', 'interp', ...args], opts);
}

/** Node's own report of the elfuse process's peak RSS, printed on stderr as it exits. */
const RSS_HOOK = "process.on('exit', () => process.stderr.write(`elfuse-maxrss-kb: ${process.resourceUsage().maxRSS}\\n`));";

/** runElfuse, plus the elfuse process's peak RSS in MiB (the report is taken out of stderr). */
export async function runElfuseMeasured(args: readonly string[], opts: RunOptions = {}): Promise<RunResult & { rssMiB: number }> {
  const r = await run(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(RSS_HOOK)}`, ELFUSE_CLI, '--backend', 'interp', ...args], opts);
  const text = r.stderr.toString('latin1');
  const m = /elfuse-maxrss-kb: (\d+)\n/.exec(text);
  return { ...r, stderr: Buffer.from(text.replace(/elfuse-maxrss-kb: \d+\n/, ''), 'latin1'), rssMiB: m ? Number(m[1]) / 1024 : NaN };
}

/** `qemu-aarch64 ARGS...` (the reference). */
export function runQemu(args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return run(QEMU, args, opts);
}

/** scripts/qemu-binfmt.sh: binfmt_misc entries for guests that exec other programs. */
export const QEMU_BINFMT = join(ROOT, 'scripts/qemu-binfmt.sh');

/**
 * `qemu-aarch64 ARGS...` where the guest's execs of aarch64 files (a shell
 * running applets) run under qemu-aarch64 too, through binfmt_misc.
 * /bin/bash by its path: opts.env's PATH is often a directory of guest links.
 */
export function runQemuExec(args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const [cmd = '', ...rest] = qemuExecArgv(args);
  return run(cmd, rest, opts);
}

export function qemuExecArgv(args: readonly string[]): string[] {
  return ['/bin/bash', QEMU_BINFMT, 'qemu', ...args];
}

/**
 * `dist/elfuse --backend interp ARGS...` under the binfmt tripwire:
 * should elfuse ever ask the host kernel to exec an aarch64 file, that exec
 * fails with status 126 and a line is appended to `guardLog`.
 */
export function runElfuseGuarded(guardLog: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const [cmd = '', ...rest] = elfuseGuardedArgv(guardLog, args);
  return run(cmd, rest, opts);
}

/** The command line of runElfuseGuarded (qemu's under ELFUSE_E2E_UNDER_TEST=qemu). */
export function elfuseGuardedArgv(guardLog: string, args: readonly string[]): string[] {
  if (process.env.ELFUSE_E2E_UNDER_TEST === 'qemu') return qemuExecArgv(args);
  return ['/bin/bash', QEMU_BINFMT, 'guard', guardLog, ...ELFUSE_COMMAND, '--backend', 'interp', ...args];
}

/** Runs the same guest command line under both and returns both results. */
export async function runBoth(args: readonly string[], opts: RunOptions = {}): Promise<{ elfuse: RunResult; qemu: RunResult }> {
  const [elfuse, qemu] = await Promise.all([runElfuse(args, opts), runQemu(args, opts)]);
  return { elfuse, qemu };
}

export interface CompareOptions {
  /** Also require identical stderr (only where the guest's stderr is deterministic). */
  stderr?: boolean;
}

/**
 * Asserts byte-identical stdout and equal exit status. latin1 maps each byte
 * to one character, so string equality is byte equality with readable diffs.
 * elfuse's stderr goes into the message because it explains most failures.
 */
export function expectSameRun(elfuse: RunResult, qemu: RunResult, opts: CompareOptions = {}): void {
  const why = `elfuse stderr:\n${elfuse.stderr.toString('utf8').slice(0, 2000)}`;
  expect(qemu.timedOut, 'qemu-aarch64 timed out').toBe(false);
  expect(elfuse.timedOut, `elfuse timed out\n${why}`).toBe(false);
  expect(elfuse.stdout.toString('latin1'), `stdout differs\n${why}`).toBe(qemu.stdout.toString('latin1'));
  if (opts.stderr) expect(elfuse.stderr.toString('latin1'), 'stderr differs').toBe(qemu.stderr.toString('latin1'));
  expect(elfuse.status, `exit status differs\n${why}`).toBe(qemu.status);
}

export interface Reference {
  path: string;
  /** What to run to get it. */
  fix: string;
}

export const QEMU_REF: Reference = {
  path: '/usr/bin/qemu-aarch64',
  fix: 'apt-get install qemu-user (bash .ci/run installs everything)',
};
export const BUSYBOX_REF: Reference = { path: BUSYBOX, fix: 'bash scripts/fetch-arm64-debs.sh' };
export const GUESTS_REF: Reference = { path: guest('tight-loop'), fix: 'bash scripts/build-guests.sh' };

/** What is missing among the references, as one message, or undefined. */
export function missingReferences(refs: readonly Reference[]): string | undefined {
  const missing = refs.filter((ref) => !existsSync(ref.path));
  if (missing.length === 0) return undefined;
  return missing.map((ref) => `missing ${ref.path}: run ${ref.fix}`).join('; ');
}

/**
 * Reference programs are required: a missing one fails the test with the
 * command that provides it, unless ELFUSE_ALLOW_MISSING_REFS=1 turns that
 * into a skip carrying the same reason.
 */
export function requireReferences(ctx: TestContext, refs: readonly Reference[]): void {
  const missing = missingReferences(refs);
  if (missing === undefined) return;
  if (process.env.ELFUSE_ALLOW_MISSING_REFS === '1') ctx.skip(missing);
  throw new Error(missing);
}

/**
 * The binfmt reference (runQemuExec) must work: qemu-binfmt.sh check says
 * which mode it is in, or what is missing, which fails the test like a
 * missing reference program.
 */
export function requireQemuExec(ctx: TestContext): 'private' | 'system' {
  requireReferences(ctx, [QEMU_REF]);
  const r = spawnSync('/bin/bash', [QEMU_BINFMT, 'check'], { encoding: 'utf8' });
  const mode = r.stdout.trim();
  if (r.status === 0 && (mode === 'private' || mode === 'system')) return mode;
  const why = `qemu-aarch64 cannot run a guest's execs: ${r.stderr.trim() || `qemu-binfmt.sh check exited ${r.status}`}`;
  if (process.env.ELFUSE_ALLOW_MISSING_REFS === '1') ctx.skip(why);
  throw new Error(why);
}

export function readElfuseVersion(): string {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}
