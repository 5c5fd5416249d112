import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BACKENDS, type TestGateway, payoutBody, startTestGateway } from './harness.js';
import { ORANGE, expectEchec, send } from './http-helpers.js';
import { E1, PAYIN_CONFIRM, checkoutBody } from './payin-helpers.js';

/**
 * Issue 10: transaction tokens were malleable. Their signature was decoded with Node's lenient
 * base64url decoder and compared as bytes, so a padded signature, one in the standard alphabet,
 * one with stray characters or with other unused low bits in its last character all named the
 * same transaction. Only the canonical spelling (RFC 7515: base64url, no padding) is a token now,
 * at the confirm endpoints and on the payment page alike.
 */
const PHONE = '22670111111';
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Other spellings of a token whose signature decodes to the same bytes. */
function respellings(token: string): string[] {
  const [header = '', payload = '', signature = ''] = token.split('.');
  const at = `${header}.${payload}.`;
  const last = ALPHABET.indexOf(signature.slice(-1));
  const spellings = [
    `${at}${signature}=`,
    `${at}${signature.slice(0, 5)}!${signature.slice(5)}`,
    `${at}${signature.replace(/-/g, '+').replace(/_/g, '/')}`,
  ];
  for (let low = 1; low < 4; low++)
    spellings.push(at + signature.slice(0, -1) + (ALPHABET[(last & ~3) | ((last + low) & 3)] ?? ''));
  return spellings.filter(
    (spelling) =>
      spelling !== token &&
      Buffer.from(spelling.split('.')[2] ?? '', 'base64url').equals(Buffer.from(signature, 'base64url')),
  );
}

describe.each(BACKENDS)('token spellings on %s', (backend) => {
  let gw: TestGateway;
  beforeEach(async () => {
    gw = await startTestGateway(backend);
  });
  afterEach(async () => gw.destroy());

  it('finds a payin by its token only, at the confirm endpoint and on the payment page', async () => {
    const created = await gw.call('POST', E1, { body: checkoutBody() });
    const token = String(created.token);
    expect((await gw.call('GET', `${PAYIN_CONFIRM}?invoiceToken=${token}`)).status).toBe('pending');
    expect((await gw.app.inject({ method: 'GET', url: `/directpayment/invoice/${token}` })).statusCode).toBe(
      200,
    );
    const spellings = respellings(token);
    expect(spellings.length).toBeGreaterThanOrEqual(4);
    for (const spelling of spellings) {
      const query = encodeURIComponent(spelling);
      expectEchec(
        (await send(gw, 'GET', `${PAYIN_CONFIRM}?invoiceToken=${query}`)).json,
        'confirmInvoice',
        '02',
      );
      expectEchec(
        (await send(gw, 'POST', PAYIN_CONFIRM, { body: { invoiceToken: spelling } })).json,
        'confirmInvoice',
        '02',
      );
      expect(
        (await gw.app.inject({ method: 'GET', url: `/directpayment/invoice/${query}` })).statusCode,
        spelling,
      ).toBe(404);
    }
  });

  it('finds a payout by its token only', async () => {
    await gw.wallet(PHONE, 0);
    await gw.fundSub(ORANGE, 10_000);
    const created = await gw.call('POST', '/pay/v01/withdrawal/create', { body: payoutBody(PHONE, 1000) });
    const token = String(created.token);
    expect(
      (await gw.call('GET', `/pay/v01/withdrawal/confirm/?withdrawalToken=${token}`)).response_code,
    ).toBe('00');
    for (const spelling of respellings(token)) {
      expectEchec(
        (
          await send(
            gw,
            'GET',
            `/pay/v01/withdrawal/confirm/?withdrawalToken=${encodeURIComponent(spelling)}`,
          )
        ).json,
        'confirmInvoice',
        '02',
      );
    }
  });
});
