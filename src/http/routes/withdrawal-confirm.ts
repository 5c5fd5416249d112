import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WithClock, WithDb, WithProjectCache, WithTokens } from '../../commands/context.js';
import { findPayoutByToken } from '../../commands/lookup.js';
import { errorEnvelope } from '../envelope.js';
import { payoutConfirmBody } from '../wire-payout.js';
import { authenticated, envelopeOf, queryParam } from './common.js';

/**
 * Payout status, E8/E9 (spec §2.8): `withdrawal/confirm` and `straight/payout/confirm`, GET and
 * POST, either parameter name on either path, any payout token of the project. The SDKs parse
 * the answer with their status table, so errors use the confirmInvoice codes.
 */
export function registerWithdrawalConfirmRoutes(
  app: FastifyInstance,
  deps: WithDb & WithClock & WithTokens & WithProjectCache,
): void {
  const handler = (request: FastifyRequest) =>
    authenticated(deps, request, 'confirmInvoice', async (tx, project) => {
      const token = queryParam(request, ['withdrawalToken', 'payoutToken', 'token']);
      if (token === undefined)
        return errorEnvelope('confirmInvoice', 'invalid_input', 'withdrawalToken is required');
      const payout = await findPayoutByToken(tx, deps, project, token);
      if (!payout.ok) return envelopeOf('confirmInvoice', payout);
      return payoutConfirmBody(payout.value);
    });
  for (const path of ['/pay/v01/withdrawal/confirm', '/pay/v01/straight/payout/confirm']) {
    app.get(path, { config: { wiki: 'confirmInvoice' } }, handler);
    app.post(path, { config: { wiki: 'confirmInvoice' } }, handler);
  }
}
