/**
 * Execution out of line, for a store into the page it runs from when that
 * page belongs to a read-write-execute mapping. Such a page is kept W^X
 * (address-space.ts flipWx): read-execute while code runs from it, read-write
 * after a write. A store into its own page would flip it writable, and the
 * retried store could no longer be fetched. So the instruction is copied to
 * a page of its own, `[uprobes]` as Linux names its out-of-line area,
 * followed by BRK #XOL_BRK, and run there; the BRK brings the vCPU back,
 * and the guest resumes after the original instruction (whose page a fetch
 * then flips back to read-execute). Any store runs unchanged out of line:
 * none is PC-relative.
 */
import { MAP_ANONYMOUS, MAP_PRIVATE, PROT_EXEC, PROT_READ } from './linux-abi.js';
import type { Task } from './task.js';

/** The BRK immediate that ends an out-of-line step. */
export const XOL_BRK = 0x5a7;
/** brk #XOL_BRK */
const BRK_WORD = (0xd4200000 | (XOL_BRK << 5)) >>> 0;

export class OutOfLine {
  /** The out-of-line page, 0 until first needed. */
  private page = 0;
  /** The address of the instruction being stepped, or -1 when none is. */
  private from = -1;

  constructor(private readonly task: Task) {}

  /** Copy the instruction at `pc` out of line; returns where to resume the guest, or null if no page could be mapped. */
  begin(pc: number): number | null {
    const as = this.task.as;
    const v = this.page === 0 ? undefined : as.vmaAt(this.page);
    if (!v || v.name !== '[uprobes]') {
      const va = as.mmapAnonymous(0, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, '[uprobes]');
      if (va < 0) return null;
      this.page = va;
    }
    const code = new Uint8Array(8);
    code.set(as.peek(pc, 4));
    new DataView(code.buffer).setUint32(4, BRK_WORD, true);
    as.pokeCode(this.page, code);
    this.from = pc;
    return this.page;
  }

  /** A BRK at `pc` with `imm`: the end of a step (returns where the guest resumes), or the guest's own BRK (null). */
  end(pc: number, imm: number): number | null {
    if (this.from < 0 || pc !== this.page + 4 || imm !== XOL_BRK) return null;
    const resume = this.from + 4;
    this.from = -1;
    return resume;
  }

  /** The PC the guest should see for `pc`: the original instruction while it runs out of line. */
  guestPc(pc: number): number {
    return this.from >= 0 && pc === this.page ? this.from : pc;
  }
}
