/**
 * The crypto and integer extensions end to end: guests/src/crypto-ext.c
 * checks AT_HWCAP/AT_HWCAP2, then runs AES-128, SHA-1, SHA-256 (published
 * test vectors) and SHA512/SHA3/PMULL/DotProd/RDM/FlagM mixes with the ARM
 * intrinsics. stdout and exit status must equal qemu-aarch64's.
 */
import { describe, expect, test } from 'vitest';
import { GUESTS_REF, QEMU_REF, expectSameRun, guest, requireReferences, runBoth } from './helpers.js';

describe('crypto-ext: elfuse vs qemu-aarch64', () => {
  test('HWCAP-gated AES/SHA/PMULL/DotProd/RDM/FlagM code', async (ctx) => {
    requireReferences(ctx, [QEMU_REF, GUESTS_REF]);
    const { elfuse, qemu } = await runBoth([guest('crypto-ext')]);
    expectSameRun(elfuse, qemu);
    const out = elfuse.stdout.toString('latin1');
    expect(out).toContain('hwcap all, hwcap2 flagm2 yes');
    expect(out).toContain('aes128-enc 69c4e0d86a7b0430d8cdb78070b4c55a'); // FIPS-197 C.1
    expect(out).toContain('sha256(abc) ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  }, 60_000);
});
