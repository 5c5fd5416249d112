import {
  HEALTH_SAMPLES_MAX,
  HEALTH_WINDOW_MS,
  type OperatorHealth,
  type OperatorStatus,
  evaluateHealth,
  samplesOf,
} from '../core/operator-health.js';
import type { Tx } from '../store/database.js';
import {
  findOperatorStatus,
  operatorStatuses,
  recentOperatorCalls,
  saveOperatorStatus,
} from '../store/operator-health.js';

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
  const records = await recentOperatorCalls(tx, operatorId, nowMs - HEALTH_WINDOW_MS, HEALTH_SAMPLES_MAX);
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
  const stored = await findOperatorStatus(tx, operatorId);
  const status: OperatorStatus = health.status;
  if (stored !== undefined && stored.status === status) return stored.sinceMs;
  const sinceMs = status === 'down' ? (health.downSinceMs ?? nowMs) : nowMs;
  await saveOperatorStatus(tx, operatorId, status, sinceMs, nowMs);
  return sinceMs;
}

/** Each operator's availability now, read-only (the route and the console; the dispatcher records transitions). */
export async function operatorAvailability(
  tx: Tx,
  operatorIds: readonly string[],
  nowMs: number,
  timeoutMs: number,
): Promise<OperatorAvailability[]> {
  const stored = await operatorStatuses(tx, operatorIds);
  const byId = new Map(stored.map((r) => [r.operatorId, r]));
  const out: OperatorAvailability[] = [];
  for (const operatorId of operatorIds) {
    const health = await readOperatorHealth(tx, operatorId, nowMs, timeoutMs);
    const row = byId.get(operatorId);
    const sinceMs =
      health.status === 'down'
        ? health.downSinceMs
        : row !== undefined && row.status === health.status
          ? row.sinceMs
          : null;
    out.push({ operatorId, ...health, sinceMs });
  }
  return out;
}
