import type { AttemptRecord } from '../core/callbacks.js';
import { callbackEventsOf } from '../store/callback-events.js';
import { normalizePhone } from '../core/phone.js';
import { unverifiedTokenClaims } from '../core/tokens.js';
import type { Tx } from '../store/database.js';
import type { InvoiceTable } from '../store/schema-payin-surface.js';
import type { PayinTable, PayoutTable } from '../store/schema.js';

/**
 * What the operator console reads about payins and payouts: a search over both, and the full story
 * of one transaction (its state changes, ledger transfers, operator exchanges and callbacks).
 * Data access only; the HTTP side is src/http/console/. Every list is bounded.
 *
 * Numbers pass through `Number()`: PostgreSQL hands BIGINT columns over as strings unless the
 * driver is told otherwise, and this module should not depend on how it was told.
 */
export const SEARCH_LIMIT_MAX = 200;
export const STORY_LIST_MAX = 500;

export type TransactionKind = 'payin' | 'payout';

export interface TransactionFilter {
  kind?: TransactionKind;
  token?: string;
  requestId?: string;
  /** Any spelling `normalizePhone` accepts (`+226 70 …`); compared with the stored `customer`. */
  phone?: string;
  merchantTransactionId?: string;
  status?: string;
  operatorId?: string;
  projectId?: string;
  /** Created at or after this instant. */
  fromMs?: number;
  /** Created at or before this instant. */
  toMs?: number;
  /** Created strictly before this instant: the cursor of the next page. */
  beforeMs?: number;
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

/** Payins, then payouts, newest first, at most `limit` (capped at SEARCH_LIMIT_MAX) of them. */
export async function searchTransactions(
  tx: Tx,
  filter: TransactionFilter,
  limit: number,
): Promise<TransactionRow[]> {
  const rowsMax = Math.min(
    Math.max(Number.isFinite(limit) ? Math.trunc(limit) : SEARCH_LIMIT_MAX, 1),
    SEARCH_LIMIT_MAX,
  );
  const criteria = criteriaOf(filter);
  if (criteria === undefined) return [];
  const found: TransactionRow[] = [];
  for (const table of ['payins', 'payouts'] as const) {
    const kind = table === 'payins' ? 'payin' : 'payout';
    if (criteria.kinds.includes(kind)) found.push(...(await searchTable(tx, table, criteria, rowsMax)));
  }
  return found.sort(newestFirst).slice(0, rowsMax);
}

/** The filter as columns to match; undefined when nothing can match (a token that is not one). */
interface Criteria {
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

function criteriaOf(filter: TransactionFilter): Criteria | undefined {
  let kinds: TransactionKind[] = filter.kind === undefined ? ['payin', 'payout'] : [filter.kind];
  const equal: Criteria['equal'] = [];
  if (filter.token !== undefined) {
    // A token names its transaction's number (a unique index) and whether it is a payin or a
    // payout; the token itself is compared too, so the unverified decoding decides nothing alone.
    const claim = unverifiedTokenClaims(filter.token);
    if (claim === undefined) return undefined;
    kinds = kinds.filter((kind) => kind === claim.kind);
    equal.push(['number', claim.number], ['token', filter.token]);
  }
  if (filter.phone !== undefined)
    equal.push(['customer', normalizePhone(filter.phone) ?? filter.phone.trim()]);
  if (filter.requestId !== undefined) equal.push(['request_id', filter.requestId]);
  if (filter.merchantTransactionId !== undefined)
    equal.push(['merchant_transaction_id', filter.merchantTransactionId]);
  if (filter.status !== undefined) equal.push(['status', filter.status]);
  if (filter.operatorId !== undefined) equal.push(['operator_id', filter.operatorId]);
  if (filter.projectId !== undefined) equal.push(['project_id', filter.projectId]);
  return { kinds, equal, fromMs: filter.fromMs, toMs: filter.toMs, beforeMs: filter.beforeMs };
}

async function searchTable(
  tx: Tx,
  table: 'payins' | 'payouts',
  criteria: Criteria,
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

function newestFirst(a: TransactionRow, b: TransactionRow): number {
  return b.createdAtMs - a.createdAtMs || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

// ---------------------------------------------------------------- one transaction's story

/** A payin or payout row, all columns, with `custom_data` parsed (its text when it is not JSON). */
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
  const project = await tx
    .selectFrom('projects')
    .select('name')
    .where('id', '=', head.row.project_id)
    .executeTakeFirst();
  const parts: StoryParts = {
    projectName: project?.name ?? null,
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
