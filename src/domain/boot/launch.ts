/**
 * Launching a guest: open and validate the executable (reading only its
 * headers), build the machine (RAM, page tables, shim, ELF image mapped from
 * the file, initial stack, boot block), create the vCPU and hand it to the
 * run loop. User-facing failures become a LaunchError with the exit status a
 * shell would give (126 cannot execute, 127 not found) and one line of text,
 * in which text from the file or the command line is escaped.
 */
import type { Backend } from '../../ports/backend.js';
import type { HostPorts } from '../../ports/host.js';
import type { VcpuPort } from '../../ports/vcpu.js';
import type { ElfImage } from '../elf/index.js';
import { Errno } from '../kernel/errno.js';
import { runGuest, type GuestStatus, type RunHooks } from '../kernel/run-loop.js';
import type { DebugTarget } from '../debug/session.js';
import { Task } from '../kernel/task.js';
import { FsContext } from '../kernel/fs-context.js';
import { syncJobControlSignals, watchHostSignals, watchPeerSignals } from '../kernel/signal-deliver.js';
import { answerZombie } from '../kernel/reparent.js';
import { watchTerminalResize } from '../kernel/tty.js';
import type { AddressSpace } from '../memory/address-space.js';
import type { PhysMem } from '../memory/phys.js';
import { printable } from '../printable.js';
import type { CpuIdView } from './hwcap.js';
import type { LoadedImage } from './loader.js';
import { bootMachine, startAtBoot, type Machine } from './machine.js';
import { ExecError, guestPathOfArg, loadProgram, type Program } from './program.js';

export type { GuestStatus } from '../kernel/run-loop.js';

export interface LaunchOptions {
  /** The executable's host path, as given on the command line. */
  path: string;
  /** The guest's argv (argv[0] included) and environment, as strings or raw bytes. */
  argv: (string | Uint8Array)[];
  envp: (string | Uint8Array)[];
  /** Standard streams (0, 1, 2) that were closed when elfuse started: closed for the guest too. */
  closedStdio?: readonly number[];
  verbose: boolean;
  /** Diagnostic sink (stderr), one line per call. */
  log: (line: string) => void;
  /** --sysroot: the host directory that is the guest's root, over the host's own files (absolute, canonical). */
  sysroot?: string;
  /** Guest RAM in bytes (guest-physical slab); defaults to RAM_BYTES. */
  ramBytes?: number;
  /** A debugger or tracer (--gdb, --trace): builds the run loop's hooks for the booted guest. */
  attach?: (target: DebugTarget) => RunHooks;
}

/** A launch that failed for a reason the user must see, with its exit status. */
export class LaunchError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export { RAM_BYTES } from './machine.js';

/** A guest built and ready to run: the machine, the loaded image and the process, before its first instruction. */
export interface PreparedGuest {
  readonly task: Task;
  readonly machine: Machine;
  readonly vcpu: VcpuPort;
  readonly as: AddressSpace;
  readonly phys: PhysMem;
  readonly ids: CpuIdView;
  readonly elf: ElfImage;
  readonly image: LoadedImage;
  /** The program's canonical guest path (/proc/self/exe). */
  readonly guestPath: string;
  /** The whole executable, read only when a debugger or tracer asked for it (its symbols). */
  readonly elfBytes: Uint8Array | null;
  /** Let go of the image without running it: its mappings (and the executable's descriptor) and the vCPU. */
  dispose(): void;
}

/** An ExecError as the CLI reports it: 127 when the file is not there, 126 for anything else. */
function launchError(e: ExecError): LaunchError {
  return new LaunchError(e.message, e.errno === Errno.ENOENT || e.errno === Errno.ENOTDIR ? 127 : 126);
}

/**
 * Build the machine (RAM, shim, vCPU), load the executable into it (read
 * and validate it, map its image, build its initial stack) and make the
 * process. Every refusal is a LaunchError; nothing is left open on failure.
 */
export function prepareGuest(backend: Backend, host: HostPorts, opts: LaunchOptions): PreparedGuest {
  // The guest's filesystem view; the program path is a guest path in it too.
  const ctx = new FsContext(host.fs, { ...(opts.sysroot !== undefined ? { sysroot: opts.sysroot } : {}), hostCwd: host.process.cwd() });
  // The path is the user's text, shown quoted only when it holds something a terminal would act on.
  const shown = printable(opts.path);
  let machine: Machine | undefined;
  let prog: Program | undefined;
  try {
    machine = bootMachine(backend, { ...(opts.ramBytes !== undefined ? { ramBytes: opts.ramBytes } : {}), commitLimit: Number(host.process.memory().totalBytes), ...(host.shm ? { shm: host.shm, fs: host.fs } : {}) });
    prog = loadProgram(machine, ctx, host, {
      path: guestPathOfArg(opts.path),
      shown,
      argv: opts.argv,
      envp: opts.envp,
      execfn: opts.path,
      ids: { uid: host.process.uid, euid: host.process.euid, gid: host.process.gid, egid: host.process.egid },
      verbose: opts.verbose,
      log: opts.log,
      wantBytes: opts.attach !== undefined,
    });
  } catch (e) {
    machine?.vcpu.destroy();
    ctx.dispose();
    if (e instanceof ExecError) throw launchError(e);
    throw e;
  }
  const m = machine;
  const p = prog;
  startAtBoot(m, p.as, p.entry, p.sp);
  if (opts.verbose && ctx.sysroot !== null) {
    opts.log(`elfuse: sysroot ${printable(ctx.sysroot)}${ctx.foldsCase ? ' (case-folding volume: case-colliding names get token names)' : ''}`);
  }
  const task = new Task({
    host,
    as: p.as,
    mem: p.mem,
    execfn: opts.path,
    verbose: opts.verbose,
    log: opts.log,
    image: p.procImage,
    fsContext: ctx,
    machine: m,
    closedStdio: opts.closedStdio ?? [],
  });
  return {
    task,
    machine: m,
    vcpu: m.vcpu,
    as: p.as,
    phys: m.phys,
    ids: m.ids,
    elf: p.elf,
    image: p.image,
    guestPath: p.guestPath,
    elfBytes: p.bytes,
    dispose: () => {
      task.as.clear();
      m.vcpu.destroy();
      ctx.dispose();
    },
  };
}

export async function launchGuest(backend: Backend, host: HostPorts, opts: LaunchOptions): Promise<GuestStatus> {
  const { task, machine, vcpu, as, image, guestPath, elfBytes } = prepareGuest(backend, host, opts);
  const hooks = opts.attach?.({ task, vcpu, memory: backend.memory, as, exePath: guestPath, elf: elfBytes ?? new Uint8Array(0), loadBias: image.loadBias });
  return runTask(task, machine, { log: opts.log, verbose: opts.verbose, ...(hooks ? { hooks } : {}) });
}

/**
 * Run a process on its machine until it ends (the first program, or a fork
 * child): terminal resizes and the host's signals reach it while it runs;
 * afterwards its shared file pages are written back and the terminal is
 * restored when it died of a signal.
 */
export async function runTask(task: Task, machine: Machine, opts: { log: (line: string) => void; verbose: boolean; hooks?: RunHooks }): Promise<GuestStatus> {
  const host = task.host;
  const unwatchResize = watchTerminalResize(task);
  const unwatchSignals = watchHostSignals(task);
  // A zombie handed on by an exiting process that is not this one's child (kernel/reparent.ts).
  const unwatchPeers = watchPeerSignals(task, (m) => {
    if (m.kind === 'reparented') answerZombie(task, m.zombie, true);
  });
  syncJobControlSignals(task);
  let status: GuestStatus | undefined;
  try {
    status = await runGuest(task, machine.vcpu, { ids: machine.ids, phys: machine.phys, log: opts.log, verbose: opts.verbose, ...(opts.hooks ? { hooks: opts.hooks } : {}) });
    // exit_mmap: dirty pages of shared file mappings reach their files (execve may have replaced the
    // first image) and host shared memory is let go (SysV detaches), before the parent hears of the exit.
    task.as.clear();
    return status;
  } finally {
    unwatchResize();
    unwatchSignals();
    unwatchPeers();
    // A shell restores its terminal after a job killed by a signal; it sees elfuse exit normally
    // (128+N, or an internal error), so a guest's raw mode would outlive it: restore here.
    if (status?.kind !== 'exited') host.terminal.restoreModes();
    machine.vcpu.destroy();
  }
}
