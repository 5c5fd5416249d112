import { type DebitOutcome, withOperatorTimeout } from '../operators/connector.js';
import { writePayinStatus } from '../store/payins.js';
import type { WithConfig, WithConnector } from './context.js';
import type { Attempt } from './payin-attempt.js';
import { type Recorded, type SettleDeps, recordDebitOutcome } from './payin-settle.js';
import { commandFor, requestStamp } from './request-context.js';

/**
 * Sends an attempt whose intent has committed to its operator, with no transaction open, and
 * records the answer in a new transaction (STYLE.md; ADR 0001). An operator that does not answer in
 * time, or fails, leaves the payin pending with the reason recorded: the resolver asks the
 * operator about the same reference once the pending deadline has passed.
 */
export async function sendAttempt(
  deps: SettleDeps & WithConnector & WithConfig<'operatorTimeoutMs'>,
  attempt: Attempt,
  requestId?: string,
): Promise<Recorded> {
  const { outcome, error } = await callDebit(deps, attempt);
  return commandFor(deps.db, requestId, async (tx) => {
    const recorded = await recordDebitOutcome(deps, tx, attempt, outcome);
    if (error !== undefined && recorded.disposition === 'pending') {
      await writePayinStatus(tx, attempt.payinId, {
        from: 'pending',
        to: 'pending',
        reason: { code: 'operator_call_failed', error },
        nowMs: deps.clock.nowMs(),
        lastRequestId: requestStamp(tx),
      });
    }
    return recorded;
  });
}

async function callDebit(
  deps: WithConnector & WithConfig<'operatorTimeoutMs'>,
  attempt: Attempt,
): Promise<{ outcome: DebitOutcome; error?: string }> {
  const { connector } = deps;
  if (connector.requestDebit === undefined)
    return { outcome: { state: 'failed', reason: 'operator_error: this gateway has no payin connector' } };
  try {
    return {
      outcome: await withOperatorTimeout(
        connector.requestDebit(attempt.request),
        deps.config.operatorTimeoutMs,
      ),
    };
  } catch (error) {
    return { outcome: { state: 'pending' }, error: error instanceof Error ? error.message : String(error) };
  }
}
