#!/usr/bin/env node
// wasm-proto-run.mjs: runs one guest under elfuse (compiled dist/, interp
// backend) with the block translator chosen by MODE, for the WebAssembly
// prototype comparison (docs/performance.md, "A WebAssembly tier").
//
//   node scripts/wasm-proto-run.mjs MODE GUEST [ARGS...]
//
// MODE:
//   base    elfuse as shipped: RAM in native host memory, the JS tier
//   js      the JS tier, with guest RAM, registers and TLB in a
//           WebAssembly.Memory (as the wasm tier needs them): the cost of
//           the memory placement alone
//   wasm    every translated block is a WebAssembly module
//   hybrid  WebAssembly for blocks without closure calls, JS for the rest
//   region  as hybrid, but a block that becomes hot is compiled together with
//           the blocks of its page it reaches by direct branches (up to 8,
//           none with closure calls) into one function that dispatches
//           among them: a loop of several blocks runs without leaving wasm
//   micro   the JS tier, counting block executions and keeping a register
//           snapshot of each hot block; at exit, the hottest blocks are
//           compiled by both tiers (compile times), checked against each
//           other from the same state (registers, flags, PC, count and the
//           written pages) and timed from that state
// At exit it prints one JSON line on stderr: CPU and wall time, retired
// instructions, translated blocks and translation time, wasm coverage, and
// (micro) the per-block figures.
import { writeSync } from 'node:fs';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';

const [mode, ...guest] = process.argv.slice(2);
if (!['base', 'js', 'wasm', 'hybrid', 'region', 'micro'].includes(mode) || guest.length === 0) {
  process.stderr.write('usage: wasm-proto-run.mjs base|js|wasm|hybrid|region|micro GUEST [ARGS...]\n');
  process.exit(2);
}
const dist = new URL('../dist/', import.meta.url);
const { InterpBackend } = await import(new URL('adapters/interp/backend.js', dist));
const { NodeHostRam } = await import(new URL('adapters/host-node/shm.js', dist));
const { translate, blockSource } = await import(new URL('adapters/interp/jit/block.js', dist));
const { WasmRam, WasmTier, setTranslator, wasmBlock, regionFor } = await import(new URL('adapters/interp/jit/wasm-proto.js', dist));

const t0 = performance.now();
const cpu0 = process.cpuUsage();
const stats = { mode, blocks: 0, translateMs: 0, wasmTranslateMs: 0, wasmCompileMs: 0, wasmBlocks: 0, jsBlocks: 0, covered: 0, closures: 0 };
let theCpu = null;
let tier = null;

if (mode === 'base') {
  const createVcpu = InterpBackend.prototype.createVcpu;
  InterpBackend.prototype.createVcpu = function (...args) {
    const v = createVcpu.apply(this, args);
    theCpu ??= v.cpu;
    return v;
  };
} else {
  // Guest RAM in a WebAssembly.Memory instead of the addon's host memory.
  const wram = new WasmRam();
  NodeHostRam.prototype.reserve = (size) => wram.reserve(size);
  NodeHostRam.prototype.discard = () => {};
  const createVcpu = InterpBackend.prototype.createVcpu;
  InterpBackend.prototype.createVcpu = function (...args) {
    const v = createVcpu.apply(this, args);
    if (theCpu) return v; // the prototype's state area serves one vCPU: others keep the shipped loop
    theCpu = v.cpu;
    tier = new WasmTier(v.cpu, wram);
    setTranslator(v.cpu, makeTranslator());
    return v;
  };
}

/** Per-block data of micro mode: executions and a snapshot of the state at one entry. */
const hot = new Map();

function makeTranslator() {
  const wstats = { translate: 0, compile: 0 };
  const timedJs = (block) => {
    const t = performance.now();
    const fn = translate(block);
    stats.translateMs += performance.now() - t;
    stats.jsBlocks++;
    return fn;
  };
  const timedWasm = (block, region) => {
    const { fn, info } = tier.compile(block, wstats, region);
    if (region && region.length > 1) stats.regions = (stats.regions ?? 0) + 1;
    stats.wasmTranslateMs = wstats.translate;
    stats.wasmCompileMs = wstats.compile;
    stats.wasmBlocks++;
    stats.covered += info.covered;
    stats.closures += info.closures;
    return fn;
  };
  return (block) => {
    stats.blocks++;
    if (mode === 'js') return timedJs(block);
    if (mode === 'wasm') return timedWasm(block);
    if (mode === 'hybrid' || mode === 'region') {
      const info = wasmBlock(block, tier.st, 1);
      if (info.closures !== 0) return timedJs(block);
      return timedWasm(block, mode === 'region' ? regionFor(theCpu, block) : undefined);
    }
    // micro: the JS tier, counted, with a snapshot at an early execution (a self-loop's first).
    const fn = timedJs(block);
    const h = { block, calls: 0, snap: null };
    const at = isSelfLoop(block) ? 1 : 100;
    hot.set(block, h);
    return (cpu, budget) => {
      if (++h.calls === at) {
        h.snap = { x: cpu.x.slice(), nzcv: cpu.nzcv, pc: cpu.pc, budget };
      }
      const n = fn(cpu, budget);
      translatedInsns += n;
      // Enough of the run seen: measure now, while the guest's memory is mapped, and stop.
      if (translatedInsns >= MICRO_AT && !microDone) {
        microDone = true;
        microResults = microbench();
        process.exit(0);
      }
      return n;
    };
  };
}

const MICRO_AT = Number(process.env.WP_MICRO_AT ?? 20_000_000);
let translatedInsns = 0;
let microDone = false;
let microResults = null;

function isSelfLoop(block) {
  const last = block.insns[block.length - 1];
  if (!last.fields || !['B', 'B_cond', 'CBZ', 'CBNZ', 'TBZ', 'TBNZ'].includes(last.name)) return false;
  const imm = last.fields.imm26 ?? last.fields.imm19 ?? last.fields.imm14 ?? 0;
  return block.va + 4 * (block.length - 1) + 4 * imm === block.va;
}

// ---- micro mode: the hottest blocks, both tiers, from the same state -------------------------------

function median(a) {
  const s = [...a].sort((p, q) => p - q);
  return s[Math.floor(s.length / 2)];
}

/**
 * The JS tier's source of a self-loop with registers, NZCV and the PC held
 * in locals across iterations and written back at the exit (what the JS
 * tier could do without wasm), or null when the block calls out (slow
 * paths, closures), where the locals would need spilling.
 */
function registerCachedSource(src) {
  if (/cpu\.(read|write|probe|spAlign|hi\b)|F\[/.test(src) || !src.includes('for (;;)')) return null;
  const lines = src.split('\n');
  const slots = [...new Set([...src.matchAll(/\bx\[(\d+)\]/g)].map((m) => Number(m[1])))];
  let body = lines.slice(1).join('\n');
  body = body.replace(/\bx\[(\d+)\]/g, 'x$1').replace(/cpu\.(nf|zf|cf|vf|pc)\b/g, 'l$1');
  const back = `${slots.map((k) => `x[${k}] = x${k};`).join(' ')} cpu.nf = lnf; cpu.zf = lzf; cpu.cf = lcf; cpu.vf = lvf; cpu.pc = lpc;`;
  body = body.replace('{ cpu.loopDone = 0; return n; }', `{ ${back} cpu.loopDone = 0; return n; }`);
  const decl = `let ${slots.map((k) => `x${k} = x[${k}]`).join(', ')}; let lnf = cpu.nf, lzf = cpu.zf, lcf = cpu.cf, lvf = cpu.vf, lpc = cpu.pc;`;
  return [lines[0], decl, body].join('\n');
}

function microbench() {
  const cpu = theCpu;
  const mem = tier.memory.buffer;
  const list = [...hot.values()].filter((h) => h.snap).sort((a, b) => b.calls * b.block.length - a.calls * a.block.length).slice(0, 12);
  const out = [];
  const wTag = cpu.wTag;
  const wBase = cpu.wBase;
  const restore = (s) => {
    cpu.x.set(s.x);
    cpu.nzcv = s.nzcv;
    cpu.pc = s.pc;
    cpu.loopDone = 0;
  };
  /** The pages the W-TLB maps (every page a block can store to without a refill). */
  const writablePages = () => {
    const pages = [];
    for (let i = 0; i < wTag.length; i++) if (wTag[i] !== -1) pages.push(wBase[i]);
    return [...new Set(pages)];
  };
  const copyPages = (pages) => pages.map((p) => new Uint8Array(mem, p, 4096).slice());
  const putPages = (pages, copies) => pages.forEach((p, i) => new Uint8Array(mem, p, 4096).set(copies[i]));
  for (const h of list) {
    const { block, snap } = h;
    const budget = Math.min(snap.budget, 100_000);
    // Compile times: the JS tier's source and new Function (V8 compiles the body lazily, at the
    // first call), and the wasm tier's bytes and module compile + instantiation.
    const tj = performance.now();
    const src = blockSource(block);
    const jsFn = new Function('F', `return function block(cpu, budget) {\n${src}\n};`)(block.fns);
    const jsCompile = performance.now() - tj;
    const cachedSrc = registerCachedSource(src);
    const jsLocalFn = cachedSrc ? new Function('F', `return function block(cpu, budget) {\n${cachedSrc}\n};`)(block.fns) : null;
    const ws = { translate: 0, compile: 0 };
    const { fn: wFn, info } = tier.compile(block, ws);
    const rec = { va: `0x${block.va.toString(16)}`, insns: block.length, names: block.insns.map((d) => d.name ?? '?').join(' '), calls: h.calls, selfLoop: info.selfLoop, closures: info.closures, wasmBytes: info.bytes.length, jsSourceBytes: src.length, jsCompileMs: jsCompile, wasmTranslateMs: ws.translate, wasmCompileMs: ws.compile };
    try {
      // Warm-up run so the TLB holds every page the block touches, then the check.
      restore(snap);
      jsFn(cpu, budget);
      const pages = writablePages();
      const base = copyPages(pages);
      const run = (fn) => {
        putPages(pages, base);
        restore(snap);
        const n = fn(cpu, budget);
        return { n, x: Array.from(cpu.x.subarray(0, 64)), nzcv: cpu.nzcv, pc: cpu.pc, mem: copyPages(pages), pagesAfter: writablePages().length };
      };
      const rj = run(jsFn);
      const rw = run(wFn);
      const same = rj.n === rw.n && rj.nzcv === rw.nzcv && rj.pc === rw.pc && rj.x.every((v, i) => v === rw.x[i]) &&
        rj.mem.every((p, i) => Buffer.from(p).equals(Buffer.from(rw.mem[i])));
      if (jsLocalFn) {
        const rl = run(jsLocalFn);
        const sameL = rj.n === rl.n && rj.nzcv === rl.nzcv && rj.pc === rl.pc && rj.x.every((v, i) => v === rl.x[i]);
        if (!sameL) rec.jsLocalsCheck = 'DIFFERENT';
      }
      rec.check = same ? (rj.pagesAfter === pages.length && rw.pagesAfter === pages.length ? 'equal' : 'equal (TLB changed)') : 'DIFFERENT';
      rec.instrPerCall = rj.n;
      // Timing: 15 rounds of K calls each (the first 3 warm up), alternating tiers with a do-nothing
      // function; ns per call and per guest instruction.
      const K = Math.max(200, Math.min(200_000, Math.floor(2_000_000 / Math.max(rj.n, 1))));
      const times = { js: [], wasm: [], none: [], jsLocals: [] };
      const none = () => 1;
      for (let round = 0; round < 15; round++) {
        const variants = [['js', jsFn], ['wasm', wFn], ['none', none]];
        if (jsLocalFn) variants.push(['jsLocals', jsLocalFn]);
        for (const [name, fn] of variants) {
          putPages(pages, base);
          let total = 0;
          const t = performance.now();
          for (let k = 0; k < K; k++) {
            restore(snap);
            total += fn(cpu, budget);
          }
          const dt = performance.now() - t;
          if (round >= 3) times[name].push((dt * 1e6) / K);
          void total;
        }
      }
      // The loop and restore() alone (a function that does nothing), subtracted from both.
      // Best of the rounds: on a shared machine the minimum is the figure least disturbed by others.
      const restoreNs = Math.min(...times.none);
      rec.nsPerCall = { js: Math.min(...times.js) - restoreNs, wasm: Math.min(...times.wasm) - restoreNs, restore: restoreNs, jsMedian: median(times.js) - median(times.none), wasmMedian: median(times.wasm) - median(times.none) };
      if (jsLocalFn) rec.nsPerCall.jsLocals = Math.min(...times.jsLocals) - restoreNs;
      rec.nsPerInsn = { js: rec.nsPerCall.js / rj.n, wasm: rec.nsPerCall.wasm / rj.n };
    } catch (e) {
      rec.check = `fault (${e && e.unwind ? 'guest exception' : String(e)})`;
      cpu.loopDone = 0;
    }
    out.push(rec);
  }
  return out;
}

process.on('exit', () => {
  const cpuUse = process.cpuUsage(cpu0);
  const result = {
    ...stats,
    wallS: (performance.now() - t0) / 1000,
    cpuS: (cpuUse.user + cpuUse.system) / 1e6,
    retired: theCpu ? theCpu.retired : null,
    loadavg: loadavg()[0],
  };
  if (mode === 'micro') result.micro = microResults ?? 'the run ended before WP_MICRO_AT translated instructions';
  writeSync(2, `WASMPROTO ${JSON.stringify(result)}\n`);
});

process.argv = [process.argv[0], 'elfuse', '--backend', 'interp', ...guest];
await import(new URL('app/cli.js', dist));
