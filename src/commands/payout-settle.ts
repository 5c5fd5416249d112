import { assert } from '../core/assert.js';
import { type Payout, dispatchMove, payoutTransition, stillPending } from '../core/payout.js';
import type { OperatorOutcome } from '../operators/connector.js';
import type { Tx } from '../store/database.js';
import { postTransfers } from '../store/ledger-store.js';
import {
  type PayoutFinal,
  lockPayoutsToSettle,
  markPayoutStillPending,
  markPayoutsFinal,
} from '../store/payouts.js';
import type { WithClock, WithDb } from './context.js';
import { enqueueEvent } from './outbox.js';

/**
 * Records what the operator said about a payout's onward transfer, in one transaction. It is
 * idempotent: a payout already final is left as it is, whatever the operator reports again.
 */

export type SettleResult = 'completed' | 'notcompleted' | 'still_pending' | 'already_final';

/**
 * `holder` is the instance whose call produced the outcome, when it held the payout's lease (ADR
 * 0018). A pending answer from a holder whose lease another instance has taken over since (after a
 * stall longer than the lease) leaves the payout to the new holder; a final answer settles it
 * whoever reports it.
 */
export async function settlePayout(
  deps: WithDb & WithClock,
  tx: Tx,
  payoutId: string,
  outcome: OperatorOutcome,
  attempts = 1,
  holder?: string,
): Promise<SettleResult> {
  const [result] = await settlePayouts(deps, tx, [
    { payoutId, outcome, attempts, ...(holder !== undefined ? { holder } : {}) },
  ]);
  return result ?? 'already_final';
}

export interface SettleItem {
  payoutId: string;
  outcome: OperatorOutcome;
  attempts: number;
  holder?: string;
}

/** A payout the operator has decided, with what its row will say. */
interface Decided {
  payout: Payout;
  final: PayoutFinal;
}

/**
 * `settlePayout` for several outcomes in one command, as the dispatcher gathers them: the payouts
 * are read (and on PostgreSQL locked) together, the holds of those that are final are resolved
 * in one `postTransfers`, and their rows and events are written together (ADR 0019). The same
 * payout twice is settled once; the second sees it final.
 */
export async function settlePayouts(
  deps: WithDb & WithClock,
  tx: Tx,
  items: readonly SettleItem[],
): Promise<SettleResult[]> {
  if (items.length === 0) return [];
  const nowMs = deps.clock.nowMs();
  const ids = [...new Set(items.map((item) => item.payoutId))].sort();
  const byId = new Map((await lockPayoutsToSettle(tx, deps.db.dialect, ids)).map((row) => [row.id, row]));
  const decided: Decided[] = [];
  const settled = new Set<string>();
  const results: SettleResult[] = [];
  for (const { payoutId, outcome, attempts, holder } of items) {
    const payout = byId.get(payoutId);
    assert(payout !== undefined, `no payout ${payoutId}`);
    if (payout.status !== 'pending' || settled.has(payoutId)) {
      results.push('already_final');
      continue;
    }
    const owner = payout.dispatchOwner;
    if (outcome.state === 'pending') {
      if (holder === undefined || owner === null || owner === holder)
        await keepPending(tx, payout, attempts, nowMs);
      results.push('still_pending');
      continue;
    }
    settled.add(payoutId);
    const status = outcome.state === 'completed' ? 'completed' : 'notcompleted';
    payoutTransition(payout.status, status);
    dispatchMove(payout.dispatchState, 'done');
    decided.push({
      payout,
      final: {
        id: payout.id,
        status,
        statusReason: outcome.state === 'failed' ? outcome.reason : null,
        statusReasonCode: outcome.state === 'failed' ? 'operator_failed' : null,
        operatorReference: outcome.operatorReference ?? null,
      },
    });
    results.push(status);
  }
  await finalizePayouts(deps, tx, decided, nowMs);
  return results;
}

/**
 * The operator has not decided: the hold stays (releasing it while the operator may still pay
 * would create money). After the last attempt the payout waits for a person, with the reason
 * recorded (README, "Payouts"). A pending answer from a holder whose lease another instance has
 * taken over since (ADR 0018) leaves the payout to the new holder: the caller does not come here.
 */
async function keepPending(tx: Tx, payout: Payout, attempts: number, nowMs: number): Promise<void> {
  const pending = stillPending(attempts, nowMs);
  payoutTransition(payout.status, 'pending');
  dispatchMove(payout.dispatchState, pending.dispatchState);
  await markPayoutStillPending(tx, payout.id, pending, nowMs);
}

/** Posts or voids the holds of payouts the operator has decided, and writes their rows and events. */
async function finalizePayouts(
  deps: WithDb,
  tx: Tx,
  decided: readonly Decided[],
  nowMs: number,
): Promise<void> {
  if (decided.length === 0) return;
  const plans = decided.map(({ payout, final }) => {
    assert(payout.pendingTransferId !== null, `payout ${payout.id} has no hold to settle`);
    return {
      kind: final.status === 'completed' ? ('post_pending' as const) : ('void_pending' as const),
      pendingId: payout.pendingTransferId,
      reason: final.status === 'completed' ? 'payout' : 'payout_reversal',
      subjectId: payout.id,
    };
  });
  const posted = await postTransfers(tx, deps.db.dialect, plans, nowMs);
  assert(posted.ok, `settling the holds of payouts ${decided.map((d) => d.payout.id).join(', ')} failed`);
  await markPayoutsFinal(
    tx,
    decided.map((d) => d.final),
    nowMs,
  );
  for (const { payout, final } of decided) {
    await enqueueEvent(
      tx,
      {
        projectId: payout.projectId,
        type: final.status === 'completed' ? 'payout.completed' : 'payout.notcompleted',
        subjectType: 'payout',
        subjectId: payout.id,
      },
      nowMs,
    );
  }
}
