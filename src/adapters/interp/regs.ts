/**
 * Register-file conventions shared by the CPU core and the instruction
 * semantics, kept apart from cpu.ts so instruction modules do not import the
 * core they are imported by.
 *
 * X registers live in one Uint32Array as uint32 pairs (x[2n] low, x[2n+1]
 * high). Slot 31 is the current stack pointer; slot 32 always reads zero
 * (XZR as a source); slot 33 swallows writes (XZR as a destination).
 */
export const SP_SLOT = 31;
export const XZR_READ = 32;
export const XZR_WRITE = 33;

/** Thrown to unwind an instruction after the CPU changed context (exception, ERET, exit). */
export const UNWIND: { readonly unwind: true } = Object.freeze({ unwind: true });

/**
 * The software TLB's geometry: direct-mapped, TLB_ENTRIES entries per
 * exception level (EL0 half first), indexed by the virtual page number's low
 * bits. The CPU fills it; translated code reads it (jit/emit.ts).
 */
export const PAGE_SIZE = 4096;
export const PAGE_MASK = 4095;
export const TLB_ENTRIES = 1 << 12;
export const TLB_MASK = TLB_ENTRIES - 1;

/** 2^32: joins and splits the uint32 halves of a register. */
export const TWO32 = 4294967296;

/**
 * Writable FPCR bits: AHP, DN, FZ, RMode, Stride, FZ16, Len (bits 26:16).
 * The trap-enable bits read as zero (FP exception trapping is not
 * implemented, as the ARM ARM allows) and the rest is RES0, as on
 * qemu-aarch64 -cpu max.
 */
export const FPCR_MASK = 0x07ff0000n;
/** Writable FPSR bits: N, Z, C, V (kept for AArch32), QC, IDC and the cumulative IXC..IOC flags. */
export const FPSR_MASK = 0xf800009fn;
