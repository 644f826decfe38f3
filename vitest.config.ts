import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**'],
    globalSetup: ['test/harness/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // 2-core machines: a few files at a time keeps timing-sensitive reliability tests honest.
    maxWorkers: 2,
    fileParallelism: true,
  },
});
