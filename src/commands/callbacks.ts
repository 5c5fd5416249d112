import { randomBytes } from 'node:crypto';
import {
  CALLBACK_BATCH_MAX,
  type CallbackEncoding,
  type CallbackMode,
  callbackRetryDelayMs,
  payinCallbackPayload,
  payoutCallbackPayload,
} from '../core/callbacks.js';
import { type Result, fail, ok } from '../core/result-codes.js';
import { unverifiedTokenClaims } from '../core/tokens.js';
import { generateWebhookSecret } from '../core/webhook-signature.js';
import type { Dialect, Tx } from '../store/database.js';
import type { CallbackAttemptTable, ProjectTable } from '../store/schema.js';
import { markEventsQueued } from './outbox.js';

/**
 * The database side of callback delivery (ADR 0006). A worker claims due events in one
 * transaction (a lease, with `FOR UPDATE SKIP LOCKED` on PostgreSQL so that several processes never
 * claim the same row), sends them with no transaction open, and records every POST and the next
 * state in a transaction of its own, which only takes effect while the lease is still its own.
 */

/** Due events a claim looks at, to pick those whose project has room. */
export const CLAIM_SCAN_MAX = 4 * CALLBACK_BATCH_MAX;
/** After a rotation, the previous secret keeps signing this long, next to the new one. */
export const WEBHOOK_SECRET_OVERLAP_MS = 24 * 3_600_000;
/** Bounds of `cauri callbacks list`. */
export const LIST_EVENTS_MAX = 50;
export const LIST_ATTEMPTS_MAX = 500;

export interface ClaimedEvent {
  eventId: string;
  projectId: string;
  eventType: string;
  /** The number of this attempt among all of the event's attempts. */
  attempt: number;
  /** The number of this attempt in the current cycle: indexes the retry schedule. */
  cycleAttempt: number;
  leaseId: string;
  url: string;
  mode: CallbackMode;
  /** Secrets that sign, the current one first. */
  secrets: string[];
  /** The payload, built from the transaction's current (final) row. */
  payload: object;
}

export interface ClaimResult {
  /** Events to deliver now, leased to the caller. */
  events: ClaimedEvent[];
  /** Due events that cannot be delivered (no URL), marked failed on the spot. */
  settled: number;
}

export interface ClaimLimits {
  /** Events this worker can start now. */
  capacity: number;
  projectConcurrencyMax: number;
  leaseMs: number;
  tokenSecret: string;
}

type ProjectSigning = Pick<ProjectTable, 'id' | 'callback_url' | 'callback_mode' | 'webhook_secret' | 'webhook_secret_previous' | 'webhook_secret_rotated_at_ms'>;

export function signingSecrets(project: ProjectSigning, nowMs: number): string[] {
  const secrets = [project.webhook_secret];
  const rotatedAt = project.webhook_secret_rotated_at_ms;
  if (project.webhook_secret_previous && rotatedAt !== null && nowMs - Number(rotatedAt) < WEBHOOK_SECRET_OVERLAP_MS) {
    secrets.push(project.webhook_secret_previous);
  }
  return secrets.filter((secret) => secret !== '');
}

interface DueRow {
  id: string;
  project_id: string;
  event_type: string;
  subject_type: string;
  subject_id: string;
  attempts: number;
  cycle_attempts: number;
}

export async function claimDueEvents(tx: Tx, dialect: Dialect, nowMs: number, limits: ClaimLimits): Promise<ClaimResult> {
  if (limits.capacity <= 0) return { events: [], settled: 0 };
  // Room per project: its events under a live lease, whichever process holds them. Projects with
  // no room are left out of the scan, so that one slow merchant's backlog cannot fill it.
  const busy = await tx
    .selectFrom('outbox')
    .select((eb) => ['project_id', eb.fn.countAll<number>().as('n')])
    .where('status', '=', 'delivering')
    .where('next_attempt_at_ms', '>', nowMs)
    .groupBy('project_id')
    .execute();
  const inFlight = new Map(busy.map((row) => [row.project_id, Number(row.n)]));
  const saturated = [...inFlight].filter(([, n]) => n >= limits.projectConcurrencyMax).map(([projectId]) => projectId);
  // `delivering` rows are due again only once their lease has run out (their holder died).
  let query = tx
    .selectFrom('outbox')
    .select(['id', 'project_id', 'event_type', 'subject_type', 'subject_id', 'attempts', 'cycle_attempts'])
    .where('status', 'in', ['pending', 'delivering'])
    .where('next_attempt_at_ms', '<=', nowMs)
    .orderBy('next_attempt_at_ms')
    .limit(CLAIM_SCAN_MAX);
  if (saturated.length > 0) query = query.where('project_id', 'not in', saturated);
  if (dialect === 'postgres') query = query.forUpdate().skipLocked();
  const due: DueRow[] = await query.execute();
  if (due.length === 0) return { events: [], settled: 0 };

  const leaseId = randomBytes(12).toString('hex');
  const prepared = await prepare(tx, due, leaseId, nowMs, limits.tokenSecret);
  const undeliverable = prepared.filter((p): p is Unsendable => 'problem' in p);
  await settleUndeliverable(tx, undeliverable, nowMs);
  const chosen = prepared
    .filter((p): p is ClaimedEvent => !('problem' in p))
    .filter((event) => {
      const n = inFlight.get(event.projectId) ?? 0;
      if (n >= limits.projectConcurrencyMax) return false;
      inFlight.set(event.projectId, n + 1);
      return true;
    })
    .slice(0, limits.capacity);
  if (chosen.length > 0) {
    await tx
      .updateTable('outbox')
      .set((eb) => ({
        status: 'delivering',
        next_attempt_at_ms: nowMs + limits.leaseMs,
        attempts: eb('attempts', '+', 1),
        cycle_attempts: eb('cycle_attempts', '+', 1),
        lease_id: leaseId,
      }))
      .where(
        'id',
        'in',
        chosen.map((event) => event.eventId),
      )
      .execute();
  }
  return { events: chosen, settled: undeliverable.length };
}

interface Unsendable {
  row: DueRow;
  url: string;
  problem: string;
}

/** Builds each due event's delivery from its transaction and project: three queries for the batch. */
async function prepare(tx: Tx, rows: DueRow[], leaseId: string, nowMs: number, tokenSecret: string): Promise<(ClaimedEvent | Unsendable)[]> {
  const ids = (type: string) => [...new Set(rows.filter((r) => r.subject_type === type).map((r) => r.subject_id))];
  const payinIds = ids('payin');
  const payoutIds = ids('payout');
  const payins = payinIds.length === 0 ? [] : await tx.selectFrom('payins').selectAll().where('id', 'in', payinIds).execute();
  const payouts = payoutIds.length === 0 ? [] : await tx.selectFrom('payouts').selectAll().where('id', 'in', payoutIds).execute();
  const projects = await tx
    .selectFrom('projects')
    .select(['id', 'callback_url', 'callback_mode', 'webhook_secret', 'webhook_secret_previous', 'webhook_secret_rotated_at_ms'])
    .where('id', 'in', [...new Set(rows.map((r) => r.project_id))])
    .execute();
  const payinById = new Map(payins.map((p) => [p.id, p]));
  const payoutById = new Map(payouts.map((p) => [p.id, p]));
  const projectById = new Map(projects.map((p) => [p.id, p]));
  return rows.map((row) => {
    const project = projectById.get(row.project_id);
    const payin = row.subject_type === 'payin' ? payinById.get(row.subject_id) : undefined;
    const payout = row.subject_type === 'payout' ? payoutById.get(row.subject_id) : undefined;
    // The transaction's own URL, else the project's (spec §3.1: the URL given at creation).
    const url = (payin?.callback_url || payout?.callback_url || project?.callback_url) ?? '';
    const payload = payin ? payinCallbackPayload(payin) : payout ? payoutCallbackPayload(payout, url, tokenSecret) : undefined;
    if (payload === undefined) return { row, url, problem: `internal: the ${row.subject_type} ${row.subject_id} of this event is missing` };
    // Waiting will not make a URL appear: a resend after one is set delivers the event.
    if (url === '') return { row, url, problem: 'no callback URL for this transaction or project' };
    return {
      eventId: row.id,
      projectId: row.project_id,
      eventType: row.event_type,
      attempt: row.attempts + 1,
      cycleAttempt: row.cycle_attempts + 1,
      leaseId,
      url,
      mode: project?.callback_mode === 'json' ? 'json' : 'ligdicash',
      secrets: project ? signingSecrets(project, nowMs) : [],
      payload,
    };
  });
}

/** Marks events that cannot be sent as failed, each with one attempt saying why. */
async function settleUndeliverable(tx: Tx, events: readonly Unsendable[], nowMs: number): Promise<void> {
  if (events.length === 0) return;
  await tx
    .insertInto('callback_attempts')
    .values(
      events.map(({ row, url, problem }) => ({
        event_id: row.id,
        attempt: row.attempts + 1,
        encoding: 'json',
        project_id: row.project_id,
        url,
        started_at_ms: nowMs,
        latency_ms: 0,
        http_status: null,
        error: problem,
        response_excerpt: '',
      })),
    )
    .onConflict((oc) => oc.doNothing())
    .execute();
  await tx
    .updateTable('outbox')
    .set((eb) => ({ status: 'failed', attempts: eb('attempts', '+', 1), cycle_attempts: eb('cycle_attempts', '+', 1), lease_id: null, next_attempt_at_ms: nowMs }))
    .where(
      'id',
      'in',
      events.map(({ row }) => row.id),
    )
    .execute();
}

/** One POST as recorded. */
export interface AttemptRecord {
  encoding: CallbackEncoding;
  url: string;
  startedAtMs: number;
  latencyMs: number;
  httpStatus: number | null;
  error: string | null;
  responseExcerpt: string;
}

/** `delivered`: a 2xx; `retry`: try again on schedule; `give_up`: trying again cannot help. */
export type DeliveryVerdict = 'delivered' | 'retry' | 'give_up';
export type RecordedState = 'delivered' | 'pending' | 'failed' | 'lease_lost';

export async function recordDelivery(
  tx: Tx,
  event: Pick<ClaimedEvent, 'eventId' | 'projectId' | 'attempt' | 'cycleAttempt' | 'leaseId'>,
  attempts: readonly AttemptRecord[],
  verdict: DeliveryVerdict,
  nowMs: number,
  random: () => number,
): Promise<RecordedState> {
  if (attempts.length > 0) {
    const rows: CallbackAttemptTable[] = attempts.map((a) => ({
      event_id: event.eventId,
      attempt: event.attempt,
      encoding: a.encoding,
      project_id: event.projectId,
      url: a.url,
      started_at_ms: a.startedAtMs,
      latency_ms: a.latencyMs,
      http_status: a.httpStatus,
      error: a.error,
      response_excerpt: a.responseExcerpt,
    }));
    // The attempt happened whether or not the lease is still ours: it is always recorded.
    await tx.insertInto('callback_attempts').values(rows).onConflict((oc) => oc.doNothing()).execute();
  }
  const delayMs = verdict === 'retry' ? callbackRetryDelayMs(event.cycleAttempt, random) : undefined;
  const state: Exclude<RecordedState, 'lease_lost'> = verdict === 'delivered' ? 'delivered' : delayMs === undefined ? 'failed' : 'pending';
  const result = await tx
    .updateTable('outbox')
    .set({
      status: state,
      next_attempt_at_ms: nowMs + (delayMs ?? 0),
      lease_id: null,
      ...(state === 'delivered' ? { delivered_at_ms: nowMs } : {}),
    })
    .where('id', '=', event.eventId)
    .where('lease_id', '=', event.leaseId)
    .where('status', '=', 'delivering')
    .executeTakeFirst();
  return result.numUpdatedRows === 0n ? 'lease_lost' : state;
}

/**
 * Sends an event again, now, with a fresh retry cycle: whatever its state (delivered, failed, or
 * waiting for a retry). An event of another project is `not_found`. A delivery in progress is not
 * interrupted, but its outcome no longer counts.
 */
export async function requestResend(tx: Tx, eventId: string, projectId: string | undefined, nowMs: number): Promise<Result<{ eventId: string; previousStatus: string }>> {
  const event = await tx.selectFrom('outbox').select(['id', 'project_id', 'status']).where('id', '=', eventId).executeTakeFirst();
  if (!event || (projectId !== undefined && event.project_id !== projectId)) return fail('not_found', `No callback event ${eventId}`);
  await tx
    .updateTable('outbox')
    .set({ status: 'pending', next_attempt_at_ms: nowMs, cycle_attempts: 0, lease_id: null })
    .where('id', '=', eventId)
    .execute();
  markEventsQueued(tx);
  return ok({ eventId, previousStatus: event.status });
}

export async function rotateWebhookSecret(tx: Tx, projectId: string, nowMs: number): Promise<Result<{ projectId: string; webhookSecret: string }>> {
  const project = await tx.selectFrom('projects').select(['id', 'webhook_secret']).where('id', '=', projectId).executeTakeFirst();
  if (!project) return fail('not_found', `no project ${projectId}`);
  const webhookSecret = generateWebhookSecret();
  await tx
    .updateTable('projects')
    .set({ webhook_secret: webhookSecret, webhook_secret_previous: project.webhook_secret || null, webhook_secret_rotated_at_ms: nowMs })
    .where('id', '=', projectId)
    .execute();
  return ok({ projectId, webhookSecret });
}

// ---------------------------------------------------------------- listing

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
    posts: { attempt: number; encoding: string; url: string; startedAtMs: number; latencyMs: number; httpStatus: number | null; error: string | null; responseExcerpt: string }[];
  }[];
}

/** A transaction's callback events and every POST made for them, by payin or payout id, token, or event id. */
export async function listDeliveries(tx: Tx, reference: string): Promise<Result<DeliveryListing>> {
  const ref = reference.trim();
  let subject: DeliveryListing['subject'] | undefined;
  const fromEvent = ref.startsWith('evt_') ? await tx.selectFrom('outbox').select(['subject_type', 'subject_id']).where('id', '=', ref).executeTakeFirst() : undefined;
  const claims = unverifiedTokenClaims(ref);
  const type = fromEvent?.subject_type ?? (ref.startsWith('pay_') ? 'payin' : ref.startsWith('po_') ? 'payout' : claims?.kind);
  const id = fromEvent?.subject_id ?? ref;
  if (type === 'payin') {
    let query = tx.selectFrom('payins').select(['id', 'status', 'project_id']);
    query = claims && !fromEvent ? query.where('number', '=', claims.number) : query.where('id', '=', id);
    const row = await query.executeTakeFirst();
    if (row) subject = { type: 'payin', id: row.id, status: row.status, projectId: row.project_id };
  } else if (type === 'payout') {
    let query = tx.selectFrom('payouts').select(['id', 'status', 'project_id']);
    query = claims && !fromEvent ? query.where('number', '=', claims.number) : query.where('id', '=', id);
    const row = await query.executeTakeFirst();
    if (row) subject = { type: 'payout', id: row.id, status: row.status, projectId: row.project_id };
  }
  if (!subject) return fail('not_found', `no payin or payout matches ${ref.slice(0, 80)}`);
  return ok({ subject, events: await callbackEventsOf(tx, subject.id, LIST_EVENTS_MAX, LIST_ATTEMPTS_MAX) });
}

/** A payin's or payout's callback events, oldest first, each with its POSTs in attempt order. */
export async function callbackEventsOf(tx: Tx, subjectId: string, eventsMax: number, postsMax: number): Promise<DeliveryListing['events']> {
  const events = await tx.selectFrom('outbox').selectAll().where('subject_id', '=', subjectId).orderBy('created_at_ms').orderBy('id').limit(eventsMax).execute();
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
