import type { FastifyInstance } from 'fastify';
import type { WithProjectCache } from '../../commands/context.js';
import type { PayoutDeps } from '../../commands/payout-customer.js';
import { createMerchantPayout } from '../../commands/payout-merchant.js';
import { errorEnvelope } from '../envelope.js';
import { payoutCreatedBody } from '../wire-payout.js';
import { uniqueViolation } from '../../store/database.js';
import { envelopeOf, idempotentCreate } from './common.js';
import { parsePayoutCommande } from './withdrawal-create.js';

/**
 * Merchant payout, E7 `POST /pay/v01/straight/payout` (spec §2.7): the customer payout's body
 * without the wallet flag, answered with the createStraightWithdrawal codes. Its status is served
 * by withdrawal-confirm.ts on `straight/payout/confirm?payoutToken=` and `withdrawal/confirm`.
 */
export function registerPayoutStraightRoutes(
  app: FastifyInstance,
  deps: PayoutDeps & WithProjectCache,
): void {
  const wiki = 'createStraightWithdrawal';
  app.post('/pay/v01/straight/payout', { config: { wiki } }, async (request) => {
    try {
      return await idempotentCreate(
        deps,
        request,
        wiki,
        'straight/payout',
        async (tx, project) => {
          const parsed = parsePayoutCommande(request.body);
          if (!parsed.ok) return { body: envelopeOf(wiki, parsed), succeeded: false };
          const payout = await createMerchantPayout(deps, tx, project, request.ip, parsed.value);
          if (!payout.ok) return { body: envelopeOf(wiki, payout), succeeded: false };
          return { body: payoutCreatedBody(payout.value, wiki), succeeded: true };
          // A payout touches balance rows through the ledger alone and otherwise inserts (database.ts).
        },
        { concurrent: true },
      );
    } catch (error) {
      // Two payouts with one transaction_id raced on PostgreSQL; the unique index stopped the second.
      if (uniqueViolation(error)?.includes('merchant_transaction'))
        return errorEnvelope(wiki, 'duplicate_transaction');
      throw error;
    }
  });
}
