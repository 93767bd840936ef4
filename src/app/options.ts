/**
 * Command-line options: parsing and validation with commander. Options whose
 * feature does not exist yet are refused with a clear message, never ignored.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';

export type BackendName = 'interp' | 'hvf';

export interface CliOptions {
  backend: BackendName | undefined;
  verbose: boolean;
  noRosetta: boolean;
  elfPath: string;
  guestArgs: string[];
  /** --sysroot, as given. */
  sysroot?: string;
  /** --create-sysroot, as given. */
  createSysroot?: string;
  /** --gdb [HOST:]PORT and --gdb-stop-on-entry. */
  gdb?: { host: string; port: number; stopOnEntry: boolean };
  /** --trace FILE, --trace-only SPEC..., --trace-regs. */
  trace?: { file: string; only: string[]; regs: boolean };
}

/** A usage error: printed as one line, exit status 2. */
export class UsageError extends Error {}

/** --gdb PORT or HOST:PORT (loopback unless a host is named). */
function parseGdbAddress(v: string): { host: string; port: number } {
  const m = /^(?:(.+):)?(\d+)$/.exec(v);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65535) throw new InvalidArgumentError('expected a TCP port (1-65535) or HOST:PORT');
  const host = (m[1] ?? '127.0.0.1').replace(/^\[(.*)\]$/, '$1');
  return { host, port };
}

function collect(v: string, previous: string[]): string[] {
  return [...previous, v];
}

export function buildCommand(version: string): Command {
  return new Command('elfuse')
    .usage('[options] <elf-path> [args...]')
    .description('Run a Linux AArch64 ELF executable as a native command.')
    .version(version, '-V, --version', 'print the version and exit')
    .helpOption('-h, --help', 'print this help and exit')
    .option('-v, --verbose', 'trace system calls (strace format) and loader decisions on stderr', false)
    .option('--sysroot <path>', 'resolve guest absolute paths under PATH first')
    .option('--create-sysroot <path>', 'create a case-sensitive sysroot volume at PATH and use it')
    .option('--no-rosetta', 'never run x86_64 guests through Rosetta (also ELFUSE_NO_ROSETTA=1)')
    .option('--gdb <[host:]port>', 'serve the GDB remote protocol on PORT (127.0.0.1; HOST:PORT, e.g. 0.0.0.0:1234, listens elsewhere)', parseGdbAddress)
    .option('--gdb-stop-on-entry', 'with --gdb: wait for the debugger and stop before the first guest instruction', false)
    .option('--trace <file>', 'write every guest instruction (address, encoding, disassembly) to FILE; very slow (about 150x)')
    .option('--trace-only <range|symbol>', 'with --trace: only instructions in START-END or in a function (repeatable)', collect, [])
    .option('--trace-regs', 'with --trace: also list the registers each instruction changed', false)
    .addOption(new Option('--backend <name>', 'execution backend').choices(['interp', 'hvf']))
    .argument('<elf-path>', 'the guest executable')
    .argument('[args...]', 'arguments for the guest')
    .passThroughOptions()
    .allowExcessArguments(true)
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ writeErr: () => {} });
}

/**
 * The index in argv of the ELF path (the first operand), found with the
 * command's own option table: options before it, the guest's arguments after
 * it. Commander is given only what precedes the guest's arguments, since it
 * spreads the rest into one call (130,000 arguments, which Linux allows,
 * overflow the stack).
 */
function operandIndex(cmd: Command, argv: readonly string[]): number {
  const takesValue = (o: Option | undefined): boolean => o !== undefined && o.required;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return i + 1;
    if (a.startsWith('--')) {
      // --name value, unless written --name=value.
      if (!a.includes('=') && takesValue(cmd.options.find((o) => o.long === a))) i++;
      continue;
    }
    if (a.length > 1 && a.startsWith('-')) {
      // Clustered short flags (-vt 5, -vt5): the first that takes a value ends the cluster.
      for (let k = 1; k < a.length; k++) {
        if (!takesValue(cmd.options.find((o) => o.short === `-${a[k]}`))) continue;
        if (k === a.length - 1) i++;
        break;
      }
      continue;
    }
    return i;
  }
  return argv.length;
}

/**
 * Parse argv (without node and script). Returns null when commander already
 * handled --help/--version. Throws UsageError for bad input.
 */
export function parseCli(argv: readonly string[], version: string, env: Readonly<Record<string, string | undefined>>, out: (s: string) => void): CliOptions | null {
  const cmd = buildCommand(version);
  cmd.configureOutput({ writeOut: out, writeErr: () => {} });
  const at = operandIndex(cmd, argv);
  try {
    cmd.parse(argv.slice(0, at + 1), { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return null;
      throw new UsageError(e.message.replace(/^error: /, ''));
    }
    throw e;
  }
  const o = cmd.opts<{
    verbose: boolean;
    sysroot?: string;
    createSysroot?: string;
    rosetta: boolean;
    gdb?: { host: string; port: number };
    gdbStopOnEntry: boolean;
    trace?: string;
    traceOnly: string[];
    traceRegs: boolean;
    backend?: BackendName;
  }>();
  if (o.sysroot !== undefined && o.createSysroot !== undefined) throw new UsageError('--sysroot and --create-sysroot are mutually exclusive');
  if (o.gdbStopOnEntry && o.gdb === undefined) throw new UsageError('--gdb-stop-on-entry needs --gdb PORT');
  if ((o.traceOnly.length > 0 || o.traceRegs) && o.trace === undefined) throw new UsageError('--trace-only and --trace-regs need --trace FILE');
  const [elfPath] = cmd.processedArgs as [string];
  const guestArgs = argv.slice(at + 1);
  return {
    backend: o.backend,
    verbose: o.verbose,
    noRosetta: !o.rosetta || env.ELFUSE_NO_ROSETTA === '1',
    elfPath,
    guestArgs,
    ...(o.sysroot !== undefined ? { sysroot: o.sysroot } : {}),
    ...(o.createSysroot !== undefined ? { createSysroot: o.createSysroot } : {}),
    ...(o.gdb !== undefined ? { gdb: { ...o.gdb, stopOnEntry: o.gdbStopOnEntry } } : {}),
    ...(o.trace !== undefined ? { trace: { file: o.trace, only: o.traceOnly, regs: o.traceRegs } } : {}),
  };
}
