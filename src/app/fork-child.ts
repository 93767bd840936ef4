/**
 * The entry of an elfuse process started as a fork child (HostProcesses.
 * spawnForkChild sets ELFUSE_FORK_CHILD): no options to parse and no
 * program to load; the parent's channel brings the fork state, the domain
 * rebuilds the child from it (boot/fork-child.ts) and runs it, and the
 * parent hears how it ended before this process exits.
 */
import type { HostPorts } from '../ports/host.js';
import { reportExit, startForkedGuest } from '../domain/boot/fork-child.js';
import { runTask, type GuestStatus } from '../domain/boot/launch.js';
import { FORK_CHILD_VAR, NodeHostProcesses } from '../adapters/host-node/processes.js';
import type { BackendFactory } from './container.js';

/** Every channel message this process sent has reached the host (its children's fork states, its last words). */
export async function flushChannels(): Promise<void> {
  await new NodeHostProcesses().flush();
}

export function isForkChild(): boolean {
  return process.env[FORK_CHILD_VAR] !== undefined;
}

/** Runs the forked guest; its exit status as a shell reports it, or null for an internal error. */
export async function runForkChild(host: HostPorts, backends: BackendFactory, verbose: boolean): Promise<GuestStatus> {
  const backend = backends(undefined);
  const log = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  try {
    const { task, machine, channel } = await startForkedGuest(backend, host, { verbose, log });
    const end = task.exit;
    // A vfork child handed over only to end (it exited or died before its exec) runs nothing.
    const status: GuestStatus = end
      ? 'status' in end
        ? { kind: 'exited', code: end.status }
        : { kind: 'signaled', signal: end.signal, core: end.core }
      : await runTask(task, machine, { log, verbose });
    task.closeAllFiles();
    const use = process.resourceUsage();
    await reportExit(channel, status, { utimeUs: BigInt(use.userCPUTime), stimeUs: BigInt(use.systemCPUTime), maxrssKb: BigInt(use.maxRSS) });
    return status;
  } finally {
    backend.destroy();
  }
}
