/**
 * The GDB remote stub: GDB's Remote Serial Protocol over one debugger
 * connection, answered from a DebugSession. All-stop mode, one process; the
 * thread list comes from the session so more threads slot in. Every request
 * that cannot be met gets an error reply (`Exx`) or the empty "not
 * supported" reply; nothing a client sends can throw out of here. LLDB's
 * extensions (qHostInfo, qProcessInfo, qRegisterInfo) are answered too, so
 * `gdb-remote PORT` works from lldb.
 *
 * Signal numbers on the wire are GDB's (gdb/signals.def), not Linux's.
 */
import { hostPathOf, withTarget } from '../kernel/fs-util.js';
import { AT_FDCWD } from '../kernel/linux-abi.js';
import type { DebugConnection } from '../../ports/debug.js';
import { HostError } from '../../ports/host.js';
import type { GuestStatus } from '../kernel/run-loop.js';
import { encodeSiginfo } from '../kernel/signal-frame.js';
import { GDB_REGISTERS, TARGET_XML, type GdbRegister } from './registers.js';
import { escapeBinary, fromHex, framePacket, PACKET_SIZE, RspDecoder, toHex } from './rsp.js';
import type { DebugClient, DebugSession, Resume, StopEvent, WatchType } from './session.js';

/** Linux signal → GDB signal, for 1..31 (index = Linux number). */
const LINUX_TO_GDB = [0, 1, 2, 3, 4, 5, 6, 10, 8, 9, 30, 11, 31, 13, 14, 15, 0, 20, 19, 17, 18, 21, 22, 16, 24, 25, 26, 27, 28, 23, 32, 12];

export function gdbSignal(linux: number): number {
  if (linux >= 1 && linux <= 31) return LINUX_TO_GDB[linux] || 143; // 143: GDB_SIGNAL_UNKNOWN (SIGSTKFLT)
  if (linux === 32) return 77;
  if (linux >= 33 && linux <= 63) return linux + 12;
  if (linux === 64) return 78;
  return 143;
}

export function linuxSignal(gdb: number): number {
  if (gdb === 0) return 0;
  const i = LINUX_TO_GDB.indexOf(gdb);
  if (i > 0) return i;
  if (gdb === 77) return 32;
  if (gdb >= 45 && gdb <= 75) return gdb - 12;
  if (gdb === 78) return 64;
  return 0;
}

const enc = new TextEncoder();
const dec = new TextDecoder('latin1');
const TRIPLE = 'aarch64-unknown-linux-gnu';
/** GDB's File-I/O errno values (the protocol's own numbering). */
const FILEIO_ERRNO: Record<string, number> = {
  EPERM: 1, ENOENT: 2, EINTR: 4, EBADF: 9, EACCES: 13, EFAULT: 14, EBUSY: 16, EEXIST: 17, ENODEV: 19,
  ENOTDIR: 20, EISDIR: 21, EINVAL: 22, ENFILE: 23, EMFILE: 24, EFBIG: 27, ENOSPC: 28, ESPIPE: 29, EROFS: 30, ENAMETOOLONG: 91,
};
/** Requests a client may have outstanding while the guest runs (GDB sends none in all-stop mode). */
const MAX_QUEUED = 256;

/** A number of at most 64 bits in hex, or null. */
function parseHex(text: string | undefined): number | null {
  if (text === undefined || !/^[0-9a-fA-F]{1,16}$/.test(text)) return null;
  const v = parseInt(text, 16);
  return Number.isSafeInteger(v) ? v : null;
}

function hexLe(value: bigint, size: number): string {
  const b = new Uint8Array(size);
  let v = BigInt.asUintN(size * 8, value);
  for (let i = 0; i < size; i++) {
    b[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return toHex(b);
}

function leValue(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  return v;
}

export interface StubOptions {
  /** Diagnostics (one line each), shown under --verbose. */
  log?: (line: string) => void;
}

export class GdbStub implements DebugClient {
  private readonly decoder = new RspDecoder();
  private noAck = false;
  private lastSent: Uint8Array | null = null;
  /** Packets received while the guest runs, answered once it stops. */
  private readonly queue: Uint8Array[] = [];
  private resolveResume: ((r: Resume) => void) | null = null;
  /** A resume command was answered only by running: its stop reply is owed. */
  private owesStopReply = false;
  private closed = false;
  private killed = false;
  /** GDB's multiprocess extension: thread ids are p<pid>.<tid>. */
  private multiprocess = false;
  /** Host files opened through vFile:open. */
  private readonly hostFds = new Set<number>();
  private readonly log: (line: string) => void;

  constructor(
    private readonly session: DebugSession,
    private readonly conn: DebugConnection,
    opts: StubOptions = {},
  ) {
    this.log = opts.log ?? (() => undefined);
    conn.onData((bytes) => this.receive(bytes));
    conn.onClose(() => this.disconnected());
    session.attach(this);
  }

  // ---- DebugClient -------------------------------------------------------------

  stopped(stop: StopEvent): Promise<Resume> {
    if (this.closed) return Promise.resolve({ action: 'detach' });
    return new Promise<Resume>((resolve) => {
      this.resolveResume = resolve;
      if (this.owesStopReply) {
        this.owesStopReply = false;
        this.send(this.stopReply(stop));
      }
      this.drain();
    });
  }

  exited(status: GuestStatus): void {
    if (this.closed) return;
    if (!this.killed) {
      // In all-stop mode the exit answers the pending resume; send it regardless, GDB reads it next.
      const proc = this.multiprocess ? `;process:${this.session.pid.toString(16)}` : '';
      this.send(status.kind === 'exited' ? `W${hexByte(status.code)}${proc}` : `X${hexByte(gdbSignal(status.signal))}${proc}`);
    }
    this.close();
  }

  // ---- transport -------------------------------------------------------------

  private receive(bytes: Uint8Array): void {
    if (this.closed) return;
    for (const ev of this.decoder.push(bytes)) {
      switch (ev.kind) {
        case 'packet':
          if (!this.noAck) this.conn.write(enc.encode('+'));
          if (this.queue.length >= MAX_QUEUED) {
            this.log('elfuse: gdb: too many requests while the guest runs; closing the connection');
            this.close();
            return;
          }
          this.queue.push(ev.data);
          break;
        case 'bad-checksum':
          if (!this.noAck) this.conn.write(enc.encode('-'));
          break;
        case 'nak':
          if (this.lastSent) this.conn.write(this.lastSent);
          break;
        case 'interrupt':
          if (!this.resolveResume) this.session.interrupt();
          break;
        case 'overflow':
          this.log('elfuse: gdb: packet longer than the protocol allows; closing the connection');
          this.close();
          return;
        case 'ack':
          break;
      }
    }
    this.drain();
  }

  /** Answer queued packets while the guest is stopped. */
  private drain(): void {
    while (this.resolveResume && this.queue.length > 0 && !this.closed) {
      const packet = this.queue.shift()!;
      let reply: string | Uint8Array | null;
      try {
        reply = this.handle(dec.decode(packet), packet);
      } catch (e) {
        // A request the guest state cannot satisfy (never a crash of elfuse).
        this.log(`elfuse: gdb: ${e instanceof Error ? e.message : String(e)}`);
        reply = 'E01';
      }
      if (reply !== null) this.send(reply);
    }
  }

  private send(payload: string | Uint8Array): void {
    if (this.closed) return;
    const frame = framePacket(typeof payload === 'string' ? enc.encode(payload) : payload);
    this.lastSent = frame;
    this.conn.write(frame);
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.closeHostFiles();
    this.conn.close();
  }

  private closeHostFiles(): void {
    for (const fd of this.hostFds) {
      try {
        this.session.target.task.host.fs.close(fd);
      } catch {
        // already gone
      }
    }
    this.hostFds.clear();
  }

  /** The connection went away: the guest runs on, as after a detach. */
  private disconnected(): void {
    this.closed = true;
    this.closeHostFiles();
    this.queue.length = 0;
    this.resumeWith({ action: 'detach' });
  }

  private resumeWith(r: Resume): void {
    const resolve = this.resolveResume;
    this.resolveResume = null;
    resolve?.(r);
  }

  // ---- packets -------------------------------------------------------------------

  /** One request; returns the reply, or null when the reply comes later (resume commands). */
  private handle(text: string, raw: Uint8Array): string | Uint8Array | null {
    const s = this.session;
    const head = text[0] ?? '';
    switch (head) {
      case '?':
        return s.lastStop ? this.stopReply(s.lastStop) : 'S05';
      case 'g':
        return GDB_REGISTERS.map((r) => this.readRegister(r)).join('');
      case 'G':
        return this.writeAllRegisters(text.slice(1));
      case 'p': {
        const n = parseHex(text.slice(1));
        const reg = n === null ? undefined : GDB_REGISTERS[n];
        return reg ? this.readRegister(reg) : 'E01';
      }
      case 'P':
        return this.writeOneRegister(text.slice(1));
      case 'm':
        return this.readMemoryHex(text.slice(1));
      case 'x':
        return this.readMemoryBinary(text.slice(1));
      case 'M':
        return this.writeMemoryHex(text.slice(1));
      case 'X':
        return this.writeMemoryBinary(raw);
      case 'Z':
      case 'z':
        return this.breakpoint(head === 'Z', text.slice(1));
      case 'c':
      case 's':
        if (text.length > 1) return 'E01'; // resuming at another address is not supported
        return this.resume(head === 's' ? 'step' : 'continue', 0);
      case 'C':
      case 'S': {
        const sig = parseHex(text.slice(1).split(';')[0]);
        if (sig === null || text.includes(';')) return 'E01';
        return this.resume(head === 'S' ? 'step' : 'continue', linuxSignal(sig));
      }
      case 'v':
        return this.vPacket(text);
      case 'H':
        return this.threadOk(text.slice(2)) ? 'OK' : 'E01';
      case 'T':
        return this.threadOk(text.slice(1)) ? 'OK' : 'E01';
      case 'D':
        this.send('OK');
        this.resumeWith({ action: 'detach' });
        this.close();
        return null;
      case 'k':
        // GDB expects no reply; gdbserver and LLDB send the exit status anyway.
        this.killed = true;
        this.send(`X09${this.multiprocess ? `;process:${this.session.pid.toString(16)}` : ''}`);
        this.resumeWith({ action: 'kill' });
        this.close();
        return null;
      case 'q':
      case 'Q':
        return this.query(text);
      default:
        return '';
    }
  }

  private resume(action: 'continue' | 'step', signal: number): null {
    this.owesStopReply = true;
    this.resumeWith({ action, signal });
    return null;
  }

  private vPacket(text: string): string | Uint8Array | null {
    if (text === 'vCont?') return 'vCont;c;C;s;S';
    if (text.startsWith('vCont;')) {
      // One thread: the first action that applies to it (or to all) decides.
      for (const part of text.slice(6).split(';')) {
        const [action = '', thread] = part.split(':');
        if (thread !== undefined && !this.threadOk(thread)) continue;
        const kind = action[0];
        if (kind === 'c' || kind === 's') return this.resume(kind === 's' ? 'step' : 'continue', 0);
        if (kind === 'C' || kind === 'S') {
          const sig = parseHex(action.slice(1));
          if (sig === null) return 'E01';
          return this.resume(kind === 'S' ? 'step' : 'continue', linuxSignal(sig));
        }
        if (kind === 't') return 'OK';
        return 'E01';
      }
      return 'E01';
    }
    if (text.startsWith('vKill')) {
      this.killed = true;
      this.send('OK');
      this.resumeWith({ action: 'kill' });
      this.close();
      return null;
    }
    if (text.startsWith('vFile:')) return this.hostIo(text.slice(6));
    return '';
  }

  /**
   * Host I/O (vFile), read-only: lets a debugger that was given no file
   * fetch the executable from elfuse, as it does from gdbserver. Errors use
   * GDB's File-I/O errno values.
   */
  private hostIo(req: string): string | Uint8Array {
    const fs = this.session.target.task.host.fs;
    const colon = req.indexOf(':');
    const op = req.slice(0, colon < 0 ? req.length : colon);
    const args = colon < 0 ? [] : req.slice(colon + 1).split(',');
    const fail = (e: unknown): string => {
      const code = e instanceof HostError ? e.code : '';
      return `F-1,${(FILEIO_ERRNO[code] ?? 9999).toString(16)}`;
    };
    try {
      switch (op) {
        case 'setfs':
          return 'F0';
        case 'open': {
          const name = fromHex(args[0] ?? '');
          const flags = parseHex(args[1]);
          if (!name || flags === null) return 'F-1,16';
          if ((flags & 3) !== 0) return 'F-1,1e'; // read-only: EROFS
          // The name is the guest's (what qXfer:exec-file answered): looked up in the guest's view.
          const task = this.session.target.task;
          const fd = withTarget(task, AT_FDCWD, hostPathOf(name), { follow: true }, (t) => {
            if (t.kind !== 'host' || t.st === null) throw new HostError('ENOENT', 'open');
            return fs.openat(t.dirFd, t.name, { access: 'r', noFollow: true }, 0);
          });
          this.hostFds.add(fd);
          return `F${fd.toString(16)}`;
        }
        case 'pread': {
          const fd = parseHex(args[0]);
          const count = parseHex(args[1]);
          const offset = parseHex(args[2]);
          if (fd === null || count === null || offset === null || !this.hostFds.has(fd)) return 'F-1,9';
          const buf = new Uint8Array(Math.min(count, PACKET_SIZE / 2));
          const n = fs.read(fd, buf, BigInt(offset));
          const body = escapeBinary(buf.subarray(0, n));
          const head = enc.encode(`F${n.toString(16)};`);
          const out = new Uint8Array(head.length + body.length);
          out.set(head);
          out.set(body, head.length);
          return out;
        }
        case 'fstat': {
          const fd = parseHex(args[0]);
          if (fd === null || !this.hostFds.has(fd)) return 'F-1,9';
          const st = fs.fstat(fd);
          // struct stat of the File-I/O protocol: big-endian, 32-bit fields but for size/blksize/blocks.
          const b = new DataView(new ArrayBuffer(64));
          [Number(st.dev & 0xffffffffn), Number(st.ino & 0xffffffffn), st.mode, st.nlink, st.uid, st.gid, Number(st.rdev & 0xffffffffn)].forEach((v, i) =>
            b.setUint32(4 * i, v >>> 0),
          );
          b.setBigUint64(28, st.size);
          b.setBigUint64(36, BigInt(st.blksize));
          b.setBigUint64(44, st.blocks);
          b.setUint32(52, Number(st.atimeNs / 1_000_000_000n) >>> 0);
          b.setUint32(56, Number(st.mtimeNs / 1_000_000_000n) >>> 0);
          b.setUint32(60, Number(st.ctimeNs / 1_000_000_000n) >>> 0);
          const body = escapeBinary(new Uint8Array(b.buffer));
          const head = enc.encode('F40;');
          const out = new Uint8Array(head.length + body.length);
          out.set(head);
          out.set(body, head.length);
          return out;
        }
        case 'close': {
          const fd = parseHex(args[0]);
          if (fd === null || !this.hostFds.delete(fd)) return 'F-1,9';
          fs.close(fd);
          return 'F0';
        }
        default:
          return '';
      }
    } catch (e) {
      if (e instanceof HostError) return fail(e);
      throw e;
    }
  }

  private query(text: string): string | Uint8Array | null {
    const s = this.session;
    const tids = s.threads();
    if (text.startsWith('qSupported')) {
      this.multiprocess = /[:;]multiprocess\+/.test(text);
      return [
        `PacketSize=${PACKET_SIZE.toString(16)}`,
        ...(this.multiprocess ? ['multiprocess+'] : []),
        'qXfer:features:read+',
        'qXfer:auxv:read+',
        'qXfer:exec-file:read+',
        'qXfer:siginfo:read+',
        'QStartNoAckMode+',
        'vContSupported+',
      ].join(';');
    }
    if (text === 'QStartNoAckMode') {
      this.send('OK');
      this.noAck = true;
      return null;
    }
    if (text.startsWith('qXfer:')) return this.xfer(text);
    if (text === 'qfThreadInfo') return `m${tids.map((t) => this.threadId(t)).join(',')}`;
    if (text === 'qsThreadInfo') return 'l';
    if (text === 'qC') return `QC${this.threadId(tids[0]!)}`;
    // A guest started stopped for the debugger is killed when GDB quits; one it attached to runs on.
    if (text.startsWith('qAttached')) return s.attachedToRunning ? '1' : '0';
    if (text.startsWith('qSymbol')) return 'OK';
    if (text.startsWith('QPassSignals') || text.startsWith('QProgramSignals')) return 'OK';
    if (text === 'QListThreadsInStopReply') return 'OK';
    if (text === 'qHostInfo') {
      return `triple:${toHex(enc.encode(TRIPLE))};ptrsize:8;endian:little;ostype:linux;vendor:unknown;watchpoint_exceptions_received:before;`;
    }
    if (text === 'qProcessInfo') {
      return `pid:${s.pid.toString(16)};triple:${toHex(enc.encode(TRIPLE))};ostype:linux;endian:little;ptrsize:8;`;
    }
    if (text.startsWith('qRegisterInfo')) return this.registerInfo(parseHex(text.slice(13)));
    if (text === 'qWatchpointSupportInfo' || text === 'qWatchpointSupportInfo:') return 'num:16;';
    if (text.startsWith('qThreadStopInfo')) return s.lastStop ? this.stopReply(s.lastStop) : 'E01';
    return '';
  }

  /** lldb without target.xml: one register per query. */
  private registerInfo(n: number | null): string {
    const r = n === null ? undefined : GDB_REGISTERS[n];
    if (!r || n === null) return 'E45';
    const offset = GDB_REGISTERS.slice(0, n).reduce((sum, x) => sum + x.size, 0);
    const vector = r.kind === 'v';
    const fields = [
      `name:${r.name}`,
      `bitsize:${r.size * 8}`,
      `offset:${offset}`,
      `encoding:${vector ? 'vector' : 'uint'}`,
      `format:${vector ? 'vector-uint8' : 'hex'}`,
      `set:${r.feature === 'core' ? 'General Purpose Registers' : 'Floating Point Registers'}`,
      ...(r.dwarf >= 0 ? [`dwarf:${r.dwarf}`, `ehframe:${r.dwarf}`] : []),
      ...(r.generic ? [`generic:${r.generic}`] : []),
    ];
    return `${fields.join(';')};`;
  }

  private xfer(text: string): string | Uint8Array {
    // qXfer:object:read:annex:offset,length
    const m = /^qXfer:([a-z-]+):read:([^:]*):([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(text);
    if (!m) return text.includes(':write:') ? 'E00' : '';
    const [, object, annex, offHex, lenHex] = m;
    const offset = parseHex(offHex);
    const length = parseHex(lenHex);
    if (offset === null || length === null) return 'E00';
    let data: Uint8Array;
    const s = this.session;
    switch (object) {
      case 'features':
        if (annex !== 'target.xml') return 'E00';
        data = enc.encode(TARGET_XML);
        break;
      case 'auxv':
        data = s.target.task.mm.image?.auxv ?? new Uint8Array(0);
        break;
      case 'exec-file':
        if (annex !== '' && parseHex(annex) !== s.pid) return 'E01';
        data = enc.encode(s.target.exePath);
        break;
      case 'siginfo': {
        const info = s.lastStop?.siginfo;
        if (!info) return 'E01';
        data = encodeSiginfo(info);
        break;
      }
      default:
        return '';
    }
    const chunk = data.subarray(Math.min(offset, data.length), Math.min(offset + Math.min(length, PACKET_SIZE / 2), data.length));
    const more = offset + chunk.length < data.length;
    const body = escapeBinary(chunk);
    const out = new Uint8Array(body.length + 1);
    out[0] = (more ? 'm' : 'l').charCodeAt(0);
    out.set(body, 1);
    return out;
  }

  private stopReply(stop: StopEvent): string {
    const tid = this.session.threads()[0]!;
    let reply = `T${hexByte(gdbSignal(stop.signal))}thread:${this.threadId(tid)};`;
    if (stop.watch) reply += `${stop.watch.type}:${stop.watch.addr.toString(16)};`;
    return reply;
  }

  private threadId(tid: number): string {
    return this.multiprocess ? `p${this.session.pid.toString(16)}.${tid.toString(16)}` : tid.toString(16);
  }

  /** Whether a thread-id in a packet names (some of) this process's threads. */
  private threadOk(spec: string): boolean {
    let t = spec;
    const m = /^p(-1|[0-9a-fA-F]+)(?:\.(.*))?$/.exec(spec);
    if (m) {
      if (m[1] !== '-1' && m[1] !== '0' && parseHex(m[1]) !== this.session.pid) return false;
      t = m[2] ?? '-1';
    }
    if (t === '-1' || t === '0' || t === '') return true;
    const tid = parseHex(t);
    return tid !== null && this.session.threads().includes(tid);
  }

  // ---- registers -------------------------------------------------------------------

  private readRegister(r: GdbRegister): string {
    const ctx = this.session.regs;
    switch (r.kind) {
      case 'x':
        return hexLe(ctx.getX(r.index), 8);
      case 'sp':
        return hexLe(ctx.sp, 8);
      case 'pc':
        return hexLe(ctx.pc, 8);
      case 'cpsr':
        // The EL0 view: PSTATE.SS belongs to the debugger, not to the program.
        return hexLe(ctx.pstate & ~(1n << 21n), 4);
      case 'v':
        return toHex(ctx.getV(r.index));
      case 'fpsr':
        return hexLe(ctx.fpsr, 4);
      case 'fpcr':
        return hexLe(ctx.fpcr, 4);
    }
  }

  private writeRegister(r: GdbRegister, bytes: Uint8Array): void {
    const ctx = this.session.regs;
    const v = leValue(bytes);
    switch (r.kind) {
      case 'x':
        return ctx.setX(r.index, v);
      case 'sp':
        ctx.sp = v;
        return;
      case 'pc':
        ctx.pc = v;
        return;
      case 'cpsr':
        // Only the condition flags are the program's to change (valid_user_regs).
        ctx.pstate = (ctx.pstate & 0x0fffffffn) | (v & 0xf0000000n);
        return;
      case 'v':
        return ctx.setV(r.index, bytes);
      case 'fpsr':
        ctx.fpsr = v;
        return;
      case 'fpcr':
        ctx.fpcr = v;
        return;
    }
  }

  private writeOneRegister(body: string): string {
    const eq = body.indexOf('=');
    const n = parseHex(body.slice(0, eq));
    const reg = n === null ? undefined : GDB_REGISTERS[n];
    const bytes = fromHex(body.slice(eq + 1));
    if (eq < 0 || !reg || !bytes || bytes.length !== reg.size) return 'E01';
    this.writeRegister(reg, bytes);
    return 'OK';
  }

  private writeAllRegisters(hex: string): string {
    const bytes = fromHex(hex);
    if (!bytes) return 'E01';
    let at = 0;
    for (const r of GDB_REGISTERS) {
      if (at + r.size > bytes.length) break;
      this.writeRegister(r, bytes.subarray(at, at + r.size));
      at += r.size;
    }
    return 'OK';
  }

  // ---- memory ----------------------------------------------------------------------

  private range(spec: string): [number, number] | null {
    const [a, l] = spec.split(',');
    const addr = parseHex(a);
    const len = parseHex(l);
    if (addr === null || len === null) return null;
    return [addr, len];
  }

  private readMemoryHex(spec: string): string {
    const r = this.range(spec);
    if (!r) return 'E01';
    const [addr, len] = r;
    if (len === 0) return '';
    const data = this.session.readMemory(addr, Math.min(len, (PACKET_SIZE - 4) / 2));
    return data.length === 0 ? 'E14' : toHex(data);
  }

  private readMemoryBinary(spec: string): string | Uint8Array {
    const r = this.range(spec);
    if (!r) return 'E01';
    const [addr, len] = r;
    if (len === 0) return ''; // only GDB's binary-upload form is spoken, and only when asked for data
    const data = this.session.readMemory(addr, Math.min(len, (PACKET_SIZE - 4) / 2));
    if (data.length === 0) return 'E14';
    const body = escapeBinary(data);
    const out = new Uint8Array(body.length + 1);
    out[0] = 0x62; // 'b'
    out.set(body, 1);
    return out;
  }

  private writeMemoryHex(body: string): string {
    const colon = body.indexOf(':');
    const r = colon < 0 ? null : this.range(body.slice(0, colon));
    const bytes = colon < 0 ? null : fromHex(body.slice(colon + 1));
    if (!r || !bytes || bytes.length !== r[1]) return 'E01';
    return this.session.writeMemory(r[0], bytes) ? 'OK' : 'E14';
  }

  private writeMemoryBinary(raw: Uint8Array): string {
    const colon = raw.indexOf(0x3a);
    if (colon < 0) return 'E01';
    const r = this.range(dec.decode(raw.subarray(1, colon)));
    if (!r) return 'E01';
    const bytes = raw.subarray(colon + 1); // already unescaped by the decoder
    if (bytes.length !== r[1]) return 'E01';
    return this.session.writeMemory(r[0], bytes) ? 'OK' : 'E14';
  }

  // ---- breakpoints -------------------------------------------------------------------

  private breakpoint(insert: boolean, spec: string): string {
    const [type, a, k] = spec.split(/[,;]/);
    const addr = parseHex(a);
    const kind = parseHex(k);
    if (addr === null || kind === null) return 'E01';
    const s = this.session;
    let ok: boolean;
    switch (type) {
      case '0':
        if (kind !== 4) return 'E01';
        ok = insert ? s.insertSwBreak(addr) : s.removeSwBreak(addr);
        break;
      case '1':
        ok = insert ? s.insertHwBreak(addr) : s.removeHwBreak(addr);
        break;
      case '2':
      case '3':
      case '4': {
        const wt: WatchType = type === '2' ? 'watch' : type === '3' ? 'rwatch' : 'awatch';
        ok = insert ? s.insertWatch(addr, kind, wt) : s.removeWatch(addr, kind, wt);
        break;
      }
      default:
        return '';
    }
    return ok ? 'OK' : 'E01';
  }
}

function hexByte(n: number): string {
  return (n & 0xff).toString(16).padStart(2, '0');
}
