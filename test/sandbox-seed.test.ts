import { afterEach, describe, expect, it } from 'vitest';
import { seedSandbox } from '../src/sandbox-seed.js';
import { type Database, openDatabase } from '../src/store/database.js';
import { BACKENDS, type TestDatabase, openTestDatabase } from './harness.js';

/**
 * Several sandbox instances starting at once on one database all come up (the three-instance test
 * once failed with "duplicate key value violates unique constraint projects_apikey_key"): one of
 * them creates the demo project, the others find it.
 */
describe.each(BACKENDS)('seeding the sandbox from several instances at once on %s', (backend) => {
  let test: TestDatabase;
  const others: Database[] = [];
  afterEach(async () => {
    for (const db of others.splice(0)) await db.close();
    await test.destroy();
  });

  it('creates the demo project once and lets every instance start', async () => {
    test = await openTestDatabase(backend);
    const { env } = test;
    for (let i = 0; i < 3; i++) {
      others.push(
        await (env.DATABASE_URL !== undefined
          ? openDatabase({ databaseUrl: env.DATABASE_URL, dataDir: ':memory:', poolSize: 3 })
          : openDatabase({ dataDir: env.CAURI_DATA_DIR ?? '' })),
      );
    }
    const seeded = await Promise.all([test.db, ...others].map((db) => seedSandbox(db, Date.now())));
    expect(seeded.filter((s) => s.created)).toHaveLength(1);
    expect(new Set(seeded.map((s) => s.projectId)).size).toBe(1);
    const wallets = await test.db.command((tx) =>
      tx.selectFrom('accounts').select('id').where('kind', '=', 'wallet').execute(),
    );
    expect(wallets).toHaveLength(1);
  });
});
