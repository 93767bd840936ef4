/**
 * Shared helpers for the tests that use the AArch64 cross toolchain or qemu
 * as the reference: the "is it installed" probe behind their skip
 * conditions, the xorshift32 generator behind their reproducible random
 * samples, and the `.inst` -> aarch64-linux-gnu-as -> objdump round trip
 * that gives objdump's text for a list of instruction words.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The Debian package that provides each reference tool (what .ci/run installs). */
const PACKAGE_OF: Readonly<Record<string, string>> = {
  'aarch64-linux-gnu-gcc': 'gcc-aarch64-linux-gnu',
  'aarch64-linux-gnu-as': 'binutils-aarch64-linux-gnu',
  'aarch64-linux-gnu-ld': 'binutils-aarch64-linux-gnu',
  'aarch64-linux-gnu-objdump': 'binutils-aarch64-linux-gnu',
  'aarch64-linux-gnu-objcopy': 'binutils-aarch64-linux-gnu',
  'qemu-aarch64': 'qemu-user',
  gcc: 'gcc',
  cc: 'gcc',
};

/**
 * The reference tools a test compares with. When one is missing the test
 * fails, saying what to install, unless ELFUSE_ALLOW_MISSING_REFS=1, which
 * turns that into a skip: `it.skipIf(ref.skip)(name, () => { ref.check(); ... })`.
 */
export interface ReferenceTools {
  /** What is missing, as one message, or undefined. */
  readonly missing: string | undefined;
  /** True only when something is missing and ELFUSE_ALLOW_MISSING_REFS=1 allows that. */
  readonly skip: boolean;
  /** Throws the missing message (call at the start of the test body). */
  check(): void;
}

export function referenceTools(...commands: string[]): ReferenceTools {
  const absent = commands.filter((c) => !hasTools(c));
  const missing = absent.length
    ? `reference tools missing: ${absent.join(', ')}: apt-get install ${[...new Set(absent.map((c) => PACKAGE_OF[c] ?? c))].join(' ')} (bash .ci/run installs everything)`
    : undefined;
  return {
    missing,
    skip: missing !== undefined && process.env.ELFUSE_ALLOW_MISSING_REFS === '1',
    check(): void {
      if (missing !== undefined) throw new Error(missing);
    },
  };
}

/** True when every command runs `<cmd> --version` successfully (stops at the first that does not). */
export function hasTools(...commands: string[]): boolean {
  return commands.every((cmd) => {
    try {
      execFileSync(cmd, ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  });
}

/** xorshift32: a fixed, reproducible sequence of 32-bit unsigned values (seed 0 acts as 1). */
export function xorshift32(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

export interface ObjdumpOptions {
  /**
   * Disassemble a raw binary at VMA 0 (objcopy -O binary, then
   * `objdump -b binary -m aarch64 -D`) instead of the object file. The texts
   * differ only in PC-relative operands: the object file prints a branch
   * target as `10 <.text+0x10>` (normalised to `10`), the raw binary as the
   * bare address `0x10`.
   */
  readonly raw?: boolean;
}

/**
 * objdump's instruction text for each word, in order: the words are
 * assembled with `.inst` by aarch64-linux-gnu-as and disassembled by
 * aarch64-linux-gnu-objdump; objdump's `// ...` comments and trailing
 * ` <symbol>` suffixes are dropped. Words objdump cannot decode come back
 * exactly as it prints them (`.inst\t0x... ; undefined`, `udf\t#...`), so each
 * caller decides what to do with them. One entry per disassembly line, so the
 * caller should check the length against `words.length`.
 */
export function objdumpWords(words: readonly number[], options: ObjdumpOptions = {}): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'elfuse-objdump-'));
  try {
    const src = join(dir, 'w.s');
    const obj = join(dir, 'w.o');
    writeFileSync(src, words.map((w) => `.inst 0x${w.toString(16).padStart(8, '0')}\n`).join(''));
    execFileSync('aarch64-linux-gnu-as', [src, '-o', obj]);
    let args = ['-d', obj];
    if (options.raw) {
      const bin = join(dir, 'w.bin');
      execFileSync('aarch64-linux-gnu-objcopy', ['-O', 'binary', obj, bin]);
      args = ['-b', 'binary', '-m', 'aarch64', '-D', bin];
    }
    const out = execFileSync('aarch64-linux-gnu-objdump', args, { encoding: 'utf8', maxBuffer: 64 << 20 });
    const texts: string[] = [];
    for (const line of out.split('\n')) {
      const m = /^\s*[0-9a-f]+:\t[0-9a-f]{8} \t(.*)$/.exec(line);
      if (!m) continue;
      texts.push(m[1]!.replace(/\s*\/\/.*$/, '').replace(/ <[^>]*>$/, '').trimEnd());
    }
    return texts;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
