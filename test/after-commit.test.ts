import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { Rollback, afterCommit } from '../src/store/database.js';
import { BACKENDS, type TestDatabase, openTestDatabase } from './harness.js';

/**
 * Work wakes after commit (issue 11): a listener learns of a command's announcement only once the
 * command's writes are visible to every other connection, never for a command that rolled back,
 * and once per commit for a whole group of commands.
 */
describe.each(BACKENDS)('afterCommit on %s', (backend) => {
  let test: TestDatabase;
  let readers: Array<() => Promise<void>> = [];

  afterEach(async () => {
    for (const close of readers) await close();
    readers = [];
    await test.destroy();
  });

  /** Reads a setting through a connection of its own, outside the store. */
  async function outsideReader(): Promise<(key: string) => Promise<string | undefined>> {
    if (backend === 'sqlite') {
      const raw = new SqliteDatabase(path.join(test.env.CAURI_DATA_DIR ?? '', 'cauri.sqlite'), {
        readonly: true,
      });
      readers.push(() => {
        raw.close();
        return Promise.resolve();
      });
      const statement = raw.prepare('select value from settings where key = ?');
      return (key) => Promise.resolve((statement.get(key) as { value: string } | undefined)?.value);
    }
    const client = new pg.Client({ connectionString: test.env.DATABASE_URL });
    await client.connect();
    readers.push(() => client.end());
    return async (key) =>
      (
        (await client.query('select value from settings where key = $1', [key])).rows[0] as
          { value: string } | undefined
      )?.value;
  }

  it('tells listeners after the commit, when another connection already sees the writes', async () => {
    test = await openTestDatabase(backend);
    const read = await outsideReader();
    const seen: Array<Promise<string | undefined>> = [];
    test.db.onCommit('payouts', () => seen.push(read('wake-test')));
    await test.db.command(async (tx) => {
      await tx.insertInto('settings').values({ key: 'wake-test', value: 'committed' }).execute();
      afterCommit(tx, 'payouts');
      // Still inside the transaction: nobody has been told yet.
      expect(seen).toHaveLength(0);
    });
    expect(seen).toHaveLength(1);
    expect(await seen[0]).toBe('committed');
  });

  it('never tells listeners of a command that rolled back', async () => {
    test = await openTestDatabase(backend);
    let calls = 0;
    test.db.onCommit('callbacks', () => calls++);
    await expect(
      test.db.command(async (tx) => {
        await tx.insertInto('settings').values({ key: 'rolled-back', value: 'x' }).execute();
        afterCommit(tx, 'callbacks');
        throw new Rollback('no');
      }),
    ).rejects.toBeInstanceOf(Rollback);
    expect(calls).toBe(0);
  });

  it('tells each listener once per commit, however many commands of a group announced', async () => {
    test = await openTestDatabase(backend);
    let calls = 0;
    let other = 0;
    test.db.onCommit('callbacks', () => calls++);
    const off = test.db.onCommit('projects', () => other++);
    off();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        test.db.command(async (tx) => {
          await tx
            .insertInto('settings')
            .values({ key: `group-${i}`, value: 'x' })
            .execute();
          afterCommit(tx, 'callbacks');
          afterCommit(tx, 'projects');
        }),
      ),
    );
    // Twenty commands queued at once share a group commit or a few.
    expect(calls).toBeGreaterThanOrEqual(1);
    expect(calls).toBeLessThan(20);
    expect(other).toBe(0);
  });
});

it('refuses an announcement outside a command', () => {
  // A transaction the store did not hand out has nobody to tell after its commit.
  expect(() => afterCommit({} as never, 'payouts')).toThrow(/outside a database command/);
});
