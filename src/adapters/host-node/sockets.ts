/**
 * HostSockets on the native addon (native/socket.cc): the port's neutral
 * families, types, addresses and option names become the codes socket.cc
 * maps to the host's own constants; host errors become HostError.
 */

import type { HostMsgFlags, HostRecvResult, HostSockAddr, HostSockFamily, HostSockOpt, HostSockType, HostSockets } from '../../ports/host.js';
import { errnoName, native, posix } from './posix.js';

interface NativeAddr {
  family: number;
  path?: Uint8Array;
  dirfd?: number;
  port?: number;
  addr?: Uint8Array;
  flowinfo?: number;
  scopeId?: number;
}

interface NativeSockets {
  sockOpen(family: number, type: number, protocol: number): number;
  sockPair(family: number, type: number, protocol: number): [number, number];
  sockBind(fd: number, addr: NativeAddr): void;
  sockConnect(fd: number, addr: NativeAddr): void;
  sockDisconnect(fd: number): void;
  sockListen(fd: number, backlog: number): void;
  sockAccept(fd: number): { fd: number; addr: NativeAddr | null };
  sockName(fd: number, peer: boolean): NativeAddr | null;
  sockShutdown(fd: number, how: number): void;
  sockSend(fd: number, data: Uint8Array, addr: NativeAddr | null, fds: number[], flags: number): number;
  sockRecv(fd: number, buf: Uint8Array, flags: number, maxFds: number): { n: number; addr: NativeAddr | null; fds: number[]; truncated: boolean; ctruncated: boolean };
  sockOpt(fd: number, name: string, value?: number | [number, number]): number | [number, number] | undefined;
  sockType(fd: number): number;
  sockPeerCred(fd: number): [number, number, number];
}

const FAMILIES: readonly HostSockFamily[] = ['unix', 'inet', 'inet6'];
const TYPES: readonly HostSockType[] = ['stream', 'dgram', 'seqpacket'];

function toNative(a: HostSockAddr): NativeAddr {
  switch (a.family) {
    case 'unix':
      return { family: 0, path: a.path, ...(a.dirFd !== undefined ? { dirfd: a.dirFd } : {}) };
    case 'inet':
      return { family: 1, port: a.port, addr: a.addr };
    case 'inet6':
      return { family: 2, port: a.port, addr: a.addr, flowinfo: a.flowinfo, scopeId: a.scopeId };
  }
}

function fromNative(a: NativeAddr | null): HostSockAddr | null {
  if (a === null) return null;
  if (a.family === 0) return { family: 'unix', path: a.path ?? new Uint8Array(0) };
  if (a.family === 1) return { family: 'inet', port: a.port ?? 0, addr: a.addr ?? new Uint8Array(4) };
  return { family: 'inet6', port: a.port ?? 0, addr: a.addr ?? new Uint8Array(16), flowinfo: a.flowinfo ?? 0, scopeId: a.scopeId ?? 0 };
}

function msgFlags(f: HostMsgFlags): number {
  return (f.oob ? 1 : 0) | (f.peek ? 2 : 0) | (f.eor ? 8 : 0) | (f.trunc ? 16 : 0);
}

export class NodeHostSockets implements HostSockets {
  private get n(): NativeSockets {
    return posix() as unknown as NativeSockets;
  }

  open(family: HostSockFamily, type: HostSockType, protocol: number): number {
    return native('socket', () => this.n.sockOpen(FAMILIES.indexOf(family), TYPES.indexOf(type), protocol));
  }
  pair(family: HostSockFamily, type: HostSockType, protocol: number): [number, number] {
    return native('socketpair', () => this.n.sockPair(FAMILIES.indexOf(family), TYPES.indexOf(type), protocol));
  }
  bind(fd: number, addr: HostSockAddr): void {
    native('bind', () => this.n.sockBind(fd, toNative(addr)));
  }
  connect(fd: number, addr: HostSockAddr): void {
    native('connect', () => this.n.sockConnect(fd, toNative(addr)));
  }
  disconnect(fd: number): void {
    native('connect', () => this.n.sockDisconnect(fd));
  }
  listen(fd: number, backlog: number): void {
    native('listen', () => this.n.sockListen(fd, backlog));
  }
  accept(fd: number): { fd: number; addr: HostSockAddr | null } {
    const r = native('accept', () => this.n.sockAccept(fd));
    return { fd: r.fd, addr: fromNative(r.addr) };
  }
  name(fd: number, peer: boolean): HostSockAddr | null {
    return fromNative(native(peer ? 'getpeername' : 'getsockname', () => this.n.sockName(fd, peer)));
  }
  shutdown(fd: number, how: 'rd' | 'wr' | 'rdwr'): void {
    native('shutdown', () => this.n.sockShutdown(fd, how === 'rd' ? 0 : how === 'wr' ? 1 : 2));
  }
  send(fd: number, data: Uint8Array, addr: HostSockAddr | null, fds: readonly number[], flags: HostMsgFlags): number {
    return native('sendmsg', () => this.n.sockSend(fd, data, addr ? toNative(addr) : null, [...fds], msgFlags(flags)));
  }
  recv(fd: number, buf: Uint8Array, flags: HostMsgFlags, maxFds: number): HostRecvResult {
    const r = native('recvmsg', () => this.n.sockRecv(fd, buf, msgFlags(flags), maxFds));
    return { n: r.n, addr: fromNative(r.addr), fds: r.fds, truncated: r.truncated, ctruncated: r.ctruncated };
  }
  getOpt(fd: number, name: HostSockOpt): number {
    return native('getsockopt', () => this.n.sockOpt(fd, name)) as number;
  }
  setOpt(fd: number, name: HostSockOpt, value: number): void {
    native('setsockopt', () => this.n.sockOpt(fd, name, value));
  }
  getLinger(fd: number): { onoff: number; seconds: number } {
    const [onoff, seconds] = native('getsockopt', () => this.n.sockOpt(fd, 'SO_LINGER')) as [number, number];
    return { onoff, seconds };
  }
  setLinger(fd: number, onoff: number, seconds: number): void {
    native('setsockopt', () => this.n.sockOpt(fd, 'SO_LINGER', [onoff, seconds]));
  }
  peerCred(fd: number): { pid: number; uid: number; gid: number } {
    const [pid, uid, gid] = native('getsockopt', () => this.n.sockPeerCred(fd));
    return { pid, uid, gid };
  }
  takeError(fd: number): string | null {
    const n = native('getsockopt', () => this.n.sockOpt(fd, 'SO_ERROR')) as number;
    return n === 0 ? null : errnoName(n);
  }
  typeOf(fd: number): HostSockType | null {
    return TYPES[native('getsockopt', () => this.n.sockType(fd))] ?? null;
  }
}
