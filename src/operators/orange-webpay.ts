import { createHash } from 'node:crypto';
import { operatorFailure } from '../core/operator-failures.js';
import type { Clock } from '../core/clock.js';
import type {
  DebitOutcome,
  DebitRequest,
  OperatorAction,
  OperatorConnector,
  OperatorNotification,
  OperatorOutcome,
  RawNotification,
} from './connector.js';
import { jsonOf, operatorHttp } from './http.js';
import { type ConnectorDeps, type ConnectorFactory, notifyUrl } from './registry.js';
import { ConnectorConfigError, type Settings } from './secrets.js';

/**
 * Orange Money Web Payment ("WebPay", ADR 0011) for ORANGE CI and ORANGE MALI, whose customers
 * pay on Orange's own page (validation mode operator_redirect):
 *
 * 1. `POST {tokenUrl}` with `Authorization: Basic base64(client_id:client_secret)` and
 *    `grant_type=client_credentials` → `{access_token, expires_in}` (Orange's OAuth v3), cached.
 * 2. `POST {baseUrl}/orange-money-webpay/{env}/v1/webpayment` with a Bearer token and
 *    `{merchant_key, currency, order_id, amount, return_url, cancel_url, notif_url, lang, reference}`
 *    → 201 `{status, message, pay_token, payment_url, notif_token}`; the customer goes to payment_url.
 * 3. Orange POSTs `{status, notif_token, txnid}` to notif_url when the payment ends; the
 *    notif_token it returned at step 2 is the only proof the notification comes from Orange.
 * 4. `POST …/transactionstatus` with `{order_id, amount, pay_token}` → `{status, order_id, txnid}`,
 *    status INITIATED, PENDING, SUCCESS, FAILED or EXPIRED.
 *
 * Sources: the Orange Developer "Orange Money WebPay Dev – Getting started" page (copy on Scribd,
 * 2019); community clients (an OrangeWebPaymentApi.php of a Symfony PaymentBundle,
 * hamidou7/wanna-orange-money-api); 4pay's and SandPay's integration notes (status list, form
 * body of the token call); afro.tools' Orange Money Mali notes (a re-used order_id answers 403).
 *
 * WebPay has no payout: payins only.
 */
export const ORANGE_WEBPAY_TYPE = 'orange-webpay';
export const ORANGE_WEBPAY_OPERATORS = ['16', '18'] as const;

/** Our limit for order_id; the sources state none, 30 is the shortest seen in integrations. */
export const ORDER_ID_CHARS_MAX = 30;
/** Requests remembered for status queries and notifications; the oldest are forgotten first. */
export const WEBPAY_REMEMBERED_MAX = 10_000;
/** A token is renewed this long before Orange says it expires. */
const TOKEN_MARGIN_MS = 60_000;
const TEXT_CHARS_MAX = 512;

/**
 * The order_id for a Cauri reference. Payin references (`pay_` + 26 characters + `.n`) are one or
 * two characters too long, so the `pay_` prefix is dropped; what is left is still unique and
 * reversible (`referenceOfOrderId`). Anything longer becomes a deterministic hash, so a re-send
 * after a restart carries the same order_id and Orange refuses it (403) instead of taking a
 * second payment.
 */
export function orderIdOf(reference: string): string {
  if (reference.length <= ORDER_ID_CHARS_MAX) return reference;
  const short = reference.startsWith('pay_') ? reference.slice(4) : reference;
  if (short.length <= ORDER_ID_CHARS_MAX && /^[a-z2-7]{26}\.\d{1,3}$/.test(short)) return short;
  return `h${createHash('sha256')
    .update(reference)
    .digest('hex')
    .slice(0, ORDER_ID_CHARS_MAX - 1)}`;
}

/** The reference an order_id came from, when it is reversible. */
export function referenceOfOrderId(orderId: string): string | undefined {
  if (/^[a-z2-7]{26}\.\d{1,3}$/.test(orderId)) return `pay_${orderId}`;
  if (/^(pay|po)_[a-z2-7]{1,26}(\.\d{1,3})?$/.test(orderId)) return orderId;
  return undefined;
}

/** A notif_token is looked up by its digest, so a probe cannot time the comparison. */
function tokenKey(notifToken: string): string {
  return createHash('sha256').update(notifToken).digest('hex');
}

interface Remembered {
  reference: string;
  operatorId: string;
  orderId: string;
  amountXof: number;
  payToken: string;
  notifKey: string;
}

/** A bounded map that forgets its oldest entries. */
class Bounded<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly max: number) {}
  get(key: string): V | undefined {
    return this.map.get(key);
  }
  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.max) {
      const oldest = this.map.keys().next();
      if (oldest.done === true) break;
      this.map.delete(oldest.value);
    }
  }
}

export interface WebPayOptions {
  tokenUrl: string;
  baseUrl: string;
  env: string;
  /** `Basic …`, from settings.authorizationHeader or clientId/clientSecret. */
  authorization: string;
  merchantKey: string;
  currency: string;
  lang: string;
  publicUrl: string;
  timeoutMs: number;
  clock: Clock;
  operators: readonly string[];
}

/** WebPay's status of a payment, as Cauri's outcome (ADR 0011). Undefined for an unknown status. */
export function outcomeOfStatus(
  status: unknown,
  txnid: unknown,
  payToken: string,
): OperatorOutcome | undefined {
  const ref = typeof txnid === 'string' && txnid !== '' ? txnid.slice(0, TEXT_CHARS_MAX) : payToken;
  switch (status) {
    case 'SUCCESS':
      return { state: 'completed', operatorReference: ref };
    case 'FAILED':
      return operatorFailure('declined', 'Orange Money WebPay status FAILED', ref);
    case 'EXPIRED':
      return operatorFailure('expired', 'Orange Money WebPay status EXPIRED', ref);
    case 'INITIATED':
    case 'PENDING':
      return { state: 'pending' };
    default:
      return undefined;
  }
}

export class OrangeWebPayConnector implements OperatorConnector {
  private token: { value: string; expiresAtMs: number } | undefined;
  private readonly byReference = new Bounded<Remembered>(WEBPAY_REMEMBERED_MAX);
  private readonly byNotifKey = new Bounded<string>(WEBPAY_REMEMBERED_MAX);

  constructor(private readonly options: WebPayOptions) {}

  serves(operatorId: string, action: OperatorAction): boolean {
    return action === 'debit' && this.options.operators.includes(operatorId);
  }

  requestCredit(): Promise<OperatorOutcome> {
    return Promise.resolve(operatorFailure('operator_unavailable', 'Orange Money WebPay has no payout'));
  }

  private url(action: 'webpayment' | 'transactionstatus'): string {
    return `${this.options.baseUrl}/orange-money-webpay/${encodeURIComponent(this.options.env)}/v1/${action}`;
  }

  private async accessToken(): Promise<string> {
    const nowMs = this.options.clock.nowMs();
    if (this.token !== undefined && nowMs < this.token.expiresAtMs) return this.token.value;
    const response = await operatorHttp({
      method: 'POST',
      url: this.options.tokenUrl,
      headers: {
        authorization: this.options.authorization,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: 'grant_type=client_credentials',
      timeoutMs: this.options.timeoutMs,
    });
    const json = jsonOf(response.text) as { access_token?: unknown; expires_in?: unknown } | undefined;
    // Never the body in the message: a token endpoint may echo credentials.
    if (
      response.status !== 200 ||
      typeof json?.access_token !== 'string' ||
      json.access_token === '' ||
      json.access_token.length > 4096
    ) {
      throw new Error(`Orange OAuth token request answered HTTP ${response.status}`);
    }
    const expiresInS = typeof json.expires_in === 'number' ? json.expires_in : Number(json.expires_in);
    const lifetimeMs =
      Number.isFinite(expiresInS) && expiresInS > 0 ? Math.min(expiresInS, 90 * 86_400) * 1000 : 3_600_000;
    this.token = {
      value: json.access_token,
      expiresAtMs: nowMs + Math.max(lifetimeMs - TOKEN_MARGIN_MS, 1_000),
    };
    return json.access_token;
  }

  /** A JSON POST with the Bearer token; one retry with a fresh token on 401 (nothing was created). */
  private async post(url: string, body: unknown): Promise<{ status: number; json: unknown }> {
    for (let attempt = 1; ; attempt++) {
      const token = await this.accessToken();
      const response = await operatorHttp({
        method: 'POST',
        url,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          accept: 'application/json',
        },
        body: JSON.stringify(body),
        timeoutMs: this.options.timeoutMs,
      });
      if (response.status === 401 && attempt === 1) {
        this.token = undefined;
        continue;
      }
      return { status: response.status, json: jsonOf(response.text) };
    }
  }

  async requestDebit(request: DebitRequest): Promise<DebitOutcome> {
    if (!this.options.operators.includes(request.operatorId))
      return operatorFailure('operator_unavailable', `not configured for operator ${request.operatorId}`);
    const orderId = orderIdOf(request.reference);
    const returnUrl = request.returnUrl !== '' ? request.returnUrl : this.options.publicUrl;
    const { status, json } = await this.post(this.url('webpayment'), {
      merchant_key: this.options.merchantKey,
      currency: this.options.currency,
      order_id: orderId,
      amount: request.amountXof,
      return_url: returnUrl,
      cancel_url: returnUrl,
      notif_url: notifyUrl(this.options.publicUrl, request.operatorId),
      lang: this.options.lang,
      reference: request.merchantName.slice(0, 30),
    });
    const answer = (json ?? {}) as {
      pay_token?: unknown;
      payment_url?: unknown;
      notif_token?: unknown;
      message?: unknown;
    };
    if (status === 200 || status === 201) {
      const { pay_token: payToken, payment_url: paymentUrl, notif_token: notifToken } = answer;
      if (
        typeof payToken !== 'string' ||
        typeof notifToken !== 'string' ||
        typeof paymentUrl !== 'string' ||
        !isHttpUrl(paymentUrl) ||
        payToken === '' ||
        notifToken === ''
      ) {
        throw new Error(
          `Orange WebPay answered HTTP ${status} without pay_token, notif_token and payment_url`,
        );
      }
      const notifKey = tokenKey(notifToken);
      const remembered: Remembered = {
        reference: request.reference,
        operatorId: request.operatorId,
        orderId,
        amountXof: request.amountXof,
        payToken,
        notifKey,
      };
      this.byReference.set(request.reference, remembered);
      this.byNotifKey.set(notifKey, request.reference);
      // The gateway keeps this with the attempt, so that any instance can ask after any restart.
      return { state: 'pending', redirectUrl: paymentUrl, operatorState: stateOf(remembered) };
    }
    const message = typeof answer.message === 'string' ? answer.message.slice(0, 200) : '';
    // 400: Orange refused the request as malformed; no payment page exists.
    if (status === 400)
      return operatorFailure('invalid_request', `HTTP 400${message === '' ? '' : `: ${message}`}`);
    // 403 is also the answer to a re-used order_id: a payment for this reference may exist.
    throw new Error(`Orange WebPay answered HTTP ${status}${message === '' ? '' : `: ${message}`}`);
  }

  /**
   * Needs the pay_token and amount of the create call: remembered by this process, or handed back
   * by the gateway as the attempt's operator state (after a restart, or on another instance). A
   * request known neither way stays pending; never a final answer Orange did not give.
   */
  async queryStatus(
    reference: string,
    _operatorId?: string,
    operatorState?: string,
  ): Promise<OperatorOutcome> {
    const known = this.byReference.get(reference) ?? rememberedOf(reference, operatorState);
    if (known === undefined) return { state: 'pending' };
    const { status, json } = await this.post(this.url('transactionstatus'), {
      order_id: known.orderId,
      amount: known.amountXof,
      pay_token: known.payToken,
    });
    if (status !== 200 && status !== 201)
      throw new Error(`Orange WebPay transactionstatus answered HTTP ${status}`);
    const answer = (json ?? {}) as { status?: unknown; txnid?: unknown };
    const outcome = outcomeOfStatus(answer.status, answer.txnid, known.payToken);
    if (outcome === undefined) throw new Error('Orange WebPay transactionstatus answered an unknown status');
    return outcome;
  }

  /**
   * Genuine only when its notif_token is the one Orange gave for a request of this operator.
   * A notification whose token this process does not know (after a restart) but whose order_id
   * names a reference is only a hint: pending with `verify`, so the gateway asks `queryStatus`.
   */
  parseNotification(operatorId: string, raw: RawNotification): OperatorNotification | undefined {
    const body = typeof raw.body === 'string' ? jsonOf(raw.body) : raw.body;
    if (body === null || typeof body !== 'object') return undefined;
    const { status, notif_token: notifToken, txnid, order_id: orderId } = body as Record<string, unknown>;
    if (typeof notifToken !== 'string' || notifToken === '' || notifToken.length > 512) return undefined;
    const reference = this.byNotifKey.get(tokenKey(notifToken));
    const known = reference === undefined ? undefined : this.byReference.get(reference);
    if (known === undefined || known.notifKey !== tokenKey(notifToken)) {
      const hinted = typeof orderId === 'string' ? referenceOfOrderId(orderId) : undefined;
      return hinted === undefined
        ? undefined
        : { reference: hinted, outcome: { state: 'pending' }, verify: true };
    }
    if (known.operatorId !== operatorId) return undefined;
    const outcome = outcomeOfStatus(status, txnid, known.payToken);
    return outcome === undefined
      ? { reference: known.reference, outcome: { state: 'pending' }, verify: true }
      : { reference: known.reference, outcome };
  }
}

/** The attempt's operator state: what `queryStatus` needs, and the notif_token's digest (not the token). */
function stateOf(remembered: Remembered): string {
  const { orderId, amountXof, payToken, notifKey, operatorId } = remembered;
  return JSON.stringify({ v: 1, orderId, amountXof, payToken, notifKey, operatorId });
}

function rememberedOf(reference: string, operatorState: string | undefined): Remembered | undefined {
  if (operatorState === undefined) return undefined;
  const parsed = jsonOf(operatorState) as Partial<Record<keyof Remembered | 'v', unknown>> | undefined;
  if (parsed === undefined || parsed === null || parsed.v !== 1) return undefined;
  const { orderId, amountXof, payToken, notifKey, operatorId } = parsed;
  if (
    typeof orderId !== 'string' ||
    typeof payToken !== 'string' ||
    typeof notifKey !== 'string' ||
    typeof operatorId !== 'string'
  )
    return undefined;
  if (typeof amountXof !== 'number' || !Number.isSafeInteger(amountXof) || orderId !== orderIdOf(reference))
    return undefined;
  return { reference, operatorId, orderId, amountXof, payToken, notifKey };
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

function basicAuthorization(settings: Settings): string {
  const header = settings.optionalSecret('authorizationHeader');
  if (header !== undefined) return /^Basic\s+/i.test(header) ? header : `Basic ${header}`;
  const clientId = settings.optionalSecret('clientId');
  const clientSecret = settings.optionalSecret('clientSecret');
  if (clientId === undefined || clientSecret === undefined) {
    throw new ConnectorConfigError(
      'orange-webpay settings need authorizationHeader, or clientId and clientSecret',
    );
  }
  return `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
}

export const orangeWebPayFactory: ConnectorFactory = {
  type: ORANGE_WEBPAY_TYPE,
  operators: ORANGE_WEBPAY_OPERATORS,
  create(settings: Settings, operators: readonly string[], deps: ConnectorDeps): OperatorConnector {
    const env = settings.string('env');
    if (!/^[a-z]{2,8}$/.test(env))
      throw new ConnectorConfigError(
        'orange-webpay settings.env must be the path segment of the country, e.g. "ci", "ml", or "dev"',
      );
    // One merchant key and one country path per entry: Côte d'Ivoire and Mali are two entries.
    if (operators.length > 1 && env !== 'dev')
      throw new ConnectorConfigError(
        'orange-webpay serves one country per entry (one merchant key, one env): list one operator',
      );
    const currency = settings.string('currency', env === 'dev' ? 'OUV' : 'XOF');
    if (!/^[A-Z]{3}$/.test(currency))
      throw new ConnectorConfigError(
        'orange-webpay settings.currency must be a 3-letter code (XOF, or OUV in dev)',
      );
    const lang = settings.string('lang', 'fr');
    if (!/^[a-z]{2}$/.test(lang))
      throw new ConnectorConfigError('orange-webpay settings.lang must be a 2-letter language');
    return new OrangeWebPayConnector({
      tokenUrl: settings.url('tokenUrl', 'https://api.orange.com/oauth/v3/token'),
      baseUrl: settings.url('baseUrl', 'https://api.orange.com'),
      env,
      authorization: basicAuthorization(settings),
      merchantKey: settings.secret('merchantKey'),
      currency,
      lang,
      publicUrl: deps.publicUrl,
      timeoutMs: deps.timeoutMs,
      clock: deps.clock,
      operators,
    });
  },
};
