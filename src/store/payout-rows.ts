import { assert } from '../core/assert.js';
import { xof } from '../core/money.js';
import {
  PAYOUT_REASON_CODES,
  type DispatchState,
  type Payout,
  type PayoutKind,
  type PayoutReasonCode,
  type PayoutStatus,
} from '../core/payout.js';
import type { PayoutTable } from './schema.js';

const PAYOUT_STATUSES: readonly string[] = ['pending', 'completed', 'notcompleted'] satisfies PayoutStatus[];
const PAYOUT_KINDS: readonly string[] = ['customer', 'merchant'] satisfies PayoutKind[];
const DISPATCH_STATES: readonly string[] = [
  'none',
  'queued',
  'sent',
  'review',
  'done',
] satisfies DispatchState[];

/** The one mapping of a `payouts` row to the core's `Payout`: a status, kind or state outside the unions is a bug. */
export function payoutFromRow(row: PayoutTable): Payout {
  assert(PAYOUT_STATUSES.includes(row.status), `payout ${row.id} has unknown status ${row.status}`);
  assert(PAYOUT_KINDS.includes(row.kind), `payout ${row.id} has unknown kind ${row.kind}`);
  assert(
    DISPATCH_STATES.includes(row.dispatch_state),
    `payout ${row.id} has unknown dispatch state ${row.dispatch_state}`,
  );
  return {
    id: row.id,
    number: row.number,
    token: row.token,
    projectId: row.project_id,
    requestId: row.request_id,
    kind: row.kind as PayoutKind,
    topUpWallet: Number(row.top_up_wallet) === 1,
    status: row.status as PayoutStatus,
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
    dispatchState: row.dispatch_state as DispatchState,
    dispatchAttempts: Number(row.dispatch_attempts),
    dispatchAfterMs: Number(row.dispatch_after_ms),
    dispatchOwner: row.dispatch_owner ?? null,
    operatorReference: row.operator_reference,
    statusReason: row.status_reason,
    statusReasonCode: reasonCodeOf(row),
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

function reasonCodeOf(row: PayoutTable): PayoutReasonCode | null {
  const code = row.status_reason_code ?? null;
  assert(
    code === null || (PAYOUT_REASON_CODES as readonly string[]).includes(code),
    `payout ${row.id} has unknown reason code ${String(code)}`,
  );
  return code as PayoutReasonCode | null;
}
