import { type OperatorOutcome, type RawNotification, withOperatorTimeout } from '../operators/connector.js';
import { payoutOperatorOf } from '../store/payouts.js';
import { operatorOfPayinReference, operatorStateOfReference } from '../store/payins.js';
import type { WithClock, WithConfig, WithConnector, WithDb } from './context.js';
import { type Disposition, type SettleDeps, settlePayinByReference } from './payin-settle.js';
import { commandFor } from './request-context.js';
import { type SettleResult, settlePayout } from './payout-settle.js';

/**
 * An operator's notification about a request (`POST /operators/:operatorId/notify`, or the
 * simulator's, delivered in process). The connector authenticates and parses it; a payin
 * reference (`pay_….n`) or a payout reference (`po_…`) is then settled in one transaction.
 * Settling is idempotent, so an operator that notifies twice changes nothing the second time.
 */
export type Ingested =
  { accepted: false } | { accepted: true; reference: string; result: Disposition | SettleResult };

/** What settling a notification needs: the payin side's, the payout side's, and the connector's. */
export type NotificationDeps = SettleDeps &
  Parameters<typeof settlePayout>[0] &
  WithDb &
  WithClock &
  WithConnector &
  WithConfig<'operatorTimeoutMs'>;

export async function ingestNotification(
  deps: NotificationDeps,
  operatorId: string,
  raw: RawNotification,
  requestId?: string,
): Promise<Ingested> {
  const parsed = deps.connector.parseNotification?.(operatorId, raw);
  if (parsed === undefined) return { accepted: false };
  const { reference } = parsed;
  // An unauthenticated notification (MTN MoMo's carry no signature) is only a hint: the outcome
  // settled is the operator's answer to a status query, asked before the transaction opens.
  const outcome =
    parsed.verify === true ? await verifiedOutcome(deps, reference, operatorId) : parsed.outcome;
  const result = await commandFor(deps.db, requestId, async (tx): Promise<Disposition | SettleResult> => {
    if (reference.startsWith('po_')) {
      const payout = await payoutOperatorOf(tx, reference);
      if (!payout || payout.operatorId !== operatorId) return 'unknown';
      // A payout's pending answers are the dispatcher's business; only final news settles it here.
      return outcome.state === 'pending' ? 'still_pending' : settlePayout(deps, tx, reference, outcome);
    }
    const payin = await operatorOfPayinReference(tx, reference);
    // An operator speaks only for its own requests.
    if (!payin || payin.operatorId !== operatorId) return 'unknown';
    return settlePayinByReference(deps, tx, reference, outcome);
  });
  return { accepted: true, reference, result };
}

async function verifiedOutcome(
  deps: WithDb & WithConnector & WithConfig<'operatorTimeoutMs'>,
  reference: string,
  operatorId: string,
): Promise<OperatorOutcome> {
  try {
    // A payin attempt may carry what its connector needs to ask (Orange WebPay's pay token).
    const operatorState = reference.startsWith('po_')
      ? undefined
      : await deps.db.command((tx) => operatorStateOfReference(tx, reference));
    return await withOperatorTimeout(
      deps.connector.queryStatus(reference, operatorId, operatorState),
      deps.config.operatorTimeoutMs,
    );
  } catch {
    // The operator cannot say now: nothing is settled, the resolver or the dispatcher asks later.
    return { state: 'pending' };
  }
}

/** What a delivered notification did, or `rejected` when it was not genuine. */
export type Settled = Disposition | SettleResult | 'rejected';

/**
 * Delivers a notification the operator simulator produced (a customer's decision or a dialled
 * code) in process, exactly as a real operator's would arrive at its notify endpoint.
 */
export async function deliverNotification(
  deps: NotificationDeps,
  notification: { operatorId: string; raw: RawNotification },
): Promise<Settled> {
  const ingested = await ingestNotification(deps, notification.operatorId, notification.raw);
  return ingested.accepted ? ingested.result : 'rejected';
}
