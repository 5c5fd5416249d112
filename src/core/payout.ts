import type { Xof } from './money.js';

/**
 * A payout as the core sees it: the store maps each row to this once (src/store/payout-rows.ts),
 * with its status, kind and dispatch state as closed unions and its amount as `Xof`.
 */
export type PayoutStatus = 'pending' | 'completed' | 'notcompleted';

/** `customer` (withdrawal/create, confirmed by the customer) or `merchant` (straight/payout). */
export type PayoutKind = 'customer' | 'merchant';

/** Where the onward operator transfer stands. */
export type DispatchState = 'none' | 'queued' | 'sent' | 'done';

/**
 * Why a payout is where it is, as a code from one closed list: code decides on it, people read the
 * prose beside it (`statusReason`, which a failed payout's confirm answer shows as `description`).
 */
export type PayoutReasonCode =
  'awaiting_operator' | 'operator_pending_review' | 'operator_unavailable' | 'operator_failed' | 'other';

export const PAYOUT_REASON_CODES: readonly PayoutReasonCode[] = [
  'awaiting_operator',
  'operator_pending_review',
  'operator_unavailable',
  'operator_failed',
  'other',
];

export interface Payout {
  readonly id: string;
  readonly number: string;
  readonly token: string;
  readonly projectId: string;
  readonly requestId: string;
  readonly kind: PayoutKind;
  readonly topUpWallet: boolean;
  readonly status: PayoutStatus;
  readonly amountXof: Xof;
  readonly customer: string;
  readonly operatorId: string;
  readonly description: string;
  /** The merchant's `custom_data`, as the JSON text it was stored as. */
  readonly customData: string;
  readonly externalId: string;
  readonly merchantTransactionId: string | null;
  readonly callbackUrl: string;
  readonly logfile: string;
  readonly hash: string;
  /** The hold on the merchant's sub-account while the operator transfer is in flight. */
  readonly pendingTransferId: string | null;
  readonly dispatchState: DispatchState;
  readonly dispatchAttempts: number;
  readonly dispatchAfterMs: number;
  /** The instance holding the payout's lease while its operator call is in flight (ADR 0018). */
  readonly dispatchOwner: string | null;
  readonly operatorReference: string | null;
  readonly statusReason: string | null;
  readonly statusReasonCode: PayoutReasonCode | null;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
}
