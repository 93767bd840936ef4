/**
 * Launching a guest: read and validate the executable, build the machine (RAM,
 * page tables, shim, ELF image, initial stack, boot block), create the vCPU
 * and hand it to the run loop. User-facing failures become a LaunchError with
 * the exit status a shell would give (126 cannot execute, 127 not found).
 */
import type { Backend } from '../../ports/backend.js';
import { HostError, type HostPorts } from '../../ports/host.js';
import { MEM_RWX } from '../../ports/memory.js';
import { Reg } from '../../ports/vcpu.js';
import { ElfError, parseElf, ET_DYN, type ElfImage } from '../elf/index.js';
import { errnoMessage } from '../kernel/errno.js';
import { runGuest, type GuestStatus } from '../kernel/run-loop.js';
import { Task } from '../kernel/task.js';
import { procImageFromStack } from '../kernel/procfs.js';
import { Sysroot } from '../kernel/sysroot.js';
import { SyscallError } from '../kernel/syscall-args.js';
import { watchHostSignals } from '../kernel/signal-deliver.js';
import { watchTerminalResize } from '../kernel/tty.js';
import { AddressSpace } from '../memory/address-space.js';
import { FrameAllocator, OutOfMemoryError } from '../memory/frames.js';
import { GuestMemory } from '../memory/guest-memory.js';
import { PageTable } from '../memory/page-table.js';
import { PhysMem } from '../memory/phys.js';
import { buildAuxv } from './auxv.js';
import { hwcapFromIds, readCpuIds } from './hwcap.js';
import { loadElf, LoadError, type LoadedImage } from './loader.js';
import { bootBlock, buildShim, CPSR_EL1H_MASKED, SHIM_CODE, SHIM_DATA, SHIM_END, SHIM_STACK_TOP } from './shim.js';
import { buildInitialStack } from './stack.js';

export type { GuestStatus } from '../kernel/run-loop.js';

export interface LaunchOptions {
  /** The executable's host path, as given on the command line. */
  path: string;
  /** The guest's argv (argv[0] included) and environment, as strings or raw bytes. */
  argv: (string | Uint8Array)[];
  envp: (string | Uint8Array)[];
  verbose: boolean;
  /** Diagnostic sink (stderr), one line per call. */
  log: (line: string) => void;
  /** --sysroot: the host directory guest absolute paths resolve under first (absolute). */
  sysroot?: string;
  /** Guest RAM in bytes (guest-physical slab); defaults to RAM_BYTES. */
  ramBytes?: number;
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
const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;

function readExecutable(host: HostPorts, path: string): Uint8Array {
  let fd: number;
  try {
    fd = host.fs.open(path, { access: 'r' }, 0);
  } catch (e) {
    if (!(e instanceof HostError)) throw e;
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR') throw new LaunchError(`${path}: No such file or directory`, 127);
    throw new LaunchError(`${path}: ${errnoMessage(e.code)}`, 126);
  }
  try {
    const st = host.fs.fstat(fd);
    if ((st.mode & S_IFMT) === S_IFDIR) throw new LaunchError(`${path}: Is a directory`, 126);
    // No execute-permission check: like qemu-user and ld.so, elfuse runs any
    // readable ELF it is given (the guest's own execve will check, later).
    const size = Number(st.size);
    const bytes = new Uint8Array(size);
    let done = 0;
    while (done < size) {
      const n = host.fs.read(fd, bytes.subarray(done), BigInt(done));
      if (n <= 0) break;
      done += n;
    }
    return bytes.subarray(0, done);
  } catch (e) {
    if (e instanceof HostError) throw new LaunchError(`${path}: ${errnoMessage(e.code)}`, 126);
    throw e;
  } finally {
    host.fs.close(fd);
  }
}

/** A lexically normalised absolute path: `path` against `cwd`, without '.', '..' or '//'. */
function absolutePath(cwd: string, path: string): string {
  const out: string[] = [];
  for (const c of (path.startsWith('/') ? path : `${cwd}/${path}`).split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') out.pop();
    else out.push(c);
  }
  return `/${out.join('/')}`;
}

/** The host path of a guest path: under the sysroot first when there is one (ELOOP is "not found"). */
function throughSysroot(root: Sysroot | null, path: string): string {
  if (!root || !path.startsWith('/')) return path;
  try {
    return root.resolve(path, true);
  } catch (e) {
    if (e instanceof SyscallError) return path;
    throw e;
  }
}

function parseExecutable(bytes: Uint8Array, path: string, root: Sysroot | null): ElfImage {
  let elf: ElfImage;
  try {
    elf = parseElf(bytes);
  } catch (e) {
    if (e instanceof ElfError) {
      // e_machine is at byte 18; an x86-64 ELF needs Rosetta, which only the hvf backend can host.
      const x86 = e.reason === 'bad-machine' && bytes.length > 19 && (bytes[18]! | (bytes[19]! << 8)) === EM_X86_64;
      const hint = x86 ? '; x86_64 guests run through Rosetta on the hvf backend, which is not supported yet' : '';
      throw new LaunchError(`${path}: ${e.message}${hint}`, 126);
    }
    throw e;
  }
  if (elf.interp !== undefined) {
    // PT_INTERP is a guest path: it resolves through the sysroot like any other.
    const interp = throughSysroot(root, elf.interp);
    const where = interp === elf.interp ? '' : ` at ${interp}`;
    throw new LaunchError(`${path}: dynamically linked (interpreter ${elf.interp}${where}); loading an ELF interpreter is not supported yet`, 126);
  }
  return elf;
}

function loadImage(as: AddressSpace, elf: ElfImage, bytes: Uint8Array, path: string, hostPath: string): LoadedImage {
  const base = elf.header.type === ET_DYN ? as.layout.pieBase : 0;
  try {
    return loadElf(as, elf, bytes, { base, name: hostPath });
  } catch (e) {
    if (e instanceof LoadError || e instanceof OutOfMemoryError) throw new LaunchError(`${path}: cannot load: ${e.message}`, 126);
    throw e;
  }
}

export async function launchGuest(backend: Backend, host: HostPorts, opts: LaunchOptions): Promise<GuestStatus> {
  const root = opts.sysroot === undefined ? null : new Sysroot(host.fs, opts.sysroot);
  // The program path is a guest path too: an absolute one is looked up in the sysroot first.
  const hostPath = absolutePath(host.process.cwd(), throughSysroot(root, opts.path));
  const bytes = readExecutable(host, hostPath === opts.path || !root ? opts.path : hostPath);
  const elf = parseExecutable(bytes, opts.path, root);

  // Guest-physical memory: one slab at IPA 0, as the C original maps it.
  const ramBytes = opts.ramBytes ?? RAM_BYTES;
  backend.memory.map(0, ramBytes, MEM_RWX);
  const phys = new PhysMem(backend.memory, ramBytes);
  const frames = new FrameAllocator(SHIM_END, ramBytes, phys);
  const pt = new PageTable(phys, frames);
  const as = new AddressSpace(phys, frames, pt);
  // Heuristic overcommit: one private writable mapping may not exceed the host's RAM.
  as.commitLimit = Number(host.process.memory().totalBytes);
  const mem = new GuestMemory(as);

  // The shim: code page (with vectors), data page + EL1 stack, identity-mapped, EL1-only.
  phys.view(SHIM_CODE, 0x1000).set(buildShim());
  as.mapKernel(SHIM_CODE, SHIM_CODE, 0x1000, { exec: true });
  as.mapKernel(SHIM_DATA, SHIM_DATA, SHIM_STACK_TOP - SHIM_DATA, { exec: false });

  const vcpu = backend.createVcpu();
  const ids = readCpuIds(vcpu);
  const { hwcap, hwcap2 } = hwcapFromIds(ids);

  const image = loadImage(as, elf, bytes, opts.path, hostPath);
  as.setBrk(image.brkStart);
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
  const sp = buildInitialStack(as, mem, {
    argv: opts.argv,
    envp: opts.envp,
    execfn: opts.path,
    platform: 'aarch64',
    random16,
    auxv,
  });

  // Boot block: what the shim loads before it enters EL0.
  phys.view(SHIM_DATA, 0x100).set(bootBlock({ ttbr0: pt.root, entry: image.entry, sp }));
  as.tlbDirty = false;
  as.icacheDirty = false;

  vcpu.setReg(Reg.PC, BigInt(SHIM_CODE));
  vcpu.setReg(Reg.CPSR, CPSR_EL1H_MASKED);

  if (opts.verbose && root) {
    opts.log(`elfuse: sysroot ${root.root}${root.foldsCase ? ' (case-folding volume: case-colliding names get token names)' : ''}`);
  }
  if (opts.verbose) {
    opts.log(
      `elfuse: loaded ${opts.path}: ${elf.header.type === ET_DYN ? 'static-pie' : 'static'}, entry 0x${image.entry.toString(16)}, ` +
        `brk 0x${image.brkStart.toString(16)}, sp 0x${sp.toString(16)}, hwcap 0x${hwcap.toString(16)}`,
    );
  }

  const bias = image.loadBias;
  const procImage = procImageFromStack(mem, sp, {
    exePath: root ? root.toGuest(hostPath) : hostPath,
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
  const task = new Task({
    host,
    as,
    mem,
    execfn: opts.path,
    verbose: opts.verbose,
    log: opts.log,
    image: procImage,
    ...(opts.sysroot !== undefined ? { sysroot: opts.sysroot } : {}),
  });
  const unwatchResize = watchTerminalResize(task);
  const unwatchSignals = watchHostSignals(task);
  let status: GuestStatus | undefined;
  try {
    status = await runGuest(task, vcpu, { ids, phys, maintenance: as, log: opts.log, verbose: opts.verbose });
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
