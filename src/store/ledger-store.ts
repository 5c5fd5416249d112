import { assert } from '../core/assert.js';
import { newId } from '../core/ids.js';
import {
  type AccountBalance,
  type AccountKind,
  type Transfer,
  type TransferKind,
  applyTransfer,
  postedBalanceXof,
} from '../core/ledger.js';
import { type Xof, xof } from '../core/money.js';
import type { Dialect, Tx } from './database.js';
import { caseById } from './case-by-id.js';
import { takeRows, transactionState } from './command-group.js';
import { prepared } from './prepared.js';
import type { AccountTable, TransferTable } from './schema.js';

/**
 * The ledger adapter: loads and locks balance rows, runs the pure rules of core/ledger.ts, and
 * writes immutable transfer rows with the new running sums, inside the caller's transaction.
 */
export interface NewAccount {
  id: string;
  kind: AccountKind;
  projectId?: string | null;
  operatorId?: string | null;
  phone?: string | null;
  holderName?: string | null;
  mustNotOverdraw: boolean;
}

export function toBalance(row: AccountTable): AccountBalance {
  return {
    id: row.id,
    kind: row.kind as AccountKind,
    mustNotOverdraw: row.must_not_overdraw === 1,
    debitsPostedXof: xof(Number(row.debits_posted_xof)),
    creditsPostedXof: xof(Number(row.credits_posted_xof)),
    debitsPendingXof: xof(Number(row.debits_pending_xof)),
    creditsPendingXof: xof(Number(row.credits_pending_xof)),
  };
}

// The ledger's hot statements, prepared (prepared.ts).
const insertAccountIfMissing = prepared((tx, row: AccountTable) =>
  tx
    .insertInto('accounts')
    .values(row)
    .onConflict((oc) => oc.column('id').doNothing()),
);
const selectAccounts = prepared((tx, p: { ids: string[] }) =>
  tx.selectFrom('accounts').selectAll().where('id', 'in', p.ids).orderBy('id'),
);
const selectAccountsForUpdate = prepared((tx, p: { ids: string[] }) =>
  tx.selectFrom('accounts').selectAll().where('id', 'in', p.ids).orderBy('id').forUpdate(),
);
/** Pending transfers, each with the transfer that resolved it if any (one round trip for all). */
const pendingTransfers = prepared((tx, p: { ids: string[] }) =>
  tx
    .selectFrom('transfers as t')
    .selectAll('t')
    .select((eb) =>
      eb
        .selectFrom('transfers as r')
        .select('r.id')
        .whereRef('r.pending_id', '=', 't.id')
        .limit(1)
        .as('resolved_by'),
    )
    .where('t.id', 'in', p.ids),
);
const insertTransfer = prepared((tx, row: TransferTable) => tx.insertInto('transfers').values(row));
/** New running sums of several accounts, in one statement (one CASE per column, keyed by id). */
interface SumsUpdate {
  ids: string[];
  debitsPosted: number[];
  creditsPosted: number[];
  debitsPending: number[];
  creditsPending: number[];
}
const updateSums = prepared((tx, p: SumsUpdate) =>
  tx
    .updateTable('accounts')
    .set(() => {
      const column = (values: number[]) =>
        caseById(
          p.ids.map((id, i) => [id, values[i] ?? 0] as const),
          'bigint',
        );
      return {
        debits_posted_xof: column(p.debitsPosted),
        credits_posted_xof: column(p.creditsPosted),
        debits_pending_xof: column(p.debitsPending),
        credits_pending_xof: column(p.creditsPending),
      };
    })
    .where('id', 'in', p.ids),
);

/** Creates an account if it does not exist yet; concurrent creators are harmless. */
export async function ensureAccount(tx: Tx, account: NewAccount, nowMs: number): Promise<void> {
  await insertAccountIfMissing.run(tx, {
    id: account.id,
    kind: account.kind,
    project_id: account.projectId ?? null,
    operator_id: account.operatorId ?? null,
    phone: account.phone ?? null,
    holder_name: account.holderName ?? null,
    must_not_overdraw: account.mustNotOverdraw ? 1 : 0,
    debits_posted_xof: 0,
    credits_posted_xof: 0,
    debits_pending_xof: 0,
    credits_pending_xof: 0,
    created_at_ms: nowMs,
  });
}

/**
 * Reads accounts for change. On PostgreSQL the rows are locked `FOR UPDATE` in id order, the one
 * order every command uses, so two commands never wait on each other in a cycle. On SQLite the
 * surrounding `BEGIN IMMEDIATE` already holds the only write lock.
 */
export async function lockAccounts(
  tx: Tx,
  dialect: Dialect,
  ids: readonly string[],
): Promise<Map<string, AccountBalance>> {
  const unique = [...new Set(ids)].sort();
  if (dialect !== 'postgres')
    return new Map((await selectAccounts.rows(tx, { ids: unique })).map((row) => [row.id, toBalance(row)]));
  return (await lockUnheld(tx, unique, (ids) => selectAccountsForUpdate.ride(tx, { ids }))).accounts;
}

/**
 * The accounts `ids` (sorted: the order of locking); those this PostgreSQL transaction does not hold
 * yet are read (and locked) by `read`: no write of the transaction has touched those rows, so its
 * waiting writes may ride in the same statement. Inside a wave (command-group.ts) the rows other
 * commands of the wave are using are waited for, beside the read. Returns what `read` returned too.
 */
async function lockUnheld<R extends AccountTable, O = undefined>(
  tx: Tx,
  ids: readonly string[],
  read: (missing: string[]) => Promise<R[]>,
  otherwise?: () => Promise<O>,
): Promise<{ accounts: Map<string, AccountBalance>; rows: R[]; other: O | undefined }> {
  const { held } = transactionState(tx);
  const { fresh, ready } = takeRows(tx, ids);
  const reading = fresh.length > 0 ? read(fresh) : undefined;
  const asking = reading === undefined && otherwise !== undefined ? otherwise() : undefined;
  const rows = reading === undefined ? [] : await reading;
  const other = asking === undefined ? undefined : await asking;
  if (ready !== undefined) await ready;
  for (const row of rows) held.set(row.id, toBalance(row));
  return { accounts: pick(held, ids), rows, other };
}

function pick(accounts: Map<string, AccountBalance>, ids: readonly string[]): Map<string, AccountBalance> {
  const picked = new Map<string, AccountBalance>();
  for (const id of ids) {
    const account = accounts.get(id);
    if (account !== undefined) picked.set(id, account);
  }
  return picked;
}

const selectAccountsAndPayout = prepared(
  (
    tx,
    p: { ids: string[]; projectId: string; merchantTransactionId: string; forUpdate?: true | undefined },
  ) => {
    const query = tx
      .selectFrom('accounts')
      .selectAll('accounts')
      .select((eb) =>
        eb
          .selectFrom('payouts')
          .select('payouts.id')
          .where('payouts.project_id', '=', p.projectId)
          .where('payouts.merchant_transaction_id', '=', p.merchantTransactionId)
          .limit(1)
          .as('payout_id'),
      )
      .where('accounts.id', 'in', p.ids)
      .orderBy('accounts.id');
    return p.forUpdate ? query.forUpdate() : query;
  },
);

const payoutIdByMerchantId = prepared((tx, p: { projectId: string; merchantTransactionId: string }) =>
  tx
    .selectFrom('payouts')
    .select('id')
    .where('project_id', '=', p.projectId)
    .where('merchant_transaction_id', '=', p.merchantTransactionId),
);

/**
 * `lockAccounts`, and in the same round trip whether the project already has a payout with this
 * merchant transaction id: `duplicate` is undefined when none of the accounts exists (nothing came
 * back to carry the answer), and the caller asks separately if it still needs to know.
 */
export async function lockAccountsForPayout(
  tx: Tx,
  dialect: Dialect,
  ids: readonly string[],
  payout: { projectId: string; merchantTransactionId: string },
): Promise<{ accounts: Map<string, AccountBalance>; duplicate: boolean | undefined }> {
  const unique = [...new Set(ids)].sort();
  if (dialect !== 'postgres') {
    const rows = await selectAccountsAndPayout.rows(tx, { ids: unique, ...payout });
    return {
      accounts: new Map(rows.map((row) => [row.id, toBalance(row)])),
      duplicate: rows.length === 0 ? undefined : rows[0]?.payout_id != null,
    };
  }
  // The duplicate check rides too, and may then miss a payout this transaction wrote a moment
  // ago: the unique index on (project, transaction id) stops that one, and the command runs again
  // alone. When the transaction holds every row already, the check goes alone, at once (inside a
  // wave, beside the wait for the rows rather than after it).
  const { accounts, rows, other } = await lockUnheld(
    tx,
    unique,
    (missing) => selectAccountsAndPayout.ride(tx, { ids: missing, ...payout, forUpdate: true }),
    () => payoutIdByMerchantId.ride(tx, payout),
  );
  return {
    accounts,
    duplicate:
      other !== undefined ? other.length > 0 : rows.length === 0 ? undefined : rows[0]?.payout_id != null,
  };
}

export interface TransferPlan {
  kind: Extract<TransferKind, 'single' | 'pending'>;
  debitAccountId: string;
  creditAccountId: string;
  amountXof: Xof;
  reason: string;
  subjectId: string | null;
}

export interface ResolvePlan {
  kind: Extract<TransferKind, 'post_pending' | 'void_pending'>;
  pendingId: string;
  reason: string;
  subjectId: string | null;
}

function isResolve(plan: TransferPlan | ResolvePlan): plan is ResolvePlan {
  return plan.kind === 'post_pending' || plan.kind === 'void_pending';
}

export type PostResult =
  { ok: true; transfers: Transfer[] } | { ok: false; reason: 'insufficient_funds'; accountId: string };

/**
 * Posts transfers atomically: either every transfer applies and is written, or nothing is written
 * and the first refusal is returned. Accounts must exist and, for a caller that decided on their
 * balances, must already be locked by `lockAccounts` in the same transaction.
 */
export async function postTransfers(
  tx: Tx,
  dialect: Dialect,
  plans: readonly (TransferPlan | ResolvePlan)[],
  nowMs: number,
  locked?: Map<string, AccountBalance>,
): Promise<PostResult> {
  const resolved: Transfer[] = [];
  const resolving = [...new Set(plans.filter(isResolve).map((plan) => plan.pendingId))];
  const holds = new Map(
    resolving.length === 0
      ? []
      : (await pendingTransfers.rows(tx, { ids: resolving })).map((row) => [row.id, row]),
  );
  const resolvedHere = new Set<string>();
  for (const plan of plans) {
    if (isResolve(plan)) {
      const pending = holds.get(plan.pendingId);
      assert(!resolvedHere.has(plan.pendingId), `pending transfer ${plan.pendingId} is resolved twice`);
      resolvedHere.add(plan.pendingId);
      assert(
        pending !== undefined && pending.kind === 'pending',
        `transfer ${plan.pendingId} is not a pending transfer`,
      );
      assert(pending.resolved_by === null, `pending transfer ${plan.pendingId} is already resolved`);
      resolved.push({
        id: newId('tr'),
        kind: plan.kind,
        pendingId: plan.pendingId,
        debitAccountId: pending.debit_account_id,
        creditAccountId: pending.credit_account_id,
        amountXof: xof(Number(pending.amount_xof)),
      });
    } else {
      resolved.push({
        id: newId('tr'),
        kind: plan.kind,
        pendingId: null,
        debitAccountId: plan.debitAccountId,
        creditAccountId: plan.creditAccountId,
        amountXof: plan.amountXof,
      });
    }
  }
  const needed = resolved.flatMap((t) => [t.debitAccountId, t.creditAccountId]);
  const accounts =
    locked && needed.every((id) => locked.has(id))
      ? new Map(locked)
      : await lockAccounts(tx, dialect, needed);
  const before = new Map(accounts);
  // Each transfer's accounts' posted balances once it applied, for the statement (ADR 0023).
  const balancesAfter: [number, number][] = [];
  for (const transfer of resolved) {
    const debit = accounts.get(transfer.debitAccountId);
    const credit = accounts.get(transfer.creditAccountId);
    assert(debit !== undefined && credit !== undefined, `transfer ${transfer.id} names a missing account`);
    const applied = applyTransfer(debit, credit, transfer);
    if (!applied.ok) {
      assert(applied.reason === 'insufficient_funds', `transfer ${transfer.id} refused: ${applied.reason}`);
      return { ok: false, reason: 'insufficient_funds', accountId: debit.id };
    }
    accounts.set(debit.id, applied.debit);
    accounts.set(credit.id, applied.credit);
    balancesAfter.push([postedBalanceXof(applied.debit), postedBalanceXof(applied.credit)]);
  }
  for (const [i, t] of resolved.entries()) {
    await insertTransfer.defer(tx, {
      id: t.id,
      kind: t.kind,
      pending_id: t.pendingId,
      debit_account_id: t.debitAccountId,
      credit_account_id: t.creditAccountId,
      amount_xof: t.amountXof,
      reason: (plans[i] as TransferPlan | ResolvePlan).reason,
      subject_id: (plans[i] as TransferPlan | ResolvePlan).subjectId,
      created_at_ms: nowMs,
      debit_balance_after_xof: balancesAfter[i]?.[0] ?? null,
      credit_balance_after_xof: balancesAfter[i]?.[1] ?? null,
    });
  }
  const changed = [...accounts].filter(([id, account]) => before.get(id) !== account);
  if (changed.length > 0) {
    await updateSums.defer(tx, {
      ids: changed.map(([id]) => id),
      debitsPosted: changed.map(([, a]) => a.debitsPostedXof),
      creditsPosted: changed.map(([, a]) => a.creditsPostedXof),
      debitsPending: changed.map(([, a]) => a.debitsPendingXof),
      creditsPending: changed.map(([, a]) => a.creditsPendingXof),
    });
  }
  for (const [id, account] of changed) if (locked?.has(id)) locked.set(id, account);
  if (dialect === 'postgres') {
    const { held } = transactionState(tx);
    for (const [id, account] of changed) held.set(id, account);
  }
  return { ok: true, transfers: resolved };
}
