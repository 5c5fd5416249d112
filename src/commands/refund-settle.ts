import { assert } from '../core/assert.js';
import { stillPending } from '../core/payout.js';
import type { OperatorOutcome } from '../operators/connector.js';
import type { Tx } from '../store/database.js';
import { postTransfers } from '../store/ledger-store.js';
import {
  findRefundPayinId,
  lockPayinToRefund,
  markRefundFinal,
  markRefundStillPending,
  readRefund,
} from '../store/refunds.js';
import type { WithClock, WithDb } from './context.js';
import { enqueueEvent } from './outbox.js';

export type RefundSettlement = 'completed' | 'failed' | 'still_pending' | 'already_final';

/**
 * Records what the operator said about a refund, in one transaction, idempotently: a final refund
 * stays as it is. A pending answer keeps the hold (releasing it while the operator may still pay
 * would create money) and schedules the next status query; after the last one the refund waits
 * for a person, like a payout. `holder` as in `settlePayouts`: a pending answer from an instance
 * whose lease was taken over leaves the refund to the new holder.
 */
export async function settleRefund(
  deps: WithDb & WithClock,
  tx: Tx,
  refundId: string,
  outcome: OperatorOutcome,
  attempts: number,
  holder?: string,
): Promise<RefundSettlement> {
  const nowMs = deps.clock.nowMs();
  const payinId = await findRefundPayinId(tx, refundId);
  assert(payinId !== undefined, `no refund ${refundId}`);
  // Lock order as in createRefund: the payin row, then the balance rows.
  await lockPayinToRefund(tx, deps.db.dialect, payinId);
  const refund = await readRefund(tx, refundId);
  if (refund.status !== 'pending') return 'already_final';
  if (outcome.state === 'pending') {
    if (holder !== undefined && refund.dispatchOwner !== null && refund.dispatchOwner !== holder)
      return 'still_pending';
    await markRefundStillPending(tx, refundId, stillPending(attempts, nowMs), nowMs);
    return 'still_pending';
  }
  assert(refund.pendingTransferId !== null, `refund ${refundId} has no hold to settle`);
  const completed = outcome.state === 'completed';
  const posted = await postTransfers(
    tx,
    deps.db.dialect,
    [
      {
        kind: completed ? 'post_pending' : 'void_pending',
        pendingId: refund.pendingTransferId,
        reason: completed ? 'refund' : 'refund_failed',
        subjectId: refundId,
      },
    ],
    nowMs,
  );
  assert(posted.ok, `settling the hold of refund ${refundId} failed`);
  await markRefundFinal(tx, refund, {
    completed,
    operatorReference: outcome.operatorReference ?? null,
    statusReason: outcome.state === 'failed' ? outcome.reason.slice(0, 500) : null,
    nowMs,
  });
  await enqueueEvent(
    tx,
    {
      projectId: refund.projectId,
      type: completed ? 'refund.completed' : 'refund.failed',
      subjectType: 'refund',
      subjectId: refundId,
    },
    nowMs,
  );
  return completed ? 'completed' : 'failed';
}
