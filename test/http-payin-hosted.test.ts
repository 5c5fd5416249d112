import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BACKENDS, type TestGateway, startTestGateway } from './harness.js';
import {
  expectEchec,
  expectTokenClaims,
  outbox,
  payins,
  send,
  setProject,
  subOf,
  walletPayin,
} from './http-helpers.js';
import {
  E1,
  E2,
  NUMBERS,
  PageClient,
  checkoutBody,
  confirmPayin,
  csrfOf,
  pagePath,
  payoutToken,
  straightBody,
} from './payin-helpers.js';

/**
 * Hosted payin: `POST /pay/v01/redirect/checkout-invoice/create` (spec §2.1) and the payment page
 * at the URL it answers (spec §2.10), driven through the app like a browser without JavaScript.
 */
const XSS = '<script>alert("x")</script>';

describe.each(BACKENDS)('hosted payin over HTTP on %s', (backend) => {
  let gw: TestGateway;
  beforeEach(async () => {
    gw = await startTestGateway(backend);
  });
  afterEach(async () => gw.destroy());

  const create = (body: unknown = checkoutBody(), headers?: Record<string, string>) =>
    gw.call('POST', E1, { body, ...(headers ? { headers } : {}) });

  /** Creates an invoice and opens its page; returns the client, the page path and the first body. */
  async function open(body: unknown = checkoutBody(), query = '') {
    const created = await create(body);
    expect(created.response_code).toBe('00');
    const path = pagePath(created.response_text);
    const client = new PageClient(gw);
    const page = await client.get(path + query);
    expect(page.status).toBe(200);
    return { created, path, client, page };
  }

  describe('POST /pay/v01/redirect/checkout-invoice/create', () => {
    it('answers the payment page URL and the token; the payin is pending, nothing moves', async () => {
      const created = await create();
      expect(Object.keys(created)).toEqual([
        'response_code',
        'token',
        'response_text',
        'description',
        'custom_data',
        'wiki',
      ]);
      expect(created).toMatchObject({
        response_code: '00',
        description: '',
        custom_data: { transaction_id: 'ORD-42', logfile: expect.any(String) as string },
      });
      expect(created.response_text).toBe(
        `${gw.gw.config.publicUrl}/directpayment/invoice/${String(created.token)}`,
      );
      expectTokenClaims(created.token, 'id_invoice', gw.clock.nowMs());
      expect(await confirmPayin(gw, created.token)).toMatchObject({
        status: 'pending',
        operator_id: '',
        operator_name: '',
        customer: null,
        amount: '5000',
        transaction_id: 'ORD-42',
      });
      expect(await outbox(gw)).toEqual([]);
      expect((await payins(gw))[0]).toMatchObject({
        kind: 'hosted',
        operator_id: null,
        callback_url: 'https://shop.example/cb',
      });
    });

    it("accepts the SDKs' variants: JS without cancel/return, Dart doubles, PHP strings and []", async () => {
      expect(
        (await create(checkoutBody({ actions: { callback_url: 'https://shop.example/cb' } }))).response_code,
      ).toBe('00');
      const dart = JSON.stringify(checkoutBody({ amount: 'AMOUNT' })).replace('"AMOUNT"', '11500.0');
      expect((await send(gw, 'POST', E1, { rawBody: dart })).json.response_code).toBe('00');
      const php = checkoutBody({
        amount: '2000',
        customData: [],
        items: [{ name: 'Pen', description: '', quantity: '1', unit_price: '2000', total_price: '2000' }],
      });
      expect((await create(php)).custom_data).toEqual({ logfile: expect.any(String) as string });
      expect((await payins(gw)).map((p) => Number(p.amount_xof)).sort((a, b) => a - b)).toEqual([
        2000, 5000, 11500,
      ]);
    });

    it('on E1, a null callback_url does not take cancel_url (the JS SDK quirk is E2 only)', async () => {
      await create(
        checkoutBody({ actions: { callback_url: null, cancel_url: 'https://shop.example/cancel' } }),
      );
      expect((await payins(gw))[0]?.callback_url).toBe('');
    });

    it('replays the same answer for a repeated Idempotency-Key and refuses it with another body', async () => {
      const first = await create(checkoutBody(), { 'idempotency-key': 'inv-1' });
      expect(await create(checkoutBody(), { 'idempotency-key': 'inv-1' })).toEqual(first);
      expectEchec(
        await create(checkoutBody({ amount: 6000 }), { 'idempotency-key': 'inv-1' }),
        'createInvoice',
        '08',
      );
      expect(await payins(gw)).toHaveLength(1);
    });

    it('Code00 for every authentication failure', async () => {
      for (const options of [
        { omit: ['apikey'] },
        { omit: ['authorization'] },
        { headers: { authorization: `Bearer ${gw.other.token}` } },
        { headers: { authorization: gw.project.token } },
      ]) {
        expectEchec(
          (await send(gw, 'POST', E1, { body: checkoutBody(), ...options })).json,
          'createInvoice',
          '00',
        );
      }
      expect(await payins(gw)).toEqual([]);
    });

    it('Code01 when payins are switched off', async () => {
      await setProject(gw, { payinEnabled: false });
      expectEchec(await create(), 'createInvoice', '01');
    });

    it.each([8, 2_000_001, 5000.5, '5e3'])('Code02 for the amount %s', async (amount) => {
      expectEchec(await create(checkoutBody({ amount })), 'createInvoice', '02');
    });

    it("Code02 below the minimum of the customer's operator", async () => {
      expectEchec(
        await create(checkoutBody({ customer: '224621122334', amount: 150 })),
        'createInvoice',
        '02',
      );
    });

    it('Code07 when the customer filter names no operator, or one the project does not enable, or no operator takes the amount', async () => {
      expectEchec(await create(checkoutBody({ customer: '22699112233' })), 'createInvoice', '07');
      await setProject(gw, { operatorIds: ['0', '11'] });
      expectEchec(
        await create(checkoutBody({ customer: NUMBERS.push_with_guided_fallback.phone })),
        'createInvoice',
        '07',
      );
      await setProject(gw, { operatorIds: ['0'] });
      expectEchec(await create(), 'createInvoice', '07');
    });

    it.each([
      ['a malformed customer number', checkoutBody({ customer: 'abc' })],
      [
        'a javascript: return URL',
        checkoutBody({ actions: { return_url: 'javascript:alert(1)', cancel_url: '', callback_url: '' } }),
      ],
      [
        'credentials in a URL',
        checkoutBody({
          actions: { cancel_url: 'https://u:p@shop.example/', return_url: '', callback_url: '' },
        }),
      ],
      ['another currency', checkoutBody({ devise: 'USD' })],
      ['no invoice', { commande: { store: {} } }],
    ])('Code08 for %s', async (_name, body) => {
      expectEchec(await create(body), 'createInvoice', '08');
    });

    it('Code12 for GET, and a hosted token is "not found" for another project', async () => {
      expectEchec((await send(gw, 'GET', E1)).json, 'createInvoice', '12');
      const created = await create();
      expectEchec(
        (
          await send(gw, 'GET', `/pay/v01/redirect/checkout-invoice/confirm?token=${String(created.token)}`, {
            headers: gw.other.headers,
          })
        ).json,
        'confirmInvoice',
        '02',
      );
    });
  });

  describe('the payment page', () => {
    it('is HTML that refuses framing, with a strict CSP and no script', async () => {
      const { page } = await open();
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(page.headers['x-frame-options']).toBe('DENY');
      const csp = String(page.headers['content-security-policy']);
      for (const directive of [
        "default-src 'self'",
        "frame-ancestors 'none'",
        "script-src 'none'",
        "form-action 'self'",
      ])
        expect(csp).toContain(directive);
      expect(csp).not.toContain('unsafe-inline');
      expect(page.headers['referrer-policy']).toBe('same-origin');
      expect(page.headers['x-content-type-options']).toBe('nosniff');
      expect(String(page.headers['set-cookie'])).toMatch(
        /^cauri_csrf=[0-9a-f]{32}; Path=\/; HttpOnly; SameSite=Strict$/,
      );
      expect(page.body).not.toMatch(/<script/i);
      expect(page.body).toContain('Test shop');
      expect(page.body).toContain('Order 42');
      expect(page.body).toContain('T-shirt');
      expect(page.body).toContain('5\u202f000 FCFA');
    });

    it('escapes every merchant-supplied string', async () => {
      const body = checkoutBody({
        store: { name: XSS, website_url: 'https://shop.example/?a="><b>' },
        description: '<img src=x onerror=alert(1)>',
        items: [
          {
            name: '"><svg onload=alert(1)>',
            description: "'; alert(1); '",
            quantity: '<i>2</i>',
            unit_price: 1,
            total_price: '<b>5000</b>',
          },
        ],
      });
      const { page } = await open(body);
      expect(page.body).not.toContain(XSS);
      expect(page.body).not.toMatch(/<(script|img|svg|i|b)[\s>]/);
      expect(page.body).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
      expect(page.body).toContain('&lt;img src=x onerror=alert(1)&gt;');
      expect(page.body).toContain('href="https://shop.example/?a=&quot;&gt;&lt;b&gt;"');
    });

    it('offers the enabled operators that accept the amount, and only the customer operator when named', async () => {
      await setProject(gw, { operatorIds: ['0', '11', '12', '16'] });
      const { page } = await open(checkoutBody({ amount: 50 }));
      expect(page.body).toContain('ORANGE BURKINA');
      expect(page.body).toContain('ORANGE CI');
      expect(page.body).not.toContain('MOOV AFRICA BURKINA'); // minimum 100
      expect(page.body).not.toContain('WAVE SENEGAL'); // not enabled
      const filtered = await open(checkoutBody({ customer: NUMBERS.push_with_guided_fallback.phone }));
      expect(filtered.page.body).toContain('MOOV AFRICA BURKINA');
      expect(filtered.page.body).not.toContain('ORANGE BURKINA');
      expect(filtered.page.body).toContain(`value="${NUMBERS.push_with_guided_fallback.phone}"`);
    });

    it('speaks French by default and English on request', async () => {
      const { path, client, page } = await open();
      expect(page.body).toContain('<html lang="fr">');
      expect(page.body).toContain('Choisissez votre moyen de paiement');
      expect((await client.get(`${path}?lang=en`)).body).toContain('Choose how to pay');
      expect((await client.get(path, { 'accept-language': 'en-GB,en;q=0.9,fr;q=0.5' })).body).toContain(
        '<html lang="en">',
      );
      expect((await client.get(path, { 'accept-language': 'fr-FR,en;q=0.5' })).body).toContain(
        '<html lang="fr">',
      );
    });

    it('answers 404 pages for unknown, forged, payout and wallet tokens', async () => {
      const created = await create();
      const token = String(created.token);
      const forged = token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
      const payout = await payoutToken(gw);
      await gw.wallet('22670111111', 10_000);
      const wallet = String((await walletPayin(gw, '22670111111', 1000)).token);
      for (const bad of ['nope', forged, payout, wallet, `${token}/x/y`]) {
        const response = await gw.app.inject({ method: 'GET', url: `/directpayment/invoice/${bad}` });
        expect(response.statusCode, bad).toBe(404);
        expect(response.body).toContain('Facture introuvable');
        expect(response.headers['x-frame-options']).toBe('DENY');
      }
      expect((await gw.app.inject({ method: 'GET', url: `/pay/invoice/${token}` })).statusCode).toBe(200);
    });

    it('refuses a post without the CSRF cookie or from another origin, and changes nothing', async () => {
      const { path, page } = await open();
      const csrf = csrfOf(page.body);
      const stranger = new PageClient(gw);
      const noCookie = await stranger.post(`${path}/cancel`, { csrf });
      expect(noCookie.status).toBe(303);
      expect(noCookie.location).toContain('e=csrf');
      const { client } = await open();
      const crossSite = await client.post(
        `${path}/cancel`,
        { csrf: client.cookie?.split('=')[1] ?? '' },
        { origin: 'https://evil.example' },
      );
      expect(crossSite.location).toContain('e=csrf');
      expect((await payins(gw)).every((p) => p.status === 'pending')).toBe(true);
      expect((await client.get(`${path}?e=csrf`)).body).toContain('La page a expiré');
    });

    it('USSD OTP: a wrong code keeps the payin pending; the dialled code pays; back to return_url?token=', async () => {
      const { phone, operatorId } = NUMBERS.ussd_otp;
      const { created, path, client } = await open(checkoutBody(), '?op=11');
      let page = await client.get(`${path}?op=${operatorId}`);
      expect(page.body).toContain('*144*4*6#');
      const wrong = await client.post(`${path}/pay`, {
        csrf: csrfOf(page.body),
        operator: operatorId,
        phone,
        otp: '999999',
      });
      expect(wrong.location).toContain('e=otp_invalid');
      expect((await client.get(wrong.location ?? '')).body).toContain('Code de paiement incorrect');
      expect((await payins(gw))[0]?.status).toBe('pending');
      expect(await subOf(gw, operatorId)).toMatchObject({ postedXof: 0, availableXof: 0 });
      // The sandbox panel dials for the customer and shows the code the phone displays.
      const dialled = await client.post(`${path}/dial`, { csrf: csrfOf(page.body), op: operatorId, phone });
      page = await client.get(dialled.location ?? '');
      const code = /data-testid="sim-code">(\d{6})</.exec(page.body)?.[1] ?? '';
      const paid = await client.post(`${path}/pay`, {
        csrf: csrfOf(page.body),
        operator: operatorId,
        phone,
        otp: code,
      });
      const done = await client.get(paid.location ?? '');
      expect(done.body).toContain('data-testid="completed"');
      const target = `https://shop.example/return?token=${String(created.token)}`;
      expect(done.body).toContain(`href="${target}"`);
      expect(done.body).toContain(`content="5;url=${target}"`);
      expect(await confirmPayin(gw, created.token)).toMatchObject({
        status: 'completed',
        operator_id: operatorId,
        customer: phone,
      });
      expect((await subOf(gw, operatorId))?.availableXof).toBe(5000);
      expect((await outbox(gw)).map((e) => e.event_type)).toEqual(['payin.completed']);
    });

    it('refuses a number of another operator, a malformed number and a missing OTP', async () => {
      const { path, client, page } = await open();
      const csrf = csrfOf(page.body);
      const cases: [Record<string, string>, string][] = [
        [{ operator: '11', phone: NUMBERS.push_with_guided_fallback.phone, otp: '1' }, 'phone_mismatch'],
        [{ operator: '11', phone: '226', otp: '1' }, 'phone_invalid'],
        [{ operator: '11', phone: NUMBERS.ussd_otp.phone, otp: '' }, 'otp_missing'],
        [{ operator: '99', phone: NUMBERS.ussd_otp.phone, otp: '1' }, 'operator_unavailable'],
      ];
      for (const [fields, error] of cases)
        expect((await client.post(`${path}/pay`, { csrf, ...fields })).location).toContain(`e=${error}`);
      expect(
        await gw.gw.db.command((tx) =>
          tx.selectFrom('transfers').selectAll().where('reason', '=', 'payin_hold').execute(),
        ),
      ).toEqual([]);
    });

    it('push: the waiting screen reloads itself; approval completes it', async () => {
      const { phone, operatorId } = NUMBERS.push_with_guided_fallback;
      const { created, path, client, page } = await open(checkoutBody(), '?op=12');
      const posted = await client.post(`${path}/pay`, {
        csrf: csrfOf(page.body),
        operator: operatorId,
        phone,
      });
      const waiting = await client.get(posted.location ?? '');
      expect(waiting.body).toContain('data-testid="waiting"');
      expect(waiting.body).toMatch(
        /<meta http-equiv="refresh" content="3;url=\/directpayment\/invoice\/[^"]+\?lang=fr">/,
      );
      expect(
        (await client.post(`${path}/pay`, { csrf: csrfOf(waiting.body), operator: operatorId, phone }))
          .location,
      ).toContain('e=busy');
      await client.post(`${path}/simulate`, { csrf: csrfOf(waiting.body), decision: 'approve' });
      expect((await client.get(path)).body).toContain('data-testid="completed"');
      expect((await confirmPayin(gw, created.token)).status).toBe('completed');
    });

    it('a declined push fails the payin and sends the customer back to return_url', async () => {
      const { phone, operatorId } = NUMBERS.ussd_push;
      const { created, path, client, page } = await open(checkoutBody(), `?op=${operatorId}`);
      await client.post(`${path}/pay`, { csrf: csrfOf(page.body), operator: operatorId, phone });
      await client.post(`${path}/simulate`, { csrf: csrfOf(page.body), decision: 'decline' });
      const done = await client.get(path);
      expect(done.body).toContain('data-testid="failed"');
      expect(done.body).toContain(`href="https://shop.example/return?token=${String(created.token)}"`);
      expect((await confirmPayin(gw, created.token)).status).toBe('notcompleted');
      expect(await subOf(gw, operatorId)).toMatchObject({ postedXof: 0, availableXof: 0 });
    });

    it('cancel before paying: notcompleted, a callback, and the browser goes to cancel_url?token=', async () => {
      const { created, path, client, page } = await open();
      const cancelled = await client.post(`${path}/cancel`, { csrf: csrfOf(page.body) });
      const done = await client.get(cancelled.location ?? '');
      expect(done.body).toContain('data-testid="cancelled"');
      expect(done.body).toContain(`href="https://shop.example/cancel?token=${String(created.token)}"`);
      expect(await confirmPayin(gw, created.token)).toMatchObject({ status: 'notcompleted' });
      expect((await payins(gw))[0]?.status_reason).toBe('cancelled by the customer');
      expect((await payins(gw))[0]?.status_reason_code).toBe('customer_cancelled');
      expect((await outbox(gw)).map((e) => e.event_type)).toEqual(['payin.notcompleted']);
    });

    it('cancel while the operator is asked: the payin stays pending with the reason, and can still complete', async () => {
      const { phone, operatorId } = NUMBERS.ussd_push;
      const { created, path, client, page } = await open(checkoutBody(), `?op=${operatorId}`);
      await client.post(`${path}/pay`, { csrf: csrfOf(page.body), operator: operatorId, phone });
      const left = await client.post(`${path}/cancel`, { csrf: csrfOf(page.body) });
      expect(left.location).toContain('left=1');
      const leaving = await client.get(left.location ?? '');
      expect(leaving.body).toContain(
        `content="0;url=https://shop.example/cancel?token=${String(created.token)}"`,
      );
      expect((await payins(gw))[0]).toMatchObject({
        status: 'pending',
        status_reason: 'the customer left the payment page while AIRTEL NIGER was asked',
      });
      expect((await payins(gw))[0]?.status_reason_code).toBe('customer_left');
      await client.post(`${path}/simulate`, { csrf: csrfOf(page.body), decision: 'approve' });
      expect((await confirmPayin(gw, created.token)).status).toBe('completed');
    });

    it('operator redirect: the page sends the browser to the portal, which sends it back', async () => {
      const { phone, operatorId } = NUMBERS.operator_redirect;
      const { created, path, client, page } = await open(checkoutBody(), `?op=${operatorId}`);
      const posted = await client.post(`${path}/pay`, {
        csrf: csrfOf(page.body),
        operator: operatorId,
        phone,
      });
      expect(posted.location).toContain('go=1');
      const going = await client.get(posted.location ?? '');
      const portalUrl = /content="0;url=([^"]+)"/.exec(going.body)?.[1] ?? '';
      expect(portalUrl).toMatch(/\/sandbox\/operator-portal\/PSH\d{8}$/);
      const portal = await client.get(new URL(portalUrl).pathname);
      const back = await client.post(new URL(portalUrl).pathname, {
        csrf: csrfOf(portal.body),
        decision: 'approve',
      });
      expect(back.status).toBe(303);
      expect(back.location).toBe(`${gw.gw.config.publicUrl}${path}`);
      expect((await client.get(path)).body).toContain('data-testid="completed"');
      expect((await confirmPayin(gw, created.token)).status).toBe('completed');
    });

    it('after ten refused attempts the page refuses more', async () => {
      const { path, client, page } = await open();
      const csrf = csrfOf(page.body);
      for (let i = 0; i < 10; i++) {
        expect(
          (
            await client.post(`${path}/pay`, {
              csrf,
              operator: '11',
              phone: NUMBERS.ussd_otp.phone,
              otp: '1',
            })
          ).location,
        ).toContain('e=otp_invalid');
      }
      expect(
        (await client.post(`${path}/pay`, { csrf, operator: '11', phone: NUMBERS.ussd_otp.phone, otp: '1' }))
          .location,
      ).toContain('e=too_many_attempts');
    });

    it('the page of a direct payin shows its state and offers no cancel', async () => {
      const created = await gw.call('POST', E2, { body: straightBody(NUMBERS.ligdicash_redirect.phone) });
      const client = new PageClient(gw);
      const page = await client.get(pagePath(created.response_text));
      expect(page.body).toContain('data-testid="waiting"');
      expect(page.body).not.toContain('/cancel"');
      expect(
        (await client.post(`${pagePath(created.response_text)}/cancel`, { csrf: csrfOf(page.body) })).status,
      ).toBe(303);
      expect((await payins(gw))[0]?.status).toBe('pending');
    });
  });
});
