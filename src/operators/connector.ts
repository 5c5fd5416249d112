import type { Xof } from '../core/money.js';

/**
 * What Cauri asks of a mobile-money operator. Calls are made outside any database transaction
 * (STYLE.md): the intent is committed first (a hold), the call is made, and its outcome is
 * recorded by a new command. Every call carries Cauri's own reference, so repeating it after a
 * crash or timeout is safe: an operator (and the simulator) treats a known reference as the same
 * request.
 */
export type OperatorOutcome =
  | { state: 'completed'; operatorReference: string }
  | { state: 'failed'; reason: string; operatorReference?: string }
  | { state: 'pending' };

export interface CreditRequest {
  reference: string;
  operatorId: string;
  phone: string;
  amountXof: Xof;
}

export interface OperatorConnector {
  /** Sends money from the operator float to a customer's mobile-money account. */
  requestCredit(request: CreditRequest): Promise<OperatorOutcome>;
  /** Where a request made earlier stands; `pending` for a reference the operator does not know. */
  queryStatus(reference: string, operatorId: string): Promise<OperatorOutcome>;
}
