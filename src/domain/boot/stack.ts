/**
 * The initial process stack, laid out as Linux lays it out for a new arm64
 * process (fs/exec.c copies the strings, fs/binfmt_elf.c create_elf_tables()
 * builds the tables). From the top of the stack down:
 *
 *   8 zero bytes                       (bprm->p starts one pointer below the top)
 *   execfn string                      (AT_EXECFN points here)
 *   envp strings, argv strings         (argv[0] lowest)
 *   -- aligned down to 16 --
 *   platform string "aarch64"          (AT_PLATFORM)
 *   16 random bytes                    (AT_RANDOM)
 *   -- padding --
 *   auxv pairs, AT_NULL-terminated
 *   envp pointers, NULL
 *   argv pointers, NULL
 *   argc                               <- sp, 16-byte aligned
 *
 * The stack VMA spans the 8 MiB RLIMIT_STACK reservation's top: what the
 * above needs plus 128 KiB (setup_arg_pages' stack_expand), read-write,
 * MAP_GROWSDOWN, named '[stack]'.
 */
import { Errno } from '../kernel/errno.js';
import { MAP_ANONYMOUS, MAP_FIXED, MAP_GROWSDOWN, MAP_PRIVATE, PROT_READ, PROT_WRITE } from '../kernel/linux-abi.js';
import type { AddressSpace } from '../memory/address-space.js';
import type { GuestMemory } from '../memory/guest-memory.js';
import { STACK_RLIMIT, STACK_TOP, pageDown } from '../memory/layout.js';
import { AT_EXECFN, AT_NULL, AT_PLATFORM, AT_RANDOM, type AuxEntry } from './auxv.js';
import { LoadError } from './loader.js';

export interface InitialStackSpec {
  readonly argv: readonly (string | Uint8Array)[];
  readonly envp: readonly (string | Uint8Array)[];
  readonly execfn: string | Uint8Array;
  readonly platform: string;
  readonly random16: Uint8Array;
  /** Entries in order; AT_RANDOM, AT_EXECFN and AT_PLATFORM get their stack addresses here. */
  readonly auxv: readonly AuxEntry[];
}

/** setup_arg_pages(): the stack VMA extends 128 KiB below the arguments. */
const STACK_EXPAND = 128 * 1024;
/** _STK_LIM (8 MiB): the string space is at most 3/4 of it. */
const STK_LIM = 8 * 1024 * 1024;
/** ARG_MAX (32 pages): the string space is never less, even with a small stack rlimit. */
const ARG_MAX = 32 * 4096;
/** MAX_ARG_STRLEN (32 pages): the longest single argument or environment string, NUL included. */
const MAX_ARG_STRLEN = 32 * 4096;

/**
 * fs/exec.c bprm_stack_limits() and copy_strings(): the argument and
 * environment strings (the exec'd file name included) and the argv/envp
 * pointers must fit in a quarter of the stack rlimit (at most 6 MiB, at
 * least 128 KiB), and no string may exceed MAX_ARG_STRLEN; otherwise E2BIG.
 */
export function argumentsFit(argv: readonly Uint8Array[], envp: readonly Uint8Array[], execfn: Uint8Array, stackRlimit: number): boolean {
  const limit = Math.max(Math.min((STK_LIM / 4) * 3, Math.floor(stackRlimit / 4)), ARG_MAX);
  // argc 0 still leaves room for the one pointer execve adds.
  const pointers = (Math.max(argv.length, 1) + envp.length) * 8;
  if (limit <= pointers) return false;
  let strings = execfn.length;
  for (const list of [argv, envp]) {
    for (const s of list) {
      if (s.length > MAX_ARG_STRLEN) return false;
      strings += s.length;
    }
  }
  return strings <= limit - pointers;
}

const utf8 = new TextEncoder();

function cstring(s: string | Uint8Array): Uint8Array {
  if (typeof s === 'string') return utf8.encode(`${s}\0`);
  const out = new Uint8Array(s.length + 1);
  out.set(s);
  return out;
}

/** Map the stack, write argc/argv/envp/auxv and the strings, and return the initial SP. */
export function buildInitialStack(as: AddressSpace, mem: GuestMemory, spec: InitialStackSpec): number {
  if (spec.random16.length !== 16) throw new RangeError('AT_RANDOM needs exactly 16 bytes');
  const execfn = cstring(spec.execfn);
  const argv = spec.argv.map(cstring);
  const envp = spec.envp.map(cstring);
  const platform = cstring(spec.platform);
  if (!argumentsFit(argv, envp, execfn, STACK_RLIMIT)) throw new LoadError(Errno.E2BIG, 'argument list too long');

  // fs/exec.c: strings are copied downward from one pointer below the top.
  let p = STACK_TOP - 8;
  const place = (bytes: Uint8Array): number => (p -= bytes.length);
  const execfnVa = place(execfn);
  const envpVa = [...envp].reverse().map(place).reverse();
  const argvVa = [...argv].reverse().map(place).reverse();

  // create_elf_tables(): arch_align_stack (no randomization), platform, random bytes.
  p -= p % 16;
  const platformVa = place(platform);
  const randomVa = place(spec.random16);

  const patched: Record<number, number> = { [AT_RANDOM]: randomVa, [AT_EXECFN]: execfnVa, [AT_PLATFORM]: platformVa };
  const auxv = spec.auxv
    .filter(([type]) => type !== AT_NULL)
    .map(([type, value]): AuxEntry => [type, patched[type] !== undefined ? BigInt(patched[type]) : value]);
  auxv.push([AT_NULL, 0n]);

  const items = argv.length + 1 + (envp.length + 1) + 1;
  const tableWords = items + auxv.length * 2;
  const sp = p - tableWords * 8 - ((p - tableWords * 8) % 16);

  const bottom = pageDown(sp) - STACK_EXPAND;
  const r = as.mmapAnonymous(bottom, STACK_TOP - bottom, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_GROWSDOWN, '[stack]');
  if (r < 0) throw new LoadError(-r, 'cannot map the initial stack');

  // The strings are contiguous from argv[0] up to execfn's NUL: one write.
  const strings = new Uint8Array(execfnVa + execfn.length - (argvVa[0] ?? envpVa[0] ?? execfnVa));
  const stringsVa = execfnVa + execfn.length - strings.length;
  strings.set(execfn, execfnVa - stringsVa);
  envp.forEach((s, i) => strings.set(s, envpVa[i]! - stringsVa));
  argv.forEach((s, i) => strings.set(s, argvVa[i]! - stringsVa));
  mem.write(stringsVa, strings);
  mem.write(platformVa, platform);
  mem.write(randomVa, spec.random16);
  // argc, argv[], NULL, envp[], NULL, auxv pairs: addresses are below 2^48, so two u32 halves each.
  const table = new Uint8Array(tableWords * 8);
  const dv = new DataView(table.buffer);
  let at = 0;
  const put = (v: number): void => {
    dv.setUint32(at, v % 2 ** 32, true);
    dv.setUint32(at + 4, Math.floor(v / 2 ** 32), true);
    at += 8;
  };
  put(argv.length);
  for (const va of argvVa) put(va);
  put(0);
  for (const va of envpVa) put(va);
  put(0);
  for (const [t, v] of auxv) {
    put(t);
    dv.setBigUint64(at, BigInt.asUintN(64, v), true);
    at += 8;
  }
  mem.write(sp, table);
  return sp;
}
