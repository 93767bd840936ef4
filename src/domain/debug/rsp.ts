/**
 * GDB Remote Serial Protocol framing: `$payload#cs` packets with a modulo-256
 * checksum, `}` escapes (byte XOR 0x20), `+`/`-` acknowledgements and the
 * out-of-band interrupt byte 0x03. The decoder takes bytes as they arrive and
 * never holds more than MAX_PACKET of one packet: a stream that does is
 * hostile or broken, and the caller closes the connection.
 */

/** What the stub advertises as PacketSize (bytes of payload it accepts). */
export const PACKET_SIZE = 0x4000;
/** Longest packet the decoder buffers, escapes included (GDB never sends more than PacketSize). */
export const MAX_PACKET = 4 * PACKET_SIZE;

export type RspEvent =
  | { kind: 'packet'; data: Uint8Array }
  | { kind: 'bad-checksum' }
  | { kind: 'ack' }
  | { kind: 'nak' }
  | { kind: 'interrupt' }
  | { kind: 'overflow' };

const DOLLAR = 0x24;
const HASH = 0x23;
const ESCAPE = 0x7d;
const STAR = 0x2a;

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

export class RspDecoder {
  private state: 'idle' | 'data' | 'cs1' | 'cs2' = 'idle';
  private buf = new Uint8Array(256);
  private len = 0;
  private sum = 0;
  private cs = 0;

  /** Feed received bytes; returns the events they complete, in order. */
  push(bytes: Uint8Array): RspEvent[] {
    const out: RspEvent[] = [];
    for (const b of bytes) {
      switch (this.state) {
        case 'idle':
          if (b === DOLLAR) this.begin();
          else if (b === 0x03) out.push({ kind: 'interrupt' });
          else if (b === 0x2b) out.push({ kind: 'ack' });
          else if (b === 0x2d) out.push({ kind: 'nak' });
          // anything else between packets is line noise: ignored, as gdbserver does
          break;
        case 'data':
          if (b === HASH) {
            this.state = 'cs1';
          } else if (b === DOLLAR) {
            this.begin(); // a new packet start abandons an unfinished one
          } else {
            if (this.len >= MAX_PACKET) {
              this.state = 'idle';
              out.push({ kind: 'overflow' });
              break;
            }
            this.append(b);
            this.sum = (this.sum + b) & 0xff;
          }
          break;
        case 'cs1': {
          const v = hexValue(b);
          this.cs = v << 4;
          this.state = v < 0 ? 'idle' : 'cs2';
          if (v < 0) out.push({ kind: 'bad-checksum' });
          break;
        }
        case 'cs2': {
          const v = hexValue(b);
          this.state = 'idle';
          if (v < 0 || (this.cs | v) !== this.sum) out.push({ kind: 'bad-checksum' });
          else out.push({ kind: 'packet', data: unescape(this.buf.subarray(0, this.len)) });
          break;
        }
      }
    }
    return out;
  }

  private begin(): void {
    this.state = 'data';
    this.len = 0;
    this.sum = 0;
  }

  private append(b: number): void {
    if (this.len === this.buf.length) {
      const bigger = new Uint8Array(Math.min(this.buf.length * 2, MAX_PACKET));
      bigger.set(this.buf);
      this.buf = bigger;
    }
    this.buf[this.len++] = b;
  }
}

/** Undo `}` escapes (binary data of X and vFile packets). */
export function unescape(data: Uint8Array): Uint8Array {
  if (!data.includes(ESCAPE)) return data.slice();
  const out = new Uint8Array(data.length);
  let n = 0;
  for (let i = 0; i < data.length; i++) {
    const b = data[i]!;
    if (b === ESCAPE && i + 1 < data.length) out[n++] = data[++i]! ^ 0x20;
    else out[n++] = b;
  }
  return out.subarray(0, n);
}

/** Escape bytes that cannot appear raw in a packet body. */
export function escapeBinary(data: Uint8Array): Uint8Array {
  let extra = 0;
  for (const b of data) if (b === DOLLAR || b === HASH || b === ESCAPE || b === STAR) extra++;
  if (extra === 0) return data;
  const out = new Uint8Array(data.length + extra);
  let n = 0;
  for (const b of data) {
    if (b === DOLLAR || b === HASH || b === ESCAPE || b === STAR) {
      out[n++] = ESCAPE;
      out[n++] = b ^ 0x20;
    } else {
      out[n++] = b;
    }
  }
  return out;
}

/** Frame a payload (already escaped where binary) as `$payload#cs`. */
export function framePacket(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(payload.length + 4);
  out[0] = DOLLAR;
  out.set(payload, 1);
  let sum = 0;
  for (const b of payload) sum = (sum + b) & 0xff;
  out[payload.length + 1] = HASH;
  const hex = '0123456789abcdef';
  out[payload.length + 2] = hex.charCodeAt(sum >> 4);
  out[payload.length + 3] = hex.charCodeAt(sum & 15);
  return out;
}

export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += (b < 16 ? '0' : '') + b.toString(16);
  return s;
}

/** Bytes of an even-length hex string, or null when it is not one. */
export function fromHex(text: string): Uint8Array | null {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) return null;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}
