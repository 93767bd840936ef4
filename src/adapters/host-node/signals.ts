/**
 * HostSignals on Node's process signal events. A listener on a signal
 * replaces Node's default for it (which is to die, or for SIGINT and SIGTERM
 * to reset the terminal and die); removing the last one puts back the
 * kernel's default action, which dieBy relies on.
 */
import { constants } from 'node:os';
import type { HostSignals } from '../../ports/host.js';
import { posix } from './posix.js';

/**
 * Never caught: faults (V8 and Node handle their own), SIGKILL and SIGSTOP
 * (impossible), SIGCHLD (libuv's child processes) and SIGPROF (V8's
 * sampling profiler, as with node --cpu-prof).
 */
const UNCATCHABLE = new Set(['SIGSEGV', 'SIGBUS', 'SIGILL', 'SIGFPE', 'SIGKILL', 'SIGSTOP', 'SIGCHLD', 'SIGPROF']);
/** Node starts with these ignored; once caught they stay caught, by a listener that does nothing. */
const IGNORED_BY_NODE = new Set(['SIGPIPE', 'SIGXFSZ']);
const ignore = (): void => undefined;

/** Signals setIgnored made the host ignore (module state: they are the host process's). */
const ignoredByGuest = new Set<number>();

/** Between two guests of one process (a reused fork child): the signals the last one had ignored take their default again. */
export function resetHostSignals(): void {
  for (const number of ignoredByGuest) posix().setIgnored(number, false);
  ignoredByGuest.clear();
}

function hostSignal(name: string): NodeJS.Signals | null {
  if (UNCATCHABLE.has(name) || !Object.hasOwn(constants.signals, name)) return null;
  return name as NodeJS.Signals;
}

export class NodeHostSignals implements HostSignals {
  subscribe(names: readonly string[], listener: (name: string) => void): () => void {
    const taken: [NodeJS.Signals, () => void][] = [];
    for (const name of names) {
      const sig = hostSignal(name);
      if (sig === null) continue;
      if (IGNORED_BY_NODE.has(sig) && !process.listeners(sig).includes(ignore)) process.on(sig, ignore);
      const handler = (): void => listener(name);
      process.on(sig, handler);
      taken.push([sig, handler]);
    }
    return () => {
      for (const [sig, handler] of taken) process.off(sig, handler);
      taken.length = 0;
    };
  }

  setIgnored(name: string, ignored: boolean): void {
    const number = Object.hasOwn(constants.signals, name) ? constants.signals[name as NodeJS.Signals] : undefined;
    if (number === undefined || UNCATCHABLE.has(name) || process.listenerCount(name) > 0) return;
    posix().setIgnored(number, ignored);
    if (ignored) ignoredByGuest.add(number);
    else ignoredByGuest.delete(number);
  }

  dieBy(name: string): never {
    const number = Object.hasOwn(constants.signals, name) ? constants.signals[name as NodeJS.Signals] : undefined;
    if (number !== undefined && !UNCATCHABLE.has(name)) {
      // With no listener left, the kernel's default action applies, and a signal a process
      // sends itself is delivered before kill(2) returns.
      process.removeAllListeners(name);
      process.kill(process.pid, name);
    }
    // The host's default for it does not end a process (or it has no such signal).
    process.exit(128 + (number ?? 0));
  }
}
