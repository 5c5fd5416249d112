import { type AttemptRecord, type ClaimResult, type ClaimedEvent, type DeliveryVerdict, type RecordedState, claimDueEvents, recordDelivery } from '../commands/callbacks.js';
import type { Gateway } from '../commands/context.js';
import { CALLBACK_BATCH_MAX, CONTENT_TYPES, callbackLeaseMs, encodeCallback, encodingsFor } from '../core/callbacks.js';
import { webhookHeaders } from '../core/webhook-signature.js';
import { type Resolver, postCallback, systemResolver } from './callback-sender.js';

/**
 * Delivers callback events (ADR 0006). A pass claims due events under a lease, sends each one with
 * no transaction open (JSON, then form-urlencoded in `ligdicash` mode), and records the POSTs and
 * the event's next state in a transaction of its own. Deliveries run concurrently, at most
 * `batchMax` per process and `projectConcurrencyMax` per project across processes; a finished
 * delivery frees room and wakes the worker. A crash between claim and record leaves the event
 * claimed until its lease runs out; then any process delivers it again (at least once).
 */
export interface CallbackWorkerOptions {
  timeoutMs: number;
  projectConcurrencyMax: number;
  intervalMs: number;
  /** Private, loopback and link-local destinations allowed (sandbox). */
  allowPrivate: boolean;
  /** Deliveries in flight in this process. */
  batchMax?: number;
  /** Source of the retry jitter, in [0, 1). */
  random?: () => number;
  resolver?: Resolver;
}

export class CallbackWorker {
  private timer: NodeJS.Timeout | undefined;
  private pumping: Promise<void> | undefined;
  private again = false;
  private started = false;
  private stopped = false;
  private readonly inFlight = new Set<Promise<RecordedState | undefined>>();
  private readonly batchMax: number;
  private readonly random: () => number;
  private readonly resolver: Resolver;

  constructor(
    private readonly gw: Gateway,
    private readonly options: CallbackWorkerOptions,
    private readonly onError: (error: unknown) => void,
  ) {
    this.batchMax = options.batchMax ?? CALLBACK_BATCH_MAX;
    this.random = options.random ?? Math.random;
    this.resolver = options.resolver ?? systemResolver;
  }

  start(): void {
    this.started = true;
    this.stopped = false;
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

  /** Stops claiming and waits for the deliveries in flight (each bounded by its timeouts). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.pumping;
    await Promise.allSettled([...this.inFlight]);
  }

  /** One pass, for tests and tools: claims what is due, delivers it, and returns how many events it handled. */
  async runOnce(): Promise<number> {
    const { events, settled } = await this.claim();
    await Promise.all(events.map((event) => this.track(event)));
    return events.length + settled;
  }

  private async pump(): Promise<void> {
    do {
      this.again = false;
      try {
        for (;;) {
          const { events, settled } = await this.claim();
          for (const event of events) void this.track(event).then(() => this.kick());
          // Events settled without a POST took no room: more may be due right now.
          if (settled === 0 || this.stopped) break;
        }
      } catch (error) {
        this.onError(error);
      }
    } while (this.again && !this.stopped);
  }

  private claim(): Promise<ClaimResult> {
    const { gw, options } = this;
    return gw.db.command((tx) =>
      claimDueEvents(tx, gw.db.dialect, gw.clock.nowMs(), {
        capacity: this.batchMax - this.inFlight.size,
        projectConcurrencyMax: options.projectConcurrencyMax,
        leaseMs: callbackLeaseMs(options.timeoutMs),
        tokenSecret: gw.tokenSecret,
      }),
    );
  }

  private track(event: ClaimedEvent): Promise<RecordedState | undefined> {
    const delivery: Promise<RecordedState | undefined> = this.deliver(event)
      .catch((error: unknown) => {
        this.onError(error);
        return undefined;
      })
      .finally(() => this.inFlight.delete(delivery));
    this.inFlight.add(delivery);
    return delivery;
  }

  /** Every encoding of the event, in order, then one transaction that records them and the next state. */
  private async deliver(event: ClaimedEvent): Promise<RecordedState> {
    const { gw, options } = this;
    const attempts: AttemptRecord[] = [];
    let verdict: DeliveryVerdict = 'retry';
    for (const encoding of encodingsFor(event.mode)) {
      const body = encodeCallback(event.payload, encoding);
      const startedAtMs = gw.clock.nowMs();
      const headers: Record<string, string> = { 'content-type': CONTENT_TYPES[encoding] };
      if (event.secrets.length > 0) Object.assign(headers, webhookHeaders(event.secrets, event.eventId, Math.floor(startedAtMs / 1000), body));
      const outcome = await postCallback({ url: event.url, body, headers, timeoutMs: options.timeoutMs, allowPrivate: options.allowPrivate }, this.resolver);
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
    return gw.db.command((tx) => recordDelivery(tx, event, attempts, verdict, gw.clock.nowMs(), this.random));
  }
}
