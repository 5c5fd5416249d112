import { unverifiedTokenClaims } from '../core/tokens.js';
import { type Result, fail, ok } from '../core/result-codes.js';
import { type DeliveryListing, callbackEventsOf } from '../store/callback-events.js';
import { findCallbackSubject, findEventSubject } from '../store/callbacks.js';
import type { Tx } from '../store/database.js';

/** Bounds of `cauri callbacks list`. */
export const LIST_EVENTS_MAX = 50;
export const LIST_ATTEMPTS_MAX = 500;

/** A transaction's callback events and every POST made for them, by payin or payout id, token, or event id. */
export async function listDeliveries(tx: Tx, reference: string): Promise<Result<DeliveryListing>> {
  const ref = reference.trim();
  const fromEvent = ref.startsWith('evt_') ? await findEventSubject(tx, ref) : undefined;
  const claims = unverifiedTokenClaims(ref);
  const type =
    fromEvent?.subjectType ??
    (ref.startsWith('pay_') ? 'payin' : ref.startsWith('po_') ? 'payout' : claims?.kind);
  const id = fromEvent?.subjectId ?? ref;
  const key = claims && !fromEvent ? { number: claims.number } : { id };
  const subject =
    type === 'payin' || type === 'payout' ? await findCallbackSubject(tx, type, key) : undefined;
  if (!subject) return fail('not_found', `no payin or payout matches ${ref.slice(0, 80)}`);
  return ok({ subject, events: await callbackEventsOf(tx, subject.id, LIST_EVENTS_MAX, LIST_ATTEMPTS_MAX) });
}
