import { createHash, timingSafeEqual } from 'node:crypto';
import { Gauge } from 'prom-client';
import type { Clock } from '../core/clock.js';
import { classifyIp } from '../core/ip-ranges.js';
import type { Database } from '../store/database.js';
import { appliedMigrationNames, probeRead, probeWrite } from '../store/gauges.js';
import { MIGRATION_NAMES } from '../store/migrations.js';
import { DatabaseGauges } from './database-gauges.js';
import type { Heartbeat } from './heartbeat.js';
import { GatewayMetrics, METRIC_PREFIX } from './metrics.js';

/**
 * What the operations endpoints need (ADR 0020): the metrics, the workers' heartbeats, and the
 * readiness checks. One per gateway, on `Gateway.ops`.
 */
export interface OperationsOptions {
  mode: 'sandbox' | 'production';
  /** `CAURI_METRICS_TOKEN`: when set, `/metrics` wants `Authorization: Bearer <token>`. */
  metricsToken?: string | undefined;
  version?: string;
  /** Node's process metrics (`process_*`, `nodejs_*`); tests that start many gateways may skip them. */
  defaultMetrics?: boolean;
  /** How long one database snapshot serves scrapes (database-gauges.ts; tests: 0). */
  metricsCacheMs?: number;
}

/** How long one readiness check may take before it counts as failed. */
export const READY_CHECK_TIMEOUT_MS = 2_000;

export interface Check {
  ok: boolean;
  detail: string;
}

export interface Readiness {
  ready: boolean;
  checks: Record<string, Check>;
}

export type MetricsAccess = 'allowed' | 'unauthorized' | 'hidden';

export class Operations {
  readonly metrics: GatewayMetrics;
  private readonly heartbeats: Heartbeat[] = [];
  private readiness: Promise<Readiness> | undefined;
  private readonly tokenDigest: Buffer | undefined;

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly options: OperationsOptions,
  ) {
    this.metrics = new GatewayMetrics(
      { mode: options.mode, dialect: db.dialect, version: options.version ?? 'unknown' },
      { defaultMetrics: options.defaultMetrics ?? true },
    );
    this.tokenDigest = options.metricsToken !== undefined ? digest(options.metricsToken) : undefined;
    new DatabaseGauges(db, clock, this.metrics.registry, options.metricsCacheMs);
    const heartbeats = this.heartbeats;
    new Gauge({
      name: `${METRIC_PREFIX}worker_up`,
      help: 'Whether each worker loop of this process is alive (1) or stopped or stalled (0), as /ready sees it.',
      labelNames: ['worker'],
      registers: [this.metrics.registry],
      collect() {
        for (const heartbeat of heartbeats)
          this.set({ worker: heartbeat.name }, heartbeat.state().alive ? 1 : 0);
      },
    });
    registerStoreGauges(db, this.metrics);
  }

  /** Adds a worker whose heartbeat `/ready` checks. */
  watch(heartbeat: Heartbeat): void {
    this.heartbeats.push(heartbeat);
  }

  /**
   * Who may read `/metrics`: with a token configured, whoever sends it; without one, anyone in the
   * sandbox, and in production only clients on loopback or private networks (where Prometheus
   * runs beside the gateway), so that a gateway on the internet does not publish its volumes.
   */
  metricsAccess(clientIp: string, authorization: string | undefined): MetricsAccess {
    if (this.tokenDigest !== undefined) {
      const match = /^Bearer (.+)$/.exec(authorization ?? '');
      return match?.[1] !== undefined && timingSafeEqual(digest(match[1]), this.tokenDigest)
        ? 'allowed'
        : 'unauthorized';
    }
    if (this.options.mode === 'sandbox') return 'allowed';
    const kind = classifyIp(clientIp);
    return kind === 'loopback' || kind === 'private' ? 'allowed' : 'hidden';
  }

  /** The readiness checks; concurrent probes share one run. */
  ready(): Promise<Readiness> {
    this.readiness ??= this.runChecks().finally(() => {
      this.readiness = undefined;
    });
    return this.readiness;
  }

  private async runChecks(): Promise<Readiness> {
    const db = this.db;
    const [read, write, migrations] = await Promise.all([
      bounded(
        db.command(async (tx) => {
          await probeRead(tx);
          return 'ok';
        }),
      ),
      // A tiny write in a command of its own: the database takes writes (not read-only, not full, not locked out).
      bounded(
        db.command(async (tx) => {
          await probeWrite(tx, String(this.clock.nowMs()));
          return 'ok';
        }),
      ),
      bounded(db.command((tx) => appliedMigrationNames(tx)).then((names) => migrationState(names))),
    ]);
    const checks: Record<string, Check> = { database_read: read, database_write: write, migrations };
    for (const heartbeat of this.heartbeats) {
      const state = heartbeat.state();
      checks[`worker_${heartbeat.name}`] = { ok: state.alive, detail: state.detail };
    }
    return { ready: Object.values(checks).every((check) => check.ok), checks };
  }
}

/** Whether the applied migrations are exactly the code's. */
function migrationState(applied: readonly string[]): string {
  const done = new Set(applied);
  const missing = MIGRATION_NAMES.filter((name) => !done.has(name));
  if (missing.length > 0) throw new Error(`not applied: ${missing.join(', ')}`);
  const known = new Set(MIGRATION_NAMES);
  const unknown = applied.filter((name) => !known.has(name));
  if (unknown.length > 0)
    throw new Error(
      `the database has migrations this version does not know (a newer version ran): ${unknown.slice(0, 5).join(', ')}`,
    );
  return `${applied.length} applied`;
}

/** A check's promise, as a result within READY_CHECK_TIMEOUT_MS. */
async function bounded(work: Promise<string>): Promise<Check> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Check>((resolve) => {
    timer = setTimeout(
      () => resolve({ ok: false, detail: `no answer within ${READY_CHECK_TIMEOUT_MS} ms` }),
      READY_CHECK_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([
      work.then(
        (detail): Check => ({ ok: true, detail }),
        (error: unknown): Check => ({
          ok: false,
          detail:
            (error instanceof Error ? error.message : String(error)).split('\n')[0]?.slice(0, 200) ??
            'failed',
        }),
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * The store's connection use. The stores keep their pool and queues private (store/database.ts);
 * they are read here by name, without changing the store: test/metrics.test.ts fails if a rename
 * makes them vanish.
 */
interface StoreInternals {
  pool?: { totalCount: number; idleCount: number; waitingCount: number };
  queue?: unknown[];
  main?: { queue: unknown[] };
  side?: { queue: unknown[] };
}

function registerStoreGauges(db: Database, metrics: GatewayMetrics): void {
  const store = db as unknown as StoreInternals;
  const registers = [metrics.registry];
  new Gauge({
    name: `${METRIC_PREFIX}db_pool_connections`,
    help: 'PostgreSQL pool connections: open (total), idle, and callers waiting for one (waiting).',
    labelNames: ['state'],
    registers,
    collect() {
      const pool = store.pool;
      if (pool === undefined) return;
      this.set({ state: 'total' }, pool.totalCount);
      this.set({ state: 'idle' }, pool.idleCount);
      this.set({ state: 'waiting' }, pool.waitingCount);
    },
  });
  new Gauge({
    name: `${METRIC_PREFIX}db_commands_queued`,
    help: 'Commands waiting for their group commit, by lane (api; bookkeeping, PostgreSQL only).',
    labelNames: ['lane'],
    registers,
    collect() {
      if (store.queue !== undefined) this.set({ lane: 'api' }, store.queue.length);
      if (store.main !== undefined) this.set({ lane: 'api' }, store.main.queue.length);
      if (store.side !== undefined) this.set({ lane: 'bookkeeping' }, store.side.queue.length);
    },
  });
}
