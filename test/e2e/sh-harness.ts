/**
 * Runs the busybox sh cases (sh-cases.ts) in a fixed place: one temporary
 * root per test file holding bin/ (a link named after every busybox applet,
 * pointing at the arm64 busybox; it is the whole PATH) and w/ (the working
 * directory, emptied and refilled with the case's files before every run).
 * Runs of one case happen one after another in the same w/, so paths in the
 * output are the same for every runner.
 *
 * Runners: qemu-aarch64 with its binfmt entry (the reference), elfuse under
 * the binfmt tripwire, and, for checking the hand-written expectations only,
 * a native busybox of the same version (ELFUSE_SH_NATIVE_BUSYBOX).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { BUSYBOX, QEMU_BINFMT, run, runElfuseGuarded, runQemuExec, type RunResult } from './helpers.js';
import type { ShCase } from './sh-cases.js';

export interface ShRoot {
  root: string;
  bin: string;
  work: string;
  /** Where the elfuse runs' tripwire logs a host exec of an aarch64 file. */
  guardLog: string;
  /** The busybox the links point at. */
  busybox: string;
}

export type ShRunner = 'qemu' | 'elfuse' | 'native';

/**
 * Makes the root. The applet list comes from `busybox --list` run the way
 * the links will be used (under qemu-aarch64, or natively).
 */
export function makeShRoot(busybox = BUSYBOX, native = false): ShRoot {
  const root = mkdtempSync(join(tmpdir(), 'elfuse-sh-'));
  const bin = join(root, 'bin');
  mkdirSync(bin);
  const list = native
    ? spawnSync(busybox, ['--list'], { encoding: 'utf8' })
    : spawnSync('/bin/bash', [QEMU_BINFMT, 'qemu', busybox, '--list'], { encoding: 'utf8' });
  if (list.status !== 0) throw new Error(`busybox --list failed: ${list.stderr}`);
  const applets = list.stdout.split('\n').filter((a) => /^[\w.[-]+$/.test(a));
  if (!applets.includes('sh')) throw new Error(`busybox --list has no sh: ${list.stdout.slice(0, 200)}`);
  for (const applet of applets) symlinkSync(busybox, join(bin, applet));
  return { root, bin, work: join(root, 'w'), guardLog: join(root, 'guard.log'), busybox };
}

export function removeShRoot(r: ShRoot | undefined): void {
  if (r) rmSync(r.root, { recursive: true, force: true });
}

/** @BIN@ and @W@ in a case's texts and expectations. */
export function expand(text: string, r: ShRoot): string {
  return text.replaceAll('@BIN@', r.bin).replaceAll('@W@', r.work);
}

/** The environment of every run: the applet directory is the whole PATH. */
export function shEnv(r: ShRoot): Record<string, string> {
  return { PATH: r.bin, LC_ALL: 'C', HOME: r.work };
}

function resetWork(c: ShCase, r: ShRoot): void {
  rmSync(r.work, { recursive: true, force: true });
  mkdirSync(r.work);
  for (const [name, file] of Object.entries(c.files ?? {})) {
    const path = join(r.work, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, expand(file.text, r));
    chmodSync(path, file.mode ?? 0o644);
  }
}

export function caseArgv(c: ShCase, r: ShRoot): string[] {
  if (c.argv) return c.argv.map((a) => expand(a, r));
  if (c.script === undefined) throw new Error(`case ${c.name} has neither argv nor script`);
  return ['sh', '-c', expand(c.script, r)];
}

/** One run of a case in a fresh w/. */
export async function runShCase(runner: ShRunner, c: ShCase, r: ShRoot, timeoutMs = 60_000): Promise<RunResult> {
  resetWork(c, r);
  const args = [r.busybox, ...caseArgv(c, r)];
  const opts = { cwd: r.work, env: shEnv(r), input: c.input ?? '', timeoutMs };
  switch (runner) {
    case 'qemu':
      return runQemuExec(args, opts);
    case 'elfuse':
      return runElfuseGuarded(r.guardLog, args, opts);
    case 'native':
      return run(args[0] ?? '', args.slice(1), opts);
  }
}
