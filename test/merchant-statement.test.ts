import fc from 'fast-check';
import { Compile } from 'typebox/compile';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSV_COLUMNS } from '../src/core/statement.js';
import { BACKENDS, type TestGateway, startTestGateway } from './harness.js';
import { type Json, authFailures, expectEchec, send, subOf, walletPayin } from './http-helpers.js';
import { parseCsv } from './csv.js';
import { E7 } from './payin-helpers.js';

/**
 * The merchant money API (issue 12, ADR 0023): `GET /cauri/v1/balances` and `GET /cauri/v1/statement`
 * against the ledger, on every backend.
 */
const WALLET_PHONE = '22670111111';

interface Entry {
  transfer_id: string;
  operator_id: string;
  direction: string;
  kind: string;
  type: string;
  amount_xof: number;
  balance_change_xof: number;
  balance_after_xof: number;
  subject_type: string | null;
  subject_id: string | null;
  subject_token: string | null;
  merchant_transaction_id: string | null;
  created_at: string;
  created_at_ms: number;
}

const key = (e: Entry) => `${e.transfer_id}:${e.direction}`;

describe.each(BACKENDS)('merchant balances and statement on %s', (backend) => {
  let gw: TestGateway;
  const statement = async (query = '', headers?: Record<string, string>) => {
    const response = await send(gw, 'GET', `/cauri/v1/statement${query}`, headers ? { headers } : {});
    expect(response.status).toBe(200);
    return response.json;
  };
  const all = async (query = '') => {
    const entries: Entry[] = [];
    let cursor: string | null = null;
    do {
      const page = await statement(`?limit=1000${query}${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.response_code).toBe('00');
      entries.push(...(page.entries as Entry[]));
      cursor = page.next_cursor as string | null;
    } while (cursor !== null);
    return entries;
  };
  const payout = async (phone: string, amountXof: number, transactionId: string) => {
    gw.clock.advance(1);
    const created = await gw.call('POST', E7, {
      body: {
        commande: {
          amount: amountXof,
          description: 'Supplier',
          customer: phone,
          custom_data: { transaction_id: transactionId },
        },
      },
    });
    expect(created.response_code).toBe('00');
    return String(created.token);
  };

  beforeAll(async () => {
    gw = await startTestGateway(backend);
    await gw.fundSub('11', 100_000);
    gw.clock.advance(1000);
    await gw.fundSub('12', 50_000);
    await gw.wallet(WALLET_PHONE, 20_000);
    await walletPayin(gw, WALLET_PHONE, 3_000, { transaction_id: 'ORD-STATEMENT' });
    await payout('22670445566', 2_500, 'PO-OK'); // completed by the dispatcher: hold, then posted
    await payout('22670440002', 1_000, '=HYPERLINK("http://evil.example")'); // declined: hold, then voided
    await payout('22670440005', 700, 'PO-PENDING'); // stays pending: a hold only
    await gw.dispatcher.runOnce();
    await gw.dispatcher.runOnce();
  });
  afterAll(async () => gw.destroy());

  it('answers each sub-account balance as the ledger holds it, and totals', async () => {
    const response = await send(gw, 'GET', '/cauri/v1/balances');
    const body = response.json;
    expect(body).toMatchObject({ response_code: '00', response_text: '' });
    const lines = body.balances as Json[];
    for (const line of lines) {
      const sub = await subOf(gw, String(line.operator_id));
      expect(line).toMatchObject({
        posted_xof: sub?.postedXof ?? 0,
        held_xof: sub?.heldXof ?? 0,
        available_xof: sub?.availableXof ?? 0,
      });
      expect(typeof line.operator_name).toBe('string');
    }
    expect(lines.find((l) => l.operator_id === '11')).toMatchObject({
      posted_xof: 100_000 - 2_500,
      held_xof: 700,
      available_xof: 100_000 - 2_500 - 700,
    });
    expect(lines.find((l) => l.operator_id === '12')).toMatchObject({ posted_xof: 50_000, held_xof: 0 });
    const sum = (k: string) => lines.reduce((t, l) => t + Number(l[k]), 0);
    expect(body.totals).toEqual({
      posted_xof: sum('posted_xof'),
      held_xof: sum('held_xof'),
      incoming_xof: sum('incoming_xof'),
      available_xof: sum('available_xof'),
    });
  });

  it('lists every entry with running balances that add up to the posted balance', async () => {
    const entries = await all();
    expect(new Set(entries.map(key)).size).toBe(entries.length);
    const operators = new Set(entries.map((e) => e.operator_id));
    expect(operators).toContain('11');
    for (const operatorId of operators) {
      const own = entries.filter((e) => e.operator_id === operatorId).reverse();
      let balance = 0;
      for (const entry of own) {
        balance += entry.balance_change_xof;
        expect(entry.balance_after_xof).toBe(balance);
        if (entry.kind === 'hold' || entry.kind === 'hold_voided') expect(entry.balance_change_xof).toBe(0);
      }
      expect(balance).toBe((await subOf(gw, operatorId))?.postedXof);
    }
    const kinds = entries.filter((e) => e.operator_id === '11').map((e) => `${e.kind}/${e.type}`);
    expect(kinds.sort()).toEqual([
      'hold/payout_hold',
      'hold/payout_hold',
      'hold/payout_hold',
      'hold_posted/payout',
      'hold_voided/payout_reversal',
      'posting/subaccount_funding',
    ]);
    const paid = entries.find((e) => e.merchant_transaction_id === 'PO-OK' && e.kind === 'hold_posted');
    expect(paid).toMatchObject({
      subject_type: 'payout',
      direction: 'debit',
      amount_xof: 2_500,
      balance_change_xof: -2_500,
    });
    expect(paid?.subject_token).toMatch(/^ey/);
    const payin = entries.find((e) => e.merchant_transaction_id === 'ORD-STATEMENT');
    expect(payin).toMatchObject({
      subject_type: 'payin',
      direction: 'credit',
      kind: 'posting',
      type: 'wallet_payment',
      amount_xof: 3_000,
    });
  });

  it('keeps running balances in the order postings applied, under concurrent commands', async () => {
    await Promise.all([...Array(24).keys()].map((i) => gw.fundSub(i % 3 === 0 ? '12' : '11', 1 + i)));
    await Promise.all([...Array(6).keys()].map((i) => payout('22670445566', 100 + i, `PO-RACE-${i}`)));
    for (const operatorId of ['11', '12']) {
      const own = (await all(`&operator=${operatorId}`)).reverse();
      own.reduce((previous, entry) => {
        expect(entry.balance_after_xof).toBe(previous + entry.balance_change_xof);
        return entry.balance_after_xof;
      }, 0);
      expect(own.at(-1)?.balance_after_xof).toBe((await subOf(gw, operatorId))?.postedXof);
    }
  });

  it('filters by operator, type and date', async () => {
    const entries = await all();
    expect((await all('&operator=12')).map(key)).toEqual(
      entries.filter((e) => e.operator_id === '12').map(key),
    );
    expect((await all('&type=payout_hold,subaccount_funding')).map(key)).toEqual(
      entries.filter((e) => ['payout_hold', 'subaccount_funding'].includes(e.type)).map(key),
    );
    const times = entries.map((e) => e.created_at_ms);
    const middle = Math.min(...times) + 1;
    const from = new Date(middle).toISOString();
    expect((await all(`&from=${from}`)).map(key)).toEqual(
      entries.filter((e) => e.created_at_ms >= middle).map(key),
    );
    expect((await all(`&to=${from}`)).map(key)).toEqual(
      entries.filter((e) => e.created_at_ms < middle).map(key),
    );
    expect(await all('&from=2000-01-01&to=2000-01-02')).toEqual([]);
  });

  it('pages by a stable cursor: new entries arriving meanwhile never duplicate nor skip one', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 8 }),
        fc.array(
          fc.record({ limit: fc.integer({ min: 1, max: 4 }), arrivals: fc.integer({ min: 0, max: 2 }) }),
          { minLength: 1, maxLength: 6 },
        ),
        async (seeded, steps) => {
          // Each run pages through its own entries (from its start time), so runs stay small.
          gw.clock.advance(1000);
          const since = `&from=${new Date(gw.clock.nowMs()).toISOString()}`;
          for (let i = 0; i < seeded; i++) await gw.fundSub(i % 2 === 0 ? '11' : '12', 5);
          const before = await all(since);
          expect(before).toHaveLength(seeded);
          const seen: Entry[] = [];
          let cursor: string | null = null;
          let step = 0;
          do {
            const { limit, arrivals } = steps[step % steps.length] ?? { limit: 2, arrivals: 0 };
            step++;
            const page = await statement(`?limit=${limit}${since}${cursor ? `&cursor=${cursor}` : ''}`);
            seen.push(...(page.entries as Entry[]));
            cursor = page.next_cursor as string | null;
            for (let i = 0; i < arrivals; i++) {
              gw.clock.advance(1);
              await gw.fundSub(i % 2 === 0 ? '11' : '12', 10);
            }
          } while (cursor !== null);
          expect(new Set(seen.map(key)).size).toBe(seen.length);
          expect(seen.map(key)).toEqual(before.map(key));
        },
      ),
      { numRuns: 12 },
    );
  });

  it('shows another project none of it, and refuses every failed authentication with Code00', async () => {
    const headers = gw.other.headers;
    const other = await send(gw, 'GET', '/cauri/v1/statement', { headers });
    expect(other.json).toMatchObject({ response_code: '00', entries: [], next_cursor: null });
    const balances = await send(gw, 'GET', '/cauri/v1/balances', { headers });
    expect((balances.json.balances as Json[]).every((b) => b.posted_xof === 0 && b.held_xof === 0)).toBe(
      true,
    );
    // A cursor taken from this project's statement reads nothing of it for the other.
    const page = await statement('?limit=1');
    expect(
      (await send(gw, 'GET', `/cauri/v1/statement?cursor=${String(page.next_cursor)}`, { headers })).json
        .entries,
    ).toEqual([]);
    for (const failure of authFailures(gw)) {
      for (const path of ['/cauri/v1/statement', '/cauri/v1/balances']) {
        const response = await send(gw, 'GET', path, failure);
        expect(response.status, failure.name).toBe(200);
        expectEchec(response.json, 'confirmInvoice', '00');
      }
    }
  });

  it.each([
    ['?from=yesterday', /from/],
    ['?from=2026-02-30', /from/],
    ['?to=2026-13-01', /to/],
    ['?from=2026-02-02&to=2026-02-01', /before/],
    ['?limit=0', /limit/],
    ['?limit=1001', /limit/],
    ['?limit=ten', /limit/],
    ['?cursor=notacursor', /cursor/],
    ['?cursor=WyJzMSIsLTEsMF0', /cursor/],
    ['?operator=99', /operator/],
    ['?type=DROP%20TABLE', /type/],
    ['?colour=blue', /query/],
    ['?limit=1&limit=2', /query/],
    ['?format=xml', /query/],
  ])('refuses %s with the input error envelope', async (query, description) => {
    const response = await send(gw, 'GET', `/cauri/v1/statement${query}`);
    expect(response.status).toBe(200);
    expectEchec(response.json, 'confirmInvoice', '04', description);
  });

  it('answers bodies that the OpenAPI document declares', async () => {
    const doc = (await send(gw, 'GET', '/openapi.json')).json as {
      paths: Record<
        string,
        { get: { responses: { '200': { content: { 'application/json': { schema: object } } } } } }
      >;
    };
    for (const [path, query] of [
      ['/cauri/v1/balances', ''],
      ['/cauri/v1/statement', '?limit=5'],
      ['/cauri/v1/statement', '?from=nope'],
    ] as const) {
      const schema = doc.paths[path]?.get.responses['200'].content['application/json'].schema;
      const body = (await send(gw, 'GET', `${path}${query}`)).json;
      const validator = Compile(schema as never);
      expect(
        [...validator.Errors(body)].map((e) => `${e.instancePath} ${e.message}`),
        `${path}${query}`,
      ).toEqual([]);
    }
  });

  it('exports the same entries as CSV, formula-safe, with the next cursor in a header', async () => {
    const entries = await all();
    const response = await send(gw, 'GET', '/cauri/v1/statement?format=csv&limit=10000');
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    const [header, ...rows] = parseCsv(response.text);
    expect(header).toEqual([...CSV_COLUMNS]);
    expect(rows).toHaveLength(entries.length);
    const asCsv = (e: Entry) =>
      [
        e.created_at,
        e.operator_id,
        e.direction,
        e.kind,
        e.type,
        e.amount_xof,
        e.balance_change_xof,
        e.balance_after_xof,
        e.transfer_id,
        e.subject_type,
        e.subject_id,
        e.subject_token,
        e.merchant_transaction_id,
      ].map((v) => (v === null ? '' : typeof v === 'string' && /^[=+\-@]/.test(v) ? `'${v}` : String(v)));
    expect(rows).toEqual(entries.map(asCsv));
    expect(response.text).toContain(`"'=HYPERLINK(""http://evil.example"")"`);
    const first = await send(gw, 'GET', '/cauri/v1/statement?format=csv&limit=2');
    const cursor = first.headers['cauri-next-cursor'];
    expect(typeof cursor).toBe('string');
    const second = await send(gw, 'GET', `/cauri/v1/statement?format=csv&limit=2&cursor=${String(cursor)}`);
    expect(parseCsv(second.text).slice(1)).toEqual(entries.slice(2, 4).map(asCsv));
  });
});
