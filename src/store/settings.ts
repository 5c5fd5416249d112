import type { Tx } from './database.js';

/** The `settings` table: values the database keeps for every instance (its mode, the token secret). */
export async function readSetting(tx: Tx, key: string): Promise<string | undefined> {
  const row = await tx.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
  return row?.value;
}

/**
 * Stores `value` under `key` unless a value is there already, and answers the value that is: the
 * first writer wins, so that instances starting together agree on one value.
 */
export async function settingOnce(tx: Tx, key: string, value: string): Promise<string> {
  await tx
    .insertInto('settings')
    .values({ key, value })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  const row = await tx
    .selectFrom('settings')
    .select('value')
    .where('key', '=', key)
    .executeTakeFirstOrThrow();
  return row.value;
}
