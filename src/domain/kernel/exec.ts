/**
 * execve(2) and execveat(2) (fs/exec.c): replace the process's program with
 * another, in the same process and on the same machine (one guest process
 * is one host process, so the pid stays). The new program is loaded into a
 * new address space first (boot/program.ts); only once that has worked
 * does the process change: the old memory goes (shared pages written back),
 * close-on-exec fds close, handled signals return to their default action
 * (ignored ones stay ignored), the alternate stack and POSIX timers go, and
 * the vCPU enters the new program through the shim's return path with
 * every register zero but the stack pointer.
 *
 * A file starting with "#!" is a script (fs/binfmt_script.c): its
 * interpreter, looked up in the guest's view like any path, runs with the
 * script's path as an argument, up to five levels deep. An
 * AArch64 ELF runs under elfuse; anything else, a host program included, is
 * ENOEXEC, as on Linux.
 */

import { capsAtExec } from './capability.js';
import type { HostPath } from '../../ports/host.js';
import { enterEl0 } from '../boot/machine.js';
import { endOtherThreads } from './thread.js';
import { ExecError, loadProgram } from '../boot/program.js';
import { GuestTooLong } from '../memory/fault.js';
import { printable } from '../printable.js';
import { publishSelf } from './procfs.js';
import { Errno } from './errno.js';
import { displayPath, fileOf, hostPathOf, readCStringChecked, readPath, withTarget } from './fs-util.js';
import { AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW, SIG_DFL, SIG_IGN } from './linux-abi.js';
import { MmStruct } from './mm-struct.js';
import { SyscallError, type SyscallArgs, type SyscallImpl } from './syscall-args.js';
import type { Task } from './task.js';
import { syncJobControlSignals } from './signal-deliver.js';
import { dropPosixTimers } from './time.js';

/** MAX_ARG_STRLEN: one argument or environment string, NUL included (32 pages). */
const MAX_ARG_STRLEN = 32 * 4096;
/**
 * How deep "#!" interpreters may nest: exec_binprm tries handlers at depths
 * 0 to 5, so five scripts and the final program (checked against this
 * machine's kernel: a sixth script is ELOOP).
 */
const MAX_SCRIPT_DEPTH = 5;
/** BINPRM_BUF_SIZE: the bytes of a file execve looks at for "#!" and the interpreter line. */
const BINPRM_BUF_SIZE = 256;
const X_OK = 1;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;

/** A NULL-terminated array of guest C strings (argv, envp); NULL itself is an empty array. */
function readStringArray(task: Task, ptr: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  if (ptr === 0) return out;
  for (let i = 0; ; i++) {
    const p = task.mem.readU64(ptr + i * 8);
    if (p === 0n) return out;
    if (p >= 1n << 48n) throw new SyscallError(Errno.EFAULT);
    // A string longer than MAX_ARG_STRLEN is E2BIG (copy_strings).
    try {
      out.push(readCStringChecked(task, Number(p), MAX_ARG_STRLEN));
    } catch (e) {
      if ((e instanceof SyscallError && e.errno === Errno.ENAMETOOLONG) || e instanceof GuestTooLong) throw new SyscallError(Errno.E2BIG);
      throw e;
    }
  }
}

interface Script {
  readonly interp: HostPath;
  readonly arg: HostPath | null;
}

/**
 * Opens what `path` names as execve does (do_open_execat: a regular file the
 * caller may execute) and reads its first bytes: a "#!" line, or null for
 * anything else (left to the ELF loader, which says ENOEXEC if it is not one).
 */
function lookAtFile(task: Task, dirfd: number, path: HostPath, flags: number): { script: Script | null; guestPath: HostPath } {
  const fs = task.host.fs;
  let guestPath = path;
  const head = withTarget(task, dirfd, path, { follow: (flags & AT_SYMLINK_NOFOLLOW) === 0 }, (t) => {
    if (t.kind === 'synth') throw new SyscallError(Errno.EACCES);
    if (t.st === null) throw new SyscallError(Errno.ENOENT);
    if ((t.st.mode & S_IFMT) === S_IFDIR || (t.st.mode & S_IFMT) !== S_IFREG) throw new SyscallError(Errno.EACCES);
    fs.accessat(t.dirFd, t.name, X_OK, true);
    // Root may execute a file only if some execute bit is set (generic_permission).
    if ((t.st.mode & 0o111) === 0) throw new SyscallError(Errno.EACCES);
    const fd = fs.openat(t.dirFd, t.name, { access: 'r', noFollow: true, nonBlock: true }, 0);
    guestPath = t.guestPath;
    try {
      const buf = new Uint8Array(BINPRM_BUF_SIZE);
      const n = fs.read(fd, buf, 0n);
      return buf.subarray(0, n);
    } finally {
      fs.close(fd);
    }
  });
  if (head.length < 2 || head[0] !== 0x23 || head[1] !== 0x21) return { script: null, guestPath };
  // The interpreter line: to the newline (or the buffer's end), blanks trimmed; the first word is
  // the interpreter, the rest (one argument, inner blanks kept) its optional argument.
  let end = head.indexOf(0x0a);
  if (end < 0) end = head.length;
  const line = hostPathOf(head.subarray(2, end)).replace(/^[ \t]+|[ \t]+$/g, '');
  if (line === '') throw new SyscallError(Errno.ENOEXEC);
  const m = /^([^ \t]+)(?:[ \t]+(.*))?$/.exec(line);
  if (!m) throw new SyscallError(Errno.ENOEXEC);
  return { script: { interp: m[1] as string, arg: m[2] ?? null }, guestPath };
}

/** execve's path for a dirfd-relative or empty execveat: /dev/fd/N/... as Linux names it (bprm->filename). */
function execveatName(dirfd: number, path: HostPath, flags: number): HostPath {
  if (dirfd === AT_FDCWD || path.startsWith('/')) return path;
  if (path === '' && flags & AT_EMPTY_PATH) return `/dev/fd/${dirfd}`;
  return `/dev/fd/${dirfd}/${path}`;
}

function doExecve(task: Task, dirfd: number, path: HostPath, argvPtr: number, envpPtr: number, flags: number): number {
  const machine = task.machine;
  if (!machine) return -Errno.ENOSYS;
  let argv = readStringArray(task, argvPtr);
  const envp = readStringArray(task, envpPtr);
  // Since Linux 5.18 an empty argv gets one empty string, so argv[0] exists.
  if (argv.length === 0) argv = [new Uint8Array(0)];
  let file = path;
  let fileDirfd = dirfd;
  let fileFlags = flags;
  let execfn = execveatName(dirfd, path, flags);
  if (path === '' && flags & AT_EMPTY_PATH) {
    // fexecve: the file the fd refers to.
    const f = fileOf(task, dirfd);
    file = f.path;
    fileDirfd = AT_FDCWD;
    fileFlags = 0;
  }
  let guestPath: HostPath;
  for (let depth = 0; ; depth++) {
    const seen = lookAtFile(task, fileDirfd, file, fileFlags);
    guestPath = seen.guestPath;
    const script = seen.script;
    if (!script) break;
    if (depth >= MAX_SCRIPT_DEPTH) return -Errno.ELOOP;
    // argv becomes: interpreter, its argument, the script's name, then argv[1...] (binfmt_script).
    const name = pathBytes(execfn);
    argv = [pathBytes(script.interp), ...(script.arg !== null ? [pathBytes(script.arg)] : []), name, ...argv.slice(1)];
    file = script.interp;
    fileDirfd = AT_FDCWD;
    fileFlags = 0;
    execfn = script.interp;
  }
  let prog;
  try {
    prog = loadProgram(machine, task.fsContext, task.host, {
      // The canonical guest path the walk found (a dirfd-relative name is resolved already).
      path: guestPath,
      shown: printable(displayPath(file)),
      argv,
      envp,
      execfn: displayPath(execfn),
      ids: { uid: task.cred.uid, euid: task.cred.euid, gid: task.cred.gid, egid: task.cred.egid },
      verbose: task.verbose,
      log: task.log,
    });
  } catch (e) {
    if (e instanceof ExecError) {
      task.trace(`elfuse: execve: ${e.message}`);
      return -e.errno;
    }
    throw e;
  }
  // The point of no return (begin_new_exec): everything below changes the process.
  // The other threads end first (de_thread); the caller goes on with the process's id.
  if (!task.vfork) endOtherThreads(task);
  const old = task.mm;
  // A vfork child lets go of its parent's memory, which the parent keeps (exec_mm_release).
  if (!task.vfork) {
    old.as.syncAll();
    old.as.clear();
  }
  task.mm = new MmStruct(prog.as, prog.mem, prog.procImage, displayPath(execfn));
  for (const fd of task.fds.openFds()) if (task.fds.isCloexec(fd)) task.fds.close(fd);
  // setup_new_exec / flush_signal_handlers: handled signals go back to SIG_DFL; ignored ones stay.
  for (const action of task.tg.sigactions) {
    if (action.handler !== SIG_IGN) action.handler = SIG_DFL;
    action.flags = 0n;
    action.restorer = 0n;
    action.mask = 0n;
  }
  if (!task.vfork) syncJobControlSignals(task);
  task.altStack = { sp: 0n, flags: 2 /* SS_DISABLE */, size: 0n };
  dropPosixTimers(task);
  task.restartBlock = null;
  task.clearChildTid = 0n;
  task.robustList = { head: 0n, len: 0n };
  // cap_bprm_creds_from_file; PR_SET_KEEPCAPS does not survive an exec.
  capsAtExec(task.cred);
  task.tg.keepCaps = false;
  const base = execfn.slice(execfn.lastIndexOf('/') + 1);
  task.setComm(pathBytes(base));
  if (task.vfork) {
    // The new image is its own process's to run: the child's run in the parent's machine ends here.
    task.vfork.exec = { sp: BigInt(prog.sp), pc: BigInt(prog.entry) };
    task.exit = { status: 0 };
    task.trace(`elfuse: execve ${printable(displayPath(file))}: entry 0x${prog.entry.toString(16)}, handed to process ${task.pid}`);
    return 0;
  }
  // On the calling thread's vCPU (the first one, unless another thread made the call).
  const on = task.vcpu && task.vcpu !== machine.vcpu ? { vcpu: task.vcpu, slot: task.vcpuSlot } : undefined;
  enterEl0(machine, prog.as, { sp: BigInt(prog.sp), pc: BigInt(prog.entry), pstate: 0n }, false, on);
  // A vfork parent waits for this (mm_release's complete_vfork_done).
  task.reportToParent?.('released', 0);
  publishSelf(task);
  task.trace(`elfuse: execve ${printable(displayPath(file))}: entry 0x${prog.entry.toString(16)}`);
  return 0;
}

function pathBytes(p: HostPath): Uint8Array {
  const out = new Uint8Array(p.length);
  for (let i = 0; i < p.length; i++) out[i] = p.charCodeAt(i);
  return out;
}

/** execve(2) */
function sysExecve(task: Task, a: SyscallArgs): number {
  return doExecve(task, AT_FDCWD, readPath(task, a.ptr(0)), a.ptr(1), a.ptr(2), 0);
}

/** execveat(2): AT_EMPTY_PATH (fexecve) and AT_SYMLINK_NOFOLLOW. */
function sysExecveat(task: Task, a: SyscallArgs): number {
  const flags = a.int(4);
  if (flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)) return -Errno.EINVAL;
  return doExecve(task, a.fd(0), readPath(task, a.ptr(1), (flags & AT_EMPTY_PATH) !== 0), a.ptr(2), a.ptr(3), flags);
}

export const execSyscalls: Readonly<Record<string, SyscallImpl>> = {
  execve: { handler: sysExecve, support: 'full', args: ['str', 'ptr', 'ptr'] },
  execveat: { handler: sysExecveat, support: 'full', args: ['dirfd', 'str', 'ptr', 'ptr', 'hex'] },
};
