/**
 * HostNotify on the native addon (native/notify.cc): the host's inotify on
 * Linux; on other hosts every call fails with ENOSYS (see notify.cc for
 * what a macOS host would need).
 */

import type { HostNotify, HostPath } from '../../ports/host.js';
import { native, posix } from './posix.js';

interface NativeNotify {
  notifyInit(nonblock: boolean): number;
  notifyAddWatch(fd: number, dirFd: number, name: string, mask: number): number;
  notifyRmWatch(fd: number, wd: number): void;
}

export class NodeHostNotify implements HostNotify {
  private get n(): NativeNotify {
    return posix() as unknown as NativeNotify;
  }

  init(nonblock: boolean): number {
    return native('inotify_init1', () => this.n.notifyInit(nonblock));
  }
  addWatch(fd: number, dirFd: number, name: HostPath, mask: number): number {
    return native('inotify_add_watch', () => this.n.notifyAddWatch(fd, dirFd, name, mask >>> 0));
  }
  rmWatch(fd: number, wd: number): void {
    native('inotify_rm_watch', () => this.n.notifyRmWatch(fd, wd));
  }
}
