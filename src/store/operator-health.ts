import { sql } from 'kysely';
import type { OperatorStatus } from '../core/operator-health.js';
import type { PayoutReasonCode } from '../core/payout.js';
import type { Tx } from './database.js';

/**
 * Operator availability's storage (ADR 0026): the recent calls read from the shared record of
 * operator exchanges, the state each operator was last judged in with its probe lease, and the
 * payouts waiting for an operator.
 */

/** One recorded call of an operator, as the health verdict reads it. */
export interface OperatorCallRecord {
  startedAtMs: number;
  latencyMs: number;
  error: boolean;
  intentOnly: boolean;
}

/** The operator's calls (not its notifications) started at or after `sinceMs`, newest first, at most `limit`. */
export async function recentOperatorCalls(
  tx: Tx,
  operatorId: string,
  sinceMs: number,
  limit: number,
): Promise<OperatorCallRecord[]> {
  const rows = await tx
    .selectFrom('operator_exchanges')
    .select([
      'started_at_ms',
      'latency_ms',
      'phase',
      sql<number>`case when error is null then 0 else 1 end`.as('failed'),
    ])
    .where('operator_id', '=', operatorId)
    .where('started_at_ms', '>=', sinceMs)
    .where('action', '!=', 'notification')
    .orderBy('started_at_ms', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    startedAtMs: Number(r.started_at_ms),
    latencyMs: Number(r.latency_ms),
    error: Number(r.failed) === 1,
    intentOnly: r.phase === 'intent',
  }));
}

/** The state an operator was last judged in, and since when it holds. */
export interface StoredOperatorStatus {
  operatorId: string;
  status: string;
  sinceMs: number;
}

export async function findOperatorStatus(
  tx: Tx,
  operatorId: string,
): Promise<StoredOperatorStatus | undefined> {
  const row = await tx
    .selectFrom('operator_health')
    .select(['status', 'since_ms'])
    .where('operator_id', '=', operatorId)
    .executeTakeFirst();
  return row === undefined ? undefined : { operatorId, status: row.status, sinceMs: Number(row.since_ms) };
}

/** The stored states of these operators (those never judged are absent). */
export async function operatorStatuses(
  tx: Tx,
  operatorIds: readonly string[],
): Promise<StoredOperatorStatus[]> {
  if (operatorIds.length === 0) return [];
  const rows = await tx
    .selectFrom('operator_health')
    .select(['operator_id', 'status', 'since_ms'])
    .where('operator_id', 'in', [...operatorIds])
    .execute();
  return rows.map((r) => ({ operatorId: r.operator_id, status: r.status, sinceMs: Number(r.since_ms) }));
}

/** Stores a newly judged state; a first judgement also starts with no probe lease. */
export async function saveOperatorStatus(
  tx: Tx,
  operatorId: string,
  status: OperatorStatus,
  sinceMs: number,
  nowMs: number,
): Promise<void> {
  await tx
    .insertInto('operator_health')
    .values({ operator_id: operatorId, status, since_ms: sinceMs, probe_until_ms: 0, updated_at_ms: nowMs })
    .onConflict((oc) =>
      oc.column('operator_id').doUpdateSet({ status, since_ms: sinceMs, updated_at_ms: nowMs }),
    )
    .execute();
}

/**
 * Takes the half-open probe of a down operator for `leaseMs`: true for exactly one taker among
 * instances until the lease ends (the conditional update is decided under the row's lock).
 */
export async function claimProbe(
  tx: Tx,
  operatorId: string,
  nowMs: number,
  leaseMs: number,
): Promise<boolean> {
  const result = await tx
    .updateTable('operator_health')
    .set({ probe_until_ms: nowMs + leaseMs, updated_at_ms: nowMs })
    .where('operator_id', '=', operatorId)
    .where('probe_until_ms', '<=', nowMs)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Payouts waiting for their operator: pending, not yet given to a person for review. */
export async function queuedPayoutCounts(
  tx: Tx,
  operatorIds: readonly string[],
  projectId?: string,
): Promise<Map<string, number>> {
  if (operatorIds.length === 0) return new Map();
  let query = tx
    .selectFrom('payouts')
    .select(['operator_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('status', '=', 'pending')
    .where('dispatch_state', 'in', ['queued', 'sent'])
    .where('operator_id', 'in', [...operatorIds])
    .groupBy('operator_id');
  if (projectId !== undefined) query = query.where('project_id', '=', projectId);
  const rows = await query.execute();
  return new Map(rows.map((r) => [r.operator_id, Number(r.n)]));
}

/** Moves pending payouts' dispatch later, giving up any lease on them. */
export async function postponePayoutDispatch(tx: Tx, ids: readonly string[], afterMs: number): Promise<void> {
  await tx
    .updateTable('payouts')
    .set({ dispatch_after_ms: afterMs, dispatch_owner: null })
    .where('id', 'in', [...ids])
    .where('status', '=', 'pending')
    .execute();
}

/** The code beside the prose, so that nothing has to read the prose to know why (migration 0019). */
const OPERATOR_UNAVAILABLE: PayoutReasonCode = 'operator_unavailable';

/**
 * Writes on pending payouts that their operator is unavailable, with the prose given. Only a
 * changed reason is written: each write is a state change in the payout's story (migration 0005).
 */
export async function markPayoutsOperatorUnavailable(
  tx: Tx,
  ids: readonly string[],
  reason: string,
  nowMs: number,
): Promise<void> {
  await tx
    .updateTable('payouts')
    .set({ status_reason: reason, status_reason_code: OPERATOR_UNAVAILABLE, updated_at_ms: nowMs })
    .where('id', 'in', [...ids])
    .where('status', '=', 'pending')
    .where((eb) => eb.or([eb('status_reason', 'is', null), eb('status_reason', '!=', reason)]))
    .execute();
}
