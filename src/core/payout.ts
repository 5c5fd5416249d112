import { assert } from './assert.js';
import type { Xof } from './money.js';
import { unavailableReason } from './operator-health.js';

/**
 * A payout as the core sees it: the store maps each row to this once (src/store/payout-rows.ts),
 * with its status, kind and dispatch state as closed unions and its amount as `Xof`.
 */
export type PayoutStatus = 'pending' | 'completed' | 'notcompleted';

/** `customer` (withdrawal/create, confirmed by the customer) or `merchant` (straight/payout). */
export type PayoutKind = 'customer' | 'merchant';

/**
 * Where the onward operator transfer stands: `none` (no operator leg: a wallet top-up), `queued`
 * (waiting for the dispatcher), `sent` (asked, or being asked, of the operator), `review` (still
 * pending after the last attempt: a person looks at it), `done` (the operator decided).
 */
export type DispatchState = 'none' | 'queued' | 'sent' | 'review' | 'done';

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

/**
 * The moves of a payout's status: a pending payout completes, fails, or stays pending with a new
 * reason; a final payout never changes, whatever the operator reports again.
 */
export function payoutTransition(from: PayoutStatus, to: PayoutStatus): void {
  assert(from === 'pending', `payout status cannot move from ${from} to ${to}: ${from} is final`);
}

/**
 * The moves of a payout's dispatch state, as the dispatcher, the settlement and the resolver make
 * them. A payout is created `none` (a wallet top-up, completed at once) or `queued` (a hold waiting
 * for the dispatcher). A claim sends it (`queued` or `sent` to `sent`); an operator still pending
 * asks again later (`sent`) or, after the last attempt, leaves it for a person (`review`, which the
 * resolver asks again without leaving it); the operator's decision ends it (`done`), also when it
 * arrives by notification before any claim.
 */
const DISPATCH_MOVES: Readonly<Record<DispatchState, readonly DispatchState[]>> = {
  none: [],
  queued: ['sent', 'review', 'done'],
  sent: ['sent', 'review', 'done'],
  review: ['review', 'done'],
  done: [],
};

export function dispatchMove(from: DispatchState, to: DispatchState): void {
  assert(DISPATCH_MOVES[from].includes(to), `payout dispatch state cannot move from ${from} to ${to}`);
}

/** A reason with what its prose needs; `other` is only ever a backfilled code (migration 0019), never written. */
export type PayoutReason =
  | { readonly code: 'awaiting_operator' }
  | { readonly code: 'operator_pending_review'; readonly attempts: number }
  | {
      readonly code: 'operator_unavailable';
      readonly operatorId: string;
      readonly downSinceMs: number | null;
    }
  | { readonly code: 'operator_failed'; readonly operatorReason: string };

/** The prose people read beside a reason code (a failed payout's confirm `description` shows it). */
export function payoutReasonProse(reason: PayoutReason): string {
  switch (reason.code) {
    case 'awaiting_operator':
      return 'awaiting operator';
    case 'operator_pending_review':
      return `operator still pending after ${reason.attempts} attempts; needs review`;
    case 'operator_unavailable':
      return unavailableReason(reason.operatorId, reason.downSinceMs);
    case 'operator_failed':
      return reason.operatorReason;
  }
}

/** Calls of the operator about one payout before it waits for a person. */
export const DISPATCH_ATTEMPTS_MAX = 20;
/** First wait before asking the operator again about a pending transfer; it doubles each time, up to an hour. */
export const DISPATCH_RETRY_MS = 5_000;
export const DISPATCH_RETRY_MAX_MS = 3_600_000;

export function retryDelayMs(attempts: number): number {
  return Math.min(DISPATCH_RETRY_MS * 2 ** Math.max(0, attempts - 1), DISPATCH_RETRY_MAX_MS);
}

/** What an operator's "still pending" after some attempts changes on a payout or a refund. */
export interface StillPending {
  readonly dispatchState: 'sent' | 'review';
  readonly dispatchAfterMs: number;
  readonly statusReasonCode: 'awaiting_operator' | 'operator_pending_review';
  readonly statusReason: string;
}

/**
 * The operator has not decided after `attempts` calls: it is asked again after the back-off, or,
 * after the last attempt, the payout (or refund) waits for a person with the reason recorded.
 */
export function stillPending(attempts: number, nowMs: number): StillPending {
  const reason: PayoutReason =
    attempts >= DISPATCH_ATTEMPTS_MAX
      ? { code: 'operator_pending_review', attempts }
      : { code: 'awaiting_operator' };
  return {
    dispatchState: reason.code === 'operator_pending_review' ? 'review' : 'sent',
    dispatchAfterMs: nowMs + retryDelayMs(attempts),
    statusReasonCode: reason.code,
    statusReason: payoutReasonProse(reason),
  };
}
