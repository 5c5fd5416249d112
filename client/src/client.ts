import {
  type BulkPayoutCreated,
  type BulkPayoutInput,
  type BulkPayoutStatus,
  bulkCreated,
  bulkPayoutBody,
  bulkStatus,
} from './bulk.js';
import { type ErrorFamily, errorMeaning, extractErrorCode } from './codes.js';
import {
  type PayinRefunds,
  type Refund,
  type RefundInput,
  payinRefundsOf,
  refundBody,
  refundOf,
} from './refunds.js';
import { type OperatorsAvailability, operatorsBody } from './operators.js';
import {
  type Balances,
  type StatementPage,
  type StatementQuery,
  balancesBody,
  statementBody,
  statementQueryString,
} from './money.js';
import type {
  BusinessError,
  ConfirmResponse,
  CreateOptions,
  CreateResponse,
  CustomDataRow,
  CustomerPayoutInput,
  DirectPayinInput,
  HostedInvoiceInput,
  OtpSent,
  PayinInput,
  PayoutInput,
  PayoutKind,
  Result,
  TransportError,
  WalletPayinInput,
  WireStatus,
} from './types.js';

/** LigdiCash's live platform; Cauri's address (e.g. "http://127.0.0.1:8080") works the same. */
export const LIGDICASH_LIVE_URL = 'https://app.ligdicash.com';
export const DEFAULT_TIMEOUT_MS = 30_000;
const BODY_EXCERPT_MAX = 500;

export interface CauriClientOptions {
  apiKey: string;
  /** The project's API token, sent as `Authorization: Bearer …`. */
  apiToken: string;
  /** Without a path: the client adds `/pay/v01/…`. Defaults to LigdiCash's live URL. */
  baseUrl?: string;
  /** Per request, connection included. Defaults to 30 s. */
  timeoutMs?: number;
  /** Another fetch (tests, proxies); defaults to the global one. */
  fetch?: typeof fetch;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const str = (value: unknown): string =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';

function transport(
  reason: TransportError['reason'],
  message: string,
  extra: Partial<TransportError> = {},
): { ok: false; error: TransportError } {
  return { ok: false, error: { kind: 'transport', reason, message, ...extra } };
}

/** A business error from an envelope whose `response_code` is not "00". */
export function businessError(family: ErrorFamily, body: Json): BusinessError {
  const responseText = str(body.response_text);
  const code = extractErrorCode(responseText);
  return {
    kind: 'business',
    code,
    family,
    meaning: errorMeaning(family, code),
    description: str(body.description),
    responseText,
    responseCode: str(body.response_code),
    wiki: str(body.wiki),
  };
}

function itemsTotal(input: PayinInput): number {
  return (input.items ?? []).reduce((sum, item) => sum + item.quantity * item.unitPrice, 0);
}

function invoiceCommande(input: PayinInput, customer: string, otp: string, actions: Record<string, string>) {
  return {
    commande: {
      invoice: {
        items: (input.items ?? []).map((item) => ({
          name: item.name,
          description: item.description ?? '',
          quantity: item.quantity,
          unit_price: item.unitPrice,
          total_price: item.quantity * item.unitPrice,
        })),
        total_amount: input.totalAmount ?? itemsTotal(input),
        devise: input.currency ?? 'XOF',
        description: input.description,
        customer,
        customer_firstname: input.customerFirstname ?? '',
        customer_lastname: input.customerLastname ?? '',
        customer_email: input.customerEmail ?? '',
        external_id: input.externalId ?? '',
        otp,
      },
      store: { name: input.store.name, website_url: input.store.websiteUrl ?? '' },
      actions,
      custom_data: input.customData ?? {},
    },
  };
}

function payoutCommande(input: PayoutInput, extra: Record<string, number> = {}) {
  return {
    commande: {
      amount: input.amount,
      description: input.description,
      customer: input.customer,
      custom_data: input.customData ?? {},
      callback_url: input.callbackUrl ?? '',
      ...extra,
    },
  };
}

function parseRows(value: unknown): CustomDataRow[] | null {
  if (!Array.isArray(value)) return null;
  return value.filter(isObject).map((row) => ({
    ...row,
    keyof_customdata: str(row.keyof_customdata),
    valueof_customdata: str(row.valueof_customdata),
    ...(row.datecreation_customdata !== undefined
      ? { datecreation_customdata: str(row.datecreation_customdata) }
      : {}),
  }));
}

const STATUSES: readonly WireStatus[] = ['pending', 'completed', 'notcompleted', 'nocompleted'];

/** The wire status, with any value other than pending/completed read as a failure, as the SDKs teach. */
export function wireStatus(value: unknown): WireStatus {
  return STATUSES.find((status) => status === value) ?? 'notcompleted';
}

/** A confirm body, typed; amounts and operator id normalised to strings (Cauri already sends them so). */
function confirmBody(body: Json): ConfirmResponse {
  return {
    response_code: '00',
    token: str(body.token),
    response_text: str(body.response_text),
    description: str(body.description),
    custom_data: parseRows(body.custom_data),
    wiki: str(body.wiki),
    status: wireStatus(body.status),
    operator_id: str(body.operator_id),
    operator_name: str(body.operator_name),
    customer: body.customer === null || body.customer === undefined ? null : str(body.customer),
    montant: str(body.montant),
    amount: str(body.amount),
    date: str(body.date),
    external_id: str(body.external_id),
    request_id: str(body.request_id),
    transaction_id: str(body.transaction_id),
  };
}

/** `custom_data` of a create answer: an object of strings (Cauri), or whatever list, string or null LigdiCash sent. */
function createCustomData(value: unknown): CreateResponse['custom_data'] {
  if (isObject(value))
    return Object.fromEntries(
      Object.entries(value).map(([key, v]) => [key, typeof v === 'string' ? v : JSON.stringify(v)]),
    );
  if (Array.isArray(value)) return value as unknown[];
  return typeof value === 'string' ? value : null;
}

function createBody(body: Json): CreateResponse {
  return {
    response_code: '00',
    token: str(body.token),
    response_text: str(body.response_text),
    description: str(body.description),
    ...(body.custom_data !== undefined ? { custom_data: createCustomData(body.custom_data) } : {}),
    wiki: str(body.wiki),
  };
}

/** `custom_data` rows as an object, the way the JS SDK presents them. */
export function customDataObject(rows: readonly CustomDataRow[] | null | undefined): Record<string, string> {
  const object: Record<string, string> = {};
  for (const row of rows ?? []) object[row.keyof_customdata] = row.valueof_customdata;
  return object;
}

/**
 * A typed client of the LigdiCash Payment API (every endpoint the SDKs call, plus the wallet OTP
 * flow none of them has). Business failures and transport failures come back as values.
 */
export class CauriClient {
  readonly baseUrl: string;
  readonly timeoutMs: number;
  readonly #apiKey: string;
  readonly #apiToken: string;
  readonly #fetch: typeof fetch;

  constructor(options: CauriClientOptions) {
    this.baseUrl = (options.baseUrl ?? LIGDICASH_LIVE_URL).replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#apiKey = options.apiKey;
    this.#apiToken = options.apiToken;
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  /** Sends the customer a one-time code for a LigdiCash wallet payment (`GET /pay/v02/debitotp/{phone}/{amount}`). */
  async sendWalletOtp(phone: string, amount: number): Promise<Result<OtpSent>> {
    const answer = await this.#request(
      'GET',
      `/pay/v02/debitotp/${encodeURIComponent(phone)}/${encodeURIComponent(String(amount))}`,
    );
    if (!answer.ok) return answer;
    const body = answer.value;
    if (body.error === false) return { ok: true, value: { error: false, message: str(body.message) } };
    if (body.error !== true)
      return transport('invalid_response', 'debitotp answer without a boolean `error`', {
        bodyExcerpt: JSON.stringify(body).slice(0, BODY_EXCERPT_MAX),
      });
    const message = str(body.message);
    return {
      ok: false,
      error: {
        kind: 'business',
        code: null,
        family: 'debitOtp',
        meaning: message,
        description: message,
        responseText: message,
        responseCode: '',
        wiki: '',
      },
    };
  }

  /** Pays from the customer's LigdiCash wallet with the code of `sendWalletOtp` (`POST /pay/v02/debitwallet/withotp`). */
  payWithWalletOtp(input: WalletPayinInput, options: CreateOptions = {}): Promise<Result<CreateResponse>> {
    const body = invoiceCommande(input, input.customer, input.otp, {
      cancel_url: '',
      return_url: '',
      callback_url: input.callbackUrl ?? '',
    });
    return this.#create('/pay/v02/debitwallet/withotp', body, options);
  }

  /** A hosted payment page (`POST /pay/v01/redirect/checkout-invoice/create`): send the browser to `response_text`. */
  createInvoice(input: HostedInvoiceInput, options: CreateOptions = {}): Promise<Result<CreateResponse>> {
    const actions = {
      cancel_url: input.cancelUrl ?? '',
      return_url: input.returnUrl ?? '',
      callback_url: input.callbackUrl ?? '',
    };
    return this.#create(
      '/pay/v01/redirect/checkout-invoice/create',
      invoiceCommande(input, input.customer ?? '', '', actions),
      options,
    );
  }

  /** A payin without redirection (`POST /pay/v01/straight/checkout-invoice/create`). */
  createDirectPayin(input: DirectPayinInput, options: CreateOptions = {}): Promise<Result<CreateResponse>> {
    const body = invoiceCommande(input, input.customer, input.otp ?? '', {
      callback_url: input.callbackUrl ?? '',
    });
    return this.#create('/pay/v01/straight/checkout-invoice/create', body, options);
  }

  /** A payout to a customer (`POST /pay/v01/withdrawal/create`), to the wallet or on to mobile money. */
  createCustomerPayout(
    input: CustomerPayoutInput,
    options: CreateOptions = {},
  ): Promise<Result<CreateResponse>> {
    return this.#create(
      '/pay/v01/withdrawal/create',
      payoutCommande(input, { top_up_wallet: input.topUpWallet ? 1 : 0 }),
      options,
      'createWithdrawal',
    );
  }

  /** A payout straight to mobile money (`POST /pay/v01/straight/payout`). */
  createMerchantPayout(input: PayoutInput, options: CreateOptions = {}): Promise<Result<CreateResponse>> {
    return this.#create(
      '/pay/v01/straight/payout',
      payoutCommande(input),
      options,
      'createStraightWithdrawal',
    );
  }

  /** The status of a payin, by its creation token. */
  getPayin(token: string): Promise<Result<ConfirmResponse>> {
    return this.#confirm(
      `/pay/v01/redirect/checkout-invoice/confirm/?invoiceToken=${encodeURIComponent(token)}`,
    );
  }

  /** The status of a payout, by its creation (or callback) token. */
  getPayout(token: string, kind: PayoutKind = 'customer'): Promise<Result<ConfirmResponse>> {
    const path =
      kind === 'customer'
        ? `/pay/v01/withdrawal/confirm/?withdrawalToken=${encodeURIComponent(token)}`
        : `/pay/v01/straight/payout/confirm/?payoutToken=${encodeURIComponent(token)}`;
    return this.#confirm(path);
  }

  /**
   * Up to 1,000 payouts in one request (`POST /cauri/v1/payouts/bulk`, a Cauri extension), each
   * with its own result in `items`. Pass an `idempotencyKey`: a retry with it resumes the batch
   * without paying any item twice.
   */
  async bulkPayouts(input: BulkPayoutInput, options: CreateOptions = {}): Promise<Result<BulkPayoutCreated>> {
    const headers: Record<string, string> =
      options.idempotencyKey !== undefined ? { 'Idempotency-Key': options.idempotencyKey } : {};
    const answer = await this.#envelope(
      'createWithdrawal',
      'POST',
      '/cauri/v1/payouts/bulk',
      bulkPayoutBody(input),
      headers,
    );
    return answer.ok ? { ok: true, value: bulkCreated(answer.value) } : answer;
  }

  /** A bulk payout now (`GET /cauri/v1/payouts/bulk/{batchId}`): each item's payout status, the counts and totals. */
  async getBulkPayout(batchId: string): Promise<Result<BulkPayoutStatus>> {
    const answer = await this.#envelope(
      'confirmInvoice',
      'GET',
      `/cauri/v1/payouts/bulk/${encodeURIComponent(batchId)}`,
    );
    return answer.ok ? { ok: true, value: bulkStatus(answer.value) } : answer;
  }

  /** Balances per operator sub-account and their totals (`GET /cauri/v1/balances`, a Cauri extension). */
  async balances(): Promise<Result<Balances>> {
    const answer = await this.#envelope('confirmInvoice', 'GET', '/cauri/v1/balances');
    return answer.ok ? { ok: true, value: balancesBody(answer.value) } : answer;
  }

  /**
   * One page of the statement, newest first, with running balances (`GET /cauri/v1/statement`, a
   * Cauri extension). Pass `nextCursor` back as `cursor` for the next page; entries that arrive
   * meanwhile never shift nor repeat a page.
   */
  async statement(query: StatementQuery = {}): Promise<Result<StatementPage>> {
    const answer = await this.#envelope(
      'confirmInvoice',
      'GET',
      `/cauri/v1/statement${statementQueryString(query)}`,
    );
    return answer.ok ? { ok: true, value: statementBody(answer.value) } : answer;
  }

  /**
   * The availability of the project's operators (`GET /cauri/v1/operators`, a Cauri extension):
   * status, since when, success rate, latency and the project's payouts queued for each.
   */
  async operators(): Promise<Result<OperatorsAvailability>> {
    const answer = await this.#envelope('confirmInvoice', 'GET', '/cauri/v1/operators');
    return answer.ok ? { ok: true, value: operatorsBody(answer.value) } : answer;
  }

  /**
   * Refunds a completed payin, whole or in part (`POST /cauri/v1/refunds`, a Cauri extension).
   * `status` is `completed` for a wallet payin, else `pending` until the operator answers (a
   * `refund` callback, or `getRefund`). Pass an `idempotencyKey` to retry safely.
   */
  async refund(input: RefundInput, options: CreateOptions = {}): Promise<Result<Refund>> {
    const headers: Record<string, string> =
      options.idempotencyKey !== undefined ? { 'Idempotency-Key': options.idempotencyKey } : {};
    const answer = await this.#envelope(
      'confirmInvoice',
      'POST',
      '/cauri/v1/refunds',
      refundBody(input),
      headers,
    );
    return answer.ok ? { ok: true, value: refundOf(answer.value.refund) } : answer;
  }

  /** One refund now (`GET /cauri/v1/refunds/{refundId}`). */
  async getRefund(refundId: string): Promise<Result<Refund>> {
    const answer = await this.#envelope(
      'confirmInvoice',
      'GET',
      `/cauri/v1/refunds/${encodeURIComponent(refundId)}`,
    );
    return answer.ok ? { ok: true, value: refundOf(answer.value.refund) } : answer;
  }

  /** A payin's refunds and what is left to refund of it (`GET /cauri/v1/refunds?payin=`), by token or `pay_…` id. */
  async listRefunds(payin: string): Promise<Result<PayinRefunds>> {
    const answer = await this.#envelope(
      'confirmInvoice',
      'GET',
      `/cauri/v1/refunds?payin=${encodeURIComponent(payin)}`,
    );
    return answer.ok ? { ok: true, value: payinRefundsOf(answer.value) } : answer;
  }

  async #create(
    path: string,
    body: unknown,
    options: CreateOptions,
    family: ErrorFamily = 'createInvoice',
  ): Promise<Result<CreateResponse>> {
    const headers: Record<string, string> =
      options.idempotencyKey !== undefined ? { 'Idempotency-Key': options.idempotencyKey } : {};
    const answer = await this.#envelope(family, 'POST', path, body, headers);
    return answer.ok ? { ok: true, value: createBody(answer.value) } : answer;
  }

  async #confirm(path: string): Promise<Result<ConfirmResponse>> {
    const answer = await this.#envelope('confirmInvoice', 'GET', path);
    return answer.ok ? { ok: true, value: confirmBody(answer.value) } : answer;
  }

  async #envelope(
    family: ErrorFamily,
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Result<Json>> {
    const answer = await this.#request(method, path, body, headers);
    if (!answer.ok) return answer;
    const json = answer.value;
    if (typeof json.response_code !== 'string') {
      return transport('invalid_response', 'answer without a string `response_code`', {
        bodyExcerpt: JSON.stringify(json).slice(0, BODY_EXCERPT_MAX),
      });
    }
    if (json.response_code !== '00') return { ok: false, error: businessError(family, json) };
    return answer;
  }

  async #request(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    extraHeaders: Record<string, string> = {},
  ): Promise<Result<Json, TransportError>> {
    const url = this.baseUrl + path;
    let response: Response;
    try {
      response = await this.#fetch(url, {
        method,
        headers: {
          Apikey: this.#apiKey,
          Authorization: `Bearer ${this.#apiToken}`,
          Accept: 'application/json',
          'Content-Type': 'application/json',
          ...extraHeaders,
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        redirect: 'error',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (cause) {
      const timedOut =
        cause instanceof Error && (cause.name === 'TimeoutError' || cause.name === 'AbortError');
      return timedOut
        ? transport('timeout', `${method} ${url} took more than ${this.timeoutMs} ms`, { cause })
        : transport(
            'network',
            `${method} ${url} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
            { cause },
          );
    }
    let text: string;
    try {
      text = await response.text();
    } catch (cause) {
      const timedOut =
        cause instanceof Error && (cause.name === 'TimeoutError' || cause.name === 'AbortError');
      return transport(timedOut ? 'timeout' : 'network', `${method} ${url}: reading the answer failed`, {
        status: response.status,
        cause,
      });
    }
    const bodyExcerpt = text.slice(0, BODY_EXCERPT_MAX);
    if (response.status !== 200)
      return transport('http_status', `${method} ${url} answered HTTP ${response.status}`, {
        status: response.status,
        bodyExcerpt,
      });
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return transport('invalid_response', `${method} ${url} answered something that is not JSON`, {
        status: 200,
        bodyExcerpt,
      });
    }
    if (!isObject(json))
      return transport('invalid_response', `${method} ${url} answered JSON that is not an object`, {
        status: 200,
        bodyExcerpt,
      });
    return { ok: true, value: json };
  }
}
