/**
 * epoll (fs/eventpoll.c): epoll_create1, epoll_ctl, epoll_pwait and
 * epoll_pwait2. An epoll is a made-up object (waitq.ts) holding an
 * interest list keyed by (open file description, fd number), as Linux's
 * is: a registration follows the description across dup and close and
 * goes when the description is released. Made-up targets wake the epoll
 * through their queues; host fds (pipes, sockets, terminals) are asked of
 * the host, and waited for in the same host poll as everything else.
 *
 * The ready list keeps Linux's order: an item joins its tail when it
 * becomes ready (a wake, or found ready), a level-triggered item goes back
 * to the tail after it was reported, an edge-triggered one leaves until
 * its next wake, a one-shot one is disabled until EPOLL_CTL_MOD.
 *
 * Edges of host fds: the host kernel's wake-ups are not seen, so an
 * EPOLLET item on a host fd is reported when its readiness, the bytes
 * waiting in it (FIONREAD) or this process's reads and writes of it
 * changed since it was last reported. A read that leaves data behind thus
 * reports the item again, where Linux would wait for new data.
 */

import type { HostPollRequest } from '../../ports/host.js';
import { Errno } from './errno.js';
import type { OpenFile } from './fd-table.js';
import { fileOf } from './fs-util.js';
import {
  EPOLLET,
  EPOLLEXCLUSIVE,
  EPOLLONESHOT,
  EPOLLWAKEUP,
  EPOLL_CTL_ADD,
  EPOLL_CTL_DEL,
  EPOLL_CTL_MOD,
  O_CLOEXEC,
  POLLERR,
  POLLHUP,
  POLLIN,
  POLLOUT,
  POLLRDNORM,
  SIZEOF_EPOLL_EVENT,
  SIZEOF_SIGSET,
  SIZEOF_TIMESPEC,
  StructReader,
  StructWriter,
  decodeTimespec,
} from './linux-abi.js';
import { UNBLOCKABLE } from './signal-deliver.js';
import { SyscallError, type SyscallArgs, type SyscallImpl } from './syscall-args.js';
import type { Task } from './task.js';
import {
  WaitQueue,
  hostPollEvents,
  installEvent,
  linuxPollBits,
  mergeSources,
  pollable,
  readinessOf,
  sourcesOf,
  waitFor,
  type EventObject,
  type WaitSources,
} from './waitq.js';

/** Bits that are flags of the registration, not events (EP_PRIVATE_BITS). */
const EP_PRIVATE_BITS = EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE;
/** What an EPOLLEXCLUSIVE registration may ask for (EPOLLEXCLUSIVE_OK_BITS). */
const EXCLUSIVE_OK = POLLIN | POLLOUT | POLLERR | POLLHUP | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE;
/** INT_MAX / sizeof(struct epoll_event). */
const EP_MAX_EVENTS = Math.floor(0x7fffffff / SIZEOF_EPOLL_EVENT);

class EpollItem {
  /** On the ready list (rdllink in use). */
  onReady = false;
  /** For EPOLLET on a host fd: what the item looked like when last reported. */
  lastKey = '';
  private readonly unsubscribe: () => void;

  constructor(
    readonly ep: Epoll,
    readonly file: OpenFile,
    readonly fd: number,
    public events: number,
    public data: bigint,
  ) {
    // ep_poll_callback: a wake whose key is not asked for leaves the item alone.
    this.unsubscribe = file.event
      ? file.event.queue.subscribe((key) => {
          if (key !== -1 && !(key & this.events)) return;
          ep.markReady(this);
        })
      : () => undefined;
    file.epollItems.add(this);
  }

  get host(): boolean {
    return this.file.event === null;
  }

  remove(): void {
    this.unsubscribe();
    this.file.epollItems.delete(this);
    this.ep.forget(this);
  }
}

export class Epoll implements EventObject {
  readonly name = 'eventpoll';
  readonly queue = new WaitQueue();
  /** The interest list in registration order. */
  private readonly items: EpollItem[] = [];
  /** The ready list (rdllist). */
  private rdl: EpollItem[] = [];

  /** The interest list, in registration order. */
  registrations(): readonly EpollItem[] {
    return this.items;
  }

  find(file: OpenFile, fd: number): EpollItem | undefined {
    return this.items.find((i) => i.file === file && i.fd === fd);
  }

  add(file: OpenFile, fd: number, events: number, data: bigint): EpollItem {
    const item = new EpollItem(this, file, fd, events, data);
    this.items.push(item);
    return item;
  }

  markReady(item: EpollItem): void {
    if (!item.onReady) {
      item.onReady = true;
      this.rdl.push(item);
    }
    this.queue.wake(POLLIN);
  }

  forget(item: EpollItem): void {
    const i = this.items.indexOf(item);
    if (i >= 0) this.items.splice(i, 1);
    this.rdl = this.rdl.filter((x) => x !== item);
  }

  /** Whether `other` is this epoll or is watched by it, directly or through nested epolls (ELOOP). */
  reaches(other: EventObject): boolean {
    if (other === this) return true;
    return this.items.some((i) => i.file.event instanceof Epoll && i.file.event.reaches(other));
  }

  /** Each item's poll bits now, the host fds asked in one host poll. */
  private masks(task: Task): Map<EpollItem, number> {
    const out = new Map<EpollItem, number>();
    const requests: HostPollRequest[] = [];
    const hostItems: EpollItem[] = [];
    for (const item of this.items) {
      const r = readinessOf(task, item.file);
      if ('mask' in r) out.set(item, r.mask);
      else {
        requests.push({ fd: r.hostFd, events: hostPollEvents(item.events) });
        hostItems.push(item);
      }
    }
    if (requests.length > 0) {
      const bits = task.host.terminal.pollNow(requests);
      hostItems.forEach((item, k) => out.set(item, linuxPollBits(bits[k] ?? 0, item.file.kind === 'socket')));
    }
    return out;
  }

  private edgeKey(task: Task, item: EpollItem, mask: number): string {
    let pending = 0;
    if (mask & POLLIN) {
      try {
        pending = task.host.terminal.inputPending(item.file.hostFd);
      } catch {
        pending = 0;
      }
    }
    return `${mask}:${pending}:${item.file.ioSeq}`;
  }

  /**
   * The events to report, at most `max` (ep_send_events). With `commit`
   * the ready list moves on as Linux's does; without, nothing changes but
   * what joins the ready list (epoll's own poll).
   */
  harvest(task: Task, max: number, commit: boolean): { events: number; data: bigint }[] {
    const masks = this.masks(task);
    // Items found ready that no wake announced: host fds, and made-up objects already ready.
    for (const item of this.items) {
      if (item.onReady) continue;
      const m = (masks.get(item) ?? 0) & item.events;
      if (m === 0) continue;
      if (item.events & EPOLLET && (!item.host || this.edgeKey(task, item, m) === item.lastKey)) continue;
      item.onReady = true;
      this.rdl.push(item);
    }
    const out: { events: number; data: bigint }[] = [];
    const requeue: EpollItem[] = [];
    const keep: EpollItem[] = [];
    for (const item of this.rdl) {
      if (out.length >= max) {
        keep.push(item);
        continue;
      }
      const m = (masks.get(item) ?? 0) & item.events;
      if (m === 0) {
        if (commit) item.onReady = false;
        else keep.push(item);
        continue;
      }
      out.push({ events: m, data: item.data });
      if (!commit) {
        keep.push(item);
        continue;
      }
      if (item.events & EPOLLET && item.host) item.lastKey = this.edgeKey(task, item, m);
      if (item.events & EPOLLONESHOT) {
        item.events &= EP_PRIVATE_BITS;
        item.onReady = false;
      } else if (item.events & EPOLLET) item.onReady = false;
      else requeue.push(item);
    }
    this.rdl = [...keep, ...requeue];
    return out;
  }

  poll(task: Task): number {
    return this.harvest(task, 1, false).length > 0 ? POLLIN | POLLRDNORM : 0;
  }

  sources(task: Task): WaitSources {
    return mergeSources(this.items.filter((i) => i.events & ~EP_PRIVATE_BITS).map((i) => sourcesOf(task, i.file, i.events)));
  }

  release(): void {
    for (const item of [...this.items]) item.remove();
  }
}

function epollOf(task: Task, fd: number): Epoll {
  const ev = fileOf(task, fd).event;
  if (!(ev instanceof Epoll)) throw new SyscallError(Errno.EINVAL);
  return ev;
}

/** epoll_create1(2) */
function sysEpollCreate1(task: Task, a: SyscallArgs): number {
  const flags = a.int(0);
  if (flags & ~O_CLOEXEC) return -Errno.EINVAL;
  return installEvent(task, new Epoll(), flags);
}

/** epoll_ctl(2), in do_epoll_ctl's order of checks. */
function sysEpollCtl(task: Task, a: SyscallArgs): number {
  const op = a.int(1);
  const fd = a.int(2);
  let events = 0;
  let data = 0n;
  if (op !== EPOLL_CTL_DEL) {
    const r = new StructReader(task.mem.read(a.ptr(3), SIZEOF_EPOLL_EVENT));
    events = r.u32(0);
    data = r.u64(8);
  }
  const epFile = fileOf(task, a.int(0));
  const target = fileOf(task, fd);
  if (!pollable(target)) return -Errno.EPERM;
  if (op === EPOLL_CTL_ADD || op === EPOLL_CTL_MOD) events |= POLLERR | POLLHUP;
  if (events & EPOLLEXCLUSIVE) {
    if (op === EPOLL_CTL_MOD) return -Errno.EINVAL;
    if (op === EPOLL_CTL_ADD && (target.event instanceof Epoll || events & ~EXCLUSIVE_OK)) return -Errno.EINVAL;
  }
  if (epFile === target || !(epFile.event instanceof Epoll)) return -Errno.EINVAL;
  const ep = epFile.event;
  const item = ep.find(target, fd);
  switch (op) {
    case EPOLL_CTL_ADD: {
      if (item) return -Errno.EEXIST;
      if (target.event instanceof Epoll && target.event.reaches(ep)) return -Errno.ELOOP;
      const added = ep.add(target, fd, events, data);
      if (target.event && target.event.poll(task) & events) ep.markReady(added);
      return 0;
    }
    case EPOLL_CTL_DEL:
      if (!item) return -Errno.ENOENT;
      item.remove();
      return 0;
    case EPOLL_CTL_MOD:
      if (!item) return -Errno.ENOENT;
      if (item.events & EPOLLEXCLUSIVE) return -Errno.EINVAL;
      item.events = events;
      item.data = data;
      item.lastKey = '';
      if (target.event && target.event.poll(task) & events) ep.markReady(item);
      return 0;
    default:
      return -Errno.EINVAL;
  }
}

/** The wait shared by epoll_pwait and epoll_pwait2 (do_epoll_wait); EINTR is never restarted. */
async function epollWait(task: Task, a: SyscallArgs, timeoutNs: bigint | null, sigmaskPtr: number, sigsetSize: bigint): Promise<number> {
  let sigmask: bigint | null = null;
  if (sigmaskPtr !== 0) {
    if (sigsetSize !== BigInt(SIZEOF_SIGSET)) return -Errno.EINVAL;
    sigmask = new StructReader(task.mem.read(sigmaskPtr, SIZEOF_SIGSET)).u64(0);
  }
  const max = a.int(2);
  if (max <= 0 || max > EP_MAX_EVENTS) return -Errno.EINVAL;
  const eventsPtr = a.ptr(1);
  if (eventsPtr + max * SIZEOF_EPOLL_EVENT > 2 ** 48) return -Errno.EFAULT;
  const ep = epollOf(task, a.int(0));
  if (sigmask !== null) {
    task.savedSigmask = task.sigmask;
    task.sigmask = sigmask & ~UNBLOCKABLE;
  }
  const deadline = timeoutNs === null ? null : task.host.clock.monotonicNs() + timeoutNs;
  const harvest = (): { events: number; data: bigint }[] | null => {
    const got = ep.harvest(task, max, true);
    return got.length > 0 ? got : null;
  };
  const result = timeoutNs === 0n ? (harvest() ?? 'timeout') : await waitFor(task, harvest, () => mergeSources([{ queues: [ep.queue], host: [] }, ep.sources(task)]), deadline);
  if (result === 'signal') return -Errno.EINTR;
  if (result === 'timeout') return 0;
  const w = new StructWriter(result.length * SIZEOF_EPOLL_EVENT);
  result.forEach((e, i) => w.u32(i * SIZEOF_EPOLL_EVENT, e.events >>> 0).u64(i * SIZEOF_EPOLL_EVENT + 8, e.data));
  task.mem.write(eventsPtr, w.bytes);
  return result.length;
}

/** epoll_pwait(2): a timeout in milliseconds, negative for none. */
function sysEpollPwait(task: Task, a: SyscallArgs): Promise<number> {
  const ms = a.int(3);
  return epollWait(task, a, ms < 0 ? null : BigInt(ms) * 1_000_000n, a.ptr(4), a.u64(5));
}

/** epoll_pwait2(2): a timespec timeout, NULL for none. */
function sysEpollPwait2(task: Task, a: SyscallArgs): Promise<number> {
  const ptr = a.ptr(3);
  let timeoutNs: bigint | null = null;
  if (ptr !== 0) {
    timeoutNs = decodeTimespec(task.mem.read(ptr, SIZEOF_TIMESPEC));
    if (timeoutNs === null || timeoutNs < 0n) return Promise.resolve(-Errno.EINVAL);
  }
  return epollWait(task, a, timeoutNs, a.ptr(4), a.u64(5));
}

export const epollSyscalls: Readonly<Record<string, SyscallImpl>> = {
  epoll_create1: { handler: sysEpollCreate1, support: 'full', args: ['hex'] },
  epoll_ctl: { handler: sysEpollCtl, support: 'full', args: ['fd', 'int', 'fd', 'ptr'] },
  epoll_pwait: { handler: sysEpollPwait, support: 'full', args: ['fd', 'ptr', 'int', 'int', 'ptr', 'size'] },
  epoll_pwait2: { handler: sysEpollPwait2, support: 'full', args: ['fd', 'ptr', 'int', 'ptr', 'ptr', 'size'] },
};
