import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BACKENDS, type TestGateway, payoutBody, startTestGateway, walletPayinBody } from './harness.js';
import {
  ORANGE,
  type RawResponse,
  type WikiName,
  expectEchec,
  money,
  otpFor,
  payins,
  payouts,
  send,
} from './http-helpers.js';

/**
 * The envelope rules of the HTTP adapter (spec §1.3, official-sdks §1): whatever reaches the
 * application answers HTTP 200 with a LigdiCash envelope the SDKs can parse, never a 4xx or 5xx.
 */
const PHONE = '22670111111';
const WITHOTP = '/pay/v02/debitwallet/withotp';
const WITHDRAWAL = '/pay/v01/withdrawal/create';
const PAYIN_CONFIRM = '/pay/v01/redirect/checkout-invoice/confirm/';
const PAYOUT_CONFIRM = '/pay/v01/withdrawal/confirm/';

/** The POST endpoints, the wiki their errors carry and their "Data Input error" code. */
const POST_ENDPOINTS: { url: string; wiki: WikiName; dataInput: string }[] = [
  { url: WITHOTP, wiki: 'createInvoice', dataInput: '08' },
  { url: '/pay/v01/debitwallet/withotp', wiki: 'createInvoice', dataInput: '08' },
  { url: WITHDRAWAL, wiki: 'createWithdrawal', dataInput: '09' },
  { url: PAYIN_CONFIRM, wiki: 'confirmInvoice', dataInput: '04' },
  { url: PAYOUT_CONFIRM, wiki: 'confirmInvoice', dataInput: '04' },
  { url: '/pay/v01/straight/payout/confirm/', wiki: 'confirmInvoice', dataInput: '04' },
];

/** What every SDK needs of any answer: HTTP 200, JSON, `response_code` a string, a code in `response_text`. */
function expectParsable(response: RawResponse, label: string): void {
  expect(response.status, label).toBe(200);
  expect(response.headers['content-type'], label).toMatch(/^application\/json/);
  expect(typeof response.json.response_code, `${label}: ${response.text}`).toBe('string');
  if (response.json.response_code !== '00')
    expect(response.json.response_text, label).toMatch(/^Echec \(Code\d{2}\)$/);
}

describe.each(BACKENDS)('HTTP envelope rules on %s', (backend) => {
  let gw: TestGateway;
  beforeEach(async () => {
    gw = await startTestGateway(backend);
  });
  afterEach(async () => gw.destroy());

  it.each([
    ['GET', '/'],
    ['GET', '/pay/v01/nope'],
    ['POST', '/pay/v01/nope'],
    ['GET', '/pay/v03/debitotp/22670111111/1500'],
    ['GET', '/pay/v02/debitotp/22670111111'],
  ])(
    'answers an unknown route (%s %s) with Code12, HTTP 200 under /pay/ and 404 elsewhere (ADR 0015)',
    async (method, url) => {
      const response = await send(gw, method, url);
      expect(response.status).toBe(url.startsWith('/pay/') ? 200 : 404);
      expectEchec(response.json, 'createInvoice', '12', /No endpoint/);
    },
  );

  it.each([
    ['GET', WITHOTP],
    ['GET', WITHDRAWAL],
    ['POST', '/pay/v02/debitotp/22670111111/1500'],
    ['PUT', PAYIN_CONFIRM],
    ['DELETE', PAYOUT_CONFIRM],
    ['PATCH', WITHDRAWAL],
    ['OPTIONS', WITHOTP],
  ])('answers a wrong method (%s %s) with HTTP 200 and Code12', async (method, url) => {
    const response = await send(gw, method, url, { body: {} });
    expect(response.status).toBe(200);
    expectEchec(response.json, 'createInvoice', '12');
  });

  it.each(POST_ENDPOINTS)(
    'answers malformed JSON at $url with HTTP 200 and its Data Input error',
    async ({ url, wiki, dataInput }) => {
      for (const rawBody of ['{"commande":', '{commande: {}}', "{'a': 1}", 'commande=1&amount=2']) {
        const response = await send(gw, 'POST', url, { rawBody });
        expect(response.status, rawBody).toBe(200);
        expectEchec(response.json, wiki, dataInput);
      }
    },
  );

  it.each(POST_ENDPOINTS)(
    'answers a body over 64 KiB at $url with HTTP 200 and its Data Input error, not 413',
    async ({ url, wiki, dataInput }) => {
      const rawBody = JSON.stringify({ commande: { padding: 'x'.repeat(70 * 1024) } });
      const response = await send(gw, 'POST', url, { rawBody });
      expect(response.status).toBe(200);
      expectEchec(response.json, wiki, dataInput, 'Request body too large');
    },
  );

  it('accepts a body just under the limit', async () => {
    const body = payoutBody(PHONE, 5000, { description: 'd'.repeat(900) });
    const padded = JSON.stringify({ ...body, padding: 'x'.repeat(60 * 1024) });
    const response = await send(gw, 'POST', WITHDRAWAL, { rawBody: padded });
    expect(response.status).toBe(200);
    // Well-formed and small enough: the request reaches the payout rules (no wallet → Code02).
    expectEchec(response.json, 'createWithdrawal', '02');
  });

  it('never answers anything but HTTP 200 and a parsable envelope, whatever the body', async () => {
    const bodies = [
      '',
      'null',
      'true',
      '0',
      '"text"',
      '[]',
      '[{}]',
      '{}',
      '{"commande":null}',
      '{"commande":"x"}',
      '{"commande":[]}',
      '{"commande":{"invoice":[]}}',
      '{"commande":{"invoice":{"total_amount":{}}}}',
      '{"commande":{"invoice":{"total_amount":1e400,"customer":"22670111111","otp":"1"}}}',
      '{"commande":{"amount":1e308,"customer":"22670111111"}}',
      '{"commande":{"amount":-0,"customer":"22670111111"}}',
      '{"commande":{"amount":5000,"customer":{"$ne":null}}}',
      '{"commande":{"amount":5000,"customer":"22670111111","top_up_wallet":{}}}',
      '{"__proto__":{"polluted":true},"commande":{"amount":5000}}',
      '{"constructor":{"prototype":{"x":1}}}',
      JSON.stringify({
        commande: { amount: 5000, customer: '\u0000\uffff😀', custom_data: { ['k'.repeat(100)]: 'v' } },
      }),
      JSON.stringify({
        commande: { invoice: { total_amount: 1500, customer: 'x'.repeat(10_000), otp: '1' } },
      }),
      '['.repeat(20_000) + ']'.repeat(20_000),
      '\u00ef\u00bb\u00bf{}',
    ];
    for (const { url } of POST_ENDPOINTS) {
      for (const rawBody of bodies)
        expectParsable(await send(gw, 'POST', url, { rawBody }), `${url} ${rawBody.slice(0, 60)}`);
    }
    for (const url of [
      `${PAYIN_CONFIRM}?invoiceToken[]=x`,
      `${PAYIN_CONFIRM}?invoiceToken=a&invoiceToken=b`,
      `${PAYOUT_CONFIRM}?withdrawalToken=%E0%A4%A`,
      '/pay/v02/debitotp/%00/1500',
      '/pay/v02/debitotp/%E0%A4%A/1500',
      `/pay/v02/debitotp/${'9'.repeat(300)}/1500`,
      '/pay/v02/debitotp/22670111111/99999999999999999999999',
    ]) {
      const response = await send(gw, 'GET', url);
      expect(response.status, url).toBe(200);
      expect(response.text.startsWith('{'), url).toBe(true);
      expect(Object.keys(response.json).length, url).toBeGreaterThan(0);
    }
  });

  it('refuses oversized credentials with Code00, not an error page', async () => {
    const oversized: Record<string, string>[] = [
      { apikey: 'A'.repeat(5000) },
      { authorization: `Bearer ${'t'.repeat(5000)}` },
    ];
    for (const headers of oversized) {
      const response = await send(gw, 'POST', WITHDRAWAL, { headers, body: payoutBody(PHONE, 5000) });
      expect(response.status).toBe(200);
      expectEchec(response.json, 'createWithdrawal', '00');
    }
  });

  it('reads JSON whatever the Content-Type says', async () => {
    await gw.wallet(PHONE, 0);
    await gw.fundSub(ORANGE, 10_000);
    for (const contentType of [
      'application/x-www-form-urlencoded',
      'text/plain; charset=utf-8',
      'application/json; charset=utf-8',
    ]) {
      const response = await send(gw, 'POST', WITHDRAWAL, {
        headers: { 'content-type': contentType },
        body: payoutBody(PHONE, 100),
      });
      expect(response.json.response_code, contentType).toBe('00');
    }
  });

  it('answers errors with exactly the five envelope keys and no custom_data (Dart parses create answers)', async () => {
    const response = await send(gw, 'POST', WITHDRAWAL, { omit: ['apikey'], body: payoutBody(PHONE, 5000) });
    expect(Object.keys(response.json).sort()).toEqual([
      'description',
      'response_code',
      'response_text',
      'token',
      'wiki',
    ]);
  });

  it('marks answers as not cacheable', async () => {
    const response = await send(gw, 'GET', `${PAYIN_CONFIRM}?invoiceToken=abc`);
    expect(response.headers['cache-control']).toBe('no-store');
  });

  describe('a failure inside a command', () => {
    /** Makes every event write fail, as a broken database would, half-way through a command. */
    async function breakOutbox(): Promise<void> {
      await gw.gw.db.command(async (tx) => {
        await sql`drop table outbox`.execute(tx);
      });
    }

    it('answers withotp with the processing error (Code04) and rolls the whole payin back', async () => {
      await gw.wallet(PHONE, 10_000);
      const otp = await otpFor(gw, PHONE, 1500);
      const before = await money(gw);
      await breakOutbox();
      const response = await send(gw, 'POST', WITHOTP, { body: walletPayinBody(PHONE, 1500, otp) });
      expect(response.status).toBe(200);
      expectEchec(response.json, 'createInvoice', '04');
      expect(response.json.description).not.toMatch(/outbox|table|sql/i);
      expect(await money(gw)).toEqual(before);
      expect(await payins(gw)).toEqual([]);
    });

    it('answers withdrawal/create with the processing error (Code08) and rolls the whole payout back', async () => {
      await gw.wallet(PHONE, 0);
      await gw.fundSub(ORANGE, 10_000);
      const before = await money(gw);
      await breakOutbox();
      const response = await send(gw, 'POST', WITHDRAWAL, { body: payoutBody(PHONE, 5000) });
      expect(response.status).toBe(200);
      expectEchec(response.json, 'createWithdrawal', '08');
      expect(await money(gw)).toEqual(before);
      expect(await payouts(gw)).toEqual([]);
    });
  });
});

describe.each(BACKENDS)('production mode on %s', (backend) => {
  let gw: TestGateway;
  beforeEach(async () => {
    gw = await startTestGateway(backend, { config: { mode: 'production' } });
  });
  afterEach(async () => gw.destroy());

  it('has no sandbox SMS inbox: /sandbox/sms is an unknown route (Code12, HTTP 404 outside /pay/)', async () => {
    const response = await send(gw, 'GET', '/sandbox/sms?phone=22670111111');
    expect(response.status).toBe(404);
    expectEchec(response.json, 'createInvoice', '12');
    expect(response.text).not.toContain('messages');
  });

  it('says so on /health', async () => {
    expect((await send(gw, 'GET', '/health')).json).toEqual({ status: 'ok', mode: 'production' });
  });

  it('still serves the LigdiCash endpoints', async () => {
    await gw.wallet(PHONE, 0);
    await gw.fundSub(ORANGE, 10_000);
    expect((await gw.call('POST', WITHDRAWAL, { body: payoutBody(PHONE, 5000) })).response_code).toBe('00');
  });
});
