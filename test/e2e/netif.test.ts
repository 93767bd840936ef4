/**
 * Network interfaces end to end (guests/src/netif.c): getifaddrs(3) and
 * if_nameindex(3), which glibc builds from NETLINK_ROUTE dumps, the
 * SIOCGIF* ioctls, the netlink socket's own rules (binding, port ids,
 * acknowledgements, errors, MSG_TRUNC), and /proc/net, under elfuse and,
 * as the reference, the same source built natively with gcc and run on
 * this machine's kernel: the program prints the host's configuration,
 * which both must report alike (qemu-user would forward the netlink
 * socket to the same kernel). How a dump is cut into datagrams is not
 * printed: Linux's messages carry more attributes than elfuse's.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test, type TestContext } from 'vitest';
import { hasTools } from '../support/toolchain.js';
import { GUESTS_REF, ROOT, guest, requireReferences, run, runElfuse } from './helpers.js';

const NETIF_REF = { path: guest('netif'), fix: 'bash scripts/build-guests.sh' };
let dir = '';
let native = '';

beforeAll(() => {
  if (process.platform !== 'linux' || !hasTools('gcc')) return;
  dir = mkdtempSync(join(tmpdir(), 'elfuse-netif-'));
  native = join(dir, 'netif');
  execFileSync('gcc', ['-O1', '-Wall', '-o', native, join(ROOT, 'guests/src/netif.c')], { stdio: 'ignore' });
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function requireNative(ctx: TestContext): void {
  requireReferences(ctx, [GUESTS_REF, NETIF_REF]);
  if (native) return;
  const why = 'needs a Linux host with gcc for the native reference (apt-get install gcc)';
  if (process.env.ELFUSE_ALLOW_MISSING_REFS === '1') ctx.skip(why);
  throw new Error(why);
}

const AREAS: readonly [string, string][] = [
  ['getifaddrs', 'every link (AF_PACKET: index, type, hardware and broadcast address, flags) and address (inet, inet6 with scope id, netmask, broadcast), loopback 127.0.0.1'],
  ['nameindex', 'if_nameindex, if_nametoindex, if_indextoname, SIOCGIFFLAGS/MTU/HWADDR/ADDR/NETMASK/INDEX/CONF'],
  ['netlink', 'socket types and protocols, fstat, bind and autobind port ids, EADDRINUSE, socket options, link and address dumps, get by index, acks, MSG_TRUNC/MSG_PEEK, ECONNREFUSED'],
  ['procnet', '/proc/net, /proc/self/net and /proc/<pid>/net: tcp, tcp6, udp, udp6, unix, dev; a listener of ours in tcp'],
];

describe('network interfaces: elfuse vs the same program on the host kernel', () => {
  for (const [area, what] of AREAS) {
    test(`${area}: ${what}`, async (ctx) => {
      requireNative(ctx);
      const elfuse = await runElfuse([guest('netif'), area], { timeoutMs: 30_000 });
      const linux = await run(native, [area]);
      expect(linux.status, linux.stderr.toString()).toBe(0);
      expect(elfuse.stderr.toString()).toBe(linux.stderr.toString());
      expect(elfuse.stdout.toString()).toBe(linux.stdout.toString());
      expect(elfuse.status).toBe(linux.status);
      if (area === 'getifaddrs') expect(elfuse.stdout.toString()).toContain('loopback 127.0.0.1 found');
    }, 60_000);
  }
});
