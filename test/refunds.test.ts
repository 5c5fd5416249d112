import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../src/core/clock.js';
import { accountIds } from '../src/core/ledger.js';
import type { Xof } from '../src/core/money.js';
import { postTransfers } from '../src/store/ledger-store.js';
import { verifyWebhook } from '../src/core/webhook-signature.js';
import type { OperatorConnector, OperatorOutcome, RefundRequest } from '../src/operators/connector.js';
import { connectorsFromJson } from '../src/operators/registry.js';
import { waveFactory } from '../src/operators/wave.js';
import {
  RefundBody,
  RefundCallback,
  RefundCallbackForm,
  RefundListBody,
} from '../src/http/openapi/refund-operations.js';
import { ErrorEnvelope } from '../src/http/openapi/schemas.js';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { RefundWorker } from '../src/workers/refund-worker.js';
import { type Received, Receiver, until } from './callback-receiver.js';
import { errors, handWorker, webhookSecretOf } from './callback-fixtures.js';
import { WaveFake } from './fakes/wave-fake.js';
import { BACKENDS, type TestGateway, startTestGateway } from './harness.js';
import {
  type Json,
  authFailures,
  expectEchec,
  outbox,
  send,
  setProject,
  subOf,
  walletOf,
  walletPayin,
} from './http-helpers.js';
import { expectLedgerSound, readLedger } from './ledger-checks.js';
import { E1, E2, NUMBERS, checkoutBody, straightBody, ussdOtp } from './payin-helpers.js';

/**
 * Refunds of payins (issue 12, ADR 0024) through `POST /cauri/v1/refunds` on both databases: whole
 * and partial, never more than paid (also under many parallel requests), wallet refunds back to
 * the wallet, operator refunds through the simulator and through the Wave fake, a crash between
 * the operator call and the settlement that does not refund twice, callbacks, and the ledger.
 */
const REFUNDS = '/cauri/v1/refunds';
const WALLET_PHONE = '22670111111';
const ORANGE = NUMBERS.ussd_otp;
let serial = 0;

function refundBody(payin: unknown, amount?: number | string | null, extra: Record<string, unknown> = {}) {
  return {
    payin,
    ...(amount !== undefined ? { amount } : {}),
    reason: 'Customer returned the goods',
    merchant_refund_reference: `RF-${++serial}`,
    ...extra,
  };
}

async function refund(
  gw: TestGateway,
  payin: unknown,
  amount?: number | string | null,
  extra: Record<string, unknown> = {},
  headers?: Record<string, string>,
): Promise<Json> {
  return gw.call('POST', REFUNDS, {
    body: refundBody(payin, amount, extra),
    ...(headers ? { headers } : {}),
  });
}

function refundOf(body: Json): Json {
  expect(body.response_code, JSON.stringify(body)).toBe('00');
  return body.refund as Json;
}

/** A completed Orange Burkina payin (USSD OTP through the simulator's back office). */
async function orangePayin(gw: TestGateway, amount: number): Promise<Json> {
  const otp = await ussdOtp(gw, ORANGE.phone);
  const created = await gw.call('POST', E2, { body: straightBody(ORANGE.phone, { otp, amount }) });
  expect(created.response_code).toBe('00');
  return created;
}

function refundRows(gw: TestGateway) {
  return gw.gw.db.command((tx) =>
    tx.selectFrom('refunds').selectAll().orderBy('created_at_ms').orderBy('id').execute(),
  );
}

function refundedOf(gw: TestGateway, token: unknown) {
  return gw.gw.db.command(async (tx) =>
    Number(
      (
        await tx
          .selectFrom('payins')
          .select('refunded_xof')
          .where('token', '=', String(token))
          .executeTakeFirstOrThrow()
      ).refunded_xof,
    ),
  );
}

describe.each(BACKENDS)('refunds on %s', (backend) => {
  let gw: TestGateway;
  beforeEach(async () => {
    gw = await startTestGateway(backend);
    await gw.wallet(WALLET_PHONE, 100_000);
  });
  afterEach(async () => gw.destroy());

  describe('wallet payins', () => {
    it('refunds in full at once: the wallet gets its money back, a callback is queued, the ledger balances', async () => {
      const payin = await walletPayin(gw, WALLET_PHONE, 5000);
      expect((await walletOf(gw, WALLET_PHONE))?.postedXof).toBe(95_000);
      const created = refundOf(await refund(gw, payin.token));
      expect(created).toMatchObject({
        status: 'completed',
        amount: 5000,
        method: 'wallet',
        customer: WALLET_PHONE,
        payin_token: payin.token,
        operator_id: '0',
      });
      expect(created.refund_id).toMatch(/^rf_[a-z2-7]+$/);
      expect((await walletOf(gw, WALLET_PHONE))?.postedXof).toBe(100_000);
      expect((await subOf(gw, '0'))?.postedXof).toBe(0);
      expect((await outbox(gw)).map((e) => [e.event_type, e.subject_type])).toEqual([
        ['payin.completed', 'payin'],
        ['refund.completed', 'refund'],
      ]);
      const fetched = await gw.call('GET', `${REFUNDS}/${String(created.refund_id)}`);
      expect(refundOf(fetched)).toEqual(created);
      expectLedgerSound(await readLedger(gw.gw.db));
    });

    it('refunds in parts, the rest by default, then refuses more than is left and a payin refunded in full', async () => {
      const payin = await walletPayin(gw, WALLET_PHONE, 5000);
      expect(refundOf(await refund(gw, payin.token, 1000)).amount).toBe(1000);
      expect(refundOf(await refund(gw, payin.token, '1500')).amount).toBe(1500);
      expectEchec(
        await refund(gw, payin.token, 2501),
        'confirmInvoice',
        '07',
        'At most 2500 XOF is left to refund of this payin',
      );
      expect(refundOf(await refund(gw, payin.token)).amount).toBe(2500);
      expectEchec(await refund(gw, payin.token), 'confirmInvoice', '06');
      expectEchec(await refund(gw, payin.token, 1), 'confirmInvoice', '06');
      const listed = await gw.call('GET', `${REFUNDS}?payin=${String(payin.token)}`);
      expect(listed).toMatchObject({
        response_code: '00',
        payin_amount: 5000,
        refunded_amount: 5000,
        refundable_amount: 0,
      });
      expect((listed.refunds as Json[]).map((r) => r.amount)).toEqual([1000, 1500, 2500]);
      // The payin's own id serves as well as its token.
      const payinId = (listed as { payin_id: string }).payin_id;
      expect((await gw.call('GET', `${REFUNDS}?payin=${payinId}`)).refunded_amount).toBe(5000);
      expect((await walletOf(gw, WALLET_PHONE))?.postedXof).toBe(100_000);
      expectLedgerSound(await readLedger(gw.gw.db));
    });

    it('refuses a refund the wallet sub-account cannot pay, and writes nothing', async () => {
      const payin = await walletPayin(gw, WALLET_PHONE, 5000);
      // The merchant's money left the sub-account meanwhile (a balanced transfer out of the system).
      await gw.gw.db.command(async (tx) => {
        const moved = await postTransfers(
          tx,
          gw.gw.db.dialect,
          [
            {
              kind: 'single',
              debitAccountId: accountIds.subaccount(gw.project.id, '0'),
              creditAccountId: accountIds.funding,
              amountXof: 4500 as Xof,
              reason: 'test_withdrawal',
              subjectId: null,
            },
          ],
          gw.clock.nowMs(),
        );
        expect(moved.ok).toBe(true);
      });
      expectEchec(
        await refund(gw, payin.token, 1000),
        'confirmInvoice',
        '04',
        'The project wallet sub-account holds too little for this refund',
      );
      expect(await refundRows(gw)).toEqual([]);
      expect(await refundedOf(gw, payin.token)).toBe(0);
      expect(refundOf(await refund(gw, payin.token, 500)).amount).toBe(500);
      expectLedgerSound(await readLedger(gw.gw.db));
    });

    it('refuses an operator refund the sub-account cannot hold, and writes nothing', async () => {
      const payin = await orangePayin(gw, 5000);
      const payout = await gw.call('POST', '/pay/v01/straight/payout', {
        body: {
          commande: {
            amount: 4500,
            description: 'Supplier',
            customer: ORANGE.phone,
            callback_url: '',
            custom_data: { transaction_id: 'PO-1' },
          },
        },
      });
      expect(payout.response_code).toBe('00');
      expectEchec(
        await refund(gw, payin.token, 1000),
        'confirmInvoice',
        '04',
        'The project sub-account of this operator holds too little for this refund',
      );
      expect(await refundRows(gw)).toEqual([]);
      expect(await refundedOf(gw, payin.token)).toBe(0);
    });
  });

  it('answers what the OpenAPI document declares, success and error alike', async () => {
    const payin = await walletPayin(gw, WALLET_PHONE, 3000);
    const created = await refund(gw, payin.token, 1000);
    const valid = (schema: TSchema, body: unknown) =>
      expect(
        [...Compile(schema).Errors(body)].map((e) => `${e.instancePath} ${e.message}`),
        JSON.stringify(body),
      ).toEqual([]);
    valid(RefundBody, created);
    valid(RefundBody, await gw.call('GET', `${REFUNDS}/${String(refundOf(created).refund_id)}`));
    valid(RefundListBody, await gw.call('GET', `${REFUNDS}?payin=${String(payin.token)}`));
    valid(ErrorEnvelope, await refund(gw, payin.token, 2001));
  });

  describe('operator payins through the simulator', () => {
    it('holds the money, sends the refund with no transaction open, and settles it with a callback', async () => {
      const payin = await orangePayin(gw, 5000);
      expect((await subOf(gw, ORANGE.operatorId))?.postedXof).toBe(5000);
      const created = refundOf(await refund(gw, payin.token, 2000));
      expect(created).toMatchObject({
        status: 'pending',
        method: 'operator',
        amount: 2000,
        customer: ORANGE.phone,
        operator_reference: '',
      });
      expect(await subOf(gw, ORANGE.operatorId)).toMatchObject({ postedXof: 5000, heldXof: 2000 });
      expectLedgerSound(await readLedger(gw.gw.db), 'while pending');
      expect(await gw.refunds.runOnce()).toBe(1);
      const settled = refundOf(await gw.call('GET', `${REFUNDS}/${String(created.refund_id)}`));
      expect(settled).toMatchObject({ status: 'completed', method: 'operator' });
      expect(settled.operator_reference).toMatch(/^SIM[0-9A-F]{16}$/);
      expect(await subOf(gw, ORANGE.operatorId)).toMatchObject({ postedXof: 3000, heldXof: 0 });
      expect((await outbox(gw)).map((e) => e.event_type)).toEqual(['payin.completed', 'refund.completed']);
      expect(await gw.refunds.runOnce()).toBe(0);
      expectLedgerSound(await readLedger(gw.gw.db), 'after settlement');
    });

    it('a failed refund releases the hold and gives its amount back to what is left to refund', async () => {
      const failing: OperatorConnector = Object.assign(Object.create(gw.gw.connector) as OperatorConnector, {
        refund: () => Promise.resolve<OperatorOutcome>({ state: 'failed', reason: 'declined' }),
      });
      const payin = await orangePayin(gw, 5000);
      const created = refundOf(await refund(gw, payin.token));
      const worker = new RefundWorker(
        { ...gw.gw, connector: failing },
        { intervalMs: 1000, leaseMs: 5000, instanceId: 'test' },
        (e) => errors.push(e),
      );
      expect(await worker.runOnce()).toBe(1);
      expect(refundOf(await gw.call('GET', `${REFUNDS}/${String(created.refund_id)}`))).toMatchObject({
        status: 'failed',
        status_reason: 'declined',
      });
      expect(await subOf(gw, ORANGE.operatorId)).toMatchObject({ postedXof: 5000, heldXof: 0 });
      expect(await refundedOf(gw, payin.token)).toBe(0);
      expect((await outbox(gw)).map((e) => e.event_type)).toEqual(['payin.completed', 'refund.failed']);
      expect(refundOf(await refund(gw, payin.token)).amount).toBe(5000);
      expectLedgerSound(await readLedger(gw.gw.db));
    });

    it('many parallel partial refunds never add up to more than was paid', async () => {
      const payin = await orangePayin(gw, 10_000);
      const answers = await Promise.all(Array.from({ length: 24 }, () => refund(gw, payin.token, 1000)));
      const accepted = answers.filter((a) => a.response_code === '00');
      expect(accepted).toHaveLength(10);
      for (const answer of answers.filter((a) => a.response_code !== '00'))
        expect(answer.response_text).toBe('Echec (Code06)');
      expect(await refundedOf(gw, payin.token)).toBe(10_000);
      expect(await subOf(gw, ORANGE.operatorId)).toMatchObject({ postedXof: 10_000, heldXof: 10_000 });
      while ((await gw.refunds.runOnce()) > 0);
      expect((await refundRows(gw)).every((r) => r.status === 'completed')).toBe(true);
      expect(await subOf(gw, ORANGE.operatorId)).toMatchObject({ postedXof: 0, heldXof: 0 });
      expectLedgerSound(await readLedger(gw.gw.db));
    });

    it('parallel refunds of different amounts stop exactly at what was paid', async () => {
      const payin = await orangePayin(gw, 5000);
      const answers = await Promise.all(
        [700, 1300, 2200, 900, 1800, 400, 3000, 100].map((amount) => refund(gw, payin.token, amount)),
      );
      const total = answers
        .filter((a) => a.response_code === '00')
        .reduce((sum, a) => sum + Number((a.refund as Json).amount), 0);
      expect(total).toBeLessThanOrEqual(5000);
      expect(await refundedOf(gw, payin.token)).toBe(total);
      const rows = await refundRows(gw);
      expect(rows.reduce((sum, r) => sum + Number(r.amount_xof), 0)).toBe(total);
      expectLedgerSound(await readLedger(gw.gw.db));
    });
  });

  describe('errors', () => {
    it("refuses a payin that is not completed, another project's payin and refund, and unknown ids", async () => {
      const invoice = await gw.call('POST', E1, { body: checkoutBody() });
      expectEchec(await refund(gw, invoice.token), 'confirmInvoice', '05');
      const payin = await walletPayin(gw, WALLET_PHONE, 2000);
      const created = refundOf(await refund(gw, payin.token, 500));
      expectEchec(
        await refund(gw, payin.token, 500, {}, gw.other.headers),
        'confirmInvoice',
        '02',
        'No such payin',
      );
      expectEchec(
        await gw.call('GET', `${REFUNDS}/${String(created.refund_id)}`, { headers: gw.other.headers }),
        'confirmInvoice',
        '02',
        'No such refund',
      );
      expectEchec(
        await gw.call('GET', `${REFUNDS}?payin=${String(payin.token)}`, { headers: gw.other.headers }),
        'confirmInvoice',
        '02',
      );
      expectEchec(await gw.call('GET', `${REFUNDS}/rf_nosuchrefund`), 'confirmInvoice', '02');
      expectEchec(await gw.call('GET', `${REFUNDS}/RF-1`), 'confirmInvoice', '02');
      expectEchec(await refund(gw, 'pay_nosuchpayin'), 'confirmInvoice', '02');
      expectEchec(await refund(gw, 'eyJhbGciOiJIUzI1NiJ9.e30.forged'), 'confirmInvoice', '02');
      expect(await refundedOf(gw, payin.token)).toBe(500);
    });

    it('refuses bad input with Code04 and no write', async () => {
      const payin = await walletPayin(gw, WALLET_PHONE, 2000);
      for (const body of [
        {},
        { payin: payin.token },
        refundBody(payin.token, 0),
        refundBody(payin.token, -5),
        refundBody(payin.token, 10.5),
        refundBody(payin.token, '1e3'),
        refundBody(payin.token, 100, { reason: '' }),
        refundBody(payin.token, 100, { reason: 'x'.repeat(256) }),
        refundBody(payin.token, 100, { reason: 'line\nbreak' }),
        refundBody(payin.token, 100, { merchant_refund_reference: 'has space' }),
        refundBody(payin.token, 100, { merchant_refund_reference: 'x'.repeat(65) }),
        refundBody(payin.token, 100, { callback_url: 'ftp://shop.example/cb' }),
        refundBody('x'.repeat(2000), 100),
      ]) {
        expectEchec(await gw.call('POST', REFUNDS, { body }), 'confirmInvoice', '04');
      }
      expectEchec(
        await gw.call('GET', `${REFUNDS}?payin=${String(payin.token)}&status=pending`),
        'confirmInvoice',
        '04',
      );
      expectEchec(await gw.call('GET', REFUNDS), 'confirmInvoice', '04');
      expect(await refundRows(gw)).toEqual([]);
    });

    it('refuses a repeated merchant reference, replays an Idempotency-Key and refuses it with another body', async () => {
      const payin = await walletPayin(gw, WALLET_PHONE, 3000);
      const body = refundBody(payin.token, 1000);
      const headers = { 'idempotency-key': 'refund-key-1' };
      const first = await gw.call('POST', REFUNDS, { body, headers });
      expect(await gw.call('POST', REFUNDS, { body, headers })).toEqual(first);
      expectEchec(
        await gw.call('POST', REFUNDS, { body: { ...body, amount: 999 }, headers }),
        'confirmInvoice',
        '04',
      );
      expectEchec(
        await gw.call('POST', REFUNDS, { body }),
        'confirmInvoice',
        '04',
        'A refund with this merchant reference exists already',
      );
      expect(await refundRows(gw)).toHaveLength(1);
      expect(await refundedOf(gw, payin.token)).toBe(1000);
    });

    it('refuses every authentication failure with Code00, and a caller outside the IP list', async () => {
      const payin = await walletPayin(gw, WALLET_PHONE, 2000);
      for (const failure of authFailures(gw)) {
        for (const [method, url, body] of [
          ['POST', REFUNDS, refundBody(payin.token, 100)],
          ['GET', `${REFUNDS}?payin=${String(payin.token)}`, undefined],
          ['GET', `${REFUNDS}/rf_x`, undefined],
        ] as const) {
          const response = await send(gw, method, url, {
            ...(failure.headers ? { headers: failure.headers } : {}),
            ...(failure.omit ? { omit: failure.omit } : {}),
            ...(body ? { body } : {}),
          });
          expect(response.status, failure.name).toBe(200);
          expect(response.json.response_text, `${failure.name} ${method} ${url}`).toBe('Echec (Code00)');
        }
      }
      expectEchec(
        await gw.call('POST', REFUNDS, { body: refundBody(payin.token, 100), ip: '203.0.113.9' }),
        'confirmInvoice',
        '04',
        /IP 203\.0\.113\.9 is not allowed/,
      );
      // Reads are not guarded by the IP list, like LigdiCash's confirm endpoints.
      expect(
        (await gw.call('GET', `${REFUNDS}?payin=${String(payin.token)}`, { ip: '203.0.113.9' }))
          .response_code,
      ).toBe('00');
      expect(await refundRows(gw)).toEqual([]);
    });
  });

  describe('callbacks', () => {
    let receiver: Receiver;
    beforeAll(async () => {
      receiver = await Receiver.start();
    });
    afterAll(async () => receiver.close());

    it("POSTs a signed refund callback to the refund's URL, as JSON then as a form", async () => {
      await setProject(gw, { callbackMode: 'ligdicash' });
      const payin = await walletPayin(gw, WALLET_PHONE, 2000);
      const created = refundOf(
        await refund(gw, payin.token, 800, { callback_url: receiver.url(`/refunds-${backend}`) }),
      );
      const worker = handWorker(gw.gw);
      await worker.runOnce();
      await until(() => receiver.received.filter((r) => r.path === `/refunds-${backend}`).length === 2);
      const [json, form] = receiver.received.filter((r: Received) => r.path === `/refunds-${backend}`);
      expect(json?.contentType).toBe('application/json');
      expect(json?.fields).toMatchObject({
        event: 'refund',
        refund_id: created.refund_id,
        status: 'completed',
        amount: 800,
        payin_token: payin.token,
        method: 'wallet',
      });
      expect(form?.fields).toMatchObject({ event: 'refund', refund_id: created.refund_id, amount: '800' });
      expect(Compile(RefundCallback).Check(json?.fields)).toBe(true);
      expect(Compile(RefundCallbackForm).Check(form?.fields)).toBe(true);
      const secret = await webhookSecretOf(gw.gw, gw.project.id);
      expect(
        verifyWebhook(secret, json?.headers ?? {}, json?.body ?? '', Math.floor(gw.clock.nowMs() / 1000)),
      ).toBe('ok');
      await worker.stop();
    });
  });
});

/**
 * A crash between the operator's refund and its settlement: the operator refunded, the gateway
 * never recorded it. The next claim (after the lease) asks the operator first and settles on its
 * answer; the operator refunded once.
 */
describe.each(BACKENDS)('a refund cut between the operator call and the settlement (%s)', (backend) => {
  let gw: TestGateway;

  beforeEach(async () => {
    gw = await startTestGateway(backend, { config: { operatorTimeoutMs: 60_000 } });
  });
  afterEach(async () => gw.destroy());

  it('asks for the status before any re-send, and the operator refunds once', async () => {
    const base = gw.gw.connector;
    const calls: { refund: string[]; query: string[] } = { refund: [], query: [] };
    let answerLost: ((outcome: OperatorOutcome) => void) | undefined;
    const crashing: OperatorConnector = Object.assign(Object.create(base) as OperatorConnector, {
      async refund(request: RefundRequest): Promise<OperatorOutcome> {
        calls.refund.push(request.reference);
        const outcome = await (base.refund as NonNullable<OperatorConnector['refund']>)(request);
        // The operator has refunded; its answer never reaches the first instance, which "dies".
        if (answerLost === undefined)
          return new Promise<OperatorOutcome>((resolve) => (answerLost = resolve));
        return outcome;
      },
      queryRefund(request: RefundRequest): Promise<OperatorOutcome> {
        calls.query.push(request.reference);
        return (base.queryRefund as NonNullable<OperatorConnector['queryRefund']>)(request);
      },
    });
    const payin = await orangePayin(gw, 4000);
    const refundId = String(refundOf(await refund(gw, payin.token)).refund_id);
    const first = new RefundWorker(
      { ...gw.gw, connector: crashing },
      { intervalMs: 1000, leaseMs: 5000, instanceId: 'first' },
      () => undefined,
    );
    const firstPass = first.runOnce().catch(() => 0);
    await until(() => answerLost !== undefined);
    expect((await refundRows(gw))[0]).toMatchObject({
      status: 'pending',
      dispatch_state: 'sent',
      dispatch_owner: 'first',
      dispatch_attempts: 1,
    });

    // Within the first instance's lease nobody takes the refund; after it, another instance does.
    const second = new RefundWorker(
      { ...gw.gw, connector: crashing },
      { intervalMs: 1000, leaseMs: 5000, instanceId: 'second' },
      () => undefined,
    );
    expect(await second.runOnce()).toBe(0);
    gw.clock.advance(130_000);
    expect(await second.runOnce()).toBe(1);
    expect(calls.query).toEqual([refundId]);
    expect(calls.refund).toEqual([refundId]);
    expect((await refundRows(gw))[0]).toMatchObject({ status: 'completed', dispatch_state: 'done' });

    // The first instance's answer arrives after all (it was not dead, only stalled): nothing changes.
    answerLost?.({ state: 'pending' });
    await firstPass;
    expect((await refundRows(gw))[0]).toMatchObject({ status: 'completed', dispatch_state: 'done' });
    expect((await outbox(gw)).filter((e) => e.event_type === 'refund.completed')).toHaveLength(1);
    expect(await subOf(gw, ORANGE.operatorId)).toMatchObject({ postedXof: 0, heldXof: 0 });
    expectLedgerSound(await readLedger(gw.gw.db));
  });
});

/** Production mode with the Wave connector against its offline fake (ADR 0013, 0024). */
describe.each(BACKENDS)('Wave refunds in production (%s)', (backend) => {
  const WAVE_PHONE = '221771122334';
  let gw: TestGateway;
  let wave: WaveFake;

  beforeEach(async () => {
    wave = await new WaveFake().start();
    const router = connectorsFromJson(
      { connectors: [{ type: 'wave', operators: ['39'], settings: wave.settings() }] },
      [waveFactory],
      {
        timeoutMs: 2000,
        clock: systemClock,
        publicUrl: 'https://cauri.example',
        env: {},
      },
    );
    gw = await startTestGateway(backend, {
      connector: router,
      config: { mode: 'production', publicUrl: 'https://cauri.example' },
    });
    wave.deliver = async (webhook) => {
      await gw.app.inject({
        method: 'POST',
        url: '/operators/39/notify',
        headers: webhook.headers,
        payload: webhook.payload,
      });
    };
  });
  afterEach(async () => {
    await gw.destroy();
    await wave.down();
  });

  async function wavePayin(amount: number): Promise<Json> {
    const created = await gw.call('POST', E2, { body: straightBody(WAVE_PHONE, { amount }) });
    expect(created.response_code).toBe('00');
    const [session] = [...wave.sessions.values()].slice(-1);
    await wave.pay(String(session?.client_reference));
    return created;
  }

  it("refunds a whole payin through Wave's checkout refund, once", async () => {
    const payin = await wavePayin(5000);
    const created = refundOf(await refund(gw, payin.token));
    expect(created).toMatchObject({ status: 'pending', method: 'operator', amount: 5000 });
    expect(await gw.refunds.runOnce()).toBe(1);
    const [session] = [...wave.sessions.values()];
    expect(session?.payment_status).toBe('refunded');
    expect(wave.refundsPerSession.get(String(session?.id))).toBe(1);
    expect(refundOf(await gw.call('GET', `${REFUNDS}/${String(created.refund_id)}`))).toMatchObject({
      status: 'completed',
      operator_reference: session?.id,
    });
    // A whole payin refunded is refunded in full: a second refund is refused before Wave is asked.
    expectEchec(await refund(gw, payin.token), 'confirmInvoice', '06');
    expect(wave.requests.filter((r) => r.path.endsWith('/refund'))).toHaveLength(1);
    expectLedgerSound(await readLedger(gw.gw.db));
  });

  it('asks Wave before a re-send: a refund whose answer was lost is settled on the status', async () => {
    const payin = await wavePayin(3000);
    refundOf(await refund(gw, payin.token));
    // Wave refunds, but its answer is lost (the gateway saw an error): still pending, with one attempt.
    const original = gw.gw.connector.refund?.bind(gw.gw.connector);
    const lossy: OperatorConnector = Object.assign(Object.create(gw.gw.connector) as OperatorConnector, {
      async refund(request: RefundRequest) {
        await original?.(request);
        throw new Error('socket hang up');
      },
    });
    const worker = new RefundWorker(
      { ...gw.gw, connector: lossy },
      { intervalMs: 1000, leaseMs: 5000, instanceId: 'lossy' },
      () => undefined,
    );
    expect(await worker.runOnce()).toBe(1);
    expect((await refundRows(gw))[0]).toMatchObject({ status: 'pending', dispatch_attempts: 1 });
    gw.clock.advance(60_000);
    expect(await gw.refunds.runOnce()).toBe(1);
    const [session] = [...wave.sessions.values()];
    expect(wave.refundsPerSession.get(String(session?.id))).toBe(1);
    expect((await refundRows(gw))[0]).toMatchObject({ status: 'completed', operator_reference: session?.id });
    expectLedgerSound(await readLedger(gw.gw.db));
  });

  it('sends a partial refund as a Wave payout to the payer, which Wave has no partial checkout refund for', async () => {
    const payin = await wavePayin(5000);
    const created = refundOf(await refund(gw, payin.token, 1200));
    expect(created).toMatchObject({ method: 'payout', status: 'pending' });
    expect(await gw.refunds.runOnce()).toBe(1);
    const payout = wave.payoutFor(String(created.refund_id));
    expect(payout).toMatchObject({ receive_amount: '1200', mobile: `+${WAVE_PHONE}` });
    expect(wave.refundsPerSession.size).toBe(0);
    const row = (await refundRows(gw))[0];
    expect(row?.status === 'completed' || row?.status === 'pending').toBe(true);
    expectLedgerSound(await readLedger(gw.gw.db));
  });
});

/** Production with a connector that takes payins but can neither refund nor pay out: Code08, nothing held. */
describe.each(BACKENDS)('refunds an operator cannot make (%s)', (backend) => {
  let gw: TestGateway;
  beforeEach(async () => {
    const debitOnly: OperatorConnector = {
      serves: (operatorId, action) => operatorId === ORANGE.operatorId && action === 'debit',
      requestCredit: () => Promise.resolve({ state: 'failed', reason: 'operator_error: no payouts' }),
      queryStatus: () => Promise.resolve({ state: 'pending' }),
      requestDebit: (request) =>
        Promise.resolve({ state: 'completed', operatorReference: `OP-${request.reference}` }),
    };
    gw = await startTestGateway(backend, {
      connector: debitOnly,
      config: { mode: 'production', publicUrl: 'https://cauri.example' },
    });
  });
  afterEach(async () => gw.destroy());

  it('refuses with Code08 before anything is held', async () => {
    const created = await gw.call('POST', E2, {
      body: straightBody(ORANGE.phone, { otp: '123456', amount: 3000 }),
    });
    expect(created.response_code).toBe('00');
    expectEchec(await refund(gw, created.token, 1000), 'confirmInvoice', '08');
    expect(await refundRows(gw)).toEqual([]);
    expect(await subOf(gw, ORANGE.operatorId)).toMatchObject({ postedXof: 3000, heldXof: 0 });
  });
});
