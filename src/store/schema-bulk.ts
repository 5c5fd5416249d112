/**
 * Tables of bulk payouts (migration 0013, ADR 0025).
 */

/** One row per `POST /cauri/v1/payouts/bulk` that passed its checks as a whole. */
export interface PayoutBatchTable {
  id: string;
  project_id: string;
  /** The request's `Idempotency-Key`, or null; the key itself lives in `idempotency`. */
  idempotency_key: string | null;
  /** SHA-256 of the request (`requestHash`), so a resumed batch is the same batch. */
  request_hash: string;
  item_count: number;
  /** The batch's default callback URL for items that name none; '' for the project's. */
  callback_url: string;
  /** `processing` until every item has its row, then `processed`. */
  status: string;
  created_at_ms: number;
  processed_at_ms: number | null;
}

/** One row per processed item, committed in the transaction of the item's payout. */
export interface PayoutBatchItemTable {
  batch_id: string;
  item_index: number;
  /** `customer`, `merchant`, or '' for an item too malformed to have a kind. */
  kind: string;
  /** The parsed amount; null when the item's amount could not be read. */
  amount_xof: number | null;
  /** The item's phone number as sent (normalised when its payout exists). */
  customer: string;
  /** The payout the item created; null for a refused item. */
  payout_id: string | null;
  /** `ok` or a code of the closed list (src/core/result-codes.ts). */
  result_code: string;
  result_detail: string;
  created_at_ms: number;
}
