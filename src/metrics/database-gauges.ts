import { Counter, Gauge, type Registry } from 'prom-client';
import type { Clock } from '../core/clock.js';
import type { Database, Tx } from '../store/database.js';
import {
  cappedCount,
  ledgerTotals,
  newestTransactionEventSeq,
  oldestCallbackDueMs,
  oldestPayoutDueMs,
  pendingPayoutCounts,
  transactionEventsBetween,
} from '../store/gauges.js';
import { METRIC_PREFIX, boundedLabel } from './metrics.js';

/**
 * The metrics that need the database, read when Prometheus scrapes (ADR 0020). Several Prometheus
 * servers scraping every 15 s must not load the database, so:
 * - one snapshot serves every scrape for SNAPSHOT_TTL_MS, and concurrent scrapes share one read;
 * - every query is bounded: counts stop at COUNT_CAP rows (read through an index), state changes
 *   are read at most EVENTS_PER_SNAPSHOT_MAX at a time from where the last snapshot stopped;
 * - the ledger check, which sums every account, runs at most once per LEDGER_CHECK_INTERVAL_MS;
 * - the reads run in the workers' bookkeeping lane (`separate`), beside the API's group commits.
 * A failed read leaves the previous values and counts `cauri_metrics_database_errors_total`.
 */
export const SNAPSHOT_TTL_MS = 10_000;
export const LEDGER_CHECK_INTERVAL_MS = 60_000;
export const COUNT_CAP = 10_000;
export const EVENTS_PER_SNAPSHOT_MAX = 5_000;

const SEPARATE = { separate: true } as const;

interface Snapshot {
  callbacks: { pending: number; delivering: number; oldestDueAgeSeconds: number };
  payouts: { byOperatorState: Map<string, number>; oldestDueAgeSeconds: number };
}

interface LedgerCheck {
  postedImbalanceXof: number;
  pendingImbalanceXof: number;
  overdrawnAccounts: number;
  atMs: number;
}

export class DatabaseGauges {
  private snapshot: Promise<Snapshot> | undefined;
  private snapshotAtMs = -Infinity;
  private last: Snapshot = {
    callbacks: { pending: 0, delivering: 0, oldestDueAgeSeconds: 0 },
    payouts: { byOperatorState: new Map(), oldestDueAgeSeconds: 0 },
  };
  private ledger: LedgerCheck | undefined;
  private ledgerRunning: Promise<void> | undefined;
  /** The last state change counted, and the newest one seen by the previous snapshot (see readEvents). */
  private eventsCursor: number | undefined;
  private eventsSeenMax = 0;
  private readonly events: Counter<'kind' | 'operator' | 'status'>;
  private readonly errors: Counter;
  private readonly ledgerChecks: Counter<'result'>;

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    registry: Registry,
    /** How long one snapshot serves scrapes (tests: 0, a read per scrape). */
    private readonly snapshotTtlMs: number = SNAPSHOT_TTL_MS,
    /** Milliseconds of the process's own monotonic clock, for the cache. */
    private readonly monotonicMs: () => number = () => performance.now(),
  ) {
    const registers = [registry];
    // The gauges' `collect` runs with `this` bound to the gauge; these reach the snapshot.
    const read = () => this.read();
    const checkLedger = () => this.checkLedger();
    this.errors = new Counter({
      name: `${METRIC_PREFIX}metrics_database_errors_total`,
      help: 'Scrape-time database reads that failed (the previous values are kept).',
      registers,
    });
    this.events = new Counter({
      name: `${METRIC_PREFIX}transaction_events_total`,
      help: 'State changes of payins and payouts committed to the database since this process started (every instance counts the whole database), by kind, operator and status.',
      labelNames: ['kind', 'operator', 'status'],
      registers,
    });
    this.ledgerChecks = new Counter({
      name: `${METRIC_PREFIX}ledger_checks_total`,
      help: 'Ledger invariant checks run, by result (ok, failed).',
      labelNames: ['result'],
      registers,
    });
    new Gauge({
      name: `${METRIC_PREFIX}callback_backlog`,
      help: `Callback events waiting (pending) or being delivered (delivering); counts stop at ${COUNT_CAP}.`,
      labelNames: ['state'],
      registers,
      async collect() {
        const s = await read();
        this.set({ state: 'pending' }, s.callbacks.pending);
        this.set({ state: 'delivering' }, s.callbacks.delivering);
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}callback_backlog_oldest_due_age_seconds`,
      help: 'How long the most overdue pending callback event has been due; 0 when none is.',
      registers,
      async collect() {
        this.set((await read()).callbacks.oldestDueAgeSeconds);
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}payouts_pending`,
      help: `Payouts whose operator transfer is not finished, by operator and dispatch state (queued, sent, review); counts stop at ${COUNT_CAP}.`,
      labelNames: ['operator', 'dispatch_state'],
      registers,
      async collect() {
        const s = await read();
        this.reset();
        for (const [key, count] of s.payouts.byOperatorState) {
          const [operator = 'none', state = 'none'] = key.split('\u0001');
          this.set({ operator, dispatch_state: state }, count);
        }
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}payouts_pending_oldest_due_age_seconds`,
      help: 'How long the most overdue queued or sent payout has been due for its dispatcher; 0 when none is.',
      registers,
      async collect() {
        this.set((await read()).payouts.oldestDueAgeSeconds);
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}ledger_imbalance_xof`,
      help: 'Debits minus credits over every account, posted and pending: 0 in a sound ledger.',
      labelNames: ['balance'],
      registers,
      async collect() {
        const check = await checkLedger();
        if (check === undefined) return;
        this.set({ balance: 'posted' }, check.postedImbalanceXof);
        this.set({ balance: 'pending' }, check.pendingImbalanceXof);
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}ledger_overdrawn_accounts`,
      help: 'Accounts that must not overdraw whose available balance is below zero: 0 in a sound ledger.',
      registers,
      async collect() {
        const check = await checkLedger();
        if (check !== undefined) this.set(check.overdrawnAccounts);
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}ledger_last_check_timestamp_seconds`,
      help: 'When the ledger check last ran (Unix time, the gateway clock).',
      registers,
      async collect() {
        const check = await checkLedger();
        if (check !== undefined) this.set(check.atMs / 1000);
      },
    });
  }

  /** The cached snapshot, read again once it is older than SNAPSHOT_TTL_MS. */
  read(): Promise<Snapshot> {
    const now = this.monotonicMs();
    if (this.snapshot === undefined || now - this.snapshotAtMs >= this.snapshotTtlMs) {
      this.snapshotAtMs = now;
      this.snapshot = this.db
        .command((tx) => this.readIn(tx), SEPARATE)
        .then(
          (snapshot) => (this.last = snapshot),
          () => {
            this.errors.inc();
            // The next scrape tries again rather than keep a failure for the whole TTL.
            this.snapshotAtMs = -Infinity;
            return this.last;
          },
        );
    }
    return this.snapshot;
  }

  private async readIn(tx: Tx): Promise<Snapshot> {
    const nowMs = this.clock.nowMs();
    const pending = await cappedCount(tx, 'outbox', 'status', ['pending'], COUNT_CAP);
    const delivering = await cappedCount(tx, 'outbox', 'status', ['delivering'], COUNT_CAP);
    // Minimums read the first entry of an index (outbox_due, payouts_dispatch).
    const oldestCallbackMs = await oldestCallbackDueMs(tx);
    const payouts = await pendingPayouts(tx);
    const oldestPayoutMs = await oldestPayoutDueMs(tx);
    await this.readEvents(tx);
    return {
      callbacks: { pending, delivering, oldestDueAgeSeconds: ageSeconds(nowMs, oldestCallbackMs) },
      payouts: { byOperatorState: payouts, oldestDueAgeSeconds: ageSeconds(nowMs, oldestPayoutMs) },
    };
  }

  /**
   * Counts the state changes committed since the last snapshot (transaction_events, by `seq`). The
   * first snapshot only notes where the history ends: the counter starts at zero, like any counter
   * of a new process. A snapshot reads no further than the newest change the previous one saw, so
   * that a change whose transaction was still open then (PostgreSQL hands out `seq` before commit)
   * is not skipped.
   */
  private async readEvents(tx: Tx): Promise<void> {
    const newestSeq = await newestTransactionEventSeq(tx);
    if (this.eventsCursor === undefined) {
      this.eventsCursor = newestSeq;
      this.eventsSeenMax = newestSeq;
      return;
    }
    const upTo = this.eventsSeenMax;
    this.eventsSeenMax = newestSeq;
    if (upTo <= this.eventsCursor) return;
    const rows = await transactionEventsBetween(tx, this.eventsCursor, upTo, EVENTS_PER_SNAPSHOT_MAX);
    for (const row of rows) {
      this.events.inc({
        kind: boundedLabel(row.subjectType),
        operator: boundedLabel(row.operatorId),
        status: boundedLabel(row.status),
      });
      this.eventsCursor = row.seq;
    }
    // Fewer than the bound: everything up to `upTo` is counted.
    if (rows.length < EVENTS_PER_SNAPSHOT_MAX) this.eventsCursor = upTo;
  }

  /** The ledger invariants (src/core/ledger.ts): every transfer balances, so debits equal credits over all accounts. */
  private async checkLedger(): Promise<LedgerCheck | undefined> {
    const due =
      this.ledger === undefined ||
      this.clock.nowMs() - this.ledger.atMs >= LEDGER_CHECK_INTERVAL_MS ||
      this.clock.nowMs() < this.ledger.atMs;
    if (due) {
      this.ledgerRunning ??= this.db
        .command((tx) => ledgerCheck(tx, this.clock.nowMs()), SEPARATE)
        .then(
          (check) => {
            this.ledger = check;
            this.ledgerChecks.inc({
              result:
                check.postedImbalanceXof === 0 &&
                check.pendingImbalanceXof === 0 &&
                check.overdrawnAccounts === 0
                  ? 'ok'
                  : 'failed',
            });
          },
          () => this.errors.inc(),
        )
        .finally(() => {
          this.ledgerRunning = undefined;
        });
      await this.ledgerRunning;
    }
    return this.ledger;
  }
}

/** Pending payouts by operator and dispatch state, read through the dispatch index and capped. */
async function pendingPayouts(tx: Tx): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const row of await pendingPayoutCounts(tx, COUNT_CAP))
    counts.set(`${boundedLabel(row.operatorId)}\u0001${boundedLabel(row.dispatchState)}`, row.count);
  return counts;
}

async function ledgerCheck(tx: Tx, nowMs: number): Promise<LedgerCheck> {
  return { ...(await ledgerTotals(tx)), atMs: nowMs };
}

function ageSeconds(nowMs: number, dueMs: number | null): number {
  if (dueMs === null) return 0;
  return Math.max(0, (nowMs - dueMs) / 1000);
}
