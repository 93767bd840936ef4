/**
 * A hostile or broken debugger must not bring elfuse down: one elfuse
 * serves a running guest (--gdb without stop-on-entry, so every connection
 * attaches to it), and connection after connection sends random bytes,
 * oversized packets, bad checksums, huge memory requests and every command
 * letter with garbage arguments. After each, a well-formed `?` must still be
 * answered with a stop reply, and elfuse must never report an internal error.
 */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { framePacket } from '../../src/domain/debug/rsp.js';
import { GUESTS_REF, ROOT, freePort, guest, requireReferences } from './helpers.js';

const enc = new TextEncoder();
const packet = (s: string | Uint8Array): Uint8Array => framePacket(typeof s === 'string' ? enc.encode(s) : s);

/** Connect, send `bytes`, collect what comes back until the peer closes or `waitMs` passes. */
function exchange(port: number, bytes: Uint8Array, waitMs: number, until?: RegExp): Promise<{ reply: string; closedByPeer: boolean }> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    const got: Buffer[] = [];
    let closedByPeer = true;
    const timer = setTimeout(() => {
      closedByPeer = false;
      sock.destroy();
    }, waitMs);
    sock.on('connect', () => {
      // In pieces, so packets also arrive split across reads.
      for (let i = 0; i < bytes.length; i += 4093) sock.write(bytes.subarray(i, i + 4093));
    });
    sock.on('data', (b: Buffer) => {
      got.push(b);
      if (until && until.test(Buffer.concat(got).toString('latin1'))) {
        closedByPeer = false;
        sock.destroy();
      }
    });
    sock.on('error', () => undefined);
    sock.on('close', () => {
      clearTimeout(timer);
      resolve({ reply: Buffer.concat(got).toString('latin1'), closedByPeer });
    });
    sock.on('timeout', reject);
  });
}

/**
 * A well-formed question: the stub must still answer it. elfuse serves one
 * debugger at a time and may see this connection before the close of the
 * previous one, so a refused attempt is retried.
 */
async function stillAnswers(port: number): Promise<string> {
  let reply = '';
  for (let i = 0; i < 5 && !reply.includes('$T'); i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 300));
    reply = (await exchange(port, Uint8Array.from([...packet('?')]), 3000, /\$T[^#]*#[0-9a-f]{2}/)).reply;
  }
  return reply;
}

function hostileStreams(): { name: string; bytes: Uint8Array }[] {
  const streams: { name: string; bytes: Uint8Array }[] = [];
  const random = fc.sample(fc.uint8Array({ minLength: 1, maxLength: 20000 }), { numRuns: 6, seed: 12 });
  random.forEach((b, i) => streams.push({ name: `random bytes ${i}`, bytes: b }));
  streams.push({ name: 'oversized packet', bytes: Uint8Array.from([0x24, ...new Uint8Array(200_000).fill(0x61)]) });
  streams.push({ name: 'bad checksums', bytes: enc.encode('$g#00$m0,10#ff$?#zz'.repeat(200)) });
  streams.push({ name: 'interrupt bytes', bytes: new Uint8Array(1000).fill(3) });
  const garbage = [
    'g', 'Gzz', 'G' + '0'.repeat(9999), 'p', 'pffffff', 'P', 'P1f=zz', 'P1f=00', 'P0=' + '00'.repeat(8),
    'm', 'm0,ffffffff', 'mffffffffffffffff,10', 'm400000,7fffffff', 'm-1,4', 'x0,100000', 'xffffffffffff0000,10',
    'M0,4:zz', 'M400000,2:00', 'M0,100000:00', 'X400000,4:\x00', 'X,:',
    'Z0,0,4', 'Z0,400581,4', 'Z0,400580,99', 'Z1,ffffffffffffffff,4', 'Z2,0,ffffffff', 'Z2,0,0', 'Z4,1,1', 'Z9,1,1', 'z0,,', 'z2,0,ffffffff',
    'vCont;x', 'vCont;C', 'vCont;Czz:1', 'vCont;c:p0.zz', 'vCont', 'vFile:open:zz,0,0', 'vFile:open:2f6e6f6e6578697374656e74,0,0',
    'vFile:pread:999,10,0', 'vFile:close:-1', 'vFile:fstat:7', 'vFile:open:2f6574632f706173737764,2,0',
    'qXfer:features:read:target.xml:ffffffff,ffffffff', 'qXfer:auxv:read::zz,1', 'qXfer:siginfo:read::0,100', 'qXfer:x:read::0,1', 'qXfer:features:write:a:0:00',
    'qRegisterInfo', 'qRegisterInfoffff', 'Hgzz', 'Hcp1.-1', 'Tzz', 'T-1', 'Cff', 'Szz', 'c400000', 'qSupported:' + 'x'.repeat(10000),
    'QStartNoAckMode', 'g', '?',
  ];
  streams.push({ name: 'every command with garbage arguments', bytes: Uint8Array.from(garbage.flatMap((g) => [...packet(g)])) });
  const payloads = fc.sample(fc.string({ unit: fc.constantFrom(...'gGpPmMxXzZvqQHTcsCSD?:;,=0123456789abcdefp.-'.split('')), maxLength: 60 }), { numRuns: 300, seed: 7 });
  // Never detach, kill or resume: those are legitimate and end the session early.
  const safe = payloads.filter((p) => !/^[DkcsCS]|^vCont|^vKill/.test(p));
  streams.push({ name: 'random well-framed requests', bytes: Uint8Array.from(safe.flatMap((p) => [...packet(p)])) });
  return streams;
}

test('hostile packet streams get error replies or a closed connection, never a crash', async (ctx) => {
  requireReferences(ctx, [GUESTS_REF]);
  const port = await freePort();
  const child = spawn(process.execPath, [`${ROOT}/bin/elfuse.js`, '--backend', 'interp', '--gdb', String(port), guest('gdb-target'), 'spin'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: Buffer[] = [];
  child.stderr.on('data', (b: Buffer) => stderr.push(b));
  let exited: number | null = null;
  child.on('exit', (code, signal) => {
    exited = code ?? (signal ? -1 : 0);
  });
  try {
    // The listener comes up as elfuse starts: retry until the first stop reply.
    let first = '';
    for (let i = 0; i < 50 && !first.includes('$T'); i++) {
      first = await stillAnswers(port).catch(() => '');
      if (!first.includes('$T')) await new Promise((r) => setTimeout(r, 200));
    }
    expect(first).toMatch(/\$T05thread:[0-9a-f]+;#/);
    for (const { name, bytes } of hostileStreams()) {
      await new Promise((r) => setTimeout(r, 300)); // let elfuse see the previous connection close
      const r = await exchange(port, bytes, 800);
      if (name === 'oversized packet') expect(r.closedByPeer, 'elfuse closes a connection that overflows a packet').toBe(true);
      if (name === 'bad checksums') expect(r.reply).toMatch(/^-+$/);
      expect(exited, `elfuse exited after "${name}": ${Buffer.concat(stderr).toString()}`).toBe(null);
      expect(await stillAnswers(port), `no stop reply after "${name}"`).toMatch(/\$T[0-9a-f]{2}thread:/);
    }
    const err = Buffer.concat(stderr).toString();
    expect(err).not.toMatch(/internal error|TypeError|RangeError|at .*\.js:\d+/);
  } finally {
    child.kill('SIGKILL');
  }
}, 120_000);
