/**
 * /proc as the guest sees it (fs/proc/): the process's own directory
 * (/proc/self and /proc/<pid>) built from the Task (address space, fds,
 * identity, signals, name); the directories of the other guest processes
 * of this elfuse process tree, built from the records they publish
 * (proc-records.ts) and what the host says of their state and parent, and
 * of this process's zombie children; and the system-wide files built from
 * what the host reports and what elfuse presents (a 6.12 aarch64 kernel
 * with the vCPU the guest runs on). Formats follow proc(5) and the
 * kernel's seq_printf calls; numbers elfuse does not track (context
 * switches, page faults) are 0. /proc/<pid>/net (and /proc/net, a link
 * to self/net) is the host's own /proc/<pid>/net of the elfuse process:
 * guest sockets are host sockets in the host's network namespace, so its
 * tcp, udp, unix and dev tables are the guest's too (a host without it,
 * macOS, has no /proc/net at all: ENOENT).
 *
 * The tree is what a container's pid namespace would hold: /proc lists the
 * processes elfuse runs for it (the first one and all forked from it),
 * never the host's other processes, though their pids are host pids.
 */

import type { GuestMemory } from '../memory/guest-memory.js';
import type { Vma } from '../memory/address-space.js';
import { smapsRollupText, smapsText } from './procfs-smaps.js';
import { cpuinfoFeatures } from '../boot/hwcap.js';
import { MAP_ANONYMOUS, MAP_SHARED, PROT_EXEC, PROT_READ, PROT_WRITE } from './linux-abi.js';
import type { OpenFile } from './fd-table.js';
import { filePosition, statHostPath, statusFlags, withTarget } from './fs-util.js';
import { AT_FDCWD } from './linux-abi.js';
import { limitsText, oomAdjText, oomScoreAdjText, oomScoreText, writeOomAdj, writeOomScoreAdj } from './procfs-limits.js';
import { UTS_RELEASE, UTS_VERSION } from './process.js';
import { ownPendingSet, sharedPendingSet } from './signal-deliver.js';
import { dirNode, text, type SynthNode } from './synthfs.js';
import { guestRecord, latin1Bytes, publishRecord, type GuestRecord } from './proc-records.js';
import type { Task } from './task.js';
import { leaderOf, threadOf } from './thread.js';

/** What the process image looked like at exec: where argv/envp live, the auxv, the CPU it was given. */
export interface ProcImage {
  /** The executable's absolute guest path (/proc/self/exe). */
  readonly exePath: string;
  readonly argStart: number;
  readonly argEnd: number;
  readonly envStart: number;
  readonly envEnd: number;
  /** The auxiliary vector as the guest's stack holds it, AT_NULL included. */
  readonly auxv: Uint8Array;
  readonly hwcap: bigint;
  readonly hwcap2: bigint;
  /** MIDR_EL1 of the vCPU (implementer, variant, part, revision in /proc/cpuinfo). */
  readonly midr: bigint;
  /** Start of the loaded image's code and end of its data (for /proc/self/stat). */
  readonly startCode?: number;
  readonly endCode?: number;
  readonly startStack?: number;
  /** The executable's PT_LOAD pages and their file offsets (the offset column of maps). */
  readonly segments?: readonly { readonly start: number; readonly end: number; readonly offset: number }[];
}

/** Reads argc/argv/envp/auxv back from the initial stack at `sp`, as exec left it. */
export function procImageFromStack(
  mem: GuestMemory,
  sp: number,
  rest: Pick<ProcImage, 'exePath' | 'hwcap' | 'hwcap2' | 'midr' | 'startCode' | 'endCode' | 'segments'>,
): ProcImage {
  // The pointer table is read a page at a time (a big argv has hundreds of thousands of
  // words); sp is 16-byte aligned, so no word crosses a page.
  let pageVa = -1;
  let page: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));
  const word = (va: number): number => {
    const base = va - (va % 4096);
    if (base !== pageVa) {
      const bytes = mem.read(base, 4096);
      page = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      pageVa = base;
    }
    return page.getUint32(va - base, true) + page.getUint32(va - base + 4, true) * 2 ** 32;
  };
  const strEnd = (va: number): number => va + mem.readCString(va, 1 << 17).length + 1;
  const argc = word(sp);
  let p = sp + 8;
  const argv: number[] = [];
  for (let i = 0; i < argc; i++, p += 8) argv.push(word(p));
  p += 8;
  const envp: number[] = [];
  for (let v = word(p); v !== 0; p += 8, v = word(p)) envp.push(v);
  p += 8;
  const auxStart = p;
  while (word(p) !== 0) p += 16;
  const auxv = mem.read(auxStart, p + 16 - auxStart);
  const argStart = argv[0] ?? 0;
  const argEnd = argv.length > 0 ? strEnd(argv[argv.length - 1] as number) : argStart;
  const envStart = envp[0] ?? argEnd;
  const envEnd = envp.length > 0 ? strEnd(envp[envp.length - 1] as number) : envStart;
  return { ...rest, argStart, argEnd, envStart, envEnd, auxv, startStack: sp };
}

const hex16 = (v: bigint): string => v.toString(16).padStart(16, '0');
const kB = (bytes: number | bigint): string => `${String(BigInt(bytes) / 1024n).padStart(8)} kB`;

/** /proc/self/maps: one line per VMA, "start-end perms offset dev inode" padded to column 73, then the name. */
export function mapsText(task: Task): string {
  let out = '';
  for (const v of task.as.vmas) out += mapsLine(task, v);
  return out;
}

/** One VMA's line of /proc/self/maps (show_map_vma), also the head of its smaps block. */
export function mapsLine(task: Task, v: Vma): string {
  {
    const perms =
      (v.prot & PROT_READ ? 'r' : '-') +
      (v.prot & PROT_WRITE ? 'w' : '-') +
      (v.prot & PROT_EXEC ? 'x' : '-') +
      (v.flags & MAP_SHARED ? 's' : 'p');
    let offset = 0n;
    let dev = '00:00';
    let ino = 0n;
    let name = v.name;
    // get_vma_name: a named shared anonymous mapping, or private anonymous memory other than heap and stack.
    if (v.anonName !== undefined && v.obj && v.flags & MAP_ANONYMOUS) name = `[anon_shmem:${v.anonName}]`;
    else if (v.anonName !== undefined && name === '') name = `[anon:${v.anonName}]`;
    // Shared anonymous memory is a deleted shmem file (shmem_zero_setup).
    else if (name === '' && v.obj && v.flags & MAP_ANONYMOUS && v.flags & MAP_SHARED) name = '/dev/zero (deleted)';
    if (name !== '' && !name.startsWith('[')) {
      // A file mapping knows its offset; the loaded ELF's segments are recorded by the loader.
      const seg = task.mm.image?.segments?.find((g) => g.start <= v.start && v.start < g.end);
      if (v.obj) offset = BigInt(v.offset);
      else if (seg) offset = BigInt(seg.offset + (v.start - seg.start));
      try {
        // The name is a guest path: looked up in the guest's view, as any path.
        const st = withTarget(task, AT_FDCWD, name, { follow: true }, (t) => (t.kind === 'host' ? t.st : null));
        if (st) {
          dev = `${(Number(st.dev >> 8n) & 0xfff).toString(16).padStart(2, '0')}:${(Number(st.dev) & 0xff).toString(16).padStart(2, '0')}`;
          ino = st.ino;
        }
      } catch {
        // the file is gone: Linux would still show it; keep dev and inode 0
      }
    }
    const head = `${v.start.toString(16).padStart(8, '0')}-${v.end.toString(16).padStart(8, '0')} ${perms} ${offset.toString(16).padStart(8, '0')} ${dev} ${ino} `;
    return name === '' ? `${head}\n` : `${head.padEnd(73)}${name}\n`;
  }
}

function vmSizes(task: Task): { total: number; stack: number; data: number; exe: number } {
  let total = 0;
  let stack = 0;
  let data = 0;
  let exe = 0;
  for (const v of task.as.vmas) {
    const len = v.end - v.start;
    total += len;
    if (v.name === '[stack]') stack += len;
    else if (v.prot & PROT_EXEC) exe += len;
    else if (v.prot & PROT_WRITE && !(v.flags & MAP_SHARED)) data += len;
  }
  return { total, stack, data, exe };
}

function sigIgnCgt(task: Task): { ign: bigint; cgt: bigint } {
  let ign = 0n;
  let cgt = 0n;
  task.tg.sigactions.forEach((a, i) => {
    if (a.handler === 1n) ign |= 1n << BigInt(i);
    else if (a.handler !== 0n) cgt |= 1n << BigInt(i);
  });
  return { ign, cgt };
}

/** The parent as it is now (an orphan's is whoever adopted it), as getppid(2) says. */
function liveParent(task: Task): number {
  try {
    return task.host.processes.getppid();
  } catch {
    return task.ppid;
  }
}

/** /proc/self/status (fs/proc/array.c proc_pid_status), the fields programs look for. */
function statusText(task: Task): string {
  const vm = vmSizes(task);
  const { ign, cgt } = sigIgnCgt(task);
  const umask = task.host.process.umask(0o022);
  task.host.process.umask(umask);
  const caps = task.cred.caps;
  return [
    `Name:\t${task.comm}`,
    `Umask:\t${umask.toString(8).padStart(4, '0')}`,
    'State:\tR (running)',
    `Tgid:\t${task.pid}`,
    'Ngid:\t0',
    `Pid:\t${task.tid}`,
    `PPid:\t${liveParent(task)}`,
    'TracerPid:\t0',
    `Uid:\t${task.cred.uid}\t${task.cred.euid}\t${task.cred.suid}\t${task.cred.euid}`,
    `Gid:\t${task.cred.gid}\t${task.cred.egid}\t${task.cred.sgid}\t${task.cred.egid}`,
    'FDSize:\t64',
    `Groups:\t${task.cred.groups.join(' ')} `,
    `VmPeak:\t${kB(vm.total)}`,
    `VmSize:\t${kB(vm.total)}`,
    `VmLck:\t${kB(0)}`,
    `VmHWM:\t${kB(vm.total)}`,
    `VmRSS:\t${kB(vm.total)}`,
    `VmData:\t${kB(vm.data)}`,
    `VmStk:\t${kB(vm.stack)}`,
    `VmExe:\t${kB(vm.exe)}`,
    `VmLib:\t${kB(0)}`,
    `VmSwap:\t${kB(0)}`,
    `Threads:\t${Math.max(task.tg.threads.size, 1)}`,
    `SigQ:\t${task.tg.sigqueueUsed}/${task.tg.rlimits[11]?.cur ?? 0n}`,
    `SigPnd:\t${hex16(ownPendingSet(task))}`,
    `ShdPnd:\t${hex16(sharedPendingSet(task))}`,
    `SigBlk:\t${hex16(task.sigmask)}`,
    `SigIgn:\t${hex16(ign)}`,
    `SigCgt:\t${hex16(cgt)}`,
    `CapInh:\t${hex16(caps.inheritable)}`,
    `CapPrm:\t${hex16(caps.permitted)}`,
    `CapEff:\t${hex16(caps.effective)}`,
    `CapBnd:\t${hex16(caps.bounding)}`,
    `CapAmb:\t${hex16(caps.ambient)}`,
    `NoNewPrivs:\t${task.tg.noNewPrivs ? 1 : 0}`,
    'Seccomp:\t0',
    'Cpus_allowed:\t1',
    'Cpus_allowed_list:\t0',
    'voluntary_ctxt_switches:\t0',
    'nonvoluntary_ctxt_switches:\t0',
    '',
  ].join('\n');
}

/** /proc/self/stat (proc_pid_stat): 52 space-separated fields; times in clock ticks. */
function statText(task: Task): string {
  const img = task.mm.image;
  const vm = vmSizes(task);
  const ticks = task.host.clock.processCpuNs() / 10_000_000n;
  const { ign, cgt } = sigIgnCgt(task);
  const brk = BigInt(task.as.brkBase);
  const f = [
    task.tid,
    `(${task.comm})`,
    'R',
    liveParent(task),
    task.pid,
    task.pid,
    0,
    -1,
    0x400000,
    0,
    0,
    0,
    0,
    ticks,
    0,
    0,
    0,
    20,
    task.tg.nice,
    Math.max(task.tg.threads.size, 1),
    0,
    0,
    vm.total,
    Math.floor(vm.total / 4096),
    task.tg.rlimits[5]?.cur ?? 0n,
    img?.startCode ?? 0,
    img?.endCode ?? 0,
    img?.startStack ?? 0,
    0,
    0,
    task.sigpending & 0x7fff_ffffn,
    task.sigmask & 0x7fff_ffffn,
    ign & 0x7fff_ffffn,
    cgt & 0x7fff_ffffn,
    0,
    0,
    0,
    17,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    brk,
    img?.argStart ?? 0,
    img?.argEnd ?? 0,
    img?.envStart ?? 0,
    img?.envEnd ?? 0,
    0,
  ];
  return `${f.join(' ')}\n`;
}

/** Guest memory between two addresses (cmdline, environ read the live strings, as Linux does). */
function guestRange(task: Task, start: number, end: number): Uint8Array {
  if (end <= start) return new Uint8Array(0);
  try {
    return task.mem.read(start, end - start);
  } catch {
    return new Uint8Array(0);
  }
}

/** The link text of /proc/self/fd/N: a path, or "type:[inode]" for what has none. */
function fdLinkTarget(task: Task, file: OpenFile): string {
  if (file.pidfd !== null) return 'anon_inode:[pidfd]';
  // A made-up socket (netlink.ts) is a socket, not an anon inode; it has no inode number of its own.
  if (file.event) return file.event.mode !== undefined && (file.event.mode & 0o170000) === 0o140000 ? 'socket:[0]' : `anon_inode:[${file.event.name}]`;
  if (file.synth || file.kind === 'file' || file.kind === 'dir' || file.kind === 'path' || file.kind === 'chr') {
    if (!file.ownsHostFd) return stdioTarget(task, file);
    // The walk recorded the object's canonical guest path (d_path).
    return file.path;
  }
  // A terminal the guest opened by name (/dev/ptmx, /dev/pts/N, /dev/tty), or a pty's peer.
  if (file.kind === 'tty' && file.ownsHostFd && file.path.startsWith('/')) return file.path;
  return stdioTarget(task, file);
}

function stdioTarget(task: Task, file: OpenFile): string {
  if (file.kind === 'tty') return '/dev/tty';
  let ino = 0n;
  let dev = 0n;
  try {
    ({ ino, dev } = task.host.fs.fstat(file.hostFd));
  } catch {
    // closed underneath: report inode 0
  }
  if (file.kind === 'chr') {
    // An inherited character device is usually /dev/null (a daemon's or a test runner's stdin).
    try {
      const devNull = statHostPath(task, '/dev/null');
      if (devNull.ino === ino && devNull.dev === dev) return '/dev/null';
    } catch {
      // no /dev/null on the host
    }
  }
  if (file.kind === 'socket') return `socket:[${ino}]`;
  if (file.kind === 'fifo') return `pipe:[${ino}]`;
  if (file.kind === 'inotify') return 'anon_inode:inotify';
  return `anon_inode:[${file.kind}]`;
}

/** Whether following the fd link should reopen a path, or hand back the description itself. */
function fdLinkIsPath(file: OpenFile): boolean {
  return file.ownsHostFd && (file.synth !== null || file.kind === 'file' || file.kind === 'dir' || file.kind === 'path' || file.kind === 'chr');
}

function fdDir(task: Task): SynthNode {
  return dirNode(
    () =>
      new Map(
        task.fds.openFds().map((fd): [string, () => SynthNode] => [
          String(fd),
          () => {
            const file = task.fds.get(fd) as OpenFile;
            return fdLinkIsPath(file) ? { type: 'link', target: () => fdLinkTarget(task, file) } : { type: 'link', target: () => fdLinkTarget(task, file), file };
          },
        ]),
      ),
    0o500,
  );
}

function fdinfoDir(task: Task): SynthNode {
  return dirNode(
    () =>
      new Map(
        task.fds.openFds().map((fd): [string, () => SynthNode] => [
          String(fd),
          () => ({
            type: 'file',
            mode: 0o444,
            content: text(() => {
              const file = task.fds.get(fd);
              if (!file) return '';
              let ino = 0n;
              try {
                ino = file.hostFd >= 0 ? task.host.fs.fstat(file.hostFd).ino : 0n;
              } catch {
                // keep 0
              }
              const flags = statusFlags(task, file) | (task.fds.isCloexec(fd) ? 0o2000000 : 0);
              const pid = file.pidfd !== null ? `Pid:\t${file.pidfd}\n` : '';
              return `pos:\t${filePosition(task, file)}\nflags:\t0${flags.toString(8).padStart(7, '0')}\nmnt_id:\t0\nino:\t${ino}\n${pid}`;
            }),
          }),
        ]),
      ),
    0o500,
  );
}

const MOUNTS =
  'rootfs / rootfs rw 0 0\n' +
  'proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n' +
  'devtmpfs /dev devtmpfs rw,nosuid,relatime,mode=755 0 0\n';

/** /proc/<pid>/task: a directory per live thread. */
function taskDir(task: Task): SynthNode {
  return dirNode(() => new Map([...threadsOf(task)].map((t): [string, () => SynthNode] => [String(t.tid), () => threadDir(t)])));
}

function threadsOf(task: Task): Set<Task> {
  return task.tg.threads.size > 0 ? task.tg.threads : new Set([task]);
}

/** /proc/<pid>/task/<tid>: one thread's name, state and mask, and what it shares with its process. */
function threadDir(thread: Task): SynthNode {
  const entries = new Map<string, () => SynthNode>([
    ['comm', commNode(thread)],
    ['stat', () => ({ type: 'file', mode: 0o444, content: text(() => statText(thread)) })],
    ['status', () => ({ type: 'file', mode: 0o444, content: text(() => statusText(thread)) })],
  ]);
  return dirNode(() => entries);
}

/** comm: the thread's name, written as PR_SET_NAME sets it. */
function commNode(task: Task): () => SynthNode {
  return () => ({
    type: 'file',
    mode: 0o644,
    content: text(() => `${task.comm}\n`),
    write: (data) => task.setComm(data),
  });
}

/** /proc/<pid>/net: the host's directory of the network namespace every guest process shares. */
function netNode(task: Task): () => SynthNode {
  return () => ({ type: 'host', hostPath: `/proc/${task.host.process.pid}/net` });
}

/** /proc/<pid>: the process's own directory, seen through its leader (the caller once the leader is gone). */
function pidDir(caller: Task): SynthNode {
  const task = leaderOf(caller);
  const file = (make: () => string, mode = 0o444): (() => SynthNode) => () => ({ type: 'file', mode, content: text(make) });
  const bytes = (make: () => Uint8Array, mode = 0o400): (() => SynthNode) => () => ({ type: 'file', mode, content: make });
  const entries = new Map<string, () => SynthNode>([
    ['auxv', bytes(() => task.mm.image?.auxv ?? new Uint8Array(16))],
    ['cmdline', bytes(() => guestRange(task, task.mm.image?.argStart ?? 0, task.mm.image?.argEnd ?? 0), 0o444)],
    ['comm', commNode(task)],
    ['cwd', () => ({ type: 'link', target: () => task.fsContext.cwdGuestPath })],
    ['environ', bytes(() => guestRange(task, task.mm.image?.envStart ?? 0, task.mm.image?.envEnd ?? 0))],
    ['exe', () => ({ type: 'link', target: () => task.mm.image?.exePath ?? task.mm.execfn })],
    ['fd', () => fdDir(task)],
    ['fdinfo', () => fdinfoDir(task)],
    ['maps', file(() => mapsText(task))],
    ['limits', file(() => limitsText(task))],
    ['mounts', file(() => MOUNTS)],
    ['net', netNode(task)],
    ['smaps', file(() => smapsText(task))],
    ['smaps_rollup', file(() => smapsRollupText(task))],
    ['oom_adj', () => ({ type: 'file', mode: 0o644, content: text(() => oomAdjText(task)), write: (data) => writeOomAdj(task, data) })],
    ['oom_score', file(() => oomScoreText(task, task.as.residentPages))],
    ['oom_score_adj', () => ({ type: 'file', mode: 0o644, content: text(() => oomScoreAdjText(task)), write: (data) => writeOomScoreAdj(task, data) })],
    ['root', () => ({ type: 'link', target: () => '/' })],
    ['stat', file(() => statText(task))],
    ['status', file(() => statusText(task))],
    ['task', () => taskDir(task)],
  ]);
  return dirNode(() => entries);
}

/** Publishes this process's record for the others' /proc and kill (proc-records.ts), if it changed. */
export function publishSelf(caller: Task, force = false): void {
  // The process's record is its leader's view, whichever thread publishes it.
  const task = leaderOf(caller);
  publishRecord(task, (file) => fdLinkTarget(task, file), force);
}

const STATE_NAMES: Readonly<Record<string, string>> = {
  R: 'R (running)',
  S: 'S (sleeping)',
  D: 'D (disk sleep)',
  T: 'T (stopped)',
  t: 't (tracing stop)',
  Z: 'Z (zombie)',
  X: 'X (dead)',
  I: 'I (idle)',
};

/** What /proc/<pid>/stat and status show of another process. */
interface OtherView {
  readonly pid: number;
  readonly comm: string;
  readonly state: string;
  readonly ppid: number;
  readonly pgrp: number;
  readonly session: number;
  readonly uid: readonly number[];
  readonly gid: readonly number[];
}

function otherStat(v: OtherView): string {
  const f: (string | number)[] = [v.pid, `(${v.comm})`, v.state, v.ppid, v.pgrp, v.session, 0, -1];
  while (f.length < 52) f.push(f.length === 37 ? 17 : 0); // field 38: exit_signal
  return `${f.join(' ')}\n`;
}

function otherStatus(v: OtherView): string {
  return [
    `Name:\t${v.comm}`,
    `State:\t${STATE_NAMES[v.state] ?? v.state}`,
    `Tgid:\t${v.pid}`,
    'Ngid:\t0',
    `Pid:\t${v.pid}`,
    `PPid:\t${v.ppid}`,
    'TracerPid:\t0',
    `Uid:\t${v.uid[0]}\t${v.uid[1]}\t${v.uid[2]}\t${v.uid[1]}`,
    `Gid:\t${v.gid[0]}\t${v.gid[1]}\t${v.gid[2]}\t${v.gid[1]}`,
    'Threads:\t1',
    '',
  ].join('\n');
}

/** /proc/<pid> of another guest process of the tree: its record, with state and parent from the host. */
function otherPidDir(task: Task, pid: number, first: GuestRecord): SynthNode {
  // Each read sees the record as published then; a process gone meanwhile keeps its last one.
  const rec = (): GuestRecord => guestRecord(task, pid) ?? first;
  const view = (): OtherView => {
    const host = task.host.processes.hostView(pid);
    const r = rec();
    return { pid, comm: r.comm, state: host ? (host.state === '?' ? 'S' : host.state) : 'X', ppid: host?.ppid ?? 0, pgrp: host?.pgrp ?? 0, session: host?.session ?? 0, uid: r.uid, gid: r.gid };
  };
  const file = (make: () => string): (() => SynthNode) => () => ({ type: 'file', mode: 0o444, content: text(make) });
  const entries = new Map<string, () => SynthNode>([
    ['cmdline', () => ({ type: 'file', mode: 0o444, content: () => latin1Bytes(rec().cmdline) })],
    ['comm', file(() => `${rec().comm}\n`)],
    ['cwd', () => ({ type: 'link', target: () => rec().cwd })],
    ['environ', () => ({ type: 'file', mode: 0o400, content: () => latin1Bytes(rec().environ) })],
    ['exe', () => ({ type: 'link', target: () => rec().exe })],
    [
      'fd',
      () =>
        dirNode(
          () => new Map(rec().fds.map(([fd, target]): [string, () => SynthNode] => [String(fd), () => ({ type: 'link', target: () => target })])),
          0o500,
        ),
    ],
    ['net', netNode(task)],
    ['root', () => ({ type: 'link', target: () => '/' })],
    ['stat', file(() => otherStat(view()))],
    ['status', file(() => otherStatus(view()))],
  ]);
  return dirNode(() => entries);
}

/** /proc/<pid> of a zombie child: only its name and state are left (its parent is this process). */
function zombieDir(task: Task, pid: number, comm: string): SynthNode {
  const view = (): OtherView => {
    let pgrp = 0;
    const child = task.tg.children.byPid.get(pid);
    if (child) pgrp = child.pgid;
    const c = task.cred;
    return { pid, comm, state: 'Z', ppid: task.pid, pgrp, session: 0, uid: [c.uid, c.euid, c.suid], gid: [c.gid, c.egid, c.sgid] };
  };
  const file = (make: () => string): (() => SynthNode) => () => ({ type: 'file', mode: 0o444, content: text(make) });
  const entries = new Map<string, () => SynthNode>([
    ['cmdline', () => ({ type: 'file', mode: 0o444, content: () => new Uint8Array(0) })],
    ['comm', file(() => `${comm}\n`)],
    ['stat', file(() => otherStat(view()))],
    ['status', file(() => otherStatus(view()))],
  ]);
  return dirNode(() => entries);
}

/** The pid directories /proc holds besides this process's own: the tree's other processes and this one's zombies. */
function otherPids(task: Task): Map<string, () => SynthNode> {
  const out = new Map<string, () => SynthNode>();
  for (const child of task.tg.children.byPid.values()) {
    if (child.state === 'zombie') out.set(String(child.pid), () => zombieDir(task, child.pid, child.comm));
  }
  for (const pid of task.host.processes.publishedPids()) {
    // A child this process reaped is gone, though its host process may outlive the report a moment.
    if (pid === task.pid || out.has(String(pid)) || task.tg.children.wasReaped(pid)) continue;
    const rec = guestRecord(task, pid);
    if (rec) out.set(String(pid), () => otherPidDir(task, pid, rec));
  }
  return out;
}

/** /proc/cpuinfo for the one vCPU the guest has (show_cpuinfo in arch/arm64/kernel/cpuinfo.c). */
function cpuinfoText(task: Task): string {
  const img = task.mm.image;
  const midr = img?.midr ?? 0n;
  const field = (shift: bigint, bits: bigint): bigint => (midr >> shift) & ((1n << bits) - 1n);
  return (
    'processor\t: 0\n' +
    'BogoMIPS\t: 48.00\n' +
    `Features\t: ${cpuinfoFeatures(img?.hwcap ?? 0n, img?.hwcap2 ?? 0n).join(' ')}\n` +
    `CPU implementer\t: 0x${field(24n, 8n).toString(16).padStart(2, '0')}\n` +
    `CPU architecture: 8\n` +
    `CPU variant\t: 0x${field(20n, 4n).toString(16)}\n` +
    `CPU part\t: 0x${field(4n, 12n).toString(16).padStart(3, '0')}\n` +
    `CPU revision\t: ${field(0n, 4n)}\n\n`
  );
}

function meminfoText(task: Task): string {
  const mem = task.host.process.memory();
  const line = (name: string, bytes: bigint): string => `${`${name}:`.padEnd(16)}${String(bytes / 1024n).padStart(8)} kB\n`;
  return (
    line('MemTotal', mem.totalBytes) +
    line('MemFree', mem.freeBytes) +
    line('MemAvailable', mem.freeBytes) +
    line('Buffers', 0n) +
    line('Cached', 0n) +
    line('SwapCached', 0n) +
    line('Shmem', 0n) +
    line('SReclaimable', 0n) +
    line('SwapTotal', 0n) +
    line('SwapFree', 0n)
  );
}

function procStatText(task: Task): string {
  const up = task.host.process.uptimeSeconds();
  const btime = Math.floor(Number(task.host.clock.realtimeNs() / 1_000_000_000n) - up);
  const user = task.host.clock.processCpuNs() / 10_000_000n;
  const idle = BigInt(Math.floor(up * 100)) - user;
  const cpu = `${user} 0 0 ${idle > 0n ? idle : 0n} 0 0 0 0 0 0`;
  return `cpu  ${cpu}\ncpu0 ${cpu}\nintr 0\nctxt 0\nbtime ${btime}\nprocesses 1\nprocs_running 1\nprocs_blocked 0\nsoftirq 0 0 0 0 0 0 0 0 0 0 0\n`;
}

function uptimeText(task: Task): string {
  const up = task.host.process.uptimeSeconds();
  return `${up.toFixed(2)} ${up.toFixed(2)}\n`;
}

function loadavgText(task: Task): string {
  const [a, b, c] = task.host.process.loadavg();
  return `${a.toFixed(2)} ${b.toFixed(2)} ${c.toFixed(2)} 1/1 ${task.pid}\n`;
}

/** /proc/version: "Linux version RELEASE (USER@HOST) (COMPILER) VERSION". */
export function versionText(): string {
  return `Linux version ${UTS_RELEASE} (elfuse@elfuse) (elfuse) ${UTS_VERSION}\n`;
}

const FILESYSTEMS = ['nodev\tsysfs', 'nodev\ttmpfs', 'nodev\tproc', 'nodev\tdevtmpfs', 'nodev\tdevpts', 'nodev\tpipefs', '\text4', '\tvfat', ''].join(
  '\n',
);

/** PID_MAX_LIMIT on 64-bit (include/linux/threads.h). */
const PID_MAX = 4194304;

/** The root of /proc. */
export function procRoot(task: Task): SynthNode {
  const file = (make: () => string): (() => SynthNode) => () => ({ type: 'file', mode: 0o444, content: text(make) });
  const kernel = new Map<string, () => SynthNode>([
    ['hostname', () => ({ type: 'file', mode: 0o644, content: text(() => `${task.host.process.hostname()}\n`) })],
    ['osrelease', file(() => `${UTS_RELEASE}\n`)],
    ['ostype', file(() => 'Linux\n')],
    ['pid_max', () => ({ type: 'file', mode: 0o644, content: text(() => `${PID_MAX}\n`) })],
  ]);
  const sys = new Map<string, () => SynthNode>([['kernel', () => dirNode(() => kernel)]]);
  const entries = new Map<string, () => SynthNode>([
    [String(task.pid), () => pidDir(task)],
    ['cpuinfo', file(() => cpuinfoText(task))],
    ['filesystems', file(() => FILESYSTEMS)],
    ['loadavg', file(() => loadavgText(task))],
    ['meminfo', file(() => meminfoText(task))],
    ['mounts', () => ({ type: 'link', target: () => 'self/mounts' })],
    ['net', () => ({ type: 'link', target: () => 'self/net' })],
    ['self', () => ({ type: 'link', target: () => String(task.pid) })],
    ['thread-self', () => ({ type: 'link', target: () => `${task.pid}/task/${task.tid}` })],
    ['stat', file(() => procStatText(task))],
    ['sys', () => dirNode(() => sys)],
    ['uptime', file(() => uptimeText(task))],
    ['version', file(versionText)],
  ]);
  const all = dirNode(() => new Map([...otherPids(task), ...entries]));
  if (all.type !== 'dir') return all;
  // A lookup by name reads one record, not the whole tree's.
  return {
    ...all,
    child: (name) => {
      const own = entries.get(name);
      if (own) return own();
      if (!/^[1-9][0-9]*$/.test(name)) return undefined;
      const pid = Number(name);
      // Another thread's id names its process's directory too (not listed, as on Linux).
      if (threadOf(task, pid)) return pidDir(task);
      const child = task.tg.children.byPid.get(pid);
      if (child?.state === 'zombie') return zombieDir(task, pid, child.comm);
      if (task.tg.children.wasReaped(pid)) return undefined;
      const rec = guestRecord(task, pid);
      return rec ? otherPidDir(task, pid, rec) : undefined;
    },
  };
}
