/**
 * Signal frames and delivery at the kernel level: the rt_sigframe layout
 * against a C program built with the cross toolchain (run on qemu-aarch64),
 * then delivery and rt_sigreturn on a real Task with a register file in
 * place of a vCPU, and the syscall-restart rules of arm64 do_signal.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { referenceTools } from '../support/toolchain.js';
import { Errno, ERESTARTSYS } from '../../src/domain/kernel/errno.js';
import * as abi from '../../src/domain/kernel/linux-abi.js';
import {
  ERESTARTNOHAND,
  ERESTART_RESTARTBLOCK,
  deliverSignals,
  postHostSignal,
  postSignal,
} from '../../src/domain/kernel/signal-deliver.js';
import { SIZEOF_FRAME_RECORD, SIZEOF_RT_SIGFRAME } from '../../src/domain/kernel/signal-frame.js';
import type { UserContext } from '../../src/domain/kernel/task.js';
import { SCRATCH, SCRATCH_SIZE, le, makeHarness } from './harness.js';

const refs = referenceTools('qemu-aarch64', 'aarch64-linux-gnu-gcc');

describe.skipIf(refs.skip)('rt_sigframe layout vs the arm64 headers', () => {
  it('siginfo, ucontext, sigcontext records and the frame size match', () => {
    refs.check();
    const dir = mkdtempSync(join(tmpdir(), 'elfuse-sigframe-'));
    const src = [
      '#include <stdio.h>',
      '#include <stddef.h>',
      '#include <signal.h>',
      '#include <ucontext.h>',
      '#include <asm/sigcontext.h>',
      '/* arch/arm64/kernel/signal.c */',
      'struct rt_sigframe { siginfo_t info; ucontext_t uc; };',
      'int main(void) {',
      '  printf("%zu %zu %zu %zu %zu %zu\\n", sizeof(struct rt_sigframe), offsetof(struct rt_sigframe, uc),',
      '    offsetof(struct rt_sigframe, uc.uc_sigmask), offsetof(struct rt_sigframe, uc.uc_mcontext),',
      '    offsetof(struct rt_sigframe, uc.uc_mcontext.__reserved), _Alignof(struct rt_sigframe));',
      '  return 0; }',
    ].join('\n');
    writeFileSync(join(dir, 'frame.c'), src);
    execFileSync('aarch64-linux-gnu-gcc', ['-static', '-O0', '-o', join(dir, 'frame'), join(dir, 'frame.c')]);
    const out = execFileSync('/usr/bin/qemu-aarch64', [join(dir, 'frame')]).toString().trim().split(' ').map(Number);
    const U = abi.UcontextOffset;
    expect(out).toEqual([
      SIZEOF_RT_SIGFRAME,
      abi.SIZEOF_SIGINFO,
      abi.SIZEOF_SIGINFO + U.uc_sigmask,
      abi.SIZEOF_SIGINFO + U.uc_mcontext,
      abi.SIZEOF_SIGINFO + U.uc_mcontext + abi.SigcontextOffset.__reserved,
      16,
    ]);
  });
});

/** A register file standing in for the vCPU. */
function fakeContext(): UserContext & { x: bigint[]; v: Uint8Array[] } {
  const x = Array.from({ length: 31 }, (_, i) => 0x1000n + BigInt(i));
  const v = Array.from({ length: 32 }, (_, i) => new Uint8Array(16).fill(i + 1));
  return {
    x,
    v,
    getX: (n) => x[n]!,
    setX: (n, val) => {
      x[n] = BigInt.asUintN(64, val);
    },
    sp: BigInt(SCRATCH + SCRATCH_SIZE / 2 + 8), // misaligned on purpose: the frame must still be 16-aligned
    pc: 0x400123n * 4n,
    pstate: 0x6000_0000n, // Z and C set, EL0t
    fpsr: 0x10n,
    fpcr: 0x40_0000n,
    getV: (n) => v[n]!.slice(),
    setV: (n, val) => {
      v[n] = val.slice();
    },
  };
}

const HANDLER = 0x412340n;
const SIGUSR1 = abi.SIGUSR1;

async function setup(flags = abi.SA_SIGINFO, mask = 0n) {
  const h = makeHarness();
  const sa = new abi.StructWriter(abi.SIZEOF_SIGACTION)
    .u64(abi.SigactionOffset.sa_handler, HANDLER)
    .u64(abi.SigactionOffset.sa_flags, BigInt(flags))
    .u64(abi.SigactionOffset.sa_mask, mask).bytes;
  h.write(SCRATCH, sa);
  expect(await h.sys('rt_sigaction', SIGUSR1, SCRATCH, 0, 8)).toBe(0n);
  const ctx = fakeContext();
  h.task.userContext = ctx;
  return { h, ctx };
}

describe('delivery and rt_sigreturn', () => {
  it('builds the frame Linux builds and points the registers at the handler', async () => {
    const { h, ctx } = await setup(abi.SA_SIGINFO, 1n << BigInt(abi.SIGUSR2 - 1));
    const before = { ...ctx, x: [...ctx.x], sp: ctx.sp, pc: ctx.pc };
    h.task.sigmask = 1n << 40n;
    postSignal(h.task, SIGUSR1, { signo: SIGUSR1, code: abi.SI_TKILL, pid: 1234, uid: 1000 });
    deliverSignals(h.task, ctx, null);

    const frame = ctx.sp;
    expect(frame % 16n).toBe(0n);
    const record = frame + BigInt(SIZEOF_RT_SIGFRAME);
    expect(record + BigInt(SIZEOF_FRAME_RECORD)).toBeLessThanOrEqual(before.sp);
    expect(before.sp - record).toBeLessThan(32n);
    expect([ctx.pc, ctx.x[0], ctx.x[1], ctx.x[2], ctx.x[29]]).toEqual([HANDLER, BigInt(SIGUSR1), frame, frame + 128n, record]);
    expect(ctx.x[30]).toBe(BigInt(h.task.mm.sigtramp));
    expect(h.task.mm.sigtramp).not.toBe(0);
    // The trampoline is mov x8, #139; svc #0.
    const tramp = le(h.task.as.peek(h.task.mm.sigtramp, 8));
    expect([tramp.u32(0), tramp.u32(4)]).toEqual([0xd2801168, 0xd4000001]);
    // The handler runs with sa_mask and the signal itself blocked.
    expect(h.task.sigmask).toBe((1n << 40n) | (1n << BigInt(abi.SIGUSR2 - 1)) | (1n << BigInt(SIGUSR1 - 1)));

    const f = le(h.read(Number(frame), SIZEOF_RT_SIGFRAME + 16));
    const S = abi.SiginfoOffset;
    expect([f.i32(S.si_signo), f.i32(S.si_code), f.i32(S.si_pid), f.u32(S.si_uid)]).toEqual([SIGUSR1, abi.SI_TKILL, 1234, 1000]);
    const uc = abi.SIZEOF_SIGINFO;
    const mc = uc + abi.UcontextOffset.uc_mcontext;
    expect(f.u64(uc + abi.UcontextOffset.uc_sigmask)).toBe(1n << 40n);
    expect(f.i32(uc + abi.UcontextOffset.uc_stack + abi.StackTOffset.ss_flags)).toBe(abi.SS_DISABLE);
    expect(f.u64(mc + abi.SigcontextOffset.regs + 8 * 7)).toBe(before.x[7]);
    expect([f.u64(mc + abi.SigcontextOffset.sp), f.u64(mc + abi.SigcontextOffset.pc), f.u64(mc + abi.SigcontextOffset.pstate)]).toEqual([
      before.sp,
      before.pc,
      before.pstate,
    ]);
    const rec = mc + abi.SigcontextOffset.__reserved;
    expect([f.u32(rec), f.u32(rec + 4)]).toEqual([abi.FPSIMD_MAGIC, abi.SIZEOF_FPSIMD_CONTEXT]);
    expect([f.u32(rec + abi.FpsimdContextOffset.fpsr), f.u32(rec + abi.FpsimdContextOffset.fpcr)]).toEqual([0x10, 0x40_0000]);
    expect(f.u64(rec + abi.FpsimdContextOffset.vregs + 16 * 5)).toBe(0x0606060606060606n);
    // No fault: no esr_context, the terminator follows.
    expect([f.u32(rec + 528), f.u32(rec + 532)]).toEqual([0, 0]);
    expect([f.u64(Number(record - frame)), f.u64(Number(record - frame) + 8)]).toEqual([before.x[29], before.x[30]]);

    // The handler clobbers everything, then returns through the trampoline.
    ctx.x.fill(0xdeadn);
    ctx.v.forEach((_, i) => ctx.setV(i, new Uint8Array(16)));
    ctx.fpsr = 0n;
    ctx.fpcr = 0n;
    ctx.pstate = 0n;
    h.task.sigmask = 0n;
    ctx.sp = frame;
    expect(await h.sys('rt_sigreturn')).toBe(before.x[0]);
    expect([ctx.x, ctx.sp, ctx.pc, ctx.pstate, ctx.fpsr, ctx.fpcr]).toEqual([before.x, before.sp, before.pc, before.pstate, 0x10n, 0x40_0000n]);
    expect(ctx.getV(31)).toEqual(new Uint8Array(16).fill(32));
    expect(h.task.sigmask).toBe(1n << 40n);
  });

  it('a fault carries si_addr, fault_address and an esr_context record', async () => {
    const { h, ctx } = await setup();
    h.task.tg.sigactions[abi.SIGSEGV - 1] = { ...h.task.tg.sigactions[SIGUSR1 - 1]! };
    postSignal(h.task, abi.SIGSEGV, { signo: abi.SIGSEGV, code: abi.SEGV_MAPERR, addr: 0x10n, faultAddress: 0x10n, esr: 0x92000045 });
    deliverSignals(h.task, ctx, null);
    const f = le(h.read(Number(ctx.sp), SIZEOF_RT_SIGFRAME));
    const mc = abi.SIZEOF_SIGINFO + abi.UcontextOffset.uc_mcontext;
    const rec = mc + abi.SigcontextOffset.__reserved + abi.SIZEOF_FPSIMD_CONTEXT;
    expect([f.i32(8), f.u64(16), f.u64(mc)]).toEqual([abi.SEGV_MAPERR, 0x10n, 0x10n]);
    expect([f.u32(rec), f.u32(rec + 4), f.u64(rec + 8)]).toEqual([abi.ESR_MAGIC, abi.SIZEOF_ESR_CONTEXT, 0x92000045n]);
  });

  it('a frame that returns to EL1 or is misaligned is refused with SIGSEGV', async () => {
    const { h, ctx } = await setup();
    postSignal(h.task, SIGUSR1, { signo: SIGUSR1, code: 0 });
    deliverSignals(h.task, ctx, null);
    const frame = ctx.sp;
    const pstateAt = Number(frame) + abi.SIZEOF_SIGINFO + abi.UcontextOffset.uc_mcontext + abi.SigcontextOffset.pstate;
    h.write(pstateAt, new abi.StructWriter(8).u64(0, 0x5n).bytes); // EL1h
    await h.sys('rt_sigreturn');
    // SIGSEGV left to its default action ends the process at once.
    expect(h.task.exit).toEqual({ signal: abi.SIGSEGV, core: true });
    const other = await setup();
    other.h.task.tg.sigactions[abi.SIGSEGV - 1]!.handler = HANDLER; // a handler: it stays pending with its siginfo
    other.ctx.sp = BigInt(SCRATCH + 8);
    await other.h.sys('rt_sigreturn');
    expect(other.h.task.sigqueue.get(abi.SIGSEGV)?.[0]?.addr).toBe(BigInt(SCRATCH + 8));
  });

  it('standard signals coalesce, real-time signals queue in order', async () => {
    const { h } = await setup();
    h.task.sigmask = ~0n;
    for (let i = 0; i < 3; i++) postSignal(h.task, SIGUSR1, { signo: SIGUSR1, code: 0 });
    for (let i = 0; i < 3; i++) postSignal(h.task, 40, { signo: 40, code: abi.SI_QUEUE, value: BigInt(i) });
    expect(h.task.sigqueue.get(SIGUSR1)?.length).toBe(1);
    expect(h.task.sigqueue.get(40)?.map((i) => i.value)).toEqual([0n, 1n, 2n]);
  });

  // arm64 do_signal: what the guest sees of a syscall interrupted by a handled signal.
  it.each([
    [ERESTARTSYS, abi.SA_SIGINFO, 'eintr'],
    [ERESTARTSYS, abi.SA_SIGINFO | abi.SA_RESTART, 'restart'],
    [ERESTARTNOHAND, abi.SA_SIGINFO | abi.SA_RESTART, 'eintr'],
    [ERESTART_RESTARTBLOCK, abi.SA_SIGINFO | abi.SA_RESTART, 'eintr'],
  ])('result -%i with sa_flags %i: %s', async (code, flags, expected) => {
    const { h, ctx } = await setup(flags);
    const pc = ctx.pc;
    postSignal(h.task, SIGUSR1, { signo: SIGUSR1, code: 0 });
    ctx.x[0] = BigInt.asUintN(64, BigInt(-code));
    deliverSignals(h.task, ctx, { result: BigInt(-code), origX0: 7n });
    const f = le(h.read(Number(ctx.sp), SIZEOF_RT_SIGFRAME));
    const mc = abi.SIZEOF_SIGINFO + abi.UcontextOffset.uc_mcontext;
    const saved = [f.u64(mc + abi.SigcontextOffset.regs), f.u64(mc + abi.SigcontextOffset.pc)];
    if (expected === 'restart') expect(saved).toEqual([7n, pc - 4n]);
    else expect(saved).toEqual([BigInt.asUintN(64, BigInt(-Errno.EINTR)), pc]);
  });

  it('with no handler to run, an interrupted syscall restarts (restart_syscall for sleeps)', async () => {
    const { h, ctx } = await setup();
    const pc = ctx.pc;
    deliverSignals(h.task, ctx, { result: BigInt(-ERESTART_RESTARTBLOCK), origX0: 7n });
    expect([ctx.x[0], ctx.x[8], ctx.pc]).toEqual([7n, 128n, pc - 4n]);
  });
});

describe('signals from the host', () => {
  it('are posted as SI_USER from pid 0; the result says whether the default action will end the guest', async () => {
    const { h } = await setup();
    expect(postHostSignal(h.task, abi.SIGWINCH)).toBe(false); // ignored by default: dropped
    expect(h.task.sigpending & (1n << BigInt(abi.SIGWINCH - 1))).toBe(0n);
    expect(postHostSignal(h.task, SIGUSR1)).toBe(false); // the guest handles it
    expect(h.task.sigqueue.get(SIGUSR1)).toEqual([{ signo: SIGUSR1, code: abi.SI_USER, pid: 0, uid: 0, fromHost: true, shared: true }]); // sent to the process, not one thread
    h.task.sigmask = 1n << BigInt(abi.SIGTERM - 1);
    expect(postHostSignal(h.task, abi.SIGTERM)).toBe(false); // blocked: stays pending
    expect(h.task.sigpending & (1n << BigInt(abi.SIGTERM - 1))).not.toBe(0n);
    expect(postHostSignal(h.task, 0)).toBe(false);
    expect(h.task.exit).toBeNull();
    // Left to its default action, it ends the guest at once, marked as the host's doing.
    expect(postHostSignal(h.task, abi.SIGINT)).toBe(true);
    expect(h.task.exit).toEqual({ signal: abi.SIGINT, core: false, byHost: true });
  });

  it('stop the vCPU slice so the signal is delivered promptly', async () => {
    const { h } = await setup();
    let kicks = 0;
    h.task.kick = () => kicks++;
    postHostSignal(h.task, abi.SIGHUP);
    expect(kicks).toBe(1);
  });
});
