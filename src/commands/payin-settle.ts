import { assert } from '../core/assert.js';
import { RESOLVE_QUERIES_REVIEW, resolveDelayMs } from '../core/checkout.js';
import type { Invoice } from '../core/invoice.js';
import type { Payin, PayinReason } from '../core/payin.js';
import {
  type DebitOutcome,
  type DebitRefusal,
  OPERATOR_STATE_CHARS_MAX,
  type OperatorOutcome,
} from '../operators/connector.js';
import type { Tx } from '../store/database.js';
import { postTransfers } from '../store/ledger-store.js';
import {
  clearInvoiceAttempt,
  getInvoice,
  lockPayin,
  payinIdOfReference,
  scheduleInvoiceQuery,
  setInvoiceOperatorHints,
  setInvoiceOperatorReference,
  touchInvoice,
  writePayinStatus,
} from '../store/payins.js';
import type { WithClock, WithConfig, WithDb } from './context.js';
import { enqueueEvent } from './outbox.js';
import type { Attempt } from './payin-attempt.js';
import { requestStamp } from './request-context.js';

/**
 * Settling an operator attempt (spec §6.1, §6.2; ADR 0007): what the operator answers is recorded
 * by a command of its own. Success posts the hold, failure voids it, and the final status, its
 * callback event and the ledger change commit together. Recording is idempotent: an operator that
 * reports twice finds the payin final and changes nothing.
 */
export type Disposition =
  'completed' | 'notcompleted' | 'pending' | 'refused' | 'stale' | 'already_final' | 'unknown';

export interface Recorded {
  disposition: Disposition;
  refusal?: DebitRefusal;
  redirectUrl?: string;
}

/** What the settlement commands need: the gateway, or the CLI's smaller context. */
export type SettleDeps = WithDb & WithClock & WithConfig<'pendingDeadlineMs'>;

/**
 * Records the operator's immediate answer to an attempt. A refusal (wrong or expired USSD OTP)
 * voids the hold: a direct payin is then `notcompleted` and its creation answers Code15/16 with no
 * token, so no callback is sent; a hosted payin stays `pending` and the page asks again (spec §6:
 * failed OTP attempts do not end a transaction).
 */
export async function recordDebitOutcome(
  deps: SettleDeps,
  tx: Tx,
  attempt: Attempt,
  outcome: DebitOutcome,
): Promise<Recorded> {
  const nowMs = deps.clock.nowMs();
  const payin = await lockPayin(tx, deps.db.dialect, attempt.payinId);
  const invoice = await getInvoice(tx, payin.id);
  if (invoice.reference !== attempt.request.reference) return { disposition: 'stale' };
  if (payin.status !== 'pending') return { disposition: 'already_final' };
  if (outcome.state === 'refused') {
    await refuseAttempt(deps, tx, { payin, invoice, attempt, operatorReason: outcome.reason, nowMs });
    return { disposition: 'refused', refusal: outcome.code };
  }
  if (outcome.state === 'pending') {
    const redirectUrl = 'redirectUrl' in outcome ? outcome.redirectUrl : undefined;
    const operatorState = 'operatorState' in outcome ? outcome.operatorState : undefined;
    assert(
      operatorState === undefined || operatorState.length <= OPERATOR_STATE_CHARS_MAX,
      `operator state of ${attempt.request.reference} over ${OPERATOR_STATE_CHARS_MAX} characters`,
    );
    if (redirectUrl !== undefined || operatorState !== undefined)
      await setInvoiceOperatorHints(tx, payin.id, { redirectUrl, operatorState, nowMs });
    return redirectUrl !== undefined ? { disposition: 'pending', redirectUrl } : { disposition: 'pending' };
  }
  return { disposition: await finalizePayin(deps, tx, payin, invoice, outcome, nowMs) };
}

/** A refused attempt voids its hold; a direct payin ends there, a hosted one waits for the next try. */
async function refuseAttempt(
  deps: WithDb,
  tx: Tx,
  on: { payin: Payin; invoice: Invoice; attempt: Attempt; operatorReason: string; nowMs: number },
): Promise<void> {
  const { payin, invoice, nowMs } = on;
  assert(invoice.pendingTransferId !== null, `payin ${payin.id} has no hold`);
  await postTransfers(
    tx,
    deps.db.dialect,
    [
      {
        kind: 'void_pending',
        pendingId: invoice.pendingTransferId,
        reason: 'payin_refused',
        subjectId: payin.id,
      },
    ],
    nowMs,
  );
  const reason: PayinReason = {
    code: 'attempt_refused',
    attempt: invoice.attempt,
    operatorReason: on.operatorReason,
  };
  const direct = on.attempt.channel === 'direct';
  await writePayinStatus(tx, payin.id, {
    from: payin.status,
    to: direct ? 'notcompleted' : 'pending',
    reason,
    nowMs,
    lastRequestId: requestStamp(tx),
  });
  if (direct) await touchInvoice(tx, payin.id, nowMs);
  else await clearInvoiceAttempt(tx, payin.id, nowMs);
}

/**
 * Settles the attempt an operator reports on (a notification, or the answer to a status query of
 * the resolver, `query` then numbering it). Idempotent: a final payin stays as it is.
 */
export async function settlePayinByReference(
  deps: SettleDeps,
  tx: Tx,
  reference: string,
  outcome: OperatorOutcome,
  query?: number,
): Promise<Disposition> {
  const payinId = await payinIdOfReference(tx, reference);
  if (payinId === undefined) return 'unknown';
  const nowMs = deps.clock.nowMs();
  const payin = await lockPayin(tx, deps.db.dialect, payinId);
  const invoice = await getInvoice(tx, payin.id);
  if (invoice.reference !== reference) return 'stale';
  if (payin.status !== 'pending') return 'already_final';
  if (outcome.state === 'pending') {
    if (query !== undefined) {
      // Never pending without a reason: the resolver records every answer and asks again later.
      const reason: PayinReason =
        query >= RESOLVE_QUERIES_REVIEW
          ? { code: 'operator_pending_review', queries: query }
          : { code: 'operator_pending', query, atMs: nowMs };
      await writePayinStatus(tx, payin.id, {
        from: payin.status,
        to: 'pending',
        reason,
        nowMs,
        lastRequestId: requestStamp(tx),
      });
      await scheduleInvoiceQuery(
        tx,
        payin.id,
        nowMs + resolveDelayMs(deps.config.pendingDeadlineMs, query),
        query,
      );
    }
    return 'pending';
  }
  return finalizePayin(deps, tx, payin, invoice, outcome, nowMs);
}

async function finalizePayin(
  deps: SettleDeps,
  tx: Tx,
  payin: Payin,
  invoice: Invoice,
  outcome: Extract<OperatorOutcome, { state: 'completed' | 'failed' }>,
  nowMs: number,
): Promise<'completed' | 'notcompleted'> {
  assert(invoice.pendingTransferId !== null, `payin ${payin.id} has no hold to settle`);
  const completed = outcome.state === 'completed';
  const posted = await postTransfers(
    tx,
    deps.db.dialect,
    [
      {
        kind: completed ? 'post_pending' : 'void_pending',
        pendingId: invoice.pendingTransferId,
        reason: completed ? 'payin' : 'payin_failed',
        subjectId: payin.id,
      },
    ],
    nowMs,
  );
  assert(posted.ok, `settling the hold of payin ${payin.id} failed`);
  const status = completed ? 'completed' : 'notcompleted';
  await writePayinStatus(tx, payin.id, {
    from: payin.status,
    to: status,
    reason: outcome.state === 'failed' ? { code: 'operator_failed', operatorReason: outcome.reason } : null,
    nowMs,
    lastRequestId: requestStamp(tx),
  });
  await setInvoiceOperatorReference(tx, payin.id, outcome.operatorReference ?? null, nowMs);
  await enqueueEvent(
    tx,
    {
      projectId: payin.projectId,
      type: completed ? 'payin.completed' : 'payin.notcompleted',
      subjectType: 'payin',
      subjectId: payin.id,
    },
    nowMs,
  );
  return status;
}
