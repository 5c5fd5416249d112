import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BACKENDS, type TestGateway, payoutBody, startTestGateway, walletPayinBody } from './harness.js';
import { ORANGE, type WikiName, expectEchec, money, otpFor, payins, payouts, send } from './http-helpers.js';
import { E1, E2, E7, NUMBERS, PageClient, checkoutBody, csrfOf, pagePath } from './payin-helpers.js';
import { ConsoleAgent, addConsoleUser } from './console-helpers.js';

/**
 * Issue 10: PostgreSQL text cannot hold a NUL character, so a `\u0000` in any text field of a
 * JSON body failed the whole statement, an internal error. JSON bodies with a NUL anywhere (a
 * value, a key, custom_data) are now refused while they are parsed, with the endpoint's Data
 * Input error, on every backend alike, and nothing is written.
 */
const PHONE = '22670111111';
const WITHDRAWAL = '/pay/v01/withdrawal/create';
const WITHOTP = '/pay/v02/debitwallet/withotp';
const NUL = 'NUL character in the JSON body';

describe.each(BACKENDS)('NUL characters on %s', (backend) => {
  let gw: TestGateway;
  beforeEach(async () => {
    gw = await startTestGateway(backend);
    await gw.wallet(PHONE, 10_000);
    await gw.fundSub(ORANGE, 10_000);
  });
  afterEach(async () => gw.destroy());

  const cases: [string, string, WikiName, string, () => unknown][] = [
    [
      'a payout description',
      WITHDRAWAL,
      'createWithdrawal',
      '09',
      () => payoutBody(PHONE, 1000, { description: 'Refund\u0000' }),
    ],
    [
      'a payout custom_data value',
      WITHDRAWAL,
      'createWithdrawal',
      '09',
      () => payoutBody(PHONE, 1000, { custom_data: { order: 'A\u0000' } }),
    ],
    [
      'a payout custom_data key',
      WITHDRAWAL,
      'createWithdrawal',
      '09',
      () => payoutBody(PHONE, 1000, { custom_data: { ['order\u0000']: 'A' } }),
    ],
    [
      'a straight payout description',
      E7,
      'createStraightWithdrawal',
      '10',
      () => ({
        commande: { amount: 1000, description: '\u0000', customer: PHONE, callback_url: '', custom_data: {} },
      }),
    ],
    [
      'an invoice description',
      E1,
      'createInvoice',
      '08',
      () => checkoutBody({ description: 'Order\u0000 42' }),
    ],
    [
      'a store name',
      E1,
      'createInvoice',
      '08',
      () => checkoutBody({ store: { name: '\u0000', website_url: 'https://shop.example' } }),
    ],
    [
      'an item name',
      E2,
      'createInvoice',
      '08',
      () =>
        checkoutBody({
          customer: NUMBERS.ussd_otp.phone,
          otp: '123456',
          items: [{ name: 'T\u0000', quantity: 1, unit_price: 5000, total_price: 5000 }],
        }),
    ],
    [
      'a wallet payin first name',
      WITHOTP,
      'createInvoice',
      '08',
      () => walletPayinBody(PHONE, 1000, '123456', { transaction_id: 'ORD\u0000' }),
    ],
  ];

  it.each(cases)(
    'refuses a NUL in %s with the Data Input error and writes nothing',
    async (_label, url, wiki, code, body) => {
      const before = await money(gw);
      const response = await send(gw, 'POST', url, { body: body() });
      expect(response.status).toBe(200);
      expectEchec(response.json, wiki, code, NUL);
      expect(await money(gw)).toEqual(before);
      expect(await payouts(gw)).toEqual([]);
      expect(await payins(gw)).toEqual([]);
    },
  );

  it('refuses a NUL in a wallet payin whose OTP is genuine, and the OTP still pays afterwards', async () => {
    const otp = await otpFor(gw, PHONE, 1000);
    const body = walletPayinBody(PHONE, 1000, otp);
    const refused = await send(gw, 'POST', WITHOTP, {
      body: {
        commande: {
          ...body.commande,
          invoice: { ...body.commande.invoice, customer_firstname: 'Awa\u0000' },
        },
      },
    });
    expectEchec(refused.json, 'createInvoice', '08', NUL);
    expect((await send(gw, 'POST', WITHOTP, { body })).json.response_code).toBe('00');
  });

  it('keeps text that only looks like a NUL escape, and other control characters', async () => {
    const created = await send(gw, 'POST', WITHDRAWAL, {
      body: payoutBody(PHONE, 1000, { description: 'back\\u0000slash \u0001 Ouédraogo' }),
    });
    expect(created.json.response_code).toBe('00');
  });

  it('refuses a NUL in a console form or query string with a 400 page, and writes nothing', async () => {
    await addConsoleUser(gw);
    const agent = new ConsoleAgent(gw.app);
    await agent.signIn();
    expect((await agent.get('/console/transactions?phone=2267%00')).status).toBe(400);
    await agent.get('/console/projects');
    const before = await gw.gw.db.command((tx) => tx.selectFrom('projects').select('id').execute());
    const created = await agent.post('/console/projects', {
      name: 'Shop\u0000',
      payin: 'on',
      operators_submitted: '1',
      operators: ['0'],
    });
    expect(created.status).toBe(400);
    expect(await gw.gw.db.command((tx) => tx.selectFrom('projects').select('id').execute())).toEqual(before);
  });

  it('refuses a NUL in a payment-page form with the 400 page, and asks no operator', async () => {
    const created = await gw.call('POST', E1, { body: checkoutBody() });
    const client = new PageClient(gw);
    const path = pagePath(created.response_text);
    const page = await client.get(`${path}?op=${NUMBERS.ussd_otp.operatorId}`);
    const answer = await client.post(`${path}/pay`, {
      csrf: csrfOf(page.body),
      operator: NUMBERS.ussd_otp.operatorId,
      phone: NUMBERS.ussd_otp.phone,
      otp: '12\u00003456',
    });
    expect(answer.status).toBe(400);
    const [payin] = await payins(gw);
    expect(payin?.status).toBe('pending');
    expect(
      await gw.gw.db.command((tx) => tx.selectFrom('invoices').select('reference').executeTakeFirst()),
    ).toEqual({ reference: null });
  });
});
