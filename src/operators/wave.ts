import { createHmac, timingSafeEqual } from 'node:crypto';
import { type OperatorFailureCode, operatorFailure } from '../core/operator-failures.js';
import type {
  CreditRequest,
  DebitOutcome,
  DebitRequest,
  OperatorAction,
  OperatorConnector,
  OperatorNotification,
  OperatorOutcome,
  RawNotification,
  RefundRequest,
} from './connector.js';
import { type OperatorHttpResponse, jsonOf, operatorHttp } from './http.js';
import type { ConnectorDeps, ConnectorFactory } from './registry.js';
import type { Settings } from './secrets.js';

/**
 * Wave Senegal (catalogue operator '39') through Wave's Business API (ADR 0013): Checkout
 * sessions for payins (the customer pays in the Wave app from `wave_launch_url`), Payouts for
 * payouts, and signed webhooks. Sources: docs.wave.com/checkout, /payout, /webhook (as quoted by
 * the integrations cited in the ADR) and ../shared/spec/operator-apis.md §1.2.
 */
export const WAVE_SN_OPERATOR_ID = '39';

/** Wave refuses a webhook older than five minutes (docs.wave.com/webhook); Cauri does the same. */
export const WAVE_SIGNATURE_TOLERANCE_MS = 5 * 60_000;
const SIGNATURE_HEADER_CHARS_MAX = 2_048;
const SIGNATURES_MAX = 8;
/** Wave's `client_reference` holds up to 255 characters; Cauri's references are far shorter. */
const CLIENT_REFERENCE_CHARS_MAX = 255;

interface WaveSettings {
  baseUrl: string;
  apiKey: string;
  webhookSecret: string;
  currency: string;
}

/** A checkout session as Wave returns it (the fields Cauri reads). */
interface WaveSession {
  id: string;
  checkoutStatus: string;
  paymentStatus: string;
  transactionId?: string;
  clientReference?: string;
  launchUrl?: string;
  lastPaymentError?: string;
}

interface WavePayout {
  id: string;
  status: string;
  errorCode?: string;
  errorMessage?: string;
}

/**
 * Wave's payout error codes (docs.wave.com/payout, "Errors"), as Cauri's failure codes. A code not
 * listed here is never read as a failure: the payout stays pending and is asked about again.
 * `insufficient-funds` is the merchant's own Wave float, not the customer's account, hence an
 * operator error.
 */
export const WAVE_PAYOUT_ERRORS: Readonly<Record<string, OperatorFailureCode>> = {
  'insufficient-funds': 'operator_error',
  'recipient-limit-exceeded': 'limit_reached',
  'recipient-account-blocked': 'account_inactive',
  'recipient-account-inactive': 'account_inactive',
  'blocked-account': 'account_inactive',
  'recipient-minor': 'not_allowed',
  'country-mismatch': 'not_allowed',
  'currency-mismatch': 'invalid_request',
  'aggregated-merchant-required': 'invalid_request',
  'invalid-aggregated-merchant-id': 'invalid_request',
  'request-validation-error': 'invalid_request',
  'request-parsing-error': 'invalid_request',
  'request-not-json': 'invalid_request',
};

/** Checkout errors that mean "no session was created". */
const WAVE_CHECKOUT_ERRORS: Readonly<Record<string, OperatorFailureCode>> = {
  'request-validation-error': 'invalid_request',
  'request-parsing-error': 'invalid_request',
  'request-not-json': 'invalid_request',
  'currency-mismatch': 'invalid_request',
  'aggregated-merchant-required': 'invalid_request',
  'invalid-aggregated-merchant-id': 'invalid_request',
};

export type WaveRefund =
  { state: 'refunded'; operatorReference: string } | { state: 'refused'; reason: string };

export class WaveConnector implements OperatorConnector {
  constructor(
    private readonly settings: WaveSettings,
    private readonly deps: ConnectorDeps,
  ) {}

  serves(operatorId: string, _action: OperatorAction): boolean {
    return operatorId === WAVE_SN_OPERATOR_ID;
  }

  /** A checkout session; the customer approves in the Wave app (Cauri's page links to it). */
  async requestDebit(request: DebitRequest): Promise<DebitOutcome> {
    const response = await this.http('POST', '/v1/checkout/sessions', {
      // The reference is fixed per attempt: a repeated call returns the session created first.
      idempotencyKey: request.reference,
      body: {
        amount: String(request.amountXof),
        currency: this.settings.currency,
        client_reference: request.reference.slice(0, CLIENT_REFERENCE_CHARS_MAX),
        success_url: request.returnUrl,
        error_url: request.returnUrl,
      },
    });
    if (response.status !== 200)
      return this.refusedOrThrow(response, WAVE_CHECKOUT_ERRORS, 'checkout session');
    const session = sessionOf(jsonOf(response.text));
    if (session?.launchUrl === undefined)
      throw new Error('Wave answered a checkout session without wave_launch_url');
    const outcome = sessionOutcome([session]);
    return outcome.state === 'pending' ? { state: 'pending', redirectUrl: session.launchUrl } : outcome;
  }

  async requestCredit(request: CreditRequest): Promise<OperatorOutcome> {
    const response = await this.http('POST', '/v1/payout', {
      // Wave pays once per idempotency key (docs.wave.com/payout, "Idempotency").
      idempotencyKey: request.reference,
      body: {
        currency: this.settings.currency,
        receive_amount: String(request.amountXof),
        mobile: `+${request.phone}`,
        client_reference: request.reference.slice(0, CLIENT_REFERENCE_CHARS_MAX),
      },
    });
    if (response.status !== 200) return this.refusedOrThrow(response, WAVE_PAYOUT_ERRORS, 'payout');
    const payout = payoutOf(jsonOf(response.text));
    if (payout === undefined) throw new Error('Wave answered a payout without id and status');
    return payoutOutcome([payout]);
  }

  async queryStatus(reference: string): Promise<OperatorOutcome> {
    const query = `client_reference=${encodeURIComponent(reference)}`;
    // Payouts, and refunds paid back as payouts (ADR 0024), are Wave payouts.
    if (reference.startsWith('po_') || reference.startsWith('rf_')) {
      const payouts = await this.search('/v1/payouts/search', query, payoutOf);
      return payoutOutcome(payouts);
    }
    return sessionOutcome(await this.search('/v1/checkout/sessions/search', query, sessionOf));
  }

  /**
   * A webhook (docs.wave.com/webhook): `Wave-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]`,
   * each v1 an HMAC-SHA256 keyed by the webhook secret over the timestamp followed by the raw
   * body. The raw body is `raw.rawBody` when the gateway passes it; otherwise the parsed body is
   * serialised again, which matches Wave's compact JSON but not a body formatted differently (such
   * a webhook is refused, and the resolver's status query settles the payin instead).
   */
  parseNotification(operatorId: string, raw: RawNotification): OperatorNotification | undefined {
    if (operatorId !== WAVE_SN_OPERATOR_ID) return undefined;
    const body = rawBodyOf(raw);
    if (body === undefined || !this.signatureValid(headerOf(raw.headers, 'wave-signature'), body))
      return undefined;
    const event = jsonOf(body);
    if (event === null || typeof event !== 'object') return undefined;
    const { type, data } = event as { type?: unknown; data?: unknown };
    const session = sessionOf(data);
    if (session?.clientReference === undefined) return undefined;
    if (type === 'checkout.session.completed') {
      const outcome = sessionOutcome([session]);
      return { reference: session.clientReference, outcome };
    }
    // A failed attempt leaves the session open for another try: only the status query decides.
    if (type === 'checkout.session.payment_failed')
      return { reference: session.clientReference, outcome: { state: 'pending' }, verify: true };
    return undefined;
  }

  /** Refunds a completed payin (POST /v1/checkout/sessions/:id/refund). Not yet called by the gateway. */
  async refundPayin(reference: string): Promise<WaveRefund> {
    const sessions = await this.search(
      '/v1/checkout/sessions/search',
      `client_reference=${encodeURIComponent(reference)}`,
      sessionOf,
    );
    const paid = sessions.find((s) => s.paymentStatus === 'succeeded');
    if (paid === undefined)
      return { state: 'refused', reason: 'no paid Wave checkout session for this reference' };
    const response = await this.http(
      'POST',
      `/v1/checkout/sessions/${encodeURIComponent(paid.id)}/refund`,
      {},
    );
    if (response.status === 200) return { state: 'refunded', operatorReference: paid.id };
    return this.refusalOf(response);
  }

  /**
   * Wave's checkout refund returns the whole payment and takes no amount (docs.wave.com/checkout,
   * "Refund a checkout session"), so only whole refunds go through it; a partial one goes as a
   * payout to the payer (ADR 0024).
   */
  refunds(operatorId: string, partial: boolean): boolean {
    return operatorId === WAVE_SN_OPERATOR_ID && !partial;
  }

  /**
   * The gateway's refund (ADR 0024): the session already refunded answers completed without a
   * second POST, whoever asks; otherwise the paid session is refunded, keyed by the refund's own
   * reference. A refusal Wave states is a failure; any other answer leaves it unknown (throws).
   */
  async refund(request: RefundRequest): Promise<OperatorOutcome> {
    const sessions = await this.sessionsOf(request.payinReference);
    const done = refundedOutcome(sessions);
    if (done !== undefined) return done;
    const paid = sessions.find((s) => s.paymentStatus === 'succeeded');
    if (paid === undefined)
      return operatorFailure('invalid_request', 'Wave has no paid checkout session for this payin');
    const response = await this.http('POST', `/v1/checkout/sessions/${encodeURIComponent(paid.id)}/refund`, {
      idempotencyKey: request.reference,
    });
    if (response.status === 200) return { state: 'completed', operatorReference: paid.id };
    const refusal = this.refusalOf(response);
    return refusal.state === 'refused'
      ? operatorFailure('invalid_request', refusal.reason)
      : { state: 'completed', operatorReference: refusal.operatorReference };
  }

  /** Where a refund stands: completed once the payin's session reads refunded, else unknown (pending). */
  async queryRefund(request: RefundRequest): Promise<OperatorOutcome> {
    return refundedOutcome(await this.sessionsOf(request.payinReference)) ?? { state: 'pending' };
  }

  private sessionsOf(payinReference: string): Promise<WaveSession[]> {
    return this.search(
      '/v1/checkout/sessions/search',
      `client_reference=${encodeURIComponent(payinReference)}`,
      sessionOf,
    );
  }

  /** Reverses a payout within Wave's three days (POST /v1/payout/:id/reverse). Not yet called by the gateway. */
  async reversePayout(reference: string): Promise<WaveRefund> {
    const payouts = await this.search(
      '/v1/payouts/search',
      `client_reference=${encodeURIComponent(reference)}`,
      payoutOf,
    );
    const paid = payouts.find((p) => p.status === 'succeeded');
    if (paid === undefined)
      return { state: 'refused', reason: 'no succeeded Wave payout for this reference' };
    const response = await this.http('POST', `/v1/payout/${encodeURIComponent(paid.id)}/reverse`, {
      idempotencyKey: `${reference}.reverse`,
    });
    if (response.status === 200) return { state: 'refunded', operatorReference: paid.id };
    return this.refusalOf(response);
  }

  private signatureValid(header: string | undefined, body: string): boolean {
    if (header === undefined || header.length > SIGNATURE_HEADER_CHARS_MAX) return false;
    let timestamp: string | undefined;
    const signatures: string[] = [];
    for (const part of header.split(',')) {
      const [key, value] = splitOnce(part.trim(), '=');
      if (key === 't') timestamp = value;
      else if (key === 'v1' && /^[0-9a-f]{64}$/i.test(value) && signatures.length < SIGNATURES_MAX)
        signatures.push(value.toLowerCase());
    }
    if (timestamp === undefined || !/^\d{1,12}$/.test(timestamp) || signatures.length === 0) return false;
    if (Math.abs(this.deps.clock.nowMs() - Number(timestamp) * 1000) > WAVE_SIGNATURE_TOLERANCE_MS)
      return false;
    const expected = createHmac('sha256', this.settings.webhookSecret)
      .update(timestamp + body, 'utf8')
      .digest();
    return signatures.some((candidate) => timingSafeEqual(expected, Buffer.from(candidate, 'hex')));
  }

  private async search<T>(
    path: string,
    query: string,
    parse: (json: unknown) => T | undefined,
  ): Promise<T[]> {
    const response = await this.http('GET', `${path}?${query}`, {});
    if (response.status === 404) return [];
    if (response.status !== 200) return this.throwFor(response, 'search');
    const json = jsonOf(response.text);
    const result =
      json !== null && typeof json === 'object' ? (json as { result?: unknown }).result : undefined;
    if (!Array.isArray(result)) throw new Error(`Wave answered a search without a result list`);
    return result.slice(0, 100).flatMap((item) => {
      const parsed = parse(item);
      return parsed === undefined ? [] : [parsed];
    });
  }

  /** A refusal Wave states with a known code; any other answer leaves the outcome unknown (throws). */
  private refusedOrThrow(
    response: OperatorHttpResponse,
    known: Readonly<Record<string, OperatorFailureCode>>,
    what: string,
  ): OperatorOutcome {
    const error = errorOf(response.text);
    const mapped =
      error !== undefined &&
      response.status >= 400 &&
      response.status < 500 &&
      response.status !== 409 &&
      response.status !== 429
        ? known[error.code]
        : undefined;
    if (error !== undefined && mapped !== undefined)
      return operatorFailure(mapped, `Wave ${error.code}${error.message !== '' ? `: ${error.message}` : ''}`);
    return this.throwFor(response, what);
  }

  private refusalOf(response: OperatorHttpResponse): WaveRefund {
    if (
      response.status >= 500 ||
      response.status === 401 ||
      response.status === 403 ||
      response.status === 429
    )
      return this.throwFor(response, 'refund');
    const error = errorOf(response.text);
    return {
      state: 'refused',
      reason: error !== undefined ? `Wave ${error.code}: ${error.message}` : `Wave HTTP ${response.status}`,
    };
  }

  private throwFor(response: OperatorHttpResponse, what: string): never {
    const error = errorOf(response.text);
    const code = error !== undefined ? ` ${error.code}` : '';
    if (response.status === 401 || response.status === 403)
      throw new Error(`Wave refused the API key (HTTP ${response.status}${code}) on ${what}`);
    throw new Error(`Wave answered HTTP ${response.status}${code} on ${what}; the outcome is unknown`);
  }

  private http(
    method: 'GET' | 'POST',
    path: string,
    options: { body?: Record<string, unknown>; idempotencyKey?: string },
  ): Promise<OperatorHttpResponse> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.settings.apiKey}`,
      accept: 'application/json',
    };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
    return operatorHttp({
      method,
      url: `${this.settings.baseUrl}${path}`,
      headers,
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      timeoutMs: this.deps.timeoutMs,
    });
  }
}

/** Where the sessions of one reference stand: paid wins, all expired fails, anything else waits. */
export function sessionOutcome(sessions: readonly WaveSession[]): OperatorOutcome {
  const paid = sessions.find((s) => s.paymentStatus === 'succeeded');
  if (paid !== undefined) return { state: 'completed', operatorReference: paid.transactionId ?? paid.id };
  const closed = (s: WaveSession) => s.checkoutStatus === 'expired' || s.paymentStatus === 'cancelled';
  const last = sessions[sessions.length - 1];
  if (last !== undefined && sessions.every(closed)) {
    return operatorFailure(
      'expired',
      `Wave checkout ${last.checkoutStatus}/${last.paymentStatus}${last.lastPaymentError !== undefined ? `, ${last.lastPaymentError}` : ''}`,
      last.id,
    );
  }
  return { state: 'pending' };
}

/** A refund done: the payin's session reads `refunded` (ADR 0024: to be checked against Wave's docs). */
function refundedOutcome(sessions: readonly WaveSession[]): OperatorOutcome | undefined {
  const done = sessions.find((s) => s.paymentStatus === 'refunded');
  return done !== undefined ? { state: 'completed', operatorReference: done.id } : undefined;
}

/** Where the payouts of one reference stand (one, with the idempotency key). */
export function payoutOutcome(payouts: readonly WavePayout[]): OperatorOutcome {
  const paid = payouts.find((p) => p.status === 'succeeded');
  if (paid !== undefined) return { state: 'completed', operatorReference: paid.id };
  const last = payouts[payouts.length - 1];
  if (last === undefined || payouts.some((p) => p.status !== 'failed' && p.status !== 'reversed'))
    return { state: 'pending' };
  if (last.status === 'reversed') return operatorFailure('operator_error', 'Wave payout reversed', last.id);
  const mapped = last.errorCode !== undefined ? WAVE_PAYOUT_ERRORS[last.errorCode] : undefined;
  const detail = `Wave payout failed${last.errorCode !== undefined ? `: ${last.errorCode}` : ''}${last.errorMessage !== undefined ? ` (${last.errorMessage})` : ''}`;
  // Wave said "failed": that is final even when the error code is one Cauri does not know.
  return operatorFailure(mapped ?? 'operator_error', detail, last.id);
}

function sessionOf(json: unknown): WaveSession | undefined {
  if (json === null || typeof json !== 'object') return undefined;
  const r = json as Record<string, unknown>;
  const id = text(r.id);
  if (id === undefined) return undefined;
  const lastError =
    r.last_payment_error !== null && typeof r.last_payment_error === 'object'
      ? (r.last_payment_error as Record<string, unknown>)
      : undefined;
  const session: WaveSession = {
    id,
    checkoutStatus: text(r.checkout_status) ?? '',
    paymentStatus: text(r.payment_status) ?? '',
  };
  const transactionId = text(r.transaction_id);
  const clientReference = text(r.client_reference);
  const launchUrl = httpUrl(text(r.wave_launch_url));
  const lastPaymentError = lastError !== undefined ? text(lastError.code) : undefined;
  if (transactionId !== undefined) session.transactionId = transactionId;
  if (clientReference !== undefined) session.clientReference = clientReference;
  if (launchUrl !== undefined) session.launchUrl = launchUrl;
  if (lastPaymentError !== undefined) session.lastPaymentError = lastPaymentError;
  return session;
}

function payoutOf(json: unknown): WavePayout | undefined {
  if (json === null || typeof json !== 'object') return undefined;
  const r = json as Record<string, unknown>;
  const id = text(r.id);
  const status = text(r.status);
  if (id === undefined || status === undefined) return undefined;
  const payout: WavePayout = { id, status };
  const error =
    r.payout_error !== null && typeof r.payout_error === 'object'
      ? (r.payout_error as Record<string, unknown>)
      : undefined;
  const errorCode = error !== undefined ? text(error.error_code) : undefined;
  const errorMessage = error !== undefined ? text(error.error_message) : undefined;
  if (errorCode !== undefined) payout.errorCode = errorCode;
  if (errorMessage !== undefined) payout.errorMessage = errorMessage;
  return payout;
}

/** Wave's error body: `{"code": "...", "message": "..."}`. */
function errorOf(body: string): { code: string; message: string } | undefined {
  const json = jsonOf(body);
  if (json === null || typeof json !== 'object') return undefined;
  const code = text((json as Record<string, unknown>).code);
  return code === undefined
    ? undefined
    : { code, message: text((json as Record<string, unknown>).message) ?? '' };
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value.slice(0, 2_048) : undefined;
}

function httpUrl(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? value : undefined;
  } catch {
    return undefined;
  }
}

function splitOnce(part: string, separator: string): [string, string] {
  const at = part.indexOf(separator);
  return at < 0 ? [part, ''] : [part.slice(0, at), part.slice(at + 1)];
}

function headerOf(headers: RawNotification['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The exact bytes Wave signed: the raw body the notify route passes; else (an in-process
 * delivery) the parsed body serialised again, which matches compact JSON only.
 */
function rawBodyOf(raw: RawNotification): string | undefined {
  if (raw.rawBody !== undefined) return raw.rawBody;
  if (typeof raw.body === 'string') return raw.body;
  return raw.body === undefined ? undefined : JSON.stringify(raw.body);
}

export const waveFactory: ConnectorFactory = {
  type: 'wave',
  operators: [WAVE_SN_OPERATOR_ID],
  create(settings: Settings, _operators, deps) {
    return new WaveConnector(
      {
        baseUrl: settings.url('baseUrl', 'https://api.wave.com'),
        apiKey: settings.secret('apiKey'),
        webhookSecret: settings.secret('webhookSecret'),
        currency: settings.string('currency', 'XOF'),
      },
      deps,
    );
  },
};
