/**
 * Full-screen programs on a real terminal: busybox vi and the tty guest run
 * in a tmux pane (80x24) under elfuse and under qemu-aarch64. vi is driven
 * with send-keys (insert, move, delete, open a line, :wq); after each step
 * the test waits for vi's screen or cursor to show the step was taken, so
 * the interpreter's speed does not matter and an Escape never reaches vi
 * glued to the next key (which vi would read as an escape sequence). The
 * screen at the checkpoint and the saved file must be the same under both,
 * and the file exactly what the edits make.
 *
 * guests/bin/tty prints the kernel termios bytes through each tcsetattr
 * action, TIOCGWINSZ, VMIN/VTIME and poll/pselect timing on the pane's tty;
 * its output must equal qemu's, except the TIOCGSID line (qemu-user does not
 * forward TIOCGSID), and, where the host is Linux with a C compiler, equal
 * the same source built for the host and run on the real kernel.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BUSYBOX, BUSYBOX_REF, QEMU, QEMU_REF, ROOT, guest, requireReferences, type Reference } from './helpers.js';
import { TmuxSession } from './tmux.js';

const ELFUSE = [process.execPath, join(ROOT, 'bin/elfuse.js'), '--backend', 'interp'];
const COLS = 80;
const ROWS = 24;

function onPath(cmd: string): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, cmd))) return join(dir, cmd);
  }
  return `/usr/bin/${cmd}`;
}

const TMUX_REF: Reference = { path: onPath('tmux'), fix: 'apt-get install tmux (bash .ci/run installs it)' };
const TTY_REF: Reference = { path: guest('tty'), fix: 'bash scripts/build-guests.sh' };

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'elfuse-vi-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface ViRun {
  checkpoint: string[];
  file: string;
  status: number;
}

/** Runs `runner busybox vi notes.txt` in its own directory and makes the edits. */
async function driveVi(name: string, runner: readonly string[]): Promise<ViRun> {
  const cwd = join(dir, name);
  execFileSync('mkdir', ['-p', cwd]);
  writeFileSync(join(cwd, 'notes.txt'), 'alpha\nbravo\ncharlie\n');
  const t = new TmuxSession([...runner, BUSYBOX, 'vi', 'notes.txt'], { cols: COLS, rows: ROWS, cwd });
  try {
    const row = (y: number): string => t.screen()[y] ?? '';
    const at = (x: number, y: number): boolean => {
      const c = t.cursor();
      return c.x === x && c.y === y;
    };
    await t.waitFor('vi to show the file', () => row(0) === 'alpha' && row(2) === 'charlie' && row(3) === '~');

    t.sendKeys('iHello ');
    await t.waitFor('the inserted text', () => row(0) === 'Hello alpha' && at(6, 0));
    t.sendKeys('Escape', false);
    await t.waitFor('Escape to leave insert mode', () => at(5, 0));

    t.sendKeys('jdd'); // down to "bravo" and delete the line
    await t.waitFor('dd', () => row(1) === 'charlie' && row(2) === '~');

    t.sendKeys('Go'); // open a line after the last one
    await t.waitFor('o', () => at(0, 2));
    t.sendKeys('delta');
    await t.waitFor('the new line', () => row(2) === 'delta' && at(5, 2));
    t.sendKeys('Escape', false);
    await t.waitFor('Escape', () => at(4, 2));

    t.sendKeys('1G$x'); // first line, its end, delete the last character
    await t.waitFor('x', () => row(0) === 'Hello alph' && at(9, 0));
    const checkpoint = t.screen();

    t.sendKeys(':wq');
    t.sendKeys('Enter', false);
    const status = await t.waitExit();
    return { checkpoint, file: readFileSync(join(cwd, 'notes.txt'), 'latin1'), status };
  } catch (e) {
    throw new Error(`${name}: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    t.kill();
  }
}

describe('busybox vi in a real terminal (tmux)', () => {
  test('edits and saves a file like under qemu-aarch64', async (ctx) => {
    requireReferences(ctx, [TMUX_REF, QEMU_REF, BUSYBOX_REF]);
    const [elfuse, qemu] = await Promise.all([driveVi('elfuse', ELFUSE), driveVi('qemu', [QEMU])]);

    expect(elfuse.file).toBe('Hello alph\ncharlie\ndelta\n');
    expect(qemu.file).toBe(elfuse.file);
    expect(elfuse.status).toBe(0);
    expect(qemu.status).toBe(0);

    // The checkpoint screen: the three lines, tildes below, the same status line as qemu's.
    expect(elfuse.checkpoint.slice(0, 4)).toEqual(['Hello alph', 'charlie', 'delta', '~']);
    expect(elfuse.checkpoint).toHaveLength(ROWS);
    expect(elfuse.checkpoint.slice(3, ROWS - 1).every((l) => l === '~')).toBe(true);
    expect(elfuse.checkpoint).toEqual(qemu.checkpoint);
  }, 240_000);
});

/** Runs `command` in a pane with stdout and stderr to a file, returns the file. */
async function ttyRun(name: string, command: readonly string[]): Promise<string> {
  const out = join(dir, `${name}.out`);
  const quoted = command.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const t = new TmuxSession(['sh', '-c', `${quoted} >'${out}' 2>&1`], { cols: COLS, rows: ROWS, cwd: dir });
  try {
    expect(await t.waitExit(120_000), `${name} exit status`).toBe(0);
    return readFileSync(out, 'latin1');
  } finally {
    t.kill();
  }
}

/** qemu-user does not implement TIOCGSID, so glibc's tcgetsid fails under it. */
const withoutSid = (text: string): string => text.replace(/^tcgetsid > 0: .*$/m, 'tcgetsid > 0: (not compared)');

function hostCompiler(): string | null {
  if (process.platform !== 'linux') return null;
  for (const cc of ['cc', 'gcc']) {
    try {
      execFileSync(cc, ['--version'], { stdio: 'ignore' });
      return cc;
    } catch {
      // try the next
    }
  }
  return null;
}

describe('terminal ioctls of a guest program (guests/src/tty.c)', () => {
  test('termios, winsize, VMIN/VTIME and poll match qemu-aarch64 and the host kernel', async (ctx) => {
    requireReferences(ctx, [TMUX_REF, QEMU_REF, TTY_REF]);
    const [elfuse, qemu] = await Promise.all([ttyRun('tty-elfuse', [...ELFUSE, guest('tty')]), ttyRun('tty-qemu', [QEMU, guest('tty')])]);
    expect(elfuse).toContain('isatty: 1 0 0\n');
    expect(elfuse).toContain(`TIOCGWINSZ: 0 rows=${ROWS} cols=${COLS}\n`);
    expect(withoutSid(elfuse)).toBe(withoutSid(qemu));

    const cc = hostCompiler();
    if (cc === null) return; // the qemu comparison above stands alone
    const native = join(dir, 'tty-native');
    execFileSync(cc, ['-O1', '-o', native, join(ROOT, 'guests/src/tty.c')]);
    expect(elfuse).toBe(await ttyRun('tty-native', [native]));
  }, 240_000);
});

describe('busybox stty on a real terminal', () => {
  test('reads and sets the settings like under qemu; a guest killed in raw mode (tty die-raw) leaves the terminal restored', async (ctx) => {
    requireReferences(ctx, [TMUX_REF, QEMU_REF, BUSYBOX_REF, TTY_REF]);
    const q = (a: string): string => `'${a.replace(/'/g, `'\\''`)}'`;
    const elfuse = ELFUSE.map(q).join(' ');
    const bb = q(BUSYBOX);
    const script = [
      `${QEMU} ${bb} stty -a > qemu-a`,
      `${elfuse} ${bb} stty -a > elfuse-a`,
      `stty -g > before`,
      // stty's change outlives the command, as natively
      `${QEMU} ${bb} stty raw; stty -g > qemu-raw; stty "$(cat before)"`,
      `${elfuse} ${bb} stty raw; stty -g > elfuse-raw; stty "$(cat before)"`,
      // raw mode, then killed by SIGTERM before it could restore anything itself
      `${elfuse} ${q(guest('tty'))} die-raw; echo $? > status`,
      `stty -g > after`,
    ].join('; ');
    const cwd = join(dir, 'stty');
    execFileSync('mkdir', ['-p', cwd]);
    const t = new TmuxSession(['sh', '-c', script], { cols: COLS, rows: ROWS, cwd });
    try {
      expect(await t.waitExit(120_000)).toBe(0);
    } finally {
      t.kill();
    }
    const read = (f: string): string => readFileSync(join(cwd, f), 'latin1');
    expect(read('elfuse-a')).toContain(`rows ${ROWS}; columns ${COLS};`);
    expect(read('elfuse-a')).toBe(read('qemu-a'));
    expect(read('elfuse-raw')).toBe(read('qemu-raw'));
    expect(read('elfuse-raw')).not.toBe(read('before'));
    expect(read('status')).toBe('143\n');
    expect(read('after')).toBe(read('before'));
  }, 240_000);

  // A native program killed this way leaves the terminal raw; elfuse restores it first, then
  // dies by the same signal, so the shell sees the status the native program would give.
  test('a signal from outside that kills a guest waiting in raw mode (tty wait-raw) leaves the terminal restored', async (ctx) => {
    requireReferences(ctx, [TMUX_REF, TTY_REF]);
    const q = (a: string): string => `'${a.replace(/'/g, `'\\''`)}'`;
    const elfuse = ELFUSE.map(q).join(' ');
    const signals = ['HUP', 'TERM', 'USR1'];
    const script = ['stty -g > before'];
    for (const sig of signals) {
      script.push(
        // An asynchronous command's stdin is /dev/null unless redirected.
        `${elfuse} ${q(guest('tty'))} wait-raw </dev/tty & pid=$!`,
        `i=0; while [ "$(stty -g)" = "$(cat before)" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done`,
        `stty -g > during-${sig}`,
        `kill -${sig} $pid; wait $pid; echo $? > status-${sig}`,
        `stty -g > after-${sig}; stty "$(cat before)"`,
      );
    }
    const cwd = join(dir, 'signal-raw');
    execFileSync('mkdir', ['-p', cwd]);
    const t = new TmuxSession(['sh', '-c', script.join('\n')], { cols: COLS, rows: ROWS, cwd });
    try {
      expect(await t.waitExit(120_000)).toBe(0);
    } finally {
      t.kill();
    }
    const read = (f: string): string => readFileSync(join(cwd, f), 'latin1');
    const status = { HUP: '129\n', TERM: '143\n', USR1: '138\n' } as Record<string, string>;
    for (const sig of signals) {
      expect(read(`during-${sig}`), `SIG${sig}: the guest set raw mode`).not.toBe(read('before'));
      expect(read(`status-${sig}`), `SIG${sig}: elfuse died by it`).toBe(status[sig]);
      expect(read(`after-${sig}`), `SIG${sig}: terminal restored`).toBe(read('before'));
    }
  }, 240_000);
});
