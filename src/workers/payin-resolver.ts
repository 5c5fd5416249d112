import type { WithConfig, WithConnector } from '../commands/context.js';
import { closeUnpaid } from '../commands/payin-cancel.js';
import { type SettleDeps, settlePayinByReference } from '../commands/payin-settle.js';
import { DISPATCH_ATTEMPTS_MAX } from '../core/payout.js';
import { settlePayout } from '../commands/payout-settle.js';
import { UNUSED_INVOICE_TTL_MS } from '../core/checkout.js';
import { type OperatorOutcome, withOperatorTimeout } from '../operators/connector.js';
import {
  type DuePayinQuery,
  claimDuePayinQueries,
  invoiceReferenceOf,
  lockPayin,
  renewPayinQueryLeases,
  unusedHostedPayinIds,
} from '../store/payins.js';
import { claimPayoutsForReview } from '../store/payouts.js';
import { LeaseKeeper } from './lease-keeper.js';
import { type LeaseOptions, renewPayoutLeases } from './payout-dispatcher.js';
import { Heartbeat, PASS_BUDGET_MS } from '../metrics/heartbeat.js';

/** Bookkeeping that locks no balance row runs beside the group commit (store/database.ts). */
const SEPARATE = { separate: true } as const;

/**
 * Resolves what stays pending past the deadline (`CAURI_PENDING_DEADLINE_SECONDS`, ADR 0007):
 *
 * - an operator payin whose request is still in flight: the operator is asked for the status of
 *   the same reference (with no transaction open) and the answer is settled; a pending answer is
 *   recorded as the payin's reason and asked again later, the wait doubling up to a day;
 * - a payment page on which nobody started to pay within the token's 24 hours: `notcompleted`;
 * - a payout the dispatcher parked for review: its operator is asked again, at most hourly.
 *
 * Work is claimed with a short lease (the due time moves a few seconds into the future), renewed
 * while the operator is being asked (lease-keeper.ts), so several processes can run the resolver on
 * one PostgreSQL database without asking twice, and a dead process's claims are taken over a lease
 * after its last renewal (ADR 0018).
 */
export const RESOLVE_BATCH_MAX = 50;

/** What the resolver needs: settling payins and payouts, and asking operators. */
export type ResolverDeps = SettleDeps &
  Parameters<typeof settlePayout>[0] &
  WithConnector &
  WithConfig<'operatorTimeoutMs' | 'pendingDeadlineMs'>;

export interface ResolverPass {
  queried: number;
  expired: number;
  payoutsRechecked: number;
}

export class PayinResolver {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private readonly payinLeases: LeaseKeeper;
  private readonly payoutLeases: LeaseKeeper;
  /** Beats after every pass, for `/ready` (ADR 0020); a pass waits on operators' status answers too. */
  readonly heartbeat: Heartbeat;

  constructor(
    private readonly deps: ResolverDeps,
    private readonly options: LeaseOptions,
    private readonly onError: (error: unknown) => void,
  ) {
    this.heartbeat = new Heartbeat(
      'resolver',
      options.intervalMs,
      PASS_BUDGET_MS + deps.config.operatorTimeoutMs,
    );
    const until = () => deps.clock.nowMs() + options.leaseMs;
    this.payinLeases = new LeaseKeeper(
      options.leaseMs,
      (ids) => deps.db.command((tx) => renewPayinQueryLeases(tx, ids, until()), SEPARATE),
      onError,
    );
    this.payoutLeases = new LeaseKeeper(
      options.leaseMs,
      (ids) =>
        deps.db.command(
          (tx) => renewPayoutLeases(tx, deps.db.dialect, ids, options.instanceId, until()),
          SEPARATE,
        ),
      onError,
    );
  }

  start(): void {
    this.heartbeat.start();
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.runOnce()
        .catch(this.onError)
        .finally(() => {
          this.running = undefined;
          this.heartbeat.beat();
        });
    }, this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.heartbeat.stop();
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** One pass over every kind of due work, for tests and the timer. */
  async runOnce(): Promise<ResolverPass> {
    const claimed = await this.claimPayins();
    this.payinLeases.hold(claimed.map((payin) => payin.payinId));
    await Promise.all(claimed.map((payin) => this.queryPayin(payin)));
    const expired = await this.expireUnusedPages();
    const payoutsRechecked = await this.recheckPayouts();
    return { queried: claimed.length, expired, payoutsRechecked };
  }

  private claimPayins(): Promise<DuePayinQuery[]> {
    const { deps } = this;
    return deps.db.command((tx) =>
      claimDuePayinQueries(tx, deps.db.dialect, {
        nowMs: deps.clock.nowMs(),
        leaseMs: this.options.leaseMs,
        limit: RESOLVE_BATCH_MAX,
      }),
    );
  }

  private async queryPayin(payin: DuePayinQuery): Promise<void> {
    const { deps } = this;
    const outcome = await this.ask(payin.reference, payin.operatorId, payin.operatorState);
    // No renewal may land after the settlement below.
    await this.payinLeases.release(payin.payinId);
    await deps.db.command((tx) => settlePayinByReference(deps, tx, payin.reference, outcome, payin.query));
  }

  private async ask(reference: string, operatorId: string, operatorState?: string): Promise<OperatorOutcome> {
    try {
      return await withOperatorTimeout(
        this.deps.connector.queryStatus(reference, operatorId, operatorState),
        this.deps.config.operatorTimeoutMs,
      );
    } catch (error) {
      this.onError(error);
      return { state: 'pending' };
    }
  }

  private expireUnusedPages(): Promise<number> {
    const { deps } = this;
    return deps.db.command(async (tx) => {
      const nowMs = deps.clock.nowMs();
      const payinIds = await unusedHostedPayinIds(tx, nowMs - UNUSED_INVOICE_TTL_MS, RESOLVE_BATCH_MAX);
      let expired = 0;
      for (const payinId of payinIds) {
        const payin = await lockPayin(tx, deps.db.dialect, payinId);
        const reference = await invoiceReferenceOf(tx, payinId);
        if (payin.status !== 'pending' || reference !== null) continue;
        await closeUnpaid(tx, payin, { code: 'page_expired' }, nowMs);
        expired++;
      }
      return expired;
    });
  }

  private async recheckPayouts(): Promise<number> {
    const { deps } = this;
    const claimed = await deps.db.command((tx) =>
      claimPayoutsForReview(tx, deps.db.dialect, {
        nowMs: deps.clock.nowMs(),
        leaseMs: this.options.leaseMs,
        instanceId: this.options.instanceId,
        limit: RESOLVE_BATCH_MAX,
      }),
    );
    this.payoutLeases.hold(claimed.map((payout) => payout.id));
    for (const payout of claimed) {
      const outcome = await this.ask(payout.id, payout.operator_id);
      await this.payoutLeases.release(payout.id);
      // Still pending keeps it in review with a fresh reason and the next query an hour later.
      await deps.db.command((tx) =>
        settlePayout(deps, tx, payout.id, outcome, DISPATCH_ATTEMPTS_MAX, this.options.instanceId),
      );
    }
    return claimed.length;
  }
}
