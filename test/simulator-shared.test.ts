import { afterEach, describe, expect, it } from 'vitest';
import type { Xof } from '../src/core/money.js';
import { loadPrefixes } from '../src/gateway.js';
import { SimulatorConnector } from '../src/operators/simulator.js';
import { SimulatorDesk } from '../src/operators/simulator-desk.js';
import { BACKENDS, ManualClock, type TestDatabase, openTestDatabase } from './harness.js';

/**
 * The sandbox's simulated operators keep what they were paid in the database, like a real
 * operator on its side: an instance that takes over a dead one's payout and asks for its status
 * hears "completed" for a credit the dead instance sent, so it does not send it again (ADR 0018).
 */
describe.each(BACKENDS)('simulated operators shared by instances on %s', (backend) => {
  let test: TestDatabase;
  afterEach(async () => {
    await test.destroy();
  });

  it('answers a status query of another instance from the credits it received, and pending for one it never got', async () => {
    test = await openTestDatabase(backend);
    const prefixes = await loadPrefixes(undefined);
    const simulator = () =>
      new SimulatorConnector(
        0,
        new SimulatorDesk({
          db: test.db,
          clock: new ManualClock(),
          prefixes,
          publicUrl: () => 'http://127.0.0.1',
          notificationKey: 'k'.repeat(64),
        }),
      );
    const [first, second] = [simulator(), simulator()];
    const sent = await first.requestCredit({
      reference: 'po_shared1',
      operatorId: '11',
      phone: '22670110001',
      amountXof: 500 as Xof,
    });
    expect(sent.state).toBe('completed');
    expect(await second.queryStatus('po_shared1')).toEqual(sent);
    expect(await second.queryStatus('po_never')).toEqual({ state: 'pending' });
    // The same reference again is the same credit: one row.
    await second.requestCredit({
      reference: 'po_shared1',
      operatorId: '11',
      phone: '22670110001',
      amountXof: 500 as Xof,
    });
    const rows = await test.db.command((tx) => tx.selectFrom('sim_credits').selectAll().execute());
    expect(rows.map((r) => r.reference)).toEqual(['po_shared1']);
  });
});
