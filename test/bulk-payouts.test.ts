import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CauriClient } from '../client/src/index.js';
import type { Database } from '../src/store/database.js';
import { BULK_BODY_LIMIT_BYTES } from '../src/http/routes/payouts-bulk.js';
import { Receiver } from './callback-receiver.js';
import { ConsoleAgent, addConsoleUser, textOf } from './console-helpers.js';
import { errors, events, handWorker } from './callback-fixtures.js';
import { BACKENDS, type TestGateway, startTestGateway } from './harness.js';
import { type Json, WIKI, expectEchec, outbox, payouts, send, setProject, subOf } from './http-helpers.js';
import { expectLedgerSound, readLedger } from './ledger-checks.js';

/**
 * Bulk payouts (ADR 0025): `POST /cauri/v1/payouts/bulk` runs each item as its own customer or
 * merchant payout, with its own result and callback; `GET /cauri/v1/payouts/bulk/{batchId}` reads
 * the batch through to its payouts. Idempotent as a whole, resumable after a crash, bounded.
 */
const BULK = '/cauri/v1/payouts/bulk';
const WALLET_PHONE = '22670111111';
const MERCHANT_PHONE = '22670445566';
const FUNDS = 1_000_000;

type Item = Record<string, unknown>;
const customer = (amount: number | string, extra: Item = {}): Item => ({
  kind: 'customer',
  amount,
  customer: WALLET_PHONE,
  description: 'Refund',
  top_up_wallet: 1,
  ...extra,
});
const merchant = (amount: number | string, extra: Item = {}): Item => ({
  kind: 'merchant',
  amount,
  customer: MERCHANT_PHONE,
  description: 'Supplier',
  ...extra,
});

function itemsOf(body: Json): Json[] {
  return body.items as Json[];
}

function batchRows(gw: TestGateway) {
  return gw.gw.db.command((tx) => tx.selectFrom('payout_batches').selectAll().execute());
}

describe.each(BACKENDS)('bulk payouts on %s', (backend) => {
  let gw: TestGateway;
  beforeEach(async () => {
    gw = await startTestGateway(backend);
    await gw.wallet(WALLET_PHONE, 0);
    await gw.fundSub('11', FUNDS);
  });
  afterEach(async () => gw.destroy());

  const post = (body: unknown, headers: Record<string, string> = {}, ip?: string) =>
    send(gw, 'POST', BULK, { body, headers, ...(ip !== undefined ? { ip } : {}) });

  it("answers every item on its own, in order, with the single endpoints' codes; the refused ones roll back nothing", async () => {
    await gw.call('POST', '/pay/v01/withdrawal/create', {
      body: {
        commande: {
          amount: 500,
          customer: WALLET_PHONE,
          custom_data: { transaction_id: 'USED' },
          top_up_wallet: 1,
        },
      },
    });
    const body = {
      callback_url: 'https://shop.example/batch-cb',
      items: [
        customer(1000, { custom_data: { transaction_id: 'A-1' } }),
        merchant(2500, { custom_data: { transaction_id: 'A-2' } }),
        customer(5), // out of range
        { kind: 'merchant', amount: 2500, customer: 'not-a-phone' },
        { kind: 'refund', amount: 100, customer: WALLET_PHONE },
        'not an object',
        customer(700, { customer: '22670999999' }), // no wallet
        customer(300, { custom_data: { transaction_id: 'A-1' } }), // repeats item 0
        merchant(300, { custom_data: { transaction_id: 'USED' } }), // an earlier payout's id
        merchant(FUNDS), // more than the sub-account holds
        merchant('1200', { callback_url: 'https://shop.example/own-cb' }),
      ],
    };
    const { json } = await post(body);
    expect(json).toMatchObject({
      response_code: '00',
      response_text: '',
      description: 'Batch processed',
      batch_status: 'processed',
      item_count: 11,
      accepted_count: 3,
      refused_count: 8,
    });
    expect(json.batch_id).toMatch(/^pob_[a-z2-7]{26}$/);
    const items = itemsOf(json);
    expect(items.map((i) => i.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(items.map((i) => [i.response_code, i.response_text])).toEqual([
      ['00', ''],
      ['00', ''],
      ['01', 'Echec (Code05)'],
      ['01', 'Echec (Code05)'],
      ['01', 'Echec (Code09)'],
      ['01', 'Echec (Code09)'],
      ['01', 'Echec (Code02)'],
      ['01', 'Echec (Code07)'],
      ['01', 'Echec (Code10)'],
      ['01', 'Echec (Code08)'],
      ['00', ''],
    ]);
    expect(items.map((i) => i.wiki)).toEqual([
      WIKI.createWithdrawal,
      WIKI.createStraightWithdrawal,
      WIKI.createWithdrawal,
      WIKI.createStraightWithdrawal,
      WIKI.createWithdrawal,
      WIKI.createWithdrawal,
      WIKI.createWithdrawal,
      WIKI.createWithdrawal,
      WIKI.createStraightWithdrawal,
      WIKI.createStraightWithdrawal,
      WIKI.createStraightWithdrawal,
    ]);
    // Each accepted item is an ordinary payout whose token answers the single confirm endpoint.
    const accepted = items.filter((i) => i.response_code === '00');
    for (const item of accepted) {
      expect(String(item.token)).not.toBe('');
      expect(
        (await gw.call('GET', `/pay/v01/withdrawal/confirm/?withdrawalToken=${String(item.token)}`))
          .response_code,
      ).toBe('00');
    }
    const rows = await payouts(gw);
    expect(rows).toHaveLength(4); // the earlier single payout and the three accepted items
    expect(rows.filter((p) => p.callback_url === 'https://shop.example/batch-cb')).toHaveLength(2);
    expect(rows.filter((p) => p.callback_url === 'https://shop.example/own-cb')).toHaveLength(1);
    expect(await subOf(gw, '11')).toMatchObject({ postedXof: FUNDS - 500 - 1000, heldXof: 2500 + 1200 });
    expectLedgerSound(await readLedger(gw.gw.db), 'after a mixed batch');
  });

  it('reads the batch through to its payouts as they complete: statuses, counts and totals', async () => {
    const { json } = await post({
      items: [customer(1000), merchant(2000), merchant(3000, { customer: '22670440002' }), customer(1)],
    });
    const url = `${BULK}/${String(json.batch_id)}`;
    const before = await gw.call('GET', url);
    expect(before).toMatchObject({
      response_code: '00',
      wiki: WIKI.confirmInvoice,
      batch_status: 'processed',
      counts: { completed: 1, pending: 2, notcompleted: 0, refused: 1, unprocessed: 0 },
      accepted_amount_xof: 6000,
      completed_amount_xof: 1000,
    });
    expect(itemsOf(before).map((i) => i.status)).toEqual(['completed', 'pending', 'pending', 'refused']);
    expect(await gw.dispatcher.runOnce()).toBe(2);
    const after = await gw.call('GET', url);
    expect(after).toMatchObject({
      counts: { completed: 2, pending: 0, notcompleted: 1, refused: 1 },
      completed_amount_xof: 3000,
    });
    expect(itemsOf(after).map((i) => [i.status, i.status_reason])).toEqual([
      ['completed', ''],
      ['completed', ''],
      ['notcompleted', 'declined'],
      ['refused', ''],
    ]);
    expectLedgerSound(await readLedger(gw.gw.db), 'after the dispatcher');
  });

  it("names the bulk request in each item payout's history", async () => {
    const { json } = await post(
      { items: [customer(1000), merchant(2000)] },
      { 'x-request-id': 'bulk-req-1' },
    );
    const view = await gw.call('GET', `${BULK}/${String(json.batch_id)}`);
    expect(itemsOf(view).map((i) => i.status)).toEqual(['completed', 'pending']);
    const events = await gw.gw.db.command((tx) =>
      tx
        .selectFrom('transaction_events')
        .innerJoin('payout_batch_items', 'payout_batch_items.payout_id', 'transaction_events.subject_id')
        .select(['transaction_events.request_id'])
        .where('payout_batch_items.batch_id', '=', String(json.batch_id))
        .execute(),
    );
    expect(events.length).toBeGreaterThanOrEqual(2);
    expect(events.every((e) => e.request_id === 'bulk-req-1')).toBe(true);
  });

  it('sends each item its own callback', async () => {
    const receiver = await Receiver.start();
    errors.length = 0;
    try {
      const ids = { custom_data: { transaction_id: 'CB-1' } };
      const items = [
        customer(1000, ids),
        merchant(2000, { custom_data: { transaction_id: 'CB-2' } }),
        customer(1500, { custom_data: { transaction_id: 'CB-3' } }),
        customer(2),
      ];
      const { json } = await post({ callback_url: receiver.url(), items });
      expect(itemsOf(json).filter((i) => i.response_code === '00')).toHaveLength(3);
      await gw.dispatcher.runOnce();
      const queued = await events(gw.gw);
      expect(queued.map((e) => e.event_type).sort()).toEqual([
        'payout.completed',
        'payout.completed',
        'payout.completed',
      ]);
      expect(new Set(queued.map((e) => e.subject_id)).size).toBe(3);
      await handWorker(gw.gw).runOnce();
      const delivered = receiver.received
        .filter((r) => r.contentType === 'application/json')
        .map((r) => String(r.fields.transaction_id));
      expect(delivered.sort()).toEqual(['CB-1', 'CB-2', 'CB-3']);
      expect(errors).toEqual([]);
    } finally {
      await receiver.close();
    }
  });

  it('takes 1,000 items in one request, quickly, each its own payout', async () => {
    const items = Array.from({ length: 1000 }, (_, i) =>
      i % 2 === 0
        ? customer(100 + i, { custom_data: { transaction_id: `BULK-${i}` } })
        : merchant(100 + i, { custom_data: { transaction_id: `BULK-${i}` } }),
    );
    const body = { callback_url: 'https://shop.example/cb', items };
    expect(JSON.stringify(body).length).toBeGreaterThan(64 * 1024);
    const startedMs = performance.now();
    const { json } = await post(body, { 'idempotency-key': 'big-batch' });
    const tookMs = performance.now() - startedMs;
    console.log(`[bulk] 1,000 items on ${backend}: ${Math.round(tookMs)} ms`);
    expect(json).toMatchObject({
      response_code: '00',
      batch_status: 'processed',
      item_count: 1000,
      accepted_count: 1000,
      refused_count: 0,
    });
    expect(itemsOf(json).map((i) => i.index)).toEqual(items.map((_, i) => i));
    expect(new Set(itemsOf(json).map((i) => i.token)).size).toBe(1000);
    // About 2 s on SQLite and 5 s on PostgreSQL on a loaded 2-core machine; one fsync per item
    // in turn would take far longer. The bounds leave room for a machine shared with other suites.
    expect(tookMs).toBeLessThan(backend === 'sqlite' ? 10_000 : 25_000);
    const rows = await payouts(gw);
    expect(rows).toHaveLength(1000);
    expect(new Set(rows.map((p) => p.merchant_transaction_id)).size).toBe(1000);
    expect((await outbox(gw)).filter((e) => e.event_type === 'payout.completed')).toHaveLength(500);
    expectLedgerSound(await readLedger(gw.gw.db), 'after 1,000 items');
  }, 60_000);

  it('is idempotent as a whole: the same key and body replay the batch, another body is refused', async () => {
    const body = { items: [customer(1000), merchant(2000), customer(3)] };
    const first = await post(body, { 'idempotency-key': 'K-1' });
    const replay = await post(body, { 'idempotency-key': 'K-1' });
    expect(replay.json).toEqual(first.json);
    expect(await payouts(gw)).toHaveLength(2);
    expect(await batchRows(gw)).toHaveLength(1);
    expectEchec(
      (await post({ items: [customer(1000)] }, { 'idempotency-key': 'K-1' })).json,
      'createWithdrawal',
      '09',
      /Idempotency-Key/,
    );
    // Without a key, each request is a batch of its own.
    await post(body);
    expect(await payouts(gw)).toHaveLength(4);
    expect(await batchRows(gw)).toHaveLength(2);
    expectEchec((await post(body, { 'idempotency-key': 'x'.repeat(256) })).json, 'createWithdrawal', '09');
  });

  it('resumes a batch interrupted mid-way: the retry with the same key creates no payout twice', async () => {
    const items = Array.from({ length: 300 }, (_, i) =>
      i % 3 === 2
        ? merchant(200, { custom_data: { transaction_id: `R-${i}` } })
        : customer(100, { custom_data: { transaction_id: `R-${i}` } }),
    );
    items[7] = customer(1); // one refused item
    const body = { items };
    // The process "dies" after the batch and 120 item commands: nothing after them commits.
    const db = gw.gw.db;
    const original = db.command.bind(db);
    let commands = 0;
    (db as { command: Database['command'] }).command = (fn, options) =>
      ++commands > 121 ? Promise.reject(new Error('simulated crash')) : original(fn, options);
    const crashed = await post(body, { 'idempotency-key': 'crash-1' });
    (db as { command: Database['command'] }).command = original;
    expectEchec(crashed.json, 'createWithdrawal', '08');
    const partial = await payouts(gw);
    expect(partial.length).toBeGreaterThan(100);
    expect(partial.length).toBeLessThan(299);
    const [batch] = await batchRows(gw);
    expect(batch?.status).toBe('processing');
    const before = await gw.call('GET', `${BULK}/${batch?.id ?? ''}`);
    expect(before).toMatchObject({ batch_status: 'processing', counts: { unprocessed: 180 } });

    const retried = await post(body, { 'idempotency-key': 'crash-1' });
    expect(retried.json).toMatchObject({
      batch_id: batch?.id,
      batch_status: 'processed',
      accepted_count: 299,
      refused_count: 1,
    });
    const rows = await payouts(gw);
    expect(rows).toHaveLength(299);
    expect(new Set(rows.map((p) => p.merchant_transaction_id)).size).toBe(299);
    // The payouts made before the crash kept their tokens.
    const tokens = new Set(itemsOf(retried.json).map((i) => i.token));
    for (const p of partial) expect(tokens.has(p.token)).toBe(true);
    expect((await post(body, { 'idempotency-key': 'crash-1' })).json).toEqual(retried.json);
    expectLedgerSound(await readLedger(gw.gw.db), 'after the resumed batch');
  }, 60_000);

  it('two runs of one batch at once make each payout once', async () => {
    const body = {
      items: Array.from({ length: 200 }, (_, i) =>
        customer(100, { custom_data: { transaction_id: `C-${i}` } }),
      ),
    };
    // The first request takes the key; the second arrives while its items run and resumes the same batch.
    const [a, b] = await Promise.all([
      post(body, { 'idempotency-key': 'twice' }),
      post(body, { 'idempotency-key': 'twice' }),
    ]);
    expect(a.json.batch_id).toBe(b.json.batch_id);
    expect(await payouts(gw)).toHaveLength(200);
    const final = await post(body, { 'idempotency-key': 'twice' });
    expect(final.json).toMatchObject({ accepted_count: 200, refused_count: 0, batch_status: 'processed' });
    expect(itemsOf(final.json).map((i) => i.response_code)).toEqual(Array.from({ length: 200 }, () => '00'));
    expect(
      await gw.gw.db.command((tx) => tx.selectFrom('payout_batch_items').select('item_index').execute()),
    ).toHaveLength(200);
    expectLedgerSound(await readLedger(gw.gw.db), 'after two runs');
  }, 60_000);

  it('refuses 1,001 items, an empty batch, a malformed request and a body over its limit, and creates nothing', async () => {
    const tooMany = await post({ items: Array.from({ length: 1001 }, () => customer(100)) });
    expectEchec(tooMany.json, 'createWithdrawal', '09', 'items: at most 1000 per batch, got 1001');
    expectEchec((await post({ items: [] })).json, 'createWithdrawal', '09');
    expectEchec((await post({ items: 'all' })).json, 'createWithdrawal', '09');
    expectEchec((await post([customer(100)])).json, 'createWithdrawal', '09');
    expectEchec(
      (await post({ items: [customer(100)], callback_url: 'ftp://x' })).json,
      'createWithdrawal',
      '09',
      'callback_url must be an http(s) URL',
    );
    const huge = await send(gw, 'POST', BULK, {
      rawBody: JSON.stringify({ items: [customer(100, { description: 'x'.repeat(BULK_BODY_LIMIT_BYTES) })] }),
    });
    expect(huge.status).toBe(200);
    expectEchec(huge.json, 'createWithdrawal', '09', 'Request body too large');
    // The other endpoints keep the gateway's own limit.
    const single = await send(gw, 'POST', '/pay/v01/withdrawal/create', {
      rawBody: JSON.stringify({
        commande: { amount: 100, customer: WALLET_PHONE, description: 'x'.repeat(100 * 1024) },
      }),
    });
    expectEchec(single.json, 'createWithdrawal', '09', 'Request body too large');
    expect(await payouts(gw)).toEqual([]);
    expect(await batchRows(gw)).toEqual([]);
  });

  it('applies the payout rules to the whole request: credentials, the payout switch, the IP allow-list', async () => {
    const body = { items: [customer(1000)] };
    for (const options of [
      { omit: ['apikey'] },
      { omit: ['authorization'] },
      { headers: { authorization: `Bearer ${gw.other.token}` } },
    ]) {
      expectEchec((await send(gw, 'POST', BULK, { body, ...options })).json, 'createWithdrawal', '00');
    }
    expectEchec((await post(body, {}, '10.9.9.9')).json, 'createWithdrawal', '06');
    await setProject(gw, { payoutEnabled: false });
    expectEchec((await post(body)).json, 'createWithdrawal', '01');
    expect(await payouts(gw)).toEqual([]);
    expect(await batchRows(gw)).toEqual([]);
  });

  it('answers "not found" for another project\'s batch and for a malformed id', async () => {
    const { json } = await post({ items: [customer(1000)] });
    const url = `${BULK}/${String(json.batch_id)}`;
    expect((await gw.call('GET', url)).response_code).toBe('00');
    const otherHeaders = { apikey: gw.other.apikey, authorization: `Bearer ${gw.other.token}` };
    expectEchec(
      (await send(gw, 'GET', url, { headers: otherHeaders })).json,
      'confirmInvoice',
      '02',
      'No such batch',
    );
    expectEchec((await send(gw, 'GET', `${BULK}/pob_nope`)).json, 'confirmInvoice', '02');
    expectEchec((await send(gw, 'GET', url, { omit: ['authorization'] })).json, 'confirmInvoice', '00');
  });
});

describe('bulk payouts in the OpenAPI document and the console', () => {
  let gw: TestGateway;
  beforeEach(async () => {
    gw = await startTestGateway('sqlite');
    await gw.wallet(WALLET_PHONE, 0);
    await gw.fundSub('11', FUNDS);
  });
  afterEach(async () => gw.destroy());

  async function schemaOf(method: 'get' | 'post', path: string): Promise<ReturnType<typeof Compile>> {
    const doc = (await send(gw, 'GET', '/openapi.json')).json as {
      paths: Record<
        string,
        Record<string, { responses: { '200': { content: { 'application/json': { schema: TSchema } } } } }>
      >;
    };
    const schema = doc.paths[path]?.[method]?.responses['200'].content['application/json'].schema;
    if (schema === undefined) throw new Error(`no schema for ${method} ${path}`);
    return Compile(schema);
  }

  it('answers as the document says, success and refusal alike', async () => {
    const created = (
      await send(gw, 'POST', BULK, { body: { items: [customer(1000), merchant(2000), customer(1), 'junk'] } })
    ).json;
    const createSchema = await schemaOf('post', BULK);
    expect([...createSchema.Errors(created)]).toEqual([]);
    expect(createSchema.Check((await send(gw, 'POST', BULK, { body: { items: [] } })).json)).toBe(true);
    const statusSchema = await schemaOf('get', `${BULK}/{batchId}`);
    const status = await gw.call('GET', `${BULK}/${String(created.batch_id)}`);
    expect([...statusSchema.Errors(status)]).toEqual([]);
    expect(statusSchema.Check((await send(gw, 'GET', `${BULK}/pob_nope`)).json)).toBe(true);
    expect(createSchema.Check({ ...created, items: [{ ...itemsOf(created)[0], extra: 1 }] })).toBe(false);
  });

  it("lists the batches and shows one with each item's result and a link to its payout's story", async () => {
    await addConsoleUser(gw);
    const { json } = await send(gw, 'POST', BULK, {
      body: { items: [customer(1000, { custom_data: { transaction_id: 'CONSOLE-1' } }), merchant(5)] },
      headers: { 'idempotency-key': 'console-key' },
    });
    const agent = new ConsoleAgent(gw.app);
    expect((await agent.signIn()).status).toBe(303);
    const list = await agent.get('/console/payouts/bulk');
    expect(list.status).toBe(200);
    expect(textOf(list.body)).toContain(String(json.batch_id));
    expect(textOf(list.body)).toContain('Test shop');
    const filtered = await agent.get(`/console/payouts/bulk?project=${gw.other.id}`);
    expect(textOf(filtered.body)).toContain('No bulk payout yet');
    const detail = await agent.get(`/console/payouts/bulk/${String(json.batch_id)}`);
    expect(detail.status).toBe(200);
    const text = textOf(detail.body);
    expect(text).toContain('console-key');
    expect(text).toContain('1 completed, 0 pending, 0 not completed, 1 refused');
    expect(text).toContain('Echec (Code02) Request amount is out of range [20;1000000]');
    const [payout] = await payouts(gw);
    expect(detail.body).toContain(`href="/console/transactions/${payout?.id ?? 'missing'}"`);
    expect((await agent.get(`/console/transactions/${payout?.id ?? ''}`)).status).toBe(200);
    expect((await agent.get('/console/payouts/bulk/pob_nope')).status).toBe(404);
    expect((await agent.get(`/console/payouts/bulk/pob_${'a'.repeat(26)}`)).status).toBe(404);
    // Without a session, the pages send the browser to sign in.
    expect((await new ConsoleAgent(gw.app).get('/console/payouts/bulk')).status).toBe(303);
  });
});

describe("the client's bulkPayouts and getBulkPayout, over real HTTP", () => {
  let gw: TestGateway;
  let client: CauriClient;
  beforeEach(async () => {
    gw = await startTestGateway('sqlite');
    await gw.wallet(WALLET_PHONE, 0);
    await gw.fundSub('11', FUNDS);
    const baseUrl = await gw.app.listen({ host: '127.0.0.1', port: 0 });
    client = new CauriClient({
      apiKey: gw.project.apikey,
      apiToken: gw.project.token,
      baseUrl,
      timeoutMs: 10_000,
    });
  });
  afterEach(async () => gw.destroy());

  it("sends a batch, reads each item's result and error, replays it with the key, and follows it to completion", async () => {
    const input = {
      callbackUrl: 'https://shop.example/cb',
      items: [
        {
          kind: 'customer' as const,
          amount: 1000,
          description: 'Refund',
          customer: WALLET_PHONE,
          customData: { transaction_id: 'CL-1' },
        },
        { kind: 'merchant' as const, amount: 2000, description: 'Supplier', customer: MERCHANT_PHONE },
        { kind: 'merchant' as const, amount: 5, description: 'Too small', customer: MERCHANT_PHONE },
      ],
    };
    const created = await client.bulkPayouts(input, { idempotencyKey: 'client-1' });
    if (!created.ok) throw new Error(JSON.stringify(created.error));
    expect(created.value).toMatchObject({
      batchStatus: 'processed',
      itemCount: 3,
      acceptedCount: 2,
      refusedCount: 1,
    });
    const [first, second, third] = created.value.items;
    expect(first).toMatchObject({ index: 0, kind: 'customer', ok: true, amount: 1000 });
    expect(second).toMatchObject({ index: 1, kind: 'merchant', ok: true });
    expect(third).toMatchObject({
      index: 2,
      ok: false,
      error: { kind: 'business', code: '02', family: 'createStraightWithdrawal' },
    });
    const payout = first?.ok === true ? await client.getPayout(first.token, 'customer') : undefined;
    expect(payout?.ok === true && payout.value.status).toBe('completed');
    const replay = await client.bulkPayouts(input, { idempotencyKey: 'client-1' });
    expect(replay).toEqual(created);

    await gw.dispatcher.runOnce();
    const status = await client.getBulkPayout(created.value.batchId);
    if (!status.ok) throw new Error(JSON.stringify(status.error));
    expect(status.value).toMatchObject({
      counts: { completed: 2, refused: 1, pending: 0 },
      acceptedAmount: 3000,
      completedAmount: 3000,
    });
    expect(status.value.items.map((i) => i.status)).toEqual(['completed', 'completed', 'refused']);

    const missing = await client.getBulkPayout('pob_nope');
    expect(missing.ok === false && missing.error).toMatchObject({
      kind: 'business',
      code: '02',
      family: 'confirmInvoice',
    });
    const tooMany = await client.bulkPayouts({
      items: Array.from(
        { length: 1001 },
        () => input.items[0] ?? { kind: 'customer' as const, amount: 0, description: '', customer: '' },
      ),
    });
    expect(tooMany.ok === false && tooMany.error).toMatchObject({
      kind: 'business',
      code: '09',
      family: 'createWithdrawal',
    });
  });
});
