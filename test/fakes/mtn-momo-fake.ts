import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type LoopbackServer, listenLoopback } from './loopback-server.js';

/**
 * An offline MTN MoMo Open API for tests, on 127.0.0.1 (ADR 0010). It speaks MoMo's wire format
 * as the public sources describe it (sparkplug/momoapi-node, MTN-Group/MoMoAPIs_Javascript_sdk,
 * momodeveloper.mtn.com's callback and sandbox pages):
 *
 * - `POST /{collection|disbursement}/token/` with Basic apiUser:apiKey and the product's
 *   Ocp-Apim-Subscription-Key → 200 {access_token, token_type, expires_in}; 401 otherwise;
 * - `POST /collection/v1_0/requesttopay`, `POST /disbursement/v1_0/transfer` with Bearer token,
 *   subscription key, X-Target-Environment, X-Reference-Id (a UUID) and X-Callback-Url → 202 and
 *   an empty body; 409 {code: RESOURCE_ALREADY_EXIST} for a known X-Reference-Id; 400 for a bad body;
 * - `GET …/requesttopay/{id}`, `GET …/transfer/{id}` → the transaction with its status; 404
 *   {code: RESOURCE_NOT_FOUND} for an unknown id;
 * - the sandbox's magic numbers: 46733123450 failed, …451 rejected, …452 timeout (expired),
 *   …453 pending then successful, …454 pending;
 * - one callback per final transaction to X-Callback-Url, never retried.
 *
 * Test controls: outcomes per phone, counts of created transfers per X-Reference-Id and per
 * externalId, faults (delay, hang, lost answer, HTTP status) on the next matching requests, going
 * down (connections reset), callbacks sent or withheld, and a duplicate callback on demand.
 */
export type MomoProduct = 'collection' | 'disbursement';

export type MomoStatus = 'PENDING' | 'SUCCESSFUL' | 'FAILED';

export type FakeOutcome =
  | { status: 'SUCCESSFUL' }
  | { status: 'FAILED'; reason: string }
  | { status: 'PENDING' }
  /** Pending, then `then` after `afterMs` (the sandbox's 46733123453 does it after 30 s). */
  | {
      status: 'PENDING_THEN';
      afterMs: number;
      then: { status: 'SUCCESSFUL' } | { status: 'FAILED'; reason: string };
    };

export interface FakeCredentials {
  subscriptionKey: string;
  apiUser: string;
  apiKey: string;
}

export interface FakeTransaction {
  product: MomoProduct;
  referenceId: string;
  externalId: string;
  amount: string;
  currency: string;
  partyId: string;
  payerMessage: string;
  payeeNote: string;
  status: MomoStatus;
  reason?: string;
  financialTransactionId?: string;
  callbackUrl?: string;
  /** When a PENDING_THEN transaction becomes final (ms, real time). */
  finalAtMs?: number;
  finalOutcome?: { status: 'SUCCESSFUL' } | { status: 'FAILED'; reason: string };
  callbacksSent: number;
}

export type FakeRoute = 'token' | 'requesttopay' | 'transfer' | 'status';

export interface FakeFault {
  route: FakeRoute;
  /**
   * `hang`: never answer; `lost`: handle the request, then never answer (the answer is lost);
   * `delay`: answer after `delayMs`; `status`: answer `status` with `body` instead.
   */
  kind: 'hang' | 'lost' | 'delay' | 'status';
  delayMs?: number;
  status?: number;
  body?: unknown;
  /** How many matching requests it applies to (1 by default). */
  times?: number;
}

export interface FakeCallback {
  url: string;
  method: 'PUT' | 'POST';
  body: Record<string, unknown>;
}

/** Where the fake sends callbacks; by default an HTTP request to the URL. */
export type CallbackSender = (callback: FakeCallback) => Promise<void>;

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface MtnMomoFakeOptions {
  collection?: FakeCredentials;
  disbursement?: FakeCredentials;
  targetEnvironment?: string;
  currency?: string;
  tokenLifetimeS?: number;
  /** The delay of the sandbox's 46733123453 before it succeeds (30 s on MTN's sandbox). */
  magicPendingMs?: number;
  /** Answer FAILED reasons as `{code, message}` (older MoMo versions) instead of a string. */
  reasonAsObject?: boolean;
}

export const FAKE_COLLECTION: FakeCredentials = {
  subscriptionKey: 'coll-sub-key-0001',
  apiUser: '0b7d3f2a-8c4e-4a61-9d3b-2f1e6a7c8d90',
  apiKey: 'coll-api-key-secret',
};
export const FAKE_DISBURSEMENT: FakeCredentials = {
  subscriptionKey: 'disb-sub-key-0002',
  apiUser: '5e2c9a1b-3d4f-4e8a-b7c6-1a2b3c4d5e6f',
  apiKey: 'disb-api-key-secret',
};

export const MAGIC = {
  failed: '46733123450',
  rejected: '46733123451',
  timeout: '46733123452',
  pendingThenSuccess: '46733123453',
  pending: '46733123454',
} as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const BODY_BYTES_MAX = 64 * 1024;

export class MtnMomoFake {
  readonly requests: RecordedRequest[] = [];
  readonly transactions = new Map<string, FakeTransaction>();
  readonly tokensIssued: Record<MomoProduct, number> = { collection: 0, disbursement: 0 };
  readonly callbacks: (FakeCallback & { delivered: boolean })[] = [];
  /** Whether the fake sends callbacks of final transactions; `false` withholds them. */
  callbacksEnabled = true;
  callbackSender: CallbackSender = postCallback;
  url = '';

  private server: LoopbackServer | undefined;
  private readonly tokens = new Map<string, { product: MomoProduct; expiresAtMs: number }>();
  private readonly outcomes = new Map<string, FakeOutcome>();
  private readonly faults: FakeFault[] = [];
  private readonly hanging = new Set<ServerResponse>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly pendingCallbacks = new Set<Promise<void>>();
  private down = false;
  private financialSeq = 1_000_000;
  readonly options: Required<Omit<MtnMomoFakeOptions, 'collection' | 'disbursement'>> & {
    collection: FakeCredentials;
    disbursement: FakeCredentials;
  };

  constructor(options: MtnMomoFakeOptions = {}) {
    this.options = {
      collection: options.collection ?? FAKE_COLLECTION,
      disbursement: options.disbursement ?? FAKE_DISBURSEMENT,
      targetEnvironment: options.targetEnvironment ?? 'sandbox',
      currency: options.currency ?? 'XOF',
      tokenLifetimeS: options.tokenLifetimeS ?? 3600,
      magicPendingMs: options.magicPendingMs ?? 30_000,
      reasonAsObject: options.reasonAsObject ?? false,
    };
  }

  async start(): Promise<this> {
    // While down, the port stays open and every new connection is reset.
    this.server = await listenLoopback((req, res) => this.handle(req, res), {
      resetConnections: () => this.down,
    });
    this.url = this.server.origin;
    return this;
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    for (const res of this.hanging) res.destroy();
    this.server?.dropConnections();
    await Promise.allSettled([...this.pendingCallbacks]);
    await this.server?.close();
  }

  /** Connector settings for this fake: its URL, target environment and both products' credentials. */
  settings(extra: Record<string, unknown> = {}): Record<string, unknown> {
    const { collection, disbursement, targetEnvironment } = this.options;
    return {
      baseUrl: this.url,
      targetEnvironment,
      collectionSubscriptionKey: collection.subscriptionKey,
      collectionApiUser: collection.apiUser,
      collectionApiKey: collection.apiKey,
      disbursementSubscriptionKey: disbursement.subscriptionKey,
      disbursementApiUser: disbursement.apiUser,
      disbursementApiKey: disbursement.apiKey,
      ...extra,
    };
  }

  // ---- test controls ----

  /** What MoMo decides for requests to or from this phone. */
  setOutcome(phone: string, outcome: FakeOutcome): void {
    this.outcomes.set(phone, outcome);
  }

  fault(fault: FakeFault): void {
    this.faults.push({ times: 1, ...fault });
  }

  /** Down: every new connection is reset, and open ones are dropped. */
  setDown(down: boolean): void {
    this.down = down;
    if (down) this.server?.dropConnections();
  }

  /** Makes every issued token invalid, as if MoMo had rotated them. */
  expireTokens(): void {
    this.tokens.clear();
  }

  /** Created transfers (Disbursement) for an X-Reference-Id: a number above 1 is a double payment. */
  creditsByReferenceId(referenceId: string): number {
    return [...this.transactions.values()].filter(
      (t) => t.product === 'disbursement' && t.referenceId === referenceId,
    ).length;
  }

  creditsByExternalId(externalId: string): number {
    return [...this.transactions.values()].filter(
      (t) => t.product === 'disbursement' && t.externalId === externalId,
    ).length;
  }

  debitsByExternalId(externalId: string): number {
    return [...this.transactions.values()].filter(
      (t) => t.product === 'collection' && t.externalId === externalId,
    ).length;
  }

  transactionOf(externalId: string): FakeTransaction | undefined {
    return [...this.transactions.values()].find((t) => t.externalId === externalId);
  }

  /** Ends a pending transaction as the customer or MoMo would, and sends its callback once. */
  async settle(
    externalId: string,
    outcome: { status: 'SUCCESSFUL' } | { status: 'FAILED'; reason: string },
  ): Promise<void> {
    const transaction = this.transactionOf(externalId);
    if (transaction === undefined) throw new Error(`fake MoMo: no transaction ${externalId}`);
    this.finish(transaction, outcome);
    await this.flushCallbacks();
  }

  /** Sends the callback of a transaction again, as a duplicate. */
  async resendCallback(externalId: string): Promise<void> {
    const transaction = this.transactionOf(externalId);
    if (transaction === undefined) throw new Error(`fake MoMo: no transaction ${externalId}`);
    await this.sendCallback(transaction, true);
  }

  /** Waits for the callbacks under way. */
  async flushCallbacks(): Promise<void> {
    await Promise.allSettled([...this.pendingCallbacks]);
  }

  /** The body MoMo's status query and callback carry for a transaction. */
  bodyOf(transaction: FakeTransaction): Record<string, unknown> {
    this.advance(transaction);
    const party = { partyIdType: 'MSISDN', partyId: transaction.partyId };
    return {
      ...(transaction.financialTransactionId !== undefined
        ? { financialTransactionId: transaction.financialTransactionId }
        : {}),
      externalId: transaction.externalId,
      amount: transaction.amount,
      currency: transaction.currency,
      ...(transaction.product === 'collection' ? { payer: party } : { payee: party }),
      payerMessage: transaction.payerMessage,
      payeeNote: transaction.payeeNote,
      status: transaction.status,
      ...(transaction.reason !== undefined
        ? {
            reason: this.options.reasonAsObject
              ? { code: transaction.reason, message: `${transaction.reason} (fake)` }
              : transaction.reason,
          }
        : {}),
    };
  }

  // ---- the wire ----

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes <= BODY_BYTES_MAX) chunks.push(chunk);
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      this.requests.push({ method: req.method ?? '', path, headers: { ...req.headers }, body });
      const route = routeOf(req.method ?? '', path);
      const fault = route === undefined ? undefined : this.takeFault(route);
      if (fault?.kind === 'hang') {
        this.hanging.add(res);
        return;
      }
      if (fault?.kind === 'status') {
        send(res, fault.status ?? 500, fault.body);
        return;
      }
      const answer = this.answer(req, path, body);
      if (fault?.kind === 'lost') {
        this.hanging.add(res);
        return;
      }
      if (fault?.kind === 'delay') {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          send(res, answer.status, answer.body);
        }, fault.delayMs ?? 0);
        this.timers.add(timer);
        return;
      }
      send(res, answer.status, answer.body);
    });
  }

  private takeFault(route: FakeRoute): FakeFault | undefined {
    const index = this.faults.findIndex((f) => f.route === route);
    if (index < 0) return undefined;
    const fault = this.faults[index] as FakeFault;
    fault.times = (fault.times ?? 1) - 1;
    if (fault.times <= 0) this.faults.splice(index, 1);
    return fault;
  }

  private answer(req: IncomingMessage, path: string, body: string): { status: number; body?: unknown } {
    const token = /^\/(collection|disbursement)\/token\/?$/.exec(path);
    if (token && req.method === 'POST') return this.issueToken(req, token[1] as MomoProduct);
    const create = /^\/(collection)\/v1_0\/requesttopay$|^\/(disbursement)\/v1_0\/transfer$/.exec(path);
    if (create && req.method === 'POST')
      return this.authorized(req, (create[1] ?? create[2]) as MomoProduct, (p) => this.create(req, p, body));
    const status =
      /^\/(collection)\/v1_0\/requesttopay\/([^/]+)$|^\/(disbursement)\/v1_0\/transfer\/([^/]+)$/.exec(path);
    if (status && req.method === 'GET') {
      const product = (status[1] ?? status[3]) as MomoProduct;
      const referenceId = decodeURIComponent(status[2] ?? status[4] ?? '');
      return this.authorized(req, product, () => this.status(product, referenceId));
    }
    return { status: 404, body: { statusCode: 404, message: 'Resource not found' } };
  }

  private issueToken(req: IncomingMessage, product: MomoProduct): { status: number; body?: unknown } {
    const credentials = this.options[product];
    const expected = `Basic ${Buffer.from(`${credentials.apiUser}:${credentials.apiKey}`).toString('base64')}`;
    if (req.headers['ocp-apim-subscription-key'] !== credentials.subscriptionKey) {
      return {
        status: 401,
        body: {
          statusCode: 401,
          message:
            'Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.',
        },
      };
    }
    if (req.headers.authorization !== expected) return { status: 401, body: { error: 'login_failed' } };
    const accessToken = randomBytes(24).toString('base64url');
    this.tokens.set(accessToken, { product, expiresAtMs: Date.now() + this.options.tokenLifetimeS * 1000 });
    this.tokensIssued[product] += 1;
    return {
      status: 200,
      body: {
        access_token: accessToken,
        token_type: 'access_token',
        expires_in: this.options.tokenLifetimeS,
      },
    };
  }

  /** Subscription key, then bearer token of the same product, then target environment. */
  private authorized(
    req: IncomingMessage,
    product: MomoProduct,
    then: (product: MomoProduct) => { status: number; body?: unknown },
  ): { status: number; body?: unknown } {
    if (req.headers['ocp-apim-subscription-key'] !== this.options[product].subscriptionKey) {
      return {
        status: 401,
        body: {
          statusCode: 401,
          message:
            'Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.',
        },
      };
    }
    const bearer = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    const token = bearer === undefined ? undefined : this.tokens.get(bearer);
    if (token === undefined || token.product !== product || token.expiresAtMs <= Date.now()) {
      return {
        status: 401,
        body: { code: 'UNAUTHORIZED', message: 'Access token is missing, invalid or expired' },
      };
    }
    if (req.headers['x-target-environment'] !== this.options.targetEnvironment) {
      return {
        status: 403,
        body: {
          code: 'NOT_ALLOWED_TARGET_ENVIRONMENT',
          message: 'Access to target environment is forbidden.',
        },
      };
    }
    return then(product);
  }

  private create(
    req: IncomingMessage,
    product: MomoProduct,
    text: string,
  ): { status: number; body?: unknown } {
    const referenceId = String(req.headers['x-reference-id'] ?? '');
    if (!UUID.test(referenceId))
      return {
        status: 400,
        body: { code: 'INVALID_REFERENCE_ID', message: 'X-Reference-Id must be a UUID' },
      };
    if (this.transactions.has(`${product}:${referenceId}`)) {
      return {
        status: 409,
        body: {
          code: 'RESOURCE_ALREADY_EXIST',
          message: 'Duplicated reference id. Creation of resource failed.',
        },
      };
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return { status: 400, body: { code: 'BAD_REQUEST', message: 'The body is not JSON' } };
    }
    const partyKey = product === 'collection' ? 'payer' : 'payee';
    const party = body[partyKey] as { partyIdType?: unknown; partyId?: unknown } | undefined;
    const amount = body.amount;
    if (typeof amount !== 'string' || !/^\d+(\.\d+)?$/.test(amount) || Number(amount) <= 0)
      return {
        status: 400,
        body: { code: 'INVALID_AMOUNT', message: 'amount must be a positive number in a string' },
      };
    if (body.currency !== this.options.currency)
      return { status: 400, body: { code: 'INVALID_CURRENCY', message: 'Currency not supported.' } };
    if (
      party?.partyIdType !== 'MSISDN' ||
      typeof party.partyId !== 'string' ||
      !/^\d{6,15}$/.test(party.partyId)
    ) {
      return { status: 400, body: { code: 'INVALID_PARTY', message: `${partyKey} must be an MSISDN` } };
    }
    const callbackUrl = req.headers['x-callback-url'];
    const transaction: FakeTransaction = {
      product,
      referenceId,
      externalId: typeof body.externalId === 'string' ? body.externalId : '',
      amount,
      currency: body.currency,
      partyId: party.partyId,
      payerMessage: typeof body.payerMessage === 'string' ? body.payerMessage : '',
      payeeNote: typeof body.payeeNote === 'string' ? body.payeeNote : '',
      status: 'PENDING',
      ...(typeof callbackUrl === 'string' ? { callbackUrl } : {}),
      callbacksSent: 0,
    };
    this.transactions.set(`${product}:${referenceId}`, transaction);
    const outcome = this.outcomeFor(party.partyId);
    if (outcome.status === 'PENDING_THEN') {
      transaction.finalAtMs = Date.now() + outcome.afterMs;
      transaction.finalOutcome = outcome.then;
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.advance(transaction);
      }, outcome.afterMs);
      this.timers.add(timer);
    } else if (outcome.status !== 'PENDING') {
      // Processed right after the 202, as MoMo queues and runs it.
      setImmediate(() => this.finish(transaction, outcome));
      this.finish(transaction, outcome, false);
    }
    return { status: 202 };
  }

  private status(product: MomoProduct, referenceId: string): { status: number; body?: unknown } {
    const transaction = this.transactions.get(`${product}:${referenceId}`);
    if (transaction === undefined)
      return {
        status: 404,
        body: { code: 'RESOURCE_NOT_FOUND', message: 'Requested resource was not found.' },
      };
    return { status: 200, body: this.bodyOf(transaction) };
  }

  private outcomeFor(phone: string): FakeOutcome {
    const set = this.outcomes.get(phone);
    if (set !== undefined) return set;
    switch (phone) {
      case MAGIC.failed:
        return { status: 'FAILED', reason: 'INTERNAL_PROCESSING_ERROR' };
      case MAGIC.rejected:
        return { status: 'FAILED', reason: 'APPROVAL_REJECTED' };
      case MAGIC.timeout:
        return { status: 'FAILED', reason: 'EXPIRED' };
      case MAGIC.pendingThenSuccess:
        return {
          status: 'PENDING_THEN',
          afterMs: this.options.magicPendingMs,
          then: { status: 'SUCCESSFUL' },
        };
      case MAGIC.pending:
        return { status: 'PENDING' };
      default:
        return { status: 'SUCCESSFUL' };
    }
  }

  /** A PENDING_THEN transaction whose time has come becomes final. */
  private advance(transaction: FakeTransaction): void {
    if (
      transaction.status === 'PENDING' &&
      transaction.finalAtMs !== undefined &&
      transaction.finalOutcome !== undefined &&
      Date.now() >= transaction.finalAtMs
    ) {
      this.finish(transaction, transaction.finalOutcome);
    }
  }

  /** Makes a transaction final (once) and sends its one callback unless `notify` is false. */
  private finish(
    transaction: FakeTransaction,
    outcome: { status: 'SUCCESSFUL' } | { status: 'FAILED'; reason: string },
    notify = true,
  ): void {
    if (transaction.status === 'PENDING') {
      transaction.status = outcome.status;
      if (outcome.status === 'SUCCESSFUL') transaction.financialTransactionId = String(this.financialSeq++);
      else transaction.reason = outcome.reason;
    }
    if (notify && transaction.callbacksSent === 0) void this.sendCallback(transaction, false);
  }

  private sendCallback(transaction: FakeTransaction, duplicate: boolean): Promise<void> {
    if (transaction.callbackUrl === undefined || (!this.callbacksEnabled && !duplicate))
      return Promise.resolve();
    transaction.callbacksSent += 1;
    const callback: FakeCallback = {
      url: transaction.callbackUrl,
      method: 'POST',
      body: this.bodyOf(transaction),
    };
    const entry = { ...callback, delivered: false };
    this.callbacks.push(entry);
    // Sent once: a failure is recorded and never retried (momodeveloper.mtn.com/api-documentation/callback).
    const sending = this.callbackSender(callback).then(
      () => {
        entry.delivered = true;
      },
      () => undefined,
    );
    this.pendingCallbacks.add(sending);
    return sending.finally(() => this.pendingCallbacks.delete(sending));
  }
}

function routeOf(method: string, path: string): FakeRoute | undefined {
  if (/\/token\/?$/.test(path)) return 'token';
  if (method === 'POST' && path.endsWith('/requesttopay')) return 'requesttopay';
  if (method === 'POST' && path.endsWith('/transfer')) return 'transfer';
  if (method === 'GET') return 'status';
  return undefined;
}

function send(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status, { 'content-length': '0' });
    res.end();
    return;
  }
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json;charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}

/** The default sender: one HTTP POST with a 2 s bound, as MoMo's callback times out after 2 s. */
async function postCallback(callback: FakeCallback): Promise<void> {
  const response = await fetch(callback.url, {
    method: callback.method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(callback.body),
    signal: AbortSignal.timeout(2_000),
  });
  if (!response.ok) throw new Error(`callback answered ${response.status}`);
}

export async function startMtnMomoFake(options: MtnMomoFakeOptions = {}): Promise<MtnMomoFake> {
  return new MtnMomoFake(options).start();
}
