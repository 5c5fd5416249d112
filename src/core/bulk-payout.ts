import type { Xof } from './money.js';
import type { PayoutKind } from './payout.js';
import type { ResultCode } from './result-codes.js';

/**
 * A bulk payout (ADR 0025) as the core sees it: the store maps each batch row and item row to these
 * once (src/store/bulk-payout-rows.ts), with their status, kind and result as closed unions and
 * their amounts as `Xof`.
 */

/** `processing` until every item has its row, then `processed`. */
export type PayoutBatchStatus = 'processing' | 'processed';

/** An item's kind: a customer or merchant payout, or '' for an item too malformed to have one. */
export type BulkItemKind = PayoutKind | '';

/** `ok` for an item that became a payout, else the code of its refusal. */
export type BulkItemResult = 'ok' | ResultCode;

/** One `POST /cauri/v1/payouts/bulk` that passed its checks as a whole. */
export interface PayoutBatch {
  readonly id: string;
  readonly projectId: string;
  /** The request's `Idempotency-Key`, or null; the key itself lives in `idempotency`. */
  readonly idempotencyKey: string | null;
  /** SHA-256 of the request (`requestHash`), so a resumed batch is the same batch. */
  readonly requestHash: string;
  readonly itemCount: number;
  /** The batch's default callback URL for items that name none; '' for the project's. */
  readonly callbackUrl: string;
  readonly status: PayoutBatchStatus;
  readonly createdAtMs: number;
  readonly processedAtMs: number | null;
}

/** One processed item, committed in the transaction of the item's payout. */
export interface PayoutBatchItem {
  readonly batchId: string;
  readonly itemIndex: number;
  readonly kind: BulkItemKind;
  /** The parsed amount; null when the item's amount could not be read. */
  readonly amountXof: Xof | null;
  /** The item's phone number as sent (normalised when its payout exists). */
  readonly customer: string;
  /** The payout the item created; null for a refused item. */
  readonly payoutId: string | null;
  readonly resultCode: BulkItemResult;
  readonly resultDetail: string;
  readonly createdAtMs: number;
}
