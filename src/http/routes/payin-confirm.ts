import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type TokenVerifier, findPayinByToken } from '../../commands/lookup.js';
import { errorEnvelope } from '../envelope.js';
import { payinConfirmBody } from '../wire.js';
import { authenticated, envelopeOf, queryParam } from './common.js';

/**
 * Payin status, E3 (spec §2.3): GET or POST, with or without the slash before `?`, the token as
 * `invoiceToken` or `token`. A failed payin is `response_code` "00" with status `notcompleted`
 * (spec §4.5, ADR 0004): "01" is for requests that could not be answered.
 */
export function registerPayinConfirmRoutes(
  app: FastifyInstance,
  deps: Parameters<typeof authenticated>[0] & TokenVerifier,
): void {
  const path = '/pay/v01/redirect/checkout-invoice/confirm';
  const handler = (request: FastifyRequest) =>
    authenticated(deps, request, 'confirmInvoice', async (tx, project) => {
      const token = queryParam(request, ['invoiceToken', 'token']);
      if (token === undefined)
        return errorEnvelope('confirmInvoice', 'invalid_input', 'invoiceToken is required');
      const payin = await findPayinByToken(tx, deps, project, token);
      if (!payin.ok) return envelopeOf('confirmInvoice', payin);
      return payinConfirmBody(payin.value);
    });
  app.get(path, { config: { wiki: 'confirmInvoice' } }, handler);
  app.post(path, { config: { wiki: 'confirmInvoice' } }, handler);
}
