import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/store/database.js';
import { BACKENDS, type TestDatabase, openTestDatabase, PG_URL } from './harness.js';

/**
 * Opening a database that is already migrated must not run Kysely's migrator: on PostgreSQL the
 * migrator takes a database-wide advisory lock and introspects every schema of the database, which
 * races any other process's DDL (CI saw "column subject_id of relation outbox does not exist" from
 * a schema dropped meanwhile). Kysely's lock id, from kysely/dist/esm/dialect/postgres/postgres-adapter.js.
 */
const KYSELY_MIGRATION_LOCK_ID = '3853314791062309107';

describe.each(BACKENDS)('migrations on %s', (backend) => {
  let test: TestDatabase | undefined;
  afterEach(async () => {
    await test?.destroy();
    test = undefined;
  });

  it('opens an up-to-date database again without the migrator', async () => {
    test = await openTestDatabase(backend);
    const options = { databaseUrl: test.env.DATABASE_URL, dataDir: test.env.CAURI_DATA_DIR ?? ':memory:' };
    if (backend === 'sqlite') {
      const again = await openDatabase(options);
      await again.close();
      return;
    }
    // Somebody else holds the migration lock: a migrator would wait for it (Kysely waits an hour).
    const holder = new pg.Client({ connectionString: PG_URL });
    await holder.connect();
    try {
      await holder.query(`select pg_advisory_lock(${KYSELY_MIGRATION_LOCK_ID})`);
      const opened = openDatabase(options).then((db) => db.close().then(() => 'opened'));
      const timeout = new Promise((resolve) =>
        setTimeout(() => resolve('waited for the migration lock'), 3_000),
      );
      expect(await Promise.race([opened, timeout])).toBe('opened');
    } finally {
      await holder.query(`select pg_advisory_unlock(${KYSELY_MIGRATION_LOCK_ID})`);
      await holder.end();
    }
  });
});
