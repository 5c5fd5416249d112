import { sql } from 'kysely';
import {
  HEALTH_SAMPLES_MAX,
  HEALTH_WINDOW_MS,
  type OperatorHealth,
  type OperatorStatus,
  evaluateHealth,
  samplesOf,
} from '../core/operator-health.js';
import type { Tx } from '../store/database.js';

/**
 * The storage side of operator availability (ADR 0026): the verdict is computed from the shared
 * record of operator calls (`operator_exchanges`, written by the recording connector), so every
 * instance reading the same rows reaches the same verdict; `operator_health` keeps since when the
 * current state holds and the half-open probe's lease.
 */
export interface OperatorAvailability extends OperatorHealth {
  operatorId: string;
  /** Since when the current state holds, as first judged by any instance; null when never judged. */
  sinceMs: number | null;
}

/** The operator's recent calls (not its notifications), newest first, bounded. */
export async function readOperatorHealth(
  tx: Tx,
  operatorId: string,
  nowMs: number,
  timeoutMs: number,
): Promise<OperatorHealth> {
  const rows = await tx
    .selectFrom('operator_exchanges')
    .select([
      'started_at_ms',
      'latency_ms',
      'phase',
      sql<number>`case when error is null then 0 else 1 end`.as('failed'),
    ])
    .where('operator_id', '=', operatorId)
    .where('started_at_ms', '>=', nowMs - HEALTH_WINDOW_MS)
    .where('action', '!=', 'notification')
    .orderBy('started_at_ms', 'desc')
    .limit(HEALTH_SAMPLES_MAX)
    .execute();
  const records = rows.map((r) => ({
    startedAtMs: Number(r.started_at_ms),
    latencyMs: Number(r.latency_ms),
    error: Number(r.failed) === 1,
    intentOnly: r.phase === 'intent',
  }));
  return evaluateHealth(samplesOf(records, nowMs, timeoutMs));
}

/**
 * Records the state an instance judged, when it differs from the stored one, and returns since when
 * it holds. A down operator is down since its failures began; the other states since first judged.
 */
export async function noteOperatorStatus(
  tx: Tx,
  operatorId: string,
  health: OperatorHealth,
  nowMs: number,
): Promise<number> {
  const row = await tx
    .selectFrom('operator_health')
    .select(['status', 'since_ms'])
    .where('operator_id', '=', operatorId)
    .executeTakeFirst();
  const status: OperatorStatus = health.status;
  if (row !== undefined && row.status === status) return Number(row.since_ms);
  const sinceMs = status === 'down' ? (health.downSinceMs ?? nowMs) : nowMs;
  await tx
    .insertInto('operator_health')
    .values({ operator_id: operatorId, status, since_ms: sinceMs, probe_until_ms: 0, updated_at_ms: nowMs })
    .onConflict((oc) =>
      oc.column('operator_id').doUpdateSet({ status, since_ms: sinceMs, updated_at_ms: nowMs }),
    )
    .execute();
  return sinceMs;
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

/** Each operator's availability now, read-only (the route and the console; the dispatcher records transitions). */
export async function operatorAvailability(
  tx: Tx,
  operatorIds: readonly string[],
  nowMs: number,
  timeoutMs: number,
): Promise<OperatorAvailability[]> {
  const stored =
    operatorIds.length === 0
      ? []
      : await tx
          .selectFrom('operator_health')
          .select(['operator_id', 'status', 'since_ms'])
          .where('operator_id', 'in', [...operatorIds])
          .execute();
  const byId = new Map(stored.map((r) => [r.operator_id, r]));
  const out: OperatorAvailability[] = [];
  for (const operatorId of operatorIds) {
    const health = await readOperatorHealth(tx, operatorId, nowMs, timeoutMs);
    const row = byId.get(operatorId);
    const sinceMs =
      health.status === 'down'
        ? health.downSinceMs
        : row !== undefined && row.status === health.status
          ? Number(row.since_ms)
          : null;
    out.push({ operatorId, ...health, sinceMs });
  }
  return out;
}
