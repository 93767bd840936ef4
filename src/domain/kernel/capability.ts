/**
 * POSIX capabilities (kernel/capability.c, security/commoncap.c): the five
 * sets of struct cred, capget and capset, and how the sets follow the
 * set*id calls and execve.
 *
 * The guest starts with the capabilities of the host process that runs it,
 * as qemu-user's guests do (it passes capget through): on Linux the host
 * tells them (`HostProcess.capabilities`), so a root guest in a container
 * without CAP_SYS_RESOURCE lacks it too; where the host cannot tell
 * (macOS), root has the full set and any other user none. From then on the
 * sets are the guest's own: capset, setuid and execve change them as Linux
 * does, and the privilege checks of identity.ts read the effective set.
 * The host process keeps its own credentials, so host permission checks do
 * not follow (as for the ids).
 */

import { Errno } from './errno.js';
import { processExists } from './pidfd.js';
import { guestRecord } from './proc-records.js';
import { StructReader, StructWriter } from './linux-abi.js';
import { SyscallError, type SyscallArgs, type SyscallImpl } from './syscall-args.js';
import type { Cred } from './thread-group.js';
import type { Task } from './task.js';

/** CAP_LAST_CAP as of Linux 5.9 (CAP_CHECKPOINT_RESTORE). */
export const CAP_LAST_CAP = 40;
/** Every capability this kernel knows (CAP_VALID_MASK). */
export const CAP_FULL_SET = (1n << BigInt(CAP_LAST_CAP + 1)) - 1n;

export const CAP_CHOWN = 0;
export const CAP_DAC_OVERRIDE = 1;
export const CAP_DAC_READ_SEARCH = 2;
export const CAP_FOWNER = 3;
export const CAP_FSETID = 4;
export const CAP_SETGID = 6;
export const CAP_SETUID = 7;
export const CAP_SETPCAP = 8;
export const CAP_LINUX_IMMUTABLE = 9;
export const CAP_SYS_ADMIN = 21;
export const CAP_SYS_NICE = 23;
export const CAP_SYS_RESOURCE = 24;
export const CAP_MKNOD = 27;
export const CAP_MAC_OVERRIDE = 32;

/** CAP_FS_SET: what follows the filesystem uid between 0 and non-0. */
const CAP_FS_SET = [CAP_CHOWN, CAP_MKNOD, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_FSETID, CAP_LINUX_IMMUTABLE, CAP_MAC_OVERRIDE].reduce((m, c) => m | (1n << BigInt(c)), 0n);

/** struct cred's capability sets, each a 64-bit mask. */
export interface CapSets {
  inheritable: bigint;
  permitted: bigint;
  effective: bigint;
  bounding: bigint;
  ambient: bigint;
}

/** The sets a guest starts with when the host cannot say: root has every capability, anyone else none. */
export function defaultCaps(euid: number): CapSets {
  const all = euid === 0 ? CAP_FULL_SET : 0n;
  return { inheritable: 0n, permitted: all, effective: all, bounding: CAP_FULL_SET, ambient: 0n };
}

/** ns_capable: the capability is in the effective set. */
export function capable(task: Task, cap: number): boolean {
  return ((task.cred.caps.effective >> BigInt(cap)) & 1n) === 1n;
}

/**
 * cap_task_fix_setuid for setuid, setreuid and setresuid (cap_emulate_setxuid):
 * leaving uid 0 in all of real, effective and saved clears the permitted and
 * effective sets (unless PR_SET_KEEPCAPS) and the ambient set; the effective
 * uid leaving 0 clears the effective set, coming back to 0 restores it from
 * the permitted set.
 */
export function fixSetuid(cred: Cred, old: { r: number; e: number; s: number }, keepCaps: boolean): void {
  const c = cred.caps;
  const hadRoot = old.r === 0 || old.e === 0 || old.s === 0;
  const hasRoot = cred.uid === 0 || cred.euid === 0 || cred.suid === 0;
  if (hadRoot && !hasRoot) {
    if (!keepCaps) {
      c.permitted = 0n;
      c.effective = 0n;
    }
    c.ambient = 0n;
  }
  if (old.e === 0 && cred.euid !== 0) c.effective = 0n;
  if (old.e !== 0 && cred.euid === 0) c.effective = c.permitted;
}

/** cap_task_fix_setuid for setfsuid: the filesystem capabilities follow fsuid 0. */
export function fixSetfsuid(cred: Cred, oldFsuid: number): void {
  const c = cred.caps;
  if (oldFsuid === 0 && cred.fsuid !== 0) c.effective &= ~CAP_FS_SET;
  if (oldFsuid !== 0 && cred.fsuid === 0) c.effective |= c.permitted & CAP_FS_SET;
}

/**
 * cap_bprm_creds_from_file for a file without capabilities (elfuse runs no
 * set-user-ID programs as such): root, real or effective, gets the bounding
 * set and its inheritable set as permitted, effective if the effective uid
 * is 0; anyone else keeps only the ambient set.
 */
export function capsAtExec(cred: Cred): void {
  const c = cred.caps;
  let permitted = 0n;
  if (cred.euid === 0 || cred.uid === 0) permitted = c.bounding | c.inheritable;
  permitted |= c.ambient;
  c.permitted = permitted;
  c.effective = cred.euid === 0 ? permitted : c.ambient;
}

// include/uapi/linux/capability.h
export const _LINUX_CAPABILITY_VERSION_1 = 0x19980330;
export const _LINUX_CAPABILITY_VERSION_2 = 0x20071026;
export const _LINUX_CAPABILITY_VERSION_3 = 0x20080522;
/** struct __user_cap_data_struct: effective, permitted, inheritable (u32 each). */
const CAP_DATA_SIZE = 12;

/**
 * cap_validate_magic: how many 32-bit words of each set the caller's
 * version carries. An unknown version is EINVAL with the preferred version
 * written back into the header (the probe libcap makes).
 */
function dataWords(task: Task, header: number): number {
  const version = task.mem.readU32(header);
  if (version === _LINUX_CAPABILITY_VERSION_1) return 1;
  if (version === _LINUX_CAPABILITY_VERSION_2 || version === _LINUX_CAPABILITY_VERSION_3) return 2;
  task.mem.writeU32(header, _LINUX_CAPABILITY_VERSION_3);
  throw new SyscallError(Errno.EINVAL);
}

/** The effective, permitted and inheritable sets of `pid` (0: the caller). */
function targetCaps(task: Task, pid: number): { effective: bigint; permitted: bigint; inheritable: bigint } {
  if (pid === 0 || pid === task.pid || pid === task.tid) return task.cred.caps;
  const rec = guestRecord(task, pid);
  if (rec?.caps) return { effective: BigInt(rec.caps[0]), permitted: BigInt(rec.caps[1]), inheritable: BigInt(rec.caps[2]) };
  // A child that has not published itself yet still has the sets it was forked with.
  const forked = task.tg.children.byPid.get(pid)?.caps;
  if (forked) return { effective: forked[0], permitted: forked[1], inheritable: forked[2] };
  if (!processExists(task, pid)) throw new SyscallError(Errno.ESRCH);
  task.trace(`elfuse: capget: process ${pid} publishes no capabilities here; answering empty sets`);
  return { effective: 0n, permitted: 0n, inheritable: 0n };
}

/** capget(2) */
function sysCapget(task: Task, a: SyscallArgs): number {
  const header = a.ptr(0);
  const data = a.ptr(1);
  let words: number;
  try {
    words = dataWords(task, header);
  } catch (e) {
    // A NULL data pointer turns the version probe into a success.
    if (data === 0 && e instanceof SyscallError && e.errno === Errno.EINVAL) return 0;
    throw e;
  }
  if (data === 0) return 0;
  const pid = task.mem.readU32(header + 4) | 0;
  if (pid < 0) return -Errno.EINVAL;
  const caps = targetCaps(task, pid);
  const w = new StructWriter(words * CAP_DATA_SIZE);
  for (let i = 0; i < words; i++) {
    const word = (v: bigint): number => Number((v >> BigInt(32 * i)) & 0xffff_ffffn);
    w.u32(i * CAP_DATA_SIZE, word(caps.effective))
      .u32(i * CAP_DATA_SIZE + 4, word(caps.permitted))
      .u32(i * CAP_DATA_SIZE + 8, word(caps.inheritable));
  }
  task.mem.write(data, w.bytes);
  return 0;
}

const isSubset = (a: bigint, b: bigint): boolean => (a & ~b) === 0n;

/** capset(2): the caller's own sets only, never raised beyond what cap_capset allows. */
function sysCapset(task: Task, a: SyscallArgs): number {
  const header = a.ptr(0);
  const words = dataWords(task, header);
  const pid = task.mem.readU32(header + 4) | 0;
  if (pid !== 0 && pid !== task.pid) return -Errno.EPERM;
  const r = new StructReader(task.mem.read(a.ptr(1), words * CAP_DATA_SIZE));
  let effective = 0n;
  let permitted = 0n;
  let inheritable = 0n;
  for (let i = 0; i < words; i++) {
    const shift = BigInt(32 * i);
    effective |= BigInt(r.u32(i * CAP_DATA_SIZE)) << shift;
    permitted |= BigInt(r.u32(i * CAP_DATA_SIZE + 4)) << shift;
    inheritable |= BigInt(r.u32(i * CAP_DATA_SIZE + 8)) << shift;
  }
  effective &= CAP_FULL_SET;
  permitted &= CAP_FULL_SET;
  inheritable &= CAP_FULL_SET;
  const old = task.cred.caps;
  // cap_capset, in its order.
  if (!isSubset(inheritable, old.inheritable | old.permitted) && !capable(task, CAP_SETPCAP)) return -Errno.EPERM;
  if (!isSubset(inheritable, old.inheritable | old.bounding)) return -Errno.EPERM;
  if (!isSubset(permitted, old.permitted)) return -Errno.EPERM;
  if (!isSubset(effective, permitted)) return -Errno.EPERM;
  old.effective = effective;
  old.permitted = permitted;
  old.inheritable = inheritable;
  old.ambient &= permitted & inheritable;
  return 0;
}

export const capabilitySyscalls: Readonly<Record<string, SyscallImpl>> = {
  capget: { handler: sysCapget, support: 'full', args: ['ptr', 'ptr'] },
  capset: { handler: sysCapset, support: 'full', args: ['ptr', 'ptr'] },
};
