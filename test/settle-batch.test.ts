import { afterEach, describe, expect, it } from 'vitest';
import { settlePayouts } from '../src/commands/payout-settle.js';
import { BACKENDS, type TestGateway, payoutBody, startTestGateway } from './harness.js';
import { expectLedgerSound, readLedger } from './ledger-checks.js';

/**
 * The dispatcher settles the outcomes that arrive together in one command (ADR 0019): each payout
 * ends as its own outcome says, one reported twice is settled once, a pending one keeps its hold,
 * and the ledger stays sound.
 */
const PHONE = '22670123456';

describe.each(BACKENDS)('settling several payouts in one command on %s', (backend) => {
  let gw: TestGateway;
  afterEach(async () => {
    await gw.destroy();
  });

  it('completes, fails, ignores a repeat and keeps a pending one, in one transaction', async () => {
    gw = await startTestGateway(backend);
    await gw.wallet(PHONE, 0);
    await gw.fundSub('11', 100_000);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const created = await gw.call('POST', '/pay/v01/withdrawal/create', {
        body: payoutBody(PHONE, 1_000, { top_up_wallet: 0, custom_data: { transaction_id: `SB-${i}` } }),
      });
      expect(created.response_code).toBe('00');
      const row = await gw.gw.db.command((tx) =>
        tx
          .selectFrom('payouts')
          .select('id')
          .where('merchant_transaction_id', '=', `SB-${i}`)
          .executeTakeFirstOrThrow(),
      );
      ids.push(row.id);
    }
    const [a = '', b = '', c = ''] = ids;
    const results = await gw.gw.db.command((tx) =>
      settlePayouts(gw.gw, tx, [
        { payoutId: a, outcome: { state: 'completed', operatorReference: 'OP-A' }, attempts: 1 },
        { payoutId: b, outcome: { state: 'failed', reason: 'declined' }, attempts: 1 },
        { payoutId: a, outcome: { state: 'failed', reason: 'late contradiction' }, attempts: 1 },
        { payoutId: c, outcome: { state: 'pending' }, attempts: 1 },
      ]),
    );
    expect(results).toEqual(['completed', 'notcompleted', 'already_final', 'still_pending']);
    const rows = await gw.gw.db.command((tx) =>
      tx
        .selectFrom('payouts')
        .select(['id', 'status', 'operator_reference', 'status_reason', 'dispatch_state'])
        .where('id', 'in', ids)
        .execute(),
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(a)).toMatchObject({
      status: 'completed',
      operator_reference: 'OP-A',
      dispatch_state: 'done',
    });
    expect(byId.get(b)).toMatchObject({
      status: 'notcompleted',
      status_reason: 'declined',
      dispatch_state: 'done',
    });
    expect(byId.get(c)).toMatchObject({ status: 'pending', dispatch_state: 'sent' });
    const events = await gw.gw.db.command((tx) =>
      tx.selectFrom('outbox').select(['subject_id', 'event_type']).where('subject_id', 'in', ids).execute(),
    );
    expect(events.map((e) => `${e.subject_id === a ? 'a' : 'b'}:${e.event_type}`).sort()).toEqual([
      'a:payout.completed',
      'b:payout.notcompleted',
    ]);
    // 1,000 left for good, 1,000 came back, 1,000 still held.
    const sub = await gw.gw.db.command((tx) =>
      tx
        .selectFrom('accounts')
        .selectAll()
        .where('id', '=', `sub:${gw.project.id}:11`)
        .executeTakeFirstOrThrow(),
    );
    expect(Number(sub.credits_posted_xof) - Number(sub.debits_posted_xof)).toBe(99_000);
    expect(Number(sub.debits_pending_xof)).toBe(1_000);
    expectLedgerSound(await readLedger(gw.gw.db));
  });
});
