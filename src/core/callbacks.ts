import { type CustomData, type CustomDataRow, customDataRows } from './custom-data.js';
import { operatorById } from './operators.js';
import type { Payin } from './payin.js';
import type { Payout } from './payout.js';
import { wikiUrl } from './result-codes.js';
import { signToken, wireDate } from './tokens.js';

/**
 * Callbacks as LigdiCash sends them (spec §3) and the rules Cauri adds on top (ADR 0006): what
 * each payload holds, how it is encoded, when a failed delivery is tried again. Pure functions;
 * the worker (src/workers/callback-worker.ts) and the HTTP sender are the adapters.
 */

/** `ligdicash`: every event is POSTed twice, JSON then form-urlencoded (spec §3.1). `json`: once. */
export type CallbackMode = 'ligdicash' | 'json';
export const CALLBACK_MODES: readonly CallbackMode[] = ['ligdicash', 'json'];
export const DEFAULT_CALLBACK_MODE: CallbackMode = 'ligdicash';

export type CallbackEncoding = 'json' | 'form';

export function encodingsFor(mode: CallbackMode): readonly CallbackEncoding[] {
  return mode === 'json' ? ['json'] : ['json', 'form'];
}

export const CONTENT_TYPES: Readonly<Record<CallbackEncoding, string>> = {
  json: 'application/json',
  form: 'application/x-www-form-urlencoded',
};

// ---------------------------------------------------------------- limits

/** Default time one POST may take, connection and DNS included (configurable, ADR 0006). */
export const CALLBACK_TIMEOUT_MS_DEFAULT = 10_000;
/** Bytes of a merchant's answer Cauri reads before it hangs up. */
export const CALLBACK_RESPONSE_BYTES_MAX = 4096;
/** Bytes of that answer kept with the attempt, for the operator to read. */
export const CALLBACK_EXCERPT_BYTES_MAX = 512;
/** Characters of an error message kept with the attempt. */
export const CALLBACK_ERROR_LENGTH_MAX = 300;
/** Default deliveries one process has in flight at once, every receiver together (`CAURI_CALLBACK_INFLIGHT_MAX`). */
export const CALLBACK_INFLIGHT_MAX_DEFAULT = 512;
/** Default deliveries to one receiver in flight at once, across every process (`CAURI_CALLBACK_CONCURRENCY_PER_RECEIVER`). */
export const CALLBACK_RECEIVER_CONCURRENCY_DEFAULT = 256;
/** Finished deliveries recorded in one transaction, at most (ADR 0017). */
export const CALLBACK_RECORD_BATCH_MAX = 256;

/**
 * How long a claimed event stays reserved to the worker that claimed it, unless renewed (ADR
 * 0017). The worker renews the leases of its deliveries in flight every `CALLBACK_LEASE_RENEW_MS`,
 * so a live delivery keeps its event however long its POSTs take, while a dead process's events
 * are due again within this time. Three renewals fit in one lease, so one slow renewal is not a
 * takeover.
 */
export const CALLBACK_LEASE_MS = 5_000;
export const CALLBACK_LEASE_RENEW_MS = 1_500;

/**
 * The receiver of a callback URL: its origin, `scheme://host:port` in lower case with the default
 * port written out, so that `https://Shop.example/a` and `https://shop.example:443/b` are one
 * receiver. Deliveries in flight are limited per receiver (ADR 0017). A URL that does not parse is
 * its own receiver (its delivery fails at once anyway).
 */
export function callbackReceiver(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url.slice(0, 200).toLowerCase();
  }
  const port =
    parsed.port !== ''
      ? parsed.port
      : parsed.protocol === 'https:'
        ? '443'
        : parsed.protocol === 'http:'
          ? '80'
          : '';
  return `${parsed.protocol}//${parsed.hostname.toLowerCase()}${port === '' ? '' : `:${port}`}`;
}

// ---------------------------------------------------------------- retry schedule

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/**
 * The published schedule (ADR 0006, README): the delay before each attempt of a delivery cycle,
 * counted from the end of the previous one. The first attempt is immediate; then 30 s, 2 min,
 * 10 min, 30 min, 1 h, 3 h, 6 h, then every 12 h. Each delay varies by ±20% so that many failed
 * events do not come back at once. Even with every delay 20% short the last attempt comes more than
 * three days after the first (75.8 h); after it fails, the event is marked failed.
 */
export const CALLBACK_RETRY_SCHEDULE: readonly number[] = [
  0,
  30 * SECOND,
  2 * MINUTE,
  10 * MINUTE,
  30 * MINUTE,
  1 * HOUR,
  3 * HOUR,
  6 * HOUR,
  ...new Array<number>(7).fill(12 * HOUR),
];
export const CALLBACK_ATTEMPTS_MAX = CALLBACK_RETRY_SCHEDULE.length;
export const CALLBACK_JITTER_RATIO = 0.2;
/** The promise to merchants: failures are retried at least this long. */
export const CALLBACK_RETRY_WINDOW_MIN_MS = 3 * 24 * HOUR;

/**
 * The wait before the next attempt, after `attemptsDone` attempts of the current cycle failed, or
 * undefined when the schedule is exhausted. `random` returns a number in [0, 1).
 */
export function callbackRetryDelayMs(attemptsDone: number, random: () => number): number | undefined {
  const base = CALLBACK_RETRY_SCHEDULE[attemptsDone];
  if (base === undefined || attemptsDone < 1) return undefined;
  const factor = 1 + (random() * 2 - 1) * CALLBACK_JITTER_RATIO;
  return Math.round(base * factor);
}

// ---------------------------------------------------------------- payloads

/** The wire status: a failed transaction is `notcompleted` (spec §3.2, §8.6). */
export function wireStatus(status: string): 'completed' | 'pending' | 'notcompleted' {
  return status === 'completed' || status === 'pending' ? status : 'notcompleted';
}

/**
 * What of a payin its callback needs (a `Payin` fits). The status is any text: whatever is not
 * completed or pending goes out as `notcompleted`.
 */
export type PayinFacts = Pick<
  Payin,
  | 'amountXof'
  | 'customer'
  | 'requestId'
  | 'customData'
  | 'externalId'
  | 'operatorId'
  | 'hash'
  | 'logfile'
  | 'createdAtMs'
  | 'updatedAtMs'
> & { status: string };

/** The payin callback, §3.2, keys in the documented order, then two that merchant code reads. */
export interface PayinCallback {
  date: string;
  wiki: string;
  token: '';
  amount: number;
  status: string;
  montant: number;
  customer: string;
  oreference: string;
  request_id: string;
  custom_data: CustomDataRow[];
  description: string;
  external_id: string;
  operator_id: string;
  operator_name: string;
  response_code: '00';
  response_text: string;
  customer_details: { email: string; phone: string; details: string; lastname: string; firstname: string };
  transaction_id: string;
  hash: string;
}

function parseCustomData(json: string): CustomData {
  return JSON.parse(json) as CustomData;
}

/**
 * Amounts are integers; `token` is empty (payin callbacks never carry a token, spec §3.2 and §9 Q5);
 * `customer_details` is documented but Cauri keeps no payer names, so only the phone is filled;
 * `transaction_id` is the same value confirm returns, and `hash` repeats the custom-data row.
 */
export function payinCallbackPayload(payin: PayinFacts): PayinCallback {
  const customData = parseCustomData(payin.customData);
  const operator = payin.operatorId !== null ? operatorById(payin.operatorId) : undefined;
  const amount = Number(payin.amountXof);
  const customer = payin.customer ?? '';
  return {
    date: wireDate(Number(payin.updatedAtMs)),
    wiki: wikiUrl('confirmInvoice'),
    token: '',
    amount,
    status: wireStatus(payin.status),
    montant: amount,
    customer,
    oreference: '',
    request_id: payin.requestId,
    custom_data: customDataRows(
      customData,
      { hash: payin.hash, logfile: payin.logfile },
      Number(payin.createdAtMs),
    ),
    description: '',
    external_id: payin.externalId,
    operator_id: operator?.id ?? '',
    operator_name: operator?.name ?? '',
    response_code: '00',
    response_text: '',
    customer_details: { email: '', phone: customer, details: '', lastname: '', firstname: '' },
    transaction_id: customData.transaction_id ?? payin.externalId,
    hash: payin.hash,
  };
}

/** What of a payout its callback needs (a `Payout` fits). */
export type PayoutFacts = Pick<
  Payout,
  | 'number'
  | 'kind'
  | 'status'
  | 'amountXof'
  | 'operatorId'
  | 'customData'
  | 'externalId'
  | 'hash'
  | 'logfile'
  | 'createdAtMs'
  | 'updatedAtMs'
>;

/** The payout callback, §3.3, exactly the documented keys in the documented order. */
export interface PayoutCallback {
  response_code: '00';
  token: string;
  response_text: string;
  status: string;
  custom_data: CustomDataRow[];
  operator_id: number;
  operator_name: string;
  url: string;
  url_method: string;
  transaction_id: string;
  external_id: string;
  montant: string;
  amount: string;
}

/**
 * The time the callback token of a payout is signed at: its final status change, and at least one
 * second after creation, so that its `start_date` and `expiry_date` (whole seconds) differ from the
 * creation token's even for a payout completed at creation (spec §3.3: the callback token is a
 * different JWT). Being a function of the row, it is the same on every attempt.
 */
export function payoutCallbackTokenTimeMs(payout: Pick<PayoutFacts, 'createdAtMs' | 'updatedAtMs'>): number {
  return Math.max(Number(payout.updatedAtMs), Number(payout.createdAtMs) + SECOND);
}

/**
 * Amounts are strings and `operator_id` a number (spec §3.3); a customer payout (to the LigdiCash
 * wallet) names its operator `LigdiCash <OPERATOR>`; `transaction_id` equals `external_id`, the
 * merchant's identifier; `custom_data` carries the merchant's rows plus `hash` and `logfile`, as
 * for payins. The token is signed like the creation token, so confirm accepts it too.
 */
export function payoutCallbackPayload(payout: PayoutFacts, url: string, tokenSecret: string): PayoutCallback {
  const operator = operatorById(payout.operatorId);
  const operatorName = operator?.name ?? '';
  const amount = String(payout.amountXof);
  return {
    response_code: '00',
    token: signToken('payout', payout.number, payoutCallbackTokenTimeMs(payout), tokenSecret),
    response_text: '',
    status: wireStatus(payout.status),
    custom_data: customDataRows(
      parseCustomData(payout.customData),
      { hash: payout.hash, logfile: payout.logfile },
      Number(payout.createdAtMs),
    ),
    operator_id: Number(operator?.id ?? payout.operatorId),
    operator_name:
      payout.kind === 'customer' && operatorName !== '' ? `LigdiCash ${operatorName}` : operatorName,
    url,
    url_method: '',
    transaction_id: payout.externalId,
    external_id: payout.externalId,
    montant: amount,
    amount,
  };
}

/**
 * The form-urlencoded variant: the same top-level fields; nested values (`custom_data`,
 * `customer_details`) as JSON strings, as LigdiCash's own examples show (spec §3.1, ADR 0006).
 */
export function formEncode(payload: object): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(payload)) {
    if (value === null || value === undefined) params.append(key, '');
    else if (typeof value === 'object') params.append(key, JSON.stringify(value));
    else params.append(key, String(value as string | number | boolean));
  }
  return params.toString();
}

export function encodeCallback(payload: object, encoding: CallbackEncoding): string {
  return encoding === 'json' ? JSON.stringify(payload) : formEncode(payload);
}

// ---------------------------------------------------------------- records

/**
 * What is kept of a merchant's answer: at most `CALLBACK_EXCERPT_BYTES_MAX` bytes of UTF-8, without
 * a cut character at the end and without NUL (PostgreSQL text cannot hold it).
 */
export function responseExcerpt(bytes: Buffer): string {
  let text = bytes.subarray(0, CALLBACK_EXCERPT_BYTES_MAX).toString('utf8').replaceAll('\u0000', '');
  while (Buffer.byteLength(text) > CALLBACK_EXCERPT_BYTES_MAX || text.endsWith('\uFFFD'))
    text = text.slice(0, -1);
  return text;
}

export function errorText(message: string): string {
  return message.replaceAll('\u0000', '').slice(0, CALLBACK_ERROR_LENGTH_MAX);
}

/** The columns of a refund that its callback needs (a `refunds` row with its payin's token fits). */
export interface RefundFacts {
  id: string;
  status: string;
  method: string;
  amount_xof: number;
  customer: string;
  operator_id: string;
  operator_reference: string | null;
  reason: string;
  merchant_reference: string;
  status_reason: string | null;
  updated_at_ms: number;
  payin_token: string;
}

/** The refund callback (ADR 0024), a Cauri extension: `event` tells it from payin and payout callbacks. */
export interface RefundCallback {
  event: 'refund';
  response_code: '00';
  response_text: string;
  date: string;
  refund_id: string;
  status: 'pending' | 'completed' | 'failed';
  amount: number;
  montant: number;
  payin_token: string;
  merchant_refund_reference: string;
  reason: string;
  customer: string;
  method: string;
  operator_id: string;
  operator_name: string;
  operator_reference: string;
  status_reason: string;
}

/** Amounts are integers, as in payin callbacks; the status is the refund's own (`failed`, not `notcompleted`). */
export function refundCallbackPayload(refund: RefundFacts): RefundCallback {
  const operator = operatorById(refund.operator_id);
  const amount = Number(refund.amount_xof);
  const status = refund.status === 'completed' || refund.status === 'failed' ? refund.status : 'pending';
  return {
    event: 'refund',
    response_code: '00',
    response_text: '',
    date: wireDate(Number(refund.updated_at_ms)),
    refund_id: refund.id,
    status,
    amount,
    montant: amount,
    payin_token: refund.payin_token,
    merchant_refund_reference: refund.merchant_reference,
    reason: refund.reason,
    customer: refund.customer,
    method: refund.method,
    operator_id: operator?.id ?? refund.operator_id,
    operator_name: operator?.name ?? '',
    operator_reference: refund.operator_reference ?? '',
    status_reason: refund.status_reason ?? '',
  };
}

/** One POST as recorded. */
export interface AttemptRecord {
  encoding: CallbackEncoding;
  url: string;
  startedAtMs: number;
  latencyMs: number;
  httpStatus: number | null;
  error: string | null;
  responseExcerpt: string;
}
