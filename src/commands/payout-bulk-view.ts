import type { Tx } from '../store/database.js';
import type { PayoutBatchTable } from '../store/schema-bulk.js';

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

export type BatchCounts = Record<
  'pending' | 'completed' | 'notcompleted' | 'refused' | 'unprocessed',
  number
>;

/** Items per status; `unprocessed` counts items without a row yet (a batch interrupted mid-way). */
export function batchCounts(view: BatchView): BatchCounts {
  const counts: BatchCounts = {
    pending: 0,
    completed: 0,
    notcompleted: 0,
    refused: 0,
    unprocessed: view.batch.item_count - view.items.length,
  };
  for (const item of view.items) {
    if (
      item.status === 'pending' ||
      item.status === 'completed' ||
      item.status === 'notcompleted' ||
      item.status === 'refused'
    )
      counts[item.status]++;
  }
  return counts;
}

/** Total XOF of the items that became payouts, and of those completed so far. */
export function batchTotals(view: BatchView): { acceptedXof: number; completedXof: number } {
  let acceptedXof = 0;
  let completedXof = 0;
  for (const item of view.items) {
    if (item.payoutId === null || item.amountXof === null) continue;
    acceptedXof += item.amountXof;
    if (item.status === 'completed') completedXof += item.amountXof;
  }
  return { acceptedXof, completedXof };
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
