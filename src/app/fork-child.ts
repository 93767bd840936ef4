/**
 * The entry of an elfuse process started as a fork child (HostProcesses.
 * spawnForkChild sets ELFUSE_FORK_CHILD): no options to parse and no
 * program to load; the parent's channel brings the fork state, the domain
 * rebuilds the child from it (boot/fork-child.ts) and runs it, and the
 * parent hears how it ended before this process exits, or before it waits
 * for another fork of the same parent (a reused process).
 */
import type { HostPorts } from '../ports/host.js';
import { reportExit, startForkedGuest } from '../domain/boot/fork-child.js';
import { encodeMessage } from '../domain/fork/messages.js';
import { reparentZombies } from '../domain/kernel/reparent.js';
import { runTask, type GuestStatus } from '../domain/boot/launch.js';
import { FORK_CHILD_VAR, NodeHostProcesses } from '../adapters/host-node/processes.js';
import { guestCpuUsage } from '../adapters/host-node/system.js';
import type { BackendFactory } from './container.js';

/** Every channel message this process sent has reached the host (its children's fork states, its last words). */
export async function flushChannels(): Promise<void> {
  await new NodeHostProcesses().flush();
}

export function isForkChild(): boolean {
  return process.env[FORK_CHILD_VAR] !== undefined;
}

/** How a fork child's guest ended, and whether this process said it may serve another fork. */
export interface ForkChildEnd {
  readonly status: GuestStatus;
  readonly reusable: boolean;
}

/** Runs the forked guest; how it ended. */
export async function runForkChild(host: HostPorts, backends: BackendFactory, verbose: boolean): Promise<ForkChildEnd> {
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
    // Zombies it did not reap go to the nearest subreaper before the parent hears of this exit.
    await reparentZombies(task);
    // This process can serve another fork unless it must die by its guest's signal, or its
    // guest left children (their host parent is this process: they would never be orphans).
    const children = task.tg.children;
    const byHost = status.kind === 'signaled' && status.byHost === true;
    const reusable = !byHost && children.byPid.size === 0 && children.hostAlive.size === 0 && host.processes.reusable();
    if (reusable) void channel.send(encodeMessage({ kind: 'reusable' }));
    const cpu = guestCpuUsage();
    await reportExit(channel, status, { utimeUs: BigInt(cpu.user), stimeUs: BigInt(cpu.system), maxrssKb: BigInt(process.resourceUsage().maxRSS) }, task.cred.uid);
    return { status, reusable };
  } finally {
    backend.destroy();
  }
}
