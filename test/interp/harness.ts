/**
 * Test harness for instruction semantics: a bare interpreter CPU with 1 MiB of
 * RAM at IPA 0, MMU off, at EL1 (as a fresh vCPU starts). Code is placed at
 * CODE and ends with HVC #0, whose exit stops the run.
 */
import { encode } from '../../src/domain/a64/assembler.js';
import { Cpu } from '../../src/adapters/interp/cpu.js';
import { InterpMemory, type InterpHostRam } from '../../src/adapters/interp/memory.js';
import { ExitReason } from '../../src/ports/vcpu.js';

export const CODE = 0x1000;
export const DATA = 0x40000;
export const RAM_SIZE = 1 << 20;

export const TEST_IDS = { midr: 0x610f0000n, isar0: 0n, isar1: 0n, pfr0: 0x11n, mmfr0: 0n, mmfr2: 0n };

export interface Machine {
  cpu: Cpu;
  mem: InterpMemory;
  ram: Uint8Array;
}

/** A bare machine; `hostRam` supplies the RAM slab (the WebAssembly prototype's WasmRam). */
export function machine(hostRam?: InterpHostRam): Machine {
  const mem = new InterpMemory(hostRam);
  mem.map(0, RAM_SIZE, 7);
  const cpu = new Cpu(mem, TEST_IDS);
  cpu.setSysReg(0xc082, 3n << 20n); // CPACR_EL1.FPEN: FP/SIMD enabled
  return { cpu, mem, ram: mem.view(0, RAM_SIZE) };
}

/**
 * Run instruction words (numbers) followed by HVC #0. Returns the machine.
 * `setup` may set registers and memory first.
 */
export function runWords(words: number[], setup?: (m: Machine) => void): Machine {
  const m = machine();
  const all = [...words, encode('HVC', { imm16: 0 })];
  const dv = new DataView(m.ram.buffer, m.ram.byteOffset);
  all.forEach((w, i) => dv.setUint32(CODE + i * 4, w, true));
  m.cpu.pc = CODE;
  m.cpu.setX(31, BigInt(DATA + 0x8000)); // SP
  setup?.(m);
  const exit = m.cpu.run();
  if (exit.reason !== ExitReason.EXCEPTION) throw new Error(`run did not reach HVC #0 (reason ${exit.reason}, pc 0x${m.cpu.pc.toString(16)})`);
  return m;
}

/** Assemble by table entry name and run. */
export function runAsm(insns: [string, Record<string, number>][], setup?: (m: Machine) => void): Machine {
  return runWords(insns.map(([n, f]) => encode(n, f)), setup);
}

/** Setup that loads X registers (by number) and NZCV (as 4 bits N,Z,C,V). */
export function regs(values: Record<number, bigint>, nzcv = 0): (m: Machine) => void {
  return (m) => {
    for (const [r, v] of Object.entries(values)) m.cpu.setX(Number(r), v);
    m.cpu.nzcv = nzcv << 28;
  };
}

/** NZCV as a readable string, e.g. "-Z C-" style "NZCV" with '-' for clear flags. */
export function flags(m: Machine): string {
  const v = m.cpu.nzcv >>> 28;
  return ['N', 'Z', 'C', 'V'].map((f, i) => ((v >> (3 - i)) & 1 ? f : '-')).join('');
}
