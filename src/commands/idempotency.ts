import { createHash } from 'node:crypto';
import type { Tx } from '../store/database.js';

/**
 * `Idempotency-Key` (Cauri's addition; LigdiCash has none, spec §8.4). A successful create is
 * recorded with the key in the same transaction as the command, so a retry with the same key and
 * the same body gets the same answer and moves no money twice; the same key with another body is
 * refused. Failed requests are not recorded: they moved no money, and a retry may succeed.
 */
export const IDEMPOTENCY_KEY_LENGTH_MAX = 255;
export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;

export function requestHash(endpoint: string, body: unknown): string {
  return createHash('sha256').update(endpoint).update('\u0000').update(JSON.stringify(body) ?? '').digest('hex');
}

export type Replay = { kind: 'none' } | { kind: 'replay'; response: unknown } | { kind: 'conflict' };

export async function findReplay(tx: Tx, projectId: string, key: string, hash: string, nowMs: number): Promise<Replay> {
  const row = await tx
    .selectFrom('idempotency')
    .select(['request_hash', 'response', 'created_at_ms'])
    .where('project_id', '=', projectId)
    .where('idempotency_key', '=', key)
    .executeTakeFirst();
  if (!row) return { kind: 'none' };
  if (nowMs - Number(row.created_at_ms) > IDEMPOTENCY_TTL_MS) {
    await tx.deleteFrom('idempotency').where('project_id', '=', projectId).where('idempotency_key', '=', key).execute();
    return { kind: 'none' };
  }
  if (row.request_hash !== hash) return { kind: 'conflict' };
  return { kind: 'replay', response: JSON.parse(row.response) as unknown };
}

export async function recordResponse(tx: Tx, projectId: string, key: string, endpoint: string, hash: string, response: unknown, nowMs: number): Promise<void> {
  await tx
    .insertInto('idempotency')
    .values({ project_id: projectId, idempotency_key: key, endpoint, request_hash: hash, response: JSON.stringify(response), created_at_ms: nowMs })
    .execute();
}
