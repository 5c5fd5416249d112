import type { Tx } from './database.js';

/**
 * The callback history of a payin or payout, as the console's transaction story and the
 * deliveries listing read it: its events and every POST made for them.
 */
export interface DeliveryListing {
  subject: { type: 'payin' | 'payout'; id: string; status: string; projectId: string };
  events: {
    id: string;
    type: string;
    status: string;
    attempts: number;
    nextAttemptAtMs: number;
    deliveredAtMs: number | null;
    createdAtMs: number;
    posts: {
      attempt: number;
      encoding: string;
      url: string;
      startedAtMs: number;
      latencyMs: number;
      httpStatus: number | null;
      error: string | null;
      responseExcerpt: string;
    }[];
  }[];
}

/** A payin's or payout's callback events, oldest first, each with its POSTs in attempt order. */
export async function callbackEventsOf(
  tx: Tx,
  subjectId: string,
  eventsMax: number,
  postsMax: number,
): Promise<DeliveryListing['events']> {
  const events = await tx
    .selectFrom('outbox')
    .selectAll()
    .where('subject_id', '=', subjectId)
    .orderBy('created_at_ms')
    .orderBy('id')
    .limit(eventsMax)
    .execute();
  if (events.length === 0) return [];
  const posts = await tx
    .selectFrom('callback_attempts')
    .selectAll()
    .where(
      'event_id',
      'in',
      events.map((e) => e.id),
    )
    .orderBy('event_id')
    .orderBy('attempt')
    .orderBy('encoding', 'desc')
    .limit(postsMax)
    .execute();
  return events.map((e) => ({
    id: e.id,
    type: e.event_type,
    status: e.status,
    attempts: Number(e.attempts),
    nextAttemptAtMs: Number(e.next_attempt_at_ms),
    deliveredAtMs: e.delivered_at_ms === null ? null : Number(e.delivered_at_ms),
    createdAtMs: Number(e.created_at_ms),
    posts: posts
      .filter((p) => p.event_id === e.id)
      .map((p) => ({
        attempt: Number(p.attempt),
        encoding: p.encoding,
        url: p.url,
        startedAtMs: Number(p.started_at_ms),
        latencyMs: Number(p.latency_ms),
        httpStatus: p.http_status === null ? null : Number(p.http_status),
        error: p.error,
        responseExcerpt: p.response_excerpt,
      })),
  }));
}
