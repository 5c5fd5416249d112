import { type Xof, xof } from '../core/money.js';
import type { Payout, StillPending } from '../core/payout.js';
import { caseById } from './case-by-id.js';
import type { Dialect, Tx } from './database.js';
import { payoutFromRow, payoutToRow } from './payout-rows.js';
import { prepared } from './prepared.js';
import type { PayoutTable } from './schema.js';

/**
 * The payouts aggregate's SQL (spec §2.6–2.8, ADR 0005): creating a payout, the dispatcher's claims
 * and leases (ADR 0018), and settlements (ADR 0019). The hot paths are prepared queries, deferred
 * writes and batched updates tuned for PostgreSQL; each statement is as the commands wrote it.
 */
const payoutByMerchantId = prepared((tx, p: { projectId: string; merchantTransactionId: string }) =>
  tx
    .selectFrom('payouts')
    .select('id')
    .where('project_id', '=', p.projectId)
    .where('merchant_transaction_id', '=', p.merchantTransactionId),
);
const insertPayoutRow = prepared((tx, row: PayoutTable) => tx.insertInto('payouts').values(row));
const payoutsById = prepared((tx, p: { ids: string[] }) =>
  tx.selectFrom('payouts').selectAll().where('id', 'in', p.ids).orderBy('id'),
);
const payoutsForUpdate = prepared((tx, p: { ids: string[] }) =>
  tx.selectFrom('payouts').selectAll().where('id', 'in', p.ids).orderBy('id').forUpdate(),
);
/** Final rows of several payouts in one statement (one CASE per column, keyed by id). */
const finalizeRows = prepared(
  (
    tx,
    p: {
      ids: string[];
      statuses: string[];
      reasons: Array<string | null>;
      reasonCodes: Array<string | null>;
      references: Array<string | null>;
      updated_at_ms: number;
    },
  ) =>
    tx
      .updateTable('payouts')
      .set(() => {
        const column = (values: Array<string | null>) =>
          caseById(
            p.ids.map((id, i) => [id, values[i] ?? null] as const),
            'text',
          );
        return {
          status: column(p.statuses),
          dispatch_state: 'done',
          dispatch_owner: null,
          status_reason: column(p.reasons),
          status_reason_code: column(p.reasonCodes),
          operator_reference: column(p.references),
          updated_at_ms: p.updated_at_ms,
        };
      })
      .where('id', 'in', p.ids),
);

/** Whether the project already has a payout with this merchant transaction id (Code07). */
export async function payoutExists(
  tx: Tx,
  projectId: string,
  merchantTransactionId: string,
): Promise<boolean> {
  // Waiting writes may ride along (prepared.ts, `ride`): a payout this transaction wrote a moment
  // ago may then be missed, and the unique index on (project, transaction id) stops it instead.
  const [duplicate] = await payoutByMerchantId.ride(tx, { projectId, merchantTransactionId });
  return duplicate !== undefined;
}

/**
 * Inserts a new payout. Deferred (prepared.ts): on PostgreSQL it travels with the command's next
 * statement. Its history names the request that created it (migration 0011, ADR 0020).
 */
export function insertPayout(tx: Tx, payout: Payout, lastRequestId: string | null): Promise<void> {
  return insertPayoutRow.defer(tx, { ...payoutToRow(payout), last_request_id: lastRequestId });
}

/**
 * Several payouts, in id order, for a settlement. On PostgreSQL the rows are locked, in id order,
 * so that any other settler of the same payout waits and then reads what this one wrote (READ
 * COMMITTED returns the newest version of a row locked FOR UPDATE).
 */
export async function lockPayoutsToSettle(tx: Tx, dialect: Dialect, ids: string[]): Promise<Payout[]> {
  const rows = await (dialect === 'postgres' ? payoutsForUpdate : payoutsById).rows(tx, { ids });
  return rows.map(payoutFromRow);
}

/** The operator has not decided: the payout is asked again later, or waits for a person. */
export async function markPayoutStillPending(
  tx: Tx,
  payoutId: string,
  pending: StillPending,
  nowMs: number,
): Promise<void> {
  await tx
    .updateTable('payouts')
    .set({
      dispatch_state: pending.dispatchState,
      dispatch_after_ms: pending.dispatchAfterMs,
      dispatch_owner: null,
      status_reason: pending.statusReason,
      status_reason_code: pending.statusReasonCode,
      updated_at_ms: nowMs,
    })
    .where('id', '=', payoutId)
    .execute();
}

/** One decided payout: its final status, its reason (on failure) and the operator's reference. */
export interface PayoutFinal {
  id: string;
  status: 'completed' | 'notcompleted';
  statusReason: string | null;
  statusReasonCode: 'operator_failed' | null;
  operatorReference: string | null;
}

/** Writes the final rows of decided payouts in one deferred statement. */
export function markPayoutsFinal(tx: Tx, finals: readonly PayoutFinal[], nowMs: number): Promise<void> {
  return finalizeRows.defer(tx, {
    ids: finals.map((f) => f.id),
    statuses: finals.map((f) => f.status),
    reasons: finals.map((f) => f.statusReason),
    reasonCodes: finals.map((f) => f.statusReasonCode),
    references: finals.map((f) => f.operatorReference),
    updated_at_ms: nowMs,
  });
}

/**
 * Extends the leases this instance still holds on pending payouts by one lease from now. On
 * PostgreSQL a row another transaction has locked (a settlement in progress) is skipped rather than
 * waited for: a heartbeat that queues behind locks is a heartbeat that comes too late.
 */
export async function renewPayoutLeases(
  tx: Tx,
  dialect: Dialect,
  ids: readonly string[],
  instanceId: string,
  untilMs: number,
): Promise<number> {
  if (ids.length === 0) return 0;
  const result = await tx
    .updateTable('payouts')
    .set({ dispatch_after_ms: untilMs })
    .where('id', 'in', (eb) => {
      const held = eb
        .selectFrom('payouts')
        .select('id')
        .where('id', 'in', [...ids])
        .where('dispatch_owner', '=', instanceId)
        .where('status', '=', 'pending');
      return dialect === 'postgres' ? held.forUpdate().skipLocked() : held;
    })
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** A payout due for its operator call, as the dispatcher claims it. */
export interface DuePayout {
  id: string;
  operatorId: string;
  phone: string;
  amountXof: Xof;
  /** Operator calls made before this claim. */
  attempts: number;
}

/**
 * Due payouts (queued, or sent and their lease or back-off over), oldest due first, leaving out
 * the operators held back; on PostgreSQL locked, skipping those another instance is claiming.
 */
export async function findDuePayouts(
  tx: Tx,
  dialect: Dialect,
  p: { nowMs: number; limit: number; heldOperatorIds: readonly string[] },
): Promise<DuePayout[]> {
  let query = tx
    .selectFrom('payouts')
    .select(['id', 'operator_id', 'customer', 'amount_xof', 'dispatch_attempts'])
    .where('dispatch_state', 'in', ['queued', 'sent'])
    .where('dispatch_after_ms', '<=', p.nowMs)
    .orderBy('dispatch_after_ms')
    // Oldest first among payouts due at the same time (those queued for an operator that was down).
    .orderBy('created_at_ms')
    .limit(p.limit);
  if (p.heldOperatorIds.length > 0) query = query.where('operator_id', 'not in', [...p.heldOperatorIds]);
  if (dialect === 'postgres') query = query.forUpdate().skipLocked();
  const rows = await query.execute();
  return rows.map((r) => ({
    id: r.id,
    operatorId: r.operator_id,
    phone: r.customer,
    amountXof: xof(Number(r.amount_xof)),
    attempts: r.dispatch_attempts,
  }));
}

/** Claims payouts for this instance: sent, leased until `leaseUntilMs`, one more attempt counted. */
export async function markPayoutsSent(
  tx: Tx,
  ids: readonly string[],
  p: { leaseUntilMs: number; owner: string },
): Promise<void> {
  await tx
    .updateTable('payouts')
    .set((eb) => ({
      dispatch_state: 'sent',
      dispatch_after_ms: p.leaseUntilMs,
      dispatch_owner: p.owner,
      dispatch_attempts: eb('dispatch_attempts', '+', 1),
    }))
    .where('id', 'in', [...ids])
    .execute();
}

/** The payout whose token carries this number. */
export async function findPayoutByNumber(tx: Tx, number: string): Promise<Payout | undefined> {
  const row = await tx.selectFrom('payouts').selectAll().where('number', '=', number).executeTakeFirst();
  return row === undefined ? undefined : payoutFromRow(row);
}

/** The operator of a payout named by its reference (its id), for an operator's notification. */
export async function payoutOperatorOf(
  tx: Tx,
  payoutId: string,
): Promise<{ id: string; operatorId: string } | undefined> {
  const payout = await tx
    .selectFrom('payouts')
    .select(['id', 'operator_id'])
    .where('id', '=', payoutId)
    .executeTakeFirst();
  return payout && { id: payout.id, operatorId: payout.operator_id };
}

/**
 * Claims the payouts parked for review whose next status query is due, oldest due first, for the
 * resolver: their due time moves one lease ahead under this instance's name, and on PostgreSQL
 * rows another resolver holds are skipped.
 */
export async function claimPayoutsForReview(
  tx: Tx,
  dialect: Dialect,
  claim: { nowMs: number; leaseMs: number; instanceId: string; limit: number },
): Promise<Array<{ id: string; operator_id: string }>> {
  let query = tx
    .selectFrom('payouts')
    .select(['id', 'operator_id'])
    .where('status', '=', 'pending')
    .where('dispatch_state', '=', 'review')
    .where('dispatch_after_ms', '<=', claim.nowMs)
    .orderBy('dispatch_after_ms')
    .limit(claim.limit);
  if (dialect === 'postgres') query = query.forUpdate().skipLocked();
  const rows = await query.execute();
  if (rows.length > 0) {
    await tx
      .updateTable('payouts')
      .set({ dispatch_after_ms: claim.nowMs + claim.leaseMs, dispatch_owner: claim.instanceId })
      .where(
        'id',
        'in',
        rows.map((row) => row.id),
      )
      .execute();
  }
  return rows;
}
