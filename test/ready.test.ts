import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { Heartbeat } from '../src/metrics/heartbeat.js';
import { BACKENDS } from './harness.js';
import { type OpsGateway, startOpsGateway } from './ops-helpers.js';

/**
 * `/ready` (readiness) and `/health` (liveness), ADR 0020: ready is 200 only while the database
 * answers a read and takes a write, the migrations are exactly this code's and every started
 * worker loop is alive; otherwise 503 naming the failed check. `/health` never asks the database.
 */
type Body = { status: string; checks: Record<string, { ok: boolean; detail: string }> };

async function ready(gw: OpsGateway): Promise<{ status: number; body: Body }> {
  const response = await gw.running.app.inject({ method: 'GET', url: '/ready' });
  return { status: response.statusCode, body: JSON.parse(response.body) as Body };
}

for (const backend of BACKENDS) {
  describe(`/ready on ${backend}`, () => {
    let gw: OpsGateway | undefined;
    afterEach(async () => {
      await gw?.destroy();
      gw = undefined;
    });

    it('is 200 with every check passed while the database and the started workers are fine', async () => {
      gw = await startOpsGateway(backend, { start: { startWorkers: true } });
      const { status, body } = await ready(gw);
      expect(status).toBe(200);
      expect(body.status).toBe('ready');
      expect(Object.keys(body.checks).sort()).toEqual([
        'database_read',
        'database_write',
        'migrations',
        'worker_callbacks',
        'worker_payouts',
        'worker_refunds',
        'worker_resolver',
        'worker_retention',
      ]);
      expect(Object.values(body.checks).every((c) => c.ok)).toBe(true);
      // The write check really writes, in a command of its own.
      const probe = await gw.testDb.db.command((tx) =>
        tx.selectFrom('settings').select('value').where('key', '=', 'ready_probe').executeTakeFirst(),
      );
      expect(probe?.value).toBe(String(gw.clock.nowMs()));
    });

    it('is 503 when a worker is stopped, naming it', async () => {
      gw = await startOpsGateway(backend, { start: { startWorkers: true } });
      await gw.running.callbacks.stop();
      const { status, body } = await ready(gw);
      expect(status).toBe(503);
      expect(body.status).toBe('not_ready');
      expect(body.checks.worker_callbacks).toEqual({ ok: false, detail: 'stopped' });
      expect(body.checks.worker_payouts?.ok).toBe(true);
      expect(body.checks.database_read?.ok).toBe(true);
    });

    it('is 503 when the refund or the retention worker is stopped', async () => {
      gw = await startOpsGateway(backend, { start: { startWorkers: true } });
      await gw.running.refunds.stop();
      await gw.running.retention.stop();
      const { status, body } = await ready(gw);
      expect(status).toBe(503);
      expect(body.checks.worker_refunds).toEqual({ ok: false, detail: 'stopped' });
      expect(body.checks.worker_retention).toEqual({ ok: false, detail: 'stopped' });
    });

    it('is 503 when the database is closed, while /health stays 200', async () => {
      gw = await startOpsGateway(backend);
      await gw.testDb.db.close();
      const { status, body } = await ready(gw);
      expect(status).toBe(503);
      expect(body.checks.database_read).toMatchObject({
        ok: false,
        detail: expect.stringContaining('closed') as string,
      });
      expect(body.checks.database_write?.ok).toBe(false);
      const health = await gw.running.app.inject({ method: 'GET', url: '/health' });
      expect(health.statusCode).toBe(200);
      expect(JSON.parse(health.body)).toEqual({ status: 'ok', mode: 'sandbox' });
    });

    it('is 503 when the database has a migration this code does not know (a newer version ran)', async () => {
      gw = await startOpsGateway(backend);
      await gw.testDb.db.command((tx) =>
        sql`insert into cauri_migrations (name, timestamp) values ('9999_future', '2030-01-01T00:00:00.000Z')`.execute(
          tx,
        ),
      );
      const { status, body } = await ready(gw);
      expect(status).toBe(503);
      expect(body.checks.migrations).toMatchObject({
        ok: false,
        detail: expect.stringContaining('9999_future') as string,
      });
      await gw.testDb.db.command((tx) =>
        sql`delete from cauri_migrations where name = '9999_future'`.execute(tx),
      );
      await gw.testDb.db.command((tx) =>
        sql`delete from cauri_migrations where name = '0011_request_ids'`.execute(tx),
      );
      const missing = await ready(gw);
      expect(missing.status).toBe(503);
      expect(missing.body.checks.migrations?.detail).toContain('not applied: 0011_request_ids');
    });
  });
}

describe('worker heartbeats', () => {
  it('count a started worker dead once it has not finished a pass for its limit, and alive again after a pass', () => {
    let nowMs = 0;
    const heartbeat = new Heartbeat('payouts', 1_000, 5_000, () => nowMs);
    expect(heartbeat.staleAfterMs).toBe(8_000);
    expect(heartbeat.state()).toEqual({ alive: true, detail: 'not started in this process' });
    heartbeat.start();
    nowMs = 7_999;
    expect(heartbeat.state().alive).toBe(true);
    nowMs = 8_001;
    expect(heartbeat.state()).toEqual({
      alive: false,
      detail: 'no pass finished for 8001 ms (limit 8000 ms)',
    });
    heartbeat.beat();
    nowMs = 9_000;
    expect(heartbeat.state()).toEqual({ alive: true, detail: 'last pass 999 ms ago' });
    heartbeat.stop();
    expect(heartbeat.state()).toEqual({ alive: false, detail: 'stopped' });
  });
});
