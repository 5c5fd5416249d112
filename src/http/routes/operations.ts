import type { FastifyInstance } from 'fastify';
import type { WithOps } from '../../commands/context.js';
import { errorEnvelope } from '../envelope.js';

/**
 * The operations endpoints beside `/health` (liveness, routes/index.ts), ADR 0020:
 *
 * - `GET /ready`: readiness. 200 `{status: 'ready', checks}` when the database answers a read and
 *   takes a write, its migrations are exactly this code's, and every started worker loop has
 *   finished a pass recently; otherwise 503 `{status: 'not_ready', checks}`, each check saying why.
 *   A load balancer stops sending traffic to an instance that is not ready; an orchestrator
 *   restarts one that is not live.
 * - `GET /metrics`: Prometheus exposition. With `CAURI_METRICS_TOKEN`, only with
 *   `Authorization: Bearer <token>` (401 otherwise); without it, open in the sandbox and, in
 *   production, answered only to loopback and private addresses (others get the unknown-path 404).
 *
 * Neither is a LigdiCash endpoint: plain statuses, as `/health` and the operator notifications.
 */
export function registerOperationsRoutes(app: FastifyInstance, deps: WithOps): void {
  app.get('/ready', async (_request, reply) => {
    if (deps.ops === undefined) return { status: 'ready', checks: {} };
    const readiness = await deps.ops.ready();
    return reply
      .code(readiness.ready ? 200 : 503)
      .send({ status: readiness.ready ? 'ready' : 'not_ready', checks: readiness.checks });
  });

  app.get('/metrics', async (request, reply) => {
    const ops = deps.ops;
    const access = ops?.metricsAccess(request.ip, request.headers.authorization) ?? 'hidden';
    if (ops === undefined || access === 'hidden')
      return reply
        .code(404)
        .send(errorEnvelope('createInvoice', 'method_not_allowed', 'No endpoint GET /metrics'));
    if (access === 'unauthorized')
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send({ error: 'metrics need Authorization: Bearer <CAURI_METRICS_TOKEN>' });
    const { contentType, body } = await ops.metrics.exposition();
    return reply.type(contentType).send(body);
  });
}
