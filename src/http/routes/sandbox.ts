import type { FastifyInstance } from 'fastify';
import type { WithDb } from '../../commands/context.js';
import { listSms } from '../../commands/sms.js';

/**
 * Sandbox-only endpoints (they do not exist in production mode). `GET /sandbox/sms` is the SMS
 * inbox: where the OTPs of `debitotp` land, newest first, filtered by `phone`.
 */
export function registerSandboxRoutes(app: FastifyInstance, deps: WithDb): void {
  app.get<{ Querystring: { phone?: string; limit?: string } }>('/sandbox/sms', async (request) => {
    const limit = Math.min(Math.max(Number(request.query.limit ?? 20) || 20, 1), 200);
    const messages = await deps.db.command((tx) => listSms(tx, request.query.phone, limit));
    return { messages };
  });
}
