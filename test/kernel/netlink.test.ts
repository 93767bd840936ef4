/**
 * NETLINK_ROUTE answers from a scripted host interface list: what the
 * machine running the tests does not have (a point-to-point link with a
 * peer, an IPv4 alias label, a link without addresses, a host without any
 * network port). The expected bytes follow the kernel's fill functions
 * (inet_fill_ifaddr: IFA_ADDRESS is the peer, IFA_LOCAL the local
 * address; rtnl_fill_ifinfo's ifinfomsg) and include/uapi's constants,
 * written out here by hand.
 */
import { describe, expect, test } from 'vitest';
import { createNodeHostPorts } from '../../src/adapters/host-node/index.js';
import type { HostIfAddr, HostLink, HostPorts } from '../../src/ports/host.js';
import { SCRATCH, le, makeHarness } from './harness.js';

const AF_NETLINK = 16;
const SOCK_RAW = 3;
const ppp: HostLink = { family: 'link', name: 'ppp0', index: 7, flags: ['up', 'pointopoint', 'running', 'noarp', 'multicast'], type: 'none', hwaddr: new Uint8Array(0), mtu: 1492 };
const eth: HostLink = { family: 'link', name: 'eth1', index: 9, flags: ['broadcast', 'multicast'], type: 'ether', hwaddr: Uint8Array.of(2, 0, 0, 0, 0, 9), hwbroadcast: new Uint8Array(6).fill(255), mtu: 1500 };
const pppAddr: HostIfAddr = { family: 'inet', name: 'ppp0', index: 7, flags: ppp.flags, addr: Uint8Array.of(10, 0, 0, 1), netmask: Uint8Array.of(255, 255, 255, 255), peer: Uint8Array.of(10, 0, 0, 2) };
const alias: HostIfAddr = { family: 'inet', name: 'eth1:1', index: 9, flags: eth.flags, addr: Uint8Array.of(192, 168, 5, 5), netmask: Uint8Array.of(255, 255, 254, 0), broadcast: Uint8Array.of(192, 168, 5, 255) };
const linkLocal: HostIfAddr = { family: 'inet6', name: 'eth1', index: 9, flags: eth.flags, addr: Uint8Array.of(0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9), netmask: Uint8Array.of(...new Uint8Array(8).fill(255), ...new Uint8Array(8)), scopeId: 9 };

function hostWith(network: HostPorts['network']): HostPorts {
  const real = createNodeHostPorts();
  return { ...real, ...(network ? { network } : { network: undefined }) } as HostPorts;
}

/** Sends a dump request of `type` for `family` and returns every message until NLMSG_DONE: [type, flags, payload]. */
async function dump(h: ReturnType<typeof makeHarness>, fd: number, type: number, family: number): Promise<[number, number, Uint8Array][]> {
  const req = new Uint8Array(32);
  const w = new DataView(req.buffer);
  w.setUint32(0, 32, true);
  w.setUint16(4, type, true);
  w.setUint16(6, 0x301, true); // NLM_F_REQUEST | NLM_F_DUMP
  w.setUint32(8, 5, true);
  req[16] = family;
  h.write(SCRATCH, req);
  expect(await h.sys('sendto', fd, SCRATCH, 32, 0, 0, 0)).toBe(32n);
  const out: [number, number, Uint8Array][] = [];
  for (;;) {
    const n = Number(await h.sys('recvfrom', fd, SCRATCH + 0x1000, 8192, 0x40 /* MSG_DONTWAIT */, 0, 0));
    expect(n).toBeGreaterThan(0);
    const buf = h.read(SCRATCH + 0x1000, n);
    for (let off = 0; off < n; ) {
      const r = le(buf.subarray(off));
      const len = r.u32(0);
      out.push([r.u16(4), r.u16(6), buf.slice(off + 16, off + len)]);
      if (r.u16(4) === 3) return out;
      off += (len + 3) & ~3;
    }
  }
}

/** The rtattrs of a payload after its fixed header of `skip` bytes, as type → data. */
function attrs(payload: Uint8Array, skip: number): Map<number, Uint8Array> {
  const m = new Map<number, Uint8Array>();
  for (let at = skip; at + 4 <= payload.length; ) {
    const r = le(payload.subarray(at));
    const len = r.u16(0);
    m.set(r.u16(2), payload.slice(at + 4, at + len));
    at += (len + 3) & ~3;
  }
  return m;
}

describe('NETLINK_ROUTE from the host interface list', () => {
  test('links: ifinfomsg type, index and flags, IFLA_IFNAME/MTU/ADDRESS', async () => {
    const h = makeHarness({ host: hostWith({ interfaces: () => [ppp, eth, pppAddr, alias, linkLocal] }) });
    const fd = Number(await h.sys('socket', AF_NETLINK, SOCK_RAW, 0));
    const msgs = await dump(h, fd, 18, 17);
    expect(msgs.map(([t, f]) => [t, f])).toEqual([
      [16, 2],
      [16, 2],
      [3, 2],
    ]);
    const [, , p0] = msgs[0]!;
    const r0 = le(p0);
    expect(r0.u16(2)).toBe(0xfffe); // ARPHRD_NONE
    expect(r0.i32(4)).toBe(7);
    expect(r0.u32(8)).toBe(0x1 | 0x10 | 0x40 | 0x80 | 0x1000);
    const a0 = attrs(p0, 16);
    expect(new TextDecoder().decode(a0.get(3))).toBe('ppp0\0');
    expect(le(a0.get(4)!).u32(0)).toBe(1492);
    expect(a0.has(1)).toBe(false); // no hardware address
    const a1 = attrs(msgs[1]![2], 16);
    expect([...a1.get(1)!]).toEqual([2, 0, 0, 0, 0, 9]);
    expect([...a1.get(2)!]).toEqual([255, 255, 255, 255, 255, 255]);
    expect(a1.get(16)).toEqual(Uint8Array.of(2)); // IF_OPER_DOWN: not up
  });

  test('addresses: peer as IFA_ADDRESS, the alias label, prefix lengths, scopes; one family at a time', async () => {
    const h = makeHarness({ host: hostWith({ interfaces: () => [ppp, eth, linkLocal, pppAddr, alias] }) });
    const fd = Number(await h.sys('socket', AF_NETLINK, SOCK_RAW, 0));
    const all = await dump(h, fd, 22, 0);
    // AF_UNSPEC: inet first, then inet6, whatever the host's order.
    expect(all.map(([t, , p]) => (t === 20 ? p[0] : t))).toEqual([2, 2, 10, 3]);
    const [p2p, al, v6] = all.map(([, , p]) => p);
    expect([p2p![1], p2p![3], le(p2p!).u32(4)]).toEqual([32, 0, 7]);
    const ap = attrs(p2p!, 8);
    expect([...ap.get(1)!]).toEqual([10, 0, 0, 2]);
    expect([...ap.get(2)!]).toEqual([10, 0, 0, 1]);
    expect(ap.has(4)).toBe(false);
    const aa = attrs(al!, 8);
    expect(al![1]).toBe(23);
    expect(new TextDecoder().decode(aa.get(3))).toBe('eth1:1\0');
    expect([...aa.get(4)!]).toEqual([192, 168, 5, 255]);
    expect([v6![1], v6![3]]).toEqual([64, 253]); // RT_SCOPE_LINK
    expect(attrs(v6!, 8).has(2)).toBe(false); // no IFA_LOCAL without a peer
    const only6 = await dump(h, fd, 22, 10);
    expect(only6.map(([t]) => t)).toEqual([20, 3]);
  });

  test('a host without a network port answers empty dumps', async () => {
    const h = makeHarness({ host: hostWith(undefined) });
    const fd = Number(await h.sys('socket', AF_NETLINK, SOCK_RAW, 0));
    expect((await dump(h, fd, 18, 0)).map(([t]) => t)).toEqual([3]);
    expect((await dump(h, fd, 22, 0)).map(([t]) => t)).toEqual([3]);
  });

  test('other netlink protocols and socket types are refused as netlink_create does', async () => {
    const h = makeHarness({ host: hostWith(undefined) });
    expect(await h.sys('socket', AF_NETLINK, 1 /* SOCK_STREAM */, 0)).toBe(-94n); // ESOCKTNOSUPPORT
    expect(await h.sys('socket', AF_NETLINK, SOCK_RAW, 15 /* NETLINK_KOBJECT_UEVENT */)).toBe(-93n); // EPROTONOSUPPORT
    expect(await h.sys('socket', AF_NETLINK, SOCK_RAW, 32)).toBe(-93n);
  });
});
