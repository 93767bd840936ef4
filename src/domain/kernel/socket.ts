/**
 * The socket calls that ask about a descriptor (net/socket.c): getpeername
 * and getsockname. Sockets themselves are not implemented yet; these two
 * answer as Linux does for every descriptor that is not a socket: EBADF for
 * no descriptor, else ENOTSOCK. Programs ask this way whether their stdin
 * is a network connection: bash reads ~/.bashrc for `bash -c` when
 * getpeername on fd 0 fails with anything but ENOTSOCK, EINVAL or EBADF.
 * A socket the host handed in (an inherited descriptor) stays ENOSYS, said
 * under --verbose.
 */
import { Errno } from './errno.js';
import { fileOf } from './fs-util.js';
import type { SyscallArgs, SyscallImpl } from './syscall-args.js';
import type { Task } from './task.js';

function askSocket(name: string) {
  return (task: Task, a: SyscallArgs): number => {
    const file = fileOf(task, a.fd(0));
    if (file.kind !== 'socket') return -Errno.ENOTSOCK;
    task.trace(`elfuse: ${name} on a socket: sockets are not supported yet`);
    return -Errno.ENOSYS;
  };
}

const note = 'ENOTSOCK for every descriptor that is not a socket; sockets are not supported yet';
export const socketSyscalls: Readonly<Record<string, SyscallImpl>> = {
  getpeername: { handler: askSocket('getpeername'), support: 'partial', note, args: ['fd', 'ptr', 'ptr'] },
  getsockname: { handler: askSocket('getsockname'), support: 'partial', note, args: ['fd', 'ptr', 'ptr'] },
};
