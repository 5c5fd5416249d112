import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { uniqueViolation } from '../src/store/database.js';
import { prepared } from '../src/store/prepared.js';
import { lockAccounts } from '../src/store/ledger-store.js';
import { BACKENDS, type TestDatabase, openTestDatabase } from './harness.js';

/**
 * The store's group commit and deferred writes (ADR 0019), on both databases: what a command
 * writes with `defer` is visible to its own next statement and to the next command of its group,
 * a deferred write's error fails its own command only, and writes of one row never share a
 * statement (PostgreSQL runs every part of one statement on one snapshot).
 */
const insertSetting = prepared((tx, row: { key: string; value: string }) =>
  tx.insertInto('settings').values(row),
);
const updateSetting = prepared((tx, p: { key: string; value: string }) =>
  tx.updateTable('settings').set({ value: p.value }).where('key', '=', p.key),
);
const settingOf = prepared((tx, p: { key: string }) =>
  tx.selectFrom('settings').select('value').where('key', '=', p.key),
);

describe.each(BACKENDS)('deferred writes and group commit on %s', (backend) => {
  let test: TestDatabase;
  afterEach(async () => {
    await test.destroy();
  });

  it('reads its own deferred writes, in order, including two updates of one row', async () => {
    test = await openTestDatabase(backend);
    const value = await test.db.command(async (tx) => {
      await insertSetting.defer(tx, { key: 'd1', value: 'a' });
      await updateSetting.defer(tx, { key: 'd1', value: 'b' });
      await updateSetting.defer(tx, { key: 'd1', value: 'c' });
      return (await settingOf.rows(tx, { key: 'd1' }))[0]?.value;
    });
    expect(value).toBe('c');
  });

  it("fails only the command whose deferred write fails, and keeps its group's others", async () => {
    test = await openTestDatabase(backend);
    await test.db.command((tx) => insertSetting.run(tx, { key: 'taken', value: 'x' }));
    // Queued together, so that they share a group commit.
    const results = await Promise.allSettled(
      ['k1', 'taken', 'k3'].map((key) =>
        test.db.command((tx) => insertSetting.defer(tx, { key, value: 'y' })),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const keys = await test.db.command((tx) =>
      tx
        .selectFrom('settings')
        .select('key')
        .where('key', 'in', ['k1', 'taken', 'k3'])
        .orderBy('key')
        .execute(),
    );
    expect(keys.map((k) => k.key)).toEqual(['k1', 'k3', 'taken']);
  });

  it('fails only the command whose write, sent in a wave with nobody waiting, fails, and commits the rest', async () => {
    test = await openTestDatabase(backend);
    await test.db.command((tx) => insertSetting.run(tx, { key: 'taken', value: 'x' }));
    // Each command's update of its own row follows its insert: on PostgreSQL, in a wave, the insert
    // then goes out at once and nobody waits for its answer, so its unique violation is seen late.
    const results = await Promise.allSettled(
      ['w1', 'taken', 'w3'].map((key) =>
        test.db.command(
          async (tx) => {
            await insertSetting.defer(tx, { key, value: 'y' });
            await updateSetting.defer(tx, { key, value: 'z' });
            await updateSetting.defer(tx, { key, value: 'z2' });
          },
          { concurrent: true },
        ),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(uniqueViolation((results[1] as PromiseRejectedResult).reason)).toBeDefined();
    const rows = await test.db.command((tx) =>
      tx
        .selectFrom('settings')
        .select(['key', 'value'])
        .where('key', 'in', ['w1', 'taken', 'w3'])
        .orderBy('key')
        .execute(),
    );
    expect(rows).toEqual([
      { key: 'taken', value: 'x' },
      { key: 'w1', value: 'z2' },
      { key: 'w3', value: 'z2' },
    ]);
  });

  it('shows a command the deferred writes of the command before it in the same group', async () => {
    test = await openTestDatabase(backend);
    const [, seen] = await Promise.all([
      test.db.command((tx) => insertSetting.defer(tx, { key: 'first', value: 'v' })),
      test.db.command(async (tx) => (await settingOf.rows(tx, { key: 'first' }))[0]?.value),
    ]);
    expect(seen).toBe('v');
  });

  it('commits nothing of a deferred write whose command threw after it', async () => {
    test = await openTestDatabase(backend);
    await expect(
      test.db.command(async (tx) => {
        await insertSetting.defer(tx, { key: 'thrown', value: 'v' });
        throw new Error('changed its mind');
      }),
    ).rejects.toThrow('changed its mind');
    const row = await test.db.command((tx) => settingOf.rows(tx, { key: 'thrown' }));
    expect(row).toEqual([]);
  });
});

describe.skipIf(!BACKENDS.includes('postgres'))('PostgreSQL round trips', () => {
  let test: TestDatabase | undefined;
  afterEach(async () => {
    await test?.destroy();
  });

  it('sends the deferred writes of a group together, and group commits many commands under one COMMIT', async () => {
    const sent: string[] = [];
    // eslint-disable-next-line @typescript-eslint/unbound-method -- put back as it was, unbound
    const original = pg.Client.prototype.query;
    // Counting what reaches node-postgres from the store's own connections.
    (pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown }).query = function (
      this: unknown,
      ...args: unknown[]
    ) {
      const first = args[0];
      sent.push(typeof first === 'string' ? first : String((first as { text?: unknown }).text));
      return (original as unknown as (...a: unknown[]) => unknown).apply(this, args);
    };
    try {
      // The store's connections are made after the patch, so what they send passes through it.
      const { db } = (test = await openTestDatabase('postgres'));
      sent.length = 0;
      await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          db.command(async (tx) => {
            await insertSetting.defer(tx, { key: `a${i}`, value: 'x' });
            await insertSetting.defer(tx, { key: `b${i}`, value: 'x' });
          }),
        ),
      );
    } finally {
      pg.Client.prototype.query = original;
    }
    const writes = sent.filter((text) => text.includes('insert into "settings"'));
    const commits = sent.filter((text) => /^commit$/i.test(text.trim()));
    // Ten commands, two inserts each: the writes of a group go together (a statement carries up to
    // 32), and fewer commits than commands.
    expect(writes.length).toBeLessThanOrEqual(3);
    expect(writes.every((text) => text.startsWith('with w0 as (insert into "settings"'))).toBe(true);
    expect(commits.length).toBeLessThan(10);
  });
});

describe.skipIf(!BACKENDS.includes('postgres'))('PostgreSQL separate commands', () => {
  let test: TestDatabase | undefined;
  afterEach(async () => {
    await test?.destroy();
  });

  it("runs workers' bookkeeping beside a group that waits on a lock, and the group still finishes", async () => {
    test = await openTestDatabase('postgres');
    const { db } = test;
    await db.command((tx) => insertSetting.run(tx, { key: 'locked', value: 'x' }));
    const holder = new pg.Client({ connectionString: test.env.DATABASE_URL });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query("select * from settings where key = 'locked' for update");
      const order: string[] = [];
      // Waits for the holder: first in its group (which gives up after its lock timeout), then alone.
      const grouped = db
        .command((tx) =>
          tx.selectFrom('settings').selectAll().where('key', '=', 'locked').forUpdate().execute(),
        )
        .then(() => order.push('grouped'));
      await new Promise((resolve) => setTimeout(resolve, 50));
      await db.command((tx) => insertSetting.run(tx, { key: 'bookkeeping', value: 'y' }), { separate: true });
      order.push('separate');
      await holder.query('commit');
      await grouped;
      expect(order).toEqual(['separate', 'grouped']);
    } finally {
      await holder.end();
    }
  });
});

describe.skipIf(!BACKENDS.includes('postgres'))('PostgreSQL writes riding on reads', () => {
  let test: TestDatabase | undefined;
  afterEach(async () => {
    await test?.destroy();
  });

  const account = (id: string) => ({
    id,
    kind: 'wallet',
    project_id: null,
    operator_id: null,
    phone: null,
    holder_name: null,
    must_not_overdraw: 1,
    debits_posted_xof: 0,
    credits_posted_xof: 0,
    debits_pending_xof: 0,
    credits_pending_xof: 0,
    created_at_ms: 0,
  });

  it("blames a failed write that rode on the next command's read on both, and settles each alone", async () => {
    test = await openTestDatabase('postgres');
    const { db } = test;
    await db.command(async (tx) => {
      await insertSetting.run(tx, { key: 'taken', value: 'x' });
      await tx
        .insertInto('accounts')
        .values([account('wal:a'), account('wal:b')])
        .execute();
    });
    // Queued together: the first's failing insert waits, then rides on the second's balance read.
    const results = await Promise.allSettled([
      db.command((tx) => insertSetting.defer(tx, { key: 'taken', value: 'y' })),
      db.command(async (tx) => [...(await lockAccounts(tx, 'postgres', ['wal:a'])).keys()]),
      db.command(async (tx) => [...(await lockAccounts(tx, 'postgres', ['wal:b'])).keys()]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
    expect(results[1]).toMatchObject({ value: ['wal:a'] });
    expect(results[2]).toMatchObject({ value: ['wal:b'] });
  });

  it('reads a balance row locked earlier in the same transaction from memory, as the transaction left it', async () => {
    test = await openTestDatabase('postgres');
    const { db } = test;
    await db.command((tx) => tx.insertInto('accounts').values(account('wal:c')).execute());
    const sent: string[] = [];
    const seen = await db.command(async (tx) => {
      const first = await lockAccounts(tx, 'postgres', ['wal:c']);
      const original = tx.executeQuery.bind(tx) as (query: { sql: string }) => Promise<unknown>;
      (tx as unknown as { executeQuery: typeof original }).executeQuery = (query) => {
        sent.push(query.sql);
        return original(query);
      };
      const again = await lockAccounts(tx, 'postgres', ['wal:c']);
      return { first: first.get('wal:c'), again: again.get('wal:c') };
    });
    expect(seen.again).toEqual(seen.first);
    expect(sent).toEqual([]);
  });
});
