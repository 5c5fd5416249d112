import { afterEach, describe, expect, it } from 'vitest';
import type { CreditRequest, OperatorConnector, OperatorOutcome } from '../src/operators/connector.js';
import { BACKENDS, type TestGateway, payoutBody, startTestGateway } from './harness.js';

/**
 * ADR 0018: a payout whose operator call outlasts the lease stays with its live holder, because the
 * holder renews the lease while the call is in flight; once the holder stops renewing (it died), the
 * payout can be claimed again after one lease.
 */
const LEASE_MS = 1_000;
const PHONE = '22670111111';

class SlowConnector implements OperatorConnector {
  credits = 0;
  release: (() => void) | undefined;
  async requestCredit(_request: CreditRequest): Promise<OperatorOutcome> {
    this.credits++;
    await new Promise<void>((resolve) => (this.release = resolve));
    return { state: 'completed', operatorReference: 'OP1' };
  }
  queryStatus(): Promise<OperatorOutcome> {
    return Promise.resolve({ state: 'pending' });
  }
}

describe.each(BACKENDS)('dispatch leases on %s', (backend) => {
  let gateway: TestGateway | undefined;
  afterEach(async () => {
    await gateway?.destroy();
    gateway = undefined;
  });

  it('renews the lease of a payout whose call is in flight, so it is not claimed twice', async () => {
    const connector = new SlowConnector();
    gateway = await startTestGateway(backend, { connector, config: { dispatchLeaseMs: LEASE_MS } });
    const gw = gateway;
    await gw.fundSub('11', 10_000);
    await gw.wallet(PHONE, 0);
    const created = await gw.call('POST', '/pay/v01/withdrawal/create', {
      body: payoutBody(PHONE, 500, { top_up_wallet: 0 }),
    });
    expect(created.response_code).toBe('00');
    const first = gw.dispatcher.runOnce();
    for (let i = 0; i < 100 && connector.release === undefined; i++)
      await new Promise((r) => setTimeout(r, 10));
    const leaseOf = async () =>
      Number(
        (
          await gw.gw.db.command((tx) =>
            tx.selectFrom('payouts').select('dispatch_after_ms').executeTakeFirstOrThrow(),
          )
        ).dispatch_after_ms,
      );
    const claimedUntil = await leaseOf();
    // Time passes beyond the lease, and the heartbeat (every third of a lease) pushes it on.
    gw.clock.advance(LEASE_MS * 5);
    await new Promise((r) => setTimeout(r, LEASE_MS));
    expect(await leaseOf()).toBeGreaterThanOrEqual(claimedUntil + LEASE_MS * 4);
    expect(await gw.dispatcher.runOnce()).toBe(0);
    connector.release?.();
    expect(await first).toBe(1);
    expect(connector.credits).toBe(1);
    const payout = await gw.gw.db.command((tx) =>
      tx.selectFrom('payouts').select(['status', 'dispatch_owner']).executeTakeFirstOrThrow(),
    );
    expect(payout).toEqual({ status: 'completed', dispatch_owner: null });
  });
});
