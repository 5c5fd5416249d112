import { sql } from 'kysely';
import { assert } from '../core/assert.js';
import { availableXof, postedBalanceXof } from '../core/ledger.js';
import { operatorById } from '../core/operators.js';
import type { Tx } from '../store/database.js';
import { toBalance } from '../store/ledger-store.js';
import type { AccountTable } from '../store/schema.js';

/**
 * What the operator console shows on its dashboard and balances pages, read in the caller's
 * transaction. Data access only: no HTTP, no HTML (the console renders; charts.ts draws).
 *
 * Every aggregate is computed by the database with GROUP BY, so the cost of a page does not grow
 * with the number of payins in JavaScript. PostgreSQL returns `sum()` of a bigint as a numeric
 * string, hence the `Number()` on every aggregate.
 */
export const DAY_MS = 86_400_000;
/** The longest period the dashboard covers; a bound on the series and on the rows scanned. */
export const STATS_DAYS_MAX = 90;
/** Accounts listed on the balances page; the proof of balance still covers every account. */
export const BALANCE_ACCOUNTS_MAX = 5_000;
/** Mismatches reported by `verifyAgainstPostings`; more than a few means the cache is wrong wholesale. */
export const POSTING_MISMATCHES_MAX = 1_000;

/** Payins or payouts of one day (or one period), by their status today. */
export interface Counts {
  created: number;
  /** Of those created, how many are `completed` now. */
  completed: number;
  /** Of those created, how many ended in failure (`notcompleted`, and any final status but `completed`). */
  failed: number;
  /** The sum of `amount_xof` of the completed ones. */
  volumeXof: number;
}

export interface FlowCounts {
  payins: Counts;
  payouts: Counts;
}

/** One UTC day of the series: from `dayStartMs` (midnight UTC) for 24 hours. */
export interface DayPoint extends FlowCounts {
  dayStartMs: number;
}

/** One operator over the period; `days` is aligned index by index with `DashboardStats.days`. */
export interface OperatorPoint {
  /** Null for payins whose operator is not chosen yet (a hosted page nobody paid on). */
  operatorId: string | null;
  operatorName: string;
  days: FlowCounts[];
  totals: FlowCounts;
}

export interface DashboardStats {
  /** Midnight UTC of the first day; the period ends at `toMs` (exclusive), the end of today. */
  fromMs: number;
  toMs: number;
  /** Exactly one point per day, oldest first; days without data are zeros. */
  days: DayPoint[];
  /** Operators that had at least one payin or payout in the period, by operator id. */
  operators: OperatorPoint[];
  totals: FlowCounts;
}

/**
 * completed / (completed + failed), or undefined when nothing is final yet. Pending ones are left
 * out: they are neither a success nor a failure, and counting them would dip today's rate.
 */
export function successRate(counts: Counts): number | undefined {
  const final = counts.completed + counts.failed;
  return final === 0 ? undefined : counts.completed / final;
}

export function zeroCounts(): Counts {
  return { created: 0, completed: 0, failed: 0, volumeXof: 0 };
}

function zeroFlows(): FlowCounts {
  return { payins: zeroCounts(), payouts: zeroCounts() };
}

function addInto(target: Counts, more: Counts): void {
  target.created += more.created;
  target.completed += more.completed;
  target.failed += more.failed;
  target.volumeXof += more.volumeXof;
  assert(Number.isSafeInteger(target.volumeXof), 'volume exceeds the safe integer range');
}

/** The series' day count: at least 1, at most STATS_DAYS_MAX. */
export function clampDays(days: number): number {
  assert(Number.isFinite(days), `days ${days} is not a number`);
  return Math.min(STATS_DAYS_MAX, Math.max(1, Math.floor(days)));
}

interface GroupedCounts {
  /** Days since the epoch, UTC. */
  dayIndex: number;
  operatorId: string | null;
  counts: Counts;
}

/**
 * One GROUP BY per table. The day is `created_at_ms / 86400000`: integer division on both
 * backends, because the column is an integer (SQLite INTEGER, PostgreSQL bigint) and the divisor is
 * an integer literal. It must be a literal: better-sqlite3 binds every JS number as REAL, and a
 * bound divisor would make SQLite divide in floating point.
 */
async function countsByDay(
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

/**
 * Payins and payouts per UTC day and per operator over the last `days` days, today included. A
 * payin counts on the day it was created, with the status it has now (a cohort view): yesterday's
 * payin completed this morning is yesterday's success.
 */
export async function dashboardStats(
  tx: Tx,
  options: { nowMs: number; days: number; projectId?: string },
): Promise<DashboardStats> {
  const dayCount = clampDays(options.days);
  const lastDay = Math.floor(options.nowMs / DAY_MS);
  const firstDay = lastDay - dayCount + 1;
  const fromMs = firstDay * DAY_MS;
  const toMs = (lastDay + 1) * DAY_MS;
  const payins = await countsByDay(tx, 'payins', fromMs, toMs, options.projectId);
  const payouts = await countsByDay(tx, 'payouts', fromMs, toMs, options.projectId);
  return assembleStats(firstDay, dayCount, { payins, payouts });
}

/** Spreads grouped rows over a dense series of days and over operators. Pure. */
function assembleStats(
  firstDay: number,
  dayCount: number,
  grouped: Record<keyof FlowCounts, GroupedCounts[]>,
): DashboardStats {
  const days: DayPoint[] = Array.from({ length: dayCount }, (_, i) => ({
    dayStartMs: (firstDay + i) * DAY_MS,
    ...zeroFlows(),
  }));
  const operators = new Map<string | null, OperatorPoint>();
  const totals = zeroFlows();
  for (const flow of ['payins', 'payouts'] as const) {
    for (const row of grouped[flow]) {
      const index = row.dayIndex - firstDay;
      const point = days[index];
      assert(point !== undefined, `day ${row.dayIndex} is outside the period`);
      let operator = operators.get(row.operatorId);
      if (operator === undefined) {
        operator = {
          operatorId: row.operatorId,
          operatorName: operatorName(row.operatorId),
          days: days.map(() => zeroFlows()),
          totals: zeroFlows(),
        };
        operators.set(row.operatorId, operator);
      }
      addInto(point[flow], row.counts);
      addInto((operator.days[index] as FlowCounts)[flow], row.counts);
      addInto(operator.totals[flow], row.counts);
      addInto(totals[flow], row.counts);
    }
  }
  const ordered = [...operators.values()].sort((a, b) => compareOperatorIds(a.operatorId, b.operatorId));
  return {
    fromMs: firstDay * DAY_MS,
    toMs: (firstDay + dayCount) * DAY_MS,
    days,
    operators: ordered,
    totals,
  };
}

function operatorName(operatorId: string | null): string {
  if (operatorId === null) return 'No operator yet';
  return operatorById(operatorId)?.name ?? `Operator ${operatorId}`;
}

/** Operator ids are digits: "2" before "11"; the payins without an operator come last. */
function compareOperatorIds(a: string | null, b: string | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
  return a.localeCompare(b, 'en', { numeric: true });
}

// ---------------------------------------------------------------- Balances

/** One account with its running sums and what they mean. */
export interface AccountLine {
  accountId: string;
  /** `subaccount`, `wallet`, `settlement`, `system`, or whatever an unknown row says. */
  kind: string;
  projectId: string | null;
  projectName: string | null;
  operatorId: string | null;
  operatorName: string | null;
  phone: string | null;
  holderName: string | null;
  debitsPostedXof: number;
  creditsPostedXof: number;
  debitsPendingXof: number;
  creditsPendingXof: number;
  /** Credits minus debits posted: what Cauri owes the holder (negative for an operator's settlement). */
  postedXof: number;
  /** Posted minus pending debits (held money): what the holder may still spend. */
  availableXof: number;
}

/** A project's sub-accounts, one per operator. */
export interface ProjectAccounts {
  projectId: string;
  projectName: string;
  accounts: AccountLine[];
  postedXof: number;
  availableXof: number;
}

/**
 * The ledger's proof of balance over every account (core/ledger.ts `ledgerTotals`), summed by the
 * database in one statement, so that it is one consistent snapshot even on PostgreSQL at READ
 * COMMITTED, and covers the accounts the list leaves out.
 */
export interface LedgerProof {
  accountsTotal: number;
  debitsPostedXof: number;
  creditsPostedXof: number;
  debitsPendingXof: number;
  creditsPendingXof: number;
  /** The sum of every account's posted balance; zero when the ledger balances. */
  postedBalanceSumXof: number;
  /** Posted debits equal posted credits and pending debits equal pending credits. */
  balanced: boolean;
}

export interface BalancesView {
  projects: ProjectAccounts[];
  wallets: AccountLine[];
  /** Operators' settlement accounts: money at the operator, outside Cauri. */
  operators: AccountLine[];
  /** `sys:funding` and any account of a kind this page does not know. */
  system: AccountLine[];
  accountsShown: number;
  /** More accounts exist than were listed; wallets (ids `wal:…`, last in id order) go first. */
  truncated: boolean;
  proof: LedgerProof;
}

type AccountRow = AccountTable & { project_name: string | null };

function accountLine(row: AccountRow): AccountLine {
  const balance = toBalance(row);
  return {
    accountId: row.id,
    kind: row.kind,
    projectId: row.project_id,
    projectName: row.project_name,
    operatorId: row.operator_id,
    operatorName: row.operator_id === null ? null : (operatorById(row.operator_id)?.name ?? null),
    phone: row.phone,
    holderName: row.holder_name,
    debitsPostedXof: balance.debitsPostedXof,
    creditsPostedXof: balance.creditsPostedXof,
    debitsPendingXof: balance.debitsPendingXof,
    creditsPendingXof: balance.creditsPendingXof,
    postedXof: postedBalanceXof(balance),
    availableXof: availableXof(balance),
  };
}

/**
 * Every account, grouped for the balances page, with the proof that the ledger balances. On
 * PostgreSQL the list and the proof are two statements: a caller that needs them to agree under
 * concurrent writes runs this in a REPEATABLE READ transaction.
 */
export async function balancesWithProof(
  tx: Tx,
  options: { accountsMax?: number } = {},
): Promise<BalancesView> {
  const accountsMax = Math.min(options.accountsMax ?? BALANCE_ACCOUNTS_MAX, BALANCE_ACCOUNTS_MAX);
  const proof = await ledgerProof(tx);
  // Ordered by id, so a truncated list keeps the operators' and projects' accounts and drops wallets.
  const rows = await tx
    .selectFrom('accounts')
    .leftJoin('projects', 'projects.id', 'accounts.project_id')
    .selectAll('accounts')
    .select('projects.name as project_name')
    .orderBy('accounts.id')
    .limit(accountsMax + 1)
    .execute();
  const lines = rows.slice(0, accountsMax).map(accountLine);
  return {
    ...groupAccounts(lines),
    accountsShown: lines.length,
    truncated: rows.length > accountsMax,
    proof,
  };
}

function groupAccounts(
  lines: AccountLine[],
): Pick<BalancesView, 'projects' | 'wallets' | 'operators' | 'system'> {
  const projects = new Map<string, ProjectAccounts>();
  const view = { wallets: [] as AccountLine[], operators: [] as AccountLine[], system: [] as AccountLine[] };
  for (const line of lines) {
    if (line.kind === 'subaccount' && line.projectId !== null) {
      let project = projects.get(line.projectId);
      if (project === undefined) {
        project = {
          projectId: line.projectId,
          projectName: line.projectName ?? line.projectId,
          accounts: [],
          postedXof: 0,
          availableXof: 0,
        };
        projects.set(line.projectId, project);
      }
      project.accounts.push(line);
      project.postedXof += line.postedXof;
      project.availableXof += line.availableXof;
    } else if (line.kind === 'wallet') view.wallets.push(line);
    else if (line.kind === 'settlement') view.operators.push(line);
    else view.system.push(line);
  }
  for (const project of projects.values())
    project.accounts.sort((a, b) => compareOperatorIds(a.operatorId, b.operatorId));
  const byName = [...projects.values()].sort(
    (a, b) => a.projectName.localeCompare(b.projectName) || a.projectId.localeCompare(b.projectId),
  );
  return { projects: byName, ...view };
}

async function ledgerProof(tx: Tx): Promise<LedgerProof> {
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
  const [dp, cp, dq, cq] = [row.dp, row.cp, row.dq, row.cq].map((sum) => Number(sum ?? 0)) as [
    number,
    number,
    number,
    number,
  ];
  assert([dp, cp, dq, cq].every(Number.isSafeInteger), 'ledger totals exceed the safe integer range');
  return {
    accountsTotal: Number(row.accounts),
    debitsPostedXof: dp,
    creditsPostedXof: cp,
    debitsPendingXof: dq,
    creditsPendingXof: cq,
    postedBalanceSumXof: cp - dp,
    balanced: dp === cp && dq === cq,
  };
}

// ---------------------------------------------------------------- Recomputing from postings

export interface PostingSums {
  debitsPostedXof: number;
  creditsPostedXof: number;
  debitsPendingXof: number;
  creditsPendingXof: number;
}

export interface PostingMismatch {
  accountId: string;
  /** The running sums stored on the account row. */
  cached: PostingSums;
  /** The same sums recomputed from the immutable transfer rows. */
  recomputed: PostingSums;
}

export interface PostingCheck {
  accountsChecked: number;
  /** At most POSTING_MISMATCHES_MAX, by account id. */
  mismatches: PostingMismatch[];
  truncated: boolean;
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
 * Recomputes every account's four running sums from the transfers and compares them with the
 * cached columns (STYLE.md: "a cached balance … can be recomputed from them"). It reads every
 * transfer: an on-demand check, not something to run on each page view. Transfers cannot name a
 * missing account (foreign keys), so comparing from the accounts' side covers everything.
 */
export async function verifyAgainstPostings(tx: Tx): Promise<PostingCheck> {
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
  const mismatches = rows.slice(0, POSTING_MISMATCHES_MAX).map((row) => ({
    accountId: row.account_id,
    cached: sums(
      row.debits_posted_xof,
      row.credits_posted_xof,
      row.debits_pending_xof,
      row.credits_pending_xof,
    ),
    recomputed: sums(row.dp, row.cp, row.dq, row.cq),
  }));
  return { accountsChecked: Number(counted.n), mismatches, truncated: rows.length > POSTING_MISMATCHES_MAX };
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
