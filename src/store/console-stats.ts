import { sql } from 'kysely';
import type { AccountBalance } from '../core/ledger.js';
import type { Tx } from './database.js';
import { toBalance } from './ledger-store.js';

/**
 * The queries behind the console's dashboard and balances pages (src/console/stats.ts shapes what
 * they return). Every aggregate is computed by the database with GROUP BY, so the cost of a page
 * does not grow with the number of payins in JavaScript. PostgreSQL returns `sum()` of a bigint as
 * a numeric string, hence the `Number()` on every aggregate.
 */
export const DAY_MS = 86_400_000;
/** Mismatches reported by `postingMismatches`; more than a few means the cache is wrong wholesale. */
export const POSTING_MISMATCHES_MAX = 1_000;

/** Payins or payouts of one UTC day and one operator, by their status today. */
export interface GroupedCounts {
  /** Days since the epoch, UTC. */
  dayIndex: number;
  operatorId: string | null;
  counts: { created: number; completed: number; failed: number; volumeXof: number };
}

/**
 * One GROUP BY per table. The day is `created_at_ms / 86400000`: integer division on both
 * backends, because the column is an integer (SQLite INTEGER, PostgreSQL bigint) and the divisor is
 * an integer literal. It must be a literal: better-sqlite3 binds every JS number as REAL, and a
 * bound divisor would make SQLite divide in floating point.
 */
export async function countsByDay(
  tx: Tx,
  table: 'payins' | 'payouts',
  fromMs: number,
  toMs: number,
  projectId: string | undefined,
): Promise<GroupedCounts[]> {
  const day = sql<number>`created_at_ms / ${sql.lit(DAY_MS)}`;
  // Anything final but `completed` is a failure, as on the wire (core/callbacks.ts `wireStatus`).
  let query = tx
    .selectFrom(table)
    .select([
      day.as('day'),
      'operator_id',
      sql<number>`count(*)`.as('created'),
      sql<number | string>`sum(case when status = 'completed' then 1 else 0 end)`.as('completed'),
      sql<number | string>`sum(case when status not in ('completed', 'pending') then 1 else 0 end)`.as(
        'failed',
      ),
      sql<number | string>`sum(case when status = 'completed' then amount_xof else 0 end)`.as('volume_xof'),
    ])
    .where('created_at_ms', '>=', fromMs)
    .where('created_at_ms', '<', toMs);
  if (projectId !== undefined) query = query.where('project_id', '=', projectId);
  const rows = await query.groupBy([day, 'operator_id']).execute();
  return rows.map((row) => ({
    dayIndex: Number(row.day),
    operatorId: row.operator_id,
    counts: {
      created: Number(row.created),
      completed: Number(row.completed),
      failed: Number(row.failed),
      volumeXof: Number(row.volume_xof),
    },
  }));
}

// ---------------------------------------------------------------- Balances

/** One account as the balances page lists it: its holder and its running sums. */
export interface AccountListing {
  accountId: string;
  /** The row's kind as stored, even one the ledger does not know. */
  kind: string;
  projectId: string | null;
  projectName: string | null;
  operatorId: string | null;
  phone: string | null;
  holderName: string | null;
  balance: AccountBalance;
}

/**
 * At most `rowsMax` accounts with their project's name, ordered by id, so that a truncated list
 * keeps the operators' and projects' accounts and drops wallets (ids `wal:…`, last in id order).
 */
export async function listAccounts(tx: Tx, rowsMax: number): Promise<AccountListing[]> {
  const rows = await tx
    .selectFrom('accounts')
    .leftJoin('projects', 'projects.id', 'accounts.project_id')
    .selectAll('accounts')
    .select('projects.name as project_name')
    .orderBy('accounts.id')
    .limit(rowsMax)
    .execute();
  return rows.map((row) => ({
    accountId: row.id,
    kind: row.kind,
    projectId: row.project_id,
    projectName: row.project_name,
    operatorId: row.operator_id,
    phone: row.phone,
    holderName: row.holder_name,
    balance: toBalance(row),
  }));
}

/** The four running sums, summed over some accounts (or recomputed for one). */
export interface PostingSums {
  debitsPostedXof: number;
  creditsPostedXof: number;
  debitsPendingXof: number;
  creditsPendingXof: number;
}

/**
 * The running sums over every account, in one statement, so that they are one consistent snapshot
 * even on PostgreSQL at READ COMMITTED.
 */
export async function ledgerSums(tx: Tx): Promise<PostingSums & { accountsTotal: number }> {
  const row = await tx
    .selectFrom('accounts')
    .select([
      sql<number>`count(*)`.as('accounts'),
      sql<number | string | null>`sum(debits_posted_xof)`.as('dp'),
      sql<number | string | null>`sum(credits_posted_xof)`.as('cp'),
      sql<number | string | null>`sum(debits_pending_xof)`.as('dq'),
      sql<number | string | null>`sum(credits_pending_xof)`.as('cq'),
    ])
    .executeTakeFirstOrThrow();
  return {
    accountsTotal: Number(row.accounts),
    debitsPostedXof: Number(row.dp ?? 0),
    creditsPostedXof: Number(row.cp ?? 0),
    debitsPendingXof: Number(row.dq ?? 0),
    creditsPendingXof: Number(row.cq ?? 0),
  };
}

// ---------------------------------------------------------------- Recomputing from postings

export interface PostingMismatch {
  accountId: string;
  /** The running sums stored on the account row. */
  cached: PostingSums;
  /** The same sums recomputed from the immutable transfer rows. */
  recomputed: PostingSums;
}

/**
 * Each transfer's effect on its two accounts, as core/ledger.ts `applyTransfer` applies it. A
 * `post_pending` or `void_pending` row repeats the accounts and amount of the pending transfer it
 * resolves (ledger-store.ts), so it can be read on its own: posting moves the amount from pending
 * to posted on both sides, voiding removes it from pending. A kind this list does not know
 * contributes nothing, and so shows up as a mismatch.
 */
const MOVEMENTS = sql`
  select debit_account_id as account_id,
         case when kind in ('single', 'post_pending') then amount_xof else 0 end as dp,
         0 as cp,
         case when kind = 'pending' then amount_xof when kind in ('post_pending', 'void_pending') then -amount_xof else 0 end as dq,
         0 as cq
    from transfers
  union all
  select credit_account_id,
         0,
         case when kind in ('single', 'post_pending') then amount_xof else 0 end,
         0,
         case when kind = 'pending' then amount_xof when kind in ('post_pending', 'void_pending') then -amount_xof else 0 end
    from transfers`;

interface MismatchRow {
  account_id: string;
  debits_posted_xof: number | string;
  credits_posted_xof: number | string;
  debits_pending_xof: number | string;
  credits_pending_xof: number | string;
  dp: number | string;
  cp: number | string;
  dq: number | string;
  cq: number | string;
}

/**
 * Recomputes every account's four running sums from the transfers and returns the accounts whose
 * cached columns differ, by account id, at most POSTING_MISMATCHES_MAX + 1 of them (the one more
 * tells the caller the list is cut). It reads every transfer: an on-demand check, not something to
 * run on each page view. Transfers cannot name a missing account (foreign keys), so comparing from
 * the accounts' side covers everything.
 */
export async function postingMismatches(
  tx: Tx,
): Promise<{ accountsChecked: number; mismatches: PostingMismatch[] }> {
  const counted = await tx
    .selectFrom('accounts')
    .select(sql<number>`count(*)`.as('n'))
    .executeTakeFirstOrThrow();
  const { rows } = await sql<MismatchRow>`
    with movements as (${MOVEMENTS}),
    recomputed as (
      select account_id, sum(dp) as dp, sum(cp) as cp, sum(dq) as dq, sum(cq) as cq from movements group by account_id
    )
    select a.id as account_id, a.debits_posted_xof, a.credits_posted_xof, a.debits_pending_xof, a.credits_pending_xof,
           coalesce(r.dp, 0) as dp, coalesce(r.cp, 0) as cp, coalesce(r.dq, 0) as dq, coalesce(r.cq, 0) as cq
      from accounts a left join recomputed r on r.account_id = a.id
     where a.debits_posted_xof <> coalesce(r.dp, 0) or a.credits_posted_xof <> coalesce(r.cp, 0)
        or a.debits_pending_xof <> coalesce(r.dq, 0) or a.credits_pending_xof <> coalesce(r.cq, 0)
     order by a.id
     limit ${sql.lit(POSTING_MISMATCHES_MAX + 1)}`.execute(tx);
  const mismatches = rows.map((row) => ({
    accountId: row.account_id,
    cached: sums(
      row.debits_posted_xof,
      row.credits_posted_xof,
      row.debits_pending_xof,
      row.credits_pending_xof,
    ),
    recomputed: sums(row.dp, row.cp, row.dq, row.cq),
  }));
  return { accountsChecked: Number(counted.n), mismatches };
}

function sums(
  dp: number | string,
  cp: number | string,
  dq: number | string,
  cq: number | string,
): PostingSums {
  return {
    debitsPostedXof: Number(dp),
    creditsPostedXof: Number(cp),
    debitsPendingXof: Number(dq),
    creditsPendingXof: Number(cq),
  };
}
