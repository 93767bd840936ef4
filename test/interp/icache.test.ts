/**
 * Decoded code and instruction-cache maintenance: blocks are cached per
 * physical page, and IC IVAU drops the blocks of the page its address
 * translates to, not the whole cache. Code patched without maintenance may
 * keep running stale (as the architecture allows an I-cache to); code
 * patched and then invalidated with IC IVAU and an ISB runs new.
 */
import { describe, expect, it } from 'vitest';
import { encode } from '../../src/domain/a64/assembler.js';
import { CODE, runWords, type Machine } from './harness.js';

const movz = (rd: number, imm: number): number => encode('MOVZ', { sf: 1, hw: 0, imm16: imm, rd });
const RET = encode('RET', { rn: 30 });
const bl = (from: number, to: number): number => encode('BL', { imm26: (to - from) / 4 });
const mov = (rd: number, rm: number): number => encode('ORR_shift', { sf: 1, shift: 0, rm, imm6: 0, rn: 31, rd });
const str32 = (rt: number, rn: number): number => encode('STR_uimm', { size: 2, imm12: 0, rn, rt });
const IC_IVAU = (rt: number): number => encode('SYS', { op1: 3, crn: 7, crm: 5, op2: 1, rt });
const ISB = encode('ISB', {});

const PAGE_B = CODE + 0x1000;
const PAGE_C = CODE + 0x2000;

function program(jit: number): Machine {
  const main = [
    bl(CODE + 0, PAGE_B), mov(19, 0), // fB: 1
    str32(22, 21), // patch fB, no maintenance
    bl(CODE + 12, PAGE_B), mov(25, 0), // still the decoded fB
    str32(24, 23), IC_IVAU(23), ISB, // patch fC, invalidate its page
    bl(CODE + 32, PAGE_C), mov(26, 0), // the new fC
    bl(CODE + 40, PAGE_B), mov(27, 0), // page B was not invalidated
  ];
  const words = [...main];
  while (words.length < 0x1000 / 4) words.push(encode('HVC', { imm16: 0 }));
  words.push(movz(0, 1), RET);
  while (words.length < 0x2000 / 4) words.push(0);
  words.push(movz(0, 10), RET);
  return runWords(words, (m) => {
    m.cpu.jitThreshold = jit;
    m.cpu.setX(21, BigInt(PAGE_B));
    m.cpu.setX(22, BigInt(movz(0, 2)));
    m.cpu.setX(23, BigInt(PAGE_C));
    m.cpu.setX(24, BigInt(movz(0, 20)));
  });
}

describe('I-cache maintenance by page', () => {
  for (const jit of [Infinity, 0]) {
    it(`IC IVAU invalidates the decoded code of its page only (${jit === 0 ? 'translated' : 'closures'})`, () => {
      const m = program(jit);
      expect([19, 25, 26, 27].map((r) => m.cpu.getX(r))).toEqual([1n, 1n, 20n, 1n]);
    });
  }
});
