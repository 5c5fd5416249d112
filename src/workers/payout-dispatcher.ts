import type { WithClock, WithConfig, WithConnector, WithDb } from '../commands/context.js';
import { type SettleItem, settlePayouts } from '../commands/payout-settle.js';
import { DISPATCH_ATTEMPTS_MAX, retryDelayMs } from '../core/payout.js';
import { type OperatorOutcome, withOperatorTimeout } from '../operators/connector.js';
import { type DuePayout, findDuePayouts, markPayoutsSent, renewPayoutLeases } from '../store/payouts.js';
import { LeaseKeeper } from './lease-keeper.js';
import { PassLoop } from './pass-loop.js';
import { Heartbeat } from '../metrics/heartbeat.js';
import { OperatorHealthGate, deferPayouts } from './operator-health.js';

/** Bookkeeping that locks no balance row runs beside the group commit (store/database.ts). */
const SEPARATE = { separate: true } as const;
/**
 * A settlement locks its own payouts' rows and reaches balance rows through the ledger alone: on
 * PostgreSQL it runs in a wave beside the API's payouts instead of between them (ADR 0019). The
 * same payout settled twice in one wave is stopped by the unique index on the hold's resolution.
 */
const SETTLE = { concurrent: true } as const;

/**
 * Sends pending payouts on to their operator. Each pass claims due payouts in one transaction
 * (a lease: `dispatch_after_ms` moves a few seconds into the future and `dispatch_owner` names this
 * instance, so another process skips them), calls the operator with no transaction open, and
 * settles each outcome in a transaction of its own. While the call is in flight the lease is
 * renewed (lease-keeper.ts), so only a dead holder's payouts are claimed again, a lease after its
 * last renewal (ADR 0018). A crash between the call and the settlement leaves the payout claimed;
 * when the lease runs out it is claimed again and the operator is asked for the status of the same
 * reference before any re-send, so it is not paid twice.
 */
export const DISPATCH_BATCH_MAX = 16;
/**
 * Outcomes settled in one command. Claims stay small (a claim's payouts are called and recorded in
 * one burst of work, which delays the API requests around it: merchant payouts' p99 went from ~60
 * to ~40 ms when claims went from 50 to 16 in `npm run bench -- --pg`), while settlements gather
 * what has come back meanwhile.
 */
export const SETTLE_BATCH_MAX = 64;
/**
 * Payouts whose operator call may be in flight at once in one process. Passes do not wait for the
 * slowest call of the previous batch (up to `CAURI_OPERATOR_TIMEOUT_MS`) before claiming more, so a
 * dead instance's payouts are taken over a lease after its death, not a lease plus a slow call.
 */
export const DISPATCH_INFLIGHT_MAX = 200;

export interface LeaseOptions {
  /** How often a pass runs without being kicked, in ms. */
  intervalMs: number;
  /** How long a claim lasts without renewal (`CAURI_DISPATCH_LEASE_SECONDS`). */
  leaseMs: number;
  /** This instance's name on the leases it holds. */
  instanceId: string;
}

/** The lease renewal, in the store; the payin resolver renews its payouts' leases with it too. */
export { renewPayoutLeases };

/** A claimed payout: due, and now leased to this instance. */
type Claimed = DuePayout;

/** What the dispatcher needs: the store, the clock, the operator timeout and the connector. */
export type DispatcherDeps = WithDb & WithClock & WithConfig<'operatorTimeoutMs'> & WithConnector;

export class PayoutDispatcher {
  // A dispatcher that was never started (tests, `startWorkers: false`) runs only through `runOnce`.
  private readonly passes: PassLoop;
  private readonly leases: LeaseKeeper;
  /** Beats after every pass, for `/ready` (ADR 0020). */
  readonly heartbeat: Heartbeat;
  /** Operator availability (ADR 0026); public so that tests can make it look again. */
  readonly health: OperatorHealthGate;

  constructor(
    private readonly deps: DispatcherDeps,
    private readonly options: LeaseOptions,
    private readonly onError: (error: unknown) => void,
  ) {
    // The probe's lease covers the call and its settlement; another instance may probe after it.
    this.health = new OperatorHealthGate(
      deps.config.operatorTimeoutMs,
      options.leaseMs + deps.config.operatorTimeoutMs,
    );
    this.heartbeat = new Heartbeat('payouts', options.intervalMs);
    this.passes = new PassLoop(options.intervalMs, this.heartbeat, () => this.pass(), onError);
    this.leases = new LeaseKeeper(
      options.leaseMs,
      (ids) =>
        deps.db.command(
          (tx) =>
            renewPayoutLeases(
              tx,
              deps.db.dialect,
              ids,
              options.instanceId,
              deps.clock.nowMs() + options.leaseMs,
            ),
          SEPARATE,
        ),
      onError,
    );
  }

  start(): void {
    this.passes.start();
  }

  /** Runs a pass now, or right after the current one. */
  kick(): void {
    this.passes.kick();
  }

  async stop(): Promise<void> {
    await this.passes.stop();
    await Promise.all(this.inFlight);
  }

  /** One pass, for tests and the CLI: returns how many payouts it handled. */
  async runOnce(): Promise<number> {
    const claimed = await this.claim(DISPATCH_BATCH_MAX);
    this.leases.hold(claimed.map((payout) => payout.id));
    await Promise.all(claimed.map((payout) => this.process(payout)));
    return claimed.length;
  }

  private readonly inFlight = new Set<Promise<void>>();

  /** Claims batches while there is room in flight; each payout settles on its own and makes room. */
  private async pass(): Promise<void> {
    try {
      for (
        let room = DISPATCH_INFLIGHT_MAX - this.inFlight.size;
        room > 0 && !this.passes.stopped;
        room = DISPATCH_INFLIGHT_MAX - this.inFlight.size
      ) {
        const claimed = await this.claim(Math.min(room, DISPATCH_BATCH_MAX));
        this.leases.hold(claimed.map((payout) => payout.id));
        for (const payout of claimed) {
          const done: Promise<void> = this.process(payout)
            .catch(this.onError)
            .finally(() => {
              this.inFlight.delete(done);
              this.kick();
            });
          this.inFlight.add(done);
        }
        if (claimed.length < DISPATCH_BATCH_MAX) break;
      }
    } catch (error) {
      // A failed claim is reported and the pass still counts: the dispatcher is alive, and tries again.
      this.onError(error);
    }
  }

  /**
   * Claims due payouts that their operator may receive now (ADR 0026). The decision reads only
   * verdicts held in memory; when some are missing or stale, the claim is given up, they are read
   * in commands of their own (a record of calls that cannot be read must not stop a payout), and
   * the claim runs again.
   */
  private async claim(limit: number): Promise<Claimed[]> {
    for (let round = 0; ; round++) {
      const claimed = await this.claimOnce(limit);
      if (Array.isArray(claimed)) return claimed;
      await this.health.refresh(this.deps.db, claimed.missing, this.deps.clock.nowMs());
      if (round >= 2) return [];
    }
  }

  private claimOnce(limit: number): Promise<Claimed[] | { missing: string[] }> {
    const { deps, options } = this;
    return deps.db.command(async (tx) => {
      const nowMs = deps.clock.nowMs();
      const due = await findDuePayouts(tx, deps.db.dialect, {
        nowMs,
        limit,
        heldOperatorIds: this.health.heldOperators(nowMs),
      });
      if (due.length === 0) return [];
      // Whether each operator may be called now (ADR 0026): the others' payouts stay pending, deferred.
      const gate = this.health.decide(
        due.map((r) => ({ id: r.id, operatorId: r.operatorId })),
        nowMs,
      );
      if (!('send' in gate)) return { missing: gate.missing };
      await deferPayouts(tx, gate.deferrals, nowMs);
      const rows = due.filter((r) => gate.send.has(r.id));
      if (rows.length === 0) return [];
      await markPayoutsSent(
        tx,
        rows.map((r) => r.id),
        { leaseUntilMs: nowMs + options.leaseMs, owner: options.instanceId },
      );
      return rows;
    }, SEPARATE);
  }

  private async process(payout: Claimed): Promise<void> {
    const { deps } = this;
    let outcome: OperatorOutcome;
    try {
      outcome = await withOperatorTimeout(this.callOperator(payout), deps.config.operatorTimeoutMs);
    } catch (error) {
      this.onError(error);
      outcome = { state: 'pending' };
    } finally {
      // No renewal may land after the settlement below.
      await this.leases.release(payout.id);
    }
    const attempts = payout.attempts + 1;
    await this.settle({ payoutId: payout.id, outcome, attempts, holder: this.options.instanceId });
    if (outcome.state === 'pending' && attempts < DISPATCH_ATTEMPTS_MAX)
      this.scheduleRecheck(retryDelayMs(attempts));
  }

  /** Outcomes waiting for the next settlement command, and whether one is running. */
  private readonly settling: Array<SettleItem & { done: (error?: unknown) => void }> = [];
  private settlingNow = false;

  /**
   * Settles an outcome together with the others that arrived meanwhile: one command for many
   * payouts (ADR 0019). Should that command fail, each outcome is settled alone, so that one
   * payout's problem is its own.
   */
  private settle(item: SettleItem): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.settling.push({
        ...item,
        done: (error?: unknown) => (error === undefined ? resolve() : reject(error as Error)),
      });
      if (!this.settlingNow) void this.settleQueued();
    });
  }

  private async settleQueued(): Promise<void> {
    const { deps } = this;
    this.settlingNow = true;
    try {
      while (this.settling.length > 0) {
        const batch = this.settling.splice(0, SETTLE_BATCH_MAX);
        try {
          await deps.db.command((tx) => settlePayouts(deps, tx, batch), SETTLE);
          for (const item of batch) item.done();
        } catch {
          for (const item of batch) {
            try {
              await deps.db.command((tx) => settlePayouts(deps, tx, [item]), SETTLE);
              item.done();
            } catch (error) {
              item.done(error ?? new Error('settlement failed'));
            }
          }
        }
      }
    } finally {
      this.settlingNow = false;
    }
  }

  private async callOperator(payout: Claimed): Promise<OperatorOutcome> {
    const { connector } = this.deps;
    if (payout.attempts > 0) {
      const status = await connector.queryStatus(payout.id, payout.operatorId);
      if (status.state !== 'pending') return status;
    }
    return connector.requestCredit({
      reference: payout.id,
      operatorId: payout.operatorId,
      phone: payout.phone,
      amountXof: payout.amountXof,
    });
  }

  private scheduleRecheck(delayMs: number): void {
    setTimeout(() => this.kick(), delayMs).unref();
  }
}
