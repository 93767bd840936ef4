/**
 * Sockets (net/socket.c, net/unix/af_unix.c, net/ipv4, net/ipv6): socket,
 * socketpair, bind, listen, accept/accept4, connect, getsockname,
 * getpeername, sendto/recvfrom, sendmsg/recvmsg (SCM_RIGHTS), shutdown,
 * getsockopt/setsockopt. A guest socket is a host socket (HostSockets),
 * so a guest server is reachable by host programs and a guest client
 * reaches host servers, and fork children share it as any description.
 *
 * This file is the Linux half of the translation: Linux families, types,
 * sockaddr layouts, message flags and option numbers to the port's neutral
 * values, in the tables below; the adapter maps those to the host's. No
 * host call waits: a call that would block is retried after host
 * readiness (waitq.ts), interruptible by signals (ERESTARTSYS, so
 * SA_RESTART restarts it, as Linux does for socket calls).
 *
 * Unix names: a path is bound and connected through the directory the
 * guest's path walk found (the host socket file is the guest's), and
 * getsockname answers the guest's path; a peer's path name is the host's
 * record of it, relative to its directory. Abstract names are the host's
 * (Linux hosts only). SO_PEERCRED is the host's (guest pids are host
 * pids). SO_RCVTIMEO and SO_SNDTIMEO bound the waits of recv, accept
 * and send (EAGAIN when they run out). AF_NETLINK sockets are made up
 * (netlink.ts); the calls below hand them over. Not done: SCM_CREDENTIALS, SO_PASSCRED,
 * passing an eventfd/epoll/timerfd/signalfd with SCM_RIGHTS.
 * sendmmsg/recvmmsg are sendmsg/recvmsg in a loop.
 */

import { HostError, HostPoll, type HostSockAddr, type HostSockFamily, type HostSockOpt, type HostSockType, type HostSockets } from '../../ports/host.js';
import { Errno, ERESTARTSYS, linuxErrnoFromHostCode } from './errno.js';
import { OpenFile } from './fd-table.js';
import { fileOf, hostPathOf, statusFlags, withHostTarget, withTarget } from './fs-util.js';
import { gather, iovTotal, readIovecs, scatter } from './fs-io.js';
import {
  AF_INET,
  AF_INET6,
  AF_UNIX,
  AF_UNSPEC,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPPROTO_TCP,
  IPPROTO_UDP,
  MSG_CMSG_CLOEXEC,
  MSG_CTRUNC,
  MSG_DONTROUTE,
  MSG_DONTWAIT,
  MSG_EOR,
  MSG_MORE,
  MSG_NOSIGNAL,
  MSG_OOB,
  MSG_PEEK,
  MSG_TRUNC,
  MSG_WAITALL,
  MsghdrOffset,
  O_CLOEXEC,
  O_NONBLOCK,
  O_RDWR,
  SCM_RIGHTS,
  SIGPIPE,
  SIZEOF_CMSGHDR,
  SIZEOF_MSGHDR,
  SIZEOF_SOCKADDR_IN,
  SIZEOF_SOCKADDR_IN6,
  SIZEOF_SOCKADDR_STORAGE,
  SIZEOF_SOCKADDR_UN,
  SOCK_DGRAM,
  SOCK_RAW,
  SOCK_SEQPACKET,
  SOCK_STREAM,
  SOCK_TYPE_MASK,
  SOL_SOCKET,
  SIZEOF_TIMESPEC,
  StructReader,
  StructWriter,
  decodeTimespec,
} from './linux-abi.js';
import { raiseSignal } from './process.js';
import { SyscallError, type SyscallArgs, type SyscallImpl } from './syscall-args.js';
import type { Task } from './task.js';
import { waitFor } from './waitq.js';
import { AF_NETLINK, kernelAddress, netlinkFile, netlinkOf, netlinkRecvmsg, netlinkSendmsg, netlinkSocket } from './netlink.js';

const FAMILIES: ReadonlyMap<number, HostSockFamily> = new Map([
  [AF_UNIX, 'unix'],
  [AF_INET, 'inet'],
  [AF_INET6, 'inet6'],
]);
/** SOCK_MAX (include/linux/net.h): types at or past it are EINVAL before any family looks. */
const SOCK_MAX = 11;
const LINUX_FAMILY: Readonly<Record<HostSockFamily, number>> = { unix: AF_UNIX, inet: AF_INET, inet6: AF_INET6 };
const TYPES: ReadonlyMap<number, HostSockType> = new Map([
  [SOCK_STREAM, 'stream'],
  [SOCK_DGRAM, 'dgram'],
  [SOCK_SEQPACKET, 'seqpacket'],
]);
const LINUX_TYPE: Readonly<Record<HostSockType, number>> = { stream: SOCK_STREAM, dgram: SOCK_DGRAM, seqpacket: SOCK_SEQPACKET };

/** What elfuse knows of a socket it made (the host has the rest). */
export interface SocketInfo {
  readonly family: HostSockFamily;
  readonly type: HostSockType;
  readonly protocol: number;
  /** The guest's path a unix socket was bound to (getsockname). */
  boundPath: Uint8Array | null;
  /** SO_RCVTIMEO and SO_SNDTIMEO as the guest set them (struct timeval bytes). */
  readonly timeouts: Map<number, Uint8Array>;
  passcred: boolean;
}

/** (level, optname) → the port's option name (integer options). */
const INT_OPTIONS: ReadonlyMap<string, HostSockOpt> = new Map([
  [`${SOL_SOCKET}:2`, 'SO_REUSEADDR'],
  [`${SOL_SOCKET}:15`, 'SO_REUSEPORT'],
  [`${SOL_SOCKET}:9`, 'SO_KEEPALIVE'],
  [`${SOL_SOCKET}:6`, 'SO_BROADCAST'],
  [`${SOL_SOCKET}:8`, 'SO_RCVBUF'],
  [`${SOL_SOCKET}:7`, 'SO_SNDBUF'],
  [`${SOL_SOCKET}:10`, 'SO_OOBINLINE'],
  [`${SOL_SOCKET}:18`, 'SO_RCVLOWAT'],
  [`${SOL_SOCKET}:30`, 'SO_ACCEPTCONN'],
  [`${IPPROTO_TCP}:1`, 'TCP_NODELAY'],
  [`${IPPROTO_TCP}:4`, 'TCP_KEEPIDLE'],
  [`${IPPROTO_TCP}:5`, 'TCP_KEEPINTVL'],
  [`${IPPROTO_TCP}:6`, 'TCP_KEEPCNT'],
  [`${IPPROTO_IP}:2`, 'IP_TTL'],
  [`${IPPROTO_IPV6}:16`, 'IPV6_UNICAST_HOPS'],
  [`${IPPROTO_IPV6}:26`, 'IPV6_V6ONLY'],
]);
const SO_TYPE = 3;
const SO_ERROR = 4;
const SO_LINGER = 13;
const SO_PASSCRED = 16;
const SO_PEERCRED = 17;
const SO_RCVTIMEO = 20;
const SO_SNDTIMEO = 21;
const SO_PROTOCOL = 38;
/** The kernel's tick for socket timeouts (CONFIG_HZ=250 in arm64's defconfig): 4,000 µs. */
const JIFFY_HZ = 250n;
const JIFFY_US = 1_000_000n / JIFFY_HZ;
const SO_DOMAIN = 39;

function sockets(task: Task): HostSockets {
  const s = task.host.sockets;
  if (!s) throw new SyscallError(Errno.EAFNOSUPPORT);
  return s;
}

/** The socket behind `fd`: EBADF for no fd, ENOTSOCK for another kind of file. */
function socketOf(task: Task, fd: number): { file: OpenFile; info: SocketInfo } {
  const file = fileOf(task, fd);
  if (file.kind !== 'socket' || file.hostFd < 0) throw new SyscallError(Errno.ENOTSOCK);
  if (!file.sock) {
    // A socket elfuse did not make (inherited, or received with SCM_RIGHTS): ask the host.
    const s = sockets(task);
    let family: HostSockFamily = 'unix';
    try {
      family = s.name(file.hostFd, false)?.family ?? 'unix';
    } catch {
      // keep unix
    }
    file.sock = { family, type: s.typeOf(file.hostFd) ?? 'stream', protocol: 0, boundPath: null, timeouts: new Map(), passcred: false };
  }
  return { file, info: file.sock };
}

const isAgain = (err: unknown): boolean => err instanceof HostError && (err.code === 'EAGAIN' || err.code === 'EWOULDBLOCK');
const isCode = (err: unknown, code: string): boolean => err instanceof HostError && err.code === code;

/**
 * Runs `attempt` until it does not say EAGAIN, waiting for the host fd to
 * become ready for `events` between tries, unless the call must not wait
 * (EAGAIN). A signal ends the wait with ERESTARTSYS.
 */
function retrying<T>(task: Task, file: OpenFile, events: number, noWait: boolean, attempt: () => T, deadline: bigint | null = null): T | Promise<T> {
  try {
    return attempt();
  } catch (err) {
    if (!isAgain(err) || noWait) throw err;
  }
  return waitFor(
    task,
    () => {
      try {
        return { value: attempt() };
      } catch (err) {
        if (isAgain(err)) return null;
        throw err;
      }
    },
    () => ({ queues: [], host: [{ fd: file.hostFd, events }] }),
    deadline,
  ).then((r) => {
    // SO_RCVTIMEO ran out: EAGAIN, as sock_rcvtimeo's wait ends.
    if (r === 'timeout') throw new SyscallError(Errno.EAGAIN);
    if (r === 'signal') throw new SyscallError(ERESTARTSYS);
    return r.value;
  });
}

const nonBlocking = (task: Task, file: OpenFile): boolean => (statusFlags(task, file) & O_NONBLOCK) !== 0;

/** The monotonic deadline SO_RCVTIMEO or SO_SNDTIMEO puts on a wait starting now; null for none (0). */
function timeoutDeadline(task: Task, info: SocketInfo, opt: number): bigint | null {
  const tv = info.timeouts.get(opt);
  if (!tv) return null;
  const r = new StructReader(tv);
  const ns = r.i64(0) * 1_000_000_000n + r.i64(8) * 1000n;
  return ns > 0n ? task.host.clock.monotonicNs() + ns : null;
}

// ---- addresses ----

/** Reads a sockaddr of `len` bytes (move_addr_to_kernel: EINVAL past sockaddr_storage). */
function readSockaddr(task: Task, ptr: number, len: number): Uint8Array {
  if (len < 0 || len > SIZEOF_SOCKADDR_STORAGE) throw new SyscallError(Errno.EINVAL);
  return len === 0 ? new Uint8Array(0) : task.mem.read(ptr, len).slice();
}

/**
 * A Linux sockaddr for a socket of `family` as the port's address; `op`
 * says what a unix path is walked for (bind creates it, connect follows).
 */
function decodeAddr(task: Task, family: HostSockFamily, bytes: Uint8Array, op: 'bind' | 'connect', use: (addr: HostSockAddr) => number): number {
  const r = new StructReader(bytes);
  if (bytes.length < 2) throw new SyscallError(Errno.EINVAL);
  const fam = r.u16(0);
  if (family === 'unix') {
    if (fam !== AF_UNIX) throw new SyscallError(Errno.EINVAL);
    if (bytes.length > SIZEOF_SOCKADDR_UN) throw new SyscallError(Errno.EINVAL);
    const raw = bytes.subarray(2);
    // An abstract name is every byte after the leading NUL; a path ends at its first NUL.
    if (raw.length === 0 || raw[0] === 0) return use({ family: 'unix', path: raw.slice() });
    const end = raw.indexOf(0);
    const path = raw.subarray(0, end < 0 ? raw.length : end).slice();
    const guestPath = hostPathOf(path);
    if (op === 'bind') {
      return withHostTarget(task, -100, guestPath, { follow: false }, Errno.EADDRINUSE, (t) => {
        if (t.st !== null) return -Errno.EADDRINUSE;
        return use({ family: 'unix', path: latin1(t.name), dirFd: t.dirFd });
      });
    }
    return withTarget(task, -100, guestPath, { follow: true }, (t) => {
      if (t.kind !== 'host') return -Errno.ECONNREFUSED;
      if (t.st === null) return -Errno.ENOENT;
      return use({ family: 'unix', path: latin1(t.name), dirFd: t.dirFd });
    });
  }
  if (family === 'inet') {
    if (bytes.length < SIZEOF_SOCKADDR_IN) throw new SyscallError(Errno.EINVAL);
    if (fam !== AF_INET && !(fam === AF_UNSPEC && op === 'bind')) throw new SyscallError(Errno.EAFNOSUPPORT);
    return use({ family: 'inet', port: (bytes[2]! << 8) | bytes[3]!, addr: bytes.slice(4, 8) });
  }
  if (bytes.length < 24) throw new SyscallError(Errno.EINVAL);
  if (fam !== AF_INET6) throw new SyscallError(Errno.EAFNOSUPPORT);
  const scopeId = bytes.length >= SIZEOF_SOCKADDR_IN6 ? r.u32(24) : 0;
  return use({ family: 'inet6', port: (bytes[2]! << 8) | bytes[3]!, flowinfo: new DataView(bytes.buffer, bytes.byteOffset).getUint32(4, false), addr: bytes.slice(8, 24), scopeId });
}

/** A byte string (one char per byte) as bytes. */
function latin1(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

/** The Linux sockaddr of a host address (a unix path socket's own name: the guest's path). */
function encodeAddr(addr: HostSockAddr | null, family: HostSockFamily, ownPath: Uint8Array | null = null): Uint8Array {
  if (addr === null || addr.family === 'unix' || family === 'unix') {
    const path = ownPath ?? (addr?.family === 'unix' ? addr.path : new Uint8Array(0));
    let name = path;
    if (path.length > 0 && path[0] !== 0) {
      const end = path.indexOf(0);
      name = path.subarray(0, end < 0 ? path.length : end);
      // A path name is reported with its terminating NUL (unix_getname: addr->len).
      const w = new StructWriter(2 + name.length + 1).u16(0, AF_UNIX);
      w.bytes.set(name, 2);
      return w.bytes;
    }
    const w = new StructWriter(2 + name.length).u16(0, AF_UNIX);
    w.bytes.set(name, 2);
    return w.bytes;
  }
  if (addr.family === 'inet') {
    const w = new StructWriter(SIZEOF_SOCKADDR_IN).u16(0, AF_INET);
    w.bytes[2] = addr.port >> 8;
    w.bytes[3] = addr.port & 0xff;
    w.bytes.set(addr.addr.subarray(0, 4), 4);
    return w.bytes;
  }
  const w = new StructWriter(SIZEOF_SOCKADDR_IN6).u16(0, AF_INET6);
  w.bytes[2] = addr.port >> 8;
  w.bytes[3] = addr.port & 0xff;
  new DataView(w.bytes.buffer).setUint32(4, addr.flowinfo, false);
  w.bytes.set(addr.addr.subarray(0, 16), 8);
  w.u32(24, addr.scopeId);
  return w.bytes;
}

/** move_addr_to_user: copies what fits in *lenPtr, then writes the full length there. */
function writeAddr(task: Task, ptr: number, lenPtr: number, bytes: Uint8Array): void {
  if (ptr === 0 || lenPtr === 0) return;
  const have = new StructReader(task.mem.read(lenPtr, 4)).i32(0);
  if (have < 0) throw new SyscallError(Errno.EINVAL);
  if (have > 0) task.mem.write(ptr, bytes.subarray(0, Math.min(have, bytes.length)));
  task.mem.write(lenPtr, new StructWriter(4).i32(0, bytes.length).bytes);
}

// ---- creating ----

function installSocket(task: Task, hostFd: number, info: SocketInfo, flags: number): number {
  const fd = task.fds.lowestFree(0, task.fdLimit);
  if (fd < 0) {
    task.host.fs.close(hostFd);
    return -Errno.EMFILE;
  }
  const file = new OpenFile(hostFd, `socket:[${hostFd}]`, O_RDWR | (flags & O_NONBLOCK), 'socket');
  file.sock = info;
  if (flags & O_NONBLOCK) task.host.fs.setStatusFlags(hostFd, { append: false, nonBlock: true, direct: false });
  task.fds.installAt(fd, file, (flags & O_CLOEXEC) !== 0);
  return fd;
}

/** The family, type and protocol of socket(2)/socketpair(2), in __sock_create's order of checks. */
function parseKind(domain: number, typeArg: number, protocol: number): { family: HostSockFamily; type: HostSockType; flags: number } {
  const flags = typeArg & ~SOCK_TYPE_MASK;
  if (flags & ~(O_CLOEXEC | O_NONBLOCK)) throw new SyscallError(Errno.EINVAL);
  const family = FAMILIES.get(domain);
  if (family === undefined) throw new SyscallError(Errno.EAFNOSUPPORT);
  const t = typeArg & SOCK_TYPE_MASK;
  if (t >= SOCK_MAX) throw new SyscallError(Errno.EINVAL);
  // unix_create makes a SOCK_RAW unix socket a datagram one.
  const type = TYPES.get(family === 'unix' && t === SOCK_RAW ? SOCK_DGRAM : t);
  if (type === undefined) throw new SyscallError(Errno.ESOCKTNOSUPPORT);
  if (family === 'unix') {
    if (protocol !== 0 && protocol !== AF_UNIX) throw new SyscallError(Errno.EPROTONOSUPPORT);
  } else {
    const want = type === 'stream' ? IPPROTO_TCP : type === 'dgram' ? IPPROTO_UDP : -1;
    if (want < 0) throw new SyscallError(Errno.ESOCKTNOSUPPORT);
    if (protocol !== 0 && protocol !== want) throw new SyscallError(Errno.EPROTONOSUPPORT);
  }
  return { family, type, flags };
}

const newInfo = (family: HostSockFamily, type: HostSockType, protocol: number): SocketInfo => ({
  family,
  type,
  protocol: family === 'unix' ? 0 : protocol !== 0 ? protocol : type === 'stream' ? IPPROTO_TCP : IPPROTO_UDP,
  boundPath: null,
  timeouts: new Map(),
  passcred: false,
});

/** socket(2) */
function sysSocket(task: Task, a: SyscallArgs): number {
  if (a.int(0) === AF_NETLINK) {
    const flags = a.int(1) & ~SOCK_TYPE_MASK;
    if (flags & ~(O_CLOEXEC | O_NONBLOCK)) return -Errno.EINVAL;
    if ((a.int(1) & SOCK_TYPE_MASK) >= SOCK_MAX) return -Errno.EINVAL;
    return netlinkSocket(task, a.int(1) & SOCK_TYPE_MASK, flags, a.int(2));
  }
  const { family, type, flags } = parseKind(a.int(0), a.int(1), a.int(2));
  const protocol = a.int(2);
  const fdFree = task.fds.lowestFree(0, task.fdLimit);
  if (fdFree < 0) return -Errno.EMFILE;
  const hostFd = sockets(task).open(family, type, family === 'unix' ? 0 : protocol);
  return installSocket(task, hostFd, newInfo(family, type, protocol), flags);
}

/** socketpair(2): AF_UNIX only (EOPNOTSUPP for the others, as inet's socketpair op says). */
function sysSocketpair(task: Task, a: SyscallArgs): number {
  const { family, type, flags } = parseKind(a.int(0), a.int(1), a.int(2));
  if (family !== 'unix') {
    // __sys_socketpair writes the two fd numbers it reserved before the family refuses the pair.
    const f1 = task.fds.lowestFree(0, task.fdLimit);
    const f2 = task.fds.lowestFree(f1 + 1, task.fdLimit);
    if (f1 < 0 || f2 < 0) return -Errno.EMFILE;
    task.mem.write(a.ptr(3), new StructWriter(8).i32(0, f1).i32(4, f2).bytes);
    return -Errno.EOPNOTSUPP;
  }
  const [x, y] = sockets(task).pair(family, type, 0);
  const fx = installSocket(task, x, newInfo(family, type, 0), flags);
  if (fx < 0) {
    task.host.fs.close(y);
    return fx;
  }
  const fy = installSocket(task, y, newInfo(family, type, 0), flags);
  if (fy < 0) {
    task.fds.close(fx);
    return fy;
  }
  try {
    task.mem.write(a.ptr(3), new StructWriter(8).i32(0, fx).i32(4, fy).bytes);
  } catch (e) {
    task.fds.close(fx);
    task.fds.close(fy);
    throw e;
  }
  return 0;
}

// ---- addressing ----

/** bind(2) */
function sysBind(task: Task, a: SyscallArgs): number {
  const bytes = readSockaddr(task, a.ptr(1), a.int(2));
  const nl = netlinkOf(task, a.int(0));
  if (nl) return nl.bind(task, bytes);
  const { file, info } = socketOf(task, a.int(0));
  const s = sockets(task);
  const r = decodeAddr(task, info.family, bytes, 'bind', (addr) => {
    s.bind(file.hostFd, addr);
    return 0;
  });
  if (r === 0 && info.family === 'unix' && bytes.length > 2 && bytes[2] !== 0) {
    const raw = bytes.subarray(2);
    const end = raw.indexOf(0);
    info.boundPath = raw.slice(0, end < 0 ? raw.length : end);
  }
  return r;
}

/** listen(2) */
function sysListen(task: Task, a: SyscallArgs): number {
  if (netlinkOf(task, a.int(0))) return -Errno.EOPNOTSUPP;
  const { file, info } = socketOf(task, a.int(0));
  if (info.type === 'dgram') return -Errno.EOPNOTSUPP;
  sockets(task).listen(file.hostFd, Math.max(0, Math.min(a.int(1), 4096)));
  return 0;
}

/**
 * connect(2). A blocking connect waits for the host's answer and returns
 * its SO_ERROR; a non-blocking one returns EINPROGRESS, as on Linux.
 */
function sysConnect(task: Task, a: SyscallArgs): number | Promise<number> {
  const bytes = readSockaddr(task, a.ptr(1), a.int(2));
  const nl = netlinkOf(task, a.int(0));
  if (nl) return nl.connect(task, bytes);
  const { file, info } = socketOf(task, a.int(0));
  const s = sockets(task);
  // AF_UNSPEC on a datagram socket dissolves the association.
  if (bytes.length >= 2 && new StructReader(bytes).u16(0) === AF_UNSPEC && info.type === 'dgram') {
    s.disconnect(file.hostFd);
    return 0;
  }
  let inProgress = false;
  const r = decodeAddr(task, info.family, bytes, 'connect', (addr) => {
    try {
      s.connect(file.hostFd, addr);
    } catch (err) {
      if (!isCode(err, 'EINPROGRESS') && !(isAgain(err) && info.family === 'unix')) throw err;
      inProgress = true;
    }
    return 0;
  });
  if (r !== 0 || !inProgress) return r;
  if (nonBlocking(task, file)) return info.family === 'unix' ? -Errno.EAGAIN : -Errno.EINPROGRESS;
  return waitFor(
    task,
    () => ((task.host.terminal.pollNow([{ fd: file.hostFd, events: HostPoll.WRITE }])[0] ?? 0) !== 0 ? true : null),
    () => ({ queues: [], host: [{ fd: file.hostFd, events: HostPoll.WRITE }] }),
    null,
  ).then((w) => {
    if (w !== true) return -ERESTARTSYS;
    const err = s.takeError(file.hostFd);
    return err === null ? 0 : -linuxErrnoFromHostCode(err);
  });
}

/** accept4(2); accept(2) is accept4 with no flags. */
function sysAccept4(task: Task, a: SyscallArgs): number | Promise<number> {
  const flags = a.int(3);
  if (flags & ~(O_CLOEXEC | O_NONBLOCK)) return -Errno.EINVAL;
  if (netlinkOf(task, a.int(0))) return -Errno.EOPNOTSUPP;
  const { file, info } = socketOf(task, a.int(0));
  if (info.type === 'dgram') return -Errno.EOPNOTSUPP;
  const s = sockets(task);
  const finish = (got: { fd: number; addr: HostSockAddr | null }): number => {
    const fd = installSocket(task, got.fd, { ...newInfo(info.family, info.type, info.protocol), boundPath: info.boundPath }, flags);
    if (fd < 0) return fd;
    // Linux does not inherit O_NONBLOCK from the listener; some hosts do.
    if (!(flags & O_NONBLOCK)) task.host.fs.setStatusFlags(got.fd, { append: false, nonBlock: false, direct: false });
    try {
      writeAddr(task, a.ptr(1), a.ptr(2), encodeAddr(got.addr, info.family));
    } catch (e) {
      task.fds.close(fd);
      throw e;
    }
    return fd;
  };
  const got = retrying(task, file, HostPoll.READ, nonBlocking(task, file), () => s.accept(file.hostFd), timeoutDeadline(task, info, SO_RCVTIMEO));
  return got instanceof Promise ? got.then(finish) : finish(got);
}

function sysAccept(task: Task, a: SyscallArgs): number | Promise<number> {
  const args = Object.create(a) as SyscallArgs;
  const int = a.int.bind(a);
  args.int = (i: number) => (i === 3 ? 0 : int(i));
  return sysAccept4(task, args);
}

/** getsockname(2), getpeername(2) */
function sockName(task: Task, a: SyscallArgs, peer: boolean): number {
  const nl = netlinkOf(task, a.int(0));
  if (nl) {
    writeAddr(task, a.ptr(1), a.ptr(2), nl.address(peer));
    return 0;
  }
  const { file, info } = socketOf(task, a.int(0));
  const addr = sockets(task).name(file.hostFd, peer);
  writeAddr(task, a.ptr(1), a.ptr(2), encodeAddr(addr, info.family, peer ? null : info.boundPath));
  return 0;
}

/** shutdown(2) */
function sysShutdown(task: Task, a: SyscallArgs): number {
  const how = a.int(1);
  if (netlinkOf(task, a.int(0))) return -Errno.EOPNOTSUPP;
  const { file } = socketOf(task, a.int(0));
  if (how < 0 || how > 2) return -Errno.EINVAL;
  sockets(task).shutdown(file.hostFd, how === 0 ? 'rd' : how === 1 ? 'wr' : 'rdwr');
  return 0;
}

// ---- data ----

const SEND_FLAGS = MSG_OOB | MSG_DONTWAIT | MSG_EOR | MSG_NOSIGNAL | MSG_MORE | MSG_DONTROUTE | 0x800 /* MSG_CONFIRM */;

/**
 * Sends `data` (with `fds`, host fds for SCM_RIGHTS): a blocking stream
 * socket sends it all, waiting for room, and returns what went if a signal
 * comes after some did; EPIPE raises SIGPIPE unless MSG_NOSIGNAL.
 */
function sendData(task: Task, file: OpenFile, info: SocketInfo, data: Uint8Array, addr: HostSockAddr | null, fds: readonly number[], flags: number): number | Promise<number> {
  const s = sockets(task);
  const noWait = (flags & MSG_DONTWAIT) !== 0 || nonBlocking(task, file);
  let done = 0;
  let passed = fds;
  const hostFlags = { oob: (flags & MSG_OOB) !== 0, eor: (flags & MSG_EOR) !== 0 };
  const once = (): number | null => {
    try {
      for (;;) {
        const n = s.send(file.hostFd, data.subarray(done), addr, passed, hostFlags);
        passed = [];
        done += n;
        if (info.type !== 'stream' || done >= data.length) return done;
      }
    } catch (err) {
      if (isCode(err, 'EPIPE') && !(flags & MSG_NOSIGNAL)) raiseSignal(task, SIGPIPE);
      if (isAgain(err) && !noWait) return null;
      if (done > 0) return done;
      throw err;
    }
  };
  const now = once();
  if (now !== null) return now;
  return waitFor(task, once, () => ({ queues: [], host: [{ fd: file.hostFd, events: HostPoll.WRITE }] }), timeoutDeadline(task, info, SO_SNDTIMEO)).then((r) => {
    if (r === 'signal' || r === 'timeout') {
      if (done > 0) return done;
      throw new SyscallError(r === 'timeout' ? Errno.EAGAIN : ERESTARTSYS);
    }
    return r;
  });
}

/** The largest single receive elfuse asks the host for, and the most MSG_WAITALL gathers. */
const RECV_CHUNK = 4 << 20;
const RECV_WAITALL_MAX = 64 << 20;

interface Received {
  data: Uint8Array;
  addr: HostSockAddr | null;
  fds: number[];
  flags: number;
  /** A datagram's real length, returned under MSG_TRUNC. */
  realLength?: number;
}

/** Receives up to `len` bytes; MSG_WAITALL on a stream waits for all of them (or EOF, or a signal after some). */
function recvData(task: Task, file: OpenFile, info: SocketInfo, len: number, flags: number, maxFds: number): Received | Promise<Received> {
  const s = sockets(task);
  const noWait = (flags & MSG_DONTWAIT) !== 0 || nonBlocking(task, file);
  // One host receive never needs more than a socket buffer holds: streams return short past
  // RECV_CHUNK (as Linux's may), MSG_WAITALL gathers up to RECV_WAITALL_MAX.
  const buf = new Uint8Array(Math.min(len, (flags & MSG_WAITALL) !== 0 ? RECV_WAITALL_MAX : RECV_CHUNK));
  len = buf.length;
  let got = 0;
  let addr: HostSockAddr | null = null;
  const fds: number[] = [];
  let outFlags = 0;
  const waitAll = (flags & MSG_WAITALL) !== 0 && info.type === 'stream' && !(flags & MSG_PEEK);
  const hostFlags = { peek: (flags & MSG_PEEK) !== 0, oob: (flags & MSG_OOB) !== 0, trunc: (flags & MSG_TRUNC) !== 0 };
  const once = (): Received | null => {
    try {
      for (;;) {
        const r = s.recv(file.hostFd, buf.subarray(got), hostFlags, maxFds);
        addr = r.addr ?? addr;
        fds.push(...r.fds);
        if (r.truncated) outFlags |= MSG_TRUNC;
        if (r.ctruncated) outFlags |= MSG_CTRUNC;
        // MSG_TRUNC on a datagram socket returns the real length, larger than what was copied.
        const n = r.n;
        got += Math.min(n, len - got);
        const result: Received = { data: buf.subarray(0, got), addr, fds, flags: outFlags };
        if (!waitAll || n === 0 || got >= len) {
          return hostFlags.trunc && info.type !== 'stream' ? { ...result, data: buf.subarray(0, Math.min(n, len)), realLength: n } : result;
        }
      }
    } catch (err) {
      if (isAgain(err) && !noWait) return null;
      if (got > 0) return { data: buf.subarray(0, got), addr, fds, flags: outFlags };
      throw err;
    }
  };
  const now = once();
  if (now !== null) return now;
  return waitFor(task, once, () => ({ queues: [], host: [{ fd: file.hostFd, events: HostPoll.READ }] }), timeoutDeadline(task, info, SO_RCVTIMEO)).then((r) => {
    if (r === 'signal' || r === 'timeout') {
      if (got > 0) return { data: buf.subarray(0, got), addr, fds, flags: outFlags };
      throw new SyscallError(r === 'timeout' ? Errno.EAGAIN : ERESTARTSYS);
    }
    return r;
  });
}

/** The length a recv call returns: the real datagram length under MSG_TRUNC. */
function recvLength(r: Received): number {
  return r.realLength ?? r.data.length;
}

/** The destination of sendto/sendmsg, if any (ignored on a connected stream socket by the host, EISCONN on some). */
function destination(task: Task, info: SocketInfo, ptr: number, len: number, use: (addr: HostSockAddr | null) => number | Promise<number>): number | Promise<number> {
  if (ptr === 0 || len === 0) return use(null);
  const bytes = readSockaddr(task, ptr, len);
  let result: number | Promise<number> = 0;
  decodeAddr(task, info.family, bytes, 'connect', (addr) => {
    result = use(addr);
    return 0;
  });
  return result;
}

/** sendto(2) */
function sysSendto(task: Task, a: SyscallArgs): number | Promise<number> {
  const flags = a.int(3);
  const len = Math.min(a.uint(2), 0x7ffff000);
  const nl = netlinkOf(task, a.int(0));
  if (nl) {
    const data = len > 0 ? task.mem.read(a.ptr(1), len).slice() : new Uint8Array(0);
    return nl.send(task, data, a.ptr(4) !== 0 && a.int(5) > 0 ? readSockaddr(task, a.ptr(4), a.int(5)) : null);
  }
  const { file, info } = socketOf(task, a.int(0));
  if (flags & ~SEND_FLAGS) return -Errno.EOPNOTSUPP;
  const data = len > 0 ? task.mem.read(a.ptr(1), len).slice() : new Uint8Array(0);
  return destination(task, info, a.ptr(4), a.int(5), (addr) => sendData(task, file, info, data, addr, [], flags));
}

/** recvfrom(2) */
function sysRecvfrom(task: Task, a: SyscallArgs): number | Promise<number> {
  const flags = a.int(3);
  const len = Math.min(a.uint(2), 0x7ffff000);
  const nl = netlinkOf(task, a.int(0));
  if (nl) {
    const got = nl.receive(task, netlinkFile(task, a), len, flags);
    const done = (r: { data: Uint8Array; length: number }): number => {
      if (r.data.length > 0) task.mem.write(a.ptr(1), r.data);
      if (a.ptr(4) !== 0) writeAddr(task, a.ptr(4), a.ptr(5), kernelAddress());
      return r.length;
    };
    return got instanceof Promise ? got.then(done) : done(got);
  }
  const { file, info } = socketOf(task, a.int(0));
  const finish = (r: Received): number => {
    if (r.data.length > 0) task.mem.write(a.ptr(1), r.data);
    if (a.ptr(4) !== 0) writeAddr(task, a.ptr(4), a.ptr(5), encodeAddr(r.addr, info.family));
    return recvLength(r);
  };
  const r = recvData(task, file, info, len, flags, 0);
  return r instanceof Promise ? r.then(finish) : finish(r);
}

/** The SCM_RIGHTS fds of a msghdr's control data, as host fds; EINVAL for other messages. */
function controlFds(task: Task, ptr: number, len: number): number[] {
  if (ptr === 0 || len === 0) return [];
  if (len > 0x10000) throw new SyscallError(Errno.ENOBUFS);
  const bytes = task.mem.read(ptr, len);
  const r = new StructReader(bytes);
  const fds: number[] = [];
  let at = 0;
  while (at + SIZEOF_CMSGHDR <= len) {
    const clen = Number(r.u64(at));
    if (clen < SIZEOF_CMSGHDR || at + clen > len) throw new SyscallError(Errno.EINVAL);
    const level = r.i32(at + 8);
    const type = r.i32(at + 12);
    if (level === SOL_SOCKET && type === SCM_RIGHTS) {
      for (let o = at + SIZEOF_CMSGHDR; o + 4 <= at + clen; o += 4) {
        const file = task.fds.get(r.i32(o));
        if (!file) throw new SyscallError(Errno.EBADF);
        // A made-up object (eventfd, epoll...) has no host fd to pass.
        if (file.hostFd < 0) throw new SyscallError(Errno.EINVAL);
        fds.push(file.hostFd);
      }
    } else if (level === SOL_SOCKET) throw new SyscallError(Errno.EINVAL);
    at += (clen + 7) & ~7;
  }
  return fds;
}

/** The msghdr fields sendmsg/recvmsg use. */
function readMsghdr(task: Task, ptr: number) {
  const r = new StructReader(task.mem.read(ptr, SIZEOF_MSGHDR));
  const O = MsghdrOffset;
  return {
    name: Number(r.u64(O.msg_name)),
    namelen: r.i32(O.msg_namelen),
    iov: Number(r.u64(O.msg_iov)),
    iovlen: Number(r.u64(O.msg_iovlen)),
    control: Number(r.u64(O.msg_control)),
    controllen: Number(r.u64(O.msg_controllen)),
  };
}

/** sendmsg(2) */
function sysSendmsg(task: Task, a: SyscallArgs): number | Promise<number> {
  const flags = a.int(2);
  const nl = netlinkOf(task, a.int(0));
  if (nl) return netlinkSendmsg(task, nl, a.ptr(1));
  const { file, info } = socketOf(task, a.int(0));
  if (flags & ~SEND_FLAGS) return -Errno.EOPNOTSUPP;
  return sendOne(task, file, info, a.ptr(1), flags);
}

/** One msghdr's worth of sendmsg. */
function sendOne(task: Task, file: OpenFile, info: SocketInfo, msgPtr: number, flags: number): number | Promise<number> {
  const m = readMsghdr(task, msgPtr);
  if (m.iovlen > 1024) return -Errno.EMSGSIZE;
  const data = gather(task, m.iov, m.iovlen);
  const fds = controlFds(task, m.control, m.controllen);
  return destination(task, info, m.name, m.namelen, (addr) => sendData(task, file, info, data, addr, fds, flags));
}

/** Installs received host fds as guest fds and writes the SCM_RIGHTS message; what does not fit is closed (MSG_CTRUNC). */
function deliverFds(task: Task, hostFds: readonly number[], ctlPtr: number, ctlLen: number, cloexec: boolean): { used: number; ctrunc: boolean } {
  if (hostFds.length === 0) return { used: 0, ctrunc: false };
  const room = ctlLen >= SIZEOF_CMSGHDR ? Math.floor((ctlLen - SIZEOF_CMSGHDR) / 4) : 0;
  const guestFds: number[] = [];
  hostFds.forEach((hfd, i) => {
    const fd = i < room ? task.fds.lowestFree(0, task.fdLimit) : -1;
    if (fd < 0) {
      task.host.fs.close(hfd);
      return;
    }
    let kind: OpenFile['kind'] = 'file';
    try {
      const st = task.host.fs.fstat(hfd);
      const t = st.mode & 0o170000;
      kind = t === 0o140000 ? 'socket' : t === 0o010000 ? 'fifo' : t === 0o040000 ? 'dir' : t === 0o020000 ? 'chr' : 'file';
    } catch {
      kind = 'file';
    }
    const file = new OpenFile(hfd, `${kind === 'socket' ? 'socket' : 'file'}:[${hfd}]`, O_RDWR, kind);
    task.fds.installAt(fd, file, cloexec);
    guestFds.push(fd);
  });
  if (guestFds.length === 0) return { used: 0, ctrunc: true };
  const clen = SIZEOF_CMSGHDR + guestFds.length * 4;
  const w = new StructWriter(clen).u64(0, BigInt(clen)).i32(8, SOL_SOCKET).i32(12, SCM_RIGHTS);
  guestFds.forEach((fd, i) => w.i32(SIZEOF_CMSGHDR + i * 4, fd));
  task.mem.write(ctlPtr, w.bytes);
  return { used: Math.min(ctlLen, (clen + 7) & ~7), ctrunc: guestFds.length < hostFds.length };
}

/** recvmsg(2) */
function sysRecvmsg(task: Task, a: SyscallArgs): number | Promise<number> {
  const nl = netlinkOf(task, a.int(0));
  if (nl) return netlinkRecvmsg(task, netlinkFile(task, a), nl, a.ptr(1), a.int(2));
  const { file, info } = socketOf(task, a.int(0));
  return recvOne(task, file, info, a.ptr(1), a.int(2));
}

/** One msghdr's worth of recvmsg. */
function recvOne(task: Task, file: OpenFile, info: SocketInfo, msgPtr: number, flags: number): number | Promise<number> {
  const m = readMsghdr(task, msgPtr);
  const iovs = readIovecs(task, m.iov, m.iovlen);
  const total = iovTotal(iovs);
  const maxFds = m.control !== 0 && m.controllen >= SIZEOF_CMSGHDR ? Math.max(1, Math.floor((m.controllen - SIZEOF_CMSGHDR) / 4)) : 0;
  const finish = (r: Received): number => {
    scatter(task, iovs, r.data);
    const O = MsghdrOffset;
    // ____sys_recvmsg keeps MSG_CMSG_CLOEXEC of the call in msg_flags.
    let outFlags = r.flags | (flags & MSG_CMSG_CLOEXEC);
    if (m.name !== 0 && m.namelen > 0) {
      const bytes = encodeAddr(r.addr, info.family);
      task.mem.write(m.name, bytes.subarray(0, Math.min(bytes.length, m.namelen)));
      task.mem.write(msgPtr + O.msg_namelen, new StructWriter(4).i32(0, bytes.length).bytes);
    } else task.mem.write(msgPtr + O.msg_namelen, new StructWriter(4).i32(0, 0).bytes);
    const { used, ctrunc } = deliverFds(task, r.fds, m.control, m.controllen, (flags & MSG_CMSG_CLOEXEC) !== 0);
    if (ctrunc) outFlags |= MSG_CTRUNC;
    task.mem.write(msgPtr + O.msg_controllen, new StructWriter(8).u64(0, BigInt(used)).bytes);
    task.mem.write(msgPtr + O.msg_flags, new StructWriter(4).i32(0, outFlags).bytes);
    return recvLength(r);
  };
  const r = recvData(task, file, info, total, flags, maxFds);
  return r instanceof Promise ? r.then(finish) : finish(r);
}

/** struct mmsghdr { struct msghdr msg_hdr; unsigned int msg_len; }: 64 bytes on arm64. */
const SIZEOF_MMSGHDR = 64;
const MSG_WAITFORONE = 0x10000;

/**
 * sendmmsg(2): sendmsg for each message in turn; the count sent, or the
 * first message's error (a later one ends the batch, as __sys_sendmmsg).
 */
async function sysSendmmsg(task: Task, a: SyscallArgs): Promise<number> {
  const flags = a.int(3);
  const vlen = Math.min(a.uint(2), 1024);
  const { file, info } = socketOf(task, a.int(0));
  if (flags & ~SEND_FLAGS) return -Errno.EOPNOTSUPP;
  let sent = 0;
  for (; sent < vlen; sent++) {
    const at = a.ptr(1) + sent * SIZEOF_MMSGHDR;
    let n: number;
    try {
      n = await sendOne(task, file, info, at, flags);
    } catch (err) {
      if (sent > 0) break;
      throw err;
    }
    if (n < 0) {
      if (sent > 0) break;
      return n;
    }
    task.mem.write(at + SIZEOF_MSGHDR, new StructWriter(4).u32(0, n).bytes);
  }
  return sent;
}

/**
 * recvmmsg(2): recvmsg for each message; MSG_WAITFORONE makes every one
 * after the first non-blocking. The timeout is looked at after each
 * message, as Linux does (it never cuts a wait short).
 */
async function sysRecvmmsg(task: Task, a: SyscallArgs): Promise<number> {
  const flags = a.int(3);
  const vlen = Math.min(a.uint(2), 1024);
  const { file, info } = socketOf(task, a.int(0));
  let deadline: bigint | null = null;
  if (a.ptr(4) !== 0) {
    const ns = decodeTimespec(task.mem.read(a.ptr(4), SIZEOF_TIMESPEC));
    if (ns === null || ns < 0n) return -Errno.EINVAL;
    deadline = task.host.clock.monotonicNs() + ns;
  }
  let got = 0;
  for (; got < vlen; got++) {
    const at = a.ptr(1) + got * SIZEOF_MMSGHDR;
    const f = (flags & ~MSG_WAITFORONE) | (got > 0 && flags & MSG_WAITFORONE ? MSG_DONTWAIT : 0);
    let n: number;
    try {
      n = await recvOne(task, file, info, at, f);
    } catch (err) {
      if (got > 0) break;
      throw err;
    }
    if (n < 0) {
      if (got > 0) break;
      return n;
    }
    task.mem.write(at + SIZEOF_MSGHDR, new StructWriter(4).u32(0, n).bytes);
    if (flags & MSG_OOB) {
      got++;
      break;
    }
    if (deadline !== null && task.host.clock.monotonicNs() >= deadline) {
      got++;
      break;
    }
  }
  return got;
}

// ---- options ----

function readOptInt(task: Task, ptr: number, len: number): number {
  if (len < 4) throw new SyscallError(Errno.EINVAL);
  return new StructReader(task.mem.read(ptr, 4)).i32(0);
}

/** setsockopt(2) */
function sysSetsockopt(task: Task, a: SyscallArgs): number {
  const level = a.int(1);
  const name = a.int(2);
  const ptr = a.ptr(3);
  const len = a.int(4);
  const nl = netlinkOf(task, a.int(0));
  if (nl) return len < 0 ? -Errno.EINVAL : nl.setOption(level, name, ptr !== 0 && len >= 4 ? readOptInt(task, ptr, len) : 0);
  const { file, info } = socketOf(task, a.int(0));
  const s = sockets(task);
  if (len < 0) return -Errno.EINVAL;
  if (level === SOL_SOCKET) {
    if (name === SO_LINGER) {
      if (len < 8) return -Errno.EINVAL;
      const r = new StructReader(task.mem.read(ptr, 8));
      s.setLinger(file.hostFd, r.i32(0) !== 0 ? 1 : 0, r.i32(4));
      return 0;
    }
    if (name === SO_RCVTIMEO || name === SO_SNDTIMEO) {
      if (len < 16) return -Errno.EINVAL;
      const r = new StructReader(task.mem.read(ptr, 16));
      const sec = r.i64(0);
      const usec = r.i64(8);
      if (usec < 0n || usec >= 1_000_000n) return -Errno.EDOM;
      // sock_set_timeout keeps jiffies: the microseconds round up to the tick (HZ 250, arm64's default).
      const ticks = sec < 0n ? 0n : sec * JIFFY_HZ + (usec + JIFFY_US - 1n) / JIFFY_US;
      const w = new StructWriter(16).i64(0, ticks / JIFFY_HZ).i64(8, (ticks % JIFFY_HZ) * JIFFY_US);
      info.timeouts.set(name, w.bytes);
      return 0;
    }
    if (name === SO_PASSCRED) {
      info.passcred = readOptInt(task, ptr, len) !== 0;
      return 0;
    }
    if (name === SO_TYPE || name === SO_ERROR || name === SO_PROTOCOL || name === SO_DOMAIN || name === 30 || name === SO_PEERCRED) return -Errno.ENOPROTOOPT;
  }
  const opt = INT_OPTIONS.get(`${level}:${name}`);
  if (opt === undefined) return -Errno.ENOPROTOOPT;
  if ((opt.startsWith('TCP_') && info.type !== 'stream') || (opt.startsWith('IPV6_') && info.family !== 'inet6')) return -Errno.ENOPROTOOPT;
  let v = readOptInt(task, ptr, len);
  // Linux doubles the buffer sizes it is given (and so do the hosts that report them so); keep the host's answer.
  if (opt === 'SO_RCVBUF' || opt === 'SO_SNDBUF') v = Math.max(v, 0);
  s.setOpt(file.hostFd, opt, v);
  return 0;
}

/** getsockopt(2) */
function sysGetsockopt(task: Task, a: SyscallArgs): number {
  const level = a.int(1);
  const name = a.int(2);
  const ptr = a.ptr(3);
  const lenPtr = a.ptr(4);
  const nl = netlinkOf(task, a.int(0));
  const have = new StructReader(task.mem.read(lenPtr, 4)).i32(0);
  if (have < 0) return -Errno.EINVAL;
  const put = (bytes: Uint8Array): number => {
    const n = Math.min(have, bytes.length);
    if (n > 0) task.mem.write(ptr, bytes.subarray(0, n));
    task.mem.write(lenPtr, new StructWriter(4).i32(0, n).bytes);
    return 0;
  };
  const int = (v: number): number => put(new StructWriter(4).i32(0, v).bytes);
  if (nl) {
    const v = nl.getOption(level, name);
    return v === null ? -Errno.ENOPROTOOPT : int(v);
  }
  const { file, info } = socketOf(task, a.int(0));
  const s = sockets(task);
  if (level === SOL_SOCKET) {
    switch (name) {
      case SO_TYPE:
        return int(LINUX_TYPE[info.type]);
      case SO_DOMAIN:
        return int(LINUX_FAMILY[info.family]);
      case SO_PROTOCOL:
        return int(info.protocol);
      case SO_ERROR: {
        const err = s.takeError(file.hostFd);
        return int(err === null ? 0 : linuxErrnoFromHostCode(err));
      }
      case SO_LINGER: {
        const l = s.getLinger(file.hostFd);
        return put(new StructWriter(8).i32(0, l.onoff).i32(4, l.seconds).bytes);
      }
      case SO_RCVTIMEO:
      case SO_SNDTIMEO:
        return put(info.timeouts.get(name) ?? new Uint8Array(16));
      case SO_PASSCRED:
        return int(info.passcred ? 1 : 0);
      case SO_PEERCRED: {
        const c = s.peerCred(file.hostFd);
        return put(new StructWriter(12).i32(0, c.pid).u32(4, c.uid).u32(8, c.gid).bytes);
      }
    }
  }
  const opt = INT_OPTIONS.get(`${level}:${name}`);
  if (opt === undefined) return -Errno.ENOPROTOOPT;
  if ((opt.startsWith('TCP_') && info.type !== 'stream') || (opt.startsWith('IPV6_') && info.family !== 'inet6')) return -Errno.ENOPROTOOPT;
  let v = s.getOpt(file.hostFd, opt);
  // Booleans read back as 0 or 1 on Linux; some hosts answer the flag's bit.
  if (['SO_REUSEADDR', 'SO_REUSEPORT', 'SO_KEEPALIVE', 'SO_BROADCAST', 'SO_OOBINLINE', 'SO_ACCEPTCONN', 'TCP_NODELAY', 'IPV6_V6ONLY'].includes(opt)) v = v !== 0 ? 1 : 0;
  return int(v);
}

export const socketSyscalls: Readonly<Record<string, SyscallImpl>> = {
  socket: { handler: sysSocket, support: 'partial', args: ['int', 'hex', 'int'], note: 'AF_UNIX, AF_INET, AF_INET6; AF_NETLINK with NETLINK_ROUTE link and address dumps only' },
  socketpair: { handler: sysSocketpair, support: 'full', args: ['int', 'hex', 'int', 'ptr'] },
  bind: { handler: sysBind, support: 'full', args: ['fd', 'ptr', 'int'] },
  listen: { handler: sysListen, support: 'full', args: ['fd', 'int'] },
  accept: { handler: sysAccept, support: 'full', args: ['fd', 'ptr', 'ptr'] },
  accept4: { handler: sysAccept4, support: 'full', args: ['fd', 'ptr', 'ptr', 'hex'] },
  connect: { handler: sysConnect, support: 'full', args: ['fd', 'ptr', 'int'] },
  getsockname: { handler: (t, a) => sockName(t, a, false), support: 'full', args: ['fd', 'ptr', 'ptr'] },
  getpeername: { handler: (t, a) => sockName(t, a, true), support: 'full', args: ['fd', 'ptr', 'ptr'] },
  shutdown: { handler: sysShutdown, support: 'full', args: ['fd', 'int'] },
  sendto: { handler: sysSendto, support: 'full', args: ['fd', 'wbuf', 'size', 'hex', 'ptr', 'int'] },
  recvfrom: { handler: sysRecvfrom, support: 'full', args: ['fd', 'ptr', 'size', 'hex', 'ptr', 'ptr'] },
  sendmsg: { handler: sysSendmsg, support: 'partial', args: ['fd', 'ptr', 'hex'], note: 'SCM_RIGHTS only; no SCM_CREDENTIALS' },
  recvmsg: { handler: sysRecvmsg, support: 'partial', args: ['fd', 'ptr', 'hex'], note: 'SCM_RIGHTS only; no SCM_CREDENTIALS' },
  sendmmsg: { handler: sysSendmmsg, support: 'partial', args: ['fd', 'ptr', 'int', 'hex'], note: 'SCM_RIGHTS only; no SCM_CREDENTIALS' },
  recvmmsg: { handler: sysRecvmmsg, support: 'partial', args: ['fd', 'ptr', 'int', 'hex', 'ptr'], note: 'SCM_RIGHTS only; no SCM_CREDENTIALS' },
  setsockopt: { handler: sysSetsockopt, support: 'partial', args: ['fd', 'int', 'int', 'ptr', 'int'], note: 'the common SOL_SOCKET, TCP, IP and IPv6 options' },
  getsockopt: { handler: sysGetsockopt, support: 'partial', args: ['fd', 'int', 'int', 'ptr', 'ptr'], note: 'the common SOL_SOCKET, TCP, IP and IPv6 options, SO_PEERCRED' },
};
