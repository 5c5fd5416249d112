import type { AttemptRecord } from '../core/callbacks.js';
import type { Tx } from './database.js';
import { callbackEventsOf } from './callback-events.js';
import type { InvoiceTable } from './schema-payin-surface.js';
import type { PayinTable, PayoutTable } from './schema.js';

/**
 * The queries behind the console's transactions pages: the search over payins and payouts, and
 * the full story of one transaction (its state changes, ledger transfers, operator exchanges and
 * callbacks). src/console/transactions.ts turns a search form into `SearchCriteria`. Every list is
 * bounded.
 *
 * Numbers pass through `Number()`: PostgreSQL hands BIGINT columns over as strings unless the
 * driver is told otherwise, and this module should not depend on how it was told.
 */
export const STORY_LIST_MAX = 500;

export type TransactionKind = 'payin' | 'payout';

/** A search's criteria as columns to match. */
export interface SearchCriteria {
  kinds: TransactionKind[];
  equal: [
    column:
      | 'number'
      | 'token'
      | 'request_id'
      | 'customer'
      | 'merchant_transaction_id'
      | 'status'
      | 'operator_id'
      | 'project_id',
    value: string,
  ][];
  fromMs: number | undefined;
  toMs: number | undefined;
  beforeMs: number | undefined;
}

export interface TransactionRow {
  id: string;
  kind: TransactionKind;
  /** `payins.kind` or `payouts.kind`. */
  subtype: string;
  projectId: string;
  status: string;
  amountXof: number;
  customer: string | null;
  operatorId: string | null;
  requestId: string;
  merchantTransactionId: string | null;
  token: string;
  createdAtMs: number;
  updatedAtMs: number;
}

/** The newest `rowsMax` payins or payouts that match, newest first. */
export async function findTransactions(
  tx: Tx,
  table: 'payins' | 'payouts',
  criteria: SearchCriteria,
  rowsMax: number,
): Promise<TransactionRow[]> {
  let query = tx
    .selectFrom(table)
    .select([
      'id',
      'kind',
      'project_id',
      'status',
      'amount_xof',
      'customer',
      'operator_id',
      'request_id',
      'merchant_transaction_id',
      'token',
    ])
    .select(['created_at_ms', 'updated_at_ms'])
    .orderBy('created_at_ms', 'desc')
    .orderBy('id', 'desc')
    .limit(rowsMax);
  for (const [column, value] of criteria.equal) query = query.where(column, '=', value);
  if (criteria.fromMs !== undefined) query = query.where('created_at_ms', '>=', criteria.fromMs);
  if (criteria.toMs !== undefined) query = query.where('created_at_ms', '<=', criteria.toMs);
  if (criteria.beforeMs !== undefined) query = query.where('created_at_ms', '<', criteria.beforeMs);
  const rows = await query.execute();
  return rows.map((row) => ({
    id: row.id,
    kind: table === 'payins' ? 'payin' : 'payout',
    subtype: row.kind,
    projectId: row.project_id,
    status: row.status,
    amountXof: Number(row.amount_xof),
    customer: row.customer,
    operatorId: row.operator_id,
    requestId: row.request_id,
    merchantTransactionId: row.merchant_transaction_id,
    token: row.token,
    createdAtMs: Number(row.created_at_ms),
    updatedAtMs: Number(row.updated_at_ms),
  }));
}

/** The payin or payout a callback event is about; undefined for an unknown event. */
export async function callbackEventSubject(tx: Tx, eventId: string): Promise<string | undefined> {
  const event = await tx
    .selectFrom('outbox')
    .select('subject_id')
    .where('id', '=', eventId)
    .executeTakeFirst();
  return event?.subject_id;
}

/** A project's name; undefined for an unknown project. */
export async function projectNameById(tx: Tx, projectId: string): Promise<string | undefined> {
  const project = await tx
    .selectFrom('projects')
    .select('name')
    .where('id', '=', projectId)
    .executeTakeFirst();
  return project?.name;
}

// ---------------------------------------------------------------- one transaction's story

/**
 * A payin or payout row, all columns, with `custom_data` parsed (its text when it is not JSON). The
 * story shows every column as stored, the ones the domain `Payin` and `Payout` leave out included,
 * so it reads the row as it is rather than through `payinFromRow` / `payoutFromRow`.
 */
export type PayinDetail = Omit<PayinTable, 'custom_data'> & { custom_data: unknown };
export type PayoutDetail = Omit<PayoutTable, 'custom_data'> & { custom_data: unknown };

/** One state change, as the database triggers of migration 0005 recorded it. */
export interface StoryEvent {
  seq: number;
  status: string;
  reason: string | null;
  /** Payouts only: where the onward operator transfer stood. */
  dispatchState: string | null;
  atMs: number;
  /** The HTTP request (`X-Request-Id`) whose command made the change; null for a worker's (migration 0011). */
  requestId: string | null;
}

export interface StoryTransfer {
  id: string;
  /** `single`, `pending`, `post_pending`, `void_pending`, … (src/core/ledger.ts). */
  kind: string;
  pendingId: string | null;
  debitAccountId: string;
  creditAccountId: string;
  amountXof: number;
  reason: string;
  createdAtMs: number;
}

export interface StoryExchange {
  id: string;
  reference: string;
  operatorId: string;
  /** `credit`, `debit`, `status` or `notification`. */
  action: string;
  /** JSON text as stored: at most 2,048 characters, so possibly cut short. */
  request: string;
  outcome: string;
  error: string | null;
  startedAtMs: number;
  latencyMs: number;
  /** Recorded before the call, with no outcome yet: still in flight, or cut by a crash. */
  inFlight: boolean;
}

/** One POST of a callback (table `callback_attempts`). */
export interface StoryCallbackPost extends Omit<AttemptRecord, 'encoding'> {
  attempt: number;
  /** `json` or `form`, as stored. */
  encoding: string;
}

/** One callback event (an outbox row) and its POSTs, in attempt order. */
export interface StoryCallback {
  eventId: string;
  eventType: string;
  status: string;
  /** Delivery attempts ever claimed, resends included. */
  attemptsMade: number;
  nextAttemptAtMs: number;
  createdAtMs: number;
  deliveredAtMs: number | null;
  posts: StoryCallbackPost[];
}

interface StoryParts {
  projectName: string | null;
  events: StoryEvent[];
  transfers: StoryTransfer[];
  exchanges: StoryExchange[];
  callbacks: StoryCallback[];
}

/** The transaction itself: a payin with its checkout invoice (if it has one), or a payout. */
export type StoryHead =
  | { kind: 'payin'; row: PayinDetail; invoice: InvoiceTable | null }
  | { kind: 'payout'; row: PayoutDetail; invoice: null };

export type TransactionStory = StoryHead & StoryParts;

/** Everything known about one payin (`pay_…`) or payout (`po_…`); undefined for an unknown id. */
export async function transactionStory(tx: Tx, id: string): Promise<TransactionStory | undefined> {
  const head = await storyHead(tx, id);
  if (head === undefined) return undefined;
  const parts: StoryParts = {
    projectName: (await projectNameById(tx, head.row.project_id)) ?? null,
    events: await eventsOf(tx, id),
    transfers: await transfersOf(tx, id),
    exchanges: await exchangesOf(tx, id),
    callbacks: await callbacksOf(tx, id),
  };
  return { ...head, ...parts };
}

async function storyHead(tx: Tx, id: string): Promise<StoryHead | undefined> {
  if (id.startsWith('pay_')) {
    const row = await tx.selectFrom('payins').selectAll().where('id', '=', id).executeTakeFirst();
    if (row === undefined) return undefined;
    const invoice = await tx.selectFrom('invoices').selectAll().where('payin_id', '=', id).executeTakeFirst();
    return {
      kind: 'payin',
      row: payinDetail(row),
      invoice: invoice === undefined ? null : invoiceDetail(invoice),
    };
  }
  if (id.startsWith('po_')) {
    const row = await tx.selectFrom('payouts').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : { kind: 'payout', row: payoutDetail(row), invoice: null };
  }
  return undefined;
}

function parsedJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function payinDetail(row: PayinTable): PayinDetail {
  return {
    ...row,
    amount_xof: Number(row.amount_xof),
    custom_data: parsedJson(row.custom_data),
    created_at_ms: Number(row.created_at_ms),
    updated_at_ms: Number(row.updated_at_ms),
  };
}

function payoutDetail(row: PayoutTable): PayoutDetail {
  return {
    ...row,
    top_up_wallet: Number(row.top_up_wallet),
    amount_xof: Number(row.amount_xof),
    custom_data: parsedJson(row.custom_data),
    dispatch_attempts: Number(row.dispatch_attempts),
    dispatch_after_ms: Number(row.dispatch_after_ms),
    created_at_ms: Number(row.created_at_ms),
    updated_at_ms: Number(row.updated_at_ms),
  };
}

function invoiceDetail(row: InvoiceTable): InvoiceTable {
  return {
    ...row,
    attempt: Number(row.attempt),
    resolve_after_ms: Number(row.resolve_after_ms),
    resolve_attempts: Number(row.resolve_attempts),
    created_at_ms: Number(row.created_at_ms),
    updated_at_ms: Number(row.updated_at_ms),
  };
}

async function eventsOf(tx: Tx, id: string): Promise<StoryEvent[]> {
  const rows = await tx
    .selectFrom('transaction_events')
    .select(['seq', 'status', 'reason', 'dispatch_state', 'at_ms', 'request_id'])
    .where('subject_id', '=', id)
    .orderBy('seq')
    .limit(STORY_LIST_MAX)
    .execute();
  return rows.map((r) => ({
    seq: Number(r.seq),
    status: r.status,
    reason: r.reason,
    dispatchState: r.dispatch_state,
    atMs: Number(r.at_ms),
    requestId: r.request_id,
  }));
}

async function transfersOf(tx: Tx, id: string): Promise<StoryTransfer[]> {
  const rows = await tx
    .selectFrom('transfers')
    .selectAll()
    .where('subject_id', '=', id)
    .orderBy('created_at_ms')
    .orderBy('id')
    .limit(STORY_LIST_MAX)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    pendingId: r.pending_id,
    debitAccountId: r.debit_account_id,
    creditAccountId: r.credit_account_id,
    amountXof: Number(r.amount_xof),
    reason: r.reason,
    createdAtMs: Number(r.created_at_ms),
  }));
}

async function exchangesOf(tx: Tx, id: string): Promise<StoryExchange[]> {
  const rows = await tx
    .selectFrom('operator_exchanges')
    .selectAll()
    .where('subject_id', '=', id)
    .orderBy('started_at_ms')
    .orderBy('id')
    .limit(STORY_LIST_MAX)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    reference: r.reference,
    operatorId: r.operator_id,
    action: r.action,
    request: r.request,
    outcome: r.outcome,
    error: r.error,
    startedAtMs: Number(r.started_at_ms),
    latencyMs: Number(r.latency_ms),
    inFlight: r.phase === 'intent',
  }));
}

async function callbacksOf(tx: Tx, id: string): Promise<StoryCallback[]> {
  const events = await callbackEventsOf(tx, id, STORY_LIST_MAX, STORY_LIST_MAX);
  return events.map(({ id: eventId, type: eventType, attempts: attemptsMade, ...rest }) => ({
    eventId,
    eventType,
    attemptsMade,
    ...rest,
  }));
}
