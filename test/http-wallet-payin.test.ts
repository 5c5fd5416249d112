import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BACKENDS, type TestGateway, latestOtp, startTestGateway, walletPayinBody } from './harness.js';
import {
  OTP_SENT,
  PAYIN_ACCEPTED,
  WALLET_OPERATOR_ID,
  WIKI,
  money,
  expectEchec,
  expectTokenClaims,
  otpFor,
  outbox,
  payins,
  send,
  setProject,
  subOf,
  walletOf,
  without,
  authFailures,
} from './http-helpers.js';

/**
 * The LigdiCash Wallet payin over HTTP: `GET /pay/v02/debitotp/{phone}/{amount}` (spec §2.4),
 * `POST /pay/v02/debitwallet/withotp` (spec §2.5) and the sandbox SMS inbox the OTP lands in.
 */
const PHONE = '22670111111';
const START_XOF = 10_000;
const WITHOTP = '/pay/v02/debitwallet/withotp';
const AUTH_FAILURE = { error: true, message: 'Authentification failure' };

/** A body whose `total_amount` is written literally, e.g. `1500.0`, which JSON.stringify cannot produce. */
function rawAmountBody(phone: string, literal: string, otp: string): string {
  return JSON.stringify(walletPayinBody(phone, 'AMOUNT', otp)).replace('"AMOUNT"', literal);
}

describe.each(BACKENDS)('wallet payin over HTTP on %s', (backend) => {
  let gw: TestGateway;
  beforeEach(async () => {
    gw = await startTestGateway(backend);
    await gw.wallet(PHONE, START_XOF);
  });
  afterEach(async () => gw.destroy());

  async function pay(body: unknown, headers?: Record<string, string>) {
    return gw.call('POST', WITHOTP, { body, ...(headers ? { headers } : {}) });
  }

  describe('GET /pay/v02/debitotp/:phone/:amount', () => {
    it('sends a six-digit code to the sandbox inbox and answers {error:false}', async () => {
      expect(await gw.call('GET', `/pay/v02/debitotp/${PHONE}/1500`)).toEqual(OTP_SENT);
      const inbox = await gw.call('GET', `/sandbox/sms?phone=${PHONE}`);
      const messages = inbox.messages as { phone: string; body: string }[];
      expect(messages).toHaveLength(1);
      expect(messages[0]?.phone).toBe(PHONE);
      expect(messages[0]?.body).toMatch(/\b\d{6}\b/);
      expect(messages[0]?.body).toContain('1500 FCFA');
      expect(messages[0]?.body).toContain('Test shop');
    });

    it('answers on the /pay/v01/ alias too', async () => {
      expect(await gw.call('GET', `/pay/v01/debitotp/${PHONE}/1500`)).toEqual(OTP_SENT);
      expect(await latestOtp(gw, PHONE)).toMatch(/^\d{6}$/);
    });

    it('moves no money', async () => {
      const before = await money(gw);
      await otpFor(gw, PHONE, 1500);
      expect(await money(gw)).toEqual(before);
      expect(await outbox(gw)).toEqual([]);
    });

    it('accepts +226 and 00226 spellings and sends the code to the normalised number', async () => {
      expect(await gw.call('GET', `/pay/v02/debitotp/${encodeURIComponent('+' + PHONE)}/1500`)).toEqual(
        OTP_SENT,
      );
      expect(await gw.call('GET', `/pay/v02/debitotp/00${PHONE}/1600`)).toEqual(OTP_SENT);
      const inbox = await gw.call('GET', `/sandbox/sms?phone=${PHONE}`);
      expect((inbox.messages as unknown[]).length).toBe(2);
    });

    it.each([
      ['too short a number', '7011111'],
      ['letters', '2267011111a'],
      ['too long a number', '2267011111111111'],
    ])('refuses %s', async (_name, phone) => {
      const answer = await gw.call('GET', `/pay/v02/debitotp/${phone}/1500`);
      expect(answer.error).toBe(true);
      expect(answer.message).toEqual(expect.any(String));
    });

    it('refuses every kind of authentication failure, and sends nothing', async () => {
      for (const failure of authFailures(gw)) {
        const response = await send(gw, 'GET', `/pay/v02/debitotp/${PHONE}/1500`, failure);
        expect(response.status, failure.name).toBe(200);
        expect(response.json, failure.name).toEqual(AUTH_FAILURE);
      }
      const inbox = await gw.call('GET', `/sandbox/sms?phone=${PHONE}`);
      expect(inbox.messages).toEqual([]);
    });

    it('refuses when payins are switched off for the project', async () => {
      await setProject(gw, { payinEnabled: false });
      expect(await gw.call('GET', `/pay/v02/debitotp/${PHONE}/1500`)).toEqual({
        error: true,
        message: 'Merchant Payin not activated',
      });
    });

    it('refuses when the wallet operator is not enabled for the project', async () => {
      await setProject(gw, { operatorIds: ['11', '12'] });
      expect((await gw.call('GET', `/pay/v02/debitotp/${PHONE}/1500`)).error).toBe(true);
    });

    it('keeps amounts within 9 … 2,000,000 XOF', async () => {
      await gw.wallet(PHONE, 2_000_000);
      expect((await gw.call('GET', `/pay/v02/debitotp/${PHONE}/8`)).error).toBe(true);
      expect(await gw.call('GET', `/pay/v02/debitotp/${PHONE}/9`)).toEqual(OTP_SENT);
      expect(await gw.call('GET', `/pay/v02/debitotp/${PHONE}/2000000`)).toEqual(OTP_SENT);
      expect((await gw.call('GET', `/pay/v02/debitotp/${PHONE}/2000001`)).error).toBe(true);
    });

    it.each(['1500.5', '-1500', 'abc', '1e3'])('refuses the amount %s', async (amount) => {
      expect(await gw.call('GET', `/pay/v02/debitotp/${PHONE}/${amount}`)).toEqual({
        error: true,
        message: expect.any(String) as string,
      });
    });

    // Neither a missing wallet nor a short balance is told apart before a valid code (ADR 0016).
    it('answers "OTP sent" for a customer without a wallet, and sends no SMS', async () => {
      expect(await gw.call('GET', '/pay/v02/debitotp/22670999999/1500')).toEqual(OTP_SENT);
      expect((await gw.call('GET', '/sandbox/sms?phone=22670999999')).messages).toEqual([]);
    });

    it('sends the code for an amount above the wallet balance too: withotp tells Code05 after it', async () => {
      expect(await gw.call('GET', `/pay/v02/debitotp/${PHONE}/${START_XOF + 1}`)).toEqual(OTP_SENT);
      expectEchec(
        await pay(walletPayinBody(PHONE, START_XOF + 1, await latestOtp(gw, PHONE))),
        'createInvoice',
        '05',
        'Insufficient wallet balance',
      );
      expect(await gw.call('GET', `/pay/v02/debitotp/${PHONE}/${START_XOF}`)).toEqual(OTP_SENT);
    });
  });

  describe('POST /pay/v02/debitwallet/withotp: success', () => {
    it('answers the create envelope with a payin token', async () => {
      const otp = await otpFor(gw, PHONE, 1500);
      const created = await pay(
        walletPayinBody(PHONE, 1500, otp, { transaction_id: 'ORD-42', order_id: 'A7' }),
      );
      expect(Object.keys(created).sort()).toEqual([
        'custom_data',
        'description',
        'response_code',
        'response_text',
        'token',
        'wiki',
      ]);
      expect(created).toMatchObject({
        response_code: '00',
        response_text: PAYIN_ACCEPTED,
        description: '',
        wiki: WIKI.createInvoice,
      });
      expect(created.custom_data).toEqual({
        transaction_id: 'ORD-42',
        order_id: 'A7',
        logfile: expect.stringMatching(/^20261122120000[0-9a-f]{13}$/) as string,
      });
      expectTokenClaims(created.token, 'id_invoice', gw.clock.nowMs());
    });

    it('moves the amount from the wallet to the project wallet sub-account', async () => {
      await pay(walletPayinBody(PHONE, 1500, await otpFor(gw, PHONE, 1500)));
      expect((await walletOf(gw, PHONE))?.availableXof).toBe(START_XOF - 1500);
      expect(await subOf(gw, WALLET_OPERATOR_ID)).toMatchObject({
        postedXof: 1500,
        availableXof: 1500,
        heldXof: 0,
      });
    });

    it('writes exactly one payin.completed outbox row', async () => {
      await pay(walletPayinBody(PHONE, 1500, await otpFor(gw, PHONE, 1500)));
      const [payin] = await payins(gw);
      const rows = await outbox(gw);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        event_type: 'payin.completed',
        subject_type: 'payin',
        subject_id: payin?.id,
        project_id: gw.project.id,
        status: 'pending',
      });
    });

    it('answers on the /pay/v01/ alias too', async () => {
      const otp = await otpFor(gw, PHONE, 1500);
      const created = await gw.call('POST', '/pay/v01/debitwallet/withotp', {
        body: walletPayinBody(PHONE, 1500, otp),
      });
      expect(created).toMatchObject({ response_code: '00', response_text: PAYIN_ACCEPTED });
    });

    it('accepts the bounds of the payin range, 9 and 2,000,000 XOF', async () => {
      await gw.wallet(PHONE, 2_000_000);
      for (const amount of [9, 2_000_000]) {
        expect(
          (await pay(walletPayinBody(PHONE, amount, await otpFor(gw, PHONE, amount)))).response_code,
          String(amount),
        ).toBe('00');
      }
      expect((await walletOf(gw, PHONE))?.availableXof).toBe(START_XOF + 2_000_000 - 2_000_009);
    });

    it('accepts an OTP until just before its five minutes are up', async () => {
      const otp = await otpFor(gw, PHONE, 1500);
      gw.clock.advance(5 * 60_000 - 1);
      expect((await pay(walletPayinBody(PHONE, 1500, otp))).response_code).toBe('00');
    });

    it('accepts the right code after four wrong ones', async () => {
      const otp = await otpFor(gw, PHONE, 1500);
      const wrong = otp === '000000' ? '111111' : '000000';
      for (let i = 0; i < 4; i++)
        expectEchec(await pay(walletPayinBody(PHONE, 1500, wrong)), 'createInvoice', '15');
      expect((await pay(walletPayinBody(PHONE, 1500, otp))).response_code).toBe('00');
    });
  });

  describe('POST /pay/v02/debitwallet/withotp: errors', () => {
    /** Checks that a refused payin left balances, payins and outbox untouched. */
    async function expectNothingMoved(before: Awaited<ReturnType<typeof money>>): Promise<void> {
      expect(await money(gw)).toEqual(before);
      expect(await payins(gw)).toEqual([]);
      expect(await outbox(gw)).toEqual([]);
    }

    it('refuses every kind of authentication failure with Code00, and the OTP stays usable', async () => {
      const otp = await otpFor(gw, PHONE, 1500);
      const before = await money(gw);
      for (const failure of authFailures(gw)) {
        const response = await send(gw, 'POST', WITHOTP, {
          ...failure,
          body: walletPayinBody(PHONE, 1500, otp),
        });
        expect(response.status, failure.name).toBe(200);
        expectEchec(response.json, 'createInvoice', '00');
      }
      await expectNothingMoved(before);
      expect((await pay(walletPayinBody(PHONE, 1500, otp))).response_code).toBe('00');
    });

    it('refuses with Code01 when payins are switched off', async () => {
      const otp = await otpFor(gw, PHONE, 1500);
      await setProject(gw, { payinEnabled: false });
      const before = await money(gw);
      expectEchec(
        await pay(walletPayinBody(PHONE, 1500, otp)),
        'createInvoice',
        '01',
        'Merchant Payin not activated',
      );
      await expectNothingMoved(before);
    });

    it('refuses with Code07 when the wallet operator is not enabled for the project', async () => {
      const otp = await otpFor(gw, PHONE, 1500);
      await setProject(gw, { operatorIds: ['11'] });
      expectEchec(await pay(walletPayinBody(PHONE, 1500, otp)), 'createInvoice', '07');
    });

    it.each([
      ['8', 8],
      ['2,000,001', 2_000_001],
      ['a fraction', 1500.5],
      ['a negative amount', -1500],
      ['a fractional string', '1500.5'],
      ['an exponent string', '15e2'],
    ])('refuses %s with Code02', async (_name, amount) => {
      const otp = await otpFor(gw, PHONE, 1500);
      const before = await money(gw);
      expectEchec(await pay(walletPayinBody(PHONE, amount, otp)), 'createInvoice', '02');
      await expectNothingMoved(before);
    });

    it.each([
      ['too short', '7011111'],
      ['letters', '2267011111a'],
      ['empty', ''],
    ])('refuses a phone number that is %s with Code08', async (_name, phone) => {
      const otp = await otpFor(gw, PHONE, 1500);
      expectEchec(await pay(walletPayinBody(phone, 1500, otp)), 'createInvoice', '08');
    });

    it('refuses a missing OTP with Code08 "You must specify password or otp"', async () => {
      await otpFor(gw, PHONE, 1500);
      expectEchec(
        await pay(walletPayinBody(PHONE, 1500, '')),
        'createInvoice',
        '08',
        'You must specify password or otp',
      );
      const body = walletPayinBody(PHONE, 1500, 'x');
      const invoice = without(body.commande.invoice, 'otp');
      expectEchec(
        await pay({ commande: { ...body.commande, invoice } }),
        'createInvoice',
        '08',
        'You must specify password or otp',
      );
    });

    it('refuses a customer without a wallet as a wrong code (Code15, ADR 0016), with or without debitotp', async () => {
      const before = await money(gw);
      expectEchec(await pay(walletPayinBody('22670999999', 1500, '123456')), 'createInvoice', '15');
      expect(await gw.call('GET', '/pay/v02/debitotp/22670999999/1500')).toEqual(OTP_SENT);
      expectEchec(
        await pay(walletPayinBody('22670999999', 1500, '123456')),
        'createInvoice',
        '15',
        'Wrong OTP',
      );
      await expectNothingMoved(before);
    });

    it('refuses a wrong code with Code15 and moves nothing', async () => {
      const otp = await otpFor(gw, PHONE, 1500);
      const before = await money(gw);
      expectEchec(
        await pay(walletPayinBody(PHONE, 1500, otp === '000000' ? '111111' : '000000')),
        'createInvoice',
        '15',
        'Wrong OTP',
      );
      await expectNothingMoved(before);
    });

    it('refuses a payin when no code was ever issued, with Code15', async () => {
      expectEchec(await pay(walletPayinBody(PHONE, 1500, '123456')), 'createInvoice', '15');
    });

    it('binds the code to its amount (Code15 for another amount)', async () => {
      const otp = await otpFor(gw, PHONE, 1500);
      expectEchec(await pay(walletPayinBody(PHONE, 1501, otp)), 'createInvoice', '15');
      expectEchec(await pay(walletPayinBody(PHONE, 1499, otp)), 'createInvoice', '15');
    });

    it("binds the code to its project: project B cannot spend project A's code", async () => {
      const otp = await otpFor(gw, PHONE, 1500);
      const before = await money(gw);
      expectEchec(await pay(walletPayinBody(PHONE, 1500, otp), gw.other.headers), 'createInvoice', '15');
      await expectNothingMoved(before);
      expect((await pay(walletPayinBody(PHONE, 1500, otp))).response_code).toBe('00');
    });

    it('refuses a code once it has been used', async () => {
      const otp = await otpFor(gw, PHONE, 1500);
      expect((await pay(walletPayinBody(PHONE, 1500, otp, { transaction_id: 'A' }))).response_code).toBe(
        '00',
      );
      expectEchec(
        await pay(walletPayinBody(PHONE, 1500, otp, { transaction_id: 'B' })),
        'createInvoice',
        '15',
      );
      expect((await walletOf(gw, PHONE))?.availableXof).toBe(START_XOF - 1500);
    });

    it('refuses an expired code with Code16 after five minutes', async () => {
      const otp = await otpFor(gw, PHONE, 1500);
      gw.clock.advance(5 * 60_000 + 1);
      const before = await money(gw);
      expectEchec(await pay(walletPayinBody(PHONE, 1500, otp)), 'createInvoice', '16');
      await expectNothingMoved(before);
    });

    it('kills the code after five wrong attempts: then even the right code gets Code16', async () => {
      const otp = await otpFor(gw, PHONE, 1500);
      const wrong = otp === '000000' ? '111111' : '000000';
      for (let i = 0; i < 5; i++)
        expectEchec(await pay(walletPayinBody(PHONE, 1500, wrong)), 'createInvoice', '15');
      const before = await money(gw);
      expectEchec(await pay(walletPayinBody(PHONE, 1500, otp)), 'createInvoice', '16');
      await expectNothingMoved(before);
    });

    it('replaces the previous code when a new one is requested', async () => {
      let first = await otpFor(gw, PHONE, 1500);
      let second = await otpFor(gw, PHONE, 1500);
      // One chance in a million that both codes are equal; ask again rather than flake.
      while (second === first) {
        first = second;
        second = await otpFor(gw, PHONE, 1500);
      }
      expectEchec(await pay(walletPayinBody(PHONE, 1500, first)), 'createInvoice', '15');
      expect((await pay(walletPayinBody(PHONE, 1500, second))).response_code).toBe('00');
    });

    it('gives a fresh code fresh attempts', async () => {
      const otp = await otpFor(gw, PHONE, 1500);
      const wrong = otp === '000000' ? '111111' : '000000';
      for (let i = 0; i < 5; i++) await pay(walletPayinBody(PHONE, 1500, wrong));
      const fresh = await otpFor(gw, PHONE, 1500);
      expect((await pay(walletPayinBody(PHONE, 1500, fresh))).response_code).toBe('00');
    });

    it('refuses with Code05 when the wallet no longer holds the amount', async () => {
      await gw.wallet('22670222222', 1500);
      const mine = await otpFor(gw, '22670222222', 1000);
      const theirs = await otpFor(gw, '22670222222', 1000, gw.other.headers);
      expect((await pay(walletPayinBody('22670222222', 1000, theirs), gw.other.headers)).response_code).toBe(
        '00',
      );
      const before = await money(gw);
      expectEchec(await pay(walletPayinBody('22670222222', 1000, mine)), 'createInvoice', '05');
      expect(await money(gw)).toEqual(before);
      expect(await outbox(gw)).toHaveLength(1);
    });

    it.each([
      ['no commande', {}],
      ['a null body', null],
      ['an array body', []],
      ['no invoice', { commande: { custom_data: {} } }],
      ['no total_amount', { commande: { invoice: { customer: PHONE, otp: '123456' } } }],
    ])('refuses a request with %s with Code08', async (_name, body) => {
      expectEchec(await pay(body), 'createInvoice', '08');
    });

    it('refuses a currency other than XOF with Code08', async () => {
      const otp = await otpFor(gw, PHONE, 1500);
      const body = walletPayinBody(PHONE, 1500, otp);
      body.commande.invoice.devise = 'EUR';
      expectEchec(await pay(body), 'createInvoice', '08');
    });

    it.each([
      ['a non-empty array', ['x']],
      ['a nested object value', { transaction_id: { nested: true } }],
      ['a number', 42],
    ])('refuses custom_data that is %s with Code08', async (_name, customData) => {
      const otp = await otpFor(gw, PHONE, 1500);
      expectEchec(await pay(walletPayinBody(PHONE, 1500, otp, customData)), 'createInvoice', '08');
    });

    it('refuses an Idempotency-Key longer than 255 characters with Code08', async () => {
      const otp = await otpFor(gw, PHONE, 1500);
      expectEchec(
        await pay(walletPayinBody(PHONE, 1500, otp), { 'idempotency-key': 'k'.repeat(256) }),
        'createInvoice',
        '08',
      );
      expect(await payins(gw)).toEqual([]);
    });
  });

  describe('POST /pay/v02/debitwallet/withotp: what real clients send', () => {
    it("accepts Dart's doubles (1500.0)", async () => {
      const otp = await otpFor(gw, PHONE, 1500);
      const response = await send(gw, 'POST', WITHOTP, { rawBody: rawAmountBody(PHONE, '1500.0', otp) });
      expect(response.json.response_code).toBe('00');
      expect((await walletOf(gw, PHONE))?.availableXof).toBe(START_XOF - 1500);
    });

    it('accepts amounts as digit strings ("1500")', async () => {
      const otp = await otpFor(gw, PHONE, 1500);
      expect((await pay(walletPayinBody(PHONE, '1500', otp))).response_code).toBe('00');
      expect((await walletOf(gw, PHONE))?.availableXof).toBe(START_XOF - 1500);
    });

    it('accepts devise "xof" in lower case, and no devise at all', async () => {
      const body = walletPayinBody(PHONE, 1500, await otpFor(gw, PHONE, 1500));
      body.commande.invoice.devise = 'xof';
      expect((await pay(body)).response_code).toBe('00');
      const second = walletPayinBody(PHONE, 1600, await otpFor(gw, PHONE, 1600));
      expect(
        (await pay({ commande: { ...second.commande, invoice: without(second.commande.invoice, 'devise') } }))
          .response_code,
      ).toBe('00');
    });

    it("accepts PHP's empty custom_data []", async () => {
      const created = await pay(walletPayinBody(PHONE, 1500, await otpFor(gw, PHONE, 1500), []));
      expect(created.response_code).toBe('00');
      expect(created.custom_data).toEqual({ logfile: expect.any(String) as string });
    });

    it('accepts the Apikey and Authorization headers in any case', async () => {
      const otp = await otpFor(gw, PHONE, 1500);
      const response = await send(gw, 'POST', WITHOTP, {
        omit: ['apikey', 'authorization'],
        headers: { Apikey: gw.project.apikey, Authorization: `bearer ${gw.project.token}` },
        body: walletPayinBody(PHONE, 1500, otp),
      });
      expect(response.json.response_code).toBe('00');
    });

    it('accepts a body without Content-Type, or with text/plain', async () => {
      const otp = await otpFor(gw, PHONE, 1500);
      const bare = await send(gw, 'POST', WITHOTP, {
        omit: ['content-type'],
        rawBody: JSON.stringify(walletPayinBody(PHONE, 1500, otp)),
      });
      expect(bare.json.response_code).toBe('00');
      const otp2 = await otpFor(gw, PHONE, 1600);
      const plain = await send(gw, 'POST', WITHOTP, {
        headers: { 'content-type': 'text/plain' },
        body: walletPayinBody(PHONE, 1600, otp2),
      });
      expect(plain.json.response_code).toBe('00');
    });

    it("keeps the JS SDK's callback URL sent as actions.cancel_url with callback_url null", async () => {
      const body = walletPayinBody(PHONE, 1500, await otpFor(gw, PHONE, 1500));
      const withBug = {
        commande: {
          ...body.commande,
          actions: { callback_url: null, cancel_url: 'https://shop.example/js-cb' },
        },
      };
      expect((await pay(withBug)).response_code).toBe('00');
      expect((await payins(gw))[0]?.callback_url).toBe('https://shop.example/js-cb');
    });
  });

  describe('POST /pay/v02/debitwallet/withotp: Idempotency-Key', () => {
    it('replays the same answer for the same key and body, and moves the money once', async () => {
      const body = walletPayinBody(PHONE, 1500, await otpFor(gw, PHONE, 1500));
      const first = await pay(body, { 'idempotency-key': 'order-1' });
      const second = await pay(body, { 'idempotency-key': 'order-1' });
      expect(first.response_code).toBe('00');
      expect(second).toEqual(first);
      expect((await walletOf(gw, PHONE))?.availableXof).toBe(START_XOF - 1500);
      expect(await payins(gw)).toHaveLength(1);
      expect(await outbox(gw)).toHaveLength(1);
    });

    it('refuses the same key with another body, and moves nothing more', async () => {
      const body = walletPayinBody(PHONE, 1500, await otpFor(gw, PHONE, 1500));
      expect((await pay(body, { 'idempotency-key': 'order-1' })).response_code).toBe('00');
      const otherBody = walletPayinBody(PHONE, 1600, await otpFor(gw, PHONE, 1600));
      const before = await money(gw);
      expectEchec(
        await pay(otherBody, { 'idempotency-key': 'order-1' }),
        'createInvoice',
        '08',
        /Idempotency-Key/,
      );
      expect(await money(gw)).toEqual(before);
      expect(await payins(gw)).toHaveLength(1);
      // The refused request did not spend the code either.
      expect((await pay(otherBody)).response_code).toBe('00');
    });

    it('does not record a failed request under its key', async () => {
      const otp = await otpFor(gw, PHONE, 1500);
      expectEchec(
        await pay(walletPayinBody(PHONE, 1500, otp === '000000' ? '111111' : '000000'), {
          'idempotency-key': 'k1',
        }),
        'createInvoice',
        '15',
      );
      expect((await pay(walletPayinBody(PHONE, 1500, otp), { 'idempotency-key': 'k1' })).response_code).toBe(
        '00',
      );
    });

    it('keeps keys per project', async () => {
      const mine = walletPayinBody(PHONE, 1500, await otpFor(gw, PHONE, 1500));
      const first = await pay(mine, { 'idempotency-key': 'shared' });
      const theirs = walletPayinBody(PHONE, 1600, await otpFor(gw, PHONE, 1600, gw.other.headers));
      const second = await pay(theirs, { ...gw.other.headers, 'idempotency-key': 'shared' });
      expect(second.response_code).toBe('00');
      expect(second.token).not.toBe(first.token);
      expect((await walletOf(gw, PHONE))?.availableXof).toBe(START_XOF - 3100);
    });
  });

  describe('GET /sandbox/sms', () => {
    it('lists the messages of one number, newest first, up to limit', async () => {
      await gw.wallet('22670222222', 5000);
      await otpFor(gw, PHONE, 100);
      gw.clock.advance(1000);
      await otpFor(gw, PHONE, 200);
      const newestAtMs = gw.clock.nowMs();
      await otpFor(gw, '22670222222', 300);
      const inbox = await gw.call('GET', `/sandbox/sms?phone=${PHONE}`);
      const messages = inbox.messages as { id: string; phone: string; body: string; createdAt: string }[];
      expect(messages.map((m) => m.phone)).toEqual([PHONE, PHONE]);
      expect(messages[0]?.body).toContain('200 FCFA');
      expect(messages[1]?.body).toContain('100 FCFA');
      expect(messages[0]?.createdAt).toBe(new Date(newestAtMs).toISOString());
      const limited = await gw.call('GET', `/sandbox/sms?phone=${PHONE}&limit=1`);
      expect(limited.messages).toHaveLength(1);
      const all = await gw.call('GET', '/sandbox/sms');
      expect(all.messages).toHaveLength(3);
    });

    it('answers an empty list for a number that received nothing', async () => {
      expect(await gw.call('GET', '/sandbox/sms?phone=22670999999')).toEqual({ messages: [] });
    });
  });
});

describe.each(BACKENDS)('OTP issuance cap on %s', (backend) => {
  let gw: TestGateway;
  beforeEach(async () => {
    gw = await startTestGateway(backend, { config: { otpIssuedPerHourMax: 2 } });
    await gw.wallet(PHONE, START_XOF);
  });
  afterEach(async () => gw.destroy());

  it('refuses more codes per hour than configured, then allows again after the hour', async () => {
    expect(await gw.call('GET', `/pay/v02/debitotp/${PHONE}/100`)).toEqual(OTP_SENT);
    expect(await gw.call('GET', `/pay/v02/debitotp/${PHONE}/100`)).toEqual(OTP_SENT);
    expect((await gw.call('GET', `/pay/v02/debitotp/${PHONE}/100`)).error).toBe(true);
    gw.clock.advance(3_600_000);
    expect(await gw.call('GET', `/pay/v02/debitotp/${PHONE}/100`)).toEqual(OTP_SENT);
  });
});
