import { defineConfig } from 'vitest/config';

// Unit tests: pure logic in Node (with the real WebAssembly package where crypto is involved),
// DOM rendering in jsdom. TZ is pinned in package.json's script (UTC) and changed per test
// where local days matter.
export default defineConfig({
  define: { __APP_VERSION__: JSON.stringify('test') },
  test: {
    include: ['test/unit/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
  },
});
