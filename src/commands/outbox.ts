import { newId } from '../core/ids.js';
import type { Insertable } from 'kysely';
import { type Tx, afterCommit } from '../store/database.js';
import { prepared } from '../store/prepared.js';
import type { OutboxTable } from '../store/schema.js';

/**
 * Callback events, written in the same transaction as the state change they announce, so that an
 * event exists if and only if the change committed. Delivery reads the subject's state at send
 * time (a later issue); the row is the durable promise to deliver.
 */
export type EventType =
  | 'payin.completed'
  | 'payin.notcompleted'
  | 'payout.completed'
  | 'payout.notcompleted'
  | 'refund.completed'
  | 'refund.failed';

const insertEvent = prepared((tx, row: Insertable<OutboxTable>) => tx.insertInto('outbox').values(row));

export async function enqueueEvent(
  tx: Tx,
  event: {
    projectId: string;
    type: EventType;
    subjectType: 'payin' | 'payout' | 'refund';
    subjectId: string;
  },
  nowMs: number,
): Promise<string> {
  const id = newId('evt');
  await insertEvent.defer(tx, {
    id,
    project_id: event.projectId,
    event_type: event.type,
    subject_type: event.subjectType,
    subject_id: event.subjectId,
    status: 'pending',
    attempts: 0,
    next_attempt_at_ms: nowMs,
    created_at_ms: nowMs,
    cycle_attempts: 0,
    lease_id: null,
    delivered_at_ms: null,
  });
  afterCommit(tx, 'callbacks');
  return id;
}
