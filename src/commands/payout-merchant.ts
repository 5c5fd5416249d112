import { connectorServes } from '../operators/connector.js';
import { newId } from '../core/ids.js';
import { accountIds } from '../core/ledger.js';
import { operatorForPhone } from '../core/operators.js';
import { normalizePhone } from '../core/phone.js';
import { type Result, fail, ok } from '../core/result-codes.js';
import { type Tx, afterCommit } from '../store/database.js';
import { ensureAccount, lockAccounts, postTransfers } from '../store/ledger-store.js';
import type { Payout } from '../core/payout.js';
import { insertPayout } from '../store/payouts.js';
import {
  PAYOUT_MAX_XOF,
  PAYOUT_MIN_XOF,
  type PayoutDeps,
  type PayoutRequest,
  lockPayoutAccounts,
  newPayout,
} from './payout-customer.js';
import { type Project } from '../core/project.js';
import { ipAllowed } from './projects.js';
import { requestStamp } from './request-context.js';

/**
 * The merchant payout, `straight/payout` (spec §2.7, §6.5): money from the project's sub-account of
 * the recipient's operator straight to the recipient's mobile-money account; no LigdiCash wallet
 * is involved. It takes the same path as a customer payout with `top_up_wallet: 0` (ADR 0005): a
 * hold on the sub-account, the payout `pending` and queued, the dispatcher asking the operator and
 * settling (post on success, void on failure). Codes are createStraightWithdrawal's (spec §4.3,
 * ADR 0004): IP denied Code14, operator not identified Code05, balance low Code08.
 */
export async function createMerchantPayout(
  deps: PayoutDeps,
  tx: Tx,
  project: Project,
  clientIp: string,
  input: Omit<PayoutRequest, 'topUpWallet'>,
): Promise<Result<Payout>> {
  if (!project.payoutEnabled) return fail('payout_disabled');
  if (!ipAllowed(project, clientIp))
    return fail('ip_denied', `IP ${clientIp} is not allowed for this project`);
  if (input.amountXof < PAYOUT_MIN_XOF || input.amountXof > PAYOUT_MAX_XOF)
    return fail('amount_out_of_range');
  const phone = normalizePhone(input.customer);
  if (phone === undefined)
    return fail('invalid_phone', 'Recipient operator not identified: invalid phone number');
  const operator = operatorForPhone(phone, deps.prefixes);
  if (!operator) return fail('operator_not_identified', `No operator serves ${phone}`);
  if (!project.operatorIds.includes(operator.id))
    return fail('operator_not_enabled', `${operator.name} is not enabled for this project`);
  if (!connectorServes(deps.connector, operator.id, 'credit'))
    return fail('operator_unavailable', `${operator.name} is not available on this gateway`);
  const nowMs = deps.clock.nowMs();
  const subaccountId = accountIds.subaccount(project.id, operator.id);
  const settlementId = accountIds.settlement(operator.id);
  const locked = await lockPayoutAccounts(
    deps,
    tx,
    [subaccountId, settlementId],
    project.id,
    input.customData.transaction_id ?? null,
  );
  if (await locked.isDuplicate()) return fail('duplicate_transaction');
  let { accounts } = locked;
  if (!accounts.has(settlementId)) {
    // The operator's settlement account is made by its first payout.
    await ensureAccount(
      tx,
      { id: settlementId, kind: 'settlement', operatorId: operator.id, mustNotOverdraw: false },
      nowMs,
    );
    accounts = await lockAccounts(tx, deps.db.dialect, [subaccountId, settlementId]);
  }
  if (!accounts.has(subaccountId))
    return fail('subaccount_missing', `No merchant account on ${operator.name}`);
  const payoutId = newId('po');
  const posted = await postTransfers(
    tx,
    deps.db.dialect,
    [
      {
        kind: 'pending',
        debitAccountId: subaccountId,
        creditAccountId: settlementId,
        amountXof: input.amountXof,
        reason: 'payout_hold',
        subjectId: payoutId,
      },
    ],
    nowMs,
    accounts,
  );
  if (!posted.ok) return fail('subaccount_insufficient');
  const payout = newPayout(deps, project, {
    id: payoutId,
    kind: 'merchant',
    topUpWallet: false,
    phone,
    operatorId: operator.id,
    input,
    pendingTransferId: posted.transfers[0]?.id ?? null,
    nowMs,
  });
  // The payout's history names the request that created it (migration 0011, ADR 0020).
  await insertPayout(tx, payout, requestStamp(tx));
  // The dispatcher is woken once this commits.
  afterCommit(tx, 'payouts');
  return ok(payout);
}
