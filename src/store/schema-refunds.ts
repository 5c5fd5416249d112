/**
 * A refund of a completed payin (migration 0012, ADR 0024). `reference` is what Cauri sends the
 * operator, fixed when the row is written and so before the first operator call, as a payout's id
 * is; `operator_reference` is what the operator answered with.
 */
export interface RefundTable {
  id: string;
  project_id: string;
  payin_id: string;
  amount_xof: number;
  /** `pending`, `completed` or `failed`. */
  status: string;
  /** `wallet` (back to the LigdiCash wallet), `operator` (the operator's refund) or `payout` (a payout to the payer). */
  method: string;
  operator_id: string;
  /** The payer's number, where the money goes back. */
  customer: string;
  reason: string;
  /** The merchant's own reference of the refund, unique per project. */
  merchant_reference: string;
  callback_url: string;
  reference: string;
  /** The hold on the project's sub-account while the operator leg is in flight. */
  pending_transfer_id: string | null;
  /** `none` (wallet refunds), `queued`, `sent`, `done`: where the operator leg stands. */
  dispatch_state: string;
  dispatch_attempts: number;
  dispatch_after_ms: number;
  dispatch_owner: string | null;
  operator_reference: string | null;
  status_reason: string | null;
  created_at_ms: number;
  updated_at_ms: number;
}
