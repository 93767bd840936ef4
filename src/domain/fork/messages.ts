/**
 * What elfuse processes say to each other over their control channel
 * (ports/processes.ts). A parent sends its forked child the fork state
 * first; a child reports what a parent's wait4/waitid and SIGCHLD need to
 * know (exit with status and resource usage, death by a signal, stop,
 * continue, and the execve or exit that releases a vfork parent); either
 * side sends the other a signal with its real siginfo (sender pid and uid,
 * sigqueue value), which a bare host signal could not carry; a parent asks
 * a child that has not exec'd to change its own process group (the host
 * refuses the parent: to it, every elfuse process has exec'd), and the
 * child answers with the errno; a child whose host process may serve
 * another fork says so before its exit report. An exiting process hands
 * each zombie child it did not reap to its nearest child subreaper
 * (kernel/reparent.ts), over the channel when that is its parent, else
 * through the subreaper's mailbox, which answers whether it took it.
 *
 * Encoding: one type byte, then the fields as little-endian integers.
 */

export interface Rusage {
  /** User and system CPU time, microseconds. */
  readonly utimeUs: bigint;
  readonly stimeUs: bigint;
  /** Peak resident set, KiB. */
  readonly maxrssKb: bigint;
}

export interface SignalInfoMessage {
  readonly signo: number;
  readonly code: number;
  readonly pid: number;
  readonly uid: number;
  readonly value: bigint;
}

export type ChannelMessage =
  | { readonly kind: 'state'; readonly bytes: Uint8Array }
  /** `uid`: the child's real uid as it ended (SIGCHLD's and waitid's si_uid). */
  | { readonly kind: 'exited'; readonly status: number; readonly rusage: Rusage; readonly uid: number }
  | { readonly kind: 'killed'; readonly signal: number; readonly core: boolean; readonly rusage: Rusage; readonly uid: number }
  | { readonly kind: 'stopped'; readonly signal: number }
  | { readonly kind: 'continued' }
  /** A vfork child's execve succeeded (or it is about to exit): the parent may run again. */
  | { readonly kind: 'released' }
  | { readonly kind: 'signal'; readonly info: SignalInfoMessage }
  /** A fork child holds its SysV shared memory attaches again: the parent's fork may return. */
  | { readonly kind: 'attached' }
  /** setpgid(child, pgid) from the parent, done by the child as setpgid(0, pgid). */
  | { readonly kind: 'setpgid'; readonly pgid: number }
  /** Its answer: 0 or a Linux errno. */
  | { readonly kind: 'setpgid-done'; readonly errno: number }
  /**
   * Sent just before the exit report: once its guest is reaped, this host
   * process can run another fork child of the same parent (see
   * SpawnedProcess.reuse).
   */
  | { readonly kind: 'reusable' }
  /** A zombie child of the sender's, which exited unreaped: the receiver is its new parent (reparent_leader). */
  | { readonly kind: 'reparented'; readonly zombie: ReparentedZombie }
  /** The answer through the sender's mailbox: the receiver took the zombie `pid` as its child, or not (it is exiting). */
  | { readonly kind: 'reparent-done'; readonly pid: number; readonly accepted: boolean };

/** What a new parent needs of a zombie: what wait4, waitid and SIGCHLD report, and who to answer. */
export interface ReparentedZombie {
  /** The exiting process that hands it on (0: no answer wanted, the channel keeps the order). */
  readonly from: number;
  readonly pid: number;
  /** The wait status word, and waitid's si_code and si_status. */
  readonly status: number;
  readonly code: number;
  readonly siStatus: number;
  readonly pgid: number;
  /** Its real uid as it ended (si_uid). */
  readonly uid: number;
  readonly rusage: Rusage;
  /** Its name (a zombie's /proc/<pid>/stat), one character per byte. */
  readonly comm: string;
}

const KINDS = ['state', 'exited', 'killed', 'stopped', 'continued', 'released', 'signal', 'attached', 'setpgid', 'setpgid-done', 'reusable', 'reparented', 'reparent-done'] as const;

export class ChannelMessageError extends Error {}

export function encodeMessage(m: ChannelMessage): Uint8Array {
  const type = KINDS.indexOf(m.kind);
  switch (m.kind) {
    case 'state': {
      const out = new Uint8Array(1 + m.bytes.length);
      out[0] = type;
      out.set(m.bytes, 1);
      return out;
    }
    case 'exited':
    case 'killed': {
      const v = new DataView(new ArrayBuffer(1 + 4 + 1 + 24 + 4));
      v.setUint8(0, type);
      v.setInt32(1, m.kind === 'exited' ? m.status : m.signal, true);
      v.setUint8(5, m.kind === 'killed' && m.core ? 1 : 0);
      v.setBigUint64(6, m.rusage.utimeUs, true);
      v.setBigUint64(14, m.rusage.stimeUs, true);
      v.setBigUint64(22, m.rusage.maxrssKb, true);
      v.setUint32(30, m.uid, true);
      return new Uint8Array(v.buffer);
    }
    case 'stopped':
    case 'setpgid':
    case 'setpgid-done': {
      const v = new DataView(new ArrayBuffer(5));
      v.setUint8(0, type);
      v.setInt32(1, m.kind === 'stopped' ? m.signal : m.kind === 'setpgid' ? m.pgid : m.errno, true);
      return new Uint8Array(v.buffer);
    }
    case 'continued':
    case 'released':
    case 'attached':
    case 'reusable':
      return new Uint8Array([type]);
    case 'signal': {
      const v = new DataView(new ArrayBuffer(1 + 16 + 8));
      v.setUint8(0, type);
      v.setInt32(1, m.info.signo, true);
      v.setInt32(5, m.info.code, true);
      v.setInt32(9, m.info.pid, true);
      v.setUint32(13, m.info.uid, true);
      v.setBigUint64(17, BigInt.asUintN(64, m.info.value), true);
      return new Uint8Array(v.buffer);
    }
    case 'reparented': {
      const z = m.zombie;
      const comm = Uint8Array.from(z.comm.slice(0, 16), (c) => c.charCodeAt(0) & 0xff);
      const v = new DataView(new ArrayBuffer(REPARENTED_FIXED + comm.length));
      v.setUint8(0, type);
      [z.from, z.pid, z.status, z.code, z.siStatus, z.pgid, z.uid | 0].forEach((n, i) => v.setInt32(1 + 4 * i, n, true));
      v.setBigUint64(29, z.rusage.utimeUs, true);
      v.setBigUint64(37, z.rusage.stimeUs, true);
      v.setBigUint64(45, z.rusage.maxrssKb, true);
      const out = new Uint8Array(v.buffer);
      out.set(comm, REPARENTED_FIXED);
      return out;
    }
    case 'reparent-done': {
      const v = new DataView(new ArrayBuffer(6));
      v.setUint8(0, type);
      v.setInt32(1, m.pid, true);
      v.setUint8(5, m.accepted ? 1 : 0);
      return new Uint8Array(v.buffer);
    }
  }
}

/** A 'reparented' message before the name: type, seven int32s, three uint64s. */
const REPARENTED_FIXED = 1 + 7 * 4 + 3 * 8;

export function decodeMessage(bytes: Uint8Array): ChannelMessage {
  const kind = KINDS[bytes[0] ?? 255];
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (n: number): void => {
    if (bytes.length !== n) throw new ChannelMessageError(`channel message ${kind ?? bytes[0]}: ${bytes.length} bytes, expected ${n}`);
  };
  switch (kind) {
    case 'state':
      return { kind, bytes: bytes.slice(1) };
    case 'exited':
    case 'killed': {
      need(34);
      const rusage = { utimeUs: v.getBigUint64(6, true), stimeUs: v.getBigUint64(14, true), maxrssKb: v.getBigUint64(22, true) };
      const n = v.getInt32(1, true);
      const uid = v.getUint32(30, true);
      return kind === 'exited' ? { kind, status: n, rusage, uid } : { kind, signal: n, core: v.getUint8(5) === 1, rusage, uid };
    }
    case 'stopped':
      need(5);
      return { kind, signal: v.getInt32(1, true) };
    case 'setpgid':
      need(5);
      return { kind, pgid: v.getInt32(1, true) };
    case 'setpgid-done':
      need(5);
      return { kind, errno: v.getInt32(1, true) };
    case 'continued':
    case 'released':
    case 'attached':
    case 'reusable':
      need(1);
      return { kind };
    case 'signal':
      need(25);
      return {
        kind,
        info: {
          signo: v.getInt32(1, true),
          code: v.getInt32(5, true),
          pid: v.getInt32(9, true),
          uid: v.getUint32(13, true),
          value: v.getBigUint64(17, true),
        },
      };
    case 'reparented': {
      if (bytes.length < REPARENTED_FIXED || bytes.length > REPARENTED_FIXED + 16) need(REPARENTED_FIXED);
      const [from, pid, status, code, siStatus, pgid] = [0, 1, 2, 3, 4, 5].map((i) => v.getInt32(1 + 4 * i, true)) as [number, number, number, number, number, number];
      const uid = v.getUint32(25, true);
      const rusage = { utimeUs: v.getBigUint64(29, true), stimeUs: v.getBigUint64(37, true), maxrssKb: v.getBigUint64(45, true) };
      const comm = String.fromCharCode(...bytes.subarray(REPARENTED_FIXED));
      return { kind, zombie: { from, pid, status, code, siStatus, pgid, uid, rusage, comm } };
    }
    case 'reparent-done':
      need(6);
      return { kind, pid: v.getInt32(1, true), accepted: v.getUint8(5) === 1 };
    default:
      throw new ChannelMessageError(`channel message: unknown type ${bytes[0]}`);
  }
}
