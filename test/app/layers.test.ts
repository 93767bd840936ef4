/**
 * The layer rule of ARCHITECTURE.md: src/domain imports only src/ports and
 * itself, src/ports imports only itself. Host APIs (node:*, Buffer, process)
 * are kept out by tsconfig.domain.json, which compiles both without Node's
 * types; this test covers what a compiler cannot see, an import of an
 * adapter or of the composition root.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../e2e/helpers.js';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Every module specifier a file imports or re-exports (static and dynamic). */
function specifiers(text: string): string[] {
  return [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
}

describe('layers', () => {
  for (const [layer, allowed] of [['domain', ['domain', 'ports']], ['ports', ['ports']]] as const) {
    it(`src/${layer} imports only ${allowed.map((a) => `src/${a}`).join(' and ')}`, () => {
      const bad: string[] = [];
      const files = sources(join(ROOT, 'src', layer));
      expect(files.length).toBeGreaterThan(0);
      for (const file of files) {
        for (const spec of specifiers(readFileSync(file, 'utf8'))) {
          const where = spec.startsWith('.') ? relative(join(ROOT, 'src'), resolve(dirname(file), spec)).split('/')[0]! : spec;
          if (!(allowed as readonly string[]).includes(where)) bad.push(`${relative(ROOT, file)}: ${spec}`);
        }
      }
      expect(bad).toEqual([]);
    });
  }
});
