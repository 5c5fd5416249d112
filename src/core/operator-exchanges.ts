/**
 * Every exchange with an operator, kept for the operator console's story of a transaction: what
 * Cauri asked, what came back (or what went wrong), and how long it took. A decorator records
 * them around any connector, so that no connector and no caller has to remember to.
 *
 * Recording must never change a payment: the decorator returns the operator's answer and rethrows
 * its errors unchanged, and a record that cannot be written is dropped. It is written after the
 * call, in a transaction of its own (STYLE.md: no transaction is held across an operator call).
 */
export type ExchangeAction = 'credit' | 'debit' | 'status' | 'notification' | 'refund';

export interface OperatorExchange {
  action: ExchangeAction;
  reference: string;
  operatorId: string;
  /** What was asked, with secrets masked. */
  request: unknown;
  /** The answer, or a description of the error when the call failed. */
  outcome: unknown;
  /** The error's message when the call failed (or rejected). */
  error: string | null;
  startedAtMs: number;
  latencyMs: number;
}

/**
 * Where records go. A plain function receives each finished exchange. A pair also receives the
 * intent, written before the call is made, and then the outcome under the same id, so that a call
 * cut by a crash is on file as an intent with no outcome (issue 9: every call shows in the records).
 */
export interface ExchangeSinks {
  intent(id: string, exchange: OperatorExchange): Promise<void>;
  outcome(id: string, exchange: OperatorExchange): Promise<void>;
}

export type ExchangeSink = ((exchange: OperatorExchange) => Promise<void>) | ExchangeSinks;

/** Bounds of the stored JSON and error texts. */
export const EXCHANGE_JSON_CHARS_MAX = 2_048;
export const EXCHANGE_ERROR_CHARS_MAX = 512;

/** The text, cut to `charsMax` characters with an ellipsis when longer. */
export function bounded(text: string, charsMax: number): string {
  return text.length <= charsMax ? text : `${text.slice(0, charsMax - 1)}…`;
}

/** JSON of a value, cut to the bound; a value JSON cannot write is kept as its string form. */
export function boundedJson(value: unknown, charsMax = EXCHANGE_JSON_CHARS_MAX): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? 'null';
  } catch {
    text = JSON.stringify(String(value));
  }
  return bounded(text, charsMax);
}

/** The payin or payout a reference belongs to: payouts use their id, payins `<payin id>.<attempt>`. */
export function subjectOfReference(reference: string): string | null {
  const subject = reference.split('.', 1)[0] ?? '';
  return subject === '' ? null : subject;
}
