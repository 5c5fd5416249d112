import { newId } from '../core/ids.js';
import { type OperatorExchange, boundedJson, subjectOfReference } from '../core/operator-exchanges.js';
import type { Tx } from './database.js';
import type { OperatorExchangeTable } from './schema.js';

/**
 * The record of calls to operators (`operator_exchanges`): one row per exchange, written as an
 * intent before the call and completed with its outcome after it.
 */
export function exchangeRow(
  exchange: OperatorExchange,
  id: string = newId('opx'),
  phase: 'intent' | 'outcome' = 'outcome',
): OperatorExchangeTable {
  return {
    id,
    phase,
    subject_id: subjectOfReference(exchange.reference),
    reference: exchange.reference,
    operator_id: exchange.operatorId,
    action: exchange.action,
    request: boundedJson(exchange.request),
    outcome: boundedJson(exchange.outcome),
    error: exchange.error,
    started_at_ms: exchange.startedAtMs,
    latency_ms: exchange.latencyMs,
  };
}

/** Records that a call is about to be made. */
export async function writeExchangeIntent(tx: Tx, id: string, exchange: OperatorExchange): Promise<void> {
  await tx
    .insertInto('operator_exchanges')
    .values(exchangeRow(exchange, id, 'intent'))
    .execute();
}

/** Records a call's outcome on its intent's row, or on a new one when the intent was not written. */
export async function writeExchangeOutcome(tx: Tx, id: string, exchange: OperatorExchange): Promise<void> {
  const row = exchangeRow(exchange, id, 'outcome');
  await tx
    .insertInto('operator_exchanges')
    .values(row)
    // The intent's row, when it was written; otherwise (its write was dropped) a new one.
    .onConflict((oc) =>
      oc.column('id').doUpdateSet({
        outcome: row.outcome,
        error: row.error,
        latency_ms: row.latency_ms,
        phase: 'outcome',
      }),
    )
    .execute();
}
