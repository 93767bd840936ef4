/**
 * FlagM/FlagM2 and the Advanced SIMD integer extensions (dot product, RDM,
 * SQDMULH family and the rest of table/simd-int.ts) against qemu-aarch64
 * -cpu max with random inputs, and their disassembly against objdump.
 */
import { describe, expect, it } from 'vitest';
import { flagmDefs } from '../../src/domain/a64/table/flagm.js';
import { simdIntDefs } from '../../src/domain/a64/table/simd-int.js';
import { referenceTools } from '../support/toolchain.js';
import { diffAgainstQemu, diffDisasm } from './qemu-vector.js';

const scale = Number(process.env.ELFUSE_DIFF_SCALE ?? 1);
const reference = referenceTools('qemu-aarch64', 'aarch64-linux-gnu-as');

describe.each([
  ['FlagM', flagmDefs],
  ['Advanced SIMD integer', simdIntDefs],
])('%s', (_, defs) => {
  it.skipIf(reference.skip)('matches qemu-aarch64 -cpu max', () => {
    reference.check();
    const { bad, counts } = diffAgainstQemu(defs, 40 * scale, 0x1e7 + scale, 3);
    if (process.env.ELFUSE_DIFF_COUNTS) console.log(JSON.stringify(counts));
    for (const def of defs) expect(counts[def.name], def.name).toBeGreaterThan(0);
    expect(bad.slice(0, 20)).toEqual([]);
  }, 300_000);

  it.skipIf(reference.skip)('disassembles as objdump does', () => {
    reference.check();
    const { bad, counts } = diffDisasm(defs, 100, 0xd15);
    if (process.env.ELFUSE_DIFF_COUNTS) console.log(JSON.stringify(counts));
    for (const def of defs) expect(counts[def.name], def.name).toBeGreaterThan(0);
    expect(bad.slice(0, 20)).toEqual([]);
  });
});
