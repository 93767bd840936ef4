#!/usr/bin/env node
// wasm-proto-xcall.mjs: the price of crossing between JavaScript and
// WebAssembly in this Node, for the WebAssembly prototype comparison
// (docs/performance.md, "A WebAssembly tier"). Prints ns per call, best of
// 9 rounds, for:
//   js->js    a call through a megamorphic site (as Cpu.runBlocks calls block functions)
//   js->wasm  the same site calling exported wasm functions (4 i32 in, i32 out: the block signature)
//   wasm->js  a wasm loop calling a JS import (the slow paths and closure calls)
//   js loop   the same loop in JavaScript calling the same JS function
const sec = (id, bytes) => [id, ...uleb(bytes.length), ...bytes];
function uleb(v) {
  const out = [];
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
}
const str = (s) => [s.length, ...[...s].map((c) => c.charCodeAt(0))];
const HEAD = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/** (i32 x4) -> i32 returning its first argument. */
function identityModule() {
  const body = [0x00, 0x20, 0x00, 0x0b];
  return new Uint8Array([
    ...HEAD,
    ...sec(1, [1, 0x60, 4, 0x7f, 0x7f, 0x7f, 0x7f, 1, 0x7f]),
    ...sec(3, [1, 0]),
    ...sec(7, [1, ...str('b'), 0, 0]),
    ...sec(10, [1, ...uleb(body.length), ...body]),
  ]);
}

/** loop(n): for (i = 0; i < n; i++) f(i), f a JS import. */
function loopModule() {
  const body = [1, 1, 0x7f, 0x03, 0x40, 0x20, 1, 0x10, 0, 0x20, 1, 0x41, 1, 0x6a, 0x22, 1, 0x20, 0, 0x48, 0x0d, 0, 0x0b, 0x0b];
  return new Uint8Array([
    ...HEAD,
    ...sec(1, [1, 0x60, 1, 0x7f, 0]),
    ...sec(2, [1, ...str('e'), ...str('f'), 0, 0]),
    ...sec(3, [1, 0]),
    ...sec(7, [1, ...str('b'), 0, 1]),
    ...sec(10, [1, ...uleb(body.length), ...body]),
  ]);
}

const N = 5_000_000;
const best = (fn) => {
  let min = Infinity;
  for (let r = 0; r < 9; r++) {
    const t = performance.now();
    fn();
    min = Math.min(min, performance.now() - t);
  }
  return (min * 1e6) / N;
};

const idMod = new WebAssembly.Module(identityModule());
const wasmFns = [0, 1, 2, 3, 4, 5, 6, 7].map(() => new WebAssembly.Instance(idMod).exports.b);
// Distinct functions (their own source, as translated blocks are), so V8 cannot inline one body for all.
const jsFns = [0, 1, 2, 3, 4, 5, 6, 7].map((k) => new Function('a', 'b', 'c', 'd', `return (a + ${k}) | 0;`));
function site(fns) {
  let s = 0;
  for (let i = 0; i < N; i++) s = (s + fns[i & 7](i, 1, 2, 3)) | 0;
  return s;
}
let sink = 0;
const f = (i) => {
  sink = (sink + i) | 0;
};
const loop = new WebAssembly.Instance(new WebAssembly.Module(loopModule()), { e: { f } }).exports.b;
function jsLoop(n) {
  for (let i = 0; i < n; i++) f(i);
}
const r = {
  'js->js (megamorphic site)': best(() => site(jsFns)),
  'js->wasm (same site)': best(() => site(wasmFns)),
  'wasm->js (import call in a wasm loop)': best(() => loop(N)),
  'js loop calling the same JS function': best(() => jsLoop(N)),
};
for (const [k, v] of Object.entries(r)) console.log(`${k}: ${v.toFixed(2)} ns`);
void sink;
