import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Xof } from '../src/core/money.js';
import {
  type DebitRequest,
  OPERATOR_STATE_CHARS_MAX,
  type OperatorConnector,
} from '../src/operators/connector.js';
import {
  ORANGE_BF_STATUSES,
  burkinaNational,
  ompreqXml,
  orangeBurkinaFactory,
  parseFlatXml,
  xmlEscape,
} from '../src/operators/orange-bf.js';
import { orangeWebPayFactory, orderIdOf, referenceOfOrderId } from '../src/operators/orange-webpay.js';
import { ConnectorConfigError } from '../src/operators/secrets.js';
import { connectorsFromJson, type OperatorRouter } from '../src/operators/registry.js';
import { ManualClock } from './harness.js';
import {
  FAKE_STATUS_MAP,
  type OrangeBfFake,
  readCommand,
  startOrangeBfFake,
} from './fakes/orange-bf-fake.js';
import { type OrangeWebPayFake, startOrangeWebPayFake } from './fakes/orange-webpay-fake.js';

/** The Orange connectors over real HTTP against their offline fakes (ADR 0011). */
const PUBLIC_URL = 'https://cauri.example';
const TIMEOUT_MS = 300;

function debit(overrides: Partial<DebitRequest> = {}): DebitRequest {
  return {
    reference: 'pay_2345abcdefghijklmnopqrstu.1',
    operatorId: '11',
    phone: '22670123456',
    amountXof: 5000 as Xof,
    otp: '123456',
    merchantName: 'Test shop',
    description: 'Order 42',
    returnUrl: 'https://shop.example/return',
    ...overrides,
  };
}

describe('Orange Burkina XML helpers', () => {
  it('escapes every XML metacharacter and drops characters XML cannot carry', () => {
    expect(xmlEscape(`<a href="x">&'\u0000\u0007ok`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&apos;ok');
  });

  it('reads the bare answer, a wrapped answer, and refuses DOCTYPE, CDATA, unknown entities and trailing text', () => {
    expect(
      parseFlatXml('<status>200</status><message>Succes &amp; merci</message><transID>OM1</transID>'),
    ).toEqual(
      new Map([
        ['status', '200'],
        ['message', 'Succes & merci'],
        ['transID', 'OM1'],
      ]),
    );
    expect(
      parseFlatXml('<?xml version="1.0"?>\n<response><status>990418</status><message/></response>')?.get(
        'status',
      ),
    ).toBe('990418');
    expect(parseFlatXml('<!DOCTYPE x [<!ENTITY e "200">]><status>&e;</status>')).toBeUndefined();
    expect(parseFlatXml('<status>&e;</status>')).toBeUndefined();
    expect(parseFlatXml('<status><![CDATA[200]]></status>')).toBeUndefined();
    expect(parseFlatXml('<status>200</status>junk')).toBeUndefined();
    expect(parseFlatXml('<status>200</status><message>Succ')).toBeUndefined();
    expect(parseFlatXml('')).toBeUndefined();
    expect(parseFlatXml('<status>&#50;00</status>')?.get('status')).toBe('200');
  });

  it('writes the command the community clients send, with the national number', () => {
    const xml = ompreqXml({
      customerMsisdn: '70123456',
      merchantMsisdn: '70000001',
      apiUsername: 'u',
      apiPassword: 'p',
      amountXof: 100,
      otp: '123456',
      label: 'L',
      reference: 'R',
    });
    expect(xml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><COMMAND><TYPE>OMPREQ</TYPE><customer_msisdn>70123456</customer_msisdn><merchant_msisdn>70000001</merchant_msisdn>' +
        '<api_username>u</api_username><api_password>p</api_password><amount>100</amount><PROVIDER>101</PROVIDER><PROVIDER2>101</PROVIDER2>' +
        '<PAYID>12</PAYID><PAYID2>12</PAYID2><otp>123456</otp><reference_number>L</reference_number><ext_txn_id>R</ext_txn_id></COMMAND>',
    );
    expect(burkinaNational('22670123456')).toBe('70123456');
    expect(burkinaNational('2250712345678')).toBeUndefined();
    expect(ORANGE_BF_STATUSES['990418']).toBe('otp_expired');
  });
});

describe('Orange Burkina OTP connector', () => {
  let fake: OrangeBfFake;
  let connector: OperatorConnector;
  beforeEach(async () => {
    fake = await startOrangeBfFake();
    connector = orangeBurkinaFactoryFor(fake);
  });
  afterEach(async () => fake.close());

  const orangeBurkinaFactoryFor = (f: OrangeBfFake, extra: Record<string, unknown> = {}): OperatorRouter =>
    connectorsFromJson(
      {
        connectors: [
          {
            type: 'orange-bf-otp',
            operators: ['11'],
            settings: {
              url: f.url,
              merchantMsisdn: `226${f.merchantMsisdn}`,
              apiUsername: f.apiUsername,
              apiPassword: f.apiPassword,
              statusMap: FAKE_STATUS_MAP,
              ...extra,
            },
          },
        ],
      },
      [orangeBurkinaFactory],
      { timeoutMs: TIMEOUT_MS, clock: new ManualClock(), publicUrl: PUBLIC_URL, env: {} },
    );

  it('a right code debits once: completed with the transID, remembered for queryStatus', async () => {
    fake.issueOtp('70123456', '123456');
    const outcome = await connector.requestDebit?.(debit());
    expect(outcome).toMatchObject({
      state: 'completed',
      operatorReference: expect.stringMatching(/^OM\d{6}/) as string,
    });
    expect(fake.debitsOf(debit().reference)).toBe(1);
    expect(fake.commands[0]?.fields).toMatchObject({
      TYPE: 'OMPREQ',
      customer_msisdn: '70123456',
      merchant_msisdn: '70000001',
      amount: '5000',
      otp: '123456',
      ext_txn_id: debit().reference,
      PROVIDER2: '101',
      PAYID2: '12',
    });
    expect(await connector.queryStatus(debit().reference, '11')).toEqual(outcome);
  });

  it('serves payins only: payouts to Orange Burkina are unavailable', async () => {
    expect(connector.serves?.('11', 'debit')).toBe(true);
    expect(connector.serves?.('11', 'credit')).toBe(false);
    expect(
      await connector.requestCredit({
        reference: 'po_x',
        operatorId: '11',
        phone: '22670123456',
        amountXof: 100 as Xof,
      }),
    ).toMatchObject({ state: 'failed', code: 'operator_unavailable' });
  });

  it.each([
    ['a wrong code', 'otp_invalid', { state: 'refused', code: 'otp_invalid' }],
    ['an expired code', 'otp_expired', { state: 'refused', code: 'otp_expired' }],
    ['a code already used (990418)', 'otp_used', { state: 'refused', code: 'otp_expired' }],
    ['a short balance', 'insufficient', { state: 'failed', code: 'insufficient_funds' }],
    [
      'a number without Orange Money (990422)',
      'unknown_number',
      { state: 'failed', code: 'payer_not_found' },
    ],
    [
      'an amount the code was not made for (08)',
      'amount_mismatch',
      { state: 'failed', code: 'invalid_request' },
    ],
  ] as const)('%s', async (_name, outcome, expected) => {
    fake.issueOtp('70123456', '123456');
    fake.setOutcome('70123456', outcome);
    expect(await connector.requestDebit?.(debit())).toMatchObject(expected);
    expect(fake.debitsOf(debit().reference)).toBe(0);
  });

  it('a code that does not match what the phone showed is refused, and a second use of a right one too', async () => {
    fake.issueOtp('70123456', '123456');
    expect(await connector.requestDebit?.(debit({ otp: '654321' }))).toMatchObject({
      state: 'refused',
      code: 'otp_invalid',
    });
    expect(await connector.requestDebit?.(debit())).toMatchObject({ state: 'completed' });
    expect(
      await connector.requestDebit?.(debit({ reference: 'pay_2345abcdefghijklmnopqrstu.2' })),
    ).toMatchObject({ state: 'refused', code: 'otp_expired' });
    expect(fake.debitsOf(debit().reference)).toBe(1);
  });

  it('an unlisted status is a failure of the operator, with its message', async () => {
    const plain = orangeBurkinaFactoryFor(fake, { statusMap: '990418=otp_expired' });
    fake.issueOtp('70123456', '123456');
    fake.setOutcome('70123456', 'insufficient');
    expect(await plain.requestDebit(debit())).toMatchObject({
      state: 'failed',
      code: 'operator_error',
      reason: 'operator_error: status T-NO-FUNDS: Solde insuffisant',
    });
  });

  it('timeouts, a closed server, HTTP 500 and garbled XML throw (unknown), and queryStatus stays pending', async () => {
    fake.issueOtp('70123456', '123456');
    fake.delayMs = TIMEOUT_MS + 200;
    await expect(connector.requestDebit?.(debit())).rejects.toThrow(/timed out/);
    fake.delayMs = 0;
    fake.setOutcome('70123456', 'http500');
    await expect(connector.requestDebit?.(debit({ reference: 'pay_b.1' }))).rejects.toThrow(/HTTP 500/);
    fake.setOutcome('70123456', 'garbled');
    await expect(connector.requestDebit?.(debit({ reference: 'pay_c.1' }))).rejects.toThrow(/XML status/);
    await fake.down();
    await expect(connector.requestDebit?.(debit({ reference: 'pay_d.1' }))).rejects.toThrow();
    await fake.up();
    for (const reference of ['pay_b.1', 'pay_c.1', 'pay_d.1', 'pay_never_sent.1'])
      expect(await connector.queryStatus(reference, '11')).toEqual({ state: 'pending' });
  });

  it('an answer that arrives after the caller gave up is remembered and answers queryStatus', async () => {
    fake.issueOtp('70123456', '123456');
    fake.delayMs = 100;
    const late = connector.requestDebit?.(debit());
    expect(await connector.queryStatus(debit().reference, '11')).toEqual({ state: 'pending' });
    await late;
    expect(await connector.queryStatus(debit().reference, '11')).toMatchObject({ state: 'completed' });
  });

  it('escapes hostile values: the operator reads exactly what was sent, no injected element', async () => {
    fake.issueOtp('70123456', '123456');
    const hostile = '</reference_number><amount>1</amount><reference_number>& <!-- \' "';
    fake.setOutcome('70123456', 'hostile_message');
    const outcome = await connector.requestDebit?.(debit({ description: hostile }));
    expect(outcome).toMatchObject({ state: 'completed' });
    const [command] = fake.commands;
    expect(command?.fields.amount).toBe('5000');
    expect(command?.fields.reference_number).toBe(hostile);
    expect(command?.fields.api_password).toBe(fake.apiPassword);
    expect(readCommand(String(command?.raw))).toEqual(command?.fields);
  });

  it('no secret in any error, configuration errors included', async () => {
    fake.setOutcome('*', 'http500');
    const error = await connector.requestDebit?.(debit()).catch((e: unknown) => e);
    expect(String(error)).not.toContain(fake.apiPassword);
    fake.setOutcome('*', 'garbled');
    expect(String(await connector.requestDebit?.(debit()).catch((e: unknown) => e))).not.toContain(
      fake.apiPassword,
    );
    expect(() => orangeBurkinaFactoryFor(fake, { merchantMsisdn: '123' })).toThrow(ConnectorConfigError);
    expect(() => orangeBurkinaFactoryFor(fake, { statusMap: '200=otp_invalid' })).toThrow(/statusMap/);
    expect(() => orangeBurkinaFactoryFor(fake, { statusMap: 'x=paid' })).toThrow(/statusMap/);
    let message = '';
    try {
      orangeBurkinaFactoryFor(fake, { apiPassword: { env: 'NOT_SET_ORANGE' } });
    } catch (e) {
      message = String(e);
    }
    expect(message).toMatch(/NOT_SET_ORANGE is not set/);
  });

  it('a non-digit code is refused without a call', async () => {
    expect(await connector.requestDebit?.(debit({ otp: '12<34' }))).toMatchObject({
      state: 'refused',
      code: 'otp_invalid',
    });
    expect(fake.commands).toHaveLength(0);
  });
});

describe('Orange WebPay order ids', () => {
  it('payin references lose their prefix, reversibly; anything longer is hashed', () => {
    const reference = 'pay_2345abcdefghijklmnopqrstuv.1';
    expect(orderIdOf(reference)).toBe('2345abcdefghijklmnopqrstuv.1');
    expect(referenceOfOrderId(orderIdOf(reference))).toBe(reference);
    expect(orderIdOf('short.1')).toBe('short.1');
    const long = orderIdOf('x'.repeat(40));
    expect(long).toHaveLength(30);
    expect(orderIdOf('x'.repeat(40))).toBe(long);
    expect(referenceOfOrderId(long)).toBeUndefined();
  });
});

describe('Orange WebPay connector', () => {
  let fake: OrangeWebPayFake;
  let clock: ManualClock;
  let connector: OperatorRouter;
  const notified: Record<string, unknown>[] = [];
  const reference = 'pay_2345abcdefghijklmnopqrstuv.1';
  const ci = (overrides: Partial<DebitRequest> = {}) =>
    debit({ reference, operatorId: '16', phone: '2250712345678', otp: '', ...overrides });

  const make = (settings: Record<string, unknown> = {}, operators = ['16']): OperatorRouter =>
    connectorsFromJson(
      {
        connectors: [
          {
            type: 'orange-webpay',
            operators,
            settings: {
              tokenUrl: fake.tokenUrl,
              baseUrl: fake.url,
              env: fake.env,
              clientId: fake.clientId,
              clientSecret: fake.clientSecret,
              merchantKey: fake.merchantKey,
              ...settings,
            },
          },
        ],
      },
      [orangeWebPayFactory],
      { timeoutMs: TIMEOUT_MS, clock, publicUrl: PUBLIC_URL, env: {} },
    );

  beforeEach(async () => {
    fake = await startOrangeWebPayFake('ci');
    clock = new ManualClock();
    notified.length = 0;
    fake.deliver = (_url, body) => {
      notified.push(body);
      return Promise.resolve();
    };
    connector = make();
  });
  afterEach(async () => fake.close());

  const raw = (body: unknown) => ({ headers: { 'content-type': 'application/json' }, body });

  it('creates the payment: pending with Orange payment_url, the exact body, one cached token', async () => {
    const outcome = await connector.requestDebit(ci());
    const payment = fake.payments.get(orderIdOf(reference));
    expect(outcome).toEqual({
      state: 'pending',
      redirectUrl: `${fake.url}/payment/pay_token/${String(payment?.payToken)}`,
      operatorState: expect.any(String) as string,
    });
    expect(payment?.body).toEqual({
      merchant_key: fake.merchantKey,
      currency: 'XOF',
      order_id: '2345abcdefghijklmnopqrstuv.1',
      amount: 5000,
      return_url: 'https://shop.example/return',
      cancel_url: 'https://shop.example/return',
      notif_url: `${PUBLIC_URL}/operators/16/notify`,
      lang: 'fr',
      reference: 'Test shop',
    });
    await connector.requestDebit(ci({ reference: 'pay_2345abcdefghijklmnopqrstuv.2' }));
    expect(fake.tokensIssued).toBe(1);
    expect(connector.serves('16', 'credit')).toBe(false);
    expect(connector.serves('16', 'debit')).toBe(true);
  });

  it('the notification with the right notif_token settles; a duplicate says the same; a forged token is not genuine', async () => {
    await connector.requestDebit(ci());
    fake.duplicateNotifications = true;
    const body = await fake.finish(orderIdOf(reference), 'SUCCESS');
    expect(notified).toHaveLength(2);
    const parsed = connector.parseNotification('16', raw(notified[0]));
    expect(parsed).toEqual({ reference, outcome: { state: 'completed', operatorReference: body.txnid } });
    expect(connector.parseNotification('16', raw(notified[1]))).toEqual(parsed);
    expect(connector.parseNotification('16', raw({ ...body, notif_token: 'forged' }))).toBeUndefined();
    expect(connector.parseNotification('16', raw({ status: 'SUCCESS' }))).toBeUndefined();
    expect(connector.parseNotification('16', raw('not json'))).toBeUndefined();
    // Another operator's endpoint does not speak for this payment.
    expect(connector.parseNotification('18', raw(body))).toBeUndefined();
  });

  it('FAILED and EXPIRED are final failures', async () => {
    await connector.requestDebit(ci());
    const failed = await fake.finish(orderIdOf(reference), 'FAILED');
    expect(connector.parseNotification('16', raw(failed))).toMatchObject({
      reference,
      outcome: { state: 'failed', code: 'declined' },
    });
    const other = 'pay_2345abcdefghijklmnopqrstuv.2';
    await connector.requestDebit(ci({ reference: other }));
    expect(
      connector.parseNotification('16', raw(await fake.finish(orderIdOf(other), 'EXPIRED'))),
    ).toMatchObject({ reference: other, outcome: { state: 'failed', code: 'expired' } });
  });

  it('a notification that never comes: queryStatus asks transactionstatus', async () => {
    await connector.requestDebit(ci());
    expect(await connector.queryStatus(reference, '16')).toEqual({ state: 'pending' });
    fake.withholdNotifications = true;
    const body = await fake.finish(orderIdOf(reference), 'SUCCESS');
    expect(notified).toHaveLength(0);
    expect(await connector.queryStatus(reference, '16')).toEqual({
      state: 'completed',
      operatorReference: body.txnid,
    });
    expect(fake.statusQueries).toBe(2);
  });

  it('after a restart the request is unknown without its operator state: pending, and a notification with an order_id only asks for verification', async () => {
    await connector.requestDebit(ci());
    const body = await fake.finish(orderIdOf(reference), 'SUCCESS');
    const restarted = make();
    expect(await restarted.queryStatus(reference, '16')).toEqual({ state: 'pending' });
    // An operator state that does not belong to the reference is ignored, not trusted.
    expect(
      await restarted.queryStatus(
        reference,
        '16',
        JSON.stringify({
          v: 1,
          orderId: 'other',
          amountXof: 5000,
          payToken: 'x',
          notifKey: 'y',
          operatorId: '16',
        }),
      ),
    ).toEqual({ state: 'pending' });
    expect(await restarted.queryStatus(reference, '16', 'not json')).toEqual({ state: 'pending' });
    expect(restarted.parseNotification('16', raw(body))).toBeUndefined();
    expect(restarted.parseNotification('16', raw({ ...body, order_id: orderIdOf(reference) }))).toEqual({
      reference,
      outcome: { state: 'pending' },
      verify: true,
    });
    // A re-send under the same reference never opens a second payment.
    await expect(restarted.requestDebit(ci())).rejects.toThrow(/HTTP 403/);
    expect(fake.payments.size).toBe(1);
  });

  it('hands the gateway an operator state with which another instance asks transactionstatus after a restart', async () => {
    const created = await connector.requestDebit(ci());
    expect(created.state).toBe('pending');
    const operatorState = 'operatorState' in created ? created.operatorState : undefined;
    expect(operatorState?.length).toBeLessThanOrEqual(OPERATOR_STATE_CHARS_MAX);
    // The notif_token itself is not in it (only its digest): the state is stored in the database.
    const [payment] = [...fake.payments.values()];
    expect(operatorState).not.toContain(String(payment?.notifToken));
    const body = await fake.finish(orderIdOf(reference), 'SUCCESS');
    const restarted = make();
    expect(await restarted.queryStatus(reference, '16', operatorState)).toEqual({
      state: 'completed',
      operatorReference: body.txnid,
    });
  });

  it('an expired access token is renewed once, on 401', async () => {
    await connector.requestDebit(ci());
    fake.revokeTokens();
    await connector.requestDebit(ci({ reference: 'pay_2345abcdefghijklmnopqrstuv.2' }));
    expect(fake.tokensIssued).toBe(2);
    clock.advance(fake.tokenLifetimeS * 1000);
    await connector.queryStatus(reference, '16');
    expect(fake.tokensIssued).toBe(3);
  });

  it('400 is a failure; 5xx, timeouts and a closed server throw; no secret in errors', async () => {
    fake.failCreatesWith = 400;
    expect(await connector.requestDebit(ci())).toMatchObject({ state: 'failed', code: 'invalid_request' });
    fake.failCreatesWith = 503;
    const errors: unknown[] = [];
    errors.push(await connector.requestDebit(ci()).catch((e: unknown) => e));
    fake.failCreatesWith = undefined;
    fake.delayMs = TIMEOUT_MS + 200;
    errors.push(await connector.requestDebit(ci()).catch((e: unknown) => e));
    fake.delayMs = 0;
    await fake.down();
    errors.push(await connector.requestDebit(ci()).catch((e: unknown) => e));
    await fake.up();
    const wrong = make({ clientSecret: 'wrong-secret-value' });
    errors.push(await wrong.requestDebit(ci()).catch((e: unknown) => e));
    expect(errors.map((e) => e instanceof Error)).toEqual([true, true, true, true]);
    expect(String(errors[0])).toMatch(/HTTP 503/);
    expect(String(errors[1])).toMatch(/timed out/);
    for (const e of errors)
      for (const secret of [fake.clientSecret, fake.merchantKey, 'wrong-secret-value'])
        expect(String(e)).not.toContain(secret);
  });

  it('settings: an authorization header instead of client credentials; one country per entry; OUV in dev', async () => {
    const header = make({
      clientId: undefined,
      clientSecret: undefined,
      authorizationHeader: Buffer.from(`${fake.clientId}:${fake.clientSecret}`).toString('base64'),
    });
    expect(await header.requestDebit(ci())).toMatchObject({ state: 'pending' });
    expect(() => make({}, ['16', '18'])).toThrow(/one country per entry/);
    expect(() => make({ clientId: undefined })).toThrow(/authorizationHeader/);
    expect(() => make({ env: 'CI/../x' })).toThrow(/env/);
    const dev = await startOrangeWebPayFake('dev');
    try {
      const devConnector = connectorsFromJson(
        {
          connectors: [
            {
              type: 'orange-webpay',
              operators: ['16', '18'],
              settings: {
                tokenUrl: dev.tokenUrl,
                baseUrl: dev.url,
                env: 'dev',
                clientId: dev.clientId,
                clientSecret: dev.clientSecret,
                merchantKey: dev.merchantKey,
              },
            },
          ],
        },
        [orangeWebPayFactory],
        { timeoutMs: TIMEOUT_MS, clock, publicUrl: PUBLIC_URL, env: {} },
      );
      await devConnector.requestDebit(ci({ operatorId: '18', phone: '22370123456' }));
      expect(dev.payments.get(orderIdOf(reference))?.body).toMatchObject({
        currency: 'OUV',
        notif_url: `${PUBLIC_URL}/operators/18/notify`,
      });
    } finally {
      await dev.close();
    }
  });
});
