import type { Gateway } from '../commands/context.js';
import { closeUnpaid, lockPayin, settlePayinByReference } from '../commands/payin-operator.js';
import { DISPATCH_ATTEMPTS_MAX, settlePayout } from '../commands/payout-settle.js';
import { UNUSED_INVOICE_TTL_MS } from '../core/checkout.js';
import { type OperatorOutcome, withOperatorTimeout } from '../operators/connector.js';
import type { Tx } from '../store/database.js';
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

/** Extends the leases of claimed payin queries whose payin is still pending by one lease from now. */
async function renewPayinLeases(tx: Tx, payinIds: readonly string[], untilMs: number): Promise<number> {
  if (payinIds.length === 0) return 0;
  const ids = [...payinIds];
  const result = await tx
    .updateTable('invoices')
    .set({ resolve_after_ms: untilMs })
    .where('payin_id', 'in', ids)
    .where('payin_id', 'in', (eb) =>
      eb.selectFrom('payins').select('id').where('id', 'in', ids).where('status', '=', 'pending'),
    )
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

interface ClaimedPayin {
  payinId: string;
  reference: string;
  operatorId: string;
  query: number;
  /** What the connector keeps to ask about the attempt (connector.ts, operatorState). */
  operatorState: string | undefined;
}

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
    private readonly gw: Gateway,
    private readonly options: LeaseOptions,
    private readonly onError: (error: unknown) => void,
  ) {
    this.heartbeat = new Heartbeat(
      'resolver',
      options.intervalMs,
      PASS_BUDGET_MS + gw.config.operatorTimeoutMs,
    );
    const until = () => gw.clock.nowMs() + options.leaseMs;
    this.payinLeases = new LeaseKeeper(
      options.leaseMs,
      (ids) => gw.db.command((tx) => renewPayinLeases(tx, ids, until()), SEPARATE),
      onError,
    );
    this.payoutLeases = new LeaseKeeper(
      options.leaseMs,
      (ids) =>
        gw.db.command(
          (tx) => renewPayoutLeases(tx, gw.db.dialect, ids, options.instanceId, until()),
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

  private claimPayins(): Promise<ClaimedPayin[]> {
    const { gw } = this;
    return gw.db.command(async (tx) => {
      const nowMs = gw.clock.nowMs();
      let query = tx
        .selectFrom('invoices')
        .innerJoin('payins', 'payins.id', 'invoices.payin_id')
        .select([
          'invoices.payin_id',
          'invoices.reference',
          'invoices.resolve_attempts',
          'invoices.operator_state',
          'payins.operator_id',
        ])
        .where('payins.status', '=', 'pending')
        .where('invoices.reference', 'is not', null)
        .where('invoices.resolve_after_ms', '<=', nowMs)
        .orderBy('invoices.resolve_after_ms')
        .limit(RESOLVE_BATCH_MAX);
      if (gw.db.dialect === 'postgres') query = query.forUpdate().skipLocked();
      const rows = await query.execute();
      if (rows.length === 0) return [];
      await tx
        .updateTable('invoices')
        .set({ resolve_after_ms: nowMs + this.options.leaseMs })
        .where(
          'payin_id',
          'in',
          rows.map((row) => row.payin_id),
        )
        .execute();
      return rows.flatMap((row) =>
        row.reference !== null && row.operator_id !== null
          ? [
              {
                payinId: row.payin_id,
                reference: row.reference,
                operatorId: row.operator_id,
                query: row.resolve_attempts + 1,
                operatorState: row.operator_state ?? undefined,
              },
            ]
          : [],
      );
    });
  }

  private async queryPayin(payin: ClaimedPayin): Promise<void> {
    const { gw } = this;
    const outcome = await this.ask(payin.reference, payin.operatorId, payin.operatorState);
    // No renewal may land after the settlement below.
    await this.payinLeases.release(payin.payinId);
    await gw.db.command((tx) => settlePayinByReference(gw, tx, payin.reference, outcome, payin.query));
  }

  private async ask(reference: string, operatorId: string, operatorState?: string): Promise<OperatorOutcome> {
    try {
      return await withOperatorTimeout(
        this.gw.connector.queryStatus(reference, operatorId, operatorState),
        this.gw.config.operatorTimeoutMs,
      );
    } catch (error) {
      this.onError(error);
      return { state: 'pending' };
    }
  }

  private expireUnusedPages(): Promise<number> {
    const { gw } = this;
    return gw.db.command(async (tx) => {
      const nowMs = gw.clock.nowMs();
      const rows = await tx
        .selectFrom('payins')
        .innerJoin('invoices', 'invoices.payin_id', 'payins.id')
        .select('payins.id')
        .where('payins.status', '=', 'pending')
        .where('payins.kind', '=', 'hosted')
        .where('invoices.reference', 'is', null)
        .where('payins.created_at_ms', '<=', nowMs - UNUSED_INVOICE_TTL_MS)
        .limit(RESOLVE_BATCH_MAX)
        .execute();
      let expired = 0;
      for (const row of rows) {
        const payin = await lockPayin(tx, gw.db, row.id);
        const invoice = await tx
          .selectFrom('invoices')
          .select('reference')
          .where('payin_id', '=', row.id)
          .executeTakeFirstOrThrow();
        if (payin.status !== 'pending' || invoice.reference !== null) continue;
        await closeUnpaid(tx, payin, 'payment page expired unused after 24 hours', nowMs);
        expired++;
      }
      return expired;
    });
  }

  private async recheckPayouts(): Promise<number> {
    const { gw } = this;
    const claimed = await gw.db.command(async (tx) => {
      const nowMs = gw.clock.nowMs();
      let query = tx
        .selectFrom('payouts')
        .select(['id', 'operator_id'])
        .where('status', '=', 'pending')
        .where('dispatch_state', '=', 'review')
        .where('dispatch_after_ms', '<=', nowMs)
        .orderBy('dispatch_after_ms')
        .limit(RESOLVE_BATCH_MAX);
      if (gw.db.dialect === 'postgres') query = query.forUpdate().skipLocked();
      const rows = await query.execute();
      if (rows.length > 0) {
        await tx
          .updateTable('payouts')
          .set({ dispatch_after_ms: nowMs + this.options.leaseMs, dispatch_owner: this.options.instanceId })
          .where(
            'id',
            'in',
            rows.map((row) => row.id),
          )
          .execute();
      }
      return rows;
    });
    this.payoutLeases.hold(claimed.map((payout) => payout.id));
    for (const payout of claimed) {
      const outcome = await this.ask(payout.id, payout.operator_id);
      await this.payoutLeases.release(payout.id);
      // Still pending keeps it in review with a fresh reason and the next query an hour later.
      await gw.db.command((tx) =>
        settlePayout(gw, tx, payout.id, outcome, DISPATCH_ATTEMPTS_MAX, this.options.instanceId),
      );
    }
    return claimed.length;
  }
}
