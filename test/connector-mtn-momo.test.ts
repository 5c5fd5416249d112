import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Xof } from '../src/core/money.js';
import type { OperatorConnector } from '../src/operators/connector.js';
import { MtnMomoConnector, momoReferenceId, mtnMomoFactory } from '../src/operators/mtn-momo.js';
import { type ConnectorDeps, connectorsFromJson } from '../src/operators/registry.js';
import { ConnectorConfigError, Settings } from '../src/operators/secrets.js';
import { ManualClock } from './harness.js';
import {
  FAKE_COLLECTION,
  FAKE_DISBURSEMENT,
  type FakeCallback,
  MAGIC,
  type MtnMomoFake,
  type MtnMomoFakeOptions,
  startMtnMomoFake,
} from './fakes/mtn-momo-fake.js';
import { rejection } from './rejection.js';

/**
 * The MTN MoMo connector over real HTTP against the offline fake (ADR 0010): tokens, payouts,
 * payins, every failure reason, re-sends, timeouts, outages, callbacks and what errors reveal.
 */
const PUBLIC_URL = 'http://cauri.test';
const PHONE = '2250512345678';
const SECRETS = [
  FAKE_COLLECTION.apiKey,
  FAKE_COLLECTION.subscriptionKey,
  FAKE_DISBURSEMENT.apiKey,
  FAKE_DISBURSEMENT.subscriptionKey,
];

function build(
  fake: MtnMomoFake,
  clock: ManualClock,
  extra: Record<string, unknown> = {},
  timeoutMs = 400,
): OperatorConnector {
  const deps: ConnectorDeps = { timeoutMs, clock, publicUrl: PUBLIC_URL, env: {} };
  return mtnMomoFactory.create(
    new Settings(fake.settings(extra), 'connectors[0].settings', deps.env),
    ['15', '1'],
    deps,
  );
}

let seq = 0;
const payoutRef = () => `po_TEST${String(++seq).padStart(6, '0')}`;
const payinRef = () => `pay_TEST${String(++seq).padStart(6, '0')}.1`;
const credit = (connector: OperatorConnector, reference: string, phone = PHONE, amount = 2500) =>
  connector.requestCredit({ reference, operatorId: '15', phone, amountXof: amount as Xof });
const debit = (connector: OperatorConnector, reference: string, phone = PHONE) =>
  (connector.requestDebit as NonNullable<OperatorConnector['requestDebit']>).call(connector, {
    reference,
    operatorId: '15',
    phone,
    amountXof: 5000 as Xof,
    otp: '',
    merchantName: 'Test shop',
    description: 'Order 42',
    returnUrl: '',
  });

function expectNoSecret(error: Error): void {
  for (const secret of SECRETS) expect(`${error.message} ${String(error.stack)}`).not.toContain(secret);
  expect(error.message).not.toMatch(/Basic [A-Za-z0-9+/=]{8,}/);
}

describe('MTN MoMo connector against the fake', () => {
  let fake: MtnMomoFake;
  let clock: ManualClock;
  let connector: OperatorConnector;
  const start = async (options: MtnMomoFakeOptions = {}) => {
    fake = await startMtnMomoFake(options);
    clock = new ManualClock();
    connector = build(fake, clock);
  };
  beforeEach(async () => start());
  afterEach(async () => fake.stop());

  describe('tokens', () => {
    it('fetches one token per product with Basic credentials and the subscription key, and caches it', async () => {
      await credit(connector, payoutRef());
      await credit(connector, payoutRef());
      await debit(connector, payinRef());
      expect(fake.tokensIssued).toEqual({ collection: 1, disbursement: 1 });
      const tokenCall = fake.requests.find((r) => r.path === '/disbursement/token/');
      expect(tokenCall?.method).toBe('POST');
      expect(tokenCall?.headers.authorization).toBe(
        `Basic ${Buffer.from(`${FAKE_DISBURSEMENT.apiUser}:${FAKE_DISBURSEMENT.apiKey}`).toString('base64')}`,
      );
      expect(tokenCall?.headers['ocp-apim-subscription-key']).toBe(FAKE_DISBURSEMENT.subscriptionKey);
    });

    it('refreshes a token before it expires', async () => {
      await credit(connector, payoutRef());
      clock.advance(3_600_000 - 60_000 - 1);
      await credit(connector, payoutRef());
      expect(fake.tokensIssued.disbursement).toBe(1);
      clock.advance(2);
      await credit(connector, payoutRef());
      expect(fake.tokensIssued.disbursement).toBe(2);
    });

    it('fetches a new token once on a 401, then succeeds', async () => {
      await credit(connector, payoutRef());
      fake.expireTokens();
      expect(await credit(connector, payoutRef())).toEqual({ state: 'pending' });
      expect(fake.tokensIssued.disbursement).toBe(2);
    });

    it('throws, naming no secret, when MoMo refuses the credentials or keeps answering 401', async () => {
      const wrong = build(fake, clock, {
        disbursementApiKey: 'not-the-key',
        disbursementSubscriptionKey: 'wrong-sub',
      });
      const refused = await rejection(credit(wrong, payoutRef()));
      expect(refused.message).toMatch(/token request answered HTTP 401/);
      expectNoSecret(refused);
      fake.fault({
        route: 'transfer',
        kind: 'status',
        status: 401,
        body: { code: 'UNAUTHORIZED' },
        times: 2,
      });
      const again = await rejection(credit(connector, payoutRef()));
      expect(again.message).toMatch(/401/);
      expectNoSecret(again);
    });
  });

  describe('payouts (disbursement transfer)', () => {
    it('sends the transfer with MoMo headers and body, and the status query completes it', async () => {
      const reference = payoutRef();
      expect(await credit(connector, reference)).toEqual({ state: 'pending' });
      const sent = fake.requests.find((r) => r.path === '/disbursement/v1_0/transfer');
      expect(sent?.headers).toMatchObject({
        'x-reference-id': momoReferenceId(reference),
        'x-callback-url': `${PUBLIC_URL}/operators/15/notify`,
        'x-target-environment': 'sandbox',
        'ocp-apim-subscription-key': FAKE_DISBURSEMENT.subscriptionKey,
        'content-type': 'application/json',
      });
      expect(String(sent?.headers.authorization)).toMatch(/^Bearer .+/);
      expect(JSON.parse(String(sent?.body))).toEqual({
        amount: '2500',
        currency: 'XOF',
        externalId: reference,
        payee: { partyIdType: 'MSISDN', partyId: PHONE },
        payerMessage: `Payout ${reference}`,
        payeeNote: reference,
      });
      const status = await connector.queryStatus(reference, '15');
      expect(status).toEqual({
        state: 'completed',
        operatorReference: fake.transactionOf(reference)?.financialTransactionId,
      });
      expect(fake.requests.at(-1)?.path).toBe(`/disbursement/v1_0/transfer/${momoReferenceId(reference)}`);
      expect(fake.creditsByExternalId(reference)).toBe(1);
    });

    it.each([
      ['NOT_ENOUGH_FUNDS', 'insufficient_funds'],
      ['PAYEE_NOT_FOUND', 'payee_not_found'],
      ['PAYER_NOT_FOUND', 'payer_not_found'],
      ['PAYER_LIMIT_REACHED', 'limit_reached'],
      ['PAYEE_LIMIT_REACHED', 'limit_reached'],
      ['SENDER_ACCOUNT_NOT_ACTIVE', 'account_inactive'],
      ['NOT_ALLOWED', 'not_allowed'],
      ['NOT_ALLOWED_TARGET_ENVIRONMENT', 'not_allowed'],
      ['APPROVAL_REJECTED', 'declined'],
      ['EXPIRED', 'expired'],
      ['COULD_NOT_PERFORM_TRANSACTION', 'operator_error'],
      ['INTERNAL_PROCESSING_ERROR', 'operator_error'],
      ['A_REASON_NOBODY_LISTED', 'operator_error'],
    ])('a transfer FAILED with %s is failed with %s', async (reason, code) => {
      const reference = payoutRef();
      fake.setOutcome(PHONE, { status: 'FAILED', reason });
      expect(await credit(connector, reference)).toEqual({ state: 'pending' });
      expect(await connector.queryStatus(reference, '15')).toEqual({
        state: 'failed',
        code,
        reason: `${code}: ${reason}`,
      });
    });

    it('reads reasons in the older {code, message} form too', async () => {
      await fake.stop();
      await start({ reasonAsObject: true });
      const reference = payoutRef();
      fake.setOutcome(PHONE, { status: 'FAILED', reason: 'NOT_ENOUGH_FUNDS' });
      await credit(connector, reference);
      expect(await connector.queryStatus(reference, '15')).toMatchObject({
        state: 'failed',
        code: 'insufficient_funds',
      });
    });

    it('treats 409 RESOURCE_ALREADY_EXIST on a re-send as accepted, and pays once', async () => {
      const reference = payoutRef();
      fake.setOutcome(PHONE, { status: 'PENDING' });
      expect(await credit(connector, reference)).toEqual({ state: 'pending' });
      expect(await credit(connector, reference)).toEqual({ state: 'pending' });
      expect(fake.requests.filter((r) => r.path === '/disbursement/v1_0/transfer')).toHaveLength(2);
      expect(fake.creditsByReferenceId(momoReferenceId(reference))).toBe(1);
      expect(await connector.queryStatus(reference, '15')).toEqual({ state: 'pending' });
    });

    it('is failed invalid_request when MoMo refuses the body with 400', async () => {
      const eur = build(fake, clock, { currency: 'EUR' });
      expect(await credit(eur, payoutRef())).toEqual({
        state: 'failed',
        code: 'invalid_request',
        reason: 'invalid_request: INVALID_CURRENCY (HTTP 400)',
      });
      fake.fault({
        route: 'transfer',
        kind: 'status',
        status: 400,
        body: { code: 'PAYEE_NOT_FOUND', message: 'Payee does not exist' },
      });
      expect(await credit(connector, payoutRef())).toMatchObject({
        state: 'failed',
        code: 'payee_not_found',
      });
      expect(fake.transactions.size).toBe(0);
    });

    it('throws (unknown) on 5xx, on 4xx without MoMo error body, and on transient codes', async () => {
      for (const fault of [
        { status: 500, body: { code: 'INTERNAL_PROCESSING_ERROR' } },
        { status: 503, body: 'Service Unavailable' },
        { status: 400, body: 'not json' },
        { status: 400, body: { code: 'SERVICE_UNAVAILABLE' } },
        { status: 429, body: { code: 'TOO_MANY' } },
      ]) {
        fake.fault({ route: 'transfer', kind: 'status', ...fault });
        const error = await rejection(credit(connector, payoutRef()));
        expect(error.message).toContain(`HTTP ${fault.status}`);
      }
    });

    it('throws on a timeout, and when the answer was lost the status query and a re-send pay once', async () => {
      fake.fault({ route: 'transfer', kind: 'hang' });
      expect((await rejection(credit(connector, payoutRef()))).message).toMatch(/timed out/);
      const reference = payoutRef();
      fake.setOutcome(PHONE, { status: 'PENDING' });
      fake.fault({ route: 'transfer', kind: 'lost' });
      await rejection(credit(connector, reference));
      expect(await connector.queryStatus(reference, '15')).toEqual({ state: 'pending' });
      expect(await credit(connector, reference)).toEqual({ state: 'pending' });
      await fake.settle(reference, { status: 'SUCCESSFUL' });
      expect(await connector.queryStatus(reference, '15')).toMatchObject({ state: 'completed' });
      expect(fake.creditsByExternalId(reference)).toBe(1);
    });

    it('throws on a slow status answer and on a hung token endpoint', async () => {
      const reference = payoutRef();
      await credit(connector, reference);
      fake.fault({ route: 'status', kind: 'delay', delayMs: 600 });
      expect((await rejection(connector.queryStatus(reference, '15'))).message).toMatch(/timed out/);
      const fresh = build(fake, clock);
      fake.fault({ route: 'token', kind: 'hang' });
      expect((await rejection(credit(fresh, payoutRef()))).message).toMatch(/timed out/);
    });

    it('throws while MoMo is down, and works again when it is back', async () => {
      const reference = payoutRef();
      await credit(connector, reference);
      fake.setDown(true);
      await rejection(credit(connector, payoutRef()));
      await rejection(connector.queryStatus(reference, '15'));
      fake.setDown(false);
      expect(await connector.queryStatus(reference, '15')).toMatchObject({ state: 'completed' });
    });

    it('answers pending for a reference MoMo does not know (404 RESOURCE_NOT_FOUND)', async () => {
      expect(await connector.queryStatus(payoutRef(), '15')).toEqual({ state: 'pending' });
      expect(await connector.queryStatus(payinRef(), '15')).toEqual({ state: 'pending' });
    });

    it('refuses to decide on a status that names another externalId or is not a transaction', async () => {
      const reference = payoutRef();
      await credit(connector, reference);
      fake.fault({
        route: 'status',
        kind: 'status',
        status: 200,
        body: { status: 'SUCCESSFUL', externalId: 'po_SOMEONEELSE', financialTransactionId: '1' },
      });
      expect((await rejection(connector.queryStatus(reference, '15'))).message).toMatch(/another externalId/);
      fake.fault({ route: 'status', kind: 'status', status: 200, body: { hello: 'world' } });
      await rejection(connector.queryStatus(reference, '15'));
    });
  });

  describe('payins (collection requesttopay)', () => {
    it('asks the payer with requesttopay and follows the sandbox magic numbers', async () => {
      const reference = payinRef();
      expect(await debit(connector, reference)).toEqual({ state: 'pending' });
      const sent = fake.requests.find((r) => r.path === '/collection/v1_0/requesttopay');
      expect(sent?.headers['ocp-apim-subscription-key']).toBe(FAKE_COLLECTION.subscriptionKey);
      expect(JSON.parse(String(sent?.body))).toEqual({
        amount: '5000',
        currency: 'XOF',
        externalId: reference,
        payer: { partyIdType: 'MSISDN', partyId: PHONE },
        payerMessage: 'Order 42',
        payeeNote: 'Test shop',
      });
      expect(await connector.queryStatus(reference, '15')).toMatchObject({ state: 'completed' });
      const expected: [string, unknown][] = [
        [MAGIC.failed, { state: 'failed', code: 'operator_error' }],
        [MAGIC.rejected, { state: 'failed', code: 'declined' }],
        [MAGIC.timeout, { state: 'failed', code: 'expired' }],
        [MAGIC.pending, { state: 'pending' }],
      ];
      for (const [phone, outcome] of expected) {
        const ref = payinRef();
        expect(await debit(connector, ref, phone)).toEqual({ state: 'pending' });
        expect(await connector.queryStatus(ref, '15')).toMatchObject(outcome as object);
      }
    });

    it('46733123453 is pending, then successful after the delay', async () => {
      await fake.stop();
      await start({ magicPendingMs: 150 });
      const reference = payinRef();
      await debit(connector, reference, MAGIC.pendingThenSuccess);
      expect(await connector.queryStatus(reference, '15')).toEqual({ state: 'pending' });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await connector.queryStatus(reference, '15')).toMatchObject({ state: 'completed' });
    });
  });

  describe('callbacks', () => {
    let received: FakeCallback[];
    beforeEach(() => {
      received = [];
      fake.callbackSender = (callback) => {
        received.push(callback);
        return Promise.resolve();
      };
    });

    it('sends one callback, parsed as a hint to verify; a duplicate parses the same', async () => {
      const reference = payoutRef();
      await credit(connector, reference);
      await fake.flushCallbacks();
      expect(received).toHaveLength(1);
      expect(received[0]?.url).toBe(`${PUBLIC_URL}/operators/15/notify`);
      const parsed = connector.parseNotification?.('15', { headers: {}, body: received[0]?.body });
      expect(parsed).toEqual({
        reference,
        outcome: {
          state: 'completed',
          operatorReference: fake.transactionOf(reference)?.financialTransactionId,
        },
        verify: true,
      });
      await fake.resendCallback(reference);
      expect(received).toHaveLength(2);
      expect(connector.parseNotification?.('15', { headers: {}, body: received[1]?.body })).toEqual(parsed);
    });

    it('a failed payin callback carries the mapped reason', async () => {
      const reference = payinRef();
      fake.setOutcome(PHONE, { status: 'FAILED', reason: 'APPROVAL_REJECTED' });
      await debit(connector, reference);
      await fake.flushCallbacks();
      expect(connector.parseNotification?.('15', { headers: {}, body: received[0]?.body })).toMatchObject({
        reference,
        outcome: { state: 'failed', code: 'declined' },
        verify: true,
      });
    });

    it('when the callback never comes, the status query resolves the request', async () => {
      fake.callbacksEnabled = false;
      const reference = payinRef();
      fake.setOutcome(PHONE, { status: 'PENDING' });
      await debit(connector, reference);
      await fake.settle(reference, { status: 'SUCCESSFUL' });
      expect(received).toEqual([]);
      expect(await connector.queryStatus(reference, '15')).toMatchObject({ state: 'completed' });
    });

    it('anything that is not a MoMo callback of ours is not genuine', () => {
      const parse = (operatorId: string, body: unknown) =>
        connector.parseNotification?.(operatorId, { headers: {}, body });
      expect(parse('15', { status: 'SUCCESSFUL', externalId: 'po_ABC' })).toMatchObject({
        reference: 'po_ABC',
        verify: true,
      });
      expect(parse('16', { status: 'SUCCESSFUL', externalId: 'po_ABC' })).toBeUndefined();
      for (const body of [
        undefined,
        null,
        'x',
        [],
        {},
        { status: 'SUCCESSFUL' },
        { status: 'SUCCESSFUL', externalId: 'order-1' },
        { status: 'DONE', externalId: 'po_ABC' },
      ]) {
        expect(parse('15', body)).toBeUndefined();
      }
    });
  });

  describe('settings', () => {
    it('serves debit only with collection credentials and credit only with disbursement credentials', () => {
      const deps: ConnectorDeps = { timeoutMs: 400, clock, publicUrl: PUBLIC_URL, env: {} };
      const only = (prefix: string) => {
        const raw = fake.settings();
        for (const key of Object.keys(raw)) if (key.startsWith(prefix)) delete raw[key];
        return mtnMomoFactory.create(new Settings(raw, 's', {}), ['15'], deps);
      };
      const collectionOnly = only('disbursement');
      expect([
        collectionOnly.serves?.('15', 'debit'),
        collectionOnly.serves?.('15', 'credit'),
        collectionOnly.serves?.('1', 'debit'),
      ]).toEqual([true, false, false]);
      const disbursementOnly = only('collection');
      expect([disbursementOnly.serves?.('15', 'debit'), disbursementOnly.serves?.('15', 'credit')]).toEqual([
        false,
        true,
      ]);
      const router = connectorsFromJson(
        { connectors: [{ type: 'mtn-momo', operators: ['15', '1'], settings: fake.settings() }] },
        [mtnMomoFactory],
        deps,
      );
      expect([
        router.serves('15', 'debit'),
        router.serves('1', 'credit'),
        router.serves('51', 'credit'),
      ]).toEqual([true, true, false]);
      // MTN GUINEE settles in GNF: the XOF ledger cannot drive it (ADR 0010).
      expect(() =>
        connectorsFromJson(
          { connectors: [{ type: 'mtn-momo', operators: ['51'], settings: fake.settings() }] },
          [mtnMomoFactory],
          deps,
        ),
      ).toThrow('mtn-momo does not serve operator 51');
      expect(collectionOnly).toBeInstanceOf(MtnMomoConnector);
    });

    it('refuses incomplete settings with a one-line reason that names no secret', () => {
      const deps: ConnectorDeps = { timeoutMs: 400, clock, publicUrl: PUBLIC_URL, env: {} };
      const make = (raw: Record<string, unknown>) => () =>
        mtnMomoFactory.create(new Settings(raw, 's', { MOMO_KEY: 'from-env' }), ['15'], deps);
      expect(make({ baseUrl: fake.url })).toThrow(ConnectorConfigError);
      expect(make({ collectionApiUser: 'u', collectionApiKey: FAKE_COLLECTION.apiKey })).toThrow(
        /collectionSubscriptionKey, collectionApiUser and collectionApiKey go together/,
      );
      expect(make({ ...fake.settings(), currency: 'xof' })).toThrow(/ISO 4217/);
      expect(make({ ...fake.settings(), collectionApiKey: { env: 'MISSING' } })).toThrow(
        /MISSING is not set/,
      );
      expect(make({ ...fake.settings(), collectionApiKey: { env: 'MOMO_KEY' } })).not.toThrow();
      try {
        make({ collectionApiUser: 'u', collectionApiKey: FAKE_COLLECTION.apiKey })();
      } catch (error) {
        expectNoSecret(error as Error);
      }
    });
  });
});
