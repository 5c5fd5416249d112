import { assert } from '../core/assert.js';
import type { OperatorOutcome } from '../operators/connector.js';
import type { Tx } from '../store/database.js';
import { postTransfers } from '../store/ledger-store.js';
import { prepared } from '../store/prepared.js';
import type { PayoutTable } from '../store/schema.js';
import type { Gateway } from './context.js';
import { enqueueEvent } from './outbox.js';

/**
 * Records what the operator said about a payout's onward transfer, in one transaction. It is
 * idempotent: a payout already final is left as it is, whatever the operator reports again.
 */
export const DISPATCH_ATTEMPTS_MAX = 20;
/** First wait before asking the operator again about a pending transfer; it doubles each time, up to an hour. */
export const DISPATCH_RETRY_MS = 5_000;
export const DISPATCH_RETRY_MAX_MS = 3_600_000;

export function retryDelayMs(attempts: number): number {
  return Math.min(DISPATCH_RETRY_MS * 2 ** Math.max(0, attempts - 1), DISPATCH_RETRY_MAX_MS);
}

const payoutById = prepared((tx, p: { id: string }) => tx.selectFrom('payouts').selectAll().where('id', '=', p.id));
const payoutForUpdate = prepared((tx, p: { id: string }) => tx.selectFrom('payouts').selectAll().where('id', '=', p.id).forUpdate());
const finalizeRow = prepared((tx, p: { id: string; status: string; status_reason: string | null; operator_reference: string | null; updated_at_ms: number }) =>
  tx
    .updateTable('payouts')
    .set({ status: p.status, dispatch_state: 'done', dispatch_owner: null, status_reason: p.status_reason, operator_reference: p.operator_reference, updated_at_ms: p.updated_at_ms })
    .where('id', '=', p.id),
);

export type SettleResult = 'completed' | 'notcompleted' | 'still_pending' | 'already_final';

/**
 * `holder` is the instance whose call produced the outcome, when it held the payout's lease (ADR
 * 0018). A pending answer from a holder whose lease another instance has taken over since (after a
 * stall longer than the lease) leaves the payout to the new holder; a final answer settles it
 * whoever reports it.
 */
export async function settlePayout(gw: Gateway, tx: Tx, payoutId: string, outcome: OperatorOutcome, attempts = 1, holder?: string): Promise<SettleResult> {
  const nowMs = gw.clock.nowMs();
  // On PostgreSQL the row is locked, so that any other settler of the same payout waits and then
  // reads what this one wrote (READ COMMITTED returns the newest version of a row locked FOR UPDATE).
  const [payout] = await (gw.db.dialect === 'postgres' ? payoutForUpdate : payoutById).rows(tx, { id: payoutId });
  assert(payout !== undefined, `no payout ${payoutId}`);
  if (payout.status !== 'pending') return 'already_final';
  const owner = payout.dispatch_owner ?? null;
  if (outcome.state === 'pending' && holder !== undefined && owner !== null && owner !== holder) return 'still_pending';
  if (outcome.state === 'pending') {
    // The hold stays: releasing it while the operator may still pay would create money. After the
    // last attempt the payout waits for a person, with the reason recorded (README, "Payouts").
    const exhausted = attempts >= DISPATCH_ATTEMPTS_MAX;
    await tx
      .updateTable('payouts')
      .set({
        dispatch_state: exhausted ? 'review' : 'sent',
        dispatch_after_ms: nowMs + retryDelayMs(attempts),
        dispatch_owner: null,
        status_reason: exhausted ? `operator still pending after ${attempts} attempts; needs review` : 'awaiting operator',
        updated_at_ms: nowMs,
      })
      .where('id', '=', payoutId)
      .execute();
    return 'still_pending';
  }
  return finalizePayout(gw, tx, payout, outcome.state, outcome.state === 'failed' ? outcome.reason : null, outcome.operatorReference ?? null, nowMs);
}

export async function finalizePayout(
  gw: Gateway,
  tx: Tx,
  payout: PayoutTable,
  status: 'completed' | 'failed',
  reason: string | null,
  operatorReference: string | null,
  nowMs: number,
): Promise<SettleResult> {
  assert(payout.pending_transfer_id !== null, `payout ${payout.id} has no hold to settle`);
  const posted = await postTransfers(
    tx,
    gw.db.dialect,
    [
      {
        kind: status === 'completed' ? 'post_pending' : 'void_pending',
        pendingId: payout.pending_transfer_id,
        reason: status === 'completed' ? 'payout' : 'payout_reversal',
        subjectId: payout.id,
      },
    ],
    nowMs,
  );
  assert(posted.ok, `settling the hold of payout ${payout.id} failed`);
  const finalStatus = status === 'completed' ? 'completed' : 'notcompleted';
  await finalizeRow.defer(tx, { id: payout.id, status: finalStatus, status_reason: reason, operator_reference: operatorReference, updated_at_ms: nowMs });
  await enqueueEvent(
    tx,
    { projectId: payout.project_id, type: finalStatus === 'completed' ? 'payout.completed' : 'payout.notcompleted', subjectType: 'payout', subjectId: payout.id },
    nowMs,
  );
  return finalStatus;
}
