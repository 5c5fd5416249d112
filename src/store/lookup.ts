import type { Dialect, Tx } from './database.js';
import type { PayoutTable } from './schema.js';

/**
 * Reads that find a transaction by what a caller holds (a token's number, an operator's
 * reference) before the payin or payout command that deals with it runs.
 */

/** The payout whose token carries this number, as its row (the payout confirm body reads rows). */
export async function findPayoutRowByNumber(tx: Tx, number: string): Promise<PayoutTable | undefined> {
  return tx.selectFrom('payouts').selectAll().where('number', '=', number).executeTakeFirst();
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
 * rows another resolver holds are skipped. (It belongs with the payouts' store once that exists.)
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
