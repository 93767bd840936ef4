/**
 * Loading a program into a machine (fs/exec.c and fs/binfmt_elf.c): open
 * the executable through the guest's view, read and check its headers, map
 * its segments into a new address space and build the initial stack (argv,
 * envp, auxv). The first launch and every execve do this; a failure is an
 * ExecError with the errno execve returns and the one line a shell prints.
 * Nothing of the caller's state changes until the program is complete: the
 * new address space replaces the old one only after this returns.
 */
import { HostError, type HostFs, type HostPath, type HostPorts } from '../../ports/host.js';
import { ElfError, parseElf, ET_DYN, type ElfImage, type ElfSource } from '../elf/index.js';
import { Errno, errnoMessage, linuxErrnoFromHostCode } from '../kernel/errno.js';
import type { FsContext } from '../kernel/fs-context.js';
import { hostPathOf } from '../kernel/fs-util.js';
import { walkPath } from '../kernel/namei.js';
import { procImageFromStack, type ProcImage } from '../kernel/procfs.js';
import { SyscallError } from '../kernel/syscall-args.js';
import type { AddressSpace, PageSource } from '../memory/address-space.js';
import { OutOfMemoryError } from '../memory/frames.js';
import type { GuestMemory } from '../memory/guest-memory.js';
import { pageDown, pageUp } from '../memory/layout.js';
import { printable } from '../printable.js';
import { buildAuxv } from './auxv.js';
import { loadElf, LoadError, type ElfFile, type LoadedImage } from './loader.js';
import { newAddressSpace, type Machine } from './machine.js';
import { buildInitialStack } from './stack.js';

/** Why a program could not be loaded: execve's errno, and the line a shell would print. */
export class ExecError extends Error {
  constructor(
    readonly errno: number,
    message: string,
  ) {
    super(message);
  }
}

const EM_X86_64 = 62;
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
function notRegular(mode: number): { errno: number; text: string } | null {
  const fmt = mode & S_IFMT;
  if (fmt === S_IFREG) return null;
  // execve says EACCES for a directory too; a shell says "Is a directory".
  if (fmt === S_IFDIR) return { errno: Errno.EACCES, text: 'Is a directory' };
  return { errno: Errno.EACCES, text: `Permission denied (${FILE_KINDS.get(fmt) ?? 'not a regular file'})` };
}

/**
 * The executable, open on the host: read at offsets for the parser, and the
 * page source of its segments' file mappings. The descriptor stays open
 * while the launch or a mapping holds a reference (a VMA holds its file).
 */
export class HostExecFile implements ElfFile {
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
      hostFd: this.fd,
      writable: false,
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
export function openExecutable(fs: HostFs, ctx: FsContext, path: HostPath, shown: string): { file: HostExecFile; guestPath: string } {
  const fail = (err: number | string): never => {
    const errno = typeof err === 'number' ? err : linuxErrnoFromHostCode(err);
    throw new ExecError(errno, `${shown}: ${errnoMessage(errno)}`);
  };
  let fd: number;
  let guestPath: string;
  try {
    const t = walkPath(ctx, ctx.cwd, path, { follow: true });
    // /proc and /dev hold no programs: /dev's nodes are devices, /proc's made-up files and directories.
    if (t.kind !== 'host') throw new ExecError(Errno.EACCES, `${shown}: Permission denied${t.path.startsWith('/dev/') ? ' (a character device)' : ''}`);
    try {
      if (t.st === null) return fail(Errno.ENOENT);
      const why = notRegular(t.st.mode);
      if (why) throw new ExecError(why.errno, `${shown}: ${why.text}`);
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
    if (why) throw new ExecError(why.errno, `${shown}: ${why.text}`);
    // No execute-permission check: like qemu-user and ld.so, elfuse runs any
    // readable ELF it is given (the guest's own execve will check, later).
    return { file: new HostExecFile(fs, fd, Number(st.size), `${st.dev}:${st.ino}`), guestPath };
  } catch (e) {
    fs.close(fd);
    if (e instanceof HostError) return fail(e.code);
    throw e;
  }
}

export function parseExecutable(file: ElfSource, shown: string): ElfImage {
  let elf: ElfImage;
  try {
    elf = parseElf(file);
  } catch (e) {
    if (e instanceof ElfError) {
      // e_machine is at byte 18; an x86-64 ELF needs Rosetta, which only the hvf backend can host.
      const machine = file.read(18, 2);
      const x86 = e.reason === 'bad-machine' && machine.length === 2 && (machine[0]! | (machine[1]! << 8)) === EM_X86_64;
      const hint = x86 ? '; x86_64 guests run through Rosetta on the hvf backend, which is not supported yet' : '';
      throw new ExecError(Errno.ENOEXEC, `${shown}: ${e.message}${hint}`);
    }
    if (e instanceof HostError) throw new ExecError(linuxErrnoFromHostCode(e.code), `${shown}: ${errnoMessage(e.code)}`);
    throw e;
  }
  return elf;
}

/** The program interpreter (PT_INTERP, the dynamic linker), open and checked. */
interface Interpreter {
  readonly file: HostExecFile;
  readonly elf: ElfImage;
  readonly guestPath: string;
}

/**
 * Open and check the interpreter a dynamically linked program names, as
 * load_elf_binary() does: PT_INTERP is a guest path, so it resolves through
 * the sysroot like any other. Not there is ENOENT (a shell's 127), with the
 * one line that says where it was looked for and that --sysroot is the fix;
 * an interpreter that is no AArch64 ELF, or wants an interpreter itself, is
 * ELIBBAD. PT_INTERP is the file's text: it is escaped in every message.
 */
function openInterpreter(fs: HostFs, ctx: FsContext, interp: string, shown: string): Interpreter {
  const named = printable(interp);
  let opened: { file: HostExecFile; guestPath: string };
  try {
    opened = openExecutable(fs, ctx, guestPathOfArg(interp), named);
  } catch (e) {
    if (e instanceof ExecError && (e.errno === Errno.ENOENT || e.errno === Errno.ENOTDIR)) {
      const root = ctx.sysroot === null ? '' : printable(ctx.sysroot);
      throw new ExecError(
        Errno.ENOENT,
        ctx.sysroot === null
          ? `${shown}: its interpreter ${named} is not on this host; a dynamically linked program needs the root of its distribution: give it with --sysroot DIR`
          : `${shown}: its interpreter ${named} is neither in the sysroot ${root} nor on the host; is ${root} the root of the distribution this program is from?`,
      );
    }
    if (e instanceof ExecError) throw new ExecError(e.errno, `${shown}: interpreter ${e.message}`);
    throw e;
  }
  try {
    let elf: ElfImage;
    try {
      elf = parseElf(opened.file);
    } catch (e) {
      if (e instanceof ElfError) throw new ExecError(Errno.ELIBBAD, `${shown}: interpreter ${named}: ${e.message}`);
      if (e instanceof HostError) throw new ExecError(linuxErrnoFromHostCode(e.code), `${shown}: interpreter ${named}: ${errnoMessage(e.code)}`);
      throw e;
    }
    if (elf.interp !== undefined) throw new ExecError(Errno.ELIBBAD, `${shown}: interpreter ${named} names an interpreter itself`);
    return { file: opened.file, elf, guestPath: opened.guestPath };
  } catch (e) {
    opened.file.close();
    throw e;
  }
}

/** The largest power-of-two p_align of the PT_LOADs (maximum_alignment() in binfmt_elf.c), at least a page. */
export function maximumAlignment(elf: ElfImage): number {
  let align = 4096;
  for (const p of elf.loads) if (p.align > align && (p.align & (p.align - 1)) === 0) align = p.align;
  return align;
}

/**
 * Where an ET_DYN executable's lowest page goes, as load_elf_binary() places
 * it without randomization: a program with an interpreter (a PIE) at
 * ELF_ET_DYN_BASE aligned down to its segments' alignment; one without (a
 * static PIE, or the dynamic linker run as a program) in the mmap area, top
 * down, as the loader itself would be, away from the programs it may load:
 * one mmap of its whole span at no fixed address, aligned down likewise.
 */
export function executableBase(as: AddressSpace, elf: ElfImage): number {
  if (elf.header.type !== ET_DYN) return 0;
  const align = maximumAlignment(elf);
  if (elf.interp !== undefined) return as.layout.pieBase - (as.layout.pieBase % align);
  const at = topDown(as, elf);
  return at - (at % align);
}

/** The address a no-fixed-address mmap of the image's whole span gets (top-down below mmap_base). */
function topDown(as: AddressSpace, elf: ElfImage): number {
  const span = pageUp(elf.loadEnd) - pageDown(elf.loadStart);
  const at = as.findFree(span);
  if (at < 0) throw new LoadError(-at, `no room for its ${span} bytes below the mmap base`);
  return at;
}

/**
 * Where an ET_DYN interpreter's lowest page goes: the whole span of its
 * segments is one mmap of no fixed address (load_elf_interp's
 * total_mapping_size), so it sits top-down below mmap_base, under what is
 * mapped there already. An ET_EXEC interpreter loads where it says.
 */
export function interpreterBase(as: AddressSpace, elf: ElfImage): number {
  if (elf.header.type !== ET_DYN) return 0;
  return topDown(as, elf);
}

/** Place (executableBase or interpreterBase) and map an image; every failure is an ExecError naming the program. */
function loadImage(as: AddressSpace, elf: ElfImage, file: ElfFile, shown: string, guestPath: string, place: (as: AddressSpace, elf: ElfImage) => number): LoadedImage {
  try {
    return loadElf(as, elf, file, { base: place(as, elf), name: guestPath });
  } catch (e) {
    if (e instanceof LoadError) throw new ExecError(e.errno, `${shown}: cannot load: ${e.message}`);
    if (e instanceof OutOfMemoryError) throw new ExecError(Errno.ENOMEM, `${shown}: cannot load: ${e.message}`);
    if (e instanceof HostError) throw new ExecError(linuxErrnoFromHostCode(e.code), `${shown}: cannot load: ${errnoMessage(e.code)}`);
    throw e;
  }
}

/** What execve gives the new program, and how it shows itself. */
export interface ProgramSpec {
  /** The executable's guest path (bytes), as given. */
  readonly path: HostPath;
  /** The path for messages (escaped). */
  readonly shown: string;
  readonly argv: readonly (string | Uint8Array)[];
  readonly envp: readonly (string | Uint8Array)[];
  /** AT_EXECFN's string. */
  readonly execfn: string;
  /** The ids auxv reports (AT_UID...). */
  readonly ids: { readonly uid: number; readonly euid: number; readonly gid: number; readonly egid: number };
  readonly verbose: boolean;
  readonly log: (line: string) => void;
  /** Read the whole executable too (a debugger's symbols). */
  readonly wantBytes?: boolean;
}

/** A program loaded into a new address space, not yet running. */
export interface Program {
  readonly as: AddressSpace;
  readonly mem: GuestMemory;
  readonly elf: ElfImage;
  /** The executable's image. */
  readonly image: LoadedImage;
  /** Where the process starts: the interpreter's entry for a dynamically linked program, else the image's. */
  readonly entry: number;
  readonly sp: number;
  readonly procImage: ProcImage;
  /** The program's canonical guest path (/proc/self/exe). */
  readonly guestPath: string;
  readonly bytes: Uint8Array | null;
}

/** Opens, checks and maps the program and builds its stack in a new address space of `m`. */
export function loadProgram(m: Machine, ctx: FsContext, host: HostPorts, spec: ProgramSpec): Program {
  const { file, guestPath } = openExecutable(host.fs, ctx, spec.path, spec.shown);
  let as: AddressSpace | undefined;
  let interp: Interpreter | undefined;
  try {
    const elf = parseExecutable(file, spec.shown);
    if (elf.interp !== undefined) interp = openInterpreter(host.fs, ctx, elf.interp, spec.shown);
    const space = newAddressSpace(m);
    as = space.as;
    const image = loadImage(space.as, elf, file, spec.shown, guestPath, executableBase);
    // The interpreter after the executable, as load_elf_binary maps them; the process starts in it.
    const interpImage = interp && loadImage(space.as, interp.elf, interp.file, spec.shown, interp.guestPath, interpreterBase);
    const entry = interpImage ? interpImage.entry : image.entry;
    space.as.setBrk(image.brkStart);
    const random16 = new Uint8Array(16);
    host.random.fill(random16);
    const auxv = buildAuxv({
      phdr: image.phdrVa,
      phent: elf.header.phentsize,
      phnum: elf.header.phnum,
      // AT_BASE: the interpreter's load bias; AT_ENTRY stays the program's own entry.
      base: interpImage ? interpImage.loadBias : 0,
      entry: image.entry,
      ...spec.ids,
      hwcap: m.hwcap,
      hwcap2: m.hwcap2,
    });
    let sp: number;
    try {
      sp = buildInitialStack(space.as, space.mem, { argv: [...spec.argv], envp: [...spec.envp], execfn: spec.execfn, platform: 'aarch64', random16, auxv });
    } catch (e) {
      // E2BIG reads as a shell says it ("Argument list too long").
      if (e instanceof LoadError) throw new ExecError(e.errno, `${spec.shown}: ${e.errno === Errno.E2BIG ? errnoMessage(Errno.E2BIG) : `cannot load: ${e.message}`}`);
      if (e instanceof OutOfMemoryError) throw new ExecError(Errno.ENOMEM, `${spec.shown}: cannot load: ${e.message}`);
      throw e;
    }
    if (spec.verbose) {
      spec.log(
        `elfuse: loaded ${spec.shown}: ${describeImage(elf)} at 0x${image.start.toString(16)}, entry 0x${image.entry.toString(16)}, ` +
          (interp && interpImage ? `interpreter ${printable(interp.guestPath)} at 0x${interpImage.start.toString(16)}, entry 0x${interpImage.entry.toString(16)}, ` : '') +
          `brk 0x${image.brkStart.toString(16)}, sp 0x${sp.toString(16)}, hwcap 0x${m.hwcap.toString(16)}`,
      );
    }
    const bias = image.loadBias;
    const procImage = procImageFromStack(space.mem, sp, {
      exePath: guestPath,
      hwcap: m.hwcap,
      hwcap2: m.hwcap2,
      midr: m.ids.midr,
      startCode: image.start,
      endCode: image.end,
      segments: [...segmentsOf(elf, bias), ...(interp && interpImage ? segmentsOf(interp.elf, interpImage.loadBias) : [])],
    });
    return { as: space.as, mem: space.mem, elf, image, entry, sp, procImage, guestPath, bytes: spec.wantBytes ? file.read(0, file.size) : null };
  } catch (e) {
    as?.clear();
    throw e;
  } finally {
    // The mappings hold their own references to the files.
    file.close();
    interp?.file.close();
  }
}

function describeImage(elf: ElfImage): string {
  if (elf.interp !== undefined) return elf.header.type === ET_DYN ? 'dynamic pie' : 'dynamic';
  return elf.header.type === ET_DYN ? 'static-pie' : 'static';
}

/** The page ranges of an image's PT_LOADs and their file offsets, for /proc/self/maps. */
function segmentsOf(elf: ElfImage, bias: number): { start: number; end: number; offset: number }[] {
  return elf.loads.map((p) => ({
    start: pageDown(p.vaddr + bias),
    end: pageUp(p.vaddr + bias + p.memsz),
    offset: pageDown(p.offset),
  }));
}

/** The guest path of a command-line string (its UTF-8 bytes). */
export function guestPathOfArg(path: string): HostPath {
  return hostPathOf(new TextEncoder().encode(path));
}
