/**
 * GDB remote protocol framing: any payload, escaped and framed, decodes to
 * itself however the bytes are split across reads; a corrupted checksum is
 * reported, never delivered; arbitrary input never throws and never makes
 * the decoder hold more than MAX_PACKET bytes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeBinary, framePacket, fromHex, MAX_PACKET, RspDecoder, toHex } from '../../src/domain/debug/rsp.js';

function feed(decoder: RspDecoder, bytes: Uint8Array, cuts: number[]) {
  const events = [];
  let at = 0;
  for (const c of [...cuts.map((x) => x % (bytes.length + 1)).sort((a, b) => a - b), bytes.length]) {
    events.push(...decoder.push(bytes.subarray(at, Math.max(at, c))));
    at = Math.max(at, c);
  }
  return events;
}

describe('RSP framing', () => {
  it('round-trips escaped binary payloads across arbitrary splits', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.array(fc.nat(), { maxLength: 6 }), (payload, cuts) => {
        const events = feed(new RspDecoder(), framePacket(escapeBinary(payload)), cuts);
        expect(events).toEqual([{ kind: 'packet', data: payload }]);
      }),
      { seed: 3, numRuns: 300 },
    );
  });

  it('reports a wrong checksum instead of a packet', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'abcdefgmM0123456789,:'.split('')), maxLength: 200 }), fc.integer({ min: 1, max: 255 }), (text, delta) => {
        const framed = framePacket(new TextEncoder().encode(text));
        const sum = parseInt(new TextDecoder().decode(framed.subarray(framed.length - 2)), 16);
        const bad = ((sum + delta) & 0xff).toString(16).padStart(2, '0');
        framed.set(new TextEncoder().encode(bad), framed.length - 2);
        expect(new RspDecoder().push(framed)).toEqual([{ kind: 'bad-checksum' }]);
      }),
      { seed: 4, numRuns: 200 },
    );
  });

  it('survives arbitrary bytes, and an unterminated packet past MAX_PACKET is an overflow', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), (bytes) => {
        const events = new RspDecoder().push(bytes);
        for (const e of events) if (e.kind === 'packet') expect(e.data.length).toBeLessThanOrEqual(MAX_PACKET);
      }),
      { seed: 5, numRuns: 300 },
    );
    const huge = new Uint8Array(MAX_PACKET + 10).fill(0x61);
    huge[0] = 0x24;
    expect(new RspDecoder().push(huge)).toEqual([{ kind: 'overflow' }]);
  });

  it('hex helpers agree', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (b) => {
        expect(Array.from(fromHex(toHex(b)) ?? [])).toEqual(Array.from(b));
      }),
      { seed: 6 },
    );
    expect(fromHex('abc')).toBe(null);
    expect(fromHex('zz')).toBe(null);
  });
});
