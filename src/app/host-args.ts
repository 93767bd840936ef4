/**
 * The guest's argv and environment exactly as the host passed them to this
 * process: raw bytes in their original order. Node decodes argv as UTF-8 and
 * enumerates process.env in its own order, so where the host offers
 * /proc/self/cmdline and /proc/self/environ (Linux), those are used.
 */
import { readFileSync } from 'node:fs';

function nulSplit(buf: Buffer): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] !== 0) continue;
    out.push(new Uint8Array(buf.subarray(start, i)));
    start = i + 1;
  }
  if (start < buf.length) out.push(new Uint8Array(buf.subarray(start)));
  return out;
}

function readProc(name: string): Uint8Array[] | null {
  try {
    return nulSplit(readFileSync(`/proc/self/${name}`));
  } catch {
    return null;
  }
}

/**
 * The last `strings.length` command-line arguments as bytes, if the host's
 * raw command line ends with arguments that decode to exactly `strings`.
 */
export function rawArgs(strings: readonly string[]): (string | Uint8Array)[] {
  const all = readProc('cmdline');
  if (!all || all.length < strings.length) return [...strings];
  const tail = all.slice(all.length - strings.length);
  const dec = new TextDecoder();
  const same = tail.every((b, i) => dec.decode(b) === strings[i]);
  return same ? tail : [...strings];
}

/** Set by the elfuse command (native/launch.c): the standard streams that were closed when elfuse started (see launch.c). */
export const CLOSED_STDIO_VAR = 'ELFUSE_CLOSED_STDIO';

/** The standard streams (0, 1, 2) the launcher found closed. */
export function closedStdio(env: NodeJS.ProcessEnv = process.env): number[] {
  const v = env[CLOSED_STDIO_VAR] ?? '';
  return v
    .split(',')
    .map(Number)
    .filter((fd) => v !== '' && (fd === 0 || fd === 1 || fd === 2));
}

/**
 * The environment in the host's order, as raw "NAME=value" bytes where
 * possible, without the launcher's own note to elfuse.
 */
export function rawEnviron(): (string | Uint8Array)[] {
  const prefix = `${CLOSED_STDIO_VAR}=`;
  const env = readProc('environ');
  if (env) return env.filter((kv) => !Buffer.from(kv.subarray(0, prefix.length)).equals(Buffer.from(prefix)));
  return Object.entries(process.env)
    .filter((kv): kv is [string, string] => kv[1] !== undefined && kv[0] !== CLOSED_STDIO_VAR)
    .map(([k, v]) => `${k}=${v}`);
}
