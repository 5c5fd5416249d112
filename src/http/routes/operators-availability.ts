import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { WithClock, WithConfig } from '../../commands/context.js';
import { type OperatorAvailability, operatorAvailability } from '../../commands/operator-health.js';
import { HEALTH_WINDOW_MS } from '../../core/operator-health.js';
import { WALLET_OPERATOR, operatorById } from '../../core/operators.js';
import { queuedPayoutCounts } from '../../store/operator-health.js';
import { errorEnvelope } from '../envelope.js';
import { CAURI_V1_READ_WIKI, type CauriV1Deps, cauriV1, queryValidator, success } from './cauri-v1.js';

/**
 * `GET /cauri/v1/operators`, a Cauri extension (ADR 0026): the availability of the project's
 * enabled operators, as the payout dispatcher judges it from Cauri's recent calls, with the
 * project's own payouts waiting for each. The LigdiCash wallet is not an operator Cauri calls, so it
 * is not listed. Read-only and authenticated like the other `/cauri/v1/` reads (cauri-v1.ts).
 */
export const OperatorsQuery = Type.Object({}, { additionalProperties: false });
const query = queryValidator<Record<string, never>>(OperatorsQuery);

export interface OperatorAvailabilityWire {
  operator_id: string;
  operator_name: string;
  status: string;
  since: string | null;
  calls: number;
  failures: number;
  success_rate: number;
  latency_p50_ms: number | null;
  latency_p95_ms: number | null;
  consecutive_failures: number;
  queued_payouts: number;
}

export function availabilityWire(a: OperatorAvailability, queued: number): OperatorAvailabilityWire {
  return {
    operator_id: a.operatorId,
    operator_name: operatorById(a.operatorId)?.name ?? a.operatorId,
    status: a.status,
    since: a.sinceMs === null ? null : new Date(a.sinceMs).toISOString(),
    calls: a.calls,
    failures: a.failures,
    // A share, not money: four decimals are plenty.
    success_rate: Math.round(a.successRate * 10_000) / 10_000,
    latency_p50_ms: a.latencyP50Ms,
    latency_p95_ms: a.latencyP95Ms,
    consecutive_failures: a.consecutiveFailures,
    queued_payouts: queued,
  };
}

export function registerOperatorAvailabilityRoutes(
  app: FastifyInstance,
  deps: CauriV1Deps & WithClock & WithConfig<'operatorTimeoutMs'>,
): void {
  const handler = (request: FastifyRequest) =>
    cauriV1(deps, request, CAURI_V1_READ_WIKI, async (tx, project) => {
      const parsed = query.parse(request.query);
      if (!parsed.ok) return errorEnvelope(CAURI_V1_READ_WIKI, 'invalid_input', parsed.detail);
      const operatorIds = project.operatorIds.filter(
        (id) => id !== WALLET_OPERATOR.id && operatorById(id) !== undefined,
      );
      const nowMs = deps.clock.nowMs();
      const availability = await operatorAvailability(tx, operatorIds, nowMs, deps.config.operatorTimeoutMs);
      const queued = await queuedPayoutCounts(tx, operatorIds, project.id);
      return success({
        window_seconds: HEALTH_WINDOW_MS / 1000,
        operators: availability.map((a) => availabilityWire(a, queued.get(a.operatorId) ?? 0)),
      });
    });
  app.get('/cauri/v1/operators', { config: { wiki: CAURI_V1_READ_WIKI } }, handler);
}
