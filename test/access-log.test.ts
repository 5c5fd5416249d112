import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, payoutBody } from './harness.js';
import { ORANGE } from './http-helpers.js';
import { E2, NUMBERS, straightBody } from './payin-helpers.js';
import { type OpsGateway, startOpsGateway } from './ops-helpers.js';

/**
 * Access logs and request ids (ADR 0020): one JSON line per answered request with the request id,
 * route, status and result code; the id comes back in `X-Request-Id` on every answer, error
 * envelopes and unknown paths included, and is kept in the history of the payouts the request
 * wrote; credentials never reach the log and phone numbers keep only their last 4 digits.
 */
const PHONE = '22670111111';

for (const backend of BACKENDS) {
  describe(`access log and request ids on ${backend}`, () => {
    let gw: OpsGateway;
    beforeAll(async () => {
      gw = await startOpsGateway(backend, { env: { CAURI_ACCESS_LOG: 'on' } });
      await gw.fund(ORANGE, 100_000);
      await gw.wallet(PHONE);
    });
    afterAll(async () => gw.destroy());

    const accessLines = () => gw.lines.filter((line) => line.msg === 'request');

    it('keeps a safe incoming X-Request-Id, returns it, and logs one line for the request', async () => {
      const response = await gw.running.app.inject({
        method: 'GET',
        url: `/pay/v02/debitotp/${PHONE}/1500`,
        headers: { ...gw.headers, 'x-request-id': 'shop-42.a:b' },
      });
      expect(response.headers['x-request-id']).toBe('shop-42.a:b');
      const line = accessLines().find((l) => l.reqId === 'shop-42.a:b');
      expect(line).toMatchObject({
        level: 30,
        method: 'GET',
        route: '/pay/v02/debitotp/:phone/:amount',
        status: 200,
        result: 'ok',
        ip: '127.0.0.1',
      });
      expect(typeof line?.durationMs).toBe('number');
      // The phone in the path keeps its last 4 digits only; no header reaches the line.
      expect(line?.path).toBe('/pay/v02/debitotp/*******1111/1500');
    });

    it('replaces an unsafe or over-long incoming id with its own, on errors and unknown paths too', async () => {
      for (const incoming of ['has space', 'x'.repeat(65), 'a#1', '']) {
        const response = await gw.running.app.inject({
          method: 'POST',
          url: '/pay/v01/withdrawal/create',
          headers: { apikey: 'nope', 'x-request-id': incoming },
          payload: '{}',
        });
        expect(JSON.parse(response.body)).toMatchObject({ response_code: '01' });
        expect(response.headers['x-request-id']).toMatch(/^req_[0-9a-f]{12}[0-9a-z]{6,}$/);
      }
      const unknown = await gw.running.app.inject({ method: 'GET', url: '/nowhere?token=secret-value' });
      expect(unknown.statusCode).toBe(404);
      const id = String(unknown.headers['x-request-id']);
      expect(accessLines().find((l) => l.reqId === id)).toMatchObject({
        route: 'unmatched',
        status: 404,
        result: 'method_not_allowed',
        path: '/nowhere',
      });
      expect(accessLines().find((l) => l.result === 'auth_failed')).toMatchObject({
        route: '/pay/v01/withdrawal/create',
        status: 200,
      });
    });

    it('never writes the Apikey, the API token, an OTP or a password', () => {
      const apiToken = gw.headers.authorization?.slice('Bearer '.length) ?? '';
      // Whatever an error handler might log: credentials are redacted by the logger itself.
      gw.running.app.log.info(
        {
          req: { headers: { apikey: gw.headers.apikey, authorization: gw.headers.authorization } },
          body: { otp: '123456', password: 'hunter2-secret', token: apiToken },
        },
        'probe',
      );
      const text = gw.logText();
      expect(text).toContain('"msg":"probe"');
      expect(text).toContain('[redacted]');
      for (const secret of [gw.headers.apikey ?? '', apiToken, '123456', 'hunter2-secret', PHONE]) {
        expect(secret.length).toBeGreaterThan(0);
        expect(text).not.toContain(secret);
      }
    });

    it('records the request id in the history of the payout it created, and none for the worker changes', async () => {
      const response = await gw.running.app.inject({
        method: 'POST',
        url: '/pay/v01/withdrawal/create',
        headers: { ...gw.headers, 'x-request-id': 'payout-req-7' },
        payload: JSON.stringify(payoutBody(PHONE, 2_000, { top_up_wallet: 0 })),
      });
      expect(JSON.parse(response.body)).toMatchObject({ response_code: '00' });
      await gw.running.dispatcher.runOnce();
      const payout = await gw.testDb.db.command((tx) =>
        tx
          .selectFrom('payouts')
          .select(['id', 'last_request_id'])
          .orderBy('created_at_ms', 'desc')
          .executeTakeFirstOrThrow(),
      );
      expect(payout.last_request_id).toMatch(/^payout-req-7#/);
      const events = await gw.testDb.db.command((tx) =>
        tx
          .selectFrom('transaction_events')
          .select(['dispatch_state', 'request_id'])
          .where('subject_id', '=', payout.id)
          .orderBy('seq')
          .execute(),
      );
      expect(events).toEqual([
        { dispatch_state: 'queued', request_id: 'payout-req-7' },
        { dispatch_state: 'sent', request_id: null },
        { dispatch_state: 'done', request_id: null },
      ]);
    });

    it("records the request on every change its commands make to a direct payin, the operator call's too", async () => {
      const response = await gw.running.app.inject({
        method: 'POST',
        url: E2,
        headers: { ...gw.headers, 'x-request-id': 'payin-req-9' },
        payload: JSON.stringify(straightBody(NUMBERS.ussd_push.phone)),
      });
      expect(JSON.parse(response.body)).toMatchObject({ response_code: '00' });
      const payin = await gw.testDb.db.command((tx) =>
        tx
          .selectFrom('payins')
          .select('id')
          .where('kind', '=', 'direct')
          .orderBy('created_at_ms', 'desc')
          .executeTakeFirstOrThrow(),
      );
      const events = await gw.testDb.db.command((tx) =>
        tx
          .selectFrom('transaction_events')
          .select(['status', 'reason', 'request_id'])
          .where('subject_id', '=', payin.id)
          .orderBy('seq')
          .execute(),
      );
      // Created, then its operator chosen in the same command: two writes, two stamps, one request.
      expect(events.length).toBeGreaterThanOrEqual(2);
      expect(events.map((e) => e.request_id)).toEqual(events.map(() => 'payin-req-9'));
    });

    it('shows the request id on the console story of the payout', async () => {
      const { transactionStory } = await import('../src/store/console-transactions.js');
      const payout = await gw.testDb.db.command((tx) =>
        tx.selectFrom('payouts').select('id').orderBy('created_at_ms', 'desc').executeTakeFirstOrThrow(),
      );
      const story = await gw.testDb.db.command((tx) => transactionStory(tx, payout.id));
      expect(story?.events.map((e) => e.requestId)).toEqual(['payout-req-7', null, null]);
    });
  });
}

describe('access log settings', () => {
  it('is off in the sandbox by default and on in production, and refuses a bad level', async () => {
    const { loadConfig } = await import('../src/config.js');
    expect(loadConfig({ CAURI_MODE: 'sandbox' }).ops).toMatchObject({ accessLog: false, logLevel: 'info' });
    expect(loadConfig({ CAURI_MODE: 'production', CAURI_DATA_DIR: '/tmp/cauri-x' }).ops).toMatchObject({
      accessLog: true,
    });
    expect(
      loadConfig({
        CAURI_MODE: 'production',
        CAURI_DATA_DIR: '/tmp/cauri-x',
        CAURI_ACCESS_LOG: 'off',
        CAURI_LOG_LEVEL: 'warn',
      }).ops,
    ).toMatchObject({ accessLog: false, logLevel: 'warn' });
    expect(() => loadConfig({ CAURI_MODE: 'sandbox', CAURI_LOG_LEVEL: 'loud' })).toThrow(/CAURI_LOG_LEVEL/);
  });

  it('writes no access line when off', async () => {
    const gw = await startOpsGateway('sqlite', { env: { CAURI_ACCESS_LOG: 'off' } });
    try {
      const response = await gw.running.app.inject({ method: 'GET', url: '/health' });
      expect(response.headers['x-request-id']).toMatch(/^req_/);
      expect(gw.lines.filter((l) => l.msg === 'request')).toEqual([]);
    } finally {
      await gw.destroy();
    }
  });
});
