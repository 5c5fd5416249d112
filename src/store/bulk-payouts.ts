import { oneOf } from '../core/assert.js';
import type {
  BulkItemKind,
  BulkItemResult,
  PayoutBatch,
  PayoutBatchItem,
  PayoutBatchStatus,
} from '../core/bulk-payout.js';
import { type Xof, xof } from '../core/money.js';
import type { PayoutStatus } from '../core/payout.js';
import {
  BATCH_STATUSES,
  batchFromRow,
  batchItemFromRow,
  batchItemToRow,
  batchToRow,
} from './bulk-payout-rows.js';
import { prepared } from './prepared.js';
import type { Tx } from './database.js';
import { PAYOUT_STATUSES } from './payout-rows.js';
import type { PayoutBatchItemTable } from './schema-bulk.js';

/**
 * Bulk payouts' SQL (migration 0013, ADR 0025): batches, their item rows, and the reads that show
 * a batch with each item read through to its payout.
 */
export async function insertBatch(tx: Tx, batch: PayoutBatch): Promise<void> {
  await tx.insertInto('payout_batches').values(batchToRow(batch)).execute();
}

/** A batch of the project with the indexes of the items that already have their row, for a resumed request. */
export async function findBatchToResume(
  tx: Tx,
  batchId: string,
  projectId: string,
): Promise<{ batch: PayoutBatch; doneIndexes: Set<number> } | undefined> {
  const row = await tx
    .selectFrom('payout_batches')
    .selectAll()
    .where('id', '=', batchId)
    .where('project_id', '=', projectId)
    .executeTakeFirst();
  if (!row) return undefined;
  const rows = await tx
    .selectFrom('payout_batch_items')
    .select('item_index')
    .where('batch_id', '=', batchId)
    .execute();
  return { batch: batchFromRow(row), doneIndexes: new Set(rows.map((r) => Number(r.item_index))) };
}

/**
 * An item's row. Deferred (prepared.ts): on PostgreSQL it travels with the command's other writes
 * instead of costing a round trip of its own; a collision on its key still fails the command.
 */
const insertItemRow = prepared((tx, row: PayoutBatchItemTable) =>
  tx.insertInto('payout_batch_items').values(row),
);

export function insertBatchItem(tx: Tx, item: PayoutBatchItem): Promise<void> {
  return insertItemRow.defer(tx, batchItemToRow(item));
}

/** Marks the batch processed, if every item has its row: counted again inside the transaction. */
export async function markBatchProcessed(tx: Tx, batch: PayoutBatch, nowMs: number): Promise<void> {
  const counted = await tx
    .selectFrom('payout_batch_items')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('batch_id', '=', batch.id)
    .executeTakeFirst();
  if (Number(counted?.n ?? 0) < batch.itemCount) return;
  await tx
    .updateTable('payout_batches')
    .set({ status: 'processed', processed_at_ms: nowMs })
    .where('id', '=', batch.id)
    .where('status', '=', 'processing')
    .execute();
}

/**
 * What a batch looks like now (ADR 0025): its row and its items, each read through to its payout,
 * so that an item's status is the payout's own and nothing is copied as payouts complete.
 */
export interface BatchItemView {
  index: number;
  kind: BulkItemKind;
  amountXof: Xof | null;
  customer: string;
  resultCode: BulkItemResult;
  resultDetail: string;
  payoutId: string | null;
  token: string;
  /** The payout's status, or `refused` for an item without a payout. */
  status: PayoutStatus | 'refused';
  statusReason: string | null;
}

export interface BatchView {
  batch: PayoutBatch;
  items: BatchItemView[];
}

export async function readBatch(tx: Tx, batchId: string, projectId?: string): Promise<BatchView | undefined> {
  let query = tx.selectFrom('payout_batches').selectAll().where('id', '=', batchId);
  if (projectId !== undefined) query = query.where('project_id', '=', projectId);
  const batch = await query.executeTakeFirst();
  if (!batch) return undefined;
  const rows = await tx
    .selectFrom('payout_batch_items as i')
    .leftJoin('payouts as p', 'p.id', 'i.payout_id')
    .selectAll('i')
    .select(['p.token', 'p.status', 'p.status_reason'])
    .where('i.batch_id', '=', batchId)
    .orderBy('i.item_index')
    .execute();
  return { batch: batchFromRow(batch), items: rows.map(itemView) };
}

/** An item as its batch shows it: its row, read through to its payout's token, status and reason. */
function itemView(
  r: PayoutBatchItemTable & { token: string | null; status: string | null; status_reason: string | null },
): BatchItemView {
  const item = batchItemFromRow(r);
  return {
    index: item.itemIndex,
    kind: item.kind,
    amountXof: item.amountXof,
    customer: item.customer,
    resultCode: item.resultCode,
    resultDetail: item.resultDetail,
    payoutId: item.payoutId,
    token: r.token ?? '',
    status:
      r.status === null ? 'refused' : oneOf(PAYOUT_STATUSES, r.status, 'payout status', item.payoutId ?? ''),
    statusReason: r.status_reason ?? null,
  };
}

export const BATCH_LIST_PAGE_MAX = 50;

export interface BatchSummary {
  id: string;
  projectId: string;
  projectName: string;
  itemCount: number;
  status: PayoutBatchStatus;
  createdAtMs: number;
  payoutCount: number;
  acceptedXof: Xof;
}

/** The newest batches, for the console; `beforeMs` pages back. */
export async function listBatches(
  tx: Tx,
  p: { projectId?: string; beforeMs?: number; limit: number },
): Promise<BatchSummary[]> {
  let query = tx
    .selectFrom('payout_batches as b')
    .innerJoin('projects as pr', 'pr.id', 'b.project_id')
    .select(['b.id', 'b.project_id', 'pr.name', 'b.item_count', 'b.status', 'b.created_at_ms'])
    .select((eb) => [
      eb
        .selectFrom('payout_batch_items as i')
        .whereRef('i.batch_id', '=', 'b.id')
        .where('i.payout_id', 'is not', null)
        .select((e) => e.fn.countAll<number>().as('n'))
        .as('payout_count'),
      eb
        .selectFrom('payout_batch_items as i')
        .whereRef('i.batch_id', '=', 'b.id')
        .where('i.payout_id', 'is not', null)
        .select((e) => e.fn.sum<number>('i.amount_xof').as('s'))
        .as('accepted_xof'),
    ])
    .orderBy('b.created_at_ms', 'desc')
    .orderBy('b.id', 'desc')
    .limit(Math.min(p.limit, BATCH_LIST_PAGE_MAX));
  if (p.projectId !== undefined) query = query.where('b.project_id', '=', p.projectId);
  if (p.beforeMs !== undefined) query = query.where('b.created_at_ms', '<', p.beforeMs);
  const rows = await query.execute();
  return rows.map((r) => ({
    id: r.id,
    projectId: r.project_id,
    projectName: r.name,
    itemCount: Number(r.item_count),
    status: oneOf(BATCH_STATUSES, r.status, 'batch status', r.id),
    createdAtMs: Number(r.created_at_ms),
    payoutCount: Number(r.payout_count ?? 0),
    acceptedXof: xof(Number(r.accepted_xof ?? 0)),
  }));
}
