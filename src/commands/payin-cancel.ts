import { operatorById } from '../core/operators.js';
import type { Payin, PayinReason } from '../core/payin.js';
import type { Tx } from '../store/database.js';
import { getInvoice, lockPayin, writePayinStatus } from '../store/payins.js';
import { enqueueEvent } from './outbox.js';
import type { SettleDeps } from './payin-settle.js';
import { requestStamp } from './request-context.js';

/**
 * Ending a hosted payin that nobody paid: the customer cancelled on the page, or (closeUnpaid) the
 * page expired unused, for the resolver.
 *
 * The customer pressed Cancel on the payment page. With no operator request in flight the payin
 * ends `notcompleted` (and the merchant is called back); with one in flight nothing can be undone
 * from here, so it stays `pending` with the reason recorded, and the operator's answer or the
 * resolver's status query decides (ADR 0007).
 */
export async function cancelHostedPayin(
  deps: Omit<SettleDeps, 'config'>,
  tx: Tx,
  payinId: string,
): Promise<'cancelled' | 'left' | 'already_final'> {
  const nowMs = deps.clock.nowMs();
  const payin = await lockPayin(tx, deps.db.dialect, payinId);
  if (payin.status !== 'pending') return 'already_final';
  const invoice = await getInvoice(tx, payinId);
  if (invoice.reference !== null) {
    const operator = payin.operatorId !== null ? operatorById(payin.operatorId) : undefined;
    await writePayinStatus(tx, payinId, {
      from: payin.status,
      to: 'pending',
      reason: { code: 'customer_left', operatorName: operator?.name ?? 'the operator' },
      nowMs,
      lastRequestId: requestStamp(tx),
    });
    return 'left';
  }
  await closeUnpaid(tx, payin, { code: 'customer_cancelled' }, nowMs);
  return 'cancelled';
}

/** Ends a hosted payin on which no operator request is in flight (no hold to resolve). */
export async function closeUnpaid(
  tx: Tx,
  payin: Payin,
  reason: Extract<PayinReason, { code: 'customer_cancelled' | 'page_expired' }>,
  nowMs: number,
): Promise<void> {
  await writePayinStatus(tx, payin.id, {
    from: payin.status,
    to: 'notcompleted',
    reason,
    nowMs,
    lastRequestId: requestStamp(tx),
  });
  await enqueueEvent(
    tx,
    { projectId: payin.projectId, type: 'payin.notcompleted', subjectType: 'payin', subjectId: payin.id },
    nowMs,
  );
}
