import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BACKENDS, type TestGateway, startTestGateway } from './harness.js';
import { E2, NUMBERS, PageClient, confirmPayin, csrfOf, straightBody } from './payin-helpers.js';

/**
 * The sandbox's JSON actions refuse cross-site "simple" requests (ADR 0016). A page on any site
 * could `fetch('/sandbox/ussd/dial', {method: 'POST', mode: 'no-cors', body: '{"phone":…}'})`
 * (sent as `text/plain`, no preflight) or post a form, and approve a customer's waiting request
 * by dialling for them. They now demand `Content-Type: application/json` (HTTP 415 otherwise); the
 * console page's HTML forms keep working with their CSRF value.
 */
const SIMPLE_TYPES = [
  'text/plain',
  'text/plain;charset=UTF-8',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  undefined,
];

describe.each(BACKENDS)('sandbox actions and cross-site posts on %s', (backend) => {
  let gw: TestGateway;
  beforeEach(async () => {
    gw = await startTestGateway(backend);
  });
  afterEach(async () => gw.destroy());

  const post = (url: string, contentType: string | undefined, payload: string) =>
    gw.app.inject({
      method: 'POST',
      url,
      headers: {
        ...(contentType !== undefined ? { 'content-type': contentType } : {}),
        origin: 'https://evil.example',
      },
      payload,
    });

  it.each(SIMPLE_TYPES)(
    'a dial posted as %s is refused with 415 and approves nothing',
    async (contentType) => {
      const created = await gw.call('POST', E2, { body: straightBody(NUMBERS.guided_ussd.phone) });
      const payload = contentType?.includes('urlencoded')
        ? `phone=${NUMBERS.guided_ussd.phone}`
        : JSON.stringify({ phone: NUMBERS.guided_ussd.phone });
      const response = await post('/sandbox/ussd/dial', contentType, payload);
      expect(response.statusCode).toBe(415);
      expect(JSON.parse(response.body)).toEqual({ error: 'Content-Type must be application/json' });
      expect((await confirmPayin(gw, created.token)).status).toBe('pending');
    },
  );

  it.each(SIMPLE_TYPES)(
    'a push decision posted as %s is refused with 415 and decides nothing',
    async (contentType) => {
      const created = await gw.call('POST', E2, { body: straightBody(NUMBERS.ussd_push.phone) });
      const id = await gw.gw.db.command(
        async (tx) => (await tx.selectFrom('sim_debits').select('id').executeTakeFirstOrThrow()).id,
      );
      const response = await post(
        `/sandbox/pushes/${id}/approve`,
        contentType,
        contentType === undefined ? '' : 'x',
      );
      expect(response.statusCode).toBe(415);
      expect((await confirmPayin(gw, created.token)).status).toBe('pending');
    },
  );

  it('JSON clients keep working (application/json, with or without a charset)', async () => {
    const created = await gw.call('POST', E2, { body: straightBody(NUMBERS.guided_ussd.phone) });
    const response = await post(
      '/sandbox/ussd/dial',
      'Application/JSON; charset=utf-8',
      JSON.stringify({ phone: NUMBERS.guided_ussd.phone }),
    );
    expect(response.statusCode, response.body).toBe(200);
    expect((await confirmPayin(gw, created.token)).status).toBe('completed');
  });

  it("the console page's forms keep working with their CSRF value, and refuse a post without it", async () => {
    const created = await gw.call('POST', E2, { body: straightBody(NUMBERS.ussd_push.phone) });
    const client = new PageClient(gw);
    const page = await client.get('/sandbox/console');
    const id = /<code>(PSH\d{8})<\/code>/.exec(page.body)?.[1] ?? '';
    const forged = await gw.app.inject({
      method: 'POST',
      url: '/sandbox/console',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `action=approve&id=${id}`,
    });
    expect(forged.headers.location).toContain('expired');
    expect((await confirmPayin(gw, created.token)).status).toBe('pending');
    const approved = await client.post('/sandbox/console', {
      csrf: csrfOf(page.body),
      action: 'approve',
      id,
    });
    expect((await client.get(approved.location ?? '')).body).toContain(`${id} approved`);
    expect((await confirmPayin(gw, created.token)).status).toBe('completed');
  });
});
