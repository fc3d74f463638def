import { defineConfig } from 'vitest/config';

// The end-to-end test: one file, its tests in order against one server and one browser.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.test.ts'],
    environment: 'node',
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 900_000,
    reporters: ['default'],
  },
});
