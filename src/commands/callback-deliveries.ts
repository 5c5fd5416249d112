import { type AttemptRecord, callbackRetryDelayMs } from '../core/callbacks.js';
import type { Tx } from '../store/database.js';
import { type NextEventState, insertAttemptPosts, settleEvents } from '../store/callbacks.js';
import type { ClaimedEvent } from './callback-claims.js';

/**
 * Recording finished callback deliveries (ADR 0006, ADR 0017): their POSTs and each event's next
 * state, several at a time in a transaction of the worker's own; each event changes only while
 * its lease is still the delivery's.
 */

/** `delivered`: a 2xx; `retry`: try again on schedule; `give_up`: trying again cannot help. */
export type DeliveryVerdict = 'delivered' | 'retry' | 'give_up';
export type RecordedState = 'delivered' | 'pending' | 'failed' | 'lease_lost';

export interface FinishedDelivery {
  event: Pick<ClaimedEvent, 'eventId' | 'projectId' | 'attempt' | 'cycleAttempt' | 'leaseId'>;
  attempts: readonly AttemptRecord[];
  verdict: DeliveryVerdict;
}

export async function recordDelivery(
  tx: Tx,
  event: FinishedDelivery['event'],
  attempts: readonly AttemptRecord[],
  verdict: DeliveryVerdict,
  nowMs: number,
  random: () => number,
): Promise<RecordedState> {
  const [state] = await recordDeliveries(tx, [{ event, attempts, verdict }], nowMs, random);
  return state ?? 'lease_lost';
}

/**
 * Records finished deliveries, their POSTs and each event's next state, in three statements
 * whatever their number; returns each one's state, in order. An event whose lease is no longer
 * the delivery's (a resend, a takeover) keeps its state: `lease_lost`.
 */
export async function recordDeliveries(
  tx: Tx,
  finished: readonly FinishedDelivery[],
  nowMs: number,
  random: () => number,
): Promise<RecordedState[]> {
  if (finished.length === 0) return [];
  // The attempts happened whether or not the leases are still ours: they are always recorded.
  await insertAttemptPosts(tx, finished);
  const next = finished.map(({ event, verdict }): NextEventState => {
    const delayMs = verdict === 'retry' ? callbackRetryDelayMs(event.cycleAttempt, random) : undefined;
    const state = verdict === 'delivered' ? 'delivered' : delayMs === undefined ? 'failed' : 'pending';
    return { id: event.eventId, leaseId: event.leaseId, state, nextAttemptAtMs: nowMs + (delayMs ?? 0) };
  });
  const kept = await settleEvents(tx, next, nowMs);
  return next.map((n) => (kept.has(n.id) ? n.state : 'lease_lost'));
}
