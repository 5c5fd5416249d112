import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BACKENDS, type TestGateway, payoutBody, startTestGateway, walletPayinBody } from './harness.js';
import { ORANGE, expectEchec, money, payins, payouts, send } from './http-helpers.js';
import { E1, checkoutBody } from './payin-helpers.js';

/**
 * Issue 10: deeply nested JSON with an `Idempotency-Key` overflowed the stack while the request
 * was hashed (`JSON.stringify` recurses). JSON bodies are now refused past 32 levels, while they
 * are parsed, before anything walks them: the endpoint's Data Input error, nothing written.
 */
const PHONE = '22670111111';
const WITHDRAWAL = '/pay/v01/withdrawal/create';
const WITHOTP = '/pay/v02/debitwallet/withotp';
const TOO_DEEP = 'JSON body nested deeper than 32 levels';

function deep(levels: number): unknown {
  let value: unknown = 'leaf';
  for (let level = 0; level < levels; level++) value = { k: value };
  return value;
}

/**
 * A body whose `custom_data` holds `levels` nested arrays, as raw text (JSON.stringify would
 * recurse as deep): two bytes a level, so 30 000 levels fit under the 64 KiB body limit.
 */
function deepRaw(body: { commande: Record<string, unknown> }, levels: number): string {
  const marker = '"__deep__"';
  return JSON.stringify({ ...body, commande: { ...body.commande, custom_data: '__deep__' } }).replace(
    marker,
    '['.repeat(levels) + '1' + ']'.repeat(levels),
  );
}

describe.each(BACKENDS)('deeply nested JSON on %s', (backend) => {
  let gw: TestGateway;
  beforeEach(async () => {
    gw = await startTestGateway(backend);
    await gw.wallet(PHONE, 10_000);
    await gw.fundSub(ORANGE, 10_000);
  });
  afterEach(async () => gw.destroy());

  it.each([
    [WITHDRAWAL, 'createWithdrawal', '09', () => payoutBody(PHONE, 1000)],
    [E1, 'createInvoice', '08', () => checkoutBody({ amount: 1000 })],
    [WITHOTP, 'createInvoice', '08', () => walletPayinBody(PHONE, 1000, '123456')],
  ] as const)(
    'refuses 30 000 levels at %s with an Idempotency-Key, as Data Input, and writes nothing',
    async (url, wiki, code, body) => {
      const before = await money(gw);
      const response = await send(gw, 'POST', url, {
        headers: { 'idempotency-key': 'deep-1' },
        rawBody: deepRaw(body(), 30_000),
      });
      expect(response.status).toBe(200);
      expectEchec(response.json, wiki, code, TOO_DEEP);
      expect(await money(gw)).toEqual(before);
      expect(await payouts(gw)).toEqual([]);
      expect(await payins(gw)).toEqual([]);
      const keys = await gw.gw.db.command((tx) => tx.selectFrom('idempotency').selectAll().execute());
      expect(keys).toEqual([]);
    },
  );

  it('refuses 33 levels and lets 32 through to the endpoint rules', async () => {
    const refused = await send(gw, 'POST', WITHDRAWAL, { rawBody: deepRaw(payoutBody(PHONE, 1000), 31) });
    expectEchec(refused.json, 'createWithdrawal', '09', TOO_DEEP);
    // custom_data at depth 2 holding 30 levels of arrays: 32 in all, past the parser; custom_data's own rule refuses it.
    const read = await send(gw, 'POST', WITHDRAWAL, { rawBody: deepRaw(payoutBody(PHONE, 1000), 30) });
    expectEchec(read.json, 'createWithdrawal', '09');
    expect(read.json.description).not.toBe(TOO_DEEP);
  });

  it('refuses a deep array at the top and deep values in any field', async () => {
    expectEchec(
      (await send(gw, 'POST', WITHDRAWAL, { rawBody: '['.repeat(40) + ']'.repeat(40) })).json,
      'createWithdrawal',
      '09',
      TOO_DEEP,
    );
    expectEchec(
      (await send(gw, 'POST', WITHDRAWAL, { body: payoutBody(PHONE, 1000, { description: deep(40) }) })).json,
      'createWithdrawal',
      '09',
      TOO_DEEP,
    );
  });

  it('still takes an ordinary body with an Idempotency-Key', async () => {
    const created = await send(gw, 'POST', WITHDRAWAL, {
      headers: { 'idempotency-key': 'ok-1' },
      body: payoutBody(PHONE, 1000),
    });
    expect(created.json.response_code).toBe('00');
  });
});
