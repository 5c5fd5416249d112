import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../src/core/clock.js';
import type { Xof } from '../src/core/money.js';
import type { CreditRequest, DebitRequest, OperatorConnector } from '../src/operators/connector.js';
import { MOOV_COMMANDS, moovBurkinaFactory } from '../src/operators/moov-bf.js';
import { connectorsFromJson } from '../src/operators/registry.js';
import { ConnectorConfigError, Settings } from '../src/operators/secrets.js';
import { MoovBurkinaFake } from './fakes/moov-bf-fake.js';
import { rejectionMessage } from './rejection.js';

/** The Moov Africa Burkina connector (ADR 0012) against the offline fake, over real HTTP. */
const PHONE = '22660112233';
const TIMEOUT_MS = 300;

function connectorFor(fake: MoovBurkinaFake, extra: Record<string, unknown> = {}): OperatorConnector {
  return moovBurkinaFactory.create(new Settings(fake.settings(extra), 'connectors[0].settings', {}), ['12'], {
    timeoutMs: TIMEOUT_MS,
    clock: systemClock,
    publicUrl: 'https://cauri.example',
    env: {},
  });
}

function debit(reference: string, extra: Partial<DebitRequest> = {}): DebitRequest {
  return {
    reference,
    operatorId: '12',
    phone: PHONE,
    amountXof: 5000 as Xof,
    otp: '',
    merchantName: 'Test shop',
    description: 'Order 42',
    returnUrl: 'https://cauri.example/p/x',
    ...extra,
  };
}

function credit(reference: string, phone = PHONE): CreditRequest {
  return { reference, operatorId: '12', phone, amountXof: 2500 as Xof };
}

describe('Moov Africa Burkina connector', () => {
  let fake: MoovBurkinaFake;
  beforeEach(async () => {
    fake = await new MoovBurkinaFake().start();
  });
  afterEach(async () => fake.down());

  describe('USSD push payins', () => {
    it('sends mror-transaction-ussd with Basic auth and stays pending until the customer approves', async () => {
      const connector = connectorFor(fake);
      expect(await connector.requestDebit?.(debit('pay_a.1'))).toEqual({ state: 'pending' });
      const [sent] = fake.requests;
      expect(sent).toEqual({
        command: MOOV_COMMANDS.push,
        body: {
          'request-id': 'pay_a.1',
          destination: PHONE,
          amount: '5000',
          remarks: 'pay_a.1',
          message: 'Test shop 5000 FCFA Order 42',
          'extended-data': {},
        },
      });
      expect(await connector.queryStatus('pay_a.1', '12')).toEqual({ state: 'pending' });
      fake.approve('pay_a.1');
      const done = await connector.queryStatus('pay_a.1', '12');
      expect(done).toEqual({
        state: 'completed',
        operatorReference: fake.transactions.get('pay_a.1')?.transId,
      });
      expect(fake.requests.at(-1)).toEqual({
        command: MOOV_COMMANDS.check,
        body: { 'request-id': 'pay_a.1' },
      });
    });

    it('a declined prompt fails as declined; an unknown reference is pending', async () => {
      const connector = connectorFor(fake);
      await connector.requestDebit?.(debit('pay_b.1'));
      fake.decline('pay_b.1');
      expect(await connector.queryStatus('pay_b.1', '12')).toMatchObject({
        state: 'failed',
        code: 'declined',
        reason: 'declined: Moov status 12: Transaction annulee par le client',
      });
      expect(await connector.queryStatus('pay_never.1', '12')).toEqual({ state: 'pending' });
    });

    it.each([
      ['Solde insuffisant', 'insufficient_funds'],
      ['Abonne introuvable', 'payer_not_found'],
      ['Compte bloque', 'account_inactive'],
      ['Plafond journalier atteint', 'limit_reached'],
      ['Erreur', 'declined'],
    ])('a push refused at submission with "%s" fails as %s', async (message, code) => {
      fake.numbers.set(PHONE, { status: '12', message });
      expect(await connectorFor(fake).requestDebit?.(debit('pay_c.1'))).toMatchObject({
        state: 'failed',
        code,
      });
    });

    it('a duplicate submission of the same reference moves money once', async () => {
      const connector = connectorFor(fake);
      fake.autoPush = { status: '0', message: 'ok' };
      await connector.requestDebit?.(debit('pay_d.1'));
      await connector.requestDebit?.(debit('pay_d.1'));
      expect(fake.movedCount('pay_d.1')).toBe(1);
      expect(await connector.queryStatus('pay_d.1', '12')).toMatchObject({ state: 'completed' });
    });
  });

  describe('merchant OTP payins (payinFlow merchant_otp)', () => {
    it('creates the OTP, then commits the customer code', async () => {
      const connector = connectorFor(fake, { payinFlow: 'merchant_otp' });
      expect(await connector.requestDebit?.(debit('pay_o.1'))).toEqual({ state: 'pending' });
      expect(fake.requests[0]).toEqual({
        command: MOOV_COMMANDS.createOtp,
        body: {
          'request-id': 'pay_o.1.otp',
          destination: PHONE,
          amount: '5000',
          remarks: 'Merchant Payment with OTP',
          'extended-data': { module: 'MERCHOTPPAY' },
        },
      });
      const code = fake.otpFor(PHONE) ?? '';
      expect(await connector.requestDebit?.(debit('pay_o.1', { otp: '000000' }))).toMatchObject({
        state: 'refused',
        code: 'otp_invalid',
      });
      const paid = await connector.requestDebit?.(debit('pay_o.1', { otp: code }));
      expect(paid).toEqual({
        state: 'completed',
        operatorReference: fake.transactions.get('pay_o.1')?.transId,
      });
      expect(fake.requests.at(-1)?.command).toBe(MOOV_COMMANDS.commitOtp);
      expect(fake.requests.at(-1)?.body['extended-data']).toMatchObject({
        module: 'MERCHOTPPAY',
        otp: code,
        'trans-id': expect.stringMatching(/^OMROR/) as unknown,
      });
      expect(await connector.queryStatus('pay_o.1', '12')).toMatchObject({ state: 'completed' });
    });

    it('an expired code, or a code for no OTP session, is refused as otp_expired', async () => {
      const connector = connectorFor(fake, { payinFlow: 'merchant_otp' });
      await connector.requestDebit?.(debit('pay_p.1'));
      fake.expireOtps();
      expect(
        await connector.requestDebit?.(debit('pay_p.1', { otp: fake.otpFor(PHONE) ?? '' })),
      ).toMatchObject({ state: 'refused', code: 'otp_expired' });
      expect(await connector.requestDebit?.(debit('pay_q.1', { otp: '123456' }))).toMatchObject({
        state: 'refused',
        code: 'otp_expired',
      });
      expect(fake.requests.filter((r) => r.command === MOOV_COMMANDS.commitOtp)).toHaveLength(1);
    });
  });

  describe('payouts (transfer-api-transaction)', () => {
    it('completes synchronously, and a re-send of the same reference pays once', async () => {
      const connector = connectorFor(fake);
      const first = await connector.requestCredit(credit('po_1'));
      expect(first).toEqual({
        state: 'completed',
        operatorReference: fake.transactions.get('po_1')?.transId,
      });
      expect(fake.requests[0]).toEqual({
        command: MOOV_COMMANDS.transfer,
        body: {
          'request-id': 'po_1',
          destination: PHONE,
          amount: '2500',
          remarks: 'po_1',
          'extended-data': { ext2: 'po_1' },
        },
      });
      expect(await connector.requestCredit(credit('po_1'))).toEqual(first);
      expect(fake.movedCount('po_1')).toBe(1);
      expect(await connector.queryStatus('po_1', '12')).toMatchObject({ state: 'completed' });
    });

    it.each([
      ['Plafond du beneficiaire atteint', 'limit_reached'],
      ['Numero introuvable', 'payee_not_found'],
      ['Solde marchand insuffisant', 'insufficient_funds'],
      ['Echec', 'operator_error'],
    ])('a refusal "%s" is confirmed by a status query, then fails as %s', async (message, code) => {
      fake.numbers.set(PHONE, { status: '12', message });
      expect(await connectorFor(fake).requestCredit(credit('po_2'))).toMatchObject({ state: 'failed', code });
      expect(fake.requests.map((r) => r.command)).toEqual([MOOV_COMMANDS.transfer, MOOV_COMMANDS.check]);
    });

    it('an unknown answer ("15") stays pending', async () => {
      fake.numbers.set(PHONE, { status: '15', message: 'Processing' });
      expect(await connectorFor(fake).requestCredit(credit('po_3'))).toEqual({ state: 'pending' });
    });

    it('payouts disabled: the connector does not serve credit for 12', () => {
      const connector = connectorFor(fake, { payouts: 'disabled' });
      expect(connector.serves?.('12', 'credit')).toBe(false);
      expect(connector.serves?.('12', 'debit')).toBe(true);
      expect(connectorFor(fake).serves?.('12', 'credit')).toBe(true);
      expect(connectorFor(fake).serves?.('11', 'debit')).toBe(false);
    });
  });

  describe('unknown outcomes throw, and never show the credentials', () => {
    it('refused credentials', async () => {
      const message = await rejectionMessage(
        connectorFor(fake, { password: 'wrong-password-123' }).requestCredit(credit('po_4')),
      );
      expect(message).toMatch(/refused the credentials \(HTTP 401\)/);
      expect(message).not.toContain('wrong-password-123');
      expect(message).not.toContain(Buffer.from(`${fake.username}:wrong-password-123`).toString('base64'));
    });

    it('HTTP 500 with an HTML page, a timeout, and a closed port', async () => {
      const connector = connectorFor(fake);
      fake.failNext = 1;
      expect(await rejectionMessage(connector.queryStatus('po_5', '12'))).toMatch(/HTTP 500/);
      fake.delayMs = TIMEOUT_MS * 3;
      expect(await rejectionMessage(connector.requestDebit?.(debit('pay_t.1')) ?? Promise.resolve())).toMatch(
        /timed out/,
      );
      fake.delayMs = 0;
      await fake.down();
      const message = await rejectionMessage(connector.requestCredit(credit('po_6')));
      expect(message).not.toContain(fake.password);
    });
  });

  describe('settings', () => {
    it('is built from a connectors file for operator 12 only', () => {
      const deps = {
        timeoutMs: TIMEOUT_MS,
        clock: systemClock,
        publicUrl: 'https://cauri.example',
        env: { MOOV_PASSWORD: fake.password },
      };
      const router = connectorsFromJson(
        {
          connectors: [
            {
              type: 'moov-bf',
              operators: ['12'],
              settings: fake.settings({ password: { env: 'MOOV_PASSWORD' } }),
            },
          ],
        },
        [moovBurkinaFactory],
        deps,
      );
      expect(router.serves('12', 'debit')).toBe(true);
      expect(() =>
        connectorsFromJson(
          { connectors: [{ type: 'moov-bf', operators: ['11'], settings: fake.settings() }] },
          [moovBurkinaFactory],
          deps,
        ),
      ).toThrow(/does not serve operator 11/);
    });

    it.each([
      [{ password: undefined }, /password must be a string/],
      [{ url: 'ftp://x' }, /url must be an http or https URL/],
      [{ payinFlow: 'sms' }, /payinFlow must be one of ussd_push, merchant_otp/],
      [{ payouts: 'yes' }, /payouts must be one of enabled, disabled/],
    ])('refuses %o', (change, message) => {
      const raw = { ...fake.settings(), ...change };
      expect(() => connectorFor(fake, raw)).toThrow(ConnectorConfigError);
      expect(() => connectorFor(fake, raw)).toThrow(message);
    });
  });
});
