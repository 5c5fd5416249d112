import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import {
  type AttemptRecord,
  type CallbackMode,
  callbackReceiver,
  callbackRetryDelayMs,
  payinCallbackPayload,
  payoutCallbackPayload,
  refundCallbackPayload,
} from '../core/callbacks.js';
import { type Result, fail, ok } from '../core/result-codes.js';
import { type DeliveryListing, callbackEventsOf } from '../store/callback-events.js';
import { unverifiedTokenClaims } from '../core/tokens.js';
import { generateWebhookSecret } from '../core/webhook-signature.js';
import { type Dialect, type Tx, afterCommit } from '../store/database.js';
import { caseById } from '../store/case-by-id.js';
import { prepared } from '../store/prepared.js';
import type { CallbackAttemptTable, PayinTable, PayoutTable, ProjectTable } from '../store/schema.js';

/**
 * The database side of callback delivery (ADR 0006, ADR 0017). A worker claims due events in one
 * transaction (a lease, with `FOR UPDATE SKIP LOCKED` on PostgreSQL so that several processes never
 * claim the same row), sends them with no transaction open, renews the leases of its deliveries in
 * flight, and records finished deliveries and their next state in a transaction of its own, several
 * at a time; each takes effect only while the lease is still the worker's.
 */

/**
 * Due events a claim looks at, to pick those whose receiver has room: twice the events it can
 * start, within these bounds. Those it leaves learn their receiver, so the next scan skips them
 * while that receiver is full.
 */
export const CLAIM_SCAN_MIN = 32;
export const CLAIM_SCAN_MAX = 512;
/** The PostgreSQL advisory lock that serializes claims (`'cauri.cb'` in ASCII). */
const CLAIM_LOCK_KEY = 0x63_61_75_72_69_2e_63_62n.toString();
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
  /** The URL's origin, which the concurrency limit counts by. */
  receiver: string;
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
  /**
   * Due events left for later whose receiver this claim learned: the next scan leaves them out
   * while their receiver is full, so it may find others behind them.
   */
  skipped: number;
}

export interface ClaimLimits {
  /** Events this worker can start now. */
  capacity: number;
  /** Events of one receiver in delivery at once, across every process. */
  receiverConcurrencyMax: number;
  leaseMs: number;
  tokenSecret: string;
}

type ProjectSigning = Pick<
  ProjectTable,
  | 'id'
  | 'callback_url'
  | 'callback_mode'
  | 'webhook_secret'
  | 'webhook_secret_previous'
  | 'webhook_secret_rotated_at_ms'
>;

export function signingSecrets(project: ProjectSigning, nowMs: number): string[] {
  const secrets = [project.webhook_secret];
  const rotatedAt = project.webhook_secret_rotated_at_ms;
  if (
    project.webhook_secret_previous &&
    rotatedAt !== null &&
    nowMs - Number(rotatedAt) < WEBHOOK_SECRET_OVERLAP_MS
  ) {
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
  receiver: string | null;
  next_attempt_at_ms: number;
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

async function busyReceivers(tx: Tx, nowMs: number): Promise<Map<string, number>> {
  const busy = await busyByReceiver.rows(tx, { nowMs });
  return new Map(busy.map((row) => [row.receiver ?? '', Number(row.n)]));
}

export async function claimDueEvents(
  tx: Tx,
  dialect: Dialect,
  nowMs: number,
  limits: ClaimLimits,
): Promise<ClaimResult> {
  if (limits.capacity <= 0) return { events: [], settled: 0, skipped: 0 };
  // Claims take turns across instances, so each counts the others' committed claims and the limit
  // per receiver is exact: SQLite's single writer does that already; on PostgreSQL a transaction
  // lock does (held a few milliseconds; deliveries and records never take it).
  if (dialect === 'postgres')
    await sql`select pg_advisory_xact_lock(cast(${CLAIM_LOCK_KEY} as bigint))`.execute(tx);
  const inFlight = await busyReceivers(tx, nowMs);
  // Receivers with no room are left out of the scan, so that one slow receiver's backlog cannot
  // fill it; events never claimed have no receiver yet and are looked at to learn theirs.
  const saturated = [...inFlight]
    .filter(([, n]) => n >= limits.receiverConcurrencyMax)
    .map(([receiver]) => receiver);
  const scanMax = Math.min(CLAIM_SCAN_MAX, Math.max(CLAIM_SCAN_MIN, 2 * limits.capacity));
  // `delivering` rows are due again only once their lease has run out (their holder died). One
  // query per status, each read in the due index's order, so that no claim sorts the backlog.
  const pending = await dueRows(tx, dialect, 'pending', nowMs, saturated, scanMax);
  const expired = await dueRows(tx, dialect, 'delivering', nowMs, saturated, scanMax);
  const due = [...pending, ...expired]
    .sort((a, b) => Number(a.next_attempt_at_ms) - Number(b.next_attempt_at_ms))
    .slice(0, scanMax);
  if (due.length === 0) return { events: [], settled: 0, skipped: 0 };

  const { chosen, undeliverable, learned } = await choose(tx, due, inFlight, nowMs, limits);
  await settleUndeliverable(tx, undeliverable, nowMs);
  await writeReceivers(tx, learned);
  await lease(tx, chosen, nowMs, limits.leaseMs);
  return { events: chosen, settled: undeliverable.length, skipped: learned.length };
}

interface Choice {
  chosen: ClaimedEvent[];
  undeliverable: Unsendable[];
  learned: DueRow[];
}

/**
 * Picks, oldest first, the due events whose receiver has room, up to the worker's capacity. Rows of
 * a known receiver without room are left without loading their transaction; the others are
 * loaded, to learn their receiver or to deliver them (a known receiver is checked again against
 * the URL, which a project can change).
 */
async function choose(
  tx: Tx,
  due: readonly DueRow[],
  inFlight: Map<string, number>,
  nowMs: number,
  limits: ClaimLimits,
): Promise<Choice> {
  const room = new Map(inFlight);
  let tentative = 0;
  const toLoad = due.filter((row) => {
    if (row.receiver === null) return true;
    const n = room.get(row.receiver) ?? 0;
    if (n >= limits.receiverConcurrencyMax || tentative >= limits.capacity) return false;
    room.set(row.receiver, n + 1);
    tentative++;
    return true;
  });
  const targets = await targetsOf(tx, toLoad);
  const leaseId = randomBytes(12).toString('hex');
  const choice: Choice = { chosen: [], undeliverable: [], learned: [] };
  for (const row of toLoad) {
    const target = targets.get(row.id);
    if (target === undefined || 'problem' in target) {
      choice.undeliverable.push({
        row,
        url: target?.url ?? '',
        problem: target?.problem ?? 'internal: no target',
      });
      continue;
    }
    const n = inFlight.get(target.receiver) ?? 0;
    if (n >= limits.receiverConcurrencyMax || choice.chosen.length >= limits.capacity) {
      if (row.receiver !== target.receiver) choice.learned.push({ ...row, receiver: target.receiver });
      continue;
    }
    inFlight.set(target.receiver, n + 1);
    choice.chosen.push(target.build(leaseId, nowMs, limits.tokenSecret));
  }
  return choice;
}

/** Leases the chosen events to the claim (one lease for all) and counts their attempt; each learns its receiver. */
async function lease(tx: Tx, chosen: readonly ClaimedEvent[], nowMs: number, leaseMs: number): Promise<void> {
  const leaseId = chosen[0]?.leaseId;
  if (leaseId === undefined) return;
  await tx
    .updateTable('outbox')
    .set((eb) => ({
      status: 'delivering',
      next_attempt_at_ms: nowMs + leaseMs,
      attempts: eb('attempts', '+', 1),
      cycle_attempts: eb('cycle_attempts', '+', 1),
      lease_id: leaseId,
      receiver: caseById(
        chosen.map((event) => [event.eventId, event.receiver]),
        'text',
      ),
    }))
    .where(
      'id',
      'in',
      chosen.map((event) => event.eventId),
    )
    .execute();
}

/** Due events of one status, oldest first, leaving out full receivers; locked on PostgreSQL. */
function dueRows(
  tx: Tx,
  dialect: Dialect,
  status: string,
  nowMs: number,
  saturated: readonly string[],
  limit: number,
): Promise<DueRow[]> {
  return dueOfStatus.rows(tx, {
    status,
    nowMs,
    limit,
    saturated: saturated.length > 0 ? [...saturated] : undefined,
    forUpdate: dialect === 'postgres' ? true : undefined,
  });
}

/** Events left for later learn their receiver now, so the next scans skip them while it is full. */
async function writeReceivers(tx: Tx, rows: readonly DueRow[]): Promise<void> {
  if (rows.length === 0) return;
  await tx
    .updateTable('outbox')
    .set({
      receiver: caseById(
        rows.map((row) => [row.id, row.receiver ?? '']),
        'text',
      ),
    })
    .where(
      'id',
      'in',
      rows.map((row) => row.id),
    )
    .execute();
}

interface Unsendable {
  row: DueRow;
  url: string;
  problem: string;
}

interface Target {
  url: string;
  receiver: string;
  /** The delivery, payload built: done only for the events chosen. */
  build(leaseId: string, nowMs: number, tokenSecret: string): ClaimedEvent;
}

/** Where each due event goes, from its transaction and project: three queries for the batch. */
type TargetOrProblem = Target | { url: string; problem: string };

async function targetsOf(tx: Tx, rows: readonly DueRow[]): Promise<Map<string, TargetOrProblem>> {
  if (rows.length === 0) return new Map();
  const ids = (type: string) => [
    ...new Set(rows.filter((r) => r.subject_type === type).map((r) => r.subject_id)),
  ];
  const payinIds = ids('payin');
  const payoutIds = ids('payout');
  const payins = payinIds.length === 0 ? [] : await payinsByIds.rows(tx, { ids: payinIds });
  const payouts = payoutIds.length === 0 ? [] : await payoutsByIds.rows(tx, { ids: payoutIds });
  const refundIds = ids('refund');
  const refunds = refundIds.length === 0 ? [] : await refundsByIds.rows(tx, { ids: refundIds });
  const refundById = new Map(refunds.map((r) => [r.id, r]));
  const projects = await signingOfProjects.rows(tx, { ids: [...new Set(rows.map((r) => r.project_id))] });
  const payinById = new Map<string, PayinTable>(payins.map((p) => [p.id, p]));
  const payoutById = new Map<string, PayoutTable>(payouts.map((p) => [p.id, p]));
  const projectById = new Map(projects.map((p) => [p.id, p]));
  return new Map(
    rows.map((row): [string, TargetOrProblem] => {
      const project = projectById.get(row.project_id);
      const payin = row.subject_type === 'payin' ? payinById.get(row.subject_id) : undefined;
      const payout = row.subject_type === 'payout' ? payoutById.get(row.subject_id) : undefined;
      const refund = row.subject_type === 'refund' ? refundById.get(row.subject_id) : undefined;
      // The transaction's own URL, else the project's (spec §3.1: the URL given at creation); a
      // refund's own, else its payin's, else the project's (ADR 0024).
      const url =
        (payin?.callback_url ||
          payout?.callback_url ||
          refund?.callback_url ||
          refund?.payin_callback_url ||
          project?.callback_url) ??
        '';
      if (payin === undefined && payout === undefined && refund === undefined)
        return [
          row.id,
          { url, problem: `internal: the ${row.subject_type} ${row.subject_id} of this event is missing` },
        ];
      // Waiting will not make a URL appear: a resend after one is set delivers the event.
      if (url === '') return [row.id, { url, problem: 'no callback URL for this transaction or project' }];
      const receiver = callbackReceiver(url);
      const build = (leaseId: string, nowMs: number, tokenSecret: string): ClaimedEvent => ({
        eventId: row.id,
        projectId: row.project_id,
        eventType: row.event_type,
        attempt: row.attempts + 1,
        cycleAttempt: row.cycle_attempts + 1,
        leaseId,
        url,
        receiver,
        mode: project?.callback_mode === 'json' ? 'json' : 'ligdicash',
        secrets: project ? signingSecrets(project, nowMs) : [],
        payload: payin
          ? payinCallbackPayload(payin)
          : payout
            ? payoutCallbackPayload(payout, url, tokenSecret)
            : refund
              ? refundCallbackPayload(refund)
              : {},
      });
      return [row.id, { url, receiver, build }];
    }),
  );
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
      events.map(({ row }) => row.id),
    )
    .execute();
}

/**
 * Extends the leases of deliveries still in flight, so that no other process takes their events
 * back while their POSTs run; a lease overtaken by a resend or a takeover is not renewed. Returns
 * the events renewed.
 */
export async function renewLeases(
  tx: Tx,
  leaseIds: readonly string[],
  nowMs: number,
  leaseMs: number,
): Promise<number> {
  if (leaseIds.length === 0) return 0;
  const result = await tx
    .updateTable('outbox')
    .set({ next_attempt_at_ms: nowMs + leaseMs })
    .where('status', '=', 'delivering')
    .where('lease_id', 'in', leaseIds)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** `delivered`: a 2xx; `retry`: try again on schedule; `give_up`: trying again cannot help. */
export type DeliveryVerdict = 'delivered' | 'retry' | 'give_up';
export type RecordedState = 'delivered' | 'pending' | 'failed' | 'lease_lost';

export interface FinishedDelivery {
  event: Pick<ClaimedEvent, 'eventId' | 'projectId' | 'attempt' | 'cycleAttempt' | 'leaseId'>;
  attempts: readonly AttemptRecord[];
  verdict: DeliveryVerdict;
}

export async function recordDelivery(
  tx: Tx,
  event: FinishedDelivery['event'],
  attempts: readonly AttemptRecord[],
  verdict: DeliveryVerdict,
  nowMs: number,
  random: () => number,
): Promise<RecordedState> {
  const [state] = await recordDeliveries(tx, [{ event, attempts, verdict }], nowMs, random);
  return state ?? 'lease_lost';
}

/**
 * Records finished deliveries, their POSTs and each event's next state, in three statements
 * whatever their number; returns each one's state, in order. An event whose lease is no longer
 * the delivery's (a resend, a takeover) keeps its state: `lease_lost`.
 */
export async function recordDeliveries(
  tx: Tx,
  finished: readonly FinishedDelivery[],
  nowMs: number,
  random: () => number,
): Promise<RecordedState[]> {
  if (finished.length === 0) return [];
  const rows: CallbackAttemptTable[] = finished.flatMap(({ event, attempts }) =>
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
  // The attempts happened whether or not the leases are still ours: they are always recorded.
  if (rows.length > 0)
    await tx
      .insertInto('callback_attempts')
      .values(rows)
      .onConflict((oc) => oc.doNothing())
      .execute();
  const next = finished.map(({ event, verdict }) => {
    const delayMs = verdict === 'retry' ? callbackRetryDelayMs(event.cycleAttempt, random) : undefined;
    const state: Exclude<RecordedState, 'lease_lost'> =
      verdict === 'delivered' ? 'delivered' : delayMs === undefined ? 'failed' : 'pending';
    return { id: event.eventId, leaseId: event.leaseId, state, nextAttemptAtMs: nowMs + (delayMs ?? 0) };
  });
  const delivered = next.filter((n) => n.state === 'delivered');
  // Each row changes only under its own lease: `lease_id = case id when … end`.
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
  const kept = new Set(updated.map((row) => row.id));
  return next.map((n) => (kept.has(n.id) ? n.state : 'lease_lost'));
}

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
  const event = await tx
    .selectFrom('outbox')
    .select(['id', 'project_id', 'status'])
    .where('id', '=', eventId)
    .executeTakeFirst();
  if (!event || (projectId !== undefined && event.project_id !== projectId))
    return fail('not_found', `No callback event ${eventId}`);
  await tx
    .updateTable('outbox')
    .set({ status: 'pending', next_attempt_at_ms: nowMs, cycle_attempts: 0, lease_id: null })
    .where('id', '=', eventId)
    .execute();
  afterCommit(tx, 'callbacks');
  return ok({ eventId, previousStatus: event.status });
}

export async function rotateWebhookSecret(
  tx: Tx,
  projectId: string,
  nowMs: number,
): Promise<Result<{ projectId: string; webhookSecret: string }>> {
  const project = await tx
    .selectFrom('projects')
    .select(['id', 'webhook_secret'])
    .where('id', '=', projectId)
    .executeTakeFirst();
  if (!project) return fail('not_found', `no project ${projectId}`);
  const webhookSecret = generateWebhookSecret();
  await tx
    .updateTable('projects')
    .set({
      webhook_secret: webhookSecret,
      webhook_secret_previous: project.webhook_secret || null,
      webhook_secret_rotated_at_ms: nowMs,
    })
    .where('id', '=', projectId)
    .execute();
  return ok({ projectId, webhookSecret });
}

// ---------------------------------------------------------------- listing

/** A transaction's callback events and every POST made for them, by payin or payout id, token, or event id. */
export async function listDeliveries(tx: Tx, reference: string): Promise<Result<DeliveryListing>> {
  const ref = reference.trim();
  let subject: DeliveryListing['subject'] | undefined;
  const fromEvent = ref.startsWith('evt_')
    ? await tx
        .selectFrom('outbox')
        .select(['subject_type', 'subject_id'])
        .where('id', '=', ref)
        .executeTakeFirst()
    : undefined;
  const claims = unverifiedTokenClaims(ref);
  const type =
    fromEvent?.subject_type ??
    (ref.startsWith('pay_') ? 'payin' : ref.startsWith('po_') ? 'payout' : claims?.kind);
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
