/**
 * Basic blocks and their translation to JavaScript: the interpreter's second
 * tier. A block is a run of instructions from one start address to the
 * first instruction that may change the PC or the translation regime, or to
 * the end of the page. It is first executed by calling its instructions'
 * closures in turn; once it has run often enough, the translator writes the
 * whole block as one JavaScript function (emitters from emit.ts, closure
 * calls for the rest) and V8 compiles it. Identical source is compiled once
 * and shared, so refilling a flushed code page costs no compilation.
 *
 * A block function returns the number of instructions it retired. When an
 * instruction faults, the CPU records where (Cpu.unwindNext) so the run loop
 * can count the instructions that completed.
 */
import type { InsnDef } from '../../../domain/a64/insn.js';
import type { Fields } from '../../../domain/a64/pattern.js';
import { checksSpAlignment, directTarget, endsBlock as defEndsBlock } from '../../../domain/a64/traits.js';
import type { Cpu, Exec } from '../cpu.js';
import { EMITTERS } from './emit.js';

/** One decoded instruction: its closure, and its table entry and fields when it has one. */
export interface Decoded {
  readonly fn: Exec;
  /** Table entry name; null for undefined or trapped instructions (closure only). */
  readonly name: string | null;
  readonly def: InsnDef | null;
  readonly fields: Fields | null;
}

export type BlockFn = (cpu: Cpu, budget: number) => number;

export class Block {
  /** Executions so far while cold. */
  heat = 0;
  /** The translated function, once the block is hot. */
  run: BlockFn | null = null;

  constructor(
    /** Virtual address of the first instruction (the code embeds it). */
    readonly va: number,
    readonly insns: readonly Decoded[],
    readonly fns: readonly Exec[],
  ) {}

  get length(): number {
    return this.insns.length;
  }
}

/** Longest block, in instructions: bounds translation cost and time-slice overshoot. */
export const MAX_BLOCK = 128;

/** Whether the block must end after this instruction (its table entry says; no entry: always). */
export function endsBlock(d: Decoded): boolean {
  return defEndsBlock(d.def);
}

type Factory = (F: readonly Exec[]) => BlockFn;

/** Compiled block factories by source text, shared by every block with the same code. */
const factories = new Map<string, Factory>();
const FACTORY_LIMIT = 50_000;

/** Whether the block ends with a direct branch back to its own first instruction. */
function isSelfLoop(block: Block): boolean {
  const last = block.insns[block.length - 1]!;
  if (last.def === null || last.fields === null) return false;
  return directTarget(last.def, last.fields, block.va + 4 * (block.length - 1)) === block.va;
}

/**
 * The JavaScript source of a block's function body. The function takes the
 * instruction budget left; a block that loops on itself keeps iterating
 * inside the function while the budget lasts, recording the instructions
 * of completed iterations in cpu.loopDone so a fault can count them.
 */
export function blockSource(block: Block): string {
  const body: string[] = [];
  let ended = false;
  let mayFault = false;
  block.insns.forEach((d, i) => {
    const pc = block.va + 4 * i;
    const emitter = d.name !== null ? EMITTERS[d.name] : undefined;
    const out = emitter && d.fields ? emitter(d.fields, { pc, id: i }) : null;
    if (out) {
      if (out.mayFault) {
        body.push(`cpu.pc = ${pc + 4};`);
        mayFault = true;
      }
      // The closures carry CheckSPAlignment themselves; emitted accesses based on SP check here.
      if (d.def && d.fields && checksSpAlignment(d.def, d.fields)) {
        body.push('if (cpu.spCheck !== 0 && (x[62] & 15) !== 0) cpu.spAlignmentFault();');
      }
      body.push(out.code);
      ended = out.ends === true;
      return;
    }
    // The closure expects cpu.pc to hold the next instruction's address.
    body.push(`cpu.pc = ${pc + 4}; F[${i}](cpu);`);
    mayFault = true;
    ended = endsBlock(d);
  });
  if (!ended) body.push(`cpu.pc = ${block.va + 4 * block.length};`);
  // The data TLB and RAM for the inlined hit path of loads and stores (emit.ts).
  const prologue = 'const x = cpu.x; const RT = cpu.rTag, RB = cpu.rBase, WT = cpu.wTag, WB = cpu.wBase;' +
    ' const M8 = cpu.ram, M32 = cpu.ram32, DV = cpu.dv, TO = cpu.tlbOff;';
  if (!isSelfLoop(block)) return [prologue, ...body, `return ${block.length};`].join('\n');
  return [
    prologue,
    'let n = 0;',
    'for (;;) {',
    mayFault ? 'cpu.loopDone = n;' : '',
    ...body,
    `n += ${block.length};`,
    `if (cpu.pc !== ${block.va} || n >= budget) { cpu.loopDone = 0; return n; }`,
    '}',
  ].join('\n');
}

/** Translate a block into one function (compiling its source unless already seen). */
export function translate(block: Block): BlockFn {
  const source = blockSource(block);
  let factory = factories.get(source);
  if (!factory) {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- this is the translator
    factory = new Function('F', `return function block(cpu, budget) {\n${source}\n};`) as Factory;
    if (factories.size >= FACTORY_LIMIT) factories.clear();
    factories.set(source, factory);
  }
  return factory(block.fns);
}
