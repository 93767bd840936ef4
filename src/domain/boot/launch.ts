/**
 * Launching a guest: open and validate the executable (reading only its
 * headers), build the machine (RAM, page tables, shim, ELF image mapped from
 * the file, initial stack, boot block), create the vCPU and hand it to the
 * run loop. User-facing failures become a LaunchError with the exit status a
 * shell would give (126 cannot execute, 127 not found) and one line of text,
 * in which text from the file or the command line is escaped.
 */
import type { Backend } from '../../ports/backend.js';
import { HostError, type HostFs, type HostPorts } from '../../ports/host.js';
import { MEM_RWX } from '../../ports/memory.js';
import { Reg, type VcpuPort } from '../../ports/vcpu.js';
import { ElfError, parseElf, ET_DYN, type ElfImage, type ElfSource } from '../elf/index.js';
import { Errno, errnoMessage, errnoName } from '../kernel/errno.js';
import { runGuest, type GuestStatus, type RunHooks } from '../kernel/run-loop.js';
import type { DebugTarget } from '../debug/session.js';
import { Task } from '../kernel/task.js';
import { procImageFromStack } from '../kernel/procfs.js';
import { FsContext } from '../kernel/fs-context.js';
import { hostPathOf } from '../kernel/fs-util.js';
import { walkPath } from '../kernel/namei.js';
import { SyscallError } from '../kernel/syscall-args.js';
import { watchHostSignals } from '../kernel/signal-deliver.js';
import { watchTerminalResize } from '../kernel/tty.js';
import { AddressSpace, type PageSource } from '../memory/address-space.js';
import { FrameAllocator, OutOfMemoryError } from '../memory/frames.js';
import { GuestMemory } from '../memory/guest-memory.js';
import { PageTable } from '../memory/page-table.js';
import { PhysMem } from '../memory/phys.js';
import { buildAuxv } from './auxv.js';
import { printable } from '../printable.js';
import { hwcapFromIds, readCpuIds, type CpuIdView } from './hwcap.js';
import { loadElf, LoadError, type ElfFile, type LoadedImage } from './loader.js';
import { bootBlock, buildShim, CPSR_EL1H_MASKED, SHIM_CODE, SHIM_DATA, SHIM_END, SHIM_STACK_TOP } from './shim.js';
import { buildInitialStack } from './stack.js';

export type { GuestStatus } from '../kernel/run-loop.js';

export interface LaunchOptions {
  /** The executable's host path, as given on the command line. */
  path: string;
  /** The guest's argv (argv[0] included) and environment, as strings or raw bytes. */
  argv: (string | Uint8Array)[];
  envp: (string | Uint8Array)[];
  /** Standard streams (0, 1, 2) that were closed when elfuse started: closed for the guest too. */
  closedStdio?: readonly number[];
  verbose: boolean;
  /** Diagnostic sink (stderr), one line per call. */
  log: (line: string) => void;
  /** --sysroot: the host directory that is the guest's root, over the host's own files (absolute, canonical). */
  sysroot?: string;
  /** Guest RAM in bytes (guest-physical slab); defaults to RAM_BYTES. */
  ramBytes?: number;
  /** A debugger or tracer (--gdb, --trace): builds the run loop's hooks for the booted guest. */
  attach?: (target: DebugTarget) => RunHooks;
}

/** A launch that failed for a reason the user must see, with its exit status. */
export class LaunchError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** Default guest RAM: 2 GiB of guest-physical memory, committed only as touched. */
export const RAM_BYTES = 2 * 1024 * 1024 * 1024 - 4096 * 16;

const EM_X86_64 = 62;
const utf8 = new TextEncoder();
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;

const FILE_KINDS: ReadonlyMap<number, string> = new Map([
  [0o010000, 'a FIFO'],
  [0o020000, 'a character device'],
  [0o060000, 'a block device'],
  [0o140000, 'a socket'],
]);

/** Why a file that is not regular cannot be run (execve's EACCES), or null for a regular file. */
function notRegular(mode: number): string | null {
  const fmt = mode & S_IFMT;
  if (fmt === S_IFREG) return null;
  if (fmt === S_IFDIR) return 'Is a directory';
  return `Permission denied (${FILE_KINDS.get(fmt) ?? 'not a regular file'})`;
}

/**
 * The executable, open on the host: read at offsets for the parser, and the
 * page source of its segments' file mappings. The descriptor stays open
 * while the launch or a mapping holds a reference (a VMA holds its file).
 */
class HostExecFile implements ElfFile {
  private refs = 1;

  constructor(
    private readonly fs: HostFs,
    private readonly fd: number,
    readonly size: number,
    readonly key: string,
  ) {}

  read(offset: number, length: number): Uint8Array {
    const buf = new Uint8Array(Math.max(0, Math.min(length, this.size - offset)));
    return buf.subarray(0, this.readInto(buf, offset));
  }

  pageSource(): PageSource {
    this.refs++;
    return {
      read: (buf, offset) => this.readInto(buf, offset),
      // Private mappings only: nothing is ever written back.
      write: () => {},
      size: () => Number(this.fs.fstat(this.fd).size),
      release: () => this.close(),
    };
  }

  close(): void {
    if (--this.refs === 0) this.fs.close(this.fd);
  }

  private readInto(buf: Uint8Array, offset: number): number {
    let done = 0;
    while (done < buf.length) {
      const n = this.fs.read(this.fd, buf.subarray(done), BigInt(offset + done));
      if (n <= 0) break;
      done += n;
    }
    return done;
  }
}

/**
 * Open the executable for reading, as execve opens it: the path is a guest
 * path, walked in the guest's view (the sysroot first when there is one);
 * it must name a regular file (a FIFO, a directory or a device is refused
 * before it is opened, so opening cannot block or have a device's side
 * effects). Nothing is read yet. Errors are a shell's: 127 not found, 126
 * anything else.
 */
function openExecutable(fs: HostFs, ctx: FsContext, path: string, shown: string): { file: HostExecFile; guestPath: string } {
  const fail = (err: number | string): never => {
    const code = typeof err === 'number' ? errnoName(err) : err;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new LaunchError(`${shown}: No such file or directory`, 127);
    throw new LaunchError(`${shown}: ${errnoMessage(err)}`, 126);
  };
  let fd: number;
  let guestPath: string;
  try {
    const t = walkPath(ctx, ctx.cwd, hostPathOf(utf8.encode(path)), { follow: true });
    // /proc and /dev hold no programs: /dev's nodes are devices, /proc's made-up files and directories.
    if (t.kind !== 'host') throw new LaunchError(`${shown}: Permission denied${t.path.startsWith('/dev/') ? ' (a character device)' : ''}`, 126);
    try {
      if (t.st === null) return fail('ENOENT');
      const why = notRegular(t.st.mode);
      if (why) throw new LaunchError(`${shown}: ${why}`, 126);
      // O_NONBLOCK: should a FIFO replace the file after the walk, opening it does not wait for a writer.
      fd = fs.openat(t.dirFd, t.name, { access: 'r', nonBlock: true, noFollow: true }, 0);
      guestPath = t.guestPath;
    } finally {
      t.release();
    }
  } catch (e) {
    if (e instanceof SyscallError) return fail(e.errno);
    if (e instanceof HostError) return fail(e.code);
    throw e;
  }
  try {
    const st = fs.fstat(fd);
    const why = notRegular(st.mode);
    if (why) throw new LaunchError(`${shown}: ${why}`, 126);
    // No execute-permission check: like qemu-user and ld.so, elfuse runs any
    // readable ELF it is given (the guest's own execve will check, later).
    return { file: new HostExecFile(fs, fd, Number(st.size), `${st.dev}:${st.ino}`), guestPath };
  } catch (e) {
    fs.close(fd);
    if (e instanceof HostError) return fail(e.code);
    throw e;
  }
}

/** Where a guest path was found, for a message: the host file behind it, or why it was not. */
function interpreterWhere(ctx: FsContext, interp: string): string {
  try {
    const t = walkPath(ctx, ctx.root, hostPathOf(utf8.encode(interp)), { follow: true });
    if (t.kind !== 'host') return 'in /proc or /dev';
    try {
      if (t.st === null) return ctx.sysroot === null ? 'not found' : `not found in the sysroot ${printable(ctx.sysroot)} or on the host`;
      return t.layer === 'sysroot' ? `at ${printable(`${ctx.sysroot}${t.guestPath}`)}` : `at ${printable(t.guestPath)} on the host`;
    } finally {
      t.release();
    }
  } catch (e) {
    if (e instanceof SyscallError || e instanceof HostError) return 'not found';
    throw e;
  }
}

function parseExecutable(file: ElfSource, shown: string, ctx: FsContext): ElfImage {
  let elf: ElfImage;
  try {
    elf = parseElf(file);
  } catch (e) {
    if (e instanceof ElfError) {
      // e_machine is at byte 18; an x86-64 ELF needs Rosetta, which only the hvf backend can host.
      const machine = file.read(18, 2);
      const x86 = e.reason === 'bad-machine' && machine.length === 2 && (machine[0]! | (machine[1]! << 8)) === EM_X86_64;
      const hint = x86 ? '; x86_64 guests run through Rosetta on the hvf backend, which is not supported yet' : '';
      throw new LaunchError(`${shown}: ${e.message}${hint}`, 126);
    }
    if (e instanceof HostError) throw new LaunchError(`${shown}: ${errnoMessage(e.code)}`, 126);
    throw e;
  }
  if (elf.interp !== undefined) {
    // PT_INTERP is a guest path: it resolves through the sysroot like any other. It is the
    // file's text, so it is escaped: it must not forge lines or reach the terminal raw.
    throw new LaunchError(
      `${shown}: dynamically linked (interpreter ${printable(elf.interp)} ${interpreterWhere(ctx, elf.interp)}); loading an ELF interpreter is not supported yet`,
      126,
    );
  }
  return elf;
}

function loadImage(as: AddressSpace, elf: ElfImage, file: ElfFile, shown: string, guestPath: string): LoadedImage {
  const base = elf.header.type === ET_DYN ? as.layout.pieBase : 0;
  try {
    return loadElf(as, elf, file, { base, name: guestPath });
  } catch (e) {
    if (e instanceof LoadError || e instanceof OutOfMemoryError) throw new LaunchError(`${shown}: cannot load: ${e.message}`, 126);
    if (e instanceof HostError) throw new LaunchError(`${shown}: cannot load: ${errnoMessage(e.code)}`, 126);
    throw e;
  }
}

/** The shim's code page: the same bytes for every guest, assembled once. */
let shimCode: Uint8Array | undefined;

/** A guest built and ready to run: the machine, the loaded image and the process, before its first instruction. */
export interface PreparedGuest {
  readonly task: Task;
  readonly vcpu: VcpuPort;
  readonly as: AddressSpace;
  readonly phys: PhysMem;
  readonly ids: CpuIdView;
  readonly elf: ElfImage;
  readonly image: LoadedImage;
  /** The program's canonical guest path (/proc/self/exe). */
  readonly guestPath: string;
  /** The whole executable, read only when a debugger or tracer asked for it (its symbols). */
  readonly elfBytes: Uint8Array | null;
  /** Let go of the image without running it: its mappings (and the executable's descriptor) and the vCPU. */
  dispose(): void;
}

/**
 * Read and validate the executable, build the machine (RAM, page tables,
 * shim, ELF image, initial stack, boot block) and the process, and create
 * the vCPU. Every refusal is a LaunchError; nothing is left open on failure.
 */
export function prepareGuest(backend: Backend, host: HostPorts, opts: LaunchOptions): PreparedGuest {
  // The guest's filesystem view; the program path is a guest path in it too.
  const ctx = new FsContext(host.fs, { ...(opts.sysroot !== undefined ? { sysroot: opts.sysroot } : {}), hostCwd: host.process.cwd() });
  // The path is the user's text, shown quoted only when it holds something a terminal would act on.
  const shown = printable(opts.path);
  let opened: { file: HostExecFile; guestPath: string };
  try {
    opened = openExecutable(host.fs, ctx, opts.path, shown);
  } catch (e) {
    ctx.dispose();
    throw e;
  }
  const { file, guestPath } = opened;
  let vcpu: VcpuPort | undefined;
  let as: AddressSpace | undefined;
  let task: Task | undefined;
  try {
    const elf = parseExecutable(file, shown, ctx);

    // Guest-physical memory: one slab at IPA 0, as the C original maps it.
    const ramBytes = opts.ramBytes ?? RAM_BYTES;
    backend.memory.map(0, ramBytes, MEM_RWX);
    const phys = new PhysMem(backend.memory, ramBytes);
    const frames = new FrameAllocator(SHIM_END, ramBytes, phys);
    const pt = new PageTable(phys, frames);
    const space = new AddressSpace(phys, frames, pt);
    as = space;
    // Heuristic overcommit: one private writable mapping may not exceed the host's RAM.
    space.commitLimit = Number(host.process.memory().totalBytes);
    const mem = new GuestMemory(space);

    // The shim: code page (with vectors), data page + EL1 stack, identity-mapped, EL1-only.
    phys.view(SHIM_CODE, 0x1000).set((shimCode ??= buildShim()));
    space.mapKernel(SHIM_CODE, SHIM_CODE, 0x1000, { exec: true });
    space.mapKernel(SHIM_DATA, SHIM_DATA, SHIM_STACK_TOP - SHIM_DATA, { exec: false });

    const cpu = backend.createVcpu();
    vcpu = cpu;
    const ids = readCpuIds(cpu);
    const { hwcap, hwcap2 } = hwcapFromIds(ids);

    const image = loadImage(space, elf, file, shown, guestPath);
    space.setBrk(image.brkStart);
    const random16 = new Uint8Array(16);
    host.random.fill(random16);
    const auxv = buildAuxv({
      phdr: image.phdrVa,
      phent: elf.header.phentsize,
      phnum: elf.header.phnum,
      base: 0,
      entry: image.entry,
      uid: host.process.uid,
      euid: host.process.euid,
      gid: host.process.gid,
      egid: host.process.egid,
      hwcap,
      hwcap2,
    });
    let sp: number;
    try {
      sp = buildInitialStack(space, mem, { argv: opts.argv, envp: opts.envp, execfn: opts.path, platform: 'aarch64', random16, auxv });
    } catch (e) {
      // E2BIG reads as a shell says it ("Argument list too long"), with the shell's status.
      if (e instanceof LoadError) throw new LaunchError(`${shown}: ${e.errno === Errno.E2BIG ? errnoMessage(Errno.E2BIG) : `cannot load: ${e.message}`}`, 126);
      if (e instanceof OutOfMemoryError) throw new LaunchError(`${shown}: cannot load: ${e.message}`, 126);
      throw e;
    }

    // Boot block: what the shim loads before it enters EL0.
    phys.view(SHIM_DATA, 0x100).set(bootBlock({ ttbr0: pt.root, entry: image.entry, sp }));
    space.tlbDirty = false;
    space.icacheDirty = false;

    cpu.setReg(Reg.PC, BigInt(SHIM_CODE));
    cpu.setReg(Reg.CPSR, CPSR_EL1H_MASKED);

    if (opts.verbose && ctx.sysroot !== null) {
      opts.log(`elfuse: sysroot ${printable(ctx.sysroot)}${ctx.foldsCase ? ' (case-folding volume: case-colliding names get token names)' : ''}`);
    }
    if (opts.verbose) {
      opts.log(
        `elfuse: loaded ${shown}: ${elf.header.type === ET_DYN ? 'static-pie' : 'static'}, entry 0x${image.entry.toString(16)}, ` +
          `brk 0x${image.brkStart.toString(16)}, sp 0x${sp.toString(16)}, hwcap 0x${hwcap.toString(16)}`,
      );
    }

    const bias = image.loadBias;
    const procImage = procImageFromStack(mem, sp, {
      exePath: guestPath,
      hwcap,
      hwcap2,
      midr: ids.midr,
      startCode: image.start,
      endCode: image.end,
      segments: elf.loads.map((p) => ({
        start: Math.floor((p.vaddr + bias) / 4096) * 4096,
        end: Math.ceil((p.vaddr + bias + p.memsz) / 4096) * 4096,
        offset: Math.floor(p.offset / 4096) * 4096,
      })),
    });
    const made = new Task({
      host,
      as: space,
      mem,
      execfn: opts.path,
      verbose: opts.verbose,
      log: opts.log,
      image: procImage,
      fsContext: ctx,
      closedStdio: opts.closedStdio ?? [],
    });
    task = made;
    return {
      task: made,
      vcpu: cpu,
      as: space,
      phys,
      ids,
      elf,
      image,
      guestPath,
      elfBytes: opts.attach ? file.read(0, file.size) : null,
      dispose: () => {
        space.clear();
        cpu.destroy();
        ctx.dispose();
      },
    };
  } catch (e) {
    as?.clear();
    vcpu?.destroy();
    // The Task owns the view once made; before that it is ours to close.
    if (!task) ctx.dispose();
    throw e;
  } finally {
    // The mappings hold their own references to the file.
    file.close();
  }
}

export async function launchGuest(backend: Backend, host: HostPorts, opts: LaunchOptions): Promise<GuestStatus> {
  const { task, vcpu, as, phys, ids, image, guestPath, elfBytes } = prepareGuest(backend, host, opts);
  const unwatchResize = watchTerminalResize(task);
  const unwatchSignals = watchHostSignals(task);
  let status: GuestStatus | undefined;
  try {
    const hooks = opts.attach?.({ task, vcpu, memory: backend.memory, as, exePath: guestPath, elf: elfBytes ?? new Uint8Array(0), loadBias: image.loadBias });
    status = await runGuest(task, vcpu, { ids, phys, maintenance: as, log: opts.log, verbose: opts.verbose, ...(hooks ? { hooks } : {}) });
    // exit_mmap: dirty pages of shared file mappings reach their files.
    as.syncAll();
    return status;
  } finally {
    unwatchResize();
    unwatchSignals();
    // A shell restores its terminal after a job killed by a signal; it sees elfuse exit normally
    // (128+N, or an internal error), so a guest's raw mode would outlive it: restore here.
    if (status?.kind !== 'exited') host.terminal.restoreModes();
    vcpu.destroy();
  }
}
