import { expect } from 'vitest';
import type { TestGateway } from './harness.js';
import type { Json } from './http-helpers.js';

/**
 * Helpers for the payin-surface suites: checkout bodies (E1/E2), numbers per validation mode in
 * the default prefix table, sandbox actions, and a tiny browser for the payment page over
 * `app.inject` (cookie jar, form posts, redirects).
 */
export const E1 = '/pay/v01/redirect/checkout-invoice/create';
export const E2 = '/pay/v01/straight/checkout-invoice/create';
export const E7 = '/pay/v01/straight/payout';
export const PAYIN_CONFIRM = '/pay/v01/redirect/checkout-invoice/confirm/';

/** One number per validation mode (spec §5), and the operator ids of the default prefix table. */
export const NUMBERS = {
  ussd_otp: { phone: '22670112233', operatorId: '11', name: 'ORANGE BURKINA' },
  ussd_push: { phone: '22796112233', operatorId: '27', name: 'AIRTEL NIGER' },
  push_with_guided_fallback: { phone: '22674112233', operatorId: '12', name: 'MOOV AFRICA BURKINA' },
  guided_ussd: { phone: '2250511223344', operatorId: '15', name: 'MTN CI' },
  ligdicash_redirect: { phone: '221771122334', operatorId: '39', name: 'WAVE SENEGAL' },
  operator_redirect: { phone: '2250711223344', operatorId: '16', name: 'ORANGE CI' },
} as const;

export interface CheckoutOptions {
  amount?: number | string;
  customer?: string;
  otp?: string;
  actions?: Record<string, unknown> | null;
  customData?: unknown;
  store?: Record<string, unknown>;
  items?: unknown[];
  description?: string;
  devise?: string;
}

export function checkoutBody(options: CheckoutOptions = {}) {
  return {
    commande: {
      invoice: {
        items: options.items ?? [
          { name: 'T-shirt', description: 'Cotton', quantity: 2, unit_price: 2500, total_price: 5000 },
        ],
        total_amount: options.amount ?? 5000,
        devise: options.devise ?? 'XOF',
        description: options.description ?? 'Order 42',
        customer: options.customer ?? '',
        customer_firstname: 'Awa',
        customer_lastname: 'Ouédraogo',
        customer_email: 'awa@example.com',
        external_id: '',
        otp: options.otp ?? '',
      },
      store: options.store ?? { name: 'Test shop', website_url: 'https://shop.example' },
      actions:
        options.actions === undefined
          ? {
              cancel_url: 'https://shop.example/cancel',
              return_url: 'https://shop.example/return',
              callback_url: 'https://shop.example/cb',
            }
          : options.actions,
      custom_data: options.customData ?? { transaction_id: 'ORD-42' },
    },
  };
}

export function straightBody(phone: string, options: CheckoutOptions = {}) {
  return checkoutBody({
    actions: { callback_url: 'https://shop.example/cb' },
    items: [],
    ...options,
    customer: phone,
  });
}

export async function dial(gw: TestGateway, phone: string, code?: string): Promise<Json> {
  const response = await gw.app.inject({
    method: 'POST',
    url: '/sandbox/ussd/dial',
    payload: { phone, ...(code !== undefined ? { code } : {}) },
  });
  return JSON.parse(response.body) as Json;
}

/** Dials the USSD OTP code and returns the payment code the "phone" shows. */
export async function ussdOtp(gw: TestGateway, phone: string): Promise<string> {
  const answer = await dial(gw, phone);
  expect(answer.action).toBe('otp');
  return String(answer.otp);
}

export async function pushes(gw: TestGateway, phone?: string): Promise<Json[]> {
  const response = await gw.app.inject({
    method: 'GET',
    url: `/sandbox/pushes${phone !== undefined ? `?phone=${phone}` : ''}`,
  });
  return (JSON.parse(response.body) as { pushes: Json[] }).pushes;
}

export async function decide(
  gw: TestGateway,
  id: string,
  decision: 'approve' | 'decline',
): Promise<{ status: number; json: Json }> {
  const response = await gw.app.inject({
    method: 'POST',
    url: `/sandbox/pushes/${id}/${decision}`,
    headers: { 'content-type': 'application/json' },
  });
  return { status: response.statusCode, json: JSON.parse(response.body) as Json };
}

export async function confirmPayin(gw: TestGateway, token: unknown): Promise<Json> {
  return gw.call('GET', `${PAYIN_CONFIRM}?invoiceToken=${String(token)}`);
}

/** The path of a payment page URL (`response_text` of E1). */
export function pagePath(url: unknown): string {
  return new URL(String(url)).pathname;
}

export interface PageResponse {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
  location: string | undefined;
}

/** A cookie-keeping client for the payment page, speaking to the app in process. */
export class PageClient {
  cookie: string | undefined;
  constructor(private readonly gw: TestGateway) {}

  async get(url: string, headers: Record<string, string> = {}): Promise<PageResponse> {
    return this.request('GET', url, undefined, headers);
  }

  /** Posts a form, with the page's CSRF value unless `fields.csrf` is given. */
  async post(
    url: string,
    fields: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<PageResponse> {
    return this.request('POST', url, new URLSearchParams(fields).toString(), {
      'content-type': 'application/x-www-form-urlencoded',
      ...headers,
    });
  }

  private async request(
    method: 'GET' | 'POST',
    url: string,
    payload: string | undefined,
    headers: Record<string, string>,
  ): Promise<PageResponse> {
    const response = await this.gw.app.inject({
      method,
      url,
      headers: { ...(this.cookie !== undefined ? { cookie: this.cookie } : {}), ...headers },
      ...(payload !== undefined ? { payload } : {}),
    });
    const setCookie = response.headers['set-cookie'];
    const first = Array.isArray(setCookie) ? setCookie[0] : setCookie;
    if (typeof first === 'string') this.cookie = first.split(';')[0];
    const location = response.headers.location;
    return {
      status: response.statusCode,
      headers: response.headers,
      body: response.body,
      location: typeof location === 'string' ? location : undefined,
    };
  }
}

/** The CSRF value of the page's forms. */
export function csrfOf(body: string): string {
  const match = /name="csrf" value="([0-9a-f]{32})"/.exec(body);
  if (!match?.[1]) throw new Error('no CSRF field on the page');
  return match[1];
}

/** A genuine payout token of the test project (a wallet payout), for "wrong kind of token" cases. */
export async function payoutToken(gw: TestGateway): Promise<string> {
  await gw.wallet('22670998877', 0);
  await gw.fundSub('11', 10_000);
  const created = await gw.call('POST', '/pay/v01/withdrawal/create', {
    body: {
      commande: {
        amount: 1000,
        description: 'Refund',
        customer: '22670998877',
        callback_url: '',
        custom_data: {},
        top_up_wallet: 1,
      },
    },
  });
  expect(created.response_code).toBe('00');
  return String(created.token);
}
