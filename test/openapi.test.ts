import Fastify from 'fastify';
import { Compile } from 'typebox/compile';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerRoutes } from '../src/http/routes/index.js';
import { PAGE_CSP } from '../src/http/checkout/html.js';
import { CONFIRM_KEYS } from '../src/http/wire.js';
import { type Operation } from '../src/http/openapi/operation.js';
import { OPERATIONS, routeOf } from '../src/http/openapi/document.js';
import { type TestGateway, latestOtp, payoutBody, startTestGateway, walletPayinBody } from './harness.js';
import { ORANGE, send } from './http-helpers.js';
import { type Received, Receiver } from './callback-receiver.js';
import { createPayin, createPayout, errors, events, fund, handWorker } from './callback-fixtures.js';

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
    const schema = at(
      doc,
      'paths',
      path,
      method,
      'responses',
      '200',
      'content',
      'application/json',
      'schema',
    );
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
        expect(['get', 'post', 'put'], `${method} ${path}`).toContain(method);
        expect(at(operation, 'responses', '200', 'description'), `${method} ${path}`).toEqual(
          expect.any(String),
        );
        const id = at(operation, 'operationId');
        expect(typeof id).toBe('string');
        expect(ids.has(String(id)), `duplicate operationId ${String(id)}`).toBe(false);
        ids.add(String(id));
        for (const name of path.match(/\{[^}]+\}/g) ?? []) {
          const params = at(operation, 'parameters');
          expect(
            Array.isArray(params) &&
              params.some((p) => at(p, 'name') === name.slice(1, -1) && at(p, 'in') === 'path'),
            `${method} ${path} ${name}`,
          ).toBe(true);
        }
      }
    }
  });

  it('documents every route the app registers, and only those', async () => {
    const routes = await registeredRoutes(gw);
    expect(routes.length).toBeGreaterThan(20);
    const documented = (method: string, url: string) =>
      OPERATIONS.some((op) => op.method.toUpperCase() === method && routeOf(op) === url);
    for (const route of routes) {
      expect(
        gw.app.hasRoute({ method: route.method as 'GET', url: route.url }),
        `${route.method} ${route.url} in the real app`,
      ).toBe(true);
      expect(documented(route.method, route.url), `${route.method} ${route.url} documented`).toBe(true);
    }
    for (const op of OPERATIONS) {
      expect(
        gw.app.hasRoute({ method: op.method.toUpperCase() as 'GET', url: routeOf(op) }),
        `${op.method} ${op.path} served`,
      ).toBe(true);
      expect(
        at(doc, 'paths', op.path, op.method),
        `${op.method} ${op.path} in the served document`,
      ).toBeDefined();
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

    const created = await gw.call('POST', '/pay/v02/debitwallet/withotp', {
      body: walletPayinBody(PHONE, 1500, otp),
    });
    expect(created.response_code).toBe('00');
    expectValid('post', '/pay/v02/debitwallet/withotp', created);

    for (const method of ['GET', 'POST'] as const) {
      const confirmed = await gw.call(
        method,
        `/pay/v01/redirect/checkout-invoice/confirm/?invoiceToken=${String(created.token)}`,
      );
      expect(confirmed.status).toBe('completed');
      expectValid(method.toLowerCase(), '/pay/v01/redirect/checkout-invoice/confirm', confirmed);
      expectInvalid(method.toLowerCase(), '/pay/v01/redirect/checkout-invoice/confirm', {
        ...confirmed,
        amount: Number(confirmed.amount),
      });
      expectInvalid(method.toLowerCase(), '/pay/v01/redirect/checkout-invoice/confirm', {
        ...confirmed,
        oreference: '',
      });
    }

    const payout = await gw.call('POST', '/pay/v01/withdrawal/create', {
      body: payoutBody(PHONE, 2000, { custom_data: { transaction_id: 'PO-1' } }),
    });
    expect(payout.response_code).toBe('00');
    expectValid('post', '/pay/v01/withdrawal/create', payout);
    for (const path of ['/pay/v01/withdrawal/confirm', '/pay/v01/straight/payout/confirm']) {
      const status = await gw.call('GET', `${path}/?withdrawalToken=${String(payout.token)}`);
      expect(status.response_code).toBe('00');
      expectValid('get', path, status);
    }

    const straight = await gw.call('POST', '/pay/v01/straight/payout', {
      body: payoutBody('22670000001', 2000, { top_up_wallet: undefined }),
    });
    expectValid('post', '/pay/v01/straight/payout', straight);
    expectValid('get', '/health', await gw.call('GET', '/health'));
  });

  it('validates error envelopes and debitotp refusals', async () => {
    const cases: {
      op: [string, string];
      url: string;
      method: 'GET' | 'POST';
      body?: unknown;
      headers?: Record<string, string>;
    }[] = [
      {
        op: ['post', '/pay/v02/debitwallet/withotp'],
        method: 'POST',
        url: '/pay/v02/debitwallet/withotp',
        body: walletPayinBody(PHONE, 1500, '000000'),
      },
      {
        op: ['post', '/pay/v01/redirect/checkout-invoice/create'],
        method: 'POST',
        url: '/pay/v01/redirect/checkout-invoice/create',
        body: { commande: {} },
      },
      {
        op: ['post', '/pay/v01/withdrawal/create'],
        method: 'POST',
        url: '/pay/v01/withdrawal/create',
        body: payoutBody(PHONE, 5),
      },
      {
        op: ['post', '/pay/v01/straight/payout'],
        method: 'POST',
        url: '/pay/v01/straight/payout',
        body: payoutBody(PHONE, 2000),
        headers: { apikey: 'NOSUCHAPIKEY00000' },
      },
      {
        op: ['get', '/pay/v01/redirect/checkout-invoice/confirm'],
        method: 'GET',
        url: '/pay/v01/redirect/checkout-invoice/confirm?invoiceToken=nope',
      },
      { op: ['get', '/pay/v01/withdrawal/confirm'], method: 'GET', url: '/pay/v01/withdrawal/confirm' },
      {
        op: ['post', '/cauri/v1/callbacks/{eventId}/resend'],
        method: 'POST',
        url: '/cauri/v1/callbacks/evt_nosuchevent/resend',
      },
    ];
    for (const c of cases) {
      const body = await gw.call(c.method, c.url, {
        ...(c.body !== undefined ? { body: c.body } : {}),
        ...(c.headers ? { headers: c.headers } : {}),
      });
      expect(body.response_code, c.url).toBe('01');
      expect(body.response_text, c.url).toMatch(/^Echec \(Code\d{2}\)$/);
      expectValid(c.op[0], c.op[1], body);
    }
    const refused = await gw.call('GET', `/pay/v02/debitotp/${PHONE}/1500`, {
      headers: { apikey: 'NOSUCHAPIKEY00000' },
    });
    expect(refused.error).toBe(true);
    expectValid('get', '/pay/v02/debitotp/{phone}/{amount}', refused);
  });

  it('serves /docs as HTML under the strict CSP, listing every path and the quirks', async () => {
    const response = await send(gw, 'GET', '/docs');
    expect(response.status).toBe(200);
    expect(String(response.headers['content-type'])).toMatch(/^text\/html/);
    expect(response.headers['content-security-policy']).toBe(PAGE_CSP);
    expect(PAGE_CSP).toContain("script-src 'none'");
    expect(response.text).not.toMatch(
      /<script|https?:\/\/(?!client\.ligdicash\.com\/wiki\/)[^\s"<]*\.(js|css)/,
    );
    const paths = Object.keys(at(doc, 'paths') as JsonObject);
    for (const path of paths) expect(response.text, path).toContain(` ${path}</code>`);
    const listed = (op: Operation) => `<code>${op.method.toUpperCase()} ${op.path}</code>`;
    for (const op of OPERATIONS) expect(response.text, op.path).toContain(listed(op));
    for (const quirk of [
      'HTTP 200 for errors',
      'Echec (Code15)',
      'String amounts in confirm',
      'keyof_customdata',
      'notcompleted',
      'nocompleted',
    ]) {
      expect(response.text).toContain(quirk);
    }
  });
});

describe('OpenAPI webhooks: the callbacks Cauri sends', () => {
  const EVENTS = [
    'payin.completed',
    'payin.notcompleted',
    'payout.completed',
    'payout.notcompleted',
    'refund.completed',
    'refund.failed',
  ];
  const HEADERS = ['webhook-id', 'webhook-timestamp', 'webhook-signature'];
  const JSON_TYPE = 'application/json';
  const FORM_TYPE = 'application/x-www-form-urlencoded';
  let gw: TestGateway;
  let receiver: Receiver;
  let doc: JsonObject;
  beforeAll(async () => {
    gw = await startTestGateway('sqlite');
    await fund(gw);
    receiver = await Receiver.start();
    doc = (await send(gw, 'GET', '/openapi.json')).json;
  });
  afterAll(async () => {
    await receiver.close();
    await gw.destroy();
  });

  function webhook(event: string): JsonObject {
    const post = at(doc, 'webhooks', event, 'post');
    if (!isObject(post)) throw new Error(`no webhook ${event}`);
    return post;
  }

  function bodySchema(event: string, contentType: string): JsonObject {
    const schema = at(webhook(event), 'requestBody', 'content', contentType, 'schema');
    if (!isObject(schema)) throw new Error(`no ${contentType} schema for ${event}`);
    return schema;
  }

  function expectValid(schema: JsonObject, body: unknown, what: string): void {
    const validator = Compile(schema);
    expect(
      [...validator.Errors(body)].map((e) => `${e.instancePath} ${e.message}`),
      `${what}: ${JSON.stringify(body)}`,
    ).toEqual([]);
    expect(validator.Check(body)).toBe(true);
  }

  function expectInvalid(schema: JsonObject, body: unknown): void {
    expect(Compile(schema).Check(body), JSON.stringify(body)).toBe(false);
  }

  it('declares every callback event as a POST webhook with both encodings, the signature headers and the 2xx rule', () => {
    expect(Object.keys(at(doc, 'webhooks') as JsonObject)).toEqual(EVENTS);
    const pathIds = Object.values(at(doc, 'paths') as JsonObject).flatMap((item) =>
      Object.values(item as JsonObject).map((op) => at(op, 'operationId')),
    );
    const ids = EVENTS.map((event) => at(webhook(event), 'operationId'));
    expect(new Set([...pathIds, ...ids]).size).toBe(pathIds.length + ids.length);
    for (const event of EVENTS) {
      const post = webhook(event);
      expect(Object.keys(at(doc, 'webhooks', event) as JsonObject), event).toEqual(['post']);
      expect(post.tags).toEqual(['Callbacks']);
      expect(Object.keys(at(post, 'requestBody', 'content') as JsonObject)).toEqual([JSON_TYPE, FORM_TYPE]);
      const params = post.parameters as JsonObject[];
      expect(params.map((p) => [p.name, p.in, p.required])).toEqual(
        HEADERS.map((name) => [name, 'header', true]),
      );
      for (const status of ['2XX', '200']) {
        expect(at(post, 'responses', status, 'description')).toBe(
          'Any 2xx acknowledges; anything else is retried (schedule in the README).',
        );
      }
      expect(at(bodySchema(event, JSON_TYPE), 'additionalProperties')).toBe(false);
      expect(at(bodySchema(event, JSON_TYPE), 'title')).toBe(
        event.startsWith('payin.')
          ? 'PayinCallback'
          : event.startsWith('payout.')
            ? 'PayoutCallback'
            : 'RefundCallback',
      );
    }
  });

  it('validates real callbacks of a wallet payin and a customer payout, in both encodings, and their headers', async () => {
    await createPayin(gw, receiver.url('/payin-cb'), { transaction_id: 'ORD-WH', customer_id: 'C9' });
    await createPayout(gw, receiver.url('/payout-cb'), 'PO-WH', 2500);
    expect(await handWorker(gw.gw).runOnce()).toBe(2);
    expect(errors).toEqual([]);
    expect(receiver.received).toHaveLength(4);
    const typeOf = new Map((await events(gw.gw)).map((e) => [e.id, e.event_type]));
    const bodies = new Map<string, Received>();
    for (const request of receiver.received) {
      const event = typeOf.get(request.id);
      if (event === undefined) throw new Error(`no event ${request.id}`);
      expect(event).toBe(request.path === '/payin-cb' ? 'payin.completed' : 'payout.completed');
      expectValid(bodySchema(event, request.contentType), request.fields, `${event} ${request.contentType}`);
      for (const param of webhook(event).parameters as JsonObject[]) {
        expectValid(
          param.schema as JsonObject,
          request.headers[String(param.name)],
          `${event} header ${String(param.name)}`,
        );
      }
      bodies.set(`${event} ${request.contentType}`, request);
    }

    const payin = bodies.get(`payin.completed ${JSON_TYPE}`)?.fields;
    const payout = bodies.get(`payout.completed ${JSON_TYPE}`)?.fields;
    const payoutForm = bodies.get(`payout.completed ${FORM_TYPE}`)?.fields;
    if (!payin || !payout || !payoutForm) throw new Error('a callback is missing');
    expect([payin.amount, payout.amount, payout.operator_id, payoutForm.operator_id]).toEqual([
      1500,
      '2500',
      11,
      '11',
    ]);

    const payinSchema = bodySchema('payin.completed', JSON_TYPE);
    const payoutSchema = bodySchema('payout.notcompleted', JSON_TYPE);
    expectInvalid(payoutSchema, { ...payout, amount: 2500 });
    expectInvalid(payoutSchema, { ...payout, operator_id: '11' });
    expectInvalid(payoutSchema, { ...payout, custom_data: {} });
    expectInvalid(payinSchema, { ...payin, amount: '1500' });
    expectInvalid(payinSchema, { ...payin, token: 'eyJ0.eyJ1.c2ln' });
    expectInvalid(payinSchema, { ...payin, status: 'pending' });
    expectInvalid(payinSchema, { ...payin, extra: '' });
    expectInvalid(payinSchema, Object.fromEntries(Object.entries(payin).filter(([key]) => key !== 'hash')));
    expectInvalid(bodySchema('payout.completed', FORM_TYPE), { ...payoutForm, amount: '25.00' });
    expectInvalid(bodySchema('payout.completed', FORM_TYPE), { ...payoutForm, operator_id: 11 });
  });

  it('lists the callbacks on /docs', async () => {
    const text = (await send(gw, 'GET', '/docs')).text;
    expect(text).toContain('<section class="card" id="callbacks"');
    for (const event of EVENTS) expect(text).toContain(`<code>POST ${event}</code>`);
    for (const name of [...HEADERS, 'PayinCallback', 'PayoutCallbackForm']) expect(text).toContain(name);
    expect(text).toContain('Any 2xx acknowledges; anything else is retried (schedule in the README).');
    expect(text).not.toMatch(/<script/);
  });
});

describe('OpenAPI document in production mode', () => {
  it('leaves the sandbox endpoints out, as the app does', async () => {
    const gw = await startTestGateway('sqlite', { config: { mode: 'production' } });
    try {
      const paths = Object.keys(at((await send(gw, 'GET', '/openapi.json')).json, 'paths') as JsonObject);
      expect(paths.filter((path) => path.startsWith('/sandbox/'))).toEqual([]);
      expect(paths).toContain('/pay/v01/withdrawal/create');
      expect(
        Object.keys(at((await send(gw, 'GET', '/openapi.json')).json, 'webhooks') as JsonObject),
      ).toHaveLength(6);
      for (const op of OPERATIONS.filter((o) => o.sandboxOnly === true)) {
        expect(gw.app.hasRoute({ method: op.method.toUpperCase() as 'GET', url: routeOf(op) }), op.path).toBe(
          false,
        );
      }
      expect((await send(gw, 'GET', '/docs')).text).not.toContain('/sandbox/sms');
    } finally {
      await gw.destroy();
    }
  });
});
