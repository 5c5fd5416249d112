import { type Insertable, sql } from 'kysely';
import type { AttemptRecord, CallbackMode, RefundFacts } from '../core/callbacks.js';
import type { Payin } from '../core/payin.js';
import type { Payout } from '../core/payout.js';
import { caseById } from './case-by-id.js';
import type { Dialect, Tx } from './database.js';
import { payinFromRow } from './payin-rows.js';
import { payoutFromRow } from './payout-rows.js';
import { prepared } from './prepared.js';
import type { CallbackAttemptTable, OutboxTable } from './schema.js';

/**
 * The outbox aggregate (ADR 0006, ADR 0017): callback events, the claims and leases that hand them
 * to one worker at a time, the receiver each one learned, and the POSTs recorded for them; with
 * the reads of payins, payouts, refunds and projects that callback payloads and signatures are
 * built from. The claim's queries are tuned for PostgreSQL (`FOR UPDATE SKIP LOCKED`, one advisory
 * lock, prepared statements, one `case` UPDATE for a batch): they stay as they are.
 */

// ---------------------------------------------------------------- events

/** A new event as the outbox stores it: pending, due now, never tried. */
export interface NewCallbackEvent {
  id: string;
  projectId: string;
  eventType: string;
  subjectType: 'payin' | 'payout' | 'refund';
  subjectId: string;
}

const insertEvent = prepared((tx, row: Insertable<OutboxTable>) => tx.insertInto('outbox').values(row));

/** Writes the event with the command's other writes (a deferred write: nobody reads its result). */
export function insertCallbackEvent(tx: Tx, event: NewCallbackEvent, nowMs: number): Promise<void> {
  return insertEvent.defer(tx, {
    id: event.id,
    project_id: event.projectId,
    event_type: event.eventType,
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
}

// ---------------------------------------------------------------- claims

/** A due event as a claim reads it. */
export interface DueEvent {
  id: string;
  projectId: string;
  eventType: string;
  subjectType: string;
  subjectId: string;
  attempts: number;
  cycleAttempts: number;
  receiver: string | null;
  nextAttemptAtMs: number;
}

/** The PostgreSQL advisory lock that serializes claims (`'cauri.cb'` in ASCII). */
const CLAIM_LOCK_KEY = 0x63_61_75_72_69_2e_63_62n.toString();

/**
 * Makes claims take turns across instances, so that each counts the others' committed claims and
 * the limit per receiver is exact: SQLite's single writer does that already; on PostgreSQL a
 * transaction lock does (held a few milliseconds; deliveries and records never take it).
 */
export async function takeClaimTurn(tx: Tx, dialect: Dialect): Promise<void> {
  if (dialect === 'postgres')
    await sql`select pg_advisory_xact_lock(cast(${CLAIM_LOCK_KEY} as bigint))`.execute(tx);
}

/** Events in delivery per receiver, whichever process holds them: only live leases count. */
// The claim's hot reads, prepared (store/prepared.ts): each claim runs them, with lists of varying length.
const busyByReceiver = prepared((tx, p: { nowMs: number }) =>
  tx
    .selectFrom('outbox')
    .select((eb) => ['receiver', eb.fn.countAll<number>().as('n')])
    .where('status', '=', 'delivering')
    .where('next_attempt_at_ms', '>', p.nowMs)
    .groupBy('receiver'),
);
const dueOfStatus = prepared(
  (
    tx,
    p: {
      status: string;
      nowMs: number;
      limit: number;
      saturated?: string[] | undefined;
      forUpdate?: true | undefined;
    },
  ) => {
    let query = tx
      .selectFrom('outbox')
      .select([
        'id',
        'project_id',
        'event_type',
        'subject_type',
        'subject_id',
        'attempts',
        'cycle_attempts',
        'receiver',
        'next_attempt_at_ms',
      ])
      .where('status', '=', p.status)
      .where('next_attempt_at_ms', '<=', p.nowMs)
      .orderBy('next_attempt_at_ms')
      .limit(p.limit);
    const { saturated } = p;
    if (saturated !== undefined)
      query = query.where((eb) => eb.or([eb('receiver', 'is', null), eb('receiver', 'not in', saturated)]));
    return p.forUpdate ? query.forUpdate().skipLocked() : query;
  },
);
const payinsByIds = prepared((tx, p: { ids: string[] }) =>
  tx.selectFrom('payins').selectAll().where('id', 'in', p.ids),
);
const payoutsByIds = prepared((tx, p: { ids: string[] }) =>
  tx.selectFrom('payouts').selectAll().where('id', 'in', p.ids),
);
/** Refunds with their payin's token and callback URL (ADR 0024). */
const refundsByIds = prepared((tx, p: { ids: string[] }) =>
  tx
    .selectFrom('refunds')
    .innerJoin('payins', 'payins.id', 'refunds.payin_id')
    .selectAll('refunds')
    .select(['payins.token as payin_token', 'payins.callback_url as payin_callback_url'])
    .where('refunds.id', 'in', p.ids),
);
const signingOfProjects = prepared((tx, p: { ids: string[] }) =>
  tx
    .selectFrom('projects')
    .select([
      'id',
      'callback_url',
      'callback_mode',
      'webhook_secret',
      'webhook_secret_previous',
      'webhook_secret_rotated_at_ms',
    ])
    .where('id', 'in', p.ids),
);

/** Events in delivery per receiver (an event never claimed counts under `''`). */
export async function busyReceivers(tx: Tx, nowMs: number): Promise<Map<string, number>> {
  const busy = await busyByReceiver.rows(tx, { nowMs });
  return new Map(busy.map((row) => [row.receiver ?? '', Number(row.n)]));
}

/** Due events of one status, oldest first, leaving out full receivers; locked on PostgreSQL. */
export async function dueEvents(
  tx: Tx,
  dialect: Dialect,
  status: 'pending' | 'delivering',
  nowMs: number,
  saturated: readonly string[],
  limit: number,
): Promise<DueEvent[]> {
  const rows = await dueOfStatus.rows(tx, {
    status,
    nowMs,
    limit,
    saturated: saturated.length > 0 ? [...saturated] : undefined,
    forUpdate: dialect === 'postgres' ? true : undefined,
  });
  return rows.map((row) => ({
    id: row.id,
    projectId: row.project_id,
    eventType: row.event_type,
    subjectType: row.subject_type,
    subjectId: row.subject_id,
    attempts: row.attempts,
    cycleAttempts: row.cycle_attempts,
    receiver: row.receiver,
    nextAttemptAtMs: Number(row.next_attempt_at_ms),
  }));
}

/** A refund as its callback is built from it, with the URLs its delivery may go to. */
export interface RefundToAnnounce {
  facts: RefundFacts;
  callbackUrl: string;
  /** The refunded payin's callback URL, the fallback of a refund without its own (ADR 0024). */
  payinCallbackUrl: string;
}

/** What a project's callbacks are sent and signed with. */
export interface ProjectSigning {
  id: string;
  callbackUrl: string;
  callbackMode: CallbackMode;
  webhookSecret: string;
  webhookSecretPrevious: string | null;
  webhookSecretRotatedAtMs: number | null;
}

/** The transactions and projects that due events announce, each kind in one query. */
export interface CallbackSubjects {
  payins: Map<string, Payin>;
  payouts: Map<string, Payout>;
  refunds: Map<string, RefundToAnnounce>;
  projects: Map<string, ProjectSigning>;
}

export async function callbackSubjects(
  tx: Tx,
  ids: { payins: string[]; payouts: string[]; refunds: string[]; projects: string[] },
): Promise<CallbackSubjects> {
  const payins = ids.payins.length === 0 ? [] : await payinsByIds.rows(tx, { ids: ids.payins });
  const payouts = ids.payouts.length === 0 ? [] : await payoutsByIds.rows(tx, { ids: ids.payouts });
  const refunds = ids.refunds.length === 0 ? [] : await refundsByIds.rows(tx, { ids: ids.refunds });
  const projects = await signingOfProjects.rows(tx, { ids: ids.projects });
  return {
    payins: new Map(payins.map((row) => [row.id, payinFromRow(row)])),
    payouts: new Map(payouts.map((row) => [row.id, payoutFromRow(row)])),
    refunds: new Map(
      refunds.map((row) => [
        row.id,
        {
          facts: {
            id: row.id,
            status: row.status,
            method: row.method,
            amount_xof: row.amount_xof,
            customer: row.customer,
            operator_id: row.operator_id,
            operator_reference: row.operator_reference,
            reason: row.reason,
            merchant_reference: row.merchant_reference,
            status_reason: row.status_reason,
            updated_at_ms: row.updated_at_ms,
            payin_token: row.payin_token,
          },
          callbackUrl: row.callback_url,
          payinCallbackUrl: row.payin_callback_url,
        },
      ]),
    ),
    projects: new Map(
      projects.map((row) => [
        row.id,
        {
          id: row.id,
          callbackUrl: row.callback_url,
          callbackMode: row.callback_mode === 'json' ? 'json' : 'ligdicash',
          webhookSecret: row.webhook_secret,
          webhookSecretPrevious: row.webhook_secret_previous,
          webhookSecretRotatedAtMs:
            row.webhook_secret_rotated_at_ms === null ? null : Number(row.webhook_secret_rotated_at_ms),
        },
      ]),
    ),
  };
}

/** Leases events to a claim and counts their attempt; each learns its receiver. */
export async function leaseEvents(
  tx: Tx,
  leaseId: string,
  events: readonly { eventId: string; receiver: string }[],
  nowMs: number,
  leaseMs: number,
): Promise<void> {
  if (events.length === 0) return;
  await tx
    .updateTable('outbox')
    .set((eb) => ({
      status: 'delivering',
      next_attempt_at_ms: nowMs + leaseMs,
      attempts: eb('attempts', '+', 1),
      cycle_attempts: eb('cycle_attempts', '+', 1),
      lease_id: leaseId,
      receiver: caseById(
        events.map((event) => [event.eventId, event.receiver]),
        'text',
      ),
    }))
    .where(
      'id',
      'in',
      events.map((event) => event.eventId),
    )
    .execute();
}

/** Events left for later learn their receiver now, so the next scans skip them while it is full. */
export async function rememberReceivers(
  tx: Tx,
  events: readonly { id: string; receiver: string | null }[],
): Promise<void> {
  if (events.length === 0) return;
  await tx
    .updateTable('outbox')
    .set({
      receiver: caseById(
        events.map((event) => [event.id, event.receiver ?? '']),
        'text',
      ),
    })
    .where(
      'id',
      'in',
      events.map((event) => event.id),
    )
    .execute();
}

/** A due event that cannot be sent, and why. */
export interface UndeliverableEvent {
  event: DueEvent;
  url: string;
  problem: string;
}

/** Marks events that cannot be sent as failed, each with one attempt saying why. */
export async function failUndeliverable(
  tx: Tx,
  events: readonly UndeliverableEvent[],
  nowMs: number,
): Promise<void> {
  if (events.length === 0) return;
  await tx
    .insertInto('callback_attempts')
    .values(
      events.map(({ event, url, problem }) => ({
        event_id: event.id,
        attempt: event.attempts + 1,
        encoding: 'json',
        project_id: event.projectId,
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
    .set((eb) => ({
      status: 'failed',
      attempts: eb('attempts', '+', 1),
      cycle_attempts: eb('cycle_attempts', '+', 1),
      lease_id: null,
      next_attempt_at_ms: nowMs,
    }))
    .where(
      'id',
      'in',
      events.map(({ event }) => event.id),
    )
    .execute();
}

// ---------------------------------------------------------------- leases and deliveries

/** Extends the leases still held by these claims (at least one); returns the events renewed. */
export async function renewEventLeases(
  tx: Tx,
  leaseIds: readonly string[],
  nowMs: number,
  leaseMs: number,
): Promise<number> {
  const result = await tx
    .updateTable('outbox')
    .set({ next_attempt_at_ms: nowMs + leaseMs })
    .where('status', '=', 'delivering')
    .where('lease_id', 'in', leaseIds)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** The POSTs of one delivery attempt of an event. */
export interface AttemptPosts {
  event: { eventId: string; projectId: string; attempt: number };
  attempts: readonly AttemptRecord[];
}

/** Records the POSTs of finished deliveries, in one statement (a POST already recorded is kept). */
export async function insertAttemptPosts(tx: Tx, deliveries: readonly AttemptPosts[]): Promise<void> {
  const rows: CallbackAttemptTable[] = deliveries.flatMap(({ event, attempts }) =>
    attempts.map((a) => ({
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
    })),
  );
  if (rows.length > 0)
    await tx
      .insertInto('callback_attempts')
      .values(rows)
      .onConflict((oc) => oc.doNothing())
      .execute();
}

/** The state a finished delivery leaves its event in. */
export interface NextEventState {
  id: string;
  leaseId: string;
  state: 'delivered' | 'pending' | 'failed';
  nextAttemptAtMs: number;
}

/**
 * Moves events to their next state in one statement; each row changes only under its own lease
 * (`lease_id = case id when … end`). Returns the ids of the events that changed.
 */
export async function settleEvents(
  tx: Tx,
  next: readonly NextEventState[],
  nowMs: number,
): Promise<Set<string>> {
  const delivered = next.filter((n) => n.state === 'delivered');
  const updated = await tx
    .updateTable('outbox')
    .set((eb) => ({
      status: caseById(
        next.map((n) => [n.id, n.state]),
        'text',
      ),
      next_attempt_at_ms: caseById(
        next.map((n) => [n.id, n.nextAttemptAtMs]),
        'bigint',
      ),
      lease_id: null,
      ...(delivered.length > 0
        ? {
            delivered_at_ms: eb
              .case()
              .when(
                'id',
                'in',
                delivered.map((n) => n.id),
              )
              .then(nowMs)
              .else(eb.ref('delivered_at_ms'))
              .end(),
          }
        : {}),
    }))
    .where(
      'id',
      'in',
      next.map((n) => n.id),
    )
    .where('status', '=', 'delivering')
    .where(
      'lease_id',
      '=',
      caseById(
        next.map((n) => [n.id, n.leaseId]),
        'text',
      ),
    )
    .returning('id')
    .execute();
  return new Set(updated.map((row) => row.id));
}

// ---------------------------------------------------------------- resend and secrets

/** An event's project and state, as a resend checks them. */
export async function findCallbackEvent(
  tx: Tx,
  eventId: string,
): Promise<{ id: string; projectId: string; status: string } | undefined> {
  const event = await tx
    .selectFrom('outbox')
    .select(['id', 'project_id', 'status'])
    .where('id', '=', eventId)
    .executeTakeFirst();
  return event && { id: event.id, projectId: event.project_id, status: event.status };
}

/** Makes an event due now with a fresh retry cycle, whatever its state; its lease, if any, is void. */
export async function restartEventCycle(tx: Tx, eventId: string, nowMs: number): Promise<void> {
  await tx
    .updateTable('outbox')
    .set({ status: 'pending', next_attempt_at_ms: nowMs, cycle_attempts: 0, lease_id: null })
    .where('id', '=', eventId)
    .execute();
}

/** A project's current webhook secret, or undefined when there is no such project. */
export async function findWebhookSecret(tx: Tx, projectId: string): Promise<string | undefined> {
  const project = await tx
    .selectFrom('projects')
    .select(['id', 'webhook_secret'])
    .where('id', '=', projectId)
    .executeTakeFirst();
  return project?.webhook_secret;
}

/** Replaces a project's webhook secret; the previous one (null: none) keeps signing for a while. */
export async function replaceWebhookSecret(
  tx: Tx,
  projectId: string,
  secret: { current: string; previous: string | null },
  nowMs: number,
): Promise<void> {
  await tx
    .updateTable('projects')
    .set({
      webhook_secret: secret.current,
      webhook_secret_previous: secret.previous,
      webhook_secret_rotated_at_ms: nowMs,
    })
    .where('id', '=', projectId)
    .execute();
}

// ---------------------------------------------------------------- listing

/** The transaction an event announces. */
export async function findEventSubject(
  tx: Tx,
  eventId: string,
): Promise<{ subjectType: string; subjectId: string } | undefined> {
  const event = await tx
    .selectFrom('outbox')
    .select(['subject_type', 'subject_id'])
    .where('id', '=', eventId)
    .executeTakeFirst();
  return event && { subjectType: event.subject_type, subjectId: event.subject_id };
}

/** A payin or payout as the deliveries listing names it. */
export interface CallbackSubject {
  type: 'payin' | 'payout';
  id: string;
  status: string;
  projectId: string;
}

/** A payin or payout by its id or by the number inside its token. */
export async function findCallbackSubject(
  tx: Tx,
  type: 'payin' | 'payout',
  key: { id: string } | { number: string },
): Promise<CallbackSubject | undefined> {
  if (type === 'payin') {
    let query = tx.selectFrom('payins').select(['id', 'status', 'project_id']);
    query = 'number' in key ? query.where('number', '=', key.number) : query.where('id', '=', key.id);
    const row = await query.executeTakeFirst();
    return row && { type: 'payin', id: row.id, status: row.status, projectId: row.project_id };
  }
  let query = tx.selectFrom('payouts').select(['id', 'status', 'project_id']);
  query = 'number' in key ? query.where('number', '=', key.number) : query.where('id', '=', key.id);
  const row = await query.executeTakeFirst();
  return row && { type: 'payout', id: row.id, status: row.status, projectId: row.project_id };
}
