/**
 * Refunds of payins, a Cauri extension (`POST /cauri/v1/refunds`, `GET /cauri/v1/refunds/{id}`,
 * `GET /cauri/v1/refunds?payin=`): whole or partial, never more than the payin paid. A wallet
 * payin's refund completes at once; an operator payin's is `pending` until the operator answers,
 * and its outcome comes by a `refund` callback.
 */
export interface RefundInput {
  /** The payin's token (as its creation returned it) or its `pay_…` id. */
  payin: string;
  /** Whole XOF; leave it out to refund what is left. */
  amount?: number;
  reason: string;
  /** Your own reference of the refund, unique per project: letters, digits and `._:-`, up to 64. */
  merchantRefundReference: string;
  /** Where the refund's callback goes; defaults to the payin's, then the project's. */
  callbackUrl?: string;
}

export type RefundStatus = 'pending' | 'completed' | 'failed';
export type RefundMethod = 'wallet' | 'operator' | 'payout';

export interface Refund {
  refundId: string;
  status: RefundStatus;
  amount: number;
  method: RefundMethod;
  payinId: string;
  payinToken: string;
  merchantRefundReference: string;
  reason: string;
  customer: string;
  operatorId: string;
  operatorReference: string;
  statusReason: string;
  createdAt: string;
  updatedAt: string;
}

export interface PayinRefunds {
  payinId: string;
  payinToken: string;
  payinStatus: string;
  payinAmount: number;
  refundedAmount: number;
  refundableAmount: number;
  refunds: Refund[];
}

type Json = Record<string, unknown>;
const str = (value: unknown): string =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
const num = (value: unknown): number => (typeof value === 'number' ? value : 0);
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function refundBody(input: RefundInput): Json {
  return {
    payin: input.payin,
    ...(input.amount !== undefined ? { amount: input.amount } : {}),
    reason: input.reason,
    merchant_refund_reference: input.merchantRefundReference,
    ...(input.callbackUrl !== undefined ? { callback_url: input.callbackUrl } : {}),
  };
}

export function refundOf(raw: unknown): Refund {
  const r = isObject(raw) ? raw : {};
  const status = r.status === 'completed' || r.status === 'failed' ? r.status : 'pending';
  const method = r.method === 'wallet' || r.method === 'payout' ? r.method : 'operator';
  return {
    refundId: str(r.refund_id),
    status,
    amount: num(r.amount),
    method,
    payinId: str(r.payin_id),
    payinToken: str(r.payin_token),
    merchantRefundReference: str(r.merchant_refund_reference),
    reason: str(r.reason),
    customer: str(r.customer),
    operatorId: str(r.operator_id),
    operatorReference: str(r.operator_reference),
    statusReason: str(r.status_reason),
    createdAt: str(r.created_at),
    updatedAt: str(r.updated_at),
  };
}

export function payinRefundsOf(body: Json): PayinRefunds {
  return {
    payinId: str(body.payin_id),
    payinToken: str(body.payin_token),
    payinStatus: str(body.payin_status),
    payinAmount: num(body.payin_amount),
    refundedAmount: num(body.refunded_amount),
    refundableAmount: num(body.refundable_amount),
    refunds: Array.isArray(body.refunds) ? body.refunds.map(refundOf) : [],
  };
}

/** A refund's callback (`"event": "refund"`), its signature checked first with `verifySignature`. */
export interface RefundCallback {
  refundId: string;
  status: RefundStatus;
  amount: number;
  payinToken: string;
  merchantRefundReference: string;
  reason: string;
  customer: string;
  method: string;
  operatorId: string;
  operatorReference: string;
  statusReason: string;
  date: string;
}

/**
 * Parses a refund callback, JSON or form-encoded. Anything else (a payin or payout callback) is an
 * error, so that a refund is never read as a payment, nor a payment as a refund.
 */
export function parseRefundCallback(
  rawBody: string | Uint8Array,
  contentType?: string | null,
): { ok: true; value: RefundCallback } | { ok: false; error: string } {
  const text = typeof rawBody === 'string' ? rawBody : new TextDecoder().decode(rawBody);
  const form =
    (contentType ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded') ||
    !text.trimStart().startsWith('{');
  let raw: unknown;
  try {
    raw = form ? Object.fromEntries(new URLSearchParams(text)) : JSON.parse(text);
  } catch {
    return { ok: false, error: 'the body is not JSON' };
  }
  if (!isObject(raw) || raw.event !== 'refund') return { ok: false, error: 'not a refund callback' };
  const status = raw.status === 'completed' || raw.status === 'failed' ? raw.status : 'pending';
  const amount =
    typeof raw.amount === 'string' && /^\d+$/.test(raw.amount) ? Number(raw.amount) : num(raw.amount);
  return {
    ok: true,
    value: {
      refundId: str(raw.refund_id),
      status,
      amount,
      payinToken: str(raw.payin_token),
      merchantRefundReference: str(raw.merchant_refund_reference),
      reason: str(raw.reason),
      customer: str(raw.customer),
      method: str(raw.method),
      operatorId: str(raw.operator_id),
      operatorReference: str(raw.operator_reference),
      statusReason: str(raw.status_reason),
      date: str(raw.date),
    },
  };
}
