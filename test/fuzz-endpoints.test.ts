import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, type TestGateway, payoutBody, startTestGateway, walletPayinBody } from './harness.js';
import { ORANGE, money, payouts } from './http-helpers.js';
import { expectLedgerSound, readLedger } from './ledger-checks.js';
import { E1, E2, E7, NUMBERS, checkoutBody } from './payin-helpers.js';

/**
 * A seeded fuzz of every endpoint of the route table (src/http/routes/index.ts), through the real
 * app (issue 10): thousands of requests with mutated or random bodies, headers, paths and methods.
 * Whatever arrives, the gateway answers below 500, in the endpoint's documented format (the
 * LigdiCash envelope under /pay/, debitotp's `{error, message}`, HTML pages, plain JSON for the
 * operators' and sandbox routes, a 404 envelope for unknown paths), with no stack trace, and
 * moves no money.
 *
 * "No money moved" holds by construction of the requests, not by luck: the project the fuzzer
 * authenticates as has no funds (so no payout can be paid), the only funded accounts belong to a
 * wallet and to the other project (whose full credentials the fuzzer never sends, so they catch a
 * request that leaks across projects), the payin numbers avoid the simulator's magic suffixes
 * (which complete a payin at once), and the sandbox desk is only ever asked about numbers no payin
 * names, so no pending payin is approved.
 *
 * Left out: `POST /console/login`, whose scrypt makes every attempt cost ~300 ms (the console
 * suites test it), and framing errors, which `app.inject` cannot make (security-request-head).
 */
const RUNS = 4_000;
const SEED = 20_261_122;
const WALLET_PHONE = '22670111111';
const PAYIN_PHONES = [
  WALLET_PHONE,
  '22670222222',
  NUMBERS.ussd_otp.phone,
  NUMBERS.ussd_push.phone,
  NUMBERS.push_with_guided_fallback.phone,
  NUMBERS.guided_ussd.phone,
  NUMBERS.ligdicash_redirect.phone,
  NUMBERS.operator_redirect.phone,
];
/** Numbers for the sandbox desk only (dial, pushes), which no payin body ever names. */
const DESK_PHONES = ['22670999998', '22674999998', '2250599999998'];
const MAGIC_SUFFIX = /000[1-5]$/;

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'OPTIONS' | 'HEAD';

/** One endpoint family: how to make its path, and the bodies it expects. */
interface Endpoint {
  name: string;
  methods: Method[];
  path: fc.Arbitrary<string>;
  body: fc.Arbitrary<unknown>;
}

const segment = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9._~-]{0,40}$/),
  fc.string({ maxLength: 30 }).map(encodeURIComponent),
  fc.constantFrom(
    '',
    '..',
    '%00',
    '%E0%A4%A',
    '%2F',
    '9'.repeat(300),
    'evt_abc',
    'pay_x',
    'PSH1',
    'approve',
    'decline',
    'x'.repeat(1100),
  ),
);
const payinPhone = fc.oneof(
  fc.constantFrom(...PAYIN_PHONES),
  fc.stringMatching(/^\+?\d{0,16}$/).filter((phone) => !MAGIC_SUFFIX.test(phone)),
);
const amount = fc.oneof(
  fc.integer({ min: -10, max: 2_000_000 }),
  fc.constantFrom(
    0,
    1,
    99,
    100,
    1500,
    1e15,
    -0,
    1.5,
    '1500',
    '1500.0',
    ' 1500 ',
    '1e3',
    '',
    null,
    true,
    [],
    {},
  ),
  fc.double(),
);
const anyJson = fc.jsonValue({ maxDepth: 3 });
const anyToken = fc.oneof(
  fc.constantFrom('', 'nope', 'a.b.c', 'eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.e30.AAAA', 'x'.repeat(2000)),
  fc.string({ maxLength: 60 }),
);

const payout = fc
  .record({ phone: payinPhone, amount, topUp: fc.constantFrom(0, 1, '1', 2, null) })
  .map(({ phone, amount, topUp }) => payoutBody(phone, amount as number, { top_up_wallet: topUp }));
const straightPayout = fc.record({ phone: payinPhone, amount }).map(({ phone, amount }) => ({
  commande: { amount, description: 'Supplier', customer: phone, callback_url: '', custom_data: {} },
}));
const checkout = fc
  .record({
    phone: fc.oneof(fc.constant(''), payinPhone),
    amount,
    otp: fc.oneof(fc.constant(''), fc.stringMatching(/^\d{0,8}$/)),
  })
  .map(({ phone, amount, otp }) => checkoutBody({ customer: phone, amount: amount as number, otp }));
const walletPayin = fc
  .record({ phone: payinPhone, amount, otp: fc.stringMatching(/^\d{0,8}$/) })
  .map(({ phone, amount, otp }) => walletPayinBody(phone, amount as number, otp));
const tokenQuery = fc.record({ invoiceToken: anyToken, withdrawalToken: anyToken, token: anyToken });

/**
 * An urlencoded form of the fields given, sometimes with a repeated field or the names that
 * poison a plain object (`__proto__`, `constructor`), as the payment page and the console take.
 */
function form(fields: Record<string, fc.Arbitrary<string>>): fc.Arbitrary<string> {
  const extra = fc.constantFrom(
    '',
    '&__proto__=x',
    '&constructor=y&prototype=z',
    '&phone=1&phone=2',
    '&%E0%A4%A=1',
    '&=',
  );
  return fc
    .tuple(fc.record(fields), extra)
    .map(([values, tail]) => new URLSearchParams(values).toString() + tail);
}

const ENDPOINTS: Endpoint[] = [
  {
    name: 'debitotp',
    methods: ['GET'],
    path: fc
      .tuple(
        fc.constantFrom('v02', 'v01'),
        fc.oneof(payinPhone, segment),
        fc.oneof(amount.map(String), segment),
      )
      .map(([v, phone, amt]) => `/pay/${v}/debitotp/${encodeURIComponent(phone)}/${encodeURIComponent(amt)}`),
    body: fc.constant(undefined),
  },
  {
    name: 'withotp',
    methods: ['POST'],
    path: fc.constantFrom('/pay/v02/debitwallet/withotp', '/pay/v01/debitwallet/withotp'),
    body: walletPayin,
  },
  {
    name: 'checkout create',
    methods: ['POST'],
    path: fc.constantFrom(E1, E2, `${E1}/`, `${E2}/`),
    body: checkout,
  },
  {
    name: 'payin confirm',
    methods: ['GET', 'POST'],
    path: fc.constantFrom(
      '/pay/v01/redirect/checkout-invoice/confirm',
      '/pay/v01/redirect/checkout-invoice/confirm/',
    ),
    body: tokenQuery,
  },
  {
    name: 'withdrawal create',
    methods: ['POST'],
    path: fc.constantFrom('/pay/v01/withdrawal/create', '/pay/v01/withdrawal/create/'),
    body: payout,
  },
  {
    name: 'payout confirm',
    methods: ['GET', 'POST'],
    path: fc.constantFrom(
      '/pay/v01/withdrawal/confirm',
      '/pay/v01/withdrawal/confirm/',
      '/pay/v01/straight/payout/confirm',
      '/pay/v01/straight/payout/confirm/',
    ),
    body: tokenQuery,
  },
  { name: 'straight payout', methods: ['POST'], path: fc.constantFrom(E7, `${E7}/`), body: straightPayout },
  {
    name: 'payment page',
    methods: ['GET', 'POST'],
    path: fc
      .tuple(
        fc.constantFrom('/directpayment/invoice', '/pay/invoice'),
        fc.oneof(anyToken.map(encodeURIComponent), segment),
        fc.constantFrom('', '/pay', '/cancel', '/simulate', '/dial', '/x/y'),
      )
      .map(([base, token, action]) => `${base}/${token}${action}`),
    body: form({
      csrf: fc.string({ maxLength: 50 }),
      phone: payinPhone,
      operator: fc.constantFrom('11', '12', '0', 'zz'),
      otp: fc.stringMatching(/^\d{0,8}$/),
    }),
  },
  {
    name: 'operator notify',
    methods: ['POST', 'PUT'],
    path: fc
      .oneof(fc.constantFrom('11', '12', '15', '39', '0'), segment)
      .map((id) => `/operators/${id}/notify`),
    body: anyJson,
  },
  {
    name: 'callback resend',
    methods: ['POST'],
    path: fc
      .oneof(fc.constantFrom('evt_abcdefgh', 'evt_'), segment)
      .map((id) => `/cauri/v1/callbacks/${id}/resend`),
    body: anyJson,
  },
  {
    name: 'health',
    methods: ['GET'],
    path: fc.constantFrom('/health', '/health/'),
    body: fc.constant(undefined),
  },
  {
    name: 'openapi',
    methods: ['GET'],
    path: fc.constantFrom('/openapi.json', '/docs'),
    body: fc.constant(undefined),
  },
  {
    name: 'console',
    methods: ['GET', 'POST'],
    path: fc.oneof(
      fc.constantFrom(
        '/console',
        '/console/',
        '/console/logout',
        '/console/transactions',
        '/console/projects',
        '/console/balances',
        '/console/balances/verify',
        '/console/wallets',
        '/console/wallets/fund',
        '/console/activity',
        '/console/sandbox/sms',
        '/console/sandbox/pushes',
        '/console/sandbox/magic-numbers',
      ),
      segment.map((id) => `/console/transactions/${id}`),
      fc
        .tuple(segment, fc.constantFrom('', '/fund', '/rotate-token', '/rotate-apikey'))
        .map(([id, action]) => `/console/projects/${id}${action}`),
    ),
    body: form({
      csrf: fc.string({ maxLength: 50 }),
      amount: amount.map(String),
      phone: payinPhone,
      name: fc.string({ maxLength: 20 }),
    }),
  },
  {
    name: 'sandbox sms',
    methods: ['GET'],
    path: fc
      .tuple(payinPhone, fc.oneof(fc.nat(300).map(String), segment))
      .map(([phone, limit]) => `/sandbox/sms?phone=${encodeURIComponent(phone)}&limit=${limit}`),
    body: fc.constant(undefined),
  },
  {
    name: 'sandbox desk',
    methods: ['GET', 'POST'],
    path: fc.oneof(
      fc.constantFrom('/sandbox/ussd/dial', '/sandbox/pushes', '/sandbox/console'),
      fc
        .tuple(segment, fc.constantFrom('approve', 'decline', 'other'))
        .map(([id, decision]) => `/sandbox/pushes/${id}/${decision}`),
      segment.map((id) => `/sandbox/operator-portal/${id}`),
    ),
    body: fc.record({
      phone: fc.constantFrom(...DESK_PHONES),
      code: fc.oneof(fc.constant(''), fc.stringMatching(/^[*#0-9]{0,12}$/)),
      action: fc.constantFrom('approve', 'decline', 'dial'),
      id: segment,
    }),
  },
];

/** A body edit: walk to a container by `picks`, then replace, delete or re-type one of its fields. */
interface Edit {
  picks: number[];
  action: 'set' | 'delete' | 'stringify';
  value: unknown;
}

const edit: fc.Arbitrary<Edit> = fc.record({
  picks: fc.array(fc.nat(20), { minLength: 1, maxLength: 4 }),
  action: fc.constantFrom('set' as const, 'delete' as const, 'stringify' as const),
  value: fc.oneof(anyJson, amount, fc.constantFrom('\u0000', 'x'.repeat(5000), '<script>', '__proto__', -1)),
});

function applyEdit(body: unknown, { picks, action, value }: Edit): unknown {
  if (typeof body !== 'object' || body === null) return value;
  let node = body as Record<string, unknown>;
  let key = '';
  for (const pick of picks) {
    const keys = Object.keys(node);
    if (keys.length === 0) break;
    key = keys[pick % keys.length] ?? '';
    const child = node[key];
    if (typeof child !== 'object' || child === null || pick % 3 === 0) break;
    node = child as Record<string, unknown>;
  }
  if (action === 'delete') delete node[key];
  else if (action === 'stringify') node[key] = JSON.stringify(node[key] ?? null);
  else node[key] = value;
  return body;
}

/** A raw body text: mostly the endpoint's JSON, edited, sometimes something no parser expects. */
function rawBodyOf(endpoint: Endpoint): fc.Arbitrary<string | undefined> {
  const edited = fc.tuple(endpoint.body, fc.array(edit, { maxLength: 3 })).map(([body, edits]) => {
    if (typeof body === 'string') return body;
    let value = structuredClone(body);
    for (const change of edits) value = applyEdit(value, change);
    return value === undefined ? undefined : JSON.stringify(value);
  });
  const odd = fc.oneof(
    fc.string({ maxLength: 200 }),
    anyJson.map((value) => JSON.stringify(value)),
    fc.constantFrom(
      '{"commande":',
      'commande=1&amount=2',
      '['.repeat(5000) + ']'.repeat(5000),
      '{"commande":{"amount":99.99999999999999999,"customer":"22670111111"}}',
      '{"commande":{"amount":1e2}}',
      '{"commande":{"description":"\\u0000"}}',
      '\u00ef\u00bb\u00bf{}',
      'csrf=x&phone=22670999998&__proto__=1&constructor=2',
    ),
  );
  return fc.oneof(
    { weight: 6, arbitrary: edited },
    { weight: 2, arbitrary: odd },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}

/** A path edit: the endpoint's own path, or one a client got slightly wrong, or any path at all. */
function mutatedPath(path: string): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 8, arbitrary: fc.constant(path) },
    { weight: 1, arbitrary: segment.map((extra) => `${path}/${extra}`) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        path.toUpperCase(),
        path.replace('/', '//'),
        `${path}?a[]=1&a=2`,
        path.replace(/\/[^/]*$/, '') || '/',
        `${path}%00`,
        `${path}#x`,
      ),
    },
    {
      weight: 1,
      arbitrary: fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => `/${parts.join('/')}`),
    },
  );
}

type Headers = Record<string, string>;

function headersFor(gw: TestGateway): fc.Arbitrary<Headers> {
  const { apikey, authorization } = gw.project.headers;
  const credentials = fc.constantFrom<Headers>(
    { apikey: apikey ?? '', authorization: authorization ?? '' },
    { apikey: apikey ?? '', authorization: authorization ?? '' },
    { apikey: apikey ?? '' },
    { authorization: authorization ?? '' },
    {},
    { apikey: apikey ?? '', authorization: `Bearer ${gw.other.token}` },
    { apikey: gw.other.apikey, authorization: authorization ?? '' },
    { apikey: 'A'.repeat(5000), authorization: 'Bearer x' },
    { apikey: apikey ?? '', authorization: gw.project.token },
  );
  const optional = fc.record(
    {
      'content-type': fc.constantFrom(
        'application/json',
        'application/json; charset=utf-8',
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/xml',
        ';;',
      ),
      accept: fc.constantFrom('application/json', 'text/html', '*/*', ''),
      'idempotency-key': fc.oneof(fc.stringMatching(/^[A-Za-z0-9-]{1,40}$/), fc.constant('k'.repeat(300))),
      'accept-language': fc.constantFrom('fr', 'en-GB,en;q=0.9', 'xx', '*'),
      'x-forwarded-for': fc.constantFrom('1.2.3.4', '127.0.0.1, 10.0.0.1', 'garbage'),
      cookie: fc.constantFrom('cauri_console=abc', 'cauri_pay_csrf=x', 'a=b; c'),
      'sec-fetch-site': fc.constantFrom('same-origin', 'cross-site', 'none'),
      origin: fc.constantFrom('https://evil.example', 'http://localhost'),
    },
    { requiredKeys: [] },
  );
  return fc.tuple(credentials, optional).map(([auth, extra]) => ({ ...auth, ...extra }));
}

interface FuzzRequest {
  endpoint: string;
  method: Method;
  url: string;
  headers: Headers;
  payload: string | undefined;
  ip: string;
}

function requestsFor(gw: TestGateway): fc.Arbitrary<FuzzRequest> {
  return fc.constantFrom(...ENDPOINTS).chain((endpoint) =>
    fc.record({
      endpoint: fc.constant(endpoint.name),
      method: fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom(...endpoint.methods) },
        {
          weight: 1,
          arbitrary: fc.constantFrom<Method>('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'),
        },
      ),
      url: endpoint.path.chain(mutatedPath),
      headers: headersFor(gw),
      payload: rawBodyOf(endpoint),
      ip: fc.constantFrom('127.0.0.1', '127.0.0.1', '10.9.8.7'),
    }),
  );
}

const ENVELOPE_KEYS = ['description', 'response_code', 'response_text', 'token', 'wiki'];

/** The checks every answer must pass; `label` describes the request in failure messages. */
function checkAnswer(
  request: FuzzRequest,
  status: number,
  headers: Record<string, unknown>,
  text: string,
): void {
  const label = `${request.method} ${request.url} [${request.endpoint}] ${String(request.payload).slice(0, 120)} → ${status} ${text.slice(0, 300)}`;
  expect(status, label).toBeLessThan(500);
  expect(text, label).not.toMatch(
    /\n\s+at .+\(.+:\d+:\d+\)|node_modules|SqliteError|syntax error at or near/,
  );
  if (request.method === 'HEAD' || status === 204 || (status >= 300 && status < 400)) return;
  const contentType = typeof headers['content-type'] === 'string' ? headers['content-type'] : '';
  // The router ignores one trailing slash (ADR 0004), so the checks do too.
  const path = (request.url.split(/[?#]/)[0] ?? '').replace(/(.)\/$/, '$1');
  const page =
    /^\/(directpayment|pay)\/invoice(\/|$)/i.test(path) ||
    path.startsWith('/console') ||
    path.startsWith('/sandbox/console') ||
    path.startsWith('/sandbox/operator-portal') ||
    path === '/docs';
  if (contentType.startsWith('text/html')) {
    expect(page, label).toBe(true);
    return;
  }
  expect(contentType, label).toMatch(/^application\/json/);
  const json = JSON.parse(text) as Record<string, unknown>;
  const ligdicash = (path === '/pay' || path.startsWith('/pay/')) && !page;
  if (ligdicash) expect(status, label).toBe(200);
  if (status === 404 && !path.startsWith('/sandbox/'))
    expect(json.response_text, label).toBe('Echec (Code12)');
  if (!ligdicash) return;
  if (request.endpoint === 'debitotp' && typeof json.error === 'boolean') {
    expect(Object.keys(json).sort(), label).toEqual(['error', 'message']);
    expect(typeof json.message, label).toBe('string');
    return;
  }
  expect(typeof json.response_code, label).toBe('string');
  if (json.response_code === '00') return;
  expect(Object.keys(json).sort(), label).toEqual(ENVELOPE_KEYS);
  expect(json.response_text, label).toMatch(/^Echec \(Code\d{2}\)$/);
  // The processing error is a failure inside the gateway dressed as an envelope: a 500 in disguise.
  expect(json.description, label).not.toMatch(/^An error occurred while processing/);
}

describe.each(BACKENDS)('fuzzing every endpoint on %s', (backend) => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway(backend);
    // The only money there is: a wallet and the other project's float, which no fuzzed request may reach.
    await gw.wallet(WALLET_PHONE, 10_000);
    await gw.fundSub(ORANGE, 50_000, gw.other.id);
  });
  afterAll(async () => gw.destroy());

  it(
    `answers ${RUNS} random requests below 500, in each endpoint's format, and moves no money`,
    { timeout: 120_000 },
    async () => {
      const before = await money(gw);
      const hits = new Map<string, number>();
      await fc.assert(
        fc.asyncProperty(requestsFor(gw), async (request) => {
          hits.set(request.endpoint, (hits.get(request.endpoint) ?? 0) + 1);
          gw.clock.advance(1_000);
          const response = await gw.app.inject({
            method: request.method,
            url: request.url,
            headers: request.headers,
            remoteAddress: request.ip,
            ...(request.payload !== undefined && request.method !== 'GET' && request.method !== 'HEAD'
              ? { payload: request.payload }
              : {}),
          });
          checkAnswer(request, response.statusCode, response.headers, response.body);
        }),
        { seed: SEED, numRuns: RUNS, endOnFailure: true },
      );
      for (const endpoint of ENDPOINTS)
        expect(hits.get(endpoint.name) ?? 0, endpoint.name).toBeGreaterThan(RUNS / ENDPOINTS.length / 3);
      expect(await money(gw)).toEqual(before);
      expect((await payouts(gw)).filter((row) => row.status === 'completed')).toEqual([]);
      expectLedgerSound(await readLedger(gw.gw.db), 'after the fuzz');
    },
  );
});
