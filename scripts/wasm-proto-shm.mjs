#!/usr/bin/env node
// wasm-proto-shm.mjs: can host shared mappings go over a WebAssembly.Memory?
// The native addon's mapFd (MAP_FIXED over a page range of the RAM buffer)
// is given a WebAssembly.Memory's buffer instead of ramReserve's; stores
// from JavaScript and from wasm code must reach the memfd, a write to the
// file must show in the memory, and unmapAt must put a zeroed page back
// (docs/performance.md, "A WebAssembly tier"). Build first (npm run build).
import { readSync, writeSync } from 'node:fs';

const { posix } = await import(new URL('../dist/adapters/host-node/posix.js', import.meta.url));
const a = posix();
const mem = new WebAssembly.Memory({ initial: 32769, maximum: 32769 }); // 2 GiB + 64 KiB, like the RAM slab
const u8 = new Uint8Array(mem.buffer);
u8[0x10000] = 7;
const fd = a.memfdCreate(0x10000);
a.mapFd(mem.buffer, 0x10000, 0x10000, fd, 0, true);
u8[0x10000 + 5] = 42; // a JS store through the memory's buffer
// A wasm store into the same page: (func (param i32 i32) local.get 0 local.get 1 i32.store8)
const bytes = new Uint8Array([0,97,115,109,1,0,0,0, 1,6,1,96,2,127,127,0, 2,8,1,1,101,1,109,2,0,1, 3,2,1,0, 7,5,1,1,115,0,0, 10,11,1,9,0,32,0,32,1,58,0,0,11]);
const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { e: { m: mem } });
inst.exports.s(0x10000 + 6, 43);
const back = Buffer.alloc(8);
readSync(fd, back, 0, 8, 0);
console.log('file sees', [...back], '(expect 0 at [0]: the old private byte 7 is gone; 42 and 43 at [5], [6])');
// And the other direction: a write to the file shows in wasm memory.
writeSync(fd, Buffer.from([99]), 0, 1, 9);
console.log('memory sees', u8[0x10000 + 9], '(expect 99)');
a.unmapAt(mem.buffer, 0x10000, 0x10000, false);
console.log('after unmap', u8[0x10000 + 5], '(expect 0)');
