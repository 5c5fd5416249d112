import { assert } from '../core/assert.js';
import type { OperatorOutcome } from '../operators/connector.js';
import type { Tx } from '../store/database.js';
import { caseById } from '../store/case-by-id.js';
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

const payoutsById = prepared((tx, p: { ids: string[] }) =>
  tx.selectFrom('payouts').selectAll().where('id', 'in', p.ids).orderBy('id'),
);
const payoutsForUpdate = prepared((tx, p: { ids: string[] }) =>
  tx.selectFrom('payouts').selectAll().where('id', 'in', p.ids).orderBy('id').forUpdate(),
);
/** Final rows of several payouts in one statement (one CASE per column, keyed by id). */
const finalizeRows = prepared(
  (
    tx,
    p: {
      ids: string[];
      statuses: string[];
      reasons: Array<string | null>;
      references: Array<string | null>;
      updated_at_ms: number;
    },
  ) =>
    tx
      .updateTable('payouts')
      .set(() => {
        const column = (values: Array<string | null>) =>
          caseById(
            p.ids.map((id, i) => [id, values[i] ?? null] as const),
            'text',
          );
        return {
          status: column(p.statuses),
          dispatch_state: 'done',
          dispatch_owner: null,
          status_reason: column(p.reasons),
          operator_reference: column(p.references),
          updated_at_ms: p.updated_at_ms,
        };
      })
      .where('id', 'in', p.ids),
);

export type SettleResult = 'completed' | 'notcompleted' | 'still_pending' | 'already_final';

/**
 * `holder` is the instance whose call produced the outcome, when it held the payout's lease (ADR
 * 0018). A pending answer from a holder whose lease another instance has taken over since (after a
 * stall longer than the lease) leaves the payout to the new holder; a final answer settles it
 * whoever reports it.
 */
export async function settlePayout(
  gw: Gateway,
  tx: Tx,
  payoutId: string,
  outcome: OperatorOutcome,
  attempts = 1,
  holder?: string,
): Promise<SettleResult> {
  const [result] = await settlePayouts(gw, tx, [
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

/**
 * `settlePayout` for several outcomes in one command, as the dispatcher gathers them: the payouts
 * are read (and on PostgreSQL locked) together, the holds of those that are final are resolved
 * in one `postTransfers`, and their rows and events are written together (ADR 0019). The same
 * payout twice is settled once; the second sees it final.
 */
export async function settlePayouts(
  gw: Gateway,
  tx: Tx,
  items: readonly SettleItem[],
): Promise<SettleResult[]> {
  if (items.length === 0) return [];
  const nowMs = gw.clock.nowMs();
  const ids = [...new Set(items.map((item) => item.payoutId))].sort();
  // On PostgreSQL the rows are locked, in id order, so that any other settler of the same payout
  // waits and then reads what this one wrote (READ COMMITTED returns the newest version of a row
  // locked FOR UPDATE).
  const rows = await (gw.db.dialect === 'postgres' ? payoutsForUpdate : payoutsById).rows(tx, { ids });
  const byId = new Map(rows.map((row) => [row.id, row]));
  const finals: Array<{
    payout: PayoutTable;
    status: 'completed' | 'failed';
    reason: string | null;
    operatorReference: string | null;
  }> = [];
  const settled = new Set<string>();
  const results: SettleResult[] = [];
  for (const { payoutId, outcome, attempts, holder } of items) {
    const payout = byId.get(payoutId);
    assert(payout !== undefined, `no payout ${payoutId}`);
    if (payout.status !== 'pending' || settled.has(payoutId)) {
      results.push('already_final');
      continue;
    }
    const owner = payout.dispatch_owner ?? null;
    if (outcome.state === 'pending') {
      if (holder === undefined || owner === null || owner === holder)
        await keepPending(tx, payoutId, attempts, nowMs);
      results.push('still_pending');
      continue;
    }
    settled.add(payoutId);
    finals.push({
      payout,
      status: outcome.state,
      reason: outcome.state === 'failed' ? outcome.reason : null,
      operatorReference: outcome.operatorReference ?? null,
    });
    results.push(outcome.state === 'completed' ? 'completed' : 'notcompleted');
  }
  await finalizePayouts(gw, tx, finals, nowMs);
  return results;
}

/**
 * The operator has not decided: the hold stays (releasing it while the operator may still pay
 * would create money). After the last attempt the payout waits for a person, with the reason
 * recorded (README, "Payouts"). A pending answer from a holder whose lease another instance has
 * taken over since (ADR 0018) leaves the payout to the new holder: the caller does not come here.
 */
async function keepPending(tx: Tx, payoutId: string, attempts: number, nowMs: number): Promise<void> {
  await tx.updateTable('payouts').set(stillPending(attempts, nowMs)).where('id', '=', payoutId).execute();
}

/**
 * What an operator's "still pending" after `attempts` calls changes on a payout or a refund: asked
 * again after the back-off, or, after the last attempt, left for a person with the reason recorded.
 */
export function stillPending(attempts: number, nowMs: number) {
  const exhausted = attempts >= DISPATCH_ATTEMPTS_MAX;
  return {
    dispatch_state: exhausted ? 'review' : 'sent',
    dispatch_after_ms: nowMs + retryDelayMs(attempts),
    dispatch_owner: null,
    status_reason: exhausted
      ? `operator still pending after ${attempts} attempts; needs review`
      : 'awaiting operator',
    updated_at_ms: nowMs,
  };
}

/** Posts or voids the holds of payouts the operator has decided, and writes their rows and events. */
async function finalizePayouts(
  gw: Gateway,
  tx: Tx,
  finals: ReadonlyArray<{
    payout: PayoutTable;
    status: 'completed' | 'failed';
    reason: string | null;
    operatorReference: string | null;
  }>,
  nowMs: number,
): Promise<void> {
  if (finals.length === 0) return;
  const plans = finals.map(({ payout, status }) => {
    assert(payout.pending_transfer_id !== null, `payout ${payout.id} has no hold to settle`);
    return {
      kind: status === 'completed' ? ('post_pending' as const) : ('void_pending' as const),
      pendingId: payout.pending_transfer_id,
      reason: status === 'completed' ? 'payout' : 'payout_reversal',
      subjectId: payout.id,
    };
  });
  const posted = await postTransfers(tx, gw.db.dialect, plans, nowMs);
  assert(posted.ok, `settling the holds of payouts ${finals.map((f) => f.payout.id).join(', ')} failed`);
  const statusOf = (status: 'completed' | 'failed') =>
    status === 'completed' ? 'completed' : 'notcompleted';
  await finalizeRows.defer(tx, {
    ids: finals.map((f) => f.payout.id),
    statuses: finals.map((f) => statusOf(f.status)),
    reasons: finals.map((f) => f.reason),
    references: finals.map((f) => f.operatorReference),
    updated_at_ms: nowMs,
  });
  for (const { payout, status } of finals) {
    const final = statusOf(status);
    await enqueueEvent(
      tx,
      {
        projectId: payout.project_id,
        type: final === 'completed' ? 'payout.completed' : 'payout.notcompleted',
        subjectType: 'payout',
        subjectId: payout.id,
      },
      nowMs,
    );
  }
}
