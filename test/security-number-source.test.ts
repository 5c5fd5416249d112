import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BACKENDS, type TestGateway, payoutBody, startTestGateway, walletPayinBody } from './harness.js';
import { ORANGE, expectEchec, money, otpFor, payouts, send, walletOf } from './http-helpers.js';
import { E1, E7, checkoutBody } from './payin-helpers.js';

/**
 * Issue 10: `99.99999999999999999` reads as 100 in JSON.parse, so an amount whose source is not
 * an integer was taken as one. A JSON number written with a fraction or an exponent that reads as
 * an integer is now refused while the body is parsed (the Data Input error); a fraction of zeros,
 * what Dart and PHP floats print (`1500.0`), still is an integer.
 */
const PHONE = '22670111111';
const WITHDRAWAL = '/pay/v01/withdrawal/create';
const WITHOTP = '/pay/v02/debitwallet/withotp';
const REFUSED = 'Number with a fraction or exponent that reads as an integer: send the integer';

/** A JSON body with `literal` spliced in as the amount, since JSON.stringify would normalise it. */
function withAmount(body: unknown, literal: string): string {
  return JSON.stringify(body).replace('"__amount__"', literal);
}

describe.each(BACKENDS)('non-integral spellings of integers on %s', (backend) => {
  let gw: TestGateway;
  beforeEach(async () => {
    gw = await startTestGateway(backend);
    await gw.wallet(PHONE, 10_000);
    await gw.fundSub(ORANGE, 100_000);
  });
  afterEach(async () => gw.destroy());

  it.each(['99.99999999999999999', '1000.0000000000000001', '1e3', '1E3', '1.0e3', '10000e-1'])(
    'refuses a payout of %s and moves nothing',
    async (literal) => {
      const before = await money(gw);
      const response = await send(gw, 'POST', WITHDRAWAL, {
        rawBody: withAmount(payoutBody(PHONE, '__amount__'), literal),
      });
      expectEchec(response.json, 'createWithdrawal', '09', REFUSED);
      expect(await payouts(gw)).toEqual([]);
      expect(await money(gw)).toEqual(before);
    },
  );

  it('refuses it in a straight payout, a checkout invoice and a wallet payin too', async () => {
    const straight = {
      commande: {
        amount: '__amount__',
        description: 'Supplier',
        customer: PHONE,
        callback_url: '',
        custom_data: {},
      },
    };
    expectEchec(
      (await send(gw, 'POST', E7, { rawBody: withAmount(straight, '99.99999999999999999') })).json,
      'createStraightWithdrawal',
      '10',
      REFUSED,
    );
    expectEchec(
      (
        await send(gw, 'POST', E1, {
          rawBody: withAmount(checkoutBody({ amount: '__amount__' }), '99.99999999999999999'),
        })
      ).json,
      'createInvoice',
      '08',
      REFUSED,
    );
    const otp = await otpFor(gw, PHONE, 100);
    const before = await walletOf(gw, PHONE);
    expectEchec(
      (
        await send(gw, 'POST', WITHOTP, {
          rawBody: withAmount(walletPayinBody(PHONE, '__amount__', otp), '99.99999999999999999'),
        })
      ).json,
      'createInvoice',
      '08',
      REFUSED,
    );
    expect(await walletOf(gw, PHONE)).toEqual(before);
  });

  it('refuses it anywhere in the body, not only in amounts', async () => {
    const response = await send(gw, 'POST', WITHDRAWAL, {
      rawBody: withAmount(payoutBody(PHONE, 1000, { top_up_wallet: '__amount__' }), '1.00000000000000000001'),
    });
    expectEchec(response.json, 'createWithdrawal', '09', REFUSED);
  });

  it('still takes 1500, 1500.0 and "1500.0", and fractions that are not integers elsewhere', async () => {
    for (const literal of ['1500', '1500.0', '1500.00', '"1500.0"']) {
      const response = await send(gw, 'POST', WITHDRAWAL, {
        rawBody: withAmount(payoutBody(PHONE, '__amount__', { custom_data: { rate: 2.5 } }), literal),
      });
      expect(response.json.response_code, literal).toBe('00');
    }
    expect(await payouts(gw)).toHaveLength(4);
  });

  it('still refuses a genuinely fractional amount with the amount rule', async () => {
    const response = await send(gw, 'POST', WITHDRAWAL, {
      rawBody: withAmount(payoutBody(PHONE, '__amount__'), '1500.5'),
    });
    expect(response.json.response_code).toBe('01');
    expect(response.json.description).not.toBe(REFUSED);
  });
});
