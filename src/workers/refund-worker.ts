import type { WithClock, WithConfig, WithConnector, WithDb } from '../commands/context.js';
import { Heartbeat, PASS_BUDGET_MS } from '../metrics/heartbeat.js';
import { PassLoop } from './pass-loop.js';
import { settleRefund } from '../commands/refund-settle.js';
import type { RefundMethod } from '../core/refunds.js';
import { type OperatorOutcome, type RefundRequest, withOperatorTimeout } from '../operators/connector.js';
import { findDueRefunds, markRefundsSent } from '../store/refunds.js';
import type { LeaseOptions } from './payout-dispatcher.js';

/** Bookkeeping that locks no balance row runs beside the group commit (store/database.ts). */
const SEPARATE = { separate: true } as const;

/**
 * Sends the operator leg of refunds (ADR 0024), the way the payout dispatcher sends payouts: each
 * pass claims due refunds in one transaction (a lease: `dispatch_after_ms` moves a lease into the
 * future and `dispatch_owner` names this instance, so another process skips them), calls the
 * operator with no transaction open, and settles each outcome in a command of its own. The refund's
 * reference is fixed at creation; a refund claimed again (its previous call may have reached the
 * operator before a crash or timeout) is first asked about, and sent again only when the operator
 * does not know it. Refunds are rare next to payouts, so there is no lease renewal: the lease is
 * longer than the operator timeout, and a call that outlives it is asked about before any re-send.
 */
export const REFUND_BATCH_MAX = 20;

/** What the worker needs: the store, the clock, the operator timeout and the connector. */
export type RefundWorkerDeps = WithDb & WithClock & WithConfig<'operatorTimeoutMs'> & WithConnector;

interface Claimed {
  id: string;
  method: RefundMethod;
  request: RefundRequest;
  attempts: number;
}

export class RefundWorker {
  /** For `/ready` (ADR 0020): beats after every pass. */
  readonly heartbeat: Heartbeat;
  private readonly passes: PassLoop;

  constructor(
    private readonly deps: RefundWorkerDeps,
    private readonly options: LeaseOptions,
    private readonly onError: (error: unknown) => void,
  ) {
    this.heartbeat = new Heartbeat(
      'refunds',
      options.intervalMs,
      PASS_BUDGET_MS + deps.config.operatorTimeoutMs,
    );
    this.passes = new PassLoop(options.intervalMs, this.heartbeat, () => this.pass(), onError);
  }

  start(): void {
    this.passes.start();
  }

  /** Runs a pass now, or right after the current one. */
  kick(): void {
    this.passes.kick();
  }

  stop(): Promise<void> {
    return this.passes.stop();
  }

  /** One pass, for tests: returns how many refunds it handled. */
  async runOnce(): Promise<number> {
    const claimed = await this.claim();
    await Promise.all(claimed.map((refund) => this.process(refund)));
    return claimed.length;
  }

  /** Claims full batches until a claim comes back short. */
  private async pass(): Promise<void> {
    while (!this.passes.stopped && (await this.runOnce()) === REFUND_BATCH_MAX);
  }

  private claim(): Promise<Claimed[]> {
    const { deps, options } = this;
    return deps.db.command(async (tx) => {
      const nowMs = deps.clock.nowMs();
      // The lease outlasts the operator call, whose timeout bounds it.
      const leaseMs = Math.max(options.leaseMs, deps.config.operatorTimeoutMs * 2);
      const rows = await findDueRefunds(tx, deps.db.dialect, { nowMs, limit: REFUND_BATCH_MAX });
      if (rows.length === 0) return [];
      await markRefundsSent(
        tx,
        rows.map((r) => r.id),
        { leaseUntilMs: nowMs + leaseMs, owner: options.instanceId },
      );
      return rows.map((r) => ({
        id: r.id,
        method: r.method,
        attempts: r.attempts,
        request: {
          reference: r.reference,
          operatorId: r.operatorId,
          phone: r.phone,
          amountXof: r.amountXof,
          payinReference: r.payinReference,
          payinAmountXof: r.payinAmountXof,
        },
      }));
    }, SEPARATE);
  }

  private async process(refund: Claimed): Promise<void> {
    const { deps } = this;
    let outcome: OperatorOutcome;
    try {
      outcome = await withOperatorTimeout(this.callOperator(refund), deps.config.operatorTimeoutMs);
    } catch (error) {
      this.onError(error);
      outcome = { state: 'pending' };
    }
    const attempts = refund.attempts + 1;
    await deps.db.command((tx) =>
      settleRefund(deps, tx, refund.id, outcome, attempts, this.options.instanceId),
    );
  }

  /** The status of the fixed reference first when an earlier call may have reached the operator; a send only when unknown. */
  private async callOperator(refund: Claimed): Promise<OperatorOutcome> {
    const { connector } = this.deps;
    const { request } = refund;
    if (refund.method === 'payout') {
      if (refund.attempts > 0) {
        const status = await connector.queryStatus(request.reference, request.operatorId);
        if (status.state !== 'pending') return status;
      }
      return connector.requestCredit({
        reference: request.reference,
        operatorId: request.operatorId,
        phone: request.phone,
        amountXof: request.amountXof,
      });
    }
    // A connector removed from the configuration since: unknown, never failed (the refund may have gone).
    if (connector.refund === undefined) return { state: 'pending' };
    if (refund.attempts > 0 && connector.queryRefund !== undefined) {
      const status = await connector.queryRefund(request);
      if (status.state !== 'pending') return status;
    }
    return connector.refund(request);
  }
}
