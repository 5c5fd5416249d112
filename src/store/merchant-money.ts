import { sql } from 'kysely';
import { assert } from '../core/assert.js';
import { type AccountBalance, accountIds } from '../core/ledger.js';
import { type Direction, SIDES } from '../core/statement.js';
import type { Tx } from './database.js';
import { toBalance } from './ledger-store.js';

/**
 * The merchant's money as stored (ADR 0023): a project's operator sub-accounts, the transfers that
 * touched them and the payins and payouts those belong to. Only the project's own `sub:` accounts
 * are ever read, so another project's money cannot appear whatever the filters say.
 */

/** The balances of the project's sub-accounts, by operator (`''` for an account without one), in id order. */
export async function subaccountBalances(tx: Tx, projectId: string): Promise<Map<string, AccountBalance>> {
  const rows = await tx
    .selectFrom('accounts')
    .selectAll()
    .where('project_id', '=', projectId)
    .where('kind', '=', 'subaccount')
    .orderBy('id')
    .execute();
  return new Map(rows.map((row) => [row.operator_id ?? '', toBalance(row)]));
}

export interface StatementFilter {
  fromMs?: number | undefined;
  toMs?: number | undefined;
  operatorId?: string | undefined;
  /** Transfer reasons to keep; undefined keeps all. */
  types?: readonly string[] | undefined;
  /** The last entry of the previous page: (seq, side). */
  after?: { seq: number; side: 0 | 1 } | undefined;
  limit: number;
}

/** One side of one transfer on a sub-account, as the statement reads it. */
export interface StatementTransfer {
  id: string;
  seq: number;
  kind: string;
  reason: string;
  subjectId: string | null;
  amountXof: number;
  createdAtMs: number;
  side: number;
  operatorId: string;
  balanceAfterXof: number | null;
}

/**
 * Up to `limit + 1` transfer sides of the project's sub-accounts, newest first. Each (sub-account,
 * side) is one range of the index (account, seq), read backwards from the cursor and cut at
 * `limit + 1`; the ranges meet in one UNION ALL statement, so a page is one round trip and one
 * snapshot, and its work is bounded by the page size times the number of sub-accounts.
 */
export async function statementTransfers(
  tx: Tx,
  projectId: string,
  filter: StatementFilter,
): Promise<StatementTransfer[]> {
  const accounts = await tx
    .selectFrom('accounts')
    .select(['id', 'operator_id'])
    .where('project_id', '=', projectId)
    .where('kind', '=', 'subaccount')
    .$if(filter.operatorId !== undefined, (q) =>
      q.where('id', '=', accountIds.subaccount(projectId, filter.operatorId ?? '')),
    )
    .orderBy('id')
    .execute();
  if (accounts.length === 0) return [];
  const branches = accounts.flatMap((account) =>
    (['debit', 'credit'] as const).map((direction) => branch(tx, account.id, direction, filter)),
  );
  const [first, ...rest] = branches;
  assert(first !== undefined, 'a statement has a branch per account');
  let query = tx.selectFrom(first.as('b0')).selectAll();
  for (const [i, next] of rest.entries())
    query = query.unionAll(tx.selectFrom(next.as(`b${i + 1}`)).selectAll());
  const rows = await query
    .orderBy('seq', 'desc')
    .orderBy('side', 'desc')
    .limit(filter.limit + 1)
    .execute();
  const operatorOf = new Map(accounts.map((a) => [a.id, a.operator_id ?? '']));
  return rows.map((row) => ({
    id: row.id,
    seq: Number(row.seq),
    kind: row.kind,
    reason: row.reason,
    subjectId: row.subject_id,
    amountXof: Number(row.amount_xof),
    createdAtMs: Number(row.created_at_ms),
    side: Number(row.side),
    operatorId: operatorOf.get(row.account_id) ?? '',
    balanceAfterXof: row.balance_after_xof === null ? null : Number(row.balance_after_xof),
  }));
}

/** The transfers of one side of one account after the cursor, newest first, at most `limit + 1`. */
function branch(tx: Tx, accountId: string, direction: Direction, filter: StatementFilter) {
  const side = SIDES[direction];
  const accountColumn = direction === 'debit' ? 'debit_account_id' : 'credit_account_id';
  const balanceColumn = direction === 'debit' ? 'debit_balance_after_xof' : 'credit_balance_after_xof';
  const after = filter.after;
  return (
    tx
      .selectFrom('transfers')
      .select(['id', 'seq', 'kind', 'reason', 'subject_id', 'amount_xof', 'created_at_ms'])
      .select([
        sql<number>`${sql.lit(side)}`.as('side'),
        sql<string>`${accountId}`.as('account_id'),
        sql<number | null>`${sql.ref(balanceColumn)}`.as('balance_after_xof'),
      ])
      .where(accountColumn, '=', accountId)
      // Within one transfer the credit side (1) comes before the debit side (0): the debit side of
      // the cursor's own transfer still follows a cursor on its credit side.
      .$if(after !== undefined, (q) =>
        q.where('seq', side < (after?.side ?? 0) ? '<=' : '<', after?.seq ?? 0),
      )
      .$if(filter.fromMs !== undefined, (q) => q.where('created_at_ms', '>=', filter.fromMs ?? 0))
      .$if(filter.toMs !== undefined, (q) => q.where('created_at_ms', '<', filter.toMs ?? 0))
      .$if(filter.types !== undefined, (q) => q.where('reason', 'in', filter.types ?? []))
      .orderBy('seq', 'desc')
      .limit(filter.limit + 1)
  );
}

/** A payin or payout a statement entry belongs to. */
export interface StatementSubject {
  type: 'payin' | 'payout';
  token: string;
  merchantTransactionId: string | null;
}

/** The payins and payouts a page's transfers belong to, of this project only. */
export async function statementSubjects(
  tx: Tx,
  projectId: string,
  ids: readonly (string | null)[],
): Promise<Map<string, StatementSubject>> {
  const wanted = [...new Set(ids.filter((id): id is string => id !== null))];
  const subjects = new Map<string, StatementSubject>();
  if (wanted.length === 0) return subjects;
  const payins = await tx
    .selectFrom('payins')
    .select(['id', 'token', 'merchant_transaction_id'])
    .where('id', 'in', wanted)
    .where('project_id', '=', projectId)
    .execute();
  for (const row of payins)
    subjects.set(row.id, {
      type: 'payin',
      token: row.token,
      merchantTransactionId: row.merchant_transaction_id,
    });
  const payouts = await tx
    .selectFrom('payouts')
    .select(['id', 'token', 'merchant_transaction_id'])
    .where('id', 'in', wanted)
    .where('project_id', '=', projectId)
    .execute();
  for (const row of payouts)
    subjects.set(row.id, {
      type: 'payout',
      token: row.token,
      merchantTransactionId: row.merchant_transaction_id,
    });
  return subjects;
}
