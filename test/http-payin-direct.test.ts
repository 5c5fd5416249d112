import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signSimulatorNotification } from '../src/operators/simulator-desk.js';
import { getSimDebit } from '../src/store/simulator.js';
import { BACKENDS, type TestGateway, startTestGateway } from './harness.js';
import {
  PAYIN_ACCEPTED,
  expectEchec,
  expectTokenClaims,
  outbox,
  payins,
  send,
  setProject,
  subOf,
} from './http-helpers.js';
import { E2, NUMBERS, confirmPayin, decide, dial, pushes, straightBody, ussdOtp } from './payin-helpers.js';

/**
 * Direct payin, `POST /pay/v01/straight/checkout-invoice/create` (spec §2.2, §5, §6.2): the
 * response per validation mode, every createInvoice code it can answer, the SDKs' variants, and
 * what reaches the ledger and the outbox.
 */
const AMOUNT = 5000;

async function transfersOf(gw: TestGateway, payinId: string) {
  return gw.gw.db.command((tx) =>
    tx
      .selectFrom('transfers')
      .select(['kind', 'reason', 'amount_xof'])
      .where('subject_id', '=', payinId)
      .orderBy('created_at_ms')
      .orderBy('kind')
      .execute(),
  );
}

describe.each(BACKENDS)('direct payin over HTTP on %s', (backend) => {
  let gw: TestGateway;
  beforeEach(async () => {
    gw = await startTestGateway(backend);
  });
  afterEach(async () => gw.destroy());

  const create = (body: unknown, headers?: Record<string, string>) =>
    gw.call('POST', E2, { body, ...(headers ? { headers } : {}) });

  describe('response per validation mode', () => {
    it('USSD OTP: the customer dials *144*4*6#, the payin completes with the code', async () => {
      const { phone, operatorId } = NUMBERS.ussd_otp;
      const otp = await ussdOtp(gw, phone);
      expect(otp).toMatch(/^\d{6}$/);
      const created = await create(straightBody(phone, { otp }));
      expect(created).toMatchObject({
        response_code: '00',
        response_text: PAYIN_ACCEPTED,
        description: '',
        custom_data: { transaction_id: 'ORD-42' },
      });
      expectTokenClaims(created.token, 'id_invoice', gw.clock.nowMs());
      expect(await confirmPayin(gw, created.token)).toMatchObject({
        status: 'completed',
        operator_id: operatorId,
        operator_name: 'ORANGE BURKINA',
        customer: phone,
        amount: '5000',
      });
      expect((await subOf(gw, operatorId))?.availableXof).toBe(AMOUNT);
      expect((await outbox(gw)).map((e) => e.event_type)).toEqual(['payin.completed']);
    });

    it.each([
      ['USSD push', NUMBERS.ussd_push, undefined],
      ['USSD push with guided fallback', NUMBERS.push_with_guided_fallback, '*555*6#'],
      ['guided USSD', NUMBERS.guided_ussd, '*133#'],
    ])(
      '%s: the French text, the payin pending until the customer approves',
      async (_mode, number, ussdCode) => {
        const created = await create(straightBody(number.phone));
        expect(created).toMatchObject({ response_code: '00', response_text: PAYIN_ACCEPTED });
        expect(await confirmPayin(gw, created.token)).toMatchObject({
          status: 'pending',
          operator_id: '',
          operator_name: '',
          customer: null,
        });
        const waiting = await pushes(gw, number.phone);
        expect(waiting).toHaveLength(1);
        expect(waiting[0]).toMatchObject({
          operatorId: number.operatorId,
          amountXof: AMOUNT,
          merchantName: 'Test shop',
        });
        const sms = (await gw.call('GET', `/sandbox/sms?phone=${number.phone}`)).messages as {
          body: string;
        }[];
        if (ussdCode === undefined) expect(sms).toEqual([]);
        else expect(sms[0]?.body).toContain(`Faites ${ussdCode} pour payer`);
        // The hold: money announced by the operator, not yet available to the merchant.
        expect((await subOf(gw, number.operatorId))?.availableXof).toBe(0);
        expect(await outbox(gw)).toEqual([]);
      },
    );

    it('LigdiCash redirect: the payment page URL, filtered on the number', async () => {
      const created = await create(straightBody(NUMBERS.ligdicash_redirect.phone));
      expect(created.response_code).toBe('00');
      expect(created.response_text).toBe(
        `${gw.gw.config.publicUrl}/directpayment/invoice/${String(created.token)}`,
      );
      const page = await gw.app.inject({
        method: 'GET',
        url: new URL(String(created.response_text)).pathname,
      });
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('WAVE SENEGAL');
      expect(page.body).toContain(NUMBERS.ligdicash_redirect.phone);
    });

    it('operator redirect: the operator portal URL', async () => {
      const created = await create(straightBody(NUMBERS.operator_redirect.phone));
      expect(created.response_code).toBe('00');
      expect(created.response_text).toMatch(
        new RegExp(`^${gw.gw.config.publicUrl}/sandbox/operator-portal/PSH\\d{8}$`),
      );
      const portal = await gw.app.inject({
        method: 'GET',
        url: new URL(String(created.response_text)).pathname,
      });
      expect(portal.statusCode).toBe(200);
      expect(portal.body).toContain('ORANGE CI');
    });
  });

  describe('settlement through the ledger', () => {
    it('approval posts the hold once, and a repeated notification changes nothing', async () => {
      const { phone, operatorId } = NUMBERS.ussd_push;
      const created = await create(straightBody(phone));
      const [push] = await pushes(gw, phone);
      const approved = await decide(gw, String(push?.id), 'approve');
      expect(approved.json).toMatchObject({ decision: 'approve', settled: 'completed' });
      expect(await confirmPayin(gw, created.token)).toMatchObject({
        status: 'completed',
        operator_id: operatorId,
        customer: phone,
      });
      expect((await subOf(gw, operatorId))?.availableXof).toBe(AMOUNT);
      const [payin] = await payins(gw);
      expect(await transfersOf(gw, String(payin?.id))).toEqual([
        { kind: 'pending', reason: 'payin_hold', amount_xof: AMOUNT },
        { kind: 'post_pending', reason: 'payin', amount_xof: AMOUNT },
      ]);
      // The operator reports again: same answer, nothing moves, no second callback.
      expect((await decide(gw, String(push?.id), 'approve')).status).toBe(409);
      const desk = await gw.gw.db.command((tx) => getSimDebit(tx, String(push?.id)));
      const key = (gw.gw.connector as { desk?: { notificationKey: string } }).desk?.notificationKey ?? '';
      const again = signSimulatorNotification(key, desk);
      for (let i = 0; i < 2; i++) {
        const response = await gw.app.inject({
          method: 'POST',
          url: `/operators/${operatorId}/notify`,
          headers: again.headers as Record<string, string>,
          payload: JSON.stringify(again.body),
        });
        expect(response.statusCode).toBe(200);
        expect(JSON.parse(response.body)).toMatchObject({ received: true, result: 'already_final' });
      }
      expect((await subOf(gw, operatorId))?.availableXof).toBe(AMOUNT);
      expect((await outbox(gw)).map((e) => e.event_type)).toEqual(['payin.completed']);
    });

    it('a decline voids the hold: notcompleted, nothing credited, one callback', async () => {
      const { phone, operatorId } = NUMBERS.guided_ussd;
      const created = await create(straightBody(phone));
      const [push] = await pushes(gw, phone);
      expect((await decide(gw, String(push?.id), 'decline')).json).toMatchObject({ settled: 'notcompleted' });
      expect(await confirmPayin(gw, created.token)).toMatchObject({
        status: 'notcompleted',
        operator_id: operatorId,
        customer: phone,
      });
      const sub = await subOf(gw, operatorId);
      expect(sub).toMatchObject({ postedXof: 0, availableXof: 0, heldXof: 0 });
      expect((await outbox(gw)).map((e) => e.event_type)).toEqual(['payin.notcompleted']);
      expect((await payins(gw))[0]?.status_reason).toBe('declined');
    });

    it('guided USSD: dialling the code on the phone approves the request', async () => {
      const { phone } = NUMBERS.guided_ussd;
      const created = await create(straightBody(phone));
      expect(await dial(gw, phone, '*133#')).toMatchObject({ action: 'approved', settled: 'completed' });
      expect((await confirmPayin(gw, created.token)).status).toBe('completed');
    });

    it('refuses a forged operator notification', async () => {
      const { phone, operatorId } = NUMBERS.ussd_push;
      await create(straightBody(phone));
      const [payin] = await payins(gw);
      const body = {
        reference: `${String(payin?.id)}.1`,
        operator_id: operatorId,
        status: 'completed',
        reason: '',
        operator_reference: 'X',
      };
      for (const headers of [{}, { 'x-cauri-simulator-signature': 'f'.repeat(64) }]) {
        const response = await gw.app.inject({
          method: 'POST',
          url: `/operators/${operatorId}/notify`,
          headers,
          payload: body,
        });
        expect(response.statusCode).toBe(401);
      }
      expect((await payins(gw))[0]?.status).toBe('pending');
    });
  });

  describe('magic numbers decide without a human', () => {
    it.each([
      ['0001', 'completed', null],
      ['0002', 'notcompleted', 'declined'],
      ['0003', 'notcompleted', 'insufficient_funds'],
      ['0004', 'notcompleted', 'operator_error'],
      ['0005', 'pending', 'awaiting AIRTEL NIGER'],
    ])('…%s: %s', async (suffix, status, reason) => {
      const phone = `2279611${suffix}`;
      const created = await create(straightBody(phone));
      expect(created.response_code).toBe('00');
      expect((await confirmPayin(gw, created.token)).status).toBe(status);
      expect((await payins(gw))[0]?.status_reason).toBe(reason);
      expect(await pushes(gw, phone)).toEqual([]);
    });

    it('a USSD OTP magic number needs no dialled code', async () => {
      const created = await create(straightBody('22670000001', { otp: '123' }));
      expect((await confirmPayin(gw, created.token)).status).toBe('completed');
    });
  });

  describe('errors', () => {
    it('Code00 for every authentication failure, and nothing is created', async () => {
      const body = straightBody(NUMBERS.ussd_push.phone);
      for (const options of [
        { omit: ['apikey'] },
        { omit: ['authorization'] },
        { headers: { authorization: `Bearer ${gw.other.token}` } },
        { headers: { apikey: 'NOSUCHAPIKEY00000' } },
      ]) {
        const response = await send(gw, 'POST', E2, { body, ...options });
        expect(response.status).toBe(200);
        expectEchec(response.json, 'createInvoice', '00');
      }
      expect(await payins(gw)).toEqual([]);
      expect(await pushes(gw)).toEqual([]);
    });

    it('Code01 when payins are switched off', async () => {
      await setProject(gw, { payinEnabled: false });
      expectEchec(await create(straightBody(NUMBERS.ussd_push.phone)), 'createInvoice', '01');
    });

    it.each([
      ['below 9', 8],
      ['above 2,000,000', 2_000_001],
      ['a fraction', 5000.5],
      ['negative', -5000],
      ['below the operator minimum (Airtel Niger 10, fine; Moov 100)', 50],
    ])('Code02 for an amount %s', async (_name, amount) => {
      expectEchec(
        await create(straightBody(NUMBERS.push_with_guided_fallback.phone, { amount })),
        'createInvoice',
        '02',
      );
      expect(await payins(gw)).toEqual([]);
    });

    it('Code02 below the Guinean minimum of 200', async () => {
      expectEchec(
        await create(straightBody('224621122334', { amount: 150 })),
        'createInvoice',
        '02',
        /ORANGE GUINEE accepts 200/,
      );
    });

    it('Code07 when no operator serves the number, or the project does not enable it', async () => {
      expectEchec(await create(straightBody('22699112233')), 'createInvoice', '07');
      await setProject(gw, { operatorIds: ['0', '11'] });
      expectEchec(
        await create(straightBody(NUMBERS.push_with_guided_fallback.phone)),
        'createInvoice',
        '07',
        /MOOV AFRICA BURKINA is not enabled/,
      );
      expect(await payins(gw)).toEqual([]);
    });

    it.each([
      ['no customer', straightBody('')],
      ['a malformed number', straightBody('22670abc')],
      ['another currency', straightBody(NUMBERS.ussd_push.phone, { devise: 'EUR' })],
      ['no commande', { invoice: {} }],
      [
        'a javascript: callback URL',
        straightBody(NUMBERS.ussd_push.phone, { actions: { callback_url: 'javascript:alert(1)' } }),
      ],
    ])('Code08 for %s', async (_name, body) => {
      expectEchec(await create(body), 'createInvoice', '08');
    });

    it('Code08 "You must specify password or otp" for a USSD OTP operator without an OTP', async () => {
      expectEchec(
        await create(straightBody(NUMBERS.ussd_otp.phone, { otp: '' })),
        'createInvoice',
        '08',
        'You must specify password or otp',
      );
      expect(await payins(gw)).toEqual([]);
    });

    it('Code08 for malformed JSON', async () => {
      expectEchec((await send(gw, 'POST', E2, { rawBody: '{"commande":' })).json, 'createInvoice', '08');
    });

    it('Code15 for a wrong OTP: the hold is voided, no token, no callback', async () => {
      const { phone, operatorId } = NUMBERS.ussd_otp;
      expectEchec(await create(straightBody(phone, { otp: '000000' })), 'createInvoice', '15');
      const otp = await ussdOtp(gw, phone);
      const wrong = otp === '111111' ? '222222' : '111111';
      expectEchec(await create(straightBody(phone, { otp: wrong })), 'createInvoice', '15');
      const rows = await payins(gw);
      expect(rows.map((p) => p.status)).toEqual(['notcompleted', 'notcompleted']);
      expect(await subOf(gw, operatorId)).toMatchObject({ postedXof: 0, availableXof: 0 });
      expect(await outbox(gw)).toEqual([]);
      // The code itself still works.
      expect((await create(straightBody(phone, { otp }))).response_code).toBe('00');
    });

    it('Code16 for an expired OTP, and for a code killed by three wrong attempts', async () => {
      const { phone } = NUMBERS.ussd_otp;
      const otp = await ussdOtp(gw, phone);
      gw.clock.advance(5 * 60_000);
      expectEchec(await create(straightBody(phone, { otp })), 'createInvoice', '16');
      const fresh = await ussdOtp(gw, phone);
      const wrong = fresh === '111111' ? '222222' : '111111';
      for (let i = 0; i < 3; i++)
        expectEchec(await create(straightBody(phone, { otp: wrong })), 'createInvoice', '15');
      expectEchec(await create(straightBody(phone, { otp: fresh })), 'createInvoice', '16');
    });

    it('Code12 for GET', async () => {
      expectEchec((await send(gw, 'GET', E2)).json, 'createInvoice', '12');
    });
  });

  describe('what the SDKs send', () => {
    it("accepts Dart's 5000.0, PHP's [] custom_data and a numeric string", async () => {
      const phone = NUMBERS.ussd_push.phone;
      const dart = JSON.stringify(straightBody(phone, { amount: 'AMOUNT' })).replace('"AMOUNT"', '5000.0');
      expect((await send(gw, 'POST', E2, { rawBody: dart })).json.response_code).toBe('00');
      expect((await create(straightBody(phone, { amount: '5000', customData: [] }))).custom_data).toEqual({
        logfile: expect.any(String) as string,
      });
      expect((await payins(gw)).map((p) => Number(p.amount_xof))).toEqual([AMOUNT, AMOUNT]);
    });

    it("takes the JS SDK's misplaced callback from actions.cancel_url", async () => {
      await create(
        straightBody(NUMBERS.ussd_push.phone, {
          actions: { callback_url: null, cancel_url: 'https://shop.example/js-callback' },
        }),
      );
      expect((await payins(gw))[0]?.callback_url).toBe('https://shop.example/js-callback');
    });

    it("another project's token is not found at confirm", async () => {
      const created = await create(straightBody(NUMBERS.ussd_push.phone));
      const response = await send(
        gw,
        'GET',
        `/pay/v01/redirect/checkout-invoice/confirm/?invoiceToken=${String(created.token)}`,
        { headers: gw.other.headers },
      );
      expectEchec(response.json, 'confirmInvoice', '02');
    });
  });
});
