/**
 * HostClock, HostRandom and HostProcess on Node's process, node:os and
 * node:crypto (HostTerminal is in terminal.ts, HostSignals in signals.ts).
 */
import { readFileSync } from 'node:fs';

import { randomFillSync } from 'node:crypto';
import * as os from 'node:os';
import type { HostCapabilities, HostClock, HostProcess, HostRandom } from '../../ports/host.js';
import { native, posix } from './posix.js';

/** The longest delay setTimeout accepts (a signed 32-bit count of milliseconds, about 24.8 days). */
const MAX_TIMEOUT_MS = 2_147_483_647n;

/**
 * Realtime is the wall clock at start plus monotonic time since, which gives
 * nanosecond steps (Date.now() has only milliseconds) at the cost of not
 * following later wall-clock adjustments.
 */
/** CPU time this process spent before its current guest (earlier guests of a reused fork child). */
let cpuBase = { user: 0, system: 0 };

/** The CPU time of the current guest's process, microseconds: the whole process's, less its earlier guests'. */
export function guestCpuUsage(): { user: number; system: number } {
  const { user, system } = process.cpuUsage();
  return { user: user - cpuBase.user, system: system - cpuBase.system };
}

/** A reused fork child begins another guest: its CPU clock starts again from zero. */
export function startGuestCpuAccount(): void {
  cpuBase = process.cpuUsage();
}

export class NodeHostClock implements HostClock {
  private readonly realtimeBase = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

  realtimeNs(): bigint {
    return this.realtimeBase + process.hrtime.bigint();
  }

  monotonicNs(): bigint {
    return process.hrtime.bigint();
  }

  processCpuNs(): bigint {
    const { user, system } = guestCpuUsage();
    return BigInt(user + system) * 1000n;
  }

  sleep(ns: bigint): Promise<void> {
    if (ns <= 0n) return new Promise((resolve) => setImmediate(resolve));
    const deadline = process.hrtime.bigint() + ns;
    return new Promise((resolve) => {
      // setTimeout takes at most 2^31-1 ms (a longer delay becomes 1 ms, with a warning), has
      // millisecond granularity and counts from the loop's cached time, which may be stale: so
      // wait in pieces of at most that long, rounded up, until the monotonic clock says so.
      const wait = (): void => {
        const left = deadline - process.hrtime.bigint();
        if (left <= 0n) return resolve();
        const ms = (left + 999_999n) / 1_000_000n;
        setTimeout(wait, Number(ms < MAX_TIMEOUT_MS ? ms : MAX_TIMEOUT_MS));
      };
      wait();
    });
  }
}

export class NodeHostRandom implements HostRandom {
  fill(buf: Uint8Array): void {
    randomFillSync(buf);
  }
}

export class NodeHostProcess implements HostProcess {
  readonly pid = process.pid;
  readonly ppid = process.ppid;
  readonly uid = process.getuid?.() ?? 0;
  readonly gid = process.getgid?.() ?? 0;
  readonly euid = process.geteuid?.() ?? 0;
  readonly egid = process.getegid?.() ?? 0;

  /**
   * Node's getgroups adds the effective gid when the kernel's list lacks it,
   * so on Linux the exact list comes from /proc/self/status.
   */
  groups(): readonly number[] {
    if (process.platform === 'linux') {
      try {
        const line = /^Groups:(.*)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '';
        return line.trim() === '' ? [] : line.trim().split(/\s+/).map(Number);
      } catch {
        // fall through to Node's answer
      }
    }
    return process.getgroups?.() ?? [];
  }

  /** Linux shows them in /proc/self/status; elsewhere the domain decides from the euid. */
  capabilities(): HostCapabilities | null {
    if (process.platform !== 'linux') return null;
    try {
      const status = readFileSync('/proc/self/status', 'utf8');
      const set = (name: string): bigint | null => {
        const hex = new RegExp(`^${name}:\\s*([0-9a-f]+)$`, 'm').exec(status)?.[1];
        return hex === undefined ? null : BigInt(`0x${hex}`);
      };
      const [inheritable, permitted, effective, bounding, ambient] = ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb'].map(set);
      if (inheritable == null || permitted == null || effective == null || bounding == null) return null;
      return { inheritable, permitted, effective, bounding, ambient: ambient ?? 0n };
    } catch {
      return null;
    }
  }

  hostname(): string {
    return os.hostname();
  }

  cwd(): string {
    return native('getcwd', () => posix().getcwd());
  }

  umask(mask: number): number {
    return process.umask(mask);
  }

  memory(): { totalBytes: bigint; freeBytes: bigint } {
    return { totalBytes: BigInt(os.totalmem()), freeBytes: BigInt(os.freemem()) };
  }

  uptimeSeconds(): number {
    return os.uptime();
  }

  stop(signal: 'SIGSTOP' | 'SIGTSTP' | 'SIGTTIN' | 'SIGTTOU'): void {
    // Our own listener (the guest's SIGTSTP arrives through one) must not catch it: the kernel's
    // default action stops us, and the parent sees which signal did. Delivered to ourselves, the
    // signal stops the process before kill returns; the listeners come back once it continues.
    const listeners = signal === 'SIGSTOP' ? [] : process.listeners(signal);
    for (const l of listeners) process.off(signal, l);
    try {
      process.kill(process.pid, signal);
    } finally {
      for (const l of listeners) process.on(signal, l);
    }
  }

  /** One long interval timer, ref'd while someone holds it: Node stays up as long as it is. */
  private keeper: ReturnType<typeof setInterval> | null = null;
  private holds = 0;

  keepAlive(): () => void {
    if (this.holds++ === 0) {
      this.keeper ??= setInterval(() => undefined, Number(MAX_TIMEOUT_MS));
      this.keeper.ref();
    }
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      if (--this.holds === 0) this.keeper?.unref();
    };
  }

  loadavg(): readonly [number, number, number] {
    const [one = 0, five = 0, fifteen = 0] = os.loadavg();
    return [one, five, fifteen];
  }
}
