import { createHmac } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Xof } from '../src/core/money.js';
import type { CreditRequest, DebitRequest, RawNotification } from '../src/operators/connector.js';
import { connectorsFromJson } from '../src/operators/registry.js';
import { Settings } from '../src/operators/secrets.js';
import { WAVE_SIGNATURE_TOLERANCE_MS, type WaveConnector, waveFactory } from '../src/operators/wave.js';
import { ManualClock } from './harness.js';
import { WaveFake } from './fakes/wave-fake.js';
import { rejectionMessage } from './rejection.js';

/** The Wave connector (ADR 0013) against the offline fake, over real HTTP. */
const PHONE = '221771122334';
const TIMEOUT_MS = 300;

function debit(reference: string, extra: Partial<DebitRequest> = {}): DebitRequest {
  return {
    reference,
    operatorId: '39',
    phone: PHONE,
    amountXof: 5000 as Xof,
    otp: '',
    merchantName: 'Test shop',
    description: 'Order 42',
    returnUrl: 'https://cauri.example/pay/tok',
    ...extra,
  };
}

function credit(reference: string, phone = PHONE): CreditRequest {
  return { reference, operatorId: '39', phone, amountXof: 2500 as Xof };
}

describe('Wave connector', () => {
  let fake: WaveFake;
  let clock: ManualClock;
  let wave: WaveConnector;
  const make = (extra: Record<string, unknown> = {}) =>
    waveFactory.create(new Settings(fake.settings(extra), 'connectors[0].settings', {}), ['39'], {
      timeoutMs: TIMEOUT_MS,
      clock,
      publicUrl: 'https://cauri.example',
      env: {},
    }) as WaveConnector;
  beforeEach(async () => {
    fake = await new WaveFake().start();
    clock = new ManualClock();
    fake.nowMs = () => clock.nowMs();
    wave = make();
  });
  afterEach(async () => fake.down());

  describe('payins: checkout sessions', () => {
    it('creates a session and answers its wave_launch_url; a re-send returns the same session', async () => {
      const outcome = await wave.requestDebit(debit('pay_a.1'));
      const session = fake.sessionFor('pay_a.1');
      expect(outcome).toEqual({ state: 'pending', redirectUrl: session?.wave_launch_url });
      const [sent] = fake.requests;
      expect(sent?.method).toBe('POST');
      expect(sent?.path).toBe('/v1/checkout/sessions');
      expect(sent?.headers.authorization).toBe(`Bearer ${fake.apiKey}`);
      expect(sent?.headers['idempotency-key']).toBe('pay_a.1');
      expect(JSON.parse(sent?.body ?? '')).toEqual({
        amount: '5000',
        currency: 'XOF',
        client_reference: 'pay_a.1',
        success_url: 'https://cauri.example/pay/tok',
        error_url: 'https://cauri.example/pay/tok',
      });
      expect(await wave.requestDebit(debit('pay_a.1'))).toEqual(outcome);
      expect(fake.sessions.size).toBe(1);
    });

    it('status: none and open are pending, paid is completed with the transaction id, expired fails', async () => {
      expect(await wave.queryStatus('pay_b.1')).toEqual({ state: 'pending' });
      expect(fake.requests.at(-1)?.path).toBe('/v1/checkout/sessions/search?client_reference=pay_b.1');
      await wave.requestDebit(debit('pay_b.1'));
      expect(await wave.queryStatus('pay_b.1')).toEqual({ state: 'pending' });
      await fake.pay('pay_b.1');
      expect(await wave.queryStatus('pay_b.1')).toEqual({
        state: 'completed',
        operatorReference: fake.sessionFor('pay_b.1')?.transaction_id,
      });
      await wave.requestDebit(debit('pay_c.1'));
      await fake.failAttempt('pay_c.1');
      expect(await wave.queryStatus('pay_c.1')).toEqual({ state: 'pending' });
      fake.expire('pay_c.1');
      expect(await wave.queryStatus('pay_c.1')).toMatchObject({
        state: 'failed',
        code: 'expired',
        reason: 'expired: Wave checkout expired/cancelled, insufficient-funds',
      });
    });

    it('a request Wave rejects as invalid fails as invalid_request (no session exists)', async () => {
      expect(await wave.requestDebit(debit('pay_d.1', { returnUrl: 'http://plain.example/' }))).toMatchObject(
        { state: 'failed', code: 'invalid_request' },
      );
      expect(fake.sessions.size).toBe(0);
    });
  });

  describe('payouts', () => {
    it('pays once per idempotency key and answers completed', async () => {
      const first = await wave.requestCredit(credit('po_1'));
      const payout = fake.payoutFor('po_1');
      expect(first).toEqual({ state: 'completed', operatorReference: payout?.id });
      const sent = fake.requests[0];
      expect(sent?.headers['idempotency-key']).toBe('po_1');
      expect(JSON.parse(sent?.body ?? '')).toEqual({
        currency: 'XOF',
        receive_amount: '2500',
        mobile: `+${PHONE}`,
        client_reference: 'po_1',
      });
      expect(await wave.requestCredit(credit('po_1'))).toEqual(first);
      expect(fake.paidPerKey.get('po_1')).toBe(1);
      expect(fake.payouts.size).toBe(1);
      expect(await wave.queryStatus('po_1')).toEqual(first);
      expect(fake.requests.at(-1)?.path).toBe('/v1/payouts/search?client_reference=po_1');
    });

    it('a processing payout is pending until the search says succeeded or failed', async () => {
      fake.payoutRules.set(`+${PHONE}`, { kind: 'status', status: 'processing' });
      expect(await wave.requestCredit(credit('po_2'))).toEqual({ state: 'pending' });
      expect(await wave.queryStatus('po_2')).toEqual({ state: 'pending' });
      fake.settlePayout('po_2', 'failed', 'recipient-limit-exceeded');
      expect(await wave.queryStatus('po_2')).toMatchObject({
        state: 'failed',
        code: 'limit_reached',
        operatorReference: fake.payoutFor('po_2')?.id,
      });
      expect(await wave.queryStatus('po_never')).toEqual({ state: 'pending' });
    });

    it.each([
      [422, 'insufficient-funds', 'operator_error'],
      [422, 'recipient-limit-exceeded', 'limit_reached'],
      [422, 'recipient-account-blocked', 'account_inactive'],
      [422, 'recipient-account-inactive', 'account_inactive'],
      [422, 'recipient-minor', 'not_allowed'],
      [400, 'country-mismatch', 'not_allowed'],
      [400, 'request-validation-error', 'invalid_request'],
    ])('HTTP %i %s fails as %s', async (http, code, mapped) => {
      fake.payoutRules.set(`+${PHONE}`, { kind: 'error', http, code, message: 'refused' });
      expect(await wave.requestCredit(credit('po_3'))).toMatchObject({
        state: 'failed',
        code: mapped,
        reason: `${mapped}: Wave ${code}: refused`,
      });
    });

    it('a failed payout object is final even with an unknown error code', async () => {
      fake.payoutRules.set(`+${PHONE}`, { kind: 'status', status: 'failed', errorCode: 'something-new' });
      expect(await wave.requestCredit(credit('po_4'))).toMatchObject({
        state: 'failed',
        code: 'operator_error',
      });
    });

    it('an unknown error code, 409 idempotency-mismatch and 429 leave the outcome unknown (throw)', async () => {
      fake.payoutRules.set(`+${PHONE}`, { kind: 'error', http: 422, code: 'brand-new-code', message: '?' });
      expect(await rejectionMessage(wave.requestCredit(credit('po_5')))).toMatch(/HTTP 422 brand-new-code/);
      fake.payoutRules.set(`+${PHONE}`, {
        kind: 'error',
        http: 429,
        code: 'rate-limit-exceeded',
        message: 'slow down',
      });
      expect(await rejectionMessage(wave.requestCredit(credit('po_6')))).toMatch(/HTTP 429/);
      fake.payoutRules.delete(`+${PHONE}`);
      await wave.requestCredit(credit('po_7'));
      expect(
        await rejectionMessage(wave.requestCredit({ ...credit('po_7'), amountXof: 9999 as Xof })),
      ).toMatch(/HTTP 409 idempotency-mismatch/);
      expect(fake.paidPerKey.get('po_7')).toBe(1);
    });
  });

  describe('webhooks', () => {
    const raw = (webhook: { headers: Record<string, string>; payload: string }): RawNotification => ({
      headers: webhook.headers,
      body: JSON.parse(webhook.payload) as unknown,
    });

    it('a signed checkout.session.completed settles the payin; a duplicate parses the same', async () => {
      await wave.requestDebit(debit('pay_w.1'));
      const delivered: RawNotification[] = [];
      fake.deliver = (webhook) => {
        delivered.push(raw(webhook));
        return Promise.resolve();
      };
      fake.webhooks = 'twice';
      await fake.pay('pay_w.1');
      expect(delivered).toHaveLength(2);
      const expected = {
        reference: 'pay_w.1',
        outcome: { state: 'completed', operatorReference: fake.sessionFor('pay_w.1')?.transaction_id },
      };
      for (const notification of delivered)
        expect(wave.parseNotification('39', notification)).toEqual(expected);
    });

    it('checks the raw body when the gateway passes it, and accepts any of several v1 signatures', () => {
      const webhook = fake.signed(
        'checkout.session.completed',
        {
          id: 'cos-1',
          client_reference: 'pay_x.1',
          payment_status: 'succeeded',
          checkout_status: 'complete',
        },
        { extraSignatures: ['0'.repeat(64)] },
      );
      const spaced = webhook.payload.replace(/,/g, ', ');
      expect(wave.parseNotification('39', raw(webhook))).toMatchObject({
        reference: 'pay_x.1',
        outcome: { state: 'completed', operatorReference: 'cos-1' },
      });
      // A body formatted differently only verifies against its raw bytes.
      const t = String(Math.floor(clock.nowMs() / 1000));
      const headers = { 'wave-signature': `t=${t},v1=${hmac(fake.webhookSecret, t + spaced)}` };
      expect(wave.parseNotification('39', { headers, body: JSON.parse(spaced) as unknown })).toBeUndefined();
      expect(
        wave.parseNotification('39', {
          headers,
          body: JSON.parse(spaced) as unknown,
          rawBody: spaced,
        } as RawNotification),
      ).toMatchObject({ reference: 'pay_x.1' });
    });

    it('refuses bad, old, future, missing and foreign signatures, tampered bodies and other operators', () => {
      const data = {
        id: 'cos-2',
        client_reference: 'pay_y.1',
        payment_status: 'succeeded',
        checkout_status: 'complete',
      };
      const good = fake.signed('checkout.session.completed', data);
      expect(wave.parseNotification('39', raw(good))).toBeDefined();
      expect(wave.parseNotification('15', raw(good))).toBeUndefined();
      expect(
        wave.parseNotification(
          '39',
          raw(fake.signed('checkout.session.completed', data, { secret: 'another-secret' })),
        ),
      ).toBeUndefined();
      expect(
        wave.parseNotification(
          '39',
          raw(
            fake.signed('checkout.session.completed', data, {
              atMs: clock.nowMs() - WAVE_SIGNATURE_TOLERANCE_MS - 1000,
            }),
          ),
        ),
      ).toBeUndefined();
      expect(
        wave.parseNotification(
          '39',
          raw(
            fake.signed('checkout.session.completed', data, {
              atMs: clock.nowMs() + WAVE_SIGNATURE_TOLERANCE_MS + 1000,
            }),
          ),
        ),
      ).toBeUndefined();
      expect(
        wave.parseNotification(
          '39',
          raw(
            fake.signed('checkout.session.completed', data, {
              atMs: clock.nowMs() - WAVE_SIGNATURE_TOLERANCE_MS + 1000,
            }),
          ),
        ),
      ).toBeDefined();
      expect(
        wave.parseNotification('39', { headers: {}, body: JSON.parse(good.payload) as unknown }),
      ).toBeUndefined();
      expect(
        wave.parseNotification('39', {
          headers: { 'wave-signature': 'v1=abc' },
          body: JSON.parse(good.payload) as unknown,
        }),
      ).toBeUndefined();
      const tampered = JSON.parse(good.payload) as { data: { client_reference: string } };
      tampered.data.client_reference = 'pay_z.1';
      expect(wave.parseNotification('39', { headers: good.headers, body: tampered })).toBeUndefined();
      expect(
        wave.parseNotification(
          '39',
          raw(fake.signed('checkout.session.completed', { id: 'cos-3', payment_status: 'succeeded' })),
        ),
      ).toBeUndefined();
    });

    it('a payment_failed event is only a hint: verify by status query; other events are not ours', () => {
      const data = {
        id: 'cos-4',
        client_reference: 'pay_v.1',
        payment_status: 'processing',
        checkout_status: 'open',
        last_payment_error: { code: 'insufficient-funds' },
      };
      expect(wave.parseNotification('39', raw(fake.signed('checkout.session.payment_failed', data)))).toEqual(
        { reference: 'pay_v.1', outcome: { state: 'pending' }, verify: true },
      );
      expect(
        wave.parseNotification('39', raw(fake.signed('merchant.payment_received', data))),
      ).toBeUndefined();
    });
  });

  describe('refunds and reversals (not yet called by the gateway)', () => {
    it('refunds a paid session and reverses a succeeded payout; refuses what is not paid', async () => {
      await wave.requestDebit(debit('pay_r.1'));
      expect(await wave.refundPayin('pay_r.1')).toMatchObject({ state: 'refused' });
      await fake.pay('pay_r.1');
      expect(await wave.refundPayin('pay_r.1')).toEqual({
        state: 'refunded',
        operatorReference: fake.sessionFor('pay_r.1')?.id,
      });
      await wave.requestCredit(credit('po_r'));
      expect(await wave.reversePayout('po_r')).toEqual({
        state: 'refunded',
        operatorReference: fake.payoutFor('po_r')?.id,
      });
      expect(fake.payoutFor('po_r')?.status).toBe('reversed');
      expect(await wave.queryStatus('po_r')).toMatchObject({
        state: 'failed',
        code: 'operator_error',
        reason: 'operator_error: Wave payout reversed',
      });
      expect(await wave.reversePayout('po_none')).toMatchObject({ state: 'refused' });
    });
  });

  describe('unknown outcomes throw, and never show the key', () => {
    it('a refused key, HTTP 500, a timeout and a closed port', async () => {
      const wrong = make({ apiKey: 'wave_sn_prod_WRONGKEY_zzzz' });
      const message = await rejectionMessage(wrong.requestCredit(credit('po_8')));
      expect(message).toMatch(/refused the API key \(HTTP 401 invalid-auth\)/);
      expect(message).not.toContain('WRONGKEY');
      fake.failNext = 1;
      expect(await rejectionMessage(wave.queryStatus('pay_e.1'))).toMatch(/HTTP 500/);
      fake.delayMs = TIMEOUT_MS * 3;
      expect(await rejectionMessage(wave.requestDebit(debit('pay_e.1')))).toMatch(/timed out/);
      fake.delayMs = 0;
      await fake.down();
      expect(await rejectionMessage(wave.requestCredit(credit('po_9')))).not.toContain(fake.apiKey);
    });
  });

  it('is built from a connectors file, with the default base URL and currency', () => {
    const deps = {
      timeoutMs: TIMEOUT_MS,
      clock,
      publicUrl: 'https://cauri.example',
      env: { WAVE_KEY: fake.apiKey },
    };
    const router = connectorsFromJson(
      {
        connectors: [
          { type: 'wave', operators: ['39'], settings: { apiKey: { env: 'WAVE_KEY' }, webhookSecret: 'x' } },
        ],
      },
      [waveFactory],
      deps,
    );
    expect(router.serves('39', 'debit')).toBe(true);
    expect(router.serves('39', 'credit')).toBe(true);
    expect(() =>
      connectorsFromJson(
        { connectors: [{ type: 'wave', operators: ['39'], settings: { apiKey: 'k' } }] },
        [waveFactory],
        deps,
      ),
    ).toThrow(/webhookSecret/);
  });
});

function hmac(secret: string, text: string): string {
  return createHmac('sha256', secret).update(text).digest('hex');
}
