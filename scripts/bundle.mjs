#!/usr/bin/env node
// Builds elfuse's startup snapshot (last step of `npm run build`).
//
// Starting node on the compiled modules costs about as much again as node
// itself: resolving and compiling ~140 ES modules, then building the A64
// decoder tables and assembling the shim on every run, and every fork child
// pays it too. So the build bundles dist/app/cli.js into one script
// (esbuild) and has node run it once with --build-snapshot: the heap after
// loading, with those tables made, is saved as dist/elfuse.blob. dist/elfuse
// then starts `node --snapshot-blob dist/elfuse.blob -- ARGS`, which only
// deserialises the heap (see docs/performance.md for the figures).
//
// A snapshot only works in the node binary that made it, so the build records
// that binary's path in dist/elfuse.node; dist/elfuse (native/launch.c) uses it only
// with that node, and only while the node file is not newer than the blob.
// Without esbuild (an install without dev dependencies) or when node cannot
// build the snapshot, this says so and dist/elfuse runs bin/elfuse.js.

import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const bundle = join(dist, 'elfuse-snapshot.cjs');
const blob = join(dist, 'elfuse.blob');
const nodeFile = join(dist, 'elfuse.node');

for (const f of [bundle, blob, nodeFile]) rmSync(f, { force: true });

function skip(why) {
  process.stderr.write(`bundle: no startup snapshot (${why}); dist/elfuse runs bin/elfuse.js, slower to start\n`);
  process.exit(0);
}

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  skip('esbuild is not installed: npm install with dev dependencies');
}

await esbuild.build({
  entryPoints: [join(dist, 'app/cli.js')],
  bundle: true,
  platform: 'node',
  // The snapshot builder runs a classic script with require() for node's own modules.
  format: 'iife',
  outfile: bundle,
  // install-root.ts uses import.meta.url only outside a snapshot.
  define: { 'import.meta.url': '""' },
  logLevel: 'error',
});

const built = spawnSync(process.execPath, ['--snapshot-blob', blob, '--build-snapshot', bundle], {
  cwd: dist,
  encoding: 'utf8',
});
if (built.status !== 0) {
  rmSync(blob, { force: true });
  skip(`node --build-snapshot failed: ${(built.stderr || built.error?.message || '').trim().split('\n').pop()}`);
}
rmSync(bundle, { force: true });
writeFileSync(nodeFile, `${process.execPath}\n`);
