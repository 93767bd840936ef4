/**
 * Sockets end to end (guests/src/sockets.c, Debian busybox), on loopback:
 *
 * - unix (socketpair, SCM_RIGHTS to a fork child, shutdown, EPIPE,
 *   datagrams, path and abstract names, their errors) and inet (options,
 *   bind/listen/accept, refused and non-blocking connect, UDP, IPv6)
 *   under elfuse and, as the reference, the same source built natively
 *   and run on this machine's kernel (qemu-user hands sockets to the host
 *   kernel, so the kernel itself is the reference); the program prints
 *   nothing that depends on timing or port numbers;
 * - a guest TCP server echoing 1 MiB to a host client, a guest UDP server
 *   answering a host datagram, a guest TCP client of a host server;
 * - busybox `nc -l` talking to a host client both ways, and busybox
 *   `httpd` serving a file to a host HTTP client.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test, type TestContext } from 'vitest';
import { hasTools } from '../support/toolchain.js';
import { BUSYBOX, BUSYBOX_REF, GUESTS_REF, ROOT, freePort, guest, requireReferences, run, runElfuse } from './helpers.js';

const SOCKETS_REF = { path: guest('sockets'), fix: 'bash scripts/build-guests.sh' };
const ELFUSE = [join(ROOT, 'bin/elfuse.js'), '--backend', 'interp'];
const dirs: string[] = [];
let native = '';

function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), 'elfuse-sockets-'));
  dirs.push(d);
  return d;
}

beforeAll(() => {
  if (process.platform !== 'linux' || !hasTools('gcc')) return;
  native = join(scratch(), 'sockets');
  execFileSync('gcc', ['-O1', '-Wall', '-o', native, join(ROOT, 'guests/src/sockets.c')], { stdio: 'ignore' });
});

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function requireNative(ctx: TestContext): void {
  requireReferences(ctx, [GUESTS_REF, SOCKETS_REF]);
  if (native) return;
  const why = 'needs a Linux host with gcc for the native reference (apt-get install gcc)';
  if (process.env.ELFUSE_ALLOW_MISSING_REFS === '1') ctx.skip(why);
  throw new Error(why);
}

/** Starts a guest under elfuse; resolves its first stdout line (a port) and, later, its output and status. */
function startGuest(args: readonly string[]): { child: ChildProcess; firstLine: Promise<string>; done: Promise<{ stdout: string; stderr: string; code: number | null }> } {
  const child = spawn(process.execPath, [...ELFUSE, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let gotLine: (l: string) => void = () => undefined;
  const firstLine = new Promise<string>((resolve) => (gotLine = resolve));
  child.stdout!.on('data', (b: Buffer) => {
    stdout += b.toString('latin1');
    const nl = stdout.indexOf('\n');
    if (nl >= 0) gotLine(stdout.slice(0, nl));
  });
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString('latin1')));
  const done = new Promise<{ stdout: string; stderr: string; code: number | null }>((resolve) => child.on('close', (code) => resolve({ stdout, stderr, code })));
  return { child, firstLine, done };
}

/** A port free on 127.0.0.1 now (the kernel's choice for port 0). */
/** Connects to 127.0.0.1:port, retrying while the guest is not listening yet. */
async function connectRetry(port: number): Promise<net.Socket> {
  for (let i = 0; ; i++) {
    try {
      return await new Promise<net.Socket>((resolve, reject) => {
        const s = net.connect(port, '127.0.0.1');
        s.once('connect', () => resolve(s));
        s.once('error', reject);
      });
    } catch (err) {
      if (i >= 200) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

describe('sockets: elfuse vs the same program on the host kernel', () => {
  test('unix: socketpair, SCM_RIGHTS to a fork child, shutdown, EPIPE, datagrams, path and abstract names', async (ctx) => {
    requireNative(ctx);
    const elfuse = await runElfuse([guest('sockets'), 'unix', scratch()], { timeoutMs: 30_000 });
    const linux = await run(native, ['unix', scratch()]);
    expect(linux.status, linux.stderr.toString()).toBe(0);
    expect(elfuse.stderr.toString()).toBe(linux.stderr.toString());
    expect(elfuse.stdout.toString()).toBe(linux.stdout.toString());
    expect(elfuse.status).toBe(linux.status);
  }, 60_000);

  test('inet: options, bind/listen/accept, refused and non-blocking connect, UDP, IPv6 loopback', async (ctx) => {
    requireNative(ctx);
    const elfuse = await runElfuse([guest('sockets'), 'inet'], { timeoutMs: 30_000 });
    const linux = await run(native, ['inet']);
    expect(linux.status, linux.stderr.toString()).toBe(0);
    expect(elfuse.stderr.toString()).toBe(linux.stderr.toString());
    expect(elfuse.stdout.toString()).toBe(linux.stdout.toString());
    expect(elfuse.status).toBe(linux.status);
  }, 60_000);
});

describe('sockets between a guest and host programs on 127.0.0.1', () => {
  test('a guest TCP server echoes 1 MiB to a host client', async (ctx) => {
    requireReferences(ctx, [GUESTS_REF, SOCKETS_REF]);
    const g = startGuest([guest('sockets'), 'tcp-server']);
    const port = Number(await g.firstLine);
    const sock = await connectRetry(port);
    const data = randomBytes(1 << 20);
    const chunks: Buffer[] = [];
    sock.on('data', (b: Buffer) => chunks.push(b));
    const closed = new Promise<void>((resolve) => sock.on('close', () => resolve()));
    let received = 0;
    sock.on('data', (b: Buffer) => {
      received += b.length;
      if (received >= data.length) sock.end();
    });
    sock.write(data);
    await closed;
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
    const r = await g.done;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  }, 60_000);

  test('a guest UDP server answers a host datagram', async (ctx) => {
    requireReferences(ctx, [GUESTS_REF, SOCKETS_REF]);
    const g = startGuest([guest('sockets'), 'udp-server']);
    const port = Number(await g.firstLine);
    const sock = dgram.createSocket('udp4');
    const reply = new Promise<Buffer>((resolve) => sock.on('message', (m) => resolve(m)));
    sock.send(Buffer.from('ping over udp'), port, '127.0.0.1');
    expect((await reply).toString()).toBe('ping over udp');
    sock.close();
    expect((await g.done).code).toBe(0);
  }, 60_000);

  test('a guest TCP client talks to a host server', async (ctx) => {
    requireReferences(ctx, [GUESTS_REF, SOCKETS_REF]);
    let heard = '';
    const srv = net.createServer((c) => {
      c.on('data', (b: Buffer) => (heard += b.toString()));
      c.on('end', () => c.end(`host heard: ${heard}`));
    });
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    const port = (srv.address() as net.AddressInfo).port;
    const r = await runElfuse([guest('sockets'), 'tcp-client', String(port)], { timeoutMs: 30_000 });
    srv.close();
    expect(heard).toBe('from the guest client');
    expect(r.stdout.toString()).toBe('client got 33: host heard: from the guest client\n');
    expect(r.status).toBe(0);
  }, 60_000);

  test('busybox nc -l in the guest and a host client, both ways', async (ctx) => {
    requireReferences(ctx, [BUSYBOX_REF]);
    const port = await freePort();
    const g = startGuest([BUSYBOX, 'nc', '-l', '-p', String(port)]);
    const sock = await connectRetry(port);
    let got = '';
    sock.on('data', (b: Buffer) => (got += b.toString()));
    sock.write('hello from the host\n');
    g.child.stdin!.write('hello from the guest\n');
    await new Promise((r) => setTimeout(r, 500));
    sock.end();
    const r = await g.done;
    expect(r.stdout).toBe('hello from the host\n');
    expect(got).toBe('hello from the guest\n');
    expect(r.code).toBe(0);
  }, 60_000);

  test('busybox httpd in the guest serves a file to a host HTTP client', async (ctx) => {
    requireReferences(ctx, [BUSYBOX_REF]);
    const root = scratch();
    writeFileSync(join(root, 'index.html'), 'served by busybox httpd in elfuse\n');
    const port = await freePort();
    const g = startGuest([BUSYBOX, 'httpd', '-f', '-p', `127.0.0.1:${port}`, '-h', root]);
    await connectRetry(port).then((s) => s.destroy());
    const body = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      http
        .get(`http://127.0.0.1:${port}/index.html`, (res) => {
          let text = '';
          res.on('data', (b: Buffer) => (text += b.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        })
        .on('error', reject);
    });
    g.child.kill('SIGTERM');
    await g.done;
    expect(body).toEqual({ status: 200, body: 'served by busybox httpd in elfuse\n' });
  }, 60_000);
});
