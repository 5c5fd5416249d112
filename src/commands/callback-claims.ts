import { randomBytes } from 'node:crypto';
import {
  type CallbackMode,
  callbackReceiver,
  payinCallbackPayload,
  payoutCallbackPayload,
  refundCallbackPayload,
} from '../core/callbacks.js';
import type { Dialect, Tx } from '../store/database.js';
import {
  type CallbackSubjects,
  type DueEvent,
  type ProjectSigning,
  type UndeliverableEvent,
  busyReceivers,
  callbackSubjects,
  dueEvents,
  failUndeliverable,
  leaseEvents,
  rememberReceivers,
  renewEventLeases,
  takeClaimTurn,
} from '../store/callbacks.js';

/**
 * Claiming callback events for delivery (ADR 0006, ADR 0017). A worker claims due events in one
 * transaction (a lease, with `FOR UPDATE SKIP LOCKED` on PostgreSQL so that several processes never
 * claim the same row), each with its payload and signing secrets, then sends them with no
 * transaction open and renews the leases of its deliveries in flight; their outcome is recorded
 * by callback-deliveries.ts, and takes effect only while the lease is still the worker's.
 */

/**
 * Due events a claim looks at, to pick those whose receiver has room: twice the events it can
 * start, within these bounds. Those it leaves learn their receiver, so the next scan skips them
 * while that receiver is full.
 */
export const CLAIM_SCAN_MIN = 32;
export const CLAIM_SCAN_MAX = 512;
/** After a rotation, the previous secret keeps signing this long, next to the new one. */
export const WEBHOOK_SECRET_OVERLAP_MS = 24 * 3_600_000;

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

/** The secrets that sign a project's callbacks now: the current one, and the previous one for a while after a rotation. */
export function signingSecrets(project: ProjectSigning, nowMs: number): string[] {
  const secrets = [project.webhookSecret];
  const rotatedAt = project.webhookSecretRotatedAtMs;
  if (project.webhookSecretPrevious && rotatedAt !== null && nowMs - rotatedAt < WEBHOOK_SECRET_OVERLAP_MS) {
    secrets.push(project.webhookSecretPrevious);
  }
  return secrets.filter((secret) => secret !== '');
}

export async function claimDueEvents(
  tx: Tx,
  dialect: Dialect,
  nowMs: number,
  limits: ClaimLimits,
): Promise<ClaimResult> {
  if (limits.capacity <= 0) return { events: [], settled: 0, skipped: 0 };
  await takeClaimTurn(tx, dialect);
  const inFlight = await busyReceivers(tx, nowMs);
  // Receivers with no room are left out of the scan, so that one slow receiver's backlog cannot
  // fill it; events never claimed have no receiver yet and are looked at to learn theirs.
  const saturated = [...inFlight]
    .filter(([, n]) => n >= limits.receiverConcurrencyMax)
    .map(([receiver]) => receiver);
  const scanMax = Math.min(CLAIM_SCAN_MAX, Math.max(CLAIM_SCAN_MIN, 2 * limits.capacity));
  // `delivering` rows are due again only once their lease has run out (their holder died). One
  // query per status, each read in the due index's order, so that no claim sorts the backlog.
  const pending = await dueEvents(tx, dialect, 'pending', nowMs, saturated, scanMax);
  const expired = await dueEvents(tx, dialect, 'delivering', nowMs, saturated, scanMax);
  const due = [...pending, ...expired]
    .sort((a, b) => a.nextAttemptAtMs - b.nextAttemptAtMs)
    .slice(0, scanMax);
  if (due.length === 0) return { events: [], settled: 0, skipped: 0 };

  const { chosen, undeliverable, learned } = await choose(tx, due, inFlight, nowMs, limits);
  await failUndeliverable(tx, undeliverable, nowMs);
  await rememberReceivers(tx, learned);
  // One lease for every event of the claim, so that the worker renews them in one statement.
  const leaseId = chosen[0]?.leaseId;
  if (leaseId !== undefined) await leaseEvents(tx, leaseId, chosen, nowMs, limits.leaseMs);
  return { events: chosen, settled: undeliverable.length, skipped: learned.length };
}

interface Choice {
  chosen: ClaimedEvent[];
  undeliverable: UndeliverableEvent[];
  learned: DueEvent[];
}

/**
 * Picks, oldest first, the due events whose receiver has room, up to the worker's capacity. Rows of
 * a known receiver without room are left without loading their transaction; the others are
 * loaded, to learn their receiver or to deliver them (a known receiver is checked again against
 * the URL, which a project can change).
 */
async function choose(
  tx: Tx,
  due: readonly DueEvent[],
  inFlight: Map<string, number>,
  nowMs: number,
  limits: ClaimLimits,
): Promise<Choice> {
  const room = new Map(inFlight);
  let tentative = 0;
  const toLoad = due.filter((event) => {
    if (event.receiver === null) return true;
    const n = room.get(event.receiver) ?? 0;
    if (n >= limits.receiverConcurrencyMax || tentative >= limits.capacity) return false;
    room.set(event.receiver, n + 1);
    tentative++;
    return true;
  });
  const targets = await targetsOf(tx, toLoad);
  const leaseId = randomBytes(12).toString('hex');
  const choice: Choice = { chosen: [], undeliverable: [], learned: [] };
  for (const event of toLoad) {
    const target = targets.get(event.id);
    if (target === undefined || 'problem' in target) {
      choice.undeliverable.push({
        event,
        url: target?.url ?? '',
        problem: target?.problem ?? 'internal: no target',
      });
      continue;
    }
    const n = inFlight.get(target.receiver) ?? 0;
    if (n >= limits.receiverConcurrencyMax || choice.chosen.length >= limits.capacity) {
      if (event.receiver !== target.receiver) choice.learned.push({ ...event, receiver: target.receiver });
      continue;
    }
    inFlight.set(target.receiver, n + 1);
    choice.chosen.push(target.build(leaseId, nowMs, limits.tokenSecret));
  }
  return choice;
}

interface Target {
  url: string;
  receiver: string;
  /** The delivery, payload built: done only for the events chosen. */
  build(leaseId: string, nowMs: number, tokenSecret: string): ClaimedEvent;
}

/** Where each due event goes, from its transaction and project: three queries for the batch. */
type TargetOrProblem = Target | { url: string; problem: string };

async function targetsOf(tx: Tx, events: readonly DueEvent[]): Promise<Map<string, TargetOrProblem>> {
  if (events.length === 0) return new Map();
  const ids = (type: string) => [
    ...new Set(events.filter((e) => e.subjectType === type).map((e) => e.subjectId)),
  ];
  const subjects = await callbackSubjects(tx, {
    payins: ids('payin'),
    payouts: ids('payout'),
    refunds: ids('refund'),
    projects: [...new Set(events.map((e) => e.projectId))],
  });
  return new Map(events.map((event): [string, TargetOrProblem] => [event.id, targetOf(event, subjects)]));
}

function targetOf(event: DueEvent, subjects: CallbackSubjects): TargetOrProblem {
  const project = subjects.projects.get(event.projectId);
  const payin = event.subjectType === 'payin' ? subjects.payins.get(event.subjectId) : undefined;
  const payout = event.subjectType === 'payout' ? subjects.payouts.get(event.subjectId) : undefined;
  const refund = event.subjectType === 'refund' ? subjects.refunds.get(event.subjectId) : undefined;
  // The transaction's own URL, else the project's (spec §3.1: the URL given at creation); a
  // refund's own, else its payin's, else the project's (ADR 0024).
  const url =
    (payin?.callbackUrl ||
      payout?.callbackUrl ||
      refund?.callbackUrl ||
      refund?.payinCallbackUrl ||
      project?.callbackUrl) ??
    '';
  if (payin === undefined && payout === undefined && refund === undefined)
    return { url, problem: `internal: the ${event.subjectType} ${event.subjectId} of this event is missing` };
  // Waiting will not make a URL appear: a resend after one is set delivers the event.
  if (url === '') return { url, problem: 'no callback URL for this transaction or project' };
  const receiver = callbackReceiver(url);
  const build = (leaseId: string, nowMs: number, tokenSecret: string): ClaimedEvent => ({
    eventId: event.id,
    projectId: event.projectId,
    eventType: event.eventType,
    attempt: event.attempts + 1,
    cycleAttempt: event.cycleAttempts + 1,
    leaseId,
    url,
    receiver,
    mode: project?.callbackMode ?? 'ligdicash',
    secrets: project ? signingSecrets(project, nowMs) : [],
    payload: payin
      ? payinCallbackPayload(payin)
      : payout
        ? payoutCallbackPayload(payout, url, tokenSecret)
        : refund
          ? refundCallbackPayload(refund.facts)
          : {},
  });
  return { url, receiver, build };
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
  return renewEventLeases(tx, leaseIds, nowMs, leaseMs);
}
