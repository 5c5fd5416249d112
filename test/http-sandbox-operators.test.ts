import { afterEach, describe, expect, it } from 'vitest';
import type { OperatorConnector } from '../src/operators/connector.js';
import { BACKENDS, type TestGateway, startTestGateway } from './harness.js';
import {
  E1,
  E2,
  NUMBERS,
  PageClient,
  checkoutBody,
  confirmPayin,
  csrfOf,
  dial,
  pagePath,
  straightBody,
} from './payin-helpers.js';

/**
 * The sandbox's customer-side actions over HTTP (README, "Sandbox actions"): errors of the JSON
 * routes, the console page, and their absence in production mode.
 */
describe.each(BACKENDS)('sandbox operator actions on %s', (backend) => {
  let gw: TestGateway;
  afterEach(async () => gw.destroy());

  it('answers errors of the JSON routes with 4xx and a reason', async () => {
    gw = await startTestGateway(backend);
    const nobody = await gw.app.inject({
      method: 'POST',
      url: '/sandbox/ussd/dial',
      payload: { phone: 'x' },
    });
    expect(nobody.statusCode).toBe(400);
    expect(JSON.parse(nobody.body)).toEqual({ error: '"x" is not an international phone number' });
    const json = { 'content-type': 'application/json' };
    expect(
      (await gw.app.inject({ method: 'POST', url: '/sandbox/pushes/PSH00000000/approve', headers: json }))
        .statusCode,
    ).toBe(409);
    expect(
      (await gw.app.inject({ method: 'POST', url: '/sandbox/pushes/PSH00000000/maybe', headers: json }))
        .statusCode,
    ).toBe(404);
    expect(
      (await gw.app.inject({ method: 'GET', url: '/sandbox/operator-portal/PSH00000000' })).statusCode,
    ).toBe(404);
    // A USSD OTP request is decided by its code, not by a person.
    await gw.call('POST', E2, { body: straightBody('22670000001', { otp: '1' }) });
    const magic = await gw.gw.db.command((tx) =>
      tx.selectFrom('sim_debits').select('id').executeTakeFirstOrThrow(),
    );
    expect(
      (await gw.app.inject({ method: 'POST', url: `/sandbox/pushes/${magic.id}/approve`, headers: json }))
        .statusCode,
    ).toBe(409);
  });

  it('the console lists waiting requests, approves them and dials codes', async () => {
    gw = await startTestGateway(backend);
    const created = await gw.call('POST', E2, {
      body: straightBody(NUMBERS.ussd_push.phone, { description: '<b>Order</b>' }),
    });
    const client = new PageClient(gw);
    let page = await client.get('/sandbox/console');
    expect(page.status).toBe(200);
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.body).toContain(NUMBERS.ussd_push.phone);
    const id = /<code>(PSH\d{8})<\/code>/.exec(page.body)?.[1] ?? '';
    expect(
      (await client.post('/sandbox/console', { csrf: 'f'.repeat(32), action: 'approve', id })).location,
    ).toContain('expired');
    const approved = await client.post('/sandbox/console', {
      csrf: csrfOf(page.body),
      action: 'approve',
      id,
    });
    expect((await client.get(approved.location ?? '')).body).toContain(`${id} approved`);
    expect((await confirmPayin(gw, created.token)).status).toBe('completed');
    const dialled = await client.post('/sandbox/console', {
      csrf: csrfOf(page.body),
      action: 'dial',
      phone: NUMBERS.ussd_otp.phone,
    });
    page = await client.get(dialled.location ?? '');
    expect(page.body).toMatch(/ORANGE BURKINA 22670112233: payment code \d{6}/);
    expect(page.body).toContain('votre code de paiement est');
  });

  it('does not exist in production mode, and the payment page shows no sandbox panel there', async () => {
    // Production never runs the simulator (ADR 0009): a stand-in operator that leaves every request pending.
    const operator: OperatorConnector = {
      requestCredit: () => Promise.resolve({ state: 'pending' }),
      queryStatus: () => Promise.resolve({ state: 'pending' }),
      requestDebit: () => Promise.resolve({ state: 'pending' }),
    };
    gw = await startTestGateway(backend, { connector: operator, config: { mode: 'production' } });
    for (const url of ['/sandbox/pushes', '/sandbox/console']) {
      const response = await gw.app.inject({ method: 'GET', url });
      expect(JSON.parse(response.body)).toMatchObject({ response_text: 'Echec (Code12)' });
    }
    expect((await dial(gw, NUMBERS.ussd_otp.phone)).response_text).toBe('Echec (Code12)');
    const created = await gw.call('POST', E1, { body: checkoutBody() });
    const client = new PageClient(gw);
    const path = pagePath(created.response_text);
    const page = await client.get(`${path}?op=${NUMBERS.ussd_otp.operatorId}`);
    expect(page.body).not.toContain('class="card sandbox"');
    expect(page.body).not.toContain('/dial"');
    await client.post(`${path}/pay`, {
      csrf: csrfOf(page.body),
      operator: NUMBERS.ussd_push.operatorId,
      phone: NUMBERS.ussd_push.phone,
    });
    const waiting = await client.get(path);
    expect(waiting.body).toContain('data-testid="waiting"');
    expect(waiting.body).not.toContain('/simulate');
    expect(
      (await client.post(`${path}/simulate`, { csrf: csrfOf(page.body), decision: 'approve' })).status,
    ).toBe(303);
    expect((await confirmPayin(gw, created.token)).status).toBe('pending');
  });
});
