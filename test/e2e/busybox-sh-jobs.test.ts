/**
 * Interactive job control on a real terminal: `busybox sh -i` in a tmux pane
 * (80x24), under qemu-aarch64 with its binfmt entry and under elfuse (under
 * the binfmt tripwire), one after the other in the same directory, with
 * PS1='$ ' from an ENV file (ash's default prompt shows the directory). The session: start `sleep 100`,
 * Ctrl-Z, `jobs`, `bg`, `jobs`, `fg`, Ctrl-C, `echo $?`, `jobs`, then `exit`.
 *
 * Each key waits for the state it needs rather than for time: Ctrl-Z and
 * Ctrl-C are sent only once the terminal's foreground process group is the
 * job's (tcgetpgrp, through ps), other input once the prompt is back. The
 * screens before `exit` must be equal, and equal to the transcript below, which is
 * what the same busybox version built for amd64 shows natively on Linux
 * (qemu-user forwards job-control signals itself, so it is checked against
 * the real kernel here). The shell's exit status must be 0 for both.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { BUSYBOX, BUSYBOX_REF, elfuseGuardedArgv, qemuExecArgv, requireQemuExec, requireReferences, type Reference } from './helpers.js';
import { makeShRoot, removeShRoot, type ShRoot } from './sh-harness.js';
import { TmuxSession } from './tmux.js';

const TMUX_REF: Reference = { path: '/usr/bin/tmux', fix: 'apt-get install tmux (bash .ci/run installs it)' };
const COLS = 80;
const ROWS = 24;

/** The screen after the session, from its first prompt on (the banner above it is compared too, not spelled out). */
const TRANSCRIPT = [
  '$ sleep 100',
  '^Z[1]+  Stopped                    sleep 100',
  '$ jobs',
  '[1]+  Stopped                    sleep 100',
  '$ bg',
  '[1] sleep 100',
  '$ jobs',
  '[1]+  Running                    sleep 100',
  '$ fg',
  'sleep 100',
  '^C',
  '$ echo $?',
  '130',
  '$ jobs',
  '$',
];

let r: ShRoot | undefined;
afterAll(() => removeShRoot(r));

interface JobsRun {
  screen: string[];
  status: number;
}

async function session(name: string, argv: (rt: ShRoot) => string[]): Promise<JobsRun> {
  r ??= makeShRoot();
  const rt = r;
  rmSync(rt.work, { recursive: true, force: true });
  mkdirSync(rt.work);
  // env sets the guest's PATH inside the pane: the tmux server itself needs the host's.
  const envFile = join(rt.root, 'shrc');
  writeFileSync(envFile, "PS1='$ '\n");
  const t = new TmuxSession(['env', `PATH=${rt.bin}`, `HOME=${rt.work}`, `ENV=${envFile}`, ...argv(rt), BUSYBOX, 'sh', '-i'], { cols: COLS, rows: ROWS, cwd: rt.work });
  try {
    const lines = (): string[] => t.screen().filter((l) => l !== '');
    const last = (): string => lines().at(-1) ?? '';
    const prompt = (): boolean => last() === '$';
    /** Types a command line; done when the prompt is back `more` non-empty lines further down. */
    const type = async (text: string, more: number): Promise<void> => {
      const before = lines().length;
      t.sendKeys(text);
      t.sendKeys('Enter', false);
      await t.waitFor(`${text} to finish`, () => prompt() && lines().length === before + more, 120_000);
    };
    await t.waitFor('the first prompt', prompt, 120_000);
    const shellPgrp = t.foregroundPgrp();

    t.sendKeys('sleep 100');
    t.sendKeys('Enter', false);
    let jobPgrp = 0;
    await t.waitFor('sleep to be the foreground job', () => (jobPgrp = t.foregroundPgrp()) !== shellPgrp, 120_000);
    t.sendKeys('C-z', false);
    await t.waitFor('Ctrl-Z to stop sleep', () => prompt() && lines().some((l) => l.includes('Stopped')), 120_000);
    expect(t.foregroundPgrp(), 'the shell is in the foreground again').toBe(shellPgrp);

    await type('jobs', 2);
    await type('bg', 2);
    await type('jobs', 2);

    t.sendKeys('fg');
    t.sendKeys('Enter', false);
    await t.waitFor('fg to give sleep the terminal', () => t.foregroundPgrp() === jobPgrp && last() === 'sleep 100', 120_000);
    t.sendKeys('C-c', false);
    await t.waitFor('Ctrl-C to end sleep', () => prompt() && last() !== 'sleep 100', 120_000);

    await type('echo $?', 2);
    await type('jobs', 1);
    // The screen before `exit`: once the pane is dead tmux writes a line with the time.
    const screen = t.screen();
    t.sendKeys('exit');
    t.sendKeys('Enter', false);
    const status = await t.waitExit(120_000);
    return { screen, status };
  } catch (e) {
    throw new Error(`${name}: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    t.kill();
  }
}

describe('busybox sh -i job control in a real terminal (tmux)', () => {
  test('sleep 100, Ctrl-Z, jobs, bg, fg, Ctrl-C: the same screen and statuses as under qemu-aarch64', async (ctx) => {
    requireReferences(ctx, [TMUX_REF, BUSYBOX_REF]);
    requireQemuExec(ctx);
    const qemu = await session('qemu', () => qemuExecArgv([]));
    const first = qemu.screen.findIndex((l) => l.startsWith('$ '));
    expect(qemu.screen.slice(first, first + TRANSCRIPT.length), 'the reference itself').toEqual(TRANSCRIPT);
    expect(qemu.status).toBe(0);

    const log = join(r?.root ?? '', 'jobs-guard.log');
    const elfuse = await session('elfuse', () => elfuseGuardedArgv(log, []));
    expect(elfuse.screen).toEqual(qemu.screen);
    expect(elfuse.status).toBe(qemu.status);
    expect(existsSync(log) ? readFileSync(log, 'utf8') : '', 'elfuse asked the host kernel to exec an aarch64 file').toBe('');
  }, 600_000);
});
