import { assert } from '../core/assert.js';
import { newId } from '../core/ids.js';
import { accountIds } from '../core/ledger.js';
import { type Xof, xof } from '../core/money.js';
import { WALLET_OPERATOR } from '../core/operators.js';
import {
  REFUNDS_LIST_MAX,
  REFUNDS_PER_PAYIN_MAX,
  type RefundMethod,
  isPartialRefund,
  refundAmountXof,
} from '../core/refunds.js';
import { type Result, fail, ok } from '../core/result-codes.js';
import { type OperatorOutcome, refundMethod } from '../operators/connector.js';
import { type Tx, afterCommit } from '../store/database.js';
import { ensureAccount, lockAccounts, postTransfers } from '../store/ledger-store.js';
import type { RefundTable } from '../store/schema-refunds.js';
import type { PayinTable } from '../store/schema.js';
import type { Gateway } from './context.js';
import { type TokenVerifier, verifyGatewayToken } from './lookup.js';
import { enqueueEvent } from './outbox.js';
import { lockPayin } from './payin-operator.js';
import { stillPending } from './payout-settle.js';
import type { Project } from './projects.js';

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
 * status of the refund's fixed reference before any re-send; `settleRefund` then posts or voids the
 * hold. A failed refund gives its amount back to what is left to refund.
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

/** A refund as the API and the console show it, with what is left to refund of its payin. */
export interface RefundView extends RefundTable {
  payin_token: string;
}

const PAYIN_ID = /^pay_[a-z2-7]{1,64}$/;

/**
 * A payin of the project by token (verified as confirm does, the previous secret during its grace)
 * or by id; another project's payin is not found.
 */
export async function findProjectPayin(
  gw: TokenVerifier,
  tx: Tx,
  project: Pick<Project, 'id'>,
  ref: string,
): Promise<PayinTable | undefined> {
  const trimmed = ref.trim();
  let query = tx.selectFrom('payins').selectAll();
  if (PAYIN_ID.test(trimmed)) {
    query = query.where('id', '=', trimmed);
  } else {
    const claims = verifyGatewayToken(gw, trimmed);
    if (claims?.kind !== 'payin') return undefined;
    query = query.where('number', '=', claims.number);
  }
  const row = await query.executeTakeFirst();
  return row !== undefined && row.project_id === project.id ? row : undefined;
}

export async function createRefund(
  gw: Gateway,
  tx: Tx,
  project: Project,
  input: RefundInput,
): Promise<Result<RefundView>> {
  const found = await findProjectPayin(gw, tx, project, input.payin);
  if (found === undefined) return fail('not_found', 'No such payin');
  // The payin row is the refunds' lock: on PostgreSQL every refund of it waits here for the one
  // before to commit and then reads what it wrote; SQLite's BEGIN IMMEDIATE serializes them anyway.
  const payin = await lockPayin(tx, gw.db, found.id);
  const duplicate = await tx
    .selectFrom('refunds')
    .select('id')
    .where('project_id', '=', project.id)
    .where('merchant_reference', '=', input.merchantReference)
    .executeTakeFirst();
  if (duplicate !== undefined)
    return fail('duplicate_transaction', 'A refund with this merchant reference exists already');
  const count = await tx
    .selectFrom('refunds')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('payin_id', '=', payin.id)
    .executeTakeFirstOrThrow();
  if (Number(count.n) >= REFUNDS_PER_PAYIN_MAX)
    return fail('invalid_input', `A payin can have at most ${REFUNDS_PER_PAYIN_MAX} refunds`);
  const amountXofPaid = xof(Number(payin.amount_xof));
  const amount = refundAmountXof(
    { status: payin.status, amountXof: amountXofPaid, refundedXof: xof(Number(payin.refunded_xof ?? 0)) },
    input.amountXof,
  );
  if (!amount.ok) return amount;
  const operatorId = payin.operator_id;
  assert(
    operatorId !== null && payin.customer !== null,
    `completed payin ${payin.id} has no operator or customer`,
  );
  const method: RefundMethod | undefined =
    payin.kind === 'wallet'
      ? 'wallet'
      : refundMethod(gw.connector, operatorId, isPartialRefund({ amountXof: amountXofPaid }, amount.value));
  if (method === undefined)
    return fail(
      'refund_unsupported',
      'This gateway can neither refund through this operator nor pay the payer back',
    );
  const nowMs = gw.clock.nowMs();
  const id = newId('rf');
  const moved =
    method === 'wallet'
      ? await returnToWallet(gw, tx, project, payin.customer, amount.value, id, nowMs)
      : await holdForOperator(gw, tx, project, operatorId, amount.value, id, nowMs);
  if (!moved.ok) return moved;
  const row: RefundTable = {
    id,
    project_id: project.id,
    payin_id: payin.id,
    amount_xof: amount.value,
    status: method === 'wallet' ? 'completed' : 'pending',
    method,
    operator_id: operatorId,
    customer: payin.customer,
    reason: input.reason,
    merchant_reference: input.merchantReference,
    callback_url: input.callbackUrl,
    reference: id,
    pending_transfer_id: moved.value,
    dispatch_state: method === 'wallet' ? 'none' : 'queued',
    dispatch_attempts: 0,
    dispatch_after_ms: nowMs,
    dispatch_owner: null,
    operator_reference: null,
    status_reason: method === 'wallet' ? null : 'awaiting operator',
    created_at_ms: nowMs,
    updated_at_ms: nowMs,
  };
  await tx.insertInto('refunds').values(row).execute();
  await tx
    .updateTable('payins')
    .set((eb) => ({ refunded_xof: eb('refunded_xof', '+', amount.value) }))
    .where('id', '=', payin.id)
    .execute();
  if (method === 'wallet')
    await enqueueEvent(
      tx,
      { projectId: project.id, type: 'refund.completed', subjectType: 'refund', subjectId: id },
      nowMs,
    );
  else afterCommit(tx, 'refunds');
  return ok({ ...row, payin_token: payin.token });
}

/** The wallet payin's money goes back in one transfer; the sub-account must still hold it. */
async function returnToWallet(
  gw: Gateway,
  tx: Tx,
  project: Project,
  phone: string,
  amountXof: Xof,
  refundId: string,
  nowMs: number,
): Promise<Result<null>> {
  const walletId = accountIds.wallet(phone);
  const subaccountId = accountIds.subaccount(project.id, WALLET_OPERATOR.id);
  const accounts = await lockAccounts(tx, gw.db.dialect, [walletId, subaccountId]);
  assert(accounts.has(walletId), `the wallet ${walletId} of a completed payin is missing`);
  if (!accounts.has(subaccountId))
    return fail('subaccount_insufficient', 'The project wallet sub-account holds too little for this refund');
  const posted = await postTransfers(
    tx,
    gw.db.dialect,
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
  gw: Gateway,
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
  const accounts = await lockAccounts(tx, gw.db.dialect, [settlementId, subaccountId]);
  if (!accounts.has(subaccountId))
    return fail(
      'subaccount_insufficient',
      'The project sub-account of this operator holds too little for this refund',
    );
  const posted = await postTransfers(
    tx,
    gw.db.dialect,
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

export type RefundSettlement = 'completed' | 'failed' | 'still_pending' | 'already_final';

/**
 * Records what the operator said about a refund, in one transaction, idempotently: a final refund
 * stays as it is. A pending answer keeps the hold (releasing it while the operator may still pay
 * would create money) and schedules the next status query; after the last one the refund waits
 * for a person, like a payout. `holder` as in `settlePayouts`: a pending answer from an instance
 * whose lease was taken over leaves the refund to the new holder.
 */
export async function settleRefund(
  gw: Gateway,
  tx: Tx,
  refundId: string,
  outcome: OperatorOutcome,
  attempts: number,
  holder?: string,
): Promise<RefundSettlement> {
  const nowMs = gw.clock.nowMs();
  const first = await tx
    .selectFrom('refunds')
    .select(['payin_id'])
    .where('id', '=', refundId)
    .executeTakeFirst();
  assert(first !== undefined, `no refund ${refundId}`);
  // Lock order as in createRefund: the payin row, then the balance rows.
  await lockPayin(tx, gw.db, first.payin_id);
  const refund = await tx
    .selectFrom('refunds')
    .selectAll()
    .where('id', '=', refundId)
    .executeTakeFirstOrThrow();
  if (refund.status !== 'pending') return 'already_final';
  if (outcome.state === 'pending') {
    if (holder !== undefined && refund.dispatch_owner !== null && refund.dispatch_owner !== holder)
      return 'still_pending';
    await tx.updateTable('refunds').set(stillPending(attempts, nowMs)).where('id', '=', refundId).execute();
    return 'still_pending';
  }
  assert(refund.pending_transfer_id !== null, `refund ${refundId} has no hold to settle`);
  const completed = outcome.state === 'completed';
  const posted = await postTransfers(
    tx,
    gw.db.dialect,
    [
      {
        kind: completed ? 'post_pending' : 'void_pending',
        pendingId: refund.pending_transfer_id,
        reason: completed ? 'refund' : 'refund_failed',
        subjectId: refundId,
      },
    ],
    nowMs,
  );
  assert(posted.ok, `settling the hold of refund ${refundId} failed`);
  await tx
    .updateTable('refunds')
    .set({
      status: completed ? 'completed' : 'failed',
      dispatch_state: 'done',
      dispatch_owner: null,
      operator_reference: outcome.operatorReference ?? null,
      status_reason: outcome.state === 'failed' ? outcome.reason.slice(0, 500) : null,
      updated_at_ms: nowMs,
    })
    .where('id', '=', refundId)
    .execute();
  if (!completed) {
    await tx
      .updateTable('payins')
      .set((eb) => ({ refunded_xof: eb('refunded_xof', '-', Number(refund.amount_xof)) }))
      .where('id', '=', refund.payin_id)
      .execute();
  }
  await enqueueEvent(
    tx,
    {
      projectId: refund.project_id,
      type: completed ? 'refund.completed' : 'refund.failed',
      subjectType: 'refund',
      subjectId: refundId,
    },
    nowMs,
  );
  return completed ? 'completed' : 'failed';
}

const refundWithToken = (tx: Tx) =>
  tx
    .selectFrom('refunds')
    .innerJoin('payins', 'payins.id', 'refunds.payin_id')
    .selectAll('refunds')
    .select('payins.token as payin_token');

/** A refund of the project; another project's is not found. */
export async function getRefund(tx: Tx, projectId: string, refundId: string): Promise<Result<RefundView>> {
  const row = await refundWithToken(tx)
    .where('refunds.id', '=', refundId)
    .where('refunds.project_id', '=', projectId)
    .executeTakeFirst();
  return row === undefined ? fail('not_found', 'No such refund') : ok(row);
}

/** A payin's refunds, oldest first, with what is left to refund of it. */
export async function listPayinRefunds(
  gw: TokenVerifier,
  tx: Tx,
  project: Pick<Project, 'id'>,
  payinRef: string,
): Promise<Result<{ payin: PayinTable; refunds: RefundView[]; refundedXof: number; refundableXof: number }>> {
  const payin = await findProjectPayin(gw, tx, project, payinRef);
  if (payin === undefined) return fail('not_found', 'No such payin');
  const refunds = await refundWithToken(tx)
    .where('refunds.payin_id', '=', payin.id)
    .orderBy('refunds.created_at_ms')
    .orderBy('refunds.id')
    .limit(REFUNDS_LIST_MAX)
    .execute();
  const refundedXof = Number(payin.refunded_xof ?? 0);
  return ok({
    payin,
    refunds,
    refundedXof,
    refundableXof: payin.status === 'completed' ? Number(payin.amount_xof) - refundedXof : 0,
  });
}
