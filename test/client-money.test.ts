import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CauriClient, type StatementEntry } from '../client/src/index.js';
import { type TestGateway, startTestGateway } from './harness.js';
import { subOf } from './http-helpers.js';

/** The TypeScript client's `balances()` and `statement()` (ADR 0023) against a live Cauri over real HTTP. */
let gw: TestGateway;
let client: CauriClient;
let other: CauriClient;

beforeAll(async () => {
  gw = await startTestGateway('sqlite');
  await gw.fundSub('11', 40_000);
  gw.clock.advance(10);
  await gw.fundSub('12', 5_000);
  const created = await gw.call('POST', '/pay/v01/straight/payout', {
    body: {
      commande: {
        amount: 1_500,
        description: 'Supplier',
        customer: '22670445566',
        custom_data: { transaction_id: 'PO-CLIENT' },
      },
    },
  });
  expect(created.response_code).toBe('00');
  await gw.dispatcher.runOnce();
  const baseUrl = await gw.app.listen({ host: '127.0.0.1', port: 0 });
  client = new CauriClient({
    apiKey: gw.project.apikey,
    apiToken: gw.project.token,
    baseUrl,
    timeoutMs: 5_000,
  });
  other = new CauriClient({ apiKey: gw.other.apikey, apiToken: gw.other.token, baseUrl, timeoutMs: 5_000 });
});
afterAll(async () => gw.destroy());

describe('client merchant money', () => {
  it('reads the balances per operator sub-account', async () => {
    const answer = await client.balances();
    if (!answer.ok) throw new Error(JSON.stringify(answer.error));
    expect(answer.value.balances.find((b) => b.operatorId === '11')).toMatchObject({
      postedXof: 40_000 - 1_500,
      heldXof: 0,
      availableXof: 40_000 - 1_500,
    });
    expect(answer.value.totals.postedXof).toBe(40_000 - 1_500 + 5_000);
    expect(answer.value.totals.postedXof).toBe(
      ((await subOf(gw, '11'))?.postedXof ?? 0) + ((await subOf(gw, '12'))?.postedXof ?? 0),
    );
  });

  it('pages through the statement with the cursor, filters, and returns typed entries', async () => {
    const entries: StatementEntry[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await client.statement({ limit: 1, ...(cursor ? { cursor } : {}) });
      if (!page.ok) throw new Error(JSON.stringify(page.error));
      entries.push(...page.value.entries);
      if (page.value.nextCursor === null) break;
      cursor = page.value.nextCursor;
    }
    expect(entries.map((e) => `${e.kind}/${e.type}`)).toEqual([
      'hold_posted/payout',
      'hold/payout_hold',
      'posting/subaccount_funding',
      'posting/subaccount_funding',
    ]);
    expect(entries[0]).toMatchObject({
      operatorId: '11',
      direction: 'debit',
      amountXof: 1_500,
      balanceChangeXof: -1_500,
      balanceAfterXof: 38_500,
      subjectType: 'payout',
      merchantTransactionId: 'PO-CLIENT',
    });
    expect(entries[0]?.createdAt).toBeInstanceOf(Date);
    const onlyMoov = await client.statement({
      operatorId: '12',
      types: ['subaccount_funding'],
      from: new Date(Date.UTC(2000, 0, 1)),
    });
    expect(onlyMoov.ok && onlyMoov.value.entries.map((e) => e.amountXof)).toEqual([5_000]);
  });

  it('answers a refused query as a business error, and another project sees nothing', async () => {
    const bad = await client.statement({ from: 'yesterday' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error).toMatchObject({ kind: 'business', code: '04', family: 'confirmInvoice' });
    const theirs = await other.statement();
    expect(theirs.ok && theirs.value).toEqual({ entries: [], nextCursor: null });
  });
});
