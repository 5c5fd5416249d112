import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Callback signatures in the Standard Webhooks scheme (standardwebhooks.com; the specification in
 * github.com/standard-webhooks/standard-webhooks, spec/standard-webhooks.md), which LigdiCash does
 * not have and which a merchant may ignore (ADR 0006):
 *
 * - `webhook-id`: the event id, the same on every attempt and on both encodings, for de-duplication;
 * - `webhook-timestamp`: Unix seconds when the attempt was sent, to reject replays;
 * - `webhook-signature`: `v1,` + base64 HMAC-SHA256 of `${id}.${timestamp}.${raw body}`, keyed with
 *   the base64-decoded part of the project's `whsec_…` secret. Several signatures are separated by a
 *   space (during a secret rotation both the new and the previous secret sign).
 */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';
/** The spec asks for 24 to 64 random bytes; Cauri uses 32. */
export const WEBHOOK_SECRET_BYTES = 32;
/** A receiver rejects a timestamp further than this from its clock, in either direction. */
export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60;
/** Bounds on what a verifier will parse, so that a hostile header costs nothing. */
const SIGNATURE_HEADER_LENGTH_MAX = 1024;
const SIGNATURES_MAX = 8;

export interface WebhookHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

export function generateWebhookSecret(): string {
  return WEBHOOK_SECRET_PREFIX + randomBytes(WEBHOOK_SECRET_BYTES).toString('base64');
}

/** The HMAC key of a secret: the bytes after `whsec_`, base64-decoded. */
function secretKey(secret: string): Buffer {
  const encoded = secret.startsWith(WEBHOOK_SECRET_PREFIX)
    ? secret.slice(WEBHOOK_SECRET_PREFIX.length)
    : secret;
  return Buffer.from(encoded, 'base64');
}

/** One `v1,<base64>` signature of a message. */
export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', secretKey(secret))
    .update(`${id}.${timestampSeconds}.${body}`)
    .digest('base64');
  return `v1,${mac}`;
}

/** The three headers of one delivery, signed with every given secret (the current one first). */
export function webhookHeaders(
  secrets: readonly string[],
  id: string,
  timestampSeconds: number,
  body: string,
): WebhookHeaders {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': secrets.map((secret) => signWebhook(secret, id, timestampSeconds, body)).join(' '),
  };
}

export type WebhookVerdict =
  'ok' | 'missing_headers' | 'bad_timestamp' | 'too_old' | 'too_new' | 'bad_signature';

/**
 * What a merchant does on receipt, here for the tests and as the reference for the README: check
 * the timestamp window, then compare each `v1` signature in constant time.
 */
export function verifyWebhook(
  secret: string,
  headers: Readonly<Record<string, string | string[] | undefined>>,
  body: string,
  nowSeconds: number,
  toleranceSeconds = WEBHOOK_TOLERANCE_SECONDS,
): WebhookVerdict {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signatures !== 'string')
    return 'missing_headers';
  if (!/^\d{1,12}$/.test(timestamp)) return 'bad_timestamp';
  const sentSeconds = Number(timestamp);
  if (sentSeconds < nowSeconds - toleranceSeconds) return 'too_old';
  if (sentSeconds > nowSeconds + toleranceSeconds) return 'too_new';
  if (signatures.length > SIGNATURE_HEADER_LENGTH_MAX) return 'bad_signature';
  const expected = Buffer.from(signWebhook(secret, id, sentSeconds, body).slice(3), 'base64');
  for (const candidate of signatures.split(' ').slice(0, SIGNATURES_MAX)) {
    const [version, mac] = candidate.split(',', 2);
    if (version !== 'v1' || mac === undefined) continue;
    const given = Buffer.from(mac, 'base64');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return 'ok';
  }
  return 'bad_signature';
}
