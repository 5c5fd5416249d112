import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfillStatementBalances } from '../src/store/migration-0017-statement.js';
import { BACKENDS, type TestGateway, startTestGateway } from './harness.js';
import { walletPayin } from './http-helpers.js';

/**
 * Migration 0017 (ADR 0023): the balances after each transfer that the migration computes for an
 * existing ledger equal those `postTransfers` writes, and a statement page reads one index range
 * per sub-account and side, already in order.
 */
describe.each(BACKENDS)('statement storage on %s', (backend) => {
  let gw: TestGateway;
  const snapshot = () =>
    gw.gw.db.command((tx) =>
      tx
        .selectFrom('transfers')
        .select(['id', 'seq', 'debit_balance_after_xof', 'credit_balance_after_xof'])
        .orderBy('seq')
        .execute(),
    );

  beforeAll(async () => {
    gw = await startTestGateway(backend);
    await gw.fundSub('11', 90_000);
    await gw.wallet('22670111111', 9_000);
    await walletPayin(gw, '22670111111', 2_000);
    for (const suffix of ['5566', '0002', '0005']) {
      const created = await gw.call('POST', '/pay/v01/straight/payout', {
        body: {
          commande: {
            amount: 1_000,
            description: 'x',
            customer: `2267044${suffix}`,
            custom_data: { transaction_id: `PO-${suffix}` },
          },
        },
      });
      expect(created.response_code).toBe('00');
    }
    await gw.dispatcher.runOnce();
  });
  afterAll(async () => gw.destroy());

  it('recomputes from the postings the balances postTransfers wrote', async () => {
    const written = await snapshot();
    expect(written.length).toBe(8);
    expect(
      written.every((t) => t.debit_balance_after_xof !== null && t.credit_balance_after_xof !== null),
    ).toBe(true);
    await gw.gw.db.command(async (tx) => {
      await tx
        .updateTable('transfers')
        .set({ debit_balance_after_xof: null, credit_balance_after_xof: null })
        .execute();
      await backfillStatementBalances(tx as unknown as Kysely<unknown>);
    });
    const recomputed = await snapshot();
    const norm = (rows: typeof written) =>
      rows.map((r) => [
        r.id,
        Number(r.seq),
        Number(r.debit_balance_after_xof),
        Number(r.credit_balance_after_xof),
      ]);
    expect(norm(recomputed)).toEqual(norm(written));
  });

  it('reads a page from the (account, seq) index, newest first, without sorting', async () => {
    const query = `SELECT id FROM transfers WHERE debit_account_id = 'sub:x:11' AND seq < 100 ORDER BY seq DESC LIMIT 101`;
    const plan = await gw.gw.db.command(async (tx) => {
      if (backend === 'sqlite')
        return (await sql<{ detail: string }>`${sql.raw(`EXPLAIN QUERY PLAN ${query}`)}`.execute(tx)).rows
          .map((r) => r.detail)
          .join('; ');
      // An almost empty table is cheaper to scan: ask whether the index serves the query at all.
      await sql`SET LOCAL enable_seqscan = off`.execute(tx);
      return (await sql<{ 'QUERY PLAN': string }>`${sql.raw(`EXPLAIN ${query}`)}`.execute(tx)).rows
        .map((r) => r['QUERY PLAN'])
        .join('; ');
    });
    expect(plan).toContain('transfers_debit_seq');
    expect(plan).not.toMatch(/TEMP B-TREE|Sort/);
  });
});
