import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../src/store/database.js';
import { prepared } from '../src/store/prepared.js';

describe('prepared queries', () => {
  let dir: string;
  let db: Database;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'cauri-prepared-'));
    db = await openDatabase({ dataDir: dir });
  });
  afterAll(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const insertSetting = prepared((tx, row: { key: string; value: string }) =>
    tx.insertInto('settings').values(row),
  );
  const byKeys = prepared((tx, p: { keys: string[] }) =>
    tx.selectFrom('settings').select(['key', 'value']).where('key', 'in', p.keys).orderBy('key'),
  );
  const filtered = prepared((tx, p: { limit: number; value?: string | undefined }) => {
    let query = tx.selectFrom('settings').select('key').orderBy('key').limit(p.limit);
    if (p.value !== undefined) query = query.where('value', '=', p.value);
    return query;
  });

  it('binds each call its own values, in commands and outside them', async () => {
    await db.command(async (tx) => {
      for (const [key, value] of [
        ['p1', 'a'],
        ['p2', 'b'],
        ['p3', 'a'],
      ] as const)
        await insertSetting.run(tx, { key, value });
    });
    const inCommand = await db.command((tx) => byKeys.rows(tx, { keys: ['p3', 'p1'] }));
    expect(inCommand).toEqual([
      { key: 'p1', value: 'a' },
      { key: 'p3', value: 'a' },
    ]);
    // Lists of another length, and a transaction no store opened (the ordinary path).
    const kysely = (db as unknown as { kysely: Parameters<typeof byKeys.rows>[0] }).kysely;
    expect(await byKeys.rows(kysely, { keys: ['p2'] })).toEqual([{ key: 'p2', value: 'b' }]);
    expect(await db.command((tx) => byKeys.rows(tx, { keys: ['p1', 'p2', 'p3'] }))).toHaveLength(3);
  });

  it('treats a parameter left undefined as a query of another shape', async () => {
    const all = await db.command((tx) => filtered.rows(tx, { limit: 10, value: undefined }));
    const onlyA = await db.command((tx) => filtered.rows(tx, { limit: 10, value: 'a' }));
    const firstA = await db.command((tx) => filtered.rows(tx, { limit: 1, value: 'a' }));
    expect(all.map((r) => r.key).filter((k) => k.startsWith('p'))).toEqual(['p1', 'p2', 'p3']);
    expect(onlyA.map((r) => r.key)).toEqual(['p1', 'p3']);
    expect(firstA.map((r) => r.key)).toEqual(['p1']);
  });

  it('refuses a builder that puts a parameter into the SQL text', async () => {
    const bad = prepared((tx, p: { column: string }) =>
      tx
        .selectFrom('settings')
        .select('key')
        .orderBy(p.column as 'key'),
    );
    await expect(db.command((tx) => bad.rows(tx, { column: 'key' }))).rejects.toThrow(
      /parameter inside its SQL text/,
    );
  });
});
