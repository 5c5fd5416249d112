import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Operations } from '../src/metrics/operations.js';
import { BACKENDS, ManualClock, openTestDatabase, payoutBody } from './harness.js';
import { ORANGE } from './http-helpers.js';
import { type OpsGateway, startOpsGateway } from './ops-helpers.js';

/**
 * `/metrics` (ADR 0020, README "Operations: metrics, health, logs"): after real traffic, the
 * scrape shows requests by route pattern and result code, operator calls, state changes by
 * operator and status, backlogs, the ledger check and the store's connections, with no label
 * that names a project, a phone or a URL.
 */
const PHONE = '22670111111';

/** The value of one sample line, or undefined when the scrape has none. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const match = /^([^{ ]+)(?:\{(.*)\})? (.+)$/.exec(line);
    if (match?.[1] !== name) continue;
    const found = new Map<string, string>();
    for (const m of (match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)) found.set(m[1] ?? '', m[2] ?? '');
    if (Object.entries(labels).every(([k, v]) => found.get(k) === v)) return Number(match[3]);
  }
  return undefined;
}

for (const backend of BACKENDS) {
  describe(`/metrics on ${backend}`, () => {
    let gw: OpsGateway;
    let scrape: string;
    beforeAll(async () => {
      gw = await startOpsGateway(backend);
      await gw.fund(ORANGE, 100_000);
      await gw.wallet(PHONE);
      const { app } = gw.running;
      await app.inject({ method: 'GET', url: '/metrics' }); // the first scrape notes where the history ends
      const created = await app.inject({
        method: 'POST',
        url: '/pay/v01/withdrawal/create',
        headers: gw.headers,
        payload: JSON.stringify(payoutBody(PHONE, 2_500, { top_up_wallet: 0 })),
      });
      expect(JSON.parse(created.body)).toMatchObject({ response_code: '00' });
      const refused = await app.inject({
        method: 'POST',
        url: '/pay/v01/withdrawal/create',
        headers: { ...gw.headers, authorization: 'Bearer wrong' },
        payload: '{}',
      });
      expect(JSON.parse(refused.body)).toMatchObject({ response_code: '01' });
      await app.inject({ method: 'GET', url: '/no/such/path' });
      expect(await gw.running.dispatcher.runOnce()).toBe(1);
      // State changes are counted one scrape late (database-gauges.ts), so the second scrape has them.
      await app.inject({ method: 'GET', url: '/metrics' });
      const response = await app.inject({ method: 'GET', url: '/metrics' });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toContain('text/plain');
      scrape = response.body;
    });
    afterAll(async () => gw.destroy());

    it('counts requests by route pattern, HTTP status and result code, with durations', () => {
      const route = '/pay/v01/withdrawal/create';
      expect(
        sample(scrape, 'cauri_http_requests_total', { method: 'POST', route, status: '200', result: 'ok' }),
      ).toBe(1);
      expect(
        sample(scrape, 'cauri_http_requests_total', {
          method: 'POST',
          route,
          status: '200',
          result: 'auth_failed',
        }),
      ).toBe(1);
      expect(
        sample(scrape, 'cauri_http_requests_total', {
          method: 'GET',
          route: 'unmatched',
          status: '404',
          result: 'method_not_allowed',
        }),
      ).toBe(1);
      expect(sample(scrape, 'cauri_http_request_duration_seconds_count', { method: 'POST', route })).toBe(2);
      expect(
        sample(scrape, 'cauri_http_request_duration_seconds_bucket', { method: 'POST', route, le: '+Inf' }),
      ).toBe(2);
    });

    it('counts operator calls by operator, action and outcome, with their latency', () => {
      expect(
        sample(scrape, 'cauri_operator_calls_total', {
          operator: ORANGE,
          action: 'credit',
          outcome: 'completed',
        }),
      ).toBe(1);
      expect(
        sample(scrape, 'cauri_operator_call_duration_seconds_count', { operator: ORANGE, action: 'credit' }),
      ).toBe(1);
      expect(
        sample(scrape, 'cauri_operator_call_errors_total', { operator: ORANGE, action: 'credit' }),
      ).toBeUndefined();
    });

    it('counts payout state changes by operator and status, and shows the callback backlog', () => {
      expect(
        sample(scrape, 'cauri_transaction_events_total', {
          kind: 'payout',
          operator: ORANGE,
          status: 'pending',
        }),
      ).toBe(2);
      expect(
        sample(scrape, 'cauri_transaction_events_total', {
          kind: 'payout',
          operator: ORANGE,
          status: 'completed',
        }),
      ).toBe(1);
      expect(sample(scrape, 'cauri_callback_backlog', { state: 'pending' })).toBe(1);
      expect(sample(scrape, 'cauri_callback_backlog_oldest_due_age_seconds')).toBe(0);
      expect(sample(scrape, 'cauri_payouts_pending', { operator: ORANGE })).toBeUndefined();
    });

    it('checks the ledger and reports the store and the workers', () => {
      expect(sample(scrape, 'cauri_ledger_imbalance_xof', { balance: 'posted' })).toBe(0);
      expect(sample(scrape, 'cauri_ledger_imbalance_xof', { balance: 'pending' })).toBe(0);
      expect(sample(scrape, 'cauri_ledger_overdrawn_accounts')).toBe(0);
      expect(sample(scrape, 'cauri_ledger_checks_total', { result: 'ok' })).toBeGreaterThanOrEqual(1);
      expect(sample(scrape, 'cauri_db_commands_queued', { lane: 'api' })).toBeGreaterThanOrEqual(0);
      if (backend === 'postgres')
        expect(sample(scrape, 'cauri_db_pool_connections', { state: 'total' })).toBeGreaterThan(0);
      expect(sample(scrape, 'cauri_worker_up', { worker: 'payouts' })).toBe(1);
      expect(sample(scrape, 'cauri_info', { mode: 'sandbox', dialect: backend })).toBe(1);
      expect(sample(scrape, 'cauri_metrics_database_errors_total')).toBe(0);
    });

    it('has no label that names a project, a phone, a token or a URL', () => {
      expect(scrape).not.toContain(gw.projectId);
      expect(scrape).not.toContain(PHONE);
      expect(scrape).not.toContain('/no/such/path');
      expect(scrape).not.toContain('Bearer');
    });

    it('reports a pending payout and its operator until it is dispatched', async () => {
      const { app } = gw.running;
      await app.inject({
        method: 'POST',
        url: '/pay/v01/withdrawal/create',
        headers: gw.headers,
        payload: JSON.stringify(payoutBody(PHONE, 1_000, { top_up_wallet: 0 })),
      });
      gw.clock.advance(30_000);
      const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(sample(text, 'cauri_payouts_pending', { operator: ORANGE, dispatch_state: 'queued' })).toBe(1);
      expect(sample(text, 'cauri_payouts_pending_oldest_due_age_seconds')).toBe(30);
      await gw.running.dispatcher.runOnce();
      expect(
        sample((await app.inject({ method: 'GET', url: '/metrics' })).body, 'cauri_payouts_pending', {
          operator: ORANGE,
        }),
      ).toBeUndefined();
    });
  });
}

describe('/metrics protection', () => {
  it('wants the bearer token when CAURI_METRICS_TOKEN is set', async () => {
    const gw = await startOpsGateway('sqlite', {
      env: { CAURI_METRICS_TOKEN: 'scrape-token-0123456789' },
      start: { processMetrics: true },
    });
    try {
      const { app } = gw.running;
      expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
      expect(
        (
          await app.inject({
            method: 'GET',
            url: '/metrics',
            headers: { authorization: 'Bearer scrape-token-012345678' },
          })
        ).statusCode,
      ).toBe(401);
      const ok = await app.inject({
        method: 'GET',
        url: '/metrics',
        headers: { authorization: 'Bearer scrape-token-0123456789' },
      });
      expect(ok.statusCode).toBe(200);
      expect(ok.body).toContain('cauri_http_requests_total');
      // Node's process metrics are on the page by default (collected once per process).
      expect(ok.body).toContain('process_cpu_user_seconds_total');
      expect(ok.body).toContain('nodejs_eventloop_lag_seconds');
    } finally {
      await gw.destroy();
    }
  });

  it('answers in production without a token only to loopback and private addresses', async () => {
    const testDb = await openTestDatabase('sqlite');
    try {
      const ops = new Operations(testDb.db, new ManualClock(), { mode: 'production', defaultMetrics: false });
      expect(ops.metricsAccess('127.0.0.1', undefined)).toBe('allowed');
      expect(ops.metricsAccess('10.1.2.3', undefined)).toBe('allowed');
      expect(ops.metricsAccess('192.168.0.9', undefined)).toBe('allowed');
      expect(ops.metricsAccess('8.8.8.8', undefined)).toBe('hidden');
      expect(ops.metricsAccess('2001:4860::8888', undefined)).toBe('hidden');
      const guarded = new Operations(testDb.db, new ManualClock(), {
        mode: 'production',
        metricsToken: 'scrape-token-0123456789',
        defaultMetrics: false,
      });
      expect(guarded.metricsAccess('127.0.0.1', undefined)).toBe('unauthorized');
      expect(guarded.metricsAccess('8.8.8.8', 'Bearer scrape-token-0123456789')).toBe('allowed');
    } finally {
      await testDb.destroy();
    }
  });

  it('refuses a CAURI_METRICS_TOKEN too short to be a secret', async () => {
    const { loadConfig } = await import('../src/config.js');
    expect(() => loadConfig({ CAURI_MODE: 'sandbox', CAURI_METRICS_TOKEN: 'short' })).toThrow(
      /CAURI_METRICS_TOKEN/,
    );
  });
});
