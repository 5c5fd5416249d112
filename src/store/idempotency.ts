import type { Dialect, Tx } from './database.js';

/**
 * The `idempotency` table (ADR 0016): one row per project and `Idempotency-Key`, inserted as a
 * claim before the command runs and given the command's answer in the same transaction.
 */
export interface KeyOf {
  projectId: string;
  key: string;
}

/** What a request recorded under a key: its body's hash, its answer (JSON), and when it came. */
export interface RecordedKey {
  requestHash: string;
  response: string;
  createdAtMs: number;
}

/** A new claim; false when the key is taken (on PostgreSQL, after waiting for its taker's commit). */
export async function insertKeyClaim(
  tx: Tx,
  k: KeyOf,
  endpoint: string,
  hash: string,
  response: string,
  nowMs: number,
): Promise<boolean> {
  // ON CONFLICT DO NOTHING waits, on PostgreSQL, for the transaction that inserted the same key.
  const inserted = await tx
    .insertInto('idempotency')
    .values({
      project_id: k.projectId,
      idempotency_key: k.key,
      endpoint,
      request_hash: hash,
      response,
      created_at_ms: nowMs,
    })
    .onConflict((oc) => oc.columns(['project_id', 'idempotency_key']).doNothing())
    .executeTakeFirst();
  return Number(inserted.numInsertedOrUpdatedRows ?? 0n) > 0;
}

/** The key's row, locked on PostgreSQL so that nobody takes it over while this request decides. */
export async function lockRecordedKey(tx: Tx, dialect: Dialect, k: KeyOf): Promise<RecordedKey | undefined> {
  const query = tx
    .selectFrom('idempotency')
    .select(['request_hash', 'response', 'created_at_ms'])
    .where('project_id', '=', k.projectId)
    .where('idempotency_key', '=', k.key);
  const row = await (dialect === 'postgres' ? query.forUpdate() : query).executeTakeFirst();
  if (row === undefined) return undefined;
  return { requestHash: row.request_hash, response: row.response, createdAtMs: Number(row.created_at_ms) };
}

/** Takes over an expired key's row as a new claim. */
export async function reclaimKey(
  tx: Tx,
  k: KeyOf,
  endpoint: string,
  hash: string,
  response: string,
  nowMs: number,
): Promise<void> {
  await tx
    .updateTable('idempotency')
    .set({ endpoint, request_hash: hash, response, created_at_ms: nowMs })
    .where('project_id', '=', k.projectId)
    .where('idempotency_key', '=', k.key)
    .execute();
}

export async function recordKeyResponse(tx: Tx, k: KeyOf, response: string): Promise<void> {
  await tx
    .updateTable('idempotency')
    .set({ response })
    .where('project_id', '=', k.projectId)
    .where('idempotency_key', '=', k.key)
    .execute();
}

export async function releaseKey(tx: Tx, k: KeyOf): Promise<void> {
  await tx
    .deleteFrom('idempotency')
    .where('project_id', '=', k.projectId)
    .where('idempotency_key', '=', k.key)
    .execute();
}
