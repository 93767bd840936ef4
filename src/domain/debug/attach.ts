/**
 * Composes the debugger for one guest: a DebugSession on the guest's vCPU,
 * the GDB stub on each connection the listener accepts (one at a time; a
 * new one after a detach attaches to the running guest), and the
 * instruction trace when asked for. The result is the run loop's hooks.
 */
import type { DebugListener } from '../../ports/debug.js';
import type { RunHooks } from '../kernel/run-loop.js';
import { GdbStub } from './gdb-stub.js';
import { DebugSession, type DebugTarget } from './session.js';
import { InstructionTrace, type TraceOptions } from './trace.js';

export interface DebugOptions {
  gdb?: { listener: DebugListener; stopOnEntry: boolean };
  trace?: TraceOptions;
  log: (line: string) => void;
  verbose: boolean;
}

export function debugHooks(target: DebugTarget, opts: DebugOptions): RunHooks {
  const gdb = opts.gdb;
  let session: DebugSession | null = null;
  const trace = opts.trace ? new InstructionTrace(target, opts.trace, (addr, len) => (session ? session.readMemory(addr, len) : new Uint8Array(0))) : null;
  session = new DebugSession(target, { stopOnEntry: gdb?.stopOnEntry ?? false, observer: trace });
  const s = session;
  const diag = (line: string): void => {
    if (opts.verbose) opts.log(line);
  };
  let connected: Promise<void> = Promise.resolve();
  if (gdb) {
    let active = false;
    connected = new Promise<void>((resolve) => {
      gdb.listener.onConnection((conn) => {
        if (active) {
          conn.close(); // one debugger at a time
          return;
        }
        active = true;
        conn.onClose(() => {
          active = false;
        });
        diag(`elfuse: gdb: connection on ${gdb.listener.address}`);
        new GdbStub(s, conn, { log: diag });
        resolve();
      });
    });
  }
  return {
    async start() {
      if (gdb?.stopOnEntry) {
        opts.log(`elfuse: waiting for gdb on ${gdb.listener.address}`);
        await connected;
      }
      s.start();
    },
    exit: (exit) => s.exit(exit),
    signals: (ctx) => s.signals(ctx),
    end(status) {
      s.end(status);
      gdb?.listener.close();
    },
  };
}
