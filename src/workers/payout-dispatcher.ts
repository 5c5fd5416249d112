import type { Gateway } from '../commands/context.js';
import { DISPATCH_ATTEMPTS_MAX, retryDelayMs, settlePayout } from '../commands/payout-settle.js';
import { type OperatorOutcome, withOperatorTimeout } from '../operators/connector.js';
import type { Xof } from '../core/money.js';

/**
 * Sends pending payouts on to their operator. Each pass claims due payouts in one transaction
 * (a lease: `dispatch_after_ms` moves into the future, so another process skips them), calls the
 * operator with no transaction open, and settles each outcome in a transaction of its own. A crash
 * between the call and the settlement leaves the payout claimed; when the lease runs out it is
 * claimed again and the operator is asked for the status of the same reference, not paid twice.
 */
export const DISPATCH_BATCH_MAX = 50;

interface Claimed {
  id: string;
  operatorId: string;
  phone: string;
  amountXof: Xof;
  attempts: number;
}

export class PayoutDispatcher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  // A dispatcher that was never started (tests, `startWorkers: false`) runs only through `runOnce`.
  private stopped = true;

  constructor(
    private readonly gw: Gateway,
    private readonly intervalMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => this.kick(), this.intervalMs);
    this.timer.unref();
    this.kick();
  }

  /** Runs a pass now, or right after the current one. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = undefined;
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** One pass, for tests and the CLI: returns how many payouts it handled. */
  async runOnce(): Promise<number> {
    const claimed = await this.claim();
    await Promise.all(claimed.map((payout) => this.process(payout)));
    return claimed.length;
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      try {
        while ((await this.runOnce()) === DISPATCH_BATCH_MAX && !this.stopped);
      } catch (error) {
        this.onError(error);
      }
    } while (this.again && !this.stopped);
  }

  private claim(): Promise<Claimed[]> {
    const { gw } = this;
    return gw.db.command(async (tx) => {
      const nowMs = gw.clock.nowMs();
      let query = tx
        .selectFrom('payouts')
        .select(['id', 'operator_id', 'customer', 'amount_xof', 'dispatch_attempts'])
        .where('dispatch_state', 'in', ['queued', 'sent'])
        .where('dispatch_after_ms', '<=', nowMs)
        .orderBy('dispatch_after_ms')
        .limit(DISPATCH_BATCH_MAX);
      if (gw.db.dialect === 'postgres') query = query.forUpdate().skipLocked();
      const rows = await query.execute();
      if (rows.length === 0) return [];
      await tx
        .updateTable('payouts')
        .set((eb) => ({ dispatch_state: 'sent', dispatch_after_ms: nowMs + gw.config.dispatchLeaseMs, dispatch_attempts: eb('dispatch_attempts', '+', 1) }))
        .where(
          'id',
          'in',
          rows.map((r) => r.id),
        )
        .execute();
      return rows.map((r) => ({ id: r.id, operatorId: r.operator_id, phone: r.customer, amountXof: Number(r.amount_xof) as Xof, attempts: r.dispatch_attempts }));
    });
  }

  private async process(payout: Claimed): Promise<void> {
    const { gw } = this;
    let outcome: OperatorOutcome;
    try {
      outcome = await withOperatorTimeout(this.callOperator(payout), gw.config.operatorTimeoutMs);
    } catch (error) {
      this.onError(error);
      outcome = { state: 'pending' };
    }
    const attempts = payout.attempts + 1;
    await gw.db.command((tx) => settlePayout(gw, tx, payout.id, outcome, attempts));
    if (outcome.state === 'pending' && attempts < DISPATCH_ATTEMPTS_MAX) this.scheduleRecheck(retryDelayMs(attempts));
  }

  private async callOperator(payout: Claimed): Promise<OperatorOutcome> {
    const { connector } = this.gw;
    if (payout.attempts > 0) {
      const status = await connector.queryStatus(payout.id, payout.operatorId);
      if (status.state !== 'pending') return status;
    }
    return connector.requestCredit({ reference: payout.id, operatorId: payout.operatorId, phone: payout.phone, amountXof: payout.amountXof });
  }

  private scheduleRecheck(delayMs: number): void {
    setTimeout(() => this.kick(), delayMs).unref();
  }
}

