import type { BatchView } from '../store/bulk-payouts.js';

/**
 * What a batch looks like now (ADR 0025): the store reads its row and its items, each read through
 * to its payout (src/store/bulk-payouts.ts); here are the counts and totals shown of it.
 */

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
    unprocessed: view.batch.itemCount - view.items.length,
  };
  for (const item of view.items) counts[item.status]++;
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
