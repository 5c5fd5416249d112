import { defineConfig } from 'vitest/config';

/**
 * Two projects: `unit` is the pure core and the adapters' parsing, beside the code under src/, with
 * no database, socket or browser (`npm run test:unit`, seconds); `integration` is test/, the real
 * app on real databases, operator fakes and Chromium. `npm test` runs both.
 */
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: two workers keep the PostgreSQL and SQLite suites from starving each other.
    maxWorkers: 2,
    reporters: ['default', './test/summary-reporter.ts'],
    projects: [
      { extends: true, test: { name: 'unit', include: ['src/**/*.test.ts'] } },
      { extends: true, test: { name: 'integration', include: ['test/**/*.test.ts'] } },
    ],
  },
});
