import { assert } from '../core/assert.js';
import type { Invoice } from '../core/invoice.js';
import type { ValidationMode } from '../core/operators.js';
import {
  type Payin,
  type PayinReason,
  type PayinStatus,
  payinReasonProse,
  payinTransition,
} from '../core/payin.js';
import type { Dialect, Tx } from './database.js';
import { invoiceFromRow, invoiceToRow, payinFromRow, payinToRow } from './payin-rows.js';
import { prepared } from './prepared.js';
import type { PayinTable } from './schema.js';

/**
 * The payin aggregate in the database: the `payins` row and, for a payin through an operator, its
 * checkout invoice (the attempt in flight, its hold, when the resolver next asks). Commands open
 * the transaction and call these; every write of a status or a reason goes through
 * `writePayinStatus` or `assignPayinAttempt`, which check the move (`payinTransition`) and write
 * the reason's code beside its prose.
 */

export async function insertPayin(tx: Tx, payin: Payin, lastRequestId: string | null): Promise<void> {
  await tx
    .insertInto('payins')
    .values({ ...payinToRow(payin), last_request_id: lastRequestId })
    .execute();
}

// The wallet payin is the hot path: its insert is built once (prepared.ts).
const insertPayinStatement = prepared((tx, row: PayinTable) => tx.insertInto('payins').values(row));

/** `insertPayin` as a prepared statement, for the wallet payin's hot path. */
export async function insertPayinPrepared(tx: Tx, payin: Payin, lastRequestId: string | null): Promise<void> {
  await insertPayinStatement.run(tx, { ...payinToRow(payin), last_request_id: lastRequestId });
}

/** Reads a payin for change: on PostgreSQL its row is locked, serialising every settler of it. */
export async function lockPayinRow(tx: Tx, dialect: Dialect, payinId: string): Promise<PayinTable> {
  let query = tx.selectFrom('payins').selectAll().where('id', '=', payinId);
  if (dialect === 'postgres') query = query.forUpdate();
  const payin = await query.executeTakeFirst();
  assert(payin !== undefined, `no payin ${payinId}`);
  return payin;
}

/** `lockPayinRow`, as the core's `Payin`. */
export async function lockPayin(tx: Tx, dialect: Dialect, payinId: string): Promise<Payin> {
  return payinFromRow(await lockPayinRow(tx, dialect, payinId));
}

export async function getPayin(tx: Tx, payinId: string): Promise<Payin> {
  return payinFromRow(
    await tx.selectFrom('payins').selectAll().where('id', '=', payinId).executeTakeFirstOrThrow(),
  );
}

/** The payin whose token carries this number, of whichever project. */
export async function findPayinByNumber(tx: Tx, number: string): Promise<Payin | undefined> {
  const row = await tx.selectFrom('payins').selectAll().where('number', '=', number).executeTakeFirst();
  return row && payinFromRow(row);
}

/** What changes with a payin's status: the move (checked), the reason, the time and the request stamp. */
export interface PayinStatusChange {
  from: PayinStatus;
  to: PayinStatus;
  reason: PayinReason | null;
  nowMs: number;
  lastRequestId: string | null;
}

/**
 * Writes a payin's status and reason. A payin that stays pending keeps its status column as it is
 * and gets only its new reason.
 */
export async function writePayinStatus(tx: Tx, payinId: string, change: PayinStatusChange): Promise<void> {
  payinTransition(change.from, change.to);
  await tx
    .updateTable('payins')
    .set({
      ...(change.from !== change.to ? { status: change.to } : {}),
      status_reason: change.reason && payinReasonProse(change.reason),
      status_reason_code: change.reason?.code ?? null,
      updated_at_ms: change.nowMs,
      last_request_id: change.lastRequestId,
    })
    .where('id', '=', payinId)
    .execute();
}

/** A pending payin's new attempt: its operator, its customer and the reason it now waits. */
export async function assignPayinAttempt(
  tx: Tx,
  payin: Pick<Payin, 'id' | 'status'>,
  change: {
    operatorId: string;
    customer: string;
    reason: PayinReason;
    nowMs: number;
    lastRequestId: string | null;
  },
): Promise<void> {
  payinTransition(payin.status, 'pending');
  await tx
    .updateTable('payins')
    .set({
      operator_id: change.operatorId,
      customer: change.customer,
      status_reason: payinReasonProse(change.reason),
      status_reason_code: change.reason.code,
      updated_at_ms: change.nowMs,
      last_request_id: change.lastRequestId,
    })
    .where('id', '=', payin.id)
    .execute();
}

export async function insertInvoice(tx: Tx, invoice: Invoice): Promise<void> {
  await tx.insertInto('invoices').values(invoiceToRow(invoice)).execute();
}

/** The invoice of a payin through an operator; it exists for every hosted and direct payin. */
export async function getInvoice(tx: Tx, payinId: string): Promise<Invoice> {
  return invoiceFromRow(
    await tx.selectFrom('invoices').selectAll().where('payin_id', '=', payinId).executeTakeFirstOrThrow(),
  );
}

export async function findInvoice(tx: Tx, payinId: string): Promise<Invoice | undefined> {
  const row = await tx.selectFrom('invoices').selectAll().where('payin_id', '=', payinId).executeTakeFirst();
  return row && invoiceFromRow(row);
}

/** The reference of the attempt in flight on a payin's invoice, or null. */
export async function invoiceReferenceOf(tx: Tx, payinId: string): Promise<string | null> {
  const invoice = await tx
    .selectFrom('invoices')
    .select('reference')
    .where('payin_id', '=', payinId)
    .executeTakeFirstOrThrow();
  return invoice.reference;
}

/** The payin whose invoice has this attempt reference. */
export async function payinIdOfReference(tx: Tx, reference: string): Promise<string | undefined> {
  const found = await tx
    .selectFrom('invoices')
    .select('payin_id')
    .where('reference', '=', reference)
    .executeTakeFirst();
  return found?.payin_id;
}

/** The operator of the payin whose attempt has this reference: `undefined` for no such attempt. */
export async function operatorOfPayinReference(
  tx: Tx,
  reference: string,
): Promise<{ operatorId: string | null } | undefined> {
  const payin = await tx
    .selectFrom('invoices')
    .innerJoin('payins', 'payins.id', 'invoices.payin_id')
    .select('payins.operator_id')
    .where('invoices.reference', '=', reference)
    .executeTakeFirst();
  return payin && { operatorId: payin.operator_id };
}

/** What the connector kept to ask about an attempt (connector.ts, operatorState), if anything. */
export async function operatorStateOfReference(tx: Tx, reference: string): Promise<string | undefined> {
  const attempt = await tx
    .selectFrom('invoices')
    .select('operator_state')
    .where('reference', '=', reference)
    .executeTakeFirst();
  return attempt?.operator_state ?? undefined;
}

/** The invoice of an attempt just started: its number, reference, mode, hold and first status query. */
export async function startInvoiceAttempt(
  tx: Tx,
  payinId: string,
  attempt: {
    attempt: number;
    reference: string;
    validationMode: ValidationMode;
    pendingTransferId: string;
    resolveAfterMs: number;
    nowMs: number;
  },
): Promise<void> {
  await tx
    .updateTable('invoices')
    .set({
      attempt: attempt.attempt,
      reference: attempt.reference,
      validation_mode: attempt.validationMode,
      pending_transfer_id: attempt.pendingTransferId,
      redirect_url: null,
      operator_state: null,
      resolve_after_ms: attempt.resolveAfterMs,
      resolve_attempts: 0,
      updated_at_ms: attempt.nowMs,
    })
    .where('payin_id', '=', payinId)
    .execute();
}

export async function touchInvoice(tx: Tx, payinId: string, nowMs: number): Promise<void> {
  await tx.updateTable('invoices').set({ updated_at_ms: nowMs }).where('payin_id', '=', payinId).execute();
}

/** A refused attempt on a hosted page: nothing in flight any more, the customer may try again. */
export async function clearInvoiceAttempt(tx: Tx, payinId: string, nowMs: number): Promise<void> {
  await tx
    .updateTable('invoices')
    .set({ reference: null, pending_transfer_id: null, validation_mode: null, updated_at_ms: nowMs })
    .where('payin_id', '=', payinId)
    .execute();
}

/** What a pending answer told the customer's browser and the connector to keep. */
export async function setInvoiceOperatorHints(
  tx: Tx,
  payinId: string,
  hints: { redirectUrl: string | undefined; operatorState: string | undefined; nowMs: number },
): Promise<void> {
  await tx
    .updateTable('invoices')
    .set({
      ...(hints.redirectUrl !== undefined ? { redirect_url: hints.redirectUrl } : {}),
      ...(hints.operatorState !== undefined ? { operator_state: hints.operatorState } : {}),
      updated_at_ms: hints.nowMs,
    })
    .where('payin_id', '=', payinId)
    .execute();
}

/** When the resolver next asks the operator, after its `query`-th status query answered pending. */
export async function scheduleInvoiceQuery(
  tx: Tx,
  payinId: string,
  resolveAfterMs: number,
  query: number,
): Promise<void> {
  await tx
    .updateTable('invoices')
    .set({ resolve_after_ms: resolveAfterMs, resolve_attempts: query })
    .where('payin_id', '=', payinId)
    .execute();
}

export async function setInvoiceOperatorReference(
  tx: Tx,
  payinId: string,
  operatorReference: string | null,
  nowMs: number,
): Promise<void> {
  await tx
    .updateTable('invoices')
    .set({ operator_reference: operatorReference, updated_at_ms: nowMs })
    .where('payin_id', '=', payinId)
    .execute();
}

/** Extends the leases of claimed payin queries whose payin is still pending by one lease from now. */
export async function renewPayinQueryLeases(
  tx: Tx,
  payinIds: readonly string[],
  untilMs: number,
): Promise<number> {
  if (payinIds.length === 0) return 0;
  const ids = [...payinIds];
  const result = await tx
    .updateTable('invoices')
    .set({ resolve_after_ms: untilMs })
    .where('payin_id', 'in', ids)
    .where('payin_id', 'in', (eb) =>
      eb.selectFrom('payins').select('id').where('id', 'in', ids).where('status', '=', 'pending'),
    )
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** A pending attempt due for a status query, claimed by the resolver. */
export interface DuePayinQuery {
  payinId: string;
  reference: string;
  operatorId: string;
  query: number;
  /** What the connector keeps to ask about the attempt (connector.ts, operatorState). */
  operatorState: string | undefined;
}

/**
 * Claims the attempts due for a status query, oldest due first, by moving their due time one lease
 * ahead; on PostgreSQL rows another resolver holds are skipped.
 */
export async function claimDuePayinQueries(
  tx: Tx,
  dialect: Dialect,
  claim: { nowMs: number; leaseMs: number; limit: number },
): Promise<DuePayinQuery[]> {
  let query = tx
    .selectFrom('invoices')
    .innerJoin('payins', 'payins.id', 'invoices.payin_id')
    .select([
      'invoices.payin_id',
      'invoices.reference',
      'invoices.resolve_attempts',
      'invoices.operator_state',
      'payins.operator_id',
    ])
    .where('payins.status', '=', 'pending')
    .where('invoices.reference', 'is not', null)
    .where('invoices.resolve_after_ms', '<=', claim.nowMs)
    .orderBy('invoices.resolve_after_ms')
    .limit(claim.limit);
  if (dialect === 'postgres') query = query.forUpdate().skipLocked();
  const rows = await query.execute();
  if (rows.length === 0) return [];
  await tx
    .updateTable('invoices')
    .set({ resolve_after_ms: claim.nowMs + claim.leaseMs })
    .where(
      'payin_id',
      'in',
      rows.map((row) => row.payin_id),
    )
    .execute();
  return rows.flatMap((row) =>
    row.reference !== null && row.operator_id !== null
      ? [
          {
            payinId: row.payin_id,
            reference: row.reference,
            operatorId: row.operator_id,
            query: row.resolve_attempts + 1,
            operatorState: row.operator_state ?? undefined,
          },
        ]
      : [],
  );
}

/** Hosted payins created at or before `createdBeforeMs` on whose page nobody started to pay. */
export async function unusedHostedPayinIds(
  tx: Tx,
  createdBeforeMs: number,
  limit: number,
): Promise<string[]> {
  const rows = await tx
    .selectFrom('payins')
    .innerJoin('invoices', 'invoices.payin_id', 'payins.id')
    .select('payins.id')
    .where('payins.status', '=', 'pending')
    .where('payins.kind', '=', 'hosted')
    .where('invoices.reference', 'is', null)
    .where('payins.created_at_ms', '<=', createdBeforeMs)
    .limit(limit)
    .execute();
  return rows.map((row) => row.id);
}
