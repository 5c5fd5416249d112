import { type DebitOutcome, withOperatorTimeout } from '../operators/connector.js';
import type { Gateway } from './context.js';
import { type Attempt, type Recorded, recordDebitOutcome } from './payin-operator.js';
import { commandFor, requestStamp } from './request-context.js';

/**
 * Sends an attempt whose intent has committed to its operator, with no transaction open, and
 * records the answer in a new transaction (STYLE.md; ADR 0001). An operator that does not answer in
 * time, or fails, leaves the payin pending with the reason recorded: the resolver asks the
 * operator about the same reference once the pending deadline has passed.
 */
export async function sendAttempt(gw: Gateway, attempt: Attempt, requestId?: string): Promise<Recorded> {
  const { outcome, error } = await callDebit(gw, attempt);
  return commandFor(gw.db, requestId, async (tx) => {
    const recorded = await recordDebitOutcome(gw, tx, attempt, outcome);
    if (error !== undefined && recorded.disposition === 'pending') {
      await tx
        .updateTable('payins')
        .set({
          status_reason: `operator call failed (${error.slice(0, 200)}); its status will be queried`,
          updated_at_ms: gw.clock.nowMs(),
          last_request_id: requestStamp(tx),
        })
        .where('id', '=', attempt.payinId)
        .execute();
    }
    return recorded;
  });
}

async function callDebit(gw: Gateway, attempt: Attempt): Promise<{ outcome: DebitOutcome; error?: string }> {
  const { connector } = gw;
  if (connector.requestDebit === undefined)
    return { outcome: { state: 'failed', reason: 'operator_error: this gateway has no payin connector' } };
  try {
    return {
      outcome: await withOperatorTimeout(
        connector.requestDebit(attempt.request),
        gw.config.operatorTimeoutMs,
      ),
    };
  } catch (error) {
    return { outcome: { state: 'pending' }, error: error instanceof Error ? error.message : String(error) };
  }
}
