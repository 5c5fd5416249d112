import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../src/core/clock.js';
import { retryDelayMs } from '../src/core/payout.js';
import { mtnMomoFactory } from '../src/operators/mtn-momo.js';
import { connectorsFromJson } from '../src/operators/registry.js';
import { BACKENDS, type TestGateway, payoutBody, startTestGateway } from './harness.js';
import { outbox, payins, payouts, subOf, walletOf } from './http-helpers.js';
import { E2, E7, confirmPayin, straightBody } from './payin-helpers.js';
import { type FakeCallback, type MtnMomoFake, startMtnMomoFake } from './fakes/mtn-momo-fake.js';

/**
 * MTN CI (operator 15) end to end in production mode with only the MoMo connector in the router
 * (ADR 0010): the public LigdiCash API, the MoMo fake on loopback, callbacks delivered to
 * `/operators/15/notify` as MoMo would POST them to X-Callback-Url, the resolver and the dispatcher.
 */
const PHONE = '2250512345678';
const AMOUNT = 5000;
const FUNDS = 100_000;
const PUBLIC_URL = 'http://127.0.0.1:1';

describe.each(BACKENDS)('MTN MoMo end to end on %s', (backend) => {
  let fake: MtnMomoFake;
  let gw: TestGateway;
  let callbacks: FakeCallback[];

  beforeEach(async () => {
    fake = await startMtnMomoFake();
    callbacks = [];
    // MoMo would POST to X-Callback-Url; the test keeps them and delivers them through the app.
    fake.callbackSender = (callback) => {
      callbacks.push(callback);
      return Promise.resolve();
    };
    const settings = fake.settings({ currency: 'XOF' });
    const router = connectorsFromJson(
      { connectors: [{ type: 'mtn-momo', operators: ['15'], settings }] },
      [mtnMomoFactory],
      {
        timeoutMs: 300,
        clock: systemClock,
        publicUrl: PUBLIC_URL,
        env: {},
      },
    );
    gw = await startTestGateway(backend, {
      connector: router,
      config: { mode: 'production', callbackAllowPrivate: true, operatorTimeoutMs: 1_000 },
    });
  });
  afterEach(async () => {
    await gw.destroy();
    await fake.stop();
  });

  const deliver = async (callback: FakeCallback | undefined) => {
    expect(callback?.url).toBe(`${PUBLIC_URL}/operators/15/notify`);
    const response = await gw.app.inject({
      method: 'POST',
      url: new URL(String(callback?.url)).pathname,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(callback?.body),
    });
    return { status: response.statusCode, json: JSON.parse(response.body) as Record<string, unknown> };
  };
  const payinReference = async () => String((await payins(gw))[0]?.id) + '.1';
  /** Dispatcher passes, the clock moved past each retry delay, until the payout is final. */
  const dispatchUntilFinal = async (passesMax = 4) => {
    for (let pass = 1; pass <= passesMax; pass++) {
      await gw.dispatcher.runOnce();
      if ((await payouts(gw)).every((p) => p.status !== 'pending')) return pass;
      gw.clock.advance(retryDelayMs(pass) + 1);
    }
    return passesMax;
  };

  it('a direct payin goes pending, the callback settles it through a status query, confirm says completed', async () => {
    fake.setOutcome(PHONE, { status: 'PENDING' });
    const created = await gw.call('POST', E2, { body: straightBody(PHONE, { amount: AMOUNT }) });
    expect(created.response_code).toBe('00');
    expect(await confirmPayin(gw, created.token)).toMatchObject({ status: 'pending' });
    const reference = await payinReference();
    expect(fake.debitsByExternalId(reference)).toBe(1);
    expect((await subOf(gw, '15'))?.availableXof ?? 0).toBe(0);

    // A forged callback claiming success changes nothing: MoMo still says PENDING.
    const forged = await deliver({
      url: `${PUBLIC_URL}/operators/15/notify`,
      method: 'POST',
      body: { externalId: reference, status: 'SUCCESSFUL', financialTransactionId: '666' },
    });
    expect(forged).toMatchObject({ status: 200, json: { received: true, result: 'pending' } });
    expect(await confirmPayin(gw, created.token)).toMatchObject({ status: 'pending' });

    await fake.settle(reference, { status: 'SUCCESSFUL' });
    expect(callbacks).toHaveLength(1);
    expect(await deliver(callbacks[0])).toMatchObject({
      status: 200,
      json: { received: true, reference, result: 'completed' },
    });
    expect(await confirmPayin(gw, created.token)).toMatchObject({
      status: 'completed',
      operator_id: '15',
      operator_name: 'MTN CI',
      customer: PHONE,
      amount: String(AMOUNT),
    });
    expect((await subOf(gw, '15'))?.availableXof).toBe(AMOUNT);
    const invoice = await gw.gw.db.command((tx) =>
      tx
        .selectFrom('invoices')
        .select('operator_reference')
        .where('reference', '=', reference)
        .executeTakeFirst(),
    );
    expect(invoice?.operator_reference).toBe(fake.transactionOf(reference)?.financialTransactionId);
    // MoMo's callback again (a duplicate): nothing moves, no second merchant callback.
    await fake.resendCallback(reference);
    expect(await deliver(callbacks[1])).toMatchObject({ status: 200, json: { result: 'already_final' } });
    expect((await subOf(gw, '15'))?.availableXof).toBe(AMOUNT);
    expect((await outbox(gw)).map((e) => e.event_type)).toEqual(['payin.completed']);
  });

  it('a payin whose callback never comes is resolved by the resolver after the pending deadline', async () => {
    fake.callbacksEnabled = false;
    fake.setOutcome(PHONE, { status: 'PENDING' });
    const created = await gw.call('POST', E2, { body: straightBody(PHONE, { amount: AMOUNT }) });
    const reference = await payinReference();
    await fake.settle(reference, { status: 'SUCCESSFUL' });
    expect(callbacks).toEqual([]);
    expect((await gw.resolver.runOnce()).queried).toBe(0);
    gw.clock.advance(gw.gw.config.pendingDeadlineMs + 1);
    expect((await gw.resolver.runOnce()).queried).toBe(1);
    expect(await confirmPayin(gw, created.token)).toMatchObject({ status: 'completed' });
    expect((await subOf(gw, '15'))?.availableXof).toBe(AMOUNT);
  });

  it('a payin the customer rejects ends notcompleted with the hold voided', async () => {
    fake.setOutcome(PHONE, { status: 'FAILED', reason: 'APPROVAL_REJECTED' });
    const created = await gw.call('POST', E2, { body: straightBody(PHONE, { amount: AMOUNT }) });
    await fake.flushCallbacks();
    expect(await deliver(callbacks[0])).toMatchObject({ status: 200, json: { result: 'notcompleted' } });
    expect(await confirmPayin(gw, created.token)).toMatchObject({ status: 'notcompleted' });
    expect(await subOf(gw, '15')).toMatchObject({ postedXof: 0, availableXof: 0, heldXof: 0 });
    expect((await payins(gw))[0]?.status_reason).toBe('declined: APPROVAL_REJECTED');
  });

  it('a merchant payout completes through the dispatcher', async () => {
    await gw.fundSub('15', FUNDS);
    const created = await gw.call('POST', E7, {
      body: {
        commande: {
          amount: 2500,
          description: 'Supplier',
          customer: PHONE,
          callback_url: 'https://shop.example/cb',
          custom_data: {},
        },
      },
    });
    expect(created.response_code).toBe('00');
    expect(await dispatchUntilFinal()).toBe(2);
    const [payout] = await payouts(gw);
    expect(payout).toMatchObject({
      status: 'completed',
      operator_reference: fake.transactionOf(String(payout?.id))?.financialTransactionId,
    });
    expect(await subOf(gw, '15')).toMatchObject({
      postedXof: FUNDS - 2500,
      availableXof: FUNDS - 2500,
      heldXof: 0,
    });
    expect(
      (await gw.call('GET', `/pay/v01/straight/payout/confirm/?payoutToken=${String(created.token)}`)).status,
    ).toBe('completed');
    expect(fake.creditsByExternalId(String(payout?.id))).toBe(1);
  });

  it('a customer payout with top_up_wallet 0 completes through the dispatcher, the wallet untouched', async () => {
    await gw.wallet(PHONE, 0);
    await gw.fundSub('15', FUNDS);
    const created = await gw.call('POST', '/pay/v01/withdrawal/create', {
      body: payoutBody(PHONE, 5000, { top_up_wallet: 0 }),
    });
    expect(created.response_code).toBe('00');
    await dispatchUntilFinal();
    expect(
      (await gw.call('GET', `/pay/v01/withdrawal/confirm/?withdrawalToken=${String(created.token)}`)).status,
    ).toBe('completed');
    expect(await subOf(gw, '15')).toMatchObject({ postedXof: FUNDS - 5000, heldXof: 0 });
    expect((await walletOf(gw, PHONE))?.postedXof ?? 0).toBe(0);
    expect((await outbox(gw)).map((e) => e.event_type)).toEqual(['payout.completed']);
  });

  it('a failed payout gives the money back to the sub-account', async () => {
    await gw.fundSub('15', FUNDS);
    fake.setOutcome(PHONE, { status: 'FAILED', reason: 'PAYEE_NOT_FOUND' });
    const created = await gw.call('POST', E7, {
      body: {
        commande: {
          amount: 2500,
          description: 'Supplier',
          customer: PHONE,
          callback_url: 'https://shop.example/cb',
          custom_data: {},
        },
      },
    });
    await dispatchUntilFinal();
    expect(
      await gw.call('GET', `/pay/v01/straight/payout/confirm/?payoutToken=${String(created.token)}`),
    ).toMatchObject({ status: 'notcompleted' });
    expect((await payouts(gw))[0]?.status_reason).toBe('payee_not_found: PAYEE_NOT_FOUND');
    expect(await subOf(gw, '15')).toMatchObject({ postedXof: FUNDS, availableXof: FUNDS, heldXof: 0 });
    expect((await outbox(gw)).map((e) => e.event_type)).toEqual(['payout.notcompleted']);
  });

  it.each([
    ['lost after MoMo took it (the re-send gets 409)', 'lost' as const],
    ['lost before MoMo saw it (the status is 404, the re-send is the first)', 'hang' as const],
  ])('a re-dispatch after an answer %s pays once', async (_case, kind) => {
    await gw.fundSub('15', FUNDS);
    fake.setOutcome(PHONE, { status: 'PENDING' });
    fake.fault({ route: 'transfer', kind });
    await gw.call('POST', E7, {
      body: {
        commande: {
          amount: 2500,
          description: 'Supplier',
          customer: PHONE,
          callback_url: 'https://shop.example/cb',
          custom_data: {},
        },
      },
    });
    const id = String((await payouts(gw))[0]?.id);
    await gw.dispatcher.runOnce();
    expect((await payouts(gw))[0]?.status).toBe('pending');
    gw.clock.advance(retryDelayMs(1) + 1);
    await gw.dispatcher.runOnce();
    expect(fake.requests.filter((r) => r.path === '/disbursement/v1_0/transfer')).toHaveLength(2);
    await fake.settle(id, { status: 'SUCCESSFUL' });
    gw.clock.advance(retryDelayMs(2) + 1);
    await gw.dispatcher.runOnce();
    expect((await payouts(gw))[0]?.status).toBe('completed');
    expect(fake.creditsByExternalId(id)).toBe(1);
    expect(await subOf(gw, '15')).toMatchObject({ postedXof: FUNDS - 2500, heldXof: 0 });
  });
});
