/**
 * elfuse's command-line entry: parse options, build the container, launch the
 * guest, and turn its fate into this process's exit status (the guest's own
 * status, or 128+N if a signal N killed it, as a shell reports it). A guest
 * ended by a signal sent to elfuse from outside (SIGHUP, SIGTERM...) ends
 * elfuse by that same signal, as the native program would have died.
 * User errors print one line and never a stack trace.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startupSnapshot } from 'node:v8';
import { installRoot } from '../adapters/host-node/install-root.js';
import { a64 } from '../domain/a64/decoder.js';
import { warmBootCaches } from '../domain/boot/machine.js';
import { BackendUnavailable } from '../ports/backend.js';
import type { HostPorts } from '../ports/host.js';
import { signalName } from '../domain/kernel/linux-abi.js';
import { launchGuest, LaunchError, type GuestStatus } from '../domain/boot/launch.js';
import { buildContainer, TYPES, type BackendFactory } from './container.js';
import { closedStdio, rawArgs, rawEnviron } from './host-args.js';
import { parseCli, UsageError } from './options.js';
import { checkSysroot, createSysroot } from './sysroot.js';
import { debugAttachment } from './debug.js';
import { flushChannels, isForkChild, runForkChild } from './fork-child.js';

/** Exit statuses of elfuse's own failures (the conventions of env(1) and shells). */
export const EXIT_INTERNAL = 125;
export const EXIT_USAGE = 2;

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(installRoot(), 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

function err(line: string): void {
  process.stderr.write(`elfuse: ${line}\n`);
}

export function statusToExitCode(s: GuestStatus): number {
  return s.kind === 'exited' ? s.code & 0xff : 128 + s.signal;
}

export async function main(argv: readonly string[]): Promise<number> {
  if (isForkChild()) return forkChildMain();
  let opts;
  try {
    opts = parseCli(argv, packageVersion(), process.env, (s) => process.stdout.write(s));
  } catch (e) {
    if (e instanceof UsageError) {
      err(`${e.message} (see elfuse --help)`);
      return EXIT_USAGE;
    }
    throw e;
  }
  if (!opts) return 0;
  // Fork children inherit the parent's environment: they trace too.
  if (opts.verbose) process.env.ELFUSE_VERBOSE_CHILD = '1';
  let sysroot: string | undefined;
  try {
    if (opts.sysroot !== undefined) sysroot = checkSysroot(opts.sysroot);
    else if (opts.createSysroot !== undefined) sysroot = createSysroot(opts.createSysroot);
  } catch (e) {
    if (e instanceof UsageError) {
      err(e.message);
      return EXIT_USAGE;
    }
    throw e;
  }

  const container = buildContainer({ platform: process.platform, arch: process.arch });
  const host = container.get<HostPorts>(TYPES.HostPorts);
  let backend;
  try {
    backend = container.get<BackendFactory>(TYPES.BackendFactory)(opts.backend);
  } catch (e) {
    if (e instanceof BackendUnavailable) {
      err(e.message);
      return EXIT_USAGE;
    }
    throw e;
  }
  let debug;
  try {
    debug = await debugAttachment(opts, container, opts.verbose);
  } catch (e) {
    if (e instanceof UsageError) {
      err(e.message);
      backend.destroy();
      return EXIT_USAGE;
    }
    throw e;
  }
  const stats = process.env.ELFUSE_STATS === '1';
  let killedBy: string | null = null;
  const started = process.hrtime.bigint();
  try {
    const status = await launchGuest(backend, host, {
      path: opts.elfPath,
      argv: rawArgs([opts.elfPath, ...opts.guestArgs]),
      envp: rawEnviron(),
      closedStdio: closedStdio(),
      verbose: opts.verbose,
      ...(sysroot !== undefined ? { sysroot } : {}),
      ...(debug ? { attach: debug.attach } : {}),
      log: (line) => process.stderr.write(`${line}\n`),
    });
    if (stats) {
      const secs = Number(process.hrtime.bigint() - started) / 1e9;
      process.stderr.write(`elfuse-stats: instructions=${status.instructions ?? 'unknown'} seconds=${secs.toFixed(3)}\n`);
    }
    if (status.kind === 'signaled' && status.byHost) killedBy = signalName(status.signal);
    return statusToExitCode(status);
  } catch (e) {
    if (e instanceof LaunchError) {
      err(e.message);
      return e.exitCode;
    }
    if (e instanceof UsageError) {
      err(e.message);
      return EXIT_USAGE;
    }
    err(`internal error: ${e instanceof Error ? e.message : String(e)}`);
    if (opts.verbose && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
    return EXIT_INTERNAL;
  } finally {
    debug?.close();
    backend.destroy();
    // The terminal is restored already (launchGuest): die as the native program would have.
    // Death by a signal skips Node's exit handlers: the process record goes first.
    if (killedBy !== null) {
      host.processes.publish(null);
      host.signals.dieBy(killedBy);
    }
  }
}

/**
 * A fork child: the parent's fork state instead of options, then the same
 * exit statuses. A process whose guest ended and that may serve another
 * fork of its parent waits for it instead of exiting, and runs it with
 * adapters of its own (a new container).
 */
async function forkChildMain(): Promise<number> {
  const verbose = process.env.ELFUSE_VERBOSE_CHILD === '1';
  for (;;) {
    const container = buildContainer({ platform: process.platform, arch: process.arch });
    const host = container.get<HostPorts>(TYPES.HostPorts);
    let end;
    try {
      end = await runForkChild(host, container.get<BackendFactory>(TYPES.BackendFactory), verbose);
    } catch (e) {
      err(`internal error in a fork child: ${e instanceof Error ? e.message : String(e)}`);
      if (e instanceof Error && e.stack && verbose) process.stderr.write(`${e.stack}\n`);
      return EXIT_INTERNAL;
    }
    const { status, reusable } = end;
    if (status.kind === 'signaled' && status.byHost) {
      host.processes.publish(null);
      host.signals.dieBy(signalName(status.signal));
    }
    if (!reusable) return statusToExitCode(status);
    // The report must reach the parent before this process waits (blocking) for the next fork.
    await flushChannels();
    host.processes.publish(null);
    if (!host.processes.awaitNextFork()) return 0;
  }
}

// process.exit, not exitCode: a guest may leave a host read pending (stdin), which
// would keep Node alive. stdout/stderr writes are synchronous for files, pipes
// and terminals on POSIX hosts, so nothing is lost.
function start(argv: readonly string[]): void {
  main(argv).then(
    // A fork's state may still be on its way to the child: it must arrive before this process goes.
    async (code) => {
      await flushChannels();
      process.exit(code);
    },
    (e: unknown) => {
      err(`internal error: ${e instanceof Error ? e.message : String(e)}`);
      process.exit(EXIT_INTERNAL);
    },
  );
}

if (startupSnapshot.isBuildingSnapshot()) {
  // scripts/bundle.mjs builds dist/elfuse.blob from this module: everything
  // loaded and compiled, and the tables every run builds first (the A64
  // decoder, the shim's code) already made. Nothing of the host is touched
  // here: the snapshot runs later, elsewhere. dist/elfuse (native/launch.c) starts it as
  // `node --snapshot-blob dist/elfuse.blob -- ARGS`, so the arguments follow argv[0].
  a64();
  warmBootCaches();
  startupSnapshot.setDeserializeMainFunction(() => start(process.argv.slice(1)));
} else {
  start(process.argv.slice(2));
}
