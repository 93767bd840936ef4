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

/** The environment in the host's order, as raw "NAME=value" bytes where possible. */
export function rawEnviron(): (string | Uint8Array)[] {
  const env = readProc('environ');
  if (env) return env;
  return Object.entries(process.env)
    .filter((kv): kv is [string, string] => kv[1] !== undefined)
    .map(([k, v]) => `${k}=${v}`);
}
