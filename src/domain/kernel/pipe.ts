/**
 * pipe2(2) (fs/pipe.c): a pipe is a host pipe, so it works between guest
 * processes (each an elfuse process) and with host programs alike; the
 * host kernel keeps its buffer, PIPE_BUF atomicity, EOF when the last
 * writer closes and EPIPE when the last reader has. Reads and writes go
 * through the stream path of fs-io.ts, which never blocks the JavaScript
 * thread on a read.
 */

import { Errno } from './errno.js';
import { OpenFile } from './fd-table.js';
import { O_CLOEXEC, O_DIRECT, O_NONBLOCK, O_RDONLY, O_WRONLY, StructWriter } from './linux-abi.js';
import type { SyscallArgs, SyscallImpl } from './syscall-args.js';
import type { Task } from './task.js';

/** pipe2(2): O_CLOEXEC, O_NONBLOCK and O_DIRECT (packet mode is the host's where it has it). */
function sysPipe2(task: Task, a: SyscallArgs): number {
  const flags = a.int(1);
  if (flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT)) return -Errno.EINVAL;
  // Two free numbers first, so a full table leaves no host pipe behind.
  const rfd = task.fds.lowestFree(0, task.fdLimit);
  if (rfd < 0) return -Errno.EMFILE;
  const nonBlock = (flags & O_NONBLOCK) !== 0;
  const [r, w] = task.host.fs.pipe(nonBlock);
  const rf = new OpenFile(r, '', O_RDONLY | (flags & (O_NONBLOCK | O_DIRECT)), 'fifo');
  const wf = new OpenFile(w, '', O_WRONLY | (flags & (O_NONBLOCK | O_DIRECT)), 'fifo');
  rf.hostNonBlock = wf.hostNonBlock = nonBlock;
  const cloexec = (flags & O_CLOEXEC) !== 0;
  task.fds.installAt(rfd, rf, cloexec);
  const wfd = task.fds.lowestFree(0, task.fdLimit);
  if (wfd < 0) {
    task.fds.close(rfd);
    task.host.fs.close(w);
    return -Errno.EMFILE;
  }
  task.fds.installAt(wfd, wf, cloexec);
  try {
    task.mem.write(a.ptr(0), new StructWriter(8).i32(0, rfd).i32(4, wfd).bytes);
  } catch (e) {
    task.fds.close(rfd);
    task.fds.close(wfd);
    throw e;
  }
  return 0;
}

export const pipeSyscalls: Readonly<Record<string, SyscallImpl>> = {
  pipe2: { handler: sysPipe2, support: 'full', args: ['ptr', 'oflags'] },
};
