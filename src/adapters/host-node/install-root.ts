/**
 * Where this elfuse installation lives, and how to start another process
 * of it (a fork child). elfuse runs in one of three shapes:
 *  - from a V8 startup snapshot (dist/elfuse.blob, what the dist/elfuse command uses
 *    when the build made one): `node --snapshot-blob dist/elfuse.blob --`;
 *  - from the compiled modules (dist/app/cli.js);
 *  - from the TypeScript sources, in the tests.
 * In all three, the root is the directory holding package.json, src/ and dist/.
 */

import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The startup snapshot this process was started from, or null. */
export function snapshotBlob(): string | null {
  const args = process.execArgv;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--snapshot-blob') return args[i + 1] ?? null;
    if (a.startsWith('--snapshot-blob=')) return a.slice('--snapshot-blob='.length);
  }
  return null;
}

/** The installation's root directory. */
export function installRoot(): string {
  const blob = snapshotBlob();
  // The snapshot is dist/elfuse.blob; this module is {src,dist}/adapters/host-node/.
  return blob !== null ? resolve(dirname(blob), '..') : fileURLToPath(new URL('../../..', import.meta.url));
}

/** The native addon `name` (built by scripts/build-native.mjs), as a path for require. */
export function addonPath(name: string): string {
  return join(installRoot(), 'src/adapters/host-node/native/build/Release', `${name}.node`);
}

/** The command line that starts another elfuse process in the same shape as this one (node's options kept). */
export function selfCommand(): { file: string; args: string[] } {
  if (snapshotBlob() !== null) return { file: process.execPath, args: [...process.execArgv, '--'] };
  const cli = join(installRoot(), 'dist/app/cli.js');
  if (!existsSync(cli)) throw new Error('elfuse is not built (no dist/app/cli.js): run npm run build');
  return { file: process.execPath, args: [...process.execArgv, cli] };
}
