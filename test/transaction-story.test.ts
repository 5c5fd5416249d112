import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type TransactionRow,
  type TransactionStory,
  transactionStory,
} from '../src/store/console-transactions.js';
import { type TransactionFilter, searchTransactions } from '../src/console/transactions.js';
import { Rollback } from '../src/store/database.js';
import { createPayin, errors, handWorker } from './callback-fixtures.js';
import { Receiver, until } from './callback-receiver.js';
import { BACKENDS, type TestGateway, payoutBody, startTestGateway } from './harness.js';
import { ORANGE, payins, payouts } from './http-helpers.js';
import { E2, NUMBERS, confirmPayin, decide, pushes, straightBody } from './payin-helpers.js';

/**
 * The console's view of transactions (src/console/transactions.ts) after real flows through the
 * app: the state changes the database triggers record (migration 0005), ledger transfers,
 * operator exchanges (src/operators/recording-connector.ts), callbacks, and the search.
 */
const PHONE = '22670111111';
const DIRECT = NUMBERS.ussd_push;
const STEP_MS = 60_000;

function story(gw: TestGateway, id: string): Promise<TransactionStory | undefined> {
  return gw.gw.db.command((tx) => transactionStory(tx, id));
}

async function storyOf(gw: TestGateway, id: string): Promise<TransactionStory> {
  const found = await story(gw, id);
  if (found === undefined) throw new Error(`no story for ${id}`);
  return found;
}

function search(gw: TestGateway, filter: TransactionFilter, limit = 50): Promise<TransactionRow[]> {
  return gw.gw.db.command((tx) => searchTransactions(tx, filter, limit));
}

async function found(gw: TestGateway, filter: TransactionFilter, limit?: number): Promise<string[]> {
  return (await search(gw, filter, limit)).map((row) => row.id);
}

const createPayout = (gw: TestGateway, url: string) =>
  gw.call('POST', '/pay/v01/withdrawal/create', {
    body: payoutBody(PHONE, 5000, {
      top_up_wallet: 0,
      callback_url: url,
      custom_data: { transaction_id: 'PO-S1' },
    }),
  });

describe.each(BACKENDS)('transaction story on %s', (backend) => {
  let gw: TestGateway;
  let receiver: Receiver;
  /** The three transactions, oldest first, one STEP_MS apart: a wallet payin, a payout, a direct payin. */
  const ids = { wallet: '', payout: '', direct: '' };
  const createdAtMs = { wallet: 0, payout: 0, direct: 0 };

  beforeAll(async () => {
    gw = await startTestGateway(backend);
    receiver = await Receiver.start();
    errors.length = 0;
    await gw.wallet(PHONE, 100_000);
    await gw.fundSub(ORANGE, 100_000);

    createdAtMs.wallet = gw.clock.nowMs();
    await createPayin(gw, receiver.url(), { transaction_id: 'ORD-W1' });
    ids.wallet = String((await payins(gw))[0]?.id);

    gw.clock.advance(STEP_MS);
    createdAtMs.payout = gw.clock.nowMs();
    expect((await createPayout(gw, receiver.url())).response_code).toBe('00');
    ids.payout = String((await payouts(gw))[0]?.id);
    gw.clock.advance(1_000);
    expect(await gw.dispatcher.runOnce()).toBe(1);

    gw.clock.advance(STEP_MS);
    createdAtMs.direct = gw.clock.nowMs();
    const created = await gw.call('POST', E2, {
      body: straightBody(DIRECT.phone, {
        actions: { callback_url: receiver.url() },
        customData: { transaction_id: 'ORD-D1' },
      }),
    });
    ids.direct = String((await payins(gw)).find((p) => p.id !== ids.wallet)?.id);
    const [push] = await pushes(gw, DIRECT.phone);
    gw.clock.advance(1_000);
    expect((await decide(gw, String(push?.id), 'approve')).json).toMatchObject({ settled: 'completed' });
    expect(await confirmPayin(gw, created.token)).toMatchObject({ status: 'completed' });

    expect(await handWorker(gw.gw).runOnce()).toBe(3);
  });
  afterAll(async () => {
    await receiver.close();
    await gw.destroy();
    expect(errors).toEqual([]);
  });

  describe('story', () => {
    it('of a wallet payin: created completed, its transfer, its callback with both POSTs', async () => {
      const s = await storyOf(gw, ids.wallet);
      expect(s).toMatchObject({ kind: 'payin', projectName: 'Test shop', invoice: null });
      expect(s.row).toMatchObject({
        id: ids.wallet,
        status: 'completed',
        amount_xof: 1500,
        customer: PHONE,
        custom_data: { transaction_id: 'ORD-W1' },
      });
      expect(s.events).toEqual([
        {
          seq: expect.any(Number) as number,
          status: 'completed',
          reason: null,
          dispatchState: null,
          atMs: createdAtMs.wallet,
          requestId: expect.stringMatching(/^req_/) as string,
        },
      ]);
      expect(s.transfers.map((t) => [t.kind, t.reason, t.amountXof])).toEqual([
        ['single', 'wallet_payment', 1500],
      ]);
      expect(s.exchanges).toEqual([]);
      expect(s.callbacks).toHaveLength(1);
      expect(s.callbacks[0]).toMatchObject({
        eventType: 'payin.completed',
        status: 'delivered',
        attemptsMade: 1,
      });
      expect(s.callbacks[0]?.posts.map((p) => [p.attempt, p.encoding, p.httpStatus, p.url])).toEqual([
        [1, 'json', 200, receiver.url()],
        [1, 'form', 200, receiver.url()],
      ]);
    });

    it('of a payout through the operator: every state and dispatch change, the hold, the credit call', async () => {
      const s = await storyOf(gw, ids.payout);
      expect(s).toMatchObject({ kind: 'payout', invoice: null, projectName: 'Test shop' });
      expect(s.row).toMatchObject({
        id: ids.payout,
        status: 'completed',
        dispatch_state: 'done',
        top_up_wallet: 0,
        dispatch_attempts: 1,
        custom_data: { transaction_id: 'PO-S1' },
      });
      expect(s.events.map((e) => [e.status, e.dispatchState, e.reason])).toEqual([
        ['pending', 'queued', null],
        ['pending', 'sent', null],
        ['completed', 'done', null],
      ]);
      expect(s.events.map((e) => e.seq)).toEqual([...s.events.map((e) => e.seq)].sort((a, b) => a - b));
      expect(s.events[2]?.atMs).toBe(createdAtMs.payout + 1_000);
      expect(s.transfers.map((t) => [t.kind, t.amountXof])).toEqual([
        ['pending', 5000],
        ['post_pending', 5000],
      ]);
      expect(s.transfers[1]?.pendingId).toBe(s.transfers[0]?.id);
      expect(s.exchanges).toHaveLength(1);
      const [credit] = s.exchanges;
      expect(credit).toMatchObject({
        action: 'credit',
        reference: ids.payout,
        operatorId: ORANGE,
        error: null,
        startedAtMs: createdAtMs.payout + 1_000,
      });
      expect(credit?.latencyMs).toBeGreaterThanOrEqual(0);
      expect(JSON.parse(String(credit?.request))).toMatchObject({
        reference: ids.payout,
        phone: PHONE,
        amountXof: 5000,
      });
      expect(JSON.parse(String(credit?.outcome))).toMatchObject({
        state: 'completed',
        operatorReference: expect.stringMatching(/^SIM/) as string,
      });
      expect(s.callbacks.map((c) => [c.eventType, c.status, c.posts.length])).toEqual([
        ['payout.completed', 'delivered', 2],
      ]);
    });

    it('of a direct payin approved on the phone: pending, awaiting, completed; the debit and the notification', async () => {
      const s = await storyOf(gw, ids.direct);
      expect(s.kind).toBe('payin');
      expect(s.invoice).toMatchObject({
        payin_id: ids.direct,
        channel: 'direct',
        attempt: 1,
        reference: `${ids.direct}.1`,
      });
      expect(s.events.map((e) => [e.status, e.reason])).toEqual([
        ['pending', null],
        ['pending', 'awaiting AIRTEL NIGER'],
        ['completed', null],
      ]);
      expect(s.transfers.map((t) => [t.kind, t.reason])).toEqual([
        ['pending', 'payin_hold'],
        ['post_pending', 'payin'],
      ]);
      // The notification's record is written without waiting (parsing is synchronous).
      await until(async () => (await storyOf(gw, ids.direct)).exchanges.length === 2);
      const { exchanges } = await storyOf(gw, ids.direct);
      expect(exchanges.map((e) => [e.action, e.reference, e.operatorId])).toEqual([
        ['debit', `${ids.direct}.1`, DIRECT.operatorId],
        ['notification', `${ids.direct}.1`, DIRECT.operatorId],
      ]);
      expect(JSON.parse(String(exchanges[0]?.request))).toMatchObject({
        phone: DIRECT.phone,
        amountXof: 5000,
        merchantName: 'Test shop',
      });
      expect(JSON.parse(String(exchanges[0]?.outcome))).toMatchObject({ state: 'pending' });
      expect(JSON.parse(String(exchanges[1]?.outcome))).toMatchObject({ state: 'completed' });
      expect(s.callbacks.map((c) => c.eventType)).toEqual(['payin.completed']);
    });

    it('is undefined for an unknown id', async () => {
      expect(await story(gw, 'pay_nosuchpayin')).toBeUndefined();
      expect(await story(gw, 'po_nosuchpayout')).toBeUndefined();
      expect(await story(gw, ids.payout.replace('po_', 'pay_'))).toBeUndefined();
      expect(await story(gw, 'prj_x')).toBeUndefined();
    });
  });

  describe('events', () => {
    it('are written with the change or not at all, and only for a real change', async () => {
      const before = (await storyOf(gw, ids.wallet)).events;
      await expect(
        gw.gw.db.command(async (tx) => {
          await tx
            .updateTable('payins')
            .set({ status: 'notcompleted', status_reason: 'test' })
            .where('id', '=', ids.wallet)
            .execute();
          throw new Rollback('undone');
        }),
      ).rejects.toBeInstanceOf(Rollback);
      await gw.gw.db.command((tx) =>
        tx
          .updateTable('payins')
          .set({ status: 'completed', description: 'changed' })
          .where('id', '=', ids.wallet)
          .execute(),
      );
      await gw.gw.db.command((tx) =>
        tx
          .updateTable('payouts')
          .set({ dispatch_attempts: 1, status_reason: null })
          .where('id', '=', ids.payout)
          .execute(),
      );
      expect((await storyOf(gw, ids.wallet)).events).toEqual(before);
      expect((await storyOf(gw, ids.payout)).events).toHaveLength(3);
    });
  });

  describe('search', () => {
    it('lists payins and payouts together, newest first, within the limit', async () => {
      expect(await found(gw, {})).toEqual([ids.direct, ids.payout, ids.wallet]);
      expect(await found(gw, {}, 2)).toEqual([ids.direct, ids.payout]);
      expect(await found(gw, {}, 0)).toEqual([ids.direct]);
      expect(await found(gw, { kind: 'payin' })).toEqual([ids.direct, ids.wallet]);
      expect(await found(gw, { kind: 'payout' })).toEqual([ids.payout]);
      const [payout] = await search(gw, { kind: 'payout' });
      expect(payout).toEqual({
        id: ids.payout,
        kind: 'payout',
        subtype: 'customer',
        projectId: gw.project.id,
        status: 'completed',
        amountXof: 5000,
        customer: PHONE,
        operatorId: ORANGE,
        requestId: expect.stringMatching(/^P\d{13}$/) as string,
        merchantTransactionId: 'PO-S1',
        token: expect.any(String) as string,
        createdAtMs: createdAtMs.payout,
        updatedAtMs: createdAtMs.payout + 1_000,
      });
    });

    it('by token', async () => {
      const rows = await search(gw, {});
      for (const row of rows) expect(await found(gw, { token: row.token })).toEqual([row.id]);
      const payoutToken = rows.find((r) => r.kind === 'payout')?.token ?? '';
      expect(await found(gw, { token: payoutToken, kind: 'payin' })).toEqual([]);
      expect(await found(gw, { token: 'not-a-token' })).toEqual([]);
      expect(await found(gw, { token: `${payoutToken}x` })).toEqual([]);
    });

    it('by request id and merchant transaction id', async () => {
      const rows = await search(gw, {});
      for (const row of rows) expect(await found(gw, { requestId: row.requestId })).toEqual([row.id]);
      expect(await found(gw, { requestId: 'P0000000000000' })).toEqual([]);
      expect(await found(gw, { merchantTransactionId: 'PO-S1' })).toEqual([ids.payout]);
      expect(await found(gw, { merchantTransactionId: 'ORD-D1' })).toEqual([ids.direct]);
      expect(await found(gw, { merchantTransactionId: 'ORD-NONE' })).toEqual([]);
    });

    it('by phone, in any spelling the API accepts', async () => {
      expect(await found(gw, { phone: PHONE })).toEqual([ids.payout, ids.wallet]);
      expect(await found(gw, { phone: '+226 70 11 11 11' })).toEqual([ids.payout, ids.wallet]);
      expect(await found(gw, { phone: `00${DIRECT.phone}` })).toEqual([ids.direct]);
      expect(await found(gw, { phone: '22670999999' })).toEqual([]);
      expect(await found(gw, { phone: 'nonsense' })).toEqual([]);
    });

    it('by status, operator and project', async () => {
      expect(await found(gw, { status: 'completed' })).toEqual([ids.direct, ids.payout, ids.wallet]);
      expect(await found(gw, { status: 'pending' })).toEqual([]);
      expect(await found(gw, { operatorId: DIRECT.operatorId })).toEqual([ids.direct]);
      expect(await found(gw, { operatorId: ORANGE })).toEqual([ids.payout]);
      expect(await found(gw, { operatorId: '99' })).toEqual([]);
      expect(await found(gw, { projectId: gw.project.id, kind: 'payout' })).toEqual([ids.payout]);
      expect(await found(gw, { projectId: gw.other.id })).toEqual([]);
    });

    it('by creation time', async () => {
      expect(await found(gw, { fromMs: createdAtMs.payout })).toEqual([ids.direct, ids.payout]);
      expect(await found(gw, { toMs: createdAtMs.payout })).toEqual([ids.payout, ids.wallet]);
      expect(await found(gw, { fromMs: createdAtMs.payout, toMs: createdAtMs.payout })).toEqual([ids.payout]);
      expect(await found(gw, { beforeMs: createdAtMs.payout })).toEqual([ids.wallet]);
      expect(await found(gw, { beforeMs: createdAtMs.wallet })).toEqual([]);
      expect(await found(gw, { fromMs: createdAtMs.direct + 1 })).toEqual([]);
      expect(
        await found(gw, {
          phone: PHONE,
          beforeMs: createdAtMs.direct,
          fromMs: createdAtMs.payout,
          status: 'completed',
          kind: 'payout',
        }),
      ).toEqual([ids.payout]);
    });
  });
});

describe.each(BACKENDS)('operator exchanges that cannot be recorded on %s', (backend) => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway(backend);
  });
  afterAll(async () => gw.destroy());

  it('do not stop a payout', async () => {
    await gw.wallet(PHONE, 0);
    await gw.fundSub(ORANGE, 100_000);
    await gw.gw.db.command((tx) => tx.schema.dropTable('operator_exchanges').execute());
    const created = await createPayout(gw, '');
    expect(created.response_code).toBe('00');
    expect(await gw.dispatcher.runOnce()).toBe(1);
    const confirmed = await gw.call(
      'GET',
      `/pay/v01/withdrawal/confirm/?withdrawalToken=${String(created.token)}`,
    );
    expect(confirmed.status).toBe('completed');
    const [payout] = await payouts(gw);
    expect(payout).toMatchObject({ status: 'completed', dispatch_state: 'done' });
    const events = await gw.gw.db.command((tx) =>
      tx
        .selectFrom('transaction_events')
        .select('status')
        .where('subject_id', '=', String(payout?.id))
        .orderBy('seq')
        .execute(),
    );
    expect(events.map((e) => e.status)).toEqual(['pending', 'pending', 'completed']);
  });
});
