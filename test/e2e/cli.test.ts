/**
 * The elfuse command line itself: help and version, and how it refuses what
 * it cannot run. Exit statuses follow the shell convention (127: not found,
 * 126: found but cannot be executed), and every refusal is one line on
 * stderr that names the file and the reason, never a JavaScript stack trace.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { guest, readElfuseVersion, runElfuse, type RunResult } from './helpers.js';

let dir = '';

const EI_CLASS = 4;
const ELFCLASS32 = 1;
const E_MACHINE = 18;
const EM_X86_64 = 62;
const EM_AARCH64 = 183;

/**
 * An Elf32_Ehdr (52 bytes) written field by field: ELFCLASS32, little-endian,
 * ET_EXEC, EM_AARCH64 (so only the class is wrong), padded so it is not short.
 */
function elf32Header(): Buffer {
  const h = Buffer.alloc(256);
  h.write('\x7fELF', 0, 'latin1');
  h[EI_CLASS] = ELFCLASS32;
  h[5] = 1; // EI_DATA: ELFDATA2LSB
  h[6] = 1; // EI_VERSION: EV_CURRENT
  h.writeUInt16LE(2, 16); // e_type: ET_EXEC
  h.writeUInt16LE(EM_AARCH64, E_MACHINE);
  h.writeUInt32LE(1, 20); // e_version
  h.writeUInt32LE(0x10000, 24); // e_entry
  h.writeUInt32LE(52, 28); // e_phoff
  h.writeUInt16LE(52, 40); // e_ehsize
  h.writeUInt16LE(32, 42); // e_phentsize
  h.writeUInt16LE(0, 44); // e_phnum
  return h;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'elfuse-cli-'));
  writeFileSync(join(dir, 'script.sh'), '#!/bin/sh\necho not an ELF\n');
  writeFileSync(join(dir, 'narrow.bin'), elf32Header());
  const hello = readFileSync(guest('hello-asm'));
  const x86 = Buffer.from(hello);
  x86.writeUInt16LE(EM_X86_64, E_MACHINE);
  writeFileSync(join(dir, 'patched.bin'), x86);
  // Valid magic, class and data bytes, then nothing: shorter than an Elf64_Ehdr (64 bytes).
  writeFileSync(join(dir, 'head20.bin'), hello.subarray(0, 20));
  copyFileSync(guest('hello-asm'), join(dir, 'hello-asm'));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * stderr must be exactly one line (a trailing newline allowed), not a stack
 * trace, naming the file; the reason is matched on the rest of the line.
 */
function expectOneLineError(r: RunResult, status: number, file: string, reason: RegExp): void {
  const text = r.stderr.toString('utf8');
  const lines = text.replace(/\n$/, '').split('\n');
  expect(r.status, text).toBe(status);
  expect(text).not.toContain('    at ');
  expect(lines, text).toHaveLength(1);
  const line = lines[0] ?? '';
  expect(line).toContain(file);
  expect(line.replaceAll(file, '')).toMatch(reason);
  expect(r.stdout.length).toBe(0);
}

describe('elfuse command line', () => {
  test('--help prints usage and exits 0', async () => {
    const r = await runElfuse(['--help']);
    expect(r.status).toBe(0);
    const text = r.stdout.toString();
    expect(text).toMatch(/usage/i);
    expect(text).toContain('--backend');
    expect(text).not.toContain('--timeout');
  });

  test('--version prints the package version and exits 0', async () => {
    const r = await runElfuse(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout.toString()).toContain(readElfuseVersion());
  });

  test('a missing file exits 127 naming the file', async () => {
    const path = join(dir, 'no-such-program');
    expectOneLineError(await runElfuse([path]), 127, path, /no such file|not found/i);
  });

  test('a file that is not ELF exits 126', async () => {
    expectOneLineError(await runElfuse([join(dir, 'script.sh')]), 126, join(dir, 'script.sh'), /not an ELF|magic/i);
  });

  test('a 32-bit ELF exits 126 naming the class', async () => {
    expectOneLineError(await runElfuse([join(dir, 'narrow.bin')]), 126, join(dir, 'narrow.bin'), /class|32-bit|ELF32/i);
  });

  test('an ELF for another machine exits 126 naming the machine', async () => {
    expectOneLineError(await runElfuse([join(dir, 'patched.bin')]), 126, join(dir, 'patched.bin'), /machine|architecture|x86/i);
  });

  test("the host's own /bin/true (x86-64) exits 126", async (ctx) => {
    const head = readFileSync('/bin/true').subarray(0, 20);
    const isX86Elf = head.toString('latin1', 0, 4) === '\x7fELF' && head.readUInt16LE(E_MACHINE) === EM_X86_64;
    // On an arm64 or macOS host /bin/true is runnable or not ELF; the patched header above covers the case.
    if (!isX86Elf) ctx.skip('/bin/true is not an x86-64 ELF on this host');
    expectOneLineError(await runElfuse(['/bin/true']), 126, '/bin/true', /machine|architecture|x86/i);
  });

  test('a truncated ELF header exits 126', async () => {
    expectOneLineError(await runElfuse([join(dir, 'head20.bin')]), 126, join(dir, 'head20.bin'), /truncat|short|too small/i);
  });

  test('a valid guest in the same directory still runs (control)', async () => {
    const r = await runElfuse([join(dir, 'hello-asm')]);
    expect(r.stderr.toString()).toBe('');
    expect(r.stdout.toString()).toBe('Hello from aarch64 assembly\n');
    expect(r.status).toBe(0);
  });
});
