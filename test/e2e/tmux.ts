/**
 * A real terminal for e2e tests: one tmux server per session (its own
 * socket, no user config) with one fixed-size pane running a command. Tests
 * type with send-keys, read the screen with capture-pane and the cursor with
 * display-message; a wrapping sh writes the command's exit status to a file.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let counter = 0;

export interface TmuxOptions {
  cols: number;
  rows: number;
  cwd: string;
  env?: Record<string, string>;
}

export class TmuxSession {
  private readonly socket: string;
  private readonly dir: string;
  private readonly statusFile: string;

  constructor(command: readonly string[], opts: TmuxOptions) {
    this.socket = `elfuse-test-${process.pid}-${counter++}`;
    this.dir = mkdtempSync(join(tmpdir(), 'elfuse-tmux-'));
    const conf = join(this.dir, 'tmux.conf');
    writeFileSync(conf, 'set -g remain-on-exit on\nset -g status off\nset -g history-limit 0\n');
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: this.dir, LC_ALL: 'C', TERM: 'xterm', ...opts.env };
    // The command's status is written by a wrapping sh rather than read from tmux's
    // pane_dead_status, which a loaded machine can leave unset for a while.
    this.statusFile = join(this.dir, 'status');
    const wrapper = `"$@"; echo $? > '${this.statusFile}'`;
    execFileSync(
      'tmux',
      ['-L', this.socket, '-f', conf, 'new-session', '-d', '-x', String(opts.cols), '-y', String(opts.rows), '-c', opts.cwd, '--']
        .concat(['sh', '-c', wrapper, 'sh', ...command]),
      { env, stdio: 'ignore' },
    );
  }

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8' });
  }

  /** Keys as tmux names them ('Escape', 'Enter') or literal text with `literal`. */
  sendKeys(keys: string, literal = true): void {
    this.tmux('send-keys', ...(literal ? ['-l', keys] : [keys]));
  }

  /** The visible screen, one string per row, trailing blanks removed. */
  screen(): string[] {
    return this.tmux('capture-pane', '-p').replace(/\n$/, '').split('\n').map((l) => l.trimEnd());
  }

  cursor(): { x: number; y: number } {
    const [x = '0', y = '0'] = this.tmux('display-message', '-p', '#{cursor_x} #{cursor_y}').trim().split(' ');
    return { x: Number(x), y: Number(y) };
  }

  /** The exit status once the command has ended, else null. */
  exitStatus(): number | null {
    if (!existsSync(this.statusFile)) return null;
    const text = readFileSync(this.statusFile, 'utf8');
    return text.endsWith('\n') ? Number(text) : null;
  }

  /** The terminal's foreground process group (tcgetpgrp of the pane's tty, as ps reports it). */
  foregroundPgrp(): number {
    const pid = this.tmux('display-message', '-p', '#{pane_pid}').trim();
    return Number(execFileSync('ps', ['-o', 'tpgid=', '-p', pid], { encoding: 'utf8' }).trim());
  }

  /** What is still running in the pane, for failure messages. */
  private processes(): string {
    try {
      const tty = this.tmux('display-message', '-p', '#{pane_tty}').trim();
      return execFileSync('ps', ['-o', 'pid,pgid,tpgid,stat,etime,args', '-t', tty], { encoding: 'utf8' });
    } catch {
      return '(ps failed)';
    }
  }

  /** Polls until `ready` holds; throws with the last screen after `timeoutMs`. */
  async waitFor(what: string, ready: () => boolean, timeoutMs = 60_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      if (ready()) return;
      if (Date.now() > end) {
        throw new Error(
          `timed out waiting for ${what}; cursor ${JSON.stringify(this.cursor())}, screen:\n${this.screen().join('\n')}\n` +
            `processes:\n${this.processes()}`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async waitExit(timeoutMs = 60_000): Promise<number> {
    let status: number | null = null;
    await this.waitFor('the command to exit', () => (status = this.exitStatus()) !== null, timeoutMs);
    return status ?? -1;
  }

  kill(): void {
    try {
      this.tmux('kill-server');
    } catch {
      // already gone
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
