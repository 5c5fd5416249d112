import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ExchangeSinks, OperatorExchange } from '../core/operator-exchanges.js';

/**
 * The gateway's Prometheus metrics (ADR 0020, README "Operations: metrics, health, logs"). Counters
 * and histograms are updated in process as things happen; what needs the database (backlogs, the
 * ledger check, state changes) is read at scrape time by database-gauges.ts, cached.
 *
 * Labels are bounded: a route pattern (never a URL), an operator id, a result code from the closed
 * list of src/core/result-codes.ts, an HTTP status, a verdict. No label carries a project, a phone
 * or an amount, so the page says how the gateway is doing, not what any merchant sells.
 */
export const METRIC_PREFIX = 'cauri_';

/** Request durations in seconds: from a cached read (~1 ms) to the operator timeout. */
const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Operator and callback calls take longer: tens of milliseconds to the timeout. */
const CALL_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 60];

/** Children of a labelled metric by their joined labels: the hot path looks one up instead of hashing a label object. */
const LABEL_SEP = '\u0001';
/** Distinct label sets one in-process metric keeps a cached child for; only a bound, label values are few. */
const CHILDREN_MAX = 2_000;

export interface CallbackPost {
  /** The HTTP status answered, or null when no answer came. */
  httpStatus: number | null;
  latencyMs: number;
}

/**
 * Node's process metrics (`process_*`, `nodejs_*`) are the process's, not a gateway's: they are
 * collected once per process, whatever number of gateways it runs (tests run many), so that only
 * one event-loop monitor and one GC observer exist, and are added to each gateway's page.
 */
let processRegistry: Registry | undefined;

function processMetrics(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly withProcessMetrics: boolean;
  private readonly requests: Counter<'method' | 'route' | 'status' | 'result'>;
  private readonly requestDuration: Histogram<'method' | 'route'>;
  private readonly requestChildren = new Map<string, Counter.Internal>();
  private readonly durationChildren = new Map<string, Histogram.Internal<'method' | 'route'>>();
  private readonly operatorCalls: Counter<'operator' | 'action' | 'outcome'>;
  private readonly operatorErrors: Counter<'operator' | 'action'>;
  private readonly operatorDuration: Histogram<'operator' | 'action'>;
  private readonly callbackDeliveries: Counter<'verdict'>;
  private readonly callbackPosts: Counter<'result'>;
  private readonly callbackDuration: Histogram;

  constructor(
    info: { mode: string; dialect: string; version: string },
    options: { defaultMetrics?: boolean } = {},
  ) {
    const registers = [this.registry];
    this.withProcessMetrics = options.defaultMetrics ?? true;
    if (this.withProcessMetrics) processMetrics();
    new Gauge({
      name: `${METRIC_PREFIX}info`,
      help: 'Always 1; the labels say what runs.',
      labelNames: ['mode', 'dialect', 'version'],
      registers,
    }).set(info, 1);
    this.requests = new Counter({
      name: `${METRIC_PREFIX}http_requests_total`,
      help: 'HTTP requests answered, by route pattern, HTTP status and result code (ok, or the error envelope code).',
      labelNames: ['method', 'route', 'status', 'result'],
      registers,
    });
    this.requestDuration = new Histogram({
      name: `${METRIC_PREFIX}http_request_duration_seconds`,
      help: 'Time from the request arriving to the answer sent, by route pattern.',
      labelNames: ['method', 'route'],
      buckets: HTTP_BUCKETS,
      registers,
    });
    this.operatorCalls = new Counter({
      name: `${METRIC_PREFIX}operator_calls_total`,
      help: 'Calls to operators and their notifications, by operator, action (credit, debit, status, notification) and outcome.',
      labelNames: ['operator', 'action', 'outcome'],
      registers,
    });
    this.operatorErrors = new Counter({
      name: `${METRIC_PREFIX}operator_call_errors_total`,
      help: 'Operator calls that failed without an answer (network error, timeout, refused connection).',
      labelNames: ['operator', 'action'],
      registers,
    });
    this.operatorDuration = new Histogram({
      name: `${METRIC_PREFIX}operator_call_duration_seconds`,
      help: 'Duration of operator calls, by operator and action.',
      labelNames: ['operator', 'action'],
      buckets: CALL_BUCKETS,
      registers,
    });
    this.callbackDeliveries = new Counter({
      name: `${METRIC_PREFIX}callback_deliveries_total`,
      help: 'Callback delivery attempts finished, by verdict: delivered, retry (will be tried again), give_up.',
      labelNames: ['verdict'],
      registers,
    });
    this.callbackPosts = new Counter({
      name: `${METRIC_PREFIX}callback_posts_total`,
      help: 'Callback POSTs made, by answer class (2xx, 3xx, 4xx, 5xx) or error (no answer).',
      labelNames: ['result'],
      registers,
    });
    this.callbackDuration = new Histogram({
      name: `${METRIC_PREFIX}callback_post_duration_seconds`,
      help: 'Duration of callback POSTs, DNS and connection included.',
      buckets: CALL_BUCKETS,
      registers,
    });
  }

  /** One answered request; called from Fastify's onResponse hook with `reply.elapsedTime`. */
  observeRequest(method: string, route: string, status: number, result: string, elapsedMs: number): void {
    const durationKey = method + LABEL_SEP + route;
    let duration = this.durationChildren.get(durationKey);
    if (duration === undefined) {
      if (this.durationChildren.size >= CHILDREN_MAX) this.durationChildren.clear();
      duration = this.requestDuration.labels(method, route);
      this.durationChildren.set(durationKey, duration);
    }
    duration.observe(elapsedMs / 1000);
    const countKey = durationKey + LABEL_SEP + status + LABEL_SEP + result;
    let count = this.requestChildren.get(countKey);
    if (count === undefined) {
      if (this.requestChildren.size >= CHILDREN_MAX) this.requestChildren.clear();
      count = this.requests.labels(method, route, String(status), result);
      this.requestChildren.set(countKey, count);
    }
    count.inc();
  }

  /** One finished operator exchange (recording-connector.ts hands every one to its sink). */
  observeOperatorExchange(exchange: OperatorExchange): void {
    const operator = boundedLabel(exchange.operatorId);
    const labels = { operator, action: exchange.action };
    this.operatorCalls.inc({
      ...labels,
      outcome: exchange.error !== null ? 'error' : outcomeOf(exchange.outcome),
    });
    if (exchange.error !== null) this.operatorErrors.inc(labels);
    if (exchange.action !== 'notification') this.operatorDuration.observe(labels, exchange.latencyMs / 1000);
  }

  /** One delivery attempt of a callback event: its POSTs (one per encoding tried) and its verdict. */
  observeCallbackDelivery(verdict: string, posts: readonly CallbackPost[]): void {
    this.callbackDeliveries.inc({ verdict: boundedLabel(verdict) });
    for (const post of posts) {
      this.callbackPosts.inc({
        result:
          post.httpStatus === null
            ? 'error'
            : `${Math.min(5, Math.max(1, Math.floor(post.httpStatus / 100)))}xx`,
      });
      this.callbackDuration.observe(post.latencyMs / 1000);
    }
  }

  /** The exposition text, in Prometheus's format. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    const [process, own] = await Promise.all([
      this.withProcessMetrics ? processMetrics().metrics() : Promise.resolve(''),
      this.registry.metrics(),
    ]);
    return { contentType: this.registry.contentType, body: process === '' ? own : `${process}\n${own}` };
  }
}

const LABEL_SAFE = /^[a-z0-9_.-]{1,40}$/i;

/** A label value from our own code or data: kept when short and plain, else `other`, so a surprise cannot multiply series. */
export function boundedLabel(value: string | null | undefined): string {
  if (value === null || value === undefined || value === '') return 'none';
  return LABEL_SAFE.test(value) ? value : 'other';
}

const OUTCOMES = new Set(['completed', 'failed', 'pending', 'refused']);

/** The state an operator answered (connector.ts outcomes), or `ok` for answers without one. */
function outcomeOf(outcome: unknown): string {
  const state =
    typeof outcome === 'object' && outcome !== null ? (outcome as { state?: unknown }).state : undefined;
  if (typeof state !== 'string') return 'ok';
  return OUTCOMES.has(state) ? state : 'other';
}

/** The exchange records' sinks, counting each finished exchange on the way (a metric never fails the record). */
export function measuredExchanges(sinks: ExchangeSinks, metrics: GatewayMetrics): ExchangeSinks {
  return {
    intent: (id, exchange) => sinks.intent(id, exchange),
    outcome(id, exchange) {
      try {
        metrics.observeOperatorExchange(exchange);
      } catch {
        // Counting is best effort; the record is what matters.
      }
      return sinks.outcome(id, exchange);
    },
  };
}
