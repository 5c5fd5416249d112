import { withTimeout } from '../util/with-timeout.js';

/**
 * How Cauri hands a text message (a wallet OTP) to whoever delivers it to the handset (ADR 0014):
 * an SMSC over SMPP (smpp.ts) or the operator's own HTTP "send SMS" hook (http-hook.ts).
 *
 * The body carries the one-time code. It exists in clear only in memory, between the commit that
 * stores its hash and the provider call: it is never logged, never put in an error, a thrown
 * exception or a result's `error` text, here or in the providers.
 */
export interface SmsMessage {
  /** International digits without '+', e.g. 22670123456. */
  to: string;
  body: string;
  /** Cauri's delivery id, for receipts and logs. */
  deliveryId: string;
}

export type SmsSendResult =
  { ok: true; providerMessageId: string | null } | { ok: false; error: string; retryable: boolean };

export type SmsReceipt = { providerMessageId: string; state: 'delivered' | 'failed'; detail: string };

export interface SmsProvider {
  readonly name: string;
  send(message: SmsMessage): Promise<SmsSendResult>;
  onReceipt?(listener: (receipt: SmsReceipt) => void): void;
  close(): Promise<void>;
}

/** A configuration mistake, in one line that names the setting and never quotes a secret. */
export class SmsConfigError extends Error {
  override name = 'SmsConfigError';
}

/** E.164 allows at most 15 digits (ITU-T E.164 §6.1). */
export const SMS_TO_DIGITS_MAX = 15;
/**
 * A bound on the text: four concatenated GSM 7-bit parts of 153 characters is more than any OTP
 * message needs, and small enough for every SMSC's message_payload.
 */
export const SMS_BODY_CHARS_MAX = 612;

/** Why a message cannot be sent at all, or undefined. The text never quotes the body. */
export function invalidMessage(message: SmsMessage): string | undefined {
  if (!new RegExp(`^[1-9][0-9]{6,${SMS_TO_DIGITS_MAX - 1}}$`).test(message.to))
    return 'destination must be 7 to 15 international digits without +';
  if (message.body === '') return 'message body is empty';
  if (message.body.length > SMS_BODY_CHARS_MAX)
    return `message body is over ${SMS_BODY_CHARS_MAX} characters`;
  if (message.deliveryId === '' || message.deliveryId.length > 128)
    return 'delivery id must be 1 to 128 characters';
  return undefined;
}

/**
 * Removes the body, and every run of four or more digits in it (the code), from a text that may
 * come from a library or a peer: the last guard before an error leaves the provider.
 */
export function withoutBody(text: string, body: string): string {
  let clean = body === '' ? text : text.split(body).join('[body]');
  for (const digits of body.match(/[0-9]{4,}/g) ?? []) clean = clean.split(digits).join('[redacted]');
  return clean;
}

export interface RetryOptions {
  /** 1 to 5, default 3. */
  attemptsMax?: number;
  /** The wait after the first failed attempt, doubled after each one; default 500. */
  backoffMs?: number;
  /** The bound on each attempt, default 5000; a timed-out attempt counts as retryable. */
  timeoutMs?: number;
  /** For tests: how to wait. */
  sleep?: (ms: number) => Promise<void>;
}

export const SMS_ATTEMPTS_MAX = 5;
const BACKOFF_MS_MAX = 60_000;
const TIMEOUT_MS_MAX = 120_000;

class SmsAttemptTimeout extends Error {}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function boundedInt(value: number, name: string, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max)
    throw new RangeError(`${name} must be an integer from ${min} to ${max}`);
  return value;
}

/** One attempt as a result: a rejection (a provider bug) or a timeout becomes a retryable failure. */
async function attempt(
  provider: SmsProvider,
  message: SmsMessage,
  timeoutMs: number,
): Promise<SmsSendResult> {
  try {
    return await withTimeout(provider.send(message), timeoutMs, () => new SmsAttemptTimeout());
  } catch (error) {
    if (error instanceof SmsAttemptTimeout)
      return { ok: false, error: `${provider.name}: no answer within ${timeoutMs} ms`, retryable: true };
    const text = error instanceof Error ? error.message : String(error);
    return { ok: false, error: `${provider.name}: ${text}`, retryable: true };
  }
}

/**
 * Sends with a bounded number of attempts, waiting `backoffMs`, then twice that, and so on between
 * them. Only retryable failures are retried. A timed-out attempt may still reach the handset, so a
 * retry can deliver the same code twice: harmless for an OTP, and better than none.
 */
export async function sendWithRetries(
  provider: SmsProvider,
  message: SmsMessage,
  options: RetryOptions = {},
): Promise<SmsSendResult & { attempts: number }> {
  const attemptsMax = boundedInt(options.attemptsMax ?? 3, 'attemptsMax', 1, SMS_ATTEMPTS_MAX);
  const backoffMs = boundedInt(options.backoffMs ?? 500, 'backoffMs', 0, BACKOFF_MS_MAX);
  const timeoutMs = boundedInt(options.timeoutMs ?? 5_000, 'timeoutMs', 1, TIMEOUT_MS_MAX);
  const sleep = options.sleep ?? realSleep;
  for (let attempts = 1; ; attempts++) {
    const result = await attempt(provider, message, timeoutMs);
    if (result.ok) return { ...result, attempts };
    const clean = { ...result, error: withoutBody(result.error, message.body) };
    if (!result.retryable || attempts >= attemptsMax) return { ...clean, attempts };
    await sleep(Math.min(backoffMs * 2 ** (attempts - 1), BACKOFF_MS_MAX));
  }
}
