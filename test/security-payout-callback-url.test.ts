import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BACKENDS, type TestGateway, payoutBody, startTestGateway, walletPayinBody } from './harness.js';
import { expectEchec, money } from './http-helpers.js';
import { E7 } from './payin-helpers.js';

/**
 * A payout's `callback_url` is checked when the payout is created, as a payin's is (ADR 0016).
 * Before, `withdrawal/create` and `straight/payout` stored any text, and the merchant learnt of
 * the typo only from callbacks that never came (or the sender's refusal of `file:`, `javascript:`
 * and URLs with credentials). The wallet payin (`withotp`) had the same gap.
 */
const PHONE = '22670100300';
const BAD_URLS = [
  'javascript:alert(1)',
  'file:///etc/passwd',
  'ftp://shop.example/cb',
  'shop.example/cb',
  'https://user:pw@shop.example/cb',
];

describe.each(BACKENDS)('payout callback URLs on %s', (backend) => {
  let gw: TestGateway;
  beforeEach(async () => {
    gw = await startTestGateway(backend);
    await gw.wallet(PHONE, 0);
    await gw.fundSub('11', 100_000);
  });
  afterEach(async () => gw.destroy());

  it.each(BAD_URLS)('withdrawal/create refuses %s (Code09) and moves nothing', async (url) => {
    const before = await money(gw);
    const answer = await gw.call('POST', '/pay/v01/withdrawal/create', {
      body: payoutBody(PHONE, 1000, { callback_url: url }),
    });
    expectEchec(answer, 'createWithdrawal', '09', 'callback_url must be an http(s) URL');
    expect(await money(gw)).toEqual(before);
  });

  it.each(BAD_URLS)('straight/payout refuses %s and moves nothing', async (url) => {
    const before = await money(gw);
    const answer = await gw.call('POST', E7, {
      body: {
        commande: {
          amount: 1000,
          description: 'Supplier',
          customer: PHONE,
          callback_url: url,
          custom_data: {},
        },
      },
    });
    expectEchec(answer, 'createStraightWithdrawal', '10', 'callback_url must be an http(s) URL');
    expect(await money(gw)).toEqual(before);
  });

  it('an over-long callback_url is refused by the schema already', async () => {
    const answer = await gw.call('POST', '/pay/v01/withdrawal/create', {
      body: payoutBody(PHONE, 1000, { callback_url: `https://shop.example/${'a'.repeat(2100)}` }),
    });
    expectEchec(answer, 'createWithdrawal', '09', /callback_url/);
  });

  it('withotp refuses a bad callback URL before the code is judged', async () => {
    await gw.wallet('22670100301', 5000);
    expectEchec(
      await gw.call('POST', '/pay/v02/debitwallet/withotp', {
        body: {
          ...walletPayinBody('22670100301', 1000, '123456'),
          commande: {
            ...walletPayinBody('22670100301', 1000, '123456').commande,
            actions: { callback_url: 'javascript:alert(1)' },
          },
        },
      }),
      'createInvoice',
      '08',
      'actions.callback_url must be an http(s) URL',
    );
  });

  it('accepts http(s) URLs and an empty or missing callback_url', async () => {
    for (const [i, url] of [
      'https://shop.example/cb',
      'http://shop.example:8080/cb?x=1',
      '',
      null,
    ].entries()) {
      const answer = await gw.call('POST', '/pay/v01/withdrawal/create', {
        body: payoutBody(PHONE, 1000, { callback_url: url, custom_data: { transaction_id: `OK-${i}` } }),
      });
      expect(answer.response_code, JSON.stringify(answer)).toBe('00');
    }
    const withoutUrl: Record<string, unknown> = {
      ...payoutBody(PHONE, 1000, { custom_data: { transaction_id: 'OK-none' } }).commande,
    };
    delete withoutUrl.callback_url;
    expect(
      (await gw.call('POST', '/pay/v01/withdrawal/create', { body: { commande: withoutUrl } })).response_code,
    ).toBe('00');
  });
});
