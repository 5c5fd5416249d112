import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type LoopbackServer, listenLoopback } from './loopback-server.js';

/**
 * An offline Orange Money WebPay (ADR 0011): the OAuth v3 token endpoint (Basic credentials, form
 * body `grant_type=client_credentials`), `POST /orange-money-webpay/{env}/v1/webpayment` (Bearer;
 * 201 with pay_token, payment_url, notif_token; 403 for a re-used order_id),
 * `POST …/transactionstatus` ({order_id, amount, pay_token} → {status, order_id, txnid}), and the
 * notification Orange POSTs to notif_url: `{status, notif_token, txnid}`.
 *
 * Tests decide each payment with `finish(orderId, 'SUCCESS' | 'FAILED' | 'EXPIRED')`; the
 * notification is then sent through `deliver` (by default an HTTP POST to notif_url), sent twice
 * with `duplicateNotifications`, or withheld with `withholdNotifications`.
 */
export type WebPayStatus = 'INITIATED' | 'PENDING' | 'SUCCESS' | 'FAILED' | 'EXPIRED';

export interface WebPayPayment {
  orderId: string;
  amount: number;
  currency: string;
  payToken: string;
  notifToken: string;
  notifUrl: string;
  returnUrl: string;
  status: WebPayStatus;
  txnid: string;
  body: Record<string, unknown>;
}

export interface OrangeWebPayFake {
  url: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  merchantKey: string;
  env: string;
  payments: Map<string, WebPayPayment>;
  /** Create calls per order_id, including refused re-sends. */
  createsOf(orderId: string): number;
  tokensIssued: number;
  tokenLifetimeS: number;
  /** Invalidates every issued access token (Orange answers 401 until a new one is fetched). */
  revokeTokens(): void;
  statusQueries: number;
  delayMs: number;
  /** Answer every create with this HTTP status and a JSON error (e.g. 400, 500). */
  failCreatesWith: number | undefined;
  withholdNotifications: boolean;
  duplicateNotifications: boolean;
  deliver: (notifUrl: string, body: Record<string, unknown>) => Promise<void>;
  /** The customer finishes on Orange's page; returns the notification body (sent or withheld). */
  finish(orderId: string, status: 'SUCCESS' | 'FAILED' | 'EXPIRED'): Promise<Record<string, unknown>>;
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startOrangeWebPayFake(env = 'ci'): Promise<OrangeWebPayFake> {
  const creates = new Map<string, number>();
  let validTokens = new Set<string>();
  let server: LoopbackServer;
  let txn = 0;

  const fake: OrangeWebPayFake = {
    url: '',
    tokenUrl: '',
    clientId: 'cauri-client',
    clientSecret: 'client-secret-value',
    merchantKey: 'merchant-key-value',
    env,
    payments: new Map(),
    createsOf: (orderId) => creates.get(orderId) ?? 0,
    tokensIssued: 0,
    tokenLifetimeS: 7_776_000,
    revokeTokens: () => {
      validTokens = new Set();
    },
    statusQueries: 0,
    delayMs: 0,
    failCreatesWith: undefined,
    withholdNotifications: false,
    duplicateNotifications: false,
    deliver: async (notifUrl, body) => {
      await fetch(notifUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    },
    async finish(orderId, status) {
      const payment = fake.payments.get(orderId);
      if (payment === undefined) throw new Error(`no payment ${orderId}`);
      payment.status = status;
      payment.txnid = `MP${String(++txn).padStart(6, '0')}.1341.A${String(txn).padStart(5, '0')}`;
      const body = { status, notif_token: payment.notifToken, txnid: payment.txnid };
      if (!fake.withholdNotifications) {
        await fake.deliver(payment.notifUrl, body);
        if (fake.duplicateNotifications) await fake.deliver(payment.notifUrl, body);
      }
      return body;
    },
    down: () => server.close(),
    async up() {
      server = await listenLoopback(handle, { port: server.port });
    },
    close: () => server.close(),
  };

  type Reply = { status: number; json: unknown };
  const expected = (): string =>
    `Basic ${Buffer.from(`${fake.clientId}:${fake.clientSecret}`).toString('base64')}`;

  function token(req: IncomingMessage, raw: string): Reply {
    if (req.headers.authorization !== expected())
      return {
        status: 401,
        json: {
          error: 'invalid_client',
          error_description: 'The requested service needs credentials, but the ones provided were invalid.',
        },
      };
    if (
      !/^application\/x-www-form-urlencoded/.test(req.headers['content-type'] ?? '') ||
      new URLSearchParams(raw).get('grant_type') !== 'client_credentials'
    ) {
      return { status: 400, json: { error: 'invalid_request' } };
    }
    const accessToken = randomBytes(16).toString('hex');
    validTokens.add(accessToken);
    fake.tokensIssued += 1;
    return {
      status: 200,
      json: { token_type: 'Bearer', access_token: accessToken, expires_in: fake.tokenLifetimeS },
    };
  }

  function authorized(req: IncomingMessage): boolean {
    const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    return match?.[1] !== undefined && validTokens.has(match[1]);
  }

  function webpayment(body: Record<string, unknown>): Reply {
    if (fake.failCreatesWith !== undefined)
      return {
        status: fake.failCreatesWith,
        json: { code: 1, message: 'Fake failure', description: 'forced' },
      };
    const orderId = typeof body.order_id === 'string' ? body.order_id : '';
    creates.set(orderId, (creates.get(orderId) ?? 0) + 1);
    if (body.merchant_key !== fake.merchantKey)
      return { status: 403, json: { code: 60, message: 'Forbidden', description: 'invalid merchant key' } };
    if (
      orderId === '' ||
      typeof body.amount !== 'number' ||
      !Number.isSafeInteger(body.amount) ||
      typeof body.notif_url !== 'string' ||
      typeof body.return_url !== 'string'
    ) {
      return {
        status: 400,
        json: {
          code: 21,
          message: 'Missing or invalid body',
          description: 'order_id, amount, notif_url, return_url required',
        },
      };
    }
    if (fake.payments.has(orderId))
      return { status: 403, json: { code: 61, message: 'Forbidden', description: 'order_id already used' } };
    const payToken = `v1${randomBytes(20).toString('hex')}`;
    const payment: WebPayPayment = {
      orderId,
      amount: body.amount,
      currency: String(body.currency),
      payToken,
      notifToken: randomBytes(16).toString('hex'),
      notifUrl: body.notif_url,
      returnUrl: body.return_url,
      status: 'INITIATED',
      txnid: '',
      body,
    };
    fake.payments.set(orderId, payment);
    return {
      status: 201,
      json: {
        status: 201,
        message: 'OK',
        pay_token: payToken,
        payment_url: `${fake.url.replace(/\/orange-money-webpay.*$/, '')}/payment/pay_token/${payToken}`,
        notif_token: payment.notifToken,
      },
    };
  }

  function transactionStatus(body: Record<string, unknown>): Reply {
    fake.statusQueries += 1;
    const payment = typeof body.order_id === 'string' ? fake.payments.get(body.order_id) : undefined;
    if (payment === undefined || payment.payToken !== body.pay_token || payment.amount !== body.amount)
      return { status: 404, json: { code: 404, message: 'Transaction not found' } };
    return { status: 201, json: { status: payment.status, order_id: payment.orderId, txnid: payment.txnid } };
  }

  function route(req: IncomingMessage, raw: string): Reply {
    if (req.method !== 'POST') return { status: 405, json: {} };
    if (req.url === '/oauth/v3/token') return token(req, raw);
    const base = `/orange-money-webpay/${fake.env}/v1/`;
    if (!req.url?.startsWith(base))
      return { status: 404, json: { code: 404, message: 'Resource not found' } };
    if (!authorized(req))
      return {
        status: 401,
        json: {
          code: 42,
          message: 'Expired credentials',
          description: 'The requested service needs credentials, and the ones provided were out-of-date.',
        },
      };
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return { status: 400, json: { code: 21, message: 'Invalid JSON' } };
    }
    if (body === null || typeof body !== 'object')
      return { status: 400, json: { code: 21, message: 'Invalid JSON' } };
    const action = req.url.slice(base.length);
    if (action === 'webpayment') return webpayment(body as Record<string, unknown>);
    if (action === 'transactionstatus') return transactionStatus(body as Record<string, unknown>);
    return { status: 404, json: { code: 404, message: 'Resource not found' } };
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = route(req, Buffer.concat(chunks).toString('utf8'));
      setTimeout(() => {
        if (res.destroyed) return;
        res.writeHead(reply.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(reply.json));
      }, fake.delayMs);
    });
  }

  server = await listenLoopback(handle);
  fake.url = server.origin;
  fake.tokenUrl = `${server.origin}/oauth/v3/token`;
  return fake;
}
