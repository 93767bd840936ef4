/**
 * GNU assembler operand syntax shared by every family's disasm: register
 * names, immediates, condition names and PC-relative targets, printed the
 * way aarch64-linux-gnu-objdump prints them.
 */

/** General register n, X or W by `sf`; 31 is the zero register. */
export const gpr = (sf: number, n: number): string => (n === 31 ? (sf ? 'xzr' : 'wzr') : (sf ? 'x' : 'w') + n);

/** General register n, X or W by `sf`; 31 is the stack pointer. */
export const gprSp = (sf: number, n: number): string => (n === 31 ? (sf ? 'sp' : 'wsp') : (sf ? 'x' : 'w') + n);

/** Register name: 31 is SP when `sp` is true, else the zero register. */
export function reg(sf: number, n: number, sp = false): string {
  return sp ? gprSp(sf, n) : gpr(sf, n);
}

/** Immediate as objdump prints most of them: `#0x10`. */
export function hexImm(v: number | bigint): string {
  return '#0x' + v.toString(16);
}

export const COND_NAMES: readonly string[] = ['eq', 'ne', 'cs', 'cc', 'mi', 'pl', 'vs', 'vc', 'hi', 'ls', 'ge', 'lt', 'gt', 'le', 'al', 'nv'];

export function condName(cond: number): string {
  return COND_NAMES[cond & 15]!;
}

/** A PC-relative target `words` instructions away, as an absolute address. */
export const target = (pc: bigint, words: number): string => '0x' + BigInt.asUintN(64, pc + BigInt(words) * 4n).toString(16);
