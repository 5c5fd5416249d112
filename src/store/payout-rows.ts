import { oneOf } from '../core/assert.js';
import { xof } from '../core/money.js';
import {
  PAYOUT_REASON_CODES,
  type DispatchState,
  type Payout,
  type PayoutKind,
  type PayoutStatus,
} from '../core/payout.js';
import type { PayoutTable } from './schema.js';

export const PAYOUT_STATUSES: readonly PayoutStatus[] = ['pending', 'completed', 'notcompleted'];
const PAYOUT_KINDS: readonly PayoutKind[] = ['customer', 'merchant'];
const DISPATCH_STATES: readonly DispatchState[] = ['none', 'queued', 'sent', 'review', 'done'];

/** The one mapping of a `payouts` row to the core's `Payout`: a status, kind or state outside the unions is a bug. */
export function payoutFromRow(row: PayoutTable): Payout {
  return {
    id: row.id,
    number: row.number,
    token: row.token,
    projectId: row.project_id,
    requestId: row.request_id,
    kind: oneOf(PAYOUT_KINDS, row.kind, 'payout kind', row.id),
    topUpWallet: Number(row.top_up_wallet) === 1,
    status: oneOf(PAYOUT_STATUSES, row.status, 'payout status', row.id),
    amountXof: xof(Number(row.amount_xof)),
    customer: row.customer,
    operatorId: row.operator_id,
    description: row.description,
    customData: row.custom_data,
    externalId: row.external_id,
    merchantTransactionId: row.merchant_transaction_id,
    callbackUrl: row.callback_url,
    logfile: row.logfile,
    hash: row.hash,
    pendingTransferId: row.pending_transfer_id,
    dispatchState: oneOf(DISPATCH_STATES, row.dispatch_state, 'payout dispatch state', row.id),
    dispatchAttempts: Number(row.dispatch_attempts),
    dispatchAfterMs: Number(row.dispatch_after_ms),
    dispatchOwner: row.dispatch_owner ?? null,
    operatorReference: row.operator_reference,
    statusReason: row.status_reason,
    statusReasonCode:
      row.status_reason_code == null
        ? null
        : oneOf(PAYOUT_REASON_CODES, row.status_reason_code, 'payout reason code', row.id),
    createdAtMs: Number(row.created_at_ms),
    updatedAtMs: Number(row.updated_at_ms),
  };
}

/** The row a new payout is inserted as (nobody holds a new payout's lease; the database fills the request stamp). */
export function payoutToRow(payout: Payout): PayoutTable {
  return {
    id: payout.id,
    number: payout.number,
    token: payout.token,
    project_id: payout.projectId,
    request_id: payout.requestId,
    kind: payout.kind,
    top_up_wallet: payout.topUpWallet ? 1 : 0,
    status: payout.status,
    amount_xof: payout.amountXof,
    customer: payout.customer,
    operator_id: payout.operatorId,
    description: payout.description,
    custom_data: payout.customData,
    external_id: payout.externalId,
    merchant_transaction_id: payout.merchantTransactionId,
    callback_url: payout.callbackUrl,
    logfile: payout.logfile,
    hash: payout.hash,
    pending_transfer_id: payout.pendingTransferId,
    dispatch_state: payout.dispatchState,
    dispatch_attempts: payout.dispatchAttempts,
    dispatch_after_ms: payout.dispatchAfterMs,
    operator_reference: payout.operatorReference,
    status_reason: payout.statusReason,
    status_reason_code: payout.statusReasonCode,
    created_at_ms: payout.createdAtMs,
    updated_at_ms: payout.updatedAtMs,
  };
}
