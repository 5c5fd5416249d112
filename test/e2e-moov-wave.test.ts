import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../src/core/clock.js';
import { moovBurkinaFactory } from '../src/operators/moov-bf.js';
import { connectorsFromJson } from '../src/operators/registry.js';
import { waveFactory } from '../src/operators/wave.js';
import { MoovBurkinaFake } from './fakes/moov-bf-fake.js';
import { WaveFake } from './fakes/wave-fake.js';
import { BACKENDS, type TestGateway, startTestGateway } from './harness.js';
import { PAYIN_ACCEPTED, outbox, payouts, subOf } from './http-helpers.js';
import { expectLedgerSound, readLedger } from './ledger-checks.js';
import { E2, E7, confirmPayin, straightBody } from './payin-helpers.js';

/**
 * Production mode with only the Moov Africa Burkina and Wave connectors (ADR 0012, 0013), through
 * the public LigdiCash API, against the offline fakes on loopback.
 */
const WAVE_PHONE = '221771122334';
const MOOV_PHONE = '22660112233';
const PUBLIC_URL = 'https://cauri.example';
const DEADLINE_MS = 600_000;
const FUNDS = 100_000;

function payoutBody(phone: string, amount = 2500) {
  return {
    commande: {
      amount,
      description: 'Supplier payment',
      customer: phone,
      callback_url: 'https://shop.example/cb',
      custom_data: { transaction_id: 'PO-1' },
    },
  };
}

describe.each(BACKENDS)('Moov Africa Burkina and Wave in production on %s', (backend) => {
  let gw: TestGateway;
  let wave: WaveFake;
  let moov: MoovBurkinaFake;

  beforeEach(async () => {
    wave = await new WaveFake().start();
    moov = await new MoovBurkinaFake().start();
    const router = connectorsFromJson(
      {
        connectors: [
          { type: 'wave', operators: ['39'], settings: wave.settings() },
          { type: 'moov-bf', operators: ['12'], settings: moov.settings() },
        ],
      },
      [waveFactory, moovBurkinaFactory],
      { timeoutMs: 2000, clock: systemClock, publicUrl: PUBLIC_URL, env: {} },
    );
    gw = await startTestGateway(backend, {
      connector: router,
      config: { mode: 'production', callbackAllowPrivate: true, publicUrl: PUBLIC_URL },
    });
    wave.deliver = async (webhook) => {
      const response = await gw.app.inject({
        method: 'POST',
        url: '/operators/39/notify',
        headers: webhook.headers,
        payload: webhook.payload,
      });
      expect(response.statusCode).toBe(200);
    };
  });
  afterEach(async () => {
    await gw.destroy();
    await wave.down();
    await moov.down();
  });

  const onlySession = () => {
    const [session] = [...wave.sessions.values()];
    if (session?.client_reference == null) throw new Error('no Wave session');
    return session;
  };

  it('Wave direct payin: Cauri page linking to wave_launch_url, then a signed webhook (sent twice) completes it', async () => {
    const created = await gw.call('POST', E2, { body: straightBody(WAVE_PHONE) });
    expect(created.response_code).toBe('00');
    expect(created.response_text).toBe(`${PUBLIC_URL}/directpayment/invoice/${String(created.token)}`);
    const session = onlySession();
    expect(session).toMatchObject({
      amount: '5000',
      currency: 'XOF',
      success_url: created.response_text,
      error_url: created.response_text,
    });
    const page = await gw.app.inject({ method: 'GET', url: new URL(String(created.response_text)).pathname });
    expect(page.body).toContain(session.wave_launch_url.replace(/&/g, '&amp;'));
    expect((await confirmPayin(gw, created.token)).status).toBe('pending');
    wave.webhooks = 'twice';
    await wave.pay(String(session.client_reference));
    expect(await confirmPayin(gw, created.token)).toMatchObject({ status: 'completed', operator_id: '39' });
    expect((await outbox(gw)).map((e) => e.event_type)).toEqual(['payin.completed']);
    expectLedgerSound(await readLedger(gw.gw.db));
  });

  it('Wave: a forged or stale webhook is refused with 401 and settles nothing', async () => {
    const created = await gw.call('POST', E2, { body: straightBody(WAVE_PHONE) });
    const session = onlySession();
    const paid = {
      ...session,
      payment_status: 'succeeded',
      checkout_status: 'complete',
      transaction_id: 'TCNFORGED',
    };
    for (const webhook of [
      wave.signed('checkout.session.completed', paid, { secret: 'not-the-secret' }),
      wave.signed('checkout.session.completed', paid, { atMs: Date.now() - 10 * 60_000 }),
    ]) {
      const response = await gw.app.inject({
        method: 'POST',
        url: '/operators/39/notify',
        headers: webhook.headers,
        payload: webhook.payload,
      });
      expect(response.statusCode).toBe(401);
    }
    expect((await confirmPayin(gw, created.token)).status).toBe('pending');
  });

  it('Wave: a webhook that never comes is resolved by the status query after the deadline', async () => {
    const created = await gw.call('POST', E2, { body: straightBody(WAVE_PHONE) });
    wave.webhooks = 'withheld';
    await wave.pay(String(onlySession().client_reference));
    expect((await confirmPayin(gw, created.token)).status).toBe('pending');
    gw.clock.advance(DEADLINE_MS);
    expect((await gw.resolver.runOnce()).queried).toBe(1);
    expect((await confirmPayin(gw, created.token)).status).toBe('completed');
  });

  it('Wave merchant payout completes through the dispatcher, paid once', async () => {
    await gw.fundSub('39', FUNDS);
    const created = await gw.call('POST', E7, { body: payoutBody(WAVE_PHONE) });
    expect(created.response_code).toBe('00');
    expect(await gw.dispatcher.runOnce()).toBe(1);
    const [payout] = await payouts(gw);
    expect(payout).toMatchObject({ status: 'completed' });
    expect(wave.paidPerKey.get(String(payout?.id))).toBe(1);
    expect(
      await gw.call('GET', `/pay/v01/straight/payout/confirm/?payoutToken=${String(created.token)}`),
    ).toMatchObject({ status: 'completed' });
    expect(await subOf(gw, '39')).toMatchObject({ postedXof: FUNDS - 2500, heldXof: 0 });
    expectLedgerSound(await readLedger(gw.gw.db));
  });

  it('Wave payout refused (recipient-limit-exceeded): notcompleted, the money back', async () => {
    await gw.fundSub('39', FUNDS);
    wave.payoutRules.set(`+${WAVE_PHONE}`, {
      kind: 'error',
      http: 422,
      code: 'recipient-limit-exceeded',
      message: 'Monthly limit',
    });
    const created = await gw.call('POST', E7, { body: payoutBody(WAVE_PHONE) });
    await gw.dispatcher.runOnce();
    expect(
      await gw.call('GET', `/pay/v01/straight/payout/confirm/?payoutToken=${String(created.token)}`),
    ).toMatchObject({ status: 'notcompleted' });
    expect(await subOf(gw, '39')).toMatchObject({ postedXof: FUNDS, availableXof: FUNDS, heldXof: 0 });
  });

  it('Moov Africa Burkina payin: the USSD push is approved, and the status query completes it', async () => {
    const created = await gw.call('POST', E2, { body: straightBody(MOOV_PHONE) });
    expect(created).toMatchObject({ response_code: '00', response_text: PAYIN_ACCEPTED });
    const [reference] = [...moov.transactions.keys()];
    expect(moov.requests[0]).toMatchObject({
      command: 'mror-transaction-ussd',
      body: { 'request-id': reference, destination: MOOV_PHONE, amount: '5000' },
    });
    moov.approve(String(reference));
    gw.clock.advance(DEADLINE_MS);
    expect((await gw.resolver.runOnce()).queried).toBe(1);
    expect(await confirmPayin(gw, created.token)).toMatchObject({ status: 'completed', operator_id: '12' });
    expectLedgerSound(await readLedger(gw.gw.db));
  });

  it('Moov Africa Burkina payin declined on the phone: notcompleted', async () => {
    const created = await gw.call('POST', E2, { body: straightBody(MOOV_PHONE) });
    moov.decline(String([...moov.transactions.keys()][0]));
    gw.clock.advance(DEADLINE_MS);
    await gw.resolver.runOnce();
    expect((await confirmPayin(gw, created.token)).status).toBe('notcompleted');
  });

  it('Moov Africa Burkina payout completes through the dispatcher', async () => {
    await gw.fundSub('12', FUNDS);
    const created = await gw.call('POST', E7, { body: payoutBody(MOOV_PHONE) });
    expect(await gw.dispatcher.runOnce()).toBe(1);
    expect(
      await gw.call('GET', `/pay/v01/straight/payout/confirm/?payoutToken=${String(created.token)}`),
    ).toMatchObject({ status: 'completed' });
    expect(moov.movedCount(String((await payouts(gw))[0]?.id))).toBe(1);
  });
});
