import { accessSync, constants } from 'node:fs';
import { defineConfig } from 'vitest/config';

/**
 * Test databases (SQLite directories made with os.tmpdir(), also those of the gateway processes the
 * tests spawn) live in memory where the machine has /dev/shm: no test is about surviving a power
 * cut, and with `synchronous=FULL` every commit of every migration was an fsync, which made setup
 * the larger part of the suite and its duration hostage to the disk. Set TMPDIR to choose another.
 */
if (process.env.TMPDIR === undefined && writable('/dev/shm')) process.env.TMPDIR = '/dev/shm';

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

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
