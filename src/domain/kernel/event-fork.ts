/**
 * eventfd, epoll, timerfd and signalfd across fork. These objects live in
 * the elfuse process (macOS has no eventfd, timerfd or signalfd to share),
 * so a fork child cannot share them: it gets a copy made from their state
 * at the fork (the counter, the timer's deadline, interval and unread
 * expirations, the signal mask, the interest list over the child's own
 * copies of the descriptions). What differs from Linux: after the fork,
 * parent and child no longer see each other's writes, reads and
 * epoll_ctl on these objects.
 *
 * Layout: one tag byte, then the object's fields, little-endian.
 */

import { Epoll } from './epoll.js';
import { EventFd } from './eventfd.js';
import type { OpenFile } from './fd-table.js';
import { StructReader, StructWriter } from './linux-abi.js';
import { NetlinkSocket } from './netlink.js';
import { SignalFd } from './signalfd.js';
import type { Task } from './task.js';
import { TimerFd } from './timerfd.js';
import type { EventObject } from './waitq.js';

const TAG_EVENTFD = 1;
const TAG_TIMERFD = 2;
const TAG_SIGNALFD = 3;
const TAG_EPOLL = 4;
/** A netlink socket (netlink.ts): its type and protocol; the child's copy is unbound, with nothing queued. */
const TAG_NETLINK = 5;

/** The object's state for the fork state; `indexOf` gives a description's index there (-1: not passed). */
export function forkImageOfEvent(event: EventObject, indexOf: (file: OpenFile) => number): Uint8Array {
  if (event instanceof EventFd) return new StructWriter(10).u8(0, TAG_EVENTFD).u8(1, event.semaphore ? 1 : 0).u64(2, event.count).bytes;
  if (event instanceof TimerFd) {
    event.update();
    return new StructWriter(34)
      .u8(0, TAG_TIMERFD)
      .u8(1, event.next === null ? 0 : 1)
      .i32(2, event.clockid)
      .u64(6, event.next ?? 0n)
      .u64(14, event.interval)
      .u64(22, event.ticks).bytes;
  }
  if (event instanceof NetlinkSocket) return new StructWriter(9).u8(0, TAG_NETLINK).i32(1, event.type).i32(5, event.protocol).bytes;
  if (event instanceof SignalFd) return new StructWriter(9).u8(0, TAG_SIGNALFD).u64(1, event.mask).bytes;
  if (event instanceof Epoll) {
    const items = event.registrations().filter((i) => indexOf(i.file) >= 0);
    const w = new StructWriter(5 + items.length * 20).u8(0, TAG_EPOLL).u32(1, items.length);
    items.forEach((i, k) => {
      const at = 5 + k * 20;
      w.u32(at, indexOf(i.file)).i32(at + 4, i.fd).u32(at + 8, i.events >>> 0).u64(at + 12, i.data);
    });
    return w.bytes;
  }
  return new Uint8Array(0);
}

/**
 * The child's copy of an object. Epolls are filled in by restoreEpollItems
 * once every description exists.
 */
export function eventFromForkImage(task: Task, bytes: Uint8Array): EventObject | null {
  if (bytes.length === 0) return null;
  const r = new StructReader(bytes);
  switch (r.u8(0)) {
    case TAG_EVENTFD:
      return new EventFd(r.u64(2), r.u8(1) !== 0);
    case TAG_TIMERFD:
      return TimerFd.restore(task, r.i32(2), r.u8(1) !== 0 ? r.u64(6) : null, r.u64(14), r.u64(22));
    case TAG_SIGNALFD:
      return new SignalFd(task, r.u64(1));
    case TAG_EPOLL:
      return new Epoll();
    case TAG_NETLINK:
      return new NetlinkSocket(r.i32(1), r.i32(5));
    default:
      return null;
  }
}

/** Registers an epoll's items over the child's descriptions (`opened`, by index). */
export function restoreEpollItems(task: Task, ep: Epoll, bytes: Uint8Array, opened: readonly (OpenFile | null)[]): void {
  const r = new StructReader(bytes);
  const n = r.u32(1);
  for (let k = 0; k < n; k++) {
    const at = 5 + k * 20;
    const file = opened[r.u32(at)];
    if (!file) continue;
    const events = r.u32(at + 8);
    const item = ep.add(file, r.i32(at + 4), events, r.u64(at + 12));
    if (file.event && file.event.poll(task) & events) ep.markReady(item);
  }
}
