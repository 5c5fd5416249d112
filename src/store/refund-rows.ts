import { oneOf } from '../core/assert.js';
import { xof } from '../core/money.js';
import type { DispatchState } from '../core/payout.js';
import type { Refund, RefundMethod, RefundStatus } from '../core/refunds.js';
import type { RefundTable } from './schema-refunds.js';

const REFUND_STATUSES: readonly RefundStatus[] = ['pending', 'completed', 'failed'];
export const REFUND_METHODS: readonly RefundMethod[] = ['wallet', 'operator', 'payout'];
const DISPATCH_STATES: readonly DispatchState[] = ['none', 'queued', 'sent', 'review', 'done'];

/** The one mapping of a `refunds` row to the core's `Refund`: a status, method or state outside the unions is a bug. */
export function refundFromRow(row: RefundTable): Refund {
  return {
    id: row.id,
    projectId: row.project_id,
    payinId: row.payin_id,
    amountXof: xof(Number(row.amount_xof)),
    status: oneOf(REFUND_STATUSES, row.status, 'refund status', row.id),
    method: oneOf(REFUND_METHODS, row.method, 'refund method', row.id),
    operatorId: row.operator_id,
    customer: row.customer,
    reason: row.reason,
    merchantReference: row.merchant_reference,
    callbackUrl: row.callback_url,
    reference: row.reference,
    pendingTransferId: row.pending_transfer_id,
    dispatchState: oneOf(DISPATCH_STATES, row.dispatch_state, 'refund dispatch state', row.id),
    dispatchAttempts: Number(row.dispatch_attempts),
    dispatchAfterMs: Number(row.dispatch_after_ms),
    dispatchOwner: row.dispatch_owner ?? null,
    operatorReference: row.operator_reference,
    statusReason: row.status_reason,
    createdAtMs: Number(row.created_at_ms),
    updatedAtMs: Number(row.updated_at_ms),
  };
}

/** The row a new refund is inserted as. */
export function refundToRow(refund: Refund): RefundTable {
  return {
    id: refund.id,
    project_id: refund.projectId,
    payin_id: refund.payinId,
    amount_xof: refund.amountXof,
    status: refund.status,
    method: refund.method,
    operator_id: refund.operatorId,
    customer: refund.customer,
    reason: refund.reason,
    merchant_reference: refund.merchantReference,
    callback_url: refund.callbackUrl,
    reference: refund.reference,
    pending_transfer_id: refund.pendingTransferId,
    dispatch_state: refund.dispatchState,
    dispatch_attempts: refund.dispatchAttempts,
    dispatch_after_ms: refund.dispatchAfterMs,
    dispatch_owner: refund.dispatchOwner,
    operator_reference: refund.operatorReference,
    status_reason: refund.statusReason,
    created_at_ms: refund.createdAtMs,
    updated_at_ms: refund.updatedAtMs,
  };
}
