import type { Xof } from './money.js';

/**
 * A payin as the core sees it: the store maps each row to this once (src/store/payin-rows.ts),
 * with its status and kind as closed unions and its amounts as `Xof`.
 */
export type PayinStatus = 'pending' | 'completed' | 'notcompleted';

/** How the customer pays: from a Cauri wallet with an OTP, on the hosted page, or directly (USSD/OTP). */
export type PayinKind = 'wallet' | 'hosted' | 'direct';

/**
 * Why a payin is where it is, as a code from one closed list: code decides on it, people read the
 * prose beside it (`statusReason`). Migration 0019 gave existing rows theirs.
 */
export type PayinReasonCode =
  | 'awaiting_operator'
  | 'operator_call_failed'
  | 'attempt_refused'
  | 'operator_pending'
  | 'operator_pending_review'
  | 'customer_left'
  | 'customer_cancelled'
  | 'page_expired'
  | 'operator_failed'
  | 'other';

export const PAYIN_REASON_CODES: readonly PayinReasonCode[] = [
  'awaiting_operator',
  'operator_call_failed',
  'attempt_refused',
  'operator_pending',
  'operator_pending_review',
  'customer_left',
  'customer_cancelled',
  'page_expired',
  'operator_failed',
  'other',
];

export interface Payin {
  readonly id: string;
  /** The digits inside the token's `id_invoice`. */
  readonly number: string;
  readonly token: string;
  readonly projectId: string;
  readonly requestId: string;
  readonly kind: PayinKind;
  readonly status: PayinStatus;
  readonly amountXof: Xof;
  readonly customer: string | null;
  readonly operatorId: string | null;
  readonly description: string;
  /** The merchant's `custom_data`, as the JSON text it was stored as. */
  readonly customData: string;
  readonly externalId: string;
  readonly merchantTransactionId: string | null;
  readonly callbackUrl: string;
  readonly logfile: string;
  readonly hash: string;
  readonly statusReason: string | null;
  readonly statusReasonCode: PayinReasonCode | null;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
  /** The sum of the payin's refunds that have not failed; never above `amountXof`. */
  readonly refundedXof: Xof;
}
