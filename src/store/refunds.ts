import { assert, oneOf } from '../core/assert.js';
import { type Xof, xof } from '../core/money.js';
import type { Payin } from '../core/payin.js';
import type { StillPending } from '../core/payout.js';
import type { Refund, RefundMethod } from '../core/refunds.js';
import type { Dialect, Tx } from './database.js';
import { payinFromRow } from './payin-rows.js';
import { REFUND_METHODS, refundFromRow, refundToRow } from './refund-rows.js';
import type { RefundTable } from './schema-refunds.js';

/**
 * Refunds' SQL (migration 0012, ADR 0024): a refund's row, the `refunded_xof` it adds to (or, when
 * it fails, takes back from) its payin, the payin row that serializes the refunds of one payin,
 * and the refund worker's claims.
 */

/** A refund as the API and the console show it, with its payin's token. */
export interface RefundView extends Refund {
  readonly payinToken: string;
}

/** A payin by id or by the number inside its token, whichever project it belongs to. */
export async function findPayinToRefund(
  tx: Tx,
  by: { id: string } | { number: string },
): Promise<Payin | undefined> {
  let query = tx.selectFrom('payins').selectAll();
  query = 'id' in by ? query.where('id', '=', by.id) : query.where('number', '=', by.number);
  const row = await query.executeTakeFirst();
  return row === undefined ? undefined : payinFromRow(row);
}

/**
 * Locks the payin row, the refunds' lock: on PostgreSQL every refund of it waits here for the one
 * before to commit and then reads what it wrote; SQLite's BEGIN IMMEDIATE serializes them anyway.
 */
export async function lockPayinToRefund(tx: Tx, dialect: Dialect, payinId: string): Promise<Payin> {
  let query = tx.selectFrom('payins').selectAll().where('id', '=', payinId);
  if (dialect === 'postgres') query = query.forUpdate();
  const payin = await query.executeTakeFirst();
  assert(payin !== undefined, `no payin ${payinId}`);
  return payinFromRow(payin);
}

/** Whether the project has a refund with this merchant reference already. */
export async function refundReferenceTaken(
  tx: Tx,
  projectId: string,
  merchantReference: string,
): Promise<boolean> {
  const duplicate = await tx
    .selectFrom('refunds')
    .select('id')
    .where('project_id', '=', projectId)
    .where('merchant_reference', '=', merchantReference)
    .executeTakeFirst();
  return duplicate !== undefined;
}

export async function countPayinRefunds(tx: Tx, payinId: string): Promise<number> {
  const count = await tx
    .selectFrom('refunds')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('payin_id', '=', payinId)
    .executeTakeFirstOrThrow();
  return Number(count.n);
}

/** Inserts a new refund and adds its amount to what its payin has refunded. */
export async function insertRefund(tx: Tx, refund: Refund): Promise<void> {
  await tx.insertInto('refunds').values(refundToRow(refund)).execute();
  await tx
    .updateTable('payins')
    .set((eb) => ({ refunded_xof: eb('refunded_xof', '+', refund.amountXof) }))
    .where('id', '=', refund.payinId)
    .execute();
}

/** The payin a refund belongs to, read before the payin row is locked. */
export async function findRefundPayinId(tx: Tx, refundId: string): Promise<string | undefined> {
  const first = await tx
    .selectFrom('refunds')
    .select(['payin_id'])
    .where('id', '=', refundId)
    .executeTakeFirst();
  return first?.payin_id;
}

export async function readRefund(tx: Tx, refundId: string): Promise<Refund> {
  return refundFromRow(
    await tx.selectFrom('refunds').selectAll().where('id', '=', refundId).executeTakeFirstOrThrow(),
  );
}

/** The operator has not decided: the refund is asked about again later, or waits for a person. */
export async function markRefundStillPending(
  tx: Tx,
  refundId: string,
  pending: StillPending,
  nowMs: number,
): Promise<void> {
  await tx
    .updateTable('refunds')
    .set({
      dispatch_state: pending.dispatchState,
      dispatch_after_ms: pending.dispatchAfterMs,
      dispatch_owner: null,
      status_reason: pending.statusReason,
      updated_at_ms: nowMs,
    })
    .where('id', '=', refundId)
    .execute();
}

/**
 * The operator decided: the refund is final; a failed one gives its amount back to what is left
 * to refund of its payin.
 */
export async function markRefundFinal(
  tx: Tx,
  refund: Refund,
  p: { completed: boolean; operatorReference: string | null; statusReason: string | null; nowMs: number },
): Promise<void> {
  await tx
    .updateTable('refunds')
    .set({
      status: p.completed ? 'completed' : 'failed',
      dispatch_state: 'done',
      dispatch_owner: null,
      operator_reference: p.operatorReference,
      status_reason: p.statusReason,
      updated_at_ms: p.nowMs,
    })
    .where('id', '=', refund.id)
    .execute();
  if (!p.completed) {
    await tx
      .updateTable('payins')
      .set((eb) => ({ refunded_xof: eb('refunded_xof', '-', refund.amountXof) }))
      .where('id', '=', refund.payinId)
      .execute();
  }
}

const refundWithToken = (tx: Tx) =>
  tx
    .selectFrom('refunds')
    .innerJoin('payins', 'payins.id', 'refunds.payin_id')
    .selectAll('refunds')
    .select('payins.token as payin_token');

function refundViewFromRow(row: RefundTable & { payin_token: string }): RefundView {
  return { ...refundFromRow(row), payinToken: row.payin_token };
}

/** A refund of the project; another project's is not found. */
export async function findProjectRefund(
  tx: Tx,
  projectId: string,
  refundId: string,
): Promise<RefundView | undefined> {
  const row = await refundWithToken(tx)
    .where('refunds.id', '=', refundId)
    .where('refunds.project_id', '=', projectId)
    .executeTakeFirst();
  return row === undefined ? undefined : refundViewFromRow(row);
}

/** A payin's refunds, oldest first, at most `limit`. */
export async function listRefundsOfPayin(tx: Tx, payinId: string, limit: number): Promise<RefundView[]> {
  const rows = await refundWithToken(tx)
    .where('refunds.payin_id', '=', payinId)
    .orderBy('refunds.created_at_ms')
    .orderBy('refunds.id')
    .limit(limit)
    .execute();
  return rows.map(refundViewFromRow);
}

/** A refund due for its operator call, as the refund worker claims it. */
export interface DueRefund {
  id: string;
  method: RefundMethod;
  /** Operator calls made before this claim. */
  attempts: number;
  reference: string;
  operatorId: string;
  phone: string;
  amountXof: Xof;
  /** The payin's invoice reference, '' when it has none. */
  payinReference: string;
  payinAmountXof: Xof;
}

/** Due refunds, oldest due first; on PostgreSQL locked, skipping those another instance is claiming. */
export async function findDueRefunds(
  tx: Tx,
  dialect: Dialect,
  p: { nowMs: number; limit: number },
): Promise<DueRefund[]> {
  let query = tx
    .selectFrom('refunds')
    .innerJoin('payins', 'payins.id', 'refunds.payin_id')
    .leftJoin('invoices', 'invoices.payin_id', 'refunds.payin_id')
    .select([
      'refunds.id',
      'refunds.method',
      'refunds.reference',
      'refunds.operator_id',
      'refunds.customer',
      'refunds.amount_xof',
      'refunds.dispatch_attempts',
      'payins.amount_xof as payin_amount_xof',
      'invoices.reference as payin_reference',
    ])
    .where('refunds.dispatch_state', 'in', ['queued', 'sent'])
    .where('refunds.dispatch_after_ms', '<=', p.nowMs)
    .orderBy('refunds.dispatch_after_ms')
    .limit(p.limit);
  if (dialect === 'postgres') query = query.forUpdate('refunds').skipLocked();
  const rows = await query.execute();
  return rows.map((r) => ({
    id: r.id,
    method: oneOf(REFUND_METHODS, r.method, 'refund method', r.id),
    attempts: Number(r.dispatch_attempts),
    reference: r.reference,
    operatorId: r.operator_id,
    phone: r.customer,
    amountXof: xof(Number(r.amount_xof)),
    payinReference: r.payin_reference ?? '',
    payinAmountXof: xof(Number(r.payin_amount_xof)),
  }));
}

/** Claims refunds for this instance: sent, leased until `leaseUntilMs`, one more attempt counted. */
export async function markRefundsSent(
  tx: Tx,
  ids: readonly string[],
  p: { leaseUntilMs: number; owner: string },
): Promise<void> {
  await tx
    .updateTable('refunds')
    .set((eb) => ({
      dispatch_state: 'sent',
      dispatch_after_ms: p.leaseUntilMs,
      dispatch_owner: p.owner,
      dispatch_attempts: eb('dispatch_attempts', '+', 1),
    }))
    .where('id', 'in', [...ids])
    .execute();
}
