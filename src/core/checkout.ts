import type { Xof } from './money.js';
import { OPERATORS, type Operator } from './operators.js';

/**
 * Rules of the checkout invoice (spec §2.1, §2.2, §2.10, §5; ADR 0007), free of HTTP and SQL:
 * which operators a payment page offers, amount bounds per operator, where the browser goes when
 * the customer is done, and how long Cauri waits before asking an operator about a pending payin.
 */

/** createInvoice's global bounds (spec §4.1, Code02). */
export const INVOICE_MIN_XOF = 9;
export const INVOICE_MAX_XOF = 2_000_000;

/** Operator requests one hosted invoice may make (wrong OTPs, declined attempts are retried on the page). */
export const INVOICE_ATTEMPTS_MAX = 10;
/** A payment page nobody started paying on is closed after the token's 24 h `expiry_date` (spec §8.3). */
export const UNUSED_INVOICE_TTL_MS = 24 * 3_600_000;
/** Status queries after which a still-pending payin is flagged for a person (and still asked, daily). */
export const RESOLVE_QUERIES_REVIEW = 20;
export const RESOLVE_DELAY_MAX_MS = 24 * 3_600_000;

export const URL_LENGTH_MAX = 2048;
export const ITEMS_MAX = 100;

export function invoiceAmountInRange(amountXof: Xof): boolean {
  return amountXof >= INVOICE_MIN_XOF && amountXof <= INVOICE_MAX_XOF;
}

/** An operator's own bounds (spec §5: minimums of 10, 100 or 200 XOF). */
export function operatorAccepts(operator: Operator, amountXof: Xof): boolean {
  return amountXof >= operator.payinMinXof && amountXof <= operator.payinMaxXof;
}

/**
 * What a payment page offers: the project's enabled mobile-money operators, only the customer's
 * operator when the invoice names one (spec §2.10), and only those that accept the amount. The
 * LigdiCash Wallet is paid through debitotp/withotp, not on the page (ADR 0007).
 */
export function offeredOperators(
  enabledIds: readonly string[],
  amountXof: Xof,
  customerOperator: Operator | undefined,
): Operator[] {
  return OPERATORS.filter(
    (op) =>
      enabledIds.includes(op.id) &&
      (customerOperator === undefined || customerOperator.id === op.id) &&
      operatorAccepts(op, amountXof),
  );
}

/** An http(s) URL without credentials, or '' (merchant URLs are shown as links: no `javascript:`). */
export function checkUrl(raw: string): string | undefined {
  if (raw === '') return '';
  if (raw.length > URL_LENGTH_MAX) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.username !== '' || url.password !== '') return undefined;
  return raw;
}

/**
 * The merchant URL with `token=<creation token>` added, so that a return handler knows which
 * invoice to confirm (spec §9 Q7; merchant code reads `$_GET['token']`; ADR 0007).
 */
export function withToken(rawUrl: string, token: string): string {
  const url = new URL(rawUrl);
  url.searchParams.set('token', token);
  return url.toString();
}

/** The payment page of an invoice, as `response_text` carries it (spec §1.1: `…/directpayment/invoice/{token}`). */
export function paymentPageUrl(publicUrl: string, token: string): string {
  return `${publicUrl}/directpayment/invoice/${token}`;
}

/** The wait before the next status query: the deadline, doubling per query, at most a day. */
export function resolveDelayMs(deadlineMs: number, queries: number): number {
  return Math.min(deadlineMs * 2 ** Math.max(0, Math.min(queries, 30) - 1), RESOLVE_DELAY_MAX_MS);
}

/** An invoice line as the page shows it; amounts stay as the merchant sent them, for display only. */
export interface DisplayItem {
  name: string;
  description: string;
  quantity: string;
  unitPrice: string;
  totalPrice: string;
}
