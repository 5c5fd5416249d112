import { createHash } from 'node:crypto';
import type { Dialect, Tx } from '../store/database.js';
import {
  type KeyOf,
  insertKeyClaim,
  lockRecordedKey,
  reclaimKey,
  recordKeyResponse,
  releaseKey,
} from '../store/idempotency.js';

/**
 * `Idempotency-Key` (Cauri's addition; LigdiCash has none, spec §8.4). A successful create is
 * recorded with the key in the same transaction as the command, so a retry with the same key and
 * the same body gets the same answer and moves no money twice; the same key with another body is
 * refused. Failed requests are not recorded: they moved no money, and a retry may succeed.
 *
 * The key is taken before the command runs (ADR 0016): the first request inserts a claim row, and
 * on PostgreSQL a concurrent request with the same key waits on that row until the first commits,
 * then reads its answer. Checking for a recorded answer without taking the key let a concurrent
 * retry run the command too, and meet the first one's `transaction_id` ("already exists").
 */
export const IDEMPOTENCY_KEY_LENGTH_MAX = 255;
export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;
/** The `response` of a claim whose command has not finished; a committed row never keeps it. */
const CLAIMED = '';
/** Rounds of insert-or-read: a second one is needed only when another request removed an expired row in between. */
const CLAIM_ROUNDS_MAX = 3;

export function requestHash(endpoint: string, body: unknown): string {
  return createHash('sha256')
    .update(endpoint)
    .update('\u0000')
    .update(JSON.stringify(body) ?? '')
    .digest('hex');
}

export type Claim = { kind: 'claimed' } | { kind: 'replay'; response: unknown } | { kind: 'conflict' };

/**
 * Takes the key for this request: `claimed` (run the command, then `settleKey`), the recorded
 * answer of an earlier success with the same body, or `conflict` for another body.
 */
export async function claimKey(
  tx: Tx,
  dialect: Dialect,
  k: KeyOf,
  endpoint: string,
  hash: string,
  nowMs: number,
): Promise<Claim> {
  for (let round = 0; round < CLAIM_ROUNDS_MAX; round++) {
    if (await insertKeyClaim(tx, k, endpoint, hash, CLAIMED, nowMs)) return { kind: 'claimed' };
    const row = await lockRecordedKey(tx, dialect, k);
    if (!row) continue;
    if (nowMs - row.createdAtMs > IDEMPOTENCY_TTL_MS) {
      await reclaimKey(tx, k, endpoint, hash, CLAIMED, nowMs);
      return { kind: 'claimed' };
    }
    // A claim is visible to others only once committed, and a committed claim has its answer or is
    // gone; an unfinished one here would be a bug, and replaying "" would be worse than refusing.
    if (row.requestHash !== hash || row.response === CLAIMED) return { kind: 'conflict' };
    return { kind: 'replay', response: JSON.parse(row.response) as unknown };
  }
  return { kind: 'conflict' };
}

/** Ends a claim in the command's transaction: records the success's answer, or releases the key after a failure. */
export async function settleKey(
  tx: Tx,
  k: KeyOf,
  response: { succeeded: true; body: unknown } | { succeeded: false },
): Promise<void> {
  if (response.succeeded) await recordKeyResponse(tx, k, JSON.stringify(response.body));
  else await releaseKey(tx, k);
}
