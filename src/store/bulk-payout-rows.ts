import { oneOf } from '../core/assert.js';
import type {
  BulkItemKind,
  BulkItemResult,
  PayoutBatch,
  PayoutBatchItem,
  PayoutBatchStatus,
} from '../core/bulk-payout.js';
import { xof } from '../core/money.js';
import { RESULT_CODES } from '../core/result-codes.js';
import type { PayoutBatchItemTable, PayoutBatchTable } from './schema-bulk.js';

export const BATCH_STATUSES: readonly PayoutBatchStatus[] = ['processing', 'processed'];
const ITEM_KINDS: readonly BulkItemKind[] = ['customer', 'merchant', ''];
const ITEM_RESULTS: readonly BulkItemResult[] = ['ok', ...RESULT_CODES];

/** The one mapping of a `payout_batches` row to the core's `PayoutBatch`: a status outside the union is a bug. */
export function batchFromRow(row: PayoutBatchTable): PayoutBatch {
  return {
    id: row.id,
    projectId: row.project_id,
    idempotencyKey: row.idempotency_key,
    requestHash: row.request_hash,
    itemCount: Number(row.item_count),
    callbackUrl: row.callback_url,
    status: oneOf(BATCH_STATUSES, row.status, 'batch status', row.id),
    createdAtMs: Number(row.created_at_ms),
    processedAtMs: row.processed_at_ms === null ? null : Number(row.processed_at_ms),
  };
}

/** The row a new batch is inserted as. */
export function batchToRow(batch: PayoutBatch): PayoutBatchTable {
  return {
    id: batch.id,
    project_id: batch.projectId,
    idempotency_key: batch.idempotencyKey,
    request_hash: batch.requestHash,
    item_count: batch.itemCount,
    callback_url: batch.callbackUrl,
    status: batch.status,
    created_at_ms: batch.createdAtMs,
    processed_at_ms: batch.processedAtMs,
  };
}

/** The one mapping of a `payout_batch_items` row to the core's `PayoutBatchItem`: a kind or result outside the unions is a bug. */
export function batchItemFromRow(row: PayoutBatchItemTable): PayoutBatchItem {
  return {
    batchId: row.batch_id,
    itemIndex: Number(row.item_index),
    kind: oneOf(ITEM_KINDS, row.kind, 'item kind of batch', row.batch_id),
    amountXof: row.amount_xof === null ? null : xof(Number(row.amount_xof)),
    customer: row.customer,
    payoutId: row.payout_id,
    resultCode: oneOf(ITEM_RESULTS, row.result_code, 'item result of batch', row.batch_id),
    resultDetail: row.result_detail,
    createdAtMs: Number(row.created_at_ms),
  };
}

/** The row a processed item is inserted as. */
export function batchItemToRow(item: PayoutBatchItem): PayoutBatchItemTable {
  return {
    batch_id: item.batchId,
    item_index: item.itemIndex,
    kind: item.kind,
    amount_xof: item.amountXof,
    customer: item.customer,
    payout_id: item.payoutId,
    result_code: item.resultCode,
    result_detail: item.resultDetail,
    created_at_ms: item.createdAtMs,
  };
}
