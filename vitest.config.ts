import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores: learning tests and process tests should not fight each other.
    fileParallelism: true,
    maxWorkers: 2,
    pool: 'forks',
  },
});
