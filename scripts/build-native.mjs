#!/usr/bin/env node
// Builds the small native terminal addon (src/adapters/host-node/native/)
// with node-gyp. Part of `npm run build`, so both `npm install` (prepare) and
// `npm test` build it in a fresh clone, also after `npm ci --ignore-scripts`.
//
// The addon is optional: when it cannot be built (no C++ compiler, no Node
// headers) this prints why and exits 0, and elfuse runs without it (the
// termios ioctls then fail with an honest errno, see terminal.ts).
// ELFUSE_REQUIRE_NATIVE=1 turns a failed build into an error (CI).

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'src/adapters/host-node/native');
const output = join(dir, 'build/Release/elfuse_tty.node');

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

if (result.status === 0 && existsSync(output)) process.exit(0);

const why = result.error ? result.error.message : `node-gyp exited with ${result.status ?? result.signal}`;
process.stderr.write(
  `build-native: the terminal addon was not built (${why}); elfuse still runs, ` +
    'but termios ioctls and poll on terminals are unavailable\n',
);
process.exit(process.env.ELFUSE_REQUIRE_NATIVE === '1' ? 1 : 0);
