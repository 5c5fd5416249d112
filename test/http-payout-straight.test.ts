import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BACKENDS, type TestGateway, startTestGateway } from './harness.js';
import { CONFIRM_KEYS } from '../src/http/wire.js';
import {
  expectEchec,
  expectTokenClaims,
  outbox,
  payouts,
  send,
  setProject,
  subOf,
  walletOf,
} from './http-helpers.js';
import { E7 } from './payin-helpers.js';

/**
 * Merchant payout, `POST /pay/v01/straight/payout` (spec §2.7, §6.5), its createStraightWithdrawal
 * codes (spec §4.3, ADR 0004) and its status on `straight/payout/confirm?payoutToken=` and
 * `withdrawal/confirm` (spec §2.8).
 */
const PHONE = '22670445566';
const FUNDS = 100_000;

function body(phone: string, amount: number | string = 2500, extra: Record<string, unknown> = {}) {
  return {
    commande: {
      amount,
      description: 'Supplier payment',
      customer: phone,
      callback_url: 'https://shop.example/cb',
      custom_data: { transaction_id: 'PO-1' },
      ...extra,
    },
  };
}

describe.each(BACKENDS)('merchant payout over HTTP on %s', (backend) => {
  let gw: TestGateway;
  beforeEach(async () => {
    gw = await startTestGateway(backend);
    await gw.fundSub('11', FUNDS);
  });
  afterEach(async () => gw.destroy());

  const create = (b: unknown, options: { headers?: Record<string, string>; ip?: string } = {}) =>
    gw.call('POST', E7, { body: b, ...options });

  it('needs no wallet: holds the money, and the dispatcher pays the mobile-money account', async () => {
    const created = await create(body(PHONE));
    expect(Object.keys(created)).toEqual([
      'response_code',
      'token',
      'response_text',
      'description',
      'custom_data',
      'wiki',
    ]);
    expect(created).toMatchObject({
      response_code: '00',
      response_text: '',
      description: '',
      wiki: 'https://client.ligdicash.com/wiki/createStraightWithdrawal',
    });
    expectTokenClaims(created.token, 'id_finance', gw.clock.nowMs());
    expect(await walletOf(gw, PHONE)).toBeUndefined();
    expect(await subOf(gw, '11')).toMatchObject({
      postedXof: FUNDS,
      availableXof: FUNDS - 2500,
      heldXof: 2500,
    });
    const pending = await gw.call(
      'GET',
      `/pay/v01/straight/payout/confirm/?payoutToken=${String(created.token)}`,
    );
    expect(Object.keys(pending)).toEqual([...CONFIRM_KEYS]);
    expect(pending).toMatchObject({
      status: 'pending',
      token: created.token,
      amount: '2500',
      montant: '2500',
      customer: PHONE,
      transaction_id: 'PO-1',
    });
    expect(await gw.dispatcher.runOnce()).toBe(1);
    expect(await subOf(gw, '11')).toMatchObject({
      postedXof: FUNDS - 2500,
      availableXof: FUNDS - 2500,
      heldXof: 0,
    });
    expect((await payouts(gw))[0]).toMatchObject({ kind: 'merchant', top_up_wallet: 0, status: 'completed' });
    expect((await outbox(gw)).map((e) => e.event_type)).toEqual(['payout.completed']);
    // Every confirm form answers it: both paths, GET and POST, with or without the slash, either name.
    for (const url of [
      `/pay/v01/straight/payout/confirm?payoutToken=${String(created.token)}`,
      `/pay/v01/withdrawal/confirm/?withdrawalToken=${String(created.token)}`,
      `/pay/v01/withdrawal/confirm/?payoutToken=${String(created.token)}`,
    ]) {
      expect((await gw.call('GET', url)).status).toBe('completed');
      expect((await gw.call('POST', url)).status).toBe('completed');
    }
  });

  it.each([
    ['0002', 'declined'],
    ['0003', 'insufficient_funds'],
    ['0004', 'operator_error'],
  ])('a number ending %s fails: notcompleted, the money back on the sub-account', async (suffix, reason) => {
    const created = await create(body(`2267044${suffix}`));
    await gw.dispatcher.runOnce();
    expect(
      await gw.call('GET', `/pay/v01/straight/payout/confirm/?payoutToken=${String(created.token)}`),
    ).toMatchObject({ status: 'notcompleted', description: reason });
    expect(await subOf(gw, '11')).toMatchObject({ postedXof: FUNDS, availableXof: FUNDS, heldXof: 0 });
    expect((await outbox(gw)).map((e) => e.event_type)).toEqual(['payout.notcompleted']);
  });

  it('a number ending 0005 stays pending with the money held', async () => {
    const created = await create(body('22670440005'));
    await gw.dispatcher.runOnce();
    expect(
      (await gw.call('GET', `/pay/v01/straight/payout/confirm/?payoutToken=${String(created.token)}`)).status,
    ).toBe('pending');
    expect((await subOf(gw, '11'))?.heldXof).toBe(2500);
    expect((await payouts(gw))[0]?.status_reason).toBe('awaiting operator');
  });

  it('Code00 for every authentication failure', async () => {
    for (const options of [
      { omit: ['apikey'] },
      { omit: ['authorization'] },
      { headers: { authorization: `Bearer ${gw.other.token}` } },
    ]) {
      expectEchec(
        (await send(gw, 'POST', E7, { body: body(PHONE), ...options })).json,
        'createStraightWithdrawal',
        '00',
      );
    }
    expect(await payouts(gw)).toEqual([]);
  });

  it('Code01 when payouts are switched off', async () => {
    await setProject(gw, { payoutEnabled: false });
    expectEchec(await create(body(PHONE)), 'createStraightWithdrawal', '01');
  });

  it.each([19, 1_000_001, 2500.5, '-20'])('Code02 for the amount %s', async (amount) => {
    expectEchec(await create(body(PHONE, amount)), 'createStraightWithdrawal', '02');
  });

  it('Code03 without a sub-account on the operator, or when the project does not enable it', async () => {
    expectEchec(await create(body('22674445566')), 'createStraightWithdrawal', '03');
    await setProject(gw, { operatorIds: ['0', '12'] });
    expectEchec(await create(body(PHONE)), 'createStraightWithdrawal', '03');
  });

  it('Code05 when the recipient operator cannot be identified', async () => {
    expectEchec(await create(body('22699445566')), 'createStraightWithdrawal', '05');
    expectEchec(await create(body('not a number')), 'createStraightWithdrawal', '05');
  });

  it('Code08 when the balance is low, counting money already held', async () => {
    expect((await create(body(PHONE, FUNDS - 1000))).response_code).toBe('00');
    expectEchec(
      await create(body(PHONE, 2000, { custom_data: { transaction_id: 'PO-2' } })),
      'createStraightWithdrawal',
      '08',
    );
  });

  it('Code10 for malformed input and for a transaction_id already used', async () => {
    expectEchec(await create({ commande: { amount: 100 } }), 'createStraightWithdrawal', '10');
    expectEchec((await send(gw, 'POST', E7, { rawBody: '{' })).json, 'createStraightWithdrawal', '10');
    expect((await create(body(PHONE))).response_code).toBe('00');
    expectEchec(
      await create(body(PHONE)),
      'createStraightWithdrawal',
      '10',
      'Api error: transaction already exists',
    );
  });

  it('Code14 for a caller outside the IP allow-list (ADR 0004)', async () => {
    expectEchec(await create(body(PHONE), { ip: '10.9.8.7' }), 'createStraightWithdrawal', '14');
    await setProject(gw, { allowedIps: [] });
    expectEchec(await create(body(PHONE)), 'createStraightWithdrawal', '14');
    expect(await payouts(gw)).toEqual([]);
  });

  it("accepts Dart's doubles, digit strings and PHP's [] custom_data", async () => {
    const dart = JSON.stringify(body(PHONE, 'AMOUNT')).replace('"AMOUNT"', '1500.0');
    expect((await send(gw, 'POST', E7, { rawBody: dart })).json.response_code).toBe('00');
    expect((await create(body(PHONE, '1500', { custom_data: [] }))).response_code).toBe('00');
  });

  it('replays an Idempotency-Key and holds the money once', async () => {
    const first = await create(body(PHONE), { headers: { 'idempotency-key': 'po-key' } });
    expect(await create(body(PHONE), { headers: { 'idempotency-key': 'po-key' } })).toEqual(first);
    expect((await subOf(gw, '11'))?.heldXof).toBe(2500);
  });

  it("another project's payout token is not found on either confirm path", async () => {
    const created = await create(body(PHONE));
    for (const path of ['straight/payout/confirm/?payoutToken=', 'withdrawal/confirm/?withdrawalToken=']) {
      expectEchec(
        (await send(gw, 'GET', `/pay/v01/${path}${String(created.token)}`, { headers: gw.other.headers }))
          .json,
        'confirmInvoice',
        '02',
      );
    }
    expectEchec(
      await gw.call('GET', '/pay/v01/straight/payout/confirm/?payoutToken=nope'),
      'confirmInvoice',
      '02',
    );
  });
});
