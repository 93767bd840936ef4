#!/usr/bin/env node
// Builds the native addons (src/adapters/host-node/native/) with node-gyp:
// elfuse_posix (the *at(2) file calls every path operation goes through) and
// elfuse_tty (termios, window size, readiness), and the `elfuse` command
// (launch.c), copied to dist/elfuse. Part of `npm run build`, so
// both `npm install` (prepare) and `npm test` build them in a fresh clone,
// also after `npm ci --ignore-scripts`.
//
// elfuse cannot run without elfuse_posix: when the build fails, this says in
// one paragraph what to install and exits 1.

import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'src/adapters/host-node/native');
const outputs = ['elfuse_posix', 'elfuse_tty'].map((name) => join(dir, `build/Release/${name}.node`));
// The command itself (launch.c), installed as dist/elfuse: the package's bin.
const launcher = join(dir, 'build/Release/elfuse');

// Inside npm scripts npm names its bundled node-gyp; run directly, use the copy
// bundled with the npm next to this node, else whatever is on PATH.
const prefix = dirname(dirname(process.execPath));
const gypScript = [
  process.env.npm_config_node_gyp,
  join(prefix, 'lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
].find((p) => p && existsSync(p));
const [cmd, args] = gypScript ? [process.execPath, [gypScript, 'rebuild']] : ['node-gyp', ['rebuild']];
// Headers: npm's nodedir setting, else the ones installed with this node (no download).
const nodedir =
  process.env.npm_config_nodedir ?? (existsSync(join(prefix, 'include/node/node_api.h')) ? prefix : undefined);
if (nodedir) args.push(`--nodedir=${nodedir}`);

const result = spawnSync(cmd, [...args, '--directory', dir, '--loglevel', 'warn'], {
  stdio: ['ignore', 'inherit', 'inherit'],
  cwd: root,
});

if (result.status === 0 && outputs.every((o) => existsSync(o)) && existsSync(launcher)) {
  mkdirSync(join(root, 'dist'), { recursive: true });
  copyFileSync(launcher, join(root, 'dist/elfuse'));
  process.exit(0);
}

const why = result.error ? result.error.message : `node-gyp exited with ${result.status ?? result.signal}`;
const install =
  process.platform === 'darwin'
    ? 'the Xcode command line tools (xcode-select --install) and python3'
    : 'a C++ compiler, make and python3 (Debian/Ubuntu: apt-get install g++ make python3)';
process.stderr.write(
  `build-native: elfuse's native addon could not be built (${why}). ` +
    `elfuse needs it for every file operation; install ${install}, then run npm install again.\n`,
);
process.exit(1);
