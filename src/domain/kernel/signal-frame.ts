/**
 * The arm64 signal frame (arch/arm64/kernel/signal.c): what a handler finds
 * on its stack, and how rt_sigreturn reads it back.
 *
 *   high  ┌──────────────────────────┐ ← interrupted SP (or the top of the alternate stack)
 *         │ frame record {fp, lr}     │   16 bytes, 16-aligned; X29 points here, so
 *         ├──────────────────────────┤   unwinders walk from the handler into the interrupted code
 *         │ struct ucontext           │   uc_flags, uc_link, uc_stack, uc_sigmask,
 *         │   uc_mcontext (sigcontext)│   fault_address, X0–X30, SP, PC, PSTATE,
 *         │     __reserved[4096]      │   records: fpsimd_context, [esr_context], terminator
 *         ├──────────────────────────┤
 *         │ siginfo_t (128 bytes)     │ ← new SP; X1 = &info, X2 = &uc for SA_SIGINFO
 *   low   └──────────────────────────┘
 *
 * The records in __reserved are a list of {magic, size} headers ended by a
 * null one, so user space (and rt_sigreturn) can skip what it does not know.
 * The handler returns to X30: sa_restorer with SA_RESTORER, or else the
 * sigreturn trampoline (Linux's vDSO __kernel_rt_sigreturn), two
 * instructions `mov x8, #139; svc #0` on a read+exec page of their own.
 */

import {
  ESR_MAGIC,
  FPSIMD_MAGIC,
  FpsimdContextOffset,
  MAP_ANONYMOUS,
  MAP_PRIVATE,
  PROT_EXEC,
  PROT_READ,
  SIGCONTEXT_RESERVED_SIZE,
  SIZEOF_ESR_CONTEXT,
  SIZEOF_FPSIMD_CONTEXT,
  SIZEOF_SIGINFO,
  SIZEOF_UCONTEXT,
  SiginfoOffset,
  SigcontextOffset,
  StackTOffset,
  StructReader,
  StructWriter,
  UcontextOffset,
} from './linux-abi.js';
import type { SigInfo, Task, UserContext } from './task.js';

/** struct rt_sigframe { siginfo_t info; struct ucontext uc; }, then the 16-byte frame record. */
export const SIZEOF_RT_SIGFRAME = SIZEOF_SIGINFO + SIZEOF_UCONTEXT;
export const SIZEOF_FRAME_RECORD = 16;
const UC = SIZEOF_SIGINFO;
const MC = UC + UcontextOffset.uc_mcontext;
const RESERVED = MC + SigcontextOffset.__reserved;

/** The interrupted context a frame saves, beyond the registers. */
export interface FrameState {
  /** Signal mask to restore on return. */
  sigmask: bigint;
  /** uc_stack: the alternate stack as it was, with ss_flags as sas_ss_flags() reports it at the interrupted SP. */
  altStack: { sp: bigint; flags: number; size: bigint };
}

/** siginfo_t bytes: the union member each si_code uses (copy_siginfo_to_user). */
export function encodeSiginfo(info: SigInfo): Uint8Array {
  const O = SiginfoOffset;
  const w = new StructWriter(SIZEOF_SIGINFO)
    .i32(O.si_signo, info.signo)
    .i32(O.si_errno, info.errno ?? 0)
    .i32(O.si_code, info.code);
  if (info.addr !== undefined) w.u64(O.si_addr, info.addr);
  else if (info.band !== undefined) w.u64(O.si_band, info.band).i32(O.si_fd, info.fd ?? 0);
  else if (info.timerId !== undefined) {
    w.i32(O.si_tid, info.timerId).i32(O.si_overrun, info.overrun ?? 0).u64(O.si_value, info.value ?? 0n);
  } else {
    w.i32(O.si_pid, info.pid ?? 0).u32(O.si_uid, info.uid ?? 0);
    if (info.status !== undefined) {
      // SIGCHLD's _sigchld member: status, then utime and stime.
      w.i32(O.si_status, info.status).u64(O.si_utime, info.utime ?? 0n).u64(O.si_stime, info.stime ?? 0n);
    } else if (info.value !== undefined) w.u64(O.si_value, info.value);
  }
  return w.bytes;
}

/** The whole frame (rt_sigframe + frame record), ready to copy to `frameVa`. */
export function buildSigframe(ctx: UserContext, info: SigInfo, state: FrameState): Uint8Array {
  const w = new StructWriter(SIZEOF_RT_SIGFRAME + SIZEOF_FRAME_RECORD);
  w.bytes.set(encodeSiginfo(info), 0);
  // ucontext: uc_flags and uc_link are always 0 on arm64.
  w.u64(UC + UcontextOffset.uc_stack + StackTOffset.ss_sp, state.altStack.sp)
    .i32(UC + UcontextOffset.uc_stack + StackTOffset.ss_flags, state.altStack.flags)
    .u64(UC + UcontextOffset.uc_stack + StackTOffset.ss_size, state.altStack.size)
    .u64(UC + UcontextOffset.uc_sigmask, state.sigmask);
  // sigcontext
  w.u64(MC + SigcontextOffset.fault_address, info.faultAddress ?? 0n);
  for (let i = 0; i < 31; i++) w.u64(MC + SigcontextOffset.regs + 8 * i, ctx.getX(i));
  w.u64(MC + SigcontextOffset.sp, ctx.sp).u64(MC + SigcontextOffset.pc, ctx.pc).u64(MC + SigcontextOffset.pstate, ctx.pstate);
  // __reserved: fpsimd_context first, then esr_context for a fault, then the null terminator.
  let rec = RESERVED;
  w.u32(rec, FPSIMD_MAGIC).u32(rec + 4, SIZEOF_FPSIMD_CONTEXT);
  w.u32(rec + FpsimdContextOffset.fpsr, Number(ctx.fpsr & 0xffffffffn));
  w.u32(rec + FpsimdContextOffset.fpcr, Number(ctx.fpcr & 0xffffffffn));
  for (let i = 0; i < 32; i++) w.bytes.set(ctx.getV(i), rec + FpsimdContextOffset.vregs + 16 * i);
  rec += SIZEOF_FPSIMD_CONTEXT;
  if (info.esr !== undefined) {
    w.u32(rec, ESR_MAGIC).u32(rec + 4, SIZEOF_ESR_CONTEXT).u64(rec + 8, BigInt(info.esr));
    rec += SIZEOF_ESR_CONTEXT;
  }
  // The terminator is 16 zero bytes, already there.
  // Frame record {fp, lr} of the interrupted code.
  w.u64(SIZEOF_RT_SIGFRAME, ctx.getX(29)).u64(SIZEOF_RT_SIGFRAME + 8, ctx.getX(30));
  return w.bytes;
}

/** What rt_sigreturn reads back; null for a frame Linux would reject (badframe → SIGSEGV). */
export interface SavedFrame {
  x: bigint[];
  sp: bigint;
  pc: bigint;
  pstate: bigint;
  fpsr: bigint;
  fpcr: bigint;
  v: Uint8Array[];
  sigmask: bigint;
  altStack: { sp: bigint; flags: number; size: bigint };
}

/** PSTATE.M[4] (AArch32) and DAIF: a frame may not return to anything but EL0t with interrupts unmasked. */
const PSTATE_INVALID = 0x10n | 0x3c0n | 0xfn;

/** Parses the ucontext of a frame (the bytes from &frame->uc), as restore_sigframe does. */
export function parseUcontext(uc: Uint8Array): SavedFrame | null {
  const r = new StructReader(uc);
  const mc = UcontextOffset.uc_mcontext;
  const x = Array.from({ length: 31 }, (_, i) => r.u64(mc + SigcontextOffset.regs + 8 * i));
  const pstate = r.u64(mc + SigcontextOffset.pstate);
  // valid_user_regs(): EL0t, AArch64, D/A/I/F clear.
  if (pstate & PSTATE_INVALID) return null;
  let fp: { fpsr: bigint; fpcr: bigint; v: Uint8Array[] } | null = null;
  const base = mc + SigcontextOffset.__reserved;
  for (let off = 0; ; ) {
    if (off + 8 > SIGCONTEXT_RESERVED_SIZE) return null;
    const magic = r.u32(base + off);
    const size = r.u32(base + off + 4);
    if (magic === 0) {
      if (size !== 0) return null;
      break;
    }
    if (size < 8 || size % 16 !== 0 || off + size > SIGCONTEXT_RESERVED_SIZE) return null;
    if (magic === FPSIMD_MAGIC) {
      if (fp || size !== SIZEOF_FPSIMD_CONTEXT) return null;
      const rec = base + off;
      fp = {
        fpsr: BigInt(r.u32(rec + FpsimdContextOffset.fpsr)),
        fpcr: BigInt(r.u32(rec + FpsimdContextOffset.fpcr)),
        v: Array.from({ length: 32 }, (_, i) => uc.slice(rec + FpsimdContextOffset.vregs + 16 * i, rec + FpsimdContextOffset.vregs + 16 * i + 16)),
      };
    } else if (magic !== ESR_MAGIC) {
      return null; // SVE, ZA, extra_context...: elfuse never writes them, so a frame with them was forged
    }
    off += size;
  }
  if (!fp) return null;
  const st = UcontextOffset.uc_stack;
  return {
    x,
    sp: r.u64(mc + SigcontextOffset.sp),
    pc: r.u64(mc + SigcontextOffset.pc),
    pstate,
    ...fp,
    sigmask: r.u64(UcontextOffset.uc_sigmask),
    altStack: {
      sp: r.u64(st + StackTOffset.ss_sp),
      flags: r.i32(st + StackTOffset.ss_flags),
      size: r.u64(st + StackTOffset.ss_size),
    },
  };
}

/** mov x8, #139 (__NR_rt_sigreturn); svc #0 */
const TRAMPOLINE = new Uint8Array(new Uint32Array([0xd2801168, 0xd4000001]).buffer);

/**
 * The VA of the sigreturn trampoline, mapping it on first use. elfuse has no
 * vDSO (so it does not advertise AT_SYSINFO_EHDR); the page stands in for
 * __kernel_rt_sigreturn. It is checked on every use, since the guest may
 * have unmapped or replaced it with MAP_FIXED.
 */
export function sigreturnTrampoline(task: Task): number {
  const va = task.mm.sigtramp;
  if (va !== 0) {
    const vma = task.as.vmaAt(va);
    if (vma && vma.prot === (PROT_READ | PROT_EXEC)) {
      try {
        const code = task.as.peek(va, TRAMPOLINE.length);
        if (code.every((b, i) => b === TRAMPOLINE[i])) return va;
      } catch {
        // not backed any more: map a new one
      }
    }
  }
  const mapped = task.as.mmapAnonymous(0, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, '[sigpage]');
  if (mapped < 0) return 0;
  task.as.poke(mapped, TRAMPOLINE);
  task.as.icacheDirty = true;
  task.mm.sigtramp = mapped;
  return mapped;
}
