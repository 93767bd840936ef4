/**
 * Wiring for --gdb and --trace: opens the debugger's listener (through the
 * container's DebugServerPort) and the trace file, and returns the
 * launcher's `attach`, which builds the domain's debug hooks for the booted
 * guest. Failures the user can fix (port in use, unwritable trace file,
 * unknown trace symbol) are UsageErrors.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { Container } from 'inversify';
import { debugHooks } from '../domain/debug/attach.js';
import { TraceFilterError } from '../domain/debug/trace.js';
import type { DebugTarget } from '../domain/debug/session.js';
import type { RunHooks } from '../domain/kernel/run-loop.js';
import type { DebugListener, DebugServerPort } from '../ports/debug.js';
import { TYPES } from './container.js';
import { UsageError, type CliOptions } from './options.js';

export interface DebugAttachment {
  attach: (target: DebugTarget) => RunHooks;
  close: () => void;
}

export async function debugAttachment(opts: CliOptions, container: Container, verbose: boolean): Promise<DebugAttachment | null> {
  if (!opts.gdb && !opts.trace) return null;
  let listener: DebugListener | undefined;
  let traceFd: number | undefined;
  if (opts.gdb) {
    try {
      listener = await container.get<DebugServerPort>(TYPES.DebugServer).listen(opts.gdb.host, opts.gdb.port);
    } catch (e) {
      throw new UsageError(`--gdb: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  if (opts.trace) {
    try {
      traceFd = openSync(opts.trace.file, 'w');
    } catch (e) {
      listener?.close();
      throw new UsageError(`--trace: cannot write ${opts.trace.file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  }
  const fd = traceFd;
  const gdb = opts.gdb && listener ? { listener, stopOnEntry: opts.gdb.stopOnEntry } : undefined;
  const trace = opts.trace && fd !== undefined ? { write: (text: string) => void writeSync(fd, text), only: opts.trace.only, regs: opts.trace.regs } : undefined;
  return {
    attach(target) {
      try {
        return debugHooks(target, { ...(gdb ? { gdb } : {}), ...(trace ? { trace } : {}), log: (line) => process.stderr.write(`${line}\n`), verbose });
      } catch (e) {
        if (e instanceof TraceFilterError) throw new UsageError(`--trace-only: ${e.message}`);
        throw e;
      }
    },
    close() {
      listener?.close();
      if (fd !== undefined) closeSync(fd);
    },
  };
}
