import { newId } from '../core/ids.js';
import { insertCallbackEvent } from '../store/callbacks.js';
import { type Tx, afterCommit } from '../store/database.js';

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
  await insertCallbackEvent(
    tx,
    {
      id,
      projectId: event.projectId,
      eventType: event.type,
      subjectType: event.subjectType,
      subjectId: event.subjectId,
    },
    nowMs,
  );
  afterCommit(tx, 'callbacks');
  return id;
}
