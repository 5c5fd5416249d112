import { type Result, fail, ok } from '../core/result-codes.js';
import { generateWebhookSecret } from '../core/webhook-signature.js';
import {
  findCallbackEvent,
  findWebhookSecret,
  replaceWebhookSecret,
  restartEventCycle,
} from '../store/callbacks.js';
import { type Tx, afterCommit } from '../store/database.js';

/** What merchants and operators do to callbacks by hand (ADR 0006): resend an event, rotate a project's signing secret. */

/**
 * Sends an event again, now, with a fresh retry cycle: whatever its state (delivered, failed, or
 * waiting for a retry). An event of another project is `not_found`. A delivery in progress is not
 * interrupted, but its outcome no longer counts.
 */
export async function requestResend(
  tx: Tx,
  eventId: string,
  projectId: string | undefined,
  nowMs: number,
): Promise<Result<{ eventId: string; previousStatus: string }>> {
  const event = await findCallbackEvent(tx, eventId);
  if (!event || (projectId !== undefined && event.projectId !== projectId))
    return fail('not_found', `No callback event ${eventId}`);
  await restartEventCycle(tx, eventId, nowMs);
  afterCommit(tx, 'callbacks');
  return ok({ eventId, previousStatus: event.status });
}

export async function rotateWebhookSecret(
  tx: Tx,
  projectId: string,
  nowMs: number,
): Promise<Result<{ projectId: string; webhookSecret: string }>> {
  const previous = await findWebhookSecret(tx, projectId);
  if (previous === undefined) return fail('not_found', `no project ${projectId}`);
  const webhookSecret = generateWebhookSecret();
  await replaceWebhookSecret(tx, projectId, { current: webhookSecret, previous: previous || null }, nowMs);
  return ok({ projectId, webhookSecret });
}
