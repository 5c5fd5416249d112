import { connectorServes } from '../operators/connector.js';
import { type CustomData, externalIdOf, logfileFor } from '../core/custom-data.js';
import { newId, newRequestId, randomDigits } from '../core/ids.js';
import { type AccountBalance, accountIds } from '../core/ledger.js';
import type { Xof } from '../core/money.js';
import type { Payout, PayoutKind } from '../core/payout.js';
import { operatorForPhone } from '../core/operators.js';
import { normalizePhone } from '../core/phone.js';
import { type Result, fail, ok } from '../core/result-codes.js';
import { signToken } from '../core/tokens.js';
import { type Tx, afterCommit } from '../store/database.js';
import { lockAccounts, lockAccountsForPayout, postTransfers } from '../store/ledger-store.js';
import { insertPayout, payoutExists } from '../store/payouts.js';
import type { WithClock, WithConnector, WithDb, WithPrefixes, WithTokens } from './context.js';
import { enqueueEvent } from './outbox.js';
import { type Project } from '../core/project.js';
import { ipAllowed } from './projects.js';
import { requestStamp } from './request-context.js';
import { transactionHash } from './transaction-hash.js';

/**
 * The customer payout, `withdrawal/create` (spec §2.6, §6.4). The beneficiary must have a
 * wallet; the money comes from the project's sub-account of the beneficiary's operator.
 *
 * - `top_up_wallet: 1`: one transfer, sub-account → wallet; the payout is completed at once.
 * - `top_up_wallet: 0`: a hold (pending transfer, sub-account → operator settlement) reserves the
 *   money and the payout stays pending while the dispatcher asks the operator to credit the
 *   customer's mobile-money account. Success posts the hold; failure voids it, so the money is back
 *   on the sub-account and the payout is `notcompleted` (ADR 0005). The money never vanishes.
 */
export const PAYOUT_MIN_XOF = 20;
export const PAYOUT_MAX_XOF = 1_000_000;

export interface PayoutRequest {
  amountXof: Xof;
  customer: string;
  description: string;
  callbackUrl: string;
  topUpWallet: boolean;
  customData: CustomData;
}

/** What creating a payout needs: the store, the clock, the token secret, and the operators and their numbers. */
export type PayoutDeps = WithDb & WithClock & WithTokens & WithPrefixes & WithConnector;

export async function createCustomerPayout(
  deps: PayoutDeps,
  tx: Tx,
  project: Project,
  clientIp: string,
  input: PayoutRequest,
): Promise<Result<Payout>> {
  if (!project.payoutEnabled) return fail('payout_disabled');
  if (!ipAllowed(project, clientIp))
    return fail('ip_denied', `IP ${clientIp} is not allowed for this project`);
  if (input.amountXof < PAYOUT_MIN_XOF || input.amountXof > PAYOUT_MAX_XOF)
    return fail('amount_out_of_range');
  const phone = normalizePhone(input.customer);
  if (phone === undefined) return fail('invalid_phone');
  const operator = operatorForPhone(phone, deps.prefixes);
  const walletId = accountIds.wallet(phone);
  const subaccountId = operator ? accountIds.subaccount(project.id, operator.id) : '';
  const settlementId = operator ? accountIds.settlement(operator.id) : '';
  // The settlement account is only touched (and so only locked) when money leaves for the operator.
  const touched = !operator
    ? [walletId]
    : input.topUpWallet
      ? [walletId, subaccountId]
      : [walletId, subaccountId, settlementId];
  const { accounts, isDuplicate } = await lockPayoutAccounts(
    deps,
    tx,
    touched,
    project.id,
    input.customData.transaction_id ?? null,
  );
  if (!accounts.has(walletId)) return fail('wallet_not_found', 'Customer not registered on the platform');
  if (!operator) return fail('operator_not_identified', `No operator serves ${phone}`);
  if (!project.operatorIds.includes(operator.id))
    return fail('operator_not_enabled', `${operator.name} is not enabled for this project`);
  // A wallet top-up stays inside the ledger; only money sent on to mobile money needs the operator.
  if (!input.topUpWallet && !connectorServes(deps.connector, operator.id, 'credit'))
    return fail('operator_unavailable', `${operator.name} is not available on this gateway`);
  if (await isDuplicate()) return fail('duplicate_transaction');
  if (!accounts.has(subaccountId))
    return fail('subaccount_missing', `No merchant account on ${operator.name}`);
  const nowMs = deps.clock.nowMs();
  const payoutId = newId('po');
  const posted = await postTransfers(
    tx,
    deps.db.dialect,
    [
      input.topUpWallet
        ? {
            kind: 'single',
            debitAccountId: subaccountId,
            creditAccountId: walletId,
            amountXof: input.amountXof,
            reason: 'payout',
            subjectId: payoutId,
          }
        : {
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
    kind: 'customer',
    topUpWallet: input.topUpWallet,
    phone,
    operatorId: operator.id,
    input,
    pendingTransferId: input.topUpWallet ? null : (posted.transfers[0]?.id ?? null),
    nowMs,
  });
  // The payout's history names the request that created it (migration 0011, ADR 0020).
  await insertPayout(tx, payout, requestStamp(tx));
  // A held payout waits for the dispatcher, which is woken once this commits.
  if (!input.topUpWallet) afterCommit(tx, 'payouts');
  if (input.topUpWallet) {
    await enqueueEvent(
      tx,
      { projectId: project.id, type: 'payout.completed', subjectType: 'payout', subjectId: payoutId },
      nowMs,
    );
  }
  return ok(payout);
}

/**
 * Locks a payout's balance rows and answers whether the project already has a payout with this
 * merchant transaction id (Code07). The check rides on the lock's round trip (ADR 0019); when no
 * row came back to carry its answer, it is asked on its own, and only if the caller asks.
 */
export async function lockPayoutAccounts(
  deps: WithDb,
  tx: Tx,
  ids: readonly string[],
  projectId: string,
  merchantTransactionId: string | null,
): Promise<{ accounts: Map<string, AccountBalance>; isDuplicate: () => Promise<boolean> }> {
  if (merchantTransactionId === null)
    return {
      accounts: await lockAccounts(tx, deps.db.dialect, ids),
      isDuplicate: () => Promise.resolve(false),
    };
  const { accounts, duplicate } = await lockAccountsForPayout(tx, deps.db.dialect, ids, {
    projectId,
    merchantTransactionId,
  });
  return {
    accounts,
    isDuplicate: () =>
      duplicate !== undefined
        ? Promise.resolve(duplicate)
        : payoutExists(tx, projectId, merchantTransactionId),
  };
}

/**
 * A new payout, customer or merchant. A payout that moved its money at once (`top_up_wallet: 1`)
 * is completed; one with a hold is pending and queued for the dispatcher.
 */
export function newPayout(
  deps: WithTokens,
  project: Project,
  p: {
    id: string;
    kind: PayoutKind;
    topUpWallet: boolean;
    phone: string;
    operatorId: string;
    input: Pick<PayoutRequest, 'amountXof' | 'description' | 'callbackUrl' | 'customData'>;
    pendingTransferId: string | null;
    nowMs: number;
  },
): Payout {
  const number = randomDigits(12);
  const token = signToken('payout', number, p.nowMs, deps.tokenSecret);
  const merchantTransactionId = p.input.customData.transaction_id ?? null;
  const held = p.pendingTransferId !== null;
  return {
    id: p.id,
    number,
    token,
    projectId: project.id,
    requestId: newRequestId(),
    kind: p.kind,
    topUpWallet: p.topUpWallet,
    status: held ? 'pending' : 'completed',
    amountXof: p.input.amountXof,
    customer: p.phone,
    operatorId: p.operatorId,
    description: p.input.description,
    customData: JSON.stringify(p.input.customData),
    externalId: merchantTransactionId ?? externalIdOf(p.input.customData),
    merchantTransactionId,
    callbackUrl: p.input.callbackUrl,
    logfile: logfileFor(p.nowMs),
    hash: transactionHash(project.apikey, token),
    pendingTransferId: p.pendingTransferId,
    dispatchState: held ? 'queued' : 'none',
    dispatchAttempts: 0,
    dispatchAfterMs: p.nowMs,
    dispatchOwner: null,
    operatorReference: null,
    statusReason: null,
    statusReasonCode: null,
    createdAtMs: p.nowMs,
    updatedAtMs: p.nowMs,
  };
}
