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

function cstring(s: string | Uint8Array): Uint8Array {
  const body = typeof s === 'string' ? new TextEncoder().encode(s) : s;
  const out = new Uint8Array(body.length + 1);
  out.set(body);
  return out;
}

function u64le(values: readonly bigint[]): Uint8Array {
  const out = new Uint8Array(values.length * 8);
  const dv = new DataView(out.buffer);
  values.forEach((v, i) => dv.setBigUint64(i * 8, BigInt.asUintN(64, v), true));
  return out;
}

/** Map the stack, write argc/argv/envp/auxv and the strings, and return the initial SP. */
export function buildInitialStack(as: AddressSpace, mem: GuestMemory, spec: InitialStackSpec): number {
  if (spec.random16.length !== 16) throw new RangeError('AT_RANDOM needs exactly 16 bytes');
  const execfn = cstring(spec.execfn);
  const argv = spec.argv.map(cstring);
  const envp = spec.envp.map(cstring);
  const platform = cstring(spec.platform);

  // fs/exec.c: strings are copied downward from one pointer below the top.
  let p = STACK_TOP - 8;
  const place = (bytes: Uint8Array): number => (p -= bytes.length);
  const execfnVa = place(execfn);
  const envpVa = [...envp].reverse().map(place).reverse();
  const argvVa = [...argv].reverse().map(place).reverse();
  // get_arg_page(): the strings may take at most a quarter of the stack rlimit.
  if (STACK_TOP - p > STACK_RLIMIT / 4) throw new LoadError(Errno.E2BIG, 'argument list too long');

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

  mem.write(execfnVa, execfn);
  envp.forEach((s, i) => mem.write(envpVa[i]!, s));
  argv.forEach((s, i) => mem.write(argvVa[i]!, s));
  mem.write(platformVa, platform);
  mem.write(randomVa, spec.random16);
  const words: bigint[] = [
    BigInt(argv.length),
    ...argvVa.map(BigInt),
    0n,
    ...envpVa.map(BigInt),
    0n,
    ...auxv.flatMap(([t, v]) => [BigInt(t), v]),
  ];
  mem.write(sp, u64le(words));
  return sp;
}
