import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../src/core/clock.js';
import { loadConfig } from '../src/config.js';
import { startGateway } from '../src/gateway.js';
import { orangeBurkinaFactory, orangeWebPayFactory } from '../src/operators/orange-money.js';
import { orderIdOf } from '../src/operators/orange-webpay.js';
import { connectorsFromJson } from '../src/operators/registry.js';
import { BACKENDS, type TestGateway, startTestGateway } from './harness.js';
import { PAYIN_ACCEPTED, expectEchec, outbox, payins, subOf } from './http-helpers.js';
import { E2, E7, confirmPayin, straightBody } from './payin-helpers.js';
import { FAKE_STATUS_MAP, type OrangeBfFake, startOrangeBfFake } from './fakes/orange-bf-fake.js';
import { type OrangeWebPayFake, startOrangeWebPayFake } from './fakes/orange-webpay-fake.js';

/**
 * Production mode with only the Orange connectors (ADR 0011), through the public LigdiCash API:
 * Orange Burkina's USSD-OTP payin, Orange CI's WebPay redirect settled by its notification or by a
 * status query, and payouts to Orange Burkina refused because its API has none.
 */
const BF_PHONE = '22670123456';
const CI_PHONE = '2250712345678';
const AMOUNT = 5000;

describe.each(BACKENDS)('Orange Money end to end on %s', (backend) => {
  let gw: TestGateway;
  let bf: OrangeBfFake;
  let webpay: OrangeWebPayFake;

  beforeEach(async () => {
    bf = await startOrangeBfFake();
    webpay = await startOrangeWebPayFake('ci');
    const router = connectorsFromJson(
      {
        connectors: [
          {
            type: 'orange-bf-otp',
            operators: ['11'],
            settings: {
              url: bf.url,
              merchantMsisdn: bf.merchantMsisdn,
              apiUsername: bf.apiUsername,
              apiPassword: bf.apiPassword,
              statusMap: FAKE_STATUS_MAP,
            },
          },
          {
            type: 'orange-webpay',
            operators: ['16'],
            settings: {
              tokenUrl: webpay.tokenUrl,
              baseUrl: webpay.url,
              env: 'ci',
              clientId: webpay.clientId,
              clientSecret: webpay.clientSecret,
              merchantKey: webpay.merchantKey,
            },
          },
        ],
      },
      [orangeBurkinaFactory, orangeWebPayFactory],
      { timeoutMs: 2000, clock: systemClock, publicUrl: 'http://127.0.0.1:1', env: {} },
    );
    gw = await startTestGateway(backend, {
      connector: router,
      config: { mode: 'production', callbackAllowPrivate: true },
    });
    // Orange's notification reaches the gateway's notify route, in process.
    webpay.deliver = async (notifUrl, body) => {
      const response = await gw.app.inject({
        method: 'POST',
        url: new URL(notifUrl).pathname,
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify(body),
      });
      expect(response.statusCode).toBe(200);
    };
  });
  afterEach(async () => {
    await gw.destroy();
    await bf.close();
    await webpay.close();
  });

  const create = (body: unknown) => gw.call('POST', E2, { body });

  it('Orange Burkina: the code from *144*4*6# completes the payin at once', async () => {
    bf.issueOtp('70123456', '482913');
    const created = await create(straightBody(BF_PHONE, { otp: '482913' }));
    expect(created).toMatchObject({ response_code: '00', response_text: PAYIN_ACCEPTED });
    expect(await confirmPayin(gw, created.token)).toMatchObject({
      status: 'completed',
      operator_id: '11',
      operator_name: 'ORANGE BURKINA',
      customer: BF_PHONE,
      amount: String(AMOUNT),
    });
    expect((await subOf(gw, '11'))?.availableXof).toBe(AMOUNT);
    expect(bf.commands).toHaveLength(1);
    expect(bf.debitsOf(String((await payins(gw))[0]?.id) + '.1')).toBe(1);
    expect((await outbox(gw)).map((e) => e.event_type)).toEqual(['payin.completed']);
  });

  it('Orange Burkina: a wrong code answers Echec (Code15), nothing held, nothing debited', async () => {
    bf.issueOtp('70123456', '482913');
    expectEchec(await create(straightBody(BF_PHONE, { otp: '111111' })), 'createInvoice', '15');
    expect(await subOf(gw, '11')).toMatchObject({ postedXof: 0, heldXof: 0, availableXof: 0 });
    expect(await outbox(gw)).toEqual([]);
    expect(bf.balances.get('70123456')).toBeUndefined();
  });

  it("Orange CI: the response is Orange's payment_url, and the notification settles the payin", async () => {
    const created = await create(straightBody(CI_PHONE));
    expect(created.response_code).toBe('00');
    const [payment] = [...webpay.payments.values()];
    expect(created.response_text).toBe(`${webpay.url}/payment/pay_token/${String(payment?.payToken)}`);
    expect(payment?.body).toMatchObject({
      amount: AMOUNT,
      currency: 'XOF',
      notif_url: 'http://127.0.0.1:1/operators/16/notify',
    });
    expect(await confirmPayin(gw, created.token)).toMatchObject({ status: 'pending' });
    webpay.duplicateNotifications = true;
    await webpay.finish(String(payment?.orderId), 'SUCCESS');
    expect(await confirmPayin(gw, created.token)).toMatchObject({
      status: 'completed',
      operator_id: '16',
      operator_name: 'ORANGE CI',
      customer: CI_PHONE,
    });
    expect((await subOf(gw, '16'))?.availableXof).toBe(AMOUNT);
    expect((await outbox(gw)).map((e) => e.event_type)).toEqual(['payin.completed']);
  });

  it('Orange CI: a forged notification is refused; a notification that never comes is settled by a status query', async () => {
    const created = await create(straightBody(CI_PHONE));
    const [payin] = await payins(gw);
    const orderId = orderIdOf(`${String(payin?.id)}.1`);
    const forged = await gw.app.inject({
      method: 'POST',
      url: '/operators/16/notify',
      headers: { 'content-type': 'application/json' },
      payload: { status: 'SUCCESS', notif_token: 'guess', txnid: 'MP1' },
    });
    expect(forged.statusCode).toBe(401);
    webpay.withholdNotifications = true;
    await webpay.finish(orderId, 'FAILED');
    expect(await confirmPayin(gw, created.token)).toMatchObject({ status: 'pending' });
    gw.clock.advance(gw.gw.config.pendingDeadlineMs + 1_000);
    await gw.resolver.runOnce();
    expect(await confirmPayin(gw, created.token)).toMatchObject({ status: 'notcompleted' });
    expect(await subOf(gw, '16')).toMatchObject({ postedXof: 0, heldXof: 0 });
    expect(webpay.statusQueries).toBeGreaterThanOrEqual(1);
  });

  it('Orange CI: another instance, which never saw the payment, settles it from the stored operator state', async () => {
    const created = await create(straightBody(CI_PHONE));
    const [payin] = await payins(gw);
    webpay.withholdNotifications = true;
    const body = await webpay.finish(orderIdOf(`${String(payin?.id)}.1`), 'SUCCESS');
    // A second gateway on the same database, with connectors of its own (nothing in memory).
    const fresh = connectorsFromJson(
      {
        connectors: [
          {
            type: 'orange-webpay',
            operators: ['16'],
            settings: {
              tokenUrl: webpay.tokenUrl,
              baseUrl: webpay.url,
              env: 'ci',
              clientId: webpay.clientId,
              clientSecret: webpay.clientSecret,
              merchantKey: webpay.merchantKey,
            },
          },
        ],
      },
      [orangeWebPayFactory],
      { timeoutMs: 2000, clock: systemClock, publicUrl: 'http://127.0.0.1:1', env: {} },
    );
    const other = await startGateway(
      {
        ...gw.gw.config,
        ...loadConfig({ CAURI_MODE: 'production', CAURI_DATA_DIR: ':memory:' }),
        callbackAllowPrivate: true,
      },
      { db: gw.gw.db, clock: gw.clock, startWorkers: false, connector: fresh },
    );
    try {
      // Orange's notification reaching the other instance names no order: it cannot be matched there.
      const notified = await other.app.inject({
        method: 'POST',
        url: '/operators/16/notify',
        headers: { 'content-type': 'application/json' },
        payload: body,
      });
      expect(notified.statusCode).toBe(401);
      gw.clock.advance(gw.gw.config.pendingDeadlineMs + 1_000);
      await other.resolver.runOnce();
    } finally {
      await other.app.close();
    }
    expect(await confirmPayin(gw, created.token)).toMatchObject({ status: 'completed', operator_id: '16' });
    expect((await subOf(gw, '16'))?.availableXof).toBe(AMOUNT);
  });

  it('a payout to Orange Burkina is refused: the API has no cash-in, no money moves', async () => {
    await gw.fundSub('11', 100_000);
    const before = await subOf(gw, '11');
    const response = await gw.call('POST', E7, {
      body: {
        commande: {
          amount: 2500,
          description: 'Refund',
          customer: BF_PHONE,
          callback_url: 'https://shop.example/cb',
          custom_data: {},
        },
      },
    });
    // The commands refuse operators a connector does not serve before holding money (ADR 0009).
    expectEchec(response, 'createStraightWithdrawal', '03');
    await gw.dispatcher.runOnce();
    expect(await subOf(gw, '11')).toEqual(before);
    expect(bf.commands).toHaveLength(0);
  });
});
