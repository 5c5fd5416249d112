import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BACKENDS, type TestGateway, startTestGateway } from './harness.js';
import { expectEchec, send } from './http-helpers.js';

/**
 * Issue 10: every unknown path answered HTTP 200 (with Code12), so a health probe or a monitor
 * pointed at a wrong path passed. Under `/pay/` that stays (wire compatibility, ADR 0004: an SDK
 * reads the envelope and Dart only a 200); anywhere else an unknown path or method is a 404, with
 * the same envelope as body so that whatever parses it still can (ADR 0015).
 */
describe.each(BACKENDS)('unknown paths on %s', (backend) => {
  let gw: TestGateway;
  beforeEach(async () => {
    gw = await startTestGateway(backend);
  });
  afterEach(async () => gw.destroy());

  it.each([
    ['GET', '/'],
    ['GET', '/healthz'],
    ['GET', '/health/live'],
    ['GET', '/status'],
    ['POST', '/health'],
    ['DELETE', '/openapi.json'],
    ['GET', '/payments'],
    ['GET', '/paya/v01/withdrawal/create'],
    ['GET', '/directpayment/other'],
    ['GET', '/operators/11/notify'],
    ['GET', '/cauri/v1/nope'],
    ['GET', '/sandbox/nope'],
    ['GET', '/.env'],
  ])('answers %s %s with HTTP 404 and the Code12 envelope', async (method, url) => {
    const response = await send(gw, method, url);
    expect(response.status).toBe(404);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expectEchec(response.json, 'createInvoice', '12', `No endpoint ${method} ${url}`);
  });

  it.each([
    ['GET', '/pay'],
    ['GET', '/pay/'],
    ['GET', '/pay/v01/nope'],
    ['POST', '/pay/v03/withdrawal/create'],
    ['GET', '/pay/v01/withdrawal/create'],
    ['PUT', '/pay/v01/redirect/checkout-invoice/confirm/'],
    ['GET', '/pay/v02/debitotp/22670111111'],
  ])('keeps HTTP 200 and Code12 for %s %s (a LigdiCash path)', async (method, url) => {
    const response = await send(gw, method, url, method === 'GET' ? {} : { body: {} });
    expect(response.status).toBe(200);
    expectEchec(response.json, 'createInvoice', '12');
  });

  it('drops the query string from the description', async () => {
    const response = await send(gw, 'GET', '/healthz?probe=1');
    expect(response.status).toBe(404);
    expect(response.json.description).toBe('No endpoint GET /healthz');
  });

  it('still answers the known paths', async () => {
    for (const url of ['/health', '/health/', '/openapi.json', '/docs'])
      expect((await send(gw, 'GET', url)).status, url).toBe(200);
    expect((await send(gw, 'GET', '/console/nope')).status).toBe(404);
  });
});
