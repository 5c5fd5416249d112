import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, openTestDatabase } from './harness.js';

/**
 * The console's period and phone queries read an index, not whole tables (migrations 0005, 0007):
 * SQLite's query plan names the index it uses.
 */
describe('console query plans on SQLite', () => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await openTestDatabase('sqlite');
  });
  afterAll(async () => test.destroy());

  const plan = (query: string) =>
    test.db.command(async (tx) =>
      (await sql<{ detail: string }>`${sql.raw(`EXPLAIN QUERY PLAN ${query}`)}`.execute(tx)).rows
        .map((r) => r.detail)
        .join('; '),
    );

  it.each(['payins', 'payouts'])(
    '%s: a period (the dashboard) and the newest first (the transaction list)',
    async (table) => {
      expect(
        await plan(`SELECT count(*) FROM ${table} WHERE created_at_ms >= 1 AND created_at_ms < 2`),
      ).toContain(`${table}_created`);
      expect(await plan(`SELECT id FROM ${table} ORDER BY created_at_ms DESC LIMIT 50`)).toContain(
        `${table}_created`,
      );
    },
  );

  it.each(['payins', 'payouts'])('%s: one customer, newest first', async (table) => {
    expect(
      await plan(
        `SELECT id FROM ${table} WHERE customer = '22670123456' ORDER BY created_at_ms DESC LIMIT 50`,
      ),
    ).toContain(`${table}_customer_created`);
  });
});
