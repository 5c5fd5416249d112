import Fastify from 'fastify';
import { Compile } from 'typebox/compile';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerRoutes } from '../src/http/routes/index.js';
import { PAGE_CSP } from '../src/http/checkout/html.js';
import { CONFIRM_KEYS } from '../src/http/wire.js';
import { type Operation, OPERATIONS, routeOf } from '../src/http/openapi/document.js';
import { type TestGateway, latestOtp, payoutBody, startTestGateway, walletPayinBody } from './harness.js';
import { ORANGE, send } from './http-helpers.js';

/**
 * The OpenAPI document (`GET /openapi.json`) and the reference page (`GET /docs`): every route the
 * app registers is documented and every documented route exists; real answers validate against
 * the schema the document declares for their operation.
 */
const PHONE = '22670111111';
const SELF = new Set(['/openapi.json', '/docs']);

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function at(value: unknown, ...keys: string[]): unknown {
  let current = value;
  for (const key of keys) current = isObject(current) ? current[key] : undefined;
  return current;
}

/** The routes registerRoutes adds, collected with an onRoute hook on a fresh Fastify instance. */
async function registeredRoutes(gw: TestGateway): Promise<{ method: string; url: string }[]> {
  const fresh = Fastify();
  const routes: { method: string; url: string }[] = [];
  fresh.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url });
  });
  registerRoutes(fresh, gw.gw);
  await fresh.ready();
  await fresh.close();
  return routes.filter((route) => route.method !== 'HEAD' && !SELF.has(route.url));
}

describe('OpenAPI document', () => {
  let gw: TestGateway;
  let doc: JsonObject;
  beforeAll(async () => {
    gw = await startTestGateway('sqlite');
    await gw.wallet(PHONE, 10_000);
    await gw.fundSub(ORANGE, 100_000);
    const response = await send(gw, 'GET', '/openapi.json');
    expect(response.status).toBe(200);
    doc = response.json;
  });
  afterAll(async () => gw.destroy());

  /** The JSON schema the served document declares for an operation's HTTP 200 answer. */
  function responseSchema(method: string, path: string): JsonObject {
    const schema = at(doc, 'paths', path, method, 'responses', '200', 'content', 'application/json', 'schema');
    if (!isObject(schema)) throw new Error(`no JSON 200 schema for ${method} ${path}`);
    return schema;
  }

  function expectValid(method: string, path: string, body: unknown): void {
    const validator = Compile(responseSchema(method, path));
    const errors = [...validator.Errors(body)].map((e) => `${e.instancePath} ${e.message}`);
    expect(errors, `${method} ${path}: ${JSON.stringify(body)}`).toEqual([]);
    expect(validator.Check(body)).toBe(true);
  }

  function expectInvalid(method: string, path: string, body: unknown): void {
    expect(Compile(responseSchema(method, path)).Check(body), JSON.stringify(body)).toBe(false);
  }

  it('is an OpenAPI 3.1 document whose every operation has a 200 response', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(at(doc, 'info', 'title')).toBe('Cauri');
    expect(typeof at(doc, 'info', 'version')).toBe('string');
    const paths = at(doc, 'paths');
    if (!isObject(paths)) throw new Error('no paths');
    const ids = new Set<string>();
    for (const [path, item] of Object.entries(paths)) {
      expect(path.startsWith('/'), path).toBe(true);
      if (!isObject(item)) throw new Error(`${path} is not an object`);
      for (const [method, operation] of Object.entries(item)) {
        expect(['get', 'post'], `${method} ${path}`).toContain(method);
        expect(at(operation, 'responses', '200', 'description'), `${method} ${path}`).toEqual(expect.any(String));
        const id = at(operation, 'operationId');
        expect(typeof id).toBe('string');
        expect(ids.has(String(id)), `duplicate operationId ${String(id)}`).toBe(false);
        ids.add(String(id));
        for (const name of path.match(/\{[^}]+\}/g) ?? []) {
          const params = at(operation, 'parameters');
          expect(Array.isArray(params) && params.some((p) => at(p, 'name') === name.slice(1, -1) && at(p, 'in') === 'path'), `${method} ${path} ${name}`).toBe(true);
        }
      }
    }
  });

  it('documents every route the app registers, and only those', async () => {
    const routes = await registeredRoutes(gw);
    expect(routes.length).toBeGreaterThan(20);
    const documented = (method: string, url: string) => OPERATIONS.some((op) => op.method.toUpperCase() === method && routeOf(op) === url);
    for (const route of routes) {
      expect(gw.app.hasRoute({ method: route.method as 'GET', url: route.url }), `${route.method} ${route.url} in the real app`).toBe(true);
      expect(documented(route.method, route.url), `${route.method} ${route.url} documented`).toBe(true);
    }
    for (const op of OPERATIONS) {
      expect(gw.app.hasRoute({ method: op.method.toUpperCase() as 'GET', url: routeOf(op) }), `${op.method} ${op.path} served`).toBe(true);
      expect(at(doc, 'paths', op.path, op.method), `${op.method} ${op.path} in the served document`).toBeDefined();
    }
  });

  it('declares the confirm body with exactly the 16 keys', () => {
    const confirm = at(responseSchema('get', '/pay/v01/redirect/checkout-invoice/confirm'), 'anyOf');
    if (!Array.isArray(confirm)) throw new Error('confirm is not a union');
    expect(Object.keys(at(confirm[0], 'properties') as JsonObject)).toEqual([...CONFIRM_KEYS]);
    expect(at(confirm[0], 'additionalProperties')).toBe(false);
  });

  it('validates a wallet payin, its confirm, a customer payout and its confirm', async () => {
    const debitotp = '/pay/v02/debitotp/{phone}/{amount}';
    const otpSent = await gw.call('GET', `/pay/v02/debitotp/${PHONE}/1500`);
    expectValid('get', debitotp, otpSent);
    expectValid('get', '/sandbox/sms', await gw.call('GET', `/sandbox/sms?phone=${PHONE}`));
    const otp = await latestOtp(gw, PHONE);

    const created = await gw.call('POST', '/pay/v02/debitwallet/withotp', { body: walletPayinBody(PHONE, 1500, otp) });
    expect(created.response_code).toBe('00');
    expectValid('post', '/pay/v02/debitwallet/withotp', created);

    for (const method of ['GET', 'POST'] as const) {
      const confirmed = await gw.call(method, `/pay/v01/redirect/checkout-invoice/confirm/?invoiceToken=${String(created.token)}`);
      expect(confirmed.status).toBe('completed');
      expectValid(method.toLowerCase(), '/pay/v01/redirect/checkout-invoice/confirm', confirmed);
      expectInvalid(method.toLowerCase(), '/pay/v01/redirect/checkout-invoice/confirm', { ...confirmed, amount: Number(confirmed.amount) });
      expectInvalid(method.toLowerCase(), '/pay/v01/redirect/checkout-invoice/confirm', { ...confirmed, oreference: '' });
    }

    const payout = await gw.call('POST', '/pay/v01/withdrawal/create', { body: payoutBody(PHONE, 2000, { custom_data: { transaction_id: 'PO-1' } }) });
    expect(payout.response_code).toBe('00');
    expectValid('post', '/pay/v01/withdrawal/create', payout);
    for (const path of ['/pay/v01/withdrawal/confirm', '/pay/v01/straight/payout/confirm']) {
      const status = await gw.call('GET', `${path}/?withdrawalToken=${String(payout.token)}`);
      expect(status.response_code).toBe('00');
      expectValid('get', path, status);
    }

    const straight = await gw.call('POST', '/pay/v01/straight/payout', { body: payoutBody('22670000001', 2000, { top_up_wallet: undefined }) });
    expectValid('post', '/pay/v01/straight/payout', straight);
    expectValid('get', '/health', await gw.call('GET', '/health'));
  });

  it('validates error envelopes and debitotp refusals', async () => {
    const cases: { op: [string, string]; url: string; method: 'GET' | 'POST'; body?: unknown; headers?: Record<string, string> }[] = [
      { op: ['post', '/pay/v02/debitwallet/withotp'], method: 'POST', url: '/pay/v02/debitwallet/withotp', body: walletPayinBody(PHONE, 1500, '000000') },
      { op: ['post', '/pay/v01/redirect/checkout-invoice/create'], method: 'POST', url: '/pay/v01/redirect/checkout-invoice/create', body: { commande: {} } },
      { op: ['post', '/pay/v01/withdrawal/create'], method: 'POST', url: '/pay/v01/withdrawal/create', body: payoutBody(PHONE, 5) },
      { op: ['post', '/pay/v01/straight/payout'], method: 'POST', url: '/pay/v01/straight/payout', body: payoutBody(PHONE, 2000), headers: { apikey: 'NOSUCHAPIKEY00000' } },
      { op: ['get', '/pay/v01/redirect/checkout-invoice/confirm'], method: 'GET', url: '/pay/v01/redirect/checkout-invoice/confirm?invoiceToken=nope' },
      { op: ['get', '/pay/v01/withdrawal/confirm'], method: 'GET', url: '/pay/v01/withdrawal/confirm' },
      { op: ['post', '/cauri/v1/callbacks/{eventId}/resend'], method: 'POST', url: '/cauri/v1/callbacks/evt_nosuchevent/resend' },
    ];
    for (const c of cases) {
      const body = await gw.call(c.method, c.url, { ...(c.body !== undefined ? { body: c.body } : {}), ...(c.headers ? { headers: c.headers } : {}) });
      expect(body.response_code, c.url).toBe('01');
      expect(body.response_text, c.url).toMatch(/^Echec \(Code\d{2}\)$/);
      expectValid(c.op[0], c.op[1], body);
    }
    const refused = await gw.call('GET', `/pay/v02/debitotp/${PHONE}/1500`, { headers: { apikey: 'NOSUCHAPIKEY00000' } });
    expect(refused.error).toBe(true);
    expectValid('get', '/pay/v02/debitotp/{phone}/{amount}', refused);
  });

  it('serves /docs as HTML under the strict CSP, listing every path and the quirks', async () => {
    const response = await send(gw, 'GET', '/docs');
    expect(response.status).toBe(200);
    expect(String(response.headers['content-type'])).toMatch(/^text\/html/);
    expect(response.headers['content-security-policy']).toBe(PAGE_CSP);
    expect(PAGE_CSP).toContain("script-src 'none'");
    expect(response.text).not.toMatch(/<script|https?:\/\/(?!client\.ligdicash\.com\/wiki\/)[^\s"<]*\.(js|css)/);
    const paths = Object.keys(at(doc, 'paths') as JsonObject);
    for (const path of paths) expect(response.text, path).toContain(` ${path}</code>`);
    const listed = (op: Operation) => `<code>${op.method.toUpperCase()} ${op.path}</code>`;
    for (const op of OPERATIONS) expect(response.text, op.path).toContain(listed(op));
    for (const quirk of ['HTTP 200 for errors', 'Echec (Code15)', 'String amounts in confirm', 'keyof_customdata', 'notcompleted', 'nocompleted']) {
      expect(response.text).toContain(quirk);
    }
  });
});

describe('OpenAPI document in production mode', () => {
  it('leaves the sandbox endpoints out, as the app does', async () => {
    const gw = await startTestGateway('sqlite', { config: { mode: 'production' } });
    try {
      const paths = Object.keys(at((await send(gw, 'GET', '/openapi.json')).json, 'paths') as JsonObject);
      expect(paths.filter((path) => path.startsWith('/sandbox/'))).toEqual([]);
      expect(paths).toContain('/pay/v01/withdrawal/create');
      for (const op of OPERATIONS.filter((o) => o.sandboxOnly === true)) {
        expect(gw.app.hasRoute({ method: op.method.toUpperCase() as 'GET', url: routeOf(op) }), op.path).toBe(false);
      }
      expect((await send(gw, 'GET', '/docs')).text).not.toContain('/sandbox/sms');
    } finally {
      await gw.destroy();
    }
  });
});
