import { type OperatorOutcome, type RawNotification, withOperatorTimeout } from '../operators/connector.js';
import type { Gateway } from './context.js';
import { type Disposition, settlePayinByReference } from './payin-operator.js';
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

export async function ingestNotification(
  gw: Gateway,
  operatorId: string,
  raw: RawNotification,
  requestId?: string,
): Promise<Ingested> {
  const parsed = gw.connector.parseNotification?.(operatorId, raw);
  if (parsed === undefined) return { accepted: false };
  const { reference } = parsed;
  // An unauthenticated notification (MTN MoMo's carry no signature) is only a hint: the outcome
  // settled is the operator's answer to a status query, asked before the transaction opens.
  const outcome = parsed.verify === true ? await verifiedOutcome(gw, reference, operatorId) : parsed.outcome;
  const result = await commandFor(gw.db, requestId, async (tx): Promise<Disposition | SettleResult> => {
    if (reference.startsWith('po_')) {
      const payout = await tx
        .selectFrom('payouts')
        .select(['id', 'operator_id'])
        .where('id', '=', reference)
        .executeTakeFirst();
      if (!payout || payout.operator_id !== operatorId) return 'unknown';
      // A payout's pending answers are the dispatcher's business; only final news settles it here.
      return outcome.state === 'pending' ? 'still_pending' : settlePayout(gw, tx, reference, outcome);
    }
    const payin = await tx
      .selectFrom('invoices')
      .innerJoin('payins', 'payins.id', 'invoices.payin_id')
      .select('payins.operator_id')
      .where('invoices.reference', '=', reference)
      .executeTakeFirst();
    // An operator speaks only for its own requests.
    if (!payin || payin.operator_id !== operatorId) return 'unknown';
    return settlePayinByReference(gw, tx, reference, outcome);
  });
  return { accepted: true, reference, result };
}

async function verifiedOutcome(gw: Gateway, reference: string, operatorId: string): Promise<OperatorOutcome> {
  try {
    // A payin attempt may carry what its connector needs to ask (Orange WebPay's pay token).
    const attempt = reference.startsWith('po_')
      ? undefined
      : await gw.db.command((tx) =>
          tx
            .selectFrom('invoices')
            .select('operator_state')
            .where('reference', '=', reference)
            .executeTakeFirst(),
        );
    const operatorState = attempt?.operator_state ?? undefined;
    return await withOperatorTimeout(
      gw.connector.queryStatus(reference, operatorId, operatorState),
      gw.config.operatorTimeoutMs,
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
  gw: Gateway,
  notification: { operatorId: string; raw: RawNotification },
): Promise<Settled> {
  const ingested = await ingestNotification(gw, notification.operatorId, notification.raw);
  return ingested.accepted ? ingested.result : 'rejected';
}
