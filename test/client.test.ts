import { readFileSync, readdirSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CauriClient,
  type Callback,
  type CauriError,
  ERROR_MEANINGS,
  type Result,
  WebhookDeduplicator,
  confirmCallback,
  customDataObject,
  extractErrorCode,
  parseCallback,
  verifySignature,
} from '../client/src/index.js';
import { encodeCallback, payinCallbackPayload, payoutCallbackPayload } from '../src/core/callbacks.js';
import { generateWebhookSecret, signWebhook, webhookHeaders } from '../src/core/webhook-signature.js';
import { payinFromRow } from '../src/store/payin-rows.js';
import { payoutFromRow } from '../src/store/payout-rows.js';
import type { PayinTable, PayoutTable } from '../src/store/schema.js';
import { type TestGateway, startTestGateway } from './harness.js';

/**
 * The TypeScript client (client/) against a live Cauri over real HTTP, and its callback helpers
 * against payloads and signatures made by the server's own code.
 */
const PHONE = '22670111111';
const RECIPIENT = '22670445566';
const STORE = { name: 'Test shop', websiteUrl: 'https://shop.example' };

let gw: TestGateway;
let baseUrl: string;
let client: CauriClient;

beforeAll(async () => {
  gw = await startTestGateway('sqlite');
  await gw.wallet(PHONE, 100_000);
  await gw.fundSub('11', 1_000_000);
  baseUrl = await gw.app.listen({ host: '127.0.0.1', port: 0 });
  client = new CauriClient({
    apiKey: gw.project.apikey,
    apiToken: gw.project.token,
    baseUrl,
    timeoutMs: 5_000,
  });
});
afterAll(async () => gw.destroy());

function value<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(`expected ok, got ${JSON.stringify(result.error)}`);
  return result.value;
}

function error<T>(result: Result<T>): CauriError {
  if (result.ok) throw new Error(`expected an error, got ${JSON.stringify(result.value)}`);
  return result.error;
}

async function latestOtp(phone: string): Promise<string> {
  const response = await fetch(`${baseUrl}/sandbox/sms?phone=${phone}&limit=1`, {
    headers: gw.project.headers,
  });
  const inbox = (await response.json()) as { messages: { body: string }[] };
  const match = /(\d{6})/.exec(inbox.messages[0]?.body ?? '');
  if (!match?.[1]) throw new Error(`no OTP for ${phone}`);
  return match[1];
}

async function walletPayin(transactionId: string, amount = 1500): Promise<string> {
  expect(value(await client.sendWalletOtp(PHONE, amount))).toEqual({
    error: false,
    message: expect.stringContaining('OTP') as string,
  });
  const otp = await latestOtp(PHONE);
  const created = value(
    await client.payWithWalletOtp({
      customer: PHONE,
      otp,
      totalAmount: amount,
      description: 'Order',
      store: STORE,
      customData: { transaction_id: transactionId },
    }),
  );
  return created.token;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('CauriClient against a live Cauri', () => {
  it('defaults to the LigdiCash live URL and strips a trailing slash', () => {
    expect(new CauriClient({ apiKey: 'k', apiToken: 't' }).baseUrl).toBe('https://app.ligdicash.com');
    expect(new CauriClient({ apiKey: 'k', apiToken: 't', baseUrl: 'http://127.0.0.1:8080/' }).baseUrl).toBe(
      'http://127.0.0.1:8080',
    );
  });

  it('sends the four LigdiCash headers and Idempotency-Key', async () => {
    const seen: Headers[] = [];
    const spy = new CauriClient({
      apiKey: 'KEY',
      apiToken: 'TOKEN',
      baseUrl,
      fetch: (input, init) => {
        seen.push(new Headers(init?.headers));
        return fetch(input, init);
      },
    });
    const answer = await spy.createDirectPayin(
      { customer: PHONE, totalAmount: 100, description: 'x', store: STORE },
      { idempotencyKey: 'idem-1' },
    );
    expect(error(answer)).toMatchObject({
      kind: 'business',
      code: '00',
      family: 'createInvoice',
      responseCode: '01',
    });
    const headers = seen[0];
    expect(headers?.get('apikey')).toBe('KEY');
    expect(headers?.get('authorization')).toBe('Bearer TOKEN');
    expect(headers?.get('accept')).toBe('application/json');
    expect(headers?.get('content-type')).toBe('application/json');
    expect(headers?.get('idempotency-key')).toBe('idem-1');
  });

  it('pays from the wallet with an OTP and confirms the payin with typed fields', async () => {
    const token = await walletPayin('ORD-1');
    const confirm = value(await client.getPayin(token));
    expect(confirm).toMatchObject({
      response_code: '00',
      status: 'completed',
      amount: '1500',
      montant: '1500',
      customer: PHONE,
      transaction_id: 'ORD-1',
      token: '',
    });
    expect(typeof confirm.operator_id).toBe('string');
    expect(customDataObject(confirm.custom_data)).toMatchObject({ transaction_id: 'ORD-1' });
  });

  it('creates a hosted invoice whose response_text is the payment page', async () => {
    const created = value(
      await client.createInvoice({
        items: [{ name: 'T-shirt', quantity: 2, unitPrice: 2500 }],
        description: 'Order 43',
        store: STORE,
        returnUrl: 'https://shop.example/return',
        cancelUrl: 'https://shop.example/cancel',
        customData: { transaction_id: 'ORD-43' },
      }),
    );
    expect(created.response_text).toContain('/directpayment/invoice/');
    expect(created.custom_data).toMatchObject({ transaction_id: 'ORD-43' });
    expect(value(await client.getPayin(created.token))).toMatchObject({
      status: 'pending',
      amount: '5000',
      customer: null,
    });
  });

  it('makes a customer payout to the wallet and confirms it', async () => {
    const created = value(
      await client.createCustomerPayout({
        amount: 2000,
        description: 'Refund',
        customer: PHONE,
        topUpWallet: true,
        customData: { transaction_id: 'RF-1' },
      }),
    );
    expect(created.token).not.toBe('');
    expect(value(await client.getPayout(created.token, 'customer'))).toMatchObject({
      status: 'completed',
      amount: '2000',
      operator_id: '11',
      customer: PHONE,
    });
  });

  it('makes a merchant payout, pending until the operator answers', async () => {
    const created = value(
      await client.createMerchantPayout({
        amount: 2500,
        description: 'Supplier',
        customer: RECIPIENT,
        customData: { transaction_id: 'PO-7' },
      }),
    );
    expect(value(await client.getPayout(created.token, 'merchant'))).toMatchObject({
      status: 'pending',
      amount: '2500',
    });
    await gw.dispatcher.runOnce();
    expect(value(await client.getPayout(created.token, 'merchant')).status).toBe('completed');
  });

  it('returns a wrong OTP as code 15 of createInvoice', async () => {
    value(await client.sendWalletOtp(PHONE, 1500));
    const otp = await latestOtp(PHONE);
    const wrong = otp === '000000' ? '111111' : '000000';
    const failure = error(
      await client.payWithWalletOtp({
        customer: PHONE,
        otp: wrong,
        totalAmount: 1500,
        description: 'Order',
        store: STORE,
      }),
    );
    expect(failure).toMatchObject({
      kind: 'business',
      code: '15',
      family: 'createInvoice',
      meaning: 'Wrong OTP',
      responseText: 'Echec (Code15)',
    });
  });

  it("returns another project's API token as code 00", async () => {
    const mixed = new CauriClient({ apiKey: gw.project.apikey, apiToken: gw.other.token, baseUrl });
    const failure = error(
      await mixed.createCustomerPayout({
        amount: 2000,
        description: 'x',
        customer: PHONE,
        topUpWallet: true,
      }),
    );
    expect(failure).toMatchObject({ kind: 'business', code: '00', family: 'createWithdrawal' });
    expect(error(await mixed.getPayin('whatever'))).toMatchObject({
      kind: 'business',
      code: '00',
      family: 'confirmInvoice',
    });
    expect(error(await mixed.sendWalletOtp(PHONE, 1500))).toMatchObject({
      kind: 'business',
      code: null,
      family: 'debitOtp',
    });
  });

  it('returns an unknown token at confirm as code 02 (invoice not found)', async () => {
    expect(error(await client.getPayin('not-a-token'))).toMatchObject({
      kind: 'business',
      code: '02',
      family: 'confirmInvoice',
      meaning: 'Invoice not found',
    });
  });

  it('maps merchant-payout codes with their own table', async () => {
    const failure = error(
      await client.createMerchantPayout({ amount: 5, description: 'x', customer: RECIPIENT }),
    );
    expect(failure).toMatchObject({
      kind: 'business',
      code: '02',
      family: 'createStraightWithdrawal',
      meaning: ERROR_MEANINGS.createStraightWithdrawal['02'],
    });
  });

  it('returns a closed port as a transport error, not an exception', async () => {
    const port = await closedPort();
    const offline = new CauriClient({ apiKey: 'k', apiToken: 't', baseUrl: `http://127.0.0.1:${port}` });
    expect(error(await offline.getPayin('x'))).toMatchObject({ kind: 'transport', reason: 'network' });
  });

  it('returns a non-200 and a timeout as transport errors', async () => {
    // Cauri answers every LigdiCash path with HTTP 200, so a proxy that fails stands in for a non-200.
    const proxy = createHttpServer((_request, response) =>
      response.writeHead(502, { 'content-type': 'text/plain' }).end('Bad gateway'),
    );
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const address = proxy.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const failing = new CauriClient({
      apiKey: 'k',
      apiToken: 't',
      baseUrl: `http://127.0.0.1:${address.port}`,
    });
    expect(error(await failing.getPayin('x'))).toMatchObject({
      kind: 'transport',
      reason: 'http_status',
      status: 502,
      bodyExcerpt: 'Bad gateway',
    });
    await new Promise<void>((resolve) => proxy.close(() => resolve()));
    const slow = new CauriClient({
      apiKey: 'k',
      apiToken: 't',
      baseUrl,
      timeoutMs: 20,
      fetch: (_input, init) =>
        new Promise((_resolve, reject) =>
          init?.signal?.addEventListener('abort', () => reject(init.signal?.reason as Error)),
        ),
    });
    expect(error(await slow.getPayin('x'))).toMatchObject({ kind: 'transport', reason: 'timeout' });
  });

  it('extracts codes with the SDK regex', () => {
    expect(extractErrorCode('Echec (Code03a)')).toBe('03a');
    expect(extractErrorCode('Echec (Code15)')).toBe('15');
    expect(extractErrorCode('Echec')).toBeNull();
  });
});

describe('the client package', () => {
  it('imports nothing but its own files and node: built-ins, so it ships alone', () => {
    const dir = new URL('../client/src/', import.meta.url);
    const sources = readdirSync(dir).filter((name) => name.endsWith('.ts'));
    expect(sources.length).toBeGreaterThan(0);
    for (const name of sources) {
      const specifiers = [...readFileSync(new URL(name, dir), 'utf8').matchAll(/from '([^']+)'/g)].map(
        (match) => match[1] ?? '',
      );
      for (const specifier of specifiers)
        expect(specifier, `${name} imports ${specifier}`).toMatch(/^(\.\/[\w-]+\.js|node:[\w/]+)$/);
    }
    const manifest = JSON.parse(
      readFileSync(new URL('../client/package.json', import.meta.url), 'utf8'),
    ) as Record<string, unknown>;
    expect(manifest).toMatchObject({ name: '@cauri/client', type: 'module' });
    expect(manifest.dependencies).toBeUndefined();
  });
});

describe('callback helpers', () => {
  async function payinRow(token: string): Promise<PayinTable> {
    return gw.gw.db.command((tx) =>
      tx.selectFrom('payins').selectAll().where('token', '=', token).executeTakeFirstOrThrow(),
    );
  }
  async function payoutRow(token: string): Promise<PayoutTable> {
    return gw.gw.db.command((tx) =>
      tx.selectFrom('payouts').selectAll().where('token', '=', token).executeTakeFirstOrThrow(),
    );
  }
  function parsed(body: string, contentType: string): Callback {
    const result = parseCallback(body, contentType);
    if (!result.ok) throw new Error(result.error);
    return result.value;
  }

  it('parses both encodings of a payin callback into the same object', async () => {
    const token = await walletPayin('ORD-CB');
    const payload = payinCallbackPayload(payinFromRow(await payinRow(token)));
    const json = parsed(encodeCallback(payload, 'json'), 'application/json');
    const form = parsed(encodeCallback(payload, 'form'), 'application/x-www-form-urlencoded; charset=utf-8');
    expect(json).toMatchObject({
      kind: 'payin',
      encoding: 'json',
      status: 'completed',
      amount: '1500',
      montant: '1500',
      token: '',
      transaction_id: 'ORD-CB',
      customer: PHONE,
    });
    expect(json.customData).toMatchObject({ transaction_id: 'ORD-CB', hash: payload.hash });
    expect(form.encoding).toBe('form');
    expect({ ...form, encoding: 'json', raw: json.raw }).toEqual(json);

    const confirmed = value(await confirmCallback(client, json, token));
    expect(confirmed).toMatchObject({ completed: true, mismatches: [] });
  });

  it('parses both encodings of a payout callback: operator_id number becomes a string', async () => {
    const created = value(
      await client.createCustomerPayout({
        amount: 3000,
        description: 'Refund',
        customer: PHONE,
        topUpWallet: true,
        customData: { transaction_id: 'RF-CB' },
      }),
    );
    const payload = payoutCallbackPayload(
      payoutFromRow(await payoutRow(created.token)),
      'https://shop.example/cb',
      gw.gw.tokenSecret,
    );
    expect(typeof payload.operator_id).toBe('number');
    const json = parsed(encodeCallback(payload, 'json'), 'application/json');
    const form = parsed(encodeCallback(payload, 'form'), 'application/x-www-form-urlencoded');
    expect(json).toMatchObject({
      kind: 'payout',
      status: 'completed',
      amount: '3000',
      operator_id: '11',
      operator_name: expect.stringMatching(/^LigdiCash /) as string,
    });
    expect(json.token).not.toBe(created.token);
    expect(form.customData).toEqual(json.customData);
    expect(form.operator_id).toBe('11');

    const confirmed = value(await confirmCallback(client, form, created.token));
    expect(confirmed.completed).toBe(true);
    expect(confirmed.mismatches).toEqual([]);
  });

  it('rejects a body that is neither encoding of a callback', () => {
    expect(parseCallback('{not json', 'application/json').ok).toBe(false);
    expect(parseCallback('status=completed&custom_data=%7Bbad', 'application/x-www-form-urlencoded').ok).toBe(
      false,
    );
    expect(parseCallback('a=b', 'application/x-www-form-urlencoded').ok).toBe(false);
  });

  describe('verifySignature', () => {
    const secret = generateWebhookSecret();
    const nowMs = Date.UTC(2026, 10, 22, 12, 0, 0);
    const ts = nowMs / 1000;
    const body = encodeCallback({ status: 'completed', amount: '1500' }, 'json');

    it('accepts a signature made by the server, with Node headers or fetch Headers', () => {
      const headers = webhookHeaders([secret], 'evt_abc', ts, body);
      expect(verifySignature(headers, body, secret, { nowMs })).toEqual({
        ok: true,
        value: { id: 'evt_abc', timestamp: ts },
      });
      expect(verifySignature(new Headers({ ...headers }), Buffer.from(body), secret, { nowMs }).ok).toBe(
        true,
      );
    });

    it('accepts any of several signatures (rotation)', () => {
      const other = generateWebhookSecret();
      const headers = webhookHeaders([other, secret], 'evt_abc', ts, body);
      expect(verifySignature(headers, body, secret, { nowMs }).ok).toBe(true);
    });

    it('rejects a tampered body, a wrong secret, an old or future timestamp, missing headers', () => {
      const headers = webhookHeaders([secret], 'evt_abc', ts, body);
      expect(verifySignature(headers, body.replace('1500', '9500'), secret, { nowMs })).toEqual({
        ok: false,
        error: 'bad_signature',
      });
      expect(verifySignature(headers, body, generateWebhookSecret(), { nowMs })).toEqual({
        ok: false,
        error: 'bad_signature',
      });
      expect(verifySignature(headers, body, secret, { nowMs: nowMs + 301_000 })).toEqual({
        ok: false,
        error: 'too_old',
      });
      expect(
        verifySignature(headers, body, secret, { nowMs: nowMs + 3_600_000, toleranceSeconds: 7200 }).ok,
      ).toBe(true);
      expect(verifySignature(headers, body, secret, { nowMs: nowMs - 301_000 })).toEqual({
        ok: false,
        error: 'too_new',
      });
      const old = {
        ...headers,
        'webhook-timestamp': String(ts - 600),
        'webhook-signature': signWebhook(secret, 'evt_abc', ts - 600, body),
      };
      expect(verifySignature(old, body, secret, { nowMs })).toEqual({ ok: false, error: 'too_old' });
      expect(verifySignature({ 'webhook-id': 'evt_abc' }, body, secret, { nowMs })).toEqual({
        ok: false,
        error: 'missing_headers',
      });
      expect(verifySignature({ ...headers, 'webhook-timestamp': 'soon' }, body, secret, { nowMs })).toEqual({
        ok: false,
        error: 'bad_timestamp',
      });
    });
  });

  it('de-duplicates on webhook-id with a bounded memory', () => {
    const dedup = new WebhookDeduplicator(2);
    expect(dedup.firstSeen('evt_1')).toBe(true);
    expect(dedup.firstSeen('evt_1')).toBe(false);
    expect(dedup.firstSeen('evt_2')).toBe(true);
    expect(dedup.firstSeen('evt_1')).toBe(false); // refreshes evt_1, so evt_2 is now the oldest
    expect(dedup.firstSeen('evt_3')).toBe(true);
    expect(dedup.size).toBe(2);
    expect(dedup.firstSeen('evt_2')).toBe(true);
    dedup.forget('evt_2');
    expect(dedup.firstSeen('evt_2')).toBe(true);
  });
});
