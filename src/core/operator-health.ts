/**
 * An operator's availability, judged from Cauri's own recent calls to it (ADR 0026): a circuit
 * breaker whose only state is the record of calls every instance shares (`operator_exchanges`), so
 * that several instances behind a load balancer reach the same verdict from the same rows. Pure:
 * the samples come in, a verdict goes out.
 *
 *   up        calls succeed; payouts are sent as they come.
 *   degraded  too many calls fail or are slow, or the operator has just recovered: payouts are sent
 *             at a bounded rate (`DEGRADED_SENDS_PER_PASS`).
 *   down      the last calls failed: payouts stay pending, their dispatch deferred with the reason
 *             recorded; once `PROBE_AFTER_MS` has passed since the last failure, one payout (the
 *             oldest due) is sent as the half-open probe. Its success makes the operator degraded,
 *             its failure keeps it down for another `PROBE_AFTER_MS`.
 *
 * "Failure" means the operator could not be reached or did not answer: a call that threw (network
 * error, HTTP 5xx, the connector's own timeout) or a call still without an outcome after the
 * operator timeout (an intent left behind). An operator's "no" (insufficient funds, unknown payee)
 * is an answer, and so a success for availability.
 */
export type OperatorStatus = 'up' | 'degraded' | 'down';

/** How far back the verdict looks. */
export const HEALTH_WINDOW_MS = 5 * 60_000;
/** At most this many of the newest calls in the window are read per operator. */
export const HEALTH_SAMPLES_MAX = 200;
/** This many failures in a row make an operator down. */
export const DOWN_CONSECUTIVE_FAILURES = 5;
/** An error rate at or above this, over at least `RATE_CALLS_MIN` calls, makes it down (degraded if the last call succeeded). */
export const DOWN_ERROR_RATE = 0.5;
/** An error rate at or above this, over at least `RATE_CALLS_MIN` calls, makes it degraded. */
export const DEGRADED_ERROR_RATE = 0.2;
export const RATE_CALLS_MIN = 5;
/** A p95 latency above this makes it degraded. */
export const DEGRADED_P95_MS = 15_000;
/** How long a down operator is left alone after its last failure before one probe is sent. */
export const PROBE_AFTER_MS = 30_000;
/** Payouts sent to a degraded operator per dispatcher pass and instance; the others wait a second. */
export const DEGRADED_SENDS_PER_PASS = 10;
/** How long the dispatch of a payout to a down operator is deferred before it is looked at again. */
export const DOWN_RECHECK_MS = 5_000;
/** How long the dispatch of a payout over a degraded operator's rate is deferred. */
export const DEGRADED_RECHECK_MS = 1_000;

/** One call to the operator, as recorded. */
export interface HealthSample {
  startedAtMs: number;
  latencyMs: number;
  /** Whether the call failed to reach an answer (see above). */
  failed: boolean;
}

export interface OperatorHealth {
  status: OperatorStatus;
  /** When the failures that make a down operator down began; null for the other states (see `sinceMs` of the stored state). */
  downSinceMs: number | null;
  /** Calls in the window (up to `HEALTH_SAMPLES_MAX`). */
  calls: number;
  failures: number;
  /** Share of calls that got an answer, 1 when there were none. */
  successRate: number;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  consecutiveFailures: number;
  /** When the last failure ended (its start plus its latency); null without one. */
  lastFailureAtMs: number | null;
}

/** The raw record of one exchange, as the store reads it. */
export interface ExchangeRecord {
  startedAtMs: number;
  latencyMs: number;
  /** Whether the exchange recorded an error. */
  error: boolean;
  /** Whether only the intent is on file (no outcome yet, or the call was cut). */
  intentOnly: boolean;
}

/**
 * Turns recorded exchanges into samples: an intent with no outcome after `timeoutMs` is a call that
 * timed out (a failure lasting the timeout); a younger one is still in flight and is not counted.
 */
export function samplesOf(
  records: readonly ExchangeRecord[],
  nowMs: number,
  timeoutMs: number,
): HealthSample[] {
  const samples: HealthSample[] = [];
  for (const record of records) {
    if (record.intentOnly) {
      if (nowMs - record.startedAtMs >= timeoutMs)
        samples.push({ startedAtMs: record.startedAtMs, latencyMs: timeoutMs, failed: true });
      continue;
    }
    samples.push({ startedAtMs: record.startedAtMs, latencyMs: record.latencyMs, failed: record.error });
  }
  return samples;
}

/** The verdict over samples in any order. */
export function evaluateHealth(samples: readonly HealthSample[]): OperatorHealth {
  const ordered = [...samples].sort((a, b) => a.startedAtMs - b.startedAtMs);
  const failures = ordered.filter((s) => s.failed).length;
  let consecutiveFailures = 0;
  let streakStartMs: number | null = null;
  for (let i = ordered.length - 1; i >= 0; i--) {
    const sample = ordered[i];
    if (sample === undefined || !sample.failed) break;
    consecutiveFailures++;
    streakStartMs = sample.startedAtMs;
  }
  const lastFailure = ordered
    .filter((s) => s.failed)
    .reduce<number | null>((latest, s) => Math.max(latest ?? 0, s.startedAtMs + s.latencyMs), null);
  const calls = ordered.length;
  const errorRate = calls === 0 ? 0 : failures / calls;
  const latencies = ordered.map((s) => s.latencyMs).sort((a, b) => a - b);
  const p95 = percentile(latencies, 0.95);
  const rated = calls >= RATE_CALLS_MIN;
  let status: OperatorStatus = 'up';
  if (
    consecutiveFailures >= DOWN_CONSECUTIVE_FAILURES ||
    (consecutiveFailures > 0 && rated && errorRate >= DOWN_ERROR_RATE)
  )
    status = 'down';
  else if ((rated && errorRate >= DEGRADED_ERROR_RATE) || (p95 !== null && p95 > DEGRADED_P95_MS))
    status = 'degraded';
  return {
    status,
    downSinceMs: status === 'down' ? streakStartMs : null,
    calls,
    failures,
    successRate: calls === 0 ? 1 : (calls - failures) / calls,
    latencyP50Ms: percentile(latencies, 0.5),
    latencyP95Ms: p95,
    consecutiveFailures,
    lastFailureAtMs: lastFailure,
  };
}

/** Nearest-rank percentile of sorted values; null for none. */
export function percentile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1] ?? null;
}

/** What the dispatcher may do with the payouts due to one operator in one pass. */
export type DispatchGate =
  | { kind: 'send'; sendsMax: number }
  /** Down, and a probe is due: one payout may go (whoever wins the probe lease sends it). */
  | { kind: 'probe' }
  /** Down, no probe due yet: nothing goes until `retryAtMs`. */
  | { kind: 'hold'; retryAtMs: number };

export function dispatchGate(health: OperatorHealth, nowMs: number): DispatchGate {
  if (health.status === 'up') return { kind: 'send', sendsMax: Number.POSITIVE_INFINITY };
  if (health.status === 'degraded') return { kind: 'send', sendsMax: DEGRADED_SENDS_PER_PASS };
  const probeAtMs = (health.lastFailureAtMs ?? nowMs) + PROBE_AFTER_MS;
  if (nowMs >= probeAtMs) return { kind: 'probe' };
  return { kind: 'hold', retryAtMs: Math.min(probeAtMs, nowMs + DOWN_RECHECK_MS) };
}

/** The reason a queued payout records while its operator is down (`status_reason`). */
export function unavailableReason(operatorId: string, downSinceMs: number | null): string {
  const since = downSinceMs === null ? '' : ` since ${new Date(downSinceMs).toISOString()}`;
  return `queued: operator ${operatorId} unavailable${since}`;
}
