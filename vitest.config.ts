import { defineConfig } from 'vitest/config';

// Two projects: the quick suite, and the slow one (child processes, crashes, soak) that CI
// still runs. `npm test` runs both; `npm run test:quick` only the first.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'quick', include: ['test/**/*.test.ts'], exclude: ['test/**/*.slow.test.ts'], testTimeout: 30_000 } },
      { test: { name: 'slow', include: ['test/**/*.slow.test.ts'], testTimeout: 300_000, hookTimeout: 120_000 } },
    ],
  },
});
