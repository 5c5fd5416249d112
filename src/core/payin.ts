import { assert } from './assert.js';
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

/**
 * The one way a payin's status may move: a pending payin becomes `completed` or `notcompleted`, or
 * stays `pending` with a new reason; a final payin never changes, so that a second settler (an
 * operator notifying twice, the resolver racing a notification) can never rewrite the outcome the
 * merchant was called back with. Any other move is a bug in the caller.
 */
export function payinTransition(from: PayinStatus, to: PayinStatus): void {
  assert(from === 'pending', `payin status ${from} is final and cannot become ${to}`);
}

/** A reason with the details its prose needs; the code decides, the prose is for people. */
export type PayinReason =
  | { code: 'awaiting_operator'; operatorName: string }
  | { code: 'operator_call_failed'; error: string }
  | { code: 'attempt_refused'; attempt: number; operatorReason: string }
  | { code: 'operator_pending'; query: number; atMs: number }
  | { code: 'operator_pending_review'; queries: number }
  | { code: 'customer_left'; operatorName: string }
  | { code: 'customer_cancelled' }
  | { code: 'page_expired' }
  | { code: 'operator_failed'; operatorReason: string };

/** How much of an operator call's error the reason keeps. */
export const CALL_ERROR_CHARS_MAX = 200;

/**
 * The prose written beside a reason code, word for word as Cauri has always written it: the console
 * shows it, and migration 0019 recognised old rows' codes by it.
 */
export function payinReasonProse(reason: PayinReason): string {
  switch (reason.code) {
    case 'awaiting_operator':
      return `awaiting ${reason.operatorName}`;
    case 'operator_call_failed':
      return `operator call failed (${reason.error.slice(0, CALL_ERROR_CHARS_MAX)}); its status will be queried`;
    case 'attempt_refused':
      return `attempt ${reason.attempt} refused by the operator: ${reason.operatorReason}`;
    case 'operator_pending':
      return `operator still pending at status query ${reason.query} (${new Date(reason.atMs).toISOString()})`;
    case 'operator_pending_review':
      return `operator still pending after ${reason.queries} status queries; needs review`;
    case 'customer_left':
      return `the customer left the payment page while ${reason.operatorName} was asked`;
    case 'customer_cancelled':
      return 'cancelled by the customer';
    case 'page_expired':
      return 'payment page expired unused after 24 hours';
    case 'operator_failed':
      return reason.operatorReason;
  }
}
