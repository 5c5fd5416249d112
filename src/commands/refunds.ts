import { assert } from '../core/assert.js';
import { newId } from '../core/ids.js';
import { accountIds } from '../core/ledger.js';
import type { Xof } from '../core/money.js';
import { WALLET_OPERATOR } from '../core/operators.js';
import {
  REFUNDS_LIST_MAX,
  REFUNDS_PER_PAYIN_MAX,
  type Refund,
  type RefundMethod,
  isPartialRefund,
  refundAmountXof,
} from '../core/refunds.js';
import { type Result, fail, ok } from '../core/result-codes.js';
import type { Payin } from '../core/payin.js';
import { refundMethod } from '../operators/connector.js';
import { type Tx, afterCommit } from '../store/database.js';
import { ensureAccount, lockAccounts, postTransfers } from '../store/ledger-store.js';
import {
  type RefundView,
  countPayinRefunds,
  findPayinToRefund,
  findProjectRefund,
  insertRefund,
  listRefundsOfPayin,
  lockPayinToRefund,
  refundReferenceTaken,
} from '../store/refunds.js';
import type { WithClock, WithConnector, WithDb } from './context.js';
import { type TokenVerifier, verifyGatewayToken } from './lookup.js';
import { enqueueEvent } from './outbox.js';
import type { Project } from '../core/project.js';

/**
 * Refunds of completed payins (ADR 0024). Creating one is a command: the payin row is locked, what
 * is left to refund is judged against the payin's `refunded_xof` (the sum of its refunds that have
 * not failed, which a CHECK also keeps within the amount paid), and the money moves or is held in
 * the same transaction as the refund row.
 *
 * A wallet payin's refund is one transfer from the project's wallet sub-account back to the
 * customer's wallet, final at once. An operator payin's refund holds the money on the project's
 * sub-account for that operator (a pending transfer to the operator's settlement account) and is
 * queued for the refund worker, which calls the operator with no transaction open, asking for the
 * status of the refund's fixed reference before any re-send; `settleRefund` (refund-settle.ts) then
 * posts or voids the hold. A failed refund gives its amount back to what is left to refund.
 */
export interface RefundInput {
  /** The payin's token, or its `pay_` id. */
  payin: string;
  /** Absent: what is left to refund. */
  amountXof: Xof | undefined;
  reason: string;
  merchantReference: string;
  /** Where the refund's callback goes; '' for the payin's, else the project's. */
  callbackUrl: string;
}

export type { RefundView };

/** What a refund's commands need: the store, the clock and, for the operator leg, the connector. */
export type RefundDeps = WithDb & WithClock & WithConnector;

const PAYIN_ID = /^pay_[a-z2-7]{1,64}$/;

/**
 * A payin of the project by token (verified as confirm does, the previous secret during its grace)
 * or by id; another project's payin is not found.
 */
export async function findProjectPayin(
  verifier: TokenVerifier,
  tx: Tx,
  project: Pick<Project, 'id'>,
  ref: string,
): Promise<Payin | undefined> {
  const trimmed = ref.trim();
  let payin: Payin | undefined;
  if (PAYIN_ID.test(trimmed)) {
    payin = await findPayinToRefund(tx, { id: trimmed });
  } else {
    const claims = verifyGatewayToken(verifier, trimmed);
    if (claims?.kind !== 'payin') return undefined;
    payin = await findPayinToRefund(tx, { number: claims.number });
  }
  return payin !== undefined && payin.projectId === project.id ? payin : undefined;
}

export async function createRefund(
  deps: RefundDeps & TokenVerifier,
  tx: Tx,
  project: Project,
  input: RefundInput,
): Promise<Result<RefundView>> {
  const found = await findProjectPayin(deps, tx, project, input.payin);
  if (found === undefined) return fail('not_found', 'No such payin');
  // The payin row is the refunds' lock: on PostgreSQL every refund of it waits here for the one
  // before to commit and then reads what it wrote; SQLite's BEGIN IMMEDIATE serializes them anyway.
  const payin = await lockPayinToRefund(tx, deps.db.dialect, found.id);
  if (await refundReferenceTaken(tx, project.id, input.merchantReference))
    return fail('duplicate_transaction', 'A refund with this merchant reference exists already');
  if ((await countPayinRefunds(tx, payin.id)) >= REFUNDS_PER_PAYIN_MAX)
    return fail('invalid_input', `A payin can have at most ${REFUNDS_PER_PAYIN_MAX} refunds`);
  const amountXofPaid = payin.amountXof;
  const amount = refundAmountXof(
    { status: payin.status, amountXof: amountXofPaid, refundedXof: payin.refundedXof },
    input.amountXof,
  );
  if (!amount.ok) return amount;
  const operatorId = payin.operatorId;
  assert(
    operatorId !== null && payin.customer !== null,
    `completed payin ${payin.id} has no operator or customer`,
  );
  const method: RefundMethod | undefined =
    payin.kind === 'wallet'
      ? 'wallet'
      : refundMethod(deps.connector, operatorId, isPartialRefund({ amountXof: amountXofPaid }, amount.value));
  if (method === undefined)
    return fail(
      'refund_unsupported',
      'This gateway can neither refund through this operator nor pay the payer back',
    );
  const nowMs = deps.clock.nowMs();
  const id = newId('rf');
  const moved =
    method === 'wallet'
      ? await returnToWallet(deps, tx, project, payin.customer, amount.value, id, nowMs)
      : await holdForOperator(deps, tx, project, operatorId, amount.value, id, nowMs);
  if (!moved.ok) return moved;
  const refund: Refund = {
    id,
    projectId: project.id,
    payinId: payin.id,
    amountXof: amount.value,
    status: method === 'wallet' ? 'completed' : 'pending',
    method,
    operatorId,
    customer: payin.customer,
    reason: input.reason,
    merchantReference: input.merchantReference,
    callbackUrl: input.callbackUrl,
    reference: id,
    pendingTransferId: moved.value,
    dispatchState: method === 'wallet' ? 'none' : 'queued',
    dispatchAttempts: 0,
    dispatchAfterMs: nowMs,
    dispatchOwner: null,
    operatorReference: null,
    statusReason: method === 'wallet' ? null : 'awaiting operator',
    createdAtMs: nowMs,
    updatedAtMs: nowMs,
  };
  await insertRefund(tx, refund);
  if (method === 'wallet')
    await enqueueEvent(
      tx,
      { projectId: project.id, type: 'refund.completed', subjectType: 'refund', subjectId: id },
      nowMs,
    );
  else afterCommit(tx, 'refunds');
  return ok({ ...refund, payinToken: payin.token });
}

/** The wallet payin's money goes back in one transfer; the sub-account must still hold it. */
async function returnToWallet(
  deps: WithDb,
  tx: Tx,
  project: Project,
  phone: string,
  amountXof: Xof,
  refundId: string,
  nowMs: number,
): Promise<Result<null>> {
  const walletId = accountIds.wallet(phone);
  const subaccountId = accountIds.subaccount(project.id, WALLET_OPERATOR.id);
  const accounts = await lockAccounts(tx, deps.db.dialect, [walletId, subaccountId]);
  assert(accounts.has(walletId), `the wallet ${walletId} of a completed payin is missing`);
  if (!accounts.has(subaccountId))
    return fail('subaccount_insufficient', 'The project wallet sub-account holds too little for this refund');
  const posted = await postTransfers(
    tx,
    deps.db.dialect,
    [
      {
        kind: 'single',
        debitAccountId: subaccountId,
        creditAccountId: walletId,
        amountXof,
        reason: 'refund',
        subjectId: refundId,
      },
    ],
    nowMs,
    accounts,
  );
  if (!posted.ok)
    return fail('subaccount_insufficient', 'The project wallet sub-account holds too little for this refund');
  return ok(null);
}

/** The operator leg's hold: from the project's sub-account to the operator's settlement account. */
async function holdForOperator(
  deps: WithDb,
  tx: Tx,
  project: Project,
  operatorId: string,
  amountXof: Xof,
  refundId: string,
  nowMs: number,
): Promise<Result<string>> {
  const subaccountId = accountIds.subaccount(project.id, operatorId);
  const settlementId = accountIds.settlement(operatorId);
  await ensureAccount(
    tx,
    { id: settlementId, kind: 'settlement', operatorId, mustNotOverdraw: false },
    nowMs,
  );
  const accounts = await lockAccounts(tx, deps.db.dialect, [settlementId, subaccountId]);
  if (!accounts.has(subaccountId))
    return fail(
      'subaccount_insufficient',
      'The project sub-account of this operator holds too little for this refund',
    );
  const posted = await postTransfers(
    tx,
    deps.db.dialect,
    [
      {
        kind: 'pending',
        debitAccountId: subaccountId,
        creditAccountId: settlementId,
        amountXof,
        reason: 'refund_hold',
        subjectId: refundId,
      },
    ],
    nowMs,
    accounts,
  );
  if (!posted.ok)
    return fail(
      'subaccount_insufficient',
      'The project sub-account of this operator holds too little for this refund',
    );
  const hold = posted.transfers[0];
  assert(hold !== undefined, 'a posted hold has its transfer');
  return ok(hold.id);
}

/** A refund of the project; another project's is not found. */
export async function getRefund(tx: Tx, projectId: string, refundId: string): Promise<Result<RefundView>> {
  const row = await findProjectRefund(tx, projectId, refundId);
  return row === undefined ? fail('not_found', 'No such refund') : ok(row);
}

/** A payin's refunds, oldest first, with what is left to refund of it. */
export async function listPayinRefunds(
  verifier: TokenVerifier,
  tx: Tx,
  project: Pick<Project, 'id'>,
  payinRef: string,
): Promise<Result<{ payin: Payin; refunds: RefundView[]; refundedXof: number; refundableXof: number }>> {
  const payin = await findProjectPayin(verifier, tx, project, payinRef);
  if (payin === undefined) return fail('not_found', 'No such payin');
  const refunds = await listRefundsOfPayin(tx, payin.id, REFUNDS_LIST_MAX);
  const refundedXof: number = payin.refundedXof;
  return ok({
    payin,
    refunds,
    refundedXof,
    refundableXof: payin.status === 'completed' ? payin.amountXof - refundedXof : 0,
  });
}
