/**
 * Property: VmaTree answers every query as a plain sorted array of the same
 * ranges does (found by linear scans), after any sequence of insertions,
 * removals and replacements of disjoint ranges; and its top-down gap search
 * finds the same gap as a scan from the top.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VmaTree, type Range } from '../../src/domain/memory/vma-tree.js';

const SLOTS = 64;

type Op = { k: 'insert'; at: number; len: number } | { k: 'remove'; pick: number } | { k: 'replace'; pick: number; end: number; same: boolean };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ k: fc.constant('insert' as const), at: fc.nat({ max: SLOTS - 1 }), len: fc.integer({ min: 1, max: 6 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('remove' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('replace' as const), pick: fc.nat(), end: fc.integer({ min: 1, max: 6 }), same: fc.boolean() }) },
);

/** The reference gap search: the highest gap >= len between neighbours (a, b) with b.start <= bound. */
function scanGap(sorted: Range[], len: number, bound: number): number {
  for (let i = sorted.length - 1; i > 0; i--) {
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    if (b.start <= bound && b.start - a.end >= len) return b.start - len;
  }
  return -1;
}

describe('VmaTree against a sorted array', () => {
  it('agrees on find, neighbours, ranges, overlaps and gaps', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 80 }), fc.array(fc.nat({ max: SLOTS + 2 }), { minLength: 6, maxLength: 6 }), (ops, probes) => {
        const tree = new VmaTree<Range>();
        let model: Range[] = [];
        const free = (s: number, e: number, except?: Range): boolean => model.every((r) => r === except || r.end <= s || r.start >= e);
        for (const o of ops) {
          if (o.k === 'insert') {
            const r = { start: o.at, end: o.at + o.len };
            if (!free(r.start, r.end)) continue;
            tree.insert(r);
            model.push(r);
          } else if (model.length > 0) {
            const victim = model[o.pick % model.length]!;
            if (o.k === 'remove') {
              tree.remove(victim);
              model = model.filter((r) => r !== victim);
            } else {
              const start = o.same ? victim.start : victim.start + 1;
              const r = { start, end: Math.max(start + 1, victim.start + o.end) };
              if (!free(r.start, r.end, victim)) continue;
              tree.replace(victim, r);
              model = model.map((x) => (x === victim ? r : x));
            }
          }
          model.sort((a, b) => a.start - b.start);
          expect(tree.size).toBe(model.length);
        }
        expect(tree.toArray()).toEqual(model);
        expect(tree.first()).toEqual(model[0]);
        for (const p of probes) {
          expect(tree.find(p)).toEqual(model.find((r) => r.start <= p && p < r.end));
          expect(tree.firstEndingAfter(p)).toEqual(model.find((r) => r.end > p));
          expect(tree.lastStartingBefore(p)).toEqual(model.filter((r) => r.start < p).pop());
          const q = p + (probes[0]! % 9);
          expect(tree.range(p, q)).toEqual(model.filter((r) => r.start < q && p < r.end));
          expect(tree.overlaps(p, q)).toBe(model.some((r) => r.start < q && p < r.end));
          for (const len of [1, 2, 3, 5]) expect(tree.highestGapBelow(len, p)).toBe(scanGap(model, len, p));
        }
      }),
      { numRuns: 1500, seed: 0x7ee },
    );
  });

  it('stays balanced: 100,000 ranges inserted in order and queried in O(log n)', () => {
    const tree = new VmaTree<Range>();
    for (let i = 0; i < 100_000; i++) tree.insert({ start: i * 2, end: i * 2 + 1 });
    // An unbalanced (list-shaped) tree would overflow the stack in the recursive removal below.
    for (let i = 0; i < 100_000; i += 2) tree.remove({ start: i * 2, end: i * 2 + 1 });
    expect(tree.size).toBe(50_000);
    expect(tree.find(2)).toEqual({ start: 2, end: 3 });
    expect(tree.find(3)).toBeUndefined();
    // What is left: [2, 3), [6, 7), ... [199998, 199999), with gaps of 3 between them.
    expect(tree.highestGapBelow(3, Number.MAX_SAFE_INTEGER)).toBe(199_998 - 3);
    expect(tree.highestGapBelow(3, 10)).toBe(10 - 3);
    expect(tree.highestGapBelow(4, Number.MAX_SAFE_INTEGER)).toBe(-1);
  });
});
