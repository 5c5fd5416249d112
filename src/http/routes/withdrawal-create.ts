import type { FastifyInstance } from 'fastify';
import type { WithProjectCache } from '../../commands/context.js';
import { type PayoutDeps, type PayoutRequest, createCustomerPayout } from '../../commands/payout-customer.js';
import { checkUrl } from '../../core/checkout.js';
import { parseCustomData } from '../../core/custom-data.js';
import { parseAmountXof } from '../../core/money.js';
import { type Result, fail, ok } from '../../core/result-codes.js';
import { firstError, payoutCommande, text } from '../schemas.js';
import { payoutCreatedBody } from '../wire-payout.js';
import { uniqueViolation } from '../../store/database.js';
import { envelopeOf, idempotentCreate } from './common.js';
import { errorEnvelope } from '../envelope.js';

/** Customer payout, E6 `POST /pay/v01/withdrawal/create` (spec §2.6). */
export function registerWithdrawalCreateRoutes(
  app: FastifyInstance,
  deps: PayoutDeps & WithProjectCache,
): void {
  app.post('/pay/v01/withdrawal/create', { config: { wiki: 'createWithdrawal' } }, async (request) => {
    try {
      return await idempotentCreate(
        deps,
        request,
        'createWithdrawal',
        'withdrawal/create',
        async (tx, project) => {
          const parsed = parsePayoutCommande(request.body);
          if (!parsed.ok) return { body: envelopeOf('createWithdrawal', parsed), succeeded: false };
          const payout = await createCustomerPayout(deps, tx, project, request.ip, parsed.value);
          if (!payout.ok) return { body: envelopeOf('createWithdrawal', payout), succeeded: false };
          return { body: payoutCreatedBody(payout.value, 'createWithdrawal'), succeeded: true };
          // A payout touches balance rows through the ledger alone and otherwise inserts (database.ts).
        },
        { concurrent: true },
      );
    } catch (error) {
      // Two payouts with one transaction_id raced on PostgreSQL; the unique index stopped the second.
      if (uniqueViolation(error)?.includes('merchant_transaction'))
        return errorEnvelope('createWithdrawal', 'duplicate_transaction');
      throw error;
    }
  });
}

/**
 * The wallet flag: `top_up_wallet` 1/0 (docs, Python, PHP, Dart) or the JS SDK's `to_ligdicash`
 * boolean. Absent both, the payout stays in the wallet (`1`), the documented purpose of this
 * endpoint and the choice that sends no money outside Cauri (ADR 0005).
 */
export function parseTopUpWallet(topUp: unknown, toLigdicash: unknown): boolean | undefined {
  const flag = topUp ?? toLigdicash;
  if (flag === undefined || flag === null || flag === '') return true;
  if (flag === 1 || flag === true || flag === '1' || flag === 'true') return true;
  if (flag === 0 || flag === false || flag === '0' || flag === 'false') return false;
  return undefined;
}

export function parsePayoutCommande(body: unknown): Result<PayoutRequest> {
  if (!payoutCommande.Check(body)) return fail('invalid_input', firstError(payoutCommande, body));
  const commande = body.commande;
  const amountXof = parseAmountXof(commande.amount);
  if (amountXof === undefined) return fail('amount_out_of_range', 'amount must be a whole number of XOF');
  const topUpWallet = parseTopUpWallet(commande.top_up_wallet, commande.to_ligdicash);
  if (topUpWallet === undefined) return fail('invalid_input', 'top_up_wallet must be 0 or 1');
  const customData = parseCustomData(commande.custom_data);
  if (typeof customData === 'string') return fail('invalid_input', customData);
  // The callback URL is checked when the payout is created, as a payin's is (ADR 0016), so that a
  // merchant learns of a typo at once rather than from callbacks that never arrive.
  const callbackUrl = text(commande.callback_url);
  if (checkUrl(callbackUrl) === undefined)
    return fail('invalid_input', 'callback_url must be an http(s) URL');
  return ok({
    amountXof,
    customer: text(commande.customer),
    description: text(commande.description),
    callbackUrl,
    topUpWallet,
    customData,
  });
}
