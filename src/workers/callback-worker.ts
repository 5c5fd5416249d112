import type { AttemptRecord } from '../core/callbacks.js';
import {
  type ClaimResult,
  type ClaimedEvent,
  claimDueEvents,
  renewLeases,
} from '../commands/callback-claims.js';
import {
  type DeliveryVerdict,
  type FinishedDelivery,
  type RecordedState,
  recordDeliveries,
} from '../commands/callback-deliveries.js';
import type { WithClock, WithDb, WithOps, WithTokens } from '../commands/context.js';
import type { Tx } from '../store/database.js';
import {
  CALLBACK_INFLIGHT_MAX_DEFAULT,
  CALLBACK_LEASE_MS,
  CALLBACK_LEASE_RENEW_MS,
  CALLBACK_RECORD_BATCH_MAX,
  CONTENT_TYPES,
  encodeCallback,
  encodingsFor,
} from '../core/callbacks.js';
import { webhookHeaders } from '../core/webhook-signature.js';
import { type Resolver, postCallback, systemResolver } from './callback-sender.js';
import { Heartbeat } from '../metrics/heartbeat.js';

/** Bookkeeping that locks no balance row runs beside the group commit (store/database.ts). */
const SEPARATE = { separate: true } as const;

/**
 * Delivers callback events (ADR 0006, ADR 0017). A pass claims due events under a short lease and
 * sends each one with no transaction open (JSON, then form-urlencoded in `ligdicash` mode). The
 * worker's next transaction records every delivery finished by then, with its event's next state,
 * and claims their successors in the same commit. Deliveries run concurrently, at most
 * `inflightMax` per process and `receiverConcurrencyMax` per receiver (the URL's origin) across
 * processes; a finished delivery frees room and wakes the worker. While deliveries are in flight
 * the worker renews their leases every `leaseRenewMs`, so a live slow delivery keeps its event; a
 * process that dies stops renewing, and its events are due again within `leaseMs` (at least once).
 */
export interface CallbackWorkerOptions {
  timeoutMs: number;
  receiverConcurrencyMax: number;
  intervalMs: number;
  /** Private, loopback and link-local destinations allowed (sandbox). */
  allowPrivate: boolean;
  /** Deliveries in flight in this process. */
  inflightMax?: number;
  leaseMs?: number;
  leaseRenewMs?: number;
  /** Source of the retry jitter, in [0, 1). */
  random?: () => number;
  resolver?: Resolver;
}

/** Claims one pass makes at most before it waits for a finished delivery or the timer. */
const CLAIMS_PER_PASS_MAX = 8;

interface Unrecorded extends FinishedDelivery {
  settle(state: RecordedState): void;
  fail(error: unknown): void;
}

export class CallbackWorker {
  private timer: NodeJS.Timeout | undefined;
  private renewer: NodeJS.Timeout | undefined;
  private pumping: Promise<void> | undefined;
  private again = false;
  private started = false;
  private stopped = false;
  private readonly inFlight = new Set<Promise<RecordedState | undefined>>();
  /** Deliveries in flight per lease, to renew. */
  private readonly leases = new Map<string, number>();
  private readonly unrecorded: Unrecorded[] = [];
  private recording: Promise<void> | undefined;
  private readonly inflightMax: number;
  private readonly leaseMs: number;
  private readonly leaseRenewMs: number;
  private readonly random: () => number;
  private readonly resolver: Resolver;
  /** Beats after every pump, for `/ready` (ADR 0020). */
  readonly heartbeat: Heartbeat;

  constructor(
    private readonly deps: WithDb & WithClock & WithTokens & WithOps,
    private readonly options: CallbackWorkerOptions,
    private readonly onError: (error: unknown) => void,
  ) {
    this.inflightMax = options.inflightMax ?? CALLBACK_INFLIGHT_MAX_DEFAULT;
    this.leaseMs = options.leaseMs ?? CALLBACK_LEASE_MS;
    this.leaseRenewMs = options.leaseRenewMs ?? CALLBACK_LEASE_RENEW_MS;
    this.random = options.random ?? Math.random;
    this.resolver = options.resolver ?? systemResolver;
    this.heartbeat = new Heartbeat('callbacks', options.intervalMs);
  }

  start(): void {
    this.started = true;
    this.stopped = false;
    this.heartbeat.start();
    this.timer = setInterval(() => this.kick(), this.options.intervalMs);
    this.timer.unref();
    this.kick();
  }

  /** Looks for due events now, or right after the current look. Does nothing unless started. */
  kick(): void {
    if (!this.started || this.stopped) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = this.pump().finally(() => {
      this.pumping = undefined;
    });
  }

  /** Stops claiming and waits for the deliveries in flight (each bounded by its timeouts) and their records. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.heartbeat.stop();
    if (this.timer) clearInterval(this.timer);
    this.recordSoon();
    await this.pumping;
    await Promise.allSettled([...this.inFlight]);
    this.stopRenewing();
  }

  /** One pass, for tests and tools: claims what is due, delivers it, and returns how many events it handled. */
  async runOnce(): Promise<number> {
    const { events, settled } = await this.claim();
    await Promise.all(events.map((event) => this.track(event)));
    return events.length + settled;
  }

  /** Extends the leases of the deliveries in flight now (the timer calls it); returns the events renewed. */
  async renewLeases(): Promise<number> {
    const leaseIds = [...this.leases.keys()];
    if (leaseIds.length === 0) return 0;
    const { deps } = this;
    return deps.db.command((tx) => renewLeases(tx, leaseIds, deps.clock.nowMs(), this.leaseMs), SEPARATE);
  }

  private async pump(): Promise<void> {
    do {
      this.again = false;
      try {
        for (let claims = 0; claims < CLAIMS_PER_PASS_MAX; claims++) {
          const { events, settled, skipped } = await this.recordAndClaim(
            this.unrecorded.splice(0, CALLBACK_RECORD_BATCH_MAX),
          );
          for (const event of events) void this.track(event);
          // Events settled without a POST took no room, and events skipped because their receiver
          // is full may hide others behind them, which the next claim's scan reaches: more may be
          // due right now. Deliveries that finished meanwhile are recorded right away.
          if (this.stopped) break;
          if (
            this.unrecorded.length === 0 &&
            ((settled === 0 && skipped === 0) || this.inFlight.size >= this.inflightMax)
          )
            break;
        }
      } catch (error) {
        this.onError(error);
      }
    } while (this.again && !this.stopped);
    this.heartbeat.beat();
    // Deliveries that finished while the worker stopped are recorded without claiming.
    if (this.stopped) this.recordSoon();
  }

  private claim(): Promise<ClaimResult> {
    return this.deps.db.command((tx) => this.claimIn(tx, 0), SEPARATE);
  }

  private claimIn(tx: Tx, freed: number): Promise<ClaimResult> {
    const { deps, options } = this;
    return claimDueEvents(tx, deps.db.dialect, deps.clock.nowMs(), {
      capacity: this.inflightMax - this.inFlight.size + freed,
      receiverConcurrencyMax: options.receiverConcurrencyMax,
      leaseMs: this.leaseMs,
      tokenSecret: deps.tokenSecret,
    });
  }

  /**
   * Records finished deliveries and claims their successors in one transaction: at a steady rate
   * every delivery costs a share of one commit, not two commits of its own. Should the claim fail,
   * the records go alone, so that no delivery is sent again for it.
   */
  private async recordAndClaim(batch: Unrecorded[]): Promise<ClaimResult> {
    const { deps } = this;
    try {
      const { states, claimed } = await deps.db.command(async (tx) => {
        const recorded = await recordDeliveries(tx, batch, deps.clock.nowMs(), this.random);
        return { states: recorded, claimed: await this.claimIn(tx, batch.length) };
      }, SEPARATE);
      batch.forEach((item, i) => item.settle(states[i] ?? 'lease_lost'));
      return claimed;
    } catch (error) {
      if (batch.length > 0) await this.recordAlone(batch);
      throw error;
    }
  }

  private track(event: ClaimedEvent): Promise<RecordedState | undefined> {
    this.leases.set(event.leaseId, (this.leases.get(event.leaseId) ?? 0) + 1);
    this.startRenewing();
    const delivery: Promise<RecordedState | undefined> = this.deliver(event)
      .catch((error: unknown) => {
        this.onError(error);
        return undefined;
      })
      .finally(() => {
        this.inFlight.delete(delivery);
        const left = (this.leases.get(event.leaseId) ?? 1) - 1;
        if (left > 0) this.leases.set(event.leaseId, left);
        else this.leases.delete(event.leaseId);
        if (this.inFlight.size === 0) this.stopRenewing();
      });
    this.inFlight.add(delivery);
    return delivery;
  }

  private startRenewing(): void {
    if (this.renewer !== undefined) return;
    this.renewer = setInterval(() => {
      this.renewLeases().catch((error: unknown) => this.onError(error));
    }, this.leaseRenewMs);
    this.renewer.unref();
  }

  private stopRenewing(): void {
    if (this.renewer !== undefined) clearInterval(this.renewer);
    this.renewer = undefined;
  }

  /**
   * Queues a finished delivery for the next transaction of the worker, which records every
   * delivery finished by then (group commit) and claims successors. A worker driven by hand
   * (`runOnce`) or stopping records without claiming.
   */
  private record(finished: FinishedDelivery): Promise<RecordedState> {
    return new Promise<RecordedState>((settle, fail) => {
      this.unrecorded.push({ ...finished, settle, fail });
      // While a transaction of the worker runs, deliveries that finish join the next one.
      if (this.started && !this.stopped) this.kick();
      else this.recordSoon();
    });
  }

  private recordSoon(): void {
    this.recording ??= (async () => {
      while (this.unrecorded.length > 0)
        await this.recordAlone(this.unrecorded.splice(0, CALLBACK_RECORD_BATCH_MAX));
    })().finally(() => {
      this.recording = undefined;
    });
  }

  private async recordAlone(batch: readonly Unrecorded[]): Promise<void> {
    const { deps } = this;
    try {
      const states = await deps.db.command(
        (tx) => recordDeliveries(tx, batch, deps.clock.nowMs(), this.random),
        SEPARATE,
      );
      batch.forEach((item, i) => item.settle(states[i] ?? 'lease_lost'));
    } catch (error) {
      for (const item of batch) item.fail(error);
    }
  }

  /** Every encoding of the event, in order, then one transaction that records them and the next state. */
  private async deliver(event: ClaimedEvent): Promise<RecordedState> {
    const { deps, options } = this;
    const attempts: AttemptRecord[] = [];
    let verdict: DeliveryVerdict = 'retry';
    for (const encoding of encodingsFor(event.mode)) {
      const body = encodeCallback(event.payload, encoding);
      const startedAtMs = deps.clock.nowMs();
      const headers: Record<string, string> = { 'content-type': CONTENT_TYPES[encoding] };
      if (event.secrets.length > 0)
        Object.assign(
          headers,
          webhookHeaders(event.secrets, event.eventId, Math.floor(startedAtMs / 1000), body),
        );
      const outcome = await postCallback(
        { url: event.url, body, headers, timeoutMs: options.timeoutMs, allowPrivate: options.allowPrivate },
        this.resolver,
      );
      const answered = outcome.kind === 'answered';
      attempts.push({
        encoding,
        url: event.url,
        startedAtMs,
        latencyMs: outcome.latencyMs,
        httpStatus: answered ? outcome.httpStatus : null,
        error: answered ? null : outcome.error,
        responseExcerpt: answered ? outcome.excerpt : '',
      });
      // Either encoding answered 2xx: the merchant has the event (both carry the same data).
      if (answered && outcome.httpStatus >= 200 && outcome.httpStatus < 300) verdict = 'delivered';
      if (!answered && outcome.permanent) {
        if (verdict !== 'delivered') verdict = 'give_up';
        break;
      }
    }
    this.deps.ops?.metrics.observeCallbackDelivery(verdict, attempts);
    return this.record({ event, attempts, verdict });
  }
}
