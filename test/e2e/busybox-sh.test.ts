/**
 * busybox sh under elfuse against qemu-aarch64, byte for byte: every case of
 * sh-cases.ts (pipelines, command substitution, subshells, PATH lookup,
 * redirections and here-documents, background jobs and wait, trap, kill,
 * xargs, find -exec, timeout, #! scripts, exit status through pipes) runs as
 * `busybox sh -c ...` (or `busybox sh FILE`) in the same working directory
 * path, with PATH a directory of busybox applet links, first under qemu-
 * aarch64 with its binfmt entry (scripts/qemu-binfmt.sh, so the shell's
 * execs work), then under elfuse. stdout and the exit status must be the
 * same, and stderr where the case says it is deterministic.
 *
 * The qemu run must also give the case's hand-written output (as checked on
 * its own by sh-reference.test.ts): a reference that broke (no binfmt entry,
 * every exec ENOEXEC) would otherwise let a broken elfuse match it.
 *
 * Where qemu-user is a weak reference (signals between processes, job
 * status), the expectations were checked natively too with Debian's amd64
 * busybox of the same version (see sh-reference.test.ts); these runs rely on
 * qemu alone.
 *
 * Every elfuse run is under the binfmt tripwire: elfuse implements execve
 * itself, so a host exec of an aarch64 file from its process tree is a bug,
 * which fails that exec and leaves a line in the guard log; the log must
 * stay empty.
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, test } from 'vitest';
import { BUSYBOX_REF, expectSameRun, requireQemuExec, requireReferences } from './helpers.js';
import { SH_CASES } from './sh-cases.js';
import { expand, makeShRoot, removeShRoot, runShCase, type ShRoot } from './sh-harness.js';

let r: ShRoot | undefined;
afterAll(() => removeShRoot(r));

describe('busybox sh scripts: elfuse against qemu-aarch64', () => {
  for (const c of SH_CASES) {
    test(c.name, async (ctx) => {
      requireReferences(ctx, [BUSYBOX_REF]);
      requireQemuExec(ctx);
      r ??= makeShRoot();
      const qemu = await runShCase('qemu', c, r);
      expect(qemu.stdout.toString('latin1'), `the reference itself is off; stderr:\n${qemu.stderr.toString()}`).toBe(expand(c.stdout, r));
      expect(qemu.status, 'the reference itself is off').toBe(c.status);

      const elfuse = await runShCase('elfuse', c, r, 120_000);
      expectSameRun(elfuse, qemu, { stderr: c.stderr !== undefined });
      const tripped = existsSync(r.guardLog) ? readFileSync(r.guardLog, 'utf8') : '';
      expect(tripped, 'elfuse asked the host kernel to exec an aarch64 file').toBe('');
    }, 300_000);
  }
});
