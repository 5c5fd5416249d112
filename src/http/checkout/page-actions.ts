import { type NotificationDeps, deliverNotification } from '../../commands/operator-notification.js';
import { type AttemptDeps, beginHostedAttempt } from '../../commands/payin-attempt.js';
import { cancelHostedPayin } from '../../commands/payin-cancel.js';
import { sendAttempt } from '../../commands/payin-flow.js';
import { commandFor } from '../../commands/request-context.js';
import { simulatorDeskOf } from '../../operators/simulator.js';
import type { Lang } from './i18n.js';
import type { Loaded, PageStateDeps } from './page-state.js';

/**
 * What the payment page's forms do (`<page>/pay`, `/cancel`, and in the sandbox `/simulate` and
 * `/dial`). Each answers the query of the page the browser is sent back to (PRG): the language,
 * and what the page shows next (an operator and number to keep, an error, `go`, `left`).
 */
export type PageQuery = Record<string, string>;

/** What the page's actions need. */
export type PageActionDeps = PageStateDeps &
  AttemptDeps &
  NotificationDeps &
  Parameters<typeof beginHostedAttempt>[0] &
  Parameters<typeof sendAttempt>[0];

/** The form's fields, each a string ('' when absent). */
export type Field = (name: string) => string;

/** The customer chose an operator and a number: the attempt starts, then the operator is asked. */
export async function payAction(
  deps: PageActionDeps,
  loaded: Loaded,
  lang: Lang,
  field: Field,
  requestId: string,
): Promise<PageQuery> {
  const begun = await commandFor(deps.db, requestId, (tx) =>
    beginHostedAttempt(deps, tx, loaded.payin.id, {
      operatorId: field('operator'),
      phone: field('phone'),
      otp: field('otp'),
    }),
  );
  if (!begun.ok) return { lang, op: field('operator'), phone: field('phone'), e: begun.error };
  const recorded = await sendAttempt(deps, begun.attempt, requestId);
  if (recorded.disposition === 'refused')
    return { lang, op: field('operator'), phone: field('phone'), e: recorded.refusal ?? 'otp_invalid' };
  return recorded.redirectUrl !== undefined ? { lang, go: '1' } : { lang };
}

export async function cancelAction(
  deps: PageActionDeps,
  loaded: Loaded,
  lang: Lang,
  requestId: string,
): Promise<PageQuery> {
  const result = await commandFor(deps.db, requestId, (tx) => cancelHostedPayin(deps, tx, loaded.payin.id));
  return result === 'left' ? { lang, left: '1' } : { lang };
}

/** Sandbox only: the customer's answer to a push, app or portal request, as if given on the phone. */
export async function simulateAction(
  deps: PageActionDeps,
  loaded: Loaded,
  lang: Lang,
  decision: string,
): Promise<PageQuery> {
  const desk = simulatorDeskOf(deps.connector);
  const reference = loaded.invoice.reference;
  if (
    deps.config.mode !== 'sandbox' ||
    desk === undefined ||
    reference === null ||
    (decision !== 'approve' && decision !== 'decline')
  ) {
    return { lang };
  }
  const decided = await desk.decide(reference, decision);
  if (decided.ok) await deliverNotification(deps, decided.value.notification);
  return { lang };
}

/** Sandbox only: the customer dials the operator's USSD code (a payment code, or a guided USSD approval). */
export async function dialAction(
  deps: PageActionDeps,
  lang: Lang,
  operatorId: string,
  phone: string,
): Promise<PageQuery> {
  const desk = simulatorDeskOf(deps.connector);
  if (deps.config.mode !== 'sandbox' || desk === undefined) return { lang };
  const dialled = await desk.dial(phone);
  if (!dialled.ok) return { lang, op: operatorId, phone, e: 'dial_failed' };
  if (dialled.value.action === 'approved') {
    await deliverNotification(deps, dialled.value.notification);
    return { lang };
  }
  return { lang, op: operatorId, phone: dialled.value.phone, simcode: dialled.value.otp };
}
