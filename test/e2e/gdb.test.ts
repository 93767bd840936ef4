/**
 * The GDB stub end to end: gdb-multiarch in batch mode drives the same
 * session against elfuse (--gdb PORT --gdb-stop-on-entry) and against
 * qemu-aarch64 -g PORT, and the two transcripts must match after the
 * addresses the two loaders choose differently are masked (gdb-harness.ts).
 * Where qemu 7.2's stub is weaker (no hardware watchpoints, no
 * qXfer:siginfo, Ctrl-C ignored while the guest computes) the expected
 * values come from the guest program's source (guests/src/gdb-target.c).
 */
import { describe, expect, test, type TestContext } from 'vitest';
import { GDB_REF, gdbSession, type GdbRun } from './gdb-harness.js';
import { GUESTS_REF, QEMU_REF, guest, requireReferences } from './helpers.js';

const TARGET = guest('gdb-target');
const TARGET_PIE = guest('gdb-target-pie');

async function both(ctx: TestContext, args: string[], commands: string[], file?: string): Promise<{ elfuse: GdbRun; qemu: GdbRun }> {
  requireReferences(ctx, [GDB_REF, QEMU_REF, GUESTS_REF]);
  const [elfuse, qemu] = await Promise.all([
    gdbSession('elfuse', args, commands, file ? { file } : {}),
    gdbSession('qemu', args, commands, file ? { file } : {}),
  ]);
  return { elfuse, qemu };
}

function expectSameTranscript(elfuse: GdbRun, qemu: GdbRun): void {
  const why = `elfuse gdb stderr:\n${elfuse.gdb.stderr}\nelfuse stderr:\n${elfuse.guest.stderr}`;
  expect(elfuse.gdb.stdout, why).toBe(qemu.gdb.stdout);
  expect(elfuse.gdb.stderr).toBe(qemu.gdb.stderr);
}

describe('gdb-multiarch against elfuse and qemu-aarch64 -g', () => {
  test('static program: break, bt, finish, step, registers incl. SIMD, x/8gx $sp, set var, software watch, exit status', async (ctx) => {
    const { elfuse, qemu } = await both(
      ctx,
      [TARGET],
      [
        'break add_to_counter',
        'continue',
        'info registers x0 x1 pc',
        'bt',
        'p n',
        'finish',
        'x/8gx $sp',
        'next',
        'step',
        'stepi',
        'info registers pc',
        'delete',
        'set can-use-hw-watchpoints 0',
        'watch counter',
        'continue',
        'continue',
        'delete',
        'break simd_work',
        'continue',
        'next',
        'next',
        // qemu -cpu max has SVE, so GDB builds v0 from z0 there: print what both describe alike.
        'info registers d0 s0',
        'p $v0.d.f[0]',
        'p/x $v0.b.u',
        'p $d0',
        'p/x $fpcr',
        'set var counter = 40',
        'p counter',
        'set var $x0 = 7',
        'p $x0',
        'x/4xw &counter',
        'continue',
      ],
      TARGET,
    );
    expectSameTranscript(elfuse, qemu);
    const out = elfuse.gdb.stdout;
    // Values the program's source fixes: n is 1, 2, 3; counter goes 1, 3, 6; simd_work(2.0) = 2.0 * 1.5 = 3.0.
    expect(out).toContain('Breakpoint 1, add_to_counter (n=1) at');
    expect(out).toContain('Value returned is $2 = 1');
    expect(out).toContain('Old value = 3\nNew value = 6\n');
    expect(out).toContain('$3 = 3.25\n');
    expect(out).toMatch(/^d0 +\{f = 0x400a000000000000, .*\} \{f = 3.25, /m);
    expect(out).toContain('$7 = 40\n$8 = 7\n');
    expect(out).toContain('<counter>:\t0x00000028\t');
    expect(out).toContain('[Inferior 1 (process N) exited with code 050]');
    expect(elfuse.guest.status).toBe(40);
    expect(elfuse.guest.stdout).toBe(qemu.guest.stdout);
  });

  test('static-PIE program: break at a function, step, locals', async (ctx) => {
    const { elfuse, qemu } = await both(ctx, [TARGET_PIE], ['break fill', 'continue', 'next', 'next', 'next', 'p i', 'p a[0]', 'finish', 'continue'], TARGET_PIE);
    expectSameTranscript(elfuse, qemu);
    expect(elfuse.gdb.stdout).toContain('Breakpoint 1, fill (a=');
    expect(elfuse.gdb.stdout).toContain('$2 = 1229782938247303441\n'); // 0x1111111111111111
    expect(elfuse.gdb.stdout).toContain('exited with code 06]');
  });

  test('SIGSEGV stops with the fault, and continuing lets it kill the program', async (ctx) => {
    const { elfuse, qemu } = await both(ctx, [TARGET, 'segv'], ['continue', 'info registers pc', 'continue'], TARGET);
    expectSameTranscript(elfuse, qemu);
    expect(elfuse.gdb.stdout).toContain('Program received signal SIGSEGV, Segmentation fault.');
    expect(elfuse.gdb.stdout).toContain('Program terminated with signal SIGSEGV, Segmentation fault.');
    expect(elfuse.guest.status).toBe(139);
  });

  test('a signal is reported first and delivered when GDB continues (SIGUSR1 reaches its handler)', async (ctx) => {
    const { elfuse, qemu } = await both(ctx, [TARGET, 'usr1'], ['continue', 'continue'], TARGET);
    expectSameTranscript(elfuse, qemu);
    expect(elfuse.gdb.stdout).toContain('Program received signal SIGUSR1');
    expect(elfuse.guest.stdout).toBe('got_usr1=10\n');
    expect(elfuse.guest.stdout).toBe(qemu.guest.stdout);
  });

  test('a signal GDB swallows (signal 0) is not delivered', async (ctx) => {
    const { elfuse, qemu } = await both(ctx, [TARGET, 'usr1'], ['continue', 'signal 0'], TARGET);
    expectSameTranscript(elfuse, qemu);
    expect(elfuse.guest.stdout).toBe('got_usr1=0\n');
    expect(elfuse.guest.stdout).toBe(qemu.guest.stdout);
  });

  test('hbreak (a hardware breakpoint) stops like a software one', async (ctx) => {
    const { elfuse, qemu } = await both(ctx, [TARGET], ['hbreak simd_work', 'continue', 'p x', 'continue'], TARGET);
    expectSameTranscript(elfuse, qemu);
    expect(elfuse.gdb.stdout).toContain('$1 = 2\n');
  });

  test('detach lets the program run on to its own end', async (ctx) => {
    const { elfuse, qemu } = await both(ctx, [TARGET], ['break add_to_counter', 'continue', 'detach'], TARGET);
    expectSameTranscript(elfuse, qemu);
    expect(elfuse.guest.stdout).toBe('counter=6 sum=6666666666666664 d=3.25\n');
    expect(elfuse.guest.status).toBe(6);
    expect(qemu.guest.status).toBe(6);
  });
});

describe('gdb-multiarch against elfuse where qemu-aarch64 7.2 has no support', () => {
  test('without a file GDB finds the program through qXfer:exec-file and vFile, and relocates the PIE from auxv', async (ctx) => {
    requireReferences(ctx, [GDB_REF, GUESTS_REF]);
    const r = await gdbSession('elfuse', [TARGET_PIE], ['break add_to_counter', 'continue', 'p n', 'info registers v0', 'delete', 'continue']);
    expect(r.gdb.stdout, r.gdb.stderr).toContain(`Reading symbols from target:${TARGET_PIE}...`);
    expect(r.gdb.stdout).toContain('Breakpoint 1, add_to_counter (n=1) at ');
    expect(r.gdb.stdout).toContain('$1 = 1\n');
    // v0 as the fpu feature describes it (simd_work has not run yet: its value is whatever fill() left).
    expect(r.gdb.stdout).toMatch(/^v0 +\{d = \{f = \{0x[0-9a-f]+, 0x[0-9a-f]+\}, u = .*\}\}\}/m);
    expect(r.gdb.stdout).toMatch(/exited with code 06\]/);
  });

  test('hardware watchpoints (Z2) report old and new values as software ones do', async (ctx) => {
    requireReferences(ctx, [GDB_REF, QEMU_REF, GUESTS_REF]);
    const cmds = ['break main', 'continue', 'watch counter', 'continue', 'continue', 'continue', 'continue'];
    const [hw, sw] = await Promise.all([
      gdbSession('elfuse', [TARGET], cmds, { file: TARGET }),
      gdbSession('qemu', [TARGET], ['set can-use-hw-watchpoints 0', ...cmds], { file: TARGET }),
    ]);
    expect(hw.gdb.stdout).toContain('Hardware watchpoint 2: counter');
    expect(hw.gdb.stdout.replaceAll('Hardware watchpoint', 'Watchpoint')).toBe(sw.gdb.stdout);
    expect(hw.gdb.stdout).toContain('Old value = 1\nNew value = 3\n');
  });

  test('read and access watchpoints (Z3, Z4)', async (ctx) => {
    requireReferences(ctx, [GDB_REF, GUESTS_REF]);
    const r = await gdbSession('elfuse', [TARGET], ['break main', 'continue', 'rwatch scale', 'awatch counter', 'continue', 'continue', 'kill'], { file: TARGET });
    const out = r.gdb.stdout;
    // add_to_counter(1) reads counter (0) first; simd_work reads scale (1.5).
    expect(out, r.gdb.stderr).toContain('Hardware access (read/write) watchpoint 3: counter\n\nValue = 0\n');
    expect(out).toContain('Hardware access (read/write) watchpoint 3: counter\n\nOld value = 0\nNew value = 1\n');
  });

  test('SIGSEGV carries its siginfo: signal 11, SEGV_MAPERR, si_addr 0x1234 (the address the program stores to)', async (ctx) => {
    requireReferences(ctx, [GDB_REF, GUESTS_REF]);
    const r = await gdbSession('elfuse', [TARGET, 'segv'], ['continue', 'p $_siginfo.si_signo', 'p $_siginfo.si_code', 'p $_siginfo._sifields._sigfault.si_addr', 'kill'], { file: TARGET });
    expect(r.gdb.stdout, r.gdb.stderr).toContain('$1 = 11\n$2 = 1\n$3 = (void *) 0x1234\n');
  });

  test('without --gdb-stop-on-entry the program runs, and a debugger attaches where it is and detaches', async (ctx) => {
    requireReferences(ctx, [GDB_REF, GUESTS_REF]);
    const r = await gdbSession('elfuse', [TARGET, 'spin'], ['bt 1', 'p counter > 0', 'break 44', 'continue', 'delete', 'detach'], {
      file: TARGET,
      attachAfterMs: 2000,
      timeoutMs: 8000,
    });
    expect(r.gdb.stdout, r.gdb.stderr).toMatch(/^#0 {2}spin \(\) at /m);
    expect(r.gdb.stdout).toContain('$1 = 1\n');
    expect(r.gdb.stdout).toContain('Breakpoint 1, spin () at ');
    expect(r.gdb.stdout).toContain('[Inferior 1 (process N) detached]');
    // Detached, the program spins on until the harness kills it.
    expect(r.guest.status).toBe(137);
  });

  test('Ctrl-C stops a guest that loops without system calls', async (ctx) => {
    requireReferences(ctx, [GDB_REF, GUESTS_REF]);
    // The loop has long been translated to JavaScript when the breakpoint goes in: the code cache must drop it.
    const r = await gdbSession(
      'elfuse',
      [TARGET, 'spin'],
      ['continue', 'p counter > 0', 'bt 1', 'break 44', 'continue', 'set var $c = counter', 'continue', 'p counter - $c', 'delete', 'stepi', 'stepi', 'stepi', 'stepi', 'stepi', 'info registers pc', 'kill'],
      { file: TARGET, interruptAfterMs: 4000 },
    );
    expect(r.gdb.stdout, r.gdb.stderr).toContain('Program received signal SIGINT, Interrupt.\nspin () at ');
    expect(r.gdb.stdout).toContain('$1 = 1\n');
    // One iteration between two stops at the breakpoint; single steps through the translated loop.
    expect(r.gdb.stdout).toContain('Breakpoint 1, spin () at ');
    expect(r.gdb.stdout).toContain('$2 = 1\n');
    // Five single steps from the breakpoint: five instructions further, one at a time.
    const bp = Number(/Breakpoint 1 at (0x[0-9a-f]+):/.exec(r.gdb.stdout)![1]);
    const stepped = [...r.gdb.stdout.matchAll(/^(0x[0-9a-f]+)\t44\t/gm)].map((m) => Number(m[1]));
    expect(stepped).toEqual([4, 8, 12, 16, 20].map((d) => bp + d));
    expect(r.gdb.stdout).toMatch(new RegExp(`^pc +0x${(bp + 20).toString(16)} `, 'm'));
    expect(r.gdb.stdout).toContain('[Inferior 1 (process N) killed]');
    expect(r.guest.status).toBe(137);
  });
});
