import { WEBHOOK_SECRET_PREFIX, webhookHeaders } from '../core/webhook-signature.js';
import { boundedHttp } from '../util/bounded-http.js';
import {
  invalidMessage,
  SmsConfigError,
  withoutBody,
  type SmsMessage,
  type SmsProvider,
  type SmsSendResult,
} from './provider.js';

/**
 * A "send SMS" hook (ADR 0014): Cauri POSTs each message as JSON to a URL the operator runs (an
 * in-house SMS gateway, a cloud SMS API behind a small adapter), signed like Cauri's callbacks in
 * the Standard Webhooks scheme (src/core/webhook-signature.ts), so the hook can check that the
 * request comes from Cauri and is fresh. Redirects are not followed and at most 4 KiB of the
 * answer is read. No error text quotes the request or the answer: the hook may echo the body.
 */
export interface HttpHookConfig {
  url: string;
  /** A Standard Webhooks secret, `whsec_` + base64 of 24 to 64 random bytes. */
  secret: string;
  /** The bound on one request, default 4 s: under sendWithRetries' 5 s, so the hook's own outcome ends an attempt. */
  timeoutMs?: number;
  /** For tests: the current time. */
  nowMs?: () => number;
}

export const HOOK_ANSWER_BYTES_MAX = 4 * 1024;
const MESSAGE_ID_CHARS_MAX = 128;
/** The Standard Webhooks specification asks for secrets of 24 to 64 bytes. */
const SECRET_BYTES_MIN = 24;
const SECRET_BYTES_MAX = 64;

export class HttpHookConfigError extends SmsConfigError {
  override name = 'HttpHookConfigError';
}

/** The JSON a hook receives. */
export interface HookPayload {
  id: string;
  to: string;
  body: string;
  created_at: string;
}

interface HookAnswer {
  status: number;
  text: string;
}

function fail(error: string, retryable: boolean): SmsSendResult {
  return { ok: false, error: `http: ${error}`, retryable };
}

/** One POST, bounded in time and in bytes read (util/bounded-http.ts); rejects on a network error or the timeout. */
function post(
  url: URL,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<HookAnswer> {
  // Each request has its own connection (`agent: false`: OTPs are rare); what is past the limit
  // is not needed: the status decides, the JSON is a courtesy.
  return boundedHttp({
    method: 'POST',
    url: url.href,
    headers,
    body,
    timeoutMs,
    bytesMax: HOOK_ANSWER_BYTES_MAX,
    overflow: 'truncate',
    agent: false,
  });
}

/** The hook's `message_id`, when its answer is JSON carrying a short string or number there. */
function messageIdOf(text: string): string | null {
  try {
    const json = JSON.parse(text) as unknown;
    if (json === null || typeof json !== 'object' || !('message_id' in json)) return null;
    const id = json.message_id;
    if (typeof id === 'number' && Number.isSafeInteger(id)) return String(id);
    return typeof id === 'string' && id !== '' && id.length <= MESSAGE_ID_CHARS_MAX ? id : null;
  } catch {
    return null;
  }
}

/** 2xx is accepted; 429 and 5xx are worth another try; any other answer will not change. */
export function hookResult(answer: HookAnswer): SmsSendResult {
  const { status } = answer;
  if (status >= 200 && status < 300) return { ok: true, providerMessageId: messageIdOf(answer.text) };
  if (status >= 300 && status < 400)
    return fail(`hook answered HTTP ${status}; redirects are not followed`, false);
  return fail(`hook answered HTTP ${status}`, status === 429 || status >= 500);
}

export class HttpHookProvider implements SmsProvider {
  readonly name = 'http';
  private readonly url: URL;
  private readonly timeoutMs: number;
  private readonly nowMs: () => number;
  private closed = false;

  constructor(private readonly config: HttpHookConfig) {
    let url: URL;
    try {
      url = new URL(config.url);
    } catch {
      throw new HttpHookConfigError('SMS hook URL must be an http or https URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new HttpHookConfigError('SMS hook URL must be an http or https URL');
    this.url = url;
    const keyBytes = config.secret.startsWith(WEBHOOK_SECRET_PREFIX)
      ? Buffer.from(config.secret.slice(WEBHOOK_SECRET_PREFIX.length), 'base64').length
      : 0;
    if (keyBytes < SECRET_BYTES_MIN || keyBytes > SECRET_BYTES_MAX) {
      throw new HttpHookConfigError(
        `SMS hook secret must be ${WEBHOOK_SECRET_PREFIX} followed by base64 of ${SECRET_BYTES_MIN} to ${SECRET_BYTES_MAX} bytes`,
      );
    }
    const timeoutMs = config.timeoutMs ?? 4_000;
    if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 120_000)
      throw new HttpHookConfigError('SMS hook timeout must be 1 to 120000 ms');
    this.timeoutMs = timeoutMs;
    this.nowMs = config.nowMs ?? Date.now;
  }

  async send(message: SmsMessage): Promise<SmsSendResult> {
    if (this.closed) return fail('provider is closed', false);
    const invalid = invalidMessage(message);
    if (invalid !== undefined) return fail(invalid, false);
    const nowMs = this.nowMs();
    const payload: HookPayload = {
      id: message.deliveryId,
      to: message.to,
      body: message.body,
      created_at: new Date(nowMs).toISOString(),
    };
    const raw = JSON.stringify(payload);
    // webhook-id is the delivery id, the same on every attempt, so the hook can drop a repeat.
    const signed = webhookHeaders([this.config.secret], message.deliveryId, Math.floor(nowMs / 1000), raw);
    const headers = { ...signed, 'content-type': 'application/json', 'user-agent': 'Cauri-SMS-Hook/1' };
    try {
      return hookResult(await post(this.url, headers, raw, this.timeoutMs));
    } catch (error) {
      const text = error instanceof Error ? error.message : 'request failed';
      return fail(withoutBody(text, message.body), true);
    }
  }

  close(): Promise<void> {
    // Each request has its own connection (`agent: false`: OTPs are rare), so nothing stays open.
    this.closed = true;
    return Promise.resolve();
  }
}
