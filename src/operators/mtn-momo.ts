import { createHash } from 'node:crypto';
import type { Clock } from '../core/clock.js';
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
} from './connector.js';
import { type OperatorHttpResponse, jsonOf, operatorHttp } from './http.js';
import { type ConnectorDeps, type ConnectorFactory, notifyUrl } from './registry.js';
import { ConnectorConfigError, type Settings } from './secrets.js';

/**
 * MTN MoMo Open API (ADR 0010): MTN BENIN and MTN CI (XOF). Payins are Collection's
 * `requesttopay`, payouts Disbursement's `transfer`. Both answer 202 and finish later: MoMo sends
 * one unsigned callback, never retried (momodeveloper.mtn.com/api-documentation/callback), so the
 * status query `GET …/{X-Reference-Id}` is the only source of truth. Sources: sparkplug/momoapi-node
 * (src/auth.ts, collections.ts, disbursements.ts, errors.ts, common.ts) and
 * MTN-Group/MoMoAPIs_Javascript_sdk (docs/collections, docs/disbursements).
 */
/**
 * MTN GUINEE ('51') is left out on purpose: it settles in GNF, and Cauri's amounts are XOF, so an
 * amount sent as is would pay about a fifteenth of what the merchant meant (ADR 0010).
 */
export const MTN_MOMO_OPERATORS = ['1', '15'] as const;

export const MOMO_SANDBOX_URL = 'https://sandbox.momodeveloper.mtn.com';
/** Refresh a token this long before MoMo says it expires (sparkplug/momoapi-node src/auth.ts uses 60 s). */
export const TOKEN_REFRESH_MARGIN_MS = 60_000;
/** Bounds on what MoMo sends back, so that a wrong answer cannot grow memory or a record. */
export const TOKEN_CHARS_MAX = 8_192;
export const TOKEN_LIFETIME_S_MAX = 86_400;
export const OPERATOR_REFERENCE_CHARS_MAX = 100;
/** MoMo's payerMessage and payeeNote are short free text (160 is the common SMS bound). */
export const MOMO_NOTE_CHARS_MAX = 160;
const REFERENCE_CHARS_MAX = 100;

export type MomoProduct = 'collection' | 'disbursement';

export interface MomoCredentials {
  subscriptionKey: string;
  apiUser: string;
  apiKey: string;
}

export interface MomoSettings {
  baseUrl: string;
  targetEnvironment: string;
  currency: string;
  collection?: MomoCredentials;
  disbursement?: MomoCredentials;
}

/**
 * The X-Reference-Id of a Cauri reference: a UUIDv4 built from SHA-256, so that every instance and
 * every restart sends the same id and a re-send is answered 409 instead of paying twice.
 */
export function momoReferenceId(reference: string): string {
  const bytes = createHash('sha256').update(`cauri:mtn-momo:${reference}`).digest().subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Payouts (`po_…`) and refunds paid back as payouts (`rf_…`, ADR 0024) are Disbursement transfers;
 * payin attempts (`pay_….n`) are Collection requests.
 */
export function productOfReference(reference: string): MomoProduct | undefined {
  if (/^(po|rf)_[A-Za-z0-9_-]{1,96}$/.test(reference)) return 'disbursement';
  if (/^pay_[A-Za-z0-9_-]{1,90}\.\d{1,4}$/.test(reference)) return 'collection';
  return undefined;
}

/**
 * MoMo's failure reasons (sparkplug/momoapi-node src/common.ts `FailureReason`; MoMo's API
 * reference) onto Cauri's closed list. A reason nobody listed is the operator's own failure.
 */
const REASONS: Readonly<Record<string, OperatorFailureCode>> = {
  NOT_ENOUGH_FUNDS: 'insufficient_funds',
  PAYER_NOT_FOUND: 'payer_not_found',
  PAYEE_NOT_FOUND: 'payee_not_found',
  PAYER_LIMIT_REACHED: 'limit_reached',
  PAYEE_LIMIT_REACHED: 'limit_reached',
  SENDER_ACCOUNT_NOT_ACTIVE: 'account_inactive',
  NOT_ALLOWED: 'not_allowed',
  NOT_ALLOWED_TARGET_ENVIRONMENT: 'not_allowed',
  PAYEE_NOT_ALLOWED_TO_RECEIVE: 'not_allowed',
  APPROVAL_REJECTED: 'declined',
  PAYMENT_NOT_APPROVED: 'declined',
  TRANSACTION_CANCELED: 'declined',
  EXPIRED: 'expired',
  INVALID_CURRENCY: 'invalid_request',
  INVALID_CALLBACK_URL_HOST: 'invalid_request',
  COULD_NOT_PERFORM_TRANSACTION: 'operator_error',
  INTERNAL_PROCESSING_ERROR: 'operator_error',
  SERVICE_UNAVAILABLE: 'operator_error',
};

export function failureCodeOf(reason: string): OperatorFailureCode {
  return REASONS[reason] ?? 'operator_error';
}

/** A MoMo reason, which is a string in current answers and `{code, message}` in older ones. */
function reasonOf(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value.slice(0, 64);
  if (value !== null && typeof value === 'object' && typeof (value as { code?: unknown }).code === 'string')
    return ((value as { code: string }).code || undefined)?.slice(0, 64);
  return undefined;
}

function stringField(body: object, name: string): string | undefined {
  const value = (body as Record<string, unknown>)[name];
  return typeof value === 'string' && value !== '' && value.length <= OPERATOR_REFERENCE_CHARS_MAX
    ? value
    : undefined;
}

/**
 * The outcome of a transaction body (a status answer or a callback), or undefined when the body is
 * not one: then nothing is known and the caller must not decide. Sandbox magic numbers answer
 * FAILED with APPROVAL_REJECTED and EXPIRED; REJECTED and TIMEOUT are accepted as statuses too.
 */
export function outcomeOfTransaction(
  body: unknown,
  fallbackOperatorReference: string,
): OperatorOutcome | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const status = (body as { status?: unknown }).status;
  const financialId = stringField(body, 'financialTransactionId');
  switch (status) {
    case 'SUCCESSFUL':
      return { state: 'completed', operatorReference: financialId ?? fallbackOperatorReference };
    case 'PENDING':
    case 'CREATED':
      return { state: 'pending' };
    case 'FAILED': {
      const reason = reasonOf((body as { reason?: unknown }).reason) ?? 'UNSPECIFIED';
      return operatorFailure(failureCodeOf(reason), reason, financialId);
    }
    case 'REJECTED':
      return operatorFailure('declined', 'REJECTED', financialId);
    case 'TIMEOUT':
      return operatorFailure('expired', 'TIMEOUT', financialId);
    default:
      return undefined;
  }
}

/** Error codes on a request's answer that say "try again", not "refused". */
const TRANSIENT_CODES = new Set(['SERVICE_UNAVAILABLE', 'INTERNAL_PROCESSING_ERROR', 'RESOURCE_NOT_FOUND']);

/** MoMo's error bodies are `{code, message}` (sparkplug/momoapi-node src/errors.ts `ErrorBody`). */
function errorCodeOf(text: string): string | undefined {
  const body = jsonOf(text);
  return body !== null && typeof body === 'object' ? reasonOf((body as { code?: unknown }).code) : undefined;
}

/** An answer whose outcome is unknown; the message names the call, never a credential. */
export class MomoUnknownOutcome extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MomoUnknownOutcome';
  }
}

interface CachedToken {
  accessToken: string;
  refreshAtMs: number;
}

export function readMomoSettings(settings: Settings): MomoSettings {
  const currency = settings.string('currency', 'XOF');
  if (!/^[A-Z]{3}$/.test(currency))
    throw new ConnectorConfigError('mtn-momo settings.currency must be an ISO 4217 code such as XOF');
  const product = (name: MomoProduct): MomoCredentials | undefined => {
    const apiUser = settings.optionalSecret(`${name}ApiUser`);
    const apiKey = settings.optionalSecret(`${name}ApiKey`);
    const subscriptionKey = settings.optionalSecret(`${name}SubscriptionKey`);
    if (apiUser === undefined && apiKey === undefined && subscriptionKey === undefined) return undefined;
    if (apiUser === undefined || apiKey === undefined || subscriptionKey === undefined) {
      throw new ConnectorConfigError(
        `mtn-momo settings: ${name}SubscriptionKey, ${name}ApiUser and ${name}ApiKey go together`,
      );
    }
    return { apiUser, apiKey, subscriptionKey };
  };
  const collection = product('collection');
  const disbursement = product('disbursement');
  if (collection === undefined && disbursement === undefined)
    throw new ConnectorConfigError(
      'mtn-momo settings need the collection or the disbursement credentials, or both',
    );
  return {
    baseUrl: settings.url('baseUrl', MOMO_SANDBOX_URL),
    targetEnvironment: settings.string('targetEnvironment', 'sandbox'),
    currency,
    ...(collection ? { collection } : {}),
    ...(disbursement ? { disbursement } : {}),
  };
}

export class MtnMomoConnector implements OperatorConnector {
  private readonly tokens = new Map<MomoProduct, CachedToken>();
  private readonly fetching = new Map<MomoProduct, Promise<string>>();

  constructor(
    private readonly settings: MomoSettings,
    private readonly operators: readonly string[],
    private readonly deps: Pick<ConnectorDeps, 'timeoutMs' | 'publicUrl'> & { clock: Clock },
  ) {}

  serves(operatorId: string, action: OperatorAction): boolean {
    if (!this.operators.includes(operatorId)) return false;
    return action === 'debit'
      ? this.settings.collection !== undefined
      : this.settings.disbursement !== undefined;
  }

  async requestDebit(request: DebitRequest): Promise<DebitOutcome> {
    if (this.settings.collection === undefined)
      return operatorFailure('operator_unavailable', 'no MoMo collection credentials');
    const body = {
      amount: String(request.amountXof),
      currency: this.settings.currency,
      externalId: request.reference,
      payer: { partyIdType: 'MSISDN', partyId: request.phone },
      payerMessage: note(request.description || request.merchantName),
      payeeNote: note(request.merchantName),
    };
    return this.create('collection', '/collection/v1_0/requesttopay', request, body);
  }

  async requestCredit(request: CreditRequest): Promise<OperatorOutcome> {
    if (this.settings.disbursement === undefined)
      return operatorFailure('operator_unavailable', 'no MoMo disbursement credentials');
    const body = {
      amount: String(request.amountXof),
      currency: this.settings.currency,
      externalId: request.reference,
      payee: { partyIdType: 'MSISDN', partyId: request.phone },
      payerMessage: note(`Payout ${request.reference}`),
      payeeNote: note(request.reference),
    };
    return this.create('disbursement', '/disbursement/v1_0/transfer', request, body);
  }

  async queryStatus(reference: string, _operatorId: string): Promise<OperatorOutcome> {
    const product = productOfReference(reference);
    if (product === undefined)
      throw new MomoUnknownOutcome(
        `MoMo: ${reference.slice(0, REFERENCE_CHARS_MAX)} is neither a payout nor a payin attempt reference`,
      );
    // Without the product's credentials nothing can be known: pending, never failed.
    if (this.settings[product] === undefined) return { state: 'pending' };
    const referenceId = momoReferenceId(reference);
    const path =
      product === 'collection'
        ? `/collection/v1_0/requesttopay/${referenceId}`
        : `/disbursement/v1_0/transfer/${referenceId}`;
    const answer = await this.call(product, 'GET', path, {});
    // MoMo does not know the id (RESOURCE_NOT_FOUND): the request never arrived; the caller re-sends it.
    if (answer.status === 404) return { state: 'pending' };
    if (answer.status !== 200)
      throw new MomoUnknownOutcome(
        `MoMo ${product} status answered HTTP ${answer.status}${codeSuffix(answer.text)}`,
      );
    const body = jsonOf(answer.text);
    const externalId =
      body !== null && typeof body === 'object' ? (body as { externalId?: unknown }).externalId : undefined;
    // The id is ours, derived from the reference; another externalId means a collision or a defect.
    if (externalId !== undefined && externalId !== reference)
      throw new MomoUnknownOutcome(`MoMo ${product} status of ${reference} names another externalId`);
    const outcome = outcomeOfTransaction(body, referenceId);
    if (outcome === undefined)
      throw new MomoUnknownOutcome(`MoMo ${product} status answer is not a transaction`);
    return outcome;
  }

  /**
   * MoMo's callback (PUT or POST to X-Callback-Url) carries the transaction as the status query
   * answers it, with no signature: it is only a hint, and the gateway settles on `queryStatus`.
   */
  parseNotification(operatorId: string, raw: RawNotification): OperatorNotification | undefined {
    if (!this.operators.includes(operatorId)) return undefined;
    const body = raw.body;
    if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
    const reference = (body as { externalId?: unknown }).externalId;
    if (typeof reference !== 'string' || productOfReference(reference) === undefined) return undefined;
    const outcome = outcomeOfTransaction(body, momoReferenceId(reference));
    if (outcome === undefined) return undefined;
    return { reference, outcome, verify: true };
  }

  /** POST of a request that MoMo accepts with 202 and finishes later. */
  private async create(
    product: MomoProduct,
    path: string,
    request: { reference: string; operatorId: string },
    body: object,
  ): Promise<OperatorOutcome> {
    const answer = await this.call(
      product,
      'POST',
      path,
      {
        'x-reference-id': momoReferenceId(request.reference),
        'x-callback-url': notifyUrl(this.deps.publicUrl, request.operatorId),
        'content-type': 'application/json',
      },
      JSON.stringify(body),
    );
    if (answer.status === 202 || answer.status === 201 || answer.status === 200) return { state: 'pending' };
    const code = errorCodeOf(answer.text);
    // The same X-Reference-Id was accepted before (a re-send after a lost answer): the status decides.
    if (answer.status === 409 && code === 'RESOURCE_ALREADY_EXIST') return { state: 'pending' };
    // A 4xx with MoMo's error body is a refusal: the request does not exist, no money moved.
    const definitive =
      answer.status >= 400 && answer.status < 500 && ![404, 408, 409, 429].includes(answer.status);
    if (definitive && code !== undefined && !TRANSIENT_CODES.has(code)) {
      return operatorFailure(REASONS[code] ?? 'invalid_request', `${code} (HTTP ${answer.status})`);
    }
    throw new MomoUnknownOutcome(
      `MoMo ${product} ${path} answered HTTP ${answer.status}${codeSuffix(answer.text)}`,
    );
  }

  /** One API call with the product's token; a 401 drops the token and tries once more with a new one. */
  private async call(
    product: MomoProduct,
    method: 'GET' | 'POST',
    path: string,
    headers: Record<string, string>,
    body?: string,
  ): Promise<OperatorHttpResponse> {
    for (let attempt = 1; ; attempt++) {
      const token = await this.token(product);
      const answer = await operatorHttp({
        method,
        url: `${this.settings.baseUrl}${path}`,
        headers: { ...headers, ...this.productHeaders(product), authorization: `Bearer ${token}` },
        timeoutMs: this.deps.timeoutMs,
        ...(body !== undefined ? { body } : {}),
      });
      if (answer.status !== 401 || attempt >= 2) {
        if (answer.status === 401)
          throw new MomoUnknownOutcome(`MoMo ${product} refused a fresh access token (HTTP 401)`);
        return answer;
      }
      if (this.tokens.get(product)?.accessToken === token) this.tokens.delete(product);
    }
  }

  private productHeaders(product: MomoProduct): Record<string, string> {
    const credentials = this.credentials(product);
    return {
      'ocp-apim-subscription-key': credentials.subscriptionKey,
      'x-target-environment': this.settings.targetEnvironment,
    };
  }

  private credentials(product: MomoProduct): MomoCredentials {
    const credentials = this.settings[product];
    if (credentials === undefined) throw new MomoUnknownOutcome(`MoMo ${product} has no credentials`);
    return credentials;
  }

  /** The cached token of a product, or one fetched now; concurrent callers share one fetch. */
  private token(product: MomoProduct): Promise<string> {
    const cached = this.tokens.get(product);
    if (cached !== undefined && this.deps.clock.nowMs() < cached.refreshAtMs)
      return Promise.resolve(cached.accessToken);
    const inFlight = this.fetching.get(product);
    if (inFlight !== undefined) return inFlight;
    const fetching = this.fetchToken(product).finally(() => this.fetching.delete(product));
    this.fetching.set(product, fetching);
    return fetching;
  }

  /** `POST /{product}/token/` with Basic apiUser:apiKey (sparkplug/momoapi-node src/auth.ts). */
  private async fetchToken(product: MomoProduct): Promise<string> {
    const credentials = this.credentials(product);
    const basic = Buffer.from(`${credentials.apiUser}:${credentials.apiKey}`).toString('base64');
    const answer = await operatorHttp({
      method: 'POST',
      url: `${this.settings.baseUrl}/${product}/token/`,
      headers: { authorization: `Basic ${basic}`, 'ocp-apim-subscription-key': credentials.subscriptionKey },
      timeoutMs: this.deps.timeoutMs,
    });
    if (answer.status !== 200)
      throw new MomoUnknownOutcome(`MoMo ${product} token request answered HTTP ${answer.status}`);
    const body = jsonOf(answer.text) as { access_token?: unknown; expires_in?: unknown } | undefined;
    const accessToken = body?.access_token;
    const expiresInS = body?.expires_in;
    if (
      typeof accessToken !== 'string' ||
      accessToken === '' ||
      accessToken.length > TOKEN_CHARS_MAX ||
      /[\r\n]/.test(accessToken)
    ) {
      throw new MomoUnknownOutcome(`MoMo ${product} token answer has no usable access_token`);
    }
    if (
      typeof expiresInS !== 'number' ||
      !Number.isFinite(expiresInS) ||
      expiresInS <= 0 ||
      expiresInS > TOKEN_LIFETIME_S_MAX
    ) {
      throw new MomoUnknownOutcome(`MoMo ${product} token answer has no usable expires_in`);
    }
    const lifetimeMs = Math.floor(expiresInS * 1000);
    // A short-lived token is refreshed at half its life, a long one a minute before it ends.
    const marginMs = Math.min(TOKEN_REFRESH_MARGIN_MS, Math.floor(lifetimeMs / 2));
    this.tokens.set(product, { accessToken, refreshAtMs: this.deps.clock.nowMs() + lifetimeMs - marginMs });
    return accessToken;
  }
}

function note(text: string): string {
  return text.replace(/[\r\n\t]+/g, ' ').slice(0, MOMO_NOTE_CHARS_MAX);
}

function codeSuffix(text: string): string {
  const code = errorCodeOf(text);
  return code === undefined ? '' : ` (${code.replace(/[^A-Z0-9_]/gi, '')})`;
}

export const mtnMomoFactory: ConnectorFactory = {
  type: 'mtn-momo',
  operators: MTN_MOMO_OPERATORS,
  create(settings, operators, deps) {
    return new MtnMomoConnector(readMomoSettings(settings), operators, deps);
  },
};
