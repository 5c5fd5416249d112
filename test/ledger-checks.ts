import { sql } from 'kysely';
import { expect } from 'vitest';
import { type AccountBalance, accountIds, availableXof, ledgerTotals } from '../src/core/ledger.js';
import type { Database } from '../src/store/database.js';
import { toBalance } from '../src/store/ledger-store.js';
import type { PayinTable, PayoutTable, TransferTable } from '../src/store/schema.js';
import type { RefundTable } from '../src/store/schema-refunds.js';

/**
 * The ledger's invariants, checked from the outside on a snapshot of the database (STYLE.md:
 * "balances come from postings"; TigerBeetle's two-phase transfers). Shared by the seeded
 * simulation and the concurrency tests.
 */
export interface LedgerSnapshot {
  accounts: Map<string, AccountBalance>;
  transfers: TransferTable[];
  payouts: PayoutTable[];
  payins: Pick<PayinTable, 'id' | 'project_id' | 'status'>[];
  /** Refunds of payins (ADR 0024): an operator refund holds money on a sub-account while pending. */
  refunds?: Pick<RefundTable, 'id' | 'project_id' | 'operator_id' | 'method' | 'status' | 'amount_xof'>[];
}

/**
 * Reads every account, transfer and payout in one command, so the three agree with each other. On
 * PostgreSQL that takes REPEATABLE READ: at READ COMMITTED each statement sees its own snapshot.
 */
export function readLedger(db: Database): Promise<LedgerSnapshot> {
  return db.command(async (tx) => {
    if (db.dialect === 'postgres') await sql`set transaction isolation level repeatable read`.execute(tx);
    const rows = await tx.selectFrom('accounts').selectAll().execute();
    const transfers = await tx.selectFrom('transfers').selectAll().execute();
    const payouts = await tx.selectFrom('payouts').selectAll().execute();
    const payins = await tx.selectFrom('payins').select(['id', 'project_id', 'status']).execute();
    const refunds = await tx
      .selectFrom('refunds')
      .select(['id', 'project_id', 'operator_id', 'method', 'status', 'amount_xof'])
      .execute();
    return {
      accounts: new Map(rows.map((row) => [row.id, toBalance(row)])),
      transfers,
      payouts,
      payins,
      refunds,
    };
  });
}

type Sums = [dp: number, cp: number, dq: number, cq: number];

/** Every account's four running sums, recomputed from the immutable transfer rows alone. */
export function sumsFromTransfers(transfers: readonly TransferTable[]): Map<string, Sums> {
  const sums = new Map<string, Sums>();
  const add = (id: string, index: 0 | 1 | 2 | 3, amount: number) => {
    const entry = sums.get(id) ?? [0, 0, 0, 0];
    entry[index] += amount;
    sums.set(id, entry);
  };
  for (const t of transfers) {
    const amount = Number(t.amount_xof);
    switch (t.kind) {
      case 'single':
        add(t.debit_account_id, 0, amount);
        add(t.credit_account_id, 1, amount);
        break;
      case 'pending':
        add(t.debit_account_id, 2, amount);
        add(t.credit_account_id, 3, amount);
        break;
      case 'post_pending':
        add(t.debit_account_id, 2, -amount);
        add(t.debit_account_id, 0, amount);
        add(t.credit_account_id, 3, -amount);
        add(t.credit_account_id, 1, amount);
        break;
      case 'void_pending':
        add(t.debit_account_id, 2, -amount);
        add(t.credit_account_id, 3, -amount);
        break;
      default:
        throw new Error(`transfer ${t.id} has unknown kind ${t.kind}`);
    }
  }
  return sums;
}

/**
 * The invariants every committed state satisfies, as a list of what is wrong (empty when sound).
 * Plain code rather than one `expect` per row: the simulation runs this after every step.
 */
export function ledgerProblems(snapshot: LedgerSnapshot): string[] {
  const { accounts, transfers, payouts } = snapshot;
  const problems: string[] = [];
  const totals = ledgerTotals(accounts.values());
  if (!totals.balanced) problems.push(`ledger totals unbalanced: ${JSON.stringify(totals)}`);
  for (const account of accounts.values()) {
    if (account.mustNotOverdraw && availableXof(account) < 0)
      problems.push(`${account.id} overdrawn: ${availableXof(account)}`);
  }

  // Balances come from postings: the cached running sums equal those recomputed from transfers.
  const recomputed = sumsFromTransfers(transfers);
  for (const account of accounts.values()) {
    const expected = recomputed.get(account.id) ?? [0, 0, 0, 0];
    const cached: Sums = [
      account.debitsPostedXof,
      account.creditsPostedXof,
      account.debitsPendingXof,
      account.creditsPendingXof,
    ];
    if (cached.some((sum, i) => sum !== expected[i]))
      problems.push(
        `running sums of ${account.id} are ${cached.join('/')}, transfers say ${expected.join('/')}`,
      );
  }
  for (const id of recomputed.keys())
    if (!accounts.has(id)) problems.push(`a transfer names the missing account ${id}`);

  // A hold is resolved at most once, by a transfer on the same accounts for the same amount.
  const byId = new Map(transfers.map((t) => [t.id, t]));
  const resolved = new Set<string>();
  for (const t of transfers) {
    if (t.kind !== 'post_pending' && t.kind !== 'void_pending') continue;
    const pending = t.pending_id === null ? undefined : byId.get(t.pending_id);
    if (pending?.kind !== 'pending') {
      problems.push(`${t.id} resolves ${t.pending_id ?? 'nothing'}, which is not a pending transfer`);
      continue;
    }
    if (resolved.has(pending.id)) problems.push(`${pending.id} resolved twice`);
    resolved.add(pending.id);
    if (
      t.debit_account_id !== pending.debit_account_id ||
      t.credit_account_id !== pending.credit_account_id ||
      Number(t.amount_xof) !== Number(pending.amount_xof)
    ) {
      problems.push(`${t.id} resolves ${pending.id} on other accounts or for another amount`);
    }
  }

  // Held money is exactly the sum of the payouts still pending, per sub-account.
  const held = new Map<string, number>();
  for (const p of payouts) {
    if (p.status !== 'pending' || p.top_up_wallet !== 0) continue;
    const sub = accountIds.subaccount(p.project_id, p.operator_id);
    held.set(sub, (held.get(sub) ?? 0) + Number(p.amount_xof));
  }
  for (const r of snapshot.refunds ?? []) {
    if (r.status !== 'pending' || r.method === 'wallet') continue;
    const sub = accountIds.subaccount(r.project_id, r.operator_id);
    held.set(sub, (held.get(sub) ?? 0) + Number(r.amount_xof));
  }
  for (const account of accounts.values()) {
    if (account.kind !== 'subaccount') continue;
    const expected = held.get(account.id) ?? 0;
    if (account.debitsPendingXof !== expected)
      problems.push(`${account.id} holds ${account.debitsPendingXof}, its pending payouts ${expected}`);
  }
  for (const id of held.keys())
    if (!accounts.has(id)) problems.push(`pending payouts on the missing account ${id}`);

  // Every payout moved money exactly once: a completed wallet top-up has one posted transfer; a
  // payout to an operator has one hold, posted if completed, voided if not, open while pending.
  const bySubject = new Map<string, string[]>();
  for (const t of transfers) {
    if (t.subject_id === null) continue;
    bySubject.set(t.subject_id, [...(bySubject.get(t.subject_id) ?? []), t.kind]);
  }
  for (const p of payouts) {
    const kinds = (bySubject.get(p.id) ?? []).sort().join(',');
    const expected =
      p.top_up_wallet === 1
        ? 'single'
        : p.status === 'pending'
          ? 'pending'
          : p.status === 'completed'
            ? 'pending,post_pending'
            : 'pending,void_pending';
    if (kinds !== expected)
      problems.push(`payout ${p.id} (${p.status}) has transfers [${kinds}], expected [${expected}]`);
  }
  // Every refund moved money exactly once: a wallet refund one posted transfer, an operator one a hold.
  for (const r of snapshot.refunds ?? []) {
    const kinds = (bySubject.get(r.id) ?? []).sort().join(',');
    const expected =
      r.method === 'wallet'
        ? 'single'
        : r.status === 'pending'
          ? 'pending'
          : r.status === 'completed'
            ? 'pending,post_pending'
            : 'pending,void_pending';
    if (kinds !== expected)
      problems.push(`refund ${r.id} (${r.status}) has transfers [${kinds}], expected [${expected}]`);
  }
  return problems;
}

/** Fails the test with every broken invariant; `where` names the step. */
export function expectLedgerSound(snapshot: LedgerSnapshot, where = ''): void {
  expect(ledgerProblems(snapshot), `${where}: ledger invariants`).toEqual([]);
}
