import type { FastifyInstance } from 'fastify';
import { ingestNotification } from '../../commands/operator-notification.js';
import { rawBodyOf } from '../raw-body.js';

/**
 * `POST /operators/:operatorId/notify`: where operators report on requests (ADR 0007). This is not
 * a LigdiCash endpoint, so it answers with plain HTTP statuses: 200 once settled (or already
 * settled: operators retry), 401 for anything the connector does not authenticate.
 */
export function registerOperatorNotifyRoutes(
  app: FastifyInstance,
  deps: Parameters<typeof ingestNotification>[0],
): void {
  // MTN MoMo may call back with PUT as well as POST (momodeveloper.mtn.com/api-documentation/callback).
  app.route<{ Params: { operatorId: string } }>({
    method: ['POST', 'PUT'],
    url: '/operators/:operatorId/notify',
    handler: async (request, reply) => {
      const rawBody = rawBodyOf(request);
      const ingested = await ingestNotification(
        deps,
        request.params.operatorId,
        { headers: request.headers, body: request.body, ...(rawBody !== undefined ? { rawBody } : {}) },
        request.id,
      );
      if (!ingested.accepted) return reply.code(401).send({ error: 'notification not authenticated' });
      return { received: true, reference: ingested.reference, result: ingested.result };
    },
  });
}
