/**
 * The crypto extensions (AES, PMULL, SHA1, SHA256, SHA512, SHA3) against
 * qemu-aarch64 -cpu max with random inputs, and their disassembly against
 * objdump. ELFUSE_DIFF_SCALE multiplies the case counts.
 */
import { describe, expect, it } from 'vitest';
import { cryptoDefs } from '../../src/domain/a64/table/crypto.js';
import { referenceTools } from '../support/toolchain.js';
import { diffAgainstQemu, diffDisasm } from './qemu-vector.js';

const scale = Number(process.env.ELFUSE_DIFF_SCALE ?? 1);
const reference = referenceTools('qemu-aarch64', 'aarch64-linux-gnu-as');

describe('crypto extensions', () => {
  it.skipIf(reference.skip)('match qemu-aarch64 -cpu max', () => {
    reference.check();
    const { bad, counts } = diffAgainstQemu(cryptoDefs, 50 * scale, 0xae5 + scale, 4);
    if (process.env.ELFUSE_DIFF_COUNTS) console.log(JSON.stringify(counts));
    for (const def of cryptoDefs) expect(counts[def.name], def.name).toBeGreaterThan(0);
    expect(bad.slice(0, 20)).toEqual([]);
  }, 120_000);

  it.skipIf(reference.skip)('disassemble as objdump does', () => {
    reference.check();
    const { bad, counts } = diffDisasm(cryptoDefs, 200, 0xd15);
    if (process.env.ELFUSE_DIFF_COUNTS) console.log(JSON.stringify(counts));
    for (const def of cryptoDefs) expect(counts[def.name], def.name).toBeGreaterThan(0);
    expect(bad.slice(0, 20)).toEqual([]);
  });
});
