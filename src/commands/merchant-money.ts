import { assert } from '../core/assert.js';
import { type TransferKind, availableXof, postedBalanceXof } from '../core/ledger.js';
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
import {
  type StatementFilter,
  statementSubjects,
  statementTransfers,
  subaccountBalances,
} from '../store/merchant-money.js';
import type { Project } from '../core/project.js';

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
  const byOperator = await subaccountBalances(tx, project.id);
  const operatorIds = [...new Set([...project.operatorIds, ...byOperator.keys()])].filter((id) => id !== '');
  const order = new Map(ALL_OPERATORS.map((op, i) => [op.id, i]));
  operatorIds.sort((a, b) => (order.get(a) ?? 1e6) - (order.get(b) ?? 1e6) || a.localeCompare(b));
  const balances = operatorIds.map((operatorId): SubaccountBalance => {
    const balance = byOperator.get(operatorId);
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
  const rows = await statementTransfers(tx, project.id, filter);
  const page = rows.slice(0, filter.limit);
  const subjects = await statementSubjects(
    tx,
    project.id,
    page.map((row) => row.subjectId),
  );
  const entries = page.map((row): StatementEntry => {
    const direction: Direction = row.side === SIDES.credit ? 'credit' : 'debit';
    const kind = row.kind as TransferKind;
    assert(row.balanceAfterXof !== null, `transfer ${row.id} has no balance after it`);
    const subject = row.subjectId === null ? undefined : subjects.get(row.subjectId);
    return {
      transferId: row.id,
      seq: row.seq,
      operatorId: row.operatorId,
      direction,
      kind: ENTRY_KINDS[kind],
      type: row.reason,
      amountXof: row.amountXof,
      balanceChangeXof: balanceChangeXof(kind, direction, row.amountXof),
      balanceAfterXof: row.balanceAfterXof,
      subjectType: subject?.type ?? null,
      subjectId: row.subjectId,
      subjectToken: subject?.token ?? null,
      merchantTransactionId: subject?.merchantTransactionId ?? null,
      createdAtMs: row.createdAtMs,
    };
  });
  entries.sort(compareEntries);
  const last = entries.at(-1);
  return {
    entries,
    next: rows.length > filter.limit && last ? { seq: last.seq, side: SIDES[last.direction] } : undefined,
  };
}
