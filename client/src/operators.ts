type Json = Record<string, unknown>;

/**
 * Operator availability (`GET /cauri/v1/operators`, a Cauri extension, ADR 0026): how Cauri judges
 * each of the project's operators from its own recent calls. A payout to a `down` operator is still
 * accepted (pending) and sent when the operator recovers; a checkout can use this to hide or flag a
 * payment method.
 */
export type OperatorStatus = 'up' | 'degraded' | 'down';

export interface OperatorAvailability {
  operatorId: string;
  operatorName: string;
  status: OperatorStatus;
  /** Since when this status holds (ISO 8601), or null when not yet judged. */
  since: string | null;
  calls: number;
  failures: number;
  /** 0 to 1. */
  successRate: number;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  consecutiveFailures: number;
  /** This project's payouts waiting for the operator. */
  queuedPayouts: number;
}

export interface OperatorsAvailability {
  windowSeconds: number;
  operators: OperatorAvailability[];
}

const num = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);
const numOrNull = (value: unknown): number | null =>
  typeof value === 'number' && Number.isFinite(value) ? value : null;
const str = (value: unknown): string => (typeof value === 'string' ? value : '');
const objects = (value: unknown): Json[] =>
  Array.isArray(value) ? value.filter((v): v is Json => typeof v === 'object' && v !== null) : [];

function statusOf(value: unknown): OperatorStatus {
  return value === 'down' || value === 'degraded' ? value : 'up';
}

export function operatorsBody(body: Json): OperatorsAvailability {
  return {
    windowSeconds: num(body.window_seconds),
    operators: objects(body.operators).map((o) => ({
      operatorId: str(o.operator_id),
      operatorName: str(o.operator_name),
      status: statusOf(o.status),
      since: typeof o.since === 'string' ? o.since : null,
      calls: num(o.calls),
      failures: num(o.failures),
      successRate: num(o.success_rate),
      latencyP50Ms: numOrNull(o.latency_p50_ms),
      latencyP95Ms: numOrNull(o.latency_p95_ms),
      consecutiveFailures: num(o.consecutive_failures),
      queuedPayouts: num(o.queued_payouts),
    })),
  };
}
