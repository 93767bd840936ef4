/**
 * Vitest configuration for the whole suite: unit, property and e2e tests.
 * E2E tests run guests under the interpreter backend (and busybox under it
 * can take seconds), so the timeouts are generous; forks keep each test file
 * in its own process, and two workers match the two cores CI has.
 * ELFUSE_VITEST_JSON (set by .ci/run) adds a JSON report at that path.
 */
import { defineConfig } from 'vitest/config';

const jsonReport = process.env.ELFUSE_VITEST_JSON;

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: jsonReport ? ['default', ['json', { outputFile: jsonReport }]] : ['default'],
  },
});
