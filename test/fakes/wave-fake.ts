import { createHmac } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type LoopbackServer, listenLoopback } from './loopback-server.js';

/**
 * An offline fake of Wave's Business API (ADR 0013): Bearer keys, `POST /v1/checkout/sessions`
 * (with `Idempotency-Key`), `GET /v1/checkout/sessions/:id`, `/v1/checkout/sessions/search`,
 * `POST /v1/checkout/sessions/:id/refund`, `POST /v1/payout` (idempotency key: one payout per
 * key, 409 `idempotency-mismatch` for another body), `GET /v1/payout/:id`, `/v1/payouts/search`,
 * `POST /v1/payout/:id/reverse`, errors as `{code, message}`, and webhooks signed
 * `Wave-Signature: t=<unix>,v1=<HMAC-SHA256(secret, t + body)>`. Tests steer it: payout outcomes
 * per number, customers paying or not, webhooks sent, withheld or sent twice, delays and a
 * closed port.
 */
export interface WaveSessionRecord {
  id: string;
  amount: string;
  currency: string;
  client_reference: string | null;
  success_url: string;
  error_url: string;
  checkout_status: 'open' | 'complete' | 'expired';
  /** `refunded` after a checkout refund (ADR 0024: the refunded marker Cauri reads before any re-send). */
  payment_status: 'processing' | 'cancelled' | 'succeeded' | 'refunded';
  transaction_id: string | null;
  last_payment_error: { code: string; message: string } | null;
  wave_launch_url: string;
  when_created: string;
  when_completed: string | null;
  when_expires: string;
}

export interface WavePayoutRecord {
  id: string;
  currency: string;
  receive_amount: string;
  fee: string;
  mobile: string;
  name: string | null;
  client_reference: string | null;
  status: 'processing' | 'succeeded' | 'failed' | 'reversed';
  timestamp: string;
  payout_error: { error_code: string; error_message: string } | null;
}

/** What a payout to a number does: an HTTP error (no payout made), or a payout in a status. */
export type WavePayoutRule =
  | { kind: 'error'; http: number; code: string; message: string }
  | { kind: 'status'; status: 'processing' | 'succeeded' | 'failed'; errorCode?: string };

export interface SignedWebhook {
  headers: Record<string, string>;
  payload: string;
}

export class WaveFake {
  readonly apiKey = 'wave_sn_prod_FAKEKEY_abcdef0123456789';
  readonly webhookSecret = 'wave_sn_WHS_fakesecret0123456789';
  readonly sessions = new Map<string, WaveSessionRecord>();
  readonly payouts = new Map<string, WavePayoutRecord>();
  /** Idempotency key → (what was asked, what was answered). */
  private readonly idempotent = new Map<string, { body: string; status: number; answer: unknown }>();
  /** Payout rules per mobile (E.164 with '+'). */
  readonly payoutRules = new Map<string, WavePayoutRule>();
  /** Checkout refunds made per session id: must never exceed 1. */
  readonly refundsPerSession = new Map<string, number>();
  /** Money sent per idempotency key: must never exceed 1. */
  readonly paidPerKey = new Map<string, number>();
  readonly requests: { method: string; path: string; headers: IncomingMessage['headers']; body: string }[] =
    [];
  /** Where signed webhooks go; absent or `webhooks = 'withheld'` means they are never sent. */
  deliver: ((webhook: SignedWebhook) => Promise<void>) | undefined;
  webhooks: 'sent' | 'withheld' | 'twice' = 'sent';
  delayMs = 0;
  failNext = 0;
  nowMs: () => number = () => Date.now();
  private serial = 0;
  private server: LoopbackServer | undefined;
  url = '';

  async start(): Promise<this> {
    this.server = await listenLoopback((req, res) => void this.handle(req, res));
    this.url = this.server.origin;
    return this;
  }

  /** Closes the port: later calls are refused (connection refused). */
  async down(): Promise<void> {
    await this.server?.close();
  }

  settings(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { baseUrl: this.url, apiKey: this.apiKey, webhookSecret: this.webhookSecret, ...extra };
  }

  sessionFor(clientReference: string): WaveSessionRecord | undefined {
    return [...this.sessions.values()].find((s) => s.client_reference === clientReference);
  }

  payoutFor(clientReference: string): WavePayoutRecord | undefined {
    return [...this.payouts.values()].find((p) => p.client_reference === clientReference);
  }

  /** The customer pays in the Wave app; Wave then sends `checkout.session.completed`. */
  async pay(clientReference: string): Promise<void> {
    const session = this.mustSession(clientReference);
    session.checkout_status = 'complete';
    session.payment_status = 'succeeded';
    session.transaction_id = `TCN${String(++this.serial).padStart(8, '0')}`;
    session.when_completed = new Date(this.nowMs()).toISOString();
    await this.send('checkout.session.completed', session);
  }

  /** A payment attempt fails (e.g. the customer's balance); the session stays open. */
  async failAttempt(clientReference: string, code = 'insufficient-funds'): Promise<void> {
    const session = this.mustSession(clientReference);
    session.last_payment_error = { code, message: 'The payment failed' };
    await this.send('checkout.session.payment_failed', session);
  }

  /** The session reaches its expiry unpaid. */
  expire(clientReference: string): void {
    const session = this.mustSession(clientReference);
    session.checkout_status = 'expired';
    session.payment_status = 'cancelled';
  }

  /** A processing payout reaches a final status. */
  settlePayout(clientReference: string, status: 'succeeded' | 'failed', errorCode?: string): void {
    const payout = this.payoutFor(clientReference);
    if (payout === undefined) throw new Error(`no Wave payout ${clientReference}`);
    payout.status = status;
    payout.payout_error =
      errorCode !== undefined ? { error_code: errorCode, error_message: 'Payout failed' } : null;
  }

  /** A webhook as Wave signs it; `at` in ms and `secret` let tests forge old or wrong ones. */
  signed(
    type: string,
    data: unknown,
    options: { atMs?: number; secret?: string; extraSignatures?: string[] } = {},
  ): SignedWebhook {
    const payload = JSON.stringify({ id: `EV_${String(++this.serial).padStart(10, '0')}`, type, data });
    const t = String(Math.floor((options.atMs ?? this.nowMs()) / 1000));
    const v1 = createHmac('sha256', options.secret ?? this.webhookSecret)
      .update(t + payload)
      .digest('hex');
    const signatures = [...(options.extraSignatures ?? []), v1].map((s) => `v1=${s}`).join(',');
    return {
      headers: { 'content-type': 'application/json', 'wave-signature': `t=${t},${signatures}` },
      payload,
    };
  }

  private async send(type: string, session: WaveSessionRecord): Promise<void> {
    if (this.deliver === undefined || this.webhooks === 'withheld') return;
    const webhook = this.signed(type, session);
    await this.deliver(webhook);
    if (this.webhooks === 'twice') await this.deliver(webhook);
  }

  private mustSession(clientReference: string): WaveSessionRecord {
    const session = this.sessionFor(clientReference);
    if (session === undefined) throw new Error(`no Wave session ${clientReference}`);
    return session;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://wave.fake');
    this.requests.push({
      method: req.method ?? '',
      path: url.pathname + url.search,
      headers: req.headers,
      body: raw,
    });
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    const send = (status: number, body?: unknown) => {
      if (res.destroyed) return;
      if (body === undefined) {
        res.writeHead(status);
        res.end();
        return;
      }
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (this.failNext > 0) {
      this.failNext -= 1;
      return send(500, { code: 'internal-server-error', message: 'Internal server error' });
    }
    const auth = req.headers.authorization;
    if (auth === undefined)
      return send(401, { code: 'missing-auth-header', message: 'Missing Authorization header' });
    if (auth !== `Bearer ${this.apiKey}`)
      return send(401, { code: 'invalid-auth', message: 'Invalid API key' });
    const answer = this.route(req.method ?? '', url, raw, req.headers);
    send(answer.status, answer.body);
  }

  private route(
    method: string,
    url: URL,
    raw: string,
    headers: IncomingMessage['headers'],
  ): { status: number; body?: unknown } {
    const path = url.pathname;
    if (method === 'POST' && path === '/v1/checkout/sessions')
      return this.idempotently(headers, raw, () => this.createSession(raw));
    if (method === 'GET' && path === '/v1/checkout/sessions/search') {
      const ref = url.searchParams.get('client_reference');
      return {
        status: 200,
        body: { result: [...this.sessions.values()].filter((s) => s.client_reference === ref) },
      };
    }
    let match = /^\/v1\/checkout\/sessions\/([^/]+)(\/refund)?$/.exec(path);
    if (match !== null) {
      const session = this.sessions.get(decodeURIComponent(match[1] ?? ''));
      if (session === undefined)
        return { status: 404, body: { code: 'not-found', message: 'Checkout session not found' } };
      if (match[2] === undefined && method === 'GET') return { status: 200, body: session };
      if (match[2] !== undefined && method === 'POST') {
        if (session.payment_status !== 'succeeded')
          return { status: 400, body: { code: 'checkout-refund-failed', message: 'Session is not paid' } };
        session.payment_status = 'refunded';
        this.refundsPerSession.set(session.id, (this.refundsPerSession.get(session.id) ?? 0) + 1);
        return { status: 200 };
      }
    }
    if (method === 'POST' && path === '/v1/payout') {
      if (typeof headers['idempotency-key'] !== 'string')
        return {
          status: 400,
          body: { code: 'request-validation-error', message: 'idempotency-key is required' },
        };
      return this.idempotently(headers, raw, () =>
        this.createPayout(raw, String(headers['idempotency-key'])),
      );
    }
    if (method === 'GET' && path === '/v1/payouts/search') {
      const ref = url.searchParams.get('client_reference');
      return {
        status: 200,
        body: { result: [...this.payouts.values()].filter((p) => p.client_reference === ref) },
      };
    }
    match = /^\/v1\/payout\/([^/]+)(\/reverse)?$/.exec(path);
    if (match !== null) {
      const payout = this.payouts.get(decodeURIComponent(match[1] ?? ''));
      if (payout === undefined)
        return { status: 404, body: { code: 'not-found', message: 'Payout not found' } };
      if (match[2] === undefined && method === 'GET') return { status: 200, body: payout };
      if (match[2] !== undefined && method === 'POST') {
        if (payout.status === 'reversed') return { status: 200 };
        if (payout.status !== 'succeeded')
          return {
            status: 400,
            body: { code: 'payout-reversal-failed', message: 'Payout is not succeeded' },
          };
        payout.status = 'reversed';
        return { status: 200 };
      }
    }
    return { status: 404, body: { code: 'not-found', message: `No route ${method} ${path}` } };
  }

  /** docs.wave.com: the same key and body answer the first answer again; another body is 409. */
  private idempotently(
    headers: IncomingMessage['headers'],
    raw: string,
    create: () => { status: number; body?: unknown },
  ): { status: number; body?: unknown } {
    const key = headers['idempotency-key'];
    if (typeof key !== 'string') return create();
    const seen = this.idempotent.get(key);
    if (seen !== undefined) {
      if (seen.body !== raw)
        return {
          status: 409,
          body: { code: 'idempotency-mismatch', message: 'Idempotency key reused with another request' },
        };
      return { status: seen.status, body: seen.answer };
    }
    const answer = create();
    // Server errors are not remembered: the client may retry with the same key.
    if (answer.status < 500)
      this.idempotent.set(key, { body: raw, status: answer.status, answer: answer.body });
    return answer;
  }

  private createSession(raw: string): { status: number; body?: unknown } {
    const body = parse(raw);
    if (body === undefined)
      return { status: 400, body: { code: 'request-not-json', message: 'Body is not JSON' } };
    const invalid = (message: string) => ({
      status: 400,
      body: { code: 'request-validation-error', message },
    });
    if (typeof body.amount !== 'string' || !/^[1-9]\d*$/.test(body.amount))
      return invalid('amount must be a string of digits');
    if (body.currency !== 'XOF') return invalid('currency must be XOF');
    for (const field of ['success_url', 'error_url'] as const) {
      const value = body[field];
      if (typeof value !== 'string' || !value.startsWith('https://'))
        return invalid(`${field} must be an https URL`);
    }
    const id = `cos-${String(++this.serial).padStart(12, '0')}`;
    const nowMs = this.nowMs();
    const session: WaveSessionRecord = {
      id,
      amount: body.amount,
      currency: 'XOF',
      client_reference: typeof body.client_reference === 'string' ? body.client_reference : null,
      success_url: String(body.success_url),
      error_url: String(body.error_url),
      checkout_status: 'open',
      payment_status: 'processing',
      transaction_id: null,
      last_payment_error: null,
      wave_launch_url: `https://pay.wave.com/c/${id}?a=${body.amount}&c=XOF&m=Cauri`,
      when_created: new Date(nowMs).toISOString(),
      when_completed: null,
      when_expires: new Date(nowMs + 30 * 60_000).toISOString(),
    };
    this.sessions.set(id, session);
    return { status: 200, body: session };
  }

  private createPayout(raw: string, key: string): { status: number; body?: unknown } {
    const body = parse(raw);
    if (body === undefined)
      return { status: 400, body: { code: 'request-not-json', message: 'Body is not JSON' } };
    const invalid = (message: string) => ({
      status: 400,
      body: { code: 'request-validation-error', message },
    });
    if (body.currency !== 'XOF') return invalid('currency must be XOF');
    if (typeof body.receive_amount !== 'string' || !/^[1-9]\d*$/.test(body.receive_amount))
      return invalid('receive_amount must be a string of digits');
    if (typeof body.mobile !== 'string' || !/^\+\d{8,15}$/.test(body.mobile))
      return invalid('mobile must be E.164');
    const rule = this.payoutRules.get(body.mobile) ?? { kind: 'status', status: 'succeeded' };
    if (rule.kind === 'error') return { status: rule.http, body: { code: rule.code, message: rule.message } };
    const payout: WavePayoutRecord = {
      id: `pt-${String(++this.serial).padStart(12, '0')}`,
      currency: 'XOF',
      receive_amount: body.receive_amount,
      fee: String(Math.ceil(Number(body.receive_amount) / 100)),
      mobile: body.mobile,
      name: typeof body.name === 'string' ? body.name : null,
      client_reference: typeof body.client_reference === 'string' ? body.client_reference : null,
      status: rule.status,
      timestamp: new Date(this.nowMs()).toISOString(),
      payout_error:
        rule.status === 'failed'
          ? { error_code: rule.errorCode ?? 'internal-error', error_message: 'Payout failed' }
          : null,
    };
    this.payouts.set(payout.id, payout);
    if (rule.status !== 'failed') this.paidPerKey.set(key, (this.paidPerKey.get(key) ?? 0) + 1);
    return { status: 200, body: payout };
  }
}

function parse(raw: string): Record<string, unknown> | undefined {
  try {
    const json = JSON.parse(raw) as unknown;
    return json !== null && typeof json === 'object' ? (json as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
