import fc from 'fast-check';
import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildCommand, parseCli, UsageError } from '../../src/app/options.js';

const parse = (argv: string[], env: Record<string, string> = {}) => parseCli(argv, '9.9.9', env, () => {});

describe('command line', () => {
  it('passes everything after the ELF path to the guest, flags included', () => {
    const o = parse(['-v', './prog', '-n', '3', '--help', '--', 'x']);
    expect(o).not.toBeNull();
    expect(o!.elfPath).toBe('./prog');
    expect(o!.guestArgs).toEqual(['-n', '3', '--help', '--', 'x']);
    expect(o!.verbose).toBe(true);
  });

  it('ends option parsing at --', () => {
    const o = parse(['--', '--weird-name', 'a']);
    expect(o!.elfPath).toBe('--weird-name');
    expect(o!.guestArgs).toEqual(['a']);
  });

  it('defaults: backend chosen later, rosetta allowed', () => {
    const o = parse(['./p']);
    expect(o!.backend).toBeUndefined();
    expect(o!.noRosetta).toBe(false);
  });

  it('takes --backend and --no-rosetta / ELFUSE_NO_ROSETTA', () => {
    expect(parse(['--backend', 'interp', './p'])!.backend).toBe('interp');
    expect(parse(['--no-rosetta', './p'])!.noRosetta).toBe(true);
    expect(parse(['./p'], { ELFUSE_NO_ROSETTA: '1' })!.noRosetta).toBe(true);
  });

  it('takes --gdb [HOST:]PORT (loopback by default) and the trace options', () => {
    expect(parse(['--gdb', '1234', './p'])!.gdb).toEqual({ host: '127.0.0.1', port: 1234, stopOnEntry: false });
    expect(parse(['--gdb', '0.0.0.0:1234', '--gdb-stop-on-entry', './p'])!.gdb).toEqual({ host: '0.0.0.0', port: 1234, stopOnEntry: true });
    expect(parse(['--gdb', '[::1]:99', './p'])!.gdb).toEqual({ host: '::1', port: 99, stopOnEntry: false });
    expect(parse(['--trace', 't.txt', '--trace-only', 'main', '--trace-only', '0x10-0x20', '--trace-regs', './p'])!.trace).toEqual({
      file: 't.txt',
      only: ['main', '0x10-0x20'],
      regs: true,
    });
    expect(parse(['./p'])!.gdb).toBeUndefined();
  });

  it('takes --sysroot and --create-sysroot', () => {
    expect(parse(['--sysroot', '/s', './p'])!.sysroot).toBe('/s');
    expect(parse(['--create-sysroot', '/c', './p'])!.createSysroot).toBe('/c');
    expect(parse(['./p'])!.sysroot).toBeUndefined();
  });

  it.each([
    [['--sysroot', '/s', '--create-sysroot', '/t', './p'], /mutually exclusive/],
    [['--gdb-stop-on-entry', './p'], /--gdb-stop-on-entry needs --gdb PORT/],
    [['--trace-regs', './p'], /need --trace FILE/],
    [['--gdb', 'host:', './p'], /TCP port/],
    // --timeout existed once without any effect; it is gone, not silently accepted.
    [['--timeout', '5', './p'], /unknown option/],
    [['-t', '5', './p'], /unknown option/],
    [['--gdb', '99999', './p'], /TCP port/],
    [['--backend', 'kvm', './p'], /kvm/],
    [['--frobnicate', './p'], /unknown option/],
    [[], /missing required argument/],
  ])('refuses %j with a clear message', (argv, msg) => {
    expect(() => parse(argv)).toThrow(UsageError);
    expect(() => parse(argv)).toThrow(msg);
  });

  it('handles --help and --version itself', () => {
    let out = '';
    expect(parseCli(['--version'], '9.9.9', {}, (s) => (out += s))).toBeNull();
    expect(out.trim()).toBe('9.9.9');
    out = '';
    expect(parseCli(['-h'], '9.9.9', {}, (s) => (out += s))).toBeNull();
    expect(out).toContain('Usage: elfuse [options] <elf-path> [args...]');
    expect(out).toContain('--sysroot');
  });

  it('takes 130,000 guest arguments (within Linux ARG_MAX) without overflowing the stack', () => {
    const args = Array.from({ length: 130_000 }, (_, i) => `a${i}`);
    const o = parse(['-v', './p', ...args]);
    expect(o!.elfPath).toBe('./p');
    expect(o!.guestArgs).toHaveLength(130_000);
    expect(o!.guestArgs[129_999]).toBe('a129999');
    expect(o!.verbose).toBe(true);
  });

  it('finds the ELF path after clustered and attached option values', () => {
    expect(parse(['-v', './p', '-v', '1'])).toMatchObject({ verbose: true, elfPath: './p', guestArgs: ['-v', '1'] });
    expect(parse(['--sysroot=/x', './p', '-v'])).toMatchObject({ verbose: false, sysroot: '/x', guestArgs: ['-v'] });
    expect(parse(['--backend=interp', '-v', './p'])).toMatchObject({ verbose: true, backend: 'interp', elfPath: './p', guestArgs: [] });
    expect(parse(['--sysroot', '-odd-dir', './p'])).toMatchObject({ sysroot: '-odd-dir', elfPath: './p' });
  });

  it('splits any command line exactly where commander itself does (commander on the whole argv is the reference)', () => {
    const token = fc.constantFrom('-v', '--verbose', '--sysroot=/t', '--backend=interp', '4', '--backend', 'interp', '--no-rosetta', '--sysroot', '/s', '--', '-x', './p', 'arg');
    fc.assert(
      fc.property(fc.array(token, { maxLength: 10 }), (argv) => {
        const reference = (): unknown => {
          const cmd = buildCommand('9.9.9');
          cmd.configureOutput({ writeOut: () => {}, writeErr: () => {} });
          try {
            cmd.parse([...argv], { from: 'user' });
          } catch (e) {
            if (e instanceof CommanderError) return 'error';
            throw e;
          }
          const [elfPath, guestArgs] = cmd.processedArgs as [string, string[] | undefined];
          const o = cmd.opts<{ verbose: boolean; sysroot?: string; backend?: string }>();
          return { elfPath, guestArgs: guestArgs ?? [], verbose: o.verbose, backend: o.backend, sysroot: o.sysroot };
        };
        const ours = (): unknown => {
          try {
            const o = parse(argv);
            return o && { elfPath: o.elfPath, guestArgs: o.guestArgs, verbose: o.verbose, backend: o.backend, sysroot: o.sysroot };
          } catch (e) {
            if (e instanceof UsageError) return 'error';
            throw e;
          }
        };
        expect(ours()).toEqual(reference());
      }),
      { numRuns: 3000, seed: 0x13 },
    );
  });
});
