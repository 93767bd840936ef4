/**
 * AF_NETLINK sockets of the NETLINK_ROUTE protocol (net/netlink/af_netlink.c,
 * net/core/rtnetlink.c, net/ipv4/devinet.c, net/ipv6/addrconf.c), made up
 * here: enough of rtnetlink for getifaddrs(3), if_nameindex(3) and `ip
 * link`/`ip addr`: RTM_GETLINK and RTM_GETADDR dumps (and RTM_GETLINK of
 * one interface), answered with RTM_NEWLINK/RTM_NEWADDR messages and
 * NLMSG_DONE, errors and acknowledgements as NLMSG_ERROR.
 *
 * The answers are built from the host's interface list (`HostNetwork`,
 * getifaddrs on the host) rather than by opening a host netlink socket: a
 * macOS host has no netlink at all, and the list gives what these dumps
 * carry on either host. What is not done: multicast groups (a bind to them
 * is kept, no notification ever comes), link statistics (IFLA_STATS), the
 * queueing discipline (IFLA_QDISC), address lifetimes (every address is
 * permanent) and IFA_F_* flags other than IFA_F_PERMANENT, the
 * other rtnetlink tables (routes, neighbours, rules: EOPNOTSUPP), changes
 * (RTM_NEW*, RTM_DEL*, RTM_SET*: EPERM), other netlink protocols
 * (EPROTONOSUPPORT), and messages between guest netlink sockets.
 *
 * A socket is an object elfuse makes up (an `EventObject`: read, write and
 * poll as for an eventfd, a fork child gets a fresh copy); socket.ts hands
 * it the socket calls.
 */

import type { HostIfAddr, HostLink } from '../../ports/host.js';
import { Errno } from './errno.js';
import type { OpenFile } from './fd-table.js';
import { gather, iovTotal, readIovecs, scatter } from './fs-io.js';
import {
  AF_INET,
  AF_INET6,
  AF_UNSPEC,
  MSG_CMSG_CLOEXEC,
  MSG_DONTWAIT,
  MSG_PEEK,
  MSG_TRUNC,
  MsghdrOffset,
  O_CLOEXEC,
  O_NONBLOCK,
  POLLIN,
  POLLOUT,
  POLLRDNORM,
  POLLWRNORM,
  SIZEOF_MSGHDR,
  SOCK_DGRAM,
  SOCK_RAW,
  SOL_SOCKET,
  StructReader,
  StructWriter,
} from './linux-abi.js';
import { SyscallError, type SyscallArgs } from './syscall-args.js';
import type { Task } from './task.js';
import { WaitQueue, blockingCall, installEvent, type EventObject } from './waitq.js';

export const AF_NETLINK = 16;
const NETLINK_ROUTE = 0;
/** MAX_LINKS: netlink protocol numbers are below it. */
const MAX_LINKS = 32;
const SOL_NETLINK = 270;
const SIZEOF_SOCKADDR_NL = 12;
const S_IFSOCK = 0o140000;

const NLMSG_HDRLEN = 16;
const NLMSG_MIN_TYPE = 0x10;
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const NLM_F_REQUEST = 0x1;
const NLM_F_MULTI = 0x2;
const NLM_F_ACK = 0x4;
const NLM_F_DUMP = 0x300;
/** On an acknowledgement: the request's payload is left out. */
const NLM_F_CAPPED = 0x100;

const RTM_NEWLINK = 16;
const RTM_GETLINK = 18;
const RTM_NEWADDR = 20;
const RTM_GETADDR = 22;

const IFLA_ADDRESS = 1;
const IFLA_BROADCAST = 2;
const IFLA_IFNAME = 3;
const IFLA_MTU = 4;
const IFLA_TXQLEN = 13;
const IFLA_OPERSTATE = 16;
const IF_OPER_UNKNOWN = 0;
const IF_OPER_DOWN = 2;
const IF_OPER_UP = 6;

const IFA_ADDRESS = 1;
const IFA_LOCAL = 2;
const IFA_LABEL = 3;
const IFA_BROADCAST = 4;
const IFA_CACHEINFO = 6;
const IFA_FLAGS = 8;
/** INFINITY_LIFE_TIME: an address that does not expire. */
const INFINITY_LIFE_TIME = 0xffffffff;
const IFA_F_PERMANENT = 0x80;

const RT_SCOPE_UNIVERSE = 0;
const RT_SCOPE_LINK = 253;
const RT_SCOPE_HOST = 254;

const ARPHRD: Readonly<Record<HostLink['type'], number>> = { ether: 1, loopback: 772, none: 0xfffe };

/** include/uapi/linux/if.h: the interface flags by the port's names. */
const IFF: Readonly<Record<string, number>> = {
  up: 0x1,
  broadcast: 0x2,
  debug: 0x4,
  loopback: 0x8,
  pointopoint: 0x10,
  notrailers: 0x20,
  running: 0x40,
  noarp: 0x80,
  promisc: 0x100,
  allmulti: 0x200,
  master: 0x400,
  slave: 0x800,
  multicast: 0x1000,
  portsel: 0x2000,
  automedia: 0x4000,
  dynamic: 0x8000,
  lower_up: 0x10000,
  dormant: 0x20000,
  echo: 0x40000,
};

/**
 * Largest dump datagram: NLMSG_GOODSIZE on 4 KiB pages, so a reader with a
 * page-sized buffer (glibc's) never sees one truncated.
 */
const DUMP_DATAGRAM = 3776;

const align4 = (n: number): number => (n + 3) & ~3;
const latin1 = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);
const cString = (s: string): Uint8Array => {
  const b = new Uint8Array(s.length + 1);
  b.set(latin1(s));
  return b;
};

/** One rtattr: length, type, the data, padded to 4. */
function rtattr(type: number, data: Uint8Array): Uint8Array {
  const w = new StructWriter(align4(4 + data.length)).u16(0, 4 + data.length).u16(2, type);
  w.bytes.set(data, 4);
  return w.bytes;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** One netlink message: the header, then the body padded to 4. */
function nlmsg(type: number, flags: number, seq: number, pid: number, body: Uint8Array): Uint8Array {
  const w = new StructWriter(NLMSG_HDRLEN + align4(body.length))
    .u32(0, NLMSG_HDRLEN + body.length)
    .u16(4, type)
    .u16(6, flags)
    .u32(8, seq >>> 0)
    .u32(12, pid >>> 0);
  w.bytes.set(body, NLMSG_HDRLEN);
  return w.bytes;
}

const u32 = (v: number): Uint8Array => new StructWriter(4).u32(0, v >>> 0).bytes;

function flagBits(names: readonly string[]): number {
  return names.reduce((bits, n) => bits | (IFF[n] ?? 0), 0) >>> 0;
}

function prefixLength(mask: Uint8Array | undefined, full: number): number {
  if (!mask) return full;
  let n = 0;
  for (const b of mask) for (let bit = 7; bit >= 0; bit--) if (b & (1 << bit)) n++;
  return n;
}

/** The address's scope, as the kernel assigns it: loopback is host, fe80::/10 link, the rest universe. */
function scopeOf(a: HostIfAddr): number {
  if (a.family === 'inet') return a.addr[0] === 127 ? RT_SCOPE_HOST : RT_SCOPE_UNIVERSE;
  if (a.addr.every((b, i) => b === (i === 15 ? 1 : 0))) return RT_SCOPE_HOST;
  if (a.addr[0] === 0xfe && ((a.addr[1] ?? 0) & 0xc0) === 0x80) return RT_SCOPE_LINK;
  return RT_SCOPE_UNIVERSE;
}

/** RTM_NEWLINK for one interface (rtnl_fill_ifinfo, the attributes getifaddrs and `ip link` read). */
function linkMessage(l: HostLink, flags: number, seq: number, pid: number): Uint8Array {
  const bits = flagBits(l.flags);
  const head = new StructWriter(16).u8(0, AF_UNSPEC).u16(2, ARPHRD[l.type]).i32(4, l.index).u32(8, bits).u32(12, 0).bytes;
  const oper = l.type === 'loopback' ? IF_OPER_UNKNOWN : bits & IFF['lower_up']! && bits & IFF['up']! ? IF_OPER_UP : IF_OPER_DOWN;
  const attrs = [rtattr(IFLA_IFNAME, cString(l.name)), rtattr(IFLA_TXQLEN, u32(l.txqlen ?? 0)), rtattr(IFLA_OPERSTATE, Uint8Array.of(oper)), rtattr(IFLA_MTU, u32(l.mtu))];
  if (l.hwaddr.length > 0) attrs.push(rtattr(IFLA_ADDRESS, l.hwaddr));
  if (l.hwbroadcast && l.hwbroadcast.length > 0) attrs.push(rtattr(IFLA_BROADCAST, l.hwbroadcast));
  return nlmsg(RTM_NEWLINK, flags, seq, pid, concat([head, ...attrs]));
}

/** RTM_NEWADDR for one address (inet_fill_ifaddr, inet6_fill_ifaddr). */
function addrMessage(a: HostIfAddr, flags: number, seq: number, pid: number): Uint8Array {
  const inet = a.family === 'inet';
  const family = inet ? AF_INET : AF_INET6;
  const head = new StructWriter(8)
    .u8(0, family)
    .u8(1, prefixLength(a.netmask, inet ? 32 : 128))
    .u8(2, IFA_F_PERMANENT)
    .u8(3, scopeOf(a))
    .u32(4, a.index).bytes;
  const attrs: Uint8Array[] = [];
  if (inet) {
    attrs.push(rtattr(IFA_ADDRESS, a.peer ?? a.addr), rtattr(IFA_LOCAL, a.addr));
    if (a.broadcast) attrs.push(rtattr(IFA_BROADCAST, a.broadcast));
    attrs.push(rtattr(IFA_LABEL, cString(a.name)));
  } else {
    attrs.push(rtattr(IFA_ADDRESS, a.peer ?? a.addr));
    if (a.peer) attrs.push(rtattr(IFA_LOCAL, a.addr));
  }
  // The host list has no lifetimes: every address is permanent (ifa_cacheinfo: preferred, valid, stamps).
  attrs.push(rtattr(IFA_CACHEINFO, new StructWriter(16).u32(0, INFINITY_LIFE_TIME).u32(4, INFINITY_LIFE_TIME).bytes));
  attrs.push(rtattr(IFA_FLAGS, u32(IFA_F_PERMANENT)));
  return nlmsg(RTM_NEWADDR, flags, seq, pid, concat([head, ...attrs]));
}

/** Port ids in use by this process's sockets (netlink_insert refuses a second). */
const portsInUse = new Set<number>();

export class NetlinkSocket implements EventObject {
  readonly name = 'netlink';
  readonly mode = S_IFSOCK | 0o777;
  readonly queue = new WaitQueue();
  /** The bound port id; 0 until bind or the first send (autobind). */
  portId = 0;
  groups = 0;
  dstPort = 0;
  dstGroups = 0;
  /** Datagrams waiting to be read, oldest first. */
  private readonly rx: Uint8Array[] = [];
  /** SOL_NETLINK and SOL_SOCKET values the guest set (kept and read back). */
  private readonly options = new Map<string, number>();

  constructor(
    readonly type: number,
    readonly protocol: number,
  ) {}

  poll(): number {
    return POLLOUT | POLLWRNORM | (this.rx.length > 0 ? POLLIN | POLLRDNORM : 0);
  }

  read(task: Task, file: OpenFile, count: number): Uint8Array | Promise<Uint8Array> {
    const got = this.receive(task, file, count, 0);
    return got instanceof Promise ? got.then((r) => r.data) : got.data;
  }

  write(task: Task, _file: OpenFile, data: Uint8Array): number {
    return this.send(task, data, null);
  }

  release(): void {
    if (this.portId !== 0) portsInUse.delete(this.portId);
  }

  /** netlink_autobind: the process's pid when free, else a negative id counting down from -4096. */
  private autobind(task: Task): void {
    if (this.portId !== 0) return;
    let id = task.pid;
    for (let rover = -4096; portsInUse.has(id); rover--) id = rover;
    this.portId = id;
    portsInUse.add(id);
  }

  bind(task: Task, addr: Uint8Array): number {
    if (addr.length < SIZEOF_SOCKADDR_NL) return -Errno.EINVAL;
    const r = new StructReader(addr);
    if (r.u16(0) !== AF_NETLINK) return -Errno.EINVAL;
    const pid = r.i32(4);
    const groups = r.u32(8);
    if (this.portId !== 0 && pid !== 0 && pid !== this.portId) return -Errno.EINVAL;
    if (this.portId === 0) {
      if (pid === 0) this.autobind(task);
      else if (portsInUse.has(pid)) return -Errno.EADDRINUSE;
      else {
        this.portId = pid;
        portsInUse.add(pid);
      }
    }
    this.groups = groups;
    return 0;
  }

  connect(task: Task, addr: Uint8Array): number {
    if (addr.length < 2) return -Errno.EINVAL;
    const r = new StructReader(addr);
    if (r.u16(0) === AF_UNSPEC) {
      this.dstPort = 0;
      this.dstGroups = 0;
      return 0;
    }
    if (addr.length < SIZEOF_SOCKADDR_NL || r.u16(0) !== AF_NETLINK) return -Errno.EINVAL;
    this.dstPort = r.u32(4);
    this.dstGroups = r.u32(8);
    this.autobind(task);
    return 0;
  }

  /** sockaddr_nl of this end or of the peer (the kernel is port 0). */
  address(peer: boolean): Uint8Array {
    const w = new StructWriter(SIZEOF_SOCKADDR_NL).u16(0, AF_NETLINK);
    return peer ? w.u32(4, this.dstPort).u32(8, this.dstGroups).bytes : w.u32(4, this.portId >>> 0).u32(8, this.groups).bytes;
  }

  /** netlink_sendmsg to the kernel: every request in `data` is answered onto the receive queue. */
  send(task: Task, data: Uint8Array, dest: Uint8Array | null): number {
    let dstPort = this.dstPort;
    let dstGroups = this.dstGroups;
    if (dest !== null) {
      if (dest.length < SIZEOF_SOCKADDR_NL) return -Errno.EINVAL;
      const r = new StructReader(dest);
      if (r.u16(0) !== AF_NETLINK) return -Errno.EINVAL;
      dstPort = r.u32(4);
      dstGroups = r.u32(8);
    }
    // Only the kernel listens here: sending to a multicast group needs NL_CFG_F_NONROOT_SEND.
    if (dstGroups !== 0) return -Errno.EPERM;
    this.autobind(task);
    if (dstPort !== 0) return -Errno.ECONNREFUSED;
    this.answer(task, data);
    return data.length;
  }

  /** netlink_recvmsg: one datagram, cut to `len` (MSG_TRUNC says so; with MSG_TRUNC asked, its full length is returned). */
  receive(task: Task, file: OpenFile, len: number, flags: number): NetlinkReceived | Promise<NetlinkReceived> {
    const attempt = (): NetlinkReceived | null => {
      const d = this.rx[0];
      if (d === undefined) return null;
      if (!(flags & MSG_PEEK)) this.rx.shift();
      const data = d.subarray(0, Math.min(len, d.length));
      const truncated = d.length > len;
      return { data, length: flags & MSG_TRUNC ? d.length : data.length, flags: truncated ? MSG_TRUNC : 0 };
    };
    if (flags & MSG_DONTWAIT) {
      const now = attempt();
      if (now === null) throw new SyscallError(Errno.EAGAIN);
      return now;
    }
    return blockingCall(task, file, attempt);
  }

  setOption(level: number, name: number, value: number): number {
    if (level === SOL_NETLINK) {
      if (name < 1 || name > 12) return -Errno.ENOPROTOOPT;
      this.options.set(`${level}:${name}`, value);
      return 0;
    }
    if (level === SOL_SOCKET) {
      // SO_SNDBUF, SO_RCVBUF: doubled as sock_setsockopt keeps them; SO_PASSCRED, SO_SNDBUFFORCE, SO_RCVBUFFORCE, SO_TIMESTAMP...
      if (name === 7 || name === 8 || name === 32 || name === 33) this.options.set(`${level}:${name === 32 ? 7 : name === 33 ? 8 : name}`, Math.max(value * 2, 2304));
      else this.options.set(`${level}:${name}`, value);
      return 0;
    }
    return -Errno.ENOPROTOOPT;
  }

  getOption(level: number, name: number): number | null {
    if (level === SOL_SOCKET) {
      switch (name) {
        case 3: // SO_TYPE
          return this.type;
        case 39: // SO_DOMAIN
          return AF_NETLINK;
        case 38: // SO_PROTOCOL
          return this.protocol;
        case 4: // SO_ERROR
          return 0;
        case 7: // SO_SNDBUF
        case 8: // SO_RCVBUF
          return this.options.get(`${level}:${name}`) ?? 212992;
      }
      return this.options.get(`${level}:${name}`) ?? null;
    }
    if (level === SOL_NETLINK && name >= 1 && name <= 12) return this.options.get(`${level}:${name}`) ?? 0;
    return null;
  }

  private push(datagram: Uint8Array): void {
    this.rx.push(datagram);
    this.queue.wake(POLLIN);
  }

  /** Answers each request message of `data` (netlink_rcv_skb): dumps, replies, errors and acknowledgements. */
  private answer(task: Task, data: Uint8Array): void {
    const r = new StructReader(data);
    for (let off = 0; off + NLMSG_HDRLEN <= data.length; ) {
      const len = r.u32(off);
      if (len < NLMSG_HDRLEN || len > data.length - off) break;
      const type = r.u16(off + 4);
      const flags = r.u16(off + 6);
      const seq = r.u32(off + 8);
      const msg = data.subarray(off, off + len);
      let err = 0;
      let dumped = false;
      if (flags & NLM_F_REQUEST && type >= NLMSG_MIN_TYPE) {
        const res = this.request(task, type, flags, seq, msg.subarray(NLMSG_HDRLEN));
        err = res.err;
        dumped = res.dumped;
      }
      if (!dumped && (err !== 0 || flags & NLM_F_ACK)) this.push(this.errorMessage(err, msg, seq));
      off += align4(len);
    }
  }

  /** NLMSG_ERROR: the error (0 for an acknowledgement) and the request's header, with its payload only for an error. */
  private errorMessage(err: number, request: Uint8Array, seq: number): Uint8Array {
    const echoed = err === 0 ? request.subarray(0, NLMSG_HDRLEN) : request;
    const body = new Uint8Array(4 + echoed.length);
    body.set(new StructWriter(4).i32(0, err).bytes);
    body.set(echoed, 4);
    return nlmsg(NLMSG_ERROR, err === 0 ? NLM_F_CAPPED : 0, seq, this.portId, body);
  }

  private request(task: Task, type: number, flags: number, seq: number, payload: Uint8Array): { err: number; dumped: boolean } {
    if (this.protocol !== NETLINK_ROUTE) return { err: -Errno.EOPNOTSUPP, dumped: false };
    // rtnetlink's kinds: NEW, DEL, GET, SET in turn from RTM_BASE; only GET reads.
    if ((type - NLMSG_MIN_TYPE) % 4 !== 2) return { err: -Errno.EPERM, dumped: false };
    const family = payload.length > 0 ? (payload[0] ?? 0) : AF_UNSPEC;
    const all = task.host.network?.interfaces() ?? [];
    const links = all.filter((e): e is HostLink => e.family === 'link');
    if (type === RTM_GETLINK) {
      if ((flags & NLM_F_DUMP) === NLM_F_DUMP) {
        this.dump(links.map((l) => linkMessage(l, NLM_F_MULTI, seq, this.portId)), seq);
        return { err: 0, dumped: true };
      }
      const link = this.findLink(links, payload);
      if (!link) return { err: -Errno.ENODEV, dumped: false };
      this.push(linkMessage(link, 0, seq, this.portId));
      return { err: 0, dumped: false };
    }
    if (type === RTM_GETADDR) {
      if ((flags & NLM_F_DUMP) !== NLM_F_DUMP) return { err: -Errno.EOPNOTSUPP, dumped: false };
      const addrs = all.filter((e): e is HostIfAddr => e.family === 'inet' || e.family === 'inet6');
      // AF_UNSPEC (or a family without its own handler) dumps every family in turn: inet, then inet6.
      const want = family === AF_INET ? ['inet'] : family === AF_INET6 ? ['inet6'] : ['inet', 'inet6'];
      const order = want.flatMap((f) => addrs.filter((a) => a.family === f));
      this.dump(order.map((a) => addrMessage(a, NLM_F_MULTI, seq, this.portId)), seq);
      return { err: 0, dumped: true };
    }
    return { err: -Errno.EOPNOTSUPP, dumped: false };
  }

  /** RTM_GETLINK of one interface: by ifi_index, else by IFLA_IFNAME. */
  private findLink(links: readonly HostLink[], payload: Uint8Array): HostLink | undefined {
    if (payload.length < 16) return undefined;
    const r = new StructReader(payload);
    const index = r.i32(4);
    if (index > 0) return links.find((l) => l.index === index);
    for (let at = 16; at + 4 <= payload.length; ) {
      const len = r.u16(at);
      if (len < 4 || at + len > payload.length) break;
      if (r.u16(at + 2) === IFLA_IFNAME) {
        const raw = payload.subarray(at + 4, at + len);
        const end = raw.indexOf(0);
        const name = String.fromCharCode(...raw.subarray(0, end < 0 ? raw.length : end));
        return links.find((l) => l.name === name);
      }
      at += align4(len);
    }
    return undefined;
  }

  /** A dump: the messages packed into datagrams of at most DUMP_DATAGRAM bytes, NLMSG_DONE after the last. */
  private dump(messages: readonly Uint8Array[], seq: number): void {
    const done = nlmsg(NLMSG_DONE, NLM_F_MULTI, seq, this.portId, new StructWriter(4).i32(0, 0).bytes);
    let batch: Uint8Array[] = [];
    let size = 0;
    for (const m of [...messages, done]) {
      if (size > 0 && size + m.length > DUMP_DATAGRAM) {
        this.push(concat(batch));
        batch = [];
        size = 0;
      }
      batch.push(m);
      size += m.length;
    }
    this.push(concat(batch));
  }
}

export interface NetlinkReceived {
  readonly data: Uint8Array;
  /** What recv returns: the bytes copied, or the datagram's length under MSG_TRUNC. */
  readonly length: number;
  /** MSG_TRUNC when the datagram did not fit. */
  readonly flags: number;
}

/** The netlink socket behind `fd`, or null for any other file (EBADF for no file). */
export function netlinkOf(task: Task, fd: number): NetlinkSocket | null {
  const file = task.fds.get(fd);
  if (!file) throw new SyscallError(Errno.EBADF);
  return file.event instanceof NetlinkSocket ? file.event : null;
}

/** socket(AF_NETLINK, type, protocol) (netlink_create): SOCK_RAW or SOCK_DGRAM, NETLINK_ROUTE only. */
export function netlinkSocket(task: Task, type: number, flags: number, protocol: number): number {
  if (type !== SOCK_RAW && type !== SOCK_DGRAM) return -Errno.ESOCKTNOSUPPORT;
  if (protocol < 0 || protocol >= MAX_LINKS) return -Errno.EPROTONOSUPPORT;
  if (protocol !== NETLINK_ROUTE) {
    task.trace(`elfuse: socket: netlink protocol ${protocol} is not made up (only NETLINK_ROUTE); returning EPROTONOSUPPORT`);
    return -Errno.EPROTONOSUPPORT;
  }
  return installEvent(task, new NetlinkSocket(type, protocol), flags & (O_CLOEXEC | O_NONBLOCK));
}

function readMsghdr(task: Task, ptr: number) {
  const r = new StructReader(task.mem.read(ptr, SIZEOF_MSGHDR));
  const O = MsghdrOffset;
  return {
    name: Number(r.u64(O.msg_name)),
    namelen: r.i32(O.msg_namelen),
    iov: Number(r.u64(O.msg_iov)),
    iovlen: Number(r.u64(O.msg_iovlen)),
  };
}

/** sendmsg(2) on a netlink socket (control data is ignored: no credentials are checked here). */
export function netlinkSendmsg(task: Task, nl: NetlinkSocket, msgPtr: number): number {
  const m = readMsghdr(task, msgPtr);
  const data = gather(task, m.iov, m.iovlen);
  const dest = m.name !== 0 && m.namelen > 0 ? task.mem.read(m.name, m.namelen) : null;
  return nl.send(task, data, dest);
}

/** recvmsg(2) on a netlink socket: the sender is the kernel (port 0); no control data. */
export function netlinkRecvmsg(task: Task, file: OpenFile, nl: NetlinkSocket, msgPtr: number, flags: number): number | Promise<number> {
  const m = readMsghdr(task, msgPtr);
  const iovs = readIovecs(task, m.iov, m.iovlen);
  const finish = (r: NetlinkReceived): number => {
    scatter(task, iovs, r.data);
    const O = MsghdrOffset;
    if (m.name !== 0 && m.namelen > 0) {
      const from = new StructWriter(SIZEOF_SOCKADDR_NL).u16(0, AF_NETLINK).bytes;
      task.mem.write(m.name, from.subarray(0, Math.min(from.length, m.namelen)));
      task.mem.write(msgPtr + O.msg_namelen, new StructWriter(4).i32(0, SIZEOF_SOCKADDR_NL).bytes);
    } else task.mem.write(msgPtr + O.msg_namelen, new StructWriter(4).i32(0, 0).bytes);
    task.mem.write(msgPtr + O.msg_controllen, new StructWriter(8).u64(0, 0n).bytes);
    task.mem.write(msgPtr + O.msg_flags, new StructWriter(4).i32(0, r.flags | (flags & MSG_CMSG_CLOEXEC)).bytes);
    return r.length;
  };
  const r = nl.receive(task, file, iovTotal(iovs), flags);
  return r instanceof Promise ? r.then(finish) : finish(r);
}

/** The sender's address for recvfrom: the kernel. */
export function kernelAddress(): Uint8Array {
  return new StructWriter(SIZEOF_SOCKADDR_NL).u16(0, AF_NETLINK).bytes;
}

/** The fd's description (for blocking calls, which look at its O_NONBLOCK). */
export function netlinkFile(task: Task, a: SyscallArgs): OpenFile {
  const file = task.fds.get(a.int(0));
  if (!file) throw new SyscallError(Errno.EBADF);
  return file;
}

// ---- the interface ioctls on any socket (net/core/dev_ioctl.c), from the same host list ----

export const SIOCGIFNAME = 0x8910;
export const SIOCGIFCONF = 0x8912;
export const SIOCGIFFLAGS = 0x8913;
export const SIOCGIFADDR = 0x8915;
export const SIOCGIFBRDADDR = 0x8919;
export const SIOCGIFNETMASK = 0x891b;
export const SIOCGIFMTU = 0x8921;
export const SIOCGIFHWADDR = 0x8927;
export const SIOCGIFINDEX = 0x8933;
export const SIOCGIFTXQLEN = 0x8942;
export const NETDEV_IOCTLS: ReadonlySet<number> = new Set([
  SIOCGIFNAME,
  SIOCGIFCONF,
  SIOCGIFFLAGS,
  SIOCGIFADDR,
  SIOCGIFBRDADDR,
  SIOCGIFNETMASK,
  SIOCGIFMTU,
  SIOCGIFHWADDR,
  SIOCGIFINDEX,
  SIOCGIFTXQLEN,
]);
/** struct ifreq: the name (IFNAMSIZ), then a 24-byte union. */
const SIZEOF_IFREQ = 40;
const IFNAMSIZ = 16;
const SIZEOF_IFCONF = 16;

function sockaddrIn(addr: Uint8Array | undefined): Uint8Array {
  const w = new StructWriter(16).u16(0, AF_INET);
  if (addr) w.bytes.set(addr.subarray(0, 4), 4);
  return w.bytes;
}

/** ioctl(2) of the SIOCGIF* requests: what the host's interface list says, ENODEV for an unknown name. */
export function netdevIoctl(task: Task, req: number, arg: number): number {
  const all = task.host.network?.interfaces() ?? [];
  const links = all.filter((e): e is HostLink => e.family === 'link');
  const inet = all.filter((e): e is HostIfAddr => e.family === 'inet');
  if (req === SIOCGIFCONF) {
    const r = new StructReader(task.mem.read(arg, SIZEOF_IFCONF));
    const len = r.i32(0);
    const buf = Number(r.u64(8));
    let used = 0;
    for (const a of inet) {
      if (buf !== 0) {
        if (used + SIZEOF_IFREQ > len) break;
        const w = new StructWriter(SIZEOF_IFREQ);
        w.bytes.set(latin1(a.name).subarray(0, IFNAMSIZ - 1));
        w.bytes.set(sockaddrIn(a.addr), IFNAMSIZ);
        task.mem.write(buf + used, w.bytes);
      }
      used += SIZEOF_IFREQ;
    }
    task.mem.write(arg, new StructWriter(4).i32(0, used).bytes);
    return 0;
  }
  const ifr = task.mem.read(arg, SIZEOF_IFREQ).slice();
  const r = new StructReader(ifr);
  const put = (at: number, bytes: Uint8Array): number => {
    ifr.set(bytes, at);
    task.mem.write(arg, ifr);
    return 0;
  };
  if (req === SIOCGIFNAME) {
    const link = links.find((l) => l.index === r.i32(IFNAMSIZ));
    if (!link) return -Errno.ENODEV;
    const name = new Uint8Array(IFNAMSIZ);
    name.set(latin1(link.name).subarray(0, IFNAMSIZ - 1));
    return put(0, name);
  }
  const nameBytes = ifr.subarray(0, IFNAMSIZ);
  const end = nameBytes.indexOf(0);
  const name = String.fromCharCode(...nameBytes.subarray(0, end < 0 ? IFNAMSIZ : end));
  // An alias (eth0:1) names its interface's link and its own address.
  const link = links.find((l) => l.name === name.split(':')[0]);
  if (!link) return -Errno.ENODEV;
  const addr = inet.find((a) => a.name === name);
  switch (req) {
    case SIOCGIFINDEX:
      return put(IFNAMSIZ, new StructWriter(4).i32(0, link.index).bytes);
    case SIOCGIFFLAGS:
      // ifr_flags is a short: the flags above 0xffff (lower_up, dormant, echo) are not in it.
      return put(IFNAMSIZ, new StructWriter(2).u16(0, flagBits(link.flags) & 0xffff).bytes);
    case SIOCGIFMTU:
      return put(IFNAMSIZ, new StructWriter(4).i32(0, link.mtu).bytes);
    case SIOCGIFTXQLEN:
      return put(IFNAMSIZ, new StructWriter(4).i32(0, link.txqlen ?? 0).bytes);
    case SIOCGIFHWADDR: {
      const w = new StructWriter(16).u16(0, ARPHRD[link.type]);
      w.bytes.set(link.hwaddr.subarray(0, 14), 2);
      return put(IFNAMSIZ, w.bytes);
    }
    case SIOCGIFADDR:
    case SIOCGIFNETMASK:
    case SIOCGIFBRDADDR: {
      if (!addr) return -Errno.EADDRNOTAVAIL;
      const which = req === SIOCGIFADDR ? addr.addr : req === SIOCGIFNETMASK ? addr.netmask : addr.broadcast;
      return put(IFNAMSIZ, sockaddrIn(which));
    }
    default:
      return -Errno.ENOTTY;
  }
}
