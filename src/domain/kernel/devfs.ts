/**
 * /dev as the guest sees it: the memory devices of drivers/char/mem.c and
 * random.c (null, zero, full, random, urandom) made up here, with Linux's
 * device numbers; /dev/tty is the host's controlling terminal; /dev/shm is
 * the host's directory (shm_open's objects, shared with other processes
 * by name, as the host's tmpfs is the kernel's shmem); /dev/ptmx and
 * /dev/pts are the host's, so a guest's pseudo-terminals are host ones
 * that host programs can open by the same /dev/pts/N name (tty.ts); stdin,
 * stdout, stderr and fd are the symlinks into /proc/self/fd that udev and
 * systemd create. Anything else under /dev does not exist.
 */

import { Errno } from './errno.js';
import { SyscallError } from './syscall-args.js';
import { encodeDev, dirNode, type DeviceOps, type SynthNode } from './synthfs.js';
import type { Task } from './task.js';

/** Largest single device read (reads of /dev/zero are bounded like any read). */
const DEV_READ_MAX = 1 << 20;

const sink = (_task: Task, data: Uint8Array): number => data.length;
const zeros = (_task: Task, count: number): Uint8Array => new Uint8Array(Math.min(count, DEV_READ_MAX));

const NULL_OPS: DeviceOps = { read: () => new Uint8Array(0), write: sink };
const ZERO_OPS: DeviceOps = { read: zeros, write: sink };
/** /dev/full: reads zeros, every write fails with ENOSPC. */
const FULL_OPS: DeviceOps = {
  read: zeros,
  write: () => {
    throw new SyscallError(Errno.ENOSPC);
  },
};
/** random and urandom: the host's CSPRNG; writes "add entropy" and are accepted. */
const RANDOM_OPS: DeviceOps = {
  read: (task, count) => {
    const buf = new Uint8Array(Math.min(count, DEV_READ_MAX));
    task.host.random.fill(buf);
    return buf;
  },
  write: sink,
};

function dev(major: number, minor: number, ops: DeviceOps): () => SynthNode {
  return () => ({ type: 'dev', mode: 0o666, rdev: encodeDev(major, minor), ops });
}

const link = (target: string): (() => SynthNode) => () => ({ type: 'link', target: () => target });

const DEV_ENTRIES = new Map<string, () => SynthNode>([
  ['fd', link('/proc/self/fd')],
  ['full', dev(1, 7, FULL_OPS)],
  ['null', dev(1, 3, NULL_OPS)],
  ['random', dev(1, 8, RANDOM_OPS)],
  ['stderr', link('/proc/self/fd/2')],
  ['stdin', link('/proc/self/fd/0')],
  ['stdout', link('/proc/self/fd/1')],
  ['ptmx', () => ({ type: 'host', hostPath: '/dev/ptmx' })],
  ['pts', () => ({ type: 'host', hostPath: '/dev/pts' })],
  ['shm', () => ({ type: 'host', hostPath: '/dev/shm' })],
  ['tty', () => ({ type: 'host', hostPath: '/dev/tty' })],
  ['urandom', dev(1, 9, RANDOM_OPS)],
  ['zero', dev(1, 5, ZERO_OPS)],
]);

/** The root of /dev. */
export function devRoot(): SynthNode {
  return dirNode(() => DEV_ENTRIES, 0o755);
}
