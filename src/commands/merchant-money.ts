import { sql } from 'kysely';
import { assert } from '../core/assert.js';
import { type TransferKind, accountIds, availableXof, postedBalanceXof } from '../core/ledger.js';
import { ALL_OPERATORS, operatorById } from '../core/operators.js';
import {
  type Direction,
  ENTRY_KINDS,
  SIDES,
  type StatementEntry,
  balanceChangeXof,
  compareEntries,
} from '../core/statement.js';
import type { Tx } from '../store/database.js';
import { toBalance } from '../store/ledger-store.js';
import type { Project } from './projects.js';

/**
 * The merchant's money, read (ADR 0023): balances of a project's operator sub-accounts, and the
 * statement of the transfers that touched them. Only the project's own `sub:` accounts are ever
 * read, so another project's money cannot appear whatever the filters say.
 */
export interface SubaccountBalance {
  operatorId: string;
  operatorName: string;
  /** Credits minus debits that are posted: what the gateway owes the merchant on this network. */
  postedXof: number;
  /** Pending debits: holds of payouts in flight. */
  heldXof: number;
  /** Pending credits: payins the operator has not confirmed yet. */
  incomingXof: number;
  /** What payouts may still spend: posted minus held. */
  availableXof: number;
}

export interface ProjectBalances {
  balances: SubaccountBalance[];
  totals: { postedXof: number; heldXof: number; incomingXof: number; availableXof: number };
}

/** The project's sub-accounts, with the operators it has enabled but never used at zero. */
export async function projectBalances(tx: Tx, project: Project): Promise<ProjectBalances> {
  const rows = await tx
    .selectFrom('accounts')
    .selectAll()
    .where('project_id', '=', project.id)
    .where('kind', '=', 'subaccount')
    .orderBy('id')
    .execute();
  const byOperator = new Map(rows.map((row) => [row.operator_id ?? '', row]));
  const operatorIds = [...new Set([...project.operatorIds, ...byOperator.keys()])].filter((id) => id !== '');
  const order = new Map(ALL_OPERATORS.map((op, i) => [op.id, i]));
  operatorIds.sort((a, b) => (order.get(a) ?? 1e6) - (order.get(b) ?? 1e6) || a.localeCompare(b));
  const balances = operatorIds.map((operatorId): SubaccountBalance => {
    const row = byOperator.get(operatorId);
    const balance = row ? toBalance(row) : undefined;
    return {
      operatorId,
      operatorName: operatorById(operatorId)?.name ?? operatorId,
      postedXof: balance ? postedBalanceXof(balance) : 0,
      heldXof: balance ? balance.debitsPendingXof : 0,
      incomingXof: balance ? balance.creditsPendingXof : 0,
      availableXof: balance ? availableXof(balance) : 0,
    };
  });
  const sum = (pick: (b: SubaccountBalance) => number) => balances.reduce((total, b) => total + pick(b), 0);
  const totals = {
    postedXof: sum((b) => b.postedXof),
    heldXof: sum((b) => b.heldXof),
    incomingXof: sum((b) => b.incomingXof),
    availableXof: sum((b) => b.availableXof),
  };
  for (const total of Object.values(totals)) assert(Number.isSafeInteger(total), 'balance totals overflow');
  return { balances, totals };
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

export interface StatementPage {
  entries: StatementEntry[];
  /** The key of the last entry when more entries follow it, for the next page's cursor. */
  next: { seq: number; side: 0 | 1 } | undefined;
}

/**
 * One page of the statement, newest first. Each (sub-account, side) is one range of the index
 * (account, seq), read backwards from the cursor and cut at `limit + 1`; the ranges meet in one
 * UNION ALL statement, so a page is one round trip and one snapshot, and its work is bounded by
 * the page size times the number of sub-accounts (at most one per operator). Running balances are
 * stored with each transfer (migration 0017): nothing is summed.
 */
export async function statementPage(
  tx: Tx,
  project: Project,
  filter: StatementFilter,
): Promise<StatementPage> {
  const accounts = await tx
    .selectFrom('accounts')
    .select(['id', 'operator_id'])
    .where('project_id', '=', project.id)
    .where('kind', '=', 'subaccount')
    .$if(filter.operatorId !== undefined, (q) =>
      q.where('id', '=', accountIds.subaccount(project.id, filter.operatorId ?? '')),
    )
    .orderBy('id')
    .execute();
  if (accounts.length === 0) return { entries: [], next: undefined };
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
  const page = rows.slice(0, filter.limit);
  const subjects = await subjectsOf(
    tx,
    project.id,
    page.map((row) => row.subject_id),
  );
  const entries = page.map((row): StatementEntry => {
    const direction: Direction = Number(row.side) === SIDES.credit ? 'credit' : 'debit';
    const kind = row.kind as TransferKind;
    assert(row.balance_after_xof !== null, `transfer ${row.id} has no balance after it`);
    const subject = row.subject_id === null ? undefined : subjects.get(row.subject_id);
    return {
      transferId: row.id,
      seq: Number(row.seq),
      operatorId: operatorOf.get(row.account_id) ?? '',
      direction,
      kind: ENTRY_KINDS[kind],
      type: row.reason,
      amountXof: Number(row.amount_xof),
      balanceChangeXof: balanceChangeXof(kind, direction, Number(row.amount_xof)),
      balanceAfterXof: Number(row.balance_after_xof),
      subjectType: subject?.type ?? null,
      subjectId: row.subject_id,
      subjectToken: subject?.token ?? null,
      merchantTransactionId: subject?.merchantTransactionId ?? null,
      createdAtMs: Number(row.created_at_ms),
    };
  });
  entries.sort(compareEntries);
  const last = entries.at(-1);
  return {
    entries,
    next: rows.length > filter.limit && last ? { seq: last.seq, side: SIDES[last.direction] } : undefined,
  };
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

interface Subject {
  type: 'payin' | 'payout';
  token: string;
  merchantTransactionId: string | null;
}

/** The payins and payouts a page's transfers belong to, of this project only. */
async function subjectsOf(
  tx: Tx,
  projectId: string,
  ids: readonly (string | null)[],
): Promise<Map<string, Subject>> {
  const wanted = [...new Set(ids.filter((id): id is string => id !== null))];
  const subjects = new Map<string, Subject>();
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
