import { type Xof, xof } from './money.js';
import type { DispatchState } from './payout.js';
import { type Result, fail, ok } from './result-codes.js';

/**
 * The rules of refunding a payin (ADR 0024), with no database: what may be refunded, how much, and
 * the limits of a request. A payin's refunds that have not failed never return more than it paid;
 * a failed refund gives its amount back to what is left to refund.
 */
export type RefundStatus = 'pending' | 'completed' | 'failed';
export type RefundMethod = 'wallet' | 'operator' | 'payout';

/**
 * A refund as the core sees it: the store maps each row to this once (src/store/refund-rows.ts),
 * with its status, method and dispatch state as closed unions and its amount as `Xof`. `reference`
 * is what Cauri sends the operator, fixed before the first operator call as a payout's id is;
 * `operatorReference` is what the operator answered with. Its operator leg moves through the
 * payout's dispatch states: `none` for a wallet refund, final at once.
 */
export interface Refund {
  readonly id: string;
  readonly projectId: string;
  readonly payinId: string;
  readonly amountXof: Xof;
  readonly status: RefundStatus;
  readonly method: RefundMethod;
  readonly operatorId: string;
  /** The payer's number, where the money goes back. */
  readonly customer: string;
  readonly reason: string;
  /** The merchant's own reference of the refund, unique per project. */
  readonly merchantReference: string;
  readonly callbackUrl: string;
  readonly reference: string;
  /** The hold on the project's sub-account while the operator leg is in flight. */
  readonly pendingTransferId: string | null;
  readonly dispatchState: DispatchState;
  readonly dispatchAttempts: number;
  readonly dispatchAfterMs: number;
  readonly dispatchOwner: string | null;
  readonly operatorReference: string | null;
  readonly statusReason: string | null;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
}

export const REFUND_REASON_CHARS_MAX = 255;
export const REFUND_REFERENCE_CHARS_MAX = 64;
/** A merchant reference: letters, digits and `._:-`, so that it reads safely in logs, URLs and the console. */
export const REFUND_REFERENCE_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;
/** Refunds one payin may have in all, failed ones included: a bound on the rows one payin can grow. */
export const REFUNDS_PER_PAYIN_MAX = 100;
/** Refunds one listing returns, at most. */
export const REFUNDS_LIST_MAX = 100;

export interface RefundablePayin {
  status: string;
  amountXof: Xof;
  /** The sum of its refunds that have not failed. */
  refundedXof: Xof;
}

/** What is left to refund of a payin. */
export function refundableXof(payin: RefundablePayin): Xof {
  return xof(payin.amountXof - payin.refundedXof);
}

/**
 * The amount of a new refund: the one asked, or what is left when none is asked. Refused for a
 * payin that is not completed, one already refunded in full, and an amount above what is left.
 */
export function refundAmountXof(payin: RefundablePayin, askedXof: Xof | undefined): Result<Xof> {
  if (payin.status !== 'completed')
    return fail(
      'payin_not_completed',
      `The payin is ${payin.status}; only a completed payin can be refunded`,
    );
  const leftXof = refundableXof(payin);
  if (leftXof <= 0) return fail('payin_fully_refunded', 'The payin is already refunded in full');
  if (askedXof === undefined) return ok(leftXof);
  if (askedXof <= 0) return fail('invalid_input', 'amount must be a positive integer');
  if (askedXof > leftXof)
    return fail('refund_exceeds_payin', `At most ${leftXof} XOF is left to refund of this payin`);
  return ok(askedXof);
}

/** Whether a refund of `amountXof` returns less than the whole payin (some operators refund whole payins only). */
export function isPartialRefund(payin: Pick<RefundablePayin, 'amountXof'>, amountXof: Xof): boolean {
  return amountXof < payin.amountXof;
}
