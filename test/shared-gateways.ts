import { expect } from 'vitest';
import type { Clock } from '../src/core/clock.js';
import type { Config } from '../src/config.js';
import { type Running, startGateway } from '../src/gateway.js';
import type { Database } from '../src/store/database.js';
import { payoutBody } from './harness.js';

/**
 * Several gateways on one database, each with its own connection, as several processes would
 * be; tests drive their workers by hand. `kill` drops an instance's connection whatever it was
 * doing; `closeAll` ends the rest.
 */
export class SharedGateways {
  private readonly opened: { db: Database; running: Running }[] = [];

  constructor(
    private readonly open: () => Promise<Database>,
    private readonly config: Config,
    private readonly clock: Clock,
  ) {}

  async start(): Promise<Running> {
    const db = await this.open();
    const running = await startGateway(this.config, { db, clock: this.clock, startWorkers: false });
    this.opened.push({ db, running });
    return running;
  }

  async kill(running: Running): Promise<void> {
    const index = this.opened.findIndex((o) => o.running === running);
    const [gone] = this.opened.splice(index, 1);
    await gone?.db.close();
  }

  async closeAll(): Promise<void> {
    for (const o of this.opened.splice(0)) {
      await o.running.app.close();
      await o.db.close();
    }
  }
}

/** Customer payouts through one instance's API, each with this callback URL; every one must be accepted. */
export async function acceptedPayouts(
  running: Running,
  headers: Record<string, string>,
  p: { phone: string; count: number; callbackUrl: string; tag: string; amountXof?: (i: number) => number },
): Promise<void> {
  for (let i = 0; i < p.count; i++) {
    const response = await running.app.inject({
      method: 'POST',
      url: '/pay/v01/withdrawal/create',
      headers,
      remoteAddress: '127.0.0.1',
      payload: JSON.stringify(
        payoutBody(p.phone, p.amountXof?.(i) ?? 100, {
          callback_url: p.callbackUrl,
          custom_data: { transaction_id: `${p.tag}-${i}` },
        }),
      ),
    });
    expect(JSON.parse(response.body)).toMatchObject({ response_code: '00' });
  }
}
