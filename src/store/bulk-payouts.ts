import { prepared } from './prepared.js';
import type { Tx } from './database.js';
import type { PayoutBatchItemTable, PayoutBatchTable } from './schema-bulk.js';

/**
 * Bulk payouts' SQL (migration 0013, ADR 0025): batches, their item rows, and the reads that show
 * a batch with each item read through to its payout.
 */
export async function insertBatch(tx: Tx, batch: PayoutBatchTable): Promise<void> {
  await tx.insertInto('payout_batches').values(batch).execute();
}

/** A batch of the project with the indexes of the items that already have their row, for a resumed request. */
export async function findBatchToResume(
  tx: Tx,
  batchId: string,
  projectId: string,
): Promise<{ batch: PayoutBatchTable; doneIndexes: Set<number> } | undefined> {
  const batch = await tx
    .selectFrom('payout_batches')
    .selectAll()
    .where('id', '=', batchId)
    .where('project_id', '=', projectId)
    .executeTakeFirst();
  if (!batch) return undefined;
  const rows = await tx
    .selectFrom('payout_batch_items')
    .select('item_index')
    .where('batch_id', '=', batchId)
    .execute();
  return { batch, doneIndexes: new Set(rows.map((r) => Number(r.item_index))) };
}

/**
 * An item's row. Deferred (prepared.ts): on PostgreSQL it travels with the command's other writes
 * instead of costing a round trip of its own; a collision on its key still fails the command.
 */
const insertItemRow = prepared((tx, row: PayoutBatchItemTable) =>
  tx.insertInto('payout_batch_items').values(row),
);

export function insertBatchItem(tx: Tx, row: PayoutBatchItemTable): Promise<void> {
  return insertItemRow.defer(tx, row);
}

/** Marks the batch processed, if every item has its row: counted again inside the transaction. */
export async function markBatchProcessed(tx: Tx, batch: PayoutBatchTable, nowMs: number): Promise<void> {
  const counted = await tx
    .selectFrom('payout_batch_items')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('batch_id', '=', batch.id)
    .executeTakeFirst();
  if (Number(counted?.n ?? 0) < batch.item_count) return;
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
  kind: string;
  amountXof: number | null;
  customer: string;
  resultCode: string;
  resultDetail: string;
  payoutId: string | null;
  token: string;
  /** The payout's status (`pending`, `completed`, `notcompleted`), or `refused` for an item without a payout. */
  status: string;
  statusReason: string | null;
}

export interface BatchView {
  batch: PayoutBatchTable;
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
    .select([
      'i.item_index',
      'i.kind',
      'i.amount_xof',
      'i.customer',
      'i.result_code',
      'i.result_detail',
      'i.payout_id',
      'p.token',
      'p.status',
      'p.status_reason',
    ])
    .where('i.batch_id', '=', batchId)
    .orderBy('i.item_index')
    .execute();
  const items = rows.map((r) => ({
    index: Number(r.item_index),
    kind: r.kind,
    amountXof: r.amount_xof === null ? null : Number(r.amount_xof),
    customer: r.customer,
    resultCode: r.result_code,
    resultDetail: r.result_detail,
    payoutId: r.payout_id,
    token: r.token ?? '',
    status: r.status ?? 'refused',
    statusReason: r.status_reason ?? null,
  }));
  return {
    batch: { ...batch, item_count: Number(batch.item_count), created_at_ms: Number(batch.created_at_ms) },
    items,
  };
}

export const BATCH_LIST_PAGE_MAX = 50;

export interface BatchSummary {
  id: string;
  projectId: string;
  projectName: string;
  itemCount: number;
  status: string;
  createdAtMs: number;
  payoutCount: number;
  acceptedXof: number;
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
    status: r.status,
    createdAtMs: Number(r.created_at_ms),
    payoutCount: Number(r.payout_count ?? 0),
    acceptedXof: Number(r.accepted_xof ?? 0),
  }));
}
