import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CALLBACK_ATTEMPTS_MAX,
  CALLBACK_EXCERPT_BYTES_MAX,
  CALLBACK_RETRY_SCHEDULE,
  CALLBACK_RETRY_WINDOW_MIN_MS,
} from '../src/core/callbacks.js';
import { verifyToken } from '../src/core/tokens.js';
import { verifyWebhook } from '../src/core/webhook-signature.js';
import { Receiver, until } from './callback-receiver.js';
import {
  ORANGE_PHONE,
  attemptsOf,
  createPayin,
  createPayout,
  errors,
  events,
  fund,
  handWorker,
  setCallbackMode,
  webhookSecretOf,
} from './callback-fixtures.js';
import { BACKENDS, type TestGateway, startTestGateway } from './harness.js';

/**
 * Callback delivery through the real gateway to a real HTTP receiver (ADR 0006, spec §3): the
 * payloads of both encodings, signatures, the retry schedule on a manual clock, and the limits.
 */
describe.each(BACKENDS)('callbacks on %s', (backend) => {
  let gw: TestGateway;
  let receiver: Receiver;
  let secret: string;

  beforeAll(async () => {
    gw = await startTestGateway(backend);
    await fund(gw);
    secret = await webhookSecretOf(gw.gw, gw.project.id);
  });
  afterAll(async () => gw.destroy());
  beforeEach(async () => {
    receiver = await Receiver.start();
    errors.length = 0;
    // Each test sees only its own events.
    await gw.gw.db.command((tx) => tx.deleteFrom('outbox').execute());
    await setCallbackMode(gw.gw, gw.project.id, 'ligdicash');
  });
  afterEach(async () => {
    await receiver.close();
    expect(errors).toEqual([]);
  });

  const nowSeconds = () => Math.floor(gw.clock.nowMs() / 1000);

  it('POSTs a payin callback twice, as JSON and as a form, with the documented fields, once confirm shows the status', async () => {
    const token = await createPayin(gw, receiver.url(), { transaction_id: 'ORD-P1', customer_id: 'C7' });
    const confirmed: unknown[] = [];
    receiver.answer = async () => {
      // What a merchant does on receipt (spec §3.4): confirm with the creation token.
      confirmed.push(
        (await gw.call('GET', `/pay/v01/redirect/checkout-invoice/confirm/?invoiceToken=${token}`)).status,
      );
      return { status: 200, body: 'OK' };
    };
    expect(await handWorker(gw.gw).runOnce()).toBe(1);
    expect(confirmed).toEqual(['completed', 'completed']);
    const [json, form] = receiver.received;
    expect(receiver.received).toHaveLength(2);
    expect(json?.contentType).toBe('application/json');
    expect(form?.contentType).toBe('application/x-www-form-urlencoded');
    expect(json?.fields).toMatchObject({
      token: '',
      amount: 1500,
      montant: 1500,
      status: 'completed',
      customer: ORANGE_PHONE,
      oreference: '',
      description: '',
      external_id: 'ORD-P1C7',
      operator_id: '0',
      operator_name: 'LIGDICASH',
      response_code: '00',
      response_text: '',
      transaction_id: 'ORD-P1',
      wiki: 'https://client.ligdicash.com/wiki/confirmInvoice',
    });
    expect(json?.fields.request_id).toMatch(/^P\d{13}$/);
    expect(json?.fields.date).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+00$/);
    const rows = json?.fields.custom_data as { keyof_customdata: string; valueof_customdata: string }[];
    expect(rows.map((r) => r.keyof_customdata)).toEqual(['transaction_id', 'customer_id', 'hash', 'logfile']);
    expect(rows[2]?.valueof_customdata).toMatch(/^[0-9a-f]{64}$/);
    // The form carries the same fields, every value a string, custom_data as a JSON string.
    expect(Object.keys(form?.fields ?? {})).toEqual(Object.keys(json?.fields ?? {}));
    expect(form?.fields.amount).toBe('1500');
    expect(JSON.parse(String(form?.fields.custom_data))).toEqual(rows);
    // Both are the same event, signed over their own raw body.
    expect(json?.id).toMatch(/^evt_/);
    expect(form?.id).toBe(json?.id);
    for (const request of receiver.received)
      expect(verifyWebhook(secret, request.headers, request.body, nowSeconds())).toBe('ok');
    expect(verifyWebhook(secret, json?.headers ?? {}, form?.body ?? '', nowSeconds())).toBe('bad_signature');
    const [event] = await events(gw.gw).then((all) => all.filter((e) => e.id === json?.id));
    expect(event).toMatchObject({ status: 'delivered', attempts: 1, event_type: 'payin.completed' });
  });

  it('POSTs a payout callback with string amounts, a numeric operator_id and a token confirm accepts', async () => {
    const creationToken = await createPayout(gw, receiver.url('/payout-cb'), 'PO-1', 2500);
    await handWorker(gw.gw).runOnce();
    const [json, form] = receiver.received;
    expect(json?.path).toBe('/payout-cb');
    expect(json?.fields).toEqual({
      response_code: '00',
      token: expect.any(String) as unknown,
      response_text: '',
      status: 'completed',
      custom_data: expect.any(Array) as unknown,
      operator_id: 11,
      operator_name: 'LigdiCash ORANGE BURKINA',
      url: receiver.url('/payout-cb'),
      url_method: '',
      transaction_id: 'PO-1',
      external_id: 'PO-1',
      montant: '2500',
      amount: '2500',
    });
    expect(form?.fields.operator_id).toBe('11');
    const callbackToken = String(json?.fields.token);
    expect(callbackToken).not.toBe(creationToken);
    expect(verifyToken(callbackToken, gw.gw.tokenSecret)?.number).toBe(
      verifyToken(creationToken, gw.gw.tokenSecret)?.number,
    );
    const confirmed = await gw.call('GET', `/pay/v01/withdrawal/confirm/?withdrawalToken=${callbackToken}`);
    expect(confirmed).toMatchObject({ response_code: '00', status: 'completed', transaction_id: 'PO-1' });
  });

  it('POSTs JSON only when the project chose it', async () => {
    await setCallbackMode(gw.gw, gw.project.id, 'json');
    await createPayout(gw, receiver.url(), 'PO-JSON');
    await handWorker(gw.gw).runOnce();
    expect(receiver.received.map((r) => r.contentType)).toEqual(['application/json']);
  });

  it('retries a failing receiver on the published schedule, then succeeds', async () => {
    await createPayout(gw, receiver.url(), 'PO-RETRY');
    const worker = handWorker(gw.gw);
    receiver.answer = () => ({ status: 503, body: 'busy' });
    expect(await worker.runOnce()).toBe(1);
    const [event] = await events(gw.gw);
    if (!event) throw new Error('no event');
    expect(event).toMatchObject({
      status: 'pending',
      attempts: 1,
      next_attempt_at_ms: gw.clock.nowMs() + 30_000,
    });
    gw.clock.advance(29_999);
    expect(await worker.runOnce()).toBe(0);
    gw.clock.advance(1);
    receiver.answer = () => ({ status: 204 });
    expect(await worker.runOnce()).toBe(1);
    const attempts = await attemptsOf(gw.gw, event.id);
    expect(attempts.map((a) => [a.attempt, a.encoding, a.http_status])).toEqual([
      [1, 'json', 503],
      [1, 'form', 503],
      [2, 'json', 204],
      [2, 'form', 204],
    ]);
    expect(attempts[0]?.response_excerpt).toBe('busy');
    expect(attempts[0]?.url).toBe(receiver.url());
    expect(Number(attempts[2]?.started_at_ms)).toBe(gw.clock.nowMs());
    expect((await events(gw.gw)).find((e) => e.id === event.id)).toMatchObject({
      status: 'delivered',
      attempts: 2,
    });
  });

  it('counts a 2xx on either encoding as delivered', async () => {
    await createPayout(gw, receiver.url(), 'PO-FORM-ONLY');
    receiver.answer = (request) =>
      request.contentType.startsWith('application/json') ? { status: 400 } : { status: 200 };
    await handWorker(gw.gw).runOnce();
    expect((await events(gw.gw)).map((e) => e.status)).toEqual(['delivered']);
  });

  it('gives up after the last attempt of the schedule, more than three days later', async () => {
    await createPayout(gw, receiver.url(), 'PO-DEAD');
    const worker = handWorker(gw.gw, { random: () => 0 });
    receiver.answer = () => ({ status: 500 });
    const startedAtMs = gw.clock.nowMs();
    for (let attempt = 1; attempt <= CALLBACK_ATTEMPTS_MAX; attempt++) {
      if (attempt > 1) {
        // Jitter at its shortest: every delay 20% early.
        const delayMs = Math.round((CALLBACK_RETRY_SCHEDULE[attempt - 1] ?? 0) * 0.8);
        gw.clock.advance(delayMs - 1);
        expect(await worker.runOnce()).toBe(0);
        gw.clock.advance(1);
      }
      expect(await worker.runOnce()).toBe(1);
    }
    const [event] = await events(gw.gw);
    expect(event).toMatchObject({ status: 'failed', attempts: CALLBACK_ATTEMPTS_MAX });
    expect(gw.clock.nowMs() - startedAtMs).toBeGreaterThanOrEqual(CALLBACK_RETRY_WINDOW_MIN_MS);
    gw.clock.advance(86_400_000);
    expect(await worker.runOnce()).toBe(0);
    expect(receiver.received).toHaveLength(2 * CALLBACK_ATTEMPTS_MAX);
  });

  it('times out a receiver that hangs and retries it', async () => {
    await createPayout(gw, receiver.url(), 'PO-HANG');
    receiver.answer = () => 'hang';
    await handWorker(gw.gw).runOnce();
    const [event] = await events(gw.gw);
    if (!event) throw new Error('no event');
    expect(event.status).toBe('pending');
    const attempts = await attemptsOf(gw.gw, event.id);
    expect(attempts.map((a) => [a.http_status, a.error])).toEqual([
      [null, 'timeout after 400 ms'],
      [null, 'timeout after 400 ms'],
    ]);
    expect(attempts[0]?.latency_ms).toBeGreaterThanOrEqual(390);
  });

  it('retries a receiver that closes the connection', async () => {
    await createPayout(gw, receiver.url(), 'PO-CLOSE');
    receiver.answer = () => 'destroy';
    await handWorker(gw.gw).runOnce();
    const [event] = await events(gw.gw);
    if (!event) throw new Error('no event');
    expect(event.status).toBe('pending');
    const [attempt] = await attemptsOf(gw.gw, event.id);
    expect(attempt?.http_status).toBeNull();
    expect(attempt?.error).toMatch(/socket hang up|ECONNRESET/);
  });

  it('does not follow redirects', async () => {
    await createPayout(gw, receiver.url('/old'), 'PO-302');
    receiver.answer = (request) =>
      request.path === '/old'
        ? { status: 302, headers: { location: receiver.url('/new') } }
        : { status: 200 };
    await handWorker(gw.gw).runOnce();
    expect(receiver.received.map((r) => r.path)).toEqual(['/old', '/old']);
    const [event] = await events(gw.gw);
    expect(event?.status).toBe('pending');
  });

  it('reads a bounded part of a large answer', async () => {
    await createPayout(gw, receiver.url(), 'PO-BIG');
    receiver.answer = () => ({ status: 200, body: 'x'.repeat(1_000_000) });
    await handWorker(gw.gw).runOnce();
    const [event] = await events(gw.gw);
    if (!event) throw new Error('no event');
    expect(event.status).toBe('delivered');
    const [attempt] = await attemptsOf(gw.gw, event.id);
    expect(attempt?.response_excerpt).toHaveLength(CALLBACK_EXCERPT_BYTES_MAX);
  });

  it('connects to the address it resolved and checked, with the merchant host name', async () => {
    await createPayout(gw, `http://merchant.invalid:${receiver.port}/cb`, 'PO-DNS');
    const resolver = (hostname: string) =>
      Promise.resolve(hostname === 'merchant.invalid' ? [{ address: '127.0.0.1', family: 4 }] : []);
    await handWorker(gw.gw, { resolver }).runOnce();
    expect(receiver.received[0]?.headers.host).toBe(`merchant.invalid:${receiver.port}`);
  });

  it('refuses private, loopback and link-local destinations when they are not allowed', async () => {
    const resolver = () => Promise.resolve([{ address: '10.1.2.3', family: 4 }]);
    await createPayout(gw, receiver.url(), 'PO-LOOP');
    await createPayout(gw, 'http://internal.invalid/cb', 'PO-PRIVATE');
    await createPayout(gw, 'http://169.254.169.254/latest/meta-data', 'PO-METADATA');
    await createPayout(gw, 'http://[::1]:9/cb', 'PO-V6');
    await handWorker(gw.gw, { allowPrivate: false, resolver }).runOnce();
    expect(receiver.received).toEqual([]);
    const failed = await events(gw.gw);
    expect(failed.map((e) => e.status)).toEqual(['failed', 'failed', 'failed', 'failed']);
    const refusals = await Promise.all(
      failed.map(async (e) => (await attemptsOf(gw.gw, e.id)).map((a) => a.error)),
    );
    expect(refusals.flat().sort()).toEqual([
      'refused: 10.1.2.3 (internal.invalid) is a private address',
      'refused: 127.0.0.1 is a loopback address',
      'refused: 169.254.169.254 is a link-local address',
      'refused: ::1 is a loopback address',
    ]);
  });

  it('limits the deliveries to one receiver in flight at once', async () => {
    for (let i = 0; i < 4; i++) await createPayout(gw, receiver.url(), `PO-CONC-${i}`);
    receiver.answer = () => 'hang';
    const worker = handWorker(gw.gw, { receiverConcurrencyMax: 2, timeoutMs: 10_000 });
    const first = worker.runOnce();
    await until(() => receiver.hanging === 2);
    // Another process finds the receiver full.
    expect(await handWorker(gw.gw, { receiverConcurrencyMax: 2 }).runOnce()).toBe(0);
    receiver.answer = () => ({ status: 200 });
    receiver.release();
    expect(await first).toBe(2);
    expect(await worker.runOnce()).toBe(2);
    expect((await events(gw.gw)).map((e) => e.status)).toEqual([
      'delivered',
      'delivered',
      'delivered',
      'delivered',
    ]);
  });

  it('is woken by the commit that queues an event when the worker runs', async () => {
    const confirmed: unknown[] = [];
    receiver.answer = async (request) => {
      // The callback's own token names the payout too.
      confirmed.push(
        (await gw.call('GET', `/pay/v01/withdrawal/confirm/?withdrawalToken=${String(request.fields.token)}`))
          .status,
      );
      return { status: 200 };
    };
    gw.callbacks.start();
    try {
      await createPayout(gw, receiver.url(), 'PO-WAKE');
      await until(() => receiver.received.length === 2);
    } finally {
      await gw.callbacks.stop();
    }
    expect(confirmed).toEqual(['completed', 'completed']);
  });
});

describe.each(BACKENDS)("the gateway's callback worker in production mode on %s", (backend) => {
  it('refuses loopback callback URLs, unless CAURI_CALLBACK_ALLOW_PRIVATE is set', async () => {
    const receiver = await Receiver.start();
    for (const allowPrivate of [false, true]) {
      const gw = await startTestGateway(backend, {
        config: { mode: 'production', callbackAllowPrivate: allowPrivate },
      });
      try {
        await fund(gw);
        await createPayout(gw, receiver.url(), `PO-PROD-${String(allowPrivate)}`);
        expect(await gw.callbacks.runOnce()).toBe(1);
        const [event] = await events(gw.gw);
        if (!event) throw new Error('no event');
        expect(event.status).toBe(allowPrivate ? 'delivered' : 'failed');
        expect((await attemptsOf(gw.gw, event.id))[0]?.error).toBe(
          allowPrivate ? null : 'refused: 127.0.0.1 is a loopback address',
        );
      } finally {
        await gw.destroy();
      }
    }
    expect(receiver.received.map((r) => r.fields.transaction_id)).toEqual(['PO-PROD-true', 'PO-PROD-true']);
    await receiver.close();
  });
});
