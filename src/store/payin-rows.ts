import { oneOf } from '../core/assert.js';
import type { Invoice, InvoiceChannel } from '../core/invoice.js';
import { xof } from '../core/money.js';
import { VALIDATION_MODES } from '../core/operators.js';
import { PAYIN_REASON_CODES, type Payin, type PayinKind, type PayinStatus } from '../core/payin.js';
import type { InvoiceTable } from './schema-payin-surface.js';
import type { PayinTable } from './schema.js';

const PAYIN_STATUSES: readonly PayinStatus[] = ['pending', 'completed', 'notcompleted'];
const PAYIN_KINDS: readonly PayinKind[] = ['wallet', 'hosted', 'direct'];
const INVOICE_CHANNELS: readonly InvoiceChannel[] = ['hosted', 'direct'];

/** The one mapping of a `payins` row to the core's `Payin`: a status or kind outside the unions is a bug. */
export function payinFromRow(row: PayinTable): Payin {
  return {
    id: row.id,
    number: row.number,
    token: row.token,
    projectId: row.project_id,
    requestId: row.request_id,
    kind: oneOf(PAYIN_KINDS, row.kind, 'payin kind', row.id),
    status: oneOf(PAYIN_STATUSES, row.status, 'payin status', row.id),
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
    statusReason: row.status_reason,
    statusReasonCode:
      row.status_reason_code == null
        ? null
        : oneOf(PAYIN_REASON_CODES, row.status_reason_code, 'payin reason code', row.id),
    createdAtMs: Number(row.created_at_ms),
    updatedAtMs: Number(row.updated_at_ms),
    refundedXof: xof(Number(row.refunded_xof ?? 0)),
  };
}

/** The row a new payin is inserted as (the database fills `refunded_xof` and the request stamp). */
export function payinToRow(payin: Payin): PayinTable {
  return {
    id: payin.id,
    number: payin.number,
    token: payin.token,
    project_id: payin.projectId,
    request_id: payin.requestId,
    kind: payin.kind,
    status: payin.status,
    amount_xof: payin.amountXof,
    customer: payin.customer,
    operator_id: payin.operatorId,
    description: payin.description,
    custom_data: payin.customData,
    external_id: payin.externalId,
    merchant_transaction_id: payin.merchantTransactionId,
    callback_url: payin.callbackUrl,
    logfile: payin.logfile,
    hash: payin.hash,
    status_reason: payin.statusReason,
    status_reason_code: payin.statusReasonCode,
    created_at_ms: payin.createdAtMs,
    updated_at_ms: payin.updatedAtMs,
  };
}

/**
 * The one mapping of an `invoices` row to the core's `Invoice`: a channel or validation mode outside
 * the unions is a bug.
 */
export function invoiceFromRow(row: InvoiceTable): Invoice {
  return {
    payinId: row.payin_id,
    channel: oneOf(INVOICE_CHANNELS, row.channel, 'invoice channel', row.payin_id),
    storeName: row.store_name,
    storeWebsiteUrl: row.store_website_url,
    returnUrl: row.return_url,
    cancelUrl: row.cancel_url,
    items: row.items,
    customerFirstname: row.customer_firstname,
    customerLastname: row.customer_lastname,
    customerEmail: row.customer_email,
    customerFilter: row.customer_filter,
    attempt: row.attempt,
    reference: row.reference,
    validationMode:
      row.validation_mode == null
        ? null
        : oneOf(VALIDATION_MODES, row.validation_mode, 'invoice validation mode', row.payin_id),
    pendingTransferId: row.pending_transfer_id,
    redirectUrl: row.redirect_url,
    operatorState: row.operator_state,
    resolveAfterMs: Number(row.resolve_after_ms),
    resolveAttempts: row.resolve_attempts,
    operatorReference: row.operator_reference,
    createdAtMs: Number(row.created_at_ms),
    updatedAtMs: Number(row.updated_at_ms),
  };
}

/** The row a new invoice is inserted as. */
export function invoiceToRow(invoice: Invoice): InvoiceTable {
  return {
    payin_id: invoice.payinId,
    channel: invoice.channel,
    store_name: invoice.storeName,
    store_website_url: invoice.storeWebsiteUrl,
    return_url: invoice.returnUrl,
    cancel_url: invoice.cancelUrl,
    items: invoice.items,
    customer_firstname: invoice.customerFirstname,
    customer_lastname: invoice.customerLastname,
    customer_email: invoice.customerEmail,
    customer_filter: invoice.customerFilter,
    attempt: invoice.attempt,
    reference: invoice.reference,
    validation_mode: invoice.validationMode,
    pending_transfer_id: invoice.pendingTransferId,
    redirect_url: invoice.redirectUrl,
    operator_state: invoice.operatorState,
    resolve_after_ms: invoice.resolveAfterMs,
    resolve_attempts: invoice.resolveAttempts,
    operator_reference: invoice.operatorReference,
    created_at_ms: invoice.createdAtMs,
    updated_at_ms: invoice.updatedAtMs,
  };
}
