import { describe, expect, it } from 'vitest';
import {
  CALLBACK_ATTEMPTS_MAX,
  CALLBACK_EXCERPT_BYTES_MAX,
  CALLBACK_JITTER_RATIO,
  CALLBACK_LEASE_MS,
  CALLBACK_LEASE_RENEW_MS,
  CALLBACK_RETRY_SCHEDULE,
  CALLBACK_RETRY_WINDOW_MIN_MS,
  type PayinFacts,
  type PayoutFacts,
  callbackReceiver,
  callbackRetryDelayMs,
  encodingsFor,
  formEncode,
  payinCallbackPayload,
  payoutCallbackPayload,
  responseExcerpt,
  wireStatus,
} from './callbacks.js';
import { xof } from './money.js';
import { signToken, verifyToken } from './tokens.js';

const createdAtMs = Date.UTC(2026, 4, 9, 7, 20, 23, 362);

describe('the retry schedule', () => {
  const sum = (factor: number) => CALLBACK_RETRY_SCHEDULE.reduce((total, delay) => total + delay * factor, 0);

  it('starts immediately, then 30 s, 2 min, 10 min, 30 min, 1 h, 3 h, 6 h and every 12 h', () => {
    expect(CALLBACK_RETRY_SCHEDULE.slice(0, 8)).toEqual([
      0, 30_000, 120_000, 600_000, 1_800_000, 3_600_000, 10_800_000, 21_600_000,
    ]);
    expect(new Set(CALLBACK_RETRY_SCHEDULE.slice(8))).toEqual(new Set([43_200_000]));
    expect(CALLBACK_ATTEMPTS_MAX).toBe(CALLBACK_RETRY_SCHEDULE.length);
  });

  it('keeps retrying for at least three days even when every delay is jittered short', () => {
    expect(sum(1 - CALLBACK_JITTER_RATIO)).toBeGreaterThanOrEqual(CALLBACK_RETRY_WINDOW_MIN_MS);
    // …and gives up within five days.
    expect(sum(1 + CALLBACK_JITTER_RATIO)).toBeLessThan(5 * 86_400_000);
  });

  it('jitters each delay by at most ±20% and stops after the last attempt', () => {
    for (let done = 1; done < CALLBACK_ATTEMPTS_MAX; done++) {
      const base = CALLBACK_RETRY_SCHEDULE[done] ?? 0;
      expect(callbackRetryDelayMs(done, () => 0)).toBe(Math.round(base * 0.8));
      expect(callbackRetryDelayMs(done, () => 0.5)).toBe(base);
      expect(callbackRetryDelayMs(done, () => 0.999999)).toBeLessThanOrEqual(Math.round(base * 1.2));
    }
    expect(callbackRetryDelayMs(CALLBACK_ATTEMPTS_MAX, () => 0.5)).toBeUndefined();
    expect(callbackRetryDelayMs(0, () => 0.5)).toBeUndefined();
  });

  it('renews a lease several times before it runs out, and lets the lease of a dead holder run out in seconds', () => {
    expect(CALLBACK_LEASE_MS / CALLBACK_LEASE_RENEW_MS).toBeGreaterThanOrEqual(3);
    expect(CALLBACK_LEASE_MS).toBeLessThanOrEqual(10_000);
  });

  it('names a receiver by the origin of its URL, in lower case with the port written out', () => {
    expect(callbackReceiver('https://Shop.Example/cb?x=1')).toBe('https://shop.example:443');
    expect(callbackReceiver('https://shop.example:443/other')).toBe('https://shop.example:443');
    expect(callbackReceiver('HTTP://shop.example/cb')).toBe('http://shop.example:80');
    expect(callbackReceiver('http://127.0.0.1:8081/a')).toBe('http://127.0.0.1:8081');
    expect(callbackReceiver('http://[::1]:9/cb')).toBe('http://[::1]:9');
    expect(callbackReceiver('not a url')).toBe('not a url');
  });
});

const payin: PayinFacts = {
  status: 'completed',
  amountXof: xof(4200),
  customer: '22676275726',
  requestId: 'P2777636082026',
  customData: JSON.stringify({ transaction_id: 'ART5A7044E5', order_id: 'O-9' }),
  externalId: 'ART5A7044E5O-9',
  operatorId: '11',
  hash: 'f'.repeat(64),
  logfile: '2026050907202369fee03756652',
  createdAtMs,
  updatedAtMs: createdAtMs,
};

describe('payinCallbackPayload (spec §3.2)', () => {
  it('has the documented keys in order, integer amounts and an empty token', () => {
    const body = payinCallbackPayload(payin);
    expect(Object.keys(body)).toEqual([
      'date',
      'wiki',
      'token',
      'amount',
      'status',
      'montant',
      'customer',
      'oreference',
      'request_id',
      'custom_data',
      'description',
      'external_id',
      'operator_id',
      'operator_name',
      'response_code',
      'response_text',
      'customer_details',
      'transaction_id',
      'hash',
    ]);
    expect(body).toMatchObject({
      date: '2026-05-09 07:20:23+00',
      wiki: 'https://client.ligdicash.com/wiki/confirmInvoice',
      token: '',
      amount: 4200,
      montant: 4200,
      status: 'completed',
      customer: '22676275726',
      oreference: '',
      request_id: 'P2777636082026',
      description: '',
      external_id: 'ART5A7044E5O-9',
      operator_id: '11',
      operator_name: 'ORANGE BURKINA',
      response_code: '00',
      response_text: '',
      transaction_id: 'ART5A7044E5',
      hash: 'f'.repeat(64),
    });
    expect(body.custom_data.map((row) => [row.keyof_customdata, row.valueof_customdata])).toEqual([
      ['transaction_id', 'ART5A7044E5'],
      ['order_id', 'O-9'],
      ['hash', 'f'.repeat(64)],
      ['logfile', '2026050907202369fee03756652'],
    ]);
    expect(body.custom_data[0]?.datecreation_customdata).toBe('2026-05-09 07:20:23.362000');
  });

  it('reports any failed status as notcompleted', () => {
    expect(payinCallbackPayload({ ...payin, status: 'failed' }).status).toBe('notcompleted');
    expect(wireStatus('notcompleted')).toBe('notcompleted');
  });
});

const payout: PayoutFacts = {
  number: '123558481000',
  kind: 'customer',
  status: 'completed',
  amountXof: xof(100),
  operatorId: '12',
  customData: JSON.stringify({ transaction_id: '502d36d2086249118198d06780b1c9fd' }),
  externalId: '502d36d2086249118198d06780b1c9fd',
  hash: 'a'.repeat(64),
  logfile: '2026051116273569fee03756652',
  createdAtMs,
  updatedAtMs: createdAtMs,
};

describe('payoutCallbackPayload (spec §3.3)', () => {
  const secret = 'token-secret';

  it('has the documented keys, string amounts, a numeric operator_id and the LigdiCash prefix for wallet payouts', () => {
    const body = payoutCallbackPayload(payout, 'https://myapp.com/api/callback/ligdicash', secret);
    expect(Object.keys(body)).toEqual([
      'response_code',
      'token',
      'response_text',
      'status',
      'custom_data',
      'operator_id',
      'operator_name',
      'url',
      'url_method',
      'transaction_id',
      'external_id',
      'montant',
      'amount',
    ]);
    expect(body).toMatchObject({
      response_code: '00',
      response_text: '',
      status: 'completed',
      operator_id: 12,
      operator_name: 'LigdiCash MOOV AFRICA BURKINA',
      url: 'https://myapp.com/api/callback/ligdicash',
      url_method: '',
      transaction_id: '502d36d2086249118198d06780b1c9fd',
      external_id: '502d36d2086249118198d06780b1c9fd',
      montant: '100',
      amount: '100',
    });
    expect(payoutCallbackPayload({ ...payout, kind: 'merchant' }, '', secret).operator_name).toBe(
      'MOOV AFRICA BURKINA',
    );
  });

  it('carries a token different from the creation token that still names the payout', () => {
    const creation = signToken('payout', payout.number, payout.createdAtMs, secret);
    const body = payoutCallbackPayload(payout, '', secret);
    expect(body.token).not.toBe(creation);
    expect(verifyToken(body.token, secret)).toEqual({ kind: 'payout', number: payout.number });
    // The same on every attempt: built from the row, not from the clock.
    expect(payoutCallbackPayload(payout, '', secret).token).toBe(body.token);
  });
});

describe('encodings', () => {
  it('sends JSON and form in ligdicash mode, JSON only in json mode', () => {
    expect(encodingsFor('ligdicash')).toEqual(['json', 'form']);
    expect(encodingsFor('json')).toEqual(['json']);
  });

  it('puts nested values in the form as JSON strings', () => {
    const body = payinCallbackPayload(payin);
    const form = new URLSearchParams(formEncode(body));
    expect(form.get('amount')).toBe('4200');
    expect(form.get('token')).toBe('');
    expect(JSON.parse(form.get('custom_data') ?? '')).toEqual(body.custom_data);
    expect(JSON.parse(form.get('customer_details') ?? '')).toEqual(body.customer_details);
    expect([...form.keys()]).toEqual(Object.keys(body));
  });
});

describe('responseExcerpt', () => {
  it('keeps at most 512 bytes, cuts no character in half and drops NUL', () => {
    const text = responseExcerpt(Buffer.from('é'.repeat(600)));
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(CALLBACK_EXCERPT_BYTES_MAX);
    expect(text).toBe('é'.repeat(256));
    expect(responseExcerpt(Buffer.from('a' + 'é'.repeat(600)))).toBe('a' + 'é'.repeat(255));
    expect(responseExcerpt(Buffer.from('ok\u0000'))).toBe('ok');
  });
});
