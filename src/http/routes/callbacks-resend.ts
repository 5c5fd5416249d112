import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requestResend } from '../../commands/callback-admin.js';
import type { WithClock, WithDb, WithProjectCache } from '../../commands/context.js';
import { errorEnvelope } from '../envelope.js';
import { authenticated, envelopeOf } from './common.js';

/**
 * `POST /cauri/v1/callbacks/{eventId}/resend`, a Cauri extension (ADR 0006): sends a callback
 * event again now, with a fresh retry cycle. Authenticated like the LigdiCash endpoints (Apikey and
 * Bearer token); an event of another project is "not found", like a token of another project.
 */
const EVENT_ID = /^evt_[a-z2-7]{1,64}$/;

export function registerCallbackResendRoutes(
  app: FastifyInstance,
  deps: WithDb & WithClock & WithProjectCache,
): void {
  const handler = (request: FastifyRequest<{ Params: { eventId: string } }>) =>
    authenticated(deps, request, 'confirmInvoice', async (tx, project) => {
      const { eventId } = request.params;
      if (!EVENT_ID.test(eventId))
        return errorEnvelope('confirmInvoice', 'not_found', 'No such callback event');
      const resent = await requestResend(tx, eventId, project.id, deps.clock.nowMs());
      if (!resent.ok) return envelopeOf('confirmInvoice', resent);
      return {
        response_code: '00',
        response_text: '',
        description: 'Callback queued for delivery',
        event_id: resent.value.eventId,
        previous_status: resent.value.previousStatus,
      };
    });
  app.post('/cauri/v1/callbacks/:eventId/resend', { config: { wiki: 'confirmInvoice' } }, handler);
}
