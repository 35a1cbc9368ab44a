import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup-env.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Real-tool tests create network namespaces and processes; keep files from racing for them.
    fileParallelism: false,
  },
});
