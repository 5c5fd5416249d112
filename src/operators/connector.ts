import { withTimeout } from '../util/with-timeout.js';
import type { Xof } from '../core/money.js';
import type { OperatorFailureCode } from '../core/operator-failures.js';

/**
 * What Cauri asks of a mobile-money operator. Calls are made outside any database transaction
 * (STYLE.md): the intent is committed first (a hold), the call is made, and its outcome is
 * recorded by a new command. Every call carries Cauri's own reference, so repeating it after a
 * crash or timeout is safe: an operator (and the simulator) treats a known reference as the same
 * request.
 */
export type OperatorOutcome =
  | { state: 'completed'; operatorReference: string }
  /** `code` is set by the production connectors (core/operator-failures.ts); `reason` is for people. */
  | { state: 'failed'; reason: string; code?: OperatorFailureCode; operatorReference?: string }
  | { state: 'pending' };

export interface CreditRequest {
  reference: string;
  operatorId: string;
  phone: string;
  amountXof: Xof;
}

/**
 * A payin: the operator debits the customer's mobile-money account, approved per the operator's
 * validation mode (spec §5): the USSD OTP the customer obtained, a push or guided USSD prompt, an
 * app or an operator portal.
 */
export interface DebitRequest {
  reference: string;
  operatorId: string;
  phone: string;
  amountXof: Xof;
  /** The customer's USSD payment code (USSD OTP mode), '' for the other modes. */
  otp: string;
  /** What the customer's phone shows: who asks, and for what. */
  merchantName: string;
  description: string;
  /** Where an operator portal sends the browser back when the customer is done (operator redirect). */
  returnUrl: string;
}

/**
 * A refund of a completed payin (ADR 0024): `reference` is the refund's own, fixed before the first
 * call, and every call about the refund carries it, so that a repeated call is the same refund;
 * `payinReference` is the reference the payin's successful attempt carried at the operator.
 */
export interface RefundRequest {
  reference: string;
  operatorId: string;
  /** The payer's number, who gets the money back. */
  phone: string;
  amountXof: Xof;
  payinReference: string;
  payinAmountXof: Xof;
}

/** Why an operator refuses a debit request outright, before any money is at stake. */
export type DebitRefusal = 'otp_invalid' | 'otp_expired';

/**
 * What a connector must remember about an accepted payin to ask about it later, where the operator
 * gives no lookup by Cauri's reference (Orange WebPay's pay token). The gateway stores it with the
 * attempt and hands it back to `queryStatus`, so any instance, after any restart, can ask. At most
 * `OPERATOR_STATE_CHARS_MAX` characters; nothing the operator would treat as a long-lived secret.
 */
export const OPERATOR_STATE_CHARS_MAX = 2_048;

export type DebitOutcome =
  | OperatorOutcome
  /** Accepted; the customer finishes on the operator's portal at `redirectUrl`. */
  | { state: 'pending'; redirectUrl: string; operatorState?: string }
  /** Accepted, with what the connector needs to ask about it later (see OPERATOR_STATE_CHARS_MAX). */
  | { state: 'pending'; operatorState: string }
  /** Refused at once (a wrong or expired USSD OTP): the request does not exist at the operator. */
  | { state: 'refused'; code: DebitRefusal; reason: string };

/** An operator's notification about a request, once authenticated and parsed. */
export interface OperatorNotification {
  reference: string;
  outcome: OperatorOutcome;
  /**
   * The notification cannot be authenticated (MTN MoMo's callbacks carry no signature): it is only
   * a hint that the request moved. The gateway then asks the operator with `queryStatus` and
   * settles on that answer, never on the notification's body.
   */
  verify?: boolean;
}

/** What a connector can be asked to do for an operator: send money out (payout) or take it in (payin). */
export type OperatorAction = 'credit' | 'debit';

export interface RawNotification {
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: unknown;
  /** The body as the operator sent it, for signatures over the raw bytes (Wave); absent in process. */
  rawBody?: string;
}

export interface OperatorConnector {
  /**
   * Whether this connector can do `action` for `operatorId`. Absent means every operator and both
   * actions (the sandbox's simulator). In production an operator it does not serve is unavailable:
   * requests to it are refused before any money is held (ADR 0009).
   */
  serves?(operatorId: string, action: OperatorAction): boolean;
  /** Sends money from the operator float to a customer's mobile-money account. */
  requestCredit(request: CreditRequest): Promise<OperatorOutcome>;
  /**
   * Where a request made earlier stands; `pending` for a reference the operator does not know.
   * `operatorState` is what the connector returned with the payin's pending answer, when it did.
   */
  queryStatus(reference: string, operatorId: string, operatorState?: string): Promise<OperatorOutcome>;
  /**
   * Asks the operator to debit a customer (a payin). Optional so that credit-only connectors keep
   * compiling; without it, payins through operators fail with an operator error.
   */
  requestDebit?(request: DebitRequest): Promise<DebitOutcome>;
  /**
   * Authenticates and parses a notification the operator sent to `/operators/:operatorId/notify`;
   * undefined for anything not genuine. Pure: no database, no network.
   */
  parseNotification?(operatorId: string, raw: RawNotification): OperatorNotification | undefined;
  /**
   * Whether `refund` can return `partial` (less than the payin) or whole payins of `operatorId`.
   * Absent with `refund` present: every refund. Decided before any money is held (ADR 0024).
   */
  refunds?(operatorId: string, partial: boolean): boolean;
  /**
   * Returns money of a completed payin to its payer through the operator's own refund. Optional:
   * without it (or where `refunds` says no) a refund goes as a payout to the payer (ADR 0024).
   */
  refund?(request: RefundRequest): Promise<OperatorOutcome>;
  /** Where a refund asked earlier stands; `pending` for one the operator does not know. Asked before any re-send. */
  queryRefund?(request: RefundRequest): Promise<OperatorOutcome>;
  /** Releases what the connector holds open; called once when the gateway shuts down (the router closes each of its connectors). */
  close?(): Promise<void>;
}

/** An operator call bounded by the configured timeout; a timeout counts as "still pending". */
export function withOperatorTimeout<T>(call: Promise<T>, timeoutMs: number): Promise<T> {
  return withTimeout(call, timeoutMs, () => new Error(`operator call timed out after ${timeoutMs} ms`));
}

/** Whether the gateway's connector can do `action` for `operatorId` (see `OperatorConnector.serves`). */
export function connectorServes(
  connector: OperatorConnector,
  operatorId: string,
  action: OperatorAction,
): boolean {
  return connector.serves?.(operatorId, action) ?? true;
}

/**
 * How a refund of a payin through `operatorId` reaches the payer (ADR 0024): the operator's own
 * refund where the connector has one for it, else a payout to the payer's number, else none.
 */
export function refundMethod(
  connector: OperatorConnector,
  operatorId: string,
  partial: boolean,
): 'operator' | 'payout' | undefined {
  if (connector.refund !== undefined && (connector.refunds?.(operatorId, partial) ?? true)) return 'operator';
  return connectorServes(connector, operatorId, 'credit') ? 'payout' : undefined;
}
