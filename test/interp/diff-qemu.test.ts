/**
 * Differential test of the whole interpreter CPU against qemu-aarch64
 * (`-cpu max`): random valid encodings of every comparable A64 table entry,
 * from random register, flag, FP-control and memory state, packed many to a
 * static guest program that both run; X0-X30, SP, V0-V31, NZCV, FPCR, FPSR
 * and the touched memory must agree bit for bit (test/support/diff/).
 *
 *   ELFUSE_DIFF_CASES=50000   cases spread over all classes (.ci/run; default 3000)
 *   ELFUSE_DIFF_SEED=n        the fixed seed (default 20261122)
 *   ELFUSE_DIFF_CLASSES=a,b   only these classes
 *   ELFUSE_DIFF_CASE=cls:entry:index   rerun one case, as printed for a failure
 *   ELFUSE_DIFF_UNDER_TEST=qemu   run qemu in place of elfuse: checks the harness itself
 *
 * It runs bin/elfuse.js, so it needs `npm run build` (npm test does it).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { classes, REFERENCE_BUGS, SKIPPED, HINT_SKIPPED, SYS_SKIPPED, SYSREG_SKIPPED } from '../support/diff/classes.js';
import { defaultRunners } from '../support/diff/program.js';
import { describeCounts, describeFailures, runDiff, type DiffOptions, type DiffReport } from '../support/diff/run.js';
import { referenceTools } from '../support/toolchain.js';
import { ROOT } from '../e2e/helpers.js';

const CLI = join(ROOT, 'bin/elfuse.js');
const refs = referenceTools('qemu-aarch64', 'aarch64-linux-gnu-as', 'aarch64-linux-gnu-ld');

function options(): DiffOptions {
  const seed = Number(process.env.ELFUSE_DIFF_SEED ?? 20261122);
  const one = process.env.ELFUSE_DIFF_CASE?.split(':');
  return {
    total: Number(process.env.ELFUSE_DIFF_CASES ?? 3000),
    seed,
    batch: Number(process.env.ELFUSE_DIFF_BATCH ?? 1500),
    only: process.env.ELFUSE_DIFF_CLASSES?.split(','),
    one: one ? { cls: one[0], entry: one[1]!, index: Number(one[2]) } : undefined,
  };
}

const opts = options();
const specs = classes().filter((s) => (opts.one ? s.name === opts.one.cls : !opts.only || opts.only.includes(s.name)));

// qemu-aarch64 and binutils are the reference: without them the test fails, unless ELFUSE_ALLOW_MISSING_REFS=1.
describe.skipIf(refs.skip)('the interpreter CPU matches qemu-aarch64 bit for bit', () => {
  let report: DiffReport | undefined;

  // One run for all classes (every guest program mixes them); each class is then its own test.
  beforeAll(() => {
    refs.check();
    if (!existsSync(join(ROOT, 'dist/app/cli.js'))) throw new Error('dist/app/cli.js missing: run npm run build (npm test does)');
    const t0 = Date.now();
    report = runDiff(opts, defaultRunners(CLI, process.env.ELFUSE_DIFF_UNDER_TEST === 'qemu'));
    const secs = ((Date.now() - t0) / 1000).toFixed(1);
    const skipped = [...Object.entries(SKIPPED).map(([n, why]) => `${n}: ${why}`), `HINT (some): ${HINT_SKIPPED}`,
      `MRS/MSR (other registers): ${SYSREG_SKIPPED}`, `SYS (some): ${SYS_SKIPPED}`,
      ...Object.entries(REFERENCE_BUGS).map(([n, b]) => `${n} (qemu's output put right): ${b.why}`)];
    console.log(`diff-qemu: seed ${opts.seed}, ${report.total} cases in ${secs} s, ${report.failed.length} differ\n${describeCounts(report)}\nnot compared:\n  ${skipped.join('\n  ')}`);
    if (report.failed.length) console.log(`first differences:\n${describeFailures(report.failed, Number(process.env.ELFUSE_DIFF_SHOW ?? 25), opts.seed)}`);
  }, 3_600_000);

  for (const spec of specs) {
    it(`${spec.name} (${spec.entries.length} entries)`, () => {
      const count = report!.counts.find((c) => c.cls === spec.name)!;
      expect(count.cases).toBeGreaterThan(0);
      const failed = report!.failed.filter((f) => f.c.cls === spec.name);
      expect(failed.length, failed.length ? describeFailures(failed, 3, opts.seed) : '').toBe(0);
    });
  }
});
