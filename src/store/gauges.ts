import { sql } from 'kysely';
import type { Tx } from './database.js';
import { MIGRATION_TABLE_NAME } from './migrations.js';

/**
 * The database reads of the metrics and the readiness checks (ADR 0020). Each is bounded: counts
 * stop at a cap and are read through an index, minimums read the first entry of an index, and the
 * state changes are read a bounded number at a time.
 */

/** Rows of the table whose column is one of `values`, counting no further than `cap`. */
export async function cappedCount(
  tx: Tx,
  table: 'outbox',
  column: 'status',
  values: string[],
  cap: number,
): Promise<number> {
  const { rows } = await sql<{
    n: number | string;
  }>`select count(*) as n from (select 1 as one from ${sql.table(table)} where ${sql.ref(column)} in (${sql.join(values)}) limit ${cap}) capped`.execute(
    tx,
  );
  return Number(rows[0]?.n ?? 0);
}

/** When the most overdue pending callback event was due (index outbox_due); null when none is pending. */
export async function oldestCallbackDueMs(tx: Tx): Promise<number | null> {
  const row = await tx
    .selectFrom('outbox')
    .select((eb) => eb.fn.min('next_attempt_at_ms').as('due'))
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return row?.due === null || row?.due === undefined ? null : Number(row.due);
}

/** When the most overdue queued or sent payout was due (index payouts_dispatch); null when none is. */
export async function oldestPayoutDueMs(tx: Tx): Promise<number | null> {
  const row = await tx
    .selectFrom('payouts')
    .select((eb) => eb.fn.min('dispatch_after_ms').as('due'))
    .where('dispatch_state', 'in', ['queued', 'sent'])
    .executeTakeFirst();
  return row?.due === null || row?.due === undefined ? null : Number(row.due);
}

/** Pending payouts by operator and dispatch state, read through the dispatch index and capped. */
export async function pendingPayoutCounts(
  tx: Tx,
  cap: number,
): Promise<Array<{ operatorId: string | null; dispatchState: string; count: number }>> {
  const { rows } = await sql<{ operator_id: string | null; dispatch_state: string; n: number | string }>`
    select operator_id, dispatch_state, count(*) as n from (
      select operator_id, dispatch_state from payouts where dispatch_state in ('queued', 'sent', 'review') limit ${cap}
    ) capped group by operator_id, dispatch_state`.execute(tx);
  return rows.map((row) => ({
    operatorId: row.operator_id,
    dispatchState: row.dispatch_state,
    count: Number(row.n),
  }));
}

/** The `seq` of the newest state change of a payin or payout; 0 when there is none. */
export async function newestTransactionEventSeq(tx: Tx): Promise<number> {
  const newest = await tx
    .selectFrom('transaction_events')
    .select((eb) => eb.fn.max('seq').as('seq'))
    .executeTakeFirst();
  return Number(newest?.seq ?? 0);
}

/** A state change as the metrics count it. */
export interface CountedEvent {
  seq: number;
  subjectType: string;
  status: string;
  operatorId: string | null;
}

/** The state changes after `afterSeq` up to `upToSeq` included, in order, at most `limit`. */
export async function transactionEventsBetween(
  tx: Tx,
  afterSeq: number,
  upToSeq: number,
  limit: number,
): Promise<CountedEvent[]> {
  const rows = await tx
    .selectFrom('transaction_events as e')
    .leftJoin('payins as pi', (join) =>
      join.onRef('pi.id', '=', 'e.subject_id').on('e.subject_type', '=', 'payin'),
    )
    .leftJoin('payouts as po', (join) =>
      join.onRef('po.id', '=', 'e.subject_id').on('e.subject_type', '=', 'payout'),
    )
    .select([
      'e.seq',
      'e.subject_type',
      'e.status',
      'pi.operator_id as payin_operator',
      'po.operator_id as payout_operator',
    ])
    .where('e.seq', '>', afterSeq)
    .where('e.seq', '<=', upToSeq)
    .orderBy('e.seq')
    .limit(limit)
    .execute();
  return rows.map((row) => ({
    seq: Number(row.seq),
    subjectType: row.subject_type,
    status: row.status,
    operatorId: row.payin_operator ?? row.payout_operator,
  }));
}

/** Debits minus credits over every account, posted and pending, and the overdrawn accounts that must not be. */
export async function ledgerTotals(
  tx: Tx,
): Promise<{ postedImbalanceXof: number; pendingImbalanceXof: number; overdrawnAccounts: number }> {
  const { rows } = await sql<{
    posted: number | string | null;
    pending: number | string | null;
    overdrawn: number | string | null;
  }>`
    select
      cast(sum(debits_posted_xof) - sum(credits_posted_xof) as bigint) as posted,
      cast(sum(debits_pending_xof) - sum(credits_pending_xof) as bigint) as pending,
      cast(sum(case when must_not_overdraw = 1 and credits_posted_xof - debits_posted_xof - debits_pending_xof < 0 then 1 else 0 end) as bigint) as overdrawn
    from accounts`.execute(tx);
  const row = rows[0];
  return {
    postedImbalanceXof: Number(row?.posted ?? 0),
    pendingImbalanceXof: Number(row?.pending ?? 0),
    overdrawnAccounts: Number(row?.overdrawn ?? 0),
  };
}

/** A read the database answers: one key of the settings. */
export async function probeRead(tx: Tx): Promise<void> {
  await tx.selectFrom('settings').select('key').limit(1).execute();
}

/** A tiny write: the database takes writes (not read-only, not full, not locked out). */
export async function probeWrite(tx: Tx, value: string): Promise<void> {
  await tx
    .insertInto('settings')
    .values({ key: 'ready_probe', value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
    .execute();
}

/** The names of the migrations the database has applied. */
export async function appliedMigrationNames(tx: Tx): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`select name from ${sql.table(MIGRATION_TABLE_NAME)}`.execute(
    tx,
  );
  return rows.map((r) => r.name);
}
