import { afterEach, describe, expect, it } from 'vitest';
import type {
  CreditRequest,
  DebitOutcome,
  OperatorConnector,
  OperatorOutcome,
} from '../src/operators/connector.js';
import { simulatorDeskOf } from '../src/operators/simulator.js';
import { BACKENDS, type TestGateway, startTestGateway } from './harness.js';
import { outbox, payins, payouts, subOf } from './http-helpers.js';
import {
  E1,
  E2,
  E7,
  NUMBERS,
  PageClient,
  checkoutBody,
  confirmPayin,
  csrfOf,
  pagePath,
  straightBody,
} from './payin-helpers.js';

/**
 * What stays pending past the deadline is resolved by asking the operator (ADR 0007): the
 * resolver is driven by hand with the harness clock, no sleeps.
 */
const DEADLINE_MS = 600_000;

async function invoiceOf(gw: TestGateway) {
  return gw.gw.db.command((tx) => tx.selectFrom('invoices').selectAll().executeTakeFirstOrThrow());
}

/** An operator that never answers a debit request, but knows its outcome when asked later. */
class SlowOperator implements OperatorConnector {
  outcome: OperatorOutcome = { state: 'pending' };
  requestCredit(_request: CreditRequest): Promise<OperatorOutcome> {
    return Promise.resolve({ state: 'pending' });
  }
  queryStatus(): Promise<OperatorOutcome> {
    return Promise.resolve(this.outcome);
  }
  requestDebit(): Promise<DebitOutcome> {
    return Promise.reject(new Error('connection reset by the operator'));
  }
}

describe.each(BACKENDS)('pending deadline resolution on %s', (backend) => {
  let gw: TestGateway;
  afterEach(async () => gw.destroy());

  it('asks nothing before the deadline, then records every pending answer as the reason', async () => {
    gw = await startTestGateway(backend);
    const created = await gw.call('POST', E2, { body: straightBody(NUMBERS.ussd_push.phone) });
    gw.clock.advance(DEADLINE_MS - 1);
    expect((await gw.resolver.runOnce()).queried).toBe(0);
    gw.clock.advance(1);
    expect((await gw.resolver.runOnce()).queried).toBe(1);
    expect((await payins(gw))[0]?.status_reason).toMatch(/^operator still pending at status query 1 \(/);
    const invoice = await invoiceOf(gw);
    expect(Number(invoice.resolve_after_ms)).toBe(gw.clock.nowMs() + DEADLINE_MS);
    expect(invoice.resolve_attempts).toBe(1);
    expect((await confirmPayin(gw, created.token)).status).toBe('pending');
    // The next query waits twice as long.
    gw.clock.advance(DEADLINE_MS);
    expect((await gw.resolver.runOnce()).queried).toBe(1);
    expect(Number((await invoiceOf(gw)).resolve_after_ms)).toBe(gw.clock.nowMs() + 2 * DEADLINE_MS);
  });

  it('settles a payin whose notification was lost, through the status query', async () => {
    gw = await startTestGateway(backend);
    const { phone, operatorId } = NUMBERS.ussd_push;
    const created = await gw.call('POST', E2, { body: straightBody(phone) });
    const desk = simulatorDeskOf(gw.gw.connector);
    const [payin] = await payins(gw);
    // The customer approves, but the operator's notification never arrives.
    expect((await desk?.decide(`${String(payin?.id)}.1`, 'approve'))?.ok).toBe(true);
    expect((await confirmPayin(gw, created.token)).status).toBe('pending');
    gw.clock.advance(DEADLINE_MS);
    expect((await gw.resolver.runOnce()).queried).toBe(1);
    expect((await confirmPayin(gw, created.token)).status).toBe('completed');
    expect((await subOf(gw, operatorId))?.availableXof).toBe(5000);
    expect((await outbox(gw)).map((e) => e.event_type)).toEqual(['payin.completed']);
    gw.clock.advance(10 * DEADLINE_MS);
    expect((await gw.resolver.runOnce()).queried).toBe(0);
  });

  it('a number stuck pending forever is flagged for review after 20 queries, and still asked daily', async () => {
    gw = await startTestGateway(backend);
    await gw.call('POST', E2, { body: straightBody('22796110005') });
    for (let query = 1; query <= 20; query++) {
      gw.clock.advance(24 * 3_600_000);
      expect((await gw.resolver.runOnce()).queried).toBe(1);
    }
    expect((await payins(gw))[0]).toMatchObject({
      status: 'pending',
      status_reason: 'operator still pending after 20 status queries; needs review',
    });
    expect(Number((await invoiceOf(gw)).resolve_after_ms)).toBe(gw.clock.nowMs() + 24 * 3_600_000);
    // The hold stays: the operator may still pay.
    expect(await gw.gw.db.command((tx) => tx.selectFrom('transfers').select('kind').execute())).toEqual([
      { kind: 'pending' },
    ]);
  });

  it('an operator call that fails leaves the payin pending with the reason; the status query settles it', async () => {
    const operator = new SlowOperator();
    gw = await startTestGateway(backend, { connector: operator });
    const created = await gw.call('POST', E2, { body: straightBody(NUMBERS.ussd_push.phone) });
    expect(created.response_code).toBe('00');
    expect((await payins(gw))[0]?.status_reason).toBe(
      'operator call failed (connection reset by the operator); its status will be queried',
    );
    operator.outcome = { state: 'failed', reason: 'declined', operatorReference: 'OP-1' };
    gw.clock.advance(DEADLINE_MS);
    await gw.resolver.runOnce();
    expect(await confirmPayin(gw, created.token)).toMatchObject({ status: 'notcompleted' });
    expect(await invoiceOf(gw)).toMatchObject({ operator_reference: 'OP-1' });
  });

  it('closes a payment page nobody used within 24 hours, but not one being paid', async () => {
    gw = await startTestGateway(backend);
    const unused = await gw.call('POST', E1, { body: checkoutBody() });
    const filtered = await gw.call('POST', E1, { body: checkoutBody({ customer: NUMBERS.ussd_push.phone }) });
    const paying = await gw.call('POST', E1, { body: checkoutBody() });
    const client = new PageClient(gw);
    const page = await client.get(pagePath(paying.response_text));
    await client.post(`${pagePath(paying.response_text)}/pay`, {
      csrf: csrfOf(page.body),
      operator: NUMBERS.ussd_push.operatorId,
      phone: NUMBERS.ussd_push.phone,
    });
    gw.clock.advance(24 * 3_600_000 - 1);
    expect((await gw.resolver.runOnce()).expired).toBe(0);
    gw.clock.advance(1);
    expect((await gw.resolver.runOnce()).expired).toBe(2);
    expect(await confirmPayin(gw, unused.token)).toMatchObject({ status: 'notcompleted' });
    expect(await confirmPayin(gw, filtered.token)).toMatchObject({ status: 'notcompleted' });
    expect(await confirmPayin(gw, paying.token)).toMatchObject({ status: 'pending' });
    expect((await payins(gw)).filter((p) => p.status === 'notcompleted').map((p) => p.status_reason)).toEqual(
      ['payment page expired unused after 24 hours', 'payment page expired unused after 24 hours'],
    );
    expect(
      (await payins(gw)).filter((p) => p.status === 'notcompleted').map((p) => p.status_reason_code),
    ).toEqual(['page_expired', 'page_expired']);
    expect((await outbox(gw)).map((e) => e.event_type)).toEqual(['payin.notcompleted', 'payin.notcompleted']);
  });

  it('asks again about a payout parked for review, with the reason refreshed', async () => {
    gw = await startTestGateway(backend);
    await gw.fundSub('11', 10_000);
    await gw.call('POST', E7, {
      body: {
        commande: {
          amount: 1000,
          description: 'x',
          customer: '22670440005',
          callback_url: '',
          custom_data: {},
        },
      },
    });
    for (let attempt = 0; attempt < 20; attempt++) {
      expect(await gw.dispatcher.runOnce()).toBe(1);
      gw.clock.advance(3_600_000);
    }
    expect((await payouts(gw))[0]).toMatchObject({ dispatch_state: 'review', status: 'pending' });
    expect(await gw.dispatcher.runOnce()).toBe(0);
    expect((await gw.resolver.runOnce()).payoutsRechecked).toBe(1);
    const [payout] = await payouts(gw);
    expect(payout).toMatchObject({
      dispatch_state: 'review',
      status_reason: 'operator still pending after 20 attempts; needs review',
    });
    expect(Number(payout?.dispatch_after_ms)).toBe(gw.clock.nowMs() + 3_600_000);
    expect((await gw.resolver.runOnce()).payoutsRechecked).toBe(0);
  });
});
