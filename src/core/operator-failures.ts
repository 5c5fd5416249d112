/**
 * Why an operator says no, as one closed list (STYLE.md, "Errors"). Every connector maps its
 * operator's own statuses and reasons (MTN MoMo's NOT_ENOUGH_FUNDS, Orange's XML status codes,
 * Wave's error codes …) onto these, so that payins and payouts record the same reasons whatever
 * the operator; the operator's own words follow after a colon in `reason`.
 */
export const OPERATOR_FAILURE_CODES = [
  /** The customer refused, or did not approve in time. */
  'declined',
  /** The payer's account cannot cover the amount. */
  'insufficient_funds',
  /** The customer number has no mobile-money account (payer of a payin). */
  'payer_not_found',
  /** The recipient number has no mobile-money account (payee of a payout). */
  'payee_not_found',
  /** A per-transaction, daily or balance limit of the customer's account. */
  'limit_reached',
  /** The customer's or the merchant's account is blocked or inactive. */
  'account_inactive',
  /** The operator does not allow this transaction for this merchant or customer. */
  'not_allowed',
  /** The request expired at the operator before it was approved. */
  'expired',
  /** The operator refused the request as malformed (a Cauri or configuration defect). */
  'invalid_request',
  /** The operator failed the request for a reason of its own. */
  'operator_error',
  /** No connector serves the operator on this gateway (production, ADR 0009). */
  'operator_unavailable',
] as const;

export type OperatorFailureCode = (typeof OPERATOR_FAILURE_CODES)[number];

export const OPERATOR_FAILURE_DETAIL_CHARS_MAX = 200;

/** A failed outcome: `reason` reads `code` or `code: detail`. */
export function operatorFailure(
  code: OperatorFailureCode,
  detail?: string,
  operatorReference?: string,
): { state: 'failed'; code: OperatorFailureCode; reason: string; operatorReference?: string } {
  const cut =
    detail === undefined || detail === '' ? undefined : detail.slice(0, OPERATOR_FAILURE_DETAIL_CHARS_MAX);
  const reason = cut === undefined ? code : `${code}: ${cut}`;
  return operatorReference === undefined
    ? { state: 'failed', code, reason }
    : { state: 'failed', code, reason, operatorReference };
}
