import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_CONSOLE_USER, seedConsoleUser, seedSandbox } from '../src/sandbox-seed.js';
import { type Database, openDatabase } from '../src/store/database.js';
import { insertConsoleUser } from '../src/store/console-users.js';
import { createConsoleUser } from '../src/commands/console-users.js';
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

  /** A fresh database and three more handles on it, as three more gateway processes would open it. */
  async function fourInstances(): Promise<Database[]> {
    test = await openTestDatabase(backend);
    const { env } = test;
    for (let i = 0; i < 3; i++) {
      others.push(
        await (env.DATABASE_URL !== undefined
          ? openDatabase({ databaseUrl: env.DATABASE_URL, dataDir: ':memory:', poolSize: 3 })
          : openDatabase({ dataDir: env.CAURI_DATA_DIR ?? '' })),
      );
    }
    return [test.db, ...others];
  }

  it('creates the demo project once and lets every instance start', async () => {
    const seeded = await Promise.all((await fourInstances()).map((db) => seedSandbox(db, Date.now())));
    expect(seeded.filter((s) => s.created)).toHaveLength(1);
    expect(new Set(seeded.map((s) => s.projectId)).size).toBe(1);
    const wallets = await test.db.command((tx) =>
      tx.selectFrom('accounts').select('id').where('kind', '=', 'wallet').execute(),
    );
    expect(wallets).toHaveLength(1);
  });

  // CI once saw the three-instance test fail with "duplicate key value violates unique constraint
  // console_users_username_key": two instances both found no demo account, both hashed its
  // password, and the second insert lost.
  it('creates the demo console account once and lets every instance start', async () => {
    const seeded = await Promise.all((await fourInstances()).map((db) => seedConsoleUser(db, Date.now())));
    expect(seeded.filter((s) => s.created)).toHaveLength(1);
    const users = await test.db.command((tx) =>
      tx.selectFrom('console_users').select('username').where('username', '=', DEMO_CONSOLE_USER).execute(),
    );
    expect(users).toHaveLength(1);
  });

  // The race itself, made certain: an insert of a name another transaction took since this one
  // looked gives "taken", not an error that would end start-up.
  it('inserts a console user whose name was taken meanwhile as nothing, not as an error', async () => {
    test = await openTestDatabase(backend);
    const user = (id: string) => ({ id, username: DEMO_CONSOLE_USER, passwordHash: 'x', nowMs: 1 });
    const first = await test.db.command((tx) => insertConsoleUser(tx, user('usr_a')));
    const second = await test.db.command((tx) => insertConsoleUser(tx, user('usr_b')));
    expect(first?.id).toBe('usr_a');
    expect(second).toBeUndefined();
    const again = await test.db.command((tx) => createConsoleUser(tx, DEMO_CONSOLE_USER, 'x', 2));
    expect(again.ok).toBe(false);
  });
});
