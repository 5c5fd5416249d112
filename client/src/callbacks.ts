import { createHmac, timingSafeEqual } from 'node:crypto';
import { type CauriClient, customDataObject, wireStatus } from './client.js';
import type { CauriError, ConfirmResponse, CustomDataRow, PayoutKind, Result, WireStatus } from './types.js';

/**
 * Merchant-side helpers for callbacks. LigdiCash (and Cauri in `ligdicash` mode) POSTs each event
 * twice, as JSON and as form-urlencoded with `custom_data` as a JSON string; Cauri also signs each
 * POST per Standard Webhooks. The safe way to act on a callback: verify the signature when there is
 * one, drop duplicates by `webhook-id`, then confirm with the creation token.
 */

export type CallbackEncoding = 'json' | 'form';

/** One callback, whichever its encoding: amounts and `operator_id` as strings, as in confirm answers. */
export interface Callback {
  /** A payout callback carries `url`/`url_method`; a payin one does not. */
  kind: 'payin' | 'payout';
  encoding: CallbackEncoding;
  response_code: string;
  response_text: string;
  description: string;
  status: WireStatus;
  /** Always "" for payins; for payouts a JWT different from the creation token. */
  token: string;
  /** Digits: a number in JSON payin callbacks, a string elsewhere, a string here. */
  amount: string;
  montant: string;
  /** A string in payin callbacks, a number in payout callbacks, a string here. */
  operator_id: string;
  operator_name: string;
  customer: string;
  date: string;
  request_id: string;
  external_id: string;
  transaction_id: string;
  wiki: string;
  hash: string;
  custom_data: CustomDataRow[];
  /** `custom_data` as `{key: value}`, including the `hash` and `logfile` rows LigdiCash adds. */
  customData: Record<string, string>;
  /** The decoded fields as received. */
  raw: Record<string, unknown>;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const str = (value: unknown): string =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';

function rowsOf(value: unknown): CustomDataRow[] | string {
  let decoded = value;
  if (typeof value === 'string') {
    if (value === '') return [];
    try {
      decoded = JSON.parse(value);
    } catch {
      return '`custom_data` is not JSON';
    }
  }
  if (decoded === null || decoded === undefined) return [];
  // An object (as sent at creation) is accepted and turned into rows.
  if (isObject(decoded))
    return Object.entries(decoded).map(([key, v]) => ({ keyof_customdata: key, valueof_customdata: str(v) }));
  if (!Array.isArray(decoded)) return '`custom_data` is neither a list nor an object';
  return decoded.filter(isObject).map((row) => ({
    ...row,
    keyof_customdata: str(row.keyof_customdata),
    valueof_customdata: str(row.valueof_customdata),
    ...(row.datecreation_customdata !== undefined
      ? { datecreation_customdata: str(row.datecreation_customdata) }
      : {}),
  }));
}

/**
 * Decodes a callback body, JSON or form-urlencoded (by `contentType`, or by sniffing when it is
 * missing), into one typed object. `rawBody` is the body as received (keep it for `verifySignature`).
 */
export function parseCallback(
  rawBody: string | Uint8Array,
  contentType?: string | null,
): Result<Callback, string> {
  const text = typeof rawBody === 'string' ? rawBody : new TextDecoder().decode(rawBody);
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const encoding: CallbackEncoding =
    type === 'application/json' || type.endsWith('+json')
      ? 'json'
      : type === 'application/x-www-form-urlencoded'
        ? 'form'
        : text.trimStart().startsWith('{')
          ? 'json'
          : 'form';
  let raw: Record<string, unknown>;
  if (encoding === 'json') {
    let decoded: unknown;
    try {
      decoded = JSON.parse(text);
    } catch {
      return { ok: false, error: 'the body is not JSON' };
    }
    if (!isObject(decoded)) return { ok: false, error: 'the body is not a JSON object' };
    raw = decoded;
  } else {
    raw = Object.fromEntries(new URLSearchParams(text));
  }
  if (typeof raw.status !== 'string') return { ok: false, error: 'no `status` in the callback' };
  // A refund's callback is no payin's: read it with parseRefundCallback, never as a payment.
  if (raw.event === 'refund')
    return { ok: false, error: 'a refund callback: parse it with parseRefundCallback' };
  const rows = rowsOf(raw.custom_data);
  if (typeof rows === 'string') return { ok: false, error: rows };
  return {
    ok: true,
    value: {
      kind: 'url' in raw || 'url_method' in raw ? 'payout' : 'payin',
      encoding,
      response_code: str(raw.response_code),
      response_text: str(raw.response_text),
      description: str(raw.description),
      status: wireStatus(raw.status),
      token: str(raw.token),
      amount: str(raw.amount),
      montant: str(raw.montant),
      operator_id: str(raw.operator_id),
      operator_name: str(raw.operator_name),
      customer: str(raw.customer),
      date: str(raw.date),
      request_id: str(raw.request_id),
      external_id: str(raw.external_id),
      transaction_id: str(raw.transaction_id),
      wiki: str(raw.wiki),
      hash: str(raw.hash),
      custom_data: rows,
      customData: customDataObject(rows),
      raw,
    },
  };
}

// ---------------------------------------------------------------- signatures

export const WEBHOOK_TOLERANCE_SECONDS = 300;
const SIGNATURE_HEADER_LENGTH_MAX = 1024;
const SIGNATURES_MAX = 8;

export type SignatureFailure = 'missing_headers' | 'bad_timestamp' | 'too_old' | 'too_new' | 'bad_signature';

/** Node's `IncomingHttpHeaders`, any object of header names (matched case-insensitively), or a fetch `Headers`. */
export type HeaderSource = Headers | object;

function header(headers: HeaderSource, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  for (const [key, value] of Object.entries(headers) as [string, unknown][]) {
    if (key.toLowerCase() !== name) continue;
    if (typeof value === 'string') return value;
    // A repeated header is ambiguous unless it was sent once.
    return Array.isArray(value) && value.length === 1 && typeof value[0] === 'string' ? value[0] : undefined;
  }
  return undefined;
}

export interface VerifyOptions {
  /** Accepted distance between `webhook-timestamp` and now, either way. Defaults to 300 s. */
  toleranceSeconds?: number;
  /** The current time, for tests. Defaults to `Date.now()`. */
  nowMs?: number;
}

/**
 * Verifies a Standard Webhooks signature: `webhook-signature` holds space-separated `v1,<base64>`
 * HMAC-SHA256 of `${webhook-id}.${webhook-timestamp}.${rawBody}`, keyed with the base64 bytes after
 * `whsec_`. `rawBody` must be the exact bytes received, before any parsing.
 */
export function verifySignature(
  headers: HeaderSource,
  rawBody: string | Uint8Array,
  secret: string,
  options: VerifyOptions = {},
): Result<{ id: string; timestamp: number }, SignatureFailure> {
  const fail = (error: SignatureFailure) => ({ ok: false, error }) as const;
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (id === undefined || timestamp === undefined || signatures === undefined || id === '')
    return fail('missing_headers');
  if (!/^\d{1,12}$/.test(timestamp)) return fail('bad_timestamp');
  const sent = Number(timestamp);
  const now = Math.floor((options.nowMs ?? Date.now()) / 1000);
  const tolerance = options.toleranceSeconds ?? WEBHOOK_TOLERANCE_SECONDS;
  if (sent < now - tolerance) return fail('too_old');
  if (sent > now + tolerance) return fail('too_new');
  if (signatures.length > SIGNATURE_HEADER_LENGTH_MAX) return fail('bad_signature');
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
  const body = typeof rawBody === 'string' ? Buffer.from(rawBody) : rawBody;
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest();
  for (const candidate of signatures.split(' ').slice(0, SIGNATURES_MAX)) {
    const comma = candidate.indexOf(',');
    if (comma < 0 || candidate.slice(0, comma) !== 'v1') continue;
    const given = Buffer.from(candidate.slice(comma + 1), 'base64');
    if (given.length === expected.length && timingSafeEqual(given, expected))
      return { ok: true, value: { id, timestamp: sent } };
  }
  return fail('bad_signature');
}

// ---------------------------------------------------------------- de-duplication

/**
 * Remembers the last `maxSize` webhook ids (the same on both encodings and on every retry), the
 * oldest forgotten first. In memory: a merchant with several processes also needs an idempotent
 * store keyed on the transaction.
 */
export class WebhookDeduplicator {
  readonly #seen = new Map<string, true>();
  readonly maxSize: number;

  constructor(maxSize = 10_000) {
    if (!Number.isInteger(maxSize) || maxSize < 1) throw new RangeError('maxSize must be a positive integer');
    this.maxSize = maxSize;
  }

  /** True the first time an id is seen (process it), false for a duplicate (acknowledge and skip). */
  firstSeen(id: string): boolean {
    if (this.#seen.has(id)) {
      this.#seen.delete(id);
      this.#seen.set(id, true);
      return false;
    }
    this.#seen.set(id, true);
    while (this.#seen.size > this.maxSize) {
      const oldest = this.#seen.keys().next();
      if (oldest.done === true) break;
      this.#seen.delete(oldest.value);
    }
    return true;
  }

  /** Forgets an id, e.g. when processing it failed and the retry must be processed. */
  forget(id: string): void {
    this.#seen.delete(id);
  }

  get size(): number {
    return this.#seen.size;
  }
}

// ---------------------------------------------------------------- confirmation

export interface ConfirmedCallback {
  /** The confirm answer: the only status to act on. */
  confirm: ConfirmResponse;
  /** True when confirm says `completed`. */
  completed: boolean;
  /** Fields on which the callback and confirm disagree (`status`, `amount`, `transaction_id`). */
  mismatches: string[];
}

/**
 * Re-checks a callback with the token stored at creation (a payin callback carries no token and a
 * payout one carries a different one), through the confirm endpoint of its kind.
 */
export async function confirmCallback(
  client: CauriClient,
  callback: Callback,
  creationToken: string,
  options: { payoutKind?: PayoutKind } = {},
): Promise<Result<ConfirmedCallback, CauriError>> {
  const answer =
    callback.kind === 'payin'
      ? await client.getPayin(creationToken)
      : await client.getPayout(creationToken, options.payoutKind ?? 'customer');
  if (!answer.ok) return answer;
  const confirm = answer.value;
  const mismatches: string[] = [];
  if (confirm.status !== callback.status) mismatches.push('status');
  if (confirm.amount !== callback.amount) mismatches.push('amount');
  if (confirm.transaction_id !== callback.transaction_id) mismatches.push('transaction_id');
  return {
    ok: true,
    value: {
      confirm,
      completed: confirm.response_code === '00' && confirm.status === 'completed',
      mismatches,
    },
  };
}
